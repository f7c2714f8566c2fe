// Benchmark: the controller at scale, on a throw-away cluster of its own (never the shared one).
//
//   npm run bench:scale -- [--apps 1000] [--ihpas 200] [--ihpa-boundaries 2] [--workers 1]
//                          [--runtime compiled|tsx] [--out bench/results/scale.json]
//                          [--node-options '--cpu-prof --cpu-prof-dir=/tmp/prof']
// (--workers 0, the default, runs the controller with its own default.)
//
// Applications: N webservice Applications with the rollout trait (2 replicas each) created at once,
// then a new image for all of them. Measured:
//   - the creation wave: Applications reconciled per second (first pass: status.observedGeneration
//     caught up; running: phase running), and the time until every Rollout reports rolloutSucceed;
//   - the upgrade wave: the time until every Rollout succeeded on the new revision;
//   - reconcile latency median/p99 per controller, from the controller's own histogram
//     controller_runtime_reconcile_time_seconds (bucket deltas per phase, interpolated as
//     Prometheus' histogram_quantile does);
//   - API requests per reconcile: Δrest_client_requests_total / Δcontroller_runtime_reconcile_total;
//   - controller RSS (/proc/<pid>/status VmRSS) at steady state and after the upgrade wave;
//   - write requests of a restarted controller resyncing a cluster where nothing changed (target 0).
// IHPAs: M IHPAs with Cron providers whose value flips at every minute boundary (1 on even
// minutes, 2 on odd ones), each on its own one-replica Deployment. Measured: how late after the
// boundary each IHPA's status.currentPortraitValue changes (as a watch in this process sees it),
// and the controller's RSS.
// Targets on the 2-core development machine: ≥ 20 Applications/s reconciled, p99 reconcile
// ≤ 200 ms, RSS ≤ 250 MB, 0 writes on resync.

import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { startController, type ControllerProcess } from '../test/e2e/controller-process.js';
import { repoRoot } from '../test/e2e/support.js';
import { installDefinitions } from '../test/faults/support/healthy.js';
import type { Kube, KubeObjectLike } from '../test/faults/support/kube.js';
import { OwnCluster } from '../test/faults/support/own-cluster.js';

// ---------------------------------------------------------------------------------------------
// Arguments

function flag(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === `--${name}`) return argv[i + 1] ?? fallback;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return fallback;
}

const APPS = Number(flag('apps', '1000'));
const IHPAS = Number(flag('ihpas', '200'));
const IHPA_BOUNDARIES = Number(flag('ihpa-boundaries', '2'));
const OUT = join(repoRoot, flag('out', 'bench/results/scale.json'));
const REPLICAS = 2;
const TIMEOUT_MS = Number(flag('timeout-minutes', '30')) * 60_000;
/** `compiled` (default): tsc output run by plain node, as the image runs it; `tsx`: the sources. */
const RUNTIME = flag('runtime', 'compiled');
const DIST = join(repoRoot, 'bench', 'results', 'tmp', 'dist');
/** Concurrent reconciles per controller (the controller's --workers); 0: the controller's default. */
const WORKERS = Number(flag('workers', '0'));
/** NODE_OPTIONS for the controller processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const CONTROLLER_NODE_OPTIONS = flag('node-options', '');
/** `--creation-only true`: stop after the creation wave (quicker runs while tuning). */
const CREATION_ONLY = flag('creation-only', 'false') === 'true';

const log = (line: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Metrics

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = pair[2] ?? '';
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(
  samples: Sample[],
  name: string,
  where: (labels: Record<string, string>) => boolean = () => true,
): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((acc, s) => acc + s.value, 0);
}

/** Cumulative bucket counts of the reconcile-time histogram for `controller`, by upper bound. */
function buckets(samples: Sample[], controller: string | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== 'controller_runtime_reconcile_time_seconds_bucket') continue;
    if (controller && s.labels.controller !== controller) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/** histogram_quantile over the bucket deltas between two scrapes. */
export function quantile(q: number, before: Map<number, number>, after: Map<number, number>): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] ?? 0) >= rank) {
      const upper = bounds[i] ?? 0;
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
      const inBucket = (counts[i] ?? 0) - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return bounds[bounds.length - 1] ?? Number.NaN;
}

const WRITE_METHOD = (l: Record<string, string>) =>
  ['POST', 'PUT', 'PATCH', 'DELETE'].includes(l.method ?? '');

