// Runs a real Prometheus server for end-to-end tests: on 127.0.0.1, with a temporary
// configuration and storage directory, scraping the targets the test names. Needs the
// `prometheus` binary (Debian: `apt-get install -y prometheus`; or $PROMETHEUS_BIN).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:39123 */
  url: string;
  child: ChildProcess;
  output(): string;
  /** Runs an instant query; resolves with the `data.result` array. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` targets scraped at `/metrics`. */
  targets: string[];
  /** Default 1 s. */
  scrapeIntervalSeconds?: number;
  /**
   * Called with the (empty) storage directory before Prometheus starts, e.g. to put TSDB blocks
   * made by `promtool tsdb create-blocks-from` there: Prometheus serves them as history.
   */
  prepareStorage?: (storageDir: string) => void | Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export const PROMETHEUS_INSTALL_HINT =
  'apt-get update && apt-get install -y --no-install-recommends prometheus';

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = process.env['PROMETHEUS_BIN'] ?? 'prometheus';
  const dir = mkdtempSync(join(tmpdir(), 'rollscale-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: e2e',
    '    honor_labels: true',
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  if (options.prepareStorage) {
    mkdirSync(join(dir, 'data'));
    try {
      await options.prepareStorage(join(dir, 'data'));
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });

  // Readiness has no event to wait on from outside the process: ask /-/ready until it says yes.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (failed) {
      cleanup();
      throw new Error(`cannot run ${binary}: ${failed.message} (install it: ${PROMETHEUS_INSTALL_HINT})`);
    }
    if (child.exitCode !== null) {
      cleanup();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanup();
      throw new Error(`prometheus not ready after 30 s:\n${output}`);
    }
  }

  return {
    url,
    child,
    output: () => output,
    query: async (promql) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { data?: { result?: unknown } };
      return (body.data?.result ?? []) as Array<{ metric: Record<string, string>; value: [number, string] }>;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      cleanup();
    },
  };
}
