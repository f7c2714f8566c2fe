// What the ReplicaProfile controller does to the pods and the workload, as one pure function: given
// the workload's pods and the profile's online / cutoff / standby counts, which pod goes to which
// state, which labels, conditions and annotations change, and what the workload is scaled to.
//
// The choice follows the workload's own scale-down order (controllers/workloads/pod-ranking.ts):
// with R = online + cutoff + standby, the pods beyond R in that order are the ones the workload
// will remove when scaled to R, so they are left alone; of the R pods kept, the ones the workload
// would remove next are put in the gray states and the rest serve. A scale-down after the gray
// therefore removes exactly the pods that were cut off (StatefulSet: the highest ordinals; other
// workloads: gray pods are not ready and carry the lowest deletion cost, so they rank first).
// Bringing the count back up turns gray pods online before any new pod is created.
//
// One workload needs a hand: a StatefulSet with OrderedReady pod management scales down only
// while at most one of the pods it removes is not Ready, and gray pods are not Ready by design
// (their online condition is False). Its gray pods above the new size are therefore deleted by
// the controller, highest ordinal first, once the StatefulSet's replicas exclude them; the
// StatefulSet does not recreate pods above its replicas.

import {
  POD_DELETION_COST_ANNOTATION,
  podOrdinal,
  rankPodsForScaleDown,
  type RankablePod,
} from '../workloads/pod-ranking.js';
import {
  ONLINE_CONDITION,
  POD_STATE_LABEL,
  type AllowedScalingDirection,
  type PodState,
  type ReplicaCounts,
} from '../ihpa/types.js';

/** The deletion cost given to gray pods of Deployments, ReplicaSets and CloneSets (int32 minimum). */
export const GRAY_POD_DELETION_COST = '-2147483648';
/**
 * Remembers a gray pod's own deletion cost ('' when it had none), so that it gets it back when it
 * comes online again.
 */
export const SAVED_DELETION_COST_ANNOTATION = 'kapacitystack.io/saved-pod-deletion-cost';

export interface ProfilePod extends RankablePod {
  spec?: RankablePod['spec'] & { readinessGates?: { conditionType: string }[] };
}

export interface PodChange {
  name: string;
  state: PodState;
  /** New value of the pod-state label; null removes it; undefined leaves it. */
  label?: string | null;
  /** New status of the `kapacitystack.io/online` condition; undefined leaves it. */
  onlineCondition?: 'True' | 'False';
  /** Annotation changes (null removes); undefined leaves them. */
  annotations?: Record<string, string | null>;
}

export interface PodStatePlanInput {
  pods: readonly ProfilePod[];
  /** scaleTargetRef.kind. */
  kind: string;
  desired: ReplicaCounts;
  /** spec.replicas of the workload now (its scale subresource). */
  workloadReplicas: number;
  allowedScalingDirection?: AllowedScalingDirection;
}

export interface PodStatePlan {
  /** Pods whose label, condition or annotations change, in the order they are to be patched. */
  changes: PodChange[];
  /** spec.replicas the workload should have (equal to workloadReplicas: leave it). */
  replicas: number;
  /**
   * Pod states were not changed because the workload is between sizes (its pods do not match its
   * replicas yet); they are changed once it settles.
   */
  stateChangeSkipped: boolean;
  /** The pods' states once the changes are made (pods being deleted are not counted). */
  counts: ReplicaCounts;
  /**
   * StatefulSet pods to delete once the workload is scaled to `replicas`: gray pods at or above
   * that ordinal, highest first (see above).
   */
  deletions: string[];
}

/** Whether a pod still counts: not being deleted and not finished. */
export function isActivePod(pod: ProfilePod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The state a pod is in: its label, with no label (or an unknown value) meaning Online. */
export function podState(pod: ProfilePod): PodState {
  const label = pod.metadata?.labels?.[POD_STATE_LABEL];
  return label === 'Cutoff' || label === 'Standby' ? label : 'Online';
}

function onlineConditionOf(pod: ProfilePod): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === ONLINE_CONDITION)?.status;
}

function hasOnlineGate(pod: ProfilePod): boolean {
  return (pod.spec?.readinessGates ?? []).some((gate) => gate.conditionType === ONLINE_CONDITION);
}

/** The changes that put `pod` in `state` (undefined when it already is). */
export function changeFor(pod: ProfilePod, state: PodState, useDeletionCost: boolean): PodChange | undefined {
  const change: PodChange = { name: pod.metadata?.name ?? '', state };
  const label = pod.metadata?.labels?.[POD_STATE_LABEL];
  // Pods that were never taken offline carry no label (as upstream shows them); pods that come
  // back are labelled Online.
  const wantedLabel = state === 'Online' ? (label === undefined ? undefined : 'Online') : state;
  if (wantedLabel !== undefined && wantedLabel !== label) change.label = wantedLabel;

  const condition = onlineConditionOf(pod);
  if (state === 'Online') {
    if (condition !== undefined ? condition !== 'True' : hasOnlineGate(pod)) change.onlineCondition = 'True';
  } else if (condition !== 'False') {
    change.onlineCondition = 'False';
  }

  if (useDeletionCost) {
    const annotations = pod.metadata?.annotations ?? {};
    const saved = annotations[SAVED_DELETION_COST_ANNOTATION];
    const cost = annotations[POD_DELETION_COST_ANNOTATION];
    if (state === 'Online') {
      if (saved !== undefined) {
        change.annotations = {
          [POD_DELETION_COST_ANNOTATION]: saved === '' ? null : saved,
          [SAVED_DELETION_COST_ANNOTATION]: null,
        };
      }
    } else if (cost !== GRAY_POD_DELETION_COST) {
      change.annotations = {
        [POD_DELETION_COST_ANNOTATION]: GRAY_POD_DELETION_COST,
        ...(saved === undefined ? { [SAVED_DELETION_COST_ANNOTATION]: cost ?? '' } : {}),
      };
    }
  }

  return change.label !== undefined ||
    change.onlineCondition !== undefined ||
    change.annotations !== undefined
    ? change
    : undefined;
}

