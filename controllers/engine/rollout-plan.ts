// The Rollout step planner: a pure function from (plan, status, observed workload counts) to the
// next status and the actions that bring the workloads to it. The reconciler calls it again on
// every observation, so it is level-based: it only ever asks for absolute levels ("set replicas
// to 3", "set partition to 2"), emits an action only when the observation differs from the level,
// and moves past a gate only once the observation shows the level in place.

import {
  batchGoals,
  effectiveBatchSizes,
  parseIntOrPercent,
  resolveIntOrPercent,
  validateBatches,
  type BatchSizeSpec,
  type IntOrPercent,
} from './batches.js';
import { evaluateStep } from './steps.js';

export const ROLLING_STATES = [
  'locatingTargetApp',
  'verifyingSpec',
  'initializing',
  'rollingInBatches',
  'finalising',
  'rolloutFailing',
  'rolloutSucceed',
  'rolloutAbandoning',
  'rolloutFailed',
  'RolloutDeletingState',
] as const;
export type RollingState = (typeof ROLLING_STATES)[number];

export const BATCH_ROLLING_STATES = [
  'batchInitializing',
  'batchInRolling',
  'batchVerifying',
  'batchVerifyFailed',
  'batchFinalizing',
  'batchReady',
] as const;
export type BatchRollingState = (typeof BATCH_ROLLING_STATES)[number];

export type RolloutStrategy = 'IncreaseFirst' | 'DecreaseFirst';
export type RolloutWebhookType =
  'initialize-rollout' | 'pre-batch-rollout' | 'post-batch-rollout' | 'finalize-rollout';

export interface RolloutBatch extends BatchSizeSpec {
  batchRolloutWebhooks?: readonly unknown[];
}

/** The parts of `spec.rolloutPlan` the planner reads. */
export interface RolloutPlanSpec {
  rolloutStrategy?: RolloutStrategy | string;
  targetSize: number;
  numBatches?: number;
  rolloutBatches?: readonly RolloutBatch[];
  batchPartition?: number;
  paused?: boolean;
  rolloutWebhooks?: readonly { type: string }[];
}

/** The parts of the Rollout status the planner owns. */
export interface RolloutProgress {
  rollingState: RollingState;
  batchRollingState: BatchRollingState;
  currentBatch: number;
  rolloutOriginalSize: number;
  rolloutTargetSize: number;
  upgradedReplicas: number;
  upgradedReadyReplicas: number;
}

/** The status of a Rollout that has not started (same as upstream's defaults). */
export function freshRolloutProgress(): RolloutProgress {
  return {
    rollingState: 'locatingTargetApp',
    batchRollingState: 'batchInitializing',
    currentBatch: 0,
    rolloutOriginalSize: 0,
    rolloutTargetSize: -1,
    upgradedReplicas: 0,
    upgradedReadyReplicas: 0,
  };
}

/** What the workload adapter observed of one workload. */
export interface WorkloadCounts {
  name: string;
  /** spec.replicas */
  desired: number;
  /** status.readyReplicas */
  ready: number;
  /** CloneSet status.updatedReplicas */
  updated?: number;
  /** CloneSet status.updatedReadyReplicas */
  updatedReady?: number;
  /** CloneSet spec.updateStrategy.partition, when set */
  partition?: number;
  /**
   * False while the counts may predate the latest spec: the workload controller has not caught up
   * (status.observedGeneration < metadata.generation) or the cache does not yet hold the
   * reconciler's own last write. No gate opens on an unsettled workload. Default true.
   */
  settled?: boolean;
}

/**
 * How the rollout moves replicas:
 * - `acrossWorkloads`: a target Deployment grows while the source Deployment(s) shrink;
 * - `inPlace`: one CloneSet is upgraded through its update partition;
 * - `scaleOnly`: one workload changes size (same revision, new targetSize, or a first release).
 */
export type WorkloadMode = 'acrossWorkloads' | 'inPlace' | 'scaleOnly';

export interface RolloutObservation {
  mode: WorkloadMode;
  /** The workload the rollout moves replicas to; undefined while it does not exist. */
  target?: WorkloadCounts;
  /**
   * acrossWorkloads only: the workloads replicas move away from, in drain order (the first is
   * emptied first). Usually one; more when an earlier rollout was abandoned half-way, so that no
   * old workload is left behind.
   */
  sources?: readonly WorkloadCounts[];
}

