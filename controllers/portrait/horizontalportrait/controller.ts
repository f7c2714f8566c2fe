// The HorizontalPortrait controller: generates `status.portraitData` for the Dynamic portrait
// providers of IHPAs (the IHPA controller creates the HorizontalPortraits and reads that status).
//
//   Reactive  + KubeHPA      every syncPeriod (a requeueAfter timer, nothing else polls) the
//                             metrics are fetched and the HPA calculation yields Static data.
//   Predictive + ExternalJob  a CronJob runs the algorithm; its result ConfigMap is watched and
//                             copied into TimeSeries data when it changes (event-driven).
//
// Either way the condition PortraitGenerated says how the last attempt went. A failed attempt
// keeps the previous portraitData (the IHPA keeps using the last good value until it expires),
// and reports through the kit's one error path (condition + Warning Event + log).
// HorizontalPortraits with `externalGeneratorName` belong to someone else and are left alone.

import { ensureApplied, ensureStatusApplied } from '../../kit/apply.js';
import { isNotFound } from '../../kit/client.js';
import { reportError, setCondition, type Condition, type ConditionUpdate } from '../../kit/conditions.js';
import type { ReconcileRequest, ReconcileResult } from '../../kit/controller.js';
import { mapToOwner } from '../../kit/controller.js';
import { builtin } from '../../kit/discovery.js';
import { podNamespace } from '../../kit/cluster-access.js';
import { errorMessage } from '../../kit/log.js';
import type { Manager } from '../../kit/manager.js';
import { keyOf, type KubeObject } from '../../kit/objects.js';
import { CONTROLLER_UID_INDEX, indexByControllerUid } from '../../kit/store.js';
import { KubernetesMetricsSource } from '../../metrics/kubernetes.js';
import {
  CONFIG_MAP_KEY,
  CONFIG_MAP_NAME,
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  MetricsConfigError,
  parsePrometheusMetricsConfig,
  type PrometheusMetricsConfig,
} from '../../metrics/prometheus-config.js';
import { PrometheusMetricsSource } from '../../metrics/prometheus.js';
import type { MetricsSource } from '../../metrics/types.js';
import {
  algorithmCronJobName,
  parseAlgorithmResult,
  portraitNameOfResult,
  renderAlgorithmCronJob,
  resultConfigMapName,
  type AlgorithmJobSettings,
  type CronJob,
} from './predictive.js';
import { generateReactivePortrait, kubeHPASettings, type Pod } from './reactive.js';
import {
  FAILED_GENERATE_PORTRAIT,
  HORIZONTAL_PORTRAIT,
  HORIZONTAL_PORTRAIT_API_VERSION,
  HORIZONTAL_PORTRAIT_GROUP,
  PORTRAIT_GENERATED,
  SUCCEEDED_GENERATE_PORTRAIT,
  SUCCEEDED_MESSAGE,
  WAITING_FOR_ALGORITHM_RESULT,
  type HorizontalPortrait,
  type PortraitDataStatus,
} from './types.js';

export const CONTROLLER_NAME = 'horizontalportrait';
export const EVENT_COMPONENT = 'horizontal_portrait_controller';
export const DEFAULT_METRICS_SERVER_ADDRESS = 'kapacity-grpc-service.kapacity-system:9090';
export const DEFAULT_ALGORITHM_JOB_IMAGE =
  'ghcr.io/traas-stack/kapacity-algorithm-horizontal-predictive:latest';

export interface PortraitSettings {
  /** Prometheus base URL; empty: use the Kubernetes metrics APIs. */
  prometheusAddress: string;
  /** Namespace of the `kapacity-config` ConfigMap. */
  configNamespace: string;
  algorithmJob: AlgorithmJobSettings;
}

/**
 * Settings from the environment main.ts fills from its flags (`--prometheus-address`,
 * `--metrics-server-addr`, `--algorithm-job-image`). The configuration ConfigMap lives in the
 * watched namespace when the controller watches one, else in the controller's own namespace.
 */
