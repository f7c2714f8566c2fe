// Registers the Rollout controller: informers on Rollouts, component ControllerRevisions, the
// workload kinds, their ReplicaSets and pods, and a controller woken by every change to any of
// them (never by a timer).

import { mapToSelf } from '../kit/controller.js';
import { echoLeavesSpecAlone } from '../kit/own-writes.js';
import { builtin, NoKindMatchError } from '../kit/discovery.js';
import { errorMessage } from '../kit/log.js';
import type { Manager } from '../kit/manager.js';
import type { KubeObject } from '../kit/objects.js';
import { CONTROLLER_UID_INDEX, indexByControllerUid } from '../kit/store.js';
import {
  cloneSetAdapter,
  COMPONENT_LABEL,
  deploymentAdapter,
  statefulSetAdapter,
  type Pod,
  type Workload,
  type WorkloadAdapter,
} from '../workloads/index.js';
import {
  indexRolloutByComponent,
  indexRolloutByTargetRevision,
  podCacheView,
  podUpdateMatters,
  rolloutsForPod,
  rolloutsForRevision,
  rolloutsForWorkload,
  ROLLOUTS_BY_COMPONENT,
  ROLLOUTS_BY_TARGET_REVISION,
  type RolloutIndex,
} from './mapping.js';
import { RolloutReconciler, workloadKey, type WorkloadSource } from './reconciler.js';
import { REVISION_COMPONENT_LABEL, rolloutResource, type ControllerRevision, type Rollout } from './types.js';

export const ROLLOUT_CONTROLLER = 'rollout';
/** `source.component` of the Rollout controller's Events. */
export const ROLLOUT_EVENT_COMPONENT = 'rollout-controller';

/** True when the cluster serves the adapter's kind (OpenKruise may not be installed). */
async function served(manager: Manager, adapter: WorkloadAdapter): Promise<boolean> {
  try {
    await manager.client.mapper.resourceFor(adapter.apiVersion, adapter.kind);
    return true;
  } catch (error) {
    if (!(error instanceof NoKindMatchError)) {
      manager.logger.warn('could not discover a workload kind', {
        kind: adapter.kind,
        error: errorMessage(error),
      });
    }
    return false;
  }
}

export async function registerRollout(manager: Manager): Promise<void> {
  const rollouts = manager.informer<Rollout>(rolloutResource, {
    indexers: {
      [ROLLOUTS_BY_COMPONENT]: indexRolloutByComponent,
      [ROLLOUTS_BY_TARGET_REVISION]: indexRolloutByTargetRevision,
    },
  });
  const revisions = manager.informer<ControllerRevision>(builtin.ControllerRevision, {
    labelSelector: REVISION_COMPONENT_LABEL,
  });
  // Only the component's own objects: everything a Rollout creates carries the component label.
  const ownedIndex = { [CONTROLLER_UID_INDEX]: indexByControllerUid };
  const replicaSets = manager.informer<KubeObject>(builtin.ReplicaSet, {
    labelSelector: COMPONENT_LABEL,
    indexers: ownedIndex,
  });
  const pods = manager.informer<Pod>(builtin.Pod, {
    labelSelector: COMPONENT_LABEL,
    indexers: ownedIndex,
    transform: { name: 'rollout-pod-view', apply: podCacheView },
  });

  const workloads = new Map<string, WorkloadSource>();
  for (const adapter of [deploymentAdapter, statefulSetAdapter, cloneSetAdapter]) {
    if (!(await served(manager, adapter))) {
      manager.logger.info('workload kind not served; rollouts of it are reported as unsupported', {
        kind: adapter.kind,
        apiVersion: adapter.apiVersion,
      });
      continue;
    }
    const informer = manager.informer<Workload>(adapter.resource, { labelSelector: COMPONENT_LABEL });
    workloads.set(workloadKey(adapter.apiVersion, adapter.kind), { adapter, informer });
  }

  const reconciler = new RolloutReconciler({
    client: manager.client,
    clock: manager.clock,
    logger: manager.logger,
    recorder: manager.eventRecorder(ROLLOUT_EVENT_COMPONENT),
    rollouts,
    revisions,
    workloads,
    replicaSets,
    pods,
  });
  const lookup: RolloutIndex = (index, value) => rollouts.byIndex(index, value);
  const controller = manager.controller(ROLLOUT_CONTROLLER, (request) => reconciler.reconcile(request));
  // Our own status and annotation writes come back as updates; the reconcile that wrote them
  // planned as far as it could, so only someone else's change needs another look.
  controller.watches(rollouts, mapToSelf, { ignoreOwnWrite: echoLeavesSpecAlone });
  controller.watches(revisions, (revision) => rolloutsForRevision(lookup, revision));
  for (const { informer } of workloads.values()) {
    controller.watches(informer, (workload) => rolloutsForWorkload(lookup, workload));
  }
  controller.watches(pods, (pod) => rolloutsForPod(lookup, pod), { updateFilter: podUpdateMatters });
}
