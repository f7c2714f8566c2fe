// The three Prometheus HTTP calls the metrics service makes: series listing and instant queries
// (the shared Prometheus source's own calls) and range queries (/api/v1/query_range, which the
// reactive portrait never needs).

import type { Clock } from '../../kit/clock.js';
import { PrometheusError, PrometheusMetricsSource, type HttpFetch, type PromSample } from '../prometheus.js';
import type { SeriesLabels } from '../prometheus-query.js';
import { DEFAULT_PROMETHEUS_METRICS_CONFIG, parsePrometheusMetricsConfig } from '../prometheus-config.js';
import type { TimeRange } from './request.js';

export interface RangeSeries {
  labels: SeriesLabels;
  /** [unix milliseconds, value] in time order. */
  points: Array<[number, number]>;
}

export interface PrometheusApi {
  series(match: string, start: Date, end: Date): Promise<SeriesLabels[]>;
  /** Instant query at the current time. */
  instant(promql: string): Promise<PromSample[]>;
  range(promql: string, range: TimeRange): Promise<RangeSeries[]>;
}

export interface PrometheusHttpApiOptions {
  address: string;
  clock: Clock;
  fetch?: HttpFetch;
  timeoutMs?: number;
}

/** Prometheus's HTTP API at `address`. */
export class PrometheusHttpApi implements PrometheusApi {
  private readonly base: string;
  private readonly source: PrometheusMetricsSource;
  private readonly fetchFn: HttpFetch;
  private readonly timeoutMs: number;

  constructor(options: PrometheusHttpApiOptions) {
    this.base = options.address.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    // Only its series and instant-query calls are used: they need no rules or resource mapping.
    const defaults = parsePrometheusMetricsConfig(DEFAULT_PROMETHEUS_METRICS_CONFIG);
    this.source = new PrometheusMetricsSource({
      address: options.address,
      config: () => defaults,
      resourceFor: () => Promise.reject(new Error('not used')),
      clock: options.clock,
      fetch: this.fetchFn,
      timeoutMs: this.timeoutMs,
    });
  }

  series(match: string, start: Date, end: Date): Promise<SeriesLabels[]> {
    return this.source.series(match, start, end);
  }

  instant(promql: string): Promise<PromSample[]> {
    return this.source.query(promql);
  }

  async range(promql: string, range: TimeRange): Promise<RangeSeries[]> {
    const url = `${this.base}/api/v1/query_range`;
    const form = {
      query: promql,
      start: String(range.startMs / 1000),
      end: String(range.endMs / 1000),
      step: String(range.stepMs / 1000),
    };
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
    let body: {
      status?: string;
      data?: { resultType?: string; result?: unknown };
      error?: string;
      errorType?: string;
    };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PrometheusError(
        `Prometheus /api/v1/query_range answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    if (response.status !== 200 || body.status !== 'success') {
      throw new PrometheusError(
        `Prometheus rejected range query ${promql}: ${body.errorType ?? response.status}: ${body.error ?? text.slice(0, 200)}`,
      );
    }
    if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) {
      throw new PrometheusError(
        `range query ${promql} returned ${body.data?.resultType ?? 'nothing'}, not a matrix`,
      );
    }
    return body.data.result.map((element: unknown): RangeSeries => {
      const { metric, values } = (element ?? {}) as { metric?: Record<string, string>; values?: unknown };
      if (!Array.isArray(values))
        throw new PrometheusError(`range query ${promql} returned a malformed series`);
      return {
        labels: metric ?? {},
        points: values.map((pair: unknown): [number, number] => {
          const [seconds, value] = Array.isArray(pair) ? (pair as [unknown, unknown]) : [NaN, NaN];
          return [Math.round(Number(seconds) * 1000), Number(value)];
        }),
      };
    });
  }
}
