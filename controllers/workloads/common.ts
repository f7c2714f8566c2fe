// Parts every workload adapter shares: pod readiness, building a workload from a revision's data,
// whether a workload controller has caught up, and the write helpers (create through the apply
// path, absolute-level patches, delete by UID).

import { ensureApplied, FIELD_MANAGER } from '../kit/apply.js';
import { isApiError, isNotFound, type KubeClient, type PatchType } from '../kit/client.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { KubeObject, OwnerReference } from '../kit/objects.js';
import {
  APP_NAME_LABEL,
  COMPONENT_LABEL,
  REVISION_LABEL,
  type BuildRequest,
  type JsonPatchOperation,
  type OwnedLookup,
  type Pod,
  type Workload,
} from './types.js';

/** Label workload controllers put on pods naming the controller revision they run. */
export const POD_REVISION_LABEL = 'controller-revision-hash';
/** Readiness gate OpenKruise holds False while it updates a pod in place. */
export const IN_PLACE_UPDATE_READY = 'InPlaceUpdateReady';

function condition(pod: Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

/** Ready, and not on its way out (a terminating pod no longer counts towards any level). */
export function isPodReady(pod: Pod): boolean {
  return !pod.metadata?.deletionTimestamp && condition(pod, 'Ready') === 'True';
}

/**
 * Ready at `revision`: carries the revision label, is Ready, and (for an in-place update) its
 * InPlaceUpdateReady gate is not False. The gate check closes the window in which a pod already
 * carries the new label but its Ready condition still describes the old container.
 */
export function isPodReadyAt(pod: Pod, revision: string | undefined): boolean {
  if (revision === undefined || pod.metadata?.labels?.[POD_REVISION_LABEL] !== revision) return false;
  return isPodReady(pod) && condition(pod, IN_PLACE_UPDATE_READY) !== 'False';
}

/** Pods whose controller is the object with `uid`. */
export function podsOwnedBy(owned: OwnedLookup, uid: string | undefined): Pod[] {
  return uid ? (owned(uid, 'Pod') as Pod[]) : [];
}

/** The workload controller has acted on the latest spec (status.observedGeneration ≥ generation). */
export function observedLatestSpec(workload: Workload): boolean {
  const generation = workload.metadata.generation ?? 0;
  return (workload.status?.observedGeneration ?? 0) >= generation;
}

export function desiredReplicas(workload: Workload): number {
  // The API defaults spec.replicas to 1 for every scalable kind.
  return workload.spec?.replicas ?? 1;
}

/** Labels of a workload built from a revision: the revision's own, then ours on top. */
export function workloadLabels(request: BuildRequest): Record<string, string> {
  const labels: Record<string, string> = { ...(request.data.metadata?.labels ?? {}) };
  labels[COMPONENT_LABEL] = request.component;
  labels[REVISION_LABEL] = request.revision;
  const appName = request.appName ?? labels[APP_NAME_LABEL];
  if (appName) labels[APP_NAME_LABEL] = appName;
  return labels;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The revision's pod template with the component label on its pods (the reconciler's pod watch
 * selects on it; adding a label never breaks the selector match).
 */
export function podTemplate(request: BuildRequest): Record<string, unknown> {
  const template = isRecord(request.data.spec?.['template']) ? request.data.spec['template'] : {};
  const metadata = isRecord(template['metadata']) ? template['metadata'] : {};
  const labels = isRecord(metadata['labels']) ? (metadata['labels'] as Record<string, string>) : {};
  const podLabels: Record<string, string> = { ...labels, [COMPONENT_LABEL]: request.component };
  const appName = request.appName ?? request.data.metadata?.labels?.[APP_NAME_LABEL];
  if (appName && podLabels[APP_NAME_LABEL] === undefined) podLabels[APP_NAME_LABEL] = appName;
  return { ...template, metadata: { ...metadata, labels: podLabels } };
}

/** The workload a revision describes: its spec with `replicas`, our labels, and the owner. */
export function buildFromRevision(request: BuildRequest, extraSpec: Record<string, unknown> = {}): Workload {
  const annotations = request.data.metadata?.annotations;
  return {
    apiVersion: request.data.apiVersion,
    kind: request.data.kind,
    metadata: {
      name: request.name,
      namespace: request.namespace,
      labels: workloadLabels(request),
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      ownerReferences: [{ ...request.owner }],
    },
    spec: {
      ...(request.data.spec ?? {}),
      ...extraSpec,
      template: podTemplate(request),
      replicas: request.replicas,
    },
  };
}

/** `/` and `~` escaped for a JSON pointer segment. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The JSON patch that moves a live in-place workload to a revision's template: guarded by the
 * live resourceVersion (a concurrent change makes it fail instead of overwriting), the update
 * strategy raised to `strategy` and the template replaced in one atomic write, so no pod is ever
 * updated by the template change itself.
 */
export function templatePatch(
  live: Workload,
  request: BuildRequest,
  strategy: Record<string, unknown>,
): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  if (live.metadata.resourceVersion) {
    ops.push({ op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion });
  }
  ops.push({ op: 'add', path: '/spec/updateStrategy', value: strategy });
  ops.push({ op: 'replace', path: '/spec/template', value: podTemplate(request) });
  ops.push({
    op: 'add',
    path: '/metadata/labels',
    value: { ...(live.metadata.labels ?? {}), [REVISION_LABEL]: request.revision },
  });
  return ops;
}

/** Adds `owner` to the workload's ownerReferences (a workload found, not created, by a Rollout). */
export function adoptionPatch(live: Workload, owner: OwnerReference): JsonPatchOperation[] {
  const refs = live.metadata.ownerReferences ?? [];
  return refs.length > 0
    ? [{ op: 'add', path: '/metadata/ownerReferences/-', value: owner }]
    : [{ op: 'add', path: '/metadata/ownerReferences', value: [owner] }];
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Creates the workload through the apply path (server-side apply, field manager `rollscale`). */
export async function createWorkload(client: KubeClient, workload: Workload): Promise<Workload> {
  // Created once and never applied again: later levels are patches of single fields, so a re-apply
  // that omitted a field this manager owns could never remove it by accident.
  return (await ensureApplied(client, workload, undefined)).object;
}

export async function patchWorkload(
  client: KubeClient,
  resource: ResourceDescriptor,
  namespace: string,
  name: string,
  patch: unknown,
  type: PatchType = 'merge',
): Promise<Workload> {
  return client.patch<Workload>(resource, name, patch, { namespace, type, fieldManager: FIELD_MANAGER });
}

/** Deletes the workload (its pods follow through garbage collection); gone already is fine. */
export async function deleteWorkload(
  client: KubeClient,
  resource: ResourceDescriptor,
  namespace: string,
  name: string,
  uid?: string,
): Promise<void> {
  try {
    await client.delete(resource, name, {
      namespace,
      propagationPolicy: 'Background',
      ...(uid ? { preconditions: { uid } } : {}),
    });
  } catch (error) {
    // 404: gone already. 409 on a UID precondition: the name now belongs to another object.
    if (isNotFound(error) || (isApiError(error) && error.status === 409)) return;
    throw error;
  }
}

export function uidOf(obj: KubeObject): string | undefined {
  return obj.metadata?.uid;
}
