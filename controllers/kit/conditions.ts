// Status conditions (metav1.Condition shape) and the one path every reconciler reports an error
// through: a condition the user sees in status, a Warning Event, and a log line.

import type { EventRecorder } from './events.js';
import { errorMessage, type Logger } from './log.js';
import { formatTime, type KubeObject } from './objects.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  /** Changes only when `status` changes. */
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * `conditions` with `update` merged in (pure; the input is not modified). A condition of the same
 * type is replaced in place, keeping its lastTransitionTime unless the status changed; a new type
 * is appended with lastTransitionTime = `now`. Returns the input array itself when nothing
 * changed, so callers can skip a status write by identity.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const current = conditions ?? [];
  const index = current.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? current[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.reason !== undefined ? { reason: update.reason } : {}),
    ...(update.message !== undefined ? { message: update.message } : {}),
    lastTransitionTime:
      existing && existing.status === update.status && existing.lastTransitionTime
        ? existing.lastTransitionTime
        : formatTime(now),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (existing && sameCondition(existing, next)) return current as Condition[];
  if (index < 0) return [...current, next];
  return current.map((c, i) => (i === index ? next : c));
}

/** `conditions` without the condition of `type` (the input itself when it had none). */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  const current = (conditions ?? []) as Condition[];
  return current.some((c) => c.type === type) ? current.filter((c) => c.type !== type) : current;
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime === b.lastTransitionTime &&
    a.observedGeneration === b.observedGeneration
  );
}

export interface ErrorReport {
  /** The object the error is about (gets the Event; its generation is observed). */
  object: KubeObject;
  error: unknown;
  /** CamelCase reason for the condition and the Event, e.g. `ReconcileError`. */
  reason: string;
  /** The condition set to False, e.g. `Ready` or `Synced`. */
  conditionType: string;
  /** The object's current conditions. */
  conditions: readonly Condition[] | undefined;
  now: Date;
  recorder: EventRecorder;
  logger: Logger;
}

/**
 * The one error path: logs the error, records a Warning Event on the object and returns the
 * conditions with `conditionType` set to False carrying the same reason and message, for the
 * caller to write with its status. The Event is awaited (it never rejects).
 */
export async function reportError(report: ErrorReport): Promise<Condition[]> {
  const message = errorMessage(report.error);
  report.logger.error(message, { reason: report.reason, condition: report.conditionType });
  await report.recorder.warning(report.object, report.reason, message);
  return setCondition(
    report.conditions,
    {
      type: report.conditionType,
      status: 'False',
      reason: report.reason,
      message,
      observedGeneration: report.object.metadata?.generation,
    },
    report.now,
  );
}
