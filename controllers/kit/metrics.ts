// A small in-process metrics registry rendering the Prometheus text exposition format 0.0.4,
// plus the standard controller metrics under the names controller-runtime uses, so existing
// dashboards and alerts work unchanged.

import type { QueueMetrics } from './queue.js';

export type Labels = Readonly<Record<string, string>>;

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Renders a sample value the way Prometheus expects (`+Inf`, `-Inf`, `NaN`, shortest decimal). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type MetricType = 'counter' | 'gauge' | 'histogram';

/** Common part of every metric family: name, help, label names and one series per label set. */
abstract class MetricFamily<S> {
  private readonly series = new Map<string, { labels: string[]; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') {
        throw new Error(`invalid label name ${JSON.stringify(l)} on ${name}`);
      }
    }
  }

  abstract readonly type: MetricType;
  protected abstract initialState(): S;
  protected abstract renderSeries(labelPairs: Array<[string, string]>, state: S): string[];

  /** The state of the series for `labels`, created on first use; labels must match exactly. */
  protected seriesFor(labels: Labels): S {
    const values = this.labelValues(labels);
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: values, state: this.initialState() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected existingSeries(labels: Labels): S | undefined {
    return this.series.get(JSON.stringify(this.labelValues(labels)))?.state;
  }

  private labelValues(labels: Labels): string[] {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !this.labelNames.every((n) => n in labels)) {
      throw new Error(
        `metric ${this.name} expects labels [${this.labelNames.join(',')}], got [${given.join(',')}]`,
      );
    }
    return this.labelNames.map((n) => labels[n] as string);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, state } of this.series.values()) {
      const pairs = this.labelNames.map((n, i): [string, string] => [n, labels[i] as string]);
      lines.push(...this.renderSeries(pairs, state));
    }
    return lines;
  }
}

export class Counter extends MetricFamily<{ value: number }> {
  readonly type = 'counter';
  protected initialState(): { value: number } {
    return { value: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.seriesFor(labels).value += by;
  }
  get(labels: Labels = {}): number {
    return this.existingSeries(labels)?.value ?? 0;
  }
  protected renderSeries(pairs: Array<[string, string]>, state: { value: number }): string[] {
    return [`${this.name}${renderLabels(pairs)} ${formatSampleValue(state.value)}`];
  }
}

export class Gauge extends MetricFamily<{ value: number }> {
  readonly type = 'gauge';
  protected initialState(): { value: number } {
    return { value: 0 };
  }
  set(labels: Labels, value: number): void {
    this.seriesFor(labels).value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels).value += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels).value -= by;
  }
  get(labels: Labels = {}): number {
    return this.existingSeries(labels)?.value ?? 0;
  }
  protected renderSeries(pairs: Array<[string, string]>, state: { value: number }): string[] {
    return [`${this.name}${renderLabels(pairs)} ${formatSampleValue(state.value)}`];
  }
}

interface HistogramState {
  /** Non-cumulative count per bucket; rendered cumulatively. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends MetricFamily<HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    const sorted = [...buckets].filter((b) => b !== Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error(`histogram ${name} needs at least one finite bucket`);
    if (new Set(sorted).size !== sorted.length) throw new Error(`histogram ${name} has duplicate buckets`);
    this.buckets = sorted;
  }

  protected initialState(): HistogramState {
    return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    const state = this.seriesFor(labels);
    const index = this.buckets.findIndex((upper) => value <= upper);
    if (index >= 0) state.counts[index] = (state.counts[index] ?? 0) + 1;
    state.sum += value;
    state.count += 1;
  }

  /** Number of observations recorded for `labels`. */
  count(labels: Labels = {}): number {
    return this.existingSeries(labels)?.count ?? 0;
  }

  protected renderSeries(pairs: Array<[string, string]>, state: HistogramState): string[] {
    const lines: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((upper, i) => {
      cumulative += state.counts[i] ?? 0;
      lines.push(
        `${this.name}_bucket${renderLabels([...pairs, ['le', formatSampleValue(upper)]])} ${cumulative}`,
      );
    });
    lines.push(`${this.name}_bucket${renderLabels([...pairs, ['le', '+Inf']])} ${state.count}`);
    lines.push(`${this.name}_sum${renderLabels(pairs)} ${formatSampleValue(state.sum)}`);
    lines.push(`${this.name}_count${renderLabels(pairs)} ${state.count}`);
    return lines;
  }
}

type AnyFamily = Counter | Gauge | Histogram;

