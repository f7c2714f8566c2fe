// The IHPA controller: registers its informers, watches and reconciler with the manager.
//
// Wake-ups: every reconcile returns the plan's next due time (a cron start or end, a portrait's
// next time-series point or expiry, a gray step or the end of an observation) as `requeueAfter`,
// which the work queue turns into one timer on the manager's clock. Nothing polls.

import { mapToOwner, mapToSelf } from '../kit/controller.js';
import type { Manager } from '../kit/manager.js';
import { objectKey } from '../kit/objects.js';
import { IhpaReconciler } from './reconciler.js';
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

export function registerIhpaController(manager: Manager): void {
  const ihpas = manager.informer<Ihpa>(ihpaResources.IntelligentHorizontalPodAutoscaler);
  const profiles = manager.informer<ReplicaProfile>(ihpaResources.ReplicaProfile);
  const portraits = manager.informer<HorizontalPortrait>(ihpaResources.HorizontalPortrait);
  const rollouts = manager.informer<RolloutObject>(ihpaResources.Rollout);
  const reconciler = new IhpaReconciler({
    client: manager.client,
    clock: manager.clock,
    recorder: manager.eventRecorder(IHPA_EVENT_COMPONENT),
    ihpas,
    profiles,
    portraits,
    rollouts,
  });
  const owner = mapToOwner({
    kind: ihpaResources.IntelligentHorizontalPodAutoscaler.kind,
    group: KAPACITY_GROUP,
  });
  manager
    .controller(IHPA_CONTROLLER, (request) => reconciler.reconcile(request))
    .watches(ihpas, mapToSelf)
    .watches(profiles, owner)
    .watches(portraits, owner)
    // A Rollout that finishes (or starts) re-plans every IHPA of its namespace: few per namespace,
    // and which of them target the component is only known from the workload's labels.
    .watches(rollouts, (rollout) => ihpas.list(rollout.metadata?.namespace).map((ihpa) => objectKey(ihpa)), {
      updateFilter: (before, after) => before.status?.rollingState !== after.status?.rollingState,
    });
}
