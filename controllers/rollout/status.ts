// Pure: the Rollout status the reconciler writes (the engine's progress, the attempt record, the
// Ready condition), the Events a plan's transitions produce, and the annotations the Rollout
// carries about its workload.

import type { RolloutObservation, RolloutPlanResult, RolloutProgress } from '../engine/index.js';
import { findCondition, setCondition, type Condition } from '../kit/conditions.js';
import type { EventType } from '../kit/events.js';
import type { WorkloadAdapter } from '../workloads/index.js';
import type { Attempt } from './plan-input.js';
import { WORKLOAD_GVK_ANNOTATION, WORKLOAD_NAME_ANNOTATION, type RolloutStatus } from './types.js';

/** The one condition a Rollout carries: True once the rollout succeeded, else why not. */
export const READY_CONDITION = 'Ready';

/** Reasons that describe something wrong (Warning Events). */
const WARNING_REASONS: ReadonlySet<string> = new Set([
  'SpecInvalid',
  'TargetLost',
  'RolloutFailing',
  'RolloutFailed',
  'WebhookFailed',
  'TargetRevisionNotFound',
  'InvalidRevision',
  'UnsupportedWorkload',
  'WorkloadRejected',
  'ReplicasRestored',
  'PartitionRestored',
]);

/** Holds worth an Event when the rollout first meets them (transitions have their own). */
const NOTABLE_HOLDS: ReadonlySet<string> = new Set(['HeldByBatchPartition', 'Paused', 'SpecInvalid']);

export function eventTypeFor(reason: string): EventType {
  return WARNING_REASONS.has(reason) ? 'Warning' : 'Normal';
}

export interface ConditionOverride {
  reason: string;
  message: string;
}

/**
 * The Ready condition after a plan. A failure keeps saying why it failed: the message of the step
 * that entered rolloutFailing, not the generic "rollout failed" of the steps after it.
 */
export function readyCondition(
  previous: readonly Condition[] | undefined,
  result: Pick<RolloutPlanResult, 'status' | 'reason' | 'message' | 'transitions'>,
  now: Date,
  observedGeneration: number | undefined,
  override?: ConditionOverride,
): Condition[] {
  const set = (status: 'True' | 'False', reason: string, message: string) =>
    setCondition(
      previous,
      { type: READY_CONDITION, status, reason, message: message || reason, observedGeneration },
      now,
    );
  if (override) return set('False', override.reason, override.message);
  const state = result.status.rollingState;
  if (state === 'rolloutSucceed') return set('True', 'RolloutSucceeded', result.message);
  if (state === 'rolloutFailing' || state === 'rolloutFailed') {
    const transitions = result.transitions;
    const causeIndex = transitions.findIndex(
      (_, index) => transitions[index + 1]?.from.rollingState === 'rolloutFailing',
    );
    const cause = causeIndex >= 0 ? transitions[causeIndex] : undefined;
    if (cause) return set('False', cause.reason, cause.message);
    const existing = findCondition(previous, READY_CONDITION);
    // Already failed in an earlier reconcile: the condition still names the cause.
    if (existing?.status === 'False' && existing.message) return [...(previous ?? [])];
    return set('False', 'RolloutFailed', result.message);
  }
  return set('False', result.reason, result.message);
}

/** The full status this controller owns (written with server-side apply, so it is always whole). */
export function rolloutStatus(
  progress: RolloutProgress,
  attempt: Attempt | undefined,
  conditions: Condition[],
  previous: RolloutStatus | undefined,
): RolloutStatus {
  const succeeded = progress.rollingState === 'rolloutSucceed';
  const template = succeeded && attempt ? attempt.target : previous?.lastAppliedPodTemplateIdentifier;
  return {
    rollingState: progress.rollingState,
    batchRollingState: progress.batchRollingState,
    currentBatch: progress.currentBatch,
    rolloutOriginalSize: progress.rolloutOriginalSize,
    rolloutTargetSize: progress.rolloutTargetSize,
    upgradedReplicas: progress.upgradedReplicas,
    upgradedReadyReplicas: progress.upgradedReadyReplicas,
    // No attempt yet (e.g. the target revision does not exist): nothing to record.
    ...(attempt
      ? {
          lastTargetRevision: attempt.target,
          LastSourceRevision: attempt.source,
          targetGeneration: attempt.generation,
        }
      : {}),
    ...(template ? { lastAppliedPodTemplateIdentifier: template } : {}),
    conditions,
  };
}

export interface RolloutEvent {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * One Event per transition, plus one when the rollout starts holding for a reason worth telling
 * (a batchPartition, a pause, an invalid plan) that differs from what the condition said before.
 */
export function eventsFor(
  result: Pick<RolloutPlanResult, 'reason' | 'message' | 'transitions'>,
  previousReason: string | undefined,
): RolloutEvent[] {
  const events = result.transitions.map((t) => ({
    type: eventTypeFor(t.reason),
    reason: t.reason,
    message: t.message,
  }));
  if (NOTABLE_HOLDS.has(result.reason) && result.reason !== previousReason) {
    events.push({ type: eventTypeFor(result.reason), reason: result.reason, message: result.message });
  }
  return events;
}

/**
 * Events for levels set again without the rollout moving on. A plan that takes no transition only
 * writes a workload whose replicas or partition differ from the level the current batch already
 * set, which means something outside the rollout (a person's `kubectl scale`, another controller)
 * changed it: say which workload, what it had, and what it was set back to.
 */
export function correctionEvents(
  result: Pick<RolloutPlanResult, 'actions' | 'transitions'>,
  observed: RolloutObservation,
  kind: string,
): RolloutEvent[] {
  if (result.transitions.length > 0) return [];
  const workloads = [observed.target, ...(observed.sources ?? [])];
  const find = (name: string) => workloads.find((w) => w?.name === name);
  return result.actions.flatMap((action): RolloutEvent[] => {
    if (action.type === 'setReplicas') {
      const seen = find(action.workload);
      if (!seen) return [];
      return [
        {
          type: eventTypeFor('ReplicasRestored'),
          reason: 'ReplicasRestored',
          message: `${kind} ${action.workload} had ${seen.desired} replicas, set outside the rollout; set back to ${action.replicas} as the current batch requires`,
        },
      ];
    }
    if (action.type === 'setPartition') {
      const seen = find(action.workload);
      if (!seen) return [];
      return [
        {
          type: eventTypeFor('PartitionRestored'),
          reason: 'PartitionRestored',
          message: `${kind} ${action.workload} had partition ${seen.partition ?? 0}, set outside the rollout; set back to ${action.partition} as the current batch requires`,
        },
      ];
    }
    return [];
  });
}

/** `trait.oam.dev/workload-name` and `trait.oam.dev/workload-gvk` (upstream's keys and format). */
export function workloadAnnotations(adapter: WorkloadAdapter, workloadName: string): Record<string, string> {
  return {
    [WORKLOAD_NAME_ANNOTATION]: workloadName,
    [WORKLOAD_GVK_ANNOTATION]: JSON.stringify({ apiVersion: adapter.apiVersion, kind: adapter.kind }),
  };
}
