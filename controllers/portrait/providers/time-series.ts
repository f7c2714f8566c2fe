/**
 * TimeSeries portraits (what a predictive algorithm job writes into a HorizontalPortrait): each
 * point holds from its timestamp until the next point's timestamp; the last point holds until the
 * portrait's expireTime (or indefinitely when there is none).
 */
import { PortraitError } from '../types.js';

export interface TimeSeriesPoint {
  /** Unix time in seconds. */
  timestamp: number;
  replicas: number;
}

export interface TimeSeriesPortrait {
  timeSeries: readonly TimeSeriesPoint[];
  /** No value holds at or after this instant. */
  expireTime?: Date;
}

export interface TimeSeriesValue {
  replicas: number;
  /** When this value stops holding: the next point's time or the portrait's expireTime, whichever first. */
  expireTime?: Date;
}

/**
 * Points in time order. Points sharing a timestamp collapse into the one listed last, so a
 * writer can append a correction without rewriting the series.
 */
function orderedPoints(series: readonly TimeSeriesPoint[]): TimeSeriesPoint[] {
  const byTimestamp = new Map<number, TimeSeriesPoint>();
  for (const point of series) {
    if (!Number.isFinite(point.timestamp)) {
      throw new PortraitError(`time series point has an invalid timestamp ${point.timestamp}`);
    }
    byTimestamp.set(point.timestamp, point);
  }
  return [...byTimestamp.values()].sort((a, b) => a.timestamp - b.timestamp);
}

function isExpired(portrait: TimeSeriesPortrait, tMs: number): boolean {
  return portrait.expireTime !== undefined && tMs >= portrait.expireTime.getTime();
}

/**
 * The value of a TimeSeries portrait at `t`: the replicas of the latest point whose timestamp is
 * not after `t`. `undefined` before the first point, at or after expireTime, for an empty series,
 * and when the holding point has zero replicas (a zero in a series means "no opinion", so lower
 * priority providers decide — the same reading upstream gives it).
 */
export function timeSeriesValueAt(portrait: TimeSeriesPortrait, t: Date): TimeSeriesValue | undefined {
  const tMs = t.getTime();
  if (isExpired(portrait, tMs)) return undefined;
  const points = orderedPoints(portrait.timeSeries);
  let holding = -1;
  for (let i = 0; i < points.length; i++) {
    if ((points[i] as TimeSeriesPoint).timestamp * 1000 <= tMs) holding = i;
    else break;
  }
  const point = points[holding];
  if (point === undefined || point.replicas <= 0) return undefined;

  const next = points[holding + 1];
  let expireMs = portrait.expireTime?.getTime();
  if (next !== undefined && (expireMs === undefined || next.timestamp * 1000 < expireMs)) {
    expireMs = next.timestamp * 1000;
  }
  return expireMs === undefined
    ? { replicas: point.replicas }
    : { replicas: point.replicas, expireTime: new Date(expireMs) };
}

/**
 * The first instant strictly after `t` at which `timeSeriesValueAt` can change: the next point's
 * timestamp or the expireTime, whichever comes first. `undefined` once nothing can change any more.
 */
export function nextTimeSeriesChange(portrait: TimeSeriesPortrait, t: Date): Date | undefined {
  const tMs = t.getTime();
  if (isExpired(portrait, tMs)) return undefined;
  let earliest = portrait.expireTime?.getTime();
  for (const point of orderedPoints(portrait.timeSeries)) {
    const at = point.timestamp * 1000;
    if (at > tMs) {
      if (earliest === undefined || at < earliest) earliest = at;
      break;
    }
  }
  return earliest === undefined ? undefined : new Date(earliest);
}
