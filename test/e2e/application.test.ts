// The Application controller on the local cluster, alone (no Rollout controller): the seed
// walkthrough's Applications produce the ControllerRevisions and the Rollout the seed shows, a
// webservice without rollout gets its Deployment and Service, removed components are pruned, a
// deleted Application leaves nothing behind, bad input is reported without touching what runs,
// and a reconcile with nothing to do writes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, repoRoot, watchUntil } from './support.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Meta {
  name: string;
  namespace?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
}
interface App {
  metadata: Meta;
  spec: { components: Array<Record<string, unknown>> };
  status?: {
    observedGeneration?: number;
    status?: string;
    conditions?: Condition[];
    services?: Array<{ name: string; healthy: boolean; message?: string }>;
  };
}
interface Revision {
  metadata: Meta;
  revision: number;
  data: { kind: string; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
}
interface Rollout {
  metadata: Meta;
  spec: {
    targetRevisionName: string;
    componentName: string;
    rolloutPlan: {
      targetSize?: number;
      batchPartition?: number;
      rolloutBatches?: Array<{ replicas: number | string }>;
    };
  };
}
interface Deployment {
  metadata: Meta;
  spec: { replicas?: number };
  status?: { readyReplicas?: number };
}

const seed = (file: string) =>
  parseAllDocuments(readFileSync(join(repoRoot, 'test', 'fixtures', 'seeds', file), 'utf8'))
    .map((d) => d.toJS() as App | null)
    .filter((d): d is App => d !== null);
const walkthrough = seed('app-rollout-trait-test.yaml');
const clonesetWalkthrough = seed('app-rollout-trait-test-cloneset.yaml');
const step = (index: number): App => {
  const doc = walkthrough[index];
  if (!doc) throw new Error(`no seed step ${index}`);
  return structuredClone(doc);
};

let ns: string;
let controller: ControllerProcess;

const appsPath = () => `/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`;
const revisionsPath = () => `/apis/apps/v1/namespaces/${ns}/controllerrevisions`;
const rolloutsPath = () => `/apis/standard.oam.dev/v1alpha1/namespaces/${ns}/rollouts`;
const deploymentsPath = () => `/apis/apps/v1/namespaces/${ns}/deployments`;
const servicesPath = () => `/api/v1/namespaces/${ns}/services`;

async function apply(obj: unknown): Promise<void> {
  await kubectlOk(['apply', '-n', ns, '-f', '-'], JSON.stringify(obj));
}

/** Waits until the controller has processed the Application's current generation and `check` holds. */
async function appSettles(name: string, check: (app: App) => boolean = () => true): Promise<App> {
  const apps = await watchUntil<App>(
    appsPath(),
    (m) => {
      const app = m.get(name);
      return app !== undefined && app.status?.observedGeneration === app.metadata.generation && check(app);
    },
    { what: `Application ${name}` },
  );
  return apps.get(name) as App;
}

async function metric(pattern: RegExp): Promise<number> {
  const text = await controller.metrics();
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
/** Names of the objects of `kind` matching `selector`, sorted. */
async function names(kind: string, selector: string): Promise<string[]> {
  const out = await kubectlOk([
    'get',
    kind,
    '-n',
    ns,
    '-l',
    selector,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  return out.split(/\s+/).filter(Boolean).sort();
}

/** Waits (on watch events, via kubectl wait) until the objects are gone; at once if they are. */
async function deleted(...targets: string[]): Promise<void> {
  await kubectlOk(['wait', '--for=delete', '-n', ns, '--timeout=60s', ...targets]);
}

const writes = () => metric(/^rest_client_requests_total\{[^}]*method="(POST|PUT|PATCH|DELETE)"/);
const reconciles = () => metric(/^controller_runtime_reconcile_total\{controller="application"/);

beforeAll(async () => {
  ns = await createNamespace('app');
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
  controller = await startController({ controllers: ['application'], namespace: ns });
});

afterAll(async () => {
  await controller?.stop();
  await deleteNamespace(ns);
});

describe('Application controller: the rollout walkthrough', () => {
  test('first release: revision express-server-v1 and a Rollout targeting it; no Deployment of its own', async () => {
    await apply(step(0));
    const revisions = await watchUntil<Revision>(revisionsPath(), (m) => m.has('express-server-v1'));
    const v1 = revisions.get('express-server-v1') as Revision;
    expect(v1.revision).toBe(1);
    expect(v1.metadata.labels).toMatchObject({
      'controller.oam.dev/component': 'express-server',
      'app.oam.dev/component': 'express-server',
      'app.oam.dev/name': 'rollout-trait-test',
    });
    expect(v1.metadata.labels?.['app.oam.dev/component-revision-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(v1.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Application', name: 'rollout-trait-test', controller: true }),
    ]);
    expect(v1.data.kind).toBe('Deployment');
    expect(v1.data.spec.template.spec.containers[0]?.image).toBe('stefanprodan/podinfo:4.0.3');

    const listed = await kubectlOk([
      'get',
      'controllerRevision',
      '-n',
      ns,
      '-l',
      'controller.oam.dev/component=express-server',
    ]);
    expect(listed).toMatch(
      /^express-server-v1\s+application\.core\.oam\.dev\/rollout-trait-test\s+1\s+\S+$/m,
    );

    const rollouts = await watchUntil<Rollout>(rolloutsPath(), (m) => m.has('express-server'));
    const rollout = rollouts.get('express-server') as Rollout;
    expect(rollout.spec.targetRevisionName).toBe('express-server-v1');
    expect(rollout.spec.componentName).toBe('express-server');
    expect(rollout.spec.rolloutPlan.targetSize).toBe(5);
    expect(rollout.spec.rolloutPlan.rolloutBatches?.map((b) => b.replicas)).toEqual([2, 3]);
    expect(rollout.metadata.labels).toMatchObject({
      'app.oam.dev/name': 'rollout-trait-test',
      'app.oam.dev/component': 'express-server',
      'app.oam.dev/revision': 'express-server-v1',
      'trait.oam.dev/type': 'rollout',
      'trait.oam.dev/manage-workload': 'true',
    });
    expect(rollout.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Application', name: 'rollout-trait-test', controller: true }),
    ]);

    const app = await appSettles('rollout-trait-test', (a) => a.status?.status === 'unhealthy');
    expect(app.status?.services?.[0]).toMatchObject({ name: 'express-server', healthy: false });
    const own = await kubectlOk([
      'get',
      'deploy',
      '-n',
      ns,
      '-l',
      'app.oam.dev/name=rollout-trait-test',
      '-o',
      'name',
    ]);
    expect(own.trim()).toBe('');
  });

  test('once the Rollout reports success the Application is running and healthy, as the seed prints it', async () => {
    await kubectlOk([
      'patch',
      'rollout',
      'express-server',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          rollingState: 'rolloutSucceed',
          batchRollingState: 'batchReady',
          rolloutTargetSize: 5,
          upgradedReplicas: 5,
          upgradedReadyReplicas: 5,
        },
      }),
    ]);
    const app = await appSettles('rollout-trait-test', (a) => a.status?.status === 'running');
    expect(app.status?.services).toEqual([
      expect.objectContaining({
        name: 'express-server',
        healthy: true,
        traits: [{ type: 'rollout', healthy: true, message: 'rolloutSucceed' }],
      }),
    ]);
    const printed = await kubectlOk(['get', 'app', 'rollout-trait-test', '-n', ns]);
    expect(printed).toMatch(/^NAME\s+COMPONENT\s+TYPE\s+PHASE\s+HEALTHY\s+STATUS\s+AGE$/m);
    expect(printed).toMatch(
      /^rollout-trait-test\s+express-server\s+webservice\s+running\s+true\s+\d+[smhd]\S*$/m,
    );
  });

