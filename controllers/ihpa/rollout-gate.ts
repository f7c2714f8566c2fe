// IHPA ↔ Rollout: while a Rollout of the target's KubeVela component has not succeeded, the
// Rollout owns the workload's replicas and neither the IHPA nor its ReplicaProfile touch them.

import { COMPONENT_LABEL, ROLLOUT_SUCCEEDED, type RolloutObject } from './types.js';

export interface RolloutInProgress {
  name: string;
  rollingState?: string;
}

/**
 * The Rollout that holds the replicas of a workload with `targetLabels`, among the Rollouts of its
 * namespace: the one named after the workload's `app.oam.dev/component` label, unless it reached
 * `rolloutSucceed` (or is being deleted). Pure.
 */
export function blockingRollout(
  targetLabels: Readonly<Record<string, string>> | undefined,
  rollouts: readonly RolloutObject[],
): RolloutInProgress | undefined {
  const component = targetLabels?.[COMPONENT_LABEL];
  if (!component) return undefined;
  const rollout = rollouts.find((r) => r.metadata?.name === component && !r.metadata?.deletionTimestamp);
  if (rollout === undefined) return undefined;
  const rollingState = rollout.status?.rollingState;
  if (rollingState === ROLLOUT_SUCCEEDED) return undefined;
  return rollingState === undefined ? { name: component } : { name: component, rollingState };
}
