import { FakeClock } from '../../../controllers/kit/clock.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import {
  DEFAULT_LEADER_ELECTION,
  LeaderElector,
  decideLease,
  releasedLease,
  type Lease,
  type LeaseConfig,
} from '../../../controllers/kit/leader.js';
import { FakeTransport, flush, status, type RecordedRequest, type FakeReply } from './fake-transport.js';

const config: LeaseConfig = {
  ...DEFAULT_LEADER_ELECTION,
  name: 'rollscale-controller',
  namespace: 'default',
};
const T0 = new Date('2024-05-01T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

function lease(spec: Lease['spec'], resourceVersion = '42'): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'rollscale-controller', namespace: 'default', resourceVersion },
    spec,
  };
}

const heldByOther = lease({
  holderIdentity: 'other',
  leaseDurationSeconds: 15,
  acquireTime: '2024-05-01T09:00:00.000000Z',
  renewTime: '2024-05-01T10:00:00.000000Z',
  leaseTransitions: 3,
});

describe('decideLease', () => {
  it('creates the lease when none exists', () => {
    const decision = decideLease(undefined, 'me', T0, config);
    expect(decision).toEqual({
      action: 'create',
      newLease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'rollscale-controller', namespace: 'default' },
        spec: {
          holderIdentity: 'me',
          leaseDurationSeconds: 15,
          acquireTime: '2024-05-01T10:00:00.000000Z',
          renewTime: '2024-05-01T10:00:00.000000Z',
          leaseTransitions: 0,
        },
      },
    });
  });

  it('waits while another holder renewed within the lease duration', () => {
    const decision = decideLease(heldByOther, 'me', at(14_999), config);
    expect(decision).toEqual({ action: 'wait', holder: 'other', expiresAt: at(15_000) });
  });

  it('takes over an expired lease, counting a transition and keeping the resourceVersion', () => {
    const decision = decideLease(heldByOther, 'me', at(15_000), config);
    expect(decision.action).toBe('acquire');
    if (decision.action !== 'acquire') return;
    expect(decision.newLease.metadata.resourceVersion).toBe('42');
    expect(decision.newLease.spec).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2024-05-01T10:00:15.000000Z',
      renewTime: '2024-05-01T10:00:15.000000Z',
      leaseTransitions: 4,
    });
  });

  it('renews its own lease without touching acquireTime or transitions', () => {
    const mine = lease({ ...heldByOther.spec, holderIdentity: 'me' }, '77');
    const decision = decideLease(mine, 'me', at(2_000), config);
    expect(decision.action).toBe('renew');
    if (decision.action !== 'renew') return;
    expect(decision.newLease.metadata.resourceVersion).toBe('77');
    expect(decision.newLease.spec).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2024-05-01T09:00:00.000000Z',
      renewTime: '2024-05-01T10:00:02.000000Z',
      leaseTransitions: 3,
    });
  });

  it('renews its own lease even after it expired', () => {
    const mine = lease({ ...heldByOther.spec, holderIdentity: 'me' });
    expect(decideLease(mine, 'me', at(60_000), config).action).toBe('renew');
  });

  it('acquires a released lease (no holder) at once', () => {
    const released = releasedLease(heldByOther, T0);
    const decision = decideLease(released, 'me', at(1), config);
    expect(decision.action).toBe('acquire');
    if (decision.action === 'acquire') expect(decision.newLease.spec?.leaseTransitions).toBe(4);
  });

  it('acquires a lease that carries no renew time', () => {
    const odd = lease({ holderIdentity: 'other', leaseDurationSeconds: 15 });
    expect(decideLease(odd, 'me', T0, config).action).toBe('acquire');
  });

  it('measures expiry from the local observation time when given (holder clock skew)', () => {
    // The holder's clock runs an hour behind: by its renewTime the lease looks long expired,
    // but we only saw this renewal 5 s ago.
    const skewed = lease({ ...heldByOther.spec, renewTime: '2024-05-01T09:00:00.000000Z' });
    expect(decideLease(skewed, 'me', at(5_000), config, at(0)).action).toBe('wait');
    expect(decideLease(skewed, 'me', at(15_000), config, at(0)).action).toBe('acquire');
  });

  it('uses the configured lease duration, rounded up to whole seconds', () => {
    const decision = decideLease(undefined, 'me', T0, { ...config, leaseDurationMs: 7_500 });
    if (decision.action !== 'create') throw new Error('expected create');
    expect(decision.newLease.spec?.leaseDurationSeconds).toBe(8);
  });
});

