// Benchmark: how fast the Rollout controller moves on once a batch is ready, on the local cluster.
//
//   npm run bench:rollout          # BENCH_BATCHES=21 by default (20 measured batch handovers)
//
// For every batch N the clock starts when a watch in this process sees the last pod of batch N
// turn Ready, and stops at the write that starts batch N+1, taken two ways:
//   - `log`: the time the controller logged the request (its `applying` line, ms precision);
//   - `watch`: the time a watch in this process sees the target Deployment's spec.replicas change.
// Two scenarios: a first release scaling one Deployment up one pod per batch (scale only), and an
// upgrade moving one pod per batch from v1 to v2 (across workloads: each handover also waits for
// the source to shrink). Then the wall time of the seed's 5-replica 2+3 upgrade, from the Rollout
// spec change (as the watch sees it) to rolloutSucceed with v1 deleted and v2 5/5.
// Writes bench/results/rollout.json. Needs the local cluster (`npm run cluster -- up`).

import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';

import { startController, type ControllerProcess } from '../test/e2e/controller-process.js';
import {
  applyRevision,
  applyRollout,
  waitColumns,
  waitDeployments,
  type PodObject,
  type RolloutObject,
  type WorkloadObject,
} from '../test/e2e/rollout-fixtures.js';
import {
  createNamespace,
  deleteNamespace,
  kubeConfig,
  kubectlPath,
  kubeconfigPath,
  repoRoot,
} from '../test/e2e/support.js';

const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 21);
const SEED_RUNS = Number(process.env['BENCH_SEED_RUNS'] ?? 5);

interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    n: sorted.length,
    medianMs: round(at(0.5)),
    p95Ms: round(at(0.95)),
    minMs: round(sorted[0] ?? NaN),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/** Records, with this process's clock, when each pod first turned Ready and each replicas change. */
class Observer {
  readonly podReadyAt = new Map<string, { at: number; owner: string }>();
  readonly replicasAt: { name: string; replicas: number; at: number }[] = [];
  readonly rolloutEvents: { at: number; rollout: RolloutObject }[] = [];
  private readonly aborts: Array<{ abort: () => void }> = [];
  private readonly lastReplicas = new Map<string, number>();

  async start(ns: string): Promise<void> {
    const watch = new Watch(kubeConfig());
    const on = async <T>(path: string, handle: (type: string, obj: T) => void) => {
      this.aborts.push(
        await watch.watch(path, {}, handle, (error: unknown) => {
          if (!this.stopped) console.error(`watch on ${path} ended: ${String(error)}`);
        }),
      );
    };
    await on<PodObject & { metadata: { ownerReferences?: { name: string }[] } }>(
      `/api/v1/namespaces/${ns}/pods`,
      (type, pod) => {
        const at = Date.now();
        const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (type !== 'DELETED' && ready && !this.podReadyAt.has(pod.metadata.uid)) {
          this.podReadyAt.set(pod.metadata.uid, { at, owner: pod.metadata.ownerReferences?.[0]?.name ?? '' });
        }
      },
    );
    await on<WorkloadObject>(`/apis/apps/v1/namespaces/${ns}/deployments`, (type, deployment) => {
      const at = Date.now();
      const replicas = deployment.spec?.replicas ?? 0;
      if (type === 'DELETED') return;
      if (this.lastReplicas.get(deployment.metadata.name) !== replicas) {
        this.lastReplicas.set(deployment.metadata.name, replicas);
        this.replicasAt.push({ name: deployment.metadata.name, replicas, at });
      }
    });
    await on<RolloutObject>(`/apis/standard.oam.dev/v1alpha1/namespaces/${ns}/rollouts`, (_type, rollout) => {
      this.rolloutEvents.push({ at: Date.now(), rollout });
    });
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    for (const request of this.aborts) request.abort();
  }

  /** Ready times of the pods of one Deployment (its ReplicaSets are named `<deployment>-<hash>`), in order. */
  readyTimes(deployment: string, since: number): number[] {
    return [...this.podReadyAt.values()]
      .filter((p) => p.owner.startsWith(`${deployment}-`) && p.at >= since)
      .map((p) => p.at)
      .sort((a, b) => a - b);
  }

  replicasChange(deployment: string, replicas: number, since: number): number | undefined {
    return this.replicasAt.find((r) => r.name === deployment && r.replicas === replicas && r.at >= since)?.at;
  }
}

