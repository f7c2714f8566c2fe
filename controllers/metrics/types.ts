// The one interface every metrics backend implements: what the reactive portrait (the KubeHPA
// algorithm) asks for, in the four shapes autoscaling/v2 metrics come in. Two backends exist:
// the Kubernetes metrics APIs (metrics.k8s.io, custom.metrics.k8s.io, external.metrics.k8s.io,
// served by metrics-server or an adapter) and Prometheus queried directly with
// Prometheus-Adapter-style rules.

import type { LabelSelector } from '../kit/labels.js';
import type { PodMetricSample, Quantity } from '../portrait/replica-calculator.js';

/** A metric name plus an optional selector on the metric's own labels (autoscaling/v2 MetricIdentifier). */
export interface MetricName {
  name: string;
  selector?: LabelSelector;
}

/** The pods a per-pod metric is asked for: the scale target's pods. */
export interface PodScope {
  namespace: string;
  /** The scale target's label selector, string form (`app=web`). */
  selector: string;
  /** Names of the pods the selector matches now (backends that query by name use these). */
  podNames: readonly string[];
}

/** autoscaling/v2 CrossVersionObjectReference. */
export interface DescribedObject {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface ObjectMetricValue {
  value: Quantity;
  timestamp?: Date;
}

export interface ExternalMetricValues {
  /** One value per matching series; the HPA arithmetic adds them up. */
  values: Quantity[];
  timestamp?: Date;
}

export interface MetricsSource {
  /** For messages: `Prometheus` or `Kubernetes metrics APIs`. */
  readonly description: string;
  /**
   * Usage of `resource` (cpu, memory) per pod, per container: the calculator sums containers for
   * Resource metrics and picks one for ContainerResource metrics.
   */
  resourceMetrics(scope: PodScope, resource: string): Promise<PodMetricSample[]>;
  /** A custom per-pod metric (autoscaling/v2 Pods). */
  podMetrics(scope: PodScope, metric: MetricName): Promise<PodMetricSample[]>;
  /** A custom metric describing one object (autoscaling/v2 Object). */
  objectMetric(namespace: string, object: DescribedObject, metric: MetricName): Promise<ObjectMetricValue>;
  /** A metric from outside the cluster (autoscaling/v2 External). */
  externalMetric(namespace: string, metric: MetricName): Promise<ExternalMetricValues>;
}

/**
 * The backend cannot serve the metric at all (no rule, no adapter, no series): the user must fix
 * the configuration, as opposed to a transient failure.
 */
export class MetricUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricUnavailableError';
  }
}

/**
 * A float from a monitoring system as an exact quantity in milli-units, the unit the HPA arithmetic
 * works in. Rounded to the nearest milli-unit: truncation (what Go's int64 conversion does) turns
 * binary float artefacts such as 0.57 × 1000 = 569.999… into a visibly wrong 569m.
 */
export function floatToQuantity(value: number, what: string): Quantity {
  if (!Number.isFinite(value)) throw new Error(`${what}: value ${value} is not a finite number`);
  return `${Math.round(value * 1000)}m`;
}
