// Pure glue between what the caches hold and what the engine reads: the attempt a status
// describes, whether the spec moved away from it, the workload mode, the size the rollout heads
// for (IHPA interplay), the engine's observation, and the workload a revision describes.
// No I/O, no clock.

import {
  BATCH_ROLLING_STATES,
  freshRolloutProgress,
  ROLLING_STATES,
  type RolloutObservation,
  type RolloutPlanResult,
  type RolloutPlanSpec,
  type RolloutProgress,
  type RolloutStepInput,
  type WorkloadCounts,
  type WorkloadMode,
} from '../engine/index.js';
import type { OwnerReference } from '../kit/objects.js';
import {
  COMPONENT_LABEL,
  APP_NAME_LABEL,
  IHPA_ANNOTATION,
  type BuildRequest,
  type RevisionWorkload,
  type Workload,
} from '../workloads/index.js';
import {
  ROLLOUT_API_VERSION,
  ROLLOUT_KIND,
  type ControllerRevision,
  type Rollout,
  type RolloutPlan,
  type RolloutStatus,
} from './types.js';

/** The engine's progress from a stored status; anything missing or unknown reads as fresh. */
export function progressOf(status: RolloutStatus | undefined): RolloutProgress {
  const fresh = freshRolloutProgress();
  if (!status) return fresh;
  const int = (value: number | undefined, fallback: number) =>
    typeof value === 'number' && Number.isInteger(value) ? value : fallback;
  return {
    rollingState: ROLLING_STATES.includes(status.rollingState as never)
      ? (status.rollingState as RolloutProgress['rollingState'])
      : fresh.rollingState,
    batchRollingState: BATCH_ROLLING_STATES.includes(status.batchRollingState as never)
      ? (status.batchRollingState as RolloutProgress['batchRollingState'])
      : fresh.batchRollingState,
    currentBatch: int(status.currentBatch, fresh.currentBatch),
    rolloutOriginalSize: int(status.rolloutOriginalSize, fresh.rolloutOriginalSize),
    rolloutTargetSize: int(status.rolloutTargetSize, fresh.rolloutTargetSize),
    upgradedReplicas: int(status.upgradedReplicas, fresh.upgradedReplicas),
    upgradedReadyReplicas: int(status.upgradedReadyReplicas, fresh.upgradedReadyReplicas),
  };
}

/** One attempt of a rollout: the revisions it moves between and the spec generation it started at. */
export interface Attempt {
  target: string;
  /** '' on a first release. Equal to `target` for a scale of the same revision. */
  source: string;
  generation: string;
}

export interface AttemptComparison {
  /** The attempt in the status, if one was recorded. */
  recorded?: Attempt;
  /** The spec names another target revision than the recorded attempt. */
  targetRevisionChanged: boolean;
  /** The spec changed since the recorded attempt started. */
  specChanged: boolean;
  /**
   * The attempt the rollout is in once this reconcile's plan runs: the recorded one, or the one a
   * restart begins (the engine restarts whenever the target revision changed). Its revisions pick
   * the mode; it is written to status when there was none or the engine restarts.
   */
  planned: Attempt;
}

export function generationOf(rollout: Rollout): string {
  return String(rollout.metadata.generation ?? 0);
}

/**
 * Compares the spec with the attempt recorded in status. `liveRevision`: the revision an in-place
 * workload runs now, the source of a first attempt when the workload already exists.
 */
export function compareAttempt(rollout: Rollout, status: RolloutStatus | undefined, liveRevision?: string) {
  const target = rollout.spec.targetRevisionName;
  const generation = generationOf(rollout);
  const recorded: Attempt | undefined = status?.lastTargetRevision
    ? {
        target: status.lastTargetRevision,
        source: status.LastSourceRevision ?? '',
        generation: status.targetGeneration ?? '',
      }
    : undefined;
  if (!recorded) {
    const planned = { target, source: liveRevision ?? '', generation };
    return { targetRevisionChanged: false, specChanged: false, planned } satisfies AttemptComparison;
  }
  const targetRevisionChanged = recorded.target !== target;
  const specChanged = recorded.generation !== generation;
  let planned: Attempt;
  if (targetRevisionChanged) {
    // A new revision: the revision of the attempt it replaces becomes the source.
    planned = { target, source: recorded.target, generation };
  } else if (status?.rollingState === 'rolloutSucceed') {
    // From a finished rollout only a scale can start (same revision, new size).
    planned = { target, source: target, generation };
  } else {
    // Retrying or resizing an unfinished attempt keeps its source: its upgrade is not done.
    planned = { ...recorded, generation };
  }
  return { recorded, targetRevisionChanged, specChanged, planned } satisfies AttemptComparison;
}

/**
 * How replicas move. In-place kinds upgrade in place when the attempt changes revision and only
 * scale otherwise; per-revision kinds move replicas across workloads whenever another workload of
 * the component still runs, and only scale the target otherwise (first release, same revision).
 */
