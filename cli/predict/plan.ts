// The forecasting pipeline (pure: history in, result or refusal out; time is an argument):
//
//  1. align: the history (usage, ready replicas, traffic metrics) on one time grid; short gaps in
//     traffic are interpolated, the span must cover the test set plus two hours of training;
//  2. learn usage per traffic (regression.ts) on the training part, refusing when usage does not
//     correlate with each traffic metric or mispredicts the test set;
//  3. forecast each traffic metric (forecast.ts; weekday levels when the history covers a week)
//     over the test set from the training part, refusing when the error is over the threshold;
//  4. headroom: from how far the test set's observed need rose above the forecast, the factor
//     that covers a scaling window's peak with the asked probability (noise inside a window);
//  5. refit on the whole history, forecast the horizon, turn traffic into replicas, take each
//     scaling window's maximum, and move every increase earlier by the scale-up lead time.
//
// Errors are relative: WAPE = Σ|forecast − actual| / Σ|actual|.

import { forecastHoltWinters, fitHoltWinters, detectPeriod, type DetectedPeriod } from './forecast.js';
import {
  UsageModelError,
  fitUsageModel,
  observedNeed,
  pearson,
  predictUsage,
  requiredReplicas,
  type UsageModel,
  type UsageRow,
} from './regression.js';
import { levelAt, weekdayLevels, type WeekdayLevels } from './weekday.js';

export interface History {
  /** Unix milliseconds, evenly spaced by `stepMs`. */
  timestamps: readonly number[];
  stepMs: number;
  /** Total usage of the scaled resource (NaN where missing). */
  usage: readonly number[];
  /** Ready replicas (NaN where missing). */
  replicas: readonly number[];
  traffic: ReadonlyArray<{ name: string; values: readonly number[] }>;
}

export interface PlanOptions {
  /** Per-pod usage to keep (base units: cores, bytes). */
  target: number;
  testSizeMs: number;
  scalingFreqMs: number;
  scaleUpAheadMs: number;
  horizonMs: number;
  timeDeltaHours: number;
  /** Largest WAPE accepted on the test set (traffic forecast and usage model). */
  maxTestError: number;
  /** Smallest correlation between usage and each traffic metric. */
  minCorrelation: number;
  /**
   * Probability that a window's replicas cover its peak need, given the forecast errors seen on
   * the test set (e.g. 0.95); sets the headroom.
   */
  windowCoverage: number;
  /** Training data needed besides the test set; default two hours. */
  minTrainingMs?: number;
  /** Longest traffic gap filled by interpolation; default ten minutes. */
  maxGapMs?: number;
}

export interface TrafficReport {
  name: string;
  period?: number;
  periodMinutes?: number;
  correlation: number;
  testError: number;
  weekdayLevels?: number[];
}

export interface PlanReport {
  points: number;
  from?: string;
  to?: string;
  usageModel?: UsageModel;
  usageTestError?: number;
  traffic: TrafficReport[];
  headroom?: number;
}

export type PlanResult =
  | {
      ok: true;
      /** `{"<unix seconds>": replicas}`. */
      timeSeries: Record<string, number>;
      expireTime: string;
      /** Replicas per scaling window before the lead-time shift, for reports. */
      windows: Array<{ start: number; replicas: number }>;
      report: PlanReport;
    }
  | { ok: false; reason: string; report: PlanReport };

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** WAPE of `forecast` against `actual`. */
export function relativeError(forecast: readonly number[], actual: readonly number[]): number {
  let errors = 0;
  let total = 0;
  actual.forEach((a, i) => {
    errors += Math.abs((forecast[i] as number) - a);
    total += Math.abs(a);
  });
  return total === 0 ? (errors === 0 ? 0 : Infinity) : errors / total;
}

/** The q-quantile (linear interpolation) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

/**
 * The smallest factor H ≥ 1 such that, if each minute's need is its forecast times an
 * independent draw from `ratios` (observed / forecast need), the window's peak stays within
 * H × the forecast peak with probability `coverage`. `forecast` holds one window's per-minute
 * forecast need.
 */
