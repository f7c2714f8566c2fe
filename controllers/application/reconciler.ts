// The Application reconciler (the thin, I/O half): reads the Application and what the caches show,
// renders each component (render.ts), lets the planner decide, then writes: a server-side dry run
// of every object that will change (so input the API server rejects touches nothing), the
// applies, the prunes, the revision collection, and finally the status.
//
// Bad input (unknown definitions, CUE errors, properties failing the parameter schema, traits
// that do not apply, revision conflicts, objects the API server rejects) never reaches the
// cluster: the reconcile stops before its first write, sets phase `workflowFailed` and a False
// condition naming the component, the field and the reason, and records a Warning Event once per
// distinct message. It is not retried (only a change of the Application or of a definition can
// fix it), so a bad Application costs nothing until it is edited.

import {
  APPLIED_HASH_ANNOTATION,
  FIELD_MANAGER,
  contentHash,
  ensureApplied,
  ensureStatusApplied,
  isSubset,
} from '../kit/apply.js';
import { isApiError, isNotFound, type KubeClient } from '../kit/client.js';
import type { Clock } from '../kit/clock.js';
import { findCondition, reportError, type Condition, type ConditionUpdate } from '../kit/conditions.js';
import type { ReconcileRequest, ReconcileResult } from '../kit/controller.js';
import { NoKindMatchError, type ResourceDescriptor } from '../kit/discovery.js';
import type { EventRecorder } from '../kit/events.js';
import type { Informer } from '../kit/informer.js';
import { errorMessage, type Logger } from '../kit/log.js';
import { keyOf, parseApiVersion, type KubeObject } from '../kit/objects.js';
import { ApplicationError, scope } from './errors.js';
import { componentHealth, type StatusEvaluator } from './health.js';
import { WriteMemo } from './memo.js';
import {
  appliedCondition,
  appliedResources,
  belongsTo,
  buildStatus,
  clusterScopedRecorded,
  outsideNamespaceRefusals,
  conditionForError,
  decidePhase,
  desiredObjects,
  describeRef,
  finalizerAction,
  finalizersAfter,
  healthyCondition,
  invalidObjects,
  isTrackedByLabels,
  placeObjects,
  pruneCandidates,
  refKey,
  refOf,
  renderedCondition,
  type DesiredObject,
  type FinalizerAction,
  type ObjectRef,
} from './planner.js';
import {
  findDefinition,
  renderComponent,
  type RenderEnvironment,
  type RenderedComponent,
  type Renderer,
} from './render.js';
import { DeadlineBackoff, fingerprint, isPermanentRejection, rejectionDetail } from './retry.js';
import { isOwnedBy, referencedRevisions, revisionsToCollect } from './revisions.js';
import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  LABEL_APP_NAME,
  RESOURCE_TRACKER_FINALIZER,
  SYSTEM_DEFINITION_NAMESPACE,
  applicationResource,
  type Application,
  type ApplicationStatus,
  type AppliedResource,
  type ComponentDefinition,
  type ControllerRevision,
  type RolloutReferences,
  type ServiceStatus,
  type TraitDefinition,
} from './types.js';

/** A kind the controller keeps a cache of (objects labelled app.oam.dev/name). */
export interface WatchedKind {
  resource: ResourceDescriptor;
  informer: Informer<KubeObject>;
}

export interface ApplicationReconcilerDeps {
  client: KubeClient;
  clock: Clock;
  recorder: EventRecorder;
  engine: Renderer & StatusEvaluator;
  applications: Informer<Application>;
  componentDefinitions: readonly Informer<ComponentDefinition>[];
  traitDefinitions: readonly Informer<TraitDefinition>[];
  /** Caches of the kinds the Application renders or reads health from, by `group/kind`. */
  watched: ReadonlyMap<string, WatchedKind>;
  revisionLimit: number;
  /**
   * The one namespace whose Applications may create objects outside their own namespace
   * (cluster-scoped ones included); default vela-system, where addons live.
   */
  trustedNamespace?: string;
}

export function kindKey(apiVersion: string, kind: string): string {
  return `${parseApiVersion(apiVersion).group}/${kind}`;
}

/**
 * Index of the watched caches by `namespace/<app.oam.dev/name>` (kit indexByLabelValue): an
 * Application's own objects without scanning a namespace that may hold thousands of others'.
 */
