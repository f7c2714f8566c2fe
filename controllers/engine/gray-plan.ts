// The IHPA gray strategy on top of the step core: a replica change from `previous` to `current`
// moves in percent steps, each step held for a while before the next. Scaling down, the pods that
// leave are first put in a gray state (Cutoff or Standby) and only removed after the observation
// period at 100 %. Pure: `now` and `lastUpdateTime` are milliseconds since the epoch.

import { evaluateStep, type StepGate } from './steps.js';

export type GrayState = 'Cutoff' | 'Standby';
export type GrayDirection = 'up' | 'down';

/** `behavior.scaleUp/scaleDown.grayStrategy` of an IHPA. */
export interface GrayStrategySpec {
  grayState?: GrayState;
  /** 1–100 */
  changePercent: number;
  /** ≥ 1 */
  changeIntervalSeconds: number;
  /** ≥ 0 */
  observationSeconds: number;
}

export interface GrayPlanInput extends GrayStrategySpec {
  /** The replica target the gray moves away from. */
  previous: number;
  /** The replica target the gray moves to. */
  current: number;
  /** status.gray.grayPercent: 0 before the first step. */
  grayPercent: number;
  /** status.gray.lastUpdateTime in ms since the epoch; undefined before the first step. */
  lastUpdateTime: number | undefined;
  now: number;
  /** Optional; when given it must agree with previous → current. */
  direction?: GrayDirection;
}

export interface GrayPlan {
  online: number;
  cutoff: number;
  standby: number;
  /** The percentage now in force (persist it with lastUpdateTime when `stepped`). */
  grayPercent: number;
  lastUpdateTime: number | undefined;
  /** This call took a step: the levels (or at least the percentage) changed. */
  stepped: boolean;
  /** The gray is over: online = current and nothing is in a gray state. */
  done: boolean;
  /** When the next step (or the end of the observation) is due; undefined once done. */
  nextStepAt: number | undefined;
}

/** How long a percentage is held before the next step, in seconds. */
export function grayWaitSeconds(grayPercent: number, strategy: GrayStrategySpec): number {
  if (grayPercent <= 0) return 0;
  if (grayPercent >= 100) return Math.max(0, strategy.observationSeconds);
  return Math.max(0, strategy.changeIntervalSeconds);
}

/** Errors in a gray strategy, naming the numbers; empty when valid. */
export function validateGrayStrategy(strategy: GrayStrategySpec): string[] {
  const errors: string[] = [];
  const { changePercent, changeIntervalSeconds, observationSeconds, grayState } = strategy;
  if (!Number.isInteger(changePercent) || changePercent < 1 || changePercent > 100) {
    errors.push(`changePercent is ${changePercent}, it must be a whole number from 1 to 100`);
  }
  if (!Number.isInteger(changeIntervalSeconds) || changeIntervalSeconds < 1) {
    errors.push(`changeIntervalSeconds is ${changeIntervalSeconds}, it must be a whole number of at least 1`);
  }
  if (!Number.isInteger(observationSeconds) || observationSeconds < 0) {
    errors.push(`observationSeconds is ${observationSeconds}, it must be a whole number and not negative`);
  }
  if (grayState !== undefined && grayState !== 'Cutoff' && grayState !== 'Standby') {
    errors.push(`grayState is "${String(grayState)}", it must be Cutoff or Standby`);
  }
  return errors;
}

function levels(input: GrayPlanInput, moved: number): { online: number; cutoff: number; standby: number } {
  if (input.current >= input.previous) {
    // Scaling up in steps: new pods come online directly, nothing waits in a gray state.
    return { online: input.previous + moved, cutoff: 0, standby: 0 };
  }
  const gray = moved;
  return {
    online: input.previous - moved,
    cutoff: input.grayState === 'Standby' ? 0 : gray,
    standby: input.grayState === 'Standby' ? gray : 0,
  };
}

/**
 * One evaluation of a gray change at time `now`. At most one step per call (each step deserves
 * its full interval even when the controller was away); a step is taken when its wait is over:
 * immediately at 0 %, after changeIntervalSeconds in between, after observationSeconds at 100 %,
 * where the gray ends with online = current. A step that leaves the counts unchanged still
 * advances the percentage and yields the next due time, so the gray never stalls.
 */
