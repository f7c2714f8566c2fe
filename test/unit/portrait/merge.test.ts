import {
  NO_VALID_PORTRAIT_VALUE_MESSAGE,
  clampReplicas,
  cronWindowValue,
  decidePortrait,
  isPortraitValueLive,
  pickPortraitValue,
  staticPortraitValue,
  type PortraitCandidate,
} from '../../../controllers/portrait/index.js';

const NOW = new Date('2024-01-01T00:05:00Z');
const later = (ms: number): Date => new Date(NOW.getTime() + ms);

const c = (provider: string, priority: number, replicas: number, expireTime?: Date): PortraitCandidate =>
  expireTime === undefined ? { provider, priority, replicas } : { provider, priority, replicas, expireTime };

describe('pickPortraitValue', () => {
  it.each<[string, (PortraitCandidate | undefined | null)[], string | undefined]>([
    ['nothing at all', [], undefined],
    ['only providers without values', [undefined, null, undefined], undefined],
    ['a single value', [c('Static', 1, 3)], 'Static'],
    ['higher priority wins even with fewer replicas', [c('A', 1, 9), c('B', 2, 1)], 'B'],
    ['higher priority wins regardless of order', [c('B', 2, 1), c('A', 1, 9)], 'B'],
    ['equal priority: more replicas wins', [c('A', 1, 2), c('B', 1, 5)], 'B'],
    ['equal priority: more replicas wins regardless of order', [c('B', 1, 5), c('A', 1, 2)], 'B'],
    ['equal priority and replicas: the first one stays', [c('A', 1, 4), c('B', 1, 4)], 'A'],
    ['a provider without a value falls through', [undefined, c('Static', 1, 1)], 'Static'],
    ['negative priorities compare normally', [c('A', -5, 9), c('B', -1, 1)], 'B'],
    ['an expired higher priority falls through', [c('Static', 1, 1), c('Cron', 2, 5, NOW)], 'Static'],
    ['an expiry 1 ms ahead still counts', [c('Static', 1, 1), c('Cron', 2, 5, later(1))], 'Cron'],
    ['an expiry in the past does not count', [c('Static', 1, 1), c('Cron', 2, 5, later(-1))], 'Static'],
    ['all expired → nothing', [c('A', 1, 1, NOW), c('B', 2, 2, later(-60_000))], undefined],
    ['expired equal priority with more replicas does not win', [c('A', 1, 2), c('B', 1, 9, later(-1))], 'A'],
  ])('%s', (_name, candidates, expected) => {
    expect(pickPortraitValue(candidates, NOW)?.provider).toBe(expected);
  });

  it('returns the winner unchanged', () => {
    const winner = c('Cron', 2, 5, later(300_000));
    expect(pickPortraitValue([c('Static', 1, 1), winner], NOW)).toBe(winner);
  });
});

describe('isPortraitValueLive', () => {
  it.each([
    [undefined, true],
    [later(1), true],
    [NOW, false],
    [later(-1), false],
  ])('expireTime %p → %p', (expireTime, live) => {
    expect(
      isPortraitValueLive(
        expireTime ? { provider: 'x', replicas: 1, expireTime } : { provider: 'x', replicas: 1 },
        NOW,
      ),
    ).toBe(live);
  });
});

