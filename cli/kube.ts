// The CLI's connection to the cluster: where the repository is (for the local cluster's
// kubeconfig and addons/), a KubeClient from the kubeconfig the kit's rules pick, readable
// connection errors, and a small helper that keeps a set of objects up to date from a watch.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { KubeClient, isApiError } from '../controllers/kit/client.js';
import { NoKindMatchError, type ResourceDescriptor } from '../controllers/kit/discovery.js';
import { Informer, listWatchFor } from '../controllers/kit/informer.js';
import { resolveClusterAccess } from '../controllers/kit/cluster-access.js';
import { formatApiVersion, type KubeObject } from '../controllers/kit/objects.js';
import { repoRoot } from '../controllers/repo-root.js';

/**
 * The repository root (works from cli/ under tsx and from dist/cli/ after a build): the one
 * helper, shared with the controller entry point.
 */
export { repoRoot };

export interface Connection {
  client: KubeClient;
  /** Where the credentials came from. */
  origin: string;
}

/**
 * A client for the cluster `--kubeconfig`, $KUBECONFIG or the local cluster's kubeconfig names.
 * `--kubeconfig` is exported as $KUBECONFIG so that processes this one starts use it too.
 */
export function connect(kubeconfig?: string): Connection {
  if (kubeconfig) {
    if (!existsSync(kubeconfig)) throw new Error(`--kubeconfig ${kubeconfig}: no such file`);
    process.env['KUBECONFIG'] = resolve(kubeconfig);
  }
  const { access, origin } = resolveClusterAccess(join(repoRoot(), '.cluster', 'kubeconfig'));
  return { client: KubeClient.fromKubeConfig(access, { userAgent: 'rollscale-cli' }), origin };
}

/** Fails fast, with a message saying what to check, when the API server cannot be reached. */
export async function checkReachable(client: KubeClient): Promise<void> {
  try {
    await client.getPath('/version');
  } catch (error) {
    throw new Error(describeClusterError(error, client));
  }
}

/** A message for an error talking to the cluster that says what to check. */
export function describeClusterError(error: unknown, client?: KubeClient): string {
  const code =
    (error as { code?: string; cause?: { code?: string } })?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  const server = client ? ` at ${client.host}` : '';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return (
      `cannot reach the API server${server} (${code}): is the cluster up? ` +
      `For the local one: npm run cluster -- up; or point --kubeconfig / $KUBECONFIG at another`
    );
  }
  if (error instanceof NoKindMatchError) {
    return `${error.message}: install the CRDs first (rollscale install)`;
  }
  if (isApiError(error) && (error.status === 401 || error.status === 403)) {
    return `${error.message}: the kubeconfig's user may not do this`;
  }
  return (error as Error)?.message ?? String(error);
}

/** Whether the API server serves `resource` (its CRD is installed). */
export async function isServed(client: KubeClient, resource: ResourceDescriptor): Promise<boolean> {
  try {
    await client.mapper.resourceFor(formatApiVersion(resource.group, resource.version), resource.kind);
    return true;
  } catch (error) {
    if (error instanceof NoKindMatchError) return false;
    throw error;
  }
}

export interface WatchedSet<T extends KubeObject> {
  list(): T[];
  stop(): Promise<void>;
}

/**
 * Keeps the objects of `resource` matching the selectors up to date (list, then watch; relists
 * on expiry) and calls `onChange` after every change once the first list is in.
 */
export async function watchSet<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceDescriptor,
  options: { namespace?: string; labelSelector?: string; fieldSelector?: string },
  onChange: () => void,
): Promise<WatchedSet<T>> {
  const informer = new Informer<T>(listWatchFor<T>(client, resource, options));
  let synced = false;
  const changed = () => {
    if (synced) onChange();
  };
  informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
  informer.start();
  synced = await informer.waitForSync();
  return { list: () => informer.list(), stop: () => informer.stop() };
}
