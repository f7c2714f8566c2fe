import { KubeClient } from '../../../controllers/kit/client.js';
import {
  KubernetesMetricsSource,
  MetricUnavailableError,
  observeMetrics,
  type MetricsSource,
} from '../../../controllers/metrics/index.js';
import { calculateReplicas, type MetricSpec } from '../../../controllers/portrait/index.js';
import { FakeTransport, status, type FakeReply, type RecordedRequest } from '../kit/fake-transport.js';

const SCOPE = { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] };

function sourceWith(handler: (request: RecordedRequest) => FakeReply) {
  const transport = new FakeTransport(handler);
  return { transport, source: new KubernetesMetricsSource(new KubeClient(transport)) };
}

describe('KubernetesMetricsSource', () => {
  it('reads per-container usage from metrics.k8s.io', async () => {
    const { transport, source } = sourceWith(() => ({
      body: {
        items: [
          {
            metadata: { name: 'web-0' },
            timestamp: '2024-05-01T10:00:00Z',
            window: '30s',
            containers: [
              { name: 'app', usage: { cpu: '250m', memory: '64Mi' } },
              { name: 'sidecar', usage: { cpu: '10m', memory: '8Mi' } },
            ],
          },
        ],
      },
    }));
    await expect(source.resourceMetrics(SCOPE, 'cpu')).resolves.toEqual([
      {
        pod: 'web-0',
        timestamp: new Date('2024-05-01T10:00:00Z'),
        windowSeconds: 30,
        containers: [
          { name: 'app', value: '250m' },
          { name: 'sidecar', value: '10m' },
        ],
      },
    ]);
    expect(transport.requests[0]?.path).toBe('/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods');
    expect(transport.requests[0]?.query.get('labelSelector')).toBe('app=web');
  });

  it('asks custom.metrics.k8s.io for pods with both selectors', async () => {
    const { transport, source } = sourceWith(() => ({
      body: {
        items: [
          { describedObject: { kind: 'Pod', name: 'web-0' }, timestamp: '2024-05-01T10:00:00Z', value: '12' },
        ],
      },
    }));
    const samples = await source.podMetrics(SCOPE, {
      name: 'http_requests',
      selector: { matchLabels: { verb: 'GET' } },
    });
    expect(samples).toEqual([{ pod: 'web-0', timestamp: new Date('2024-05-01T10:00:00Z'), value: '12' }]);
    const request = transport.requests[0];
    expect(request?.path).toBe('/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/*/http_requests');
    expect(request?.query.get('labelSelector')).toBe('app=web');
    expect(request?.query.get('metricLabelSelector')).toBe('verb=GET');
  });

  it('addresses an object metric by its group-qualified resource', async () => {
    const { transport, source } = sourceWith((request) =>
      request.path === '/apis/networking.k8s.io/v1'
        ? { body: { resources: [{ name: 'ingresses', kind: 'Ingress', namespaced: true }] } }
        : { body: { items: [{ value: '95', timestamp: '2024-05-01T10:00:00Z' }] } },
    );
    const value = await source.objectMetric(
      'shop',
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'nginx-server' },
      { name: 'requests_rate' },
    );
    expect(value).toEqual({ value: '95', timestamp: new Date('2024-05-01T10:00:00Z') });
    expect(transport.requests.map((r) => r.path)).toContain(
      '/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/ingresses.networking.k8s.io/nginx-server/requests_rate',
    );
  });

  it('reads all series of an external metric', async () => {
    const { transport, source } = sourceWith(() => ({
      body: {
        items: [
          { metricName: 'queue', value: '3' },
          { metricName: 'queue', value: '4' },
        ],
      },
    }));
    await expect(
      source.externalMetric('shop', { name: 'queue', selector: { matchLabels: { q: 'a' } } }),
    ).resolves.toEqual({
      values: ['3', '4'],
    });
    expect(transport.requests[0]?.path).toBe('/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue');
    expect(transport.requests[0]?.query.get('labelSelector')).toBe('q=a');
  });

  it('reports an API that is not served (or a metric it does not know) as unavailable', async () => {
    const { source } = sourceWith(() =>
      status(404, 'NotFound', 'the server could not find the requested resource'),
    );
    const failure = source.podMetrics(SCOPE, { name: 'http_requests' });
    await expect(failure).rejects.toThrow(MetricUnavailableError);
    await expect(failure).rejects.toThrow(
      /unable to get pods metric http_requests from custom\.metrics\.k8s\.io: .*404/,
    );
  });
});

describe('observeMetrics', () => {
  /** A source answering from tables; unknown names fail the way real sources do. */
  const fake: MetricsSource = {
    description: 'fake',
    resourceMetrics: async (_scope, resource) => {
      if (resource !== 'cpu') throw new Error(`no ${resource}`);
      return [
        {
          pod: 'web-0',
          timestamp: new Date('2024-05-01T09:59:50Z'),
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
    objectMetric: async () => ({ value: '40' }),
    externalMetric: async () => ({ values: ['1', '2'] }),
  };

  const cpu30: MetricSpec = {
    type: 'Resource',
    resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
  };

  it('makes one observation per metric, in order, turning failures into failed observations', async () => {
    const observations = await observeMetrics(
      fake,
      [
        cpu30,
        { type: 'Pods', pods: { metric: { name: 'nope' }, target: { averageValue: '1' } } },
        {
          type: 'Object',
          object: {
            describedObject: { kind: 'Ingress', name: 'i' },
            metric: { name: 'm' },
            target: { value: '1' },
          },
        },
        { type: 'External', external: { metric: { name: 'q' }, target: { value: '1' } } },
        { type: 'Resource' },
        { type: 'Custom' },
      ],
      SCOPE,
    );
    expect(observations.map((o) => o.kind)).toEqual([
      'pods',
      'failed',
      'object',
      'external',
      'failed',
      'failed',
    ]);
    expect(observations[1]).toEqual({ kind: 'failed', error: 'unknown metric nope' });
    expect(observations[4]).toEqual({
      kind: 'failed',
      error: 'metric of type Resource has no resource section',
    });
    expect(observations[5]).toEqual({ kind: 'failed', error: 'unknown metric source type "Custom"' });
  });

  it("feeds the calculator: Kapacity's example (300m+500m+700m of 1 CPU at 30 %) gives 5", async () => {
    const now = new Date('2024-05-01T10:00:00Z');
    const observations = await observeMetrics(fake, [cpu30], SCOPE);
    const result = calculateReplicas({
      metrics: [cpu30],
      observations,
      pods: [
        {
          name: 'web-0',
          phase: 'Running',
          ready: true,
          startTime: new Date('2024-05-01T09:00:00Z'),
          readyTransitionTime: new Date('2024-05-01T09:00:30Z'),
          containers: [
            { name: 'a', requests: { cpu: '300m' } },
            { name: 'b', requests: { cpu: '300m' } },
            { name: 'c', requests: { cpu: '400m' } },
          ],
        },
      ],
      currentReplicas: 1,
      now,
    });
    expect(result).toMatchObject({ ok: true, replicas: 5 });
  });
});
