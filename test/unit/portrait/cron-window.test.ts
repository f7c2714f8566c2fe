import {
  CronError,
  compileCrons,
  cronWindowValue,
  nextCronWakeup,
  type ReplicaCron,
} from '../../../controllers/portrait/index.js';

const at = (iso: string): Date => new Date(iso);
const HOUR_START = Date.parse('2024-01-01T00:00:00Z');
const minute = (m: number, s = 0, ms = 0): Date => new Date(HOUR_START + m * 60_000 + s * 1000 + ms);

/** The crons of the cron-portrait-sample walkthrough. */
const SEED: ReplicaCron[] = [
  { name: 'cron-1', start: '0 * * * *', end: '10 * * * *', replicas: 1 },
  { name: 'cron-2', start: '10 * * * *', end: '20 * * * *', replicas: 2 },
  { name: 'cron-3', start: '20 * * * *', end: '30 * * * *', replicas: 3 },
  { name: 'cron-4', start: '30 * * * *', end: '40 * * * *', replicas: 4 },
  { name: 'cron-5', start: '40 * * * *', end: '50 * * * *', replicas: 5 },
];

describe('cronWindowValue: the seed crons over a whole hour', () => {
  // Every minute of the hour, plus the instants either side of each boundary.
  const rows: { t: Date; cron?: string; replicas?: number; expireTime?: Date }[] = [];
  for (let m = 0; m < 60; m++) {
    for (const t of [minute(m), minute(m, 30)]) {
      if (m < 50) {
        const window = Math.floor(m / 10);
        rows.push({
          t,
          cron: `cron-${window + 1}`,
          replicas: window + 1,
          expireTime: minute((window + 1) * 10),
        });
      } else {
        rows.push({ t });
      }
    }
  }
  for (const boundary of [10, 20, 30, 40, 50]) {
    const before = boundary / 10; // the window that is closing
    rows.push({
      t: minute(boundary - 1, 59, 999),
      cron: `cron-${before}`,
      replicas: before,
      expireTime: minute(boundary),
    });
  }
  rows.push({ t: minute(59, 59, 999) });
  rows.push({ t: minute(60), cron: 'cron-1', replicas: 1, expireTime: minute(70) });

  it.each(rows.map((r) => [r.t.toISOString(), r] as const))('%s', (_label, row) => {
    const value = cronWindowValue(SEED, row.t);
    if (row.replicas === undefined) {
      expect(value).toBeUndefined();
    } else {
      expect(value).toEqual({ cron: row.cron, replicas: row.replicas, expireTime: row.expireTime });
    }
  });

  it('has a value exactly at each start and none exactly at the last end', () => {
    expect(cronWindowValue(SEED, minute(0))?.replicas).toBe(1);
    expect(cronWindowValue(SEED, minute(10))?.replicas).toBe(2);
    expect(cronWindowValue(SEED, minute(40))?.replicas).toBe(5);
    expect(cronWindowValue(SEED, minute(50))).toBeUndefined();
  });
});

