// Prometheus's HTTP API, the three calls this project makes: series listing (/api/v1/series),
// instant queries (/api/v1/query) and range queries (/api/v1/query_range). The reactive portrait's
// Prometheus source and the metrics gRPC service both talk to Prometheus through this one client.

import type { Clock } from '../kit/clock.js';
import type { SeriesLabels } from './prometheus-query.js';

/** The part of the Fetch API the client uses (tests pass a fake). */
export type HttpFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

/** One element of an instant vector. */
export interface PromSample {
  labels: SeriesLabels;
  value: number;
  timestamp: Date;
}

export interface RangeSeries {
  labels: SeriesLabels;
  /** [unix milliseconds, value] in time order. */
  points: Array<[number, number]>;
}

/** A range query's span and resolution, in unix milliseconds. */
export interface QueryRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

export interface PrometheusApi {
  series(match: string, start: Date, end: Date): Promise<SeriesLabels[]>;
  /** Instant query at the current time. */
  instant(promql: string): Promise<PromSample[]>;
  range(promql: string, range: QueryRange): Promise<RangeSeries[]>;
}

export interface PrometheusHttpApiOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090` (a path prefix is kept). */
  address: string;
  /** Instant queries are evaluated at this clock's now. */
  clock: Clock;
  fetch?: HttpFetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

export class PrometheusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusError';
  }
}

/** Prometheus's HTTP API at `address`. */
export class PrometheusHttpApi implements PrometheusApi {
  private readonly base: string;
  private readonly fetchFn: HttpFetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusHttpApiOptions) {
    this.base = options.address.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** /api/v1/series for one selector over [start, end]. */
  async series(match: string, start: Date, end: Date): Promise<SeriesLabels[]> {
    const data = await this.call(
      '/api/v1/series',
      { 'match[]': match, start: String(start.getTime() / 1000), end: String(end.getTime() / 1000) },
      `series ${match}`,
    );
    if (!Array.isArray(data)) throw new PrometheusError(`unexpected /api/v1/series answer for ${match}`);
    return data as SeriesLabels[];
  }

  /** An instant query evaluated at the clock's now. */
  async instant(promql: string): Promise<PromSample[]> {
    const data = (await this.call(
      '/api/v1/query',
      { query: promql, time: String(this.options.clock.now().getTime() / 1000) },
      `query ${promql}`,
    )) as { resultType?: string; result?: unknown } | undefined;
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

  async range(promql: string, range: QueryRange): Promise<RangeSeries[]> {
    const data = (await this.call(
      '/api/v1/query_range',
      {
        query: promql,
        start: String(range.startMs / 1000),
        end: String(range.endMs / 1000),
        step: String(range.stepMs / 1000),
      },
      `range query ${promql}`,
    )) as { resultType?: string; result?: unknown } | undefined;
    if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
      throw new PrometheusError(
        `range query ${promql} returned ${data?.resultType ?? 'nothing'}, not a matrix`,
      );
    }
    return data.result.map((element: unknown): RangeSeries => {
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

  /** POSTs `form` to `path` and returns the `data` of a successful answer; `what` names the request in errors. */
  private async call(path: string, form: Record<string, string>, what: string): Promise<unknown> {
    let response: { status: number; text(): Promise<string> };
    try {
      response = await this.fetchFn(`${this.base}${path}`, {
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
