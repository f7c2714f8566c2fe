// Resolving custom metric names the Prometheus Adapter way, shared by the reactive portrait's
// Prometheus source and the metrics gRPC service: each rule's seriesQuery is listed through
// /api/v1/series and the series are indexed by the metric name the rule gives them.
//
// The index of each rule kind is cached (default one minute) and rebuilt at once when a metric is
// not in it, so a series that just appeared is found on the next lookup rather than after the
// cache ages out. Concurrent lookups of one kind share one rebuild. Nothing runs in the background.

import type { Clock } from '../kit/clock.js';
import type { PrometheusApi } from './prometheus-api.js';
import { CONFIG_MAP_KEY, type DiscoveryRule, type PrometheusMetricsConfig } from './prometheus-config.js';
import {
  describeResource,
  indexSeries,
  labelForResource,
  type DiscoveredMetric,
  type GroupResource,
} from './prometheus-query.js';

export type RuleKind = 'rules' | 'externalRules';

export interface SeriesDiscoveryOptions {
  prometheus: Pick<PrometheusApi, 'series'>;
  /** The current rules; a new object (another configuration) invalidates the cache. */
  config: () => PrometheusMetricsConfig;
  clock: Clock;
  /** How long discovered series are reused; default 60 s. */
  relistMs?: number;
  /** The error a metric that cannot be resolved is reported with (each caller has its own type). */
  unavailable: (message: string) => Error;
}

/** A span of history to look in when a metric is not among the recent series. */
export interface HistoryRange {
  startMs: number;
  endMs: number;
}

/** How far back discovery looks for metrics that report now. */
export const RECENT_MS = 10 * 60_000;

interface DiscoveryCache {
  config: PrometheusMetricsConfig;
  at: number;
  index: Map<string, DiscoveredMetric[]>;
}

export class SeriesDiscovery {
  private readonly caches = new Map<RuleKind, DiscoveryCache>();
  private readonly refreshing = new Map<RuleKind, Promise<DiscoveryCache>>();
  private readonly relistMs: number;

  constructor(private readonly options: SeriesDiscoveryOptions) {
    this.relistMs = options.relistMs ?? 60_000;
  }

  /**
   * The discovered series named `metric` among the rules of `kind`, undefined when none. With
   * `history`, a metric missing from recent series is also looked for inside that span (uncached).
   */
  async lookup(
    kind: RuleKind,
    metric: string,
    history?: HistoryRange,
  ): Promise<DiscoveredMetric[] | undefined> {
    const config = this.options.config();
    const now = this.options.clock.now().getTime();
    const cached = this.caches.get(kind);
    const fresh = cached && cached.config === config && now - cached.at < this.relistMs;
    if (fresh && cached.index.has(metric)) return cached.index.get(metric);
    const recent = await this.refresh(kind, config);
    const found = recent.index.get(metric);
    if (found || !history) return found;
    const historic = await this.discover(config[kind], new Date(history.startMs), new Date(history.endMs));
    return historic.get(metric);
  }

  /** The first discovered series named `metric` among the rules of `kind`; unavailable when none. */
  async first(kind: RuleKind, metric: string, history?: HistoryRange): Promise<DiscoveredMetric> {
    const first = (await this.lookup(kind, metric, history))?.[0];
    if (!first) throw this.unknownMetric(kind, metric);
    return first;
  }

  /**
   * The first discovered series of `metric` among `rules` whose rule maps `resource` to a label the
   * series carry, and that label; unavailable (with each rule's reason) when none does.
   */
  async forResource(
    metric: string,
    resource: GroupResource,
    history?: HistoryRange,
  ): Promise<{ discovered: DiscoveredMetric; label: string }> {
    const entries = await this.lookup('rules', metric, history);
    if (!entries || entries.length === 0) throw this.unknownMetric('rules', metric);
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
    throw this.options.unavailable(
      `metric ${metric} is not available for ${describeResource(resource)} (${missing.join('; ')})`,
    );
  }

  private unknownMetric(kind: RuleKind, metric: string): Error {
    const rules = (this.options.config()[kind] as DiscoveryRule[]).length;
    return this.options.unavailable(
      `unknown metric ${metric}: none of the ${rules} ${kind} in ${CONFIG_MAP_KEY} yields a series named so in Prometheus`,
    );
  }

  private refresh(kind: RuleKind, config: PrometheusMetricsConfig): Promise<DiscoveryCache> {
    const pending = this.refreshing.get(kind);
    if (pending) return pending;
    const started = this.options.clock.now();
    const work = (async () => {
      const index = await this.discover(config[kind], new Date(started.getTime() - RECENT_MS), started);
      const cache: DiscoveryCache = { config, at: started.getTime(), index };
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

  private async discover(
    rules: readonly DiscoveryRule[],
    start: Date,
    end: Date,
  ): Promise<Map<string, DiscoveredMetric[]>> {
    const seriesByRule = await Promise.all(
      rules.map((rule) => this.options.prometheus.series(rule.seriesQuery, start, end)),
    );
    return indexSeries(rules, seriesByRule);
  }
}
