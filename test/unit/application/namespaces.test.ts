// Explicit namespaces of rendered objects, as KubeVela treats an addon's k8s-objects: kept by the
// renderer and the planner; for an Application in vela-system an object in another namespace is
// tracked like a cluster-scoped one (labels instead of an owner reference across namespaces,
// recorded, deleted under the finalizer); an Application anywhere else is refused, naming the
// object and its namespace.
import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { isAddonApplication, mapToApplication } from '../../../controllers/application/index.js';
import {
  appliedResources,
  belongsTo,
  clusterScopedRecorded,
  desiredObjects,
  isTrackedByLabels,
  outsideNamespaceRefusals,
  placeObjects,
  refOf,
  type DesiredObject,
} from '../../../controllers/application/planner.js';
import { renderComponent, type RenderedComponent } from '../../../controllers/application/render.js';
import type { Application, ApplicationComponent } from '../../../controllers/application/types.js';
import { APP_UID, NAMESPACE, environment } from './fixtures.js';

const SYSTEM = 'vela-system';
const ELSEWHERE = 'rollscale-system';

function app(namespace: string, components: ApplicationComponent[]): Application {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'addon-demo', namespace, uid: APP_UID, generation: 1 },
    spec: { components },
  };
}

/** A k8s-objects component: a ServiceAccount and a Deployment elsewhere, a ConfigMap without namespace. */
const objects: ApplicationComponent = {
  name: 'controller',
  type: 'k8s-objects',
  properties: {
    objects: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'demo', namespace: ELSEWHERE } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'demo', namespace: ELSEWHERE },
        spec: { replicas: 1 },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } },
    ],
  },
};

let engine: CueEngine;
beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await engine.close();
});

async function render(application: Application): Promise<RenderedComponent> {
  return renderComponent(application, objects, environment(engine));
}

const all = (_d: DesiredObject) => true;
const byName = (placed: DesiredObject[], kind: string) => placed.find((d) => d.object.kind === kind);

