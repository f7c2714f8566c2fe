// Shapes of the IHPA-side objects (IntelligentHorizontalPodAutoscaler, ReplicaProfile,
// HorizontalPortrait, and the Rollout fields the IHPA reads) as the API server serves them, and the
// names both the IHPA and the ReplicaProfile controllers agree on. Field names follow
// definitions/crds/*.yaml.

import type { Condition } from '../kit/conditions.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { KubeObject } from '../kit/objects.js';
import type { MetricSpec, ReplicaCron } from '../portrait/index.js';

export const KAPACITY_GROUP = 'autoscaling.kapacitystack.io';
export const KAPACITY_API_VERSION = `${KAPACITY_GROUP}/v1alpha1`;

export const ihpaResources = {
  IntelligentHorizontalPodAutoscaler: {
    group: KAPACITY_GROUP,
    version: 'v1alpha1',
    resource: 'intelligenthorizontalpodautoscalers',
    kind: 'IntelligentHorizontalPodAutoscaler',
    namespaced: true,
  },
  ReplicaProfile: {
    group: KAPACITY_GROUP,
    version: 'v1alpha1',
    resource: 'replicaprofiles',
    kind: 'ReplicaProfile',
    namespaced: true,
  },
  HorizontalPortrait: {
    group: KAPACITY_GROUP,
    version: 'v1alpha1',
    resource: 'horizontalportraits',
    kind: 'HorizontalPortrait',
    namespaced: true,
  },
  Rollout: {
    group: 'standard.oam.dev',
    version: 'v1alpha1',
    resource: 'rollouts',
    kind: 'Rollout',
    namespaced: true,
  },
  /** OpenKruise's CloneSet, a scale target kind the IHPA watches when its CRD is served. */
  CloneSet: {
    group: 'apps.kruise.io',
    version: 'v1alpha1',
    resource: 'clonesets',
    kind: 'CloneSet',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceDescriptor>;

/** `source.component` of every Event the IHPA controller records (users filter on it). */
export const IHPA_EVENT_COMPONENT = 'ihpa_controller';
/** `source.component` of the ReplicaProfile controller's Events. */
export const REPLICA_PROFILE_EVENT_COMPONENT = 'replica_profile_controller';

/** Pod label carrying the pod's state: Online (also: no label), Cutoff or Standby. */
export const POD_STATE_LABEL = 'kapacitystack.io/pod-state';
/** Pod condition (and readiness gate) that takes a pod out of its Services while False. */
export const ONLINE_CONDITION = 'kapacitystack.io/online';
/** On a workload an IHPA scales: the IHPA's name (a later rollout starts from its replicas). */
export const IHPA_WORKLOAD_ANNOTATION = 'autoscaling.kapacitystack.io/ihpa';
/** Workload label naming the KubeVela component; a Rollout of that name may own replicas. */
export const COMPONENT_LABEL = 'app.oam.dev/component';
export const ROLLOUT_SUCCEEDED = 'rolloutSucceed';

export type PodState = 'Online' | 'Cutoff' | 'Standby';

export interface ScaleTargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface ReplicaCounts {
  online: number;
  cutoff: number;
  standby: number;
}

// ---------------------------------------------------------------------------------------------
// IntelligentHorizontalPodAutoscaler

export interface IhpaGrayStrategy {
  grayState: 'Online' | 'Cutoff' | 'Standby' | 'Deleted';
  changeIntervalSeconds: number;
  changePercent: number;
  observationSeconds?: number;
}

export interface DynamicPortraitSpec {
  portraitType: string;
  externalGeneratorName?: string;
  metrics?: MetricSpec[];
  algorithm: {
    type: 'KubeHPA' | 'ExternalJob' | (string & {});
    kubeHPA?: Record<string, unknown>;
    externalJob?: Record<string, unknown>;
    config?: Record<string, unknown>;
  };
}

export interface PortraitProviderSpec {
  type: 'Static' | 'Cron' | 'Dynamic' | (string & {});
  priority: number;
  static?: { replicas: number };
  cron?: { crons: ReplicaCron[] };
  dynamic?: DynamicPortraitSpec;
}

export interface IhpaSpec {
  scaleTargetRef: ScaleTargetRef;
  paused?: boolean;
  minReplicas: number;
  maxReplicas: number;
  scaleMode?: 'Auto' | 'Preview';
  portraitProviders: PortraitProviderSpec[];
  behavior?: {
    scaleUp?: { grayStrategy?: IhpaGrayStrategy };
    scaleDown?: { grayStrategy?: IhpaGrayStrategy };
    replicaProfile?: Record<string, unknown>;
  };
}

export interface PortraitValueStatus {
  provider: string;
  replicas: number;
  /** RFC 3339. */
  expireTime?: string;
}

export interface IhpaStatus {
  previousPortraitValue?: PortraitValueStatus;
  currentPortraitValue?: PortraitValueStatus;
  gray?: { grayPercent: number; lastUpdateTime: string };
  currentReplicas?: ReplicaCounts;
  conditions?: Condition[];
}

export interface Ihpa extends KubeObject {
  spec: IhpaSpec;
  status?: IhpaStatus;
}

// ---------------------------------------------------------------------------------------------
// ReplicaProfile

export type AllowedScalingDirection = 'Both' | 'Neither' | 'Up' | 'Down';

export interface ReplicaProfileSpec {
  scaleTargetRef: ScaleTargetRef;
  onlineReplicas?: number;
  cutoffReplicas?: number;
  standbyReplicas?: number;
  paused?: boolean;
  allowedScalingDirection?: AllowedScalingDirection;
  behavior?: Record<string, unknown>;
}

export interface ReplicaProfileStatus {
  onlineReplicas?: number;
  cutoffReplicas?: number;
  standbyReplicas?: number;
  conditions?: Condition[];
}

export interface ReplicaProfile extends KubeObject {
  spec: ReplicaProfileSpec;
  status?: ReplicaProfileStatus;
}

export function specCounts(spec: ReplicaProfileSpec): ReplicaCounts {
  return {
    online: spec.onlineReplicas ?? 0,
    cutoff: spec.cutoffReplicas ?? 0,
    standby: spec.standbyReplicas ?? 0,
  };
}

/** The counts a ReplicaProfile status reports, or undefined before its controller wrote any. */
export function statusCounts(status: ReplicaProfileStatus | undefined): ReplicaCounts | undefined {
  if (
    status === undefined ||
    (status.onlineReplicas === undefined &&
      status.cutoffReplicas === undefined &&
      status.standbyReplicas === undefined)
  ) {
    return undefined;
  }
  return {
    online: status.onlineReplicas ?? 0,
    cutoff: status.cutoffReplicas ?? 0,
    standby: status.standbyReplicas ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// HorizontalPortrait (status as written by the portrait controllers)

export interface HorizontalPortraitStatusData {
  type: 'Static' | 'Cron' | 'TimeSeries' | (string & {});
  static?: { replicas: number };
  cron?: { crons: ReplicaCron[] };
  timeSeries?: { timeSeries: { timestamp: number; replicas: number }[] };
  expireTime?: string;
}

export interface HorizontalPortrait extends KubeObject {
  spec: {
    scaleTargetRef: ScaleTargetRef;
    portraitType: string;
    externalGeneratorName?: string;
    metrics?: MetricSpec[];
    algorithm: DynamicPortraitSpec['algorithm'];
  };
  status?: { portraitData?: HorizontalPortraitStatusData; conditions?: Condition[] };
}

// ---------------------------------------------------------------------------------------------
// Rollout (only what the IHPA reads)

export interface RolloutObject extends KubeObject {
  status?: { rollingState?: string };
}
