// Two controller replicas with leader election: the leader is SIGKILLed in the middle of a
// rollout, the standby takes the lease over (it waits out the lease the dead leader can no longer
// renew) and finishes the rollout; the invariants hold throughout, and the two never write at the
// same time. Who wrote what is read from the standby's own request metrics (it must have sent no
// write before it led) and, on a throw-away cluster with an audit log and one user per replica,
// from the API server's audit log.
import { startController, type ControllerProcess } from '../../e2e/controller-process.js';
import { installDefinitions } from './healthy.js';
import { InvariantMonitor, stepBounds } from './invariants.js';
import type { Kube, KubeObjectLike } from './kube.js';
import { KINDS, NamespaceObserver } from './observer.js';
import { applyStep, converge, type RolloutView, type Step } from './scenario.js';

const APP = 'elected';
const COMPONENT = 'web';
const LEASE = 'rollscale-faults';
export const LEASE_DURATION_MS = 15_000;
export const RETRY_PERIOD_MS = 2_000;

interface Lease extends KubeObjectLike {
  spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaderReport {
  /** From the SIGKILL to the standby holding the lease (ms). */
  takeoverMs: number;
  /** From the dead leader's last renewal to the standby's acquisition, as the Lease records them (ms). */
  renewToAcquireMs: number;
  /** Writes the standby sent before it led (must be 0). */
  standbyWritesBeforeTakeover: number;
  /** Writes the new leader sent after taking over (the rollout's work; must be > 0). */
  newLeaderWrites: number;
  /** The rollout's batch when the leader died. */
  killedAt: string;
  unconverged: string[];
  violations: string[];
  monitor: string;
}

/** Sum of rest_client_requests_total over the write methods, from a /metrics text. */
export function writeRequests(metrics: string): number {
  return metrics
    .split('\n')
    .filter((line) => /^rest_client_requests_total\{[^}]*method="(POST|PUT|PATCH|DELETE)"/.test(line))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const leading = async (proc: ControllerProcess) =>
  /^leader_election_master_status\{[^}]*\} 1$/m.test(await proc.metrics());

const step = (name: string, image: string, revision: string, batches: number[]): Step => ({
  name,
  kind: 'upgrade',
  app: { image, targetSize: 4, batches },
  revision,
  image,
  bounds: stepBounds(4, 4, Math.max(...batches)),
});

export async function runLeaderScenario(
  kube: Kube,
  ns: string,
  options: { kubeconfigs?: [string, string]; log?: (line: string) => void } = {},
): Promise<LeaderReport & { killedAtMs: number; processes: ControllerProcess[] }> {
  const log = options.log ?? (() => undefined);
  await installDefinitions(kube);
  const observer = new NamespaceObserver(kube, ns, [
    KINDS.Application,
    KINDS.Rollout,
    KINDS.Deployment,
    KINDS.Lease,
  ]);
  const monitor = new InvariantMonitor(kube, ns, COMPONENT, APP);
  const lease = () => observer.get<Lease>('Lease', LEASE);
  const args = ['--leader-elect=true', `--leader-election-namespace=${ns}`, `--leader-election-id=${LEASE}`];
  const start = (index: 0 | 1) =>
    startController({
      controllers: ['application', 'rollout'],
      namespace: ns,
      extraArgs: args,
      kubeconfig: options.kubeconfigs?.[index] ?? kube.kubeconfig,
    });
  const processes: ControllerProcess[] = [];
  try {
    processes.push(await start(0));
    await observer.until(() => Boolean(lease()?.spec?.holderIdentity), 30000);
    processes.push(await start(1));
    const [first, second] = processes as [ControllerProcess, ControllerProcess];
    const leader = (await leading(first)) ? first : second;
    const standby = leader === first ? second : first;
    if (await leading(standby)) throw new Error('both replicas report leading');
    const holder = lease()?.spec?.holderIdentity;

    const v1 = step('release v1', 'nginx:1.25', `${COMPONENT}-v1`, [2, 2]);
    monitor.setBounds(v1.name, stepBounds(0, 4, 2));
    await applyStep(kube, ns, APP, COMPONENT, v1);
    const v1Left = await converge(observer, APP, COMPONENT, v1, 120000);
    monitor.setBounds('v1 settled', { floor: 4, ceiling: 4 });

    const v2 = step('upgrade to v2, one pod per batch', 'nginx:1.26', `${COMPONENT}-v2`, [1, 1, 1, 1]);
    monitor.setBounds(v2.name, v2.bounds);
    await applyStep(kube, ns, APP, COMPONENT, v2);
    // Mid-rollout: past the first batch, not finished.
    await observer.until(() => {
      const s = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
      return (
        s?.lastTargetRevision === v2.revision &&
        s.rollingState === 'rollingInBatches' &&
        (s.currentBatch ?? 0) >= 1
      );
    }, 60000);
    const rs = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
    const killedAt = `${rs?.rollingState} batch ${rs?.currentBatch} ${rs?.batchRollingState}`;
    const standbyWritesBeforeTakeover = writeRequests(await standby.metrics());
    const lastRenew = lease()?.spec?.renewTime;
    const killedAtMs = Date.now();
    await leader.stop({ kill: true });
    log(`leader killed at ${killedAt}; standby had sent ${standbyWritesBeforeTakeover} writes`);

    await observer.until(
      () => {
        const h = lease()?.spec?.holderIdentity;
        return h !== undefined && h !== '' && h !== holder;
      },
      LEASE_DURATION_MS + 4 * RETRY_PERIOD_MS + 10000,
    );
    const takeoverMs = Date.now() - killedAtMs;
    const acquired = lease()?.spec?.acquireTime;
    const renewToAcquireMs =
      lastRenew && acquired ? new Date(acquired).getTime() - new Date(lastRenew).getTime() : Number.NaN;
    log(`standby took over ${takeoverMs} ms after the kill (${renewToAcquireMs} ms after the last renewal)`);

    const v2Left = await converge(observer, APP, COMPONENT, v2, 120000);
    const newLeaderWrites = writeRequests(await standby.metrics());
    return {
      takeoverMs,
      renewToAcquireMs,
      standbyWritesBeforeTakeover,
      newLeaderWrites,
      killedAt,
      killedAtMs,
      unconverged: [...v1Left, ...v2Left],
      violations: monitor.violations.map((v) => `${v.step}: ${v.what}`),
      monitor: monitor.summary(),
      processes,
    };
  } finally {
    monitor.stop();
    observer.stop();
    await Promise.all(processes.map((p) => p.stop()));
  }
}

export interface AuditWrite {
  user: string;
  verb: string;
  resource: string;
  name: string;
  at: number;
}

/** Writes (create/update/patch/delete) in `namespace` by `users`, from an audit log's JSON lines. */
export function auditWrites(log: string, namespace: string, users: string[]): AuditWrite[] {
  const writes: AuditWrite[] = [];
  for (const line of log.split('\n')) {
    if (!line.trim()) continue;
    let entry: {
      stage?: string;
      verb?: string;
      user?: { username?: string };
      objectRef?: { namespace?: string; resource?: string; name?: string };
      requestReceivedTimestamp?: string;
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const user = entry.user?.username ?? '';
    if (entry.stage !== 'ResponseComplete' || !users.includes(user)) continue;
    if (!['create', 'update', 'patch', 'delete'].includes(entry.verb ?? '')) continue;
    if (entry.objectRef?.namespace !== namespace) continue;
    writes.push({
      user,
      verb: entry.verb ?? '',
      resource: entry.objectRef.resource ?? '',
      name: entry.objectRef.name ?? '',
      at: new Date(entry.requestReceivedTimestamp ?? 0).getTime(),
    });
  }
  return writes.sort((a, b) => a.at - b.at);
}

/**
 * Overlaps between the replicas' writing periods: every write of one replica must come before
 * the first write of the next (leases included: a standby only writes the Lease it acquires).
 */
export function writeOverlaps(writes: AuditWrite[]): string[] {
  const byUser = new Map<string, AuditWrite[]>();
  for (const w of writes) byUser.set(w.user, [...(byUser.get(w.user) ?? []), w]);
  const spans = [...byUser.entries()]
    .map(([user, ws]) => ({ user, first: ws[0]?.at ?? 0, last: ws[ws.length - 1]?.at ?? 0 }))
    .sort((a, b) => a.first - b.first);
  const out: string[] = [];
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (prev && cur && cur.first <= prev.last) {
      out.push(
        `${cur.user} wrote from ${new Date(cur.first).toISOString()} while ${prev.user} wrote until ${new Date(prev.last).toISOString()}`,
      );
    }
  }
  return out;
}
