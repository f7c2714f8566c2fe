// Controller entrypoint (`npm start`, run with tsx).
//
//   --install                      apply definitions/crds/*.yaml, then definitions/generated/*.yaml, first
//   --metrics-addr <host:port>     probes and /metrics (default 127.0.0.1:8080, 0 disables)
//   --leader-elect[=false]         run controllers only while holding the lease (default true)
//   --leader-election-namespace    namespace of the lease (default: the pod's, else `default`)
//   --leader-election-id           name of the lease
//   --workers <n>                  concurrent reconciles per controller
//   --controllers <a,b>            run only these controllers (default: all)
//   --namespace <ns>               watch namespaced kinds in this namespace only (default: all)
//   --prometheus-address, --metrics-server-addr, --algorithm-job-image   portrait generation
//   --grpc-metrics-addr            metrics gRPC service for algorithm jobs (default 127.0.0.1:9090)
//   --webhook-host, --webhook-port, --webhook-cert-dir, --webhook-service   readiness-gate webhook
//
// Credentials: $KUBECONFIG, else <repo>/.cluster/kubeconfig, else the in-cluster service account.

import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { KubeClient } from './kit/client.js';
import { realClock, type Clock } from './kit/clock.js';
import { FlagError, flagUsage, parseFlags, type FlagDefinition } from './kit/flags.js';
import { podNamespace, resolveClusterAccess } from './kit/cluster-access.js';
import { createLogger, errorMessage, type Logger } from './kit/log.js';
import { LeadershipLostError, Manager } from './kit/manager.js';
import { applyManifests, loadManifests } from './kit/manifests.js';
import { controllers } from './registry.js';
import { repoRoot as findRepoRoot } from './repo-root.js';

// The directory holding package.json, definitions/ and .cluster/: the same from controllers/
// (tsx), dist/controllers/ (a build) and the image (/app).
const repoRoot = findRepoRoot();

const flagSpec = {
  install: { type: 'boolean', default: false, help: 'apply CRDs and generated definitions before starting' },
  'metrics-addr': {
    type: 'string',
    default: '127.0.0.1:8080',
    help: 'bind address of /healthz, /readyz, /metrics',
  },
  'leader-elect': {
    type: 'boolean',
    default: true,
    help: 'run controllers only while holding the leader lease',
  },
  'leader-election-namespace': {
    type: 'string',
    default: podNamespace('default'),
    help: 'namespace of the leader lease',
  },
  'leader-election-id': { type: 'string', default: 'rollscale-controller', help: 'name of the leader lease' },
  // Several reconciles in flight overlap their API round trips; one key never runs twice at once.
  workers: { type: 'integer', default: 4, min: 1, help: 'concurrent reconciles per controller' },
  controllers: {
    type: 'string',
    default: '',
    help: `comma-separated controllers to run (default all: ${controllers.map((c) => c.name).join(', ') || 'none yet'})`,
  },
  namespace: { type: 'string', default: '', help: 'watch namespaced kinds in this namespace only' },
  // Read by the portrait and webhook registrations through ROLLSCALE_* environment variables.
  'prometheus-address': {
    type: 'string',
    default: '',
    help: 'Prometheus URL for reactive portrait metrics (empty: the Kubernetes metrics APIs)',
  },
  'metrics-server-addr': {
    type: 'string',
    default: 'kapacity-grpc-service.kapacity-system:9090',
    help: 'METRICS_SERVER_ADDR given to predictive algorithm jobs',
  },
  'grpc-metrics-addr': {
    type: 'string',
    default: '127.0.0.1:9090',
    help: 'bind address of the metrics gRPC service (the grpc-metrics controller)',
  },
  'algorithm-job-image': {
    type: 'string',
    default: 'ghcr.io/traas-stack/kapacity-algorithm-horizontal-predictive:latest',
    help: 'image of an algorithm container whose job template names none',
  },
  'webhook-host': {
    type: 'string',
    default: '',
    help: 'host the API server reaches the webhook at, e.g. 127.0.0.1 (empty: the in-cluster Service)',
  },
  'webhook-port': {
    type: 'integer',
    default: 9443,
    min: 0,
    help: 'webhook HTTPS port (0: no webhook server)',
  },
  'webhook-cert-dir': {
    type: 'string',
    default: '',
    help: 'directory with tls.crt, tls.key (and ca.crt) for the webhook (empty: self-signed, rotated)',
  },
  'webhook-service': {
    type: 'string',
    default: '',
    help: 'namespace/name of the webhook Service when --webhook-host is empty',
  },
  help: { type: 'boolean', default: false, help: 'print this help' },
} satisfies Record<string, FlagDefinition>;

