// Prometheus as a metrics source, queried directly with Prometheus-Adapter-style rules (no
// adapter or metrics-server needed). Resource metrics use `resourceRules`; Pods and Object
// metrics use `rules`; External metrics use `externalRules`. A custom metric name is resolved the
// adapter's way: each rule's seriesQuery is listed through /api/v1/series, each series name is
// turned into a metric name (seriesFilters, name.matches/as), and the rule whose series carry the
// label of the wanted resource renders the query.
//
// Series discovery (series-discovery.ts) is cached and refreshed at once on a miss; nothing runs
// in the background: all work happens inside a portrait's sync.

import type { Clock } from '../kit/clock.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { PodMetricSample } from '../portrait/replica-calculator.js';
import { PrometheusHttpApi, type HttpFetch, type PromSample } from './prometheus-api.js';
import { CONFIG_MAP_KEY, type PrometheusMetricsConfig } from './prometheus-config.js';
import {
  PODS,
  buildExternalQuery,
  buildObjectQuery,
  labelForResource,
  type GroupResource,
} from './prometheus-query.js';
import { SeriesDiscovery } from './series-discovery.js';
import {
  MetricUnavailableError,
  floatToQuantity,
  type DescribedObject,
  type ExternalMetricValues,
  type MetricName,
  type MetricsSource,
  type ObjectMetricValue,
  type PodScope,
} from './types.js';

export interface PrometheusSourceOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090` (a path prefix is kept). */
  address: string;
  /** The current rules; may throw when the configuration is broken (the error becomes the message). */
  config: () => PrometheusMetricsConfig;
  /** apiVersion + kind → REST resource (the kit client's mapper). */
  resourceFor: (apiVersion: string, kind: string) => Promise<ResourceDescriptor>;
  clock: Clock;
  fetch?: HttpFetch;
  /** How long discovered series are reused; default 60 s. */
  relistMs?: number;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export class PrometheusMetricsSource implements MetricsSource {
  readonly description = 'Prometheus';
  private readonly prometheus: PrometheusHttpApi;
  private readonly discovery: SeriesDiscovery;

  constructor(private readonly options: PrometheusSourceOptions) {
    this.prometheus = new PrometheusHttpApi({
      address: options.address,
      clock: options.clock,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
    this.discovery = new SeriesDiscovery({
      prometheus: this.prometheus,
      config: options.config,
      clock: options.clock,
      relistMs: options.relistMs,
      unavailable: (message) => new MetricUnavailableError(message),
    });
  }

  async resourceMetrics(scope: PodScope, resource: string): Promise<PodMetricSample[]> {
    const config = this.options.config();
    const rules = config.resourceRules;
    const rule = resource === 'cpu' ? rules?.cpu : resource === 'memory' ? rules?.memory : undefined;
    if (!rules || !rule) {
      throw new MetricUnavailableError(
        `no resourceRules.${resource} in ${CONFIG_MAP_KEY}: resource metric ${resource} is unknown`,
      );
    }
    if (scope.podNames.length === 0)
      throw new Error(`no pods match the scale target's selector ${scope.selector}`);
    const query = buildObjectQuery(rule.containerQuery, rule.resources, {
      series: '',
      resource: PODS,
      namespace: scope.namespace,
      names: scope.podNames,
      extraGroupBy: [rule.containerLabel],
    });
    const samples = await this.query(query);
    const podLabel = labelForResource(rule.resources, PODS);
    const byPod = new Map<string, PodMetricSample>();
    for (const sample of samples) {
      const pod = sample.labels[podLabel];
      const container = sample.labels[rule.containerLabel];
      if (!pod || !container) continue;
      let entry = byPod.get(pod);
      if (!entry) {
        entry = { pod, timestamp: sample.timestamp, windowSeconds: rules.windowSeconds, containers: [] };
        byPod.set(pod, entry);
      }
      (entry.containers as { name: string; value: string | number }[]).push({
        name: container,
        value: floatToQuantity(sample.value, `${resource} of container ${container} in pod ${pod}`),
      });
    }
    if (byPod.size === 0) {
      throw new Error(
        `no ${resource} usage found in Prometheus for pods of ${scope.selector} (query: ${query})`,
      );
    }
    return [...byPod.values()];
  }

  async podMetrics(scope: PodScope, metric: MetricName): Promise<PodMetricSample[]> {
    const { discovered, label } = await this.discovery.forResource(metric.name, PODS);
    if (scope.podNames.length === 0)
      throw new Error(`no pods match the scale target's selector ${scope.selector}`);
    const query = buildObjectQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
      series: discovered.seriesName,
      resource: PODS,
      namespace: scope.namespace,
      names: scope.podNames,
      metricSelector: metric.selector,
    });
    const samples = await this.query(query);
    const result: PodMetricSample[] = [];
    for (const sample of samples) {
      const pod = sample.labels[label];
      if (!pod) continue;
      result.push({
        pod,
        timestamp: sample.timestamp,
        value: floatToQuantity(sample.value, `${metric.name} of pod ${pod}`),
      });
    }
    if (result.length === 0)
      throw new Error(`no value of pods metric ${metric.name} in Prometheus (query: ${query})`);
    return result;
  }

  async objectMetric(
    namespace: string,
    object: DescribedObject,
    metric: MetricName,
  ): Promise<ObjectMetricValue> {
    const descriptor = await this.options.resourceFor(object.apiVersion ?? 'v1', object.kind);
    const resource: GroupResource = {
      group: descriptor.group,
      resource: descriptor.resource,
      singular: descriptor.kind.toLowerCase(),
    };
    const { discovered, label } = await this.discovery.forResource(metric.name, resource);
    const query = buildObjectQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
      series: discovered.seriesName,
      resource,
      namespace: descriptor.namespaced ? namespace : undefined,
      names: [object.name],
      metricSelector: metric.selector,
    });
    const samples = await this.query(query);
    const sample =
      samples.find((s) => s.labels[label] === object.name) ?? (samples.length === 1 ? samples[0] : undefined);
    if (!sample) {
      throw new Error(
        `no value of ${object.kind} ${object.name} metric ${metric.name} in Prometheus (query: ${query})`,
      );
    }
    return {
      value: floatToQuantity(sample.value, `${object.kind} ${object.name} metric ${metric.name}`),
      timestamp: sample.timestamp,
    };
  }

  async externalMetric(namespace: string, metric: MetricName): Promise<ExternalMetricValues> {
    const discovered = await this.discovery.first('externalRules', metric.name);
    const query = buildExternalQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
      series: discovered.seriesName,
      namespace,
      metricSelector: metric.selector,
    });
    const samples = await this.query(query);
    if (samples.length === 0)
      throw new Error(`no value of external metric ${metric.name} in Prometheus (query: ${query})`);
    return {
      values: samples.map((s) => floatToQuantity(s.value, `external metric ${metric.name}`)),
      timestamp: samples[0]?.timestamp,
    };
  }

  private query(promql: string): Promise<PromSample[]> {
    return this.prometheus.instant(promql);
  }
}
