// Day-of-week levels (pure): when the history holds complete days of every weekday, traffic is
// divided by its weekday's level before forecasting and the forecast multiplied back, so a quiet
// weekend or a busy Monday is expected rather than learnt afresh each time. Days are local days:
// UTC shifted by `--re-time-delta-hours`.
//
// The levels come from the complete days' mean traffic, fitted as
//   log(mean of day d) = a + b·d + level(weekday of d)     (levels summing to zero)
// so that growth over the history is not mistaken for "later weekdays are busier". That takes at
// least eight complete days (seven levels, an intercept and a trend).

import { leastSquares } from './regression.js';

const DAY_MS = 86_400_000;
export const MIN_COMPLETE_DAYS = 8;

export interface WeekdayLevels {
  /** Multipliers indexed by local day number mod 7 (0 = Thursday, as 1970-01-01 was). */
  factors: number[];
}

/** Local day number of a unix-milliseconds time. */
export function localDay(ms: number, timeDeltaHours: number): number {
  return Math.floor((ms + timeDeltaHours * 3_600_000) / DAY_MS);
}

const weekdayOf = (day: number): number => ((day % 7) + 7) % 7;

/**
 * Levels of each weekday from `values` sampled every `stepMs` from `startMs`; a day is complete
 * with ≥ 90 % of its points. Undefined with fewer than eight complete days, a weekday missing,
 * non-positive traffic, or when every level is within `negligible` of 1.
 */
export function weekdayLevels(
  startMs: number,
  stepMs: number,
  values: readonly number[],
  timeDeltaHours: number,
  negligible = 0.05,
): WeekdayLevels | undefined {
  const perDay = new Map<number, { sum: number; count: number }>();
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const day = localDay(startMs + i * stepMs, timeDeltaHours);
    const entry = perDay.get(day) ?? { sum: 0, count: 0 };
    entry.sum += v;
    entry.count += 1;
    perDay.set(day, entry);
  });
  const expected = DAY_MS / stepMs;
  const days = [...perDay.entries()]
    .filter(([, e]) => e.count >= 0.9 * expected)
    .map(([day, e]) => ({ day, mean: e.sum / e.count }));
  if (days.length < MIN_COMPLETE_DAYS) return undefined;
  if (new Set(days.map((d) => weekdayOf(d.day))).size < 7) return undefined;
  if (days.some((d) => !(d.mean > 0))) return undefined;
  const first = Math.min(...days.map((d) => d.day));
  // Sum-to-zero coding: weekday 6's level is minus the sum of the others.
  const rows = days.map((d) => {
    const w = weekdayOf(d.day);
    return [1, d.day - first, ...Array.from({ length: 6 }, (_, j) => (w === j ? 1 : w === 6 ? -1 : 0))];
  });
  let coefficients: number[];
  try {
    coefficients = leastSquares(
      rows,
      days.map((d) => Math.log(d.mean)),
    );
  } catch {
    return undefined;
  }
  const levels = coefficients.slice(2);
  levels.push(-levels.reduce((a, b) => a + b, 0));
  const factors = levels.map((l) => Math.exp(l));
  if (factors.every((f) => Math.abs(f - 1) < negligible)) return undefined;
  return { factors };
}

export function levelAt(levels: WeekdayLevels | undefined, ms: number, timeDeltaHours: number): number {
  if (!levels) return 1;
  return levels.factors[weekdayOf(localDay(ms, timeDeltaHours))] ?? 1;
}