export const BY_APPLICATION_INDEX = 'applicationName';

const REVISION_KIND = kindKey('apps/v1', 'ControllerRevision');
const ROLLOUT_KIND = kindKey('standard.oam.dev/v1alpha1', 'Rollout');
const WORKLOAD_KINDS = [kindKey('apps/v1', 'Deployment'), kindKey('apps.kruise.io/v1alpha1', 'CloneSet')];

function applicationRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace, name };
}

export class ApplicationReconciler {
  private readonly memo = new WriteMemo();
  /** Applications whose render hit the CUE deadline, waiting before the next render (retry.ts). */
  private readonly deadlines = new DeadlineBackoff();
  private reconciles = 0;

  constructor(private readonly deps: ApplicationReconcilerDeps) {
    // Known kinds resolve without discovery requests (ensureApplied looks kinds up by apiVersion).
    deps.client.mapper.register(applicationResource);
    for (const { resource } of deps.watched.values()) deps.client.mapper.register(resource);
  }

  readonly reconcile = async (request: ReconcileRequest): Promise<ReconcileResult | void> => {
    const now = this.deps.clock.now();
    if (++this.reconciles % 256 === 0) this.memo.sweep(now.getTime());
    const namespace = request.namespace;
    if (!namespace) return;
    const app = this.memo.read(
      refKey(applicationRef(namespace, request.name)),
      this.deps.applications.get(keyOf(namespace, request.name)),
      now.getTime(),
    );
    if (!app) {
      this.deadlines.clear(keyOf(namespace, request.name));
      return;
    }
    // Deleting: the garbage collector removes the namespaced objects the Application owns; the
    // cluster-scoped ones carry no owner reference and are deleted here, under the finalizer.
    if (app.metadata.deletionTimestamp) return this.finalize(app, request.logger);
    // A render that hit the CUE deadline is not tried again before its backoff ends, whatever
    // watch event asks, unless the input changed (retry.ts).
    const wait = this.deadlines.remaining(
      keyOf(namespace, request.name),
      this.renderInputs(app),
      now.getTime(),
    );
    if (wait !== undefined) {
      request.logger.debug('render deadline backoff', { remainingMs: wait });
      return { requeueAfter: wait };
    }
    return this.sync(app, request.logger);
  };

  /** What the Application's render depends on besides the cluster (see retry.ts RenderInputs). */
  private renderInputs(app: Application): string {
    const namespace = app.metadata.namespace;
    const definitions: Record<string, string> = {};
    const version = (d: KubeObject | undefined) =>
      d ? `${d.metadata?.uid ?? ''}@${d.metadata?.resourceVersion ?? ''}` : '';
    for (const component of app.spec?.components ?? []) {
      definitions[`component/${component.type}`] = version(
        findDefinition(
          (ns, name) => this.definition(this.deps.componentDefinitions, ns, name),
          namespace,
          component.type,
        ),
      );
      for (const trait of component.traits ?? []) {
        definitions[`trait/${trait.type}`] = version(
          findDefinition(
            (ns, name) => this.definition(this.deps.traitDefinitions, ns, name),
            namespace,
            trait.type,
          ),
        );
      }
    }
    return fingerprint({
      uid: app.metadata.uid,
      generation: app.metadata.generation,
      labels: app.metadata.labels,
      annotations: app.metadata.annotations,
      definitions,
    });
  }

  /**
   * The requeue for a failed reconcile: a render deadline waits its long backoff; other failures
   * that waiting may fix use the queue's backoff; permanent ones (bad input, a rejected object)
   * are not requeued: a change of the Application or of a definition reconciles them.
   */
  private retryAfterFailure(app: Application, errors: readonly ApplicationError[]): ReconcileResult {
    const key = keyOf(app.metadata.namespace, app.metadata.name);
    if (errors.some((e) => e.deadlineExceeded)) {
      return {
        requeueAfter: this.deadlines.failed(key, this.renderInputs(app), this.deps.clock.now().getTime()),
      };
    }
    this.deadlines.clear(key);
    return errors.some((e) => e.retryable) ? { requeue: true } : {};
  }

