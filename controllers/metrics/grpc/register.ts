// The `grpc-metrics` registration: serves the metrics service from the controller process, on
// `--grpc-metrics-addr` (default 127.0.0.1:9090), answering from the Prometheus at
// `--prometheus-address` with the rules of ConfigMap `kapacity-config` (key
// prometheus-metrics-config.yaml; the built-in defaults when absent) in the watched namespace, or
// the controller's own namespace when it watches all. Requests wait for the ConfigMap cache to
// sync, so the first answers already use the user's rules.

import type { KubeClient } from '../../kit/client.js';
import { isNotFound } from '../../kit/client.js';
import { NoKindMatchError, builtin, type ResourceDescriptor } from '../../kit/discovery.js';
import { podNamespace } from '../../kit/cluster-access.js';
import { errorMessage } from '../../kit/log.js';
import type { Manager } from '../../kit/manager.js';
import { keyOf, type KubeObject } from '../../kit/objects.js';
import {
  CONFIG_MAP_KEY,
  CONFIG_MAP_NAME,
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  MetricsConfigError,
  parsePrometheusMetricsConfig,
  type PrometheusMetricsConfig,
} from '../prometheus-config.js';
import { PrometheusBackend, type KubeLookup, type MetricsBackend } from './backend.js';
import { notFound } from './errors.js';
import { parseMetricsExtensions, type MetricsExtensions } from './extensions.js';
import { PrometheusHttpApi } from '../prometheus-api.js';
import { MetricsGrpcServer } from './server.js';

export const DEFAULT_GRPC_METRICS_ADDRESS = '127.0.0.1:9090';

export interface GrpcMetricsSettings {
  /** `host:port` to serve on. */
  address: string;
  /** Prometheus base URL; empty: every query fails with FAILED_PRECONDITION. */
  prometheusAddress: string;
  /** Namespace of the `kapacity-config` ConfigMap. */
  configNamespace: string;
}

/** Settings from the environment main.ts fills from `--grpc-metrics-addr` and `--prometheus-address`. */
export function grpcMetricsSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  watchNamespace: string | undefined,
): GrpcMetricsSettings {
  return {
    address: env['ROLLSCALE_GRPC_METRICS_ADDR'] || DEFAULT_GRPC_METRICS_ADDRESS,
    prometheusAddress: env['ROLLSCALE_PROMETHEUS_ADDRESS'] ?? '',
    configNamespace: watchNamespace ?? podNamespace('kapacity-system', env),
  };
}

/** GroupKind → REST resource: built-in kinds from the kit's table, others through discovery. */
export function kubeLookup(client: KubeClient): KubeLookup {
  return {
    async resolveGroupKind(group: string, kind: string): Promise<ResourceDescriptor> {
      const known = Object.values(builtin).find((r) => r.group === group && r.kind === kind);
      if (known) return known;
      let groupVersion = 'v1';
      if (group !== '') {
        let document: { preferredVersion?: { groupVersion?: string } };
        try {
          document = await client.getPath(`/apis/${group}`, 'discovery');
        } catch (error) {
          if (isNotFound(error)) throw notFound(`the API server serves no group ${group}`);
          throw error;
        }
        groupVersion = document.preferredVersion?.groupVersion ?? '';
        if (!groupVersion) throw notFound(`the API server names no preferred version of group ${group}`);
      }
      try {
        return await client.mapper.resourceFor(groupVersion, kind);
      } catch (error) {
        if (error instanceof NoKindMatchError) throw notFound(error.message);
        throw error;
      }
    },
    async listNames(resource, namespace, selector) {
      const { items } = await client.list(resource, { namespace, labelSelector: selector });
      return items.map((item) => item.metadata?.name ?? '').filter((name) => name !== '');
    },
  };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface GrpcMetricsHandle {
  port: number;
  stop(): Promise<void>;
}

/** Registers the ConfigMap informer and starts serving. */
export async function registerGrpcMetricsService(
  manager: Manager,
  settings: GrpcMetricsSettings,
): Promise<GrpcMetricsHandle> {
  const logger = manager.logger.child({ component: 'grpc-metrics' });
  const configMaps = manager.informer<ConfigMap>(builtin.ConfigMap);

  let parsed:
    | { text: string; config?: PrometheusMetricsConfig; extensions?: MetricsExtensions; error?: string }
    | undefined;
  const current = (): { config: PrometheusMetricsConfig; extensions: MetricsExtensions } => {
    const configMap = configMaps.get(keyOf(settings.configNamespace, CONFIG_MAP_NAME));
    const text = configMap?.data?.[CONFIG_MAP_KEY] ?? DEFAULT_PROMETHEUS_METRICS_CONFIG;
    if (parsed?.text !== text) {
      try {
        parsed = {
          text,
          config: parsePrometheusMetricsConfig(text),
          extensions: parseMetricsExtensions(text),
        };
      } catch (error) {
        parsed = { text, error: errorMessage(error) };
      }
    }
    if (parsed.error !== undefined) {
      throw new MetricsConfigError(
        `ConfigMap ${settings.configNamespace}/${CONFIG_MAP_NAME}: ${parsed.error}`,
      );
    }
    return parsed as { config: PrometheusMetricsConfig; extensions: MetricsExtensions };
  };

  let backend: MetricsBackend | undefined;
  if (settings.prometheusAddress) {
    const inner = new PrometheusBackend({
      prometheus: new PrometheusHttpApi({ address: settings.prometheusAddress, clock: manager.clock }),
      config: () => current().config,
      extensions: () => current().extensions,
      kube: kubeLookup(manager.client),
      clock: manager.clock,
    });
    backend = {
      latest: async (query) => {
        await configMaps.waitForSync();
        return inner.latest(query);
      },
      range: async (query, range) => {
        await configMaps.waitForSync();
        return inner.range(query, range);
      },
    };
  } else {
    logger.warn(
      'no --prometheus-address: the metrics gRPC service will answer every query with FAILED_PRECONDITION',
    );
  }

  const server = new MetricsGrpcServer({ address: settings.address, backend, logger });
  const port = await server.start();
  logger.info('metrics gRPC service listening', {
    address: settings.address,
    port,
    prometheus: settings.prometheusAddress || undefined,
    config: `${settings.configNamespace}/${CONFIG_MAP_NAME}`,
  });
  return { port, stop: () => server.stop() };
}

/** The registration main.ts runs: settings from the environment. */
export async function registerGrpcMetrics(manager: Manager): Promise<void> {
  await registerGrpcMetricsService(manager, grpcMetricsSettingsFromEnv(process.env, manager.watchNamespace));
}
