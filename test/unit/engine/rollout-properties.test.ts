// Property tests: random plans driven through a simulated cluster whose pods become ready at
// random times, re-planning on every observation until the rollout settles.

import fc from 'fast-check';
import {
  batchGoals,
  freshRolloutProgress,
  planRollout,
  resolveIntOrPercent,
  type IntOrPercent,
  type RolloutBatch,
  type RolloutPlanSpec,
} from '../../../controllers/engine/index.js';
import { drive, SimWorld } from './sim-world.js';

/** A small deterministic PRNG so a fast-check seed reproduces the readiness timeline. */
function randomDelays(seed: number, maxDelay: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * (maxDelay + 1));
  };
}

/** Valid batches for a delta: cut points give sizes; the last is an integer or "100%". */
function validBatches(delta: number): fc.Arbitrary<RolloutBatch[]> {
  return fc
    .record({
      cuts: fc.array(fc.integer({ min: 0, max: Math.max(0, delta - 1) }), { maxLength: 4 }),
      lastAsPercent: fc.boolean(),
      maxUnavailable: fc.array(
        fc.oneof(
          fc.constant(undefined),
          fc.nat(2) as fc.Arbitrary<IntOrPercent>,
          fc.integer({ min: 0, max: 40 }).map((p) => `${p}%` as IntOrPercent),
        ),
        { minLength: 5, maxLength: 5 },
      ),
    })
    .map(({ cuts, lastAsPercent, maxUnavailable }) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const sizes = sorted.map((cut, index) => cut - (index === 0 ? 0 : (sorted[index - 1] ?? 0)));
      const last: IntOrPercent = lastAsPercent ? '100%' : delta - (sorted[sorted.length - 1] ?? 0);
      return [...sizes, last].map((replicas, index) => {
        const batch: RolloutBatch = { replicas };
        const unavailable = maxUnavailable[index];
        if (unavailable !== undefined) batch.maxUnavailable = unavailable;
        return batch;
      });
    });
}

/** maxUnavailable of the last batch: a rollout may finish with that many pods not ready yet. */
function lastSlack(rolloutBatches: readonly RolloutBatch[], targetSize: number): number {
  const value = rolloutBatches[rolloutBatches.length - 1]?.maxUnavailable;
  return value === undefined ? 0 : resolveIntOrPercent(value, targetSize);
}

/** Let every pending pod become ready. */
function settle(world: SimWorld): void {
  while (world.advance()) {
    // advancing
  }
}

const plans = fc.integer({ min: 1, max: 15 }).chain((targetSize) =>
  fc.record({
    targetSize: fc.constant(targetSize),
    rolloutBatches: validBatches(targetSize),
    seed: fc.nat(),
    maxDelay: fc.integer({ min: 0, max: 6 }),
  }),
);

describe('simulated IncreaseFirst rollouts across two Deployments', () => {
  it('stay within capacity, keep enough pods ready, and end on the target', () => {
    fc.assert(
      fc.property(plans, ({ targetSize, rolloutBatches, seed, maxDelay }) => {
        const plan: RolloutPlanSpec = { targetSize, rolloutBatches };
        const goals = batchGoals(
          0,
          targetSize,
          rolloutBatches.map((b) => b.replicas),
        );
        const batchSize = (batch: number) =>
          (goals[batch] ?? targetSize) - (batch === 0 ? 0 : (goals[batch - 1] ?? 0));
        const maxUnavailable = Math.max(
          0,
          ...rolloutBatches.map((b) =>
            b.maxUnavailable === undefined ? 0 : resolveIntOrPercent(b.maxUnavailable, targetSize),
          ),
        );
        const world = new SimWorld(randomDelays(seed, maxDelay));
        world.addReady('v1', targetSize);
        const bound = 10 + 6 * rolloutBatches.length + 2 * targetSize;
        const outcome = drive(world, {
          plan,
          status: freshRolloutProgress(),
          mode: 'acrossWorkloads',
          target: 'v2',
          sources: ['v1'],
          maxCalls: bound,
          onPlan: (result, w) => {
            expect(w.totals().desired).toBeLessThanOrEqual(
              targetSize + batchSize(result.status.currentBatch),
            );
          },
          beforeApply: (input, result) => {
            // Level-based: planning again on the same observation changes nothing and asks for
            // no level that the first plan did not ask for.
            const again = planRollout({ ...input, status: result.status, targetRevisionChanged: false });
            expect(again.transitions).toEqual([]);
            expect(again.status).toEqual(result.status);
            for (const action of again.actions) expect(result.actions).toContainEqual(action);
          },
        });
        for (const moment of world.history) {
          expect(moment.totalReady).toBeGreaterThanOrEqual(targetSize - maxUnavailable);
        }
        expect(outcome.status.rollingState).toBe('rolloutSucceed');
        expect(world.has('v1')).toBe(false);
        expect(outcome.calls).toBeLessThanOrEqual(bound);
        expect(world.counts('v2')?.ready).toBeGreaterThanOrEqual(
          targetSize - lastSlack(rolloutBatches, targetSize),
        );
        settle(world);
        expect(world.counts('v2')).toEqual({ desired: targetSize, ready: targetSize });
      }),
      { numRuns: 200 },
    );
  });
});

