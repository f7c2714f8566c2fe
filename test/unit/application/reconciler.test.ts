// The reconciler against an in-memory API server, counting requests: what the first reconcile
// writes, that a no-op reconcile writes nothing, that bad input touches nothing running (only the
// status and one Warning Event), pruning, and the revision history limit.
import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import {
  rolloutResource,
  type Application,
  type ApplicationComponent,
} from '../../../controllers/application/types.js';
import type { RequestRecord } from '../../../controllers/kit/client.js';
import { builtin, type ResourceDescriptor } from '../../../controllers/kit/discovery.js';
import type { StoredObject } from './fake-api.js';
import { NAMESPACE, seedApplication } from './fixtures.js';
import { APPS, collection, reconcilerWorld, type World, type WorldOptions } from './reconciler-world.js';

const DEPLOYMENTS = collection(builtin.Deployment);
const REVISIONS = collection(builtin.ControllerRevision);
const ROLLOUTS = collection(rolloutResource);
const EVENTS = collection(builtin.Event);

let engine: CueEngine;
beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await engine.close();
});

function world(options: WorldOptions = {}): World {
  return reconcilerWorld(engine, options);
}

const status = (w: World) => w.api.get(APPS, 'rollout-trait-test')?.['status'] as Application['status'];
const describeWrite = (r: RequestRecord) =>
  r.resource?.kind === 'Event'
    ? `${r.verb} Event` // generated name
    : `${r.verb} ${r.resource?.kind ?? '?'}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''}`;
const seed = (index: number) => seedApplication(index).spec.components ?? [];