/** `--install` (and `rollscale install`): the CRDs, then the generated definitions, from `root`. */
export async function install(
  client: KubeClient,
  clock: Clock,
  logger: Logger,
  root = repoRoot,
): Promise<void> {
  const stages = [join(root, 'definitions', 'crds'), join(root, 'definitions', 'generated')];
  for (const dir of stages) {
    if (!existsSync(dir)) {
      logger.info('nothing to install', { dir });
      continue;
    }
    const objects = loadManifests(dir);
    logger.info('installing', { dir, objects: objects.length });
    await applyManifests(client, objects, { clock, logger });
  }
}

/** Runs the controllers with command-line `argv`; resolves with the process exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const logger = createLogger();
  let flags;
  try {
    flags = parseFlags(argv, flagSpec);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`${error.message}\n\nflags:\n${flagUsage(flagSpec)}`);
    return 2;
  }
  if (flags.help) {
    console.log(`usage: npm start -- [flags]\n\nflags:\n${flagUsage(flagSpec)}`);
    return 0;
  }

  for (const flag of [
    'prometheus-address',
    'metrics-server-addr',
    'grpc-metrics-addr',
    'algorithm-job-image',
    'webhook-host',
    'webhook-port',
    'webhook-cert-dir',
    'webhook-service',
  ] as const) {
    process.env[`ROLLSCALE_${flag.toUpperCase().replace(/-/g, '_')}`] = String(flags[flag]);
  }

  // Not client-node's KubeConfig: loading that package costs ~75 MB resident (cluster-access.ts).
  const { access, origin } = resolveClusterAccess(join(repoRoot, '.cluster', 'kubeconfig'));
  const manager = Manager.fromKubeConfig(access, {
    clock: realClock,
    logger,
    metricsAddress: flags['metrics-addr'],
    defaultWorkers: flags.workers,
    watchNamespace: flags.namespace || undefined,
    leaderElection: {
      enabled: flags['leader-elect'],
      name: flags['leader-election-id'],
      namespace: flags['leader-election-namespace'],
    },
  });
  logger.info('connecting', { kubeconfig: origin, server: manager.client.host });

  if (flags.install) await install(manager.client, manager.clock, logger);
  const wanted = flags.controllers
    ? flags.controllers.split(',').map((c) => c.trim())
    : controllers.map((c) => c.name);
  const unknown = wanted.filter((name) => !controllers.some((c) => c.name === name));
  if (unknown.length) {
    console.error(
      `--controllers: unknown controller ${unknown.join(', ')} (known: ${controllers.map((c) => c.name).join(', ')})`,
    );
    return 2;
  }
  for (const c of controllers) if (wanted.includes(c.name)) await c.register(manager);

  manager.installSignalHandlers();
  try {
    await manager.start();
    return 0;
  } catch (error) {
    if (error instanceof LeadershipLostError) {
      logger.error('leadership lost; exiting so a fresh process can campaign again');
      return 1;
    }
    throw error;
  }
}

/** `run`, then exit the process with its code (a fatal error is logged and exits 1). */
export function runAndExit(argv: readonly string[]): void {
  run(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      createLogger().error('fatal', {
        error: errorMessage(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
      // Give the logger's stream a moment to flush before exiting.
      setTimeout(() => process.exit(1), 100);
    },
  );
}

/** Started as a program (npm start, node dist/controllers/main.js), not imported (by the CLI). */
function isEntrypoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntrypoint()) runAndExit(process.argv.slice(2));
