// Cluster credentials without loading @kubernetes/client-node. Importing that package pulls in
// its generated API models (~75 MB resident) although the controller only needs the server URL,
// TLS material and a token. This reads kubeconfig files (and the in-cluster service account)
// itself for the common cases: certificate authority, client certificates, bearer tokens (inline,
// `token-file`, the rotating service-account token), basic auth, insecure-skip-tls-verify,
// tls-server-name. Only a kubeconfig whose user runs an `exec` plugin or an `auth-provider`, or
// whose cluster goes through a proxy, is handed to client-node, loaded on first use.
//
// `ClusterAccess` is the part of client-node's KubeConfig the transport uses, so a KubeConfig
// still works wherever a ClusterAccess is expected.

import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import YAML from 'yaml';

/** What the transport needs of a cluster's credentials (a client-node KubeConfig qualifies). */
export interface ClusterAccess {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  /** Sets TLS options and the Authorization header for one request. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The service-account token is re-read after this long (it is rotated on disk), as client-go does. */
const TOKEN_FILE_MAX_AGE_MS = 60_000;

export interface ClusterEntry {
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  /** An exec plugin or auth-provider: only client-node knows how to run those. */
  plugin: boolean;
}

/** The context a kubeconfig's current-context selects, resolved to its cluster and user. */
export interface ResolvedContext {
  cluster: ClusterEntry;
  user: UserEntry;
  /** The files it was read from, in KUBECONFIG order (for the client-node fallback). */
  files: string[];
}

type Raw = Record<string, unknown>;

const asRecord = (value: unknown): Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {};
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const absolute = (root: string, file: string | undefined): string | undefined =>
  file === undefined || isAbsolute(file) ? file : join(root, file);

interface Named {
  name: string;
  body: Raw;
  root: string;
}

function namedEntries(doc: Raw, list: string, field: string, root: string): Named[] {
  const entries = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  return entries
    .map((entry) => asRecord(entry))
    .filter((entry) => typeof entry.name === 'string')
    .map((entry) => ({ name: entry.name as string, body: asRecord(entry[field]), root }));
}

/**
 * Resolves the current context of one or more kubeconfig documents merged in order, kubectl's
 * way: the first file to set current-context wins, and of entries with one name the first wins.
 * Pure apart from the documents given; file paths are made absolute against each file's directory.
 */
export function resolveContext(documents: ReadonlyArray<{ path: string; text: string }>): ResolvedContext {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let current: string | undefined;
  for (const { path, text } of documents) {
    const doc = asRecord(YAML.parse(text));
    const root = dirname(path);
    current ??= asString(doc['current-context']) || undefined;
    for (const e of namedEntries(doc, 'clusters', 'cluster', root))
      if (!clusters.has(e.name)) clusters.set(e.name, e);
    for (const e of namedEntries(doc, 'users', 'user', root)) if (!users.has(e.name)) users.set(e.name, e);
    for (const e of namedEntries(doc, 'contexts', 'context', root))
      if (!contexts.has(e.name)) contexts.set(e.name, e);
  }
  if (!current) throw new Error('kubeconfig has no current-context');
  const context = contexts.get(current);
  if (!context) throw new Error(`kubeconfig has no context named ${JSON.stringify(current)}`);
  const clusterName = asString(context.body.cluster);
  const cluster = clusterName === undefined ? undefined : clusters.get(clusterName);
  if (!cluster) throw new Error(`kubeconfig context ${JSON.stringify(current)} names no known cluster`);
  const server = asString(cluster.body.server);
  if (!server) throw new Error(`kubeconfig cluster ${JSON.stringify(cluster.name)} has no server`);
  const userName = asString(context.body.user);
  const user = userName === undefined ? undefined : users.get(userName);
  const u = user?.body ?? {};
  const userRoot = user?.root ?? '';
  return {
    cluster: {
      server,
      caData: asString(cluster.body['certificate-authority-data']),
      caFile: absolute(cluster.root, asString(cluster.body['certificate-authority'])),
      skipTLSVerify: cluster.body['insecure-skip-tls-verify'] === true,
      tlsServerName: asString(cluster.body['tls-server-name']),
      proxyUrl: asString(cluster.body['proxy-url']),
    },
    user: {
      token: asString(u.token) || undefined,
      tokenFile: absolute(userRoot, asString(u['token-file'])),
      certData: asString(u['client-certificate-data']),
      certFile: absolute(userRoot, asString(u['client-certificate'])),
      keyData: asString(u['client-key-data']),
      keyFile: absolute(userRoot, asString(u['client-key'])),
      username: asString(u.username),
      password: asString(u.password),
      plugin: u.exec !== undefined || u['auth-provider'] !== undefined,
    },
    files: documents.map((d) => d.path),
  };
}

/** The in-cluster context: the service's address from the environment, the mounted service account. */
export function inClusterContext(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): ResolvedContext {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set');
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return {
    cluster: { server, caFile: `${dir}/ca.crt`, skipTLSVerify: false },
    user: { tokenFile: `${dir}/token`, plugin: false },
    files: [],
  };
}

type ReadFile = (path: string) => Buffer;

/** Credentials of one resolved context; reads certificate and token files as needed. */
export class KubeconfigAccess implements ClusterAccess {
  private token?: { value: string; readAtMs: number };
  private fallback?: Promise<ClusterAccess>;

