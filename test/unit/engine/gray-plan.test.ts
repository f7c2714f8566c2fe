import fc from 'fast-check';
import {
  grayWaitSeconds,
  planGray,
  rebaseGray,
  validateGrayStrategy,
  type GrayPlan,
  type GrayPlanInput,
  type GrayStrategySpec,
} from '../../../controllers/engine/index.js';

const t0 = Date.UTC(2024, 0, 1, 10, 10, 0);
const s = (seconds: number) => t0 + seconds * 1000;
const seedStrategy: GrayStrategySpec = {
  grayState: 'Cutoff',
  changePercent: 50,
  changeIntervalSeconds: 30,
  observationSeconds: 60,
};

function gray(partial: Partial<GrayPlanInput> & Pick<GrayPlanInput, 'now'>): GrayPlan {
  return planGray({
    ...seedStrategy,
    previous: 5,
    current: 1,
    grayPercent: 0,
    lastUpdateTime: undefined,
    ...partial,
  });
}

/** Call planGray the way the IHPA reconciler does: at each due time, persisting percent and time. */
function timeline(
  input: Omit<GrayPlanInput, 'now' | 'grayPercent' | 'lastUpdateTime'>,
  start: number,
  maxCalls = 200,
) {
  const plans: (GrayPlan & { at: number })[] = [];
  let grayPercent = 0;
  let lastUpdateTime: number | undefined;
  let now = start;
  for (let call = 0; call < maxCalls; call++) {
    const plan = planGray({ ...input, grayPercent, lastUpdateTime, now });
    plans.push({ ...plan, at: now });
    if (plan.done) return plans;
    if (plan.stepped) {
      grayPercent = plan.grayPercent;
      lastUpdateTime = plan.lastUpdateTime;
    }
    if (plan.nextStepAt === undefined) throw new Error('a gray that is not done must say when to come back');
    now = plan.nextStepAt;
  }
  throw new Error('gray did not finish');
}

describe('grayWaitSeconds', () => {
  it('is 0 before the first step, the interval in between, the observation at 100 %', () => {
    expect(grayWaitSeconds(0, seedStrategy)).toBe(0);
    expect(grayWaitSeconds(50, seedStrategy)).toBe(30);
    expect(grayWaitSeconds(99, seedStrategy)).toBe(30);
    expect(grayWaitSeconds(100, seedStrategy)).toBe(60);
  });
});

describe('the gray seed timeline (5 → 1, 50 %, 30 s, observation 60 s)', () => {
  it('t0: online 3, cutoff 2, next step at t0 + 30 s', () => {
    expect(gray({ now: t0 })).toEqual({
      online: 3,
      cutoff: 2,
      standby: 0,
      grayPercent: 50,
      lastUpdateTime: t0,
      stepped: true,
      done: false,
      nextStepAt: s(30),
    });
  });

  it('between steps nothing changes and the due time stays exact', () => {
    expect(gray({ grayPercent: 50, lastUpdateTime: t0, now: s(29.999) })).toEqual({
      online: 3,
      cutoff: 2,
      standby: 0,
      grayPercent: 50,
      lastUpdateTime: t0,
      stepped: false,
      done: false,
      nextStepAt: s(30),
    });
  });

  it('t0 + 30 s: online 1, cutoff 4, observation ends at t0 + 90 s', () => {
    expect(gray({ grayPercent: 50, lastUpdateTime: t0, now: s(30) })).toMatchObject({
      online: 1,
      cutoff: 4,
      grayPercent: 100,
      lastUpdateTime: s(30),
      stepped: true,
      done: false,
      nextStepAt: s(90),
    });
    expect(gray({ grayPercent: 100, lastUpdateTime: s(30), now: s(60) })).toMatchObject({
      online: 1,
      cutoff: 4,
      stepped: false,
      nextStepAt: s(90),
    });
  });

  it('t0 + 90 s: online 1, cutoff 0, done', () => {
    expect(gray({ grayPercent: 100, lastUpdateTime: s(30), now: s(90) })).toMatchObject({
      online: 1,
      cutoff: 0,
      standby: 0,
      done: true,
      nextStepAt: undefined,
    });
  });

  it('the whole timeline, driven at the due times', () => {
    const plans = timeline({ ...seedStrategy, previous: 5, current: 1 }, t0);
    expect(plans.map((p) => [p.at - t0, p.online, p.cutoff, p.done])).toEqual([
      [0, 3, 2, false],
      [30_000, 1, 4, false],
      [90_000, 1, 0, true],
    ]);
  });
});