describe('simulated DecreaseFirst rollouts across two Deployments', () => {
  it('never exceed targetSize replicas and end on the target', () => {
    fc.assert(
      fc.property(plans, ({ targetSize, rolloutBatches, seed, maxDelay }) => {
        const world = new SimWorld(randomDelays(seed, maxDelay));
        world.addReady('v1', targetSize);
        const outcome = drive(world, {
          plan: { targetSize, rolloutBatches, rolloutStrategy: 'DecreaseFirst' },
          status: freshRolloutProgress(),
          mode: 'acrossWorkloads',
          target: 'v2',
          sources: ['v1'],
          onPlan: (_, w) => expect(w.totals().desired).toBeLessThanOrEqual(targetSize),
        });
        expect(outcome.status.rollingState).toBe('rolloutSucceed');
        expect(world.has('v1')).toBe(false);
        expect(world.counts('v2')?.ready).toBeGreaterThanOrEqual(
          targetSize - lastSlack(rolloutBatches, targetSize),
        );
        settle(world);
        expect(world.counts('v2')).toEqual({ desired: targetSize, ready: targetSize });
      }),
      { numRuns: 100 },
    );
  });
});

describe('simulated scale-only rollouts', () => {
  it('move replicas monotonically through the batch goals to the target', () => {
    const scales = fc
      .record({ original: fc.integer({ min: 0, max: 15 }), targetSize: fc.integer({ min: 0, max: 15 }) })
      .filter(({ original, targetSize }) => original !== targetSize)
      .chain(({ original, targetSize }) =>
        fc.record({
          original: fc.constant(original),
          targetSize: fc.constant(targetSize),
          rolloutBatches: validBatches(Math.abs(targetSize - original)),
          seed: fc.nat(),
          maxDelay: fc.integer({ min: 0, max: 4 }),
        }),
      );
    fc.assert(
      fc.property(scales, ({ original, targetSize, rolloutBatches, seed, maxDelay }) => {
        const goals = batchGoals(
          original,
          targetSize,
          rolloutBatches.map((b) => b.replicas),
        );
        const world = new SimWorld(randomDelays(seed, maxDelay));
        world.addReady('app', original);
        const seen: number[] = [original];
        const outcome = drive(world, {
          plan: { targetSize, rolloutBatches },
          status: freshRolloutProgress(),
          mode: 'scaleOnly',
          target: 'app',
          onPlan: (_, w) => {
            const desired = w.counts('app')?.desired ?? -1;
            if (desired !== seen[seen.length - 1]) seen.push(desired);
          },
        });
        expect(outcome.status.rollingState).toBe('rolloutSucceed');
        settle(world);
        expect(world.counts('app')).toEqual({ desired: targetSize, ready: targetSize });
        // Every level the workload went through is a batch goal, in order.
        expect(seen.slice(1)).toEqual([...new Set(goals)].filter((goal) => goal !== original));
      }),
      { numRuns: 150 },
    );
  });
});

describe('simulated in-place CloneSet upgrades', () => {
  it('update every pod through the partition and end with partition 0', () => {
    fc.assert(
      fc.property(plans, ({ targetSize, rolloutBatches, seed, maxDelay }) => {
        const world = new SimWorld(randomDelays(seed, maxDelay));
        world.addReady('cs', targetSize, true);
        world.startInPlaceUpgrade('cs');
        const goals = batchGoals(
          0,
          targetSize,
          rolloutBatches.map((b) => b.replicas),
        );
        const outcome = drive(world, {
          plan: { targetSize, rolloutBatches },
          status: freshRolloutProgress(),
          mode: 'inPlace',
          target: 'cs',
          onPlan: (result, w) => {
            const updated = w.observe('cs')?.updated ?? 0;
            if (result.status.rollingState === 'rollingInBatches') {
              expect(updated).toBeLessThanOrEqual(goals[result.status.currentBatch] ?? targetSize);
            }
          },
        });
        expect(outcome.status.rollingState).toBe('rolloutSucceed');
        expect(world.observe('cs')).toMatchObject({ desired: targetSize, updated: targetSize, partition: 0 });
        expect(world.observe('cs')?.updatedReady).toBeGreaterThanOrEqual(
          targetSize - lastSlack(rolloutBatches, targetSize),
        );
        settle(world);
        expect(world.observe('cs')).toMatchObject({ ready: targetSize, updatedReady: targetSize });
      }),
      { numRuns: 100 },
    );
  });
});
