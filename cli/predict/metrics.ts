// What the job asks the metrics service for (pure): the HorizontalPortrait's metrics, by the
// predictive convention, turned into metric service queries; the per-pod target; and the
// history answers merged onto one time grid.
//
//   metrics[0]   Resource / ContainerResource: the scaled resource and its per-pod target
//                → WORKLOAD_(CONTAINER_)RESOURCE of the scale target, ready pods only
//   metrics[1]   Pods / External: the ready replica count → WORKLOAD_EXTERNAL of the scale target
//   metrics[2…]  traffic: Object → OBJECT, External → EXTERNAL, Pods → WORKLOAD_EXTERNAL

import { parseApiVersion } from '../../controllers/kit/objects.js';
import { selectorToString, type LabelSelector } from '../../controllers/kit/labels.js';
import type { QueryMessage, SeriesMessage } from '../../controllers/metrics/grpc/proto.js';
import type { HorizontalPortrait } from '../../controllers/portrait/horizontalportrait/types.js';
import { quantityToMilli } from '../../controllers/portrait/quantity.js';
import type {
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
} from '../../controllers/portrait/replica-calculator.js';

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

export interface TrafficQuery {
  name: string;
  query: QueryMessage;
}

export interface PortraitQueries {
  /** The scaled resource (`cpu`, `memory`). */
  resource: string;
  /** The container of a ContainerResource metric. */
  container?: string;
  target: MetricTarget;
  usage: QueryMessage;
  replicas: QueryMessage;
  /** Name of the ready-replica metric, for messages and the fallback. */
  replicasMetric: string;
  traffic: TrafficQuery[];
}

function groupOf(apiVersion: string | undefined): string {
  return apiVersion ? parseApiVersion(apiVersion).group : '';
}

function metricIdentifier(metric: MetricIdentifier): { name: string; selector?: string } {
  const selector = metric.selector as LabelSelector | string | undefined;
  const text = typeof selector === 'string' ? selector : selector ? selectorToString(selector) : '';
  return text === '' ? { name: metric.name } : { name: metric.name, selector: text };
}

/** The queries for `hp`'s metrics; throws SpecError when they break the convention. */
export function portraitQueries(hp: HorizontalPortrait): PortraitQueries {
  const namespace = hp.metadata?.namespace ?? '';
  const target = hp.spec.scaleTargetRef;
  const metrics: MetricSpec[] = hp.spec.metrics ?? [];
  if (metrics.length < 3) {
    throw new SpecError(
      `spec.metrics needs at least three entries (resource target, ready replicas, traffic…), got ${metrics.length}`,
    );
  }
  const workload = {
    group_kind: { group: groupOf(target.apiVersion), kind: target.kind },
    namespace,
    name: target.name,
  };

  const first = metrics[0] as MetricSpec;
  let resource: string;
  let container: string | undefined;
  let resourceTarget: MetricTarget;
  let usage: QueryMessage;
  if (first.type === 'Resource' && first.resource) {
    resource = first.resource.name;
    resourceTarget = first.resource.target;
    usage = {
      type: 'WORKLOAD_RESOURCE',
      workload_resource: { ...workload, resource_name: resource, ready_pods_only: true },
    };
  } else if (first.type === 'ContainerResource' && first.containerResource) {
    resource = first.containerResource.name;
    container = first.containerResource.container;
    resourceTarget = first.containerResource.target;
    usage = {
      type: 'WORKLOAD_CONTAINER_RESOURCE',
      workload_container_resource: {
        ...workload,
        resource_name: resource,
        container_name: container,
        ready_pods_only: true,
      },
    };
  } else {
    throw new SpecError(
      `spec.metrics[0] must be a Resource or ContainerResource metric (the target to keep), got ${first.type}`,
    );
  }

  const second = metrics[1] as MetricSpec;
  const readyMetric =
    second.type === 'Pods'
      ? second.pods?.metric
      : second.type === 'External'
        ? second.external?.metric
        : undefined;
  if (!readyMetric?.name) {
    throw new SpecError(
      `spec.metrics[1] must be a Pods or External metric counting ready replicas, got ${second.type}`,
    );
  }
  const replicas: QueryMessage = {
    type: 'WORKLOAD_EXTERNAL',
    workload_external: { ...workload, metric: metricIdentifier(readyMetric) },
  };

  const traffic = metrics.slice(2).map((metric, i): TrafficQuery => {
    const at = `spec.metrics[${i + 2}]`;
    if (metric.type === 'Object' && metric.object) {
      const described = metric.object.describedObject;
      return {
        name: metric.name || metric.object.metric.name,
        query: {
          type: 'OBJECT',
          object: {
            group_kind: { group: groupOf(described.apiVersion), kind: described.kind },
            namespace,
            name: described.name,
            metric: metricIdentifier(metric.object.metric),
          },
        },
      };
    }
    if (metric.type === 'External' && metric.external) {
      return {
        name: metric.name || metric.external.metric.name,
        query: {
          type: 'EXTERNAL',
          external: { namespace, metric: metricIdentifier(metric.external.metric) },
        },
      };
    }
    if (metric.type === 'Pods' && metric.pods) {
      return {
        name: metric.name || metric.pods.metric.name,
        query: {
          type: 'WORKLOAD_EXTERNAL',
          workload_external: { ...workload, metric: metricIdentifier(metric.pods.metric) },
        },
      };
    }
    throw new SpecError(`${at} must be an Object, External or Pods traffic metric, got ${metric.type}`);
  });
  const names = new Set<string>();
  for (const t of traffic) {
    if (names.has(t.name))
      throw new SpecError(`two traffic metrics are named ${t.name}: give them distinct names`);
    names.add(t.name);
  }

  const queries: PortraitQueries = {
    resource,
    target: resourceTarget,
    usage,
    replicas,
    replicasMetric: readyMetric.name,
    traffic,
  };
  if (container !== undefined) queries.container = container;
  return queries;
}

