import { FakeClock } from '../../../controllers/kit/clock.js';
import {
  Controller,
  mapToOwner,
  mapToSelf,
  ownerKeys,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../../controllers/kit/controller.js';
import { Informer, type ListWatch } from '../../../controllers/kit/informer.js';
import { RuntimeMetrics } from '../../../controllers/kit/metrics.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import { flush } from './fake-transport.js';

type Outcome = ReconcileResult | void | Error;

/** A reconcile whose outcomes the test scripts per call, recording every key it sees. */
function scripted(outcomes: Outcome[]) {
  const calls: string[] = [];
  const reconcile = async (req: ReconcileRequest): Promise<ReconcileResult | void> => {
    calls.push(req.key);
    const outcome = outcomes.shift();
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { calls, reconcile };
}

describe('Controller', () => {
  let clock: FakeClock;
  let metrics: RuntimeMetrics;

  beforeEach(() => {
    clock = new FakeClock();
    metrics = new RuntimeMetrics();
  });

  it('retries a failing key with growing backoff and forgets it after success', async () => {
    const { calls, reconcile } = scripted([new Error('a'), new Error('b'), undefined]);
    const controller = new Controller('rollout', reconcile, { clock, metrics });
    controller.start();
    controller.enqueue('ns/web');
    await flush();
    expect(calls).toEqual(['ns/web']);
    expect(controller.queue.numRequeues('ns/web')).toBe(1);

    clock.advance(5);
    await flush();
    expect(calls).toHaveLength(2);
    expect(controller.queue.numRequeues('ns/web')).toBe(2);

    clock.advance(9);
    await flush();
    expect(calls).toHaveLength(2);
    clock.advance(1);
    await flush();
    expect(calls).toHaveLength(3);
    expect(controller.queue.numRequeues('ns/web')).toBe(0);

    expect(metrics.reconcileTotal.get({ controller: 'rollout', result: 'error' })).toBe(2);
    expect(metrics.reconcileTotal.get({ controller: 'rollout', result: 'success' })).toBe(1);
    expect(metrics.reconcileErrors.get({ controller: 'rollout' })).toBe(2);
    expect(metrics.reconcileTime.count({ controller: 'rollout' })).toBe(3);
    await controller.stop();
  });

  it('requeues after requeueAfter and counts it as requeue_after', async () => {
    const { calls, reconcile } = scripted([{ requeueAfter: 30_000 }, undefined]);
    const controller = new Controller('ihpa', reconcile, { clock, metrics });
    controller.start();
    controller.enqueue('ns/a');
    await flush();
    clock.advance(29_999);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(calls).toHaveLength(2);
    expect(metrics.reconcileTotal.get({ controller: 'ihpa', result: 'requeue_after' })).toBe(1);
    await controller.stop();
  });

  it('requeues with backoff on requeue: true without counting an error', async () => {
    const { calls, reconcile } = scripted([{ requeue: true }, undefined]);
    const controller = new Controller('c', reconcile, { clock, metrics });
    controller.start();
    controller.enqueue('ns/a');
    await flush();
    clock.advance(5);
    await flush();
    expect(calls).toHaveLength(2);
    expect(metrics.reconcileTotal.get({ controller: 'c', result: 'requeue' })).toBe(1);
    expect(metrics.reconcileErrors.get({ controller: 'c' })).toBe(0);
    await controller.stop();
  });

  it('never reconciles one key concurrently, even with several workers', async () => {
    let active = 0;
    let maxActive = 0;
    const releases: Array<() => void> = [];
    const seen: string[] = [];
    const controller = new Controller(
      'c',
      async (req) => {
        seen.push(req.key);
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => releases.push(resolve));
        active--;
      },
      { clock, workers: 4 },
    );
    controller.start();
    controller.enqueue('ns/a');
    await flush();
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/b']);
    releases.shift()!();
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/a']);
    expect(maxActive).toBe(2);
    for (const release of releases.splice(0)) release();
    await flush();
    for (const release of releases.splice(0)) release();
    await controller.stop();
  });

  it('lets an in-flight reconcile finish on stop and takes no more keys', async () => {
    let release!: () => void;
    const seen: string[] = [];
    const controller = new Controller(
      'c',
      async (req) => {
        seen.push(req.key);
        await new Promise<void>((resolve) => (release = resolve));
      },
      { clock },
    );
    controller.start();
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await flush();
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(seen).toEqual(['ns/a']);
  });

  it('passes namespace and name split from the key, and drops malformed keys', async () => {
    const requests: Array<[string | undefined, string]> = [];
    const controller = new Controller('c', async (req) => void requests.push([req.namespace, req.name]), {
      clock,
    });
    controller.start();
    controller.enqueue('prod/web');
    controller.enqueue('cluster-thing');
    controller.enqueue('a/b/c');
    await flush();
    expect(requests).toEqual([
      ['prod', 'web'],
      [undefined, 'cluster-thing'],
    ]);
    expect(controller.queue.pendingDelayed()).toBe(0);
    await controller.stop();
  });

  it('enqueues the keys mapped from informer events, old and new on update', async () => {
    const rs = (name: string, rv: string, owner: string): KubeObject => ({
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: 'prod',
        resourceVersion: rv,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: owner, controller: true },
        ],
      },
    });
    let emit!: (rv: string, owner: string) => void;
    const source: ListWatch<KubeObject> = {
      description: 'replicasets',
      list: async () => ({ items: [rs('rs1', '1', 'web')], resourceVersion: '1' }),
      watch: (_rv, signal) =>
        (async function* () {
          const events: KubeObject[] = [];
          let wake: (() => void) | undefined;
          emit = (rv, owner) => {
            events.push(rs('rs1', rv, owner));
            wake?.();
          };
          while (!signal.aborted) {
            const next = events.shift();
            if (next) yield { type: 'MODIFIED' as const, object: next };
            else await new Promise<void>((r) => ((wake = r), signal.addEventListener('abort', () => r())));
          }
        })(),
    };
    const informer = new Informer(source, { clock });
    const seen: string[] = [];
    const controller = new Controller('deployments', async (req) => void seen.push(req.key), { clock });
    controller.watches(informer, mapToOwner({ kind: 'Deployment', group: 'apps' }));
    controller.start();
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(seen).toEqual(['prod/web']);
    emit('2', 'api');
    await flush();
    expect(seen.slice(1).sort()).toEqual(['prod/api', 'prod/web']);
    await controller.stop();
    await informer.stop();
  });
});