describe('releasedLease', () => {
  it('clears the holder and shortens the duration, keeping transitions and resourceVersion', () => {
    const released = releasedLease(heldByOther, at(3_000));
    expect(released.metadata.resourceVersion).toBe('42');
    expect(released.spec).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: '2024-05-01T10:00:03.000000Z',
      renewTime: '2024-05-01T10:00:03.000000Z',
      leaseTransitions: 3,
    });
  });
});

/** A one-Lease API server with resourceVersion compare-and-swap. */
class LeaseServer {
  stored?: Lease;
  private version = 0;
  failRequests = false;

  handle = (req: RecordedRequest): FakeReply => {
    if (this.failRequests) return status(503, 'ServiceUnavailable', 'down');
    if (req.method === 'GET') {
      return this.stored ? { body: this.stored } : status(404, 'NotFound', 'leases "x" not found');
    }
    const incoming = req.body as Lease;
    if (req.method === 'POST') {
      if (this.stored) return status(409, 'AlreadyExists', 'exists');
      return { status: 201, body: this.save(incoming) };
    }
    if (req.method === 'PUT') {
      if (!this.stored || incoming.metadata.resourceVersion !== this.stored.metadata.resourceVersion) {
        return status(409, 'Conflict', 'the object has been modified');
      }
      return { body: this.save(incoming) };
    }
    return status(405, 'MethodNotAllowed', req.method);
  };

  private save(l: Lease): Lease {
    this.stored = { ...l, metadata: { ...l.metadata, resourceVersion: String(++this.version) } };
    return this.stored;
  }
}

describe('LeaderElector', () => {
  async function step(clock: FakeClock, ms: number): Promise<void> {
    await flush();
    clock.advance(ms);
    await flush();
  }

  it('leads, keeps a second candidate waiting, and hands over on release', async () => {
    const clock = new FakeClock(T0);
    const server = new LeaseServer();
    const client = new KubeClient(new FakeTransport(server.handle));
    const log: string[] = [];
    const elector = (identity: string): LeaderElector =>
      new LeaderElector(client, {
        name: 'rollscale-controller',
        namespace: 'default',
        identity,
        clock,
        onStartedLeading: () => log.push(`${identity} started`),
        onStoppedLeading: () => log.push(`${identity} stopped`),
      });
    const a = elector('a');
    const b = elector('b');
    const aRun = a.run();
    await flush();
    expect(a.isLeader()).toBe(true);
    expect(server.stored?.spec?.holderIdentity).toBe('a');

    const bRun = b.run();
    await step(clock, 2_000);
    await step(clock, 2_000);
    expect(b.isLeader()).toBe(false);
    expect(server.stored?.spec?.renewTime).toBe('2024-05-01T10:00:04.000000Z');

    await a.stop();
    expect(await aRun).toBe('stopped');
    expect(server.stored?.spec?.holderIdentity).toBe('');

    await step(clock, 2_000);
    expect(b.isLeader()).toBe(true);
    expect(server.stored?.spec?.holderIdentity).toBe('b');
    expect(server.stored?.spec?.leaseTransitions).toBe(1);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);

    await b.stop();
    expect(await bRun).toBe('stopped');
  });

  it('gives up leadership when it cannot renew within the renew deadline', async () => {
    const clock = new FakeClock(T0);
    const server = new LeaseServer();
    const client = new KubeClient(new FakeTransport(server.handle));
    const log: string[] = [];
    const a = new LeaderElector(client, {
      name: 'rollscale-controller',
      namespace: 'default',
      identity: 'a',
      clock,
      onStartedLeading: () => log.push('started'),
      onStoppedLeading: () => log.push('stopped'),
    });
    const run = a.run();
    await flush();
    expect(a.isLeader()).toBe(true);
    server.failRequests = true;
    for (let i = 0; i < 4; i++) await step(clock, 2_000);
    expect(a.isLeader()).toBe(true); // 8 s without renewal: still inside the 10 s deadline
    await step(clock, 2_000);
    expect(await run).toBe('lost');
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(['started', 'stopped']);
  });
});
