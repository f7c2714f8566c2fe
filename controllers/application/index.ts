// Registers the Application controller: KubeVela Applications → workloads, trait outputs and
// ControllerRevisions (see reconciler.ts for the flow, render.ts for the rendering rules).
//
// Caches: Applications; Component/TraitDefinitions (the Application's namespace and vela-system);
// and, labelled app.oam.dev/name, the kinds the shipped definitions render or read health from:
// Deployments, Services, ControllerRevisions, Rollouts, CloneSets and IHPAs (the last two only
// when their CRDs are served). Every change of those reconciles the Application named by the
// label; a definition change reconciles the Applications using it. No polling.

import { createCueEngine, type CueEngine } from '../../cuelang-wasm/index.js';
import { mapToSelf, type MapFunc } from '../kit/controller.js';
import { NoKindMatchError, builtin, type ResourceDescriptor } from '../kit/discovery.js';
import { errorMessage } from '../kit/log.js';
import type { Manager } from '../kit/manager.js';
import { formatApiVersion, keyOf, type KubeObject } from '../kit/objects.js';
import { indexByLabelValue } from '../kit/store.js';
import { ApplicationReconciler, BY_APPLICATION_INDEX, kindKey, type WatchedKind } from './reconciler.js';
import {
  DEFAULT_REVISION_LIMIT,
  LABEL_ADDON_NAME,
  LABEL_APP_NAME,
  LABEL_APP_NAMESPACE,
  LABEL_COMPONENT,
  LABEL_REVISION_COMPONENT,
  SYSTEM_DEFINITION_NAMESPACE,
  applicationResource,
  cloneSetResource,
  componentDefinitionResource,
  ihpaResource,
  rolloutResource,
  traitDefinitionResource,
  type Application,
  type ComponentDefinition,
  type TraitDefinition,
} from './types.js';

export const CONTROLLER_NAME = 'application';

export interface ApplicationControllerOptions {
  /** ControllerRevisions kept per component (default 10). */
  revisionLimit?: number;
  /** A CUE engine to share; by default one is started (renders run in a worker thread). */
  engine?: CueEngine;
}

/** Kinds whose CRD may be missing from a cluster (e.g. without OpenKruise): cached only if served. */
const OPTIONAL_KINDS: readonly ResourceDescriptor[] = [cloneSetResource, ihpaResource, rolloutResource];

async function isServed(manager: Manager, resource: ResourceDescriptor): Promise<boolean> {
  try {
    await manager.client.mapper.resourceFor(
      formatApiVersion(resource.group, resource.version),
      resource.kind,
    );
    return true;
  } catch (error) {
    if (error instanceof NoKindMatchError) return false;
    // Discovery unavailable: assume it is served; the informer retries until it is.
    manager.logger.warn('discovery failed; caching the kind anyway', {
      kind: resource.kind,
      error: errorMessage(error),
    });
    return true;
  }
}

/**
 * The label selector of the cache of a watched kind. Kinds the Rollout and IHPA controllers cache
 * too are selected as they select them, so that one process keeps one cache of each (thousands of
 * revisions and workloads are the bulk of its memory): every object this controller writes or
 * reads health from carries these labels as well (a rendered object has app.oam.dev/name and
 * app.oam.dev/component, a revision also controller.oam.dev/component); objects of the wider
 * selection that name no Application map to none.
 */
function cacheSelector(resource: ResourceDescriptor): string | undefined {
  const same = (other: ResourceDescriptor) =>
    resource.group === other.group && resource.resource === other.resource;
  if (same(rolloutResource) || same(ihpaResource)) return undefined;
  if (same(builtin.ControllerRevision)) return LABEL_REVISION_COMPONENT;
  if (same(builtin.Deployment) || same(cloneSetResource)) return LABEL_COMPONENT;
  return LABEL_APP_NAME;
}

/**
 * The Application key an object's app.oam.dev/name label names: in the object's namespace, or in
 * the one app.oam.dev/namespace names (an addon's objects in a namespace of their own).
 */
export const mapToApplication: MapFunc<KubeObject> = (obj) => {
  const app = obj.metadata?.labels?.[LABEL_APP_NAME];
  const namespace = obj.metadata?.labels?.[LABEL_APP_NAMESPACE] ?? obj.metadata?.namespace;
  return app && namespace ? keyOf(namespace, app) : undefined;
};

