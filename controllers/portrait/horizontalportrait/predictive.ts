// The predictive portrait with an external algorithm job (pure parts): the CronJob that runs the
// algorithm, and the reading of the result ConfigMap the algorithm writes.
//
// - CronJob `<namespace>-<hp name>` (shortened with a hash past 52 characters) in the
//   HorizontalPortrait's namespace, controlled by it,
//   rendered from `algorithm.externalJob.job.cronJob.template`. The container named `algorithm`
//   (every container when none is) gets METRICS_SERVER_ADDR, HP_NAMESPACE and HP_NAME, replacing
//   entries of those names the template may carry, and the default algorithm image when the
//   template names none (the walkthrough's template leaves it out).
// - ConfigMap `<hp name>-result` in the same namespace: `type` (TimeSeries), `expireTime`
//   (RFC 3339, optional) and `timeSeries` (JSON object {"<unix seconds>": replicas}).

import { createHash } from 'node:crypto';

import type { KubeObject } from '../../kit/objects.js';
import { formatTime } from '../../kit/objects.js';
import {
  HORIZONTAL_PORTRAIT_API_VERSION,
  PortraitSpecError,
  type HorizontalPortrait,
  type PortraitDataStatus,
  type TimeSeriesPointStatus,
} from './types.js';

export const RESULT_CONFIG_MAP_SUFFIX = '-result';
export const ALGORITHM_CONTAINER = 'algorithm';
export const RESULT_KEY_TYPE = 'type';
export const RESULT_KEY_EXPIRE_TIME = 'expireTime';
export const RESULT_KEY_TIME_SERIES = 'timeSeries';

export interface AlgorithmJobSettings {
  /** METRICS_SERVER_ADDR: where the algorithm reads metrics (the metrics gRPC service). */
  metricsServerAddress: string;
  /** Image for an algorithm container whose template names none. */
  defaultImage: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  [key: string]: unknown;
}

export interface CronJob extends KubeObject {
  spec: Record<string, unknown> & {
    jobTemplate?: { spec?: { template?: { spec?: { containers?: Container[] } & Record<string, unknown> } } };
  };
}

/** The API server refuses longer CronJob names (its Jobs append an 11-character suffix). */
export const MAX_CRON_JOB_NAME = 52;

/**
 * `<namespace>-<hp name>`; when that exceeds the CronJob name limit, its first 43 characters and
 * a hash of the whole, so long names still get a stable, unique CronJob.
 */
