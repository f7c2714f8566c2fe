/**
 * The metrics gRPC service (wire-compatible with Kapacity's `io.kapacitystack.metric.ProviderService`):
 * metric history and latest values from Prometheus for predictive algorithm jobs, and its client.
 */
export { PrometheusBackend } from './backend.js';
export type { KubeLookup, MetricsBackend, PrometheusBackendOptions } from './backend.js';
export { MetricsCallError, MetricsClient } from './client.js';
export type { MetricsClientOptions } from './client.js';
export { QueryError, classifyError } from './errors.js';
export type { QueryErrorCode } from './errors.js';
export { DEFAULT_POD_NAME_PATTERNS, parseMetricsExtensions, podNamePattern } from './extensions.js';
export type { MetricsExtensions, WorkloadPodNamePattern } from './extensions.js';
export { PrometheusHttpApi } from '../prometheus-api.js';
export type { PrometheusApi, RangeSeries } from '../prometheus-api.js';
export * from './proto.js';
export { buildWorkloadQuery } from './queries.js';
export type { WorkloadQuery } from './queries.js';
export {
  DEFAULT_GRPC_METRICS_ADDRESS,
  grpcMetricsSettingsFromEnv,
  kubeLookup,
  registerGrpcMetrics,
  registerGrpcMetricsService,
} from './register.js';
export type { GrpcMetricsHandle, GrpcMetricsSettings } from './register.js';
export {
  DEFAULT_MAX_POINTS,
  checkObjectSelector,
  normalizeGroup,
  parseMetricSelector,
  parseQuery,
  parseRange,
} from './request.js';
export type { MetricRef, MetricsQuery, ObjectIdentifier, TimeRange, WorkloadRef } from './request.js';
export { MetricsGrpcServer, STATUS_CODES } from './server.js';
export type { MetricsGrpcServerOptions } from './server.js';
