// The IHPA's portrait providers, evaluated at one instant: what each provider proposes, when any
// proposal can next change (so the controller sets one timer instead of polling), and what is
// wrong with the spec. Pure: no I/O, time is an argument.

import { validateGrayStrategy, type GrayStrategySpec } from '../engine/index.js';
import {
  compileCrons,
  cronWindowValue,
  nextAfter,
  nextCronWakeup,
  portraitDataValueAt,
  staticPortraitValue,
  type CompiledCron,
  type HorizontalPortraitData,
  type MetricSpec,
  type PortraitCandidate,
} from '../portrait/index.js';
import type {
  DynamicPortraitSpec,
  HorizontalPortraitStatusData,
  IhpaGrayStrategy,
  IhpaSpec,
  PortraitProviderSpec,
} from './types.js';

/** `<ihpa>-<portraitType>`, lower-cased: the HorizontalPortrait a Dynamic provider reads. */
export function horizontalPortraitName(ihpaName: string, portraitType: string): string {
  return `${ihpaName}-${portraitType}`.toLowerCase();
}

/** The provider identifier Dynamic values carry in status (e.g. `Dynamic-Predictive`). */
export function dynamicProviderId(portraitType: string): string {
  return `Dynamic-${portraitType}`;
}

/** How a provider is named in messages: `Cron provider (priority 2)`. */
export function describeProvider(provider: PortraitProviderSpec): string {
  const kind =
    provider.type === 'Dynamic' && provider.dynamic
      ? `Dynamic ${provider.dynamic.portraitType} provider`
      : `${provider.type} provider`;
  return `${kind} (priority ${provider.priority})`;
}

