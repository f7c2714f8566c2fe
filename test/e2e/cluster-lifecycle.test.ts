// `npm run cluster -- up | status | down` on a second, throw-away cluster in its own
// directory: up writes the kubeconfig and records its processes; down stops every one of
// them and leaves no port listening.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support.js';

interface State {
  processes: Array<{ name: string; pid: number; ports: number[] }>;
  apiserverPort: number;
}

function cluster(dir: string, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, 'hack', 'cluster.ts'), command],
      { env: { ...process.env, ROLLSCALE_CLUSTER_DIR: dir }, timeout: 180000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });

describe('cluster lifecycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollscale-cluster-'));
  afterAll(async () => {
    await cluster(dir, 'down');
    rmSync(dir, { recursive: true, force: true });
  });

  test('up, status, down: every process stopped and nothing left listening', async () => {
    const up = await cluster(dir, 'up');
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as State;
    expect(state.processes.map((p) => p.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
      'kruise-manager',
    ]);
    const kubeconfig = readFileSync(join(dir, 'kubeconfig'), 'utf8');
    expect(kubeconfig).toContain(`server: https://127.0.0.1:${state.apiserverPort}`);
    const ports = state.processes.flatMap((p) => p.ports);
    expect(ports.length).toBeGreaterThanOrEqual(8);
    for (const port of ports) expect(await listening(port)).toBe(true);

    const status = await cluster(dir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/kube-apiserver https:\/\/127\.0\.0\.1:\d+ ready/);

    const down = await cluster(dir, 'down');
    expect(down.code).toBe(0);
    for (const p of state.processes)
      expect({ name: p.name, alive: alive(p.pid) }).toEqual({ name: p.name, alive: false });
    for (const port of ports)
      expect({ port, listening: await listening(port) }).toEqual({ port, listening: false });

    const after = await cluster(dir, 'status');
    expect(after.code).toBe(1);
  });
});