  test('upgrade: express-server-v2 (revision 2) and the Rollout retargeted, held at batch 0', async () => {
    await apply(step(1));
    const revisions = await watchUntil<Revision>(revisionsPath(), (m) => m.has('express-server-v2'));
    expect(revisions.get('express-server-v2')?.revision).toBe(2);
    expect(revisions.get('express-server-v2')?.data.spec.template.spec.containers[0]?.image).toBe(
      'stefanprodan/podinfo:5.0.2',
    );
    const rollouts = await watchUntil<Rollout>(
      rolloutsPath(),
      (m) => m.get('express-server')?.spec.targetRevisionName === 'express-server-v2',
    );
    expect(rollouts.get('express-server')?.spec.rolloutPlan.batchPartition).toBe(0);
    const listed = await kubectlOk([
      'get',
      'controllerRevision',
      '-n',
      ns,
      '-l',
      'controller.oam.dev/component=express-server',
    ]);
    expect(listed).toMatch(/^express-server-v1\s+application\.core\.oam\.dev\/rollout-trait-test\s+1\s/m);
    expect(listed).toMatch(/^express-server-v2\s+application\.core\.oam\.dev\/rollout-trait-test\s+2\s/m);
  });

  test('the same component spec again (batchPartition removed) reuses express-server-v2', async () => {
    await apply(step(2));
    await watchUntil<Rollout>(
      rolloutsPath(),
      (m) => m.get('express-server')?.spec.rolloutPlan.batchPartition === undefined,
    );
    await appSettles('rollout-trait-test');
    expect(await names('controllerrevisions', 'controller.oam.dev/component=express-server')).toEqual([
      'express-server-v1',
      'express-server-v2',
    ]);
  });

