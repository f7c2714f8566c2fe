// The pure planner: what gets applied (labels, owner, namespace, order), what a manageWorkload
// trait changes, which objects are pruned, and the phase/status decisions.
import {
  appliedResources,
  asClusterScoped,
  belongsTo,
  buildStatus,
  clusterScopedRecorded,
  decidePhase,
  desiredObjects,
  finalizerAction,
  finalizersAfter,
  healthyCondition,
  invalidObjects,
  outsideNamespaceRefusals,
  placeObjects,
  pruneCandidates,
  renderedCondition,
  unhealthySummary,
  type DesiredObject,
} from '../../../controllers/application/planner.js';
import type { RenderedComponent, RenderedTrait } from '../../../controllers/application/render.js';
import type { JsonObject } from '../../../controllers/application/types.js';
import { APP_UID, NAMESPACE, application, revision } from './fixtures.js';

const app = application([]);

function trait(type: string, outputs: Record<string, JsonObject>, manageWorkload = false): RenderedTrait {
  return {
    type,
    properties: {},
    manageWorkload,
    outputs,
    definition: { metadata: { name: type } },
  };
}

function component(overrides: Partial<RenderedComponent> = {}): RenderedComponent {
  const traits = overrides.traits ?? [];
  return {
    name: 'web',
    type: 'webservice',
    properties: {},
    definition: { metadata: { name: 'webservice' } },
    workload: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NAMESPACE, labels: { 'app.oam.dev/component': 'web' } },
      spec: { replicas: 2 },
    },
    workloadType: 'deployments.apps',
    workloadDefinition: { apiVersion: 'apps/v1', kind: 'Deployment' },
    auxiliary: {
      webserviceExpose: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [] } },
    },
    revision: { name: 'web-v1', number: 1, hash: 'abc' },
    revisionData: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: { replicas: 2 } },
    context: {},
    ...overrides,
    traits,
    managedBy: overrides.managedBy ?? traits.find((t) => t.manageWorkload),
  };
}

const rolloutTrait = () =>
  trait(
    'rollout',
    {
      rollout: {
        apiVersion: 'standard.oam.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'web' },
        spec: { targetRevisionName: 'web-v1' },
      },
    },
    true,
  );

const byKind = (desired: DesiredObject[], kind: string) => desired.filter((d) => d.object.kind === kind);

