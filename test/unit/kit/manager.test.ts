import { FakeClock } from '../../../controllers/kit/clock.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import { mapToSelf } from '../../../controllers/kit/controller.js';
import { builtin } from '../../../controllers/kit/discovery.js';
import type { Lease } from '../../../controllers/kit/leader.js';
import { silentLogger } from '../../../controllers/kit/log.js';
import { Manager } from '../../../controllers/kit/manager.js';
import { RuntimeMetrics } from '../../../controllers/kit/metrics.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import { FakeTransport, flush, status, type RecordedRequest, type FakeReply } from './fake-transport.js';

/** ConfigMaps to list (watches end at once), and one Lease with compare-and-swap. */
function apiServer() {
  const state: { lease?: Lease; writes: string[] } = { writes: [] };
  const handler = (req: RecordedRequest): FakeReply => {
    if (req.path === '/api/v1/configmaps') {
      if (req.query.get('watch')) return { chunks: [] };
      return {
        body: {
          metadata: { resourceVersion: '10' },
          items: [{ metadata: { name: 'a', namespace: 'ns', resourceVersion: '3' } }],
        },
      };
    }
    if (req.path.startsWith('/apis/coordination.k8s.io/v1/namespaces/default/leases')) {
      if (req.method === 'GET')
        return state.lease ? { body: state.lease } : status(404, 'NotFound', 'no lease');
      state.writes.push(`${req.method} ${(req.body as Lease).spec?.holderIdentity}`);
      const lease = req.body as Lease;
      state.lease = {
        ...lease,
        metadata: { ...lease.metadata, resourceVersion: String(state.writes.length) },
      };
      return { body: state.lease };
    }
    return status(404, 'NotFound', req.path);
  };
  return { state, handler };
}

function managerWith(handler: (req: RecordedRequest) => FakeReply, leaderElect: boolean) {
  const metrics = new RuntimeMetrics();
  const client = new KubeClient(new FakeTransport(handler), { metrics });
  return new Manager({
    client,
    metrics,
    clock: new FakeClock(),
    logger: silentLogger(),
    metricsAddress: '0',
    leaderElection: {
      enabled: leaderElect,
      name: 'rollscale-controller',
      namespace: 'default',
      identity: 'me',
    },
  });
}

describe('Manager', () => {
  it('keeps transformed objects in a cache of their own, stored as the transform returns them', async () => {
    const { handler } = apiServer();
    const manager = managerWith(handler, false);
    const plain = manager.informer(builtin.ConfigMap);
    const named = (obj: KubeObject): KubeObject => ({
      metadata: { ...obj.metadata, labels: { seen: 'yes' } },
    });
    const transformed = manager.informer(builtin.ConfigMap, {
      transform: { name: 'labelled', apply: named },
    });
    expect(transformed).not.toBe(plain);
    expect(manager.informer(builtin.ConfigMap, { transform: { name: 'labelled', apply: named } })).toBe(
      transformed,
    );
    const running = manager.start();
    await flush();
    await flush();
    expect(transformed.get('ns/a')?.metadata?.labels).toEqual({ seen: 'yes' });
    expect(plain.get('ns/a')?.metadata?.labels).toBeUndefined();
    await manager.stop();
    await running;
  });

  it('syncs shared informers, runs controllers, and stops gracefully', async () => {
    const { handler } = apiServer();
    const manager = managerWith(handler, false);
    const seen: string[] = [];
    const informer = manager.informer(builtin.ConfigMap);
    expect(manager.informer(builtin.ConfigMap)).toBe(informer);
    manager.controller('configmaps', async (req) => void seen.push(req.key)).watches(informer, mapToSelf);
    expect(() => manager.controller('configmaps', async () => undefined)).toThrow(/already registered/);

    expect(manager.ready()).toBe(false);
    const running = manager.start();
    await flush();
    await flush();
    expect(manager.ready()).toBe(true);
    expect(seen).toEqual(['ns/a']);
    await manager.stop();
    await expect(running).resolves.toBeUndefined();
  });

  it('starts controllers only once it holds the lease, and releases the lease on stop', async () => {
    const { state, handler } = apiServer();
    const manager = managerWith(handler, true);
    const seen: string[] = [];
    manager
      .controller('configmaps', async (req) => void seen.push(req.key))
      .watches(manager.informer(builtin.ConfigMap), mapToSelf);
    const running = manager.start();
    for (let i = 0; i < 4; i++) await flush();
    expect(state.writes).toEqual(['POST me']);
    expect(seen).toEqual(['ns/a']);
    expect(manager.metrics.leaderElectionStatus.get({ name: 'rollscale-controller' })).toBe(1);
    await manager.stop();
    await running;
    expect(state.writes).toEqual(['POST me', 'PUT ']);
    expect(state.lease?.spec?.holderIdentity).toBe('');
    expect(manager.metrics.leaderElectionStatus.get({ name: 'rollscale-controller' })).toBe(0);
  });

  it('does not start controllers while another holder has the lease', async () => {
    const { state, handler } = apiServer();
    state.lease = {
      metadata: { name: 'rollscale-controller', namespace: 'default', resourceVersion: '1' },
      spec: {
        holderIdentity: 'other',
        leaseDurationSeconds: 15,
        renewTime: new Date(Date.UTC(2024, 0, 1)).toISOString(),
      },
    };
    const manager = managerWith(handler, true);
    const seen: string[] = [];
    manager
      .controller('configmaps', async (req) => void seen.push(req.key))
      .watches(manager.informer(builtin.ConfigMap), mapToSelf);
    const running = manager.start();
    for (let i = 0; i < 4; i++) await flush();
    expect(manager.ready()).toBe(true);
    expect(seen).toEqual([]);
    expect(state.writes).toEqual([]);
    await manager.stop();
    await running;
    expect(state.writes).toEqual([]);
  });
});
