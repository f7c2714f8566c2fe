// Every sample under samples/, applied to a namespace of its own on the local cluster, with the
// controllers running as the addon deploys them permission-wise: under a service account bound to
// the addon's ClusterRoles (renamed for this test), so a permission the RBAC lacks shows up as a
// 403 in the process's request metrics, which the last test requires to be absent.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

import { createCueEngine } from '../../cuelang-wasm/index.js';
import { renderAddon, type KubeObject } from '../../deploy/addon.js';
import { startController, type ControllerProcess } from './controller-process.js';
import {
  cloneSetsPath,
  columnsOf,
  deploymentsPath,
  waitRollout,
  waitWorkloads,
  type RolloutObject,
  type WorkloadObject,
} from './rollout-fixtures.js';
import {
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
  kubectl,
  kubectlOk,
  repoRoot,
  watchUntil,
} from './support.js';

const CONTROLLERS = ['application', 'rollout', 'ihpa', 'replicaprofile', 'portrait'];
const SAMPLES = join(repoRoot, 'samples');
const KAPACITY = '/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Obj {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}
interface ReplicaProfile extends Obj {
  spec: { onlineReplicas: number; cutoffReplicas: number; standbyReplicas: number };
}

let ns: string;
let controller: ControllerProcess;
/** The service account's kubeconfig (it holds a token: removed afterwards). */
let kubeconfig: string | undefined;
const e2eLabel = () => `rollscale.dev/e2e-samples=${ns}`;

const condition = (obj: Obj | undefined, type: string) =>
  obj?.status?.conditions?.find((c) => c.type === type);

/** `kubectl apply -n <ns>` of a sample file, as the docs say (with the namespace given). */
async function applySample(file: string, replace: Record<string, string> = {}): Promise<void> {
  let text = readFileSync(join(SAMPLES, file), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  await kubectlOk(['apply', '-n', ns, '-f', '-'], text);
}

async function deleteSample(file: string): Promise<void> {
  await kubectlOk(['delete', '-n', ns, '--wait=true', '--ignore-not-found', '-f', join(SAMPLES, file)]);
}

function waitFor<T extends Obj>(
  path: string,
  name: string,
  predicate: (obj: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  return watchUntil<T>(
    path,
    (objects) => {
      const obj = objects.get(name);
      return obj !== undefined && predicate(obj);
    },
    { what: `${what} (${name})`, timeoutMs },
  ).then((objects) => objects.get(name) as T);
}

const ihpas = () => `${KAPACITY}/${ns}/intelligenthorizontalpodautoscalers`;
const profiles = () => `${KAPACITY}/${ns}/replicaprofiles`;
const portraits = () => `${KAPACITY}/${ns}/horizontalportraits`;
const applications = () => `/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`;

/**
 * The addon's service account and the ClusterRoles of the controllers this test runs, renamed
 * for this namespace, and a kubeconfig holding a token of that account.
 */
async function installAddonPermissions(): Promise<string> {
  const engine = await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  let objects: KubeObject[];
  try {
    objects = (await renderAddon(engine, { applicationController: true })).objects;
  } finally {
    await engine.close();
  }
  const wanted = new Set(['events', ...CONTROLLERS]);
  const controllerOf = (o: KubeObject) =>
    (o.metadata['labels'] as Record<string, string> | undefined)?.['rbac.rollscale.dev/controller'];
  const label = { 'rollscale.dev/e2e-samples': ns };
  const rbac = objects
    .filter(
      (o) =>
        (o.kind === 'ServiceAccount' && o.metadata.name === 'rollscale-controller') ||
        ((o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') && wanted.has(controllerOf(o) ?? '')),
    )
    .map((o) => {
      const copy = structuredClone(o) as KubeObject & {
        roleRef?: { name: string };
        subjects?: Array<{ namespace: string }>;
      };
      const labels = { ...((copy.metadata['labels'] as Record<string, string>) ?? {}), ...label };
      if (copy.kind === 'ServiceAccount') copy.metadata = { ...copy.metadata, namespace: ns, labels };
      else copy.metadata = { ...copy.metadata, name: `${copy.metadata.name}-${ns}`, labels };
      if (copy.roleRef) copy.roleRef.name = `${copy.roleRef.name}-${ns}`;
      for (const subject of copy.subjects ?? []) subject.namespace = ns;
      return copy;
    });
  expect(rbac.filter((o) => o.kind === 'ClusterRole').length).toBe(wanted.size);
  await kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }),
  );

  const token = (
    await kubectlOk(['create', 'token', 'rollscale-controller', '-n', ns, '--duration=2h'])
  ).trim();
  const admin = parse(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  };
  const cluster = admin.clusters[0];
  const file = join(mkdtempSync(join(tmpdir(), 'samples-e2e-')), 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [{ name: 'rollscale-controller', user: { token } }],
      contexts: [
        { name: 'sa', context: { cluster: cluster?.name, user: 'rollscale-controller', namespace: ns } },
      ],
      'current-context': 'sa',
    }),
  );
  // The authorizer learns of new bindings from its own watch: wait until it grants what the
  // controllers list first (one permission of each role) before they start.
  const account = `system:serviceaccount:${ns}:rollscale-controller`;
  for (const [verb, resource, subresource] of [
    ['create', 'events', ''],
    ['list', 'applications.core.oam.dev', ''],
    ['list', 'rollouts.standard.oam.dev', ''],
    ['list', 'intelligenthorizontalpodautoscalers.autoscaling.kapacitystack.io', ''],
    ['patch', 'replicaprofiles.autoscaling.kapacitystack.io', 'status'],
    ['list', 'cronjobs.batch', ''],
  ] as const) {
    const args = ['auth', 'can-i', verb, resource, '-n', ns, '--as', account];
    if (subresource) args.push(`--subresource=${subresource}`);
    let granted = false;
    for (let attempt = 0; attempt < 100 && !granted; attempt++) {
      granted = (await kubectl(args)).stdout.trim() === 'yes';
      if (!granted) await new Promise((r) => setTimeout(r, 100));
    }
    expect([verb, resource, subresource, granted]).toEqual([verb, resource, subresource, true]);
  }
  return file;
}

