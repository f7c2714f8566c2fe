// The IHPA decision, as one pure function: from the spec, what was observed (the IHPA's status,
// its ReplicaProfile, its HorizontalPortraits, a Rollout in progress) and the time, compute the
// ReplicaProfile the workload should follow, the status to write, the Events to record and when
// to look again. No I/O and no clock reads.
//
// How a change of the desired replicas is carried out:
// - no ReplicaProfile yet: it is created with every pod online at the desired count;
// - a new desired count: the change starts from the pods as they are (the ReplicaProfile's
//   reported counts) through the engine's rebaseGray, so a value that arrives mid-gray neither
//   cuts off nor restores a pod needlessly; with a gray strategy for its direction the engine's
//   planGray takes the first step at once, without one the profile jumps to the new count;
// - the same desired count: a gray under way takes its next step when due (planGray), and every
//   due time, including the end of the observation, is returned as the next wake-up.
// status.previousPortraitValue.replicas is the count the change under way started from (the
// previous value, or the pods as they were when a value arrived mid-gray); status.gray keeps the
// step percentage and the time of the last step, so a restarted controller continues exactly.

import { findCondition, setCondition, type Condition, type ConditionStatus } from '../kit/conditions.js';
import { planGray, rebaseGray, type GrayDirection } from '../engine/index.js';
import { decidePortrait, formatInstant } from '../portrait/index.js';
import { evaluateProviders, grayStrategyFor, validateIhpaSpec } from './providers.js';
import { REASON_FAILED_GET_SCALE, targetNotFoundMessage } from './scale-target.js';
import type {
  HorizontalPortraitStatusData,
  IhpaSpec,
  IhpaStatus,
  PortraitValueStatus,
  ReplicaCounts,
  ScaleTargetRef,
} from './types.js';

export const CONDITION_SCALING_ACTIVE = 'ScalingActive';
export const CONDITION_SCALING_LIMITED = 'ScalingLimited';
export const CONDITION_GRAY_PROGRESSING = 'GrayProgressing';

export interface ObservedReplicaProfile {
  /** spec.onlineReplicas / cutoffReplicas / standbyReplicas. */
  spec: ReplicaCounts;
  paused: boolean;
  /** The pods' states as the ReplicaProfile controller last reported them (its status). */
  status?: ReplicaCounts;
}

export interface IhpaObserved {
  status?: IhpaStatus;
  /** metadata.generation, recorded as the conditions' observedGeneration. */
  generation?: number;
  /** The ReplicaProfile named after the IHPA, when it exists. */
  replicaProfile?: ObservedReplicaProfile;
  /** status.portraitData of each Dynamic provider's HorizontalPortrait, by portraitType. */
  portraits?: ReadonlyMap<string, HorizontalPortraitStatusData | undefined>;
  /** A Rollout of the target's component that has not succeeded: it owns replicas for now. */
  rolloutInProgress?: { name: string; rollingState?: string };
  /** scaleTargetRef names a workload that does not exist (yet). */
  scaleTargetMissing?: ScaleTargetRef;
}

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface IhpaPlan {
  /** The whole status to write. */
  status: IhpaStatus;
  /** The ReplicaProfile spec counts to create or update; undefined: leave it as it is. */
  replicaProfile?: ReplicaCounts & { paused: boolean };
  /** Events to record once the ReplicaProfile write succeeded, in order. */
  events: PlannedEvent[];
  /** Reconcile again at this instant (a cron edge, a portrait change, a gray step). */
  nextWakeup?: Date;
}

export function createEventMessage(counts: ReplicaCounts): string {
  return `create ReplicaProfile with onlineReplcas: ${counts.online}, cutoffReplicas: ${counts.cutoff}, standbyReplicas: ${counts.standby}`;
}

export function updateEventMessage(from: ReplicaCounts, to: ReplicaCounts): string {
  return (
    `update ReplicaProfile with onlineReplcas: ${from.online} -> ${to.online}, ` +
    `cutoffReplicas: ${from.cutoff} -> ${to.cutoff}, standbyReplicas: ${from.standby} -> ${to.standby}`
  );
}

