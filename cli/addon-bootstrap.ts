// Reconciling an addon's Application from the CLI, for clusters where nothing else would.
//
// On a cluster with KubeVela, vela-core renders `addon-<name>`. Without it, the Application
// controller that could render it is rollscale's own, which the addon itself brings: nothing
// runs it before the addon is enabled. So `addon enable` runs the Application controller's
// reconcile (controllers/application: the same render code, the same `rollscale` field manager,
// the same finalizer) in this process, for that one Application only, until it is running; the
// controller in the cluster finds every object as it would have applied it and carries on.
// `addon disable` does the same until the deleted Application is gone: its finalizer deletes the
// objects outside vela-system (ClusterRoles, the controller in rollscale-system), which include
// the in-cluster controller itself and its permissions, so it cannot be trusted to finish that.

import winston from 'winston';

import { createCueEngine } from '../cuelang-wasm/index.js';
import { mapToApplication } from '../controllers/application/index.js';
import { ApplicationReconciler, kindKey, type WatchedKind } from '../controllers/application/reconciler.js';
import {
  LABEL_APP_NAME,
  applicationResource,
  cloneSetResource,
  componentDefinitionResource,
  ihpaResource,
  rolloutResource,
  traitDefinitionResource,
  type Application,
  type ComponentDefinition,
  type TraitDefinition,
} from '../controllers/application/types.js';
import type { KubeClient } from '../controllers/kit/client.js';
import { realClock, type Clock } from '../controllers/kit/clock.js';
import { Controller } from '../controllers/kit/controller.js';
import { builtin, type ResourceDescriptor } from '../controllers/kit/discovery.js';
import { EventRecorder } from '../controllers/kit/events.js';
import { Informer, listWatchFor } from '../controllers/kit/informer.js';
import { silentLogger, type Logger } from '../controllers/kit/log.js';
import { formatApiVersion, keyOf, type KubeObject } from '../controllers/kit/objects.js';
import { isServed } from './kube.js';

/** KubeVela's ResourceTracker: served only where vela-core is installed (rollscale ships no such CRD). */
export const resourceTrackerResource: ResourceDescriptor = {
  group: 'core.oam.dev',
  version: 'v1beta1',
  resource: 'resourcetrackers',
  kind: 'ResourceTracker',
  namespaced: false,
};

/** Whether KubeVela's application controller is installed (its ResourceTracker CRD is served). */
export function hasKubeVela(client: KubeClient): Promise<boolean> {
  return isServed(client, resourceTrackerResource);
}

/** Kinds the Application controller caches (as controllers/application/index.ts does). */
const CACHED_KINDS: readonly ResourceDescriptor[] = [
  builtin.Deployment,
  builtin.Service,
  builtin.ControllerRevision,
];
const OPTIONAL_KINDS: readonly ResourceDescriptor[] = [cloneSetResource, ihpaResource, rolloutResource];

/**
 * Consecutive failures of one reconcile before it is logged: a conflict with a concurrent writer
 * (the garbage collector's foregroundDeletion finalizer, the addon's own controller) or an
 * Application deleted under a finalize is retried at once and then succeeds (about 5 s of
 * backoff at 10).
 */
const LOGGED_FROM_RETRY = 10;

/** `logger` without the reconcile failures a retry is about to fix (see LOGGED_FROM_RETRY). */
export function withoutFirstRetries(logger: Logger): Logger {
  const transient = winston.format((info) =>
    info['message'] === 'reconcile failed' &&
    typeof info['retries'] === 'number' &&
    info['retries'] < LOGGED_FROM_RETRY
      ? false
      : info,
  );
  logger.format = winston.format.combine(transient(), logger.format);
  return logger;
}

export interface ApplicationRunner {
  /** Stops reconciling: in-flight reconciles finish, watches end. */
  stop(): Promise<void>;
}

export interface RunOptions {
  namespace: string;
  name: string;
  clock?: Clock;
  /** Reconcile failures that persist are logged here (default: nowhere). */
  logger?: Logger;
}

/**
 * Starts reconciling the one Application `namespace/name` with the Application controller's
 * reconciler, fed by watches of that Application, of the definitions in its namespace and of the
 * objects labelled with its name in every namespace. Resolves once the watches are in sync and
 * the first reconcile is queued.
 */
export async function runApplicationReconciler(
  client: KubeClient,
  options: RunOptions,
): Promise<ApplicationRunner> {
  const { namespace, name } = options;
  const clock = options.clock ?? realClock;
  const logger = options.logger ? withoutFirstRetries(options.logger) : silentLogger();
  const informerOptions = { clock, logger };

  const applications = new Informer<Application>(
    listWatchFor<Application>(client, applicationResource, {
      namespace,
      fieldSelector: `metadata.name=${name}`,
    }),
    informerOptions,
  );
  const componentDefinitions = new Informer<ComponentDefinition>(
    listWatchFor<ComponentDefinition>(client, componentDefinitionResource, { namespace }),
    informerOptions,
  );
  const traitDefinitions = new Informer<TraitDefinition>(
    listWatchFor<TraitDefinition>(client, traitDefinitionResource, { namespace }),
    informerOptions,
  );
  const watched = new Map<string, WatchedKind>();
  const kinds = [...CACHED_KINDS];
  for (const resource of OPTIONAL_KINDS) if (await isServed(client, resource)) kinds.push(resource);
  for (const resource of kinds) {
    // Revisions of every Application in the namespace: a new revision's number must not clash
    // with another Application's component of the same name. Everything else: this one's only.
    const selector =
      resource === builtin.ControllerRevision
        ? { namespace, labelSelector: LABEL_APP_NAME }
        : { labelSelector: `${LABEL_APP_NAME}=${name}` };
    watched.set(kindKey(formatApiVersion(resource.group, resource.version), resource.kind), {
      resource,
      informer: new Informer<KubeObject>(
        listWatchFor<KubeObject>(client, resource, selector),
        informerOptions,
      ),
    });
  }

  const engine = await createCueEngine({ isolation: 'inline' });
  const reconciler = new ApplicationReconciler({
    client,
    clock,
    recorder: new EventRecorder(client, { component: 'application-controller', clock, logger }),
    engine,
    applications,
    componentDefinitions: [componentDefinitions],
    traitDefinitions: [traitDefinitions],
    watched,
    revisionLimit: 10,
  });
  const key = keyOf(namespace, name);
  const controller = new Controller('addon-application', reconciler.reconcile, { clock, logger });
  controller.watches(applications, () => key);
  controller.watches(componentDefinitions, () => key);
  controller.watches(traitDefinitions, () => key);
  for (const { informer } of watched.values()) {
    controller.watches(informer, (obj) => (mapToApplication(obj) === key ? key : undefined));
  }

  const informers: Array<Informer<KubeObject>> = [
    applications,
    componentDefinitions,
    traitDefinitions,
    ...[...watched.values()].map((w) => w.informer),
  ] as Array<Informer<KubeObject>>;
  const stop = async () => {
    await controller.stop();
    await Promise.all(informers.map((i) => i.stop()));
    await engine.close();
  };
  try {
    for (const informer of informers) informer.start();
    const synced = await Promise.all(informers.map((i) => i.waitForSync()));
    if (!synced.every(Boolean)) throw new Error(`the watches for ${namespace}/${name} did not sync`);
  } catch (error) {
    await stop();
    throw error;
  }
  controller.start();
  controller.enqueue(key);
  return { stop };
}