describe('explicit namespaces', () => {
  test('the renderer keeps the workload’s own namespace; the planner keeps every output’s', async () => {
    const system = app(SYSTEM, [objects]);
    const rendered = await render(system);
    expect(rendered.workload['metadata']).toMatchObject({ name: 'demo', namespace: ELSEWHERE });
    const desired = desiredObjects(system, [rendered]);
    expect(desired.map((d) => `${d.object.kind} ${d.object.metadata?.namespace}`)).toEqual([
      `ControllerRevision ${SYSTEM}`,
      `ServiceAccount ${ELSEWHERE}`,
      `Deployment ${ELSEWHERE}`,
      `ConfigMap ${SYSTEM}`,
    ]);
  });

  test('in vela-system: objects elsewhere lose the owner reference, carry both labels and are recorded there', async () => {
    const system = app(SYSTEM, [objects]);
    const placed = placeObjects(system, desiredObjects(system, [await render(system)]), all);
    expect(outsideNamespaceRefusals(system, placed)).toEqual([]);
    for (const kind of ['ServiceAccount', 'Deployment']) {
      const d = byName(placed, kind);
      expect([kind, d?.object.metadata?.namespace]).toEqual([kind, ELSEWHERE]);
      expect([kind, d?.object.metadata?.ownerReferences]).toEqual([kind, undefined]);
      expect(d?.object.metadata?.labels).toMatchObject({
        'app.oam.dev/name': 'addon-demo',
        'app.oam.dev/namespace': SYSTEM,
        'app.oam.dev/component': 'controller',
      });
      expect(isTrackedByLabels(refOf(d?.object ?? {}), system)).toBe(true);
    }
    // The ConfigMap without a namespace is the Application's own: owned, in vela-system.
    const configMap = byName(placed, 'ConfigMap');
    expect(configMap?.object.metadata?.ownerReferences?.[0]?.uid).toBe(APP_UID);
    expect(configMap?.object.metadata?.labels?.['app.oam.dev/namespace']).toBeUndefined();
    expect(isTrackedByLabels(refOf(configMap?.object ?? {}), system)).toBe(false);

    const recorded = appliedResources(placed);
    expect(recorded.find((r) => r.kind === 'Deployment')).toMatchObject({
      namespace: ELSEWHERE,
      name: 'demo',
    });
    // Deleted with the Application under the finalizer: the objects elsewhere, not its own ConfigMap.
    expect(clusterScopedRecorded(recorded, SYSTEM).map((r) => `${r.kind} ${r.namespace}`)).toEqual([
      `ServiceAccount ${ELSEWHERE}`,
      `Deployment ${ELSEWHERE}`,
    ]);
    // Without the Application's namespace only cluster-scoped ones count (the old contract).
    expect(clusterScopedRecorded(recorded)).toEqual([]);
  });

  test('in a user namespace: an object in another namespace is refused, named with its namespace', async () => {
    const user = app(NAMESPACE, [objects]);
    const placed = placeObjects(user, desiredObjects(user, [await render(user)]), all);
    const refusals = outsideNamespaceRefusals(user, placed);
    expect(refusals.map((r) => r.component)).toEqual(['controller', 'controller']);
    expect(refusals.map((r) => r.message)).toEqual([
      expect.stringContaining(`ServiceAccount "demo" is in namespace "${ELSEWHERE}"`),
      expect.stringContaining(`Deployment "demo" is in namespace "${ELSEWHERE}"`),
    ]);
    expect(refusals[0]?.message).toContain(
      `an Application in namespace "${NAMESPACE}" may only create objects in its own namespace`,
    );
  });

  test('belongsTo: elsewhere by both labels; in its own namespace only by the owner reference', () => {
    const system = app(SYSTEM, []);
    const labels = { 'app.oam.dev/name': 'addon-demo', 'app.oam.dev/namespace': SYSTEM };
    expect(belongsTo({ metadata: { name: 'demo', namespace: ELSEWHERE, labels } }, system)).toBe(true);
    expect(
      belongsTo(
        {
          metadata: {
            name: 'demo',
            namespace: ELSEWHERE,
            labels: { ...labels, 'app.oam.dev/namespace': 'other' },
          },
        },
        system,
      ),
    ).toBe(false);
    expect(belongsTo({ metadata: { name: 'demo', namespace: SYSTEM, labels } }, system)).toBe(false);
  });

  test('a watched object elsewhere reconciles the Application its labels name', () => {
    expect(
      mapToApplication({
        metadata: {
          name: 'demo',
          namespace: ELSEWHERE,
          labels: { 'app.oam.dev/name': 'addon-demo', 'app.oam.dev/namespace': SYSTEM },
        },
      }),
    ).toBe(`${SYSTEM}/addon-demo`);
    expect(
      mapToApplication({
        metadata: { name: 'web', namespace: NAMESPACE, labels: { 'app.oam.dev/name': 'app' } },
      }),
    ).toBe(`${NAMESPACE}/app`);
  });
});

describe('addon Applications are not the controller’s', () => {
  test('an Application labelled addons.oam.dev/name is left to KubeVela or the CLI; others are not', () => {
    const addon = app(SYSTEM, []);
    addon.metadata.labels = { 'addons.oam.dev/name': 'rollscale', 'addons.oam.dev/version': '0.1.0' };
    expect(isAddonApplication(addon)).toBe(true);
    // In vela-system but not an addon (a platform team's own Application): reconciled.
    expect(isAddonApplication(app(SYSTEM, []))).toBe(false);
    expect(
      isAddonApplication({
        ...app(NAMESPACE, []),
        metadata: { ...app(NAMESPACE, []).metadata, labels: { 'app.oam.dev/name': 'x' } },
      }),
    ).toBe(false);
    expect(isAddonApplication(undefined)).toBe(false);
  });
});
