// The Application controller with cluster-scoped objects (k8s-objects components). Only an
// Application in vela-system (where addons live) may create them: the same Application in a
// user's namespace is refused with a condition and a Warning, and nothing is created. In
// vela-system, a ClusterRole is applied without namespace and without an owner reference,
// labelled with the Application's name and namespace; the Application holds the resource-tracker
// finalizer while it has one; a ClusterRole no longer rendered is deleted; deleting the
// Application deletes the rest and releases the finalizer.
import { join } from 'node:path';

import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, repoRoot, watchUntil } from './support.js';

const FINALIZER = 'app.oam.dev/resource-tracker-finalizer';

interface Meta {
  name: string;
  namespace?: string;
  generation?: number;
  labels?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
}
interface App {
  metadata: Meta;
  status?: { observedGeneration?: number; status?: string };
}
interface Obj {
  metadata: Meta;
}

const SYSTEM = 'vela-system';
let ns: string;
let userController: ControllerProcess;
let controller: ControllerProcess;
// Unique per run: the Application and its ConfigMaps live in the shared vela-system.
let appName = 'cluster-objects';

const clusterRole = (name: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name },
  rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
});
const configMap = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { a: '1' },
});
const settings = () => `${ns}-settings`;
const readerRole = () => `${ns}-reader`;
const extraRole = () => `${ns}-extra`;

function application(withExtra: boolean, namespace = SYSTEM) {
  const components: unknown[] = [
    // The workload itself is cluster-scoped; its auxiliary output is namespaced.
    {
      name: 'rbac',
      type: 'k8s-objects',
      properties: { objects: [clusterRole(readerRole()), configMap(settings())] },
    },
  ];
  if (withExtra) {
    components.push({
      name: 'extra',
      type: 'k8s-objects',
      properties: { objects: [configMap(`${ns}-extra`), clusterRole(extraRole())] },
    });
  }
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: appName, namespace },
    spec: { components },
  };
}

const appsPath = (namespace: string) => `/apis/core.oam.dev/v1beta1/namespaces/${namespace}/applications`;

async function appSettles(check: (app: App) => boolean, namespace = SYSTEM): Promise<App> {
  const apps = await watchUntil<App>(
    appsPath(namespace),
    (m) => {
      const app = m.get(appName);
      return app !== undefined && app.status?.observedGeneration === app.metadata.generation && check(app);
    },
    { what: `Application ${appName}` },
  );
  return apps.get(appName) as App;
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'])) as T;
}

beforeAll(async () => {
  ns = await createNamespace('appcs');
  appName = `cluster-objects-${ns}`;
  await kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vela-system' } }),
  );
  await kubectlOk([
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    join(repoRoot, 'definitions', 'generated'),
  ]);
  userController = await startController({ controllers: ['application'], namespace: ns });
  controller = await startController({ controllers: ['application'], namespace: SYSTEM });
});

afterAll(async () => {
  // Whatever a failed test left behind: the ClusterRoles, and the finalizer (else the namespace
  // would never finish terminating).
  if (ns) {
    await kubectl([
      'delete',
      'clusterrole',
      '-l',
      `app.oam.dev/namespace=${SYSTEM}`,
      '-l',
      `app.oam.dev/name=${appName}`,
      '--wait=false',
    ]);
    for (const namespace of [ns, SYSTEM]) {
      await kubectl([
        'patch',
        'application',
        appName,
        '-n',
        namespace,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    }
    await kubectl(['delete', 'application', appName, '-n', SYSTEM, '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'configmap', settings(), `${ns}-extra`, '-n', SYSTEM, '--ignore-not-found']);
  }
  await userController?.stop();
  await controller?.stop();
  if (ns) await deleteNamespace(ns);
});

describe('Application controller: cluster-scoped objects', () => {
  test("refused in a user's namespace: condition and Warning name the object, nothing is created", async () => {
    await kubectlOk(['apply', '-n', ns, '-f', '-'], JSON.stringify(application(true, ns)));
    const app = await appSettles((a) => a.status?.status === 'workflowFailed', ns);
    const refusal = `component "rbac": ClusterRole "${readerRole()}" is cluster-scoped; an Application in namespace "${ns}" may only create objects in its own namespace`;
    const conditions = (app.status as { conditions?: Array<{ reason?: string; message?: string }> })
      .conditions;
    expect(conditions).toContainEqual(
      expect.objectContaining({ reason: 'OutsideNamespace', message: expect.stringContaining(refusal) }),
    );
    const events = JSON.parse(
      await kubectlOk([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        `involvedObject.name=${appName}`,
        '-o',
        'json',
      ]),
    ) as { items: Array<{ type: string; reason: string; message: string }> };
    expect(events.items).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'OutsideNamespace',
        message: expect.stringContaining(refusal),
      }),
    );
    for (const role of [readerRole(), extraRole()]) {
      expect((await kubectl(['get', 'clusterrole', role])).code).not.toBe(0);
    }
    expect((await kubectl(['get', 'configmap', settings(), '-n', ns])).code).not.toBe(0);
    await kubectlOk(['delete', 'application', appName, '-n', ns]);
  });

  test('in vela-system: a ClusterRole is applied without namespace or owner reference, labelled with the Application', async () => {
    await kubectlOk(['apply', '-n', SYSTEM, '-f', '-'], JSON.stringify(application(true)));
    const app = await appSettles((a) => a.status?.status === 'running');
    expect(app.metadata.finalizers).toContain(FINALIZER);

    for (const name of [readerRole(), extraRole()]) {
      const role = await getJson<Obj>(['clusterrole', name]);
      expect(role.metadata.namespace).toBeUndefined();
      expect(role.metadata.ownerReferences ?? []).toEqual([]);
      expect(role.metadata.labels).toMatchObject({
        'app.oam.dev/name': appName,
        'app.oam.dev/namespace': SYSTEM,
      });
    }
    // The namespaced objects of the same components keep their owner reference.
    const settingsMap = await getJson<Obj>(['configmap', settings(), '-n', SYSTEM]);
    expect(settingsMap.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual([
      `Application/${appName}`,
    ]);
  });

  test('a ClusterRole no longer rendered is deleted; the other stays', async () => {
    await kubectlOk(['apply', '-n', SYSTEM, '-f', '-'], JSON.stringify(application(false)));
    await kubectlOk(['wait', '--for=delete', '--timeout=60s', `clusterrole/${extraRole()}`]);
    await kubectlOk(['wait', '--for=delete', '--timeout=60s', '-n', SYSTEM, `configmap/${ns}-extra`]);
    const app = await appSettles((a) => a.status?.status === 'running');
    expect(app.metadata.finalizers).toContain(FINALIZER);
    const reader = await getJson<Obj>(['clusterrole', readerRole()]);
    expect(reader.metadata.name).toBe(readerRole());
  });

  test('deleting the Application deletes its ClusterRole and releases the finalizer', async () => {
    await kubectlOk(['delete', 'application', appName, '-n', SYSTEM, '--wait=false']);
    await kubectlOk(['wait', '--for=delete', '--timeout=60s', `clusterrole/${readerRole()}`]);
    // The Application itself goes away only once the finalizer is removed.
    await kubectlOk(['wait', '--for=delete', '--timeout=60s', '-n', SYSTEM, `application/${appName}`]);
    const left = await kubectlOk([
      'get',
      'clusterrole',
      '-l',
      `app.oam.dev/name=${appName}`,
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(left.trim()).toBe('');
  });
});