describe('Controller.watches on update', () => {
  it('reconciles a key the old and the new object both map to once, even with a worker idle', async () => {
    const clock = new FakeClock();
    const version = (rv: string): KubeObject => ({
      metadata: { name: 'web', namespace: 'prod', resourceVersion: rv },
    });
    let emit!: (rv: string) => void;
    const source: ListWatch<KubeObject> = {
      description: 'deployments',
      list: async () => ({ items: [version('1')], resourceVersion: '1' }),
      watch: (_rv, signal) =>
        (async function* () {
          const events: KubeObject[] = [];
          let wake: (() => void) | undefined;
          emit = (rv) => {
            events.push(version(rv));
            wake?.();
          };
          while (!signal.aborted) {
            const next = events.shift();
            if (next) yield { type: 'MODIFIED' as const, object: next };
            else await new Promise<void>((r) => ((wake = r), signal.addEventListener('abort', () => r())));
          }
        })(),
    };
    const informer = new Informer(source, { clock });
    let reconciles = 0;
    const controller = new Controller('web', async () => void reconciles++, { clock });
    controller.watches(informer, mapToSelf);
    controller.start();
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(reconciles).toBe(1);
    emit('2');
    await flush();
    await flush();
    expect(reconciles).toBe(2);
    await controller.stop();
    await informer.stop();
  });
});

describe('Controller.watches with lowPriority', () => {
  it('reconciles keys of a low-priority watch after keys enqueued otherwise', async () => {
    const clock = new FakeClock();
    const child = (name: string, owner: string): KubeObject => ({
      metadata: { name, namespace: 'prod', resourceVersion: '1', labels: { app: owner } },
    });
    const source: ListWatch<KubeObject> = {
      description: 'children',
      list: async () => ({ items: [child('c1', 'old'), child('c2', 'older')], resourceVersion: '1' }),
      watch: (_rv, signal) =>
        (async function* () {
          // No events: the watch stays open until the informer stops.
          await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
          yield* [];
        })(),
    };
    const informer = new Informer(source, { clock });
    const seen: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const controller = new Controller(
      'apps',
      async (req) => {
        seen.push(req.key);
        if (req.key === 'prod/first') await blocked;
      },
      { clock },
    );
    controller.watches(informer, (obj) => `prod/${obj.metadata?.labels?.app}`, { lowPriority: true });
    controller.start();
    controller.enqueue('prod/first');
    await flush();
    informer.start();
    await informer.waitForSync();
    controller.enqueue('prod/new');
    release();
    await flush();
    await flush();
    expect(seen).toEqual(['prod/first', 'prod/new', 'prod/old', 'prod/older']);
    await controller.stop();
    await informer.stop();
  });
});

describe('map functions', () => {
  const obj: KubeObject = {
    metadata: {
      name: 'p',
      namespace: 'prod',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1', controller: true },
        { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'cs', uid: '2', controller: false },
        { apiVersion: 'v1', kind: 'ReplicaSet', name: 'odd', uid: '3' },
      ],
    },
  };

  it('maps an object to itself', () => {
    expect(mapToSelf(obj)).toBe('prod/p');
  });

  it('maps to controller owners of a kind by default, any owner on request, filtered by group', () => {
    expect(ownerKeys(obj, { kind: 'ReplicaSet' })).toEqual(['prod/rs']);
    expect(ownerKeys(obj, { kind: 'ReplicaSet', controllerOnly: false })).toEqual(['prod/rs', 'prod/odd']);
    expect(ownerKeys(obj, { kind: 'ReplicaSet', group: '', controllerOnly: false })).toEqual(['prod/odd']);
    expect(ownerKeys(obj, { kind: 'CloneSet' })).toEqual([]);
    expect(ownerKeys(obj, { kind: 'CloneSet', group: 'apps.kruise.io', controllerOnly: false })).toEqual([
      'prod/cs',
    ]);
  });
});