/** status.portraitData as the pure portrait functions take it (times as Dates). */
export function toPortraitData(data: HorizontalPortraitStatusData): HorizontalPortraitData {
  const converted: HorizontalPortraitData = { type: data.type as HorizontalPortraitData['type'] };
  if (data.static) converted.static = data.static;
  if (data.cron) converted.cron = data.cron;
  if (data.timeSeries) converted.timeSeries = data.timeSeries;
  if (data.expireTime) converted.expireTime = new Date(data.expireTime);
  return converted;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** How far ahead cron windows are checked for overlaps, and how many windows per cron at most. */
export const CRON_OVERLAP_HORIZON_MS = 24 * 3600_000;
const CRON_OVERLAP_MAX_WINDOWS = 48;

/**
 * The first overlap between windows of different crons that is under way at `from` or starts
 * within `horizonMs`, as a message naming both crons; undefined when there is none. Two
 * half-open windows overlap exactly when the later start lies inside the other window, so
 * evaluating every cron at each upcoming start (and at `from`) finds every overlap.
 */
export function findCronOverlap(
  crons: readonly CompiledCron[],
  from: Date,
  horizonMs = CRON_OVERLAP_HORIZON_MS,
): string | undefined {
  if (crons.length < 2) return undefined;
  const limit = from.getTime() + horizonMs;
  // Cron windows open and close on whole minutes, so an overlap under way at `from` is under way
  // at the start of its minute too; naming that instant keeps the message (and so the status)
  // the same for every reconcile within the minute instead of changing with the milliseconds.
  const instants = [new Date(Math.floor(from.getTime() / 60_000) * 60_000)];
  for (const cron of crons) {
    let at = from;
    for (let i = 0; i < CRON_OVERLAP_MAX_WINDOWS; i++) {
      at = nextAfter(cron.start, at, cron.zone);
      if (at.getTime() > limit) break;
      instants.push(at);
    }
  }
  instants.sort((a, b) => a.getTime() - b.getTime());
  for (const instant of instants) {
    try {
      cronWindowValue(crons, instant);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

const KNOWN_RESOURCES = new Set(['cpu', 'memory']);

function metricTargetSet(target: { value?: unknown; averageValue?: unknown; averageUtilization?: unknown }) {
  return (
    target.value !== undefined || target.averageValue !== undefined || target.averageUtilization !== undefined
  );
}

/** Problems with a Dynamic provider's metrics that no portrait controller could get past. */
export function validateDynamicMetrics(dynamic: DynamicPortraitSpec): string[] {
  const errors: string[] = [];
  const metrics: MetricSpec[] = dynamic.metrics ?? [];
  const kubeHpa = dynamic.algorithm.type === 'KubeHPA';
  metrics.forEach((metric, index) => {
    const where = `metrics[${index}]`;
    switch (metric.type) {
      case 'Resource':
      case 'ContainerResource': {
        const source = metric.type === 'Resource' ? metric.resource : metric.containerResource;
        if (source === undefined) {
          errors.push(
            `${where}: a ${metric.type} metric needs its ${metric.type === 'Resource' ? 'resource' : 'containerResource'} section`,
          );
          break;
        }
        if (!KNOWN_RESOURCES.has(source.name)) {
          errors.push(`${where}: unknown resource metric "${source.name}" (supported: cpu, memory)`);
        }
        if (kubeHpa && !metricTargetSet(source.target ?? {})) {
          errors.push(
            `${where}: the ${source.name} metric has no target value, averageValue or averageUtilization`,
          );
        }
        break;
      }
      case 'Pods':
      case 'Object':
      case 'External': {
        const section =
          metric.type === 'Pods' ? metric.pods : metric.type === 'Object' ? metric.object : metric.external;
        if (section === undefined) {
          errors.push(`${where}: a ${metric.type} metric needs its ${metric.type.toLowerCase()} section`);
          break;
        }
        if (!section.metric?.name) errors.push(`${where}: the ${metric.type} metric has no metric name`);
        if (kubeHpa && !metricTargetSet(section.target ?? {})) {
          errors.push(
            `${where}: the ${metric.type} metric ${section.metric?.name ?? ''} has no target value or averageValue`.replace(
              '  ',
              ' ',
            ),
          );
        }
        break;
      }
      default:
        errors.push(`${where}: unknown metric type "${String(metric.type)}"`);
    }
  });
  if (kubeHpa && metrics.length === 0) errors.push('the KubeHPA algorithm needs at least one metric');
  return errors;
}

function grayStrategySpec(strategy: IhpaGrayStrategy, direction: 'up' | 'down'): GrayStrategySpec {
  return {
    // Scaling up leaves nothing in a gray state; its grayState (Online) is not a pod state to set.
    ...(direction === 'down' ? { grayState: strategy.grayState as GrayStrategySpec['grayState'] } : {}),
    changePercent: strategy.changePercent,
    changeIntervalSeconds: strategy.changeIntervalSeconds,
    observationSeconds: strategy.observationSeconds ?? 0,
  };
}

/** The engine's view of the gray strategy for a direction, or undefined when there is none. */
export function grayStrategyFor(spec: IhpaSpec, direction: 'up' | 'down'): GrayStrategySpec | undefined {
  const strategy =
    direction === 'up' ? spec.behavior?.scaleUp?.grayStrategy : spec.behavior?.scaleDown?.grayStrategy;
  return strategy === undefined ? undefined : grayStrategySpec(strategy, direction);
}

export interface SpecProblem {
  /** ScalingActive reason: InvalidSpec for the IHPA's own fields, FailedUpdateAndFetchPortraitValue for providers. */
  reason: 'InvalidSpec' | 'FailedUpdateAndFetchPortraitValue';
  message: string;
}

/**
 * Everything wrong with the spec, checked before anything is evaluated: replica bounds, gray
 * strategies, provider sections, crons (syntax, time zones, duplicate names, windows that overlap
 * now or within the next day) and Dynamic metrics. Empty when the spec can be acted on.
 */
export function validateIhpaSpec(spec: IhpaSpec, now: Date): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const invalid = (message: string) => problems.push({ reason: 'InvalidSpec', message });
  const provider = (p: PortraitProviderSpec, message: string) =>
    problems.push({
      reason: 'FailedUpdateAndFetchPortraitValue',
      message: `failed to update and fetch portrait value: ${describeProvider(p)}: ${message}`,
    });

  if (spec.minReplicas > spec.maxReplicas) {
    invalid(`minReplicas ${spec.minReplicas} is greater than maxReplicas ${spec.maxReplicas}`);
  }
  for (const direction of ['up', 'down'] as const) {
    const strategy = grayStrategyFor(spec, direction);
    if (strategy === undefined) continue;
    const field = direction === 'up' ? 'behavior.scaleUp.grayStrategy' : 'behavior.scaleDown.grayStrategy';
    for (const error of validateGrayStrategy(strategy)) invalid(`${field}: ${error}`);
  }
  if (spec.portraitProviders.length === 0) invalid('portraitProviders is empty');

  const seenTypes = new Set<string>();
  for (const p of spec.portraitProviders) {
    switch (p.type) {
      case 'Static':
        if (p.static === undefined) provider(p, 'the static section is missing');
        break;
      case 'Cron': {
        if (p.cron === undefined || p.cron.crons.length === 0) {
          provider(p, 'cron.crons is empty');
          break;
        }
        let compiled: CompiledCron[];
        try {
          compiled = compileCrons(p.cron.crons);
        } catch (error) {
          provider(p, (error as Error).message);
          break;
        }
        const overlap = findCronOverlap(compiled, now);
        if (overlap !== undefined) provider(p, overlap);
        break;
      }
      case 'Dynamic': {
        if (p.dynamic === undefined) {
          provider(p, 'the dynamic section is missing');
          break;
        }
        const type = p.dynamic.portraitType.toLowerCase();
        if (seenTypes.has(type))
          provider(p, `portraitType ${p.dynamic.portraitType} is used by another Dynamic provider`);
        seenTypes.add(type);
        for (const error of validateDynamicMetrics(p.dynamic)) provider(p, error);
        break;
      }
      default:
        provider(p, `unknown portrait provider type "${p.type}"`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface ProviderEvaluation {
  /** One entry per provider, in spec order (undefined: nothing to say now). */
  candidates: (PortraitCandidate | undefined)[];
  /** The earliest instant after `now` at which any provider's proposal can change. */
  wakeup?: Date;
  /** Providers that could not be evaluated (messages name the provider). */
  errors: string[];
}

function earlier(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/**
 * Every provider's proposal at `now`. `portraits` holds status.portraitData of each Dynamic
 * provider's HorizontalPortrait, keyed by portraitType (absent: not generated yet → no value).
 */
export function evaluateProviders(
  spec: IhpaSpec,
  portraits: ReadonlyMap<string, HorizontalPortraitStatusData | undefined>,
  now: Date,
): ProviderEvaluation {
  const candidates: (PortraitCandidate | undefined)[] = [];
  const errors: string[] = [];
  let wakeup: Date | undefined;
  for (const p of spec.portraitProviders) {
    try {
      switch (p.type) {
        case 'Static': {
          candidates.push({ ...staticPortraitValue(p.static?.replicas ?? 0), priority: p.priority });
          break;
        }
        case 'Cron': {
          const compiled = compileCrons(p.cron?.crons ?? []);
          const active = cronWindowValue(compiled, now);
          wakeup = earlier(wakeup, nextCronWakeup(compiled, now));
          candidates.push(
            active === undefined
              ? undefined
              : {
                  provider: 'Cron',
                  replicas: active.replicas,
                  expireTime: active.expireTime,
                  priority: p.priority,
                },
          );
          break;
        }
        case 'Dynamic': {
          const type = p.dynamic?.portraitType ?? '';
          const data = portraits.get(type);
          if (data === undefined) {
            candidates.push(undefined);
            break;
          }
          const reading = portraitDataValueAt(dynamicProviderId(type), toPortraitData(data), now);
          wakeup = earlier(wakeup, reading.wakeup);
          candidates.push(
            reading.value === undefined ? undefined : { ...reading.value, priority: p.priority },
          );
          break;
        }
        default:
          candidates.push(undefined);
          errors.push(`${describeProvider(p)}: unknown portrait provider type "${p.type}"`);
      }
    } catch (error) {
      candidates.push(undefined);
      errors.push(`${describeProvider(p)}: ${(error as Error).message}`);
    }
  }
  return wakeup === undefined ? { candidates, errors } : { candidates, errors, wakeup };
}
