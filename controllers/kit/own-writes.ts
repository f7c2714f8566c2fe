// Which object versions a controller wrote itself. Every write a controller makes comes back to it
// as a watch event on its own caches; when the reconcile that wrote already went on from the
// write's response, that echo only reconciles the same state again. The controller runs each
// reconcile under its name (AsyncLocalStorage, so nothing has to be passed down), the client
// records the uid and resourceVersion of every write's response under that name, and a watch can
// then recognise an event that carries exactly such a version.
//
// Only the exact version written counts: an event for any later version (someone else's write,
// even one that merely followed ours) is never an echo.

import { AsyncLocalStorage } from 'node:async_hooks';

import type { KubeObject } from './objects.js';

export class OwnWrites {
  private readonly writer = new AsyncLocalStorage<string>();
  /** `writer uid resourceVersion`, oldest first. */
  private readonly versions = new Set<string>();

  /** `limit`: versions remembered at most (oldest dropped first); an echo arrives within seconds. */
  constructor(private readonly limit = 100_000) {}

  /** Runs `fn` with every write made inside it (however deep in its async calls) attributed to `writer`. */
  runAs<R>(writer: string, fn: () => R): R {
    return this.writer.run(writer, fn);
  }

  /** The writer the current async context runs as, if any. */
  currentWriter(): string | undefined {
    return this.writer.getStore();
  }

  /** Notes the object a write returned, for the writer of the current context (none: ignored). */
  record(written: unknown): void {
    const writer = this.writer.getStore();
    if (writer === undefined) return;
    const key = versionKey(writer, written as KubeObject | undefined);
    if (key === undefined) return;
    this.versions.delete(key);
    this.versions.add(key);
    if (this.versions.size > this.limit) {
      const oldest = this.versions.values().next().value;
      if (oldest !== undefined) this.versions.delete(oldest);
    }
  }

  /** True when `obj` is, version for version, what `writer` itself wrote. */
  wroteExactly(writer: string, obj: KubeObject | undefined): boolean {
    const key = versionKey(writer, obj);
    return key !== undefined && this.versions.has(key);
  }

  get size(): number {
    return this.versions.size;
  }
}

function versionKey(writer: string, obj: KubeObject | undefined): string | undefined {
  const uid = obj?.metadata?.uid;
  const resourceVersion = obj?.metadata?.resourceVersion;
  if (!uid || !resourceVersion) return undefined;
  return `${writer} ${uid} ${resourceVersion}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * For an echo of the controller's own write: true when the change cannot concern the reconcile
 * (generation, labels, owner references and deletion unchanged: a status or annotation write).
 * A relist can fold someone else's spec change into the update that carries our version; the
 * generation then differs, and the event is kept.
 */
export function echoLeavesSpecAlone(oldObj: KubeObject | undefined, newObj: KubeObject): boolean {
  if (oldObj === undefined) return false;
  const a = oldObj.metadata ?? {};
  const b = newObj.metadata ?? {};
  return (
    a.uid === b.uid &&
    a.generation === b.generation &&
    Boolean(a.deletionTimestamp) === Boolean(b.deletionTimestamp) &&
    sameJson(a.labels, b.labels) &&
    sameJson(a.ownerReferences, b.ownerReferences) &&
    sameJson(a.finalizers, b.finalizers)
  );
}

/** For an echo of the controller's own write: always ignorable (the reconcile used the response). */
export function anyEcho(): boolean {
  return true;
}
