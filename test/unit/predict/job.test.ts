import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

import { runPredictJob, type JobSettings, type MetricsQuerier } from '../../../cli/predict/job.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import { FakeClock } from '../../../controllers/kit/clock.js';
import { silentLogger } from '../../../controllers/kit/log.js';
import { MetricsCallError } from '../../../controllers/metrics/grpc/client.js';
import type { QueryMessage, SeriesMessage } from '../../../controllers/metrics/grpc/proto.js';
import { FakeTransport, status, type RecordedRequest } from '../kit/fake-transport.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2024, 5, 4, 12, 0, 30);

const portrait = () => {
  const hp = YAML.parse(
    readFileSync(
      join(process.cwd(), 'test', 'fixtures', 'seeds', 'hp-predictive-sample-predictive.yaml'),
      'utf8',
    ),
  ) as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete hp['status'];
  hp.metadata = { ...hp.metadata, uid: 'hp-uid', namespace: 'shop' };
  return hp;
};

/** The metrics service over synthetic history: an hourly cycle, the seed's 1m cpu per pod. */
class FakeMetrics implements MetricsQuerier {
  readonly asked: QueryMessage[] = [];
  unknown = new Set<string>();

  async query(query: QueryMessage, startMs: number, endMs: number, stepMs: number): Promise<SeriesMessage[]> {
    this.asked.push(query);
    const metric = query.workload_external?.metric?.name ?? query.object?.metric?.name;
    if (metric && this.unknown.has(metric)) throw new MetricsCallError(5, `unknown metric ${metric}`);
    const points = [];
    for (let t = startMs; t <= endMs; t += stepMs) {
      const rps =
        10 * (1 + 0.6 * Math.sin((2 * Math.PI * (t % HOUR)) / HOUR)) * (1 + 0.03 * Math.sin(t / 7919));
      const replicas = 2 + Math.round(3 * (1 + Math.sin((2 * Math.PI * ((t - 2 * MINUTE) % HOUR)) / HOUR)));
      const value =
        query.type === 'WORKLOAD_RESOURCE'
          ? 0.0001 * replicas + 0.0004 * rps
          : query.type === 'WORKLOAD_EXTERNAL'
            ? replicas
            : rps;
      points.push({ timestamp: t, value });
    }
    return [{ labels: {}, points }];
  }
}

function apiServer(requests: RecordedRequest[], configMap?: unknown) {
  return (request: RecordedRequest) => {
    requests.push(request);
    const path = request.path;
    if (
      path ===
      '/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/shop/horizontalportraits/predictive-sample-predictive'
    ) {
      return { body: portrait() };
    }
    if (path === '/api/v1/namespaces/shop/configmaps/predictive-sample-predictive-result') {
      if (request.method === 'GET')
        return configMap ? { body: configMap } : status(404, 'NotFound', 'not found');
      if (request.method === 'PATCH') return { body: request.body };
    }
    return status(404, 'NotFound', `unexpected ${request.method} ${path}`);
  };
}

const SETTINGS: JobSettings = {
  namespace: 'shop',
  name: 'predictive-sample-predictive',
  historyMs: 24 * HOUR,
  stepMs: MINUTE,
  maxPointsPerQuery: 10_000,
  dryRun: false,
  plan: {
    testSizeMs: HOUR,
    scalingFreqMs: 10 * MINUTE,
    scaleUpAheadMs: 0,
    horizonMs: HOUR,
    timeDeltaHours: 8,
    maxTestError: 0.3,
    minCorrelation: 0.5,
    windowCoverage: 0.95,
  },
};

describe('runPredictJob', () => {
  test('reads the portrait, queries the history, applies ConfigMap <hp>-result owned by the portrait', async () => {
    const requests: RecordedRequest[] = [];
    const client = new KubeClient(new FakeTransport(apiServer(requests)));
    const metrics = new FakeMetrics();
    const code = await runPredictJob(SETTINGS, {
      client,
      metrics,
      clock: new FakeClock(new Date(NOW)),
      logger: silentLogger(),
    });
    expect(code).toBe(0);
    expect(metrics.asked.map((q) => q.type)).toEqual(['WORKLOAD_RESOURCE', 'WORKLOAD_EXTERNAL', 'OBJECT']);
    const apply = requests.find((r) => r.method === 'PATCH');
    expect(apply?.query.get('fieldManager')).toBe('rollscale');
    const body = apply?.body as { metadata: { ownerReferences: unknown[] }; data: Record<string, string> };
    expect(body.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'HorizontalPortrait',
        name: 'predictive-sample-predictive',
        uid: 'hp-uid',
        controller: true,
      }),
    ]);
    expect(body.data['type']).toBe('TimeSeries');
    const series = JSON.parse(body.data['timeSeries'] ?? '{}') as Record<string, number>;
    const first = Math.floor(NOW / 600_000) * 600;
    expect(Object.keys(series)).toEqual(Array.from({ length: 6 }, (_, k) => String(first + k * 600)));
    expect(body.data['expireTime']).toBe(new Date((first + 3600) * 1000).toISOString().replace('.000Z', 'Z'));
  });

  test("falls back to the default rules' ready-pods name when the service does not know kube_pod_status_ready", async () => {
    const client = new KubeClient(new FakeTransport(apiServer([])));
    const metrics = new FakeMetrics();
    metrics.unknown.add('kube_pod_status_ready');
    const code = await runPredictJob(SETTINGS, {
      client,
      metrics,
      clock: new FakeClock(new Date(NOW)),
      logger: silentLogger(),
    });
    expect(code).toBe(0);
    expect(metrics.asked.map((q) => q.workload_external?.metric?.name).filter(Boolean)).toEqual([
      'kube_pod_status_ready',
      'ready_pods_count',
    ]);
  });

  test('a refusal or a failure exits 1 and writes nothing', async () => {
    const requests: RecordedRequest[] = [];
    const client = new KubeClient(new FakeTransport(apiServer(requests)));
    const tooShort = { ...SETTINGS, historyMs: 2 * HOUR };
    expect(
      await runPredictJob(tooShort, {
        client,
        metrics: new FakeMetrics(),
        clock: new FakeClock(new Date(NOW)),
        logger: silentLogger(),
      }),
    ).toBe(1);
    const broken = new FakeMetrics();
    broken.unknown.add('nginx_ingress_controller_requests_rate');
    expect(
      await runPredictJob(SETTINGS, {
        client,
        metrics: broken,
        clock: new FakeClock(new Date(NOW)),
        logger: silentLogger(),
      }),
    ).toBe(1);
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  test('dry run writes nothing', async () => {
    const requests: RecordedRequest[] = [];
    const client = new KubeClient(new FakeTransport(apiServer(requests)));
    const code = await runPredictJob(
      { ...SETTINGS, dryRun: true },
      { client, metrics: new FakeMetrics(), clock: new FakeClock(new Date(NOW)), logger: silentLogger() },
    );
    expect(code).toBe(0);
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
