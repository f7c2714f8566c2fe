// The HorizontalPortrait controller wired to a Manager over a fake API server, on a FakeClock:
// the reactive sync runs on its requeueAfter timer and nothing else, a failed sync keeps the
// previous data, and a predictive portrait gets its CronJob and its result.
import { FakeClock } from '../../../controllers/kit/clock.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import { silentLogger } from '../../../controllers/kit/log.js';
import { Manager } from '../../../controllers/kit/manager.js';
import { RuntimeMetrics } from '../../../controllers/kit/metrics.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import {
  registerHorizontalPortraitController,
  type HorizontalPortrait,
} from '../../../controllers/portrait/horizontalportrait/index.js';
import { FakeTransport, flush, status, type FakeReply, type RecordedRequest } from '../kit/fake-transport.js';

const HP_PATH = '/apis/autoscaling.kapacitystack.io/v1alpha1/horizontalportraits';

interface World {
  portraits: HorizontalPortrait[];
  configMaps: Array<KubeObject & { data?: Record<string, string> }>;
  /** cpu usage per container of nginx-0, or undefined to make metrics.k8s.io fail. */
  usage?: Record<string, string>;
  statusWrites: Array<{ name: string; status: HorizontalPortrait['status'] }>;
  cronJobApplies: KubeObject[];
  metricsRequests: number;
  events: Array<{ reason?: string; message?: string }>;
  /** MODIFIED events of portraits, by resourceVersion, for the watch to deliver. */
  portraitEvents: Array<{ rv: number; object: HorizontalPortrait }>;
  rv: number;
}

const nginxPod = {
  metadata: { name: 'nginx-0', namespace: 'shop', labels: { app: 'nginx' }, resourceVersion: '1' },
  spec: {
    containers: [
      { name: 'a', resources: { requests: { cpu: '300m' } } },
      { name: 'b', resources: { requests: { cpu: '300m' } } },
      { name: 'c', resources: { requests: { cpu: '400m' } } },
    ],
  },
  status: {
    phase: 'Running',
    startTime: '2023-12-31T00:00:00Z',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2023-12-31T00:00:10Z' }],
  },
};

function list(items: unknown[]): FakeReply {
  return { body: { metadata: { resourceVersion: '5' }, items } };
}

function apiServer(world: World, clock: FakeClock) {
  return (req: RecordedRequest): FakeReply => {
    const watch = req.query.get('watch');
    if (watch && req.path === HP_PATH) {
      // Our status writes come back through the watch, as from a real API server.
      const since = Number(req.query.get('resourceVersion') ?? '0');
      const events = world.portraitEvents.filter((e) => e.rv > since);
      return { chunks: events.map((e) => `${JSON.stringify({ type: 'MODIFIED', object: e.object })}\n`) };
    }
    if (watch) return { chunks: [] };
    if (req.path === HP_PATH) return list(world.portraits);
    if (req.path === '/api/v1/pods') return list([nginxPod]);
    if (req.path === '/api/v1/configmaps') return list(world.configMaps);
    if (req.path === '/apis/batch/v1/cronjobs') return list([]);
    if (req.path === '/apis/apps/v1/namespaces/shop/statefulsets/nginx/scale') {
      return { body: { spec: { replicas: 1 }, status: { replicas: 1, selector: 'app=nginx' } } };
    }
    if (req.path === '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods') {
      world.metricsRequests++;
      if (!world.usage) return status(503, 'ServiceUnavailable', 'metrics-server is down');
      return {
        body: {
          items: [
            {
              metadata: { name: 'nginx-0' },
              timestamp: new Date(clock.now().getTime() - 5000).toISOString(),
              window: '30s',
              containers: Object.entries(world.usage).map(([name, cpu]) => ({ name, usage: { cpu } })),
            },
          ],
        },
      };
    }
    const statusMatch =
      /^\/apis\/autoscaling\.kapacitystack\.io\/v1alpha1\/namespaces\/shop\/horizontalportraits\/([^/]+)\/status$/.exec(
        req.path,
      );
    if (statusMatch && req.method === 'PATCH') {
      const body = req.body as HorizontalPortrait;
      const stored = world.portraits.find((p) => p.metadata?.name === statusMatch[1]);
      if (!stored) return status(404, 'NotFound', 'gone');
      world.statusWrites.push({ name: statusMatch[1] as string, status: body.status });
      stored.status = body.status;
      world.rv++;
      stored.metadata = { ...stored.metadata, resourceVersion: String(world.rv) };
      world.portraitEvents.push({ rv: world.rv, object: structuredClone(stored) });
      return { body: stored };
    }
    if (req.path.startsWith('/apis/batch/v1/namespaces/shop/cronjobs/') && req.method === 'PATCH') {
      world.cronJobApplies.push(req.body as KubeObject);
      return { body: req.body };
    }
    if (req.path === '/api/v1/namespaces/shop/events') {
      world.events.push(req.body as { reason?: string; message?: string });
      return { body: req.body };
    }
    return status(404, 'NotFound', `${req.method} ${req.path}`);
  };
}

function reactive(): HorizontalPortrait {
  return {
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'HorizontalPortrait',
    metadata: { name: 'nginx-reactive', namespace: 'shop', generation: 1, uid: 'u1', resourceVersion: '2' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      portraitType: 'Reactive',
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
        },
      ],
      algorithm: { type: 'KubeHPA', kubeHPA: { syncPeriod: '15s' } },
    },
  };
}

