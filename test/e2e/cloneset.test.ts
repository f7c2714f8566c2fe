// OpenKruise's real kruise-manager on the local control plane: a CloneSet gets pods, and an
// in-place image update keeps the pods (same UIDs) while KWOK reports the new image, as a
// kubelet restarting the container would.
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

interface CloneSet {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReadyReplicas?: number;
    replicas?: number;
  };
}
interface Pod {
  metadata: { name: string; uid: string };
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ image: string; ready: boolean }>;
  };
}

const cloneSet = (ns: string, image: string) =>
  JSON.stringify({
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'cs', namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'cs' } },
      updateStrategy: { type: 'InPlaceIfPossible' },
      template: {
        metadata: { labels: { app: 'cs' } },
        spec: { containers: [{ name: 'main', image }] },
      },
    },
  });

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('OpenKruise CloneSet', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('kruise');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
  });

  test('gets Ready pods and updates them in place', async () => {
    await kubectlOk(['apply', '-f', '-'], cloneSet(ns, 'nginx:1.27'));
    const before = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => [...m.values()].filter(isReady).length === 2,
      {
        labelSelector: 'app=cs',
      },
    );
    const uidsBefore = [...before.values()].map((p) => p.metadata.uid).sort();
    await watchUntil<CloneSet>(
      `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets`,
      (m) => m.get('cs')?.status?.readyReplicas === 2,
    );

    await kubectlOk(['apply', '-f', '-'], cloneSet(ns, 'nginx:1.28'));
    const after = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) =>
        m.size === 2 &&
        [...m.values()].every((p) => isReady(p) && p.status?.containerStatuses?.[0]?.image === 'nginx:1.28'),
      { labelSelector: 'app=cs' },
    );
    expect([...after.values()].map((p) => p.metadata.uid).sort()).toEqual(uidsBefore);
    const cs = await watchUntil<CloneSet>(
      `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets`,
      (m) => m.get('cs')?.status?.updatedReadyReplicas === 2,
    );
    expect(cs.get('cs')?.status?.replicas).toBe(2);
  });
});
