// The user's rollout walkthrough, step by step, against a simulated cluster where pods become
// ready one tick after they are created.

import { freshRolloutProgress, type RolloutProgress } from '../../../controllers/engine/index.js';
import { drive, SimWorld } from './sim-world.js';

function columns(status: RolloutProgress) {
  // TARGET UPGRADED READY BATCH-STATE ROLLING-STATE, as `kubectl get rollout` prints them.
  return [
    status.rolloutTargetSize,
    status.upgradedReplicas,
    status.upgradedReadyReplicas,
    status.batchRollingState,
    status.rollingState,
  ];
}

describe('the rollout walkthrough (webservice: one Deployment per revision)', () => {
  const world = new SimWorld(() => 1);
  const batches25 = [{ replicas: 2 }, { replicas: 3 }];
  let status = freshRolloutProgress();

  it('first release: express-server-v1 5/5 and "5 5 5 batchReady rolloutSucceed"', () => {
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25 },
      status,
      mode: 'acrossWorkloads',
      target: 'express-server-v1',
    });
    status = outcome.status;
    expect(columns(status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(world.counts('express-server-v1')).toEqual({ desired: 5, ready: 5 });
  });

  it('upgrade to v2 with batchPartition 0: "5 2 2 batchReady rollingInBatches", v1 3/3 and v2 2/2', () => {
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25, batchPartition: 0 },
      status,
      mode: 'acrossWorkloads',
      target: 'express-server-v2',
      sources: ['express-server-v1'],
      targetRevisionChanged: true,
    });
    status = outcome.status;
    expect(columns(status)).toEqual([5, 2, 2, 'batchReady', 'rollingInBatches']);
    expect(status.currentBatch).toBe(0);
    expect(outcome.last.waitingFor).toBe('batchPartition');
    expect(world.counts('express-server-v1')).toEqual({ desired: 3, ready: 3 });
    expect(world.counts('express-server-v2')).toEqual({ desired: 2, ready: 2 });
  });

  it('remove batchPartition: v2 5/5, v1 deleted, "5 5 5 batchReady rolloutSucceed"', () => {
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25 },
      status,
      mode: 'acrossWorkloads',
      target: 'express-server-v2',
      sources: ['express-server-v1'],
    });
    status = outcome.status;
    expect(columns(status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(world.counts('express-server-v2')).toEqual({ desired: 5, ready: 5 });
    expect(world.has('express-server-v1')).toBe(false);
  });

  it('rollback with targetRevision express-server-v1: only v1 5/5 remains', () => {
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25 },
      status,
      mode: 'acrossWorkloads',
      target: 'express-server-v1',
      sources: ['express-server-v2'],
      targetRevisionChanged: true,
    });
    status = outcome.status;
    expect(columns(status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(world.counts('express-server-v1')).toEqual({ desired: 5, ready: 5 });
    expect(world.has('express-server-v2')).toBe(false);
  });

  it('targetSize 7 with batches [1, 1]: 6 after the first batch, then 7/7', () => {
    const seen: number[] = [];
    const outcome = drive(world, {
      plan: { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] },
      status,
      mode: 'scaleOnly',
      target: 'express-server-v1',
      onPlan: (_, w) => seen.push(w.counts('express-server-v1')?.desired ?? -1),
    });
    status = outcome.status;
    expect([...new Set(seen)]).toEqual([6, 7]);
    expect(columns(status)).toEqual([7, 7, 7, 'batchReady', 'rolloutSucceed']);
    expect(world.counts('express-server-v1')).toEqual({ desired: 7, ready: 7 });
  });

  it('targetSize 3 with batches [1, 3]: 6 after the first batch, then 3/3', () => {
    const seen: number[] = [];
    const outcome = drive(world, {
      plan: { targetSize: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] },
      status,
      mode: 'scaleOnly',
      target: 'express-server-v1',
      onPlan: (_, w) => seen.push(w.counts('express-server-v1')?.desired ?? -1),
    });
    status = outcome.status;
    expect([...new Set(seen)]).toEqual([6, 3]);
    expect(columns(status)).toEqual([3, 3, 3, 'batchReady', 'rolloutSucceed']);
    expect(world.counts('express-server-v1')).toEqual({ desired: 3, ready: 3 });
  });

  it('scaling again without rolloutBatches works every time (the implicit batch is derived afresh)', () => {
    for (const targetSize of [4, 6]) {
      const outcome = drive(world, {
        plan: { targetSize },
        status,
        mode: 'scaleOnly',
        target: 'express-server-v1',
      });
      status = outcome.status;
      expect(columns(status)).toEqual([targetSize, targetSize, targetSize, 'batchReady', 'rolloutSucceed']);
    }
  });
});