export interface RolloutStepInput {
  plan: RolloutPlanSpec;
  status: RolloutProgress;
  observed: RolloutObservation;
  /** The spec names another target revision than the one this attempt rolls to. */
  targetRevisionChanged?: boolean;
  /** The spec changed since this attempt started (lets a failed rollout retry after a fix). */
  specChanged?: boolean;
  /** The Rollout is being deleted. */
  deleting?: boolean;
  /** An unrecoverable error the reconciler met (e.g. a webhook answered with an unexpected status). */
  failure?: string;
}

export type RolloutAction =
  | { type: 'createTarget'; replicas: number }
  | { type: 'setReplicas'; workload: string; replicas: number }
  | { type: 'setPartition'; workload: string; partition: number }
  | { type: 'callWebhooks'; hook: RolloutWebhookType | 'batch'; batch?: number }
  | { type: 'deleteWorkload'; workload: string };

/**
 * What a rollout waits for. `observation` (planRollout only): workloads were just changed, plan
 * again once the observation shows the change.
 */
export type RolloutWait =
  | 'target'
  | 'readiness'
  | 'batchPartition'
  | 'paused'
  | 'validSpec'
  | 'specChange'
  | 'deletion'
  | 'observation';

export interface RolloutStepResult {
  /** The status to write once every action succeeded (leave the old one if an action failed). */
  status: RolloutProgress;
  /** Apply in order; each is an absolute level or a call that is safe to repeat. */
  actions: RolloutAction[];
  /** A short CamelCase reason, suitable for an Event or a condition. */
  reason: string;
  /** A human-readable message naming the numbers. */
  message: string;
  /** The state moved on: plan again with the same observation to continue without waiting. */
  transitioned: boolean;
  /** What the rollout waits for when it did not move on. */
  waitingFor: RolloutWait | undefined;
  /** A new attempt started: the reconciler records the spec's target revision/generation for it. */
  restart: boolean;
}

const TERMINAL: readonly RollingState[] = ['rolloutSucceed', 'rolloutFailed'];
const UNDER_WAY: readonly RollingState[] = ['initializing', 'rollingInBatches', 'finalising'];

function strategyOf(plan: RolloutPlanSpec): RolloutStrategy {
  return plan.rolloutStrategy === 'DecreaseFirst' ? 'DecreaseFirst' : 'IncreaseFirst';
}

function hasWebhooks(plan: RolloutPlanSpec, type: RolloutWebhookType): boolean {
  return (plan.rolloutWebhooks ?? []).some((hook) => hook.type === type);
}

/** Sizes the rollout moves between: 0 → targetSize for an upgrade, original → target for a scale. */
function rolloutSpan(mode: WorkloadMode, status: RolloutProgress): { from: number; to: number } {
  return mode === 'scaleOnly'
    ? { from: status.rolloutOriginalSize, to: status.rolloutTargetSize }
    : { from: 0, to: status.rolloutTargetSize };
}

function planGoals(plan: RolloutPlanSpec, span: { from: number; to: number }): number[] {
  const delta = Math.abs(span.to - span.from);
  const sizes: IntOrPercent[] = effectiveBatchSizes(plan.rolloutBatches, plan.numBatches, delta);
  return batchGoals(span.from, span.to, sizes);
}

function maxUnavailableOf(plan: RolloutPlanSpec, batch: number, targetSize: number): number {
  const value = plan.rolloutBatches?.[batch]?.maxUnavailable;
  if (value === undefined || parseIntOrPercent(value).kind === 'invalid') return 0;
  return Math.max(0, resolveIntOrPercent(value, targetSize));
}

function planErrors(plan: RolloutPlanSpec, span: { from: number; to: number }): string[] {
  const errors: string[] = [];
  if (
    plan.rolloutStrategy !== undefined &&
    plan.rolloutStrategy !== 'IncreaseFirst' &&
    plan.rolloutStrategy !== 'DecreaseFirst'
  ) {
    errors.push(`rolloutStrategy is "${plan.rolloutStrategy}", it must be IncreaseFirst or DecreaseFirst`);
  }
  errors.push(
    ...validateBatches({
      original: span.from,
      target: span.to,
      rolloutBatches: plan.rolloutBatches,
      numBatches: plan.numBatches,
      batchPartition: plan.batchPartition,
    }),
  );
  return errors;
}

