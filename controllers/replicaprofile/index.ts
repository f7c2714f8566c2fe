// The ReplicaProfile controller: registers its informers, watches and reconciler with the manager.
// Event-driven: a profile is looked at again when it changes, when a pod its target selects
// changes in a way that matters (state label, deletion cost, readiness, phase, deletion), and
// when a Rollout of its namespace changes state.

import { mapToSelf } from '../kit/controller.js';
import { builtin } from '../kit/discovery.js';
import type { Manager } from '../kit/manager.js';
import { objectKey } from '../kit/objects.js';
import {
  ONLINE_CONDITION,
  REPLICA_PROFILE_EVENT_COMPONENT,
  ihpaResources,
  type ReplicaProfile,
  type RolloutObject,
} from '../ihpa/types.js';
import type { ProfilePod } from './pod-states.js';
import { ReplicaProfileReconciler } from './reconciler.js';

export { planPodStates } from './pod-states.js';
export type { PodChange, PodStatePlan, PodStatePlanInput, ProfilePod } from './pod-states.js';

export const REPLICA_PROFILE_CONTROLLER = 'replicaprofile';

/** The parts of a pod the profile's decisions depend on. */
function podFingerprint(pod: ProfilePod): string {
  const conditions = (pod.status?.conditions ?? [])
    .filter((c) => c.type === 'Ready' || c.type === ONLINE_CONDITION)
    .map((c) => `${c.type}=${c.status}`)
    .sort();
  return JSON.stringify([
    pod.metadata?.labels ?? {},
    pod.metadata?.annotations ?? {},
    pod.metadata?.deletionTimestamp ?? null,
    pod.spec?.nodeName ?? '',
    pod.status?.phase ?? '',
    conditions,
  ]);
}

export function registerReplicaProfileController(manager: Manager): void {
  const profiles = manager.informer<ReplicaProfile>(ihpaResources.ReplicaProfile);
  const pods = manager.informer<ProfilePod>(builtin.Pod);
  const rollouts = manager.informer<RolloutObject>(ihpaResources.Rollout);
  const reconciler = new ReplicaProfileReconciler({
    client: manager.client,
    clock: manager.clock,
    recorder: manager.eventRecorder(REPLICA_PROFILE_EVENT_COMPONENT),
    profiles,
    pods,
    rollouts,
  });
  manager
    .controller(REPLICA_PROFILE_CONTROLLER, (request) => reconciler.reconcile(request))
    // Its own status writes do not need another look: only spec (generation) changes do.
    .watches(profiles, mapToSelf, {
      updateFilter: (before, after) => before.metadata?.generation !== after.metadata?.generation,
    })
    .watches(pods, (pod) => reconciler.profilesForPod(pod), {
      updateFilter: (before, after) => podFingerprint(before) !== podFingerprint(after),
    })
    .watches(rollouts, (rollout) => profiles.list(rollout.metadata?.namespace).map((p) => objectKey(p)), {
      updateFilter: (before, after) => before.status?.rollingState !== after.status?.rollingState,
    });
}