  test('a reconcile with nothing to do issues zero write requests', async () => {
    const writesBefore = await writes();
    const reconcilesBefore = await reconciles();
    // A metadata change reconciles the Application without changing anything it renders.
    await kubectlOk([
      'annotate',
      'app',
      'rollout-trait-test',
      '-n',
      ns,
      `e2e/poke=${Date.now()}`,
      '--overwrite',
    ]);
    const deadline = Date.now() + 30000;
    // The metrics endpoint cannot be watched: poll it until that reconcile is done and the queue
    // is idle (no other reconcile still to run).
    const idle = async () =>
      (await reconciles()) > reconcilesBefore &&
      (await metric(/^workqueue_depth\{name="application"\}/)) === 0 &&
      (await metric(/^controller_runtime_active_workers\{controller="application"\}/)) === 0;
    while (!(await idle())) {
      if (Date.now() > deadline) throw new Error('the annotation did not cause a reconcile');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await writes()).toBe(writesBefore);
  });

  test('rollback: the Rollout targets express-server-v1 again, no new revision', async () => {
    await apply(step(3));
    await watchUntil<Rollout>(
      rolloutsPath(),
      (m) => m.get('express-server')?.spec.targetRevisionName === 'express-server-v1',
    );
    await appSettles('rollout-trait-test');
    expect(await names('controllerrevisions', 'controller.oam.dev/component=express-server')).toHaveLength(2);
  });

  test('the CloneSet walkthrough: revision cloneset-server-v1 and its Rollout, no CloneSet of its own', async () => {
    await apply(clonesetWalkthrough[0]);
    const revisions = await watchUntil<Revision>(revisionsPath(), (m) => m.has('cloneset-server-v1'));
    expect(revisions.get('cloneset-server-v1')?.data.kind).toBe('CloneSet');
    const rollouts = await watchUntil<Rollout>(rolloutsPath(), (m) => m.has('cloneset-server'));
    expect(rollouts.get('cloneset-server')?.spec.targetRevisionName).toBe('cloneset-server-v1');
    const own = await kubectlOk([
      'get',
      'clonesets',
      '-n',
      ns,
      '-l',
      'app.oam.dev/name=rollout-trait-test-cloneset',
      '-o',
      'name',
    ]);
    expect(own.trim()).toBe('');
  });
});

