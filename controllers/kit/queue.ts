// Rate-limited work queue of reconcile keys (`namespace/name`), with the semantics of the client-go
// work queue that every Kubernetes controller relies on:
// - a key is queued at most once however often it is added (dedupe);
// - a key being processed is never handed to a second worker: adding it meanwhile marks it dirty,
//   and it is queued again when the worker calls `done`;
// - two priorities: a key added only with `lowPriority` since it was last handed out waits until
//   no normal key is ready (a normal add of it promotes it). Low-priority work (e.g. re-checking
//   health after a child object changed) then never delays new work, and piles up into one
//   reconcile per key while it waits;
// - delayed adds (`addAfter`) and per-key exponential backoff (`addRateLimited`) run on the
//   injected Clock.

import { realClock, type Clock, type TimerHandle } from './clock.js';

/** Hooks the queue calls so a metrics provider can observe it; every hook is optional. */
export interface QueueMetrics {
  /** Number of keys waiting to be handed out, after every change. */
  depth?(n: number): void;
  /** A key entered the queue (not counted when deduplicated). */
  added?(): void;
  /** A delayed or rate-limited re-addition was requested. */
  retried?(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  waited?(seconds: number): void;
  /** Seconds a worker held a key, from `get` to `done`. */
  worked?(seconds: number): void;
}

/** Decides how long to wait before retrying a key, and remembers per-key failures. */
export interface RateLimiter {
  /** Delay in ms before the next retry of `key`; counts one more failure. */
  when(key: string): number;
  /** Clears the failure history of `key`. */
  forget(key: string): void;
  /** Failures recorded for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

/**
 * Per-key exponential backoff: base·2^failures, capped. Defaults (5 ms base, 1000 s cap) match the
 * per-item limiter controller-runtime installs by default.
 */
export class ExponentialBackoffRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {
    if (baseDelayMs <= 0 || maxDelayMs < baseDelayMs) {
      throw new Error(`invalid backoff bounds base=${baseDelayMs}ms max=${maxDelayMs}ms`);
    }
  }

  when(key: string): number {
    const previous = this.failures.get(key) ?? 0;
    this.failures.set(key, previous + 1);
    // 2^previous overflows to Infinity for huge counts, which Math.min then caps.
    return Math.min(this.baseDelayMs * 2 ** previous, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
}

interface DelayedAdd {
  readyAt: number;
  timer: TimerHandle;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics;

  /**
   * Keys ready to be handed out, in order, per priority. An entry whose `queued` lane differs is
   * stale (the key was promoted) and skipped.
   */
  private readonly ready: string[] = [];
  private readonly readyLow: string[] = [];
  /** The lane of every key waiting in `ready`/`readyLow` (each such key is also in `dirty`). */
  private readonly queued = new Map<string, 'normal' | 'low'>();
  /** Dirty keys every add of which (since they were last handed out) asked for low priority. */
  private readonly lowOnly = new Set<string>();
  /** Keys that need processing (queued, or re-added while being processed). */
  private readonly dirty = new Set<string>();
  /** Keys currently held by a worker. */
  private readonly processing = new Set<string>();
  /** Worker calls to `get` waiting for a key. */
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  /** Pending delayed adds, one per key (the earliest wins). */
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly queuedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? new ExponentialBackoffRateLimiter();
    this.metrics = options.metrics ?? {};
  }

  /**
   * Queues `key` unless it is already queued; a key being processed is marked dirty instead.
   * `lowPriority`: hand it out only when no normal-priority key is ready.
   */
  add(key: string, options: { lowPriority?: boolean } = {}): void {
    if (this.shuttingDown) return;
    const low = options.lowPriority === true;
    if (this.dirty.has(key)) {
      if (!low && this.lowOnly.delete(key) && this.queued.get(key) === 'low') {
        this.queued.set(key, 'normal');
        this.ready.push(key);
        this.metrics.depth?.(this.queued.size);
      }
      return;
    }
    this.dirty.add(key);
    if (low) this.lowOnly.add(key);
    this.metrics.added?.();
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `ms`. Of several pending delays for one key the earliest is kept. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    this.metrics.retried?.();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now().getTime() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.readyAt <= readyAt) return;
    pending?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` after the rate limiter's backoff for it (which counts one more failure). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the backoff history of `key`; call after a successful reconcile. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting until one is ready; undefined once the queue is shut down.
   * The caller owns the key until it calls `done(key)`.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases `key`; if it was re-added while processed it is queued again now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.worked?.(this.elapsedSeconds(started));
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
  }

  /**
   * Stops the queue: pending and future `get` calls resolve to undefined, adds are ignored, delayed
   * adds are cancelled and queued keys dropped. Keys held by workers stay theirs until `done`.
   * Dropping queued keys is safe for level-based reconcilers: the next start lists everything.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    this.ready.length = 0;
    this.readyLow.length = 0;
    this.queued.clear();
    this.queuedAt.clear();
    this.metrics.depth?.(0);
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys ready to be handed out (not counting delayed or in-process keys). */
  len(): number {
    return this.queued.size;
  }

  /** Keys currently held by workers. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting on a delayed add. */
  pendingDelayed(): number {
    return this.delayed.size;
  }

  private enqueue(key: string): void {
    const lane = this.lowOnly.has(key) ? 'low' : 'normal';
    (lane === 'low' ? this.readyLow : this.ready).push(key);
    this.queued.set(key, lane);
    this.queuedAt.set(key, this.clock.now().getTime());
    this.metrics.depth?.(this.queued.size);
    const waiter = this.waiters.shift();
    if (waiter) {
      const next = this.take();
      // A waiter only exists while nothing was ready, so the key just pushed is the one taken.
      waiter(next);
    }
  }

  private take(): string | undefined {
    const key = this.next(this.ready, 'normal') ?? this.next(this.readyLow, 'low');
    if (key === undefined) return undefined;
    this.queued.delete(key);
    this.lowOnly.delete(key);
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now().getTime();
    const queued = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    if (queued !== undefined) this.metrics.waited?.((now - queued) / 1000);
    this.startedAt.set(key, now);
    this.metrics.depth?.(this.queued.size);
    return key;
  }

  /** The first key of `list` still queued in `lane`, dropping stale entries before it. */
  private next(list: string[], lane: 'normal' | 'low'): string | undefined {
    for (let key = list.shift(); key !== undefined; key = list.shift()) {
      if (this.queued.get(key) === lane) return key;
    }
    return undefined;
  }

  private elapsedSeconds(since: number): number {
    return (this.clock.now().getTime() - since) / 1000;
  }
}