/** Holds metric families in registration order and renders them as one exposition document. */
export class MetricsRegistry {
  private readonly families = new Map<string, AnyFamily>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, labelNames, Counter, () => new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(name, labelNames, Gauge, () => new Gauge(name, help, labelNames));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.register(name, labelNames, Histogram, () => new Histogram(name, help, labelNames, buckets));
  }

  /** The whole registry in text format 0.0.4 (ends with a newline). */
  render(): string {
    const lines: string[] = [];
    for (const family of this.families.values()) lines.push(...family.render());
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  // Registering a name twice returns the existing family when it is the same kind with the same
  // labels, so independent components can ask for a shared metric without coordinating.
  private register<F extends AnyFamily>(
    name: string,
    labelNames: readonly string[],
    kind: abstract new (...args: never[]) => F,
    create: () => F,
  ): F {
    const existing = this.families.get(name);
    if (existing) {
      if (!(existing instanceof kind) || existing.labelNames.join(',') !== labelNames.join(',')) {
        throw new Error(`metric ${name} already registered with a different type or labels`);
      }
      return existing;
    }
    const family = create();
    this.families.set(name, family);
    return family;
  }
}

/** Bucket bounds `start, start*factor, …` (count of them), as Prometheus client libraries define. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  let value = start;
  for (let i = 0; i < count; i++) {
    out.push(Number(value.toPrecision(12)));
    value *= factor;
  }
  return out;
}

// controller-runtime's reconcile-time buckets: fine-grained below a second, coarse up to a minute.
export const RECONCILE_TIME_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

// Work-queue latency buckets: 10ns up to 1000s in decades, as the workqueue metrics provider uses.
export const WORKQUEUE_DURATION_BUCKETS: readonly number[] = exponentialBuckets(1e-8, 10, 12);

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

/** The metric families every part of the runtime reports into. One instance per process. */
export class RuntimeMetrics {
  readonly reconcileTotal: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileTime: Histogram;
  readonly maxConcurrentReconciles: Gauge;
  readonly activeWorkers: Gauge;
  readonly workqueueDepth: Gauge;
  readonly workqueueAdds: Counter;
  readonly workqueueRetries: Counter;
  readonly workqueueQueueDuration: Histogram;
  readonly workqueueWorkDuration: Histogram;
  readonly restClientRequests: Counter;
  readonly leaderElectionStatus: Gauge;

  constructor(readonly registry: MetricsRegistry = new MetricsRegistry()) {
    const r = registry;
    this.reconcileTotal = r.counter(
      'controller_runtime_reconcile_total',
      'Reconciliations per controller, by outcome.',
      ['controller', 'result'],
    );
    this.reconcileErrors = r.counter(
      'controller_runtime_reconcile_errors_total',
      'Reconciliations per controller that returned an error.',
      ['controller'],
    );
    this.reconcileTime = r.histogram(
      'controller_runtime_reconcile_time_seconds',
      'Wall time spent in one reconciliation, per controller.',
      ['controller'],
      RECONCILE_TIME_BUCKETS,
    );
    this.maxConcurrentReconciles = r.gauge(
      'controller_runtime_max_concurrent_reconciles',
      'Configured number of workers per controller.',
      ['controller'],
    );
    this.activeWorkers = r.gauge(
      'controller_runtime_active_workers',
      'Workers currently running a reconciliation, per controller.',
      ['controller'],
    );
    this.workqueueDepth = r.gauge('workqueue_depth', 'Keys waiting in the work queue.', ['name']);
    this.workqueueAdds = r.counter('workqueue_adds_total', 'Keys added to the work queue.', ['name']);
    this.workqueueRetries = r.counter(
      'workqueue_retries_total',
      'Delayed or rate-limited re-additions to the work queue.',
      ['name'],
    );
    this.workqueueQueueDuration = r.histogram(
      'workqueue_queue_duration_seconds',
      'Time a key waits in the work queue before a worker takes it.',
      ['name'],
      WORKQUEUE_DURATION_BUCKETS,
    );
    this.workqueueWorkDuration = r.histogram(
      'workqueue_work_duration_seconds',
      'Time a worker holds a key, from taking it to marking it done.',
      ['name'],
      WORKQUEUE_DURATION_BUCKETS,
    );
    this.restClientRequests = r.counter(
      'rest_client_requests_total',
      'HTTP requests to the API server, by status code, method and host.',
      ['code', 'method', 'host'],
    );
    this.leaderElectionStatus = r.gauge(
      'leader_election_master_status',
      '1 while this process holds the named leader-election lease, else 0.',
      ['name'],
    );
  }

  /** Work-queue hooks reporting under `name` (the controller name). */
  forQueue(name: string): QueueMetrics {
    const labels = { name };
    this.workqueueDepth.set(labels, 0);
    return {
      depth: (n) => this.workqueueDepth.set(labels, n),
      added: () => this.workqueueAdds.inc(labels),
      retried: () => this.workqueueRetries.inc(labels),
      waited: (seconds) => this.workqueueQueueDuration.observe(labels, seconds),
      worked: (seconds) => this.workqueueWorkDuration.observe(labels, seconds),
    };
  }
}
