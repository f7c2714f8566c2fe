// Bad IHPA input on the local cluster: what the API server refuses, and what the controller
// reports (ScalingActive False with a Warning Event saying what is wrong) while nothing running
// changes. Also the IHPA ↔ Rollout contract: the IHPA waits while the component's Rollout runs.
import { stringify } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import { NGINX_STATEFULSET, describedEvents } from './ihpa-support.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, watchUntil } from './support.js';

interface Ihpa {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
}
interface StatefulSet {
  metadata: { name: string };
  spec?: { replicas?: number };
}

function ihpa(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      ...spec,
    },
  });
}

const cronProvider = (crons: Record<string, unknown>[]) => ({
  type: 'Cron',
  priority: 2,
  cron: { crons },
});
const staticProvider = (replicas: number) => ({ type: 'Static', priority: 1, static: { replicas } });
const scalingActive = (i: Ihpa | undefined) => i?.status?.conditions?.find((c) => c.type === 'ScalingActive');

describe('IHPA bad input and the Rollout gate on the local cluster', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('ihpa-bad');
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], NGINX_STATEFULSET);
    controller = await startController({ controllers: ['ihpa', 'replicaprofile'], namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  const ihpas = () =>
    `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/intelligenthorizontalpodautoscalers`;

  async function expectRefusedByController(name: string, message: string) {
    const seen = await watchUntil<Ihpa>(ihpas(), (m) => scalingActive(m.get(name))?.status === 'False', {
      what: `ScalingActive False on ${name}`,
    });
    expect(scalingActive(seen.get(name))).toMatchObject({
      status: 'False',
      reason: 'FailedUpdateAndFetchPortraitValue',
      message,
    });
    const events = describedEvents(await kubectlOk(['-n', ns, 'describe', 'ihpa', name]));
    expect(events).toEqual([['Warning', 'FailedUpdateAndFetchPortraitValue', 'ihpa_controller', message]]);
    // Nothing was applied: no ReplicaProfile, the workload still at 1.
    expect((await kubectl(['-n', ns, 'get', 'replicaprofile', name])).code).not.toBe(0);
    const sts = await kubectlOk([
      '-n',
      ns,
      'get',
      'statefulset.apps',
      'nginx',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    expect(sts).toBe('1');
  }

  test('overlapping crons: named in the condition and a Warning, nothing applied; fixing them applies', async () => {
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      ihpa('overlap', {
        portraitProviders: [
          staticProvider(2),
          cronProvider([
            { name: 'morning', start: '0 * * * *', end: '30 * * * *', replicas: 3 },
            { name: 'noon', start: '20 * * * *', end: '40 * * * *', replicas: 4 },
          ]),
        ],
      }),
    );
    await expectRefusedByController(
      'overlap',
      expect.stringMatching(
        /^failed to update and fetch portrait value: Cron provider \(priority 2\): crons "morning" and "noon" overlap at \d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/,
      ) as unknown as string,
    );

    // The fix is picked up from the spec change alone.
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      ihpa('overlap', {
        portraitProviders: [
          staticProvider(2),
          cronProvider([
            { name: 'morning', start: '0 * * * *', end: '20 * * * *', replicas: 3 },
            { name: 'noon', start: '20 * * * *', end: '40 * * * *', replicas: 4 },
          ]),
        ],
      }),
    );
    await watchUntil<Ihpa>(ihpas(), (m) => scalingActive(m.get('overlap'))?.status === 'True', {
      what: 'ScalingActive True after the fix',
    });
    await kubectlOk(['-n', ns, 'delete', 'ihpa', 'overlap', '--wait=true']);
    await kubectlOk(['-n', ns, 'delete', 'replicaprofile', 'overlap', '--ignore-not-found', '--wait=true']);
    await kubectlOk(['-n', ns, 'scale', 'statefulset.apps', 'nginx', '--replicas=1']);
  });

  test('an unknown time zone: named in the condition and a Warning, nothing applied', async () => {
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      ihpa('mars', {
        portraitProviders: [
          cronProvider([
            { name: 'olympus', timeZone: 'Mars/Olympus', start: '0 * * * *', end: '30 * * * *', replicas: 3 },
          ]),
        ],
      }),
    );
    await expectRefusedByController(
      'mars',
      'failed to update and fetch portrait value: Cron provider (priority 2): cron "olympus": unknown time zone "Mars/Olympus"',
    );
    await kubectlOk(['-n', ns, 'delete', 'ihpa', 'mars', '--wait=true']);
  });

  test('minReplicas above maxReplicas is refused by the API server', async () => {
    const result = await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      ihpa('bounds', { minReplicas: 5, maxReplicas: 2, portraitProviders: [staticProvider(3)] }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('maxReplicas must be greater than or equal to minReplicas');
  });

  test('waits while the component Rollout runs, and scales once it succeeds (event-driven)', async () => {
    await kubectlOk([
      '-n',
      ns,
      'label',
      'statefulset.apps',
      'nginx',
      'app.oam.dev/component=nginx',
      '--overwrite',
    ]);
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      stringify({
        apiVersion: 'standard.oam.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'nginx' },
        spec: { targetRevisionName: 'nginx-v1', componentName: 'nginx', rolloutPlan: {} },
      }),
    );
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'rollout.standard.oam.dev',
      'nginx',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"rollingState":"rollingInBatches"}}',
    ]);
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      ihpa('gated', { portraitProviders: [staticProvider(3)] }),
    );
    const waiting = await watchUntil<Ihpa>(
      ihpas(),
      (m) => scalingActive(m.get('gated'))?.reason === 'RolloutInProgress',
      {
        what: 'RolloutInProgress',
      },
    );
    expect(scalingActive(waiting.get('gated'))).toMatchObject({
      status: 'False',
      message: 'Rollout nginx owns the replicas until it succeeds (rollingState: rollingInBatches)',
    });
    expect((await kubectl(['-n', ns, 'get', 'replicaprofile', 'gated'])).code).not.toBe(0);

    await kubectlOk([
      '-n',
      ns,
      'patch',
      'rollout.standard.oam.dev',
      'nginx',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"rollingState":"rolloutSucceed"}}',
    ]);
    await watchUntil<StatefulSet>(
      `/apis/apps/v1/namespaces/${ns}/statefulsets`,
      (m) => m.get('nginx')?.spec?.replicas === 3,
      {
        what: 'StatefulSet scaled to 3 after the Rollout succeeded',
        timeoutMs: 20_000,
      },
    );
    const events = describedEvents(await kubectlOk(['-n', ns, 'describe', 'ihpa', 'gated']));
    expect(events.map((e) => e[3])).toEqual([
      'create ReplicaProfile with onlineReplcas: 3, cutoffReplicas: 0, standbyReplicas: 0',
    ]);
  });
});
