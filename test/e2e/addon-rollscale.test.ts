// The real addon (addons/rollscale) enabled with our own CLI on a cluster without KubeVela, the
// way a user without vela would: the CLI refuses to take over a definition that is not the
// addon's, then with --override-definitions renders addon-rollscale itself (nothing else could:
// the Application controller is inside the addon) until it runs and the controller Deployment is
// Ready (KWOK nodes make pods Ready without running the image). The controller and its
// ServiceAccount, Services and Role land in rollscale-system, tracked by labels rather than
// owner references; the CRDs, ClusterRoles and definitions are applied and owned or labelled;
// `addon list` shows the addon; an Application with the rollout trait renders against the addon's
// definitions (our controller from source stands in for the image KWOK cannot run); `addon
// disable` refuses while that Application exists and afterwards removes what enabling created,
// the CRDs excepted (kept by design).
//
// The addon writes cluster-wide objects (CRDs, ClusterRoles, ClusterRoleBindings) and replaces
// the definitions in vela-system that other e2e files install and use, so this file runs on a
// throw-away cluster of its own (OwnCluster), never on the shared one.
import { join } from 'node:path';

import { OwnCluster } from '../faults/support/own-cluster.js';
import { startController, type ControllerProcess } from './controller-process.js';
import { runRollscale } from './rollscale-cli.js';
import { repoRoot } from './support.js';

interface Meta {
  metadata: {
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
  };
}

let cluster: OwnCluster;
let controller: ControllerProcess | undefined;
const USER_NS = 'team-a';
/** The CRDs the addon brings (resources/crd-*.yaml); KubeVela's core.oam.dev ones it does not. */
const ADDON_CRDS = [
  'rollouts.standard.oam.dev',
  'intelligenthorizontalpodautoscalers.autoscaling.kapacitystack.io',
  'replicaprofiles.autoscaling.kapacitystack.io',
  'horizontalportraits.autoscaling.kapacitystack.io',
];
const SYSTEM_OBJECTS = [
  ['deployment', 'rollscale-controller'],
  ['deployment', 'rollscale-webhook'],
  ['service', 'rollscale-controller-metrics'],
  ['service', 'kapacity-grpc-service'],
  ['service', 'rollscale-webhook-service'],
  ['serviceaccount', 'rollscale-controller'],
  ['serviceaccount', 'rollscale-webhook'],
  ['role', 'rollscale-leader-election'],
  ['rolebinding', 'rollscale-leader-election'],
] as const;

/** `rollscale <args>` against the own cluster. */
const rollscale = (args: string[], timeoutMs = 100_000) =>
  runRollscale(args, { kubeconfig: cluster.kubeconfig, timeoutMs });

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.kube.kubectlOk([...args, '-o', 'json'])) as T;
}

async function exists(args: string[]): Promise<boolean> {
  const res = await cluster.kube.kubectl(['get', ...args]);
  if (res.code !== 0 && !res.stderr.includes('NotFound')) throw new Error(res.stderr);
  return res.code === 0;
}

beforeAll(async () => {
  cluster = await OwnCluster.up();
  // OwnCluster installs every CRD of definitions/crds; a cluster without KubeVela that is about
  // to get the addon has only the core.oam.dev ones (from rollscale install, or by hand).
  await cluster.kube.kubectlOk(['delete', 'crd', ...ADDON_CRDS, '--wait=true']);
  await cluster.kube.kubectlOk(['create', 'namespace', 'vela-system']);
  await cluster.kube.kubectlOk(['create', 'namespace', USER_NS]);
  // A webservice definition that is not the addon's (as rollscale install or KubeVela leave it).
  await cluster.kube.kubectlOk([
    'apply',
    '--server-side',
    '-f',
    join(repoRoot, 'definitions', 'generated', 'component-webservice.yaml'),
  ]);
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await cluster?.down();
}, 60_000);

