import { KubeClient } from '../../../controllers/kit/client.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import {
  adapterFor,
  adoptionPatch,
  buildFromRevision,
  cloneSetAdapter,
  cloneSetCounts,
  cloneSetPartition,
  deploymentAdapter,
  deploymentCounts,
  isPodReady,
  isPodReadyAt,
  rollingUpdateStrategy,
  statefulSetAdapter,
  statefulSetCounts,
  templatePatch,
  type BuildRequest,
  type OwnedLookup,
  type Pod,
  type Workload,
} from '../../../controllers/workloads/index.js';
import { FakeTransport } from '../kit/fake-transport.js';

const owner = {
  apiVersion: 'standard.oam.dev/v1alpha1',
  kind: 'Rollout',
  name: 'express-server',
  uid: 'rollout-uid',
  controller: false,
  blockOwnerDeletion: true,
};

function request(partial: Partial<BuildRequest> = {}): BuildRequest {
  return {
    data: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        labels: { 'app.oam.dev/name': 'rollout-trait-test', tier: 'web' },
        annotations: { note: 'from the revision' },
      },
      spec: {
        selector: { matchLabels: { 'app.oam.dev/component': 'express-server' } },
        template: {
          metadata: { labels: { 'app.oam.dev/component': 'express-server', tier: 'web' } },
          spec: { containers: [{ name: 'express-server', image: 'stefanprodan/podinfo:5.0.2' }] },
        },
      },
    },
    name: 'express-server-v2',
    namespace: 'ns',
    revision: 'express-server-v2',
    component: 'express-server',
    owner,
    replicas: 0,
    ...partial,
  };
}

function pod(
  name: string,
  ready: boolean,
  extra: Partial<Pod['metadata']> = {},
  conditions: Pod['status'] = {},
): Pod {
  return {
    metadata: { name, ...extra },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, ...(conditions.conditions ?? [])],
    },
  };
}

/** Owned objects by owner UID, as the reconciler's indexed caches return them. */
function lookup(byOwner: Record<string, { Pod?: Pod[]; ReplicaSet?: KubeObject[] }>): OwnedLookup {
  return (uid, kind) => byOwner[uid]?.[kind] ?? [];
}

function workload(
  partial: Omit<Partial<Workload>, 'metadata'> & { metadata?: Partial<Workload['metadata']> } = {},
): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    ...partial,
    metadata: { name: 'w', uid: 'w-uid', generation: 2, ...partial.metadata },
    spec: { replicas: 3, ...partial.spec },
    status: { observedGeneration: 2, ...partial.status },
  };
}

describe('pod readiness', () => {
  it('counts a Ready pod and never a terminating one', () => {
    expect(isPodReady(pod('a', true))).toBe(true);
    expect(isPodReady(pod('b', false))).toBe(false);
    expect(isPodReady(pod('c', true, { deletionTimestamp: '2024-01-01T00:00:00Z' }))).toBe(false);
  });

  it('counts a pod ready at a revision only with the revision label and an open in-place gate', () => {
    const labels = { 'controller-revision-hash': 'cs-new' };
    expect(isPodReadyAt(pod('a', true, { labels }), 'cs-new')).toBe(true);
    expect(isPodReadyAt(pod('b', true, { labels }), 'cs-old')).toBe(false);
    expect(isPodReadyAt(pod('c', true, { labels }), undefined)).toBe(false);
    const updating = pod(
      'd',
      true,
      { labels },
      { conditions: [{ type: 'InPlaceUpdateReady', status: 'False' }] },
    );
    expect(isPodReadyAt(updating, 'cs-new')).toBe(false);
  });
});

