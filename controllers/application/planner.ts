// The pure half of the Application controller: from rendered components and what the caches
// show, decide the objects to apply (with their labels and owner), the objects to prune, the
// revisions to collect, and the status (phase, services, conditions). No I/O, no clock reads.

import { setCondition, type Condition, type ConditionUpdate } from '../kit/conditions.js';
import { parseApiVersion, type KubeObject, type OwnerReference } from '../kit/objects.js';
import type { ApplicationErrorReason } from './errors.js';
import type { RenderedComponent } from './render.js';
import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  AUXILIARY_WORKLOAD_TYPE,
  LABEL_APP_NAME,
  LABEL_APP_NAMESPACE,
  LABEL_COMPONENT,
  LABEL_MANAGE_WORKLOAD,
  LABEL_REVISION,
  LABEL_REVISION_COMPONENT,
  LABEL_REVISION_HASH,
  LABEL_TRAIT_RESOURCE,
  LABEL_TRAIT_TYPE,
  RESOURCE_TRACKER_FINALIZER,
  SYSTEM_DEFINITION_NAMESPACE,
  type Application,
  type ApplicationPhase,
  type ApplicationStatus,
  type AppliedResource,
  type JsonObject,
  type ServiceStatus,
} from './types.js';

export type DesiredRole = 'revision' | 'workload' | 'auxiliary' | 'trait';

export interface DesiredObject {
  object: KubeObject & JsonObject;
  component: string;
  role: DesiredRole;
  /** The trait type, for trait outputs. */
  trait?: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Identity of an object across API versions: group, kind, namespace, name. */
export function refKey(ref: ObjectRef): string {
  return [parseApiVersion(ref.apiVersion).group, ref.kind, ref.namespace, ref.name].join('/');
}

export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
  };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** The controller reference every object the Application creates carries. */