describe('the rollout walkthrough (cloneset: in place, named after the component)', () => {
  const world = new SimWorld(() => 1);
  const plan = { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] };
  let status = freshRolloutProgress();

  it('first release: cloneset-server 5/5', () => {
    status = drive(world, { plan, status, mode: 'scaleOnly', target: 'cloneset-server' }).status;
    expect(columns(status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
  });

  it('upgrade in place: 2 updated after the first batch, then 5 5 5 and the CloneSet kept', () => {
    world.startInPlaceUpgrade('cloneset-server');
    const updatedSeen: number[] = [];
    const outcome = drive(world, {
      plan,
      status,
      mode: 'inPlace',
      target: 'cloneset-server',
      targetRevisionChanged: true,
      onPlan: (_, w) => updatedSeen.push(w.observe('cloneset-server')?.updated ?? -1),
    });
    status = outcome.status;
    expect([...new Set(updatedSeen)]).toEqual([0, 2, 5]);
    expect(columns(status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(world.observe('cloneset-server')).toMatchObject({
      desired: 5,
      ready: 5,
      updated: 5,
      updatedReady: 5,
      partition: 0,
    });
  });
});

describe('changes in flight (no orphaned Deployment, reverts succeed)', () => {
  const batches25 = [{ replicas: 2 }, { replicas: 3 }];

  function heldAtPartition() {
    const world = new SimWorld(() => 1);
    world.addReady('app-v1', 5);
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25, batchPartition: 0 },
      status: freshRolloutProgress(),
      mode: 'acrossWorkloads',
      target: 'app-v2',
      sources: ['app-v1'],
    });
    expect(world.counts('app-v1')).toEqual({ desired: 3, ready: 3 });
    expect(world.counts('app-v2')).toEqual({ desired: 2, ready: 2 });
    return { world, status: outcome.status };
  }

  it('a new revision mid-rollout drains both older Deployments and deletes them', () => {
    const { world, status } = heldAtPartition();
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25 },
      status,
      mode: 'acrossWorkloads',
      target: 'app-v3',
      sources: ['app-v1', 'app-v2'],
      targetRevisionChanged: true,
      onPlan: (_, w) => expect(w.totals().desired).toBeLessThanOrEqual(5 + 3),
    });
    expect(columns(outcome.status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect([...world.workloads.keys()]).toEqual(['app-v3']);
  });

  it('reverting to the source while held at the partition leaves only the source', () => {
    const { world, status } = heldAtPartition();
    const outcome = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25, batchPartition: 0 },
      status,
      mode: 'acrossWorkloads',
      target: 'app-v1',
      sources: ['app-v2'],
      targetRevisionChanged: true,
    });
    // Held again at batch 0: v1 already has more than its goal, so nothing shrinks it.
    expect(outcome.last.waitingFor).toBe('batchPartition');
    expect(world.counts('app-v1')).toEqual({ desired: 3, ready: 3 });
    const finished = drive(world, {
      plan: { targetSize: 5, rolloutBatches: batches25 },
      status: outcome.status,
      mode: 'acrossWorkloads',
      target: 'app-v1',
      sources: ['app-v2'],
    });
    expect(columns(finished.status)).toEqual([5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect([...world.workloads.keys()]).toEqual(['app-v1']);
    expect(world.counts('app-v1')).toEqual({ desired: 5, ready: 5 });
  });
});
