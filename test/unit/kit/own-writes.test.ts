import { KubeClient } from '../../../controllers/kit/client.js';
import { FakeClock } from '../../../controllers/kit/clock.js';
import { Controller, mapToSelf } from '../../../controllers/kit/controller.js';
import { builtin } from '../../../controllers/kit/discovery.js';
import { Informer, type ListWatch } from '../../../controllers/kit/informer.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import { anyEcho, echoLeavesSpecAlone, OwnWrites } from '../../../controllers/kit/own-writes.js';
import { FakeTransport, flush, status } from './fake-transport.js';

function obj(rv: string, meta: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'prod', uid: 'u1', resourceVersion: rv, generation: 1, ...meta },
  };
}

describe('OwnWrites', () => {
  it('records a write only for the writer whose context made it, version for version', () => {
    const writes = new OwnWrites();
    writes.record(obj('5'));
    expect(writes.size).toBe(0);
    writes.runAs('rollout', () => writes.record(obj('6')));
    expect(writes.wroteExactly('rollout', obj('6'))).toBe(true);
    expect(writes.wroteExactly('application', obj('6'))).toBe(false);
    expect(writes.wroteExactly('rollout', obj('7'))).toBe(false);
    expect(writes.wroteExactly('rollout', obj('6', { uid: 'other' }))).toBe(false);
  });

  it('keeps the writer across awaits inside the context', async () => {
    const writes = new OwnWrites();
    await writes.runAs('ihpa', async () => {
      await flush();
      writes.record(obj('9'));
    });
    expect(writes.wroteExactly('ihpa', obj('9'))).toBe(true);
    expect(writes.currentWriter()).toBeUndefined();
  });

  it('ignores objects without uid or resourceVersion and forgets the oldest beyond its limit', () => {
    const writes = new OwnWrites(2);
    writes.runAs('c', () => {
      writes.record(undefined);
      writes.record({ metadata: { name: 'x' } });
      writes.record(obj('1'));
      writes.record(obj('2'));
      writes.record(obj('3'));
    });
    expect(writes.size).toBe(2);
    expect(writes.wroteExactly('c', obj('1'))).toBe(false);
    expect(writes.wroteExactly('c', obj('3'))).toBe(true);
  });
});