describe('ApplicationReconciler', () => {
  test('first release: revision and Rollout applied after a dry run, then status; the next reconciles are quiet', async () => {
    const w = world();
    w.setApp(seed(0));
    await w.reconcile();
    expect(w.writes().map(describeWrite)).toEqual([
      'apply ControllerRevision express-server-v1', // dry run
      'apply Rollout express-server', // dry run
      'apply ControllerRevision express-server-v1',
      'create Event',
      'apply Rollout express-server',
      'apply Application/status rollout-trait-test',
    ]);
    expect(w.requests.filter((r) => r.path.includes('dryRun=All'))).toHaveLength(2);
    const revision = w.api.get(REVISIONS, 'express-server-v1');
    expect(revision?.metadata.labels).toMatchObject({
      'controller.oam.dev/component': 'express-server',
      'app.oam.dev/name': 'rollout-trait-test',
    });
    expect(revision?.['revision']).toBe(1);
    expect(w.api.get(ROLLOUTS, 'express-server')?.['spec']).toMatchObject({
      targetRevisionName: 'express-server-v1',
    });
    expect(w.api.list(DEPLOYMENTS)).toEqual([]);
    expect(status(w)?.status).toBe('rendering');

    // The watches deliver what was written: health is judged, the phase settles.
    w.sync();
    let mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual(['apply Application/status rollout-trait-test']);
    expect(status(w)?.status).toBe('unhealthy');

    // Nothing changed: zero writes, and zero reads too (everything comes from the caches).
    w.sync();
    mark = w.requests.length;
    await w.reconcile();
    await w.reconcile();
    expect(w.requests.slice(mark)).toEqual([]);

    // The Rollout reports success: one status write, phase running.
    const rollout = w.api.get(ROLLOUTS, 'express-server') as StoredObject;
    w.api.put(ROLLOUTS, {
      ...rollout,
      status: { batchRollingState: 'batchReady', rollingState: 'rolloutSucceed' },
    });
    w.sync();
    mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual(['apply Application/status rollout-trait-test']);
    expect(status(w)?.status).toBe('running');
    expect(status(w)?.services).toEqual([
      {
        name: 'express-server',
        namespace: NAMESPACE,
        healthy: true,
        workloadDefinition: { apiVersion: 'apps/v1', kind: 'Deployment' },
        traits: [{ type: 'rollout', healthy: true, message: 'rolloutSucceed' }],
      },
    ]);
  });

  test('a stale cache right after the writes does not cause them again', async () => {
    const w = world();
    w.setApp(seed(0));
    await w.reconcile();
    // No sync: the caches still show the Application as it was before its status was written,
    // and none of the objects. Only the phase moves on (rendering → unhealthy).
    let mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual(['apply Application/status rollout-trait-test']);
    expect(status(w)?.status).toBe('unhealthy');
    mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark)).toEqual([]);
  });

  test('the upgrade creates express-server-v2 and retargets the Rollout; the same spec again creates nothing', async () => {
    const w = world();
    w.setApp(seed(0));
    await w.reconcile();
    w.setApp(seed(1));
    await w.reconcile();
    w.sync();
    expect(w.api.list(REVISIONS).map((r) => [r.metadata.name, r['revision']])).toEqual([
      ['express-server-v1', 1],
      ['express-server-v2', 2],
    ]);
    expect(w.api.get(ROLLOUTS, 'express-server')?.['spec']).toMatchObject({
      targetRevisionName: 'express-server-v2',
      rolloutPlan: { batchPartition: 0 },
    });
    w.setApp(seed(2));
    await w.reconcile();
    w.sync();
    expect(w.api.list(REVISIONS)).toHaveLength(2);
    expect(w.api.get(ROLLOUTS, 'express-server')?.['spec']).not.toHaveProperty('rolloutPlan.batchPartition');
  });

  test('bad input: only the status and one Warning Event are written; a repeat writes nothing', async () => {
    const w = world();
    w.setApp(seed(0));
    await w.reconcile();
    w.sync();
    await w.reconcile();
    w.sync();
    const rolloutBefore = structuredClone(w.api.get(ROLLOUTS, 'express-server'));

    const bad = structuredClone(seed(1));
    (bad[0]?.traits?.[0]?.properties as Record<string, unknown>)['targetSize'] = 'five';
    w.setApp(bad);
    let mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual([
      'create Event',
      'apply Application/status rollout-trait-test',
    ]);
    const event = w.api.list(EVENTS)[0];
    expect(w.api.list(EVENTS).map((e) => [e['type'], e['reason']])).toContainEqual([
      'Warning',
      'RenderError',
    ]);
    expect(event).toBeDefined();
    expect(w.api.get(ROLLOUTS, 'express-server')).toEqual(rolloutBefore);
    expect(w.api.get(REVISIONS, 'express-server-v2')).toBeUndefined();
    const failed = status(w);
    expect(failed?.status).toBe('workflowFailed');
    const rendered = failed?.conditions?.find((c) => c.type === 'Rendered');
    expect(rendered).toMatchObject({ status: 'False', reason: 'RenderError' });
    expect(rendered?.message).toMatch(
      /^component "express-server": trait "rollout": parameter\.targetSize: conflicting values int and "five"/,
    );
    expect(failed?.services?.[0]).toMatchObject({ name: 'express-server', healthy: false });

    w.sync();
    mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark)).toEqual([]);
  });

  test('an object the API server rejects: the dry run stops everything, the new revision included', async () => {
    const w = world();
    w.setApp(seed(0));
    await w.reconcile();
    w.sync();
    w.api.reject = (obj) =>
      obj.kind === 'Rollout' &&
      (obj['spec'] as { rolloutPlan: { targetSize: number } }).rolloutPlan.targetSize > 100
        ? {
            status: 422,
            body: {
              kind: 'Status',
              code: 422,
              reason: 'Invalid',
              message: 'spec.rolloutPlan.targetSize: too large',
            },
          }
        : undefined;
    const huge = structuredClone(seed(1));
    (huge[0]?.traits?.[0]?.properties as Record<string, unknown>)['targetSize'] = 1000;
    w.setApp(huge);
    const mark = w.requests.length;
    await w.reconcile();
    const writes = w.writesSince(mark);
    expect(writes.filter((r) => !r.path.includes('dryRun=All')).map(describeWrite)).toEqual([
      'create Event',
      'apply Application/status rollout-trait-test',
    ]);
    expect(w.api.get(REVISIONS, 'express-server-v2')).toBeUndefined();
    const applied = status(w)?.conditions?.find((c) => c.type === 'Applied');
    expect(applied).toMatchObject({ status: 'False', reason: 'ApplyRejected' });
    expect(applied?.message).toBe(
      'component "express-server": trait "rollout": the API server rejects Rollout team-a/express-server: spec.rolloutPlan.targetSize: too large',
    );
    expect(status(w)?.status).toBe('workflowFailed');
  });

  test('a removed component is pruned with its revisions; nothing else is deleted', async () => {
    const w = world();
    const worker = (name: string): ApplicationComponent => ({
      name,
      type: 'worker',
      properties: { image: 'busybox' },
    });
    w.setApp([worker('a'), worker('b')]);
    await w.reconcile();
    w.sync();
    // Someone else's Deployment carrying our label but not our owner reference stays.
    w.api.put(DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'b-v9', namespace: NAMESPACE, labels: { 'app.oam.dev/name': 'rollout-trait-test' } },
    });
    expect(
      w.api
        .list(DEPLOYMENTS)
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['a', 'b', 'b-v9']);
    w.setApp([worker('a')]);
    const mark = w.requests.length;
    await w.reconcile();
    expect(
      w
        .writesSince(mark)
        .filter((r) => r.verb === 'delete')
        .map(describeWrite),
    ).toEqual(['delete Deployment b', 'delete ControllerRevision b-v1']);
    expect(
      w.api
        .list(DEPLOYMENTS)
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['a', 'b-v9']);
    expect(w.api.list(REVISIONS).map((r) => r.metadata.name)).toEqual(['a-v1']);
    expect(status(w)?.appliedResources?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Deployment/a']);
  });

  test('the revision history keeps `limit` revisions, never the ones in use', async () => {
    const w = world({ revisionLimit: 2 });
    const web = (image: string): ApplicationComponent[] => [
      { name: 'web', type: 'worker', properties: { image } },
    ];
    for (const image of ['a', 'b', 'c', 'd']) {
      w.setApp(web(image));
      await w.reconcile();
      w.sync();
    }
    expect(
      w.api
        .list(REVISIONS)
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(['web-v3', 'web-v4']);
    expect(w.api.get(DEPLOYMENTS, 'web')?.metadata.labels?.['app.oam.dev/revision']).toBe('web-v4');
  });
});

