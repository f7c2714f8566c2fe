// The reconcile loop: a work queue of keys, N workers, and a reconcile function that makes the
// world match the object behind a key. Level-based: a key says "look at this again", never what
// changed, so losing or merging notifications is harmless.

import { randomUUID } from 'node:crypto';

import { realClock, type Clock } from './clock.js';
import type { EventHandlers, Informer } from './informer.js';
import { errorMessage, silentLogger, type Logger } from './log.js';
import type { ReconcileResultLabel, RuntimeMetrics } from './metrics.js';
import { keyOf, objectKey, parseApiVersion, splitKey, type KubeObject } from './objects.js';
import type { OwnWrites } from './own-writes.js';
import { WorkQueue, type RateLimiter } from './queue.js';

export interface ReconcileResult {
  /** Reconcile again after this many ms (the backoff history is cleared). */
  requeueAfter?: number;
  /** Reconcile again after the rate limiter's backoff, without counting as an error. */
  requeue?: boolean;
}

export interface ReconcileRequest {
  key: string;
  namespace?: string;
  name: string;
  /** Carries `controller`, `key` and a per-attempt `reconcileID`. */
  logger: Logger;
}

export type Reconcile = (request: ReconcileRequest) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  /** Concurrent reconciles; one key is never reconciled by two workers at once. Default 1. */
  workers?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  rateLimiter?: RateLimiter;
  /**
   * Where the client records each controller's writes (`KubeClient.ownWrites`). Reconciles run
   * attributed to this controller's name; watches can then skip echoes of its own writes.
   */
  ownWrites?: OwnWrites;
}

/** Maps a watched object to the keys to reconcile (none, one or several). */
export type MapFunc<T> = (obj: T) => readonly string[] | string | undefined;

