// The short variant of the fault tests (test/faults/ holds the long ones), inside `npm test`:
// three SIGKILLs across an upgrade, a rollback, scale-only rollouts and an IHPA gray scale-down;
// a person scaling and deleting workloads mid-rollout; the leader of two replicas SIGKILLed
// mid-rollout; the webhook server down. Invariants are checked on every watch event throughout,
// and every step must end equal to its spec. The API server restart, etcd compaction and the
// audit-log leader check need a cluster of their own: `npm run test:faults` runs them.
import { runHumanScenario } from '../faults/support/human-scenario.js';
import { killTable, runKillScenario } from '../faults/support/kill-scenario.js';
import { randomSuffix, sharedKube } from '../faults/support/kube.js';
import { LEASE_DURATION_MS, RETRY_PERIOD_MS, runLeaderScenario } from '../faults/support/leader-scenario.js';
import { faultSeed } from '../faults/support/scenario.js';
import { runWebhookDown } from '../faults/support/webhook-scenario.js';

const kube = sharedKube();

describe('faults (short variant)', () => {
  const namespaces: string[] = [];
  const namespace = async (prefix: string) => {
    const ns = `${prefix}-${randomSuffix()}`;
    await kube.kubectlOk(['create', 'namespace', ns]);
    namespaces.push(ns);
    return ns;
  };
  afterAll(async () => {
    for (const ns of namespaces) await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  test('3 SIGKILLs across upgrades, a rollback, scaling and a gray scale-down', async () => {
    const seed = faultSeed();
    const report = await runKillScenario({
      kube,
      namespace: await namespace('short-kill'),
      steps: 6,
      kills: 3,
      seed,
      maxKillDelayMs: 1500,
    });
    console.log(
      `kills (seed ${seed}):\n${killTable(report)}\ninvariants: ${report.monitor}; gray: ${report.grayMonitor}`,
    );
    expect({
      kills: report.kills.length,
      unconverged: report.unconverged,
      violations: report.violations,
    }).toEqual({
      kills: 3,
      unconverged: {},
      violations: [],
    });
  }, 150_000);

  test('hand scaling mid-rollout is undone and a deleted target is recreated, each told in an Event', async () => {
    const report = await runHumanScenario(kube, await namespace('short-human'));
    expect({
      restored: report.interventions.map((i) => i.restoredInMs !== undefined),
      unconverged: report.unconverged,
      violations: report.violations,
    }).toEqual({ restored: [true, true, true, true], unconverged: {}, violations: [] });
  }, 120_000);

  test('the leader SIGKILLed mid-rollout: the standby takes over and finishes, having written nothing before', async () => {
    const { processes: _processes, ...report } = await runLeaderScenario(
      kube,
      await namespace('short-leader'),
    );
    console.log(`leader killed at ${report.killedAt}; takeover ${report.takeoverMs} ms; ${report.monitor}`);
    expect({
      unconverged: report.unconverged,
      violations: report.violations,
      standbyWritesBeforeTakeover: report.standbyWritesBeforeTakeover,
      newLeaderWrote: report.newLeaderWrites > 0,
    }).toEqual({ unconverged: [], violations: [], standbyWritesBeforeTakeover: 0, newLeaderWrote: true });
    expect(report.takeoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + 2 * RETRY_PERIOD_MS);
  }, 120_000);

  test('the webhook server down: pods still schedule', async () => {
    const report = await runWebhookDown(kube, await namespace('short-webhook'));
    expect(report).toMatchObject({ configurationLeft: true, pods: 4, failedCreates: [] });
  }, 90_000);
});
