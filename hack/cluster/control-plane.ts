// The local control plane: etcd → kube-apiserver → kube-controller-manager → kube-scheduler →
// KWOK (fake kubelets) → fake nodes → OpenKruise's kruise-manager. Everything listens on
// 127.0.0.1 only, on ports picked free at start; RBAC authorization is on; the admin signs in
// with a static token that lives in `.cluster/` next to the kubeconfig.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { ensureBinaries, hackDir, kruiseModuleDir, repoRoot, versions } from './binaries.js';
import {
  freePort,
  isAlive,
  portInUse,
  ProcessRecord,
  startProcess,
  stopProcess,
  waitFor,
} from './processes.js';

export const clusterDir = process.env.ROLLSCALE_CLUSTER_DIR ?? join(repoRoot, '.cluster');
export const kubeconfigPath = join(clusterDir, 'kubeconfig');
const statePath = join(clusterDir, 'state.json');
const execFileAsync = promisify(execFile);

export const NODE_COUNT = 3;

export interface ClusterState {
  processes: ProcessRecord[];
  apiserverPort: number;
  etcdPort: number;
  kubectl: string;
  startedAt: string;
}

export function readState(): ClusterState | undefined {
  if (!existsSync(statePath)) return undefined;
  return JSON.parse(readFileSync(statePath, 'utf8')) as ClusterState;
}

function writeState(state: ClusterState): void {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
}

/** Whether the recorded cluster is up: every process alive and the API server ready. */
/**
 * Every recorded process alive and /readyz answering 200. `timeoutMs` bounds the one request: a
 * loaded machine (an e2e run beside this cluster) can take more than the 2 s a quick probe allows,
 * and a slow answer is not a down API server.
 */
export async function isUp(timeoutMs = 2000): Promise<boolean> {
  const state = readState();
  if (!state || !state.processes.every((p) => isAlive(p.pid))) return false;
  try {
    return (await apiserverGet(state.apiserverPort, '/readyz', timeoutMs)).status === 200;
  } catch {
    return false;
  }
}

function pki() {
  const dir = join(clusterDir, 'pki');
  mkdirSync(dir, { recursive: true });
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  if (!existsSync(saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    writeFileSync(saPub, publicKey);
  }
  const tokenFile = join(dir, 'tokens.csv');
  if (!existsSync(tokenFile)) {
    const token = randomBytes(24).toString('hex');
    writeFileSync(tokenFile, `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  }
  const token = readFileSync(tokenFile, 'utf8').split(',')[0] ?? '';
  return { dir, saKey, saPub, tokenFile, token };
}

function apiserverGet(
  port: number,
  path: string,
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  const { dir, token } = pki();
  const ca = readFileSync(join(dir, 'apiserver.crt'));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca,
        headers: { Authorization: `Bearer ${token}` },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function httpOk(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function writeKubeconfig(port: number, token: string, caFile: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'rollscale-local',
        cluster: {
          server: `https://127.0.0.1:${port}`,
          'certificate-authority-data': readFileSync(caFile).toString('base64'),
        },
      },
    ],
    users: [{ name: 'admin', user: { token } }],
    contexts: [
      {
        name: 'rollscale-local',
        context: { cluster: 'rollscale-local', user: 'admin', namespace: 'default' },
      },
    ],
    'current-context': 'rollscale-local',
  };
  writeFileSync(kubeconfigPath, YAML.stringify(config), { mode: 0o600 });
}

