// Workload adapters by kind. The Rollout reconciler picks one from the kind in a revision's data.

import { cloneSetAdapter } from './cloneset.js';
import { deploymentAdapter } from './deployment.js';
import { statefulSetAdapter } from './statefulset.js';
import type { WorkloadAdapter } from './types.js';

export * from './types.js';
export * from './common.js';
export { deploymentAdapter, deploymentCounts, deploymentPods } from './deployment.js';
export { cloneSetAdapter, cloneSetCounts, cloneSetPartition, cloneSetResource } from './cloneset.js';
export {
  statefulSetAdapter,
  statefulSetCounts,
  statefulSetPartition,
  rollingUpdateStrategy,
} from './statefulset.js';

export const workloadAdapters: readonly WorkloadAdapter[] = [
  deploymentAdapter,
  cloneSetAdapter,
  statefulSetAdapter,
];

/** The adapter for a workload kind, or undefined when rollouts do not support it. */
export function adapterFor(
  apiVersion: string | undefined,
  kind: string | undefined,
): WorkloadAdapter | undefined {
  return workloadAdapters.find((adapter) => adapter.apiVersion === apiVersion && adapter.kind === kind);
}
