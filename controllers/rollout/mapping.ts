// Which Rollouts an observed object concerns, so that every watch event on a workload, one of its
// pods or a ControllerRevision wakes exactly the Rollouts it matters to. Pure given the index
// lookup.

import { keyOf, type KubeObject } from '../kit/objects.js';
import { COMPONENT_LABEL } from '../workloads/index.js';
import { REVISION_COMPONENT_LABEL, ROLLOUT_KIND, type Rollout } from './types.js';

export const ROLLOUTS_BY_COMPONENT = 'rolloutComponent';
export const ROLLOUTS_BY_TARGET_REVISION = 'rolloutTargetRevision';

/** Index values: `namespace/componentName`. */
export function indexRolloutByComponent(rollout: Rollout): string[] {
  const component = rollout.spec?.componentName;
  return component ? [keyOf(rollout.metadata?.namespace, component)] : [];
}

/** Index values: `namespace/targetRevisionName`. */
export function indexRolloutByTargetRevision(rollout: Rollout): string[] {
  const revision = rollout.spec?.targetRevisionName;
  return revision ? [keyOf(rollout.metadata?.namespace, revision)] : [];
}

/** Looks Rollouts up by one of the indexes above. */
export type RolloutIndex = (index: string, value: string) => readonly Rollout[];

function keysOf(rollouts: readonly Rollout[]): string[] {
  return rollouts.map((rollout) => keyOf(rollout.metadata.namespace, rollout.metadata.name));
}

function byComponent(lookup: RolloutIndex, obj: KubeObject, label: string): string[] {
  const component = obj.metadata?.labels?.[label];
  if (!component) return [];
  return keysOf(lookup(ROLLOUTS_BY_COMPONENT, keyOf(obj.metadata?.namespace, component)));
}

/** A workload: the Rollouts that own it, and those of its component. */
export function rolloutsForWorkload(lookup: RolloutIndex, obj: KubeObject): string[] {
  const owners = (obj.metadata?.ownerReferences ?? [])
    .filter((ref) => ref.kind === ROLLOUT_KIND)
    .map((ref) => keyOf(obj.metadata?.namespace, ref.name));
  return [...new Set([...owners, ...byComponent(lookup, obj, COMPONENT_LABEL)])];
}

/** A pod: the Rollouts of its component. */
export function rolloutsForPod(lookup: RolloutIndex, obj: KubeObject): string[] {
  return byComponent(lookup, obj, COMPONENT_LABEL);
}

/** A ControllerRevision: the Rollouts that target it by name, and those of its component. */
export function rolloutsForRevision(lookup: RolloutIndex, obj: KubeObject): string[] {
  const name = obj.metadata?.name;
  const targeting = name
    ? keysOf(lookup(ROLLOUTS_BY_TARGET_REVISION, keyOf(obj.metadata?.namespace, name)))
    : [];
  return [...new Set([...targeting, ...byComponent(lookup, obj, REVISION_COMPONENT_LABEL)])];
}

interface PodLike extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

function readiness(pod: PodLike): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/**
 * Pod updates that can move a gate: readiness, termination, the revision label (in-place
 * updates) or the in-place update gate. Everything else (IP assignment, container restarts that
 * keep readiness) is skipped.
 */
export function podUpdateMatters(oldPod: PodLike, newPod: PodLike): boolean {
  return (
    readiness(oldPod) !== readiness(newPod) ||
    Boolean(oldPod.metadata?.deletionTimestamp) !== Boolean(newPod.metadata?.deletionTimestamp) ||
    oldPod.metadata?.labels?.['controller-revision-hash'] !==
      newPod.metadata?.labels?.['controller-revision-hash'] ||
    oldPod.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status !==
      newPod.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status
  );
}

interface CachedPod extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string | Date }[];
    containerStatuses?: { restartCount?: number }[];
  };
}

/**
 * The fields of a pod the Rollout controller reads (metadata, readiness and in-place conditions,
 * phase, node and restart counts for scale-down ranking): the pod cache keeps only these, as a
 * component's pods outnumber everything else it caches and their specs are never read.
 */
export function podCacheView<T extends CachedPod>(pod: T): T {
  const status = pod.status;
  const view: CachedPod = { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata };
  if (pod.spec?.nodeName !== undefined) view.spec = { nodeName: pod.spec.nodeName };
  if (status) {
    view.status = {
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(status.conditions ? { conditions: status.conditions } : {}),
      ...(status.containerStatuses
        ? { containerStatuses: status.containerStatuses.map((c) => ({ restartCount: c.restartCount })) }
        : {}),
    };
  }
  return view as T;
}
