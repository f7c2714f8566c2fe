// StatefulSets: one per component, named after it, upgraded in place through the RollingUpdate
// partition (pods with an ordinal ≥ partition run the update revision). Like a CloneSet, the new
// template goes on with every pod held, then each batch lowers the partition.

import type { WorkloadCounts } from '../engine/index.js';
import { builtin } from '../kit/discovery.js';
import {
  buildFromRevision,
  createWorkload,
  deleteWorkload,
  desiredReplicas,
  isPodReady,
  isPodReadyAt,
  observedLatestSpec,
  patchWorkload,
  podsOwnedBy,
  templatePatch,
  uidOf,
} from './common.js';
import { REVISION_LABEL, type OwnedLookup, type Workload, type WorkloadAdapter } from './types.js';

export function statefulSetPartition(statefulSet: Workload): number {
  return Math.max(0, statefulSet.spec?.updateStrategy?.rollingUpdate?.partition ?? 0);
}

export function statefulSetCounts(
  statefulSet: Workload,
  owned: OwnedLookup,
  cacheBehind: boolean,
): WorkloadCounts {
  const pods = podsOwnedBy(owned, uidOf(statefulSet));
  const updateRevision = statefulSet.status?.updateRevision;
  return {
    name: statefulSet.metadata.name,
    desired: desiredReplicas(statefulSet),
    ready: pods.filter(isPodReady).length,
    updated: statefulSet.status?.updatedReplicas ?? 0,
    // StatefulSet status has no updatedReadyReplicas: count the pods at the update revision.
    updatedReady: pods.filter((pod) => isPodReadyAt(pod, updateRevision)).length,
    partition: statefulSetPartition(statefulSet),
    settled: !cacheBehind && observedLatestSpec(statefulSet),
  };
}

/** The RollingUpdate strategy with `partition`, keeping the rest of the live strategy. */
export function rollingUpdateStrategy(
  live: Workload | undefined,
  partition: number,
): Record<string, unknown> {
  const current = live?.spec?.updateStrategy ?? {};
  return {
    ...current,
    type: 'RollingUpdate',
    rollingUpdate: { ...(current.rollingUpdate ?? {}), partition },
  };
}

export const statefulSetAdapter: WorkloadAdapter = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  resource: builtin.StatefulSet,
  inPlace: true,
  workloadName: (component) => component,
  counts: statefulSetCounts,
  build: (request) => buildFromRevision(request),
  revisionOf: (workload) => workload.metadata.labels?.[REVISION_LABEL],
  create: (client, workload) => createWorkload(client, workload),
  setReplicas: (client, namespace, name, replicas) =>
    patchWorkload(client, builtin.StatefulSet, namespace, name, { spec: { replicas } }),
  setPartition: (client, namespace, name, partition) =>
    patchWorkload(client, builtin.StatefulSet, namespace, name, {
      spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } },
    }),
  updateTemplate: (client, live, request, hold) =>
    patchWorkload(
      client,
      builtin.StatefulSet,
      request.namespace,
      live.metadata.name,
      templatePatch(live, request, rollingUpdateStrategy(live, Math.max(hold, statefulSetPartition(live)))),
      'json',
    ),
  delete: (client, namespace, name, uid) => deleteWorkload(client, builtin.StatefulSet, namespace, name, uid),
};
