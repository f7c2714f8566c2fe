// An IHPA whose scaleTargetRef names a workload that does not exist, on the local cluster: it
// reports ScalingActive False (FailedGetScale, naming the kind and name) with one Warning Event,
// applies nothing, and recovers by itself once the workload is created. Nothing requeues a
// missing target (no wake-up, no error), so the recovery is the workload watch's doing. And an
// IHPA asking for 2^31 replicas is refused by the API server, naming the field.
import { stringify } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import { describedEvents } from './ihpa-support.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, watchUntil } from './support.js';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Ihpa {
  metadata: { name: string };
  status?: { conditions?: Condition[]; currentPortraitValue?: { replicas?: number } };
}
interface Workload {
  metadata: { name: string };
  spec?: { replicas?: number };
}

const MESSAGE = 'the scale target StatefulSet "late" (apps/v1) was not found; scaling starts once it exists';

function ihpa(name: string, target: string, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: target },
      minReplicas: 1,
      maxReplicas: 5,
      portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 2 } }],
      ...extra,
    },
  });
}

const STATEFULSET = `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: late
spec:
  serviceName: late
  replicas: 1
  selector:
    matchLabels: {app: late}
  template:
    metadata:
      labels: {app: late}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
`;

const scalingActive = (i: Ihpa | undefined) => i?.status?.conditions?.find((c) => c.type === 'ScalingActive');

describe('IHPA scale target missing, then created', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('ihpa-missing');
    controller = await startController({ controllers: ['ihpa', 'replicaprofile'], namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  const ihpas = () =>
    `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/intelligenthorizontalpodautoscalers`;

  test('reports FailedGetScale once, applies nothing, and scales the workload once it appears', async () => {
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], ihpa('waits', 'late'));
    const failed = await watchUntil<Ihpa>(
      ihpas(),
      (m) => scalingActive(m.get('waits'))?.reason === 'FailedGetScale',
      { what: 'ScalingActive FailedGetScale' },
    );
    expect(scalingActive(failed.get('waits'))).toMatchObject({
      status: 'False',
      reason: 'FailedGetScale',
      message: MESSAGE,
    });
    expect(failed.get('waits')?.status?.currentPortraitValue).toBeUndefined();
    expect((await kubectl(['-n', ns, 'get', 'replicaprofile', 'waits'])).code).not.toBe(0);
    expect(describedEvents(await kubectlOk(['-n', ns, 'describe', 'ihpa', 'waits']))).toEqual([
      ['Warning', 'FailedGetScale', 'ihpa_controller', MESSAGE],
    ]);

    // The workload appears: its add event reconciles the IHPA, which scales it to the portrait.
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], STATEFULSET);
    const recovered = await watchUntil<Ihpa>(
      ihpas(),
      (m) =>
        scalingActive(m.get('waits'))?.reason === 'SucceededAutoscaling' &&
        m.get('waits')?.status?.currentPortraitValue?.replicas === 2,
      { what: 'ScalingActive SucceededAutoscaling after the StatefulSet was created' },
    );
    expect(scalingActive(recovered.get('waits'))?.status).toBe('True');
    await watchUntil<Workload>(
      `/apis/apps/v1/namespaces/${ns}/statefulsets`,
      (m) => m.get('late')?.spec?.replicas === 2,
      { what: 'StatefulSet late scaled to 2' },
    );
    // One Warning for the whole episode; the recovery is reported as usual.
    const events = describedEvents(await kubectlOk(['-n', ns, 'describe', 'ihpa', 'waits']));
    expect(events.filter(([type]) => type === 'Warning')).toEqual([
      ['Warning', 'FailedGetScale', 'ihpa_controller', MESSAGE],
    ]);
    expect(events.map(([, reason]) => reason)).toContain('CreateReplicaProfile');

    // Deleted again: reported again (a new episode), the ReplicaProfile is left as it is.
    await kubectlOk(['-n', ns, 'delete', 'statefulset.apps', 'late', '--wait=false']);
    await watchUntil<Ihpa>(ihpas(), (m) => scalingActive(m.get('waits'))?.reason === 'FailedGetScale', {
      what: 'FailedGetScale after the StatefulSet was deleted',
    });
  });

  test.each([
    ['maxReplicas', { maxReplicas: 2147483648 }, 'spec.maxReplicas'],
    [
      'a static replicas',
      { portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 2147483648 } }] },
      'spec.portraitProviders[0].static.replicas',
    ],
    [
      'a priority',
      { portraitProviders: [{ type: 'Static', priority: 2147483648, static: { replicas: 1 } }] },
      'spec.portraitProviders[0].priority',
    ],
  ])('%s of 2^31 is refused, naming the field', async (_what, extra, field) => {
    const result = await kubectl(['-n', ns, 'apply', '-f', '-'], ihpa('huge', 'late', extra));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${field} in body should be less than or equal to 2147483647`);
  });
});