describe('Application controller: bad input', () => {
  const badApp = (name: string, component: Record<string, unknown>) => ({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name },
    spec: { components: [component] },
  });

  async function failsWith(name: string, reason: string, message: RegExp): Promise<App> {
    const app = await appSettles(name, (a) => a.status?.status === 'workflowFailed');
    const failed = app.status?.conditions?.find((c) => c.status === 'False' && c.reason === reason);
    expect(failed?.message).toMatch(message);
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${name},type=Warning,reason=${reason}`,
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events).toMatch(message);
    return app;
  }

  test('a property of the wrong type: the message names component, trait, field and reason; the Rollout is untouched', async () => {
    const before = await kubectlOk([
      'get',
      'rollout',
      'express-server',
      '-n',
      ns,
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    const bad = step(3);
    const trait = (bad.spec.components[0]?.['traits'] as Array<{ properties: Record<string, unknown> }>)[0];
    if (trait) trait.properties['targetSize'] = 'five';
    await apply(bad);
    await failsWith(
      'rollout-trait-test',
      'RenderError',
      /component "express-server": trait "rollout": parameter\.targetSize: conflicting values int and "five"/,
    );
    const after = await kubectlOk([
      'get',
      'rollout',
      'express-server',
      '-n',
      ns,
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    expect(after).toBe(before);
  });

  test('the same externalRevision for a different spec is refused; no revision is created', async () => {
    const bad = step(3);
    const component = bad.spec.components[0] as { properties: Record<string, unknown> };
    component.properties['image'] = 'stefanprodan/podinfo:6.0.0';
    await apply(bad);
    await failsWith(
      'rollout-trait-test',
      'RevisionConflict',
      /component "express-server": externalRevision "express-server-v2" already exists with a different spec/,
    );
    expect(await names('controllerrevisions', 'controller.oam.dev/component=express-server')).toHaveLength(2);
    // Restoring the spec recovers.
    await apply(step(3));
    await appSettles('rollout-trait-test', (a) => a.status?.status === 'running');
  });

  test('an unknown component type', async () => {
    await apply(badApp('bad-type', { name: 'api', type: 'webservise', properties: { image: 'nginx' } }));
    await failsWith(
      'bad-type',
      'DefinitionNotFound',
      new RegExp(
        `component "api": ComponentDefinition "webservise" not found in namespace "${ns}" or "vela-system"`,
      ),
    );
  });

  test('an unknown trait type', async () => {
    await apply(
      badApp('bad-trait', {
        name: 'api',
        type: 'webservice',
        properties: { image: 'nginx' },
        traits: [{ type: 'rolout' }],
      }),
    );
    await failsWith(
      'bad-trait',
      'DefinitionNotFound',
      /component "api": trait "rolout": TraitDefinition "rolout" not found/,
    );
  });

  test('a required property left out', async () => {
    await apply(badApp('bad-missing', { name: 'api', type: 'webservice', properties: {} }));
    await failsWith(
      'bad-missing',
      'RenderError',
      /component "api": parameter\.image: required value missing/,
    );
  });

  test('a trait whose appliesToWorkloads excludes the workload (definition from the Application namespace)', async () => {
    await apply({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'TraitDefinition',
      metadata: { name: 'kruise-only' },
      spec: {
        appliesToWorkloads: ['clonesets.apps.kruise.io'],
        schematic: { cue: { template: 'patch: {}' } },
      },
    });
    await apply(
      badApp('bad-applies', {
        name: 'api',
        type: 'webservice',
        properties: { image: 'nginx' },
        traits: [{ type: 'kruise-only' }],
      }),
    );
    await failsWith(
      'bad-applies',
      'InvalidSpec',
      /component "api": trait "kruise-only": does not apply to deployments\.apps workloads/,
    );
  });
});

describe('Application controller: webservice without rollout, pruning, deletion', () => {
  const webApp = (replicas: number, extra: Array<Record<string, unknown>> = []) => ({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'web-plain' },
    spec: {
      components: [
        {
          name: 'web',
          type: 'webservice',
          properties: { image: 'nginx:1.27', ports: [{ port: 80, expose: true }] },
          traits: [{ type: 'scaler', properties: { replicas } }],
        },
        ...extra,
      ],
    },
  });

  test('a Deployment named after the component, scaled by the scaler trait, and its Service', async () => {
    // The bad Applications above are still failing: this one reconciles regardless.
    await apply(webApp(3));
    const deployments = await watchUntil<Deployment>(
      deploymentsPath(),
      (m) => m.get('web')?.spec.replicas === 3,
    );
    const web = deployments.get('web') as Deployment;
    expect(web.metadata.labels).toMatchObject({
      'app.oam.dev/name': 'web-plain',
      'app.oam.dev/component': 'web',
      'app.oam.dev/revision': 'web-v1',
    });
    expect(web.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Application', name: 'web-plain', controller: true }),
    ]);
    const services = await watchUntil<{ metadata: Meta }>(servicesPath(), (m) => m.has('web'));
    expect(services.get('web')?.metadata.labels).toMatchObject({
      'trait.oam.dev/type': 'AuxiliaryWorkload',
      'app.oam.dev/name': 'web-plain',
    });
    await appSettles('web-plain', (a) => a.status?.status === 'running');
    const printed = await kubectlOk(['get', 'app', 'web-plain', '-n', ns]);
    expect(printed).toMatch(/^web-plain\s+web\s+webservice\s+running\s+true\s+Ready:3\/3\s+\S+$/m);

    await apply(webApp(2));
    await watchUntil<Deployment>(deploymentsPath(), (m) => m.get('web')?.spec.replicas === 2);
    const revisions = await watchUntil<Revision>(revisionsPath(), (m) => m.has('web-v2'));
    expect(revisions.get('web-v2')?.revision).toBe(2);
  });

  test('a removed component is pruned with its revisions; the rest stays', async () => {
    await apply(
      webApp(2, [{ name: 'bg', type: 'worker', properties: { image: 'busybox', cmd: ['sleep', '3600'] } }]),
    );
    await watchUntil<Deployment>(deploymentsPath(), (m) => m.has('bg'));
    await watchUntil<Revision>(revisionsPath(), (m) => m.has('bg-v1'));
    await apply(webApp(2));
    await deleted('deployment/bg', 'controllerrevision/bg-v1');
    expect(await names('deployments', 'app.oam.dev/name=web-plain')).toEqual(['web']);
    expect(await names('controllerrevisions', 'app.oam.dev/name=web-plain')).toEqual(['web-v1', 'web-v2']);
    const app = await appSettles('web-plain');
    expect(app.status?.services?.map((s) => s.name)).toEqual(['web']);
  });

  test('removing the component with the rollout trait deletes its Rollout and revisions', async () => {
    await apply({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name: 'rollout-trait-test' },
      spec: { components: [{ name: 'other', type: 'worker', properties: { image: 'busybox' } }] },
    });
    await deleted(
      'rollout/express-server',
      'controllerrevision/express-server-v1',
      'controllerrevision/express-server-v2',
    );
    await watchUntil<Revision>(revisionsPath(), (m) => m.has('other-v1'));
    expect(await names('rollouts', 'app.oam.dev/name=rollout-trait-test')).toEqual([]);
  });

  test('a deleted Application leaves nothing behind', async () => {
    const apps = ['web-plain', 'rollout-trait-test', 'rollout-trait-test-cloneset'];
    for (const name of apps) await kubectlOk(['delete', 'app', name, '-n', ns, '--wait=false']);
    for (const name of apps) {
      await deleted('deployments,services,controllerrevisions,rollouts', '-l', `app.oam.dev/name=${name}`);
    }
    const left = await kubectl([
      'get',
      'deploy,svc,controllerrevision,rollout',
      '-n',
      ns,
      '-l',
      'app.oam.dev/name',
      '-o',
      'name',
    ]);
    expect(left.stdout.trim()).toBe('');
  });
});
