import type { KubeObject } from '../../../controllers/kit/objects.js';
import {
  CONTROLLER_UID_INDEX,
  OWNER_UID_INDEX,
  ObjectStore,
  indexByControllerUid,
  indexByOwnerUid,
  type StoreEvent,
  indexByLabelValue,
} from '../../../controllers/kit/store.js';

interface Pod extends KubeObject {
  spec?: { n?: number };
}

function pod(
  name: string,
  rv: string,
  opts: { ns?: string; labels?: Record<string, string>; owners?: Array<[string, boolean]> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      resourceVersion: rv,
      labels: opts.labels,
      ownerReferences: (opts.owners ?? []).map(([uid, controller]) => ({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: `rs-${uid}`,
        uid,
        controller,
      })),
    },
  };
}

function summary(events: StoreEvent<Pod>[]): string[] {
  return events.map((e) => {
    const name = e.object.metadata?.name;
    const rv = e.object.metadata?.resourceVersion;
    if (e.type === 'update') return `update ${name} ${e.oldObject.metadata?.resourceVersion}->${rv}`;
    if (e.type === 'delete') return `delete ${name}@${rv}${e.finalStateUnknown ? ' (inferred)' : ''}`;
    return `add ${name}@${rv}`;
  });
}

describe('ObjectStore.applyEvent', () => {
  let store: ObjectStore<Pod>;
  beforeEach(() => {
    store = new ObjectStore<Pod>();
  });

  it('reports ADDED of a new object as add and of a known one as update', () => {
    expect(summary(store.applyEvent({ type: 'ADDED', object: pod('a', '1') }))).toEqual(['add a@1']);
    expect(summary(store.applyEvent({ type: 'ADDED', object: pod('a', '2') }))).toEqual(['update a 1->2']);
    expect(store.get('default/a')?.metadata?.resourceVersion).toBe('2');
  });

  it('reports MODIFIED as update carrying the previous state, and as add when unknown', () => {
    store.applyEvent({ type: 'ADDED', object: pod('a', '1') });
    expect(summary(store.applyEvent({ type: 'MODIFIED', object: pod('a', '5') }))).toEqual(['update a 1->5']);
    expect(summary(store.applyEvent({ type: 'MODIFIED', object: pod('b', '6') }))).toEqual(['add b@6']);
  });

  it('ignores an event repeating the stored resourceVersion', () => {
    store.applyEvent({ type: 'ADDED', object: pod('a', '1') });
    expect(store.applyEvent({ type: 'MODIFIED', object: pod('a', '1') })).toEqual([]);
  });

  it('reports DELETED with the final state and removes the object', () => {
    store.applyEvent({ type: 'ADDED', object: pod('a', '1') });
    expect(summary(store.applyEvent({ type: 'DELETED', object: pod('a', '3') }))).toEqual(['delete a@3']);
    expect(store.get('default/a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('does not report a DELETED for an object it never held', () => {
    expect(store.applyEvent({ type: 'DELETED', object: pod('ghost', '3') })).toEqual([]);
  });

  it('changes nothing on BOOKMARK', () => {
    store.applyEvent({ type: 'ADDED', object: pod('a', '1') });
    const bookmark = { metadata: { resourceVersion: '100' } } as Pod;
    expect(store.applyEvent({ type: 'BOOKMARK', object: bookmark })).toEqual([]);
    expect(store.keys()).toEqual(['default/a']);
  });

  it('keys cluster-scoped objects by name alone', () => {
    store.applyEvent({
      type: 'ADDED',
      object: { kind: 'Node', metadata: { name: 'n1', resourceVersion: '1' } },
    });
    expect(store.get('n1')?.kind).toBe('Node');
  });
});

describe('ObjectStore.replace (relist)', () => {
  it('reports adds and updates in list order, then inferred deletes, and skips unchanged', () => {
    const store = new ObjectStore<Pod>();
    store.replace([pod('keep', '1'), pod('change', '1'), pod('gone', '1')]);
    const events = store.replace([pod('new', '7'), pod('change', '8'), pod('keep', '1')]);
    expect(summary(events)).toEqual(['add new@7', 'update change 1->8', 'delete gone@1 (inferred)']);
    expect(store.keys().sort()).toEqual(['default/change', 'default/keep', 'default/new']);
  });

  it('reports everything as added on the first list', () => {
    const store = new ObjectStore<Pod>();
    expect(summary(store.replace([pod('a', '1'), pod('b', '2')]))).toEqual(['add a@1', 'add b@2']);
  });

  it('empties the store on an empty relist', () => {
    const store = new ObjectStore<Pod>({ [OWNER_UID_INDEX]: indexByOwnerUid });
    store.replace([pod('a', '1', { owners: [['u1', true]] })]);
    expect(summary(store.replace([]))).toEqual(['delete a@1 (inferred)']);
    expect(store.size).toBe(0);
    expect(store.byIndex(OWNER_UID_INDEX, 'u1')).toEqual([]);
  });
});

describe('ObjectStore queries and indexes', () => {
  const objects = [
    pod('web-1', '1', { ns: 'prod', labels: { app: 'web', tier: 'front' }, owners: [['rs1', true]] }),
    pod('web-2', '1', {
      ns: 'prod',
      labels: { app: 'web' },
      owners: [
        ['rs1', true],
        ['other', false],
      ],
    }),
    pod('db-1', '1', { ns: 'prod', labels: { app: 'db' }, owners: [['rs2', true]] }),
    pod('web-1', '1', { ns: 'staging', labels: { app: 'web' } }),
  ];

  function names(list: Pod[]): string[] {
    return list.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort();
  }

  it('lists by namespace and by label selector in both forms', () => {
    const store = new ObjectStore<Pod>();
    store.replace(objects);
    expect(store.list()).toHaveLength(4);
    expect(names(store.list('prod'))).toEqual(['prod/db-1', 'prod/web-1', 'prod/web-2']);
    expect(names(store.list('nowhere'))).toEqual([]);
    expect(names(store.list(undefined, 'app=web'))).toEqual(['prod/web-1', 'prod/web-2', 'staging/web-1']);
    expect(names(store.list('prod', 'app=web,!tier'))).toEqual(['prod/web-2']);
    expect(
      names(
        store.list('prod', {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'Exists' }],
        }),
      ),
    ).toEqual(['prod/web-1']);
  });

  it('indexes by owner UID and by controller UID, following updates and deletes', () => {
    const store = new ObjectStore<Pod>({
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [CONTROLLER_UID_INDEX]: indexByControllerUid,
    });
    store.replace(objects);
    expect(names(store.byIndex(OWNER_UID_INDEX, 'rs1'))).toEqual(['prod/web-1', 'prod/web-2']);
    expect(names(store.byIndex(OWNER_UID_INDEX, 'other'))).toEqual(['prod/web-2']);
    expect(names(store.byIndex(CONTROLLER_UID_INDEX, 'other'))).toEqual([]);

    store.applyEvent({
      type: 'MODIFIED',
      object: pod('web-1', '2', { ns: 'prod', owners: [['rs2', true]] }),
    });
    expect(names(store.byIndex(OWNER_UID_INDEX, 'rs1'))).toEqual(['prod/web-2']);
    expect(names(store.byIndex(OWNER_UID_INDEX, 'rs2'))).toEqual(['prod/db-1', 'prod/web-1']);

    store.applyEvent({ type: 'DELETED', object: pod('web-2', '3', { ns: 'prod' }) });
    expect(store.byIndex(OWNER_UID_INDEX, 'rs1')).toEqual([]);
    expect(store.byIndex(OWNER_UID_INDEX, 'other')).toEqual([]);
  });

  it('indexes existing objects when an indexer is added later', () => {
    const store = new ObjectStore<Pod>();
    store.replace(objects);
    store.addIndexer('app', (p) => (p.metadata?.labels?.['app'] ? [p.metadata.labels['app']] : []));
    expect(names(store.byIndex('app', 'db'))).toEqual(['prod/db-1']);
    expect(() => store.addIndexer('app', () => [])).toThrow(/already exists/);
    expect(() => store.byIndex('missing', 'x')).toThrow(/no index/);
  });
});