describe('desiredObjects', () => {
  test('revision first, then workload, auxiliary outputs and trait outputs, all owned by the Application', () => {
    const desired = desiredObjects(app, [component({ traits: [trait('scaler', {})] })]);
    expect(desired.map((d) => `${d.role}:${d.object.kind}`)).toEqual([
      'revision:ControllerRevision',
      'workload:Deployment',
      'auxiliary:Service',
    ]);
    for (const d of desired) {
      expect(d.object.metadata?.namespace).toBe(NAMESPACE);
      expect(d.object.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'core.oam.dev/v1beta1',
          kind: 'Application',
          name: 'rollout-trait-test',
          uid: APP_UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  test('the ControllerRevision carries the contract labels, revision number and data', () => {
    const [rev] = desiredObjects(app, [component()]);
    expect(rev?.object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: 'web-v1',
        labels: {
          'controller.oam.dev/component': 'web',
          'app.oam.dev/component': 'web',
          'app.oam.dev/name': 'rollout-trait-test',
          'app.oam.dev/component-revision-hash': 'abc',
        },
      },
      revision: 1,
      data: { kind: 'Deployment', spec: { replicas: 2 } },
    });
  });

  test('a reused revision keeps its stored data and number (ControllerRevision data is immutable)', () => {
    const existing = revision('web-v3', { component: 'web', number: 3, hash: 'abc' });
    const [rev] = desiredObjects(app, [
      component({ revision: { name: 'web-v3', number: 3, hash: 'abc', existing } }),
    ]);
    expect(rev?.object['data']).toEqual(existing.data);
    expect(rev?.object['revision']).toBe(3);
  });

  test('workload and outputs get app, component and revision labels; trait outputs their type', () => {
    const desired = desiredObjects(app, [
      component({
        traits: [trait('ihpa', { ihpa: { apiVersion: 'x/v1', kind: 'IHPA', metadata: { name: 'web' } } })],
      }),
    ]);
    const labels = (kind: string) => byKind(desired, kind)[0]?.object.metadata?.labels;
    expect(labels('Deployment')).toEqual({
      'app.oam.dev/component': 'web',
      'app.oam.dev/name': 'rollout-trait-test',
      'app.oam.dev/revision': 'web-v1',
    });
    expect(labels('Service')).toMatchObject({
      'trait.oam.dev/type': 'AuxiliaryWorkload',
      'trait.oam.dev/resource': 'webserviceExpose',
      'app.oam.dev/revision': 'web-v1',
    });
    expect(labels('IHPA')).toMatchObject({ 'trait.oam.dev/type': 'ihpa', 'trait.oam.dev/resource': 'ihpa' });
    expect(labels('IHPA')?.['trait.oam.dev/manage-workload']).toBeUndefined();
  });

  test('a manageWorkload trait: the workload is not applied, its outputs are marked, the Service still is', () => {
    const desired = desiredObjects(app, [component({ traits: [rolloutTrait()] })]);
    expect(byKind(desired, 'Deployment')).toEqual([]);
    expect(byKind(desired, 'Service')).toHaveLength(1);
    const rollout = byKind(desired, 'Rollout')[0];
    expect(rollout?.trait).toBe('rollout');
    expect(rollout?.object.metadata?.namespace).toBe(NAMESPACE);
    expect(rollout?.object.metadata?.labels).toEqual({
      'app.oam.dev/component': 'web',
      'app.oam.dev/name': 'rollout-trait-test',
      'app.oam.dev/revision': 'web-v1',
      'trait.oam.dev/type': 'rollout',
      'trait.oam.dev/resource': 'rollout',
      'trait.oam.dev/manage-workload': 'true',
    });
  });

  test('status in a rendered object is never applied', () => {
    const desired = desiredObjects(app, [
      component({
        auxiliary: { x: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, status: { a: 1 } } },
      }),
    ]);
    expect(byKind(desired, 'ConfigMap')[0]?.object['status']).toBeUndefined();
  });

  test('invalidObjects reports clashes and unnamed objects', () => {
    const a = component();
    const b = component({ name: 'api', revision: { name: 'api-v1', number: 1, hash: 'x' } });
    const clashes = invalidObjects(desiredObjects(app, [a, b]));
    expect(clashes).toEqual([
      'Deployment team-a/web is rendered by both component "web" and component "api"',
      'Service team-a/web is rendered by both component "web" and component "api"',
    ]);
    const unnamed = component({ auxiliary: { x: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } } });
    expect(invalidObjects(desiredObjects(app, [unnamed]))).toEqual([
      'component "web": renders an object without apiVersion, kind or metadata.name',
    ]);
    expect(invalidObjects(desiredObjects(app, [a]))).toEqual([]);
  });

  test('appliedResources records everything but revisions', () => {
    expect(appliedResources(desiredObjects(app, [component({ traits: [rolloutTrait()] })]))).toEqual([
      { apiVersion: 'v1', kind: 'Service', namespace: NAMESPACE, name: 'web', component: 'web' },
      {
        apiVersion: 'standard.oam.dev/v1alpha1',
        kind: 'Rollout',
        namespace: NAMESPACE,
        name: 'web',
        component: 'web',
        trait: 'rollout',
      },
    ]);
  });
});

describe('pruneCandidates', () => {
  const desired = desiredObjects(app, [component()]);
  const ref = (apiVersion: string, kind: string, name: string) => ({
    apiVersion,
    kind,
    namespace: NAMESPACE,
    name,
  });

  test('owned objects no longer rendered are pruned; rendered ones are not', () => {
    const candidates = pruneCandidates(
      desired,
      [ref('apps/v1', 'Deployment', 'web'), ref('apps/v1', 'Deployment', 'old'), ref('v1', 'Service', 'web')],
      [],
    );
    expect(candidates).toEqual([{ ref: ref('apps/v1', 'Deployment', 'old'), verified: true }]);
  });

  test('identity ignores the API version', () => {
    expect(pruneCandidates(desired, [ref('apps/v1beta2', 'Deployment', 'web')], [])).toEqual([]);
  });

  test('objects known only from status.appliedResources are candidates to verify', () => {
    const recorded = [
      { ...ref('v1', 'ConfigMap', 'gone'), component: 'web' },
      { ...ref('v1', 'Service', 'web'), component: 'web' },
    ];
    expect(pruneCandidates(desired, [], recorded)).toEqual([
      { ref: ref('v1', 'ConfigMap', 'gone'), verified: false },
    ]);
  });

  test('ControllerRevisions are left to the history rules', () => {
    expect(pruneCandidates(desired, [ref('apps/v1', 'ControllerRevision', 'web-v0')], [])).toEqual([]);
  });
});