beforeAll(async () => {
  ns = await createNamespace('samples');
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
  kubeconfig = await installAddonPermissions();
  controller = await startController({ controllers: CONTROLLERS, namespace: ns, kubeconfig });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true });
  if (ns) {
    await kubectl(['delete', 'clusterrolebinding,clusterrole', '-l', e2eLabel(), '--wait=false']);
    await deleteNamespace(ns);
  }
});

describe('samples/workload and samples/ihpa (seeds 000, 001, 002)', () => {
  test('nginx-statefulset.yaml: the Service and StatefulSet are accepted and nginx-0 becomes Ready', async () => {
    await applySample('workload/nginx-statefulset.yaml');
    await waitFor<Obj>(
      `/api/v1/namespaces/${ns}/pods`,
      'nginx-0',
      (pod) => condition(pod, 'Ready')?.status === 'True',
      'pod Ready',
    );
    const service = JSON.parse(await kubectlOk(['get', 'svc', 'nginx', '-n', ns, '-o', 'json'])) as {
      spec: { type: string; ports: Array<{ port: number }> };
    };
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [expect.objectContaining({ port: 80 })] });
  });

  test('cron-portrait-sample.yaml: the IHPA is reconciled (ScalingActive) and its ReplicaProfile follows the hour', async () => {
    await applySample('ihpa/cron-portrait-sample.yaml');
    const ihpa = await waitFor<Obj>(
      ihpas(),
      'cron-portrait-sample',
      (o) => !!condition(o, 'ScalingActive'),
      'ScalingActive',
    );
    const active = condition(ihpa, 'ScalingActive');
    if (active?.status === 'True') {
      // Minutes 0–49 of every hour: one of the five windows holds (1 to 5 replicas).
      const profile = await waitFor<ReplicaProfile>(
        profiles(),
        'cron-portrait-sample',
        () => true,
        'ReplicaProfile',
      );
      expect(profile.spec.onlineReplicas).toBeGreaterThanOrEqual(1);
      expect(profile.spec.onlineReplicas).toBeLessThanOrEqual(5);
    } else {
      // Minutes 50–59: no window holds, the docs' "no valid portrait value for now".
      expect(active?.reason).toBe('NoValidPortraitValue');
    }
    await deleteSample('ihpa/cron-portrait-sample.yaml');
  });

  test('dynamic-reactive-portrait-sample.yaml: the IHPA creates its Reactive HorizontalPortrait, which the portrait controller reconciles', async () => {
    await applySample('ihpa/dynamic-reactive-portrait-sample.yaml');
    const portrait = await waitFor<Obj>(
      portraits(),
      'dynamic-reactive-portrait-sample-reactive',
      (o) => !!condition(o, 'PortraitGenerated'),
      'PortraitGenerated',
    );
    expect(portrait.spec).toMatchObject({ portraitType: 'Reactive', algorithm: { type: 'KubeHPA' } });
    // The local cluster serves no metrics API: the attempt is reported, not silently dropped.
    expect(condition(portrait, 'PortraitGenerated')).toMatchObject({
      status: 'False',
      reason: 'FailedGeneratePortrait',
    });
    await waitFor<Obj>(
      ihpas(),
      'dynamic-reactive-portrait-sample',
      (o) => !!condition(o, 'ScalingActive'),
      'ScalingActive',
    );
    await deleteSample('ihpa/dynamic-reactive-portrait-sample.yaml');
  });

  test('dynamic-predictive-portrait-sample.yaml: a CronJob runs the algorithm; its result ConfigMap scales the StatefulSet', async () => {
    await applySample('ihpa/dynamic-predictive-portrait-sample.yaml');
    const waiting = await waitFor<Obj>(
      portraits(),
      'predictive-sample-predictive',
      (o) => condition(o, 'PortraitGenerated')?.reason === 'WaitingForAlgorithmResult',
      'waiting for the algorithm',
    );
    expect(waiting.spec).toMatchObject({ portraitType: 'Predictive', algorithm: { type: 'ExternalJob' } });
    const cronJob = await waitFor<Obj & { spec: { schedule: string } }>(
      `/apis/batch/v1/namespaces/${ns}/cronjobs`,
      `${ns}-predictive-sample-predictive`,
      () => true,
      'algorithm CronJob',
    );
    expect(cronJob.spec.schedule).toBe('0/30 * * * *');

    // What the algorithm job writes: the seed's result shape, with points around now.
    const now = Math.floor(Date.now() / 1000);
    await kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'predictive-sample-predictive-result' },
        data: {
          type: 'TimeSeries',
          expireTime: new Date((now + 1800) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
          timeSeries: JSON.stringify({ [now - 600]: 2, [now + 1200]: 3 }),
        },
      }),
    );
    const generated = await waitFor<Obj>(
      portraits(),
      'predictive-sample-predictive',
      (o) => condition(o, 'PortraitGenerated')?.status === 'True',
      'portrait generated',
    );
    expect(generated.status?.['portraitData']).toMatchObject({ type: 'TimeSeries' });
    const profile = await waitFor<ReplicaProfile>(
      profiles(),
      'predictive-sample',
      (p) => p.spec.onlineReplicas === 2,
      'online 2',
    );
    expect(profile.spec).toMatchObject({ cutoffReplicas: 0, standbyReplicas: 0 });
    await waitFor<WorkloadObject & Obj>(
      `/apis/apps/v1/namespaces/${ns}/statefulsets`,
      'nginx',
      (s) => s.spec?.replicas === 2,
      'StatefulSet scaled to 2',
    );
    await deleteSample('ihpa/dynamic-predictive-portrait-sample.yaml');
  });

  test('gray-strategy-sample.yaml: the IHPA scales through its ReplicaProfile (Static 1, Cron 5 in minutes 0-9)', async () => {
    await applySample('ihpa/gray-strategy-sample.yaml');
    const ihpa = await waitFor<Obj>(
      ihpas(),
      'gray-strategy-sample',
      (o) => condition(o, 'ScalingActive')?.status === 'True',
      'ScalingActive True',
    );
    expect(ihpa.spec).toMatchObject({ behavior: { scaleDown: { grayStrategy: { grayState: 'Cutoff' } } } });
    const profile = await waitFor<ReplicaProfile>(
      profiles(),
      'gray-strategy-sample',
      () => true,
      'ReplicaProfile',
    );
    const total = profile.spec.onlineReplicas + profile.spec.cutoffReplicas + profile.spec.standbyReplicas;
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(5);
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=gray-strategy-sample,involvedObject.kind=IntelligentHorizontalPodAutoscaler',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(events.split(/\s+/)).toContain('CreateReplicaProfile');
    await deleteSample('ihpa/gray-strategy-sample.yaml');
  });

  test('config/prometheus-metrics-config.yaml becomes the kapacity-config ConfigMap as the docs create it', async () => {
    await kubectlOk([
      'create',
      'configmap',
      'kapacity-config',
      '-n',
      ns,
      `--from-file=${join(SAMPLES, 'config', 'prometheus-metrics-config.yaml')}`,
    ]);
    const data = await kubectlOk([
      'get',
      'configmap',
      'kapacity-config',
      '-n',
      ns,
      '-o',
      'jsonpath={.data.prometheus-metrics-config\\.yaml}',
    ]);
    expect(data).toBe(readFileSync(join(SAMPLES, 'config', 'prometheus-metrics-config.yaml'), 'utf8'));
  });

  test('nginx-ingress.yaml and periodic-client.yaml (address filled in) are accepted', async () => {
    await applySample('workload/nginx-ingress.yaml');
    const ingress = JSON.parse(
      await kubectlOk(['get', 'ingress', 'nginx-server', '-n', ns, '-o', 'json']),
    ) as {
      spec: { ingressClassName: string };
    };
    expect(ingress.spec.ingressClassName).toBe('nginx');
    // As written, the placeholder is not an IP address: the API server refuses it.
    const unfilled = await kubectl(['apply', '-n', ns, '-f', join(SAMPLES, 'workload/periodic-client.yaml')]);
    expect(unfilled.code).not.toBe(0);
    await applySample('workload/periodic-client.yaml', { '<nginx-ingress-address>': '10.0.0.10' });
    const pod = JSON.parse(await kubectlOk(['get', 'pod', 'periodic-client', '-n', ns, '-o', 'json'])) as {
      spec: { hostAliases: Array<{ ip: string; hostnames: string[] }> };
    };
    expect(pod.spec.hostAliases).toEqual([{ ip: '10.0.0.10', hostnames: ['nginx.example.com'] }]);
  });
});