export async function kubectl(kubectlPath: string, args: string[], input?: string): Promise<string> {
  const child = execFileAsync(kubectlPath, ['--kubeconfig', kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

function nodeManifests(): string {
  const nodes = Array.from({ length: NODE_COUNT }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `kwok-node-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': `kwok-node-${i}`,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
        'topology.kubernetes.io/zone': `zone-${i}`,
      },
    },
    // A realistic worker: 16 cores, 64 GiB, 110 pods.
    status: {
      allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' },
      capacity: { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: `${versions.kubernetes}-kwok`,
      },
    },
  }));
  return nodes.map((n) => YAML.stringify(n)).join('---\n');
}

/** Kruise's webhook configurations, named as kruise-manager expects. Webhooks on built-in
 * kinds fail open, so a stopped kruise-manager never blocks pods or Deployments. */
function kruiseWebhookManifests(moduleDir: string): string {
  const docs = YAML.parseAllDocuments(readFileSync(join(moduleDir, 'config/webhook/manifests.yaml'), 'utf8'));
  const out: string[] = [];
  for (const doc of docs) {
    const obj = doc.toJSON() as {
      metadata: { name: string };
      webhooks?: Array<{
        clientConfig: { service?: { name: string; namespace: string } };
        failurePolicy?: string;
        rules?: Array<{ apiGroups?: string[] }>;
      }>;
    } | null;
    if (!obj) continue;
    obj.metadata.name = `kruise-${obj.metadata.name}`;
    for (const wh of obj.webhooks ?? []) {
      if (wh.clientConfig.service) {
        wh.clientConfig.service.name = 'kruise-webhook-service';
        wh.clientConfig.service.namespace = 'kruise-system';
      }
      const kruiseOnly = (wh.rules ?? []).every((r) =>
        (r.apiGroups ?? []).every((g) => g.endsWith('kruise.io')),
      );
      if (!kruiseOnly) wh.failurePolicy = 'Ignore';
    }
    out.push(YAML.stringify(obj));
  }
  return out.join('---\n');
}

export async function up(log: (msg: string) => void): Promise<ClusterState> {
  const started = Date.now();
  if (await isUp()) {
    log('cluster is already up');
    return readState() as ClusterState;
  }
  await down(() => undefined); // clear whatever a previous, partial `up` left behind
  const bins = await ensureBinaries(log);
  const logDir = join(clusterDir, 'logs');
  const binDir = join(clusterDir, 'bin');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  const kubectlPath = join(binDir, 'kubectl');
  if (existsSync(kubectlPath)) unlinkSync(kubectlPath);
  symlinkSync(bins.kube, kubectlPath);
  const keys = pki();
  const processes: ProcessRecord[] = [];
  const state: ClusterState = {
    processes,
    apiserverPort: 0,
    etcdPort: 0,
    kubectl: kubectlPath,
    startedAt: new Date().toISOString(),
  };
  const track = (p: ProcessRecord) => {
    processes.push(p);
    writeState(state);
    return p;
  };

  // etcd: fresh data each time, fsync off (test data, not worth the disk latency).
  const etcdData = join(clusterDir, 'etcd');
  rmSync(etcdData, { recursive: true, force: true });
  const [etcdPort, etcdPeer, etcdMetrics] = [await freePort(), await freePort(), await freePort()];
  state.etcdPort = etcdPort;
  const etcd = track(
    startProcess(
      'etcd',
      bins.kube,
      [
        'etcd',
        '--name=local',
        `--data-dir=${etcdData}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
        `--listen-metrics-urls=http://127.0.0.1:${etcdMetrics}`,
        '--unsafe-no-fsync',
        '--quota-backend-bytes=4294967296',
        '--log-level=warn',
      ],
      { logDir, ports: [etcdPort, etcdPeer, etcdMetrics] },
    ),
  );
  await waitFor('etcd', () => httpOk(etcdPort, '/health'), { alive: () => isAlive(etcd.pid) });
  log(`etcd ${versions.etcd} ready on 127.0.0.1:${etcdPort}`);

  const apiPort = await freePort();
  state.apiserverPort = apiPort;
  const apiserver = track(
    startProcess(
      'kube-apiserver',
      bins.kube,
      [
        'apiserver',
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${keys.dir}`,
        `--token-auth-file=${keys.tokenFile}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${keys.saPub}`,
        `--service-account-signing-key-file=${keys.saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        // The `kubernetes` Service cannot point at a loopback address; nothing in-cluster needs it.
        '--endpoint-reconciler-type=none',
        '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy',
        '--v=0',
      ],
      { logDir, ports: [apiPort] },
    ),
  );
  await waitFor(
    'kube-apiserver',
    async () =>
      existsSync(join(keys.dir, 'apiserver.crt')) && (await apiserverGet(apiPort, '/readyz')).status === 200,
    { alive: () => isAlive(apiserver.pid), timeoutMs: 90000, intervalMs: 200 },
  );
  writeKubeconfig(apiPort, keys.token, join(keys.dir, 'apiserver.crt'));
  log(`kube-apiserver ${versions.kubernetes} ready on https://127.0.0.1:${apiPort}`);

  const kcmPort = await freePort();
  track(
    startProcess(
      'kube-controller-manager',
      bins.kube,
      [
        'controller-manager',
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        '--leader-elect=false',
        '--controllers=*',
        `--service-account-private-key-file=${keys.saKey}`,
        `--root-ca-file=${join(keys.dir, 'apiserver.crt')}`,
        '--use-service-account-credentials=false',
        '--cluster-name=rollscale-local',
        '--v=0',
      ],
      { logDir, ports: [kcmPort] },
    ),
  );
  const schedulerPort = await freePort();
  track(
    startProcess(
      'kube-scheduler',
      bins.kube,
      [
        'scheduler',
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedulerPort}`,
        '--leader-elect=false',
        '--v=0',
      ],
      { logDir, ports: [schedulerPort] },
    ),
  );
  const kwokPort = await freePort();
  track(
    startProcess(
      'kwok',
      bins.kwok,
      [
        `--kubeconfig=${kubeconfigPath}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--config=${join(hackDir, 'cluster/manifests/kwok-stages.yaml')}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        '--node-ip=10.244.0.1',
        '--cidr=10.244.0.0/16',
        '--node-lease-duration-seconds=40',
      ],
      { logDir, ports: [kwokPort] },
    ),
  );
  await kubectl(kubectlPath, ['apply', '--server-side', '-f', '-'], nodeManifests());

  // OpenKruise: CRDs and webhook configurations from the pinned module, then kruise-manager,
  // whose webhooks the API server reaches on loopback (WEBHOOK_HOST).
  const kruiseDir = await kruiseModuleDir();
  await kubectl(kubectlPath, ['create', 'namespace', 'kruise-system']);
  const crdDir = join(kruiseDir, 'config/crd/bases');
  const crds = readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(crdDir, f), 'utf8'))
    .join('\n---\n');
  await kubectl(kubectlPath, ['apply', '--server-side', '-f', '-'], crds);
  await kubectl(kubectlPath, ['apply', '--server-side', '-f', '-'], kruiseWebhookManifests(kruiseDir));
  const [kruiseWebhook, kruiseHealth, kruiseMetrics] = [await freePort(), await freePort(), await freePort()];
  const kruise = track(
    startProcess(
      'kruise-manager',
      bins.kruise,
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--metrics-addr=127.0.0.1:${kruiseMetrics}`,
        `--health-probe-addr=127.0.0.1:${kruiseHealth}`,
        '--enable-leader-election=false',
        '--v=1',
      ],
      {
        logDir,
        ports: [kruiseWebhook, kruiseHealth, kruiseMetrics],
        env: {
          KUBECONFIG: kubeconfigPath,
          POD_NAMESPACE: 'kruise-system',
          WEBHOOK_HOST: '127.0.0.1',
          WEBHOOK_PORT: String(kruiseWebhook),
          WEBHOOK_CERT_DIR: join(clusterDir, 'kruise-webhook-certs'),
        },
      },
    ),
  );

  await waitFor(
    `${NODE_COUNT} Ready nodes`,
    async () => {
      const out = await kubectl(kubectlPath, [
        'get',
        'nodes',
        '-o',
        'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
      ]);
      return out.split(' ').filter((s) => s === 'True').length === NODE_COUNT;
    },
    { timeoutMs: 60000, intervalMs: 250 },
  );
  log(`${NODE_COUNT} KWOK nodes Ready`);
  await waitFor('kruise-manager', () => httpOk(kruiseHealth, '/readyz'), {
    alive: () => isAlive(kruise.pid),
    timeoutMs: 120000,
    intervalMs: 250,
  });
  await waitFor(
    'the default ServiceAccount',
    async () =>
      (await kubectl(kubectlPath, ['get', 'serviceaccount', 'default', '-o', 'name'])).trim() !== '',
    {
      timeoutMs: 30000,
      intervalMs: 200,
    },
  );
  log(`kruise-manager ${versions.kruise} ready`);
  log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return state;
}

export async function down(log: (msg: string) => void): Promise<void> {
  const state = readState();
  if (!state) {
    log('no cluster recorded in .cluster/state.json');
    return;
  }
  // Reverse start order: clients first, etcd last.
  for (const p of [...state.processes].reverse()) {
    await stopProcess(p.pid);
    log(`stopped ${p.name} (pid ${p.pid})`);
  }
  const stillListening: number[] = [];
  for (const p of state.processes)
    for (const port of p.ports) if (await portInUse(port)) stillListening.push(port);
  rmSync(statePath, { force: true });
  if (stillListening.length) throw new Error(`ports still in use after down: ${stillListening.join(', ')}`);
}

export async function status(log: (msg: string) => void): Promise<boolean> {
  const state = readState();
  if (!state) {
    log('down (no cluster recorded)');
    return false;
  }
  for (const p of state.processes)
    log(`${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${isAlive(p.pid) ? 'running' : 'NOT RUNNING'}`);
  const ready = await isUp(15_000);
  log(`kube-apiserver https://127.0.0.1:${state.apiserverPort} ${ready ? 'ready' : 'not ready'}`);
  log(`kubeconfig ${kubeconfigPath}`);
  return ready;
}