export function applicationOwnerReference(app: Application): OwnerReference {
  return {
    apiVersion: APPLICATION_API_VERSION,
    kind: APPLICATION_KIND,
    name: app.metadata.name,
    uid: app.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function withMetadata(
  obj: JsonObject,
  app: Application,
  labels: Record<string, string>,
): KubeObject & JsonObject {
  const { status: _status, ...rest } = obj;
  const copy = structuredClone(rest);
  const metadata = isPlainObject(copy['metadata']) ? copy['metadata'] : {};
  const existing = isPlainObject(metadata['labels']) ? (metadata['labels'] as Record<string, string>) : {};
  metadata['labels'] = { ...existing, ...labels };
  // An explicit namespace is kept (KubeVela honours it); placeObjects and
  // outsideNamespaceRefusals decide what happens to an object outside the Application's.
  if (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '') {
    metadata['namespace'] = app.metadata.namespace;
  }
  metadata['ownerReferences'] = [applicationOwnerReference(app)];
  copy['metadata'] = metadata;
  return copy as KubeObject & JsonObject;
}

/** Everything the Application wants in the cluster, in apply order: revisions first. */
export function desiredObjects(app: Application, components: readonly RenderedComponent[]): DesiredObject[] {
  const appName = app.metadata.name;
  const revisions: DesiredObject[] = [];
  const others: DesiredObject[] = [];
  for (const c of components) {
    const common = { [LABEL_APP_NAME]: appName, [LABEL_COMPONENT]: c.name };
    const existing = c.revision.existing;
    revisions.push({
      component: c.name,
      role: 'revision',
      object: withMetadata(
        {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: { name: c.revision.name },
          // ControllerRevision data is immutable: a reused revision keeps what it holds.
          revision: existing?.revision ?? c.revision.number,
          data: existing ? existing.data : c.revisionData,
        },
        app,
        {
          ...common,
          [LABEL_REVISION_COMPONENT]: c.name,
          [LABEL_REVISION_HASH]: c.revision.hash,
        },
      ),
    });
    const revisionLabels = { ...common, [LABEL_REVISION]: c.revision.name };
    if (!c.managedBy) {
      others.push({
        component: c.name,
        role: 'workload',
        object: withMetadata(c.workload, app, revisionLabels),
      });
    }
    for (const [output, obj] of Object.entries(c.auxiliary)) {
      others.push({
        component: c.name,
        role: 'auxiliary',
        object: withMetadata(obj, app, {
          ...revisionLabels,
          [LABEL_TRAIT_TYPE]: AUXILIARY_WORKLOAD_TYPE,
          [LABEL_TRAIT_RESOURCE]: output,
        }),
      });
    }
    for (const trait of c.traits) {
      for (const [output, obj] of Object.entries(trait.outputs)) {
        others.push({
          component: c.name,
          role: 'trait',
          trait: trait.type,
          object: withMetadata(obj, app, {
            ...revisionLabels,
            [LABEL_TRAIT_TYPE]: trait.type,
            [LABEL_TRAIT_RESOURCE]: output,
            ...(trait.manageWorkload ? { [LABEL_MANAGE_WORKLOAD]: 'true' } : {}),
          }),
        });
      }
    }
  }
  return [...revisions, ...others];
}

/**
 * A desired object of a cluster-scoped kind: no namespace, and no owner reference (a namespaced
 * owner of a cluster-scoped object counts as absent for the garbage collector, which may then
 * delete the object). The labels app.oam.dev/name and app.oam.dev/namespace say whose it is;
 * pruning and the finalizer find it through status.appliedResources and check those labels.
 */
export function asClusterScoped(d: DesiredObject, app: Application): DesiredObject {
  if (d.role === 'revision') throw new Error('ControllerRevisions are namespaced');
  const object = structuredClone(d.object);
  const metadata = isPlainObject(object['metadata']) ? object['metadata'] : {};
  delete metadata['namespace'];
  delete metadata['ownerReferences'];
  const labels = isPlainObject(metadata['labels']) ? (metadata['labels'] as Record<string, string>) : {};
  metadata['labels'] = { ...labels, [LABEL_APP_NAMESPACE]: app.metadata.namespace };
  object['metadata'] = metadata;
  return { ...d, object };
}

/**
 * A desired namespaced object in another namespace than the Application's (an addon's controller
 * in its own namespace): tracked like a cluster-scoped one, since an owner reference across
 * namespaces counts as absent for the garbage collector. Only Applications of the trusted
 * namespace get this far (outsideNamespaceRefusals).
 */
export function asOtherNamespace(d: DesiredObject, app: Application): DesiredObject {
  const object = structuredClone(d.object);
  const metadata = isPlainObject(object['metadata']) ? object['metadata'] : {};
  delete metadata['ownerReferences'];
  const labels = isPlainObject(metadata['labels']) ? (metadata['labels'] as Record<string, string>) : {};
  metadata['labels'] = { ...labels, [LABEL_APP_NAMESPACE]: app.metadata.namespace };
  object['metadata'] = metadata;
  return { ...d, object };
}

/**
 * `desired` with every object `namespaced` says is cluster-scoped turned by asClusterScoped, and
 * every namespaced one in another namespace by asOtherNamespace.
 */
export function placeObjects(
  app: Application,
  desired: readonly DesiredObject[],
  namespaced: (d: DesiredObject) => boolean,
): DesiredObject[] {
  return desired.map((d) => {
    if (!namespaced(d)) return asClusterScoped(d, app);
    return isTrackedByLabels(refOf(d.object), app) ? asOtherNamespace(d, app) : d;
  });
}

/**
 * Objects outside the Application's namespace (cluster-scoped, or in another namespace): no
 * owner reference; found through status.appliedResources and the app.oam.dev/name and
 * app.oam.dev/namespace labels, deleted under the resource-tracker finalizer.
 */
export function isTrackedByLabels(ref: { namespace: string }, app: Application): boolean {
  return ref.namespace !== app.metadata.namespace;
}

/**
 * Why each placed object may not be written for this Application, if any. An Application may
 * create objects only in its own namespace, except one in the system namespace (vela-system,
 * where addons live and only cluster administrators write): a k8s-objects component takes any
 * object from its properties, so without this rule anyone allowed to create an Application could
 * make the controller create a ClusterRoleBinding.
 */
export function outsideNamespaceRefusals(
  app: Application,
  placed: readonly DesiredObject[],
  trustedNamespace: string = SYSTEM_DEFINITION_NAMESPACE,
): Array<{ component: string; message: string }> {
  if (app.metadata.namespace === trustedNamespace) return [];
  const refusals: Array<{ component: string; message: string }> = [];
  for (const d of placed) {
    const ref = refOf(d.object);
    const where = isClusterScopedRef(ref) ? 'is cluster-scoped' : `is in namespace "${ref.namespace}"`;
    if (ref.namespace === app.metadata.namespace) continue;
    refusals.push({
      component: d.component,
      message:
        `component "${d.component}": ${ref.kind} "${ref.name}" ${where}; an Application in namespace ` +
        `"${app.metadata.namespace}" may only create objects in its own namespace (only Applications ` +
        `in "${trustedNamespace}" may create cluster-scoped objects)`,
    });
  }
  return refusals;
}

export function isClusterScopedRef(ref: { namespace: string }): boolean {
  return ref.namespace === '';
}

/**
 * Whether a live object belongs to the Application: a controller/owner reference to its uid, or,
 * for an object outside its namespace (cluster-scoped, or in another namespace), the
 * app.oam.dev/name and app.oam.dev/namespace labels naming it.
 */
export function belongsTo(obj: KubeObject, app: Application): boolean {
  const uid = app.metadata.uid;
  if (uid && (obj.metadata?.ownerReferences ?? []).some((o) => o.uid === uid)) return true;
  if (obj.metadata?.namespace === app.metadata.namespace) return false;
  const labels = obj.metadata?.labels ?? {};
  return (
    labels[LABEL_APP_NAME] === app.metadata.name && labels[LABEL_APP_NAMESPACE] === app.metadata.namespace
  );
}

export type FinalizerAction = 'add' | 'remove' | 'keep' | 'none';

export interface FinalizerInput {
  /** The finalizers on the Application now. */
  finalizers: readonly string[] | undefined;
  /** The Application renders at least one cluster-scoped object. */
  rendersClusterScoped: boolean;
  /** Cluster-scoped objects it applied may still exist (not yet pruned or not yet confirmed gone). */
  clusterScopedLeft: boolean;
}

/**
 * The resource-tracker finalizer is held only while the Application has cluster-scoped objects:
 * added before the first one is applied, removed once none is rendered and none is left.
 * Applications with namespaced objects only never carry it (the garbage collector suffices).
 */
export function finalizerAction(input: FinalizerInput): FinalizerAction {
  const has = (input.finalizers ?? []).includes(RESOURCE_TRACKER_FINALIZER);
  const needed = input.rendersClusterScoped || input.clusterScopedLeft;
  if (needed) return has ? 'keep' : 'add';
  return has ? 'remove' : 'none';
}

/** The finalizer list after `action` (other controllers' finalizers kept, in order). */
export function finalizersAfter(
  finalizers: readonly string[] | undefined,
  action: FinalizerAction,
): string[] {
  const current = [...(finalizers ?? [])];
  const has = current.includes(RESOURCE_TRACKER_FINALIZER);
  if (action === 'add' && !has) return [...current, RESOURCE_TRACKER_FINALIZER];
  if (action === 'remove') return current.filter((f) => f !== RESOURCE_TRACKER_FINALIZER);
  return current;
}

/**
 * The objects to delete when the Application is deleted: those it recorded outside its namespace
 * (cluster-scoped ones; with `appNamespace`, those in other namespaces too), but no
 * CustomResourceDefinition (isKeptOnDelete). The garbage collector takes the rest.
 */
export function clusterScopedRecorded(
  recorded: readonly AppliedResource[],
  appNamespace?: string,
): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const r of recorded) {
    const ref = { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name };
    const outside = isClusterScopedRef(ref) || (appNamespace !== undefined && ref.namespace !== appNamespace);
    if (outside && !isKeptOnDelete(ref)) seen.set(refKey(ref), ref);
  }
  return [...seen.values()];
}

