// `npm run demo [-- --fast] [--namespace <ns>]`: the one-command tour, from a fresh clone.
//
//   1. builds what is missing: the CUE engine (cuelang-wasm/build.sh, as npm run build:wasm) and
//      the local cluster's binaries (hack/cluster/binaries.ts);
//   2. brings up the local control plane (hack/cluster/control-plane.ts `up`; kept if it is up);
//   3. installs the CRDs and definitions (the controller's --install code path);
//   4. starts the controllers as a child process (`rollscale controller`, leader election off,
//      watching only the demo namespace, `default` unless --namespace says otherwise);
//   5. plays the rollout walkthrough (seed 003): first release in 2 + 3 → 5/5; upgrade held at
//      batchPartition 0 → v1 3/3 + v2 2/2; partition removed → v2 5/5; rollback → v1 5/5;
//   6. plays the gray scale-down (seed 001): an NGINX StatefulSet whose IHPA drops it to 1 replica
//      in 50 % steps, cut-off pods leaving the Service first. With --fast the portrait is a Static
//      one changed from 5 to 1 and the steps are 5 s apart with a 10 s observation; without it the
//      seed's own IHPA runs (a Cron window of 5 over a Static 1, placed on the next wall-clock
//      minute instead of minutes 0–10 of the hour) with the seed's 30 s / 60 s;
//   7. stops the controllers and says what to type next. The cluster stays up.
//
// Progress is the `rollscale status` view, redrawn on every watch event. Exit 0 when every step
// reached what the seed shows; 1 with the last view and the controller's log otherwise.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, parse, stringify } from 'yaml';

import { realClock } from '../controllers/kit/clock.js';
import { KubeClient } from '../controllers/kit/client.js';
import { install } from '../controllers/main.js';
import { cliLogger, processOutput } from '../cli/output.js';
import { followStatus, viewPrinter } from '../cli/status.js';
import type { ComponentView, StatusTarget, StatusView } from '../cli/status-view.js';
import { ensureBinaries, repoRoot } from './cluster/binaries.js';
import { clusterDir, kubeconfigPath, up } from './cluster/control-plane.js';
import { freePort } from './cluster/processes.js';

const output = processOutput();
const started = Date.now();
const kubectlPath = join(clusterDir, 'bin', 'kubectl');
const controllerLog = join(clusterDir, 'logs', 'demo-controller.log');

interface DemoOptions {
  fast: boolean;
  namespace: string;
}

const USAGE = `usage: npm run demo [-- --fast] [--namespace <ns>]

  --fast            gray scale-down with a Static portrait and 5 s steps / 10 s observation
                    (default: the seed's Cron + Static IHPA and 30 s / 60 s, about 4 minutes)
  --namespace <ns>  namespace the demo runs in (default: default)
`;

