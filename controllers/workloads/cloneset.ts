// OpenKruise CloneSets: one per component, named after it, upgraded in place. A rollout across
// revisions first puts the new template on with every pod held (partition = replicas), then each
// batch lowers `spec.updateStrategy.partition`. The CloneSet is never deleted by a rollout.

import { resolveIntOrPercent, type WorkloadCounts } from '../engine/index.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
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

export const cloneSetResource: ResourceDescriptor = {
  group: 'apps.kruise.io',
  version: 'v1alpha1',
  resource: 'clonesets',
  kind: 'CloneSet',
  namespaced: true,
};

/** spec.updateStrategy.partition as a pod count (it may be a percentage of replicas). */
export function cloneSetPartition(cloneSet: Workload): number {
  const partition = cloneSet.spec?.updateStrategy?.partition;
  if (partition === undefined) return 0;
  try {
    return Math.max(0, resolveIntOrPercent(partition, desiredReplicas(cloneSet)));
  } catch {
    return 0;
  }
}

export function cloneSetCounts(cloneSet: Workload, owned: OwnedLookup, cacheBehind: boolean): WorkloadCounts {
  const pods = podsOwnedBy(owned, uidOf(cloneSet));
  const updateRevision = cloneSet.status?.updateRevision;
  return {
    name: cloneSet.metadata.name,
    desired: desiredReplicas(cloneSet),
    ready: pods.filter(isPodReady).length,
    updated: cloneSet.status?.updatedReplicas ?? 0,
    updatedReady:
      updateRevision !== undefined
        ? pods.filter((pod) => isPodReadyAt(pod, updateRevision)).length
        : (cloneSet.status?.updatedReadyReplicas ?? 0),
    partition: cloneSetPartition(cloneSet),
    settled: !cacheBehind && observedLatestSpec(cloneSet),
  };
}

export const cloneSetAdapter: WorkloadAdapter = {
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  resource: cloneSetResource,
  inPlace: true,
  workloadName: (component) => component,
  counts: cloneSetCounts,
  build: (request) => buildFromRevision(request),
  revisionOf: (workload) => workload.metadata.labels?.[REVISION_LABEL],
  create: (client, workload) => createWorkload(client, workload),
  setReplicas: (client, namespace, name, replicas) =>
    patchWorkload(client, cloneSetResource, namespace, name, { spec: { replicas } }),
  setPartition: (client, namespace, name, partition) =>
    patchWorkload(client, cloneSetResource, namespace, name, { spec: { updateStrategy: { partition } } }),
  updateTemplate: (client, live, request, hold) => {
    const strategy = {
      ...(live.spec?.updateStrategy ?? {}),
      partition: Math.max(hold, cloneSetPartition(live)),
    };
    return patchWorkload(
      client,
      cloneSetResource,
      request.namespace,
      live.metadata.name,
      templatePatch(live, request, strategy),
      'json',
    );
  },
  delete: (client, namespace, name, uid) => deleteWorkload(client, cloneSetResource, namespace, name, uid),
};