interface PhaseStats {
  reconciles: Record<string, number>;
  reconcileErrors: number;
  medianMs: Record<string, number>;
  p99Ms: Record<string, number>;
  apiRequests: number;
  writeRequests: number;
  apiRequestsPerReconcile: number;
}

function phaseStats(before: Sample[], after: Sample[], controllers: string[]): PhaseStats {
  const round = (v: number) => Math.round(v * 10) / 10;
  const reconciles: Record<string, number> = {};
  const medianMs: Record<string, number> = {};
  const p99Ms: Record<string, number> = {};
  for (const c of [...controllers, 'all']) {
    const only = c === 'all' ? undefined : c;
    const match = (l: Record<string, string>) => !only || l.controller === only;
    reconciles[c] =
      sum(after, 'controller_runtime_reconcile_total', match) -
      sum(before, 'controller_runtime_reconcile_total', match);
    medianMs[c] = round(quantile(0.5, buckets(before, only), buckets(after, only)) * 1000);
    p99Ms[c] = round(quantile(0.99, buckets(before, only), buckets(after, only)) * 1000);
  }
  const apiRequests = sum(after, 'rest_client_requests_total') - sum(before, 'rest_client_requests_total');
  const writeRequests =
    sum(after, 'rest_client_requests_total', WRITE_METHOD) -
    sum(before, 'rest_client_requests_total', WRITE_METHOD);
  return {
    reconciles,
    reconcileErrors:
      sum(after, 'controller_runtime_reconcile_errors_total') -
      sum(before, 'controller_runtime_reconcile_errors_total'),
    medianMs,
    p99Ms,
    apiRequests,
    writeRequests,
    apiRequestsPerReconcile: round((apiRequests / Math.max(1, reconciles.all ?? 0)) * 100) / 100,
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Cluster helpers

/** Compiles the controller into bench/results/tmp/dist (git-ignored) when running it compiled. */
function compile(): void {
  if (RUNTIME !== 'compiled') return;
  log('compiling the controller (tsc -p tsconfig.build.json)');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', DIST],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
}

function controllerProcess(
  cluster: OwnCluster,
  controllers: string[],
  namespace: string,
): Promise<ControllerProcess> {
  return startController({
    controllers,
    namespace,
    kubeconfig: cluster.kubeconfig,
    readyTimeoutMs: 300000,
    extraArgs: WORKERS > 0 ? [`--workers=${WORKERS}`] : [],
    env: {
      ...(CONTROLLER_NODE_OPTIONS ? { NODE_OPTIONS: CONTROLLER_NODE_OPTIONS } : {}),
      ...(RUNTIME === 'compiled'
        ? { CUE_WASM_PATH: join(repoRoot, 'cuelang-wasm', 'dist', 'cue.wasm') }
        : {}),
    },
    ...(RUNTIME === 'compiled' ? { script: join(DIST, 'controllers', 'main.js') } : {}),
  });
}

/** Counts objects of a collection that satisfy `done`, event-driven; resolves when all `expected` do. */
function waitAll<T extends KubeObjectLike>(
  kube: Kube,
  path: string,
  expected: number,
  done: (obj: T) => boolean,
  what: string,
  timeoutMs = TIMEOUT_MS,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ok = new Set<string>();
    let lastLog = 0;
    const check = () => {
      if (Date.now() - lastLog > 15000) {
        lastLog = Date.now();
        log(`${what}: ${ok.size}/${expected}`);
      }
      if (ok.size >= expected) finish();
    };
    const finish = (err?: Error) => {
      clearTimeout(timer);
      handle.stop();
      if (err) reject(err);
      else resolve(Date.now());
    };
    const timer = setTimeout(
      () => finish(new Error(`${what}: only ${ok.size}/${expected} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const note = (obj: T) => {
      const name = obj.metadata?.name ?? '';
      if (done(obj)) ok.add(name);
      else ok.delete(name);
    };
    const handle = kube.watch<T>(path, {
      onReset: (items) => {
        ok.clear();
        items.forEach(note);
        check();
      },
      onEvent: (type, obj) => {
        if (type === 'DELETED') ok.delete(obj.metadata?.name ?? '');
        else note(obj);
        check();
      },
    });
  });
}

/** Extra KWOK nodes (1000 pods each): the cluster's three nodes hold 330 pods. */
async function addNodes(kube: Kube, count: number): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `scale-node-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': `scale-node-${i}`, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '1000', memory: '4000Gi', pods: '1000' },
      capacity: { cpu: '1000', memory: '4000Gi', pods: '1000' },
    },
  }));
  await kube.kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes }),
  );
  await kube.kubectlOk(['wait', '--for=condition=Ready', 'node', '-l', 'type=kwok', '--timeout=120s']);
}