function parseOptions(argv: readonly string[]): DemoOptions | string {
  const options: DemoOptions = { fast: false, namespace: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--fast') options.fast = true;
    else if (arg === '--namespace' || arg === '-n') {
      const value = argv[++i];
      if (!value) return `--namespace needs a value\n\n${USAGE}`;
      options.namespace = value;
    } else if (arg.startsWith('--namespace=')) options.namespace = arg.slice('--namespace='.length);
    else if (arg === '--help' || arg === '-h') return USAGE;
    else return `unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`;
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Output

const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const say = (text = '') => output.out(`${text}\n`);
function section(title: string): void {
  const bold = (text: string) => (output.interactive ? `\u001b[1m${text}\u001b[0m` : text);
  say(`\n${bold(`━━ ${title}`)}  (${seconds()} s)`);
}

class DemoError extends Error {}

// ---------------------------------------------------------------------------------------------
// kubectl, as a user of the seeds types it

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlPath,
      ['--kubeconfig', kubeconfigPath, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs kubectl, echoing the command and what it printed; throws when it fails. */
async function show(args: string[], input?: string, label?: string): Promise<string> {
  say(`$ kubectl ${label ?? args.join(' ')}`);
  const result = await kubectl(args, input);
  const text = (result.stdout + result.stderr).trimEnd();
  if (text) say(text.replace(/^/gm, '  '));
  if (result.code !== 0) throw new DemoError(`kubectl ${args.join(' ')} failed (exit ${result.code})`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------
// Steps 1–4: build, cluster, install, controllers

function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new DemoError(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

async function buildWhatIsMissing(): Promise<void> {
  section('1. Build what is missing');
  const wasm = join(repoRoot, 'cuelang-wasm', 'dist', 'cue.wasm');
  if (hasGo()) {
    // Cheap when up to date: build.sh compares the Go sources with the binary.
    await run('bash', [join(repoRoot, 'cuelang-wasm', 'build.sh')]);
  } else if (existsSync(wasm)) {
    say(`go is not installed; using the CUE engine already built at ${wasm}`);
  } else {
    throw new DemoError(
      'the CUE engine (cuelang-wasm/dist/cue.wasm) is missing and building it needs Go ≥ 1.22',
    );
  }
  const binaries = await ensureBinaries((line) => say(`[cluster] ${line}`));
  say(`cluster binaries: ${Object.keys(binaries).join(', ')} (cached)`);
}

async function clusterUp(): Promise<KubeClient> {
  section('2. Local control plane');
  await up((line) => say(`[cluster] ${line}`));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return KubeClient.fromKubeConfig(kubeConfig, { userAgent: 'rollscale-demo' });
}

async function installDefinitions(client: KubeClient): Promise<void> {
  section('3. CRDs and definitions (rollscale install)');
  await install(client, realClock, cliLogger(output, 'warn'), repoRoot);
  await show(['get', 'componentdefinitions,traitdefinitions', '-n', 'vela-system']);
}

interface ControllerChild {
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startControllers(namespace: string): Promise<ControllerChild> {
  section('4. Controllers (rollscale controller, as a child process)');
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    join(repoRoot, 'cli', 'main.ts'),
    'controller',
    '--leader-elect=false',
    `--metrics-addr=127.0.0.1:${port}`,
    `--namespace=${namespace}`,
    // The webhook is not needed: the demo's pod templates carry the readiness gate themselves.
    '--controllers=application,rollout,ihpa,replicaprofile',
  ];
  say(`$ rollscale ${args.slice(3).join(' ')}   (log: ${controllerLog})`);
  const log = createWriteStream(controllerLog, { flags: 'w' });
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    log.end();
  };
  // Ready once every informer has synced (/readyz answers 200 only then).
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new DemoError(`the controllers exited with ${child.exitCode}; see ${controllerLog}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new DemoError(`the controllers were not ready after 90 s; see ${controllerLog}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  say(
    `controllers ready (pid ${child.pid}): application, rollout, ihpa, replicaprofile, watching namespace ${namespace}`,
  );
  return { child, stop };
}

async function removeLeftovers(namespace: string): Promise<void> {
  const found = await kubectl([
    'get',
    'app/rollout-trait-test',
    'ihpa/gray-strategy-sample',
    'statefulset/nginx',
    'service/nginx',
    '-n',
    namespace,
    '--ignore-not-found',
    '-o',
    'name',
  ]);
  const leftovers = await kubectl([
    'get',
    'rollout,deploy,controllerrevision',
    '-n',
    namespace,
    '-l',
    'app.oam.dev/name=rollout-trait-test',
    '-o',
    'name',
  ]);
  if (!found.stdout.trim() && !leftovers.stdout.trim()) return;
  say(`removing what an earlier demo left in namespace ${namespace}`);
  const ns = ['-n', namespace, '--ignore-not-found', '--wait=true'];
  await kubectl(['delete', 'app', 'rollout-trait-test', '--cascade=foreground', ...ns]);
  await kubectl([
    'delete',
    'rollout,deploy,controllerrevision',
    '-l',
    'app.oam.dev/name=rollout-trait-test',
    ...ns,
  ]);
  await kubectl(['delete', 'ihpa', 'gray-strategy-sample', '--cascade=foreground', ...ns]);
  await kubectl(['delete', 'statefulset', 'nginx', '--cascade=foreground', ...ns]);
  await kubectl(['delete', 'service', 'nginx', ...ns]);
}

// ---------------------------------------------------------------------------------------------
// Following the status view until a step's goal holds

async function follow(
  client: KubeClient,
  namespace: string,
  target: StatusTarget,
  goal: (view: StatusView) => boolean,
  timeoutMs: number,
  what: string,
): Promise<StatusView> {
  const printer = viewPrinter(output);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const ticker = output.interactive ? setInterval(() => printer.redraw(), 1000) : undefined;
  try {
    const view = await followStatus(client, namespace, target, {
      onView: printer.draw,
      until: goal,
      signal: abort.signal,
    });
    if (!goal(view)) throw new DemoError(`${what}: not reached within ${Math.round(timeoutMs / 1000)} s`);
    return view;
  } finally {
    clearTimeout(timer);
    if (ticker) clearInterval(ticker);
  }
}

const componentOf = (view: StatusView, name: string): ComponentView | undefined =>
  view.components.find((c) => c.name === name);

/** The component's Deployments as `name → ready/desired`. */
function deployments(view: StatusView, component: string): Record<string, string> {
  return Object.fromEntries(
    (componentOf(view, component)?.workloads ?? [])
      .filter((w) => w.kind === 'Deployment')
      .map((w) => [w.name, `${w.ready}/${w.desired}`]),
  );
}

const same = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

// ---------------------------------------------------------------------------------------------
// 5. The rollout walkthrough (seed 003)

function seedApplications(): string[] {
  const file = join(repoRoot, 'test', 'fixtures', 'seeds', 'app-rollout-trait-test.yaml');
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null)
    .map((doc) => stringify(doc));
}

async function rolloutWalkthrough(client: KubeClient, namespace: string, timeoutMs: number): Promise<void> {
  const apps = seedApplications();
  const app: StatusTarget = { kind: 'application', name: 'rollout-trait-test' };
  const component = 'express-server';
  const rollout = (v: StatusView) => componentOf(v, component)?.rollout;
  const n = ['-n', namespace];
  const listRollout = () => show(['get', 'rollout', component, ...n]);
  const listDeployments = () => show(['get', 'deploy', '-l', `app.oam.dev/component=${component}`, ...n]);
  const listRevisions = () =>
    show(['get', 'controllerrevision', '-l', `controller.oam.dev/component=${component}`, ...n]);
  const applyStep = (index: number, title: string) =>
    show(['apply', ...n, '-f', '-'], apps[index], `apply -f - <<EOF   # seed 003: ${title}`);

  section('5a. First release: express-server-v1, 5 replicas in batches of 2 and 3');
  await applyStep(0, 'first release');
  await follow(
    client,
    namespace,
    app,
    (v) =>
      v.phase === 'running' &&
      rollout(v)?.succeeded === true &&
      same(deployments(v, component), { 'express-server-v1': '5/5' }),
    timeoutMs,
    'first release: express-server-v1 5/5 and rolloutSucceed',
  );
  await show(['get', 'app', 'rollout-trait-test', ...n]);
  await listRevisions();
  await listRollout();
  await listDeployments();

  section('5b. Upgrade to express-server-v2, held after the first batch (batchPartition: 0)');
  await applyStep(1, 'upgrade, batchPartition 0');
  await follow(
    client,
    namespace,
    app,
    (v) => {
      const r = rollout(v);
      return (
        r?.current === true &&
        r.targetRevision === 'express-server-v2' &&
        r.rollingState === 'rollingInBatches' &&
        r.batchRollingState === 'batchReady' &&
        r.upgraded === 2 &&
        r.ready === 2 &&
        same(deployments(v, component), { 'express-server-v1': '3/3', 'express-server-v2': '2/2' })
      );
    },
    timeoutMs,
    'upgrade: v1 3/3 and v2 2/2, batchReady rollingInBatches',
  );
  await listRevisions();
  await listRollout();
  await listDeployments();

  /** Waits until the Rollout succeeded on `revision` with all 5 replicas there, then shows it. */
  const settlesOn = async (revision: string, what: string) => {
    await follow(
      client,
      namespace,
      app,
      (v) =>
        rollout(v)?.succeeded === true &&
        rollout(v)?.targetRevision === revision &&
        same(deployments(v, component), { [revision]: '5/5' }),
      timeoutMs,
      what,
    );
    await listRollout();
    await listDeployments();
  };

  section('5c. batchPartition removed: the rest of v2');
  await applyStep(2, 'batchPartition removed');
  await settlesOn('express-server-v2', 'upgrade finished: v2 5/5, v1 gone');

  section('5d. Rollback: targetRevision express-server-v1');
  await applyStep(3, 'rollback to express-server-v1');
  await settlesOn('express-server-v1', 'rollback: v1 5/5, v2 gone');
}

// ---------------------------------------------------------------------------------------------
// 6. The gray scale-down (seed 001)

/**
 * The seeds' nginx-statefulset.yaml (a headless Service and the StatefulSet), with the
 * kapacitystack.io/online readiness gate in the pod template: Kapacity's webhook adds it, the
 * ihpa trait writes it into the template; this demo runs without the webhook.
 */
function nginx(replicas: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  ports: [{port: 80, name: nginx}]
  clusterIP: None
  selector: {app: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  serviceName: nginx
  selector: {matchLabels: {app: nginx}}
  replicas: ${replicas}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      readinessGates: [{conditionType: kapacitystack.io/online}]
      containers:
        - name: nginx
          image: nginx:1.14.2
          ports: [{containerPort: 80}]
`;
}

interface GraySample {
  spec: {
    portraitProviders: Array<{
      type: string;
      priority: number;
      static?: { replicas: number };
      cron?: { crons: Array<{ start: string; end: string }> };
    }>;
    behavior: { scaleDown: { grayStrategy: { changeIntervalSeconds: number; observationSeconds: number } } };
  };
}

function graySample(): GraySample {
  return parse(
    readFileSync(join(repoRoot, 'test', 'fixtures', 'seeds', 'ihpa-gray-strategy-sample.yaml'), 'utf8'),
  ) as GraySample;
}

const MINUTE = 60_000;
const cronAt = (ms: number) => `${new Date(ms).getUTCMinutes()} * * * *`;

async function grayScaleDown(client: KubeClient, namespace: string, fast: boolean): Promise<void> {
  const n = ['-n', namespace];
  const target: StatusTarget = { kind: 'ihpa', name: 'gray-strategy-sample' };
  const ihpaOf = (v: StatusView) => v.components[0]?.ihpa;
  const nginxReady = (v: StatusView, replicas: number) =>
    v.components[0]?.workloads.some(
      (w) => w.kind === 'StatefulSet' && w.desired === replicas && w.ready === replicas,
    ) ?? false;
  let sawGray = false;
  const grayDone = (v: StatusView) => {
    const ihpa = ihpaOf(v);
    if (ihpa?.gray) sawGray = true;
    return sawGray && !ihpa?.gray && ihpa?.online === 1 && ihpa.cutoff === 0 && nginxReady(v, 1);
  };
  const sample = graySample();
  const strategy = sample.spec.behavior.scaleDown.grayStrategy;

  if (fast) {
    section('6a. NGINX with 5 replicas, an IHPA whose Static portrait says 5');
    strategy.changeIntervalSeconds = 5;
    strategy.observationSeconds = 10;
    sample.spec.portraitProviders = [{ type: 'Static', priority: 1, static: { replicas: 5 } }];
    await show(['apply', ...n, '-f', '-'], nginx(5), 'apply -f nginx-statefulset.yaml   # replicas: 5');
    await show(
      ['apply', ...n, '-f', '-'],
      stringify(sample),
      'apply -f gray-strategy-sample.yaml   # Static 5; gray 50 %, every 5 s, 10 s observation',
    );
    await follow(
      client,
      namespace,
      target,
      (v) => ihpaOf(v)?.replicas === 5 && ihpaOf(v)?.online === 5 && nginxReady(v, 5),
      120_000,
      'IHPA at 5 online, nginx 5/5',
    );
    section('6b. The Static portrait drops to 1: gray scale-down 5 → 3 (+2 cut off) → 1 (+4 cut off) → 1');
    await show(
      [
        'patch',
        'ihpa',
        'gray-strategy-sample',
        ...n,
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/portraitProviders/0/static/replicas","value":1}]',
      ],
      undefined,
      'patch ihpa gray-strategy-sample --type=json -p \'[{"op":"replace","path":"/spec/portraitProviders/0/static/replicas","value":1}]\'',
    );
    await follow(client, namespace, target, grayDone, 120_000, 'gray scale-down to 1 replica');
  } else {
    // The seed's window is minutes 0–10 of every hour; here it opens at the next minute boundary
    // (at least 20 s away, so the IHPA starts outside it) and closes one minute later.
    const now = Date.now();
    let start = Math.ceil(now / MINUTE) * MINUTE;
    if (start - now < 20_000) start += MINUTE;
    const end = start + MINUTE;
    const cron = sample.spec.portraitProviders.find((p) => p.type === 'Cron')?.cron?.crons[0];
    if (!cron) throw new DemoError('the seed IHPA has no cron');
    cron.start = cronAt(start);
    cron.end = cronAt(end);
    section(
      `6a. NGINX with 1 replica and the seed's IHPA: Static 1, Cron 5 from ${new Date(start).toISOString().slice(11, 16)} ` +
        `to ${new Date(end).toISOString().slice(11, 16)} UTC; gray 50 % every ${strategy.changeIntervalSeconds} s, ` +
        `${strategy.observationSeconds} s observation`,
    );
    await show(['apply', ...n, '-f', '-'], nginx(1), 'apply -f nginx-statefulset.yaml');
    await show(
      ['apply', ...n, '-f', '-'],
      stringify(sample),
      `apply -f gray-strategy-sample.yaml   # cron ${cron.start} → ${cron.end}`,
    );
    await follow(
      client,
      namespace,
      target,
      (v) => ihpaOf(v)?.provider === 'Cron' && ihpaOf(v)?.online === 5 && nginxReady(v, 5),
      end - Date.now() + 30_000,
      'the Cron window scales nginx 1 → 5',
    );
    section('6b. The window closes: gray scale-down 5 → 3 (+2 cut off) → 1 (+4 cut off) → 1');
    const total = (strategy.changeIntervalSeconds + strategy.observationSeconds) * 1000;
    await follow(
      client,
      namespace,
      target,
      grayDone,
      end - Date.now() + total + 60_000,
      'gray scale-down to 1 replica',
    );
  }
  await show(['get', 'pods', '-l', 'app=nginx', '-L', 'kapacitystack.io/pod-state', ...n]);
  const described = await kubectl(['describe', 'ihpa', 'gray-strategy-sample', ...n]);
  const events = described.stdout.slice(described.stdout.indexOf('Events:'));
  say('$ kubectl describe ihpa gray-strategy-sample   # the events');
  say(events.trimEnd().replace(/^/gm, '  '));
}

// ---------------------------------------------------------------------------------------------

function whatNext(namespace: string): void {
  const ns = namespace === 'default' ? '' : ` -n ${namespace}`;
  section('Done');
  say(`The demo took ${seconds()} s. The controllers are stopped; the local cluster is still up`);
  say('(stop it with: npm run cluster -- down). To look around:');
  say('');
  say(`  export KUBECONFIG=${kubeconfigPath}`);
  say(`  export PATH=${join(clusterDir, 'bin')}:$PATH`);
  say(`  kubectl get app,rollout${ns}`);
  say(`  kubectl get deploy -l app.oam.dev/component=express-server${ns}`);
  say(`  kubectl get controllerrevision -l controller.oam.dev/component=express-server${ns}`);
  say(`  kubectl describe ihpa gray-strategy-sample${ns}`);
  say(`  npx tsx cli/main.ts status rollout-trait-test${ns}`);
  say(
    `  npx tsx cli/main.ts controller --leader-elect=false${namespace === 'default' ? '' : ` --namespace=${namespace}`}   # the controllers again, then edit and re-apply`,
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (typeof parsed === 'string') {
    const ok = parsed === USAGE;
    (ok ? output.out : output.err)(parsed);
    return ok ? 0 : 2;
  }
  const { fast, namespace } = parsed;
  say(
    `rollscale demo${fast ? ' (--fast)' : ''}: seed 003 rollout walkthrough and seed 001 gray scale-down in namespace ${namespace}`,
  );
  let controllers: ControllerChild | undefined;
  const interrupted = new Promise<number>((resolve) => {
    process.once('SIGINT', () => {
      say('\ninterrupted: stopping the controllers (the cluster stays up)');
      void (controllers?.stop() ?? Promise.resolve()).then(() => resolve(130));
    });
  });
  const demo = async (): Promise<number> => {
    try {
      await buildWhatIsMissing();
      const client = await clusterUp();
      await installDefinitions(client);
      await kubectl(['create', 'namespace', namespace]);
      controllers = await startControllers(namespace);
      await removeLeftovers(namespace);
      await rolloutWalkthrough(client, namespace, 120_000);
      await grayScaleDown(client, namespace, fast);
      await controllers.stop();
      controllers = undefined;
      whatNext(namespace);
      return 0;
    } catch (error) {
      output.err(`\ndemo failed after ${seconds()} s: ${(error as Error).message}\n`);
      if (!(error instanceof DemoError)) output.err(`${(error as Error).stack ?? ''}\n`);
      if (existsSync(controllerLog)) {
        const lines = readFileSync(controllerLog, 'utf8').trimEnd().split('\n');
        output.err(`last lines of ${controllerLog}:\n${lines.slice(-15).join('\n')}\n`);
      }
      await controllers?.stop();
      return 1;
    }
  };
  return Promise.race([demo(), interrupted]);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    output.err(`demo: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
