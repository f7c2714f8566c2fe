// Smoke tests of the local control plane itself: real scheduling, real Deployment and
// EndpointSlice controllers, KWOK pods whose readiness follows their readiness gates.
import { createNamespace, deleteNamespace, kubectl, kubectlOk, watchUntil } from './support.js';

interface Pod {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface EndpointSlice {
  metadata: { name: string };
  endpoints?: Array<{ targetRef?: { name: string }; conditions?: { ready?: boolean } }>;
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const readyEndpoints = (slices: Map<string, EndpointSlice>) =>
  [...slices.values()].flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true);

function deployment(ns: string, name: string, replicas: number, readinessGate?: string) {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(readinessGate ? { readinessGates: [{ conditionType: readinessGate }] } : {}),
          containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }],
        },
      },
    },
  });
}

function service(ns: string, name: string) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 80 }] },
  });
}

describe('local control plane', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('smoke');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
  });

  test('serves the pinned Kubernetes version with RBAC on, all on loopback', async () => {
    const version = JSON.parse(await kubectlOk(['version', '-o', 'json']));
    expect(version.serverVersion.gitVersion).toBe('v1.33.13');
    const cfg = await kubectlOk([
      'config',
      'view',
      '--minify',
      '-o',
      'jsonpath={.clusters[0].cluster.server}',
    ]);
    expect(cfg).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // RBAC is real: an unprivileged service account may not list secrets.
    const res = await kubectl([
      'auth',
      'can-i',
      'list',
      'secrets',
      '--as',
      `system:serviceaccount:${ns}:default`,
      '-n',
      ns,
    ]);
    expect(res.stdout.trim()).toBe('no');
  });

  test('three fake nodes are Ready', async () => {
    const out = await kubectlOk([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    expect(out.trim().split('\n').sort()).toEqual([
      'kwok-node-0=True',
      'kwok-node-1=True',
      'kwok-node-2=True',
    ]);
  });

  test('a Deployment of 3 gets 3 Ready pods and its Service 3 ready endpoints', async () => {
    await kubectlOk(['apply', '-f', '-'], deployment(ns, 'web', 3));
    await kubectlOk(['apply', '-f', '-'], service(ns, 'web'));
    const pods = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => [...m.values()].filter(isReady).length === 3,
      {
        labelSelector: 'app=web',
      },
    );
    expect([...pods.values()].filter(isReady)).toHaveLength(3);
    const slices = await watchUntil<EndpointSlice>(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      (m) => readyEndpoints(m).length === 3,
      { labelSelector: 'kubernetes.io/service-name=web' },
    );
    expect(
      readyEndpoints(slices)
        .map((e) => e.targetRef?.name)
        .sort(),
    ).toEqual([...pods.keys()].sort());
  });

  test('a pod whose kapacitystack.io/online condition turns False leaves the EndpointSlice within 5 s, and comes back', async () => {
    const gate = 'kapacitystack.io/online';
    await kubectlOk(['apply', '-f', '-'], deployment(ns, 'gated', 3, gate));
    await kubectlOk(['apply', '-f', '-'], service(ns, 'gated'));
    const pods = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => [...m.values()].filter(isReady).length === 3,
      {
        labelSelector: 'app=gated',
      },
    );
    await watchUntil<EndpointSlice>(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      (m) => readyEndpoints(m).length === 3,
      {
        labelSelector: 'kubernetes.io/service-name=gated',
      },
    );
    const victim = [...pods.keys()].sort()[0] as string;
    const setGate = (status: 'True' | 'False') =>
      kubectlOk([
        'patch',
        'pod',
        victim,
        '-n',
        ns,
        '--subresource=status',
        '--type=strategic',
        '-p',
        JSON.stringify({
          status: { conditions: [{ type: gate, status, lastTransitionTime: new Date().toISOString() }] },
        }),
      ]);

    const cutAt = Date.now();
    await setGate('False');
    const slicesAfterCut = await watchUntil<EndpointSlice>(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      (m) => readyEndpoints(m).length === 2,
      { labelSelector: 'kubernetes.io/service-name=gated', timeoutMs: 5000 },
    );
    expect(Date.now() - cutAt).toBeLessThan(5000);
    expect(readyEndpoints(slicesAfterCut).map((e) => e.targetRef?.name)).not.toContain(victim);
    const cutPod = JSON.parse(await kubectlOk(['get', 'pod', victim, '-n', ns, '-o', 'json'])) as Pod & {
      status: { phase: string };
    };
    expect(isReady(cutPod)).toBe(false);
    expect(cutPod.status.phase).toBe('Running'); // cut off from traffic, still running

    await setGate('True');
    const slicesAfterRestore = await watchUntil<EndpointSlice>(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      (m) => readyEndpoints(m).length === 3,
      { labelSelector: 'kubernetes.io/service-name=gated', timeoutMs: 5000 },
    );
    expect(readyEndpoints(slicesAfterRestore).map((e) => e.targetRef?.name)).toContain(victim);
  });
});
