// Reactive portraits against a real Prometheus: the test serves metrics on loopback whose values
// it sets, Prometheus scrapes them every second, and the controller's KubeHPA calculation shows
// up in the HorizontalPortraits' status. Covers a Resource (cpu utilization) metric through
// resourceRules, the walkthrough's nginx_ingress_controller_requests_rate rule exactly as
// written (an Object metric on an Ingress), a scale-up and a scale-down of both, and an unknown
// metric reported as FailedGeneratePortrait.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startPrometheus, type PrometheusServer } from '../../hack/prometheus.js';
import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

interface HorizontalPortrait {
  metadata: { name: string };
  status?: {
    portraitData?: { type?: string; static?: { replicas?: number } };
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}
interface Pod {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** The seed's rule, verbatim (section 1.3 of the walkthrough). */
const SEED_RULE = `rules:
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: round(sum(irate(<<.Series>>{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>), 0.001)
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
    # overrides:
    #   exported_namespace:
    #     resource: namespace
`;

const METRICS_CONFIG = `resourceRules:
  cpu:
    containerQuery: sum(test_container_cpu_cores{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  window: 1s
${SEED_RULE}externalRules: []
`;

/**
 * What the exporter serves: cpu gauges per container, and the ingress request counter, whose
 * value is the integral of a settable rate. Samples carry explicit timestamps so the rate
 * Prometheus computes is exact whatever the scrape jitter.
 */
class Exporter {
  readonly cpu = new Map<string, { pod: string; container: string; cores: number }>();
  private counter = 0;
  private rate = 0;
  private since = Date.now();
  private server?: Server;
  constructor(private readonly namespace: string) {}

  setRate(perSecond: number): void {
    this.counter = this.valueAt(Date.now());
    this.since = Date.now();
    this.rate = perSecond;
  }

  private valueAt(ms: number): number {
    return this.counter + (this.rate * (ms - this.since)) / 1000;
  }

  render(): string {
    const now = Date.now();
    const lines = ['# TYPE test_container_cpu_cores gauge'];
    for (const { pod, container, cores } of this.cpu.values()) {
      lines.push(
        `test_container_cpu_cores{namespace="${this.namespace}",pod="${pod}",container="${container}"} ${cores}`,
      );
    }
    lines.push('# TYPE nginx_ingress_controller_requests counter');
    lines.push(
      `nginx_ingress_controller_requests{namespace="${this.namespace}",ingress="nginx-server",status="200"} ${this.valueAt(now)} ${now}`,
    );
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<string> {
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function deployment(
  name: string,
  replicas: number,
  containers: Array<{ name: string; cpu: string }>,
): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: containers.map((c) => ({
            name: c.name,
            image: 'nginx:1.27',
            resources: { requests: { cpu: c.cpu } },
          })),
        },
      },
    },
  });
}

function reactivePortrait(name: string, target: string, metric: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'HorizontalPortrait',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      portraitType: 'Reactive',
      metrics: [metric],
      algorithm: { type: 'KubeHPA', kubeHPA: { syncPeriod: '1s' } },
    },
  });
}

const replicasOf = (hp: HorizontalPortrait | undefined): number | undefined =>
  hp?.status?.portraitData?.static?.replicas;
const generated = (hp: HorizontalPortrait | undefined) =>
  hp?.status?.conditions?.find((c) => c.type === 'PortraitGenerated');
const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('reactive HorizontalPortrait (KubeHPA) with Prometheus', () => {
  let ns: string;
  let exporter: Exporter;
  let prometheus: PrometheusServer | undefined;
  let controller: ControllerProcess | undefined;
  const portraits = () => `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/horizontalportraits`;

  beforeAll(async () => {
    ns = await createNamespace('portrait-reactive');
    exporter = new Exporter(ns);
    const target = await exporter.start();
    prometheus = await startPrometheus({ targets: [target] });
  });

  afterAll(async () => {
    await controller?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    await deleteNamespace(ns);
  });

  test('portraits follow the metrics up and down', async () => {
    await kubectlOk([
      '-n',
      ns,
      'create',
      'configmap',
      'kapacity-config',
      `--from-literal=prometheus-metrics-config.yaml=${METRICS_CONFIG}`,
    ]);
    // The walkthrough's cpu case: one pod requesting 1 CPU across three containers.
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      deployment('web', 1, [
        { name: 'a', cpu: '300m' },
        { name: 'b', cpu: '300m' },
        { name: 'c', cpu: '400m' },
      ]),
    );
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], deployment('front', 4, [{ name: 'nginx', cpu: '100m' }]));
    const webPods = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => [...m.values()].filter(isReady).length === 1,
      {
        labelSelector: 'app=web',
      },
    );
    await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => [...m.values()].filter(isReady).length === 4,
      {
        labelSelector: 'app=front',
      },
    );
    const webPod = [...webPods.keys()][0] as string;
    const setCpu = (a: number, b: number, c: number): void => {
      exporter.cpu.set('a', { pod: webPod, container: 'a', cores: a });
      exporter.cpu.set('b', { pod: webPod, container: 'b', cores: b });
      exporter.cpu.set('c', { pod: webPod, container: 'c', cores: c });
    };
    setCpu(0.3, 0.5, 0.7);
    exporter.setRate(95);

    for (const hp of [
      reactivePortrait('web-reactive', 'web', {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
      }),
      reactivePortrait('front-reactive', 'front', {
        type: 'Object',
        object: {
          describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'nginx-server' },
          metric: { name: 'nginx_ingress_controller_requests_rate' },
          target: { type: 'AverageValue', averageValue: '10' },
        },
      }),
      reactivePortrait('unknown-reactive', 'front', {
        type: 'Pods',
        pods: { metric: { name: 'no_such_metric' }, target: { type: 'AverageValue', averageValue: '1' } },
      }),
    ]) {
      await kubectlOk(['-n', ns, 'apply', '-f', '-'], hp);
    }

    controller = await startController({
      controllers: ['portrait'],
      namespace: ns,
      extraArgs: [`--prometheus-address=${prometheus?.url}`],
    });

    // Scale-up: 1500m of 1000m requested = 150 % against 30 % → 5; 95 rps at 10 per replica → 10.
    const up = await watchUntil<HorizontalPortrait>(
      portraits(),
      (m) =>
        replicasOf(m.get('web-reactive')) === 5 &&
        replicasOf(m.get('front-reactive')) === 10 &&
        generated(m.get('unknown-reactive'))?.reason === 'FailedGeneratePortrait',
      { timeoutMs: 90_000, what: 'portraits after the load rises' },
    );
    expect(up.get('web-reactive')?.status?.portraitData?.type).toBe('Static');
    expect(generated(up.get('web-reactive'))).toMatchObject({
      status: 'True',
      reason: 'SucceededGeneratePortrait',
      message: 'portrait has been successfully generated',
    });
    const unknown = generated(up.get('unknown-reactive'));
    expect(unknown?.status).toBe('False');
    expect(unknown?.message).toMatch(/^failed to generate portrait: .*unknown metric no_such_metric/);
    expect(up.get('unknown-reactive')?.status?.portraitData).toBeUndefined();

    // Scale-down: 150m of 1000m = 15 % → 1; 15 rps → 2.
    setCpu(0.05, 0.05, 0.05);
    exporter.setRate(15);
    await watchUntil<HorizontalPortrait>(
      portraits(),
      (m) => replicasOf(m.get('web-reactive')) === 1 && replicasOf(m.get('front-reactive')) === 2,
      { timeoutMs: 90_000, what: 'portraits after the load drops' },
    );
  });
});