describe('clampReplicas', () => {
  it.each([
    [
      5,
      1,
      10,
      5,
      'False',
      'DesiredWithinRange',
      'the desired replica count 5 of the current portrait value is within the acceptable range [1, 10]',
    ],
    [
      1,
      1,
      10,
      1,
      'False',
      'DesiredWithinRange',
      'the desired replica count 1 of the current portrait value is within the acceptable range [1, 10]',
    ],
    [
      10,
      1,
      10,
      10,
      'False',
      'DesiredWithinRange',
      'the desired replica count 10 of the current portrait value is within the acceptable range [1, 10]',
    ],
    [
      0,
      1,
      10,
      1,
      'True',
      'TooFewReplicas',
      'the desired replica count 0 of the current portrait value is less than the minimum replica count 1',
    ],
    [
      2,
      3,
      10,
      3,
      'True',
      'TooFewReplicas',
      'the desired replica count 2 of the current portrait value is less than the minimum replica count 3',
    ],
    [
      12,
      1,
      10,
      10,
      'True',
      'TooManyReplicas',
      'the desired replica count 12 of the current portrait value is more than the maximum replica count 10',
    ],
    [
      0,
      0,
      10,
      0,
      'False',
      'DesiredWithinRange',
      'the desired replica count 0 of the current portrait value is within the acceptable range [0, 10]',
    ],
    // inverted bounds: the maximum is applied last and wins
    [
      2,
      5,
      3,
      3,
      'True',
      'TooManyReplicas',
      'the minimum replica count 5 is more than the maximum replica count 3, so the maximum applies',
    ],
    [
      9,
      5,
      3,
      3,
      'True',
      'TooManyReplicas',
      'the desired replica count 9 of the current portrait value is more than the maximum replica count 3',
    ],
  ])('%i in [%i, %i] → %i (%s %s)', (replicas, min, max, desired, status, reason, message) => {
    expect(clampReplicas(replicas, min, max)).toEqual({
      desiredReplicas: desired,
      scalingLimited: { status, reason, message },
    });
  });
});

describe('decidePortrait', () => {
  it('reports NoValidPortraitValue with the event text when nothing holds', () => {
    const decision = decidePortrait({
      candidates: [undefined, c('Cron', 2, 5, NOW)],
      now: NOW,
      minReplicas: 1,
      maxReplicas: 10,
    });
    expect(decision).toEqual({
      valid: false,
      reason: 'NoValidPortraitValue',
      message: 'no valid portrait value for now',
    });
    expect(NO_VALID_PORTRAIT_VALUE_MESSAGE).toBe('no valid portrait value for now');
  });

  it('clamps the winner and keeps its raw value', () => {
    const decision = decidePortrait({
      candidates: [c('Static', 1, 20)],
      now: NOW,
      minReplicas: 1,
      maxReplicas: 10,
    });
    expect(decision).toEqual({
      valid: true,
      winner: c('Static', 1, 20),
      desiredReplicas: 10,
      scalingLimited: {
        status: 'True',
        reason: 'TooManyReplicas',
        message:
          'the desired replica count 20 of the current portrait value is more than the maximum replica count 10',
      },
    });
  });

  // The gray-strategy walkthrough: Static 1 at priority 1, cron-1 (minutes 0–10 → 5) at priority 2.
  const crons = [{ name: 'cron-1', start: '0 * * * *', end: '10 * * * *', replicas: 5 }];
  const candidatesAt = (t: Date): (PortraitCandidate | undefined)[] => {
    const cron = cronWindowValue(crons, t);
    return [
      { ...staticPortraitValue(1), priority: 1 },
      cron && { provider: 'Cron', priority: 2, replicas: cron.replicas, expireTime: cron.expireTime },
    ];
  };
  it.each([
    ['2024-01-01T00:00:00Z', 'Cron', 5],
    ['2024-01-01T00:09:59Z', 'Cron', 5],
    ['2024-01-01T00:10:00Z', 'Static', 1],
    ['2024-01-01T00:59:59Z', 'Static', 1],
    ['2024-01-01T01:00:00Z', 'Cron', 5],
  ])('gray walkthrough at %s → %s %i', (iso, provider, replicas) => {
    const t = new Date(iso);
    const decision = decidePortrait({ candidates: candidatesAt(t), now: t, minReplicas: 1, maxReplicas: 10 });
    expect(decision.valid && decision.winner.provider).toBe(provider);
    expect(decision.valid && decision.desiredReplicas).toBe(replicas);
  });

  it('lets a stale cron value (evaluated earlier, now past its end) fall through to Static', () => {
    const evaluatedAt = new Date('2024-01-01T00:09:00Z');
    const stale = candidatesAt(evaluatedAt);
    const decision = decidePortrait({
      candidates: stale,
      now: new Date('2024-01-01T00:10:00Z'),
      minReplicas: 1,
      maxReplicas: 10,
    });
    expect(decision.valid && decision.winner.provider).toBe('Static');
  });
});
