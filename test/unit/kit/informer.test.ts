import { FakeClock } from '../../../controllers/kit/clock.js';
import { ApiError, GoneError, type ListResult, type WatchEvent } from '../../../controllers/kit/client.js';
import { Informer, stripManagedFields, type ListWatch } from '../../../controllers/kit/informer.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import { flush } from './fake-transport.js';

function cm(name: string, rv: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

/** A watch stream the test feeds by hand. */
class Stream {
  private pending: Array<WatchEvent<KubeObject> | Error | 'end'> = [];
  private wake?: () => void;

  push(item: WatchEvent<KubeObject> | Error | 'end'): void {
    this.pending.push(item);
    this.wake?.();
  }

  async *events(signal: AbortSignal): AsyncGenerator<WatchEvent<KubeObject>> {
    for (;;) {
      while (this.pending.length === 0) {
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      const item = this.pending.shift()!;
      if (item === 'end') return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

class ScriptedSource implements ListWatch<KubeObject> {
  readonly description = 'test configmaps';
  lists: Array<ListResult<KubeObject> | Error> = [];
  listCalls = 0;
  watchFrom: string[] = [];
  streams: Stream[] = [];

  async list(): Promise<ListResult<KubeObject>> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  watch(resourceVersion: string, signal: AbortSignal): AsyncIterable<WatchEvent<KubeObject>> {
    this.watchFrom.push(resourceVersion);
    const stream = new Stream();
    this.streams.push(stream);
    return stream.events(signal);
  }

  get stream(): Stream {
    return this.streams[this.streams.length - 1]!;
  }
}

function recorder(informer: Informer<KubeObject>): string[] {
  const log: string[] = [];
  informer.addEventHandler({
    onAdd: (o) => log.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (a, b) =>
      log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    onDelete: (o, inferred) => log.push(`delete ${o.metadata?.name}${inferred ? ' (inferred)' : ''}`),
  });
  return log;
}

describe('Informer', () => {
  let clock: FakeClock;
  let source: ScriptedSource;
  let informer: Informer<KubeObject>;

  beforeEach(() => {
    clock = new FakeClock();
    source = new ScriptedSource();
    informer = new Informer(source, { clock });
  });
  afterEach(async () => {
    await informer.stop();
  });

  it('lists, syncs, then watches from the list resourceVersion and applies events', async () => {
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' });
    const log = recorder(informer);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(informer.hasSynced()).toBe(true);
    await flush();
    expect(source.watchFrom).toEqual(['10']);

    source.stream.push({ type: 'MODIFIED', object: cm('a', '11') });
    source.stream.push({ type: 'DELETED', object: cm('b', '12') });
    source.stream.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
    await flush();
    expect(log).toEqual(['add a@1', 'add b@2', 'update a 1->11', 'delete b']);
    expect(informer.lastResourceVersion()).toBe('15');
    expect(informer.list('ns').map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('relists on 410 Gone and reports the difference the relist implies', async () => {
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' });
    source.lists.push({ items: [cm('a', '20'), cm('c', '21')], resourceVersion: '30' });
    const log = recorder(informer);
    informer.start();
    await informer.waitForSync();
    await flush();
    source.stream.push(new GoneError({ code: 410, reason: 'Expired', message: 'too old' }, 'watch'));
    await flush();
    expect(source.listCalls).toBe(2);
    expect(log).toEqual(['add a@1', 'add b@2', 'update a 1->20', 'add c@21', 'delete b (inferred)']);
    expect(source.watchFrom).toEqual(['10', '30']);
  });

  it('rewatches from the last resourceVersion after an error, backing off on the clock', async () => {
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flush();
    source.stream.push({ type: 'ADDED', object: cm('a', '11') });
    source.stream.push(new ApiError(500, { message: 'boom' }, 'watch'));
    await flush();
    expect(source.watchFrom).toEqual(['10']);
    clock.advance(799);
    await flush();
    expect(source.watchFrom).toEqual(['10']);
    clock.advance(1);
    await flush();
    expect(source.watchFrom).toEqual(['10', '11']);
    expect(source.listCalls).toBe(1);
  });

  it('doubles the backoff while list keeps failing, and does not sync until a list succeeds', async () => {
    source.lists.push(new Error('unreachable'), new Error('unreachable'), {
      items: [cm('a', '1')],
      resourceVersion: '5',
    });
    informer.start();
    await flush();
    expect(source.listCalls).toBe(1);
    expect(informer.hasSynced()).toBe(false);
    clock.advance(800);
    await flush();
    expect(source.listCalls).toBe(2);
    clock.advance(1599);
    await flush();
    expect(source.listCalls).toBe(2);
    clock.advance(1);
    await flush();
    expect(source.listCalls).toBe(3);
    expect(informer.hasSynced()).toBe(true);
  });

  it('reconnects at once when a long-running watch ends, but backs off when it ends instantly', async () => {
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flush();
    clock.advance(60_000);
    source.stream.push('end');
    await flush();
    expect(source.watchFrom).toEqual(['10', '10']);
    source.stream.push('end');
    await flush();
    expect(source.watchFrom).toEqual(['10', '10']);
    clock.advance(800);
    await flush();
    expect(source.watchFrom).toEqual(['10', '10', '10']);
  });

  it('replays cached objects to handlers added after sync', async () => {
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    const late = recorder(informer);
    expect(late).toEqual(['add a@1']);
  });

  it('resolves waitForSync with false when stopped before syncing', async () => {
    source.lists.push(new Error('unreachable'));
    informer.start();
    const synced = informer.waitForSync();
    await flush();
    await informer.stop();
    expect(await synced).toBe(false);
  });

  it('strips managedFields before storing by default', async () => {
    const withFields = {
      ...cm('a', '1'),
      metadata: { ...cm('a', '1').metadata, managedFields: [{ manager: 'x' }] },
    };
    expect(stripManagedFields(withFields).metadata?.managedFields).toBeUndefined();
    source.lists.push({ items: [withFields], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    expect(informer.get('ns/a')?.metadata?.managedFields).toBeUndefined();
  });
});
