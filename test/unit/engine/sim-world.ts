// A tiny simulated cluster for driving the rollout planner in tests: workloads with pods that
// become ready at a chosen tick. Creation and deletion are instant; readiness is delayed by a
// caller-supplied function so tests can make it immediate or random.

import {
  planRollout,
  type RolloutAction,
  type RolloutObservation,
  type RolloutPlanResult,
  type RolloutPlanSpec,
  type RolloutProgress,
  type RolloutStepInput,
  type WorkloadCounts,
  type WorkloadMode,
} from '../../../controllers/engine/index.js';

interface SimPod {
  readyAt: number;
  /** For in-place workloads: whether the pod runs the update revision. */
  updated: boolean;
}

interface SimWorkload {
  desired: number;
  partition: number;
  /** In-place workloads only: whether the template is the new revision. */
  inPlace: boolean;
  pods: SimPod[];
}

export type ReadinessDelay = () => number;

export class SimWorld {
  tick = 0;
  readonly workloads = new Map<string, SimWorkload>();
  /** Every (name, desired) ever set, for checking safety properties after the fact. */
  readonly history: { tick: number; totalDesired: number; totalReady: number }[] = [];

  constructor(private readonly delay: ReadinessDelay = () => 0) {}

  /** A workload whose pods are all ready (optionally in-place, all at the old revision). */
  addReady(name: string, replicas: number, inPlace = false): void {
    const pods = Array.from({ length: replicas }, () => ({ readyAt: this.tick, updated: false }));
    this.workloads.set(name, { desired: replicas, partition: 0, inPlace, pods });
  }

  has(name: string): boolean {
    return this.workloads.has(name);
  }

  /** In-place upgrade begins: the template changes; the partition keeps old pods where they are. */
  startInPlaceUpgrade(name: string): void {
    const workload = this.workloads.get(name);
    if (!workload) throw new Error(`no workload ${name}`);
    // Every pod now runs the old revision. Nothing restarts until the partition is next applied,
    // which the planner lowers batch by batch (the reconciler sets the partition before the template).
    workload.inPlace = true;
    for (const pod of workload.pods) pod.updated = false;
  }

  observe(name: string): WorkloadCounts | undefined {
    const workload = this.workloads.get(name);
    if (!workload) return undefined;
    const ready = workload.pods.filter((pod) => pod.readyAt <= this.tick);
    return {
      name,
      desired: workload.desired,
      ready: ready.length,
      updated: workload.pods.filter((pod) => pod.updated).length,
      updatedReady: ready.filter((pod) => pod.updated).length,
      partition: workload.partition,
    };
  }

  counts(name: string): { desired: number; ready: number } | undefined {
    const observed = this.observe(name);
    return observed && { desired: observed.desired, ready: observed.ready };
  }

  totals(): { desired: number; ready: number } {
    let desired = 0;
    let ready = 0;
    for (const name of this.workloads.keys()) {
      const observed = this.observe(name);
      desired += observed?.desired ?? 0;
      ready += observed?.ready ?? 0;
    }
    return { desired, ready };
  }

  private newPod(updated: boolean): SimPod {
    return { readyAt: this.tick + Math.max(0, this.delay()), updated };
  }

  /** Bring pods in line with desired and partition, like a workload controller would. */
  private reconcile(workload: SimWorkload): void {
    while (workload.pods.length < workload.desired) {
      const old = workload.pods.filter((pod) => !pod.updated).length;
      workload.pods.push(this.newPod(workload.inPlace ? old >= workload.partition : true));
    }
    while (workload.pods.length > workload.desired) {
      // Remove an unready pod first, else the newest.
      const unready = workload.pods.findIndex((pod) => pod.readyAt > this.tick);
      workload.pods.splice(unready >= 0 ? unready : workload.pods.length - 1, 1);
    }
    if (workload.inPlace) {
      const wantUpdated = Math.max(0, workload.pods.length - workload.partition);
      for (const pod of workload.pods) {
        if (workload.pods.filter((p) => p.updated).length >= wantUpdated) break;
        if (!pod.updated) {
          // Updated in place: the pod restarts and is unready until its delay passes.
          pod.updated = true;
          pod.readyAt = this.tick + Math.max(0, this.delay());
        }
      }
    }
  }