export function workloadMode(inPlace: boolean, attempt: Attempt, sourceCount: number): WorkloadMode {
  if (inPlace) return attempt.source !== '' && attempt.source !== attempt.target ? 'inPlace' : 'scaleOnly';
  return sourceCount > 0 ? 'acrossWorkloads' : 'scaleOnly';
}

export function carriesIhpa(workload: Workload): boolean {
  return Boolean(workload.metadata.annotations?.[IHPA_ANNOTATION]);
}

export interface TargetSizeInput {
  specTargetSize: number | undefined;
  progress: RolloutProgress;
  targetRevisionChanged: boolean;
  specChanged: boolean;
  /**
   * A workload this attempt (or the one a new revision starts) moves replicas away from carries
   * the IHPA's annotation. Always false for a first release or a scale of the same revision.
   */
  ihpaScaledSource: boolean;
  /** Replicas the component's workloads want now (sources and target together). */
  currentSize: number;
}

/**
 * The targetSize handed to the engine (CONTRACTS.md, IHPA interplay):
 * - a finished rollout whose spec did not change keeps its size: after rolloutSucceed the IHPA
 *   owns replicas, and nothing here re-scales them;
 * - a new revision whose source an IHPA scaled starts from the current size (the IHPA's value)
 *   and keeps that size for the whole attempt, whatever the spec says;
 * - otherwise the spec's targetSize (the current size when it names none).
 */
export function effectiveTargetSize(input: TargetSizeInput): number {
  const { progress } = input;
  const verified = progress.rolloutTargetSize >= 0;
  const finished = progress.rollingState === 'rolloutSucceed' || progress.rollingState === 'rolloutFailed';
  if (finished && verified && !input.targetRevisionChanged && !input.specChanged) {
    return progress.rolloutTargetSize;
  }
  if (input.ihpaScaledSource) {
    if (input.targetRevisionChanged || !verified) return input.currentSize;
    if (!finished) return progress.rolloutTargetSize;
  }
  return input.specTargetSize ?? input.currentSize;
}

/** The plan as the engine reads it, with the size decided above. */
export function enginePlan(plan: RolloutPlan, targetSize: number): RolloutPlanSpec {
  return {
    rolloutStrategy: plan.rolloutStrategy,
    targetSize,
    numBatches: plan.numBatches,
    rolloutBatches: plan.rolloutBatches,
    batchPartition: plan.batchPartition,
    paused: plan.paused,
    rolloutWebhooks: plan.rolloutWebhooks,
  };
}

export function observation(
  mode: WorkloadMode,
  target: WorkloadCounts | undefined,
  sources: readonly WorkloadCounts[],
): RolloutObservation {
  return mode === 'acrossWorkloads' ? { mode, target, sources } : { mode, target };
}

/** A workload of the component that a Rollout with `uid` owns. */
export function ownedBy(workload: Workload, uid: string | undefined): boolean {
  return (
    uid !== undefined &&
    (workload.metadata.ownerReferences ?? []).some((ref) => ref.kind === ROLLOUT_KIND && ref.uid === uid)
  );
}

/**
 * The workloads replicas move away from, in drain order: every other Deployment of the component
 * the Rollout owns (so a Deployment left by an abandoned attempt is drained too, never orphaned),
 * oldest first.
 */
export function sourceWorkloads(
  candidates: readonly Workload[],
  rollout: Rollout,
  targetName: string,
): Workload[] {
  const component = rollout.spec.componentName;
  return candidates
    .filter((workload) => workload.metadata.name !== targetName)
    .filter((workload) => workload.metadata.labels?.[COMPONENT_LABEL] === component)
    .filter((workload) => ownedBy(workload, rollout.metadata.uid))
    .filter((workload) => !workload.metadata.deletionTimestamp)
    .sort((a, b) => {
      const byAge = String(a.metadata.creationTimestamp ?? '').localeCompare(
        String(b.metadata.creationTimestamp ?? ''),
      );
      return byAge !== 0 ? byAge : a.metadata.name.localeCompare(b.metadata.name);
    });
}

/** The ownerReference every workload of a Rollout carries (not the controller: GC only). */
export function ownerReferenceTo(rollout: Rollout): OwnerReference {
  return {
    apiVersion: ROLLOUT_API_VERSION,
    kind: ROLLOUT_KIND,
    name: rollout.metadata.name,
    uid: rollout.metadata.uid ?? '',
    controller: false,
    blockOwnerDeletion: true,
  };
}

export type RevisionDataResult = { ok: true; data: RevisionWorkload } | { ok: false; message: string };