describe('planGray rules', () => {
  it('a step that leaves the counts unchanged still schedules the next one (diff 1)', () => {
    const plans = timeline({ ...seedStrategy, previous: 2, current: 1 }, t0);
    expect(plans.map((p) => [p.at - t0, p.online, p.cutoff, p.grayPercent, p.done])).toEqual([
      [0, 1, 1, 50, false],
      [30_000, 1, 1, 100, false],
      [90_000, 1, 0, 100, true],
    ]);
    expect(plans[1]?.stepped).toBe(true);
  });

  it('n = max(1, floor(|current − previous| × percent / 100)) at each step', () => {
    const plans = timeline({ ...seedStrategy, changePercent: 30, previous: 10, current: 0 }, t0);
    expect(plans.map((p) => [p.grayPercent, p.online, p.cutoff])).toEqual([
      [30, 7, 3],
      [60, 4, 6],
      [90, 1, 9],
      [100, 0, 10],
      [100, 0, 0],
    ]);
  });

  it('puts the gray pods in Standby when asked', () => {
    expect(gray({ grayState: 'Standby', now: t0 })).toMatchObject({ online: 3, cutoff: 0, standby: 2 });
  });

  it('takes one step per call even when it is long overdue, restarting the interval from now', () => {
    expect(gray({ grayPercent: 50, lastUpdateTime: t0, now: s(300) })).toMatchObject({
      grayPercent: 100,
      online: 1,
      cutoff: 4,
      lastUpdateTime: s(300),
      nextStepAt: s(360),
    });
  });

  it('with no observation time the end is due at once after 100 %', () => {
    const plan = gray({ observationSeconds: 0, grayPercent: 50, lastUpdateTime: t0, now: s(30) });
    expect(plan).toMatchObject({ grayPercent: 100, done: false, nextStepAt: s(30) });
    expect(gray({ observationSeconds: 0, grayPercent: 100, lastUpdateTime: s(30), now: s(30) }).done).toBe(
      true,
    );
  });

  it('steps up too: online grows in steps and nothing is gray', () => {
    const plans = timeline({ ...seedStrategy, previous: 1, current: 5 }, t0);
    expect(plans.map((p) => [p.at - t0, p.online, p.cutoff, p.standby, p.done])).toEqual([
      [0, 3, 0, 0, false],
      [30_000, 5, 0, 0, false],
      [90_000, 5, 0, 0, true],
    ]);
  });

  it('is done at once when there is nothing to change', () => {
    expect(gray({ previous: 4, current: 4, now: t0 })).toMatchObject({
      online: 4,
      cutoff: 0,
      done: true,
      stepped: false,
    });
  });

  it('rejects a direction that contradicts previous → current', () => {
    expect(() => gray({ direction: 'up', now: t0 })).toThrow(RangeError);
    expect(gray({ direction: 'down', now: t0 }).online).toBe(3);
  });
});

describe('validateGrayStrategy', () => {
  it('accepts the seed strategy', () => {
    expect(validateGrayStrategy(seedStrategy)).toEqual([]);
  });

  it('names each bad number', () => {
    expect(
      validateGrayStrategy({
        changePercent: 0,
        changeIntervalSeconds: 0,
        observationSeconds: -1,
        grayState: 'Online' as 'Cutoff',
      }),
    ).toEqual([
      'changePercent is 0, it must be a whole number from 1 to 100',
      'changeIntervalSeconds is 0, it must be a whole number of at least 1',
      'observationSeconds is -1, it must be a whole number and not negative',
      'grayState is "Online", it must be Cutoff or Standby',
    ]);
    expect(
      validateGrayStrategy({ changePercent: 101, changeIntervalSeconds: 1, observationSeconds: 0 }),
    ).toEqual(['changePercent is 101, it must be a whole number from 1 to 100']);
  });
});

