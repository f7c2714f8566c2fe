/**
 * The Kubernetes HPA replica calculation (the "KubeHPA" reactive algorithm) as one pure function:
 * `calculateReplicas`. Everything it needs — metric specs, pods, samples, current replicas and
 * the time — comes in as arguments; it reads no clock and performs no I/O.
 *
 * The rules, per metric, follow the upstream HPA controller:
 *
 * - Usage ratio = current usage / target. When |1 − ratio| ≤ tolerance the proposal is the current
 *   replica count (no change).
 * - Per-pod metrics (Resource, ContainerResource, Pods) first sort the pods:
 *   - pods being deleted or Failed are ignored entirely;
 *   - Pending pods are "unready";
 *   - pods without a sample are "missing";
 *   - for CPU only, a pod is also "unready" when it has no Ready condition or no start time;
 *     or, while within the CPU initialization period after its start, when it is not Ready or its
 *     sample does not yet cover one full window since it became Ready; or, after that period, when
 *     it is not Ready and turned not-Ready within the initial readiness delay after starting
 *     (it has never been Ready);
 *   - all others are ready.
 *   The ratio is computed over the ready pods' samples. With no missing pods and no unready pods
 *   that matter (unready pods matter only on a scale-up), proposal = ceil(ratio × ready pods).
 *   Otherwise missing pods are counted at 100 % of the target (of the request for utilization, or
 *   the target itself when that is above 100 %) on a scale-down and 0 on a scale-up, unready pods
 *   at 0 on a scale-up, and the ratio is recomputed: if it is now within tolerance or points the
 *   other way, no change; else proposal = ceil(new ratio × counted pods), unless that number
 *   itself moves against the ratio's direction (then no change).
 * - Object / External with a Value target: ratio = value / target (External sums its series);
 *   proposal = ceil(ratio × Running-and-Ready pods), or ceil(ratio) when current replicas is 0.
 * - Object / External with an AverageValue target: ratio = value / (target × status replicas);
 *   outside tolerance proposal = ceil(value / target), else status replicas.
 *
 * Across metrics the result is the largest proposal. Metrics that cannot be computed are
 * reported; if all fail, or some fail and the others would scale down, the result is an error
 * (scaling down on partial information could remove capacity a failed metric would need).
 *
 * Units: every value is converted to exact integer milli-units as Kubernetes does, and the
 * utilization percentage and per-pod averages are truncated to integers like upstream, so results
 * match the Kubernetes controller for the same inputs.
 */
import { quantityToMilli, type Quantity } from './quantity.js';

export type { Quantity } from './quantity.js';

// ---------------------------------------------------------------------------------------------
// Inputs (autoscaling/v2 MetricSpec shape)
// ---------------------------------------------------------------------------------------------

export interface MetricTarget {
  /** `Utilization`, `Value` or `AverageValue` (informational: the set field decides, as upstream). */
  type?: string;
  value?: Quantity;
  averageValue?: Quantity;
  /** Percent of the pods' request. */
  averageUtilization?: number;
}

export interface MetricIdentifier {
  name: string;
  selector?: unknown;
}

export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External' | (string & {});
  /** Optional name (an IHPA extension; used by the predictive algorithm). */
  name?: string;
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  object?: {
    describedObject: { apiVersion?: string; kind: string; name: string };
    metric: MetricIdentifier;
    target: MetricTarget;
  };
  external?: { metric: MetricIdentifier; target: MetricTarget };
}

export interface PodContainerSnapshot {
  name: string;
  /** Resource requests, e.g. `{ cpu: '250m', memory: '64Mi' }`. */
  requests?: Readonly<Record<string, Quantity>>;
  /** For init containers: `Always` marks a sidecar, whose requests count like a regular container's. */
  restartPolicy?: string;
}

export interface PodSnapshot {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | (string & {});
  /** Status of the Ready condition; absent when the pod has no Ready condition. */
  ready?: boolean | 'Unknown';
  /** lastTransitionTime of the Ready condition. */
  readyTransitionTime?: Date;
  startTime?: Date;
  deletionTimestamp?: Date;
  containers: readonly PodContainerSnapshot[];
  initContainers?: readonly PodContainerSnapshot[];
}

export interface PodMetricSample {
  pod: string;
  timestamp: Date;
  /** The window the sample averages over; default 60 s. */
  windowSeconds?: number;
  /** The pod's value (Pods metrics, or a Resource sample already summed over containers). */
  value?: Quantity;
  /** Per-container values (Resource sums them; ContainerResource picks the named one). */
  containers?: readonly { name: string; value: Quantity }[];
}