function application(name: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name },
    spec: {
      components: [
        {
          name: `${name}-web`,
          type: 'webservice',
          properties: { image },
          traits: [{ type: 'rollout', properties: { targetSize: REPLICAS } }],
        },
      ],
    },
  };
}

/** Sends the objects through kubectl in chunks running side by side ("at once", within reason). */
async function applyAll(
  kube: Kube,
  ns: string,
  objects: Record<string, unknown>[],
  verb: 'create' | 'apply',
): Promise<void> {
  const chunk = 100;
  const parallel = 4;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < objects.length; i += chunk) chunks.push(objects.slice(i, i + chunk));
  const args =
    verb === 'create'
      ? ['create', '-n', ns, '-f', '-']
      : ['apply', '--server-side', '--force-conflicts', '-n', ns, '-f', '-'];
  for (let i = 0; i < chunks.length; i += parallel) {
    await Promise.all(
      chunks
        .slice(i, i + parallel)
        .map((items) => kube.kubectlOk(args, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))),
    );
  }
}

/** Waits until the controller's queues are empty and no reconcile happened for `quietMs`. */
async function settled(controller: ControllerProcess, quietMs = 5000, timeoutMs = 600000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const samples = parseMetrics(await controller.metrics());
    const total = sum(samples, 'controller_runtime_reconcile_total');
    const depth = sum(samples, 'workqueue_depth');
    const active = sum(samples, 'controller_runtime_active_workers');
    if (total !== last || depth > 0 || active > 0) {
      last = total;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return;
    }
    if (Date.now() > deadline) throw new Error('the controller never went quiet');
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---------------------------------------------------------------------------------------------
// Applications

interface Rollout extends KubeObjectLike {
  status?: { rollingState?: string; lastTargetRevision?: string; upgradedReadyReplicas?: number };
}
interface App extends KubeObjectLike {
  status?: { observedGeneration?: number; status?: string };
}

async function applications(cluster: OwnCluster) {
  const kube = cluster.kube;
  const ns = 'scale';
  await kube.kubectlOk(['create', 'namespace', ns]);
  const controllers = ['application', 'rollout'];
  let controller = await controllerProcess(cluster, controllers, ns);
  const idleRssMb = rssMb(controller.pid);
  const m0 = parseMetrics(await controller.metrics());
  const names = Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(4, '0')}`);
  const appsPath = `/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`;
  const rolloutsPath = `/apis/standard.oam.dev/v1alpha1/namespaces/${ns}/rollouts`;

  log(`creating ${APPS} Applications`);
  const firstPass = waitAll<App>(
    kube,
    appsPath,
    APPS,
    (a) => a.status?.observedGeneration === a.metadata?.generation,
    'first pass',
  );
  const running = waitAll<App>(
    kube,
    appsPath,
    APPS,
    (a) => a.status?.status === 'running' && a.status.observedGeneration === a.metadata?.generation,
    'running',
  );
  const succeeded = waitAll<Rollout>(
    kube,
    rolloutsPath,
    APPS,
    (r) => r.status?.rollingState === 'rolloutSucceed' && r.status.upgradedReadyReplicas === REPLICAS,
    'rollouts succeeded',
  );
  const t0 = Date.now();
  await applyAll(
    kube,
    ns,
    names.map((n) => application(n, 'nginx:1.26')),
    'create',
  );
  const createdAt = Date.now();
  const firstPassAt = await firstPass;
  const succeededAt = await succeeded;
  const runningAt = await running;
  log(
    `creation wave: first pass ${firstPassAt - t0} ms, rollouts ${succeededAt - t0} ms, running ${runningAt - t0} ms`,
  );
  await settled(controller);
  const m1 = parseMetrics(await controller.metrics());
  const steadyRssMb = rssMb(controller.pid);
  const rate = (ms: number) => Math.round((APPS / (ms / 1000)) * 10) / 10;
  const creationWave = {
    kubectlCreateMs: createdAt - t0,
    firstPassMs: firstPassAt - t0,
    firstPassAppsPerSecond: rate(firstPassAt - t0),
    allRolloutsSucceededMs: succeededAt - t0,
    allRunningMs: runningAt - t0,
    runningAppsPerSecond: rate(runningAt - t0),
    ...phaseStats(m0, m1, controllers),
  };
  if (CREATION_ONLY) {
    await controller.stop();
    return {
      apps: APPS,
      replicasEach: REPLICAS,
      creationWave,
      rssMb: { idle: idleRssMb, steadyAfterCreation: steadyRssMb },
    };
  }

  log(`upgrading ${APPS} Applications`);
  const upgraded = waitAll<Rollout>(
    kube,
    rolloutsPath,
    APPS,
    (r) =>
      r.status?.rollingState === 'rolloutSucceed' &&
      r.status.lastTargetRevision === `${r.metadata?.name}-v2` &&
      r.status.upgradedReadyReplicas === REPLICAS,
    'upgraded',
  );
  const t2 = Date.now();
  await applyAll(
    kube,
    ns,
    names.map((n) => application(n, 'nginx:1.27')),
    'apply',
  );
  const upgradeAppliedAt = Date.now();
  const upgradedAt = await upgraded;
  log(`upgrade wave: ${upgradedAt - t2} ms`);
  await settled(controller);
  const m2 = parseMetrics(await controller.metrics());
  const afterUpgradeRssMb = rssMb(controller.pid);

  log('restarting the controller: a resync with nothing changed');
  await controller.stop();
  const restartAt = Date.now();
  controller = await controllerProcess(cluster, controllers, ns);
  const readyMs = Date.now() - restartAt;
  await settled(controller);
  const m3 = parseMetrics(await controller.metrics());
  const resync = phaseStats([], m3, controllers);
  const resyncRssMb = rssMb(controller.pid);
  const writes = m3
    .filter((s) => s.name === 'rest_client_requests_total' && WRITE_METHOD(s.labels) && s.value > 0)
    .map((s) => `${s.labels.method} ${s.labels.code}: ${s.value}`);
  await controller.stop();

  return {
    apps: APPS,
    replicasEach: REPLICAS,
    creationWave,
    upgradeWave: {
      kubectlApplyMs: upgradeAppliedAt - t2,
      allRolloutsSucceededMs: upgradedAt - t2,
      rolloutsPerSecond: rate(upgradedAt - t2),
      ...phaseStats(m1, m2, controllers),
    },
    resyncAfterRestart: {
      readyMs,
      ...resync,
      writesByMethod: writes,
    },
    rssMb: {
      idle: idleRssMb,
      steadyAfterCreation: steadyRssMb,
      afterUpgrade: afterUpgradeRssMb,
      afterRestartResync: resyncRssMb,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// IHPAs with cron providers

interface Ihpa extends KubeObjectLike {
  status?: { currentPortraitValue?: { replicas?: number } };
}

async function ihpas(cluster: OwnCluster) {
  const kube = cluster.kube;
  const ns = 'scale-ihpa';
  await kube.kubectlOk(['create', 'namespace', ns]);
  const targets = Array.from({ length: IHPAS }, (_, i) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `t-${i}` },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: `t-${i}` } },
      template: {
        metadata: { labels: { app: `t-${i}` } },
        spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
      },
    },
  }));
  await applyAll(kube, ns, targets, 'create');
  const controller = await controllerProcess(cluster, ['ihpa', 'replicaprofile'], ns);
  const idleRssMb = rssMb(controller.pid);
  const m0 = parseMetrics(await controller.metrics());
  // 1 replica on even minutes, 2 on odd ones: every IHPA changes value at every minute boundary.
  const ihpaObjects = Array.from({ length: IHPAS }, (_, i) => ({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name: `t-${i}` },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `t-${i}` },
      minReplicas: 1,
      maxReplicas: 5,
      portraitProviders: [
        {
          type: 'Cron',
          priority: 1,
          cron: {
            crons: [
              { name: 'even', start: '*/2 * * * *', end: '1-59/2 * * * *', replicas: 1 },
              { name: 'odd', start: '1-59/2 * * * *', end: '*/2 * * * *', replicas: 2 },
            ],
          },
        },
      ],
    },
  }));

  const changes: Array<{ name: string; at: number; replicas: number }> = [];
  const last = new Map<string, number>();
  const handle = kube.watch<Ihpa>(
    `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/intelligenthorizontalpodautoscalers`,
    {
      onReset: (items) =>
        items.forEach((i) => last.set(i.metadata?.name ?? '', i.status?.currentPortraitValue?.replicas ?? 0)),
      onEvent: (_type, obj) => {
        const name = obj.metadata?.name ?? '';
        const replicas = obj.status?.currentPortraitValue?.replicas ?? 0;
        if (last.get(name) !== replicas) changes.push({ name, at: Date.now(), replicas });
        last.set(name, replicas);
      },
    },
  );
  log(`creating ${IHPAS} IHPAs`);
  const createdAt = Date.now();
  await applyAll(kube, ns, ihpaObjects, 'create');
  const createMs = Date.now() - createdAt;
  const firstBoundary = Math.ceil((Date.now() + 5000) / 60000) * 60000;
  const boundaries = Array.from({ length: IHPA_BOUNDARIES }, (_, i) => firstBoundary + i * 60000);
  const end = (boundaries[boundaries.length - 1] ?? firstBoundary) + 20000;
  log(`watching ${boundaries.length} minute boundaries, until ${new Date(end).toISOString()}`);
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
  handle.stop();
  const m1 = parseMetrics(await controller.metrics());
  const rss = rssMb(controller.pid);
  await controller.stop();

  const lateness: number[] = [];
  const missed: string[] = [];
  for (const boundary of boundaries) {
    const want = new Date(boundary).getUTCMinutes() % 2 === 0 ? 1 : 2;
    for (let i = 0; i < IHPAS; i++) {
      const hit = changes.find(
        (c) =>
          c.name === `t-${i}` && c.at >= boundary - 1000 && c.at < boundary + 59000 && c.replicas === want,
      );
      if (hit) lateness.push(hit.at - boundary);
      else missed.push(`t-${i}@${new Date(boundary).toISOString().slice(11, 16)}`);
    }
  }
  const sorted = [...lateness].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return {
    ihpas: IHPAS,
    createMs,
    boundaries: boundaries.map((b) => new Date(b).toISOString()),
    statusChangeAfterBoundaryMs: {
      n: sorted.length,
      min: sorted[0] ?? NaN,
      median: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? NaN,
    },
    missedChanges: missed.length,
    missedExamples: missed.slice(0, 10),
    ...phaseStats(m0, m1, ['ihpa', 'replicaprofile']),
    rssMb: { idle: idleRssMb, with: rss },
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGbAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadavgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    note: 'shared 2-core development VM, loaded by other work (a Go build, other e2e runs) while measuring',
  };
  compile();
  log(`own cluster up (${APPS} apps, ${IHPAS} IHPAs, controller run ${RUNTIME})`);
  const cluster = await OwnCluster.up();
  try {
    await installDefinitions(cluster.kube);
    await addNodes(cluster.kube, Math.ceil((APPS * REPLICAS * 2 + IHPAS * 2) / 1000) + 1);
    const appResults = APPS > 0 ? await applications(cluster) : undefined;
    const ihpaResults = IHPAS > 0 ? await ihpas(cluster) : undefined;
    const targets = appResults
      ? {
          creationAppsPerSecondAtLeast20: appResults.creationWave.firstPassAppsPerSecond >= 20,
          p99ReconcileAtMost200ms:
            (appResults.creationWave.p99Ms.all ?? Infinity) <= 200 &&
            (appResults.upgradeWave?.p99Ms.all ?? 0) <= 200,
          rssAtMost250MB:
            Math.max(appResults.rssMb.steadyAfterCreation, appResults.rssMb.afterUpgrade ?? 0) <= 250,
          zeroWritesOnResync: (appResults.resyncAfterRestart?.writeRequests ?? 0) === 0,
        }
      : undefined;
    const result = {
      date: new Date().toISOString(),
      machine: { ...machine, loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
      command: `npm run bench:scale -- --apps ${APPS} --ihpas ${IHPAS} --ihpa-boundaries ${IHPA_BOUNDARIES} --runtime ${RUNTIME}${WORKERS > 0 ? ` --workers ${WORKERS}` : ''}`,
      runtime:
        RUNTIME === 'compiled'
          ? 'controller compiled with tsc and run by plain node (as the image runs it)'
          : 'controller run from the TypeScript sources through tsx (adds ~80 MB RSS)',
      targets,
      applications: appResults,
      ihpas: ihpaResults,
    };
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    log(`wrote ${OUT}`);
  } finally {
    await cluster.down();
  }
}

// Run only as a script (tests import the metric helpers above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
