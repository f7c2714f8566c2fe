import { FakeClock } from '../../../controllers/kit/clock.js';
import { builtin, type ResourceDescriptor } from '../../../controllers/kit/discovery.js';
import {
  MetricUnavailableError,
  PrometheusMetricsSource,
  parsePrometheusMetricsConfig,
  type HttpFetch,
  type SeriesLabels,
} from '../../../controllers/metrics/index.js';

const CONFIG = parsePrometheusMetricsConfig(`
resourceRules:
  cpu:
    containerQuery: sum(cpu_cores{<<.LabelMatchers>>}) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
    containerLabel: container
  window: 30s
rules:
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: round(sum(irate(<<.Series>>{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>), 0.001)
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
- seriesQuery: '{__name__="http_inflight"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
  resources:
    template: <<.Resource>>
externalRules:
- seriesQuery: '{__name__="queue_depth"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)
  resources:
    overrides:
      namespace: {resource: namespace}
`);

const NOW = new Date('2024-05-01T10:00:00Z');
const INGRESS: ResourceDescriptor = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
};

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

/** A stand-in for Prometheus' HTTP API: series by selector, query answers by a function. */
class FakePrometheus {
  readonly queries: string[] = [];
  readonly seriesCalls: string[] = [];
  constructor(
    public series: Record<string, SeriesLabels[]>,
    public answer: (query: string) => Vector | { status: number; error: string },
  ) {}

  fetch: HttpFetch = async (url, init) => {
    const form = new URLSearchParams(init.body);
    const path = new URL(url).pathname;
    let body: unknown;
    let status = 200;
    if (path === '/prom/api/v1/series') {
      const match = form.get('match[]') ?? '';
      this.seriesCalls.push(match);
      body = { status: 'success', data: this.series[match] ?? [] };
    } else if (path === '/prom/api/v1/query') {
      const query = form.get('query') ?? '';
      expect(form.get('time')).toBe(String(NOW.getTime() / 1000));
      this.queries.push(query);
      const answer = this.answer(query);
      if ('error' in answer) {
        status = answer.status;
        body = { status: 'error', errorType: 'bad_data', error: answer.error };
      } else {
        body = { status: 'success', data: { resultType: 'vector', result: answer } };
      }
    } else {
      status = 404;
      body = 'not found';
    }
    return { status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
}

function source(prometheus: FakePrometheus, clock = new FakeClock(NOW)) {
  return new PrometheusMetricsSource({
    address: 'http://prometheus.test/prom/',
    config: () => CONFIG,
    resourceFor: async (apiVersion, kind) => {
      if (apiVersion === 'networking.k8s.io/v1' && kind === 'Ingress') return INGRESS;
      if (kind === 'Pod') return builtin.Pod;
      throw new Error(`no ${kind}`);
    },
    clock,
    fetch: prometheus.fetch,
  });
}

const at = NOW.getTime() / 1000;

describe('PrometheusMetricsSource', () => {
  it('answers the seed ingress metric through series discovery and the rule template', async () => {
    const prometheus = new FakePrometheus(
      {
        '{__name__="nginx_ingress_controller_requests"}': [
          {
            __name__: 'nginx_ingress_controller_requests',
            namespace: 'default',
            ingress: 'nginx-server',
            status: '200',
          },
        ],
      },
      () => [{ metric: { ingress: 'nginx-server' }, value: [at, '95.5'] }],
    );
    const value = await source(prometheus).objectMetric(
      'default',
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'nginx-server' },
      { name: 'nginx_ingress_controller_requests_rate' },
    );
    expect(value).toEqual({ value: '95500m', timestamp: NOW });
    expect(prometheus.queries).toEqual([
      'round(sum(irate(nginx_ingress_controller_requests{namespace="default",ingress="nginx-server"}[3m])) by (ingress), 0.001)',
    ]);
  });

  it('groups resource metrics by pod and container, with the rules window', async () => {
    const prometheus = new FakePrometheus({}, () => [
      { metric: { pod: 'web-0', container: 'a' }, value: [at, '0.3'] },
      { metric: { pod: 'web-0', container: 'b' }, value: [at, '0.57'] },
      { metric: { pod: 'web-1', container: 'a' }, value: [at, '1'] },
    ]);
    const samples = await source(prometheus).resourceMetrics(
      { namespace: 'shop', selector: 'app=web', podNames: ['web-0', 'web-1'] },
      'cpu',
    );
    expect(prometheus.queries).toEqual([
      'sum(cpu_cores{namespace="shop",pod=~"web-0|web-1"}) by (pod,container)',
    ]);
    expect(samples).toEqual([
      {
        pod: 'web-0',
        timestamp: NOW,
        windowSeconds: 30,
        containers: [
          { name: 'a', value: '300m' },
          { name: 'b', value: '570m' },
        ],
      },
      { pod: 'web-1', timestamp: NOW, windowSeconds: 30, containers: [{ name: 'a', value: '1000m' }] },
    ]);
  });

  it('reports a metric no rule yields as unknown, naming it', async () => {
    const prometheus = new FakePrometheus({}, () => []);
    const failure = source(prometheus).podMetrics(
      { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] },
      { name: 'no_such_metric' },
    );
    await expect(failure).rejects.toThrow(MetricUnavailableError);
    await expect(failure).rejects.toThrow(/unknown metric no_such_metric: none of the 2 rules/);
    expect(prometheus.queries).toEqual([]);
  });

  it('refuses a metric whose series lack the label of the asked resource', async () => {
    const prometheus = new FakePrometheus(
      { '{__name__="http_inflight"}': [{ __name__: 'http_inflight', namespace: 'shop', service: 'web' }] },
      () => [],
    );
    await expect(
      source(prometheus).podMetrics(
        { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] },
        { name: 'http_inflight' },
      ),
    ).rejects.toThrow(
      /metric http_inflight is not available for pods \(rules\[1\]: series http_inflight have no label pod\)/,
    );
  });