export function portraitSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  watchNamespace: string | undefined,
): PortraitSettings {
  return {
    prometheusAddress: env['ROLLSCALE_PROMETHEUS_ADDRESS'] ?? '',
    configNamespace: watchNamespace ?? podNamespace('kapacity-system', env),
    algorithmJob: {
      metricsServerAddress: env['ROLLSCALE_METRICS_SERVER_ADDR'] || DEFAULT_METRICS_SERVER_ADDRESS,
      defaultImage: env['ROLLSCALE_ALGORITHM_JOB_IMAGE'] || DEFAULT_ALGORITHM_JOB_IMAGE,
    },
  };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

type Generator = 'reactive' | 'predictive';

/** Which built-in generator handles `hp`, or why none does. */
export function generatorFor(hp: HorizontalPortrait): { generator: Generator } | { unsupported: string } {
  const type = hp.spec?.portraitType;
  const algorithm = hp.spec?.algorithm?.type;
  if (type === 'Reactive' && algorithm === 'KubeHPA') return { generator: 'reactive' };
  if (type === 'Predictive' && algorithm === 'ExternalJob') return { generator: 'predictive' };
  return {
    unsupported: `portrait type ${type} with algorithm ${algorithm} is not supported (Reactive with KubeHPA, Predictive with ExternalJob are)`,
  };
}

function sameData(a: ConfigMap, b: ConfigMap): boolean {
  return JSON.stringify(a.data ?? {}) === JSON.stringify(b.data ?? {});
}

/** Registers the controller and its informers; returns nothing the caller must keep. */
export function registerHorizontalPortraitController(manager: Manager, settings: PortraitSettings): void {
  const client = manager.client;
  const clock = manager.clock;
  client.mapper.register(HORIZONTAL_PORTRAIT);
  const portraits = manager.informer<HorizontalPortrait>(HORIZONTAL_PORTRAIT);
  const pods = manager.informer<Pod>(builtin.Pod);
  const configMaps = manager.informer<ConfigMap>(builtin.ConfigMap);
  const cronJobs = manager.informer<CronJob>(builtin.CronJob, {
    indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid },
  });
  const recorder = manager.eventRecorder(EVENT_COMPONENT);

  // The Prometheus rules, parsed once per content of the ConfigMap key (the default rules when
  // there is none); a broken configuration fails every Prometheus metric with its message.
  let parsed: { text: string; config?: PrometheusMetricsConfig; error?: string } | undefined;
  const currentConfig = (): PrometheusMetricsConfig => {
    const configMap = configMaps.get(keyOf(settings.configNamespace, CONFIG_MAP_NAME));
    const text = configMap?.data?.[CONFIG_MAP_KEY] ?? DEFAULT_PROMETHEUS_METRICS_CONFIG;
    if (parsed?.text !== text) {
      try {
        parsed = { text, config: parsePrometheusMetricsConfig(text) };
      } catch (error) {
        parsed = { text, error: errorMessage(error) };
      }
    }
    if (parsed.error !== undefined) {
      throw new MetricsConfigError(
        `ConfigMap ${settings.configNamespace}/${CONFIG_MAP_NAME}: ${parsed.error}`,
      );
    }
    return parsed.config as PrometheusMetricsConfig;
  };
  const source: MetricsSource = settings.prometheusAddress
    ? new PrometheusMetricsSource({
        address: settings.prometheusAddress,
        config: currentConfig,
        resourceFor: (apiVersion, kind) => client.mapper.resourceFor(apiVersion, kind),
        clock,
      })
    : new KubernetesMetricsSource(client);

  /** When each reactive portrait last generated, so unrelated wake-ups do not shorten the period. */
  const lastSync = new Map<string, { at: number; generation: number | undefined }>();

  async function writeStatus(
    hp: HorizontalPortrait,
    portraitData: PortraitDataStatus | undefined,
    conditions: Condition[],
  ): Promise<void> {
    const status: NonNullable<HorizontalPortrait['status']> = { conditions };
    if (portraitData) status.portraitData = portraitData;
    await ensureStatusApplied(
      client,
      {
        apiVersion: HORIZONTAL_PORTRAIT_API_VERSION,
        kind: 'HorizontalPortrait',
        metadata: { name: hp.metadata?.name, namespace: hp.metadata?.namespace },
        status,
      } as HorizontalPortrait,
      hp,
    );
  }

  function condition(hp: HorizontalPortrait, update: Omit<ConditionUpdate, 'type'>): Condition[] {
    return setCondition(
      hp.status?.conditions,
      { type: PORTRAIT_GENERATED, observedGeneration: hp.metadata?.generation, ...update },
      clock.now(),
    );
  }

  /** Records a failed attempt; the previous data stays (server-side apply would drop it otherwise). */
  async function fail(hp: HorizontalPortrait, error: unknown, request: ReconcileRequest): Promise<void> {
    const conditions = await reportError({
      object: hp,
      error: new Error(`failed to generate portrait: ${errorMessage(error)}`),
      reason: FAILED_GENERATE_PORTRAIT,
      conditionType: PORTRAIT_GENERATED,
      conditions: hp.status?.conditions,
      now: clock.now(),
      recorder,
      logger: request.logger,
    });
    await writeStatus(hp, hp.status?.portraitData, conditions);
  }

  async function reconcileReactive(
    hp: HorizontalPortrait,
    request: ReconcileRequest,
  ): Promise<ReconcileResult> {
    let kubeHPA;
    try {
      kubeHPA = kubeHPASettings(hp.spec.algorithm.kubeHPA);
    } catch (error) {
      // Only a spec change can fix this; the spec watch brings the portrait back then.
      await fail(hp, error, request);
      return {};
    }
    const syncPeriodMs = kubeHPA.syncPeriodMs;
    const now = clock.now().getTime();
    const generation = hp.metadata?.generation;
    const last = lastSync.get(request.key);
    if (last && last.generation === generation && now < last.at + syncPeriodMs) {
      return { requeueAfter: last.at + syncPeriodMs - now };
    }
    try {
      const result = await generateReactivePortrait(hp, kubeHPA, {
        client,
        source,
        pods: (namespace, selector) => pods.list(namespace, selector),
        now: clock.now(),
      });
      request.logger.debug('reactive portrait generated', {
        replicas: result.replicas,
        metric: result.calculation.metric,
        failures: result.calculation.failures,
      });
      await writeStatus(
        hp,
        { type: 'Static', static: { replicas: result.replicas } },
        condition(hp, { status: 'True', reason: SUCCEEDED_GENERATE_PORTRAIT, message: SUCCEEDED_MESSAGE }),
      );
    } catch (error) {
      await fail(hp, error, request);
    }
    lastSync.set(request.key, { at: now, generation });
    return { requeueAfter: syncPeriodMs };
  }

  async function reconcilePredictive(
    hp: HorizontalPortrait,
    request: ReconcileRequest,
  ): Promise<ReconcileResult> {
    let desired: CronJob;
    try {
      desired = renderAlgorithmCronJob(hp, settings.algorithmJob);
    } catch (error) {
      await fail(hp, error, request);
      return {};
    }
    const namespace = hp.metadata?.namespace ?? '';
    try {
      await ensureApplied(client, desired, cronJobs.get(keyOf(namespace, algorithmCronJobName(hp))));
    } catch (error) {
      await fail(
        hp,
        new Error(`failed to apply CronJob ${desired.metadata?.name}: ${errorMessage(error)}`),
        request,
      );
      throw error;
    }
    const resultName = resultConfigMapName(hp.metadata?.name ?? '');
    const result = configMaps.get(keyOf(namespace, resultName));
    if (!result) {
      await writeStatus(
        hp,
        hp.status?.portraitData,
        condition(hp, {
          status: 'False',
          reason: WAITING_FOR_ALGORITHM_RESULT,
          message: `waiting for the algorithm job to write ConfigMap ${resultName}`,
        }),
      );
      return {};
    }
    const reading = parseAlgorithmResult(result.data);
    if (!reading.ok) {
      await fail(hp, new Error(`invalid result in ConfigMap ${resultName}: ${reading.error}`), request);
      return {};
    }
    await writeStatus(
      hp,
      reading.data,
      condition(hp, { status: 'True', reason: SUCCEEDED_GENERATE_PORTRAIT, message: SUCCEEDED_MESSAGE }),
    );
    return {};
  }

  /** Deletes algorithm CronJobs of a portrait that no longer runs an external job. */
  async function removeStaleCronJobs(hp: HorizontalPortrait): Promise<void> {
    const uid = hp.metadata?.uid;
    if (!uid) return;
    for (const cronJob of cronJobs.byIndex(CONTROLLER_UID_INDEX, uid)) {
      try {
        await client.delete(builtin.CronJob, cronJob.metadata?.name ?? '', {
          namespace: cronJob.metadata?.namespace,
          propagationPolicy: 'Background',
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  const reconcile = async (request: ReconcileRequest): Promise<ReconcileResult | void> => {
    const hp = portraits.get(request.key);
    if (!hp || hp.metadata?.deletionTimestamp) {
      lastSync.delete(request.key);
      return;
    }
    if (hp.spec?.externalGeneratorName) return;
    const choice = generatorFor(hp);
    if ('unsupported' in choice) {
      await removeStaleCronJobs(hp);
      await fail(hp, new Error(choice.unsupported), request);
      return;
    }
    if (choice.generator === 'reactive') {
      await removeStaleCronJobs(hp);
      return reconcileReactive(hp, request);
    }
    lastSync.delete(request.key);
    return reconcilePredictive(hp, request);
  };

  const controller = manager.controller(CONTROLLER_NAME, reconcile);
  controller.watches(portraits, (hp) => keyOf(hp.metadata?.namespace, hp.metadata?.name ?? ''), {
    // Our own status writes must not restart the sync period: only spec changes matter.
    updateFilter: (oldHp, newHp) => oldHp.metadata?.generation !== newHp.metadata?.generation,
  });
  controller.watches(
    configMaps,
    (configMap) => {
      const portrait = portraitNameOfResult(configMap.metadata?.name ?? '');
      if (portrait === undefined) return undefined;
      const key = keyOf(configMap.metadata?.namespace, portrait);
      return portraits.get(key) ? key : undefined;
    },
    { updateFilter: (oldConfigMap, newConfigMap) => !sameData(oldConfigMap, newConfigMap) },
  );
  controller.watches(cronJobs, mapToOwner({ kind: 'HorizontalPortrait', group: HORIZONTAL_PORTRAIT_GROUP }), {
    updateFilter: (oldJob, newJob) => oldJob.metadata?.generation !== newJob.metadata?.generation,
  });
}