/** When the controller logged the write setting `workload` to `replicas` (ms since the epoch). */
function loggedWrite(
  controller: ControllerProcess,
  workload: string,
  replicas: number,
  since: number,
): number | undefined {
  for (const line of controller.output().split('\n')) {
    if (!line.includes('"message":"applying"') || !line.includes(`"workload":"${workload}"`)) continue;
    try {
      const entry = JSON.parse(line) as { action?: string; replicas?: number; timestamp?: string };
      if (entry.action !== 'setReplicas' || entry.replicas !== replicas || !entry.timestamp) continue;
      const at = Date.parse(entry.timestamp);
      if (at >= since) return at;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

interface Handover {
  batch: number;
  viaLogMs?: number;
  viaWatchMs?: number;
}

/**
 * Batch N of a one-pod-per-batch rollout ends when the (N+1)-th new pod of `target` turns Ready;
 * batch N+1 starts with the write setting `target` to N+2 replicas.
 */
function handovers(
  observer: Observer,
  controller: ControllerProcess,
  target: string,
  since: number,
): Handover[] {
  const ready = observer.readyTimes(target, since);
  const out: Handover[] = [];
  for (let batch = 0; batch + 1 < BATCHES; batch++) {
    const readyAt = ready[batch];
    if (readyAt === undefined) continue;
    const logged = loggedWrite(controller, target, batch + 2, since);
    const watched = observer.replicasChange(target, batch + 2, since);
    out.push({
      batch,
      ...(logged !== undefined ? { viaLogMs: logged - readyAt } : {}),
      ...(watched !== undefined ? { viaWatchMs: watched - readyAt } : {}),
    });
  }
  return out;
}

function numbers(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

async function main(): Promise<void> {
  execFileSync(join(repoRoot, 'node_modules', '.bin', 'tsx'), [join(repoRoot, 'hack', 'cluster.ts'), 'up'], {
    stdio: 'inherit',
  });
  execFileSync(
    kubectlPath,
    [
      '--kubeconfig',
      kubeconfigPath,
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(repoRoot, 'definitions', 'crds'),
    ],
    {
      stdio: 'ignore',
    },
  );

  const ns = await createNamespace('bench-rollout');
  const controller = await startController({
    controllers: ['rollout'],
    namespace: ns,
    env: { LOG_LEVEL: 'info' },
  });
  const observer = new Observer();
  await observer.start(ns);
  const ones = Array.from({ length: BATCHES }, () => ({ replicas: 1 }));
  try {
    // 1. First release, one pod per batch (scale only).
    let since = Date.now();
    await applyRevision(ns, 'scale', 'scale-v1', 1, 'stefanprodan/podinfo:4.0.3');
    await applyRollout(ns, 'scale', 'scale-v1', { targetSize: BATCHES, rolloutBatches: ones });
    await waitColumns(ns, 'scale', [BATCHES, BATCHES, BATCHES, 'batchReady', 'rolloutSucceed'], 180000);
    const scaleUp = handovers(observer, controller, 'scale-v1', since);
    console.log(`scale only: ${scaleUp.length} handovers`);

    // 2. Upgrade v1 → v2, one pod per batch (across workloads).
    await applyRevision(ns, 'scale', 'scale-v2', 2, 'stefanprodan/podinfo:5.0.2');
    since = Date.now();
    await applyRollout(ns, 'scale', 'scale-v2', { targetSize: BATCHES, rolloutBatches: ones });
    await waitColumns(ns, 'scale', [BATCHES, BATCHES, BATCHES, 'batchReady', 'rolloutSucceed'], 180000);
    const across = handovers(observer, controller, 'scale-v2', since);
    console.log(
      `across workloads: ${across.length} handovers (${observer.readyTimes('scale-v2', since).length} v2 pods ready, ${observer.podReadyAt.size} pods seen)`,
    );

    // 3. The seed's upgrade: 5 replicas, batches 2 + 3, back and forth between two revisions.
    const c = 'express-server';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, c, `${c}-v1`, {
      targetSize: 5,
      rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
    });
    await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v1`]: 5 });
    const seedWall: number[] = [];
    for (let run = 0; run < SEED_RUNS; run++) {
      const [from, to] = run % 2 === 0 ? ['v1', 'v2'] : ['v2', 'v1'];
      const mark = observer.rolloutEvents.length;
      await applyRollout(ns, c, `${c}-${to}`, {
        targetSize: 5,
        rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
      });
      await waitDeployments(ns, c, { [`${c}-${to}`]: 5 });
      await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
      const events = observer.rolloutEvents.slice(mark).filter((e) => e.rollout.metadata.name === c);
      const started = events.find((e) => e.rollout.spec['targetRevisionName'] === `${c}-${to}`)?.at;
      const finished = events.find(
        (e) =>
          e.rollout.status?.rollingState === 'rolloutSucceed' &&
          e.rollout.status.lastTargetRevision === `${c}-${to}`,
      )?.at;
      if (started !== undefined && finished !== undefined) seedWall.push(finished - started);
      const wall =
        started !== undefined && finished !== undefined ? `${finished - started} ms` : 'not measured';
      console.log(`seed upgrade ${from} → ${to}: ${wall}`);
    }

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      batches: BATCHES,
      description:
        'ms from a watch seeing the last pod of batch N turn Ready to the write that starts batch N+1 ' +
        '(log: the controller logging the request; watch: a watch seeing the target Deployment spec.replicas change)',
      scaleOnly: {
        viaLog: summarize(numbers(scaleUp.map((h) => h.viaLogMs))),
        viaWatch: summarize(numbers(scaleUp.map((h) => h.viaWatchMs))),
        handovers: scaleUp,
      },
      acrossWorkloads: {
        viaLog: summarize(numbers(across.map((h) => h.viaLogMs))),
        viaWatch: summarize(numbers(across.map((h) => h.viaWatchMs))),
        handovers: across,
      },
      seedUpgrade: {
        description:
          '5 replicas, batches [2, 3]: Rollout spec change seen → rolloutSucceed seen (v1 deleted, v2 5/5)',
        wallMs: seedWall,
        ...summarize(seedWall),
      },
    };
    await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
    await writeFile(
      join(repoRoot, 'bench', 'results', 'rollout.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log(
      JSON.stringify(
        {
          scaleOnly: result.scaleOnly.viaLog,
          scaleOnlyWatch: result.scaleOnly.viaWatch,
          across: result.acrossWorkloads.viaLog,
          acrossWatch: result.acrossWorkloads.viaWatch,
          seed: result.seedUpgrade,
        },
        null,
        2,
      ),
    );
  } finally {
    observer.stop();
    await controller.stop();
    await deleteNamespace(ns);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
