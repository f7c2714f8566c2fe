// The IHPA controller: registers its informers, watches and reconciler with the manager.
//
// Wake-ups: every reconcile returns the plan's next due time (a cron start or end, a portrait's
// next time-series point or expiry, a gray step or the end of an observation) as `requeueAfter`,
// which the work queue turns into one timer on the manager's clock. Nothing polls: everything
// else arrives as watch events, the scale target's too (Deployments, StatefulSets and CloneSets
// are cached, so a missing target is noticed the moment it is created).

import { mapToOwner, mapToSelf } from '../kit/controller.js';
import { NoKindMatchError, builtin, type ResourceDescriptor } from '../kit/discovery.js';
import type { Informer } from '../kit/informer.js';
import { errorMessage } from '../kit/log.js';
import type { Manager } from '../kit/manager.js';
import { anyEcho, echoLeavesSpecAlone } from '../kit/own-writes.js';
import { formatApiVersion, objectKey, type KubeObject } from '../kit/objects.js';
import { IhpaReconciler, scaleTargetCacheKey } from './reconciler.js';
import { refersTo } from './scale-target.js';
import {
  IHPA_EVENT_COMPONENT,
  KAPACITY_GROUP,
  ihpaResources,
  type HorizontalPortrait,
  type Ihpa,
  type ReplicaProfile,
  type RolloutObject,
} from './types.js';

export { planIhpa } from './planner.js';
export type { IhpaObserved, IhpaPlan, ObservedReplicaProfile, PlannedEvent } from './planner.js';

export const IHPA_CONTROLLER = 'ihpa';

/** The workload kinds the ihpa trait applies to; each is cached when its API is served. */
const SCALE_TARGET_KINDS: readonly ResourceDescriptor[] = [
  builtin.Deployment,
  builtin.StatefulSet,
  ihpaResources.CloneSet,
];

async function served(manager: Manager, resource: ResourceDescriptor): Promise<boolean> {
  try {
    await manager.client.mapper.resourceFor(
      formatApiVersion(resource.group, resource.version),
      resource.kind,
    );
    return true;
  } catch (error) {
    if (!(error instanceof NoKindMatchError)) {
      manager.logger.warn('could not discover a scale target kind; not caching it', {
        kind: resource.kind,
        error: errorMessage(error),
      });
    }
    return false;
  }
}

/** Labels are all the IHPA reads of a target besides its existence (the rollout gate). */
function labelsChanged(before: KubeObject, after: KubeObject): boolean {
  return JSON.stringify(before.metadata?.labels ?? {}) !== JSON.stringify(after.metadata?.labels ?? {});
}

export async function registerIhpaController(manager: Manager): Promise<void> {
  const ihpas = manager.informer<Ihpa>(ihpaResources.IntelligentHorizontalPodAutoscaler);
  const profiles = manager.informer<ReplicaProfile>(ihpaResources.ReplicaProfile);
  const portraits = manager.informer<HorizontalPortrait>(ihpaResources.HorizontalPortrait);
  const rollouts = manager.informer<RolloutObject>(ihpaResources.Rollout);
  const targets = new Map<string, { resource: ResourceDescriptor; informer: Informer<KubeObject> }>();
  for (const resource of SCALE_TARGET_KINDS) {
    if (!(await served(manager, resource))) continue;
    targets.set(scaleTargetCacheKey(resource), {
      resource,
      informer: manager.informer<KubeObject>(resource),
    });
  }
  const reconciler = new IhpaReconciler({
    client: manager.client,
    clock: manager.clock,
    recorder: manager.eventRecorder(IHPA_EVENT_COMPONENT),
    ihpas,
    profiles,
    portraits,
    rollouts,
    targets: new Map([...targets].map(([key, { informer }]) => [key, informer])),
  });
  const owner = mapToOwner({
    kind: ihpaResources.IntelligentHorizontalPodAutoscaler.kind,
    group: KAPACITY_GROUP,
  });
  const controller = manager
    .controller(IHPA_CONTROLLER, (request) => reconciler.reconcile(request))
    // Echoes of our own status and ReplicaProfile writes are skipped: the reconcile that wrote
    // them already planned from the written state, and a cron edge writes every IHPA at once.
    .watches(ihpas, mapToSelf, { ignoreOwnWrite: echoLeavesSpecAlone })
    .watches(profiles, owner, { ignoreOwnWrite: anyEcho })
    .watches(portraits, owner)
    // A Rollout that finishes (or starts) re-plans every IHPA of its namespace: few per namespace,
    // and which of them target the component is only known from the workload's labels.
    .watches(rollouts, (rollout) => ihpas.list(rollout.metadata?.namespace).map((ihpa) => objectKey(ihpa)), {
      updateFilter: (before, after) => before.status?.rollingState !== after.status?.rollingState,
    });
  // A workload appearing, disappearing or relabelled re-plans the IHPAs naming it: an IHPA whose
  // target was missing recovers on the add event, without polling.
  for (const { resource, informer } of targets.values()) {
    controller.watches(
      informer,
      (workload) =>
        ihpas
          .list(workload.metadata?.namespace)
          .filter((ihpa) => refersTo(ihpa.spec?.scaleTargetRef, resource, workload.metadata?.name ?? ''))
          .map((ihpa) => objectKey(ihpa)),
      { updateFilter: labelsChanged },
    );
  }
}
