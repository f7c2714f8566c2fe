// The Rollout kind (`standard.oam.dev/v1alpha1`) as definitions/crds/standard.oam.dev_rollouts.yaml
// defines it, and the ControllerRevision the Application controller writes for each component
// revision.

import type { BatchRollingState, IntOrPercent, RollingState } from '../engine/index.js';
import type { Condition } from '../kit/conditions.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { KubeObject, ObjectMeta } from '../kit/objects.js';

export const ROLLOUT_API_VERSION = 'standard.oam.dev/v1alpha1';
export const ROLLOUT_KIND = 'Rollout';

export const rolloutResource: ResourceDescriptor = {
  group: 'standard.oam.dev',
  version: 'v1alpha1',
  resource: 'rollouts',
  kind: ROLLOUT_KIND,
  namespaced: true,
};

/** Annotations the Rollout carries about the workload it manages (same keys as upstream). */
export const WORKLOAD_NAME_ANNOTATION = 'trait.oam.dev/workload-name';
export const WORKLOAD_GVK_ANNOTATION = 'trait.oam.dev/workload-gvk';
/** The label ControllerRevisions of a component carry (the seed lists them by it). */
export const REVISION_COMPONENT_LABEL = 'controller.oam.dev/component';

export type RolloutWebhookKind =
  'initialize-rollout' | 'pre-batch-rollout' | 'post-batch-rollout' | 'finalize-rollout';

export interface RolloutWebhook {
  type: RolloutWebhookKind | string;
  name: string;
  url: string;
  method?: string;
  expectedStatus?: number[];
  metadata?: Record<string, string>;
}

export interface RolloutBatchSpec {
  replicas: IntOrPercent;
  maxUnavailable?: IntOrPercent;
  podList?: string[];
  instanceInterval?: number;
  batchRolloutWebhooks?: RolloutWebhook[];
}

export interface RolloutPlan {
  rolloutStrategy?: string;
  /** Optional in the CRD: the current size when absent. */
  targetSize?: number;
  numBatches?: number;
  rolloutBatches?: RolloutBatchSpec[];
  batchPartition?: number;
  paused?: boolean;
  rolloutWebhooks?: RolloutWebhook[];
}

export interface RolloutSpec {
  targetRevisionName: string;
  sourceRevisionName?: string;
  componentName: string;
  rolloutPlan: RolloutPlan;
}

export interface RolloutStatus {
  conditions?: Condition[];
  rolloutOriginalSize?: number;
  rolloutTargetSize?: number;
  /** The Rollout's metadata.generation when the current attempt started (a string in the CRD). */
  targetGeneration?: string;
  lastAppliedPodTemplateIdentifier?: string;
  rollingState?: RollingState;
  batchRollingState?: BatchRollingState;
  currentBatch?: number;
  upgradedReplicas?: number;
  upgradedReadyReplicas?: number;
  /** The target revision of the current attempt. */
  lastTargetRevision?: string;
  /** The source revision of the current attempt (capital L, as upstream). */
  LastSourceRevision?: string;
}

export interface Rollout extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: RolloutSpec;
  status?: RolloutStatus;
}

export interface ControllerRevision extends KubeObject {
  metadata: ObjectMeta & { name: string };
  revision?: number;
  data?: unknown;
}
