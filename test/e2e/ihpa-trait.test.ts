// The ihpa trait on an Application component: the Application controller renders the
// IntelligentHorizontalPodAutoscaler aimed at the component's Deployment and adds the
// kapacitystack.io/online readiness gate to its pods; the IHPA controller then owns the
// replicas, and the component's status reports the portrait.
import { join } from 'node:path';
import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectlOk, repoRoot, watchUntil } from './support.js';

interface Deployment {
  metadata: { name: string };
  spec?: { replicas?: number; template?: { spec?: { readinessGates?: { conditionType: string }[] } } };
  status?: { readyReplicas?: number };
}
interface App {
  metadata: { name: string };
  status?: {
    status?: string;
    services?: { healthy?: boolean; traits?: { type: string; healthy?: boolean; message?: string }[] }[];
  };
}
interface Ihpa {
  metadata: { name: string };
  spec?: { scaleTargetRef?: { apiVersion: string; kind: string; name: string } };
  status?: { currentPortraitValue?: { provider?: string; replicas?: number } };
}

const app = (replicas: number) =>
  JSON.stringify({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'ihpa-app' },
    spec: {
      components: [
        {
          name: 'web',
          type: 'webservice',
          properties: { image: 'nginx:1.27' },
          traits: [
            {
              type: 'ihpa',
              properties: {
                minReplicas: 1,
                maxReplicas: 5,
                portraitProviders: [{ type: 'Static', priority: 1, static: { replicas } }],
              },
            },
          ],
        },
      ],
    },
  });

describe('ihpa trait on an Application component', () => {
  let ns: string;
  let controller: ControllerProcess;
  beforeAll(async () => {
    await kubectlOk([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(repoRoot, 'definitions', 'generated'),
    ]);
    ns = await createNamespace('ihpa-trait');
    controller = await startController({
      controllers: ['application', 'ihpa', 'replicaprofile'],
      namespace: ns,
    });
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('renders the IHPA, gates the pods, and the IHPA owns the replicas', async () => {
    await kubectlOk(['apply', '-n', ns, '-f', '-'], app(3));
    const ihpas = await watchUntil<Ihpa>(
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/intelligenthorizontalpodautoscalers`,
      (m) => m.get('web')?.status?.currentPortraitValue?.replicas === 3,
    );
    expect(ihpas.get('web')?.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
    });
    expect(ihpas.get('web')?.status?.currentPortraitValue?.provider).toBe('Static');

    const deployments = await watchUntil<Deployment>(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      (m) => m.get('web')?.spec?.replicas === 3 && m.get('web')?.status?.readyReplicas === 3,
    );
    expect(deployments.get('web')?.spec?.template?.spec?.readinessGates).toEqual([
      { conditionType: 'kapacitystack.io/online' },
    ]);
    const gates = await kubectlOk([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app.oam.dev/component=web',
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="kapacitystack.io/online")].status}{" "}{end}',
    ]);
    expect(gates.trim().split(' ')).toEqual(['True', 'True', 'True']);

    const apps = await watchUntil<App>(`/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`, (m) => {
      const a = m.get('ihpa-app');
      return a?.status?.status === 'running' && a.status.services?.[0]?.healthy === true;
    });
    expect(apps.get('ihpa-app')?.status?.services?.[0]?.traits).toEqual([
      expect.objectContaining({ type: 'ihpa', healthy: true, message: 'Portrait:Static Replicas:3' }),
    ]);

    // A new portrait value: the IHPA scales the Deployment; the Application controller,
    // which never sets replicas for this component, leaves them alone.
    await kubectlOk(['apply', '-n', ns, '-f', '-'], app(2));
    await watchUntil<Deployment>(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      (m) => m.get('web')?.spec?.replicas === 2 && m.get('web')?.status?.readyReplicas === 2,
    );
  });
});
