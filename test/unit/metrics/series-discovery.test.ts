import { FakeClock } from '../../../controllers/kit/clock.js';
import {
  PODS,
  RECENT_MS,
  SeriesDiscovery,
  parsePrometheusMetricsConfig,
  type PrometheusMetricsConfig,
  type SeriesLabels,
} from '../../../controllers/metrics/index.js';

const RULES = `
rules:
- seriesQuery: '{__name__="http_requests_total"}'
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)
  name:
    matches: ^(.*)_total$
    as: \${1}_per_second
  resources:
    template: <<.Resource>>
- seriesQuery: '{__name__="ingress_hits"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
  resources:
    overrides:
      namespace: {resource: namespace}
      ingress: {group: networking.k8s.io, resource: ingress}
externalRules:
- seriesQuery: '{__name__="queue_depth"}'
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
  resources:
    namespaced: false
`;

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);

class UnavailableForTest extends Error {}

/** Series listing with a gate, so a test can hold discovery in flight. */
class FakeSeriesApi {
  readonly calls: Array<{ match: string; start: number; end: number }> = [];
  /** Series by selector; `from`/`to` bound when a series exists (unix ms). */
  known: Record<string, Array<{ labels: SeriesLabels; from: number; to: number }>> = {
    '{__name__="http_requests_total"}': [
      { labels: { __name__: 'http_requests_total', namespace: 'shop', pod: 'web-0' }, from: 0, to: Infinity },
    ],
    '{__name__="ingress_hits"}': [
      { labels: { __name__: 'ingress_hits', namespace: 'shop', ingress: 'web' }, from: 0, to: Infinity },
    ],
  };
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }

  series = async (match: string, start: Date, end: Date): Promise<SeriesLabels[]> => {
    this.calls.push({ match, start: start.getTime(), end: end.getTime() });
    await this.gate;
    return (this.known[match] ?? [])
      .filter((s) => s.from <= end.getTime() && s.to >= start.getTime())
      .map((s) => s.labels);
  };
}

function setup(options: { relistMs?: number } = {}) {
  const clock = new FakeClock(NOW);
  const api = new FakeSeriesApi();
  let config: PrometheusMetricsConfig = parsePrometheusMetricsConfig(RULES);
  const discovery = new SeriesDiscovery({
    prometheus: api,
    config: () => config,
    clock,
    relistMs: options.relistMs,
    unavailable: (message) => new UnavailableForTest(message),
  });
  return {
    clock,
    api,
    discovery,
    setConfig: (text: string) => {
      config = parsePrometheusMetricsConfig(text);
    },
  };
}