export function windowHeadroom(
  forecast: readonly number[],
  ratios: readonly number[],
  coverage: number,
): number {
  const peak = Math.max(...forecast);
  if (!(peak > 0) || ratios.length === 0) return 1;
  const sorted = [...ratios].sort((a, b) => a - b);
  // Share of ratios ≤ x.
  const cdf = (x: number): number => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((sorted[mid] as number) <= x) low = mid + 1;
      else high = mid;
    }
    return low / sorted.length;
  };
  const covered = (h: number): number => forecast.reduce((p, f) => (f > 0 ? p * cdf((h * peak) / f) : p), 1);
  let low = 1;
  let high = Math.max(1, sorted[sorted.length - 1] as number);
  if (covered(low) >= coverage) return 1;
  // The largest ratio covers every minute; bisect between.
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (covered(mid) >= coverage) high = mid;
    else low = mid;
  }
  return high;
}

/** Fills interior NaN runs no longer than `maxGap` points linearly; longer runs stay NaN. */
export function fillGaps(values: readonly number[], maxGap: number): number[] {
  const out = [...values];
  let i = 0;
  while (i < out.length) {
    if (Number.isFinite(out[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && !Number.isFinite(out[j])) j++;
    const before = out[i - 1];
    const after = out[j];
    if (i > 0 && j < out.length && j - i <= maxGap && before !== undefined && after !== undefined) {
      for (let k = i; k < j; k++) out[k] = before + ((after - before) * (k - i + 1)) / (j - i + 1);
    }
    i = j;
  }
  return out;
}

/** Scaling windows: start (unix ms, a multiple of `freqMs`) → largest value inside it. */
export function windowMaxima(
  timestamps: readonly number[],
  values: readonly number[],
  freqMs: number,
): Array<{ start: number; value: number }> {
  const windows = new Map<number, number>();
  timestamps.forEach((t, i) => {
    const start = Math.floor(t / freqMs) * freqMs;
    windows.set(start, Math.max(windows.get(start) ?? -Infinity, values[i] as number));
  });
  return [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([start, value]) => ({ start, value }));
}

/**
 * The step function "replicas from each window start" with every increase moved `aheadMs`
 * earlier: the value at x is max(v(x), v(x + ahead)). Points at every window start and at every
 * moved increase; timestamps in unix seconds.
 */
export function shiftIncreases(
  windows: ReadonlyArray<{ start: number; replicas: number }>,
  aheadMs: number,
): Array<{ at: number; replicas: number }> {
  const valueAt = (ms: number): number => {
    let value = windows[0]?.replicas ?? 0;
    for (const w of windows) if (w.start <= ms) value = w.replicas;
    return value;
  };
  const first = windows[0]?.start ?? 0;
  const times = new Set<number>(windows.map((w) => w.start));
  if (aheadMs > 0) {
    windows.forEach((w, i) => {
      const previous = windows[i - 1];
      if (previous && w.replicas > previous.replicas) times.add(Math.max(first, w.start - aheadMs));
    });
  }
  return [...times]
    .sort((a, b) => a - b)
    .map((ms) => ({ at: Math.floor(ms / 1000), replicas: Math.max(valueAt(ms), valueAt(ms + aheadMs)) }));
}

interface PreparedTraffic {
  name: string;
  values: number[];
}

/** Forecast of one traffic series (weekday-adjusted when possible) `horizon` points past its end. */
function forecastTraffic(
  startMs: number,
  stepMs: number,
  values: readonly number[],
  horizon: number,
  timeDeltaHours: number,
): { forecast: number[]; detected?: DetectedPeriod; levels?: WeekdayLevels } {
  const levels = weekdayLevels(startMs, stepMs, values, timeDeltaHours);
  const adjusted = values.map((v, i) => v / levelAt(levels, startMs + i * stepMs, timeDeltaHours));
  // Seasons up to a day (a weekly pattern is what the weekday levels are for), looked for in the
  // last four days at most: that shows a daily season twice over and bounds the work.
  const recent = adjusted.slice(-Math.ceil((4 * 86_400_000) / stepMs));
  const detected = detectPeriod(recent, { maxPeriod: Math.floor(86_400_000 / stepMs) });
  const model = fitHoltWinters(adjusted, detected?.period ?? 0);
  const end = startMs + values.length * stepMs;
  const forecast = forecastHoltWinters(model, horizon).map((v, k) =>
    Math.max(0, v * levelAt(levels, end + k * stepMs, timeDeltaHours)),
  );
  const result: { forecast: number[]; detected?: DetectedPeriod; levels?: WeekdayLevels } = { forecast };
  if (detected) result.detected = detected;
  if (levels) result.levels = levels;
  return result;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Runs the pipeline; a refusal carries the reason and what was learnt up to it. */
export function planReplicas(history: History, options: PlanOptions): PlanResult {
  const report: PlanReport = { points: 0, traffic: [] };
  try {
    return { ok: true, ...plan(history, options, report), report };
  } catch (error) {
    if (error instanceof PlanError || error instanceof UsageModelError) {
      return { ok: false, reason: error.message, report };
    }
    throw error;
  }
}

function plan(history: History, options: PlanOptions, report: PlanReport) {
  const { stepMs } = history;
  if (history.traffic.length === 0)
    throw new PlanError('no traffic metric to forecast (metrics[2…] are the traffic metrics)');
  if (!(options.target > 0))
    throw new PlanError(`the per-pod target must be positive, got ${options.target}`);
  const maxGap = Math.floor((options.maxGapMs ?? 600_000) / stepMs);
  const traffic: PreparedTraffic[] = history.traffic.map((t) => ({
    name: t.name,
    values: fillGaps(t.values, maxGap),
  }));

  // The span where every traffic metric has data: forecasting needs a contiguous series.
  let first = 0;
  let last = history.timestamps.length - 1;
  const valid = (i: number) => traffic.every((t) => Number.isFinite(t.values[i]));
  while (first <= last && !valid(first)) first++;
  while (last >= first && !valid(last)) last--;
  const n = last - first + 1;
  const minTrainingMs = options.minTrainingMs ?? 2 * 3_600_000;
  const neededPoints = Math.ceil((options.testSizeMs + minTrainingMs) / stepMs);
  report.points = Math.max(0, n);
  if (n < neededPoints) {
    throw new PlanError(
      `too little history: ${Math.max(0, n)} points of traffic (${((Math.max(0, n) * stepMs) / 3_600_000).toFixed(1)} h), ` +
        `${neededPoints} needed (the ${options.testSizeMs / 1000} s test set plus ${minTrainingMs / 3_600_000} h of training)`,
    );
  }
  for (let i = first; i <= last; i++) {
    if (!valid(i)) {
      throw new PlanError(
        `the traffic history has a gap longer than ${(maxGap * stepMs) / 60_000} minutes at ${rfc3339(history.timestamps[i] as number)}`,
      );
    }
  }
  const timestamps = history.timestamps.slice(first, last + 1);
  const startMs = timestamps[0] as number;
  report.from = rfc3339(startMs);
  report.to = rfc3339(timestamps[n - 1] as number);
  const series = traffic.map((t) => ({ name: t.name, values: t.values.slice(first, last + 1) }));
  const testPoints = Math.max(1, Math.round(options.testSizeMs / stepMs));
  const trainPoints = n - testPoints;

  // 2. Usage per traffic.
  const rows: Array<UsageRow & { index: number }> = [];
  for (let i = 0; i < n; i++) {
    const usage = history.usage[first + i] as number;
    const replicas = history.replicas[first + i] as number;
    if (!Number.isFinite(usage) || !Number.isFinite(replicas) || replicas <= 0) continue;
    rows.push({ usage, replicas, traffic: series.map((s) => s.values[i] as number), index: i });
  }
  const trainRows = rows.filter((r) => r.index < trainPoints);
  const testRows = rows.filter((r) => r.index >= trainPoints);
  if (trainRows.length < Math.ceil(minTrainingMs / stepMs / 2) || testRows.length < testPoints / 2) {
    throw new PlanError(
      `too little history of usage and ready replicas: ${trainRows.length} training and ${testRows.length} test points with both`,
    );
  }
  const correlations = series.map((s, k) =>
    pearson(
      rows.map((r) => r.usage),
      rows.map((r) => r.traffic[k] as number),
    ),
  );
  correlations.forEach((c, k) => {
    if (!(c >= options.minCorrelation)) {
      throw new PlanError(
        `poor correlation between usage and traffic metric ${series[k]?.name}: ${c.toFixed(2)} (at least ${options.minCorrelation} needed)`,
      );
    }
  });
  const names = series.map((s) => s.name);
  const trainModel = fitUsageModel(trainRows, names);
  const usageTestError = relativeError(
    testRows.map((r) => predictUsage(trainModel, r.replicas, r.traffic)),
    testRows.map((r) => r.usage),
  );
  report.usageTestError = round(usageTestError);
  if (!(usageTestError <= options.maxTestError)) {
    throw new PlanError(
      `bad fit: the usage model misses the test set by ${(usageTestError * 100).toFixed(1)} % (at most ${(options.maxTestError * 100).toFixed(1)} % allowed)`,
    );
  }

  // 3. Traffic forecasts over the test set.
  const testForecasts = series.map((s, k) => {
    const { forecast, detected, levels } = forecastTraffic(
      startMs,
      stepMs,
      s.values.slice(0, trainPoints),
      testPoints,
      options.timeDeltaHours,
    );
    const error = relativeError(forecast, s.values.slice(trainPoints));
    const entry: TrafficReport = {
      name: s.name,
      correlation: round(correlations[k] as number),
      testError: round(error),
    };
    if (detected) {
      entry.period = detected.period;
      entry.periodMinutes = round((detected.period * stepMs) / 60_000);
    }
    if (levels) entry.weekdayLevels = levels.factors.map(round);
    report.traffic.push(entry);
    if (!(error <= options.maxTestError)) {
      throw new PlanError(
        `bad fit: the forecast of ${s.name} misses the test set by ${(error * 100).toFixed(1)} % (at most ${(options.maxTestError * 100).toFixed(1)} % allowed)`,
      );
    }
    return forecast;
  });

  // 4. Headroom: how far above the forecast the observed need went, minute by minute, turned into
  // the factor that covers a whole window's peak with the asked probability.
  const testTimes = timestamps.slice(trainPoints);
  const predictedNeed = testTimes.map((_, m) =>
    requiredReplicas(
      trainModel,
      testForecasts.map((f) => f[m] as number),
      options.target,
    ),
  );
  const ratios: number[] = [];
  for (const r of testRows) {
    const forecastNeed = predictedNeed[r.index - trainPoints] as number;
    if (forecastNeed > 0)
      ratios.push(observedNeed(trainModel, r.usage, r.replicas, options.target) / forecastNeed);
  }
  const windowsOfTest = new Map<number, number[]>();
  testTimes.forEach((t, m) => {
    const start = Math.floor(t / options.scalingFreqMs) * options.scalingFreqMs;
    windowsOfTest.set(start, [...(windowsOfTest.get(start) ?? []), predictedNeed[m] as number]);
  });
  const factors = [...windowsOfTest.values()].map((need) =>
    windowHeadroom(need, ratios, options.windowCoverage),
  );
  const headroom = factors.length > 0 ? Math.max(1, factors.reduce((a, b) => a + b, 0) / factors.length) : 1;
  report.headroom = round(headroom);

  // 5. The whole history, the horizon.
  const model = fitUsageModel(rows, names);
  report.usageModel = { ...model, base: round(model.base), costs: model.costs.map(round) };
  // Whole scaling windows covering the horizon, from the one holding the first forecast point.
  const origin = (timestamps[n - 1] as number) + stepMs;
  const firstWindow = Math.floor(origin / options.scalingFreqMs) * options.scalingFreqMs;
  const windowsEnd =
    firstWindow + Math.max(1, Math.ceil(options.horizonMs / options.scalingFreqMs)) * options.scalingFreqMs;
  const horizon = Math.max(1, Math.ceil((windowsEnd - origin) / stepMs));
  const forecasts = series.map(
    (s) => forecastTraffic(startMs, stepMs, s.values, horizon, options.timeDeltaHours).forecast,
  );
  const futureTimes = Array.from({ length: horizon }, (_, k) => origin + k * stepMs);
  const need = futureTimes.map(
    (_, k) =>
      headroom *
      requiredReplicas(
        model,
        forecasts.map((f) => f[k] as number),
        options.target,
      ),
  );
  const windows = windowMaxima(futureTimes, need, options.scalingFreqMs).map((w) => ({
    start: w.start,
    // A hair of tolerance so 3.0000000001 replicas stays 3.
    replicas: Math.max(1, Math.ceil(w.value - 1e-9)),
  }));
  const points = shiftIncreases(windows, options.scaleUpAheadMs);
  const timeSeries: Record<string, number> = {};
  for (const p of points) timeSeries[String(p.at)] = p.replicas;
  const lastWindow = windows[windows.length - 1] as { start: number };
  return { timeSeries, expireTime: rfc3339(lastWindow.start + options.scalingFreqMs), windows };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
