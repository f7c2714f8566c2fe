// The reactive portrait with the KubeHPA algorithm: read the scale target (scale subresource:
// replicas and pod selector), list its pods from the cache, fetch the metrics of the spec from a
// metrics source, and run the pure `calculateReplicas`. The result becomes Static portrait data.

import type { KubeClient } from '../../kit/client.js';
import type { ResourceDescriptor } from '../../kit/discovery.js';
import type { KubeObject } from '../../kit/objects.js';
import { parseDuration } from '../../metrics/duration.js';
import { observeMetrics } from '../../metrics/observe.js';
import type { MetricsSource } from '../../metrics/types.js';
import {
  DEFAULT_CPU_INITIALIZATION_PERIOD_SECONDS,
  DEFAULT_INITIAL_READINESS_DELAY_SECONDS,
  DEFAULT_TOLERANCE,
  calculateReplicas,
  type PodContainerSnapshot,
  type PodSnapshot,
  type ReplicaCalculationResult,
} from '../replica-calculator.js';
import {
  PortraitSpecError,
  type HorizontalPortrait,
  type KubeHPAConfig,
  type ScaleTargetRef,
} from './types.js';

export const DEFAULT_SYNC_PERIOD_MS = 15_000;

export interface KubeHPASettings {
  syncPeriodMs: number;
  tolerance: number;
  cpuInitializationPeriodSeconds: number;
  initialReadinessDelaySeconds: number;
}

function durationField(
  config: KubeHPAConfig | undefined,
  key: keyof KubeHPAConfig,
  fallbackMs: number,
): number {
  const text = config?.[key];
  if (text === undefined || text === '') return fallbackMs;
  try {
    return parseDuration(text);
  } catch {
    throw new PortraitSpecError(`algorithm.kubeHPA.${key}: invalid duration ${JSON.stringify(text)}`);
  }
}

/** The KubeHPA knobs with upstream's defaults (15s, 0.1, 5m, 30s). */
export function kubeHPASettings(config: KubeHPAConfig | undefined): KubeHPASettings {
  const syncPeriodMs = durationField(config, 'syncPeriod', DEFAULT_SYNC_PERIOD_MS);
  if (syncPeriodMs < 1000) throw new PortraitSpecError('algorithm.kubeHPA.syncPeriod: must be at least 1s');
  let tolerance = DEFAULT_TOLERANCE;
  if (config?.tolerance !== undefined && config.tolerance !== '') {
    tolerance = Number(config.tolerance);
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw new PortraitSpecError(
        `algorithm.kubeHPA.tolerance: invalid number ${JSON.stringify(config.tolerance)}`,
      );
    }
  }
  return {
    syncPeriodMs,
    tolerance,
    cpuInitializationPeriodSeconds:
      durationField(config, 'cpuInitializationPeriod', DEFAULT_CPU_INITIALIZATION_PERIOD_SECONDS * 1000) /
      1000,
    initialReadinessDelaySeconds:
      durationField(config, 'initialReadinessDelay', DEFAULT_INITIAL_READINESS_DELAY_SECONDS * 1000) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Pods

interface PodContainer {
  name: string;
  resources?: { requests?: Record<string, string> };
  restartPolicy?: string;
}

export interface Pod extends KubeObject {
  spec?: { containers?: PodContainer[]; initContainers?: PodContainer[] };
  status?: {
    phase?: string;
    startTime?: string;
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
  };
}

function dateOf(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function containerSnapshot(c: PodContainer): PodContainerSnapshot {
  const snapshot: PodContainerSnapshot = { name: c.name };
  if (c.resources?.requests)
    (snapshot as { requests?: Record<string, string> }).requests = c.resources.requests;
  if (c.restartPolicy) (snapshot as { restartPolicy?: string }).restartPolicy = c.restartPolicy;
  return snapshot;
}

/** What the replica calculation needs to know about a pod. */
export function podSnapshot(pod: Pod): PodSnapshot {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const snapshot: PodSnapshot = {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    containers: (pod.spec?.containers ?? []).map(containerSnapshot),
  };
  if (ready) {
    snapshot.ready = ready.status === 'True' ? true : ready.status === 'False' ? false : 'Unknown';
    const transition = dateOf(ready.lastTransitionTime);
    if (transition) snapshot.readyTransitionTime = transition;
  }
  const start = dateOf(pod.status?.startTime);
  if (start) snapshot.startTime = start;
  const deletion = dateOf(pod.metadata?.deletionTimestamp);
  if (deletion) snapshot.deletionTimestamp = deletion;
  if (pod.spec?.initContainers?.length)
    snapshot.initContainers = pod.spec.initContainers.map(containerSnapshot);
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface ReactiveContext {
  client: KubeClient;
  source: MetricsSource;
  /** The cached pods of `namespace` matching the label selector (string form). */
  pods: (namespace: string, selector: string) => Pod[];
  now: Date;
}

export interface ReactiveResult {
  replicas: number;
  /** The calculator's full answer (proposals and partial failures), for logs. */
  calculation: Extract<ReplicaCalculationResult, { ok: true }>;
}

/** Well-known scalable kinds, so a scaleTargetRef without apiVersion still resolves. */
const DEFAULT_API_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
};

async function targetResource(client: KubeClient, ref: ScaleTargetRef): Promise<ResourceDescriptor> {
  if (!ref?.kind || !ref.name) throw new PortraitSpecError('scaleTargetRef needs kind and name');
  const apiVersion = ref.apiVersion ?? DEFAULT_API_VERSIONS[ref.kind];
  if (!apiVersion) throw new PortraitSpecError(`scaleTargetRef.apiVersion is required for kind ${ref.kind}`);
  // Built-in kinds resolve from the mapper's static table; others through discovery.
  return client.mapper.resourceFor(apiVersion, ref.kind);
}

/**
 * Computes the replicas `hp`'s metrics ask for now.
 * @throws Error with a message fit for the PortraitGenerated condition when it cannot.
 */
export async function generateReactivePortrait(
  hp: HorizontalPortrait,
  settings: KubeHPASettings,
  context: ReactiveContext,
): Promise<ReactiveResult> {
  const namespace = hp.metadata?.namespace ?? '';
  const metrics = hp.spec.metrics ?? [];
  if (metrics.length === 0)
    throw new PortraitSpecError('spec.metrics is empty: a reactive portrait needs at least one metric');
  const ref = hp.spec.scaleTargetRef;
  const resource = await targetResource(context.client, ref);
  let scale;
  try {
    scale = await context.client.getScale(resource, ref.name, namespace);
  } catch (error) {
    throw new Error(`failed to get the scale of ${ref.kind} ${ref.name}: ${(error as Error).message}`);
  }
  const selector = scale.status?.selector;
  if (!selector) throw new Error(`${ref.kind} ${ref.name} reports no pod selector in its scale subresource`);
  const pods = context.pods(namespace, selector);
  const observations = await observeMetrics(context.source, metrics, {
    namespace,
    selector,
    podNames: pods.map((p) => p.metadata?.name ?? '').filter((n) => n !== ''),
  });
  const result = calculateReplicas({
    metrics,
    observations,
    pods: pods.map(podSnapshot),
    currentReplicas: scale.spec?.replicas ?? 0,
    statusReplicas: scale.status?.replicas,
    now: context.now,
    tolerance: settings.tolerance,
    cpuInitializationPeriodSeconds: settings.cpuInitializationPeriodSeconds,
    initialReadinessDelaySeconds: settings.initialReadinessDelaySeconds,
  });
  if (!result.ok) throw new Error(result.error);
  return { replicas: result.replicas, calculation: result };
}