describe('rollscale addon enable ./addons/rollscale on a cluster without KubeVela', () => {
  test('refused while a definition of its names exists and is not the addon’s; nothing written', async () => {
    const refused = await rollscale(['addon', 'enable', './addons/rollscale']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'addon rollscale brings definitions that already exist in vela-system and are not the addon',
    );
    expect(refused.stderr).toContain('  ComponentDefinition webservice (not from any addon)');
    expect(refused.stderr).toContain('--override-definitions');
    expect(refused.stderr).not.toContain('TraitDefinition rollout');
    expect(await exists(['app', 'addon-rollscale', '-n', 'vela-system'])).toBe(false);
    expect(await exists(['namespace', 'rollscale-system'])).toBe(false);
    const webservice = await getJson<Meta>(['get', 'componentdefinition', 'webservice', '-n', 'vela-system']);
    expect(webservice.metadata.ownerReferences).toBeUndefined();
  });

  test('--override-definitions: bootstrapped in process until running and the controller Ready', async () => {
    const result = await rollscale([
      'addon',
      'enable',
      './addons/rollscale',
      '--override-definitions',
      '--timeout',
      '80s',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no KubeVela in this cluster: applicationController=true');
    expect(result.stdout).toContain(
      '--override-definitions: replacing ComponentDefinition webservice (not from any addon)',
    );
    expect(result.stdout).toContain('reconciling vela-system/addon-rollscale here until it runs');
    expect(result.stdout).toContain('Deployment rollscale-system/rollscale-controller 2/2 ready');
    expect(result.stdout).toContain('Addon rollscale enabled: vela-system/addon-rollscale is running');

    const app = await getJson<Meta & { status: { status: string; observedGeneration: number } }>([
      'get',
      'app',
      'addon-rollscale',
      '-n',
      'vela-system',
    ]);
    expect(app.status.status).toBe('running');
    expect(app.status.observedGeneration).toBe(app.metadata.generation);
    // It holds objects outside vela-system: the finalizer that deletes them on disable.
    expect(app.metadata.finalizers).toContain('app.oam.dev/resource-tracker-finalizer');

    // The controller in its own namespace, Ready, running the Application controller too, and
    // tracked by labels (an owner reference across namespaces would be taken for a missing owner).
    const deployment = await getJson<
      Meta & {
        spec: { replicas: number; template: { spec: { containers: Array<{ args: string[] }> } } };
        status: { readyReplicas?: number };
      }
    >(['get', 'deployment', 'rollscale-controller', '-n', 'rollscale-system']);
    expect(deployment.status.readyReplicas).toBe(deployment.spec.replicas);
    expect(deployment.spec.template.spec.containers[0]?.args).toContainEqual(
      expect.stringMatching(/^--controllers=application,rollout,/),
    );
    for (const [kind, name] of SYSTEM_OBJECTS) {
      const object = await getJson<Meta>(['get', kind, name, '-n', 'rollscale-system']);
      expect([kind, name, object.metadata.labels?.['app.oam.dev/name']]).toEqual([
        kind,
        name,
        'addon-rollscale',
      ]);
      expect(object.metadata.labels?.['app.oam.dev/namespace']).toBe('vela-system');
      expect(object.metadata.ownerReferences).toBeUndefined();
    }
    // Nothing of it in vela-system itself but the Application's own.
    expect(await exists(['deployment', 'rollscale-controller', '-n', 'vela-system'])).toBe(false);

    // Cluster-scoped: the CRDs (established) and the per-controller ClusterRoles, labelled.
    for (const crd of ADDON_CRDS) {
      const object = await getJson<
        Meta & { status: { conditions: Array<{ type: string; status: string }> } }
      >(['get', 'crd', crd]);
      expect(object.metadata.labels?.['app.oam.dev/name']).toBe('addon-rollscale');
      expect(object.status.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
    for (const role of ['rollscale-application', 'rollscale-rollout', 'rollscale-webhook']) {
      const object = await getJson<Meta>(['get', 'clusterrole', role]);
      expect(object.metadata.labels?.['app.oam.dev/namespace']).toBe('vela-system');
    }
    // The definitions, the overridden webservice among them, owned by the Application.
    for (const [kind, name] of [
      ['componentdefinition', 'webservice'],
      ['componentdefinition', 'k8s-objects'],
      ['traitdefinition', 'rollout'],
      ['traitdefinition', 'ihpa'],
    ] as const) {
      const definition = await getJson<Meta>(['get', kind, name, '-n', 'vela-system']);
      expect(definition.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Application', name: 'addon-rollscale', uid: app.metadata.uid }),
      ]);
    }
  });

  test('addon list shows it enabled and running', async () => {
    const result = await rollscale(['addon', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^rollscale\s+0\.1\.0\s+enabled \(running\)/m);
  });

  test('an Application with the rollout trait renders against the addon’s definitions', async () => {
    controller = await startController({
      controllers: ['application', 'rollout'],
      namespace: USER_NS,
      kubeconfig: cluster.kubeconfig,
    });
    await cluster.kube.kubectlOk(
      ['apply', '-n', USER_NS, '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: { name: 'uses-rollout' },
        spec: {
          components: [
            {
              name: 'web',
              type: 'webservice',
              properties: { image: 'nginx:1.27', ports: [{ port: 80, expose: true }] },
              traits: [{ type: 'rollout', properties: { targetSize: 2, rolloutBatches: [{ replicas: 2 }] } }],
            },
          ],
        },
      }),
    );
    const rendered = await cluster.kube.watchUntil<
      Meta & { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }
    >(
      `/apis/core.oam.dev/v1beta1/namespaces/${USER_NS}/applications`,
      (apps) =>
        [...apps.values()].some((a) =>
          (a.status?.conditions ?? []).some((c) => c.type === 'Rendered' && c.status === 'True'),
        ),
      { timeoutMs: 30_000, what: 'uses-rollout rendered' },
    );
    expect([...rendered.values()][0]?.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Applied', status: 'True' }),
    );
    const rollout = await getJson<Meta & { spec: { targetRevisionName: string } }>([
      'get',
      'rollout.standard.oam.dev',
      'web',
      '-n',
      USER_NS,
    ]);
    expect(rollout.spec.targetRevisionName).toBe('web-v1');
  });

  test('disable: refused while that Application uses its definitions; then removes what enabling created', async () => {
    const refused = await rollscale(['addon', 'disable', 'rollscale']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('addon rollscale is still in use: 1 Application uses its definitions:');
    expect(refused.stderr).toContain(
      `  ${USER_NS}/uses-rollout: web uses component type webservice, web uses trait rollout`,
    );
    expect(await exists(['app', 'addon-rollscale', '-n', 'vela-system'])).toBe(true);

    await cluster.kube.kubectlOk(['delete', 'app', 'uses-rollout', '-n', USER_NS, '--wait=true']);
    await controller?.stop();
    controller = undefined;

    const result = await rollscale(['addon', 'disable', 'rollscale', '--timeout', '60s']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Addon rollscale disabled');
    expect(await exists(['app', 'addon-rollscale', '-n', 'vela-system'])).toBe(false);
    expect(await exists(['secret', 'addon-secret-rollscale', '-n', 'vela-system'])).toBe(false);
    for (const [kind, name] of SYSTEM_OBJECTS) {
      expect([kind, name, await exists([kind, name, '-n', 'rollscale-system'])]).toEqual([kind, name, false]);
    }
    const left = await cluster.kube.kubectlOk([
      'get',
      'clusterroles,clusterrolebindings',
      '-l',
      'app.oam.dev/name=addon-rollscale',
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
    for (const [kind, name] of [
      ['componentdefinition', 'webservice'],
      ['traitdefinition', 'rollout'],
    ] as const) {
      expect([kind, name, await exists([kind, name, '-n', 'vela-system'])]).toEqual([kind, name, false]);
    }
    // CRDs stay: deleting one would delete every object of its kind in the cluster.
    for (const crd of ADDON_CRDS) expect([crd, await exists(['crd', crd])]).toEqual([crd, true]);
  });
});
