// Runs the controller as a real process for an e2e test: only the controllers the test names,
// watching only the test's namespace, with its probes on a free loopback port. The process is
// node itself with tsx's loader (not the tsx wrapper, which forks a second node): `child.pid` is
// the controller, so SIGKILL kills the controller and /proc/<pid> describes it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { kubeconfigPath, repoRoot } from './support.js';

export interface ControllerProcess {
  /** Base URL of /healthz, /readyz and /metrics. */
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (JSON log lines). */
  output(): string;
  /** Reads /metrics. */
  metrics(): Promise<string>;
  /** The controller's own process id (SIGKILL and /proc/<pid>/status reach the controller). */
  pid: number;
  /** SIGTERM and wait for exit (SIGKILL with `kill: true`). */
  stop(opts?: { kill?: boolean }): Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startController({
  controllers,
  namespace,
  extraArgs = [],
  env = {},
  kubeconfig = kubeconfigPath,
  readyTimeoutMs = 60000,
  script,
}: {
  controllers: string[];
  namespace?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Another cluster's kubeconfig (a throw-away cluster of a fault test); default the local one. */
  kubeconfig?: string;
  readyTimeoutMs?: number;
  /** A compiled entry point (`dist/controllers/main.js`) run by plain node; default the sources via tsx. */
  script?: string;
}): Promise<ControllerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    ...(script ? [script] : ['--import', 'tsx', join(repoRoot, 'controllers', 'main.ts')]),
    '--leader-elect=false',
    `--metrics-addr=127.0.0.1:${port}`,
    `--controllers=${controllers.join(',')}`,
    ...(namespace ? [`--namespace=${namespace}`] : []),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Wait for readiness: informers synced (the process answers /readyz 200 only then).
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`controller exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`controller not ready after ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    child,
    pid: child.pid ?? 0,
    output: () => output,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: async ({ kill = false } = {}) => {
      if (child.exitCode === null) child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      return exited;
    },
  };
}
