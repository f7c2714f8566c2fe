// Seasonal forecasting of one evenly spaced series (pure, no I/O):
//
// - the season length is detected from the autocorrelation of the linearly detrended series: the
//   first autocorrelation peak (after the function has dropped below the threshold) that is
//   strong (≥ minCorrelation), prominent, and within 90 % of the strongest peak, so the
//   fundamental period wins over its multiples;
// - the model is additive Holt-Winters (level, trend — damped or not —, one seasonal term per
//   position in the season), its smoothing factors chosen by a small grid search minimising the
//   one-step-ahead squared error; with no season found, the same without the seasonal term
//   (Holt's linear trend).

export interface PeriodOptions {
  /** Smallest season length considered, in points; default 2. */
  minPeriod?: number;
  /** Largest season length considered, in points; default half the series. */
  maxPeriod?: number;
  /** Autocorrelation a peak needs; default 0.3. */
  minCorrelation?: number;
}

export interface DetectedPeriod {
  period: number;
  correlation: number;
}

/** The values minus their least-squares line. */
export function detrend(values: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0);
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * ((values[i] as number) - meanY);
    sxx += (i - meanX) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return values.map((v, i) => v - meanY - slope * (i - meanX));
}

/** Sample autocorrelation of a zero-mean series at lags 0..maxLag. */
export function autocorrelations(centred: readonly number[], maxLag: number): number[] {
  const n = centred.length;
  let variance = 0;
  for (const v of centred) variance += v * v;
  const result: number[] = [];
  for (let lag = 0; lag <= maxLag && lag < n; lag++) {
    if (variance === 0) {
      result.push(0);
      continue;
    }
    let sum = 0;
    for (let i = lag; i < n; i++) sum += (centred[i] as number) * (centred[i - lag] as number);
    result.push(sum / variance);
  }
  return result;
}

/** The season length of `values`, or undefined when the series shows none. */
export function detectPeriod(
  values: readonly number[],
  options: PeriodOptions = {},
): DetectedPeriod | undefined {
  const n = values.length;
  const minPeriod = Math.max(2, options.minPeriod ?? 2);
  const maxPeriod = Math.min(options.maxPeriod ?? Math.floor(n / 2), Math.floor(n / 2));
  const threshold = options.minCorrelation ?? 0.3;
  if (maxPeriod < minPeriod) return undefined;
  const acf = autocorrelations(detrend(values), maxPeriod + 1);
  // Short lags correlate because neighbours are alike; peaks only count once that has worn off.
  let start = 1;
  while (start <= maxPeriod && (acf[start] as number) >= threshold) start++;
  const peaks: DetectedPeriod[] = [];
  let trough = Infinity;
  for (let lag = start; lag <= maxPeriod; lag++) {
    const here = acf[lag] as number;
    trough = Math.min(trough, here);
    const before = acf[lag - 1] as number;
    const after = acf[lag + 1] ?? -Infinity;
    if (lag >= minPeriod && here >= threshold && here >= before && here > after && here - trough >= 0.2) {
      peaks.push({ period: lag, correlation: here });
    }
  }
  if (peaks.length === 0) return undefined;
  const strongest = Math.max(...peaks.map((p) => p.correlation));
  return peaks.find((p) => p.correlation >= 0.9 * strongest);
}

export interface HoltWintersParameters {
  alpha: number;
  beta: number;
  gamma: number;
  /** Trend damping per step (1: no damping). */
  phi: number;
}

export interface HoltWintersModel {
  /** Season length in points; 0 without a seasonal term. */
  period: number;
  parameters: HoltWintersParameters;
  level: number;
  trend: number;
  /** Seasonal terms; `seasonal[(n + k) % period]` belongs to the k-th point after the series. */
  seasonal: number[];
  /** Points the model was fitted to. */
  length: number;
  /** Mean squared one-step-ahead error after the first season. */
  mse: number;
}

function mean(values: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i] as number;
  return sum / Math.max(1, to - from);
}