function sameCounts(a: ReplicaCounts, b: ReplicaCounts): boolean {
  return a.online === b.online && a.cutoff === b.cutoff && a.standby === b.standby;
}

function settled(counts: ReplicaCounts, target: number): boolean {
  return counts.online === target && counts.cutoff === 0 && counts.standby === 0;
}

function earlier(a: Date | undefined, b: number | undefined): Date | undefined {
  if (b === undefined) return a;
  if (a === undefined || b < a.getTime()) return new Date(b);
  return a;
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Gray step times keep their milliseconds: the next step is due exactly interval after the last. */
function formatGrayTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function planIhpa(spec: IhpaSpec, observed: IhpaObserved, now: Date): IhpaPlan {
  const nowMs = now.getTime();
  const events: PlannedEvent[] = [];
  const status: IhpaStatus = { ...(observed.status ?? {}) };
  let conditions: Condition[] | undefined = status.conditions;
  const rp = observed.replicaProfile;
  if (rp?.status) status.currentReplicas = { ...rp.status };

  const condition = (type: string, value: ConditionStatus, reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status: value, reason, message, observedGeneration: observed.generation },
      now,
    );
  };
  const result = (extra: Omit<IhpaPlan, 'status' | 'events'> = {}): IhpaPlan => {
    const finalStatus: IhpaStatus = { ...status };
    if (conditions !== undefined) finalStatus.conditions = conditions;
    return { status: finalStatus, events, ...extra };
  };
  /** Stop here: ScalingActive False with a Warning (recorded when the problem is new), nothing applied. */
  const stop = (reason: string, message: string, nextWakeup?: Date): IhpaPlan => {
    const existing = findCondition(conditions, CONDITION_SCALING_ACTIVE);
    if (!(existing?.status === 'False' && existing.reason === reason && existing.message === message)) {
      events.push({ type: 'Warning', reason, message });
    }
    condition(CONDITION_SCALING_ACTIVE, 'False', reason, message);
    return result(nextWakeup === undefined ? {} : { nextWakeup });
  };

  if (spec.paused) {
    condition(CONDITION_SCALING_ACTIVE, 'False', 'ScalingPaused', 'scaling is paused');
    return result(rp !== undefined && !rp.paused ? { replicaProfile: { ...rp.spec, paused: true } } : {});
  }

  const problems = validateIhpaSpec(spec, now);
  const firstProblem = problems[0];
  if (firstProblem !== undefined) {
    return stop(firstProblem.reason, problems.map((p) => p.message).join('; '));
  }

  if (observed.rolloutInProgress !== undefined) {
    const { name, rollingState } = observed.rolloutInProgress;
    condition(
      CONDITION_SCALING_ACTIVE,
      'False',
      'RolloutInProgress',
      `Rollout ${name} owns the replicas until it succeeds (rollingState: ${rollingState ?? 'not reported yet'})`,
    );
    return result();
  }

  // Nothing to scale: say so once; the workload's appearance (a watch event) brings the next look.
  if (observed.scaleTargetMissing !== undefined) {
    return stop(REASON_FAILED_GET_SCALE, targetNotFoundMessage(observed.scaleTargetMissing));
  }

  const evaluation = evaluateProviders(spec, observed.portraits ?? new Map(), now);
  if (evaluation.errors.length > 0) {
    return stop(
      'FailedUpdateAndFetchPortraitValue',
      `failed to update and fetch portrait value: ${evaluation.errors.join('; ')}`,
      evaluation.wakeup,
    );
  }
  const decision = decidePortrait({
    candidates: evaluation.candidates,
    now,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
  });
  if (!decision.valid) return stop(decision.reason, decision.message, evaluation.wakeup);

  const target = decision.desiredReplicas;
  const { winner, scalingLimited } = decision;
  condition(CONDITION_SCALING_LIMITED, scalingLimited.status, scalingLimited.reason, scalingLimited.message);
  const value: PortraitValueStatus = {
    provider: winner.provider,
    replicas: target,
    ...(winner.expireTime ? { expireTime: formatInstant(winner.expireTime) } : {}),
  };
  const old = status.currentPortraitValue;
  const targetChanged = old === undefined || old.replicas !== target;
  status.currentPortraitValue = value;
  let nextWakeup = evaluation.wakeup;

  if (spec.scaleMode === 'Preview') {
    if (targetChanged && old !== undefined) status.previousPortraitValue = old;
    delete status.gray;
    condition(
      CONDITION_SCALING_ACTIVE,
      'True',
      'SucceededAutoscaling',
      'preview mode: the portrait value is computed and nothing is applied',
    );
    return result(nextWakeup === undefined ? {} : { nextWakeup });
  }

  let counts: ReplicaCounts;
  if (rp === undefined) {
    if (targetChanged && old !== undefined) status.previousPortraitValue = old;
    delete status.gray;
    counts = { online: target, cutoff: 0, standby: 0 };
  } else if (targetChanged) {
    const pods = rp.status ?? rp.spec;
    const rebase = rebaseGray({
      online: pods.online,
      gray: pods.cutoff + pods.standby,
      newTarget: target,
      now: nowMs,
    });
    const strategy = grayStrategyFor(spec, rebase.direction);
    if (strategy === undefined) {
      if (old !== undefined) status.previousPortraitValue = old;
      delete status.gray;
      counts = { online: target, cutoff: 0, standby: 0 };
    } else {
      status.previousPortraitValue = {
        provider: old?.provider ?? value.provider,
        replicas: rebase.previous,
        ...(old?.expireTime ? { expireTime: old.expireTime } : {}),
      };
      const plan = planGray({ ...strategy, ...rebase, current: target, now: nowMs });
      counts = { online: plan.online, cutoff: plan.cutoff, standby: plan.standby };
      status.gray = {
        grayPercent: plan.grayPercent,
        lastUpdateTime: formatGrayTime(plan.lastUpdateTime ?? nowMs),
      };
      if (!plan.done) nextWakeup = earlier(nextWakeup, plan.nextStepAt);
    }
  } else {
    counts = { online: target, cutoff: 0, standby: 0 };
    const previous = status.previousPortraitValue;
    const gray = status.gray;
    if (
      previous !== undefined &&
      gray !== undefined &&
      previous.replicas !== target &&
      !settled(rp.spec, target)
    ) {
      const direction: GrayDirection = target > previous.replicas ? 'up' : 'down';
      const strategy = grayStrategyFor(spec, direction);
      if (strategy !== undefined) {
        const plan = planGray({
          ...strategy,
          previous: previous.replicas,
          current: target,
          grayPercent: gray.grayPercent,
          lastUpdateTime: parseTime(gray.lastUpdateTime),
          now: nowMs,
          direction,
        });
        counts = { online: plan.online, cutoff: plan.cutoff, standby: plan.standby };
        // The end of the gray keeps the time 100 % was reached: status then says when it began.
        if (plan.stepped && !plan.done) {
          status.gray = {
            grayPercent: plan.grayPercent,
            lastUpdateTime: formatGrayTime(plan.lastUpdateTime ?? nowMs),
          };
        }
        if (!plan.done) nextWakeup = earlier(nextWakeup, plan.nextStepAt);
      }
    }
  }

  if (rp === undefined) {
    events.push({ type: 'Normal', reason: 'CreateReplicaProfile', message: createEventMessage(counts) });
  } else if (!sameCounts(rp.spec, counts)) {
    events.push({
      type: 'Normal',
      reason: 'UpdateReplicaProfile',
      message: updateEventMessage(rp.spec, counts),
    });
  }

  if (settled(counts, target)) {
    condition(
      CONDITION_GRAY_PROGRESSING,
      'False',
      'ReplicasMatchPortrait',
      `all ${target} replicas of the portrait value are online and no pod is in a gray state`,
    );
  } else {
    condition(
      CONDITION_GRAY_PROGRESSING,
      'True',
      'ReplicasNotMatchPortrait',
      `moving to ${target} online replicas: now ${counts.online} online, ${counts.cutoff} cut off, ${counts.standby} on standby`,
    );
  }
  condition(
    CONDITION_SCALING_ACTIVE,
    'True',
    'SucceededAutoscaling',
    'the replicas follow the portrait value',
  );
  return result({
    replicaProfile: { ...counts, paused: false },
    ...(nextWakeup === undefined ? {} : { nextWakeup }),
  });
}
