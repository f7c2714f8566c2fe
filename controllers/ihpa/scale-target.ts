// The IHPA's scale target: which watched workload an IHPA names, and what to tell the user when
// the workload does not exist. Pure.
//
// The IHPA controller keeps caches of the workload kinds it scales (Deployment, StatefulSet and,
// when served, CloneSet). A missing target is reported once (ScalingActive False, reason
// FailedGetScale, a Warning Event) and nothing is retried: the cache's add event for the workload
// reconciles the IHPA again, so it recovers by itself the moment the workload appears.

import type { ResourceDescriptor } from '../kit/discovery.js';
import { parseApiVersion } from '../kit/objects.js';
import type { ScaleTargetRef } from './types.js';

/** Reason of the ScalingActive condition and of the Warning Event for a target that is not there. */
export const REASON_FAILED_GET_SCALE = 'FailedGetScale';

/** apiVersion assumed when scaleTargetRef leaves it out (the shipped kinds are apps/v1). */
export const DEFAULT_TARGET_API_VERSION = 'apps/v1';

/** True when `ref` names the object `name` of kind `resource` (same group, kind and name). */
export function refersTo(
  ref: ScaleTargetRef | undefined,
  resource: ResourceDescriptor,
  name: string,
): boolean {
  if (ref === undefined) return false;
  return (
    ref.name === name &&
    ref.kind === resource.kind &&
    parseApiVersion(ref.apiVersion ?? DEFAULT_TARGET_API_VERSION).group === resource.group
  );
}

/** The ScalingActive message for a scale target that does not exist. */
export function targetNotFoundMessage(ref: ScaleTargetRef): string {
  const apiVersion = ref.apiVersion ?? DEFAULT_TARGET_API_VERSION;
  return (
    `the scale target ${ref.kind} "${ref.name}" (${apiVersion}) was not found; ` +
    'scaling starts once it exists'
  );
}
