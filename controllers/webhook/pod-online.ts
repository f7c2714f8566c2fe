// Sets the `kapacitystack.io/online` condition True on opted-in pods that carry the readiness
// gate but no such condition yet, so a new pod becomes Ready (a kubelet keeps a pod with an
// unset gate condition not Ready forever). Event-driven: the pod informer's add (and updates
// that still lack the condition) enqueue the pod. Only an absent condition is ever set: a False
// written by the IHPA for a cut-off pod is never overwritten, and the write carries the
// resourceVersion it was decided on, so a concurrent change wins and the pod is looked at again.

import { isConflict, isNotFound } from '../kit/client.js';
import { builtin } from '../kit/discovery.js';
import type { Manager } from '../kit/manager.js';
import { formatTime, keyOf, type KubeObject } from '../kit/objects.js';
import { INJECT_LABEL, READINESS_GATE, hasReadinessGate } from './readiness-gate.js';

export const POD_ONLINE_CONTROLLER = 'pod-online-condition';

export interface GatedPod extends KubeObject {
  spec?: { readinessGates?: Array<{ conditionType?: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** Whether `pod` has the gate but nobody has set its condition yet. */
export function needsOnlineCondition(pod: GatedPod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if (!hasReadinessGate(pod)) return false;
  return !(pod.status?.conditions ?? []).some((c) => c.type === READINESS_GATE);
}

/**
 * The status patch (strategic merge: conditions merge by type) setting the condition True. The
 * resourceVersion makes it conditional: the API server answers 409 if the pod changed since.
 */
export function onlineConditionPatch(pod: GatedPod, now: Date): Record<string, unknown> {
  return {
    metadata: { resourceVersion: pod.metadata?.resourceVersion },
    status: {
      conditions: [{ type: READINESS_GATE, status: 'True', lastTransitionTime: formatTime(now) }],
    },
  };
}

export function registerPodOnlineController(manager: Manager): void {
  const pods = manager.informer<GatedPod>(builtin.Pod, { labelSelector: `${INJECT_LABEL}=true` });
  const controller = manager.controller(POD_ONLINE_CONTROLLER, async (request) => {
    const pod = pods.get(request.key);
    if (!pod || !needsOnlineCondition(pod)) return;
    try {
      await manager.client.patch(builtin.Pod, request.name, onlineConditionPatch(pod, manager.clock.now()), {
        namespace: request.namespace,
        type: 'strategic',
        subresource: 'status',
      });
      request.logger.info('set pod condition', { condition: READINESS_GATE, status: 'True' });
    } catch (error) {
      if (isNotFound(error)) return;
      // The pod changed under us: its update event brings it back, this retry covers a lost one.
      if (isConflict(error)) return { requeue: true };
      throw error;
    }
  });
  controller.watches(pods, (pod) =>
    needsOnlineCondition(pod) ? keyOf(pod.metadata?.namespace, pod.metadata?.name ?? '') : undefined,
  );
}