export function algorithmCronJobName(hp: HorizontalPortrait): string {
  const full = `${hp.metadata?.namespace ?? ''}-${hp.metadata?.name ?? ''}`;
  if (full.length <= MAX_CRON_JOB_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_CRON_JOB_NAME - 9).replace(/[-.]+$/, '')}-${hash}`;
}

export function resultConfigMapName(hpName: string): string {
  return `${hpName}${RESULT_CONFIG_MAP_SUFFIX}`;
}

/** The HorizontalPortrait name a result ConfigMap belongs to, or undefined for other ConfigMaps. */
export function portraitNameOfResult(configMapName: string): string | undefined {
  if (!configMapName.endsWith(RESULT_CONFIG_MAP_SUFFIX)) return undefined;
  const name = configMapName.slice(0, -RESULT_CONFIG_MAP_SUFFIX.length);
  return name === '' ? undefined : name;
}

/** `env` with `vars` set: same-named entries replaced in place, the others appended. */
export function withEnv(env: readonly EnvVar[] | undefined, vars: readonly EnvVar[]): EnvVar[] {
  const result = (env ?? []).map((e) => vars.find((v) => v.name === e.name) ?? e);
  for (const v of vars) if (!result.some((e) => e.name === v.name)) result.push(v);
  return result;
}

/**
 * The CronJob that runs `hp`'s algorithm.
 * @throws PortraitSpecError when the job template is missing or has no containers.
 */
export function renderAlgorithmCronJob(hp: HorizontalPortrait, settings: AlgorithmJobSettings): CronJob {
  const job = hp.spec.algorithm.externalJob?.job;
  if (!job) throw new PortraitSpecError('algorithm.externalJob.job is required for an ExternalJob algorithm');
  if (job.type !== undefined && job.type !== 'CronJob') {
    throw new PortraitSpecError(`unsupported algorithm job type "${job.type}" (only CronJob)`);
  }
  const template = job.cronJob?.template;
  if (!template?.spec)
    throw new PortraitSpecError('algorithm.externalJob.job.cronJob.template.spec is required');
  const spec = structuredClone(template.spec) as CronJob['spec'];
  const podSpec = spec.jobTemplate?.spec?.template?.spec;
  const containers = podSpec?.containers;
  if (!podSpec || !Array.isArray(containers) || containers.length === 0) {
    throw new PortraitSpecError(
      'algorithm.externalJob.job.cronJob.template.spec.jobTemplate.spec.template.spec.containers must list the algorithm container',
    );
  }
  const namespace = hp.metadata?.namespace ?? '';
  const name = hp.metadata?.name ?? '';
  const vars: EnvVar[] = [
    { name: 'METRICS_SERVER_ADDR', value: settings.metricsServerAddress },
    { name: 'HP_NAMESPACE', value: namespace },
    { name: 'HP_NAME', value: name },
  ];
  const named = containers.some((c) => c.name === ALGORITHM_CONTAINER);
  podSpec.containers = containers.map((c) => {
    if (named && c.name !== ALGORITHM_CONTAINER) return c;
    const container: Container = { ...c, env: withEnv(c.env, vars) };
    if (!container.image) container.image = settings.defaultImage;
    return container;
  });

  const metadata: NonNullable<CronJob['metadata']> = {
    name: algorithmCronJobName(hp),
    namespace,
    ownerReferences: [
      {
        apiVersion: hp.apiVersion ?? HORIZONTAL_PORTRAIT_API_VERSION,
        kind: hp.kind ?? 'HorizontalPortrait',
        name,
        uid: hp.metadata?.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (template.metadata?.labels) metadata.labels = { ...template.metadata.labels };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata, spec };
}

// ---------------------------------------------------------------------------------------------
// The result ConfigMap

export type ResultReading = { ok: true; data: PortraitDataStatus } | { ok: false; error: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const MAX_REPLICAS = 2 ** 31 - 1;

function fail(error: string): ResultReading {
  return { ok: false, error };
}

/**
 * Reads a result ConfigMap's data into portrait data. Every problem names the key it is in, so
 * the condition tells the algorithm's author what to fix.
 */
export function parseAlgorithmResult(data: Readonly<Record<string, string>> | undefined): ResultReading {
  const values = data ?? {};
  const type = values[RESULT_KEY_TYPE];
  if (type === undefined || type === '') return fail(`key "${RESULT_KEY_TYPE}" is missing`);
  if (type !== 'TimeSeries') {
    return fail(`key "${RESULT_KEY_TYPE}": unsupported result type "${type}" (only TimeSeries is supported)`);
  }

  let expireTime: string | undefined;
  const expireText = values[RESULT_KEY_EXPIRE_TIME];
  if (expireText !== undefined && expireText !== '') {
    const parsed = new Date(expireText);
    if (!RFC3339.test(expireText.trim()) || Number.isNaN(parsed.getTime())) {
      return fail(`key "${RESULT_KEY_EXPIRE_TIME}": ${JSON.stringify(expireText)} is not an RFC 3339 time`);
    }
    expireTime = formatTime(parsed);
  }

  const seriesText = values[RESULT_KEY_TIME_SERIES];
  if (seriesText === undefined || seriesText.trim() === '')
    return fail(`key "${RESULT_KEY_TIME_SERIES}" is missing`);
  let parsedSeries: unknown;
  try {
    parsedSeries = JSON.parse(seriesText);
  } catch (error) {
    return fail(`key "${RESULT_KEY_TIME_SERIES}" is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsedSeries !== 'object' || parsedSeries === null || Array.isArray(parsedSeries)) {
    return fail(`key "${RESULT_KEY_TIME_SERIES}" must be a JSON object {"<unix seconds>": replicas}`);
  }
  const points: TimeSeriesPointStatus[] = [];
  for (const [key, replicas] of Object.entries(parsedSeries as Record<string, unknown>)) {
    const timestamp = Number(key);
    if (!/^\d+$/.test(key) || !Number.isSafeInteger(timestamp)) {
      return fail(
        `key "${RESULT_KEY_TIME_SERIES}": timestamp ${JSON.stringify(key)} is not a whole number of unix seconds`,
      );
    }
    if (
      typeof replicas !== 'number' ||
      !Number.isInteger(replicas) ||
      replicas < 0 ||
      replicas > MAX_REPLICAS
    ) {
      return fail(
        `key "${RESULT_KEY_TIME_SERIES}": replicas at ${key} must be a non-negative integer, got ${JSON.stringify(replicas)}`,
      );
    }
    points.push({ timestamp, replicas });
  }
  if (points.length === 0) return fail(`key "${RESULT_KEY_TIME_SERIES}" has no points`);
  points.sort((a, b) => a.timestamp - b.timestamp);
  const result: PortraitDataStatus = { type: 'TimeSeries', timeSeries: { timeSeries: points } };
  if (expireTime !== undefined) result.expireTime = expireTime;
  return { ok: true, data: result };
}
