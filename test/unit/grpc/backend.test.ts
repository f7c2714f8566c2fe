import { FakeClock } from '../../../controllers/kit/clock.js';
import type { ResourceDescriptor } from '../../../controllers/kit/discovery.js';
import { builtin } from '../../../controllers/kit/discovery.js';
import { PrometheusBackend, type KubeLookup } from '../../../controllers/metrics/grpc/backend.js';
import { QueryError, notFound } from '../../../controllers/metrics/grpc/errors.js';
import { parseMetricsExtensions } from '../../../controllers/metrics/grpc/extensions.js';
import type { PrometheusApi, PromSample, RangeSeries } from '../../../controllers/metrics/prometheus-api.js';
import { parseQuery, type TimeRange } from '../../../controllers/metrics/grpc/request.js';
import { parsePrometheusMetricsConfig } from '../../../controllers/metrics/prometheus-config.js';
import type { SeriesLabels } from '../../../controllers/metrics/prometheus-query.js';
import type { QueryMessage } from '../../../controllers/metrics/grpc/proto.js';

const CONFIG = `
resourceRules:
  cpu:
    containerQuery: sum by (<<.GroupBy>>) (rate(cpu_seconds{<<.LabelMatchers>>}[3m]))
    readyPodsOnlyContainerQuery: sum by (<<.GroupBy>>) (ready_cpu{<<.LabelMatchers>>})
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
    containerLabel: container
  window: 2m
rules:
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: round(sum(irate(<<.Series>>{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>), 0.001)
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
externalRules:
- seriesQuery: '{__name__="kube_pod_status_ready"}'
  metricsQuery: sum(<<.Series>>{condition="true",<<.LabelMatchers>>})
  name:
    as: ready_pods_count
  resources:
    overrides:
      namespace: {resource: namespace}
- seriesQuery: '{__name__=~"^queue_.*"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
  resources:
    namespaced: false
`;

const INGRESS: ResourceDescriptor = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
};
const NODE: ResourceDescriptor = builtin.Node;

class FakePrometheus implements PrometheusApi {
  readonly instants: string[] = [];
  readonly ranges: Array<{ promql: string; range: TimeRange }> = [];
  readonly seriesCalls: Array<{ match: string; start: number; end: number }> = [];
  /** Series by seriesQuery, each with the time range it exists in. */
  series_: Record<string, Array<{ labels: SeriesLabels; from: number; to: number }>> = {
    '{__name__="nginx_ingress_controller_requests"}': [
      {
        labels: { __name__: 'nginx_ingress_controller_requests', namespace: 'shop', ingress: 'web' },
        from: 0,
        to: Infinity,
      },
    ],
    '{__name__="kube_pod_status_ready"}': [
      {
        labels: { __name__: 'kube_pod_status_ready', namespace: 'shop', pod: 'web-0', condition: 'true' },
        from: 0,
        to: Infinity,
      },
    ],
    '{__name__=~"^queue_.*"}': [
      { labels: { __name__: 'queue_depth', queue: 'orders' }, from: 0, to: 1_000_000 },
    ],
  };

  async series(match: string, start: Date, end: Date): Promise<SeriesLabels[]> {
    this.seriesCalls.push({ match, start: start.getTime(), end: end.getTime() });
    return (this.series_[match] ?? [])
      .filter((s) => s.from <= end.getTime() && s.to >= start.getTime())
      .map((s) => s.labels);
  }

  async instant(promql: string): Promise<PromSample[]> {
    this.instants.push(promql);
    return [{ labels: { pod: 'web-0' }, value: 0.25, timestamp: new Date(5_000_000) }];
  }

  async range(promql: string, range: TimeRange): Promise<RangeSeries[]> {
    this.ranges.push({ promql, range });
    return [
      {
        labels: { ingress: 'web' },
        points: [
          [range.startMs, 1.5],
          [range.startMs + range.stepMs, 2],
        ],
      },
    ];
  }
}

function setup(configText = CONFIG) {
  const prometheus = new FakePrometheus();
  const clock = new FakeClock(new Date(10_000_000));
  const listed: Array<{ resource: string; namespace?: string; selector: string }> = [];
  const kube: KubeLookup = {
    async resolveGroupKind(group, kind) {
      if (group === 'networking.k8s.io' && kind === 'Ingress') return INGRESS;
      if (group === '' && kind === 'Node') return NODE;
      throw notFound(`no ${kind}.${group}`);
    },
    async listNames(resource, namespace, selector) {
      listed.push({ resource: resource.resource, namespace, selector });
      return selector === 'app=none' ? [] : ['web-1', 'web-0'];
    },
  };
  const config = parsePrometheusMetricsConfig(configText);
  const extensions = parseMetricsExtensions(configText);
  const backend = new PrometheusBackend({
    prometheus,
    config: () => config,
    extensions: () => extensions,
    kube,
    clock,
  });
  return { backend, prometheus, clock, listed };
}

