import {
  MetricsRegistry,
  RuntimeMetrics,
  exponentialBuckets,
  formatSampleValue,
} from '../../../controllers/kit/metrics.js';

describe('MetricsRegistry text format', () => {
  it('renders nothing for an empty registry', () => {
    expect(new MetricsRegistry().render()).toBe('');
  });

  it('renders counters and gauges with HELP, TYPE and labelled samples', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('rest_client_requests_total', 'Requests.', ['code', 'method', 'host']);
    const depth = registry.gauge('workqueue_depth', 'Depth.', ['name']);
    const up = registry.gauge('up', 'Unlabelled.');
    requests.inc({ code: '200', method: 'GET', host: 'h:6443' });
    requests.inc({ code: '200', method: 'GET', host: 'h:6443' }, 2);
    requests.inc({ method: 'PATCH', host: 'h:6443', code: '409' });
    depth.set({ name: 'rollout' }, 4);
    depth.dec({ name: 'rollout' });
    up.set({}, 1);
    expect(registry.render()).toBe(
      [
        '# HELP rest_client_requests_total Requests.',
        '# TYPE rest_client_requests_total counter',
        'rest_client_requests_total{code="200",method="GET",host="h:6443"} 3',
        'rest_client_requests_total{code="409",method="PATCH",host="h:6443"} 1',
        '# HELP workqueue_depth Depth.',
        '# TYPE workqueue_depth gauge',
        'workqueue_depth{name="rollout"} 3',
        '# HELP up Unlabelled.',
        '# TYPE up gauge',
        'up 1',
        '',
      ].join('\n'),
    );
  });

  it('renders histograms with cumulative buckets, +Inf, sum and count', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram(
      'controller_runtime_reconcile_time_seconds',
      'Time.',
      ['controller'],
      [0.1, 1, 0.5],
    );
    h.observe({ controller: 'ihpa' }, 0.05);
    h.observe({ controller: 'ihpa' }, 0.5);
    h.observe({ controller: 'ihpa' }, 0.75);
    h.observe({ controller: 'ihpa' }, 3);
    expect(registry.render().split('\n')).toEqual([
      '# HELP controller_runtime_reconcile_time_seconds Time.',
      '# TYPE controller_runtime_reconcile_time_seconds histogram',
      'controller_runtime_reconcile_time_seconds_bucket{controller="ihpa",le="0.1"} 1',
      'controller_runtime_reconcile_time_seconds_bucket{controller="ihpa",le="0.5"} 2',
      'controller_runtime_reconcile_time_seconds_bucket{controller="ihpa",le="1"} 3',
      'controller_runtime_reconcile_time_seconds_bucket{controller="ihpa",le="+Inf"} 4',
      'controller_runtime_reconcile_time_seconds_sum{controller="ihpa"} 4.3',
      'controller_runtime_reconcile_time_seconds_count{controller="ihpa"} 4',
      '',
    ]);
  });

  it('escapes label values and help text', () => {
    const registry = new MetricsRegistry();
    registry.counter('x_total', 'Line one\nback\\slash', ['v']).inc({ v: 'a"b\\c\nd' });
    expect(registry.render().split('\n')).toEqual([
      '# HELP x_total Line one\\nback\\\\slash',
      '# TYPE x_total counter',
      'x_total{v="a\\"b\\\\c\\nd"} 1',
      '',
    ]);
  });

  it('formats special sample values', () => {
    expect(formatSampleValue(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatSampleValue(Number.NEGATIVE_INFINITY)).toBe('-Inf');
    expect(formatSampleValue(Number.NaN)).toBe('NaN');
    expect(formatSampleValue(0.25)).toBe('0.25');
  });

  it('rejects wrong label sets, negative counter increments and bad names', () => {
    const registry = new MetricsRegistry();
    const c = registry.counter('c_total', 'C.', ['controller']);
    expect(() => c.inc({})).toThrow(/expects labels \[controller\]/);
    expect(() => c.inc({ controller: 'a', extra: 'b' })).toThrow(/expects labels/);
    expect(() => c.inc({ controller: 'a' }, -1)).toThrow(/cannot decrease/);
    expect(() => registry.gauge('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => registry.gauge('g', 'x', ['le'])).toThrow(/invalid label name/);
  });

  it('returns the existing family for a repeated registration and refuses a conflicting one', () => {
    const registry = new MetricsRegistry();
    const a = registry.counter('c_total', 'C.', ['x']);
    expect(registry.counter('c_total', 'C.', ['x'])).toBe(a);
    expect(() => registry.gauge('c_total', 'C.', ['x'])).toThrow(/already registered/);
    expect(() => registry.counter('c_total', 'C.', ['y'])).toThrow(/already registered/);
  });

  it('builds exponential buckets without float noise', () => {
    expect(exponentialBuckets(1e-8, 10, 12)).toEqual([
      1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000,
    ]);
  });
});

describe('RuntimeMetrics', () => {
  it('uses the controller-runtime metric names and labels', () => {
    const m = new RuntimeMetrics();
    m.reconcileTotal.inc({ controller: 'rollout', result: 'requeue_after' });
    m.reconcileErrors.inc({ controller: 'rollout' });
    m.restClientRequests.inc({ code: '201', method: 'POST', host: 'h' });
    const queue = m.forQueue('rollout');
    queue.added?.();
    queue.retried?.();
    queue.depth?.(2);
    const text = m.registry.render();
    expect(text).toContain(
      'controller_runtime_reconcile_total{controller="rollout",result="requeue_after"} 1\n',
    );
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="rollout"} 1\n');
    expect(text).toContain('rest_client_requests_total{code="201",method="POST",host="h"} 1\n');
    expect(text).toContain('workqueue_adds_total{name="rollout"} 1\n');
    expect(text).toContain('workqueue_retries_total{name="rollout"} 1\n');
    expect(text).toContain('workqueue_depth{name="rollout"} 2\n');
    expect(text).toContain('# TYPE controller_runtime_reconcile_time_seconds histogram\n');
    expect(text).toContain('# TYPE workqueue_queue_duration_seconds histogram\n');
    expect(text).toContain('# TYPE workqueue_work_duration_seconds histogram\n');
  });
});