/** What was fetched for one metric (aligned by index with `metrics`). */
export type MetricObservation =
  | { kind: 'pods'; samples: readonly PodMetricSample[] }
  | { kind: 'object'; value: Quantity; timestamp?: Date }
  | { kind: 'external'; values: readonly Quantity[]; timestamp?: Date }
  | { kind: 'failed'; error: string };

export interface ReplicaCalculationInput {
  metrics: readonly MetricSpec[];
  /** One observation per metric, same order; a missing entry counts as a failed fetch. */
  observations: readonly (MetricObservation | undefined)[];
  /** The pods selected by the scale target's selector. */
  pods: readonly PodSnapshot[];
  /** The scale target's spec.replicas. */
  currentReplicas: number;
  /** The scale target's status.replicas (used by AverageValue Object/External targets); default currentReplicas. */
  statusReplicas?: number;
  now: Date;
  /** Default 0.1. */
  tolerance?: number;
  /** Default 300 (5 m). */
  cpuInitializationPeriodSeconds?: number;
  /** Default 30. */
  initialReadinessDelaySeconds?: number;
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

export interface MetricProposal {
  index: number;
  /** A readable name, e.g. `cpu resource utilization (percentage of request)`. */
  metric: string;
  replicas: number;
  /** The usage ratio the proposal came from (before any missing/unready adjustment). */
  usageRatio: number;
  /** Current utilization in percent of request (utilization targets). */
  currentAverageUtilization?: number;
  /** Current average per pod in milli-units (average-value targets). */
  currentAverageMilli?: number;
  /** Current value in milli-units (value targets). */
  currentValueMilli?: number;
}

export interface MetricFailure {
  index: number;
  metric: string;
  message: string;
}

export type ReplicaCalculationResult =
  | {
      ok: true;
      /** The largest proposal over all metrics. */
      replicas: number;
      /** The metric that produced it. */
      metric: string;
      proposals: MetricProposal[];
      failures: MetricFailure[];
    }
  | {
      ok: false;
      error: string;
      proposals: MetricProposal[];
      failures: MetricFailure[];
    };

export const DEFAULT_TOLERANCE = 0.1;
export const DEFAULT_CPU_INITIALIZATION_PERIOD_SECONDS = 300;
export const DEFAULT_INITIAL_READINESS_DELAY_SECONDS = 30;
const DEFAULT_SAMPLE_WINDOW_SECONDS = 60;

class MetricComputationError extends Error {}

function failWith(message: string): never {
  throw new MetricComputationError(message);
}

// ---------------------------------------------------------------------------------------------
// The calculation
// ---------------------------------------------------------------------------------------------

/**
 * Computes the desired replica count for `input.metrics` the way the Kubernetes HPA does (see the
 * module comment for the rules). Never throws for bad metric data: per-metric problems are
 * reported in `failures`, and the overall result is `{ ok: false }` when all metrics fail, or
 * some fail while the rest would scale below `currentReplicas`.
 */
export function calculateReplicas(input: ReplicaCalculationInput): ReplicaCalculationResult {
  const context: CalculationContext = {
    pods: input.pods,
    currentReplicas: input.currentReplicas,
    statusReplicas: input.statusReplicas ?? input.currentReplicas,
    nowMs: input.now.getTime(),
    tolerance: input.tolerance ?? DEFAULT_TOLERANCE,
    cpuInitializationPeriodMs:
      (input.cpuInitializationPeriodSeconds ?? DEFAULT_CPU_INITIALIZATION_PERIOD_SECONDS) * 1000,
    initialReadinessDelayMs:
      (input.initialReadinessDelaySeconds ?? DEFAULT_INITIAL_READINESS_DELAY_SECONDS) * 1000,
  };

  const proposals: MetricProposal[] = [];
  const failures: MetricFailure[] = [];
  if (input.metrics.length === 0) {
    return { ok: false, error: 'no metrics to calculate the replica count from', proposals, failures };
  }

  input.metrics.forEach((spec, index) => {
    const metric = describeMetric(spec);
    try {
      const observation = input.observations[index];
      if (observation === undefined) failWith('no observation was supplied for this metric');
      if (observation.kind === 'failed') failWith(observation.error);
      proposals.push({ index, metric, ...computeForMetric(spec, observation, context) });
    } catch (err) {
      failures.push({ index, metric, message: (err as Error).message });
    }
  });

  let best: MetricProposal | undefined;
  for (const proposal of proposals) {
    if (best === undefined || proposal.replicas > best.replicas) best = proposal;
  }

  const firstFailure = failures[0];
  if (firstFailure !== undefined && (best === undefined || best.replicas < input.currentReplicas)) {
    return {
      ok: false,
      error: `invalid metrics (${failures.length} invalid out of ${input.metrics.length}), first error is: ${firstFailure.metric}: ${firstFailure.message}`,
      proposals,
      failures,
    };
  }
  // With no failures there is at least one proposal, since there is at least one metric.
  const chosen = best as MetricProposal;
  return { ok: true, replicas: chosen.replicas, metric: chosen.metric, proposals, failures };
}

interface CalculationContext {
  pods: readonly PodSnapshot[];
  currentReplicas: number;
  statusReplicas: number;
  nowMs: number;
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

type ProposalBody = Omit<MetricProposal, 'index' | 'metric'>;

/** The readable metric names upstream uses in conditions and events. */
export function describeMetric(spec: MetricSpec): string {
  switch (spec.type) {
    case 'Resource': {
      const r = spec.resource;
      if (r === undefined) return 'resource metric';
      return r.target.averageValue !== undefined
        ? `${r.name} resource`
        : `${r.name} resource utilization (percentage of request)`;
    }
    case 'ContainerResource': {
      const r = spec.containerResource;
      if (r === undefined) return 'container resource metric';
      return r.target.averageValue !== undefined
        ? `${r.name} container resource`
        : `${r.name} container resource utilization (percentage of request)`;
    }
    case 'Pods':
      return `pods metric ${spec.pods?.metric.name ?? ''}`.trimEnd();
    case 'Object':
      return spec.object === undefined
        ? 'object metric'
        : `${spec.object.describedObject.kind} metric ${spec.object.metric.name}`;
    case 'External':
      return `external metric ${spec.external?.metric.name ?? ''}`.trimEnd();
    default:
      return `${spec.type} metric`;
  }
}

function computeForMetric(
  spec: MetricSpec,
  observation: Exclude<MetricObservation, { kind: 'failed' }>,
  context: CalculationContext,
): ProposalBody {
  switch (spec.type) {
    case 'Resource': {
      const source = spec.resource ?? failWith('metric of type Resource has no resource section');
      return computeResource(source.name, undefined, source.target, observation, context);
    }
    case 'ContainerResource': {
      const source =
        spec.containerResource ??
        failWith('metric of type ContainerResource has no containerResource section');
      return computeResource(source.name, source.container, source.target, observation, context);
    }
    case 'Pods': {
      const source = spec.pods ?? failWith('metric of type Pods has no pods section');
      if (source.target.averageValue === undefined) {
        failWith('invalid pods metric source: no average value target was set');
      }
      const samples = podSamples(observation, undefined, 'Pods');
      return computePlainPerPod(samples, quantityToMilli(source.target.averageValue), undefined, context);
    }
    case 'Object': {
      const source = spec.object ?? failWith('metric of type Object has no object section');
      if (observation.kind !== 'object') failWith(`expected an object observation, got ${observation.kind}`);
      return computeSingleValue(quantityToMilli(observation.value), source.target, 'object', context);
    }
    case 'External': {
      const source = spec.external ?? failWith('metric of type External has no external section');
      if (observation.kind !== 'external')
        failWith(`expected an external observation, got ${observation.kind}`);
      const total = observation.values.reduce<bigint>((sum, v) => sum + quantityToMilli(v), 0n);
      return computeSingleValue(total, source.target, 'external', context);
    }
    default:
      return failWith(`unknown metric source type "${spec.type}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// Per-pod metrics
// ---------------------------------------------------------------------------------------------

interface PodSampleValue {
  value: bigint;
  timestampMs: number;
  windowMs: number;
}

/**
 * One value per pod (milli-units) from the observation. Resource samples sum their containers
 * (a pod with no container values is treated as missing); ContainerResource samples take the
 * named container, and a pod whose sample lacks it is an error, as upstream.
 */
function podSamples(
  observation: Exclude<MetricObservation, { kind: 'failed' }>,
  container: string | undefined,
  metricType: string,
): Map<string, PodSampleValue> {
  if (observation.kind !== 'pods') {
    failWith(`expected per-pod samples for a ${metricType} metric, got ${observation.kind}`);
  }
  const values = new Map<string, PodSampleValue>();
  for (const sample of observation.samples) {
    let value: bigint | undefined;
    if (container !== undefined) {
      const entry = sample.containers?.find((c) => c.name === container);
      if (entry === undefined)
        failWith(`container "${container}" not present in metrics for pod "${sample.pod}"`);
      value = quantityToMilli(entry.value);
    } else if (sample.value !== undefined) {
      value = quantityToMilli(sample.value);
    } else if (sample.containers !== undefined && sample.containers.length > 0) {
      value = sample.containers.reduce<bigint>((sum, c) => sum + quantityToMilli(c.value), 0n);
    }
    if (value === undefined) continue;
    values.set(sample.pod, {
      value,
      timestampMs: sample.timestamp.getTime(),
      windowMs: (sample.windowSeconds ?? DEFAULT_SAMPLE_WINDOW_SECONDS) * 1000,
    });
  }
  return values;
}

interface PodGroups {
  /** Pods whose samples count as they are. */
  ready: Set<string>;
  /** Pending pods, and (CPU only) pods whose samples cannot be trusted yet: 0 on a scale-up. */
  unready: Set<string>;
  /** Pods without a sample: 100 % of target on a scale-down, 0 on a scale-up. */
  missing: Set<string>;
  /** Deleted or failed pods: left out entirely. */
  ignored: Set<string>;
}

/** Sorts pods into ready / unready / missing / ignored (upstream `groupPods`). */
function groupPods(
  samples: Map<string, PodSampleValue>,
  isCpu: boolean,
  context: CalculationContext,
): PodGroups {
  const groups: PodGroups = { ready: new Set(), unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of context.pods) {
    if (pod.deletionTimestamp !== undefined || pod.phase === 'Failed') {
      groups.ignored.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      groups.unready.add(pod.name);
      continue;
    }
    const sample = samples.get(pod.name);
    if (sample === undefined) {
      groups.missing.add(pod.name);
      continue;
    }
    if (isCpu && cpuSampleUntrusted(pod, sample, context)) {
      groups.unready.add(pod.name);
      continue;
    }
    groups.ready.add(pod.name);
  }
  return groups;
}

/**
 * Whether a pod's CPU sample should be set aside: CPU usage right after start-up is often a
 * burst unrelated to load, so it is only trusted once the pod is Ready and a full sample window
 * has passed since then — or, after the initialization period, unless the pod has never been Ready.
 */
function cpuSampleUntrusted(pod: PodSnapshot, sample: PodSampleValue, context: CalculationContext): boolean {
  if (pod.ready === undefined || pod.startTime === undefined) return true;
  const startMs = pod.startTime.getTime();
  // A Ready condition without a transition time reads as "long ago", like a zero time upstream.
  const transitionMs = pod.readyTransitionTime?.getTime() ?? Number.NEGATIVE_INFINITY;
  const notReady = pod.ready === false;
  if (startMs + context.cpuInitializationPeriodMs > context.nowMs) {
    return notReady || sample.timestampMs < transitionMs + sample.windowMs;
  }
  // Not ready, and it turned not-ready within the readiness delay after starting: never been Ready.
  return notReady && startMs + context.initialReadinessDelayMs > transitionMs;
}

/** Sum of the requests of `resource` per pod (only `container` when given), in milli-units. */
function podRequests(
  pods: readonly PodSnapshot[],
  resource: string,
  container: string | undefined,
): Map<string, bigint> {
  const requests = new Map<string, bigint>();
  for (const pod of pods) {
    let sum = 0n;
    const sidecars = (pod.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
    for (const c of [...pod.containers, ...sidecars]) {
      if (container !== undefined && c.name !== container) continue;
      const request = c.requests?.[resource];
      if (request === undefined)
        failWith(`missing request for ${resource} in container "${c.name}" of pod "${pod.name}"`);
      sum += quantityToMilli(request);
    }
    requests.set(pod.name, sum);
  }
  return requests;
}

function withinTolerance(ratio: number, context: CalculationContext): boolean {
  return Math.abs(1.0 - ratio) <= context.tolerance;
}

/** The recomputed ratio points the other way than the first one. */
function flipsDirection(ratio: number, newRatio: number): boolean {
  return (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0);
}

function computeResource(
  resource: string,
  container: string | undefined,
  target: MetricTarget,
  observation: Exclude<MetricObservation, { kind: 'failed' }>,
  context: CalculationContext,
): ProposalBody {
  const metricType = container === undefined ? 'Resource' : 'ContainerResource';
  // An average-value target wins over a utilization target when both are set, as upstream.
  if (target.averageValue !== undefined) {
    const samples = podSamples(observation, container, metricType);
    return computePlainPerPod(samples, quantityToMilli(target.averageValue), resource, context);
  }
  if (target.averageUtilization === undefined) {
    failWith(
      'invalid resource metric source: neither an average utilization target nor an average value target was set',
    );
  }
  const targetUtilization = target.averageUtilization;
  if (!(targetUtilization > 0))
    failWith(`target average utilization must be positive, got ${targetUtilization}`);
  const samples = podSamples(observation, container, metricType);
  return computeUtilization(samples, resource, container, targetUtilization, context);
}

function utilizationOf(
  values: Map<string, bigint>,
  requests: Map<string, bigint>,
  resource: string,
  targetUtilization: number,
): { ratio: number; utilization: number } {
  let usageTotal = 0n;
  let requestTotal = 0n;
  for (const [pod, value] of values) {
    usageTotal += value;
    requestTotal += requests.get(pod) ?? 0n;
  }
  if (requestTotal === 0n) failWith(`the ${resource} requests of the measured pods add up to zero`);
  // Whole percent, truncated, as upstream.
  const utilization = Number((usageTotal * 100n) / requestTotal);
  return { ratio: utilization / targetUtilization, utilization };
}

function computeUtilization(
  samples: Map<string, PodSampleValue>,
  resource: string,
  container: string | undefined,
  targetUtilization: number,
  context: CalculationContext,
): ProposalBody {
  if (context.pods.length === 0) failWith('no pods to calculate the replica count from');
  const groups = groupPods(samples, resource === 'cpu', context);
  const values = new Map<string, bigint>();
  for (const pod of groups.ready) values.set(pod, (samples.get(pod) as PodSampleValue).value);
  if (values.size === 0) failWith('no metrics for any ready pod (pods might be unready)');

  const requests = podRequests(context.pods, resource, container);
  const { ratio, utilization } = utilizationOf(values, requests, resource, targetUtilization);
  const proposal = (replicas: number): ProposalBody => ({
    replicas,
    usageRatio: ratio,
    currentAverageUtilization: utilization,
  });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(ratio, context)) return proposal(context.currentReplicas);
    return proposal(Math.ceil(ratio * groups.ready.size));
  }

  if (groups.missing.size > 0) {
    if (ratio < 1.0) {
      // Assume the missing pods use their whole request (or the target, when it is above 100 %).
      const fallbackPercent = BigInt(Math.max(100, Math.trunc(targetUtilization)));
      for (const pod of groups.missing) values.set(pod, ((requests.get(pod) ?? 0n) * fallbackPercent) / 100n);
    } else if (ratio > 1.0) {
      for (const pod of groups.missing) values.set(pod, 0n);
    }
  }
  if (scaleUpWithUnready) {
    for (const pod of groups.unready) values.set(pod, 0n);
  }

  const newRatio = utilizationOf(values, requests, resource, targetUtilization).ratio;
  if (withinTolerance(newRatio, context) || flipsDirection(ratio, newRatio)) {
    return proposal(context.currentReplicas);
  }
  const newReplicas = Math.ceil(newRatio * values.size);
  if (
    (newRatio < 1.0 && newReplicas > context.currentReplicas) ||
    (newRatio > 1.0 && newReplicas < context.currentReplicas)
  ) {
    return proposal(context.currentReplicas);
  }
  return proposal(newReplicas);
}

function averageOf(values: Map<string, bigint>): bigint {
  let total = 0n;
  for (const value of values.values()) total += value;
  // Truncated per-pod average, as upstream.
  return total / BigInt(values.size);
}

/** Average-value per-pod metrics: Pods metrics and Resource/ContainerResource average-value targets. */
function computePlainPerPod(
  samples: Map<string, PodSampleValue>,
  targetMilli: bigint,
  resource: string | undefined,
  context: CalculationContext,
): ProposalBody {
  if (targetMilli <= 0n) failWith(`target average value must be positive, got ${targetMilli}m`);
  if (context.pods.length === 0) failWith('no pods to calculate the replica count from');
  const groups = groupPods(samples, resource === 'cpu', context);
  const values = new Map<string, bigint>();
  for (const pod of groups.ready) values.set(pod, (samples.get(pod) as PodSampleValue).value);
  if (values.size === 0) failWith('no metrics for any ready pod (pods might be unready)');

  const average = averageOf(values);
  const ratio = Number(average) / Number(targetMilli);
  const proposal = (replicas: number): ProposalBody => ({
    replicas,
    usageRatio: ratio,
    currentAverageMilli: Number(average),
  });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(ratio, context)) return proposal(context.currentReplicas);
    return proposal(Math.ceil(ratio * groups.ready.size));
  }

  if (groups.missing.size > 0) {
    // Scale-down: missing pods sit exactly at the target; otherwise they count as idle.
    const assumed = ratio < 1.0 ? targetMilli : 0n;
    for (const pod of groups.missing) values.set(pod, assumed);
  }
  if (scaleUpWithUnready) {
    for (const pod of groups.unready) values.set(pod, 0n);
  }

  const newRatio = Number(averageOf(values)) / Number(targetMilli);
  if (withinTolerance(newRatio, context) || flipsDirection(ratio, newRatio)) {
    return proposal(context.currentReplicas);
  }
  const newReplicas = Math.ceil(newRatio * values.size);
  if (
    (newRatio < 1.0 && newReplicas > context.currentReplicas) ||
    (newRatio > 1.0 && newReplicas < context.currentReplicas)
  ) {
    return proposal(context.currentReplicas);
  }
  return proposal(newReplicas);
}

// ---------------------------------------------------------------------------------------------
// Object and External metrics
// ---------------------------------------------------------------------------------------------

function readyRunningPodCount(context: CalculationContext): number {
  if (context.pods.length === 0) failWith('no pods to calculate the replica count from');
  return context.pods.filter((p) => p.phase === 'Running' && p.ready === true).length;
}

/**
 * Which target an Object or External metric uses. Object metrics go by `target.type` (falling
 * back to whichever field is set when the type is absent); External metrics prefer the average
 * value when both are set — both as upstream does.
 */
function singleValueTargetKind(target: MetricTarget, kind: 'object' | 'external'): 'value' | 'average' {
  const hasValue = target.value !== undefined;
  const hasAverage = target.averageValue !== undefined;
  if (kind === 'object') {
    if (target.type === 'Value' && hasValue) return 'value';
    if (target.type === 'AverageValue' && hasAverage) return 'average';
    if (target.type === undefined && hasValue) return 'value';
    if (target.type === undefined && hasAverage) return 'average';
  } else {
    if (hasAverage) return 'average';
    if (hasValue) return 'value';
  }
  return failWith(
    `invalid ${kind} metric source: neither a value target nor an average value target was set`,
  );
}

function computeSingleValue(
  valueMilli: bigint,
  target: MetricTarget,
  kind: 'object' | 'external',
  context: CalculationContext,
): ProposalBody {
  if (singleValueTargetKind(target, kind) === 'value') {
    const targetMilli = quantityToMilli(target.value as Quantity);
    if (targetMilli <= 0n) failWith(`target value must be positive, got ${targetMilli}m`);
    const ratio = Number(valueMilli) / Number(targetMilli);
    let replicas: number;
    if (context.currentReplicas === 0) {
      // Scaled to zero there are no pods to count: go to ceil(ratio), zero included.
      replicas = Math.ceil(ratio);
    } else if (withinTolerance(ratio, context)) {
      replicas = context.currentReplicas;
    } else {
      replicas = Math.ceil(ratio * readyRunningPodCount(context));
    }
    return { replicas, usageRatio: ratio, currentValueMilli: Number(valueMilli) };
  }

  const targetMilli = quantityToMilli(target.averageValue as Quantity);
  if (targetMilli <= 0n) failWith(`target average value must be positive, got ${targetMilli}m`);
  const statusReplicas = context.statusReplicas;
  const ratio = Number(valueMilli) / (Number(targetMilli) * statusReplicas);
  const replicas = withinTolerance(ratio, context)
    ? statusReplicas
    : Math.ceil(Number(valueMilli) / Number(targetMilli));
  const result: ProposalBody = { replicas, usageRatio: ratio };
  if (statusReplicas > 0) result.currentAverageMilli = Math.ceil(Number(valueMilli) / statusReplicas);
  return result;
}