const plan = async (backend: PrometheusBackend, message: QueryMessage) =>
  (await backend.plan(parseQuery(message))).promql;

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof QueryError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no error');
}

const statefulSet = { group_kind: { group: 'apps', kind: 'StatefulSet' }, namespace: 'shop', name: 'web' };

describe('PrometheusBackend: PromQL per query type', () => {
  test('pod and container resource: per pod, by name or by the pods a selector lists', async () => {
    const { backend, listed } = setup();
    expect(
      await plan(backend, {
        type: 'POD_RESOURCE',
        pod_resource: { namespace: 'shop', name: 'web-0', resource_name: 'cpu' },
      }),
    ).toBe('sum by (pod) (rate(cpu_seconds{namespace="shop",pod="web-0"}[3m]))');
    expect(
      await plan(backend, {
        type: 'CONTAINER_RESOURCE',
        container_resource: {
          namespace: 'shop',
          selector: 'app=web',
          resource_name: 'cpu',
          container_name: 'app',
        },
      }),
    ).toBe('sum by (pod) (rate(cpu_seconds{container="app",namespace="shop",pod=~"web-0|web-1"}[3m]))');
    expect(listed).toEqual([{ resource: 'pods', namespace: 'shop', selector: 'app=web' }]);
    expect(
      await failure(
        backend.latest(
          parseQuery({
            type: 'POD_RESOURCE',
            pod_resource: { namespace: 'shop', selector: 'app=none', resource_name: 'cpu' },
          }),
        ),
      ),
    ).toEqual({ code: 'NOT_FOUND', message: 'no pods in namespace shop match the selector "app=none"' });
    expect(
      await failure(
        backend.latest(
          parseQuery({
            type: 'POD_RESOURCE',
            pod_resource: { namespace: 'shop', name: 'web-0', resource_name: 'gpu' },
          }),
        ),
      ),
    ).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('unknown resource metric "gpu"') });
  });

  test('workload resource: one total over the pods matching the name pattern; ready pods only uses its own query', async () => {
    const { backend } = setup();
    expect(
      await plan(backend, {
        type: 'WORKLOAD_RESOURCE',
        workload_resource: { ...statefulSet, resource_name: 'cpu' },
      }),
    ).toBe('sum by () (rate(cpu_seconds{namespace="shop",pod=~"^web-[0-9]+$"}[3m]))');
    expect(
      await plan(backend, {
        type: 'WORKLOAD_RESOURCE',
        workload_resource: { ...statefulSet, resource_name: 'cpu', ready_pods_only: true },
      }),
    ).toBe('sum by () (ready_cpu{namespace="shop",pod=~"^web-[0-9]+$"})');
    expect(
      await plan(backend, {
        type: 'WORKLOAD_CONTAINER_RESOURCE',
        workload_container_resource: {
          ...statefulSet,
          group_kind: { group: 'apps', kind: 'Deployment' },
          resource_name: 'cpu',
          container_name: 'app',
        },
      }),
    ).toBe(
      'sum by () (rate(cpu_seconds{container="app",namespace="shop",pod=~"^web-[a-z0-9]+-[a-z0-9]+$"}[3m]))',
    );
    expect(
      await failure(
        backend.latest(
          parseQuery({
            type: 'WORKLOAD_RESOURCE',
            workload_resource: {
              ...statefulSet,
              group_kind: { group: 'batch', kind: 'Job' },
              resource_name: 'cpu',
            },
          }),
        ),
      ),
    ).toEqual({
      code: 'FAILED_PRECONDITION',
      message:
        'no pod name pattern for workload kind Job.batch: add it to workloadPodNamePatterns in prometheus-metrics-config.yaml',
    });
  });

  test('object: the rule whose series carry the resource label (the seed rule for an Ingress)', async () => {
    const { backend } = setup();
    const query: QueryMessage = {
      type: 'OBJECT',
      object: {
        group_kind: { group: 'networking.k8s.io', kind: 'Ingress' },
        namespace: 'shop',
        name: 'web',
        metric: { name: 'nginx_ingress_controller_requests_rate', selector: 'status=200' },
      },
    };
    expect(await plan(backend, query)).toBe(
      'round(sum(irate(nginx_ingress_controller_requests{status="200",namespace="shop",ingress="web"}[3m])) by (ingress), 0.001)',
    );
    const withoutNamespace = structuredClone(query);
    delete withoutNamespace.object!.namespace;
    expect(await failure(backend.latest(parseQuery(withoutNamespace)))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'query.object.namespace is required: Ingress is namespaced',
    });
    expect(
      await failure(
        backend.latest(
          parseQuery({
            type: 'OBJECT',
            object: {
              group_kind: { kind: 'Node' },
              name: 'n1',
              metric: { name: 'nginx_ingress_controller_requests_rate' },
            },
          }),
        ),
      ),
    ).toEqual({
      code: 'NOT_FOUND',
      message:
        'metric nginx_ingress_controller_requests_rate is not available for nodes (rules[0]: series nginx_ingress_controller_requests have no label node)',
    });
  });

  test('external and workload external', async () => {
    const { backend } = setup();
    expect(
      await plan(backend, {
        type: 'EXTERNAL',
        external: { namespace: 'shop', metric: { name: 'ready_pods_count' } },
      }),
    ).toBe('sum(kube_pod_status_ready{condition="true",namespace="shop"})');
    expect(
      await plan(backend, {
        type: 'WORKLOAD_EXTERNAL',
        workload_external: { ...statefulSet, metric: { name: 'ready_pods_count' } },
      }),
    ).toBe('sum(kube_pod_status_ready{condition="true",namespace="shop",pod=~"^web-[0-9]+$"})');
  });

  test('an unknown metric is NOT_FOUND after a fresh discovery', async () => {
    const { backend, prometheus } = setup();
    await backend.latest(
      parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'ready_pods_count' } } }),
    );
    const before = prometheus.seriesCalls.length;
    expect(
      await failure(backend.latest(parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'nope' } } }))),
    ).toEqual({
      code: 'NOT_FOUND',
      message:
        'unknown metric nope: none of the 2 externalRules in prometheus-metrics-config.yaml yields a series named so in Prometheus',
    });
    // The miss re-listed every external rule's series.
    expect(prometheus.seriesCalls.length).toBe(before + 2);
  });

  test('a metric that stopped reporting is found for a range inside its history', async () => {
    const { backend, prometheus } = setup();
    // queue_depth exists until t = 1 000 000 ms; "now" is 10 000 000.
    const query = parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'queue_depth' } } });
    expect(await failure(backend.latest(query))).toMatchObject({ code: 'NOT_FOUND' });
    const range = { startMs: 0, endMs: 900_000, stepMs: 60_000 };
    const series = await backend.range(query, range);
    expect(prometheus.ranges.at(-1)).toEqual({ promql: 'sum(queue_depth{})', range });
    expect(prometheus.seriesCalls.at(-1)).toEqual({
      match: '{__name__=~"^queue_.*"}',
      start: 0,
      end: 900_000,
    });
    expect(series).toEqual([
      {
        points: [
          { timestamp: 0, value: 1.5 },
          { timestamp: 60_000, value: 2 },
        ],
        labels: { ingress: 'web' },
      },
    ]);
  });

  test('answers carry millisecond timestamps and the resource window', async () => {
    const { backend } = setup();
    const samples = await backend.latest(
      parseQuery({
        type: 'POD_RESOURCE',
        pod_resource: { namespace: 'shop', name: 'web-0', resource_name: 'cpu' },
      }),
    );
    expect(samples).toEqual([
      {
        point: { timestamp: 5_000_000, value: 0.25 },
        labels: { pod: 'web-0' },
        window: { seconds: 120, nanos: 0 },
      },
    ]);
    const series = await backend.range(
      parseQuery({ type: 'WORKLOAD_RESOURCE', workload_resource: { ...statefulSet, resource_name: 'cpu' } }),
      { startMs: 60_000, endMs: 120_000, stepMs: 60_000 },
    );
    expect(series[0]?.window).toEqual({ seconds: 120, nanos: 0 });
    const external = await backend.latest(
      parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'ready_pods_count' } } }),
    );
    expect(external[0]?.window).toBeUndefined();
  });

  test('discovery is cached for a minute of the clock', async () => {
    const { backend, prometheus, clock } = setup();
    const query = parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'ready_pods_count' } } });
    await backend.latest(query);
    await backend.latest(query);
    expect(prometheus.seriesCalls.length).toBe(2);
    clock.advance(61_000);
    await backend.latest(query);
    expect(prometheus.seriesCalls.length).toBe(4);
  });
});
