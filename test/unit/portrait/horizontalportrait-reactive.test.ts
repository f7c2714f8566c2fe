import { KubeClient } from '../../../controllers/kit/client.js';
import { MetricUnavailableError, type MetricsSource } from '../../../controllers/metrics/index.js';
import {
  PortraitSpecError,
  generateReactivePortrait,
  generatorFor,
  kubeHPASettings,
  podSnapshot,
  type HorizontalPortrait,
  type Pod,
} from '../../../controllers/portrait/horizontalportrait/index.js';
import { FakeTransport, status } from '../kit/fake-transport.js';

const NOW = new Date('2024-05-01T10:00:00Z');

describe('kubeHPASettings', () => {
  it("uses upstream's defaults", () => {
    expect(kubeHPASettings(undefined)).toEqual({
      syncPeriodMs: 15_000,
      tolerance: 0.1,
      cpuInitializationPeriodSeconds: 300,
      initialReadinessDelaySeconds: 30,
    });
  });

  it('parses Go durations and the tolerance string', () => {
    expect(
      kubeHPASettings({
        syncPeriod: '1m30s',
        tolerance: '0.05',
        cpuInitializationPeriod: '2m',
        initialReadinessDelay: '500ms',
      }),
    ).toEqual({
      syncPeriodMs: 90_000,
      tolerance: 0.05,
      cpuInitializationPeriodSeconds: 120,
      initialReadinessDelaySeconds: 0.5,
    });
  });

  it.each([
    [{ syncPeriod: 'often' }, 'algorithm.kubeHPA.syncPeriod: invalid duration "often"'],
    [{ syncPeriod: '100ms' }, 'algorithm.kubeHPA.syncPeriod: must be at least 1s'],
    [{ tolerance: 'a lot' }, 'algorithm.kubeHPA.tolerance: invalid number "a lot"'],
  ])('rejects %j', (config, message) => {
    expect(() => kubeHPASettings(config)).toThrow(PortraitSpecError);
    expect(() => kubeHPASettings(config)).toThrow(message);
  });
});

describe('podSnapshot', () => {
  it('takes phase, readiness, times and requests (sidecars included)', () => {
    const pod: Pod = {
      metadata: { name: 'web-0', deletionTimestamp: '2024-05-01T10:00:05Z' },
      spec: {
        containers: [{ name: 'app', resources: { requests: { cpu: '250m' } } }],
        initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } }],
      },
      status: {
        phase: 'Running',
        startTime: '2024-05-01T09:00:00Z',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2024-05-01T09:30:00Z' }],
      },
    };
    expect(podSnapshot(pod)).toEqual({
      name: 'web-0',
      phase: 'Running',
      ready: false,
      readyTransitionTime: new Date('2024-05-01T09:30:00Z'),
      startTime: new Date('2024-05-01T09:00:00Z'),
      deletionTimestamp: new Date('2024-05-01T10:00:05Z'),
      containers: [{ name: 'app', requests: { cpu: '250m' } }],
      initContainers: [{ name: 'proxy', restartPolicy: 'Always', requests: { cpu: '50m' } }],
    });
    expect(podSnapshot({ metadata: { name: 'new' } })).toEqual({
      name: 'new',
      phase: 'Unknown',
      containers: [],
    });
  });
});

function portrait(metrics: HorizontalPortrait['spec']['metrics']): HorizontalPortrait {
  return {
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'HorizontalPortrait',
    metadata: { name: 'nginx-reactive', namespace: 'default', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      portraitType: 'Reactive',
      metrics,
      algorithm: { type: 'KubeHPA' },
    },
  };
}

const nginxPod: Pod = {
  metadata: { name: 'nginx-0' },
  spec: {
    containers: [
      { name: 'a', resources: { requests: { cpu: '300m' } } },
      { name: 'b', resources: { requests: { cpu: '300m' } } },
      { name: 'c', resources: { requests: { cpu: '400m' } } },
    ],
  },
  status: {
    phase: 'Running',
    startTime: '2024-05-01T09:00:00Z',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T09:00:10Z' }],
  },
};