/**
 * What is wrong with the rendered objects as a whole: objects without apiVersion, kind or name,
 * and objects rendered twice (two components or outputs claiming one name). One message each.
 */
export function invalidObjects(desired: readonly DesiredObject[]): string[] {
  const seen = new Map<string, DesiredObject>();
  const clashes: string[] = [];
  const who = (d: DesiredObject): string =>
    d.trait ? `component "${d.component}": trait "${d.trait}"` : `component "${d.component}"`;
  for (const d of desired) {
    const ref = refOf(d.object);
    if (!ref.apiVersion || !ref.kind || !ref.name) {
      clashes.push(`${who(d)}: renders an object without apiVersion, kind or metadata.name`);
      continue;
    }
    const key = refKey(ref);
    const first = seen.get(key);
    if (first)
      clashes.push(`${describeRef(refOf(d.object))} is rendered by both ${who(first)} and ${who(d)}`);
    else seen.set(key, d);
  }
  return clashes;
}

/** What status.appliedResources records: every applied object except the revisions. */
export function appliedResources(desired: readonly DesiredObject[]): AppliedResource[] {
  return desired
    .filter((d) => d.role !== 'revision')
    .map((d) => ({
      ...refOf(d.object),
      component: d.component,
      ...(d.trait ? { trait: d.trait } : {}),
    }));
}

export interface PruneCandidate {
  ref: ObjectRef;
  /**
   * The caller saw the object, with an owner reference to this Application, in a cache. An
   * unverified one (known only from status.appliedResources) must be read and checked first.
   */
  verified: boolean;
}

function isRevision(ref: ObjectRef): boolean {
  return ref.kind === 'ControllerRevision' && parseApiVersion(ref.apiVersion).group === 'apps';
}

/**
 * CustomResourceDefinitions are applied but never deleted by the Application (neither pruned nor
 * deleted with it): deleting one deletes every object of that kind in the whole cluster, and the
 * same CRDs are often installed by other means too (a separate CRD bundle, another addon).
 */
