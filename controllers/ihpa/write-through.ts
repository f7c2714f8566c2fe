// Reading one's own writes through a shared informer cache. Right after a write the cache may
// still hold the object as it was; a reconcile that starts in that window (triggered by another
// object's event) would decide from stale state, e.g. take a gray step twice. The memo keeps the
// object the last write returned, and serves it for as long as the cache still shows a version
// that one of our writes replaced.

import type { KubeObject } from '../kit/objects.js';

interface Entry<T> {
  /** resourceVersions our writes replaced ('' stands for "did not exist"). */
  staleVersions: Set<string>;
  written: T;
  /** Bounds how long an entry can be served if the cache never moves (e.g. the object was deleted). */
  expiresAt: number;
}

const versionOf = (obj: KubeObject | undefined): string => obj?.metadata?.resourceVersion ?? '';

export class WriteThroughMemo<T extends KubeObject> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly ttlMs = 30_000) {}

  /** The freshest known object: `cached`, unless it still shows a version our writes replaced. */
  read(key: string, cached: T | undefined, nowMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return cached;
    if (nowMs < entry.expiresAt && entry.staleVersions.has(versionOf(cached))) return entry.written;
    this.entries.delete(key);
    return cached;
  }

  /** Records a write of `key` that replaced `before` (the object the caller read, maybe from `read`). */
  wrote(key: string, before: T | undefined, written: T, nowMs: number): void {
    const entry = this.entries.get(key);
    const staleVersions = new Set(entry?.staleVersions ?? []);
    staleVersions.add(versionOf(before));
    staleVersions.delete(versionOf(written));
    this.entries.set(key, { staleVersions, written, expiresAt: nowMs + this.ttlMs });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
