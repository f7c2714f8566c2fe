// The generic core of the batch engine: "move N units from one side to the other in steps,
// each step gated by readiness or by time". Both the Rollout planner (explicit batch goals,
// readiness gates) and the IHPA gray strategy (percent steps, time gates) are built on it.
// Pure: no I/O, no clock reads; time is an argument in milliseconds since the epoch.

/**
 * A gate that must open before the engine moves past a step.
 * - `readiness`: the caller evaluated a readiness predicate (e.g. "ready + maxUnavailable ≥ goal").
 * - `time`: the step may not be left before `notBefore` (ms since epoch).
 */
export type StepGate = { kind: 'readiness'; ready: boolean } | { kind: 'time'; notBefore: number };

/**
 * How the total is split into steps.
 * - `goals`: explicit cumulative amounts moved after each step (the Rollout's batches). Positions are
 *   step indexes 0..n−1; position −1 means "no step taken yet" (goal 0).
 * - `percent`: positions are percentages 0..100 of `total`; each step adds `changePercent`
 *   (the IHPA gray strategy). Position 0 means nothing moved yet.
 */
export type StepSchedule =
  { kind: 'goals'; goals: readonly number[] } | { kind: 'percent'; total: number; changePercent: number };

export interface StepEvaluation {
  /** The position in force (clamped into the schedule). */
  position: number;
  /** Cumulative units moved at this position. */
  goal: number;
  /** Whether the gate guarding this position has opened. */
  complete: boolean;
  /** Whether this is the schedule's last position (the whole total has moved). */
  final: boolean;
  /** The position to take once this one is complete; undefined at the last position. */
  next: { position: number; goal: number } | undefined;
  /**
   * When the gate opens, for a time gate that is still closed: an absolute time so the caller can
   * schedule a timer exactly. Undefined for readiness gates (they open on an observation) and for
   * gates that are already open.
   */
  nextStepAt: number | undefined;
}

/**
 * Running sums of step sizes, clamped to `total`; the last step always lands exactly on `total`.
 * No sizes means a single step of the whole total.
 */
export function cumulativeGoals(total: number, sizes: readonly number[]): number[] {
  const whole = Math.max(0, total);
  if (sizes.length === 0) return [whole];
  const goals: number[] = [];
  let moved = 0;
  sizes.forEach((size, index) => {
    if (index === sizes.length - 1) {
      moved = whole;
    } else {
      moved = Math.min(whole, moved + Math.max(0, size));
    }
    goals.push(moved);
  });
  return goals;
}

/**
 * Units moved once `percent` of `total` has been reached: at least one unit as soon as any
 * percentage applies (so a small total still makes progress), never more than the total.
 */
export function percentGoal(total: number, percent: number): number {
  if (total <= 0 || percent <= 0) return 0;
  const clamped = Math.min(100, percent);
  return Math.min(total, Math.max(1, Math.floor((total * clamped) / 100)));
}

/** The percentage after one more step: percent + changePercent, capped at 100. */
export function nextPercent(percent: number, changePercent: number): number {
  return Math.min(100, Math.max(0, percent) + Math.max(1, changePercent));
}

/** Levels of both sides after `moved` units went from `from` to `to`. */
export function sidesAfterMoving(
  start: { from: number; to: number },
  moved: number,
): { from: number; to: number } {
  return { from: start.from - moved, to: start.to + moved };
}

function gateOpen(gate: StepGate, now: number): boolean {
  return gate.kind === 'readiness' ? gate.ready : now >= gate.notBefore;
}

/**
 * Evaluate the step at `position` of `schedule`: its goal, whether its gate has opened, the next
 * step and, for a closed time gate, when it opens.
 */
export function evaluateStep(
  schedule: StepSchedule,
  position: number,
  gate: StepGate,
  now: number,
): StepEvaluation {
  const complete = gateOpen(gate, now);
  const nextStepAt = gate.kind === 'time' && !complete ? gate.notBefore : undefined;

  if (schedule.kind === 'goals') {
    const last = schedule.goals.length - 1;
    const at = Math.max(-1, Math.min(last, Math.trunc(position)));
    const goal = at < 0 ? 0 : (schedule.goals[at] ?? 0);
    const final = at === last;
    const next = final ? undefined : { position: at + 1, goal: schedule.goals[at + 1] ?? goal };
    return { position: at, goal, complete, final, next, nextStepAt };
  }

  const at = Math.max(0, Math.min(100, position));
  const goal = percentGoal(schedule.total, at);
  const final = at >= 100;
  let next: StepEvaluation['next'];
  if (!final) {
    const nextAt = nextPercent(at, schedule.changePercent);
    next = { position: nextAt, goal: percentGoal(schedule.total, nextAt) };
  }
  return { position: at, goal, complete, final, next, nextStepAt };
}
