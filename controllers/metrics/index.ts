/** Metrics sources for the reactive portrait: the Kubernetes metrics APIs or Prometheus with adapter-style rules. */
export { parseDuration } from './duration.js';
export { TemplateError, compileGoRegExp, compileTemplate, expandMatch } from './go-template.js';
export type { CompiledTemplate } from './go-template.js';
export { KubernetesMetricsSource, qualifiedResource } from './kubernetes.js';
export { observeMetrics } from './observe.js';
export { PrometheusMetricsSource } from './prometheus.js';
export type { PrometheusSourceOptions } from './prometheus.js';
export { PrometheusError, PrometheusHttpApi } from './prometheus-api.js';
export type {
  HttpFetch,
  PromSample,
  PrometheusApi,
  PrometheusHttpApiOptions,
  QueryRange,
  RangeSeries,
} from './prometheus-api.js';
export { RECENT_MS, SeriesDiscovery } from './series-discovery.js';
export type { HistoryRange, RuleKind, SeriesDiscoveryOptions } from './series-discovery.js';
export {
  CONFIG_MAP_KEY,
  CONFIG_MAP_NAME,
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  MetricsConfigError,
  parsePrometheusMetricsConfig,
} from './prometheus-config.js';
export type {
  DiscoveryRule,
  PrometheusMetricsConfig,
  ResourceMapping,
  ResourceRule,
} from './prometheus-config.js';
export {
  NAMESPACES,
  PODS,
  QueryBuildError,
  buildExternalQuery,
  buildObjectQuery,
  indexSeries,
  labelForResource,
  metricNameForSeries,
} from './prometheus-query.js';
export type { DiscoveredMetric, GroupResource, SeriesLabels } from './prometheus-query.js';
export { MetricUnavailableError, floatToQuantity } from './types.js';
export type {
  DescribedObject,
  ExternalMetricValues,
  MetricName,
  MetricsSource,
  ObjectMetricValue,
  PodScope,
} from './types.js';