describe('building a workload from a revision', () => {
  it('names it, labels it with component, revision and app, owns it and sets replicas', () => {
    const built = buildFromRevision(request({ replicas: 2 }));
    expect(built).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'express-server-v2',
        namespace: 'ns',
        labels: {
          tier: 'web',
          'app.oam.dev/name': 'rollout-trait-test',
          'app.oam.dev/component': 'express-server',
          'app.oam.dev/revision': 'express-server-v2',
        },
        annotations: { note: 'from the revision' },
        ownerReferences: [owner],
      },
      spec: { replicas: 2, selector: { matchLabels: { 'app.oam.dev/component': 'express-server' } } },
    });
  });

  it('keeps the template and puts the component and app labels on its pods', () => {
    const data = request().data;
    const template = data.spec?.['template'] as { metadata: { labels: Record<string, string> } };
    template.metadata.labels = { tier: 'web' };
    const built = buildFromRevision(request({ data, appName: 'shop' }));
    expect(built.spec?.template).toEqual({
      metadata: {
        labels: { tier: 'web', 'app.oam.dev/component': 'express-server', 'app.oam.dev/name': 'shop' },
      },
      spec: { containers: [{ name: 'express-server', image: 'stefanprodan/podinfo:5.0.2' }] },
    });
    expect(built.metadata.labels?.['app.oam.dev/name']).toBe('shop');
  });

  it('does not modify the revision data it was built from', () => {
    const req = request();
    const before = JSON.stringify(req.data);
    buildFromRevision(req);
    expect(JSON.stringify(req.data)).toBe(before);
  });

  it('names per-revision kinds after the revision and in-place kinds after the component', () => {
    expect(deploymentAdapter.workloadName('express-server', 'express-server-v2')).toBe('express-server-v2');
    expect(cloneSetAdapter.workloadName('cloneset-server', 'cloneset-server-v2')).toBe('cloneset-server');
    expect(statefulSetAdapter.workloadName('db', 'db-v3')).toBe('db');
  });

  it('finds the adapter by apiVersion and kind', () => {
    expect(adapterFor('apps/v1', 'Deployment')).toBe(deploymentAdapter);
    expect(adapterFor('apps.kruise.io/v1alpha1', 'CloneSet')).toBe(cloneSetAdapter);
    expect(adapterFor('apps/v1', 'StatefulSet')).toBe(statefulSetAdapter);
    expect(adapterFor('apps/v1', 'DaemonSet')).toBeUndefined();
    expect(adapterFor('extensions/v1beta1', 'Deployment')).toBeUndefined();
  });
});