describe('samples/rollout (seed 003), applied step by step', () => {
  const rolloutStep = async (
    file: string,
    name: string,
    predicate: (r: RolloutObject) => boolean,
    what: string,
  ): Promise<RolloutObject> => {
    await applySample(file);
    return waitRollout(ns, name, predicate, what, 90_000);
  };
  const succeeded = (target: number, revision: string) => (r: RolloutObject) =>
    JSON.stringify(columnsOf(r)) ===
      JSON.stringify([target, target, target, 'batchReady', 'rolloutSucceed']) &&
    r.status?.lastTargetRevision === revision;
  const appRunning = (name: string) =>
    waitFor<Obj>(applications(), name, (a) => a.status?.['status'] === 'running', 'Application running');

  test('webservice: first release, gray upgrade held after batch 1, full upgrade, rollback, scale up, scale down', async () => {
    await rolloutStep(
      'rollout/webservice/01-first-release.yaml',
      'express-server',
      succeeded(5, 'express-server-v1'),
      'v1 5/5',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 5 });
    await appRunning('rollout-trait-test');

    await rolloutStep(
      'rollout/webservice/02-upgrade-first-batch.yaml',
      'express-server',
      (r) =>
        JSON.stringify(columnsOf(r)) === JSON.stringify([5, 2, 2, 'batchReady', 'rollingInBatches']) &&
        r.status?.lastTargetRevision === 'express-server-v2',
      'v2 held at 2',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', {
      'express-server-v1': 3,
      'express-server-v2': 2,
    });

    await rolloutStep(
      'rollout/webservice/03-upgrade-all-batches.yaml',
      'express-server',
      succeeded(5, 'express-server-v2'),
      'v2 5/5',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v2': 5 });

    await rolloutStep(
      'rollout/webservice/04-rollback.yaml',
      'express-server',
      succeeded(5, 'express-server-v1'),
      'back on v1',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 5 });

    await rolloutStep(
      'rollout/webservice/05-scale-up.yaml',
      'express-server',
      succeeded(7, 'express-server-v1'),
      'v1 7/7',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 7 });

    await rolloutStep(
      'rollout/webservice/06-scale-down.yaml',
      'express-server',
      succeeded(3, 'express-server-v1'),
      'v1 3/3',
    );
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 3 });
    await appRunning('rollout-trait-test');
    const revisions = await kubectlOk([
      'get',
      'controllerrevision',
      '-n',
      ns,
      '-l',
      'controller.oam.dev/component=express-server',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(revisions.split(/\s+/).sort()).toEqual(['express-server-v1', 'express-server-v2']);
  }, 600_000);

  test('cloneset: first release, then an in-place upgrade of the same CloneSet', async () => {
    await rolloutStep(
      'rollout/cloneset/01-first-release.yaml',
      'cloneset-server',
      succeeded(5, 'cloneset-server-v1'),
      'v1 5/5',
    );
    const [first] = [
      ...(await waitWorkloads(cloneSetsPath(ns), 'cloneset-server', { 'cloneset-server': 5 })).values(),
    ];
    await appRunning('rollout-trait-test-cloneset');

    await rolloutStep(
      'rollout/cloneset/02-upgrade-in-place.yaml',
      'cloneset-server',
      succeeded(5, 'cloneset-server-v2'),
      'v2 5/5',
    );
    const [upgraded] = [
      ...(await waitWorkloads(cloneSetsPath(ns), 'cloneset-server', { 'cloneset-server': 5 })).values(),
    ];
    expect(upgraded?.metadata.uid).toBe(first?.metadata.uid);
    expect(upgraded?.spec?.template?.spec?.containers?.[0]?.image).toBe('stefanprodan/podinfo:5.0.2');
    await appRunning('rollout-trait-test-cloneset');
  }, 300_000);
});

