// Property tests for the gray strategy: drive random grays at their due times (and at random
// moments in between) and check the shape of the whole timeline.

import fc from 'fast-check';
import {
  grayWaitSeconds,
  planGray,
  type GrayPlan,
  type GrayStrategySpec,
} from '../../../controllers/engine/index.js';

const t0 = Date.UTC(2024, 0, 1);

const strategies: fc.Arbitrary<GrayStrategySpec> = fc.record({
  grayState: fc.constantFrom('Cutoff' as const, 'Standby' as const),
  changePercent: fc.integer({ min: 1, max: 100 }),
  changeIntervalSeconds: fc.integer({ min: 1, max: 600 }),
  observationSeconds: fc.integer({ min: 0, max: 600 }),
});

interface Observed extends GrayPlan {
  at: number;
}

/** Run a gray to its end, also sampling a moment between each pair of due times. */
function run(strategy: GrayStrategySpec, previous: number, current: number, between: number[]): Observed[] {
  const seen: Observed[] = [];
  let grayPercent = 0;
  let lastUpdateTime: number | undefined;
  let now = t0;
  for (let call = 0; call < 300; call++) {
    const plan = planGray({ ...strategy, previous, current, grayPercent, lastUpdateTime, now });
    seen.push({ ...plan, at: now });
    if (plan.done) return seen;
    if (plan.stepped) {
      grayPercent = plan.grayPercent;
      lastUpdateTime = plan.lastUpdateTime;
    }
    const due = plan.nextStepAt;
    if (due === undefined) throw new Error('no due time for an unfinished gray');
    const fraction = between[call % Math.max(1, between.length)] ?? 0;
    const early = now + Math.floor((due - now) * fraction);
    if (early < due) {
      // Asked early, the plan repeats the same levels and the same due time.
      const again = planGray({ ...strategy, previous, current, grayPercent, lastUpdateTime, now: early });
      expect(again).toMatchObject({
        online: plan.online,
        cutoff: plan.cutoff,
        standby: plan.standby,
        stepped: false,
        nextStepAt: due,
      });
    }
    now = due;
  }
  throw new Error('gray did not finish within 300 calls');
}

const betweens = fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 5 });

describe('gray scale-down timelines', () => {
  it('are monotone in percent, keep online + gray = previous, and end at current with nothing gray', () => {
    fc.assert(
      fc.property(
        strategies,
        fc.integer({ min: 1, max: 200 }),
        fc.nat(199),
        betweens,
        (strategy, previous, currentSeed, between) => {
          const current = currentSeed % previous;
          const seen = run(strategy, previous, current, between);
          const last = seen[seen.length - 1];
          expect(last).toMatchObject({
            online: current,
            cutoff: 0,
            standby: 0,
            done: true,
            nextStepAt: undefined,
          });
          const stepsToFull = Math.ceil(100 / strategy.changePercent);
          expect(seen.length).toBe(stepsToFull + 1);
          let percent = 0;
          let online = previous;
          for (const [index, plan] of seen.entries()) {
            expect(plan.grayPercent).toBeGreaterThan(percent - (plan.done ? 1 : 0));
            percent = plan.grayPercent;
            expect(plan.online).toBeLessThanOrEqual(online);
            online = plan.online;
            if (!plan.done) {
              expect(plan.online + plan.cutoff + plan.standby).toBe(previous);
              expect(plan.online).toBeGreaterThanOrEqual(current);
              expect(strategy.grayState === 'Standby' ? plan.cutoff : plan.standby).toBe(0);
              // The next step is due exactly one wait after this one.
              expect(plan.nextStepAt).toBe(plan.at + grayWaitSeconds(plan.grayPercent, strategy) * 1000);
            }
            if (index === seen.length - 2) expect(plan.grayPercent).toBe(100);
          }
          // The end comes exactly observationSeconds after 100 % was reached.
          const full = seen[seen.length - 2];
          expect(last && full && last.at - full.at).toBe(strategy.observationSeconds * 1000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('gray scale-up timelines', () => {
  it('grow online monotonically to current with nothing gray', () => {
    fc.assert(
      fc.property(
        strategies,
        fc.nat(100),
        fc.integer({ min: 1, max: 100 }),
        betweens,
        (strategy, previous, up, between) => {
          const current = previous + up;
          const seen = run(strategy, previous, current, between);
          let online = previous;
          for (const plan of seen) {
            expect(plan.online).toBeGreaterThanOrEqual(online);
            expect(plan.online).toBeLessThanOrEqual(current);
            expect(plan.cutoff + plan.standby).toBe(0);
            online = plan.online;
          }
          expect(seen[seen.length - 1]).toMatchObject({ online: current, done: true });
        },
      ),
      { numRuns: 200 },
    );
  });
});
