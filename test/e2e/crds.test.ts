// The project's CRDs on a real API server: every kind is served, printer columns are what
// users see, and bad objects are refused with a message that names the field.
import { createNamespace, crdFiles, deleteNamespace, kubectl, kubectlOk } from './support.js';

const rollout = (ns: string, name: string, targetSize: number) =>
  JSON.stringify({
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: ns },
    spec: {
      targetRevisionName: 'express-server-v1',
      componentName: 'express-server',
      rolloutPlan: {
        rolloutStrategy: 'IncreaseFirst',
        targetSize,
        rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
      },
    },
  });

const ihpa = (ns: string, name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 1 } }],
      ...spec,
    },
  });

describe('CRDs', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('crds');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
  });

  test('every CRD is installed and established', async () => {
    const names = await kubectlOk([
      'get',
      'crd',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}',
    ]);
    const established = new Set(names.trim().split('\n'));
    expect(crdFiles().length).toBe(7);
    for (const crd of [
      'applications.core.oam.dev',
      'componentdefinitions.core.oam.dev',
      'traitdefinitions.core.oam.dev',
      'rollouts.standard.oam.dev',
      'intelligenthorizontalpodautoscalers.autoscaling.kapacitystack.io',
      'horizontalportraits.autoscaling.kapacitystack.io',
      'replicaprofiles.autoscaling.kapacitystack.io',
      'clonesets.apps.kruise.io',
    ]) {
      expect(established).toContain(`${crd}=True`);
    }
  });

  test('short names resolve', async () => {
    for (const short of ['app', 'comp', 'trait', 'rollout', 'ihpa', 'hp', 'rp']) {
      const res = await kubectl(['get', short, '-n', ns]);
      expect({ short, code: res.code, stderr: res.stderr }).toEqual({
        short,
        code: 0,
        stderr: expect.stringContaining('No resources found'),
      });
    }
  });

  test('kubectl get rollout prints exactly NAME and the six rollout columns', async () => {
    await kubectlOk(['apply', '-f', '-'], rollout(ns, 'express-server', 5));
    const out = await kubectlOk(['get', 'rollout', '-n', ns]);
    const header = (out.split('\n')[0] ?? '').trim().split(/\s+/);
    expect(header).toEqual(['NAME', 'TARGET', 'UPGRADED', 'READY', 'BATCH-STATE', 'ROLLING-STATE', 'AGE']);
  });

  test('kubectl get ihpa prints the autoscaler columns', async () => {
    await kubectlOk(['apply', '-f', '-'], ihpa(ns, 'static-sample', {}));
    const out = await kubectlOk(['get', 'ihpa', '-n', ns]);
    const header = (out.split('\n')[0] ?? '').trim().split(/\s+/);
    expect(header).toEqual([
      'NAME',
      'MIN',
      'MAX',
      'PORTRAIT',
      'DESIRED',
      'ONLINE',
      'CUTOFF',
      'STANDBY',
      'AGE',
    ]);
  });

  test('a Rollout with a negative targetSize is refused, naming the field', async () => {
    const res = await kubectl(['apply', '-f', '-'], rollout(ns, 'negative', -1));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/spec\.rolloutPlan\.targetSize/);
    expect(res.stderr).toMatch(/greater than or equal to 0/);
  });

  test('an IHPA with maxReplicas < minReplicas is refused', async () => {
    const res = await kubectl(['apply', '-f', '-'], ihpa(ns, 'min-max', { minReplicas: 5, maxReplicas: 2 }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/maxReplicas must be greater than or equal to minReplicas/);
  });

  test('a Cron provider with no crons is refused', async () => {
    const res = await kubectl(
      ['apply', '-f', '-'],
      ihpa(ns, 'no-crons', { portraitProviders: [{ type: 'Cron', priority: 1, cron: { crons: [] } }] }),
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/crons/);
  });
});
