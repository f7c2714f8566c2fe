// The informer's cache: objects keyed `namespace/name`, with secondary indexes. Pure: applying a
// watch event or a relist to the store returns the notifications it implies, and nothing here
// does I/O or reads a clock, so all of it is tested without an API server.

import { compileSelector, type Selector } from './labels.js';
import { objectKey, type KubeObject } from './objects.js';

/** A change the informer reports to its handlers. */
export type StoreEvent<T> =
  | { type: 'add'; object: T }
  | { type: 'update'; oldObject: T; object: T }
  /**
   * `finalStateUnknown`: the deletion was inferred from a relist, so `object` is the last state
   * the cache saw rather than the state at deletion.
   */
  | { type: 'delete'; object: T; finalStateUnknown: boolean };

/** What the store consumes: a watch event (BOOKMARK events carry no object change). */
export interface StoreWatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

/** Maps an object to the index values it is found under (none: not indexed). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'ownerUid';
export const CONTROLLER_UID_INDEX = 'controllerUid';

/** Every owner's UID (from metadata.ownerReferences). */
export const indexByOwnerUid: IndexFunc<KubeObject> = (obj) =>
  (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);

/** The UID of the managing controller (the ownerReference with `controller: true`), if any. */
export const indexByControllerUid: IndexFunc<KubeObject> = (obj) =>
  (obj.metadata?.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid);

const indexByNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

/**
 * Index values `namespace/<value of label>` (none when the label is absent): finds the objects
 * carrying one value of a label, e.g. everything of one Application, without scanning the
 * namespace.
 */
export function indexByLabelValue(label: string): IndexFunc<KubeObject> {
  return (obj) => {
    const value = obj.metadata?.labels?.[label];
    return value === undefined ? [] : [`${obj.metadata?.namespace ?? ''}/${value}`];
  };
}

function resourceVersionOf(obj: KubeObject): string | undefined {
  return obj.metadata?.resourceVersion;
}

/**
 * Objects by key, plus indexes. Stored objects are shared with every reader: treat them as
 * read-only and clone before changing anything.
 */
export class ObjectStore<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, indexByNamespace);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  /** Adds an index; existing objects are indexed immediately. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) throw new Error(`index ${name} already exists`);
    this.indexFuncs.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
  }

  hasIndexer(name: string): boolean {
    return this.indexFuncs.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects in `namespace` (all when omitted) whose labels match `selector` (all when omitted). */
  list(namespace?: string, selector?: Selector): T[] {
    const candidates =
      namespace === undefined ? [...this.items.values()] : this.byIndex(NAMESPACE_INDEX, namespace);
    if (selector === undefined) return candidates;
    const matches = compileSelector(selector);
    return candidates.filter((obj) => matches(obj.metadata?.labels));
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index named ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /**
   * Applies one watch event. An ADDED/MODIFIED that repeats the stored resourceVersion changes
   * nothing; a DELETED for an object the store never held is not reported.
   */
  applyEvent(event: StoreWatchEvent<T>): StoreEvent<T>[] {
    if (event.type === 'BOOKMARK') return [];
    const key = objectKey(event.object);
    const old = this.items.get(key);
    if (event.type === 'DELETED') {
      if (!old) return [];
      this.remove(key, old);
      return [{ type: 'delete', object: event.object, finalStateUnknown: false }];
    }
    return this.upsert(key, old, event.object);
  }

  /**
   * Replaces the whole content with a fresh list and reports the difference: new objects as
   * adds, changed resourceVersions as updates (in list order), then vanished objects as deletes.
   */
  replace(items: readonly T[]): StoreEvent<T>[] {
    const events: StoreEvent<T>[] = [];
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      events.push(...this.upsert(key, this.items.get(key), obj));
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(key, old);
      events.push({ type: 'delete', object: old, finalStateUnknown: true });
    }
    return events;
  }

  private upsert(key: string, old: T | undefined, obj: T): StoreEvent<T>[] {
    if (old && resourceVersionOf(old) !== undefined && resourceVersionOf(old) === resourceVersionOf(obj)) {
      return [];
    }
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old ? [{ type: 'update', oldObject: old, object: obj }] : [{ type: 'add', object: obj }];
  }

  private remove(key: string, old: T): void {
    this.unindex(key, old);
    this.items.delete(key);
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs)
      addToIndex(this.indexes.get(name) as Map<string, Set<string>>, fn(obj), key);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: readonly string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) {
      keys = new Set();
      index.set(value, keys);
    }
    keys.add(key);
  }
}
