import { buildWorkloadQuery } from '../../../controllers/metrics/grpc/queries.js';
import {
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  parsePrometheusMetricsConfig,
} from '../../../controllers/metrics/prometheus-config.js';

const config = parsePrometheusMetricsConfig(DEFAULT_PROMETHEUS_METRICS_CONFIG);

describe('buildWorkloadQuery', () => {
  test('a resource rule: no grouping, the container, namespace and pod-name matchers', () => {
    const rule = config.resourceRules?.cpu;
    expect(rule).toBeDefined();
    const promql = buildWorkloadQuery(rule!.containerQuery, rule!.resources, {
      series: '',
      namespace: 'shop',
      podPattern: '^web-[0-9]+$',
      metricSelector: { matchLabels: { container: 'app' } },
    });
    expect(promql.replace(/\s+/g, ' ')).toBe(
      'sum by () ( irate(container_cpu_usage_seconds_total{container!="",container!="POD",container="app",namespace="shop",pod=~"^web-[0-9]+$"}[3m]) )',
    );
  });

  test('an external rule that maps only the namespace: the pod label is `pod`', () => {
    const rule = config.externalRules[0];
    expect(rule).toBeDefined();
    const promql = buildWorkloadQuery(rule!.metricsQuery, rule!.resources, {
      series: 'kube_pod_status_ready',
      namespace: 'shop',
      podPattern: '^web-[0-9]+$',
    });
    expect(promql).toBe('sum(kube_pod_status_ready{condition="true",namespace="shop",pod=~"^web-[0-9]+$"})');
  });

  test('metric selector matchers come first, as the adapter renders them', () => {
    const rule = config.externalRules[0]!;
    const promql = buildWorkloadQuery(rule.metricsQuery, rule.resources, {
      series: 'kube_pod_status_ready',
      namespace: 'shop',
      podPattern: '^web-[0-9]+$',
      metricSelector: {
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['b', 'a'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
    });
    expect(promql).toBe(
      'sum(kube_pod_status_ready{condition="true",canary="",zone=~"a|b",namespace="shop",pod=~"^web-[0-9]+$"})',
    );
  });
});
