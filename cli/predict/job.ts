// The forecasting job's I/O: read the HorizontalPortrait, fetch the history from the metrics
// gRPC service, run the pipeline (plan.ts), write ConfigMap `<hp name>-result`. A refusal or a
// failure writes nothing, so the previous result (and the portrait built from it) stays until it
// expires; the caller exits non-zero.

import { ensureApplied } from '../../controllers/kit/apply.js';
import type { Clock } from '../../controllers/kit/clock.js';
import type { KubeClient } from '../../controllers/kit/client.js';
import { builtin } from '../../controllers/kit/discovery.js';
import { errorMessage, type Logger } from '../../controllers/kit/log.js';
import type { KubeObject } from '../../controllers/kit/objects.js';
import { MetricsCallError } from '../../controllers/metrics/grpc/client.js';
import type { QueryMessage, SeriesMessage } from '../../controllers/metrics/grpc/proto.js';
import {
  RESULT_KEY_EXPIRE_TIME,
  RESULT_KEY_TIME_SERIES,
  RESULT_KEY_TYPE,
  resultConfigMapName,
} from '../../controllers/portrait/horizontalportrait/predictive.js';
import {
  HORIZONTAL_PORTRAIT,
  HORIZONTAL_PORTRAIT_API_VERSION,
  type HorizontalPortrait,
} from '../../controllers/portrait/horizontalportrait/types.js';
import {
  chunkRange,
  onGrid,
  podRequest,
  portraitQueries,
  targetPerPod,
  type PortraitQueries,
} from './metrics.js';
import { planReplicas, type History, type PlanOptions } from './plan.js';

/** The part of the metrics client the job uses (tests pass a fake). */
export interface MetricsQuerier {
  query(query: QueryMessage, startMs: number, endMs: number, stepMs: number): Promise<SeriesMessage[]>;
}

export interface JobSettings {
  namespace: string;
  name: string;
  historyMs: number;
  stepMs: number;
  /** Points per request; the service refuses more than 11 000. */
  maxPointsPerQuery: number;
  plan: Omit<PlanOptions, 'target'>;
  dryRun: boolean;
}

export interface JobDependencies {
  client: KubeClient;
  metrics: MetricsQuerier;
  clock: Clock;
  logger: Logger;
}

/** The series kube-state-metrics' ready-pods gauge is known by in the default rules. */
const READY_PODS_FALLBACK: Readonly<Record<string, string>> = { kube_pod_status_ready: 'ready_pods_count' };

export class JobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobError';
  }
}

interface Pod extends KubeObject {
  spec?: { containers?: Array<{ name: string; resources?: { requests?: Record<string, string> } }> };
}

