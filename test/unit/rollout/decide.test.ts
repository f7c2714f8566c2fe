// The reconciler's decisions (attempt record, mode, target size, template-first for in-place
// workloads) driving the engine against the simulated cluster, reconcile after reconcile, the
// way controllers/rollout/reconciler.ts does it minus the API calls.

import { planRollout, type RolloutPlanResult } from '../../../controllers/engine/index.js';
import { attemptAfter, decide, type ObservedWorkload } from '../../../controllers/rollout/plan-input.js';
import { rolloutStatus } from '../../../controllers/rollout/status.js';
import type { Rollout, RolloutPlan } from '../../../controllers/rollout/types.js';
import { SimWorld } from '../engine/sim-world.js';

class Harness {
  readonly world = new SimWorld(() => 1);
  /** The revision each workload's template came from (its app.oam.dev/revision label). */
  readonly revisions = new Map<string, string>();
  readonly ihpa = new Set<string>();
  /** Every decision taken, for assertions about order. */
  readonly log: string[] = [];
  rollout: Rollout;

  constructor(
    readonly component: string,
    readonly inPlace: boolean,
  ) {
    this.rollout = {
      apiVersion: 'standard.oam.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: component, namespace: 'ns', uid: 'uid', generation: 0 },
      spec: { targetRevisionName: '', componentName: component, rolloutPlan: { targetSize: 0 } },
    };
  }

  /** The user (or the Application controller) changes the spec: the generation moves. */
  apply(targetRevisionName: string, rolloutPlan: RolloutPlan): void {
    this.rollout = {
      ...this.rollout,
      metadata: { ...this.rollout.metadata, generation: (this.rollout.metadata.generation ?? 0) + 1 },
      spec: { ...this.rollout.spec, targetRevisionName, rolloutPlan: structuredClone(rolloutPlan) },
    };
  }

  private observe(name: string): ObservedWorkload | undefined {
    const counts = this.world.observe(name);
    return counts && { counts, revision: this.revisions.get(name), ihpa: this.ihpa.has(name) };
  }

  /** Reconciles until nothing moves and no pod is left to turn ready. */
  settle(maxCalls = 300): RolloutPlanResult {
    for (let call = 0; call < maxCalls; call++) {
      const spec = this.rollout.spec;
      const targetName = this.inPlace ? this.component : spec.targetRevisionName;
      const sources = this.inPlace
        ? []
        : [...this.world.workloads.keys()]
            .filter((name) => name !== targetName)
            .map((name) => this.observe(name) as ObservedWorkload);
      const decision = decide({
        rollout: this.rollout,
        inPlace: this.inPlace,
        target: this.observe(targetName),
        sources,
      });
      if (decision.templateFirst) {
        const { revision, hold } = decision.templateFirst;
        const desired = this.world.observe(targetName)?.desired ?? 0;
        this.log.push(`template ${revision} hold ${hold} (replicas ${desired})`);
        // One atomic write in the reconciler: partition raised, then the template changes.
        this.world.apply([{ type: 'setPartition', workload: targetName, partition: hold }], targetName);
        this.world.startInPlaceUpgrade(targetName);
        this.revisions.set(targetName, revision);
        continue;
      }
      const result = planRollout(decision.input);
      for (const action of result.actions) {
        if (action.type === 'createTarget') this.revisions.set(targetName, spec.targetRevisionName);
        if (action.type === 'setPartition') this.log.push(`partition ${action.partition}`);
      }
      this.world.apply(result.actions, targetName);
      const attempt = attemptAfter(decision.comparison, result, String(this.rollout.metadata.generation));
      const status = rolloutStatus(result.status, attempt, [], this.rollout.status);
      const moved =
        JSON.stringify(status) !== JSON.stringify(this.rollout.status) || result.actions.length > 0;
      this.rollout = { ...this.rollout, status };
      if (moved) continue;
      if (result.waitingFor === 'readiness' && this.world.advance()) continue;
      return result;
    }
    throw new Error(`no steady state after ${maxCalls} reconciles: ${JSON.stringify(this.rollout.status)}`);
  }

