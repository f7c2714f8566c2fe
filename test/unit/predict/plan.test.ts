import {
  fillGaps,
  planReplicas,
  quantile,
  relativeError,
  shiftIncreases,
  windowHeadroom,
  windowMaxima,
  type History,
  type PlanOptions,
} from '../../../cli/predict/plan.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2024, 5, 3, 0, 0, 0);

/** Deterministic noise in [-1, 1]. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

const BASE = 0.02;
const COST = 0.005;
const TARGET = 0.15;
const rpsAt = (ms: number) => 400 * (1 + 0.6 * Math.sin((2 * Math.PI * (ms % HOUR)) / HOUR));
const needAt = (ms: number) => (COST * rpsAt(ms)) / (TARGET - BASE);

/** `hours` of one-minute history ending at START + hours. */
function history(
  hours: number,
  change: (i: number, h: { rps: number; usage: number; replicas: number }) => void = () => {},
): History {
  const r = noise(11);
  const timestamps: number[] = [];
  const usage: number[] = [];
  const replicas: number[] = [];
  const rps: number[] = [];
  for (let i = 0; i < hours * 60; i++) {
    const t = START + i * MINUTE;
    const point = {
      rps: rpsAt(t) * (1 + 0.04 * r()),
      usage: 0,
      replicas: Math.ceil(needAt(t - 2 * MINUTE) * 1.1),
    };
    point.usage = (BASE * point.replicas + COST * point.rps) * (1 + 0.01 * r());
    change(i, point);
    timestamps.push(t);
    rps.push(point.rps);
    usage.push(point.usage);
    replicas.push(point.replicas);
  }
  return { timestamps, stepMs: MINUTE, usage, replicas, traffic: [{ name: 'qps', values: rps }] };
}

const OPTIONS: PlanOptions = {
  target: TARGET,
  testSizeMs: HOUR,
  scalingFreqMs: 10 * MINUTE,
  scaleUpAheadMs: 0,
  horizonMs: HOUR,
  timeDeltaHours: 8,
  maxTestError: 0.25,
  minCorrelation: 0.5,
  windowCoverage: 0.95,
};