describe('phase and status', () => {
  test('decidePhase', () => {
    expect(decidePhase({ failed: true, changed: true, healthy: true })).toBe('workflowFailed');
    expect(decidePhase({ failed: false, changed: true, healthy: true })).toBe('rendering');
    expect(decidePhase({ failed: false, changed: false, healthy: true })).toBe('running');
    expect(decidePhase({ failed: false, changed: false, healthy: false })).toBe('unhealthy');
  });

  test('unhealthySummary names unhealthy components and traits, once each', () => {
    expect(
      unhealthySummary([
        { name: 'a', healthy: true },
        {
          name: 'b',
          healthy: false,
          message: 'Ready:1/3',
          traits: [
            { type: 'ihpa', healthy: true },
            { type: 'rollout', healthy: false, message: 'rollingInBatches' },
          ],
        },
        { name: 'c', healthy: false, message: 'component "c": trait "x": TraitDefinition "x" not found' },
      ]),
    ).toBe(
      'component "b" unhealthy: Ready:1/3, trait "rollout" (rollingInBatches); component "c": trait "x": TraitDefinition "x" not found',
    );
  });

  test('buildStatus sets observedGeneration and phase and keeps unchanged conditions as they were', () => {
    const t0 = new Date('2024-01-01T00:00:00Z');
    const t1 = new Date('2024-01-01T01:00:00Z');
    const services = [{ name: 'web', healthy: true }];
    const first = buildStatus({
      app: application([], { generation: 4 }),
      phase: 'running',
      services,
      conditions: undefined,
      updates: [renderedCondition(1), healthyCondition(services)],
      appliedResources: [],
      now: t0,
    });
    expect(first.observedGeneration).toBe(4);
    expect(first.status).toBe('running');
    expect(first.conditions?.map((c) => [c.type, c.status, c.message])).toEqual([
      ['Rendered', 'True', '1 component rendered'],
      ['Healthy', 'True', 'every component and trait is healthy'],
    ]);
    const again = buildStatus({
      app: application([], { generation: 4 }),
      phase: 'running',
      services,
      conditions: first.conditions,
      updates: [renderedCondition(1), healthyCondition(services)],
      appliedResources: [],
      now: t1,
    });
    expect(again.conditions).toEqual(first.conditions);
  });
});

