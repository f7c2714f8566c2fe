// kubectl and watches bound to one cluster's kubeconfig: the shared local cluster, or a throw-away
// cluster a fault test starts for itself (test/e2e/support.ts is bound to the shared one only).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { clusterDir, kubeconfigPath } from '../../../hack/cluster/control-plane.js';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid?: string; controller?: boolean }>;
  };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Kube {
  kubeconfig: string;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  kubectlOk(args: string[], input?: string): Promise<string>;
  /**
   * Lists a collection path (e.g. `/api/v1/namespaces/ns/pods`), hands the whole list to
   * `onReset`, then watches from the list's resourceVersion and hands every change to `onEvent`.
   * When the watch ends or fails (an API server restart, 410 Gone) it lists again and resets,
   * until `stop()`: the consumer's picture is always a real state of the collection.
   */
  watch<T extends KubeObjectLike>(
    path: string,
    handlers: { onReset(items: T[]): void; onEvent(type: WatchEventType, obj: T): void },
    opts?: { labelSelector?: string; onError?: (error: unknown) => void },
  ): { stop(): void };
  /** Resolves once `predicate` holds for the collection (event-driven), with the collection. */
  watchUntil<T extends KubeObjectLike>(
    path: string,
    predicate: (objects: Map<string, T>) => boolean,
    opts?: { timeoutMs?: number; labelSelector?: string; what?: string },
  ): Promise<Map<string, T>>;
}

/** The shared local cluster (the one the e2e global setup starts). */
export const sharedKubeconfig = kubeconfigPath;
export const kubectlBinary = join(clusterDir, 'bin', 'kubectl');

export function kubeFor(kubeconfig: string, kubectlPath = kubectlBinary): Kube {
  const kubectl = (args: string[], input?: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(
        kubectlPath,
        ['--kubeconfig', kubeconfig, ...args],
        { maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ stdout: stdout.toString(), stderr: stderr.toString(), code });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const kubectlOk = async (args: string[], input?: string): Promise<string> => {
    const res = await kubectl(args, input);
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
    return res.stdout;
  };
  const config = (): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    return kc;
  };

  const watch: Kube['watch'] = <T extends KubeObjectLike>(
    path: string,
    handlers: { onReset(items: T[]): void; onEvent(type: WatchEventType, obj: T): void },
    opts: { labelSelector?: string; onError?: (error: unknown) => void } = {},
  ) => {
    let stopped = false;
    let request: { abort: () => void } | undefined;
    let retry: NodeJS.Timeout | undefined;
    const again = (error: unknown, delayMs: number) => {
      if (stopped) return;
      if (error) opts.onError?.(error);
      retry = setTimeout(() => void start(), delayMs);
    };
    const start = async (): Promise<void> => {
      if (stopped) return;
      const query = opts.labelSelector ? `?labelSelector=${encodeURIComponent(opts.labelSelector)}` : '';
      const listed = await kubectl(['get', '--raw', `${path}${query}`, '--request-timeout=10s']);
      if (stopped) return;
      if (listed.code !== 0) return again(new Error(listed.stderr.trim()), 500);
      const list = JSON.parse(listed.stdout) as { items?: T[]; metadata?: { resourceVersion?: string } };
      handlers.onReset(list.items ?? []);
      const w = new Watch(config());
      const params: Record<string, string> = { resourceVersion: list.metadata?.resourceVersion ?? '' };
      if (opts.labelSelector) params.labelSelector = opts.labelSelector;
      w.watch(
        path,
        params,
        (type, obj) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.onEvent(type, obj as T);
          // ERROR (e.g. 410 Gone): the watch ends next; the restart lists afresh.
        },
        (err) => again(err, err ? 500 : 0),
      ).then(
        (req) => {
          request = req;
          if (stopped) req.abort();
        },
        (err: unknown) => again(err, 500),
      );
    };
    void start();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(retry);
        request?.abort();
      },
    };
  };

  const watchUntil: Kube['watchUntil'] = <T extends KubeObjectLike>(
    path: string,
    predicate: (objects: Map<string, T>) => boolean,
    {
      timeoutMs = 60000,
      labelSelector,
      what = path,
    }: { timeoutMs?: number; labelSelector?: string; what?: string } = {},
  ) =>
    new Promise<Map<string, T>>((resolve, reject) => {
      let objects = new Map<string, T>();
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        handle.stop();
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
      const handle = watch<T>(
        path,
        {
          onReset: (items) => {
            objects = new Map(items.map((o) => [o.metadata?.name ?? '', o]));
            if (predicate(objects)) finish();
          },
          onEvent: (type, obj) => {
            const name = obj.metadata?.name ?? '';
            if (type === 'DELETED') objects.delete(name);
            else objects.set(name, obj);
            if (predicate(objects)) finish();
          },
        },
        { labelSelector },
      );
    });

  return { kubeconfig, kubectl, kubectlOk, watch, watchUntil };
}

export const sharedKube = (): Kube => kubeFor(sharedKubeconfig);

export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