describe('Deployment counts', () => {
  const owned = lookup({
    'w-uid': { ReplicaSet: [{ metadata: { name: 'w-abc', uid: 'rs-uid' } }] },
    'rs-uid': {
      Pod: [
        pod('p1', true),
        pod('p2', true),
        pod('p3', false),
        pod('p4', true, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
      ],
    },
    'other-rs': { Pod: [pod('q1', true)] },
  });

  it('reads desired from spec and ready from the pods of its ReplicaSets', () => {
    expect(deploymentCounts(workload(), owned, false)).toEqual({
      name: 'w',
      desired: 3,
      ready: 2,
      settled: true,
    });
  });

  it('is not settled while the Deployment controller has not seen the latest spec', () => {
    const lagging = workload({ metadata: { generation: 3 }, status: { observedGeneration: 2 } });
    expect(deploymentCounts(lagging, owned, false).settled).toBe(false);
  });

  it('is not settled while the cache does not hold our last write', () => {
    expect(deploymentCounts(workload(), owned, true).settled).toBe(false);
  });

  it('defaults spec.replicas to 1 as the API does', () => {
    const unset = workload();
    delete unset.spec?.replicas;
    expect(deploymentCounts(unset, owned, false).desired).toBe(1);
  });
});

describe('CloneSet counts', () => {
  const labels = (revision: string) => ({ 'controller-revision-hash': revision });
  const owned = lookup({
    'cs-uid': {
      Pod: [
        pod('a', true, { labels: labels('cs-v2') }),
        pod('b', false, { labels: labels('cs-v2') }),
        pod('c', true, { labels: labels('cs-v1') }),
        pod('d', true, { labels: labels('cs-v1') }),
        pod(
          'e',
          true,
          { labels: labels('cs-v2') },
          { conditions: [{ type: 'InPlaceUpdateReady', status: 'False' }] },
        ),
      ],
    },
  });
  const cloneSet = workload({
    kind: 'CloneSet',
    metadata: { name: 'cs', uid: 'cs-uid' },
    spec: { replicas: 5, updateStrategy: { partition: 2 } },
    status: { updatedReplicas: 3, updatedReadyReplicas: 3, updateRevision: 'cs-v2' },
  });

  it('counts updated-and-ready pods at the update revision with the in-place gate open', () => {
    expect(cloneSetCounts(cloneSet, owned, false)).toEqual({
      name: 'cs',
      desired: 5,
      ready: 4,
      updated: 3,
      updatedReady: 1,
      partition: 2,
      settled: true,
    });
  });

  it('falls back to status.updatedReadyReplicas before the update revision is known', () => {
    const early = {
      ...cloneSet,
      status: { updatedReplicas: 5, updatedReadyReplicas: 4, observedGeneration: 2 },
    };
    expect(cloneSetCounts(early, owned, false).updatedReady).toBe(4);
  });

  it('resolves a percentage partition against replicas, rounding up', () => {
    expect(cloneSetPartition(workload({ spec: { replicas: 5, updateStrategy: { partition: '50%' } } }))).toBe(
      3,
    );
    expect(cloneSetPartition(workload({ spec: { replicas: 5, updateStrategy: {} } }))).toBe(0);
    expect(
      cloneSetPartition(workload({ spec: { replicas: 5, updateStrategy: { partition: 'junk' } } })),
    ).toBe(0);
  });
});

describe('StatefulSet counts', () => {
  it('reads the RollingUpdate partition and counts ready pods at the update revision', () => {
    const owned = lookup({
      'sts-uid': {
        Pod: [
          pod('db-0', true, { labels: { 'controller-revision-hash': 'db-1' } }),
          pod('db-1', true, { labels: { 'controller-revision-hash': 'db-2' } }),
          pod('db-2', false, { labels: { 'controller-revision-hash': 'db-2' } }),
        ],
      },
    });
    const sts = workload({
      kind: 'StatefulSet',
      metadata: { name: 'db', uid: 'sts-uid' },
      spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } },
      status: { updatedReplicas: 2, updateRevision: 'db-2' },
    });
    expect(statefulSetCounts(sts, owned, false)).toEqual({
      name: 'db',
      desired: 3,
      ready: 2,
      updated: 2,
      updatedReady: 1,
      partition: 1,
      settled: true,
    });
  });

  it('keeps the rest of the live update strategy when setting the partition', () => {
    const live = workload({
      spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 2 } } },
    });
    expect(rollingUpdateStrategy(live, 3)).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 2, partition: 3 },
    });
  });
});

describe('patches', () => {
  const live = workload({
    kind: 'CloneSet',
    metadata: {
      name: 'cs',
      resourceVersion: '42',
      labels: { 'app.oam.dev/component': 'cs', 'app.oam.dev/revision': 'cs-v1' },
    },
  });

  it('moves an in-place workload to a new template in one guarded, atomic write that holds every pod', () => {
    const ops = templatePatch(live, request({ revision: 'cs-v2', component: 'cs' }), {
      type: 'InPlaceIfPossible',
      partition: 5,
    });
    expect(ops.map((op) => [op.op, op.path])).toEqual([
      ['test', '/metadata/resourceVersion'],
      ['add', '/spec/updateStrategy'],
      ['replace', '/spec/template'],
      ['add', '/metadata/labels'],
    ]);
    expect(ops[0]?.value).toBe('42');
    expect(ops[1]?.value).toEqual({ type: 'InPlaceIfPossible', partition: 5 });
    expect(ops[3]?.value).toEqual({ 'app.oam.dev/component': 'cs', 'app.oam.dev/revision': 'cs-v2' });
  });

  it('adds an owner whether or not the workload has owners already', () => {
    expect(adoptionPatch(workload(), owner)).toEqual([
      { op: 'add', path: '/metadata/ownerReferences', value: [owner] },
    ]);
    const owned = workload({ metadata: { ownerReferences: [{ ...owner, uid: 'x', name: 'x' }] } });
    expect(adoptionPatch(owned, owner)).toEqual([
      { op: 'add', path: '/metadata/ownerReferences/-', value: owner },
    ]);
  });
});