describe('the addon itself', () => {
  test("every object the addon renders passes the API server's validation (server-side dry run)", async () => {
    const engine = await createCueEngine({ isolation: 'inline', cacheSize: 0 });
    let objects: KubeObject[];
    try {
      objects = (await renderAddon(engine, { applicationController: true, webhookCertSecret: 'certs' }))
        .objects;
    } finally {
      await engine.close();
    }
    // The addon's namespace, played by this test's: nothing is created (dry run).
    const items = objects
      .filter((o) => o.kind !== 'Namespace')
      .map(
        (o) =>
          JSON.parse(JSON.stringify(o).split('"rollscale-system"').join(JSON.stringify(ns))) as KubeObject,
      );
    const out = await kubectlOk(
      ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    );
    expect(out.trim().split('\n').length).toBe(items.length);
    expect(out).toMatch(/deployment\.apps\/rollscale-controller serverside-applied \(server dry run\)/);
  });
});

describe('permissions', () => {
  test('no request of the controllers was forbidden by the addon RBAC', async () => {
    const metrics = await controller.metrics();
    const requests = metrics.split('\n').filter((l) => l.startsWith('rest_client_requests_total{'));
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((l) => /code="403"/.test(l))).toEqual([]);
    expect(controller.output()).not.toMatch(/forbidden/i);
  });
});
