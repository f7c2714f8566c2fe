// Long fault tests that disturb the control plane itself, on a throw-away cluster of their own
// (never the shared one): the kube-apiserver stopped and started again mid-rollout; etcd compacted
// while the controller is frozen, so that its watches come back to 410 Gone and must relist to
// see what changed meanwhile; and two leader-elected replicas, the leader SIGKILLed mid-rollout,
// with the API server's audit log (one user per replica) showing that they never both wrote.
import { readFileSync } from 'node:fs';
import { startController, type ControllerProcess } from '../e2e/controller-process.js';
import { InvariantMonitor, stepBounds } from './support/invariants.js';
import { randomSuffix } from './support/kube.js';
import {
  auditWrites,
  LEASE_DURATION_MS,
  RETRY_PERIOD_MS,
  runLeaderScenario,
  writeOverlaps,
} from './support/leader-scenario.js';
import { KINDS, NamespaceObserver } from './support/observer.js';
import { OwnCluster } from './support/own-cluster.js';
import { applyStep, converge, type RolloutView, type Step } from './support/scenario.js';
import { installDefinitions } from './support/healthy.js';

const REPLICAS = ['replica-a', 'replica-b'];
const APP = 'plane';
const COMPONENT = 'web';

const upgrade = (
  name: string,
  image: string,
  n: number,
  batches: number[],
  extra: Partial<Step['app']> = {},
): Step => ({
  name,
  kind: 'upgrade',
  app: { image, targetSize: 4, batches, ...extra },
  revision: `${COMPONENT}-v${n}`,
  image,
  bounds: stepBounds(n === 1 ? 0 : 4, 4, Math.max(...batches)),
});