  it('finds a series that appeared after the last discovery without waiting for the cache to age', async () => {
    const prometheus = new FakePrometheus({}, () => [{ metric: { pod: 'web-0' }, value: [at, '7'] }]);
    const metrics = source(prometheus);
    const scope = { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] };
    await expect(metrics.podMetrics(scope, { name: 'http_inflight' })).rejects.toThrow(
      MetricUnavailableError,
    );
    prometheus.series['{__name__="http_inflight"}'] = [
      { __name__: 'http_inflight', namespace: 'shop', pod: 'web-0' },
    ];
    await expect(metrics.podMetrics(scope, { name: 'http_inflight' })).resolves.toEqual([
      { pod: 'web-0', timestamp: NOW, value: '7000m' },
    ]);
    const callsAfterRefresh = prometheus.seriesCalls.length;
    // A known metric within the relist interval needs no new discovery.
    await metrics.podMetrics(scope, { name: 'http_inflight' });
    expect(prometheus.seriesCalls.length).toBe(callsAfterRefresh);
  });

  it('sums nothing itself for external metrics: every series is one value', async () => {
    const prometheus = new FakePrometheus(
      { '{__name__="queue_depth"}': [{ __name__: 'queue_depth', namespace: 'jobs', queue: 'a' }] },
      () => [
        { metric: { queue: 'a' }, value: [at, '3'] },
        { metric: { queue: 'b' }, value: [at, '4'] },
      ],
    );
    const result = await source(prometheus).externalMetric('jobs', { name: 'queue_depth' });
    expect(result.values).toEqual(['3000m', '4000m']);
    expect(prometheus.queries).toEqual(['sum(queue_depth{namespace="jobs"}) by (queue)']);
  });

  it('passes Prometheus errors on with the query', async () => {
    const prometheus = new FakePrometheus({}, () => ({ status: 400, error: 'parse error at char 5' }));
    await expect(
      source(prometheus).resourceMetrics(
        { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] },
        'cpu',
      ),
    ).rejects.toThrow(
      'Prometheus rejected query sum(cpu_cores{namespace="shop",pod="web-0"}) by (pod,container): bad_data: parse error at char 5',
    );
  });

  it('says which resource rule is missing', async () => {
    const prometheus = new FakePrometheus({}, () => []);
    await expect(
      source(prometheus).resourceMetrics(
        { namespace: 'shop', selector: 'app=web', podNames: ['web-0'] },
        'memory',
      ),
    ).rejects.toThrow(
      'no resourceRules.memory in prometheus-metrics-config.yaml: resource metric memory is unknown',
    );
  });
});
