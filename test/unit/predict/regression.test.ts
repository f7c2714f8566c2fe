import {
  UsageModelError,
  fitUsageModel,
  leastSquares,
  observedNeed,
  pearson,
  predictUsage,
  requiredReplicas,
} from '../../../cli/predict/regression.js';

describe('leastSquares and pearson', () => {
  test('solves an exact system', () => {
    const rows = [
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ];
    const b = leastSquares(rows, [1, 3, 5, 7]);
    expect(b[0]).toBeCloseTo(1, 9);
    expect(b[1]).toBeCloseTo(2, 9);
  });

  test('collinear inputs are an error, not garbage', () => {
    expect(() =>
      leastSquares(
        [
          [1, 2],
          [2, 4],
          [3, 6],
        ],
        [1, 2, 3],
      ),
    ).toThrow(UsageModelError);
  });

  test('pearson', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
  });
});

describe('the usage model', () => {
  const rows = Array.from({ length: 50 }, (_, i) => {
    const replicas = 2 + (i % 5);
    const traffic = 100 + 10 * ((i * 7) % 11);
    return { usage: 0.05 * replicas + 0.002 * traffic, replicas, traffic: [traffic] };
  });

  test('recovers a per-pod baseline and a cost per request', () => {
    const model = fitUsageModel(rows, ['qps']);
    expect(model.baseline).toBe('per-pod');
    expect(model.base).toBeCloseTo(0.05, 9);
    expect(model.costs[0]).toBeCloseTo(0.002, 9);
    expect(predictUsage(model, 3, [150])).toBeCloseTo(0.45, 9);
  });

  test('replicas = traffic cost / (target − baseline); with observed usage, what it needed', () => {
    const model = { baseline: 'per-pod' as const, base: 0.05, costs: [0.002] };
    expect(requiredReplicas(model, [200], 0.15)).toBeCloseTo(4, 9);
    // 4 pods served 200 rps at 0.6 cores: the traffic's share, 0.4, at 0.1 per pod.
    expect(observedNeed(model, 0.6, 4, 0.15)).toBeCloseTo(4, 9);
    expect(() => requiredReplicas({ ...model, base: 0.2 }, [200], 0.15)).toThrow(
      'each pod uses 0.200 at rest, at or above the target 0.150: no replica count meets the target',
    );
  });

  test('constant replicas: a constant baseline instead', () => {
    const steady = rows.map((r) => ({ ...r, replicas: 4, usage: 0.2 + 0.002 * (r.traffic[0] as number) }));
    const model = fitUsageModel(steady, ['qps']);
    expect(model.baseline).toBe('constant');
    expect(model.base).toBeCloseTo(0.2, 9);
    expect(requiredReplicas(model, [200], 0.15)).toBeCloseTo(0.6 / 0.15, 9);
  });

  test('usage falling with traffic is refused', () => {
    const inverse = rows.map((r) => ({ ...r, usage: 2 - 0.002 * (r.traffic[0] as number) }));
    expect(() => fitUsageModel(inverse, ['qps'])).toThrow(/usage does not grow with traffic metric qps/);
  });

  test('too few rows are refused', () => {
    expect(() => fitUsageModel(rows.slice(0, 2), ['qps'])).toThrow(
      '2 complete history points are too few to learn the usage model',
    );
  });
});