describe('echo predicates', () => {
  it('echoLeavesSpecAlone accepts status and annotation changes only', () => {
    const before = obj('1', { labels: { a: '1' }, annotations: { x: '1' } });
    expect(echoLeavesSpecAlone(before, obj('2', { labels: { a: '1' }, annotations: { x: '2' } }))).toBe(true);
    expect(echoLeavesSpecAlone(before, obj('2', { labels: { a: '1' }, generation: 2 }))).toBe(false);
    expect(echoLeavesSpecAlone(before, obj('2', { labels: { a: '2' } }))).toBe(false);
    expect(
      echoLeavesSpecAlone(
        before,
        obj('2', { labels: { a: '1' }, deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ),
    ).toBe(false);
    expect(echoLeavesSpecAlone(before, obj('2', { labels: { a: '1' }, finalizers: ['f'] }))).toBe(false);
    expect(echoLeavesSpecAlone(before, obj('2', { labels: { a: '1' }, uid: 'u2' }))).toBe(false);
    // An add has nothing to compare with.
    expect(echoLeavesSpecAlone(undefined, before)).toBe(false);
    expect(anyEcho()).toBe(true);
  });
});

describe('KubeClient records writes', () => {
  const returned = obj('42');

  it('records successful writes made under a writer, not dry runs, failures or reads', async () => {
    let fail = false;
    const transport = new FakeTransport((req) =>
      fail ? status(409, 'Conflict', 'conflict') : { body: req.method === 'GET' ? obj('41') : returned },
    );
    const client = new KubeClient(transport);
    const writes = client.ownWrites;
    await writes.runAs('application', async () => {
      await client.apply(obj(''), {
        fieldManager: 'rollscale',
        force: true,
        dryRun: true,
        resource: builtin.Deployment,
      });
      await client.get(builtin.Deployment, 'web', 'prod');
    });
    expect(writes.size).toBe(0);
    await client.apply(obj(''), { fieldManager: 'rollscale', force: true, resource: builtin.Deployment });
    expect(writes.size).toBe(0);
    await writes.runAs('application', () =>
      client.apply(obj(''), { fieldManager: 'rollscale', force: true, resource: builtin.Deployment }),
    );
    expect(writes.wroteExactly('application', returned)).toBe(true);
    fail = true;
    await expect(
      writes.runAs('rollout', () => client.patch(builtin.Deployment, 'web', {}, { namespace: 'prod' })),
    ).rejects.toThrow();
    expect(writes.wroteExactly('rollout', returned)).toBe(false);
  });
});

describe('Controller.watches with ignoreOwnWrite', () => {
  /** An informer fed by the test: `emit` sends one watch event. */
  function feed() {
    let emit!: (type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject) => void;
    const source: ListWatch<KubeObject> = {
      description: 'deployments',
      list: async () => ({ items: [obj('1')], resourceVersion: '1' }),
      watch: (_rv, signal) =>
        (async function* () {
          const events: Array<{ type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }> = [];
          let wake: (() => void) | undefined;
          emit = (type, object) => {
            events.push({ type, object });
            wake?.();
          };
          while (!signal.aborted) {
            const next = events.shift();
            if (next) yield next;
            else await new Promise<void>((r) => ((wake = r), signal.addEventListener('abort', () => r())));
          }
        })(),
    };
    return { source, emit: (type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject) => emit(type, o) };
  }

  it("skips the echo of the controller's own write and nothing else", async () => {
    const clock = new FakeClock();
    const writes = new OwnWrites();
    const { source, emit } = feed();
    const informer = new Informer(source, { clock });
    const seen: string[] = [];
    const controller = new Controller(
      'rollout',
      async (req) => {
        seen.push(req.key);
        // The reconcile "writes" version 2 (status only) and, for another object, version 10.
        writes.record(obj('2'));
        writes.record(obj('10', { uid: 'u9', name: 'api' }));
      },
      { clock, ownWrites: writes },
    );
    controller.watches(informer, mapToSelf, { ignoreOwnWrite: echoLeavesSpecAlone });
    controller.start();
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(seen).toEqual(['prod/web']);

    emit('MODIFIED', obj('2')); // our own status write: skipped
    await flush();
    expect(seen).toHaveLength(1);

    emit('MODIFIED', obj('3')); // someone else's write: reconciled
    await flush();
    expect(seen).toHaveLength(2);

    // Our version, but folding in a spec change (generation moved): reconciled.
    writes.runAs('rollout', () => writes.record(obj('4', { generation: 2 })));
    emit('MODIFIED', obj('4', { generation: 2 }));
    await flush();
    expect(seen).toHaveLength(3);

    // Another controller's echo is not this one's: reconciled.
    writes.runAs('application', () => writes.record(obj('5', { generation: 2 })));
    emit('MODIFIED', obj('5', { generation: 2 }));
    await flush();
    expect(seen).toHaveLength(4);

    // Deletes always count.
    writes.runAs('rollout', () => writes.record(obj('6', { generation: 2 })));
    emit('DELETED', obj('6', { generation: 2 }));
    await flush();
    expect(seen).toHaveLength(5);

    // An add that is exactly our create, with `anyEcho`, is skipped.
    const adds = new Controller('application', async (req) => void seen.push(`app:${req.key}`), {
      clock,
      ownWrites: writes,
    });
    adds.watches(informer, mapToSelf, { ignoreOwnWrite: anyEcho });
    adds.start();
    await flush();
    expect(seen.filter((k) => k.startsWith('app:'))).toHaveLength(0); // the store is empty again
    writes.runAs('application', () => writes.record(obj('7', { uid: 'u2' })));
    emit('ADDED', obj('7', { uid: 'u2' }));
    await flush();
    expect(seen.filter((k) => k.startsWith('app:'))).toHaveLength(0);
    emit('MODIFIED', obj('8', { uid: 'u2' }));
    await flush();
    expect(seen.filter((k) => k.startsWith('app:'))).toEqual(['app:prod/web']);

    await controller.stop();
    await adds.stop();
    await informer.stop();
  });
});