/**
 * The per-pod target in base units (cores, bytes). `podRequest` (base units) is needed for a
 * Utilization target; throws SpecError for a Value target, which fixes no per-pod level.
 */
export function targetPerPod(target: MetricTarget, podRequest: number | undefined): number {
  if (target.averageValue !== undefined) return Number(quantityToMilli(target.averageValue)) / 1000;
  if (target.averageUtilization !== undefined) {
    if (podRequest === undefined || !(podRequest > 0)) {
      throw new SpecError('a Utilization target needs the pods to request the resource');
    }
    return (target.averageUtilization / 100) * podRequest;
  }
  throw new SpecError(
    `spec.metrics[0] target type ${target.type ?? '(none)'} is not supported: use AverageValue or Utilization`,
  );
}

/** Sum of one pod's requests of `resource` (of `container` only when given), in base units. */
export function podRequest(
  containers: ReadonlyArray<{ name: string; resources?: { requests?: Record<string, string | number> } }>,
  resource: string,
  container?: string,
): number {
  let total = 0;
  for (const c of containers) {
    if (container !== undefined && c.name !== container) continue;
    const request = c.resources?.requests?.[resource];
    if (request !== undefined) total += Number(quantityToMilli(request)) / 1000;
  }
  return total;
}

/** [start, end] cut into ranges of at most `maxPoints` points each. */
export function chunkRange(
  startMs: number,
  endMs: number,
  stepMs: number,
  maxPoints: number,
): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let from = startMs; from <= endMs; from += maxPoints * stepMs) {
    chunks.push([from, Math.min(endMs, from + (maxPoints - 1) * stepMs)]);
  }
  return chunks;
}

/**
 * Values on the grid start, start + step, …, end: the sum over the series at each time (external
 * metrics may answer with several series, which add up as they do for an HPA); NaN where no
 * series has a value.
 */
export function onGrid(
  series: readonly SeriesMessage[],
  startMs: number,
  endMs: number,
  stepMs: number,
): number[] {
  const length = Math.floor((endMs - startMs) / stepMs) + 1;
  const values = new Array<number>(length).fill(NaN);
  for (const s of series) {
    for (const point of s.points) {
      const i = Math.round((point.timestamp - startMs) / stepMs);
      if (i < 0 || i >= length || !Number.isFinite(point.value)) continue;
      values[i] = (Number.isNaN(values[i]) ? 0 : (values[i] as number)) + point.value;
    }
  }
  return values;
}