describe('indexByLabelValue', () => {
  it('finds the objects of one label value in one namespace, and follows relabelling', () => {
    const labelled = (ns: string, name: string, rv: string, app?: string): KubeObject => ({
      metadata: {
        namespace: ns,
        name,
        resourceVersion: rv,
        ...(app ? { labels: { 'app.oam.dev/name': app } } : {}),
      },
    });
    const store = new ObjectStore<KubeObject>({ app: indexByLabelValue('app.oam.dev/name') });
    store.replace([
      labelled('a', 'one', '1', 'shop'),
      labelled('a', 'two', '1', 'blog'),
      labelled('b', 'three', '1', 'shop'),
      labelled('a', 'plain', '1'),
    ]);
    expect(store.byIndex('app', 'a/shop').map((o) => o.metadata?.name)).toEqual(['one']);
    expect(store.byIndex('app', 'b/shop').map((o) => o.metadata?.name)).toEqual(['three']);
    expect(store.byIndex('app', 'a/')).toEqual([]);
    store.applyEvent({ type: 'MODIFIED', object: labelled('a', 'two', '2', 'shop') });
    expect(
      store
        .byIndex('app', 'a/shop')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['one', 'two']);
    expect(store.byIndex('app', 'a/blog')).toEqual([]);
  });
});
