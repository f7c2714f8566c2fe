// Reading our own writes through informer caches. A reconcile triggered by one object's event can
// start before the events of this controller's other recent writes reach the caches; deciding from
// those stale copies would repeat writes. The memo keeps what a write returned (or that a delete
// removed the object) and serves it while the cache still shows a version that write replaced.

import type { KubeObject } from '../kit/objects.js';

interface Entry {
  /** resourceVersions our writes replaced; '' stands for "absent". */
  replaced: Set<string>;
  /** undefined after a delete. */
  current: KubeObject | undefined;
  expiresAtMs: number;
}

const versionOf = (obj: KubeObject | undefined): string => obj?.metadata?.resourceVersion ?? '';

export class WriteMemo {
  private readonly entries = new Map<string, Entry>();

  /** `ttlMs` bounds how long an entry is served when the cache never catches up. */
  constructor(private readonly ttlMs = 60_000) {}

  read<T extends KubeObject>(key: string, cached: T | undefined, nowMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return cached;
    if (nowMs < entry.expiresAtMs && entry.replaced.has(versionOf(cached)))
      return entry.current as T | undefined;
    this.entries.delete(key);
    return cached;
  }

  /** Records that a write turned `before` into `after` (undefined: deleted). */
  wrote(key: string, before: KubeObject | undefined, after: KubeObject | undefined, nowMs: number): void {
    const replaced = new Set(this.entries.get(key)?.replaced ?? []);
    replaced.add(versionOf(before));
    replaced.delete(after === undefined ? '' : versionOf(after));
    this.entries.set(key, { replaced, current: after, expiresAtMs: nowMs + this.ttlMs });
  }

  /** Keys with entries starting with `prefix` (objects written recently that a cache may lack). */
  keysWithPrefix(prefix: string): string[] {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix));
  }

  /** Drops entries that expired (called now and then so keys of deleted objects do not pile up). */
  sweep(nowMs: number): void {
    for (const [key, entry] of this.entries) if (nowMs >= entry.expiresAtMs) this.entries.delete(key);
  }
}