/** Runs the job; resolves with the process exit code. */
export async function runPredictJob(settings: JobSettings, deps: JobDependencies): Promise<number> {
  const { logger } = deps;
  try {
    const hp = await deps.client.get<HorizontalPortrait>(
      HORIZONTAL_PORTRAIT,
      settings.name,
      settings.namespace,
    );
    const queries = portraitQueries(hp);
    const target = await resolveTarget(hp, queries, deps.client);
    logger.info('per-pod target', { resource: queries.resource, container: queries.container, target });

    const endMs = Math.floor(deps.clock.now().getTime() / settings.stepMs) * settings.stepMs;
    const startMs = endMs - settings.historyMs;
    const fetch = async (what: string, query: QueryMessage): Promise<number[]> => {
      const series: SeriesMessage[] = [];
      for (const [from, to] of chunkRange(startMs, endMs, settings.stepMs, settings.maxPointsPerQuery)) {
        series.push(...(await deps.metrics.query(query, from, to, settings.stepMs)));
      }
      const values = onGrid(series, startMs, endMs, settings.stepMs);
      const present = values.filter(Number.isFinite).length;
      logger.info('history fetched', {
        metric: what,
        type: query.type,
        series: series.length,
        points: present,
      });
      if (present === 0)
        throw new JobError(`no history of ${what} in the last ${settings.historyMs / 3_600_000} h`);
      return values;
    };

    const usage = await fetch(`${queries.resource} usage`, queries.usage);
    let replicas: number[];
    try {
      replicas = await fetch(`ready replicas (${queries.replicasMetric})`, queries.replicas);
    } catch (error) {
      const alias = READY_PODS_FALLBACK[queries.replicasMetric];
      if (!(error instanceof MetricsCallError && error.codeName === 'NOT_FOUND' && alias)) throw error;
      logger.info("ready replica metric unknown to the metrics service; trying the default rules' name", {
        metric: queries.replicasMetric,
        instead: alias,
      });
      const query = structuredClone(queries.replicas);
      if (query.workload_external?.metric) query.workload_external.metric.name = alias;
      replicas = await fetch(`ready replicas (${alias})`, query);
    }
    const traffic: History['traffic'][number][] = [];
    for (const t of queries.traffic) traffic.push({ name: t.name, values: await fetch(t.name, t.query) });

    const timestamps = Array.from(
      { length: Math.floor((endMs - startMs) / settings.stepMs) + 1 },
      (_, i) => startMs + i * settings.stepMs,
    );
    const result = planReplicas(
      { timestamps, stepMs: settings.stepMs, usage, replicas, traffic },
      { ...settings.plan, target },
    );
    if (!result.ok) {
      logger.error('no prediction written: the previous result stays in place', {
        reason: result.reason,
        report: result.report,
      });
      return 1;
    }
    logger.info('prediction', {
      report: result.report,
      windows: result.windows,
      expireTime: result.expireTime,
    });

    const configMap = resultConfigMap(hp, result.timeSeries, result.expireTime);
    if (settings.dryRun) {
      logger.info('dry run: not writing', { configMap });
      return 0;
    }
    const live = await deps.client.tryGet<KubeObject>(
      builtin.ConfigMap,
      configMap.metadata?.name ?? '',
      settings.namespace,
    );
    const { applied } = await ensureApplied(deps.client, configMap, live);
    logger.info(applied ? 'result written' : 'result unchanged', {
      configMap: `${settings.namespace}/${configMap.metadata?.name}`,
      points: Object.keys(result.timeSeries).length,
    });
    return 0;
  } catch (error) {
    logger.error('prediction failed: the previous result stays in place', { error: errorMessage(error) });
    return 1;
  }
}

/** The per-pod target; a Utilization target reads a pod of the scale target for its request. */
async function resolveTarget(
  hp: HorizontalPortrait,
  queries: PortraitQueries,
  client: KubeClient,
): Promise<number> {
  if (queries.target.averageUtilization === undefined || queries.target.averageValue !== undefined) {
    return targetPerPod(queries.target, undefined);
  }
  const ref = hp.spec.scaleTargetRef;
  const namespace = hp.metadata?.namespace ?? '';
  const resource = await client.mapper.resourceFor(ref.apiVersion ?? 'apps/v1', ref.kind);
  const scale = await client.getScale(resource, ref.name, namespace);
  const selector = scale.status?.selector;
  if (!selector)
    throw new JobError(`${ref.kind} ${ref.name} reports no pod selector in its scale subresource`);
  const { items } = await client.list<Pod>(builtin.Pod, { namespace, labelSelector: selector });
  const pod = items[0];
  if (!pod)
    throw new JobError(`no pods of ${ref.kind} ${ref.name} to read the ${queries.resource} request from`);
  return targetPerPod(
    queries.target,
    podRequest(pod.spec?.containers ?? [], queries.resource, queries.container),
  );
}

/** ConfigMap `<hp>-result` in the format the portrait controller reads, owned by the portrait. */
export function resultConfigMap(
  hp: HorizontalPortrait,
  timeSeries: Record<string, number>,
  expireTime: string,
): KubeObject & { data: Record<string, string> } {
  const name = hp.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: resultConfigMapName(name),
      namespace: hp.metadata?.namespace ?? '',
      ownerReferences: [
        {
          apiVersion: HORIZONTAL_PORTRAIT_API_VERSION,
          kind: 'HorizontalPortrait',
          name,
          uid: hp.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: {
      [RESULT_KEY_TYPE]: 'TimeSeries',
      [RESULT_KEY_EXPIRE_TIME]: expireTime,
      [RESULT_KEY_TIME_SERIES]: JSON.stringify(timeSeries),
    },
  };
}