  apply(actions: readonly RolloutAction[], targetName: string): void {
    for (const action of actions) {
      switch (action.type) {
        case 'createTarget':
          if (!this.workloads.has(targetName)) {
            this.workloads.set(targetName, {
              desired: action.replicas,
              partition: 0,
              inPlace: false,
              pods: [],
            });
          }
          break;
        case 'setReplicas': {
          const workload = this.workloads.get(action.workload);
          if (!workload) throw new Error(`setReplicas on missing ${action.workload}`);
          workload.desired = action.replicas;
          this.reconcile(workload);
          break;
        }
        case 'setPartition': {
          const workload = this.workloads.get(action.workload);
          if (!workload) throw new Error(`setPartition on missing ${action.workload}`);
          workload.partition = action.partition;
          this.reconcile(workload);
          break;
        }
        case 'deleteWorkload':
          this.workloads.delete(action.workload);
          break;
        case 'callWebhooks':
          break;
      }
    }
    this.record();
  }

  record(): void {
    const totals = this.totals();
    this.history.push({ tick: this.tick, totalDesired: totals.desired, totalReady: totals.ready });
  }

  /** Advance to the next tick at which a pod becomes ready; false when nothing is pending. */
  advance(): boolean {
    let next = Infinity;
    for (const workload of this.workloads.values()) {
      for (const pod of workload.pods) if (pod.readyAt > this.tick) next = Math.min(next, pod.readyAt);
    }
    if (next === Infinity) return false;
    this.tick = next;
    this.record();
    return true;
  }
}

export interface DriveOptions {
  plan: RolloutPlanSpec;
  status: RolloutProgress;
  mode: WorkloadMode;
  target: string;
  sources?: readonly string[];
  targetRevisionChanged?: boolean;
  /** Upper bound on planner calls before the test gives up. */
  maxCalls?: number;
  /** Called after every planner call, once its actions are applied (for invariants). */
  onPlan?: (result: RolloutPlanResult, world: SimWorld) => void;
  /** Called with every planner input and result before the actions are applied. */
  beforeApply?: (input: RolloutStepInput, result: RolloutPlanResult) => void;
}

export interface DriveOutcome {
  status: RolloutProgress;
  calls: number;
  last: RolloutPlanResult;
}

export function observation(
  world: SimWorld,
  mode: WorkloadMode,
  target: string,
  sources: readonly string[],
): RolloutObservation {
  return {
    mode,
    target: world.observe(target),
    sources: sources
      .map((name) => world.observe(name))
      .filter((counts): counts is WorkloadCounts => counts !== undefined),
  };
}

/**
 * Plan, apply, and let pods become ready, until the rollout ends or holds (batchPartition, pause,
 * a terminal state) with nothing left to become ready.
 */
export function drive(world: SimWorld, options: DriveOptions): DriveOutcome {
  const maxCalls = options.maxCalls ?? 500;
  let status = options.status;
  let targetRevisionChanged = options.targetRevisionChanged ?? false;
  for (let calls = 1; calls <= maxCalls; calls++) {
    const input: RolloutStepInput = {
      plan: options.plan,
      status,
      observed: observation(world, options.mode, options.target, options.sources ?? []),
      targetRevisionChanged,
    };
    const result = planRollout(input);
    options.beforeApply?.(input, result);
    if (result.restart) targetRevisionChanged = false;
    world.apply(result.actions, options.target);
    options.onPlan?.(result, world);
    const moved = JSON.stringify(result.status) !== JSON.stringify(status) || result.actions.length > 0;
    status = result.status;
    if (moved) continue;
    if (result.waitingFor === 'readiness' && world.advance()) continue;
    return { status, calls, last: result };
  }
  throw new Error(
    `rollout did not settle within ${maxCalls} planner calls (state ${JSON.stringify(status)})`,
  );
}