/**
 * Keep at most `allowance` replicas across the sources, emptying them in list order. A source
 * never grows past what the sources had when the rollout started (`originalSize`: an old revision
 * gets no new pods); below that, replicas taken from the sources outside the rollout (a person's
 * `kubectl scale` mid-rollout) are put back on the newest source, so the component keeps the
 * capacity the batch promises. An unknown original size (0) means never grow.
 */
function drainSources(
  sources: readonly WorkloadCounts[],
  allowance: number,
  originalSize: number,
): Map<string, number> {
  const levels = new Map<string, number>();
  const present = sources.reduce((sum, source) => sum + Math.max(0, source.desired), 0);
  const keepTotal = Math.min(Math.max(0, allowance), Math.max(originalSize, present));
  let left = keepTotal;
  for (let index = sources.length - 1; index >= 0; index--) {
    const source = sources[index];
    if (!source) continue;
    const keep = Math.min(Math.max(0, source.desired), left);
    levels.set(source.name, keep);
    left -= keep;
  }
  const newest = sources[sources.length - 1];
  if (left > 0 && newest) levels.set(newest.name, (levels.get(newest.name) ?? 0) + left);
  return levels;
}

interface BatchLevels {
  replicas: Map<string, number>;
  partition?: { workload: string; partition: number };
  /** The gate of the half this level set belongs to. */
  gate: boolean;
  /** Why the gate is closed, for the message. */
  waiting: string;
}

interface BatchContext {
  mode: WorkloadMode;
  strategy: RolloutStrategy;
  targetSize: number;
  originalSize: number;
  goal: number;
  maxUnavailable: number;
  target: WorkloadCounts;
  sources: readonly WorkloadCounts[];
}

/** Levels and gates of both halves of a batch: the first half moves, the second half follows. */
function batchHalves(ctx: BatchContext): { first: BatchLevels; second: BatchLevels } {
  const { target, goal, maxUnavailable, targetSize } = ctx;

  if (ctx.mode === 'scaleOnly') {
    const up = targetSize >= ctx.originalSize;
    const placed = target.desired === goal && target.settled !== false;
    const gate = placed && (up ? target.ready + maxUnavailable >= goal : target.ready <= goal);
    const waiting = up
      ? `${target.name} has ${target.ready} ready of ${goal} (maxUnavailable ${maxUnavailable})`
      : `${target.name} still has ${target.ready} ready, waiting for at most ${goal}`;
    const replicas = new Map([[target.name, goal]]);
    return { first: { replicas, gate, waiting }, second: { replicas, gate: true, waiting: '' } };
  }

  if (ctx.mode === 'inPlace') {
    const partition = Math.max(0, targetSize - goal);
    const updatedReady = target.updatedReady ?? 0;
    const placed =
      target.desired === targetSize && (target.partition ?? 0) === partition && target.settled !== false;
    const gate = placed && updatedReady + maxUnavailable >= goal;
    const waiting = `${target.name} has ${updatedReady} updated and ready of ${goal} (maxUnavailable ${maxUnavailable})`;
    const replicas = new Map([[target.name, targetSize]]);
    const levels = { replicas, partition: { workload: target.name, partition } };
    return { first: { ...levels, gate, waiting }, second: { ...levels, gate: true, waiting: '' } };
  }

  // acrossWorkloads: never shrink the target below what it already has (a revert to a workload
  // that still runs), never grow it past targetSize.
  const targetLevel = Math.max(goal, Math.min(Math.max(0, target.desired), targetSize));
  const sourceLevels = drainSources(ctx.sources, targetSize - goal, ctx.originalSize);
  const targetGate =
    target.desired === targetLevel && target.settled !== false && target.ready + maxUnavailable >= goal;
  const targetWaiting = `${target.name} has ${target.ready} ready of ${goal} (maxUnavailable ${maxUnavailable})`;
  const shrinking = ctx.sources.filter((source) => {
    const level = sourceLevels.get(source.name) ?? 0;
    return source.desired !== level || source.ready > level || source.settled === false;
  });
  const sourcesGate = shrinking.length === 0;
  const sourcesWaiting = shrinking
    .map(
      (source) =>
        `${source.name} has ${source.ready} ready, waiting for ${sourceLevels.get(source.name) ?? 0}`,
    )
    .join(', ');
  const both = new Map([...sourceLevels, [target.name, targetLevel]]);

  if (ctx.strategy === 'IncreaseFirst') {
    return {
      first: { replicas: new Map([[target.name, targetLevel]]), gate: targetGate, waiting: targetWaiting },
      second: { replicas: both, gate: sourcesGate, waiting: sourcesWaiting },
    };
  }
  return {
    first: { replicas: sourceLevels, gate: sourcesGate, waiting: sourcesWaiting },
    second: { replicas: both, gate: targetGate, waiting: targetWaiting },
  };
}

