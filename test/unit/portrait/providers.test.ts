import {
  CronError,
  PortraitError,
  nextTimeSeriesChange,
  portraitDataValueAt,
  staticPortraitValue,
  timeSeriesValueAt,
  type HorizontalPortraitData,
  type TimeSeriesPortrait,
} from '../../../controllers/portrait/index.js';

const at = (iso: string): Date => new Date(iso);
const unix = (seconds: number): Date => new Date(seconds * 1000);

describe('staticPortraitValue', () => {
  it.each([0, 1, 7, 1000])('yields %i replicas with no expiry', (replicas) => {
    expect(staticPortraitValue(replicas)).toEqual({ provider: 'Static', replicas });
    expect(staticPortraitValue(replicas)).not.toHaveProperty('expireTime');
  });

  it.each([-1, 1.5, Number.NaN])('rejects %p', (replicas) => {
    expect(() => staticPortraitValue(replicas)).toThrow(PortraitError);
    expect(() => staticPortraitValue(replicas)).toThrow(
      `static portrait: replicas must be a non-negative integer, got ${replicas}`,
    );
  });
});

/** The predictive walkthrough's HorizontalPortrait (2023-10-25 11:00, 11:10, 11:20; expires 11:30 UTC). */
const PREDICTIVE: TimeSeriesPortrait = {
  timeSeries: [
    { timestamp: 1698231600, replicas: 4 },
    { timestamp: 1698232200, replicas: 3 },
    { timestamp: 1698232800, replicas: 2 },
  ],
  expireTime: at('2023-10-25T11:30:00Z'),
};

describe('timeSeriesValueAt / nextTimeSeriesChange', () => {
  it.each([
    // t, replicas, value expiry, next change
    ['2023-10-25T10:59:59.999Z', undefined, undefined, '2023-10-25T11:00:00Z'],
    ['2023-10-25T11:00:00Z', 4, '2023-10-25T11:10:00Z', '2023-10-25T11:10:00Z'],
    ['2023-10-25T11:05:00Z', 4, '2023-10-25T11:10:00Z', '2023-10-25T11:10:00Z'],
    ['2023-10-25T11:09:59.999Z', 4, '2023-10-25T11:10:00Z', '2023-10-25T11:10:00Z'],
    ['2023-10-25T11:10:00Z', 3, '2023-10-25T11:20:00Z', '2023-10-25T11:20:00Z'],
    ['2023-10-25T11:20:00Z', 2, '2023-10-25T11:30:00Z', '2023-10-25T11:30:00Z'],
    ['2023-10-25T11:29:59.999Z', 2, '2023-10-25T11:30:00Z', '2023-10-25T11:30:00Z'],
    ['2023-10-25T11:30:00Z', undefined, undefined, undefined],
    ['2023-10-25T12:00:00Z', undefined, undefined, undefined],
  ])('at %s → %p (expires %p), next change %p', (t, replicas, expiry, next) => {
    const value = timeSeriesValueAt(PREDICTIVE, at(t));
    if (replicas === undefined) expect(value).toBeUndefined();
    else expect(value).toEqual({ replicas, expireTime: at(expiry as string) });
    const change = nextTimeSeriesChange(PREDICTIVE, at(t));
    expect(change?.toISOString()).toBe(next === undefined ? undefined : at(next).toISOString());
  });

  it('orders points itself', () => {
    const shuffled: TimeSeriesPortrait = {
      timeSeries: [PREDICTIVE.timeSeries[2]!, PREDICTIVE.timeSeries[0]!, PREDICTIVE.timeSeries[1]!],
      expireTime: PREDICTIVE.expireTime!,
    };
    expect(timeSeriesValueAt(shuffled, at('2023-10-25T11:15:00Z'))).toEqual({
      replicas: 3,
      expireTime: at('2023-10-25T11:20:00Z'),
    });
    expect(nextTimeSeriesChange(shuffled, at('2023-10-25T11:15:00Z'))).toEqual(at('2023-10-25T11:20:00Z'));
  });

  it('lets the last-listed point win when timestamps repeat', () => {
    const series: TimeSeriesPortrait = {
      timeSeries: [
        { timestamp: 100, replicas: 2 },
        { timestamp: 200, replicas: 5 },
        { timestamp: 100, replicas: 3 },
      ],
    };
    expect(timeSeriesValueAt(series, unix(150))).toEqual({ replicas: 3, expireTime: unix(200) });
  });

  it('holds the last point forever without an expireTime', () => {
    const series: TimeSeriesPortrait = { timeSeries: [{ timestamp: 100, replicas: 2 }] };
    expect(timeSeriesValueAt(series, unix(10_000_000))).toEqual({ replicas: 2 });
    expect(nextTimeSeriesChange(series, unix(10_000_000))).toBeUndefined();
    expect(nextTimeSeriesChange(series, unix(50))).toEqual(unix(100));
  });

  it('caps a point by the expireTime when the portrait expires before the next point', () => {
    const series: TimeSeriesPortrait = {
      timeSeries: [
        { timestamp: 100, replicas: 2 },
        { timestamp: 300, replicas: 4 },
      ],
      expireTime: unix(200),
    };
    expect(timeSeriesValueAt(series, unix(150))).toEqual({ replicas: 2, expireTime: unix(200) });
    expect(nextTimeSeriesChange(series, unix(150))).toEqual(unix(200));
    expect(timeSeriesValueAt(series, unix(300))).toBeUndefined();
  });

  it('yields nothing for an empty series or a zero-replica point', () => {
    expect(timeSeriesValueAt({ timeSeries: [] }, unix(100))).toBeUndefined();
    expect(nextTimeSeriesChange({ timeSeries: [] }, unix(100))).toBeUndefined();
    const withZero: TimeSeriesPortrait = {
      timeSeries: [
        { timestamp: 100, replicas: 0 },
        { timestamp: 200, replicas: 2 },
      ],
    };
    expect(timeSeriesValueAt(withZero, unix(150))).toBeUndefined();
    expect(nextTimeSeriesChange(withZero, unix(150))).toEqual(unix(200));
  });

  it('rejects a non-numeric timestamp', () => {
    expect(() =>
      timeSeriesValueAt({ timeSeries: [{ timestamp: Number.NaN, replicas: 1 }] }, unix(0)),
    ).toThrow('time series point has an invalid timestamp NaN');
  });
});