  private async sync(current: Application, logger: Logger): Promise<ReconcileResult | void> {
    let app = current;
    const namespace = app.metadata.namespace;
    const revisions = this.revisionsIn(namespace);
    const env: RenderEnvironment = {
      engine: this.deps.engine,
      componentDefinition: (ns, name) => this.definition(this.deps.componentDefinitions, ns, name),
      traitDefinition: (ns, name) => this.definition(this.deps.traitDefinitions, ns, name),
      workloadType: (apiVersion, kind) => this.workloadType(apiVersion, kind),
      revisions,
    };

    // Render every component; collect all problems, so one status names them all.
    const errors: ApplicationError[] = [];
    const rendered: RenderedComponent[] = [];
    const seen = new Set<string>();
    for (const component of app.spec?.components ?? []) {
      if (seen.has(component.name)) {
        errors.push(
          new ApplicationError('InvalidSpec', `${scope(component.name)}: defined more than once`, {
            component: component.name,
          }),
        );
        continue;
      }
      seen.add(component.name);
      try {
        rendered.push(await renderComponent(app, component, env));
      } catch (error) {
        errors.push(this.asApplicationError(error, component.name));
      }
    }
    let desired: DesiredObject[] = [];
    const resources = new Map<string, ResourceDescriptor>();
    if (errors.length === 0) {
      desired = desiredObjects(app, rendered);
      for (const message of invalidObjects(desired))
        errors.push(new ApplicationError('InvalidDefinition', message));
    }
    if (errors.length === 0) {
      for (const d of desired) {
        try {
          resources.set(refKey(refOf(d.object)), await this.resourceOf(d));
        } catch (error) {
          errors.push(this.asApplicationError(error, d.component));
        }
      }
    }
    if (errors.length > 0) return this.fail(app, errors, rendered, undefined, logger);

    // Cluster-scoped kinds lose their namespace and owner reference (see asClusterScoped).
    const resourceOf = new Map(desired.map((d) => [d, resources.get(refKey(refOf(d.object)))]));
    const placed = placeObjects(app, desired, (d) => resourceOf.get(d)?.namespaced !== false);
    resources.clear();
    placed.forEach((d, i) => {
      const resource = resourceOf.get(desired[i] as DesiredObject);
      if (resource) resources.set(refKey(refOf(d.object)), resource);
    });
    desired = placed;
    const refusals = outsideNamespaceRefusals(
      app,
      desired,
      this.deps.trustedNamespace ?? SYSTEM_DEFINITION_NAMESPACE,
    );
    if (refusals.length > 0) {
      const refused = refusals.map(
        (r) => new ApplicationError('OutsideNamespace', r.message, { component: r.component }),
      );
      return this.fail(app, refused, rendered, undefined, logger);
    }
    // Objects outside the Application's namespace need the finalizer as cluster-scoped ones do.
    const rendersClusterScoped = desired.some((d) => isTrackedByLabels(refOf(d.object), app));

    // Read what exists, then dry-run everything that is about to change.
    const live = new Map<string, KubeObject | undefined>();
    for (const d of desired) {
      const ref = refOf(d.object);
      live.set(refKey(ref), await this.readLive(ref, resources.get(refKey(ref)), namespace));
    }
    const changing = desired.filter((d) => this.needsApply(d.object, live.get(refKey(refOf(d.object)))));
    for (const d of changing) {
      try {
        await this.deps.client.apply(d.object, {
          fieldManager: FIELD_MANAGER,
          force: true,
          dryRun: true,
          resource: resources.get(refKey(refOf(d.object))),
        });
      } catch (error) {
        return this.fail(app, [this.applyError(d, error)], rendered, undefined, logger);
      }
    }

    // The finalizer is in place before the first cluster-scoped object exists.
    if (changing.length > 0) {
      const action = finalizerAction({
        finalizers: app.metadata.finalizers,
        rendersClusterScoped,
        clusterScopedLeft: false,
      });
      if (action === 'add') app = await this.updateFinalizers(app, action);
    }

    // Apply. Revisions come first in `desired`: the Rollout refers to them.
    let changedWorkloads = false;
    for (const d of changing) {
      const ref = refOf(d.object);
      const key = refKey(ref);
      try {
        const before = live.get(key);
        const result = await ensureApplied(this.deps.client, d.object, before);
        if (!result.applied) continue;
        this.memo.wrote(key, before, result.object, this.deps.clock.now().getTime());
        live.set(key, result.object);
        if (d.role !== 'revision') changedWorkloads = true;
        if (d.role === 'revision' && before === undefined) {
          // Not awaited: the recorder never rejects, and the applies after it need not wait for
          // a diagnostic (one round trip less on every new revision).
          void this.deps.recorder.normal(
            app,
            'RevisionCreated',
            `${scope(d.component)}: created revision ${ref.name}`,
          );
        }
        logger.info('applied', { object: describeRef(ref), component: d.component });
      } catch (error) {
        const recorded = mergeRecorded(app.status?.appliedResources, appliedResources(desired));
        return this.fail(app, [this.applyError(d, error)], rendered, recorded, logger);
      }
    }

    try {
      await this.prune(app, desired, logger);
      await this.collectRevisions(app, rendered, desired, logger);
      // Every cluster-scoped object no longer rendered was just pruned.
      const action = finalizerAction({
        finalizers: app.metadata.finalizers,
        rendersClusterScoped,
        clusterScopedLeft: false,
      });
      if (action === 'add' || action === 'remove') app = await this.updateFinalizers(app, action);
    } catch (error) {
      const failure = new ApplicationError('ApplyFailed', `pruning failed: ${errorMessage(error)}`, {
        retryable: true,
      });
      return this.fail(
        app,
        [failure],
        rendered,
        mergeRecorded(app.status?.appliedResources, appliedResources(desired)),
        logger,
      );
    }

    const services = await this.services(app, rendered, [], live);
    const phase = decidePhase({
      failed: false,
      changed: changedWorkloads,
      healthy: services.every((s) => s.healthy),
    });
    const status = buildStatus({
      app,
      phase,
      services,
      conditions: app.status?.conditions,
      updates: [renderedCondition(rendered.length), appliedCondition(), healthyCondition(services)],
      appliedResources: appliedResources(desired),
      now: this.deps.clock.now(),
    });
    this.deadlines.clear(keyOf(namespace, app.metadata.name));
    await this.writeStatus(app, status);
  }