describe('adapter writes', () => {
  function client(reply: unknown = { metadata: { name: 'w', resourceVersion: '7' } }) {
    const transport = new FakeTransport(() => ({ body: reply }));
    return { transport, client: new KubeClient(transport) };
  }

  it('sets Deployment replicas with a merge patch of spec.replicas and returns the object', async () => {
    const { transport, client: c } = client();
    const written = await deploymentAdapter.setReplicas(c, 'ns', 'express-server-v2', 3);
    expect(written.metadata.resourceVersion).toBe('7');
    expect(transport.requests).toHaveLength(1);
    expect(transport.requests[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/ns/deployments/express-server-v2',
      body: { spec: { replicas: 3 } },
    });
    expect(transport.requests[0]?.headers['Content-Type']).toBe('application/merge-patch+json');
  });

  it('sets the CloneSet partition and the StatefulSet RollingUpdate partition', async () => {
    const cs = client();
    await cloneSetAdapter.setPartition(cs.client, 'ns', 'cs', 2);
    expect(cs.transport.requests[0]).toMatchObject({
      path: '/apis/apps.kruise.io/v1alpha1/namespaces/ns/clonesets/cs',
      body: { spec: { updateStrategy: { partition: 2 } } },
    });
    const sts = client();
    await statefulSetAdapter.setPartition(sts.client, 'ns', 'db', 1);
    expect(sts.transport.requests[0]).toMatchObject({
      path: '/apis/apps/v1/namespaces/ns/statefulsets/db',
      body: { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } } },
    });
  });

  it('creates through server-side apply with the rollscale field manager', async () => {
    const { transport, client: c } = client();
    await deploymentAdapter.create(c, deploymentAdapter.build(request()));
    expect(transport.requests[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/ns/deployments/express-server-v2',
    });
    expect(transport.requests[0]?.query.get('fieldManager')).toBe('rollscale');
    expect(transport.requests[0]?.headers['Content-Type']).toBe('application/apply-patch+yaml');
  });

  it('deletes by UID in the background and treats "already gone" as done', async () => {
    const transport = new FakeTransport(() => ({
      status: 404,
      body: { kind: 'Status', code: 404, reason: 'NotFound', message: 'gone' },
    }));
    await expect(
      deploymentAdapter.delete(new KubeClient(transport), 'ns', 'express-server-v1', 'uid-1'),
    ).resolves.toBeUndefined();
    expect(transport.requests[0]).toMatchObject({
      method: 'DELETE',
      body: { propagationPolicy: 'Background', preconditions: { uid: 'uid-1' } },
    });
  });

  it('refuses partition writes and in-place template updates on a Deployment', async () => {
    const { client: c } = client();
    await expect(deploymentAdapter.setPartition(c, 'ns', 'd', 1)).rejects.toThrow('no update partition');
    await expect(deploymentAdapter.updateTemplate(c, workload(), request(), 1)).rejects.toThrow(
      'not updated in place',
    );
  });

  it('raises a CloneSet template update partition to the live one when that is higher', async () => {
    const { transport, client: c } = client();
    const live = workload({
      kind: 'CloneSet',
      metadata: { name: 'cs', resourceVersion: '9' },
      spec: { replicas: 5, updateStrategy: { type: 'InPlaceIfPossible', partition: 6 } },
    });
    await cloneSetAdapter.updateTemplate(c, live, request({ component: 'cs', revision: 'cs-v2' }), 5);
    const body = transport.requests[0]?.body as { op: string; path: string; value: unknown }[];
    expect(body.find((op) => op.path === '/spec/updateStrategy')?.value).toEqual({
      type: 'InPlaceIfPossible',
      partition: 6,
    });
    expect(transport.requests[0]?.headers['Content-Type']).toBe('application/json-patch+json');
  });
});
