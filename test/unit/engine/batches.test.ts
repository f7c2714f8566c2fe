import fc from 'fast-check';
import {
  batchGoals,
  effectiveBatchSizes,
  parseIntOrPercent,
  resolveIntOrPercent,
  validateBatches,
  type IntOrPercent,
} from '../../../controllers/engine/index.js';

describe('parseIntOrPercent', () => {
  it('accepts integers and "N%" strings', () => {
    expect(parseIntOrPercent(3)).toEqual({ kind: 'int', value: 3 });
    expect(parseIntOrPercent('20%')).toEqual({ kind: 'percent', value: 20 });
    expect(parseIntOrPercent('-5%')).toEqual({ kind: 'percent', value: -5 });
  });

  it('rejects plain numeric strings, fractions and junk, as Kubernetes does', () => {
    expect(parseIntOrPercent('5').kind).toBe('invalid');
    expect(parseIntOrPercent('12.5%').kind).toBe('invalid');
    expect(parseIntOrPercent('abc').kind).toBe('invalid');
    expect(parseIntOrPercent(1.5).kind).toBe('invalid');
    expect(parseIntOrPercent(Number.NaN).kind).toBe('invalid');
  });
});

describe('resolveIntOrPercent (GetScaledValueFromIntOrPercent, roundUp)', () => {
  it('takes integers as they are', () => {
    expect(resolveIntOrPercent(3, 10)).toBe(3);
    expect(resolveIntOrPercent(0, 10)).toBe(0);
  });

  it('scales percentages of the total and rounds up', () => {
    expect(resolveIntOrPercent('20%', 10)).toBe(2);
    expect(resolveIntOrPercent('25%', 5)).toBe(2);
    expect(resolveIntOrPercent('1%', 5)).toBe(1);
    expect(resolveIntOrPercent('50%', 7)).toBe(4);
    expect(resolveIntOrPercent('100%', 7)).toBe(7);
    expect(resolveIntOrPercent('0%', 7)).toBe(0);
  });

  it('rounds down when asked', () => {
    expect(resolveIntOrPercent('25%', 5, false)).toBe(1);
    expect(resolveIntOrPercent('50%', 7, false)).toBe(3);
  });

  it('is exact where floating point would round the wrong way', () => {
    expect(resolveIntOrPercent('7%', 300)).toBe(21);
    expect(resolveIntOrPercent('29%', 100)).toBe(29);
  });

  it('resolves undefined to 0 and throws on an invalid value', () => {
    expect(resolveIntOrPercent(undefined, 10)).toBe(0);
    expect(() => resolveIntOrPercent('5', 10)).toThrow(RangeError);
  });

  it('matches ceil(p × total / 100) for every percentage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(10_000), (percent, total) => {
        const scaled = percent * total;
        const roundedUp = scaled % 100 === 0 ? scaled / 100 : Math.floor(scaled / 100) + 1;
        expect(resolveIntOrPercent(`${percent}%`, total)).toBe(roundedUp);
      }),
    );
  });
});

describe('batchGoals', () => {
  it('gives 1, 3, 8, 10 for 0→10 with [1, "20%", "50%", 2]', () => {
    expect(batchGoals(0, 10, [1, '20%', '50%', 2])).toEqual([1, 3, 8, 10]);
  });

  it('descends when scaling down', () => {
    expect(batchGoals(10, 0, [1, '20%', '50%', 2])).toEqual([9, 7, 2, 0]);
  });

  it('reproduces the walkthrough batches', () => {
    expect(batchGoals(0, 5, [2, 3])).toEqual([2, 5]);
    expect(batchGoals(5, 7, [1, 1])).toEqual([6, 7]);
    expect(batchGoals(7, 3, [1, 3])).toEqual([6, 3]);
  });

  it('lands the last batch exactly on the target even when percentages round', () => {
    expect(batchGoals(0, 10, ['33%', '33%', '33%'])).toEqual([4, 8, 10]);
    expect(batchGoals(0, 10, ['10%', '10%'])).toEqual([1, 10]);
  });

  it('uses one implicit batch when batches are absent or empty', () => {
    expect(batchGoals(5, 7)).toEqual([7]);
    expect(batchGoals(7, 3, [])).toEqual([3]);
  });

  it('never overshoots the target', () => {
    expect(batchGoals(0, 5, [4, 4, 4])).toEqual([4, 5, 5]);
    expect(batchGoals(5, 0, [4, 4, 4])).toEqual([1, 0, 0]);
  });

  it('is monotone toward the target and ends on it for any batches', () => {
    const value = fc.oneof(
      fc.nat(20) as fc.Arbitrary<IntOrPercent>,
      fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as IntOrPercent),
    );
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), fc.array(value, { maxLength: 8 }), (original, target, batches) => {
        const goals = batchGoals(original, target, batches);
        expect(goals[goals.length - 1]).toBe(target);
        let previous = original;
        for (const goal of goals) {
          if (target >= original) {
            expect(goal).toBeGreaterThanOrEqual(previous);
            expect(goal).toBeLessThanOrEqual(target);
          } else {
            expect(goal).toBeLessThanOrEqual(previous);
            expect(goal).toBeGreaterThanOrEqual(target);
          }
          previous = goal;
        }
      }),
    );
  });
});

