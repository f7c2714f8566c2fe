// The controller process itself: probes, Prometheus metrics under controller-runtime's names,
// and leader election on a Lease (only the holder runs controllers; a stopped leader releases
// the lease and the standby takes over).
import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

interface Lease {
  metadata: { name: string };
  spec?: { holderIdentity?: string };
}

describe('controller process', () => {
  let ns: string;
  const running: ControllerProcess[] = [];
  beforeAll(async () => {
    ns = await createNamespace('ctrl');
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop({ kill: true })));
    await deleteNamespace(ns);
  });

  test('serves /healthz, /readyz and controller-runtime metrics', async () => {
    const proc = await startController({ controllers: ['rollout'], namespace: ns });
    running.push(proc);
    expect((await fetch(`${proc.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${proc.url}/readyz`)).status).toBe(200);
    const metrics = await proc.metrics();
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_retries_total',
      'rest_client_requests_total',
    ]) {
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    // The informers listed and watched through the one client, which counted it.
    expect(metrics).toMatch(
      /^rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:\d+"\} [1-9]/m,
    );
    expect(await proc.stop()).toBe(0);
  });

  test('only the lease holder leads; a stopped leader hands over to the standby', async () => {
    const lease = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
    const args = [
      '--leader-elect=true',
      `--leader-election-namespace=${ns}`,
      '--leader-election-id=rollscale-test',
    ];
    const first = await startController({ controllers: ['rollout'], namespace: ns, extraArgs: args });
    running.push(first);
    const held = await watchUntil<Lease>(lease, (m) => !!m.get('rollscale-test')?.spec?.holderIdentity);
    const leader = held.get('rollscale-test')?.spec?.holderIdentity as string;

    const second = await startController({ controllers: ['rollout'], namespace: ns, extraArgs: args });
    running.push(second);
    // The standby is healthy but does not take the lease while the leader renews it.
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    const standbyMetrics = await second.metrics();
    expect(standbyMetrics).not.toMatch(/^leader_election_master_status\{[^}]*\} 1$/m);
    const stillHeld = JSON.parse(
      await kubectlOk(['get', 'lease', 'rollscale-test', '-n', ns, '-o', 'json']),
    ) as Lease;
    expect(stillHeld.spec?.holderIdentity).toBe(leader);

    // SIGTERM: the leader releases the lease on its way out, so the standby takes it at once
    // (well inside the 15 s lease duration).
    const stoppedAt = Date.now();
    expect(await first.stop()).toBe(0);
    const taken = await watchUntil<Lease>(
      lease,
      (m) => {
        const holder = m.get('rollscale-test')?.spec?.holderIdentity;
        return !!holder && holder !== leader;
      },
      { timeoutMs: 15000 },
    );
    expect(Date.now() - stoppedAt).toBeLessThan(15000);
    expect(taken.get('rollscale-test')?.spec?.holderIdentity).not.toBe(leader);
  });
});