describe('nextCronWakeup', () => {
  it.each([
    [minute(0), minute(10)],
    [minute(5), minute(10)],
    [minute(9, 59, 999), minute(10)],
    [minute(10), minute(20)],
    [minute(49), minute(50)],
    [minute(50), minute(60)],
    [minute(55, 30), minute(60)],
    [minute(59, 59, 999), minute(60)],
  ])('seed crons after %s → %s', (t, expected) => {
    expect(nextCronWakeup(SEED, t)?.toISOString()).toBe(expected.toISOString());
  });

  it('is the earliest start or end over all crons, in their own time zones', () => {
    const crons: ReplicaCron[] = [
      {
        name: 'shanghai-office',
        timeZone: 'Asia/Shanghai',
        start: '0 9 * * *',
        end: '0 18 * * *',
        replicas: 4,
      },
      {
        name: 'london-office',
        timeZone: 'Europe/London',
        start: '0 9 * * *',
        end: '0 18 * * *',
        replicas: 3,
      },
    ];
    // 2024-01-01T02:00Z is 10:00 in Shanghai and 02:00 in London.
    expect(nextCronWakeup(crons, at('2024-01-01T02:00:00Z'))?.toISOString()).toBe('2024-01-01T09:00:00.000Z');
    // At 09:30Z Shanghai (17:30) closes at 10:00Z, before London (09:30, open) closes at 18:00Z.
    expect(nextCronWakeup(crons, at('2024-01-01T09:30:00Z'))?.toISOString()).toBe('2024-01-01T10:00:00.000Z');
  });

  it('is undefined for no crons', () => {
    expect(nextCronWakeup([], at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('wakes at every change of the seed over a day and nowhere else', () => {
    let t = at('2024-01-01T00:00:00Z');
    const wakeups: number[] = [];
    while (t.getTime() < Date.parse('2024-01-02T00:00:00Z')) {
      t = nextCronWakeup(SEED, t) as Date;
      wakeups.push(t.getTime());
    }
    expect(wakeups).toHaveLength(24 * 6);
    for (const w of wakeups) {
      expect(new Date(w).getUTCMinutes() % 10).toBe(0);
      // The value really changes at every wakeup.
      const before = cronWindowValue(SEED, new Date(w - 1))?.replicas;
      const after = cronWindowValue(SEED, new Date(w))?.replicas;
      expect(after).not.toBe(before);
    }
  });
});

describe('cronWindowValue: windows and zones', () => {
  it('evaluates a window in its time zone', () => {
    const crons: ReplicaCron[] = [
      {
        name: 'office',
        timeZone: 'Asia/Shanghai',
        start: '0 9 * * MON-FRI',
        end: '0 17 * * MON-FRI',
        replicas: 8,
      },
    ];
    // Monday 2024-01-01 09:00 in Shanghai is 01:00Z.
    expect(cronWindowValue(crons, at('2024-01-01T00:59:59Z'))).toBeUndefined();
    expect(cronWindowValue(crons, at('2024-01-01T01:00:00Z'))).toEqual({
      cron: 'office',
      replicas: 8,
      expireTime: at('2024-01-01T09:00:00Z'),
    });
    expect(cronWindowValue(crons, at('2024-01-01T09:00:00Z'))).toBeUndefined();
    // Saturday
    expect(cronWindowValue(crons, at('2024-01-06T03:00:00Z'))).toBeUndefined();
  });

  it('handles a window that spans midnight', () => {
    const crons: ReplicaCron[] = [{ name: 'night', start: '0 22 * * *', end: '0 6 * * *', replicas: 2 }];
    expect(cronWindowValue(crons, at('2024-01-01T23:00:00Z'))).toEqual({
      cron: 'night',
      replicas: 2,
      expireTime: at('2024-01-02T06:00:00Z'),
    });
    expect(cronWindowValue(crons, at('2024-01-02T05:59:59Z'))?.replicas).toBe(2);
    expect(cronWindowValue(crons, at('2024-01-02T06:00:00Z'))).toBeUndefined();
    expect(cronWindowValue(crons, at('2024-01-02T12:00:00Z'))).toBeUndefined();
    expect(cronWindowValue(crons, at('2024-01-02T22:00:00Z'))?.replicas).toBe(2);
  });

  it('never activates a window whose start and end are the same schedule', () => {
    const crons: ReplicaCron[] = [{ name: 'empty', start: '0 * * * *', end: '0 * * * *', replicas: 2 }];
    for (const t of [minute(0), minute(1), minute(59)]) expect(cronWindowValue(crons, t)).toBeUndefined();
  });

  it('treats an empty time zone as UTC', () => {
    const crons: ReplicaCron[] = [
      { name: 'a', timeZone: '', start: '0 9 * * *', end: '0 10 * * *', replicas: 2 },
    ];
    expect(cronWindowValue(crons, at('2024-01-01T09:30:00Z'))?.replicas).toBe(2);
  });

  it('accepts crons compiled once and evaluated many times', () => {
    const compiled = compileCrons(SEED);
    expect(cronWindowValue(compiled, minute(25))?.replicas).toBe(3);
    expect(nextCronWakeup(compiled, minute(25))?.toISOString()).toBe(minute(30).toISOString());
  });
});

describe('cronWindowValue: errors', () => {
  it('names both crons and the time when two windows overlap', () => {
    const crons: ReplicaCron[] = [
      { name: 'a', start: '0 * * * *', end: '20 * * * *', replicas: 1 },
      { name: 'b', start: '10 * * * *', end: '30 * * * *', replicas: 2 },
    ];
    expect(cronWindowValue(crons, minute(5))?.cron).toBe('a');
    expect(() => cronWindowValue(crons, minute(15))).toThrow(
      new CronError('crons "a" and "b" overlap at 2024-01-01T00:15:00Z'),
    );
    expect(() => cronWindowValue(crons, minute(15, 0, 250))).toThrow(
      'crons "a" and "b" overlap at 2024-01-01T00:15:00.250Z',
    );
    expect(cronWindowValue(crons, minute(25))?.cron).toBe('b');
  });

  it('names every cron when more than two overlap', () => {
    const crons: ReplicaCron[] = [
      { name: 'a', start: '0 * * * *', end: '30 * * * *', replicas: 1 },
      { name: 'b', start: '0 * * * *', end: '30 * * * *', replicas: 2 },
      { name: 'c', start: '0 * * * *', end: '30 * * * *', replicas: 3 },
    ];
    expect(() => cronWindowValue(crons, minute(1))).toThrow(
      'crons "a", "b" and "c" overlap at 2024-01-01T00:01:00Z',
    );
  });

  it('rejects duplicate cron names', () => {
    const crons: ReplicaCron[] = [
      { name: 'a', start: '0 * * * *', end: '10 * * * *', replicas: 1 },
      { name: 'a', start: '20 * * * *', end: '30 * * * *', replicas: 2 },
    ];
    expect(() => cronWindowValue(crons, minute(40))).toThrow(new CronError('duplicate cron name "a"'));
    expect(() => nextCronWakeup(crons, minute(40))).toThrow('duplicate cron name "a"');
    expect(() => compileCrons(crons)).toThrow('duplicate cron name "a"');
  });

  it.each([
    [
      { name: 'bad-start', start: '61 * * * *', end: '10 * * * *', replicas: 1 },
      'cron "bad-start": invalid cron "61 * * * *": minute 61 is out of range 0-59',
    ],
    [
      { name: 'bad-end', start: '0 * * * *', end: '0 25 * * *', replicas: 1 },
      'cron "bad-end": invalid cron "0 25 * * *": hour 25 is out of range 0-23',
    ],
    [
      { name: 'bad-zone', timeZone: 'Mars/Olympus', start: '0 * * * *', end: '10 * * * *', replicas: 1 },
      'cron "bad-zone": unknown time zone "Mars/Olympus"',
    ],
  ])('reports an invalid cron by name: %j', (cron, message) => {
    expect(() => cronWindowValue([cron], minute(0))).toThrow(new CronError(message));
    expect(() => nextCronWakeup([cron], minute(0))).toThrow(message);
  });
});