describe('effectiveBatchSizes', () => {
  it('uses explicit batches when present', () => {
    expect(effectiveBatchSizes([{ replicas: 2 }, { replicas: '50%' }], 3, 10)).toEqual([2, '50%']);
  });

  it('derives one batch of the whole delta when none are given, without touching the spec', () => {
    const spec = Object.freeze({ targetSize: 7 }) as { targetSize: number; rolloutBatches?: [] };
    expect(effectiveBatchSizes(spec.rolloutBatches, undefined, 2)).toEqual(['100%']);
    expect(effectiveBatchSizes([], undefined, 2)).toEqual(['100%']);
    expect(spec).toEqual({ targetSize: 7 });
  });

  it('splits the delta evenly over numBatches, larger batches last', () => {
    expect(effectiveBatchSizes(undefined, 3, 10)).toEqual([3, 3, 4]);
    expect(effectiveBatchSizes(undefined, 3, 2)).toEqual([0, 1, 1]);
    expect(effectiveBatchSizes(undefined, 1, 5)).toEqual(['100%']);
  });

  it('derives the implicit batch afresh for every delta (scaling twice works)', () => {
    expect(batchGoals(3, 5, effectiveBatchSizes(undefined, undefined, 2))).toEqual([5]);
    expect(batchGoals(5, 9, effectiveBatchSizes(undefined, undefined, 4))).toEqual([9]);
  });
});

describe('validateBatches', () => {
  it('accepts the walkthrough plans', () => {
    expect(
      validateBatches({ original: 0, target: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] }),
    ).toEqual([]);
    expect(
      validateBatches({
        original: 0,
        target: 5,
        rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
        batchPartition: 0,
      }),
    ).toEqual([]);
    expect(
      validateBatches({ original: 5, target: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] }),
    ).toEqual([]);
    expect(
      validateBatches({ original: 7, target: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] }),
    ).toEqual([]);
  });

  it('accepts absent batches (one implicit batch)', () => {
    expect(validateBatches({ original: 5, target: 7 })).toEqual([]);
  });

  it('names the numbers when an integer last batch does not complete the delta', () => {
    expect(
      validateBatches({ original: 0, target: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 2 }] }),
    ).toEqual(['rolloutBatches sum to 4 but the rollout moves 5 replicas (from 0 to 5)']);
    expect(
      validateBatches({ original: 7, target: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 4 }] }),
    ).toEqual(['rolloutBatches sum to 5 but the rollout moves 4 replicas (from 7 to 3)']);
  });

  it('requires the batches before the last to leave something for it', () => {
    expect(
      validateBatches({
        original: 0,
        target: 5,
        rolloutBatches: [{ replicas: 3 }, { replicas: 2 }, { replicas: '10%' }],
      }),
    ).toEqual([
      'the rolloutBatches before the last sum to 5 but must stay below the 5 the rollout moves (from 0 to 5), ' +
        'or the last batch would be empty',
    ]);
  });

  it('does not require a percentage last batch to add up', () => {
    expect(
      validateBatches({ original: 0, target: 10, rolloutBatches: [{ replicas: 2 }, { replicas: '10%' }] }),
    ).toEqual([]);
  });

  it('rejects a batchPartition at or past the number of batches, or negative', () => {
    expect(
      validateBatches({
        original: 0,
        target: 5,
        rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
        batchPartition: 2,
      }),
    ).toEqual([
      'batchPartition is 2 but the plan has 2 batches (batchPartition counts from 0, so it must be at most 1)',
    ]);
    expect(validateBatches({ original: 0, target: 5, batchPartition: 1 })).toEqual([
      'batchPartition is 1 but the plan has 1 batch (batchPartition counts from 0, so it must be at most 0)',
    ]);
    expect(validateBatches({ original: 0, target: 5, batchPartition: -1 })).toEqual([
      'batchPartition is -1, it must be a whole number and not negative',
    ]);
  });

  it('rejects percentages outside 0–100 and negative values', () => {
    expect(
      validateBatches({
        original: 0,
        target: 10,
        rolloutBatches: [
          { replicas: '120%' },
          { replicas: -1, maxUnavailable: '-5%' },
          { replicas: '10%', maxUnavailable: '101%' },
        ],
      }),
    ).toEqual([
      'rolloutBatches[0].replicas is 120%, a percentage must be between 0% and 100%',
      'rolloutBatches[1].replicas is -1, it must not be negative',
      'rolloutBatches[1].maxUnavailable is -5%, it must not be negative',
      'rolloutBatches[2].maxUnavailable is 101%, a percentage must be between 0% and 100%',
      'the rolloutBatches before the last sum to 11 but must stay below the 10 the rollout moves (from 0 to 10), ' +
        'or the last batch would be empty',
    ]);
  });

  it('reports values that are neither an integer nor a percentage', () => {
    expect(
      validateBatches({ original: 0, target: 5, rolloutBatches: [{ replicas: '2' }, { replicas: 3 }] }),
    ).toEqual(['rolloutBatches[0].replicas is "2" is neither an integer nor a percentage like "20%"']);
  });

  it('checks numBatches', () => {
    expect(validateBatches({ original: 0, target: 5, numBatches: 0 })).toEqual([
      'numBatches is 0, it must be a whole number of at least 1',
    ]);
    expect(
      validateBatches({
        original: 0,
        target: 5,
        numBatches: 3,
        rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
      }),
    ).toEqual(['numBatches is 3 but rolloutBatches lists 2 batches']);
  });

  it('rejects negative sizes', () => {
    expect(validateBatches({ original: 0, target: -1 })).toEqual([
      'targetSize is -1, it must not be negative',
    ]);
  });

  it('skips the sum checks when nothing moves', () => {
    expect(
      validateBatches({ original: 5, target: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] }),
    ).toEqual([]);
  });
});