/** The rendered workload in a ControllerRevision's `data`. */
export function revisionWorkload(revision: ControllerRevision): RevisionDataResult {
  let data: unknown = revision.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { ok: false, message: `ControllerRevision ${revision.metadata.name} has data that is not JSON` };
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, message: `ControllerRevision ${revision.metadata.name} has no workload in its data` };
  }
  const workload = data as Partial<RevisionWorkload>;
  if (typeof workload.apiVersion !== 'string' || typeof workload.kind !== 'string') {
    return {
      ok: false,
      message: `ControllerRevision ${revision.metadata.name} data names no apiVersion and kind`,
    };
  }
  return { ok: true, data: workload as RevisionWorkload };
}

/** What the adapter builds the workload of `revisionName` from. */
export function buildRequest(
  rollout: Rollout,
  data: RevisionWorkload,
  name: string,
  revisionName: string,
  replicas: number,
): BuildRequest {
  return {
    data,
    name,
    namespace: rollout.metadata.namespace,
    revision: revisionName,
    component: rollout.spec.componentName,
    appName: rollout.metadata.labels?.[APP_NAME_LABEL] ?? data.metadata?.labels?.[APP_NAME_LABEL],
    owner: ownerReferenceTo(rollout),
    replicas,
  };
}

/** A workload as the decision below sees it. */
export interface ObservedWorkload {
  counts: WorkloadCounts;
  /** The revision its template came from (`app.oam.dev/revision`). */
  revision?: string;
  /** An IHPA scaled it. */
  ihpa: boolean;
  /** The cache does not hold our last write to it yet. */
  behind?: boolean;
}

export interface DecisionInput {
  rollout: Rollout;
  /** The workload kind is upgraded in place (CloneSet, StatefulSet). */
  inPlace: boolean;
  target?: ObservedWorkload;
  /** Per-revision kinds: the other workloads of the component the Rollout owns, in drain order. */
  sources: readonly ObservedWorkload[];
}

export interface Decision {
  comparison: AttemptComparison;
  mode: WorkloadMode;
  /** What to plan with. */
  input: RolloutStepInput;
  /**
   * In place only: the target revision's template must go on the workload (with every pod held by
   * a partition of `hold`) before the engine plans, so that no batch lowers the partition while
   * the old template is still there.
   */
  templateFirst?: { revision: string; hold: number };
}

const UNDER_WAY_STATES: ReadonlySet<string> = new Set(['initializing', 'rollingInBatches', 'finalising']);

/** Everything the engine needs for one reconcile, from what the caches show. */
export function decide({ rollout, inPlace, target, sources }: DecisionInput): Decision {
  const status = rollout.status;
  const progress = progressOf(status);
  const comparison = compareAttempt(rollout, status, inPlace ? target?.revision : undefined);
  const mode = workloadMode(inPlace, comparison.planned, sources.length);
  const ihpaScaledSource =
    mode === 'inPlace'
      ? target?.ihpa === true
      : mode === 'acrossWorkloads' && sources.some((source) => source.ihpa);
  const targetSize = effectiveTargetSize({
    specTargetSize: rollout.spec.rolloutPlan.targetSize,
    progress,
    targetRevisionChanged: comparison.targetRevisionChanged,
    specChanged: comparison.specChanged,
    ihpaScaledSource,
    currentSize: [target, ...sources].reduce((sum, w) => sum + (w?.counts.desired ?? 0), 0),
  });
  const input: RolloutStepInput = {
    plan: enginePlan(rollout.spec.rolloutPlan, targetSize),
    status: progress,
    observed: observation(
      mode,
      target?.counts,
      sources.map((source) => source.counts),
    ),
    targetRevisionChanged: comparison.targetRevisionChanged,
    specChanged: comparison.specChanged,
  };
  const templateDue =
    mode === 'inPlace' &&
    target !== undefined &&
    !target.behind &&
    !comparison.targetRevisionChanged &&
    UNDER_WAY_STATES.has(progress.rollingState) &&
    targetSize === progress.rolloutTargetSize &&
    target.revision !== comparison.planned.target;
  return {
    comparison,
    mode,
    input,
    ...(templateDue
      ? {
          templateFirst: {
            revision: comparison.planned.target,
            hold: Math.max(target.counts.desired, progress.rolloutTargetSize),
          },
        }
      : {}),
  };
}

/**
 * The attempt to record with the plan's status: the planned one when there was none or the plan
 * restarted, else the recorded one. A finished attempt takes the current generation: it is judged
 * against the spec as it is now, so only a later edit retries (or re-scales) it.
 */
export function attemptAfter(
  comparison: AttemptComparison,
  result: Pick<RolloutPlanResult, 'restart' | 'status'>,
  generation: string,
): Attempt {
  const attempt = !comparison.recorded || result.restart ? comparison.planned : comparison.recorded;
  const finished =
    result.status.rollingState === 'rolloutSucceed' || result.status.rollingState === 'rolloutFailed';
  return finished ? { ...attempt, generation } : attempt;
}
