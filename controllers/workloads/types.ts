// The one small interface the Rollout reconciler drives workloads through. One adapter per kind
// (Deployment, CloneSet, StatefulSet); the pure parts (counts, building a workload from a
// ControllerRevision, the patches) are plain functions the adapters share and tests call directly.

import type { WorkloadCounts } from '../engine/index.js';
import type { KubeClient } from '../kit/client.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { KubeObject, ObjectMeta, OwnerReference } from '../kit/objects.js';

export const COMPONENT_LABEL = 'app.oam.dev/component';
export const REVISION_LABEL = 'app.oam.dev/revision';
export const APP_NAME_LABEL = 'app.oam.dev/name';
/** Set by the IHPA on a workload it scaled (CONTRACTS.md). */
export const IHPA_ANNOTATION = 'autoscaling.kapacitystack.io/ihpa';

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  metadata?: ObjectMeta;
  status?: { phase?: string; conditions?: PodCondition[] };
}

/** A workload as the cache holds it; only the fields the adapters read are typed. */
export interface Workload extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec?: {
    replicas?: number;
    selector?: unknown;
    template?: Record<string, unknown>;
    updateStrategy?: {
      type?: string;
      partition?: number | string;
      rollingUpdate?: { partition?: number; [key: string]: unknown };
      [key: string]: unknown;
    };
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    [key: string]: unknown;
  };
}

/** `data` of a component ControllerRevision: the rendered workload (CONTRACTS.md). */
export interface RevisionWorkload {
  apiVersion: string;
  kind: string;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** What a workload is built from. */
export interface BuildRequest {
  data: RevisionWorkload;
  name: string;
  namespace: string;
  /** The revision the workload runs (its `app.oam.dev/revision` label). */
  revision: string;
  component: string;
  /** `app.oam.dev/name`, when known. */
  appName?: string;
  owner: OwnerReference;
  replicas: number;
}

/** Owned objects by owner UID: ReplicaSets of a Deployment, Pods of a ReplicaSet/CloneSet/StatefulSet. */
export type OwnedLookup = (ownerUid: string, kind: 'Pod' | 'ReplicaSet') => readonly KubeObject[];

/** A JSON patch operation (RFC 6902), as the API server takes it. */
export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

export interface WorkloadAdapter {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resource: ResourceDescriptor;
  /**
   * Upgraded in place through its update partition: one workload named after the component.
   * Otherwise one workload per revision, named after the revision.
   */
  readonly inPlace: boolean;
  workloadName(component: string, revision: string): string;
  /**
   * The counts the engine reads. `cacheBehind`: the cache does not yet hold the reconciler's last
   * write to this workload (the counts then never open a gate: settled is false).
   */
  counts(workload: Workload, owned: OwnedLookup, cacheBehind: boolean): WorkloadCounts;
  /** The workload a revision describes, with `replicas` (pure). */
  build(request: BuildRequest): Workload;
  /** The revision the workload's template came from (its `app.oam.dev/revision` label). */
  revisionOf(workload: Workload): string | undefined;

  create(client: KubeClient, workload: Workload): Promise<Workload>;
  setReplicas(client: KubeClient, namespace: string, name: string, replicas: number): Promise<Workload>;
  /** In-place kinds only. */
  setPartition(client: KubeClient, namespace: string, name: string, partition: number): Promise<Workload>;
  /**
   * In-place kinds only: puts the revision's pod template on the live workload while holding every
   * pod where it is (partition ≥ replicas) in the same atomic write.
   */
  updateTemplate(client: KubeClient, live: Workload, request: BuildRequest, hold: number): Promise<Workload>;
  delete(client: KubeClient, namespace: string, name: string, uid?: string): Promise<void>;
}