/** Runs the recursions over `values` with fixed parameters. */
export function runHoltWinters(
  values: readonly number[],
  period: number,
  parameters: HoltWintersParameters,
): HoltWintersModel {
  const n = values.length;
  const { alpha, beta, gamma, phi } = parameters;
  const seasonal: number[] = new Array<number>(Math.max(period, 0)).fill(0);
  let level: number;
  let trend = 0;
  if (period > 0) {
    const seasons = Math.floor(n / period);
    level = mean(values, 0, period);
    if (seasons >= 2) trend = (mean(values, period, 2 * period) - level) / period;
    // Seasonal terms: the average deviation from each complete season's mean.
    for (let s = 0; s < seasons; s++) {
      const m = mean(values, s * period, (s + 1) * period);
      for (let i = 0; i < period; i++)
        seasonal[i] = (seasonal[i] as number) + ((values[s * period + i] as number) - m) / seasons;
    }
    // Level at the start: the first season's mean sits mid-season.
    level -= trend * ((period - 1) / 2);
  } else {
    level = values[0] ?? 0;
    if (n >= 2) trend = ((values[Math.min(n - 1, 10)] as number) - level) / Math.min(n - 1, 10);
  }
  let sse = 0;
  let counted = 0;
  for (let t = 0; t < n; t++) {
    const y = values[t] as number;
    const index = period > 0 ? t % period : 0;
    const season = period > 0 ? (seasonal[index] as number) : 0;
    const predicted = level + phi * trend + season;
    if (t >= Math.max(period, 1)) {
      sse += (y - predicted) ** 2;
      counted++;
    }
    const previousLevel = level;
    level = alpha * (y - season) + (1 - alpha) * (level + phi * trend);
    trend = beta * (level - previousLevel) + (1 - beta) * phi * trend;
    if (period > 0) seasonal[index] = gamma * (y - level) + (1 - gamma) * season;
  }
  return { period, parameters, level, trend, seasonal, length: n, mse: counted === 0 ? 0 : sse / counted };
}

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.4];
const BETAS = [0, 0.01, 0.05];
const GAMMAS = [0.05, 0.1, 0.2, 0.4];
/** Damped (0.98 per step) or not: a damped trend is safer far ahead, an undamped one follows steady growth. */
const PHIS = [0.98, 1];

/** Holt-Winters with the smoothing factors (from a small grid) that fit `values` best. */
export function fitHoltWinters(values: readonly number[], period: number): HoltWintersModel {
  if (values.length < 2) throw new Error('at least two points are needed to fit a model');
  if (period > 0 && values.length < 2 * period) {
    throw new Error(`a season of ${period} points needs at least ${2 * period} points, got ${values.length}`);
  }
  let best: HoltWintersModel | undefined;
  for (const alpha of ALPHAS) {
    for (const beta of BETAS) {
      for (const gamma of period > 0 ? GAMMAS : [0]) {
        for (const phi of PHIS) {
          const model = runHoltWinters(values, period, { alpha, beta, gamma, phi });
          if (!best || model.mse < best.mse) best = model;
        }
      }
    }
  }
  return best as HoltWintersModel;
}

/** The next `horizon` points after the fitted series. */
export function forecastHoltWinters(model: HoltWintersModel, horizon: number): number[] {
  const result: number[] = [];
  let damping = 0;
  let factor = 1;
  for (let k = 1; k <= horizon; k++) {
    factor *= model.parameters.phi;
    damping += factor;
    const season = model.period > 0 ? (model.seasonal[(model.length + k - 1) % model.period] as number) : 0;
    result.push(model.level + damping * model.trend + season);
  }
  return result;
}

export interface SeriesForecast {
  values: number[];
  /** Season length used, in points (0: none found). */
  period: number;
  correlation?: number;
  model: HoltWintersModel;
}

/** Detects the season of `values`, fits the model and forecasts `horizon` points. */
export function forecastSeries(
  values: readonly number[],
  horizon: number,
  options: PeriodOptions = {},
): SeriesForecast {
  const detected = detectPeriod(values, options);
  const model = fitHoltWinters(values, detected?.period ?? 0);
  const forecast: SeriesForecast = {
    values: forecastHoltWinters(model, horizon),
    period: detected?.period ?? 0,
    model,
  };
  if (detected) forecast.correlation = detected.correlation;
  return forecast;
}