export interface WatchOptions<T> {
  /** Return false to ignore an update (e.g. only spec changes matter). */
  updateFilter?: (oldObj: T, newObj: T) => boolean;
  /**
   * For an add or update whose new state is exactly a version this controller wrote itself (needs
   * `ownWrites`): return true to ignore it, because the reconcile that wrote went on from the
   * write's response and nothing else changed (`anyEcho`, `echoLeavesSpecAlone`). Deletes are
   * never ignored.
   */
  ignoreOwnWrite?: (oldObj: T | undefined, newObj: T) => boolean;
  /**
   * Queue the keys of this watch's events behind every other ready key (WorkQueue priorities):
   * for events that only ask to look again (a child's status), never for new work.
   */
  lowPriority?: boolean;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly workerCount: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics?: RuntimeMetrics;
  private readonly ownWrites?: OwnWrites;
  private workers: Promise<void>[] = [];
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly reconcile: Reconcile,
    options: ControllerOptions = {},
  ) {
    this.workerCount = Math.max(1, options.workers ?? 1);
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger()).child({ controller: name });
    this.metrics = options.metrics;
    this.ownWrites = options.ownWrites;
    this.queue = new WorkQueue({
      clock: this.clock,
      rateLimiter: options.rateLimiter,
      metrics: options.metrics?.forQueue(name),
    });
  }

  /**
   * Enqueues the keys `map` returns for every add, update and delete the informer reports. On
   * update both the old and the new object are mapped, so a changed owner or label still
   * reaches the key it no longer points to.
   */
  watches<T extends KubeObject>(informer: Informer<T>, map: MapFunc<T>, options: WatchOptions<T> = {}): this {
    const keysOf = (obj: T): readonly string[] => {
      const keys = map(obj);
      return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
    };
    const priority = { lowPriority: options.lowPriority === true };
    const enqueue = (obj: T): void => {
      for (const key of keysOf(obj)) this.queue.add(key, priority);
    };
    const ignore = options.ignoreOwnWrite;
    const writes = this.ownWrites;
    const isOwnEcho = (oldObj: T | undefined, newObj: T): boolean =>
      ignore !== undefined &&
      writes !== undefined &&
      writes.wroteExactly(this.name, newObj) &&
      ignore(oldObj, newObj);
    const handlers: EventHandlers<T> = {
      onAdd: (obj) => {
        if (isOwnEcho(undefined, obj)) return;
        enqueue(obj);
      },
      onUpdate: (oldObj, newObj) => {
        if (options.updateFilter && !options.updateFilter(oldObj, newObj)) return;
        if (isOwnEcho(oldObj, newObj)) return;
        // Each key once: an idle worker takes a key the moment it is added, so adding it again
        // for the new object would mark it dirty and reconcile it a second time.
        for (const key of new Set([...keysOf(oldObj), ...keysOf(newObj)])) this.queue.add(key, priority);
      },
      onDelete: enqueue,
    };
    this.unsubscribers.push(informer.addEventHandler(handlers));
    return this;
  }

  /** Enqueues a key directly (e.g. from a timer or another controller). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; idempotent. */
  start(): void {
    if (this.workers.length > 0) return;
    this.metrics?.maxConcurrentReconciles.set({ controller: this.name }, this.workerCount);
    this.metrics?.activeWorkers.set({ controller: this.name }, 0);
    this.logger.info('starting workers', { workers: this.workerCount });
    for (let i = 0; i < this.workerCount; i++) this.workers.push(this.work());
  }

  /**
   * Stops taking keys and waits for reconciles in progress to finish. Queued keys are dropped;
   * a later start re-derives them from the informers.
   */
  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.logger.info('workers stopped');
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.processKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** One reconcile of `key`, and the requeue decision it leads to. */
  private async processKey(key: string): Promise<void> {
    const logger = this.logger.child({ key, reconcileID: randomUUID() });
    let request: ReconcileRequest;
    try {
      const { namespace, name } = splitKey(key);
      request = { key, namespace, name, logger };
    } catch (error) {
      // A malformed key can never succeed; retrying it would only spin.
      logger.error('dropping malformed key', { error: errorMessage(error) });
      this.queue.forget(key);
      return;
    }
    const labels = { controller: this.name };
    const started = this.clock.now().getTime();
    this.metrics?.activeWorkers.inc(labels);
    let outcome: ReconcileResultLabel;
    try {
      const result =
        (await (this.ownWrites
          ? this.ownWrites.runAs(this.name, () => this.reconcile(request))
          : this.reconcile(request))) ?? {};
      if (result.requeueAfter !== undefined && result.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        outcome = 'requeue_after';
      } else if (result.requeue) {
        this.queue.addRateLimited(key);
        outcome = 'requeue';
      } else {
        this.queue.forget(key);
        outcome = 'success';
      }
    } catch (error) {
      this.queue.addRateLimited(key);
      this.metrics?.reconcileErrors.inc(labels);
      outcome = 'error';
      logger.error('reconcile failed', {
        error: errorMessage(error),
        retries: this.queue.numRequeues(key),
        stack: error instanceof Error ? error.stack : undefined,
      });
    } finally {
      this.metrics?.activeWorkers.dec(labels);
      this.metrics?.reconcileTime.observe(labels, (this.clock.now().getTime() - started) / 1000);
    }
    this.metrics?.reconcileTotal.inc({ controller: this.name, result: outcome });
    logger.debug('reconciled', { result: outcome });
  }
}

// ---------------------------------------------------------------------------------------------
// Map functions for `watches`

/** The object's own key. */
export const mapToSelf: MapFunc<KubeObject> = (obj) => objectKey(obj);

export interface OwnerMatch {
  kind: string;
  /** API group of the owner ('' for core); any group when omitted. */
  group?: string;
  /** Only the managing controller's reference (`controller: true`); default true. */
  controllerOnly?: boolean;
}

/**
 * Keys of the object's owners of a given kind. Owners live in the object's namespace (or are
 * cluster-scoped when the object is).
 */
export function ownerKeys(obj: KubeObject, match: OwnerMatch): string[] {
  const controllerOnly = match.controllerOnly ?? true;
  return (obj.metadata?.ownerReferences ?? [])
    .filter((ref) => ref.kind === match.kind)
    .filter((ref) => match.group === undefined || parseApiVersion(ref.apiVersion).group === match.group)
    .filter((ref) => !controllerOnly || ref.controller === true)
    .map((ref) => keyOf(obj.metadata?.namespace, ref.name));
}

/** A MapFunc that reconciles the owner of kind `match.kind` instead of the object itself. */
export function mapToOwner(match: OwnerMatch): MapFunc<KubeObject> {
  return (obj) => ownerKeys(obj, match);
}