/** Actions for the levels that the observation does not show yet. */
function levelActions(levels: BatchLevels, workloads: readonly WorkloadCounts[]): RolloutAction[] {
  const actions: RolloutAction[] = [];
  for (const [workload, replicas] of levels.replicas) {
    const observed = workloads.find((candidate) => candidate.name === workload);
    if (!observed || observed.desired !== replicas) actions.push({ type: 'setReplicas', workload, replicas });
  }
  if (levels.partition) {
    const { workload, partition } = levels.partition;
    const observed = workloads.find((candidate) => candidate.name === workload);
    if (!observed || (observed.partition ?? 0) !== partition)
      actions.push({ type: 'setPartition', workload, partition });
  }
  return actions;
}

/** upgradedReplicas / upgradedReadyReplicas as the workloads will be once the levels hold. */
function upgradedCounts(
  mode: WorkloadMode,
  target: WorkloadCounts,
  targetSize: number,
  levels: BatchLevels | undefined,
): { upgradedReplicas: number; upgradedReadyReplicas: number } {
  if (mode === 'inPlace') {
    const partition = levels?.partition?.partition ?? target.partition ?? 0;
    return {
      upgradedReplicas: Math.max(0, targetSize - partition),
      upgradedReadyReplicas: target.updatedReady ?? 0,
    };
  }
  return {
    upgradedReplicas: levels?.replicas.get(target.name) ?? target.desired,
    upgradedReadyReplicas: target.ready,
  };
}

interface Outcome {
  status: RolloutProgress;
  actions?: RolloutAction[];
  reason: string;
  message: string;
  transitioned?: boolean;
  waitingFor?: RolloutWait;
  restart?: boolean;
}

function outcome(o: Outcome): RolloutStepResult {
  return {
    status: o.status,
    actions: o.actions ?? [],
    reason: o.reason,
    message: o.message,
    transitioned: o.transitioned ?? false,
    waitingFor: o.transitioned ? undefined : o.waitingFor,
    restart: o.restart ?? false,
  };
}

function restartOutcome(reason: string, message: string): RolloutStepResult {
  return outcome({ status: freshRolloutProgress(), reason, message, transitioned: true, restart: true });
}

/**
 * Plan one step of a rollout. Exactly one state transition at most; when `transitioned` is true
 * the caller may plan again at once with the returned status (see planRollout).
 */