const source: MetricsSource = {
  description: 'fake',
  resourceMetrics: async (scope) => {
    expect(scope).toEqual({ namespace: 'default', selector: 'app=nginx', podNames: ['nginx-0'] });
    return [
      {
        pod: 'nginx-0',
        timestamp: new Date('2024-05-01T09:59:45Z'),
        windowSeconds: 30,
        containers: [
          { name: 'a', value: '300m' },
          { name: 'b', value: '500m' },
          { name: 'c', value: '700m' },
        ],
      },
    ];
  },
  podMetrics: async (_scope, metric) => {
    throw new MetricUnavailableError(`unknown metric ${metric.name}`);
  },
  objectMetric: async () => ({ value: '0' }),
  externalMetric: async () => ({ values: [] }),
};

function clientWithScale(replicas: number) {
  const transport = new FakeTransport((request) => {
    if (request.path === '/apis/apps/v1/namespaces/default/statefulsets/nginx/scale') {
      return { body: { kind: 'Scale', spec: { replicas }, status: { replicas, selector: 'app=nginx' } } };
    }
    return status(404, 'NotFound', `${request.path} not found`);
  });
  return { transport, client: new KubeClient(transport) };
}

describe('generateReactivePortrait', () => {
  const cpu30 = {
    type: 'Resource',
    resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
  };

  it("reaches Kapacity's 5 replicas from the scale target, its pods and the metrics", async () => {
    const { client, transport } = clientWithScale(1);
    const selectors: string[] = [];
    const result = await generateReactivePortrait(portrait([cpu30]), kubeHPASettings(undefined), {
      client,
      source,
      pods: (namespace, selector) => {
        selectors.push(`${namespace}|${selector}`);
        return [nginxPod];
      },
      now: NOW,
    });
    expect(result.replicas).toBe(5);
    expect(selectors).toEqual(['default|app=nginx']);
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/apps/v1/namespaces/default/statefulsets/nginx/scale',
    ]);
  });

  it('fails with the metric and the reason when the only metric is unknown', async () => {
    const { client } = clientWithScale(1);
    await expect(
      generateReactivePortrait(
        portrait([
          { type: 'Pods', pods: { metric: { name: 'no_such_metric' }, target: { averageValue: '1' } } },
        ]),
        kubeHPASettings(undefined),
        { client, source, pods: () => [nginxPod], now: NOW },
      ),
    ).rejects.toThrow(
      'invalid metrics (1 invalid out of 1), first error is: pods metric no_such_metric: unknown metric no_such_metric',
    );
  });

  it('still scales up when another metric fails, as the HPA does', async () => {
    const { client } = clientWithScale(1);
    const result = await generateReactivePortrait(
      portrait([cpu30, { type: 'Pods', pods: { metric: { name: 'nope' }, target: { averageValue: '1' } } }]),
      kubeHPASettings(undefined),
      { client, source, pods: () => [nginxPod], now: NOW },
    );
    expect(result.replicas).toBe(5);
    expect(result.calculation.failures).toHaveLength(1);
  });

  it('explains a scale target it cannot read', async () => {
    const transport = new FakeTransport(() => status(404, 'NotFound', 'statefulsets.apps "nginx" not found'));
    await expect(
      generateReactivePortrait(portrait([cpu30]), kubeHPASettings(undefined), {
        client: new KubeClient(transport),
        source,
        pods: () => [],
        now: NOW,
      }),
    ).rejects.toThrow(/^failed to get the scale of StatefulSet nginx: .*not found/);
  });

  it('needs metrics', async () => {
    const { client } = clientWithScale(1);
    await expect(
      generateReactivePortrait(portrait([]), kubeHPASettings(undefined), {
        client,
        source,
        pods: () => [],
        now: NOW,
      }),
    ).rejects.toThrow(PortraitSpecError);
  });
});

describe('generatorFor', () => {
  it('routes by portrait type and algorithm', () => {
    const hp = portrait([]);
    expect(generatorFor(hp)).toEqual({ generator: 'reactive' });
    hp.spec.portraitType = 'Predictive';
    hp.spec.algorithm.type = 'ExternalJob';
    expect(generatorFor(hp)).toEqual({ generator: 'predictive' });
    hp.spec.algorithm.type = 'KubeHPA';
    expect(generatorFor(hp)).toEqual({
      unsupported:
        'portrait type Predictive with algorithm KubeHPA is not supported (Reactive with KubeHPA, Predictive with ExternalJob are)',
    });
  });
});