describe('ApplicationReconciler: cluster-scoped objects', () => {
  const FINALIZER = 'app.oam.dev/resource-tracker-finalizer';
  const clusterRoles: ResourceDescriptor = {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
  };
  const CLUSTER_ROLES = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
  const role = (name: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [],
  });
  const service = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80 }] },
  });
  const objects = (name: string, ...items: unknown[]): ApplicationComponent => ({
    name,
    type: 'k8s-objects',
    properties: { objects: items },
  });
  const finalizers = (w: World) => w.api.get(APPS, 'rollout-trait-test')?.metadata['finalizers'];

  // The Applications here live in the namespace the controller trusts (vela-system by default).
  function clusterWorld(): World {
    const w = world({ trustedNamespace: NAMESPACE });
    w.client.mapper.register(clusterRoles);
    return w;
  }

  test('refused for an Application outside the trusted namespace: a condition, a Warning, nothing written', async () => {
    const w = world();
    w.client.mapper.register(clusterRoles);
    w.setApp([objects('rbac', role('escalate'), service('settings'))]);
    const mark = w.requests.length;
    await w.reconcile();
    // Not even the ControllerRevision: the refusal comes before anything is applied.
    expect(w.writesSince(mark).map(describeWrite)).toEqual([
      'create Event',
      'apply Application/status rollout-trait-test',
    ]);
    expect(w.api.get(CLUSTER_ROLES, 'escalate')).toBeUndefined();
    expect(finalizers(w)).toBeUndefined();
    const message =
      'component "rbac": ClusterRole "escalate" is cluster-scoped; an Application in namespace ' +
      `"${NAMESPACE}" may only create objects in its own namespace (only Applications in ` +
      '"vela-system" may create cluster-scoped objects)';
    const failed = status(w);
    expect(failed?.status).toBe('workflowFailed');
    expect(failed?.conditions?.map((c) => [c.status, c.reason, c.message])).toContainEqual([
      'False',
      'OutsideNamespace',
      message,
    ]);
    expect(w.api.list(EVENTS).map((e) => [e['type'], e['reason'], e['message']])).toEqual([
      ['Warning', 'OutsideNamespace', message],
    ]);
  });

  test('applied without namespace or owner, labelled; the finalizer is added before the first one', async () => {
    const w = clusterWorld();
    w.setApp([objects('rbac', role('reader'), service('settings'))]);
    await w.reconcile();
    const stored = w.api.get(CLUSTER_ROLES, 'reader');
    expect(stored?.metadata.namespace).toBeUndefined();
    expect(stored?.metadata['ownerReferences']).toBeUndefined();
    expect(stored?.metadata.labels).toMatchObject({
      'app.oam.dev/name': 'rollout-trait-test',
      'app.oam.dev/namespace': NAMESPACE,
      'app.oam.dev/component': 'rbac',
    });
    // The namespaced auxiliary output keeps its owner reference.
    expect(w.api.get(collection(builtin.Service), 'settings')?.metadata['ownerReferences']).toEqual([
      expect.objectContaining({ kind: 'Application', name: 'rollout-trait-test' }),
    ]);
    expect(finalizers(w)).toEqual([FINALIZER]);
    // The dry runs first, then the finalizer, then the real applies.
    const order = w
      .writes()
      .filter((r) => !r.path.includes('dryRun=All'))
      .map(describeWrite);
    expect(order.indexOf('patch Application rollout-trait-test')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('patch Application rollout-trait-test')).toBeLessThan(
      order.indexOf('apply ClusterRole reader'),
    );
    expect(status(w)?.status).toBe('rendering');
    expect(status(w)?.appliedResources).toContainEqual(
      expect.objectContaining({ kind: 'ClusterRole', name: 'reader', namespace: '' }),
    );
    // Nothing changed: a second reconcile writes no object and no finalizer.
    w.sync();
    const mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual(['apply Application/status rollout-trait-test']);
    expect(status(w)?.status).toBe('running');
  });

  test('no longer rendered: deleted, and the finalizer released once none is left', async () => {
    const w = clusterWorld();
    w.setApp([objects('rbac', role('reader')), objects('extra', service('extra'), role('extra'))]);
    await w.reconcile();
    w.setApp([objects('rbac', role('reader'))]);
    await w.reconcile();
    expect(w.api.get(CLUSTER_ROLES, 'extra')).toBeUndefined();
    expect(w.api.get(CLUSTER_ROLES, 'reader')).toBeDefined();
    expect(finalizers(w)).toEqual([FINALIZER]);
    w.setApp([objects('plain', service('plain'))]);
    await w.reconcile();
    expect(w.api.list(CLUSTER_ROLES)).toEqual([]);
    expect(finalizers(w)).toEqual([]);
  });

  test('a ClusterRole another Application labelled is not deleted, even when recorded', async () => {
    const w = clusterWorld();
    w.setApp([objects('rbac', role('reader'))]);
    await w.reconcile();
    const stored = w.api.get(CLUSTER_ROLES, 'reader') as StoredObject;
    stored.metadata.labels = { ...stored.metadata.labels, 'app.oam.dev/namespace': 'elsewhere' };
    w.setApp([objects('plain', service('plain'))]);
    await w.reconcile();
    expect(w.api.get(CLUSTER_ROLES, 'reader')).toBeDefined();
  });

  test('deleting the Application deletes its ClusterRoles, then removes the finalizer', async () => {
    const w = clusterWorld();
    w.setApp([objects('rbac', role('reader'), service('settings'))]);
    await w.reconcile();
    const app = w.api.get(APPS, 'rollout-trait-test') as StoredObject;
    app.metadata['deletionTimestamp'] = '2026-01-01T00:00:00Z';
    w.sync();
    const mark = w.requests.length;
    await w.reconcile();
    expect(w.writesSince(mark).map(describeWrite)).toEqual([
      'delete ClusterRole reader',
      'patch Application rollout-trait-test',
    ]);
    expect(finalizers(w)).toEqual([]);
  });

  test('an Application with namespaced objects only never gets the finalizer', async () => {
    const w = clusterWorld();
    w.setApp([objects('plain', service('plain'))]);
    await w.reconcile();
    expect(finalizers(w)).toBeUndefined();
    expect(w.writes().map(describeWrite)).not.toContain('patch Application rollout-trait-test');
  });
});