  columns(): unknown[] {
    const s = this.rollout.status ?? {};
    return [
      s.rolloutTargetSize,
      s.upgradedReplicas,
      s.upgradedReadyReplicas,
      s.batchRollingState,
      s.rollingState,
    ];
  }
}

const batches23 = [{ replicas: 2 }, { replicas: 3 }];

describe('webservice walkthrough through the reconciler decisions', () => {
  const h = new Harness('express-server', false);

  it('first release scales express-server-v1 up in batches', () => {
    h.apply('express-server-v1', { targetSize: 5, rolloutBatches: batches23 });
    h.settle();
    expect(h.columns()).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(h.world.counts('express-server-v1')).toEqual({ desired: 5, ready: 5 });
    expect(h.rollout.status).toMatchObject({
      lastTargetRevision: 'express-server-v1',
      LastSourceRevision: '',
    });
  });

  it('upgrade to v2 held at batchPartition 0: v1 3, v2 2', () => {
    h.apply('express-server-v2', { targetSize: 5, rolloutBatches: batches23, batchPartition: 0 });
    const held = h.settle();
    expect(held.waitingFor).toBe('batchPartition');
    expect(h.columns()).toEqual([5, 2, 2, 'batchReady', 'rollingInBatches']);
    expect(h.world.counts('express-server-v1')).toEqual({ desired: 3, ready: 3 });
    expect(h.world.counts('express-server-v2')).toEqual({ desired: 2, ready: 2 });
    expect(h.rollout.status).toMatchObject({
      lastTargetRevision: 'express-server-v2',
      LastSourceRevision: 'express-server-v1',
      targetGeneration: '2',
    });
  });

  it('removing the partition (a spec change mid-attempt) continues the same attempt to the end', () => {
    h.apply('express-server-v2', { targetSize: 5, rolloutBatches: batches23 });
    h.settle();
    expect(h.columns()).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect([...h.world.workloads.keys()]).toEqual(['express-server-v2']);
    // The finished attempt takes the generation it finished under.
    expect(h.rollout.status?.targetGeneration).toBe('3');
  });

  it('rollback to v1 recreates it from the revision and deletes v2', () => {
    h.apply('express-server-v1', { targetSize: 5, rolloutBatches: batches23 });
    h.settle();
    expect(h.columns()).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect([...h.world.workloads.keys()]).toEqual(['express-server-v1']);
  });

  it('scales 5 → 7 with [1, 1] and 7 → 3 with [1, 3] on the one Deployment', () => {
    h.apply('express-server-v1', { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] });
    h.settle();
    expect(h.columns()).toEqual([7, 7, 7, 'batchReady', 'rolloutSucceed']);
    h.apply('express-server-v1', { targetSize: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] });
    h.settle();
    expect(h.columns()).toEqual([3, 3, 3, 'batchReady', 'rolloutSucceed']);
    expect(h.world.counts('express-server-v1')).toEqual({ desired: 3, ready: 3 });
  });

  it('scales twice without rolloutBatches and never writes a batch into the spec', () => {
    for (const targetSize of [4, 6]) {
      h.apply('express-server-v1', { targetSize });
      h.settle();
      expect(h.columns()).toEqual([targetSize, targetSize, targetSize, 'batchReady', 'rolloutSucceed']);
      expect(h.rollout.spec.rolloutPlan).toEqual({ targetSize });
    }
  });

  it('a spec edit after success that changes neither size nor revision moves nothing', () => {
    h.apply('express-server-v1', { targetSize: 6, rolloutBatches: [{ replicas: 6 }] });
    const result = h.settle();
    expect(result.actions).toEqual([]);
    expect(h.columns()).toEqual([6, 6, 6, 'batchReady', 'rolloutSucceed']);
    expect(h.rollout.status?.targetGeneration).toBe(String(h.rollout.metadata.generation));
  });
});