export function isKeptOnDelete(ref: ObjectRef): boolean {
  return (
    ref.kind === 'CustomResourceDefinition' &&
    parseApiVersion(ref.apiVersion).group === 'apiextensions.k8s.io'
  );
}

/**
 * Objects to delete: those the Application owns (seen in the caches) or recorded as applied, that
 * it no longer renders. ControllerRevisions are left to the revision history rules.
 */
export function pruneCandidates(
  desired: readonly DesiredObject[],
  owned: readonly ObjectRef[],
  recorded: readonly AppliedResource[],
): PruneCandidate[] {
  const wanted = new Set(desired.map((d) => refKey(refOf(d.object))));
  const candidates = new Map<string, PruneCandidate>();
  for (const ref of owned) {
    const key = refKey(ref);
    if (!wanted.has(key) && !isRevision(ref)) candidates.set(key, { ref, verified: true });
  }
  for (const r of recorded) {
    const ref = { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name };
    const key = refKey(ref);
    if (!wanted.has(key) && !candidates.has(key) && !isRevision(ref) && !isKeptOnDelete(ref))
      candidates.set(key, { ref, verified: false });
  }
  return [...candidates.values()];
}

// ---------------------------------------------------------------------------------------------
// Status

export const CONDITION_RENDERED = 'Rendered';
export const CONDITION_APPLIED = 'Applied';
export const CONDITION_HEALTHY = 'Healthy';

export interface PhaseInput {
  /** Rendering or applying failed. */
  failed: boolean;
  /** This reconcile changed objects whose controllers have not reported on them yet. */
  changed: boolean;
  healthy: boolean;
}

/**
 * `workflowFailed` when the input cannot be rendered or applied (nothing running is touched),
 * `rendering` right after this reconcile changed objects (their health is not known until their
 * controllers have seen them; their watch events bring the next reconcile), then `running` when
 * every component and trait is healthy, else `unhealthy`.
 */
export function decidePhase(input: PhaseInput): ApplicationPhase {
  if (input.failed) return 'workflowFailed';
  if (input.changed) return 'rendering';
  return input.healthy ? 'running' : 'unhealthy';
}

/** Why the Application is not healthy, naming each unhealthy component and trait. */
export function unhealthySummary(services: readonly ServiceStatus[]): string {
  const parts: string[] = [];
  for (const s of services) {
    if (s.healthy) continue;
    const traits = (s.traits ?? [])
      .filter((t) => !t.healthy)
      .map((t) => `trait "${t.type}"${t.message ? ` (${t.message})` : ''}`);
    const detail = [s.message, ...traits].filter((x): x is string => Boolean(x)).join(', ');
    // A render error already names its component.
    if (detail.startsWith(`component "${s.name}"`)) parts.push(detail);
    else parts.push(`component "${s.name}" unhealthy${detail ? `: ${detail}` : ''}`);
  }
  return parts.join('; ');
}

export interface StatusInput {
  app: Application;
  phase: ApplicationPhase;
  services: ServiceStatus[];
  /** Conditions after the error path (if any) has run; others are merged in here. */
  conditions: readonly Condition[] | undefined;
  /** Updates for the conditions that did not go through the error path. */
  updates: readonly ConditionUpdate[];
  appliedResources: AppliedResource[];
  now: Date;
}

export function buildStatus(input: StatusInput): ApplicationStatus {
  let conditions = input.conditions;
  for (const update of input.updates) {
    conditions = setCondition(
      conditions,
      { ...update, observedGeneration: input.app.metadata.generation },
      input.now,
    );
  }
  return {
    observedGeneration: input.app.metadata.generation,
    status: input.phase,
    services: input.services,
    conditions: [...(conditions ?? [])],
    appliedResources: input.appliedResources,
  };
}

export function healthyCondition(services: readonly ServiceStatus[]): ConditionUpdate {
  const summary = unhealthySummary(services);
  return summary === ''
    ? {
        type: CONDITION_HEALTHY,
        status: 'True',
        reason: 'Healthy',
        message: 'every component and trait is healthy',
      }
    : { type: CONDITION_HEALTHY, status: 'False', reason: 'Unhealthy', message: summary };
}

export function renderedCondition(components: number): ConditionUpdate {
  return {
    type: CONDITION_RENDERED,
    status: 'True',
    reason: 'Rendered',
    message: `${components} component${components === 1 ? '' : 's'} rendered`,
  };
}

export function appliedCondition(): ConditionUpdate {
  return {
    type: CONDITION_APPLIED,
    status: 'True',
    reason: 'Applied',
    message: 'every rendered object is applied',
  };
}

/** The condition an error of `reason` is reported on. */
export function conditionForError(reason: ApplicationErrorReason): string {
  return reason === 'ApplyRejected' || reason === 'ApplyFailed' ? CONDITION_APPLIED : CONDITION_RENDERED;
}