function count(states: readonly PodState[]): ReplicaCounts {
  return {
    online: states.filter((s) => s === 'Online').length,
    cutoff: states.filter((s) => s === 'Cutoff').length,
    standby: states.filter((s) => s === 'Standby').length,
  };
}

/** The replicas to set, within the allowed scaling direction. */
export function allowedReplicas(
  desired: number,
  current: number,
  direction: AllowedScalingDirection = 'Both',
): number {
  if (desired > current && direction !== 'Both' && direction !== 'Up') return current;
  if (desired < current && direction !== 'Both' && direction !== 'Down') return current;
  return desired;
}

/**
 * Assigns states to the kept pods: the pods the workload would remove next take the gray states,
 * pods already in a gray state keeping theirs where the counts allow; the rest are online.
 */
function assignStates(kept: readonly ProfilePod[], desired: ReplicaCounts): PodState[] {
  const onlineCount = Math.min(desired.online, kept.length);
  const grayPods = kept.length - onlineCount;
  const states: PodState[] = kept.map((_, i) => (i < grayPods ? 'Cutoff' : 'Online'));
  let cutoffLeft = desired.cutoff;
  let standbyLeft = desired.standby;
  const open: number[] = [];
  for (let i = 0; i < grayPods; i++) {
    const current = podState(kept[i] as ProfilePod);
    if (current === 'Standby' && standbyLeft > 0) {
      states[i] = 'Standby';
      standbyLeft--;
    } else if (current === 'Cutoff' && cutoffLeft > 0) {
      states[i] = 'Cutoff';
      cutoffLeft--;
    } else {
      open.push(i);
    }
  }
  for (const i of open) {
    if (cutoffLeft > 0) {
      states[i] = 'Cutoff';
      cutoffLeft--;
    } else if (standbyLeft > 0) {
      states[i] = 'Standby';
      standbyLeft--;
    } else {
      // More pods than online + cutoff + standby can happen only when some are being removed.
      states[i] = 'Online';
    }
  }
  return states;
}

/** Gray StatefulSet pods with an ordinal at or above `replicas`, highest first. */
function grayStatefulSetPodsAbove(active: readonly ProfilePod[], replicas: number): string[] {
  return rankPodsForScaleDown(active, 'StatefulSet')
    .filter((pod) => (podOrdinal(pod) ?? -1) >= replicas && podState(pod) !== 'Online')
    .map((pod) => pod.metadata?.name ?? '');
}

export function planPodStates(input: PodStatePlanInput): PodStatePlan {
  const active = input.pods.filter(isActivePod);
  const desired = input.desired;
  const total = desired.online + desired.cutoff + desired.standby;
  const replicas = allowedReplicas(total, input.workloadReplicas, input.allowedScalingDirection);
  const useDeletionCost = input.kind !== 'StatefulSet';
  const deletions = input.kind === 'StatefulSet' ? grayStatefulSetPodsAbove(active, replicas) : [];

  // Between sizes the pod list does not say which pods the workload keeps: only fresh pods are
  // let into traffic (a gate nobody set would keep them out), the rest waits for the next look.
  if (active.length !== input.workloadReplicas) {
    const changes: PodChange[] = [];
    for (const pod of active) {
      if (podState(pod) === 'Online' && onlineConditionOf(pod) === undefined && hasOnlineGate(pod)) {
        const change = changeFor(pod, 'Online', useDeletionCost);
        if (change) changes.push(change);
      }
    }
    const states = active.map(podState);
    const needsStates =
      desired.cutoff > 0 || desired.standby > 0 || states.some((state) => state !== 'Online');
    return { changes, replicas, stateChangeSkipped: needsStates, counts: count(states), deletions };
  }

  const ranked = rankPodsForScaleDown(active, input.kind);
  const removed = Math.max(0, ranked.length - replicas);
  const kept = ranked.slice(removed);
  const keptStates = assignStates(kept, desired);
  const changes: PodChange[] = [];
  // Pods come online before others go gray, so serving capacity never dips on the way.
  kept.forEach((pod, i) => {
    const state = keptStates[i] as PodState;
    if (state !== 'Online') return;
    const change = changeFor(pod, state, useDeletionCost);
    if (change) changes.push(change);
  });
  kept.forEach((pod, i) => {
    const state = keptStates[i] as PodState;
    if (state === 'Online') return;
    const change = changeFor(pod, state, useDeletionCost);
    if (change) changes.push(change);
  });
  const states = [...ranked.slice(0, removed).map(podState), ...keptStates];
  return { changes, replicas, stateChangeSkipped: false, counts: count(states), deletions };
}