  constructor(
    readonly context: ResolvedContext,
    private readonly readFile: ReadFile = (path) => readFileSync(path),
    private readonly nowMs: () => number = () => Date.now(),
  ) {}

  getCurrentCluster(): { server: string; proxyUrl?: string } {
    const { server, proxyUrl } = this.context.cluster;
    return proxyUrl ? { server, proxyUrl } : { server };
  }

  /** True when client-node has to do the work (exec plugins, auth providers, proxies). */
  get needsClientNode(): boolean {
    return this.context.user.plugin || Boolean(this.context.cluster.proxyUrl);
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    if (this.needsClientNode) return (await this.clientNode()).applyToHTTPSOptions(options);
    const { cluster, user } = this.context;
    if (cluster.skipTLSVerify) options.rejectUnauthorized = false;
    if (cluster.tlsServerName) options.servername = cluster.tlsServerName;
    const ca = this.material(cluster.caFile, cluster.caData);
    if (ca) options.ca = ca;
    const cert = this.material(user.certFile, user.certData);
    if (cert) options.cert = cert;
    const key = this.material(user.keyFile, user.keyData);
    if (key) options.key = key;
    const headers = (options.headers ??= {}) as Record<string, string>;
    const token = user.token ?? this.fileToken();
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (user.username !== undefined) options.auth = `${user.username}:${user.password ?? ''}`;
  }

  private material(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (file) return this.readFile(file);
    if (data) return Buffer.from(data, 'base64');
    return undefined;
  }

  private fileToken(): string | undefined {
    const file = this.context.user.tokenFile;
    if (!file) return undefined;
    const now = this.nowMs();
    if (!this.token || now - this.token.readAtMs > TOKEN_FILE_MAX_AGE_MS) {
      this.token = { value: this.readFile(file).toString('utf8').trim(), readAtMs: now };
    }
    return this.token.value;
  }

  private clientNode(): Promise<ClusterAccess> {
    this.fallback ??= (async () => {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kubeConfig = new KubeConfig();
      const [first, ...rest] = this.context.files;
      if (first === undefined) {
        kubeConfig.loadFromCluster();
      } else {
        kubeConfig.loadFromFile(first);
        for (const file of rest) {
          const more = new KubeConfig();
          more.loadFromFile(file);
          kubeConfig.mergeConfig(more, true);
        }
      }
      return kubeConfig;
    })();
    return this.fallback;
  }
}

export interface ClusterAccessSource {
  access: KubeconfigAccess;
  /** Where it came from, for the startup log line. */
  origin: string;
}

/**
 * Where the controller finds its cluster, in order: $KUBECONFIG (a path list, merged), the local
 * control plane's kubeconfig (if that file exists), the pod's service account in a cluster.
 */
export function resolveClusterAccess(
  localKubeconfigPath: string,
  env: NodeJS.ProcessEnv = process.env,
): ClusterAccessSource {
  const read = (paths: string[]) => paths.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const fromEnv = env['KUBECONFIG'];
  if (fromEnv) {
    const paths = fromEnv.split(delimiter).filter(Boolean);
    try {
      return {
        access: new KubeconfigAccess(resolveContext(read(paths))),
        origin: `$KUBECONFIG (${fromEnv})`,
      };
    } catch (error) {
      throw new Error(`cannot load $KUBECONFIG (${fromEnv}): ${(error as Error).message}`);
    }
  }
  if (existsSync(localKubeconfigPath)) {
    return {
      access: new KubeconfigAccess(resolveContext(read([localKubeconfigPath]))),
      origin: localKubeconfigPath,
    };
  }
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) {
    return { access: new KubeconfigAccess(inClusterContext(env)), origin: 'in-cluster service account' };
  }
  throw new Error(
    `no kubeconfig: set $KUBECONFIG, or start the local control plane (npm run cluster) so that ` +
      `${localKubeconfigPath} exists`,
  );
}

/** The namespace this pod runs in ($POD_NAMESPACE or the service account's), else `fallback`. */
export function podNamespace(fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env['POD_NAMESPACE']) return env['POD_NAMESPACE'];
  const file = `${SERVICE_ACCOUNT_DIR}/namespace`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim() || fallback;
  return fallback;
}