describe('portraitDataValueAt (Dynamic provider)', () => {
  const provider = 'Dynamic-Predictive';

  it('reads TimeSeries data with the provider name and a wakeup at the next change', () => {
    const data: HorizontalPortraitData = {
      type: 'TimeSeries',
      timeSeries: { timeSeries: PREDICTIVE.timeSeries },
      expireTime: PREDICTIVE.expireTime!,
    };
    expect(portraitDataValueAt(provider, data, at('2023-10-25T11:12:00Z'))).toEqual({
      value: { provider, replicas: 3, expireTime: at('2023-10-25T11:20:00Z') },
      wakeup: at('2023-10-25T11:20:00Z'),
    });
    expect(portraitDataValueAt(provider, data, at('2023-10-25T10:00:00Z'))).toEqual({
      wakeup: at('2023-10-25T11:00:00Z'),
    });
    expect(portraitDataValueAt(provider, data, at('2023-10-25T11:30:00Z'))).toEqual({});
  });

  it('reads Static data, expiring with the portrait', () => {
    const forever: HorizontalPortraitData = { type: 'Static', static: { replicas: 6 } };
    expect(portraitDataValueAt('Dynamic-Reactive', forever, at('2024-01-01T00:00:00Z'))).toEqual({
      value: { provider: 'Dynamic-Reactive', replicas: 6 },
    });
    const expiring: HorizontalPortraitData = { ...forever, expireTime: at('2024-01-01T00:01:00Z') };
    expect(portraitDataValueAt('Dynamic-Reactive', expiring, at('2024-01-01T00:00:00Z'))).toEqual({
      value: { provider: 'Dynamic-Reactive', replicas: 6, expireTime: at('2024-01-01T00:01:00Z') },
      wakeup: at('2024-01-01T00:01:00Z'),
    });
    expect(portraitDataValueAt('Dynamic-Reactive', expiring, at('2024-01-01T00:01:00Z'))).toEqual({});
  });

  it('yields nothing for zero Static replicas', () => {
    expect(
      portraitDataValueAt(provider, { type: 'Static', static: { replicas: 0 } }, at('2024-01-01T00:00:00Z')),
    ).toEqual({});
  });

  it('reads Cron data, taking the earlier of the window end and the portrait expiry', () => {
    const data: HorizontalPortraitData = {
      type: 'Cron',
      cron: { crons: [{ name: 'c', start: '0 * * * *', end: '30 * * * *', replicas: 7 }] },
      expireTime: at('2024-01-01T00:20:00Z'),
    };
    expect(portraitDataValueAt(provider, data, at('2024-01-01T00:10:00Z'))).toEqual({
      value: { provider, replicas: 7, expireTime: at('2024-01-01T00:20:00Z') },
      wakeup: at('2024-01-01T00:20:00Z'),
    });
    const later = { ...data, expireTime: at('2024-01-02T00:00:00Z') };
    expect(portraitDataValueAt(provider, later, at('2024-01-01T00:10:00Z'))).toEqual({
      value: { provider, replicas: 7, expireTime: at('2024-01-01T00:30:00Z') },
      wakeup: at('2024-01-01T00:30:00Z'),
    });
    expect(portraitDataValueAt(provider, later, at('2024-01-01T00:40:00Z'))).toEqual({
      wakeup: at('2024-01-01T01:00:00Z'),
    });
  });

  it('passes cron overlaps through as errors', () => {
    const data: HorizontalPortraitData = {
      type: 'Cron',
      cron: {
        crons: [
          { name: 'x', start: '0 * * * *', end: '30 * * * *', replicas: 1 },
          { name: 'y', start: '0 * * * *', end: '30 * * * *', replicas: 2 },
        ],
      },
    };
    expect(() => portraitDataValueAt(provider, data, at('2024-01-01T00:10:00Z'))).toThrow(CronError);
  });

  it.each([
    [{ type: 'Static' }, 'portrait data of type Static has no static section'],
    [{ type: 'Cron' }, 'portrait data of type Cron has no cron section'],
    [{ type: 'TimeSeries' }, 'portrait data of type TimeSeries has no timeSeries section'],
    [{ type: 'Weird' }, 'unknown horizontal portrait data type "Weird"'],
  ])('rejects %j', (data, message) => {
    expect(() =>
      portraitDataValueAt(provider, data as HorizontalPortraitData, at('2024-01-01T00:00:00Z')),
    ).toThrow(new PortraitError(message));
  });
});
