// Informer: keeps an ObjectStore in step with the API server (list, then watch from the list's
// resourceVersion) and tells handlers what changed. 410 Gone relists and reports the difference;
// other failures, and watches that end without making progress, retry with backoff on the Clock.

import { realClock, sleep, type Clock } from './clock.js';
import { isGone, type KubeClient, type ListResult, type WatchEvent } from './client.js';
import type { ResourceDescriptor } from './discovery.js';
import type { Selector } from './labels.js';
import { errorMessage, silentLogger, type Logger } from './log.js';
import type { KubeObject } from './objects.js';
import { ObjectStore, type IndexFunc, type StoreEvent } from './store.js';

/** Where an informer reads from; `listWatchFor` binds one to a client and resource. */
export interface ListWatch<T> {
  /** Human-readable name for logs, e.g. `apps/v1 deployments`. */
  readonly description: string;
  list(signal: AbortSignal): Promise<ListResult<T>>;
  watch(resourceVersion: string, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
}

export interface ListWatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side watch timeout; default a random value in [5, 10) minutes to spread reconnects. */
  watchTimeoutSeconds?: () => number;
}

export function listWatchFor<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceDescriptor,
  options: ListWatchOptions = {},
): ListWatch<T> {
  const timeout = options.watchTimeoutSeconds ?? (() => Math.floor(300 * (1 + Math.random())));
  const scope = options.namespace ? ` in ${options.namespace}` : '';
  return {
    description: `${resource.group || 'core'}/${resource.version} ${resource.resource}${scope}`,
    list: (signal) =>
      client.list<T>(resource, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        signal,
      }),
    watch: (resourceVersion, signal) =>
      client.watch<T>(resource, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: timeout(),
        signal,
      }),
  };
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: deletion inferred from a relist; `obj` is the last state seen. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T> {
  clock?: Clock;
  logger?: Logger;
  indexers?: Record<string, IndexFunc<T>>;
  /** Applied to every object before it is stored; default drops metadata.managedFields. */
  transform?: (obj: T) => T;
  /** First retry delay; doubles per consecutive failure. Default 800 ms. */
  initialBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** A watch that ends sooner than this without delivering an event counts as a failure. */
  minWatchDurationMs?: number;
}

/** Drops metadata.managedFields: large, and nothing in a controller reads them from the cache. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export class Informer<T extends KubeObject> {
  readonly store: ObjectStore<T>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly transform: (obj: T) => T;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly minWatchDurationMs: number;
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private synced = false;
  private syncWaiters: Array<(synced: boolean) => void> = [];
  private resourceVersion = '';

  constructor(
    private readonly source: ListWatch<T>,
    options: InformerOptions<T> = {},
  ) {
    this.store = new ObjectStore<T>(options.indexers);
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger()).child({ informer: source.description });
    this.transform = options.transform ?? stripManagedFields;
    this.initialBackoffMs = options.initialBackoffMs ?? 800;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.minWatchDurationMs = options.minWatchDurationMs ?? 1000;
  }

  get description(): string {
    return this.source.description;
  }

  /**
   * Registers handlers; returns a function that removes them. Handlers added after the initial
   * sync first receive an add for every cached object, so late subscribers miss nothing.
   */
  addEventHandler(handlers: EventHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (this.synced) {
      for (const obj of this.store.list()) this.call(() => handlers.onAdd?.(obj));
    }
    return () => this.handlers.delete(handlers);
  }

  /** Starts listing and watching in the background; idempotent. */
  start(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = this.run();
  }

  /** Stops the watch and waits for the loop to exit. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.resolveSyncWaiters(false);
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is in the store, false if stopped before that. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.abort.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** resourceVersion of the last list or watch event applied. */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(namespace?: string, selector?: Selector): T[] {
    return this.store.list(namespace, selector);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          const listed = await this.source.list(signal);
          if (signal.aborted) break;
          this.dispatch(this.store.replace(listed.items.map((o) => this.transform(o))));
          this.resourceVersion = listed.resourceVersion;
          needList = false;
          this.markSynced();
          this.logger.debug('listed', {
            count: listed.items.length,
            resourceVersion: listed.resourceVersion,
          });
        }
        const startedAt = this.clock.now().getTime();
        let progressed = false;
        for await (const event of this.source.watch(this.resourceVersion, signal)) {
          if (signal.aborted) break;
          this.applyWatchEvent(event);
          progressed = true;
          failures = 0;
        }
        if (signal.aborted) break;
        // The server closes watches on its timeout; reconnect at once unless the stream ended
        // straight away with nothing in it, which would otherwise spin.
        if (progressed || this.clock.now().getTime() - startedAt >= this.minWatchDurationMs) continue;
        failures++;
        this.logger.debug('watch ended without progress', { failures });
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        if (isGone(error)) {
          needList = true;
          this.logger.info('watch expired, relisting', { resourceVersion: this.resourceVersion });
          // One expiry is routine: relist at once. Repeated ones back off like any failure.
          if (failures === 1) continue;
        } else {
          this.logger.warn('list/watch failed', { error: errorMessage(error), failures });
        }
      }
      await sleep(this.clock, this.backoffMs(failures), signal);
    }
    this.resolveSyncWaiters(false);
  }

  private applyWatchEvent(event: WatchEvent<T>): void {
    const object = event.type === 'BOOKMARK' ? event.object : this.transform(event.object);
    const resourceVersion = event.object.metadata?.resourceVersion;
    this.dispatch(this.store.applyEvent({ type: event.type, object }));
    if (resourceVersion) this.resourceVersion = resourceVersion;
  }

  private backoffMs(failures: number): number {
    return Math.min(this.initialBackoffMs * 2 ** Math.max(0, failures - 1), this.maxBackoffMs);
  }

  private dispatch(events: StoreEvent<T>[]): void {
    for (const event of events) {
      for (const h of this.handlers) {
        switch (event.type) {
          case 'add':
            this.call(() => h.onAdd?.(event.object));
            break;
          case 'update':
            this.call(() => h.onUpdate?.(event.oldObject, event.object));
            break;
          case 'delete':
            this.call(() => h.onDelete?.(event.object, event.finalStateUnknown));
            break;
        }
      }
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error('event handler failed', { error: errorMessage(error) });
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.resolveSyncWaiters(true);
  }

  private resolveSyncWaiters(synced: boolean): void {
    for (const resolve of this.syncWaiters.splice(0)) resolve(synced);
  }
}
