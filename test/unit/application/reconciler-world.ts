// The Application reconciler against an in-memory API server, for the unit tests of its flow:
// informer caches filled from that server by sync() (what watches do), a fake clock, the shipped
// definitions (plus any a test adds), and every request recorded.
import {
  ApplicationReconciler,
  kindKey,
  type ApplicationReconcilerDeps,
  type WatchedKind,
} from '../../../controllers/application/reconciler.js';
import {
  cloneSetResource,
  ihpaResource,
  rolloutResource,
  type Application,
  type ApplicationComponent,
  type ComponentDefinition,
  type TraitDefinition,
} from '../../../controllers/application/types.js';
import { KubeClient, isWriteVerb, type RequestRecord } from '../../../controllers/kit/client.js';
import { FakeClock } from '../../../controllers/kit/clock.js';
import { builtin, type ResourceDescriptor } from '../../../controllers/kit/discovery.js';
import { EventRecorder } from '../../../controllers/kit/events.js';
import { Informer, type ListWatch } from '../../../controllers/kit/informer.js';
import { silentLogger } from '../../../controllers/kit/log.js';
import { formatApiVersion, type KubeObject } from '../../../controllers/kit/objects.js';
import { FakeTransport } from '../kit/fake-transport.js';
import { FakeApi, type StoredObject } from './fake-api.js';
import { NAMESPACE, application, shippedDefinitions } from './fixtures.js';

const never: ListWatch<never> = {
  description: 'test cache',
  list: () => Promise.reject(new Error('not started in tests')),
  watch: () => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('not started in tests')) }),
  }),
};

/** An informer the test fills itself (never started). */
export function cache<T extends KubeObject>(): Informer<T> {
  return new Informer<T>(never as unknown as ListWatch<T>);
}

export const collection = (resource: Pick<ResourceDescriptor, 'group' | 'version' | 'resource'>) =>
  `${resource.group ? `/apis/${resource.group}` : '/api'}/${resource.version}/namespaces/${NAMESPACE}/${resource.resource}`;
export const APPS = collection({ group: 'core.oam.dev', version: 'v1beta1', resource: 'applications' });
export const APP_NAME = 'rollout-trait-test';

export interface World {
  api: FakeApi;
  client: KubeClient;
  clock: FakeClock;
  requests: RequestRecord[];
  reconciler: ApplicationReconciler;
  applications: Informer<Application>;
  traitDefinitions: Informer<TraitDefinition>;
  watched: Map<string, WatchedKind>;
  /** Lets the caches catch up with the API server (what watches do). */
  sync(): void;
  /** Stores the Application (a user's `kubectl apply`) and lets the caches catch up. */
  setApp(components: ApplicationComponent[]): void;
  reconcile(): Promise<unknown>;
  writes(): RequestRecord[];
  writesSince(mark: number): RequestRecord[];
}

export interface WorldOptions {
  revisionLimit?: number;
  trustedNamespace?: string;
  /** TraitDefinitions beside the shipped ones. */
  traits?: TraitDefinition[];
}

export function reconcilerWorld(
  engine: ApplicationReconcilerDeps['engine'],
  { revisionLimit = 10, trustedNamespace, traits = [] }: WorldOptions = {},
): World {
  const api = new FakeApi();
  const requests: RequestRecord[] = [];
  const client = new KubeClient(new FakeTransport(api.handle), { observer: (r) => requests.push(r) });
  const clock = new FakeClock();
  const applications = cache<Application>();
  const componentDefinitions = cache<ComponentDefinition>();
  const traitDefinitions = cache<TraitDefinition>();
  const definitions = shippedDefinitions();
  componentDefinitions.store.replace([...definitions.components.values()]);
  traitDefinitions.store.replace([...definitions.traits.values(), ...traits]);
  const watched = new Map<string, WatchedKind>();
  for (const resource of [
    builtin.Deployment,
    builtin.Service,
    builtin.ControllerRevision,
    rolloutResource,
    cloneSetResource,
    ihpaResource,
  ]) {
    watched.set(kindKey(formatApiVersion(resource.group, resource.version), resource.kind), {
      resource,
      informer: cache<KubeObject>(),
    });
  }
  const reconciler = new ApplicationReconciler({
    client,
    clock,
    recorder: new EventRecorder(client, { component: 'application-controller', clock }),
    engine,
    applications,
    componentDefinitions: [componentDefinitions],
    traitDefinitions: [traitDefinitions],
    watched,
    revisionLimit,
    trustedNamespace,
  });
  const sync = () => {
    applications.store.replace(api.list(APPS) as unknown as Application[]);
    for (const { resource, informer } of watched.values()) {
      informer.store.replace(
        api.list(collection(resource)).map((o) => ({
          ...o,
          apiVersion: formatApiVersion(resource.group, resource.version),
          kind: resource.kind,
        })),
      );
    }
  };
  let generation = 0;
  return {
    api,
    client,
    clock,
    requests,
    reconciler,
    applications,
    traitDefinitions,
    watched,
    sync,
    setApp: (components) => {
      const current = api.get(APPS, APP_NAME);
      const app = application(components, { generation: ++generation });
      // A user's apply keeps what others set in metadata: the finalizers, a pending deletion.
      const kept = {
        ...(current?.metadata['finalizers'] ? { finalizers: current.metadata['finalizers'] } : {}),
        ...(current?.metadata['deletionTimestamp']
          ? { deletionTimestamp: current.metadata['deletionTimestamp'] }
          : {}),
      };
      const stored: StoredObject = {
        ...(app as unknown as StoredObject),
        metadata: { ...app.metadata, ...kept, uid: current?.metadata.uid ?? app.metadata.uid },
        ...(current?.['status'] ? { status: current['status'] } : {}),
      };
      api.put(APPS, stored);
      const saved = api.get(APPS, APP_NAME) as StoredObject;
      saved.metadata.generation = generation;
      sync();
    },
    reconcile: () =>
      reconciler.reconcile({
        key: `${NAMESPACE}/${APP_NAME}`,
        namespace: NAMESPACE,
        name: APP_NAME,
        logger: silentLogger(),
      }),
    writes: () => requests.filter((r) => isWriteVerb(r.verb)),
    writesSince: (mark) => requests.slice(mark).filter((r) => isWriteVerb(r.verb)),
  };
}