describe('planReplicas', () => {
  test('one replica count per 10-minute window, close to what the traffic will need', () => {
    const result = planReplicas(history(24), OPTIONS);
    if (!result.ok) throw new Error(result.reason);
    const end = START + 24 * HOUR;
    expect(result.windows.map((w) => w.start)).toEqual(
      Array.from({ length: 6 }, (_, k) => end + k * 10 * MINUTE),
    );
    expect(Object.keys(result.timeSeries)).toEqual(result.windows.map((w) => String(w.start / 1000)));
    expect(result.expireTime).toBe(new Date(end + HOUR).toISOString().replace('.000Z', 'Z'));
    for (const w of result.windows) {
      let peak = 0;
      for (let m = 0; m < 10; m++) peak = Math.max(peak, needAt(w.start + m * MINUTE));
      // Never short of the noise-free peak, at most a fifth above it (headroom + rounding).
      expect(w.replicas).toBeGreaterThanOrEqual(Math.ceil(peak));
      expect(w.replicas).toBeLessThanOrEqual(Math.ceil(peak * 1.2) + 1);
    }
    expect(result.report.traffic[0]).toMatchObject({ name: 'qps', periodMinutes: 60 });
    expect(result.report.usageModel).toMatchObject({ baseline: 'per-pod' });
    expect(result.report.usageModel?.base).toBeCloseTo(BASE, 2);
    expect(result.report.usageModel?.costs[0]).toBeCloseTo(COST, 3);
    expect(result.report.headroom).toBeGreaterThanOrEqual(1);
  });

  test('increases move earlier by the lead time', () => {
    const plain = planReplicas(history(24), OPTIONS);
    const ahead = planReplicas(history(24), { ...OPTIONS, scaleUpAheadMs: 2 * MINUTE });
    if (!plain.ok || !ahead.ok) throw new Error('refused');
    expect(ahead.windows).toEqual(plain.windows);
    expect(ahead.timeSeries).toEqual(
      Object.fromEntries(shiftIncreases(plain.windows, 2 * MINUTE).map((p) => [String(p.at), p.replicas])),
    );
    expect(Object.keys(ahead.timeSeries).length).toBeGreaterThan(Object.keys(plain.timeSeries).length);
  });

  test('too little history is refused with what was needed', () => {
    const result = planReplicas(history(2), OPTIONS);
    expect(result).toMatchObject({
      ok: false,
      reason:
        'too little history: 120 points of traffic (2.0 h), 180 needed (the 3600 s test set plus 2 h of training)',
    });
  });

  test('usage unrelated to traffic is refused as poor correlation', () => {
    const r = noise(5);
    const result = planReplicas(
      history(24, (_, p) => {
        p.usage = 1 + 0.3 * r();
      }),
      OPTIONS,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(
      /^poor correlation between usage and traffic metric qps: -?0\.\d\d \(at least 0.5 needed\)$/,
    );
  });

  test('a test set the traffic forecast misses is refused as a bad fit', () => {
    // The last hour's traffic (and usage with it) triples: nothing in the training part says so.
    const result = planReplicas(
      history(24, (i, p) => {
        if (i >= 23 * 60) {
          p.rps *= 3;
          p.usage = BASE * p.replicas + COST * p.rps;
        }
      }),
      OPTIONS,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(
      /^bad fit: the forecast of qps misses the test set by \d+\.\d % \(at most 25\.0 % allowed\)$/,
    );
  });

  test('a usage model the test set contradicts is refused', () => {
    const result = planReplicas(
      history(24, (i, p) => {
        if (i >= 23 * 60) p.usage *= 2;
      }),
      OPTIONS,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^bad fit: the usage model misses the test set by/);
  });

  test('short gaps are filled; a long one is refused', () => {
    const short = planReplicas(
      history(24, (i, p) => {
        if (i >= 600 && i < 605) p.rps = NaN;
      }),
      OPTIONS,
    );
    expect(short.ok).toBe(true);
    const long = planReplicas(
      history(24, (i, p) => {
        if (i >= 600 && i < 640) p.rps = NaN;
      }),
      OPTIONS,
    );
    expect(long).toMatchObject({
      ok: false,
      reason: `the traffic history has a gap longer than 10 minutes at ${new Date(START + 600 * MINUTE).toISOString().replace('.000Z', 'Z')}`,
    });
  });

  test('missing traffic metrics or target are refused', () => {
    expect(planReplicas({ ...history(24), traffic: [] }, OPTIONS)).toMatchObject({
      ok: false,
      reason: 'no traffic metric to forecast (metrics[2…] are the traffic metrics)',
    });
    expect(planReplicas(history(24), { ...OPTIONS, target: 0 })).toMatchObject({ ok: false });
  });
});

describe('pipeline helpers', () => {
  test('windowMaxima groups by aligned window and keeps the largest', () => {
    const t0 = 1_800_000_000_000;
    expect(
      windowMaxima([t0, t0 + MINUTE, t0 + 10 * MINUTE, t0 + 11 * MINUTE], [1, 3, 2, 1], 10 * MINUTE),
    ).toEqual([
      { start: t0, value: 3 },
      { start: t0 + 10 * MINUTE, value: 2 },
    ]);
  });

  test('shiftIncreases: rises move earlier, falls stay', () => {
    const windows = [
      { start: 600_000, replicas: 3 },
      { start: 1_200_000, replicas: 5 },
      { start: 1_800_000, replicas: 2 },
      { start: 2_400_000, replicas: 4 },
    ];
    expect(shiftIncreases(windows, 0)).toEqual([
      { at: 600, replicas: 3 },
      { at: 1200, replicas: 5 },
      { at: 1800, replicas: 2 },
      { at: 2400, replicas: 4 },
    ]);
    expect(shiftIncreases(windows, 120_000)).toEqual([
      { at: 600, replicas: 3 },
      { at: 1080, replicas: 5 },
      { at: 1200, replicas: 5 },
      { at: 1800, replicas: 2 },
      { at: 2280, replicas: 4 },
      { at: 2400, replicas: 4 },
    ]);
  });

  test('fillGaps interpolates short interior gaps only', () => {
    expect(fillGaps([1, NaN, NaN, 4, NaN, NaN, NaN, 8], 2)).toEqual([1, 2, 3, 4, NaN, NaN, NaN, 8]);
    expect(fillGaps([NaN, 1, 2, NaN], 5)).toEqual([NaN, 1, 2, NaN]);
  });

  test('quantile and relativeError', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(relativeError([110, 90], [100, 100])).toBeCloseTo(0.1, 12);
    expect(relativeError([0], [0])).toBe(0);
  });

  test('windowHeadroom: the factor that covers the window peak with the asked chance', () => {
    // No error at all: no headroom.
    expect(windowHeadroom([5, 6, 7], [1, 1, 1], 0.95)).toBe(1);
    // Every minute may run 20 % over: a window whose minutes are all at the peak needs all of it.
    const ratios = Array.from({ length: 100 }, (_, i) => 0.8 + (0.4 * i) / 99);
    const flat = windowHeadroom([10, 10, 10, 10], ratios, 0.95);
    expect(flat).toBeGreaterThan(1.15);
    expect(flat).toBeLessThanOrEqual(1.2 + 1e-9);
    // A single peak minute needs less than a flat top.
    expect(windowHeadroom([10, 5, 5, 5], ratios, 0.95)).toBeLessThan(flat);
    // Asking for less coverage needs less headroom.
    expect(windowHeadroom([10, 10, 10, 10], ratios, 0.5)).toBeLessThan(flat);
  });
});