/**
 * Addon Applications are reconciled by KubeVela, or, without it, by `rollscale addon enable`
 * in-process with the user's own credentials: applying an addon creates CRDs, ClusterRoles and
 * objects in other namespaces, rights this controller's least-privilege role does not have (and
 * a controller able to create ClusterRoles could grant itself anything). It leaves them alone.
 */
export function isAddonApplication(app: Application | undefined): boolean {
  return app?.metadata.labels?.[LABEL_ADDON_NAME] !== undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Our own status writes change neither generation nor metadata: they need no reconcile. */
function applicationChanged(oldApp: Application, newApp: Application): boolean {
  const a = oldApp.metadata;
  const b = newApp.metadata;
  return (
    a.generation !== b.generation ||
    a.uid !== b.uid ||
    Boolean(a.deletionTimestamp) !== Boolean(b.deletionTimestamp) ||
    !sameJson(a.labels, b.labels) ||
    !sameJson(a.annotations, b.annotations)
  );
}

export async function registerApplicationController(
  manager: Manager,
  options: ApplicationControllerOptions = {},
): Promise<ApplicationReconciler> {
  const applications = manager.informer<Application>(applicationResource);
  const definitionNamespaces = manager.watchNamespace
    ? [...new Set([manager.watchNamespace, SYSTEM_DEFINITION_NAMESPACE])]
    : [undefined];
  const componentDefinitions = definitionNamespaces.map((namespace) =>
    manager.informer<ComponentDefinition>(componentDefinitionResource, { namespace }),
  );
  const traitDefinitions = definitionNamespaces.map((namespace) =>
    manager.informer<TraitDefinition>(traitDefinitionResource, { namespace }),
  );

  const kinds: ResourceDescriptor[] = [builtin.Deployment, builtin.Service, builtin.ControllerRevision];
  for (const resource of OPTIONAL_KINDS) {
    if (await isServed(manager, resource)) kinds.push(resource);
    else manager.logger.info('kind not served; not caching it', { kind: resource.kind });
  }
  const watched = new Map<string, WatchedKind>();
  for (const resource of kinds) {
    const informer = manager.informer<KubeObject>(resource, {
      labelSelector: cacheSelector(resource),
      indexers: { [BY_APPLICATION_INDEX]: indexByLabelValue(LABEL_APP_NAME) },
    });
    watched.set(kindKey(formatApiVersion(resource.group, resource.version), resource.kind), {
      resource,
      informer,
    });
  }

  const engine = options.engine ?? (await createCueEngine());
  const reconciler = new ApplicationReconciler({
    client: manager.client,
    clock: manager.clock,
    recorder: manager.eventRecorder('application-controller'),
    engine,
    applications,
    componentDefinitions,
    traitDefinitions,
    watched,
    revisionLimit: options.revisionLimit ?? DEFAULT_REVISION_LIMIT,
  });

  const controller = manager.controller(CONTROLLER_NAME, (request) =>
    isAddonApplication(applications.get(keyOf(request.namespace ?? '', request.name)))
      ? Promise.resolve()
      : reconciler.reconcile(request),
  );
  controller.watches(applications, mapToSelf, { updateFilter: applicationChanged });
  // A child's change only asks to look at health again: it waits behind Applications that were
  // created or changed (work queue priorities), and its repeats merge while it waits.
  for (const { informer } of watched.values()) {
    controller.watches(informer, mapToApplication, { lowPriority: true });
  }
  const usersOf =
    (field: 'component' | 'trait') =>
    (definition: KubeObject): string[] => {
      const name = definition.metadata?.name;
      const namespace = definition.metadata?.namespace;
      if (!name || !namespace) return [];
      const scopeNamespace = namespace === SYSTEM_DEFINITION_NAMESPACE ? undefined : namespace;
      return applications
        .list(scopeNamespace)
        .filter((app) =>
          (app.spec?.components ?? []).some((c) =>
            field === 'component' ? c.type === name : (c.traits ?? []).some((t) => t.type === name),
          ),
        )
        .map((app) => keyOf(app.metadata.namespace, app.metadata.name));
    };
  for (const informer of componentDefinitions) controller.watches(informer, usersOf('component'));
  for (const informer of traitDefinitions) controller.watches(informer, usersOf('trait'));
  return reconciler;
}

/** The registry entry's register function: the controller with default options. */
export async function registerApplication(manager: Manager): Promise<void> {
  await registerApplicationController(manager);
}
