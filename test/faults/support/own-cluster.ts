// A throw-away control plane of a fault test's own (hack/cluster in a temporary directory), for
// the faults that would disturb everyone else on the shared cluster: stopping and restarting the
// kube-apiserver (with extra flags, e.g. an audit log), compacting etcd. Extra users (static
// tokens in system:masters) let two controller replicas be told apart in the audit log.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../../e2e/support.js';
import { kubeFor, sleep, type Kube } from './kube.js';

interface ProcessRecord {
  name: string;
  pid: number;
  ports: number[];
}
interface State {
  processes: ProcessRecord[];
  apiserverPort: number;
  etcdPort: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clusterCommand(dir: string, command: 'up' | 'down'): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, 'hack', 'cluster.ts'), command],
      { env: { ...process.env, ROLLSCALE_CLUSTER_DIR: dir }, timeout: 300000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

function etcdPost(port: number, path: string, body: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        timeout: 10000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`etcd ${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text || '{}') as Record<string, unknown>);
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`etcd ${path}: timeout`)));
    req.end(payload);
  });
}

export class OwnCluster {
  readonly kube: Kube;
  readonly kubeconfig: string;
  private apiserverCommand: { bin: string; args: string[] };
  readonly tokens: Record<string, string>;

  private constructor(
    readonly dir: string,
    tokens: Record<string, string>,
  ) {
    this.kubeconfig = join(dir, 'kubeconfig');
    this.kube = kubeFor(this.kubeconfig, join(dir, 'bin', 'kubectl'));
    this.tokens = tokens;
    const pid = this.process('kube-apiserver').pid;
    const [bin = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    this.apiserverCommand = { bin, args };
  }

  /** Starts a cluster in a fresh temporary directory, with the project's CRDs installed. */
  static async up(options: { users?: string[] } = {}): Promise<OwnCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'rollscale-faults-'));
    const tokens: Record<string, string> = {};
    if (options.users?.length) {
      // The admin line first: the cluster script signs its kubeconfig with the first token.
      mkdirSync(join(dir, 'pki'), { recursive: true });
      const lines = [`${randomBytes(24).toString('hex')},admin,admin-uid,"system:masters"`];
      for (const user of options.users) {
        tokens[user] = randomBytes(24).toString('hex');
        lines.push(`${tokens[user]},${user},${user}-uid,"system:masters"`);
      }
      writeFileSync(join(dir, 'pki', 'tokens.csv'), `${lines.join('\n')}\n`, { mode: 0o600 });
    }
    const started = await clusterCommand(dir, 'up');
    if (started.code !== 0) {
      await clusterCommand(dir, 'down');
      throw new Error(`own cluster did not come up:\n${started.output}`);
    }
    const cluster = new OwnCluster(dir, tokens);
    const crdDir = join(repoRoot, 'definitions', 'crds');
    const files = readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => ['-f', join(crdDir, f)]);
    await cluster.kube.kubectlOk(['apply', '--server-side', '--force-conflicts', ...files]);
    await cluster.kube.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...files]);
    return cluster;
  }

  state(): State {
    return JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')) as State;
  }

  process(name: string): ProcessRecord {
    const p = this.state().processes.find((x) => x.name === name);
    if (!p) throw new Error(`no ${name} in ${this.dir}/state.json`);
    return p;
  }

  /** A kubeconfig signing in as `user` (one of the users given to up()). */
  kubeconfigFor(user: string): string {
    const token = this.tokens[user];
    if (!token) throw new Error(`no token for ${user}`);
    const config = YAML.parse(readFileSync(this.kubeconfig, 'utf8')) as {
      users: Array<{ user: { token: string } }>;
    };
    for (const u of config.users) u.user.token = token;
    const path = join(this.dir, `kubeconfig-${user}`);
    writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
    return path;
  }

  /** Stops the kube-apiserver (SIGTERM, SIGKILL after 20 s) and waits until it is gone. */
  async stopApiserver(): Promise<void> {
    const { pid } = this.process('kube-apiserver');
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 20000;
    while (alive(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await sleep(50);
    }
  }

  /** Starts the kube-apiserver again with its original flags (plus `extraArgs`) and waits for /readyz. */
  async startApiserver(extraArgs: string[] = []): Promise<void> {
    const log = openSync(join(this.dir, 'logs', 'kube-apiserver.log'), 'a');
    const child = spawn(this.apiserverCommand.bin, [...this.apiserverCommand.args, ...extraArgs], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error('could not start kube-apiserver');
    const state = this.state();
    const record = state.processes.find((p) => p.name === 'kube-apiserver');
    if (record) record.pid = child.pid;
    writeFileSync(join(this.dir, 'state.json'), JSON.stringify(state, null, 2));
    const deadline = Date.now() + 90000;
    for (;;) {
      if (!alive(child.pid)) throw new Error('kube-apiserver exited during start');
      const ready = await this.kube.kubectl(['get', '--raw', '/readyz', '--request-timeout=2s']);
      if (ready.code === 0 && ready.stdout.trim() === 'ok') return;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready: ${ready.stderr}`);
      await sleep(200);
    }
  }

  async restartApiserver(extraArgs: string[] = []): Promise<void> {
    await this.stopApiserver();
    await this.startApiserver(extraArgs);
  }

  /** Keeps `extraArgs` on every later start (e.g. the audit log flags). */
  addApiserverArgs(extraArgs: string[]): void {
    this.apiserverCommand = { ...this.apiserverCommand, args: [...this.apiserverCommand.args, ...extraArgs] };
  }

  /** etcd's current revision, and a compaction up to it (through etcd's v3 HTTP gateway). */
  async compactEtcd(): Promise<number> {
    const port = this.state().etcdPort;
    const range = await etcdPost(port, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
    const revision = Number((range.header as { revision?: string } | undefined)?.revision ?? 0);
    if (!revision) throw new Error(`etcd reported no revision: ${JSON.stringify(range)}`);
    await etcdPost(port, '/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }

  /** An audit policy recording (at Metadata level) the writes of `users`, written next to the cluster. */
  auditFlags(users: string[]): { flags: string[]; logPath: string } {
    const policy = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [
        { level: 'Metadata', users, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
        { level: 'None' },
      ],
    };
    const policyPath = join(this.dir, 'audit-policy.yaml');
    const logPath = join(this.dir, 'audit.log');
    writeFileSync(policyPath, YAML.stringify(policy));
    return { flags: [`--audit-policy-file=${policyPath}`, `--audit-log-path=${logPath}`], logPath };
  }

  async down(): Promise<void> {
    await clusterCommand(this.dir, 'down');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