describe('control-plane faults on a cluster of their own', () => {
  let cluster: OwnCluster;
  let auditLog: string;

  beforeAll(async () => {
    cluster = await OwnCluster.up({ users: REPLICAS });
    const audit = cluster.auditFlags(REPLICAS);
    auditLog = audit.logPath;
    cluster.addApiserverArgs(audit.flags);
    await cluster.restartApiserver();
    await installDefinitions(cluster.kube);
  }, 300000);

  afterAll(async () => {
    await cluster?.down();
  }, 120000);

  /** A namespace, a controller, the watches and invariants; released at v1 (4 replicas). */
  async function released(prefix: string) {
    const ns = `${prefix}-${randomSuffix()}`;
    await cluster.kube.kubectlOk(['create', 'namespace', ns]);
    const observer = new NamespaceObserver(cluster.kube, ns, [
      KINDS.Application,
      KINDS.Rollout,
      KINDS.Deployment,
    ]);
    const monitor = new InvariantMonitor(cluster.kube, ns, COMPONENT, APP);
    const controller = await startController({
      controllers: ['application', 'rollout'],
      namespace: ns,
      kubeconfig: cluster.kubeconfig,
    });
    const v1 = upgrade('release v1', 'nginx:1.25', 1, [2, 2]);
    monitor.setBounds(v1.name, v1.bounds);
    await applyStep(cluster.kube, ns, APP, COMPONENT, v1);
    expect(await converge(observer, APP, COMPONENT, v1, 120000)).toEqual([]);
    monitor.setBounds('v1 settled', { floor: 4, ceiling: 4 });
    const stop = async () => {
      monitor.stop();
      observer.stop();
      await controller.stop();
    };
    return { ns, observer, monitor, controller, stop };
  }

  const midRollout = (observer: NamespaceObserver, revision: string) =>
    observer.until(() => {
      const s = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
      return (
        s?.lastTargetRevision === revision &&
        s.rollingState === 'rollingInBatches' &&
        (s.currentBatch ?? 0) >= 1
      );
    }, 60000);

  const logLines = (controller: ControllerProcess, pattern: RegExp) =>
    controller
      .output()
      .split('\n')
      .filter((l) => pattern.test(l));

  test('kube-apiserver stopped for 10 s mid-rollout and started again: the rollout finishes, invariants hold', async () => {
    const { ns, observer, monitor, controller, stop } = await released('plane-api');
    try {
      const v2 = upgrade('upgrade to v2 across an API server outage', 'nginx:1.26', 2, [1, 1, 1, 1]);
      monitor.setBounds(v2.name, v2.bounds);
      await applyStep(cluster.kube, ns, APP, COMPONENT, v2);
      expect(await midRollout(observer, v2.revision)).toBe(true);
      const s = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
      await cluster.stopApiserver();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, 10000));
      const aliveDuringOutage = controller.child.exitCode === null;
      await cluster.startApiserver();
      const upAt = Date.now();
      const left = await converge(observer, APP, COMPONENT, v2, 180000);
      const recoveredMs = Date.now() - upAt;
      const failures = logLines(controller, /list\/watch failed|reconcile failed/).length;
      console.log(
        `API server down ${upAt - downAt} ms at ${s?.rollingState} batch ${s?.currentBatch}; rollout finished ` +
          `${recoveredMs} ms after it was back; ${failures} failed requests logged; invariants: ${monitor.summary()}`,
      );
      expect({
        left,
        violations: monitor.violations,
        aliveDuringOutage,
        alive: controller.child.exitCode === null,
        healthz: (await fetch(`${controller.url}/healthz`)).status,
        noticedOutage: failures > 0,
      }).toEqual({
        left: [],
        violations: [],
        aliveDuringOutage: true,
        alive: true,
        healthz: 200,
        noticedOutage: true,
      });
    } finally {
      await stop();
    }
  }, 600000);

  test('etcd compacted while the controller is frozen: its watches get 410 Gone, it relists and sees the missed change', async () => {
    const { ns, observer, monitor, controller, stop } = await released('plane-410');
    try {
      const held = upgrade('upgrade to v2, held at batch 0', 'nginx:1.26', 2, [2, 2], { batchPartition: 0 });
      monitor.setBounds(held.name, held.bounds);
      await applyStep(cluster.kube, ns, APP, COMPONENT, held);
      expect(
        await observer.until(() => {
          const st = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
          return (
            st?.lastTargetRevision === held.revision &&
            st.batchRollingState === 'batchReady' &&
            st.rollingState === 'rollingInBatches'
          );
        }, 60000),
      ).toBe(true);

      // Frozen: it cannot see the release below through its open watches.
      process.kill(controller.pid, 'SIGSTOP');
      const released_ = upgrade(
        'release v2 (partition removed while the controller was frozen)',
        'nginx:1.26',
        2,
        [2, 2],
      );
      monitor.setBounds(released_.name, released_.bounds);
      await applyStep(cluster.kube, ns, APP, COMPONENT, released_);
      // Churn, so that the compaction moves well past every resourceVersion the controller holds.
      for (let i = 0; i < 20; i++) {
        await cluster.kube.kubectlOk([
          '-n',
          ns,
          'create',
          'configmap',
          `churn-${i}`,
          `--from-literal=i=${i}`,
        ]);
      }
      const revision = await cluster.compactEtcd();
      // A fresh API server: the frozen controller's watch connections are gone, and its watch
      // cache starts after the compaction, so resuming from an old resourceVersion is 410 Gone.
      await cluster.restartApiserver();
      process.kill(controller.pid, 'SIGCONT');
      const resumedAt = Date.now();

      const left = await converge(observer, APP, COMPONENT, released_, 180000);
      const relists = logLines(controller, /watch expired, relisting/).length;
      console.log(
        `compacted etcd at revision ${revision}; after SIGCONT the controller logged ${relists} relists on 410 and ` +
          `finished the missed release in ${Date.now() - resumedAt} ms; invariants: ${monitor.summary()}`,
      );
      expect({
        left,
        violations: monitor.violations,
        relisted: relists > 0,
        alive: controller.child.exitCode === null,
      }).toEqual({ left: [], violations: [], relisted: true, alive: true });
    } finally {
      try {
        process.kill(controller.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await stop();
    }
  }, 600000);

  test('leader SIGKILLed mid-rollout: the standby takes over within the lease, the two never write at once (audit log)', async () => {
    const ns = `plane-leader-${randomSuffix()}`;
    await cluster.kube.kubectlOk(['create', 'namespace', ns]);
    const { processes: _processes, ...report } = await runLeaderScenario(cluster.kube, ns, {
      kubeconfigs: [cluster.kubeconfigFor('replica-a'), cluster.kubeconfigFor('replica-b')],
      log: (l) => console.log(l),
    });
    const writes = auditWrites(readFileSync(auditLog, 'utf8'), ns, REPLICAS);
    const perUser = Object.fromEntries(REPLICAS.map((u) => [u, writes.filter((w) => w.user === u).length]));
    const overlaps = writeOverlaps(writes);
    const newLeader = writes.find((w) => w.at > report.killedAtMs)?.user;
    const firstOfNew = writes.find((w) => w.user === newLeader);
    console.log(
      `takeover ${report.takeoverMs} ms after the kill (${report.renewToAcquireMs} ms after the last renewal); ` +
        `audit: writes per replica ${JSON.stringify(perUser)}, first write of the new leader ${firstOfNew?.verb} ${firstOfNew?.resource}/${firstOfNew?.name}; ` +
        `invariants: ${report.monitor}`,
    );
    expect({
      unconverged: report.unconverged,
      violations: report.violations,
      standbyWritesBeforeTakeover: report.standbyWritesBeforeTakeover,
      overlaps,
      bothWrote: Object.values(perUser).every((n) => n > 0),
      firstWriteOfNewLeader: `${firstOfNew?.verb} ${firstOfNew?.resource}`,
    }).toEqual({
      unconverged: [],
      violations: [],
      standbyWritesBeforeTakeover: 0,
      overlaps: [],
      bothWrote: true,
      firstWriteOfNewLeader: 'update leases',
    });
    // Lease expiry runs from the last renewal the standby saw: at most one retry period after the
    // real one, plus one retry period until its next attempt.
    expect(report.takeoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + 2 * RETRY_PERIOD_MS);
  }, 600000);
});
