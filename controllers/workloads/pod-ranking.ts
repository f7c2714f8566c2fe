// Which pod a workload controller removes first when it scales down, so that the ReplicaProfile
// controller can put exactly those pods in a gray state (cut off from traffic) ahead of the
// scale-down, and the workload then removes the pods that were cut off and no others.
//
// - StatefulSet: the highest ordinal goes first (that is all its controller looks at).
// - Deployment / ReplicaSet / CloneSet: the ranking of the Kubernetes ReplicaSet controller
//   (ActivePodsWithRanks): unscheduled before scheduled; Pending before Unknown before Running;
//   not ready before ready; lower `controller.kubernetes.io/pod-deletion-cost` first; pods on
//   nodes crowded with pods of the same set first; ready for a shorter time first; more container
//   restarts first; newer first. The name breaks remaining ties so the order is total.
// Pure.

import type { ObjectMeta } from '../kit/objects.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
/** StatefulSet pods carry their ordinal in this label (Kubernetes ≥ 1.28). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface RankablePod {
  metadata?: ObjectMeta;
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string | Date }[];
    containerStatuses?: { restartCount?: number }[];
  };
}

const PHASE_ORDER: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function time(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function readyCondition(pod: RankablePod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * The Ready condition alone, as the ReplicaSet controller ranks pods (common.ts's isPodReady also
 * drops terminating pods, which never reach the ranking).
 */
function hasReadyCondition(pod: RankablePod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** The pod's deletion cost; absent or malformed counts as 0, as in the ReplicaSet controller. */
export function podDeletionCost(pod: RankablePod): number {
  const text = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) return 0;
  const cost = Number(text.trim());
  return cost >= -2147483648 && cost <= 2147483647 ? cost : 0;
}

/** A StatefulSet pod's ordinal: the pod-index label, else the `-<n>` name suffix. */
export function podOrdinal(pod: RankablePod): number | undefined {
  const label = pod.metadata?.labels?.[POD_INDEX_LABEL];
  if (label !== undefined && /^\d+$/.test(label)) return Number(label);
  const match = /-(\d+)$/.exec(pod.metadata?.name ?? '');
  return match ? Number(match[1]) : undefined;
}

function restarts(pod: RankablePod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

function byName(a: RankablePod, b: RankablePod): number {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Negative when `a` goes before `b` in the ReplicaSet controller's scale-down order. `crowding`
 * gives, per node name, how many pods of the set run there (pods on busier nodes go first).
 */
export function compareForScaleDown(
  a: RankablePod,
  b: RankablePod,
  crowding: ReadonlyMap<string, number> = new Map(),
): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if ((nodeA === '') !== (nodeB === '')) return nodeA === '' ? -1 : 1;

  const phaseA = PHASE_ORDER[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDER[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;

  const readyA = hasReadyCondition(a);
  const readyB = hasReadyCondition(b);
  if (readyA !== readyB) return readyA ? 1 : -1;

  const costA = podDeletionCost(a);
  const costB = podDeletionCost(b);
  if (costA !== costB) return costA - costB;

  const crowdA = crowding.get(nodeA) ?? 0;
  const crowdB = crowding.get(nodeB) ?? 0;
  if (crowdA !== crowdB) return crowdB - crowdA;

  if (readyA && readyB) {
    // Ready for a shorter time goes first; an unknown time counts as the shortest.
    const sinceA = time(readyCondition(a)?.lastTransitionTime);
    const sinceB = time(readyCondition(b)?.lastTransitionTime);
    if (sinceA !== sinceB) {
      if (sinceA === undefined) return -1;
      if (sinceB === undefined) return 1;
      return sinceB - sinceA;
    }
  }

  const restartsA = restarts(a);
  const restartsB = restarts(b);
  if (restartsA !== restartsB) return restartsB - restartsA;

  // Newer first; no creation time counts as the newest.
  const createdA = time(a.metadata?.creationTimestamp);
  const createdB = time(b.metadata?.creationTimestamp);
  if (createdA !== createdB) {
    if (createdA === undefined) return -1;
    if (createdB === undefined) return 1;
    return createdB - createdA;
  }
  return byName(a, b);
}

/** Negative when `a` goes before `b` in a StatefulSet's scale-down: higher ordinal first. */
export function compareStatefulSetPods(a: RankablePod, b: RankablePod): number {
  const ordinalA = podOrdinal(a) ?? -1;
  const ordinalB = podOrdinal(b) ?? -1;
  if (ordinalA !== ordinalB) return ordinalB - ordinalA;
  return byName(a, b);
}

/**
 * `pods` in the order the workload of `kind` removes them when scaling down: the first element
 * goes first. The input is not modified.
 */
export function rankPodsForScaleDown<T extends RankablePod>(pods: readonly T[], kind: string): T[] {
  if (kind === 'StatefulSet') return [...pods].sort(compareStatefulSetPods);
  const crowding = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (node) crowding.set(node, (crowding.get(node) ?? 0) + 1);
  }
  return [...pods].sort((a, b) => compareForScaleDown(a, b, crowding));
}
