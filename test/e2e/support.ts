// Shared helpers for end-to-end tests against the local control plane (hack/cluster).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { clusterDir, kubeconfigPath } from '../../hack/cluster/control-plane.js';
import { repoRoot } from '../../hack/cluster/binaries.js';

export { kubeconfigPath, repoRoot };
export const kubectlPath = join(clusterDir, 'bin', 'kubectl');

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs kubectl against the local cluster; never throws on a non-zero exit (tests assert on it). */
export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlPath,
      ['--kubeconfig', kubeconfigPath, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ stdout: stdout.toString(), stderr: stderr.toString(), code });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs kubectl and throws with its stderr when it fails. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const res = await kubectl(args, input);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

/** A namespace of its own for one test file, deleted afterwards (without waiting). */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--wait=false']);
}

/**
 * Watches a collection (an API path such as `/api/v1/namespaces/ns/pods`) until `predicate`
 * holds for the current set of objects, and returns that set. Event-driven: no polling.
 */
export async function watchUntil<T extends { metadata?: { name?: string } }>(
  path: string,
  predicate: (objects: Map<string, T>) => boolean,
  {
    timeoutMs = 60000,
    labelSelector,
    what = path,
  }: { timeoutMs?: number; labelSelector?: string; what?: string } = {},
): Promise<Map<string, T>> {
  const objects = new Map<string, T>();
  const watch = new Watch(kubeConfig());
  return new Promise((resolve, reject) => {
    let settled = false;
    let request: { abort: () => void } | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.abort();
      if (err) reject(err);
      else resolve(objects);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `timed out after ${timeoutMs} ms waiting on ${what}; last seen: ${JSON.stringify([...objects.keys()])}`,
          ),
        ),
      timeoutMs,
    );
    watch
      .watch(
        path,
        labelSelector ? { labelSelector } : {},
        (type, obj: T) => {
          const name = obj.metadata?.name ?? '';
          if (type === 'DELETED') objects.delete(name);
          else if (type === 'ADDED' || type === 'MODIFIED') objects.set(name, obj);
          if (predicate(objects)) finish();
        },
        (err) => {
          if (!settled) finish(err ? (err as Error) : new Error(`watch on ${what} ended`));
        },
      )
      .then((req) => {
        request = req;
        if (settled) req.abort();
      }, finish);
  });
}

export function crdFiles(): string[] {
  const dir = join(repoRoot, 'definitions', 'crds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));
}