export function planGray(input: GrayPlanInput): GrayPlan {
  const { previous, current, now } = input;
  const implied: GrayDirection = current >= previous ? 'up' : 'down';
  if (input.direction !== undefined && input.direction !== implied && current !== previous) {
    throw new RangeError(`gray direction ${input.direction} does not match ${previous} → ${current}`);
  }
  const total = Math.abs(current - previous);
  const percent = Math.max(0, Math.min(100, input.grayPercent));
  if (total === 0) {
    return {
      online: current,
      cutoff: 0,
      standby: 0,
      grayPercent: percent,
      lastUpdateTime: input.lastUpdateTime,
      stepped: false,
      done: true,
      nextStepAt: undefined,
    };
  }

  const changePercent = Math.max(1, Math.min(100, Math.trunc(input.changePercent)));
  const schedule = { kind: 'percent', total, changePercent } as const;
  const waitMs = grayWaitSeconds(percent, input) * 1000;
  const gate: StepGate =
    percent === 0 || input.lastUpdateTime === undefined
      ? { kind: 'time', notBefore: now }
      : { kind: 'time', notBefore: input.lastUpdateTime + waitMs };
  const step = evaluateStep(schedule, percent, gate, now);

  if (!step.complete) {
    return {
      ...levels(input, step.goal),
      grayPercent: step.position,
      lastUpdateTime: input.lastUpdateTime,
      stepped: false,
      done: false,
      nextStepAt: step.nextStepAt,
    };
  }
  if (step.final || !step.next) {
    // 100 % held for observationSeconds: the gray pods go away, the workload settles on current.
    return {
      online: current,
      cutoff: 0,
      standby: 0,
      grayPercent: 100,
      lastUpdateTime: now,
      stepped: true,
      done: true,
      nextStepAt: undefined,
    };
  }
  const nextWaitMs = grayWaitSeconds(step.next.position, input) * 1000;
  return {
    ...levels(input, step.next.goal),
    grayPercent: step.next.position,
    lastUpdateTime: now,
    stepped: true,
    done: false,
    nextStepAt: now + nextWaitMs,
  };
}

export interface GrayRebaseInput {
  /** Pods serving now. */
  online: number;
  /** Pods in a gray state now (cutoff and standby together). */
  gray: number;
  /** The new replica target that arrived mid-gray. */
  newTarget: number;
  now: number;
}

export interface GrayRebase {
  previous: number;
  current: number;
  grayPercent: number;
  lastUpdateTime: number | undefined;
  direction: GrayDirection;
}

/**
 * Start a gray for a target that arrived while another gray was under way, from the pods' actual
 * state rather than the old target, so that no pod is needlessly cut off or brought back:
 * - newTarget at or above every pod (online + gray): all gray pods come back, then scale up from there;
 * - newTarget between online and every pod: bring back just enough gray pods now and hold the rest
 *   at 100 % for the observation period;
 * - newTarget below online: keep the gray pods gray and continue down, at the percentage that
 *   already covers them.
 * Feed the result, with the strategy of its direction and `now`, to planGray.
 */
export function rebaseGray(input: GrayRebaseInput): GrayRebase {
  const online = Math.max(0, input.online);
  const gray = Math.max(0, input.gray);
  const pods = online + gray;
  const newTarget = Math.max(0, input.newTarget);
  if (newTarget >= pods) {
    return { previous: pods, current: newTarget, grayPercent: 0, lastUpdateTime: undefined, direction: 'up' };
  }
  const delta = pods - newTarget;
  if (newTarget >= online) {
    return {
      previous: pods,
      current: newTarget,
      grayPercent: 100,
      lastUpdateTime: input.now,
      direction: 'down',
    };
  }
  if (gray === 0) {
    return {
      previous: pods,
      current: newTarget,
      grayPercent: 0,
      lastUpdateTime: undefined,
      direction: 'down',
    };
  }
  // The smallest whole percentage whose step covers the pods already gray. Below 100 pods moved
  // it names the gray count exactly; above, a whole percentage may not, and then up to 1 % of the
  // move is put in the gray state early rather than any gray pod being brought back.
  const grayPercent = Math.min(100, Math.ceil((gray * 100) / delta));
  return { previous: pods, current: newTarget, grayPercent, lastUpdateTime: input.now, direction: 'down' };
}
