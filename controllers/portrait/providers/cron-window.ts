/**
 * The Cron portrait provider's decision: which cron window (if any) is active at a given time,
 * what it yields, and when the decision can next change.
 *
 * A cron describes the half-open window [start, end): it is active at t iff the next `start`
 * fire time after t is later than the next `end` fire time after t (we are past a start and
 * the matching end has not fired yet). At exactly an end fire time the window is already closed,
 * at exactly a start fire time it is already open.
 */
import { CronError, nextAfter, parseCron, validateTimeZone, type CronSchedule } from '../cron.js';

/** One entry of `spec.portraitProviders[].cron.crons` (or of a Cron HorizontalPortrait). */
export interface ReplicaCron {
  name: string;
  description?: string;
  /** IANA time zone; empty or missing means UTC. */
  timeZone?: string;
  start: string;
  end: string;
  replicas: number;
}

/** The value of the active cron. */
export interface CronWindowValue {
  /** Name of the active cron. */
  cron: string;
  replicas: number;
  /** The next end fire time: the value stops holding at this instant. */
  expireTime: Date;
}

/** The provider identifier a Cron provider's values carry (upstream uses the type name). */
export const CRON_PROVIDER = 'Cron';

/** A validated cron, ready for repeated evaluation (see `compileCrons`). */
export interface CompiledCron {
  readonly compiled: true;
  name: string;
  zone: string;
  start: CronSchedule;
  end: CronSchedule;
  replicas: number;
}

/**
 * Validates a cron list and prepares it for repeated evaluation.
 * @throws CronError for duplicate names, malformed expressions (prefixed with the cron name) and
 *   unknown time zones.
 */
export function compileCrons(crons: readonly ReplicaCron[]): CompiledCron[] {
  const seen = new Set<string>();
  return crons.map((cron) => {
    if (seen.has(cron.name)) throw new CronError(`duplicate cron name "${cron.name}"`);
    seen.add(cron.name);
    const inCron = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        throw new CronError(`cron "${cron.name}": ${(err as Error).message}`);
      }
    };
    return {
      compiled: true,
      name: cron.name,
      zone: inCron(() => validateTimeZone(cron.timeZone)),
      start: inCron(() => parseCron(cron.start)),
      end: inCron(() => parseCron(cron.end)),
      replicas: cron.replicas,
    };
  });
}

/** RFC 3339 in UTC, without milliseconds when they are zero (what `kubectl` users read). */
export function formatInstant(t: Date): string {
  return t.toISOString().replace('.000Z', 'Z');
}

function compiled(crons: readonly ReplicaCron[] | readonly CompiledCron[]): readonly CompiledCron[] {
  const first = crons[0];
  if (first === undefined || 'compiled' in first) return crons as readonly CompiledCron[];
  return compileCrons(crons as readonly ReplicaCron[]);
}

/**
 * The Cron provider's value at `t`: the replicas of the single active cron and the time its
 * window ends, or `undefined` outside every window.
 * @throws CronError when two or more crons are active at once
 *   (`crons "a" and "b" overlap at 2024-01-01T00:05:00Z`), or for invalid crons.
 */
export function cronWindowValue(
  crons: readonly ReplicaCron[] | readonly CompiledCron[],
  t: Date,
): CronWindowValue | undefined {
  const active: { cron: CompiledCron; expireTime: Date }[] = [];
  for (const cron of compiled(crons)) {
    const nextStart = nextAfter(cron.start, t, cron.zone);
    const nextEnd = nextAfter(cron.end, t, cron.zone);
    if (nextStart.getTime() > nextEnd.getTime()) active.push({ cron, expireTime: nextEnd });
  }
  if (active.length > 1) {
    const names = active.map((a) => `"${a.cron.name}"`);
    const listed = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw new CronError(`crons ${listed} overlap at ${formatInstant(t)}`);
  }
  const winner = active[0];
  if (winner === undefined) return undefined;
  return { cron: winner.cron.name, replicas: winner.cron.replicas, expireTime: winner.expireTime };
}

/**
 * The earliest start or end fire time strictly after `t` over all crons: the only instants at
 * which `cronWindowValue` can change, so a controller sets one timer for it instead of polling.
 * `undefined` for an empty list.
 */
export function nextCronWakeup(
  crons: readonly ReplicaCron[] | readonly CompiledCron[],
  t: Date,
): Date | undefined {
  let earliest: number | undefined;
  for (const cron of compiled(crons)) {
    for (const schedule of [cron.start, cron.end]) {
      const next = nextAfter(schedule, t, cron.zone).getTime();
      if (earliest === undefined || next < earliest) earliest = next;
    }
  }
  return earliest === undefined ? undefined : new Date(earliest);
}
