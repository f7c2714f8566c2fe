// The reconciler's own writes, remembered until the informer cache shows them. Reading a cache
// that is behind our last write would replan from an older state (and, for absolute levels such
// as a scale batch goal, ask for an older level again). While the cache is behind, the object
// returned by the write stands in for it and the workload counts as not settled.

import type { KubeObject } from '../kit/objects.js';

/**
 * True when resourceVersion `a` is newer than `b`. Kubernetes calls resourceVersions opaque, but
 * the API server on etcd serves decimal revisions that only grow; anything else is treated as not
 * newer (the cache is trusted).
 */
export function isNewerVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !/^\d+$/.test(a)) return false;
  if (!b || !/^\d+$/.test(b)) return b === undefined || b === '';
  return BigInt(a) > BigInt(b);
}

interface Remembered<T> {
  object?: T;
  resourceVersion?: string;
  /** Set for a deletion: the UID that must not be seen any more. */
  deletedUid?: string;
}

export interface FreshView<T> {
  object: T | undefined;
  /** The cache does not yet hold our last write. */
  behind: boolean;
}

export class WriteMemory<T extends KubeObject> {
  private readonly entries = new Map<string, Remembered<T>>();

  /**
   * `limit`: entries kept at most. An entry normally goes on the next read of its key; one whose
   * key is never read again (a workload removed with its Rollout) is dropped oldest-first here.
   */
  constructor(private readonly limit = 10_000) {}

  /** Remembers the object a write returned. */
  wrote(key: string, object: T): void {
    this.remember(key, { object, resourceVersion: object.metadata?.resourceVersion });
  }

  /** Remembers a deletion of the object with `uid`. */
  deleted(key: string, uid: string | undefined): void {
    if (uid) this.remember(key, { deletedUid: uid });
    else this.entries.delete(key);
  }

  private remember(key: string, entry: Remembered<T>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * The freshest view of `key`: the cached object, unless our last write is newer than everything
   * the informer has seen (`cacheVersion`, its last resourceVersion).
   */
  view(key: string, cached: T | undefined, cacheVersion: string): FreshView<T> {
    const entry = this.entries.get(key);
    if (!entry) return { object: cached, behind: false };
    if (entry.deletedUid !== undefined) {
      if (cached?.metadata?.uid === entry.deletedUid) return { object: undefined, behind: true };
      this.entries.delete(key);
      return { object: cached, behind: false };
    }
    if (isNewerVersion(entry.resourceVersion, cacheVersion)) return { object: entry.object, behind: true };
    this.entries.delete(key);
    return { object: cached, behind: false };
  }

  /** Forgets everything under a key prefix (a deleted Rollout's workloads). */
  forget(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
