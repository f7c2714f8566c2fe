import fc from 'fast-check';
import {
  cumulativeGoals,
  evaluateStep,
  nextPercent,
  percentGoal,
  sidesAfterMoving,
} from '../../../controllers/engine/index.js';

describe('cumulativeGoals', () => {
  it('sums step sizes and lands the last step exactly on the total', () => {
    expect(cumulativeGoals(10, [1, 2, 5, 2])).toEqual([1, 3, 8, 10]);
    expect(cumulativeGoals(10, [1, 2, 5, 7])).toEqual([1, 3, 8, 10]);
    expect(cumulativeGoals(10, [1, 2, 5, 0])).toEqual([1, 3, 8, 10]);
  });

  it('clamps steps that would overshoot the total', () => {
    expect(cumulativeGoals(5, [4, 4, 4])).toEqual([4, 5, 5]);
  });

  it('treats no sizes as one step of the whole total', () => {
    expect(cumulativeGoals(7, [])).toEqual([7]);
  });

  it('ignores negative sizes and totals', () => {
    expect(cumulativeGoals(6, [-3, 2, 1])).toEqual([0, 2, 6]);
    expect(cumulativeGoals(-4, [1])).toEqual([0]);
  });

  it('is non-decreasing, bounded by the total and ends on it', () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.array(fc.integer({ min: -5, max: 100 }), { maxLength: 12 }),
        (total, sizes) => {
          const goals = cumulativeGoals(total, sizes);
          expect(goals.length).toBe(Math.max(1, sizes.length));
          expect(goals[goals.length - 1]).toBe(total);
          goals.forEach((goal, index) => {
            expect(goal).toBeGreaterThanOrEqual(index === 0 ? 0 : (goals[index - 1] ?? 0));
            expect(goal).toBeLessThanOrEqual(total);
          });
        },
      ),
    );
  });
});

describe('percentGoal', () => {
  it('floors the share of the total but moves at least one unit', () => {
    expect(percentGoal(4, 50)).toBe(2);
    expect(percentGoal(4, 100)).toBe(4);
    expect(percentGoal(1, 50)).toBe(1);
    expect(percentGoal(1, 100)).toBe(1);
    expect(percentGoal(10, 33)).toBe(3);
    expect(percentGoal(3, 1)).toBe(1);
  });

  it('moves nothing at 0 % or when there is nothing to move', () => {
    expect(percentGoal(10, 0)).toBe(0);
    expect(percentGoal(0, 50)).toBe(0);
  });

  it('never exceeds the total, even past 100 %', () => {
    expect(percentGoal(5, 150)).toBe(5);
  });
});

describe('nextPercent', () => {
  it('adds the change and caps at 100', () => {
    expect(nextPercent(0, 50)).toBe(50);
    expect(nextPercent(50, 50)).toBe(100);
    expect(nextPercent(67, 50)).toBe(100);
    expect(nextPercent(30, 30)).toBe(60);
  });

  it('always progresses even with a zero change', () => {
    expect(nextPercent(10, 0)).toBe(11);
  });
});

describe('sidesAfterMoving', () => {
  it('takes the moved units from one side and adds them to the other', () => {
    expect(sidesAfterMoving({ from: 5, to: 0 }, 2)).toEqual({ from: 3, to: 2 });
    expect(sidesAfterMoving({ from: 5, to: 0 }, 0)).toEqual({ from: 5, to: 0 });
  });
});

describe('evaluateStep with explicit goals and readiness gates', () => {
  const schedule = { kind: 'goals', goals: [1, 3, 8, 10] } as const;

  it('reports the goal and the next step when ready', () => {
    expect(evaluateStep(schedule, 1, { kind: 'readiness', ready: true }, 0)).toEqual({
      position: 1,
      goal: 3,
      complete: true,
      final: false,
      next: { position: 2, goal: 8 },
      nextStepAt: undefined,
    });
  });

  it('is incomplete without readiness and never asks to poll', () => {
    const step = evaluateStep(schedule, 0, { kind: 'readiness', ready: false }, 123);
    expect(step.complete).toBe(false);
    expect(step.nextStepAt).toBeUndefined();
    expect(step.goal).toBe(1);
  });

  it('marks the last step final with no next step', () => {
    const step = evaluateStep(schedule, 3, { kind: 'readiness', ready: true }, 0);
    expect(step.final).toBe(true);
    expect(step.next).toBeUndefined();
    expect(step.goal).toBe(10);
  });

  it('clamps a position past the end to the last step, and before the start to "nothing moved"', () => {
    expect(evaluateStep(schedule, 9, { kind: 'readiness', ready: false }, 0).position).toBe(3);
    const before = evaluateStep(schedule, -1, { kind: 'readiness', ready: true }, 0);
    expect(before).toMatchObject({ position: -1, goal: 0, next: { position: 0, goal: 1 } });
  });
});

describe('evaluateStep with percent steps and time gates', () => {
  const schedule = { kind: 'percent', total: 4, changePercent: 50 } as const;

  it('stays closed before the gate time and says exactly when it opens', () => {
    const step = evaluateStep(schedule, 50, { kind: 'time', notBefore: 30_000 }, 29_999);
    expect(step).toEqual({
      position: 50,
      goal: 2,
      complete: false,
      final: false,
      next: { position: 100, goal: 4 },
      nextStepAt: 30_000,
    });
  });

  it('opens at the gate time itself', () => {
    const step = evaluateStep(schedule, 50, { kind: 'time', notBefore: 30_000 }, 30_000);
    expect(step.complete).toBe(true);
    expect(step.nextStepAt).toBeUndefined();
  });

  it('treats 100 % as the final position', () => {
    const step = evaluateStep(schedule, 100, { kind: 'time', notBefore: 0 }, 0);
    expect(step).toMatchObject({ final: true, goal: 4, next: undefined });
  });

  it('starts at 0 % with nothing moved', () => {
    expect(evaluateStep(schedule, 0, { kind: 'time', notBefore: 0 }, 0)).toMatchObject({
      goal: 0,
      next: { position: 50, goal: 2 },
    });
  });
});