describe('IHPA interplay', () => {
  it('leaves a succeeded workload the IHPA scaled alone, and the next revision starts from its size', () => {
    const h = new Harness('web', false);
    h.apply('web-v1', { targetSize: 3, rolloutBatches: [{ replicas: 3 }] });
    h.settle();
    h.ihpa.add('web-v1');
    h.world.apply([{ type: 'setReplicas', workload: 'web-v1', replicas: 8 }], 'web-v1');
    while (h.world.advance());
    const quiet = h.settle();
    expect(quiet.actions).toEqual([]);
    expect(h.world.counts('web-v1')).toEqual({ desired: 8, ready: 8 });

    h.apply('web-v2', {
      targetSize: 3,
      rolloutBatches: [{ replicas: '50%' }, { replicas: '50%' }],
      batchPartition: 0,
    });
    h.settle();
    expect(h.columns()).toEqual([8, 4, 4, 'batchReady', 'rollingInBatches']);
    // A spec edit mid-attempt keeps the IHPA's size.
    h.apply('web-v2', { targetSize: 3, rolloutBatches: [{ replicas: '50%' }, { replicas: '50%' }] });
    h.settle();
    expect(h.columns()).toEqual([8, 8, 8, 'batchReady', 'rolloutSucceed']);
    expect([...h.world.workloads.keys()]).toEqual(['web-v2']);
  });
});

describe('cloneset walkthrough: in place on one workload', () => {
  const h = new Harness('cloneset-server', true);

  it('first release creates the CloneSet and scales it (scale only)', () => {
    h.apply('cloneset-server-v1', { targetSize: 5, rolloutBatches: batches23 });
    h.settle();
    expect(h.columns()).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(h.log).toEqual([]);
  });

  it('upgrade puts the new template on with every pod held, then lowers the partition per batch', () => {
    h.apply('cloneset-server-v2', { targetSize: 5, rolloutBatches: batches23, batchPartition: 0 });
    h.settle();
    expect(h.columns()).toEqual([5, 2, 2, 'batchReady', 'rollingInBatches']);
    expect(h.log).toEqual(['partition 5', 'template cloneset-server-v2 hold 5 (replicas 5)', 'partition 3']);
    expect(h.world.observe('cloneset-server')).toMatchObject({ updated: 2, updatedReady: 2, partition: 3 });
  });

  it('a new targetSize mid-upgrade restarts and still finishes the upgrade', () => {
    h.apply('cloneset-server-v2', {
      targetSize: 6,
      rolloutBatches: batches23.map(() => ({ replicas: '50%' })),
    });
    h.settle();
    expect(h.columns()).toEqual([6, 6, 6, 'batchReady', 'rolloutSucceed']);
    expect(h.world.observe('cloneset-server')).toMatchObject({
      desired: 6,
      updated: 6,
      updatedReady: 6,
      partition: 0,
    });
    expect(h.rollout.status).toMatchObject({
      lastTargetRevision: 'cloneset-server-v2',
      LastSourceRevision: 'cloneset-server-v1',
    });
    // The template went on once; the CloneSet was never replaced.
    expect(h.log.filter((entry) => entry.startsWith('template'))).toHaveLength(1);
  });
});

describe('a plan that fails verification', () => {
  it('fails once, stays failed, and retries when the spec is fixed', () => {
    const h = new Harness('bad', false);
    h.apply('bad-v1', { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 2 }] });
    const failed = h.settle();
    expect(failed.waitingFor).toBe('specChange');
    expect(h.rollout.status?.rollingState).toBe('rolloutFailed');
    expect(h.world.counts('bad-v1')).toEqual({ desired: 0, ready: 0 });

    h.apply('bad-v1', { targetSize: 5, rolloutBatches: batches23 });
    h.settle();
    expect(h.columns()).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
  });
});
