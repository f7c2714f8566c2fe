import {
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  NAMESPACES,
  PODS,
  QueryBuildError,
  buildExternalQuery,
  buildObjectQuery,
  indexSeries,
  labelForResource,
  metricNameForSeries,
  parsePrometheusMetricsConfig,
  type DiscoveryRule,
  type GroupResource,
} from '../../../controllers/metrics/index.js';

/** The rule of the walkthrough (seed 002, section 1.3), as written there. */
const SEED_CONFIG = `
resourceRules:
  cpu:
    containerQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)
    resources:
      overrides:
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  window: 1m
rules:
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: round(sum(irate(<<.Series>>{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>), 0.001)
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
    # overrides:
    #   exported_namespace:
    #     resource: namespace
externalRules:
- seriesQuery: '{__name__="queue_depth"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
  resources:
    overrides:
      namespace:
        resource: namespace
- seriesQuery: '{__name__="global_backlog"}'
  metricsQuery: max(<<.Series>>{<<.LabelMatchers>>})
  resources:
    namespaced: false
    overrides:
      namespace:
        resource: namespace
`;

const INGRESSES: GroupResource = { group: 'networking.k8s.io', resource: 'ingresses', singular: 'ingress' };

describe('Prometheus rule query building', () => {
  const config = parsePrometheusMetricsConfig(SEED_CONFIG);
  const seedRule = config.rules[0] as DiscoveryRule;

  it('renders the seed rule for an Ingress exactly as the adapter does', () => {
    const query = buildObjectQuery(seedRule.metricsQuery, seedRule.resources, {
      series: 'nginx_ingress_controller_requests',
      resource: INGRESSES,
      namespace: 'default',
      names: ['nginx-server'],
    });
    expect(query).toBe(
      'round(sum(irate(nginx_ingress_controller_requests{namespace="default",ingress="nginx-server"}[3m])) by (ingress), 0.001)',
    );
  });

  it('matches several pods with a regex, and puts metric selector matchers first, sorted by label', () => {
    const query = buildObjectQuery(seedRule.metricsQuery, seedRule.resources, {
      series: 'nginx_ingress_controller_requests',
      resource: PODS,
      namespace: 'web',
      names: ['web-0', 'web-1'],
      metricSelector: {
        matchLabels: { status: '200' },
        matchExpressions: [
          { key: 'method', operator: 'In', values: ['POST', 'GET'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'path', operator: 'NotIn', values: ['/healthz'] },
        ],
      },
    });
    expect(query).toBe(
      'round(sum(irate(nginx_ingress_controller_requests{canary="",method=~"GET|POST",path!~"/healthz",status="200",namespace="web",pod=~"web-0|web-1"}[3m])) by (pod), 0.001)',
    );
  });

  it('groups a resource rule by pod and container', () => {
    const cpu = config.resourceRules?.cpu;
    if (!cpu) throw new Error('cpu rule missing');
    const query = buildObjectQuery(cpu.containerQuery, cpu.resources, {
      series: '',
      resource: PODS,
      namespace: 'web',
      names: ['web-0'],
      extraGroupBy: [cpu.containerLabel],
    });
    expect(query).toBe(
      'sum(rate(container_cpu_usage_seconds_total{namespace="web",pod="web-0"}[1m])) by (pod,container)',
    );
  });

  it('uses overrides before the template, and the group in templates with dots as underscores', () => {
    const mapping = parsePrometheusMetricsConfig(`
rules:
- seriesQuery: x
  metricsQuery: x
  resources:
    template: kube_<<.Group>>_<<.Resource>>
    overrides:
      exported_namespace:
        resource: namespace
`).rules[0]?.resources;
    if (!mapping) throw new Error('rule missing');
    expect(labelForResource(mapping, NAMESPACES)).toBe('exported_namespace');
    expect(labelForResource(mapping, INGRESSES)).toBe('kube_networking_k8s_io_ingress');
  });

  it('refuses a resource the rule cannot name', () => {
    const external = config.externalRules[0] as DiscoveryRule;
    expect(() => labelForResource(external.resources, PODS)).toThrow(QueryBuildError);
  });

  it('builds external queries with the namespace unless the rule is not namespaced', () => {
    const [namespaced, global] = config.externalRules as [DiscoveryRule, DiscoveryRule];
    expect(
      buildExternalQuery(namespaced.metricsQuery, namespaced.resources, {
        series: 'queue_depth',
        namespace: 'jobs',
        metricSelector: { matchLabels: { queue: 'orders' } },
      }),
    ).toBe('sum(queue_depth{queue="orders",namespace="jobs"})');
    expect(
      buildExternalQuery(global.metricsQuery, global.resources, {
        series: 'global_backlog',
        namespace: 'jobs',
      }),
    ).toBe('max(global_backlog{})');
  });

  it('renders the default configuration for cpu like Kapacity', () => {
    const defaults = parsePrometheusMetricsConfig(DEFAULT_PROMETHEUS_METRICS_CONFIG);
    const cpu = defaults.resourceRules?.cpu;
    if (!cpu) throw new Error('cpu rule missing');
    expect(
      buildObjectQuery(cpu.containerQuery, cpu.resources, {
        series: '',
        resource: PODS,
        namespace: 'default',
        names: ['nginx-0'],
        extraGroupBy: ['container'],
      }),
    ).toBe(
      'sum by (pod,container) (\n  irate(container_cpu_usage_seconds_total{container!="",container!="POD",namespace="default",pod="nginx-0"}[3m])\n)',
    );
    expect(defaults.resourceRules?.windowSeconds).toBe(180);
  });
});

describe('series naming', () => {
  const rules = parsePrometheusMetricsConfig(`
rules:
- seriesQuery: '{__name__=~".*_total"}'
  seriesFilters:
  - isNot: ^go_
  name:
    matches: ^(.*)_total$
    as: \${1}_per_second
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)
  resources:
    template: <<.Resource>>
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: x
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
`).rules;
  const [counters, seed] = rules as [DiscoveryRule, DiscoveryRule];

  it('names series with matches/as and applies the filters', () => {
    expect(metricNameForSeries(counters, 'http_requests_total')).toBe('http_requests_per_second');
    expect(metricNameForSeries(counters, 'go_gc_total')).toBeUndefined();
    expect(metricNameForSeries(counters, 'temperature')).toBeUndefined();
    expect(metricNameForSeries(seed, 'nginx_ingress_controller_requests')).toBe(
      'nginx_ingress_controller_requests_rate',
    );
  });

  it('indexes discovered series by metric name with the union of their labels', () => {
    const index = indexSeries(rules, [
      [
        { __name__: 'http_requests_total', namespace: 'a', pod: 'p1' },
        { __name__: 'http_requests_total', namespace: 'a', service: 's' },
        { __name__: 'go_gc_total', pod: 'p1' },
      ],
      [{ __name__: 'nginx_ingress_controller_requests', namespace: 'a', ingress: 'i' }],
    ]);
    expect([...index.keys()].sort()).toEqual([
      'http_requests_per_second',
      'nginx_ingress_controller_requests_rate',
    ]);
    const http = index.get('http_requests_per_second')?.[0];
    expect(http?.seriesName).toBe('http_requests_total');
    expect([...(http?.labels ?? [])].sort()).toEqual(['namespace', 'pod', 'service']);
    expect(index.get('nginx_ingress_controller_requests_rate')?.[0]?.rule).toBe(seed);
  });
});