export function planRolloutStep(input: RolloutStepInput): RolloutStepResult {
  const { plan, status, observed } = input;
  const state = status.rollingState;
  const hold = (reason: string, message: string, waitingFor: RolloutWait, actions: RolloutAction[] = []) =>
    outcome({ status, actions, reason, message, waitingFor });
  const move = (
    next: Partial<RolloutProgress>,
    reason: string,
    message: string,
    actions: RolloutAction[] = [],
  ) => outcome({ status: { ...status, ...next }, actions, reason, message, transitioned: true });

  if (input.deleting) {
    if (state === 'RolloutDeletingState')
      return hold('RolloutDeleting', 'the rollout is being deleted', 'deletion');
    return move({ rollingState: 'RolloutDeletingState' }, 'RolloutDeleting', 'the rollout is being deleted');
  }
  if (state === 'RolloutDeletingState') {
    return hold('RolloutDeleting', 'the rollout is being deleted', 'deletion');
  }

  const sizeChanged = plan.targetSize !== status.rolloutTargetSize;
  if (TERMINAL.includes(state)) {
    if (input.targetRevisionChanged) {
      return restartOutcome('RolloutStarted', 'a new target revision starts a new rollout');
    }
    if (sizeChanged) {
      return restartOutcome(
        'RolloutStarted',
        `targetSize changed from ${status.rolloutTargetSize} to ${plan.targetSize}, starting a new rollout`,
      );
    }
    if (state === 'rolloutFailed' && input.specChanged) {
      return restartOutcome('RolloutRetried', 'the rollout spec changed after a failure, trying again');
    }
    return state === 'rolloutSucceed'
      ? hold('RolloutSucceeded', `rollout finished with ${status.rolloutTargetSize} replicas`, 'specChange')
      : hold('RolloutFailed', 'rollout failed; change the spec to try again', 'specChange');
  }

  if (state === 'locatingTargetApp' || state === 'verifyingSpec') {
    if (input.targetRevisionChanged) {
      return restartOutcome('RolloutStarted', 'the target revision changed before the rollout started');
    }
  } else if (UNDER_WAY.includes(state) && (input.targetRevisionChanged || sizeChanged)) {
    const why = input.targetRevisionChanged
      ? 'the target revision changed'
      : `targetSize changed from ${status.rolloutTargetSize} to ${plan.targetSize}`;
    return move(
      { rollingState: 'rolloutAbandoning' },
      'RolloutAbandoning',
      `${why} during the rollout, abandoning it`,
    );
  }

  if (state === 'rolloutAbandoning') {
    return restartOutcome(
      'RolloutAbandoned',
      'the rollout was abandoned, starting again from the workloads as they are',
    );
  }
  if (state === 'rolloutFailing') {
    return move(
      { rollingState: 'rolloutFailed' },
      'RolloutFailed',
      'rollout failed; change the spec to try again',
    );
  }
  if (input.failure !== undefined) {
    return move({ rollingState: 'rolloutFailing' }, 'RolloutFailing', input.failure);
  }

  const { mode } = observed;
  const target = observed.target;
  const sources =
    mode === 'acrossWorkloads' ? (observed.sources ?? []).filter((s) => s.name !== target?.name) : [];

  if (state === 'locatingTargetApp') {
    if (!target) {
      return hold('TargetNotFound', 'creating the target workload with 0 replicas', 'target', [
        { type: 'createTarget', replicas: 0 },
      ]);
    }
    return move(
      { rollingState: 'verifyingSpec' },
      'TargetLocated',
      `found the target workload ${target.name}`,
    );
  }

  if (!target) {
    if (state === 'verifyingSpec' || state === 'initializing') {
      return move(
        { rollingState: 'locatingTargetApp' },
        'TargetNotFound',
        'the target workload is gone, locating it again',
      );
    }
    // Deleted mid-rollout (by a person or another controller) while the spec still asks for it:
    // failing here would leave the sources part-drained for good. Create it again and run the
    // batches anew from the workloads as they are (the sources keep serving meanwhile).
    return restartOutcome(
      'TargetLost',
      'the target workload disappeared during the rollout; creating it again and restarting the batches from the workloads as they are',
    );
  }

  if (state === 'verifyingSpec') {
    const originalSize =
      mode === 'acrossWorkloads'
        ? sources.reduce((sum, source) => sum + Math.max(0, source.desired), 0)
        : target.desired;
    const span =
      mode === 'scaleOnly' ? { from: target.desired, to: plan.targetSize } : { from: 0, to: plan.targetSize };
    const errors = planErrors(plan, span);
    if (errors.length > 0) {
      // The sizes are recorded even for a plan that failed: a failed rollout left with
      // rolloutTargetSize −1 would read as "targetSize changed" and restart at once, forever.
      return move(
        {
          rollingState: 'rolloutFailing',
          rolloutTargetSize: plan.targetSize,
          rolloutOriginalSize: originalSize,
        },
        'SpecInvalid',
        `invalid rollout plan: ${errors.join('; ')}`,
      );
    }
    return move(
      {
        rollingState: 'initializing',
        rolloutTargetSize: plan.targetSize,
        rolloutOriginalSize: originalSize,
        currentBatch: 0,
        batchRollingState: 'batchInitializing',
        upgradedReplicas: 0,
        upgradedReadyReplicas: 0,
      },
      'SpecVerified',
      `rolling out ${plan.targetSize} replicas in ${planGoals(plan, span).length} batch(es) from ${originalSize}`,
    );
  }

  if (plan.paused && (state === 'initializing' || state === 'rollingInBatches')) {
    return hold('Paused', 'the rollout is paused', 'paused');
  }

  const targetSize = status.rolloutTargetSize;

  if (state === 'initializing') {
    const actions: RolloutAction[] = [];
    if (hasWebhooks(plan, 'initialize-rollout'))
      actions.push({ type: 'callWebhooks', hook: 'initialize-rollout' });
    if (mode === 'inPlace') {
      // Hold every pod at its revision before the new template lands; batches then lower the partition.
      if (target.desired !== targetSize)
        actions.push({ type: 'setReplicas', workload: target.name, replicas: targetSize });
      if ((target.partition ?? 0) !== targetSize) {
        actions.push({ type: 'setPartition', workload: target.name, partition: targetSize });
      }
    }
    return move(
      { rollingState: 'rollingInBatches', batchRollingState: 'batchInitializing', currentBatch: 0 },
      'RolloutInitialized',
      'rollout initialized, starting batch 0',
      actions,
    );
  }

  if (state === 'finalising') {
    const actions: RolloutAction[] = [];
    if (mode === 'inPlace' && (target.partition ?? 0) !== 0) {
      actions.push({ type: 'setPartition', workload: target.name, partition: 0 });
    }
    for (const source of sources) actions.push({ type: 'deleteWorkload', workload: source.name });
    if (hasWebhooks(plan, 'finalize-rollout'))
      actions.push({ type: 'callWebhooks', hook: 'finalize-rollout' });
    const counts = upgradedCounts(mode, target, targetSize, undefined);
    const removed = sources.length > 0 ? `, deleting ${sources.map((s) => s.name).join(', ')}` : '';
    return move(
      { rollingState: 'rolloutSucceed', batchRollingState: 'batchReady', ...counts },
      'RolloutSucceeded',
      `rollout finished: ${target.name} has ${targetSize} replicas${removed}`,
      actions,
    );
  }

  // rollingInBatches
  const span = rolloutSpan(mode, status);
  const errors = planErrors(plan, span);
  if (errors.length > 0) {
    return hold(
      'SpecInvalid',
      `holding the rollout, the plan became invalid: ${errors.join('; ')}`,
      'validSpec',
    );
  }
  const goals = planGoals(plan, span);
  // Batches may have been edited during the rollout: a batch index past the end means the last one.
  const batch = Math.min(Math.max(0, status.currentBatch), goals.length - 1);
  const ctx: BatchContext = {
    mode,
    strategy: strategyOf(plan),
    targetSize,
    originalSize: status.rolloutOriginalSize,
    goal: goals[batch] ?? targetSize,
    maxUnavailable: maxUnavailableOf(plan, batch, targetSize),
    target,
    sources,
  };
  const { first, second } = batchHalves(ctx);
  const workloads = [target, ...sources];
  const label = `batch ${batch} (goal ${ctx.goal} of ${targetSize})`;
  const progress = (levels: BatchLevels, next: Partial<RolloutProgress>): Partial<RolloutProgress> => ({
    currentBatch: batch,
    ...upgradedCounts(mode, target, targetSize, levels),
    ...next,
  });
  const stay = (levels: BatchLevels, reason: string, message: string, waitingFor: RolloutWait) =>
    outcome({
      status: { ...status, ...progress(levels, {}) },
      actions: levelActions(levels, workloads),
      reason,
      message,
      waitingFor,
    });

  switch (status.batchRollingState) {
    case 'batchInitializing': {
      const actions: RolloutAction[] = [];
      if (hasWebhooks(plan, 'pre-batch-rollout'))
        actions.push({ type: 'callWebhooks', hook: 'pre-batch-rollout', batch });
      return move(
        { currentBatch: batch, batchRollingState: 'batchInRolling' },
        'BatchInitialized',
        `${label} initialized`,
        actions,
      );
    }
    case 'batchInRolling':
      return move(
        progress(first, { batchRollingState: 'batchVerifying' }),
        'BatchRolling',
        `rolling ${label}`,
        levelActions(first, workloads),
      );
    case 'batchVerifying':
    case 'batchVerifyFailed': {
      if (!first.gate) return stay(first, 'WaitingForBatch', `${label}: ${first.waiting}`, 'readiness');
      const actions = levelActions(first, workloads);
      if ((plan.rolloutBatches?.[batch]?.batchRolloutWebhooks ?? []).length > 0) {
        actions.push({ type: 'callWebhooks', hook: 'batch', batch });
      }
      return move(
        progress(first, { batchRollingState: 'batchFinalizing' }),
        'BatchVerified',
        `${label} verified`,
        actions,
      );
    }
    case 'batchFinalizing': {
      if (!second.gate) return stay(second, 'WaitingForBatch', `${label}: ${second.waiting}`, 'readiness');
      const actions = levelActions(second, workloads);
      if (hasWebhooks(plan, 'post-batch-rollout'))
        actions.push({ type: 'callWebhooks', hook: 'post-batch-rollout', batch });
      return move(
        progress(second, { batchRollingState: 'batchReady' }),
        'BatchReady',
        `${label} is ready`,
        actions,
      );
    }
    case 'batchReady': {
      const step = evaluateStep({ kind: 'goals', goals }, batch, { kind: 'readiness', ready: true }, 0);
      if (plan.batchPartition !== undefined && plan.batchPartition <= batch) {
        return stay(
          second,
          'HeldByBatchPartition',
          `${label} is ready; held by batchPartition ${plan.batchPartition} until it is raised or removed`,
          'batchPartition',
        );
      }
      if (step.final || !step.next) {
        return move(
          progress(second, { rollingState: 'finalising' }),
          'AllBatchesReady',
          'all batches are ready, finalising',
        );
      }
      return move(
        progress(second, { currentBatch: step.next.position, batchRollingState: 'batchInitializing' }),
        'BatchStarted',
        `starting batch ${step.next.position} (goal ${step.next.goal} of ${targetSize})`,
        levelActions(second, workloads),
      );
    }
  }
}