describe('SeriesDiscovery', () => {
  it('indexes each rule kind by metric name over the recent window', async () => {
    const { api, discovery } = setup();
    const found = await discovery.lookup('rules', 'http_requests_per_second');
    expect(found?.map((d) => d.seriesName)).toEqual(['http_requests_total']);
    expect(found?.[0]?.labels.has('pod')).toBe(true);
    expect(api.calls).toEqual([
      { match: '{__name__="http_requests_total"}', start: NOW - RECENT_MS, end: NOW },
      { match: '{__name__="ingress_hits"}', start: NOW - RECENT_MS, end: NOW },
    ]);
    expect(RECENT_MS).toBe(10 * 60_000);
  });

  it('reuses a fresh index and relists once it is older than relistMs', async () => {
    const { api, clock, discovery } = setup({ relistMs: 30_000 });
    await discovery.lookup('rules', 'ingress_hits');
    clock.advance(29_999);
    await discovery.lookup('rules', 'ingress_hits');
    expect(api.calls).toHaveLength(2);
    clock.advance(1);
    await discovery.lookup('rules', 'ingress_hits');
    expect(api.calls).toHaveLength(4);
  });

  it('relists at once when a metric is missing, finding a series that just appeared', async () => {
    const { api, discovery } = setup();
    expect(await discovery.lookup('externalRules', 'queue_depth')).toBeUndefined();
    api.known['{__name__="queue_depth"}'] = [{ labels: { __name__: 'queue_depth' }, from: 0, to: Infinity }];
    const found = await discovery.lookup('externalRules', 'queue_depth');
    expect(found?.map((d) => d.seriesName)).toEqual(['queue_depth']);
    expect(api.calls.map((c) => c.match)).toEqual(['{__name__="queue_depth"}', '{__name__="queue_depth"}']);
  });

  it('keeps one cache per rule kind', async () => {
    const { api, discovery } = setup();
    await discovery.lookup('rules', 'ingress_hits');
    api.known['{__name__="queue_depth"}'] = [{ labels: { __name__: 'queue_depth' }, from: 0, to: Infinity }];
    await discovery.lookup('externalRules', 'queue_depth');
    await discovery.lookup('rules', 'ingress_hits');
    await discovery.lookup('externalRules', 'queue_depth');
    expect(api.calls.map((c) => c.match)).toEqual([
      '{__name__="http_requests_total"}',
      '{__name__="ingress_hits"}',
      '{__name__="queue_depth"}',
    ]);
  });

  it('shares one relist between concurrent lookups of a kind', async () => {
    const { api, discovery } = setup();
    api.hold();
    const first = discovery.lookup('rules', 'ingress_hits');
    const second = discovery.lookup('rules', 'http_requests_per_second');
    api.release();
    const [a, b] = await Promise.all([first, second]);
    expect(a?.[0]?.seriesName).toBe('ingress_hits');
    expect(b?.[0]?.seriesName).toBe('http_requests_total');
    expect(api.calls).toHaveLength(2);
  });

  it('drops the cache when the configuration changes', async () => {
    const { api, discovery, setConfig } = setup();
    await discovery.lookup('rules', 'ingress_hits');
    setConfig(RULES);
    await discovery.lookup('rules', 'ingress_hits');
    expect(api.calls).toHaveLength(4);
  });

  it('looks inside a history span for a metric absent from recent series, without caching it', async () => {
    const { api, discovery } = setup();
    api.known['{__name__="queue_depth"}'] = [
      { labels: { __name__: 'queue_depth' }, from: 0, to: NOW - 2 * RECENT_MS },
    ];
    const history = { startMs: NOW - 3 * RECENT_MS, endMs: NOW };
    expect(await discovery.lookup('externalRules', 'queue_depth')).toBeUndefined();
    const found = await discovery.first('externalRules', 'queue_depth', history);
    expect(found.seriesName).toBe('queue_depth');
    expect(api.calls.at(-1)).toEqual({ match: '{__name__="queue_depth"}', start: history.startMs, end: NOW });
    // The historic answer is not cached: a plain lookup still misses.
    expect(await discovery.lookup('externalRules', 'queue_depth')).toBeUndefined();
  });

  it('reports an unknown metric with the caller’s error type', async () => {
    const { discovery } = setup();
    const failure = discovery.first('externalRules', 'nope');
    await expect(failure).rejects.toBeInstanceOf(UnavailableForTest);
    await expect(discovery.first('externalRules', 'nope')).rejects.toThrow(
      'unknown metric nope: none of the 1 externalRules in prometheus-metrics-config.yaml yields a series named so in Prometheus',
    );
  });

  it('picks the series whose rule maps the resource to a label it carries, or says why none does', async () => {
    const { discovery } = setup();
    const pods = await discovery.forResource('http_requests_per_second', PODS);
    expect(pods.label).toBe('pod');
    expect(pods.discovered.seriesName).toBe('http_requests_total');
    const ingress = { group: 'networking.k8s.io', resource: 'ingresses', singular: 'ingress' };
    await expect(discovery.forResource('http_requests_per_second', ingress)).rejects.toThrow(
      /^metric http_requests_per_second is not available for .*series http_requests_total have no label ingress/,
    );
    await expect(discovery.forResource('ingress_hits', PODS)).rejects.toBeInstanceOf(UnavailableForTest);
  });
});