  /** Reports `errors` (condition, Warning Event once per distinct message, log) and writes status. */
  private async fail(
    app: Application,
    errors: readonly ApplicationError[],
    rendered: readonly RenderedComponent[],
    recorded: AppliedResource[] | undefined,
    logger: Logger,
  ): Promise<ReconcileResult> {
    const first = errors[0] as ApplicationError;
    const message = errors.map((e) => e.message).join('; ');
    const conditionType = conditionForError(first.reason);
    const current = findCondition(app.status?.conditions, conditionType);
    let conditions: readonly Condition[] | undefined = app.status?.conditions;
    const now = this.deps.clock.now();
    if (current?.status !== 'False' || current.reason !== first.reason || current.message !== message) {
      conditions = await reportError({
        object: app,
        error: message,
        reason: first.reason,
        conditionType,
        conditions,
        now,
        recorder: this.deps.recorder,
        logger,
      });
    } else {
      logger.debug('still failing', { reason: first.reason });
    }
    const services = await this.services(app, rendered, errors, new Map());
    const updates: ConditionUpdate[] = [healthyCondition(services)];
    // An apply failure happens after rendering succeeded.
    if (conditionType !== 'Rendered') updates.push(renderedCondition(rendered.length));
    const status = buildStatus({
      app,
      phase: decidePhase({ failed: true, changed: false, healthy: false }),
      services,
      conditions,
      updates,
      appliedResources: recorded ?? app.status?.appliedResources ?? [],
      now,
    });
    await this.writeStatus(app, status);
    return this.retryAfterFailure(app, errors);
  }

  private asApplicationError(error: unknown, component: string): ApplicationError {
    if (error instanceof ApplicationError) {
      error.component ??= component;
      return error;
    }
    return new ApplicationError('RenderError', `${scope(component)}: ${errorMessage(error)}`, {
      component,
      retryable: true,
    });
  }

