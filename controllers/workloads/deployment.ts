// Deployments (webservice, worker): one per revision, named after it; a rollout moves replicas
// from the source Deployment(s) to the target. Ready counts come from the pods themselves, so a
// batch gate opens on the pod watch event rather than a ReplicaSet and a Deployment status update
// later.

import type { WorkloadCounts } from '../engine/index.js';
import { builtin } from '../kit/discovery.js';
import {
  buildFromRevision,
  createWorkload,
  deleteWorkload,
  desiredReplicas,
  isPodReady,
  observedLatestSpec,
  patchWorkload,
  podsOwnedBy,
  uidOf,
} from './common.js';
import { REVISION_LABEL, type OwnedLookup, type Pod, type Workload, type WorkloadAdapter } from './types.js';

/** The pods of a Deployment: those controlled by one of its ReplicaSets. */
export function deploymentPods(deployment: Workload, owned: OwnedLookup): Pod[] {
  const uid = uidOf(deployment);
  if (!uid) return [];
  return owned(uid, 'ReplicaSet').flatMap((replicaSet) => podsOwnedBy(owned, uidOf(replicaSet)));
}

export function deploymentCounts(
  deployment: Workload,
  owned: OwnedLookup,
  cacheBehind: boolean,
): WorkloadCounts {
  return {
    name: deployment.metadata.name,
    desired: desiredReplicas(deployment),
    ready: deploymentPods(deployment, owned).filter(isPodReady).length,
    settled: !cacheBehind && observedLatestSpec(deployment),
  };
}

export const deploymentAdapter: WorkloadAdapter = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  resource: builtin.Deployment,
  inPlace: false,
  workloadName: (_component, revision) => revision,
  counts: deploymentCounts,
  build: (request) => buildFromRevision(request),
  revisionOf: (workload) => workload.metadata.labels?.[REVISION_LABEL],
  create: (client, workload) => createWorkload(client, workload),
  setReplicas: (client, namespace, name, replicas) =>
    patchWorkload(client, builtin.Deployment, namespace, name, { spec: { replicas } }),
  setPartition: () => Promise.reject(new Error('a Deployment has no update partition')),
  updateTemplate: () => Promise.reject(new Error('Deployments are not updated in place')),
  delete: (client, namespace, name, uid) => deleteWorkload(client, builtin.Deployment, namespace, name, uid),
};