describe('cluster-scoped objects', () => {
  const roleComponent = (): RenderedComponent =>
    component({
      name: 'rbac',
      type: 'k8s-objects',
      workload: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'reader', namespace: NAMESPACE },
        rules: [],
      },
      auxiliary: {
        'objects-1': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } },
      },
      revision: { name: 'rbac-v1', number: 1, hash: 'def' },
    });
  const clusterScoped = (d: DesiredObject): boolean => d.object.kind === 'ClusterRole';

  test('lose namespace and owner reference and carry the app name and namespace labels', () => {
    const placed = placeObjects(app, desiredObjects(app, [roleComponent()]), (d) => !clusterScoped(d));
    const role = placed.find(clusterScoped);
    expect(role?.object.metadata?.namespace).toBeUndefined();
    expect(role?.object.metadata?.ownerReferences).toBeUndefined();
    expect(role?.object.metadata?.labels).toMatchObject({
      'app.oam.dev/name': app.metadata.name,
      'app.oam.dev/namespace': NAMESPACE,
      'app.oam.dev/component': 'rbac',
    });
    expect(role?.object['rules']).toEqual([]);
    // Namespaced objects (the revision, the ConfigMap) keep their namespace and owner.
    for (const d of placed.filter((x) => !clusterScoped(x))) {
      expect(d.object.metadata?.namespace).toBe(NAMESPACE);
      expect(d.object.metadata?.ownerReferences?.[0]?.uid).toBe(APP_UID);
      expect(d.object.metadata?.labels?.['app.oam.dev/namespace']).toBeUndefined();
    }
    expect(appliedResources(placed).find((r) => r.kind === 'ClusterRole')).toMatchObject({
      namespace: '',
      name: 'reader',
      component: 'rbac',
    });
  });

  test('outsideNamespaceRefusals: only the trusted namespace may write outside its own', () => {
    const placed = placeObjects(app, desiredObjects(app, [roleComponent()]), (d) => !clusterScoped(d));
    // Default trust is vela-system: this Application (in NAMESPACE) may not create the ClusterRole.
    expect(outsideNamespaceRefusals(app, placed)).toEqual([
      {
        component: 'rbac',
        message: expect.stringMatching(/^component "rbac": ClusterRole "reader" is cluster-scoped; /),
      },
    ]);
    expect(outsideNamespaceRefusals(app, placed, NAMESPACE)).toEqual([]);
    // A namespaced object placed in another namespace is refused as well; its namespace is named.
    const elsewhere = placed.map((d) =>
      d.object.kind === 'ConfigMap'
        ? { ...d, object: { ...d.object, metadata: { ...d.object.metadata, namespace: 'kube-system' } } }
        : d,
    );
    expect(outsideNamespaceRefusals(app, elsewhere).map((r) => r.message)).toContainEqual(
      expect.stringContaining('ConfigMap "settings" is in namespace "kube-system"'),
    );
    // Inside its own namespace nothing is refused.
    expect(
      outsideNamespaceRefusals(
        app,
        placed.filter((d) => !clusterScoped(d)),
      ),
    ).toEqual([]);
  });

  test('a ControllerRevision is never made cluster-scoped', () => {
    const revision = desiredObjects(app, [roleComponent()]).find((d) => d.role === 'revision');
    expect(() => asClusterScoped(revision as DesiredObject, app)).toThrow(/namespaced/);
  });

  test('belongsTo: owner reference, or for cluster-scoped objects both labels', () => {
    const labels = { 'app.oam.dev/name': app.metadata.name, 'app.oam.dev/namespace': NAMESPACE };
    expect(belongsTo({ metadata: { name: 'r', labels } }, app)).toBe(true);
    expect(
      belongsTo({ metadata: { name: 'r', labels: { ...labels, 'app.oam.dev/namespace': 'other' } } }, app),
    ).toBe(false);
    expect(
      belongsTo({ metadata: { name: 'r', labels: { 'app.oam.dev/name': app.metadata.name } } }, app),
    ).toBe(false);
    // A namespaced object needs the owner reference; labels alone are not enough.
    expect(belongsTo({ metadata: { name: 'c', namespace: NAMESPACE, labels } }, app)).toBe(false);
    expect(
      belongsTo(
        {
          metadata: {
            name: 'c',
            namespace: NAMESPACE,
            ownerReferences: [
              { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', name: 'x', uid: APP_UID },
            ],
          },
        },
        app,
      ),
    ).toBe(true);
  });

  test('a recorded cluster-scoped object no longer rendered is a candidate to verify', () => {
    const recorded = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        namespace: '',
        name: 'old',
        component: 'rbac',
      },
    ];
    expect(pruneCandidates([], [], recorded)).toEqual([
      {
        ref: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: '', name: 'old' },
        verified: false,
      },
    ]);
    expect(
      clusterScopedRecorded([
        ...recorded,
        ...recorded,
        { ...recorded[0]!, kind: 'ConfigMap', apiVersion: 'v1', namespace: NAMESPACE },
      ]),
    ).toEqual([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: '', name: 'old' },
    ]);
  });

  test('CustomResourceDefinitions are never pruned nor deleted with the Application', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      namespace: '',
      name: 'rollouts.standard.oam.dev',
      component: 'crds',
    };
    expect(pruneCandidates([], [], [crd])).toEqual([]);
    expect(clusterScopedRecorded([crd])).toEqual([]);
  });

  test('finalizerAction: held only while cluster-scoped objects are rendered or left', () => {
    const F = 'app.oam.dev/resource-tracker-finalizer';
    expect(
      finalizerAction({ finalizers: undefined, rendersClusterScoped: false, clusterScopedLeft: false }),
    ).toBe('none');
    expect(finalizerAction({ finalizers: ['x'], rendersClusterScoped: true, clusterScopedLeft: false })).toBe(
      'add',
    );
    expect(finalizerAction({ finalizers: [F], rendersClusterScoped: true, clusterScopedLeft: false })).toBe(
      'keep',
    );
    expect(finalizerAction({ finalizers: [F], rendersClusterScoped: false, clusterScopedLeft: true })).toBe(
      'keep',
    );
    expect(finalizerAction({ finalizers: [F], rendersClusterScoped: false, clusterScopedLeft: false })).toBe(
      'remove',
    );
    expect(finalizersAfter(['x'], 'add')).toEqual(['x', F]);
    expect(finalizersAfter([F, 'x'], 'add')).toEqual([F, 'x']);
    expect(finalizersAfter(['a', F, 'b'], 'remove')).toEqual(['a', 'b']);
    expect(finalizersAfter(undefined, 'remove')).toEqual([]);
  });
});