  private applyError(d: DesiredObject, error: unknown): ApplicationError {
    const where = d.trait ? scope(d.component, d.trait) : scope(d.component);
    const what = describeRef(refOf(d.object));
    const detail = isApiError(error) ? (error.body.message ?? error.message) : errorMessage(error);
    // A rejection names the object, then the field and the reason as the API server gives them.
    return isPermanentRejection(error)
      ? new ApplicationError(
          'ApplyRejected',
          `${where}: the API server rejects ${what}: ${rejectionDetail(error)}`,
          {
            component: d.component,
          },
        )
      : new ApplicationError('ApplyFailed', `${where}: applying ${what} failed: ${detail}`, {
          component: d.component,
          retryable: true,
        });
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private definition<T extends KubeObject>(
    informers: readonly Informer<T>[],
    namespace: string,
    name: string,
  ): T | undefined {
    for (const informer of informers) {
      const found = informer.get(keyOf(namespace, name));
      if (found) return found;
    }
    return undefined;
  }

  private async workloadType(apiVersion: string, kind: string): Promise<string> {
    const resource = await this.resourceFor(apiVersion, kind, undefined);
    return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
  }

  private async resourceFor(
    apiVersion: string,
    kind: string,
    component: string | undefined,
  ): Promise<ResourceDescriptor> {
    const watched = this.deps.watched.get(kindKey(apiVersion, kind));
    if (watched && watched.resource.version === parseApiVersion(apiVersion).version) return watched.resource;
    try {
      return await this.deps.client.mapper.resourceFor(apiVersion, kind);
    } catch (error) {
      if (error instanceof NoKindMatchError) {
        // Retried: the CRD may be installed later.
        throw new ApplicationError(
          'UnknownKind',
          `${component ? `${scope(component)}: ` : ''}no API serves kind ${kind} in ${apiVersion}`,
          { retryable: true, component },
        );
      }
      throw error;
    }
  }

  private async resourceOf(d: DesiredObject): Promise<ResourceDescriptor> {
    const ref = refOf(d.object);
    return this.resourceFor(ref.apiVersion, ref.kind, d.component);
  }

  /**
   * The object from the cache (through the write memo) for watched kinds, else from the API. One
   * in another namespace than `appNamespace` the cache lacks is read too: the caches may cover
   * one namespace only (--namespace).
   */
  private async readLive(
    ref: ObjectRef,
    resource: ResourceDescriptor | undefined,
    appNamespace: string,
  ): Promise<KubeObject | undefined> {
    if (this.deps.watched.has(kindKey(ref.apiVersion, ref.kind))) {
      const cached = this.cached(ref);
      if (cached || ref.namespace === appNamespace || ref.namespace === '') return cached;
    }
    const target = resource ?? (await this.resourceFor(ref.apiVersion, ref.kind, undefined));
    return this.deps.client.tryGet(target, ref.name, ref.namespace || undefined);
  }

  private cached(ref: ObjectRef): KubeObject | undefined {
    const watched = this.deps.watched.get(kindKey(ref.apiVersion, ref.kind));
    if (!watched) return undefined;
    return this.memo.read(
      refKey(ref),
      watched.informer.get(keyOf(ref.namespace, ref.name)),
      this.deps.clock.now().getTime(),
    );
  }

  /** ControllerRevisions in the namespace, including ones just written that the cache lacks. */
  private revisionsIn(namespace: string): ControllerRevision[] {
    const watched = this.deps.watched.get(REVISION_KIND);
    if (!watched) return [];
    const nowMs = this.deps.clock.now().getTime();
    const byKey = new Map<string, ControllerRevision>();
    // refKey of a revision is this prefix plus its name; built once, as a namespace can hold
    // thousands of revisions and this runs on every reconcile.
    const prefix = refKey({ apiVersion: 'apps/v1', kind: 'ControllerRevision', namespace, name: '' });
    for (const cached of watched.informer.list(namespace)) {
      const key = prefix + (cached.metadata?.name ?? '');
      const current = this.memo.read(key, cached, nowMs);
      if (current) byKey.set(key, current as ControllerRevision);
    }
    for (const key of this.memo.keysWithPrefix(prefix)) {
      if (byKey.has(key)) continue;
      const name = key.slice(prefix.length);
      const current = this.memo.read(key, watched.informer.get(keyOf(namespace, name)), nowMs);
      if (current) byKey.set(key, current as ControllerRevision);
    }
    return [...byKey.values()];
  }

  /** Cached objects of one watched kind labelled app.oam.dev/name=<app>, by index when there is one. */
  private labelledWith(watched: WatchedKind | undefined, app: Application): KubeObject[] {
    if (!watched) return [];
    const { namespace, name } = app.metadata;
    if (watched.informer.store.hasIndexer(BY_APPLICATION_INDEX)) {
      return watched.informer.byIndex(BY_APPLICATION_INDEX, `${namespace}/${name}`);
    }
    return watched.informer.list(namespace, { matchLabels: { [LABEL_APP_NAME]: name } });
  }

  /** Objects of the watched kinds labelled with the Application and owned by it. */
  private ownedObjects(app: Application): ObjectRef[] {
    const refs: ObjectRef[] = [];
    for (const [kind, watched] of this.deps.watched) {
      if (kind === REVISION_KIND) continue;
      for (const cached of this.labelledWith(watched, app)) {
        const ref = {
          ...refOf(cached),
          apiVersion:
            cached.apiVersion ??
            `${watched.resource.group ? `${watched.resource.group}/` : ''}${watched.resource.version}`,
          kind: cached.kind ?? watched.resource.kind,
        };
        const current = this.cached(ref);
        if (current && isOwnedBy(current, app.metadata.uid) && !current.metadata?.deletionTimestamp)
          refs.push(ref);
      }
    }
    return refs;
  }

  /** Whether ensureApplied will write `desired` (what it sends also carries the applied hash). */
  private needsApply(desired: KubeObject, live: KubeObject | undefined): boolean {
    if (live === undefined) return true;
    const intent = {
      ...desired,
      metadata: {
        ...desired.metadata,
        annotations: {
          ...(desired.metadata?.annotations ?? {}),
          [APPLIED_HASH_ANNOTATION]: contentHash(desired),
        },
      },
    };
    return !isSubset(intent, live);
  }

  // -------------------------------------------------------------------------------------------
  // Deleting

  private async prune(app: Application, desired: readonly DesiredObject[], logger: Logger): Promise<void> {
    const candidates = pruneCandidates(desired, this.ownedObjects(app), app.status?.appliedResources ?? []);
    for (const candidate of candidates) {
      const { ref } = candidate;
      let resource: ResourceDescriptor;
      try {
        resource = await this.resourceFor(ref.apiVersion, ref.kind, undefined);
      } catch (error) {
        if (error instanceof ApplicationError) continue; // the kind is gone, and its objects with it
        throw error;
      }
      const live = candidate.verified
        ? this.cached(ref)
        : await this.deps.client.tryGet(resource, ref.name, ref.namespace || undefined);
      if (!live || !belongsTo(live, app) || live.metadata?.deletionTimestamp) continue;
      await this.delete(resource, ref, live);
      logger.info('pruned', { object: describeRef(ref) });
    }
  }

  private async collectRevisions(
    app: Application,
    rendered: readonly RenderedComponent[],
    desired: readonly DesiredObject[],
    logger: Logger,
  ): Promise<void> {
    const namespace = app.metadata.namespace;
    const owned = this.revisionsIn(namespace).filter((r) => isOwnedBy(r, app.metadata.uid));
    const rollouts = [
      ...this.labelledWith(this.deps.watched.get(ROLLOUT_KIND), app),
      ...desired
        .filter((d) => kindKey(d.object.apiVersion ?? '', d.object.kind ?? '') === ROLLOUT_KIND)
        .map((d) => d.object),
    ] as RolloutReferences[];
    const workloads = WORKLOAD_KINDS.flatMap((k) => this.labelledWith(this.deps.watched.get(k), app));
    const keep = referencedRevisions(rollouts, workloads);
    for (const c of rendered) keep.add(c.revision.name);
    const names = revisionsToCollect({
      components: rendered.map((c) => c.name),
      owned,
      limit: this.deps.revisionLimit,
      keep,
    });
    const resource = this.deps.watched.get(REVISION_KIND)?.resource;
    if (!resource) return;
    for (const name of names) {
      const ref = { apiVersion: 'apps/v1', kind: 'ControllerRevision', namespace, name };
      await this.delete(resource, ref, this.cached(ref));
      logger.info('collected revision', { revision: name });
    }
  }

  private async delete(
    resource: ResourceDescriptor,
    ref: ObjectRef,
    before: KubeObject | undefined,
  ): Promise<void> {
    try {
      await this.deps.client.delete(resource, ref.name, {
        namespace: ref.namespace || undefined,
        propagationPolicy: 'Background',
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    this.memo.wrote(refKey(ref), before, undefined, this.deps.clock.now().getTime());
  }

  /**
   * The Application is being deleted: deletes the cluster-scoped objects it recorded (those still
   * labelled as its own), then releases its finalizer. Namespaced objects are the garbage
   * collector's.
   */
  private async finalize(app: Application, logger: Logger): Promise<void> {
    if (!(app.metadata.finalizers ?? []).includes(RESOURCE_TRACKER_FINALIZER)) return;
    for (const ref of clusterScopedRecorded(app.status?.appliedResources ?? [], app.metadata.namespace)) {
      let resource: ResourceDescriptor;
      try {
        resource = await this.resourceFor(ref.apiVersion, ref.kind, undefined);
      } catch (error) {
        if (error instanceof ApplicationError) continue; // the kind is gone, and its objects with it
        throw error;
      }
      const live = await this.deps.client.tryGet(resource, ref.name, ref.namespace || undefined);
      if (!live || !belongsTo(live, app) || live.metadata?.deletionTimestamp) continue;
      await this.delete(resource, ref, live);
      logger.info('deleted with the application', { object: describeRef(ref) });
    }
    try {
      await this.updateFinalizers(app, 'remove');
    } catch (error) {
      // A finalize racing an earlier one that already released the finalizer: the Application is gone.
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Adds or removes the resource-tracker finalizer. The resourceVersion makes the patch fail with
   * a conflict (and the reconcile retry) when the Application changed since it was read.
   */
  private async updateFinalizers(app: Application, action: FinalizerAction): Promise<Application> {
    const finalizers = finalizersAfter(app.metadata.finalizers, action);
    const updated = await this.deps.client.patch<Application>(
      applicationResource,
      app.metadata.name,
      { metadata: { finalizers, resourceVersion: app.metadata.resourceVersion } },
      { namespace: app.metadata.namespace, fieldManager: FIELD_MANAGER },
    );
    this.memo.wrote(
      refKey(applicationRef(app.metadata.namespace, app.metadata.name)),
      app,
      updated,
      this.deps.clock.now().getTime(),
    );
    return updated;
  }

  // -------------------------------------------------------------------------------------------
  // Status

  /** services[] in spec order: health for rendered components, the error for failed ones. */
  private async services(
    app: Application,
    rendered: readonly RenderedComponent[],
    errors: readonly ApplicationError[],
    known: ReadonlyMap<string, KubeObject | undefined>,
  ): Promise<ServiceStatus[]> {
    const namespace = app.metadata.namespace;
    const lookup = (ref: ObjectRef): KubeObject | undefined => {
      const key = refKey(ref);
      if (known.has(key)) return known.get(key);
      // Rendered objects carry the Application's namespace until a cluster-scoped kind drops it.
      const clusterKey = refKey({ ...ref, namespace: '' });
      return known.has(clusterKey) ? known.get(clusterKey) : this.cached(ref);
    };
    const services: ServiceStatus[] = [];
    const listed = new Set<string>();
    for (const component of app.spec?.components ?? []) {
      if (listed.has(component.name)) continue;
      listed.add(component.name);
      const failures = errors.filter((e) => e.component === component.name);
      const done = rendered.find((c) => c.name === component.name);
      if (failures.length > 0 || !done) {
        services.push({
          name: component.name,
          namespace,
          healthy: false,
          message: failures.map((e) => e.message).join('; ') || 'not rendered',
        });
        continue;
      }
      services.push(await componentHealth(this.deps.engine, done, namespace, lookup));
    }
    return services;
  }

  private async writeStatus(app: Application, status: ApplicationStatus): Promise<void> {
    const desired: Application = {
      apiVersion: APPLICATION_API_VERSION,
      kind: APPLICATION_KIND,
      metadata: { name: app.metadata.name, namespace: app.metadata.namespace },
      spec: {},
      status,
    };
    const { spec: _spec, ...body } = desired;
    const result = await ensureStatusApplied(this.deps.client, body as Application, app);
    if (result.applied) {
      this.memo.wrote(
        refKey(applicationRef(app.metadata.namespace, app.metadata.name)),
        app,
        result.object,
        this.deps.clock.now().getTime(),
      );
    }
  }
}

function mergeRecorded(
  previous: readonly AppliedResource[] | undefined,
  current: readonly AppliedResource[],
): AppliedResource[] {
  const byKey = new Map<string, AppliedResource>();
  for (const r of [...(previous ?? []), ...current]) byKey.set(refKey(r), r);
  return [...byKey.values()];
}
