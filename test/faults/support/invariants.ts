// Invariants of a component under rollout, checked on every watch event while a fault test runs
// (not only at the end): from a pod watch, ready pods never fall below the floor; from a
// Deployment watch, the replicas asked for (and the pods that exist) never exceed the ceiling, and
// no Deployment of the component is ever without its ownerReference to the Rollout; from a
// Rollout watch, the Rollout is never without its ownerReference to the Application.
//
// The test sets the bounds of each step before it starts it (setBounds) and relaxes them while a
// fault it injects itself breaks them on purpose (a person deleting ready pods with their
// Deployment): the controller is judged, not the fault.
import type { Kube, KubeObjectLike } from './kube.js';

export const COMPONENT_LABEL = 'app.oam.dev/component';

export interface Bounds {
  /** Ready pods of the component never fewer. */
  floor: number;
  /** spec.replicas summed over the component's Deployments, and its live pods, never more. */
  ceiling: number;
}

export interface Violation {
  at: string;
  step: string;
  what: string;
}

interface Pod extends KubeObjectLike {
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface Deployment extends KubeObjectLike {
  metadata?: KubeObjectLike['metadata'] & { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number };
}

/**
 * A Deployment or ReplicaSet whose controller has acted on its latest spec and whose pods match
 * it: a change a person made a moment ago can still be on its way down this chain (Deployment →
 * ReplicaSet → pods) after the Deployment's spec is back, and would add pods later.
 */
export function caughtUp(workload: Deployment): boolean {
  const generation = workload.metadata?.generation ?? 0;
  return (
    (workload.status?.observedGeneration ?? 0) >= generation &&
    (workload.status?.replicas ?? 0) === (workload.spec?.replicas ?? 0)
  );
}

export function isReady(pod: Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

/**
 * Bounds of one IncreaseFirst rollout step from `from` to `to` replicas: ready pods stay at
 * min(from, to) − maxUnavailable, and at most one batch is added on top of max(from, to).
 */
export function stepBounds(from: number, to: number, largestBatch: number, maxUnavailable = 0): Bounds {
  return {
    floor: Math.max(0, Math.min(from, to) - maxUnavailable),
    ceiling: Math.max(from, to) + largestBatch,
  };
}

/** The largest number of replicas one batch moves, for batches given as counts (or one batch). */
export function largestBatch(from: number, to: number, batches?: number[]): number {
  if (!batches || batches.length === 0) return Math.abs(to - from);
  return Math.max(...batches);
}

export class InvariantMonitor {
  readonly violations: Violation[] = [];
  /** Watch events the invariants were checked on. */
  samples = 0;
  /** Times a watch had to list again (an outage, a 410). */
  resets = 0;
  maxReadySeen = 0;
  minReadySeen = Number.POSITIVE_INFINITY;
  private bounds?: Bounds;
  private step = 'setup';
  private readonly pods = new Map<string, Pod>();
  private readonly deployments = new Map<string, Deployment>();
  private readonly replicaSets = new Map<string, Deployment>();
  private readonly handles: Array<{ stop(): void }> = [];
  private synced = { pods: false, deployments: false, replicaSets: false };
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly component: string,
    private readonly application?: string,
  ) {
    const selector = `${COMPONENT_LABEL}=${component}`;
    const track = <T extends KubeObjectLike>(
      path: string,
      map: Map<string, T>,
      which: 'pods' | 'deployments' | 'replicaSets',
      labelSelector: string | undefined,
    ) =>
      kube.watch<T>(
        path,
        {
          onReset: (items) => {
            if (this.synced[which]) this.resets++;
            map.clear();
            for (const item of items) map.set(item.metadata?.name ?? '', item);
            this.synced[which] = true;
            this.check();
          },
          onEvent: (type, obj) => {
            if (type === 'DELETED') map.delete(obj.metadata?.name ?? '');
            else map.set(obj.metadata?.name ?? '', obj);
            this.check();
          },
        },
        { labelSelector },
      );
    this.handles.push(track(`/api/v1/namespaces/${namespace}/pods`, this.pods, 'pods', selector));
    this.handles.push(
      track(`/apis/apps/v1/namespaces/${namespace}/deployments`, this.deployments, 'deployments', selector),
    );
    this.handles.push(
      track(`/apis/apps/v1/namespaces/${namespace}/replicasets`, this.replicaSets, 'replicaSets', selector),
    );
    if (application) {
      this.handles.push(
        kube.watch<KubeObjectLike>(`/apis/standard.oam.dev/v1alpha1/namespaces/${namespace}/rollouts`, {
          onReset: (items) => items.forEach((r) => this.checkRollout(r)),
          onEvent: (type, r) => {
            if (type !== 'DELETED') this.checkRollout(r);
          },
        }),
      );
    }
  }

  /** The bounds from now on (a step starts), named in any violation. */
  setBounds(step: string, bounds: Bounds): void {
    this.step = step;
    this.bounds = bounds;
    this.check();
  }

  /** No bounds while a fault the test injects breaks them itself; ownership is still checked. */
  relax(step: string): void {
    this.step = step;
    this.bounds = undefined;
  }

  readyPods(): number {
    return [...this.pods.values()].filter(isReady).length;
  }

  /** True when the component is inside `bounds` right now (as the watches show it). */
  within(bounds: Bounds): boolean {
    const { ready, live, asked } = this.counts();
    return ready >= bounds.floor && live <= bounds.ceiling && asked <= bounds.ceiling;
  }

  /**
   * Sets `bounds` once the component is back inside them (checked on every watch event), e.g.
   * after a fault the test injected itself; false if that did not happen in time (bounds set anyway).
   */
  rearm(step: string, bounds: Bounds, timeoutMs = 60000): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        this.setBounds(step, bounds);
        resolve(ok);
      };
      const check = () => {
        // Also settled: exactly the pods the Deployments ask for, and every Deployment and
        // ReplicaSet caught up with its spec (a ReplicaSet still acting on the injected change
        // would otherwise add or remove pods after the bounds are back).
        const { ready, live, asked, deployments } = this.counts();
        const replicaSets = [...this.replicaSets.values()].filter((r) => !r.metadata?.deletionTimestamp);
        if (
          this.synced.pods &&
          this.synced.deployments &&
          this.synced.replicaSets &&
          this.within(bounds) &&
          live === asked &&
          ready === asked &&
          deployments.every(caughtUp) &&
          replicaSets.every(caughtUp)
        )
          done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  stop(): void {
    for (const h of this.handles) h.stop();
  }

  summary(): string {
    return `${this.samples} samples, ${this.resets} relists, ready pods seen ${this.minReadySeen}..${this.maxReadySeen}, ${this.violations.length} violations`;
  }

  private violate(what: string): void {
    // One entry per distinct breach and step, so a long breach does not flood the report.
    const last = this.violations[this.violations.length - 1];
    if (last?.what === what && last.step === this.step) return;
    this.violations.push({ at: new Date().toISOString(), step: this.step, what });
  }

  private counts(): { ready: number; live: number; asked: number; deployments: Deployment[]; shape: string } {
    const ready = this.readyPods();
    const live = [...this.pods.values()].filter((p) => !p.metadata?.deletionTimestamp).length;
    const deployments = [...this.deployments.values()].filter((d) => !d.metadata?.deletionTimestamp);
    const asked = deployments.reduce((sum, d) => sum + (d.spec?.replicas ?? 0), 0);
    const shape = deployments.map((d) => `${d.metadata?.name}=${d.spec?.replicas ?? 0}`).join(',');
    return { ready, live, asked, deployments, shape };
  }

  private check(): void {
    if (!this.synced.pods || !this.synced.deployments) return;
    for (const waiter of [...this.waiters]) waiter();
    this.samples++;
    const { ready, live, asked, deployments, shape } = this.counts();
    this.minReadySeen = Math.min(this.minReadySeen, ready);
    this.maxReadySeen = Math.max(this.maxReadySeen, ready);
    if (this.bounds) {
      if (ready < this.bounds.floor)
        this.violate(`ready pods ${ready} < floor ${this.bounds.floor} (deployments ${shape})`);
      if (asked > this.bounds.ceiling)
        this.violate(`replicas asked ${asked} > ceiling ${this.bounds.ceiling} (deployments ${shape})`);
      if (live > this.bounds.ceiling)
        this.violate(`live pods ${live} > ceiling ${this.bounds.ceiling} (deployments ${shape})`);
    }
    for (const d of deployments) {
      const owned = (d.metadata?.ownerReferences ?? []).some((ref) => ref.kind === 'Rollout');
      if (!owned) this.violate(`Deployment ${d.metadata?.name} has no ownerReference to a Rollout`);
    }
  }

  private checkRollout(rollout: KubeObjectLike): void {
    if (rollout.metadata?.name !== this.component || rollout.metadata.deletionTimestamp) return;
    const owned = (rollout.metadata.ownerReferences ?? []).some(
      (ref) => ref.kind === 'Application' && ref.name === this.application,
    );
    if (!owned)
      this.violate(`Rollout ${this.component} has no ownerReference to Application ${this.application}`);
  }
}