export interface RolloutPlanResult extends RolloutStepResult {
  /** Every transition taken, in order. */
  transitions: {
    from: Pick<RolloutProgress, 'rollingState' | 'batchRollingState' | 'currentBatch'>;
    reason: string;
    message: string;
  }[];
}

function mergeAction(actions: RolloutAction[], action: RolloutAction): void {
  if (action.type === 'setReplicas' || action.type === 'setPartition') {
    // A later level for the same workload supersedes the earlier one.
    const index = actions.findIndex((a) => a.type === action.type && a.workload === action.workload);
    if (index >= 0) {
      actions[index] = action;
      return;
    }
  }
  if (
    action.type === 'deleteWorkload' &&
    actions.some((a) => a.type === 'deleteWorkload' && a.workload === action.workload)
  ) {
    return;
  }
  actions.push(action);
}

function changesLevels(action: RolloutAction): boolean {
  return action.type !== 'callWebhooks';
}

/**
 * Plan as far as the current observation allows: keep taking steps while they need no new
 * observation, and return the merged actions and the status after the last step. The chain stops
 * after any step that changes a workload: later gates must be judged on an observation that shows
 * the change (a stale observation can look right by accident, e.g. a partition set to 5 and then
 * back to the 0 it was before).
 */
export function planRollout(input: RolloutStepInput, maxSteps = 64): RolloutPlanResult {
  let current: RolloutStepInput = input;
  const actions: RolloutAction[] = [];
  const transitions: RolloutPlanResult['transitions'] = [];
  let restart = false;
  let stoppedToObserve = false;
  let last: RolloutStepResult;
  for (let step = 1; ; step++) {
    last = planRolloutStep(current);
    for (const action of last.actions) mergeAction(actions, action);
    if (!last.transitioned) break;
    const needsObservation = last.actions.some(changesLevels);
    const { rollingState, batchRollingState, currentBatch } = current.status;
    transitions.push({
      from: { rollingState, batchRollingState, currentBatch },
      reason: last.reason,
      message: last.message,
    });
    // A new attempt adopts the spec as it is now.
    if (last.restart) restart = true;
    current = last.restart
      ? { ...current, status: last.status, targetRevisionChanged: false, specChanged: false }
      : { ...current, status: last.status };
    stoppedToObserve = needsObservation;
    if (needsObservation || step >= maxSteps) break;
  }
  const waitingFor = stoppedToObserve ? 'observation' : last.waitingFor;
  return { ...last, actions, restart, transitions, waitingFor };
}