function predictive(): HorizontalPortrait {
  return {
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'HorizontalPortrait',
    metadata: { name: 'nginx-predictive', namespace: 'shop', generation: 1, uid: 'u2', resourceVersion: '3' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      portraitType: 'Predictive',
      algorithm: {
        type: 'ExternalJob',
        externalJob: {
          job: {
            type: 'CronJob',
            cronJob: {
              template: {
                spec: {
                  schedule: '0/30 * * * *',
                  jobTemplate: {
                    spec: { template: { spec: { containers: [{ name: 'algorithm', image: 'algo:1' }] } } },
                  },
                },
              },
            },
          },
          resultSource: { type: 'ConfigMap' },
        },
      },
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await flush();
}

/** Moves the clock in small steps so informer relists and reconciles interleave as in real time. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 250) {
    clock.advance(Math.min(250, ms - done));
    await settle();
  }
}

function start(world: World) {
  const clock = new FakeClock(new Date('2024-01-01T00:00:00Z'));
  const metrics = new RuntimeMetrics();
  const client = new KubeClient(new FakeTransport(apiServer(world, clock)), { metrics });
  const manager = new Manager({ client, metrics, clock, logger: silentLogger(), metricsAddress: '0' });
  registerHorizontalPortraitController(manager, {
    prometheusAddress: '',
    configNamespace: 'shop',
    algorithmJob: { metricsServerAddress: 'metrics:9090', defaultImage: 'default:1' },
  });
  const running = manager.start();
  return { clock, manager, running };
}

function newWorld(portraits: HorizontalPortrait[]): World {
  return {
    portraits,
    configMaps: [],
    statusWrites: [],
    cronJobApplies: [],
    metricsRequests: 0,
    events: [],
    portraitEvents: [],
    rv: 10,
  };
}

describe('HorizontalPortrait controller', () => {
  it('syncs a reactive portrait every syncPeriod and keeps the last data when metrics fail', async () => {
    const world = newWorld([reactive()]);
    world.usage = { a: '300m', b: '500m', c: '700m' };
    const { clock, manager, running } = start(world);
    await settle();

    expect(world.metricsRequests).toBe(1);
    expect(world.statusWrites).toHaveLength(1);
    expect(world.statusWrites[0]?.status).toEqual({
      portraitData: { type: 'Static', static: { replicas: 5 } },
      conditions: [
        {
          type: 'PortraitGenerated',
          status: 'True',
          reason: 'SucceededGeneratePortrait',
          message: 'portrait has been successfully generated',
          lastTransitionTime: '2024-01-01T00:00:00Z',
          observedGeneration: 1,
        },
      ],
    });

    // Relists and our own status write do not bring the next sync forward.
    await advance(clock, 14_750);
    expect(world.metricsRequests).toBe(1);
    await advance(clock, 250);
    expect(world.metricsRequests).toBe(2);
    // Same answer, same status: no second write.
    expect(world.statusWrites).toHaveLength(1);

    world.usage = undefined;
    await advance(clock, 15_000);
    expect(world.metricsRequests).toBe(3);
    const failed = world.statusWrites.at(-1)?.status;
    expect(failed?.portraitData).toEqual({ type: 'Static', static: { replicas: 5 } });
    expect(failed?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'FailedGeneratePortrait' });
    expect(failed?.conditions?.[0]?.message).toMatch(
      /^failed to generate portrait: invalid metrics \(1 invalid out of 1\), first error is: cpu resource utilization \(percentage of request\): unable to get resource metric cpu from metrics\.k8s\.io/,
    );
    expect(world.events.map((e) => e.reason)).toEqual(['FailedGeneratePortrait']);

    await manager.stop();
    await running;
  });

  it('creates the algorithm CronJob and copies the result into the portrait', async () => {
    const world = newWorld([predictive()]);
    world.configMaps.push({
      metadata: { name: 'nginx-predictive-result', namespace: 'shop', resourceVersion: '4' },
      data: {
        type: 'TimeSeries',
        expireTime: '2024-01-01T01:00:00Z',
        timeSeries: '{"1704070800": 3, "1704067200": 2}',
      },
    });
    const { manager, running } = start(world);
    await settle();

    expect(world.cronJobApplies).toHaveLength(1);
    const job = world.cronJobApplies[0] as KubeObject & {
      spec: { jobTemplate: { spec: { template: { spec: { containers: unknown[] } } } } };
    };
    expect(job.metadata?.name).toBe('shop-nginx-predictive');
    expect(job.spec.jobTemplate.spec.template.spec.containers).toEqual([
      {
        name: 'algorithm',
        image: 'algo:1',
        env: [
          { name: 'METRICS_SERVER_ADDR', value: 'metrics:9090' },
          { name: 'HP_NAMESPACE', value: 'shop' },
          { name: 'HP_NAME', value: 'nginx-predictive' },
        ],
      },
    ]);
    expect(world.statusWrites.map((w) => w.status?.portraitData)).toEqual([
      {
        type: 'TimeSeries',
        expireTime: '2024-01-01T01:00:00Z',
        timeSeries: {
          timeSeries: [
            { timestamp: 1704067200, replicas: 2 },
            { timestamp: 1704070800, replicas: 3 },
          ],
        },
      },
    ]);
    expect(world.metricsRequests).toBe(0);
    await manager.stop();
    await running;
  });
});
