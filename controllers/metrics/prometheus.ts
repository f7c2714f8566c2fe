// Prometheus as a metrics source, queried directly with Prometheus-Adapter-style rules (no
// adapter or metrics-server needed). Resource metrics use `resourceRules`; Pods and Object
// metrics use `rules`; External metrics use `externalRules`. A custom metric name is resolved the
// adapter's way: each rule's seriesQuery is listed through /api/v1/series, each series name is
// turned into a metric name (seriesFilters, name.matches/as), and the rule whose series carry the
// label of the wanted resource renders the query.
//
// Series discovery is cached (default one minute) and refreshed at once when a metric is not in
// the cache, so a series that just appeared is found on the next sync rather than after the
// cache ages out. Nothing runs in the background: all work happens inside a portrait's sync.

import type { Clock } from '../kit/clock.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { PodMetricSample } from '../portrait/replica-calculator.js';
import { CONFIG_MAP_KEY, type DiscoveryRule, type PrometheusMetricsConfig } from './prometheus-config.js';
import {
  PODS,
  buildExternalQuery,
  buildObjectQuery,
  describeResource,
  indexSeries,
  labelForResource,
  type DiscoveredMetric,
  type GroupResource,
  type SeriesLabels,
} from './prometheus-query.js';
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

/** The part of the Fetch API this source uses (tests pass a fake). */
export type HttpFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

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

/** One element of an instant vector. */
export interface PromSample {
  labels: SeriesLabels;
  value: number;
  timestamp: Date;
}

interface SeriesCache {
  config: PrometheusMetricsConfig;
  at: number;
  index: Map<string, DiscoveredMetric[]>;
}

type RuleKind = 'rules' | 'externalRules';

export class PrometheusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export class PrometheusMetricsSource implements MetricsSource {
  readonly description = 'Prometheus';
  private readonly base: string;
  private readonly fetchFn: HttpFetch;
  private readonly relistMs: number;
  private readonly timeoutMs: number;
  private readonly caches = new Map<RuleKind, SeriesCache>();
  private readonly refreshing = new Map<RuleKind, Promise<SeriesCache>>();

  constructor(private readonly options: PrometheusSourceOptions) {
    this.base = options.address.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.relistMs = options.relistMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
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
    const { discovered, label } = await this.seriesFor('rules', metric.name, PODS);
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
    const { discovered, label } = await this.seriesFor('rules', metric.name, resource);
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
    const entries = (await this.lookup('externalRules', metric.name)) ?? [];
    const discovered = entries[0];
    if (!discovered) throw this.unknownMetric('externalRules', metric.name);
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

  // -------------------------------------------------------------------------------------------

  /** The first discovered series of `metric` whose rule maps `resource` to a label the series carry. */
  private async seriesFor(
    kind: RuleKind,
    metric: string,
    resource: GroupResource,
  ): Promise<{ discovered: DiscoveredMetric; label: string }> {
    const entries = await this.lookup(kind, metric);
    if (!entries || entries.length === 0) throw this.unknownMetric(kind, metric);
    const missing: string[] = [];
    for (const discovered of entries) {
      let label: string;
      try {
        label = labelForResource(discovered.rule.resources, resource);
      } catch (error) {
        missing.push(`${discovered.rule.position}: ${(error as Error).message}`);
        continue;
      }
      if (discovered.labels.has(label)) return { discovered, label };
      missing.push(`${discovered.rule.position}: series ${discovered.seriesName} have no label ${label}`);
    }
    throw new MetricUnavailableError(
      `metric ${metric} is not available for ${describeResource(resource)} (${missing.join('; ')})`,
    );
  }

  private unknownMetric(kind: RuleKind, metric: string): MetricUnavailableError {
    const rules = (this.options.config()[kind] as DiscoveryRule[]).length;
    return new MetricUnavailableError(
      `unknown metric ${metric}: none of the ${rules} ${kind} in ${CONFIG_MAP_KEY} yields a series named so in Prometheus`,
    );
  }

  private async lookup(kind: RuleKind, metric: string): Promise<DiscoveredMetric[] | undefined> {
    const config = this.options.config();
    const now = this.options.clock.now().getTime();
    const cached = this.caches.get(kind);
    const fresh = cached && cached.config === config && now - cached.at < this.relistMs;
    if (fresh && cached.index.has(metric)) return cached.index.get(metric);
    const refreshed = await this.refresh(kind, config);
    return refreshed.index.get(metric);
  }

  private refresh(kind: RuleKind, config: PrometheusMetricsConfig): Promise<SeriesCache> {
    const pending = this.refreshing.get(kind);
    if (pending) return pending;
    const started = this.options.clock.now();
    const work = (async () => {
      const rules = config[kind];
      const start = new Date(started.getTime() - 10 * 60_000);
      const seriesByRule = await Promise.all(
        rules.map((rule) => this.series(rule.seriesQuery, start, started)),
      );
      const cache: SeriesCache = { config, at: started.getTime(), index: indexSeries(rules, seriesByRule) };
      this.caches.set(kind, cache);
      return cache;
    })();
    this.refreshing.set(kind, work);
    const clear = (): void => {
      if (this.refreshing.get(kind) === work) this.refreshing.delete(kind);
    };
    work.then(clear, clear);
    return work;
  }

  /** /api/v1/series for one selector over [start, end]. */
  async series(match: string, start: Date, end: Date): Promise<SeriesLabels[]> {
    const data = await this.call('/api/v1/series', {
      'match[]': match,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
    });
    if (!Array.isArray(data)) throw new PrometheusError(`unexpected /api/v1/series answer for ${match}`);
    return data as SeriesLabels[];
  }

  /** An instant query evaluated at the clock's now. */
  async query(promql: string): Promise<PromSample[]> {
    const data = (await this.call('/api/v1/query', {
      query: promql,
      time: String(this.options.clock.now().getTime() / 1000),
    })) as { resultType?: string; result?: unknown };
    if (data?.resultType === 'scalar' && Array.isArray(data.result)) {
      return [toSample({ metric: {}, value: data.result }, promql)];
    }
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
      throw new PrometheusError(
        `query ${promql} returned ${data?.resultType ?? 'nothing'}, not an instant vector`,
      );
    }
    return data.result.map((element: unknown) => toSample(element, promql));
  }

  private async call(path: string, form: Record<string, string>): Promise<unknown> {
    const url = `${this.base}${path}`;
    let response: { status: number; text(): Promise<string> };
    try {
      response = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new PrometheusError(`Prometheus at ${this.base} is unreachable: ${(error as Error).message}`);
    }
    const text = await response.text();
    let body: { status?: string; data?: unknown; error?: string; errorType?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PrometheusError(`Prometheus ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    if (response.status !== 200 || body.status !== 'success') {
      const detail = body.error ?? text.slice(0, 200);
      const what = path === '/api/v1/query' ? `query ${form['query']}` : `series ${form['match[]']}`;
      throw new PrometheusError(
        `Prometheus rejected ${what}: ${body.errorType ?? response.status}: ${detail}`,
      );
    }
    return body.data;
  }
}

function toSample(element: unknown, promql: string): PromSample {
  const { metric, value } = (element ?? {}) as { metric?: Record<string, string>; value?: unknown };
  if (!Array.isArray(value) || value.length !== 2) {
    throw new PrometheusError(`query ${promql} returned a malformed sample`);
  }
  const [seconds, text] = value as [unknown, unknown];
  return {
    labels: metric ?? {},
    value: Number(text),
    timestamp: new Date(Number(seconds) * 1000),
  };
}