describe('rebaseGray (a new target mid-gray starts from the pods as they are)', () => {
  const now = s(40);

  it('further down: keeps the gray pods gray, cuts off nothing more yet, continues later', () => {
    const rebase = rebaseGray({ online: 3, gray: 2, newTarget: 2, now });
    expect(rebase).toEqual({
      previous: 5,
      current: 2,
      grayPercent: 67,
      lastUpdateTime: now,
      direction: 'down',
    });
    const first = planGray({ ...seedStrategy, ...rebase, now });
    expect(first).toMatchObject({ online: 3, cutoff: 2, stepped: false, nextStepAt: now + 30_000 });
    const second = planGray({ ...seedStrategy, ...rebase, now: now + 30_000 });
    expect(second).toMatchObject({ online: 2, cutoff: 3, grayPercent: 100 });
  });

  it('back up between online and all pods: restores only the pods needed and observes the rest', () => {
    const rebase = rebaseGray({ online: 1, gray: 4, newTarget: 3, now });
    expect(rebase).toEqual({
      previous: 5,
      current: 3,
      grayPercent: 100,
      lastUpdateTime: now,
      direction: 'down',
    });
    expect(planGray({ ...seedStrategy, ...rebase, now })).toMatchObject({
      online: 3,
      cutoff: 2,
      done: false,
      nextStepAt: now + 60_000,
    });
  });

  it('above all pods: every gray pod comes back, then the scale up proceeds', () => {
    const rebase = rebaseGray({ online: 3, gray: 2, newTarget: 9, now });
    expect(rebase).toEqual({
      previous: 5,
      current: 9,
      grayPercent: 0,
      lastUpdateTime: undefined,
      direction: 'up',
    });
    expect(planGray({ ...seedStrategy, ...rebase, now })).toMatchObject({ online: 7, cutoff: 0, standby: 0 });
  });

  it('exactly all pods: every gray pod comes back and the gray is over', () => {
    const rebase = rebaseGray({ online: 3, gray: 2, newTarget: 5, now });
    expect(planGray({ ...seedStrategy, ...rebase, now })).toMatchObject({ online: 5, cutoff: 0, done: true });
  });

  it('with nothing gray it is an ordinary start', () => {
    const rebase = rebaseGray({ online: 5, gray: 0, newTarget: 1, now: t0 });
    expect(planGray({ ...seedStrategy, ...rebase, now: t0 })).toEqual(gray({ now: t0 }));
  });

  it('cuts off one pod early at most per 100 moved when a whole percentage cannot name the gray count', () => {
    // 10 of 110 gray: 10 % gives 11; 9 % gives 9 (one would come back). Never bring back.
    const rebase = rebaseGray({ online: 100, gray: 10, newTarget: 0, now });
    expect(rebase.grayPercent).toBe(10);
    expect(planGray({ ...seedStrategy, ...rebase, now })).toMatchObject({ online: 99, cutoff: 11 });
  });

  it('never brings back or cuts off a pod that the new target does not require', () => {
    fc.assert(
      fc.property(
        fc.nat(300),
        fc.nat(300),
        fc.nat(700),
        fc.integer({ min: 1, max: 100 }),
        (online, grayPods, newTarget, changePercent) => {
          const strategy = { ...seedStrategy, changePercent };
          const rebase = rebaseGray({ online, gray: grayPods, newTarget, now });
          const plan = planGray({ ...strategy, ...rebase, now });
          const pods = online + grayPods;
          if (newTarget < online && grayPods > 0) {
            // Continuing down: the pods stay as they are until the next step is due. A whole
            // percentage cannot always name the gray count exactly once more than 100 pods move;
            // then at most 1 % of the move is cut off early, never a pod brought back.
            const delta = pods - newTarget;
            const early = delta > 100 ? Math.floor(delta / 100) : 0;
            expect(plan.cutoff).toBeGreaterThanOrEqual(grayPods);
            expect(plan.cutoff - grayPods).toBeLessThanOrEqual(early);
            expect(plan.online + plan.cutoff).toBe(pods);
            expect(plan.nextStepAt).toBeGreaterThan(now);
          } else if (newTarget >= online && newTarget < pods) {
            // Partly back up: exactly newTarget − online pods return.
            expect([plan.online, plan.cutoff]).toEqual([newTarget, pods - newTarget]);
          } else if (newTarget >= pods) {
            expect(plan.online).toBeGreaterThanOrEqual(pods);
            expect(plan.online).toBeLessThanOrEqual(newTarget);
            expect(plan.cutoff).toBe(0);
          }
        },
      ),
    );
  });
});
