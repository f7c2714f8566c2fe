/**
 * The Dynamic provider's reading of a HorizontalPortrait's `status.portraitData` (Static, Cron or
 * TimeSeries) at a given time, plus the instant at which that reading can next change.
 */
import { cronWindowValue, nextCronWakeup, type ReplicaCron } from './cron-window.js';
import { nextTimeSeriesChange, timeSeriesValueAt, type TimeSeriesPoint } from './time-series.js';
import { PortraitError, type PortraitValue } from '../types.js';

/** `status.portraitData` of a HorizontalPortrait. */
export interface HorizontalPortraitData {
  type: 'Static' | 'Cron' | 'TimeSeries';
  static?: { replicas: number };
  cron?: { crons: readonly ReplicaCron[] };
  timeSeries?: { timeSeries: readonly TimeSeriesPoint[] };
  /** The whole portrait stops holding at this instant. */
  expireTime?: Date;
}

export interface PortraitDataReading {
  /** The value at `t`, or undefined when the portrait yields nothing now. */
  value?: PortraitValue;
  /** The first instant after `t` at which the reading can change (set a timer for it). */
  wakeup?: Date;
}

function earlier(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/**
 * Reads `data` at `t` on behalf of `provider` (the identifier the value will carry, e.g.
 * `Dynamic-Predictive`). Expired data and zero replicas yield no value.
 * @throws PortraitError for an unknown type or a type whose section is missing; CronError for
 *   invalid or overlapping crons.
 */
export function portraitDataValueAt(
  provider: string,
  data: HorizontalPortraitData,
  t: Date,
): PortraitDataReading {
  const tMs = t.getTime();
  const dataExpiry = data.expireTime;
  if (dataExpiry !== undefined && tMs >= dataExpiry.getTime()) return {};

  let replicas = 0;
  let expireTime = dataExpiry;
  let wakeup: Date | undefined;
  switch (data.type) {
    case 'Static': {
      if (data.static === undefined)
        throw new PortraitError('portrait data of type Static has no static section');
      replicas = data.static.replicas;
      break;
    }
    case 'Cron': {
      if (data.cron === undefined) throw new PortraitError('portrait data of type Cron has no cron section');
      const active = cronWindowValue(data.cron.crons, t);
      if (active !== undefined) {
        replicas = active.replicas;
        expireTime = earlier(active.expireTime, expireTime);
      }
      wakeup = nextCronWakeup(data.cron.crons, t);
      break;
    }
    case 'TimeSeries': {
      if (data.timeSeries === undefined) {
        throw new PortraitError('portrait data of type TimeSeries has no timeSeries section');
      }
      const series = { timeSeries: data.timeSeries.timeSeries, expireTime: dataExpiry };
      const value = timeSeriesValueAt(series, t);
      if (value !== undefined) {
        replicas = value.replicas;
        expireTime = value.expireTime;
      }
      wakeup = nextTimeSeriesChange(series, t);
      break;
    }
    default:
      throw new PortraitError(
        `unknown horizontal portrait data type "${String((data as { type: unknown }).type)}"`,
      );
  }

  wakeup = earlier(wakeup, dataExpiry);
  const reading: PortraitDataReading = {};
  if (wakeup !== undefined) reading.wakeup = wakeup;
  if (replicas > 0) {
    reading.value = expireTime === undefined ? { provider, replicas } : { provider, replicas, expireTime };
  }
  return reading;
}
