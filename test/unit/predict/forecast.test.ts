import {
  autocorrelations,
  detectPeriod,
  detrend,
  fitHoltWinters,
  forecastHoltWinters,
  forecastSeries,
  runHoltWinters,
} from '../../../cli/predict/forecast.js';

/** Deterministic noise in [-1, 1]. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

const seasonal = (n: number, period: number, { trend = 0, noiseLevel = 0, seed = 1 } = {}) => {
  const r = noise(seed);
  return Array.from(
    { length: n },
    (_, i) =>
      100 +
      trend * i +
      40 * Math.sin((2 * Math.PI * i) / period) +
      10 * Math.sin((4 * Math.PI * i) / period) +
      noiseLevel * r(),
  );
};

describe('detectPeriod', () => {
  test('finds the season of a noisy cycle, not a multiple of it', () => {
    expect(detectPeriod(seasonal(1440, 60, { noiseLevel: 10 }))?.period).toBe(60);
    expect(detectPeriod(seasonal(2000, 144, { noiseLevel: 5, seed: 3 }))?.period).toBe(144);
  });

  test('a strong trend does not hide the season', () => {
    expect(detectPeriod(seasonal(1440, 60, { trend: 0.5, noiseLevel: 5 }))?.period).toBe(60);
  });

  test('noise and a straight line have none', () => {
    const r = noise(9);
    expect(detectPeriod(Array.from({ length: 1000 }, () => r()))).toBeUndefined();
    expect(detectPeriod(Array.from({ length: 1000 }, (_, i) => i))).toBeUndefined();
  });

  test('respects the bounds: a season longer than maxPeriod is not reported', () => {
    expect(detectPeriod(seasonal(1440, 60, { noiseLevel: 5 }), { maxPeriod: 50 })).toBeUndefined();
  });

  test('detrend removes the least-squares line; autocorrelation at lag 0 is 1', () => {
    expect(detrend([1, 3, 5, 7]).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0, 0, 0, 0]);
    const acf = autocorrelations(detrend(seasonal(600, 60)), 60);
    expect(acf[0]).toBeCloseTo(1, 10);
    expect(acf[60]).toBeGreaterThan(0.8);
    expect(acf[30]).toBeLessThan(-0.5);
  });
});

describe('Holt-Winters', () => {
  test('forecasts a clean seasonal series almost exactly, with or without a trend', () => {
    const flat = seasonal(600, 60);
    const flatTruth = seasonal(660, 60).slice(600);
    const flatForecast = forecastHoltWinters(fitHoltWinters(flat, 60), 60);
    expect(Math.max(...flatForecast.map((f, i) => Math.abs(f - (flatTruth[i] as number))))).toBeLessThan(1);

    const values = seasonal(600, 60, { trend: 0.1 });
    const truth = seasonal(660, 60, { trend: 0.1 }).slice(600);
    const forecast = forecastHoltWinters(fitHoltWinters(values, 60), 60);
    expect(Math.max(...forecast.map((f, i) => Math.abs(f - (truth[i] as number))))).toBeLessThan(1);
  });

  test('the grid search beats a fixed poor choice on the fitted error', () => {
    const values = seasonal(600, 60, { noiseLevel: 8, seed: 4 });
    const best = fitHoltWinters(values, 60);
    const poor = runHoltWinters(values, 60, { alpha: 0.4, beta: 0.05, gamma: 0.4, phi: 0.98 });
    expect(best.mse).toBeLessThan(poor.mse);
  });

  test('without a season: a damped trend continues the line', () => {
    const values = Array.from({ length: 100 }, (_, i) => 10 + 2 * i);
    const model = fitHoltWinters(values, 0);
    const [next] = forecastHoltWinters(model, 1);
    expect(next).toBeGreaterThan(205);
    expect(next).toBeLessThan(213);
  });

  test('a season needs two of itself in the data', () => {
    expect(() => fitHoltWinters(seasonal(100, 60), 60)).toThrow(
      'a season of 60 points needs at least 120 points, got 100',
    );
  });

  test('forecastSeries reports the detected season and forecasts past the end', () => {
    const values = seasonal(1440, 60, { noiseLevel: 5 });
    const result = forecastSeries(values, 30);
    expect(result.period).toBe(60);
    expect(result.values).toHaveLength(30);
    const truth = seasonal(1470, 60).slice(1440);
    const error = result.values.reduce((a, f, i) => a + Math.abs(f - (truth[i] as number)), 0) / 30;
    expect(error).toBeLessThan(6);
  });
});
