// Batch arithmetic of a rollout plan: int-or-percent values, cumulative batch goals, the implicit
// batch used when none are given, and validation with messages that name the numbers.

import { cumulativeGoals } from './steps.js';

/** A Kubernetes IntOrString restricted to what rollout plans use: an integer or "N%". */
export type IntOrPercent = number | string;

export type ParsedIntOrPercent =
  { kind: 'int'; value: number } | { kind: 'percent'; value: number } | { kind: 'invalid'; reason: string };

/** One rollout batch as far as sizes go (the Rollout's `rolloutBatches[i]`). */
export interface BatchSizeSpec {
  replicas: IntOrPercent;
  maxUnavailable?: IntOrPercent;
}

const PERCENT = /^(-?\d+)%$/;

/**
 * Parse an int-or-percent the way Kubernetes does: a number is an integer, a string must be
 * "<integer>%". A plain numeric string such as "5" is rejected, as Kubernetes rejects it.
 */
export function parseIntOrPercent(value: IntOrPercent): ParsedIntOrPercent {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      return { kind: 'invalid', reason: `${String(value)} is not a whole number` };
    }
    return { kind: 'int', value };
  }
  const match = PERCENT.exec(value);
  if (!match?.[1]) {
    return { kind: 'invalid', reason: `"${value}" is neither an integer nor a percentage like "20%"` };
  }
  return { kind: 'percent', value: Number(match[1]) };
}

/**
 * Resolve an int-or-percent against `total` (Kubernetes GetScaledValueFromIntOrPercent):
 * integers are taken as they are, percentages are scaled and rounded up by default.
 * Throws a RangeError for a value that is neither; `undefined` resolves to 0.
 */
export function resolveIntOrPercent(value: IntOrPercent | undefined, total: number, roundUp = true): number {
  if (value === undefined) return 0;
  const parsed = parseIntOrPercent(value);
  if (parsed.kind === 'invalid') throw new RangeError(`invalid int-or-percent: ${parsed.reason}`);
  if (parsed.kind === 'int') return parsed.value;
  const scaled = parsed.value * total;
  // Integer arithmetic so that e.g. 7% of 300 is exactly 21, never 21.000000000000004 → 22.
  if (scaled >= 0) return roundUp ? Math.floor((scaled + 99) / 100) : Math.floor(scaled / 100);
  return roundUp ? -Math.floor(-scaled / 100) : -Math.floor((-scaled + 99) / 100);
}

/** Like resolveIntOrPercent but never throws: invalid or negative values count as 0. */
function resolveLeniently(value: IntOrPercent | undefined, total: number): number {
  if (value === undefined) return 0;
  const parsed = parseIntOrPercent(value);
  if (parsed.kind === 'invalid') return 0;
  return Math.max(0, resolveIntOrPercent(value, total));
}

/**
 * The batch sizes a plan really uses, derived on every call and never written back to the spec:
 * - explicit `rolloutBatches` when present and non-empty;
 * - else `numBatches` batches splitting the delta as evenly as possible (larger batches last);
 * - else one implicit batch of the whole delta ("100%").
 */
export function effectiveBatchSizes(
  rolloutBatches: readonly BatchSizeSpec[] | undefined,
  numBatches: number | undefined,
  delta: number,
): IntOrPercent[] {
  if (rolloutBatches && rolloutBatches.length > 0) return rolloutBatches.map((batch) => batch.replicas);
  if (numBatches !== undefined && Number.isInteger(numBatches) && numBatches > 1) {
    const whole = Math.max(0, delta);
    const base = Math.floor(whole / numBatches);
    const remainder = whole % numBatches;
    return Array.from({ length: numBatches }, (_, index) => base + (index >= numBatches - remainder ? 1 : 0));
  }
  return ['100%'];
}

/**
 * Cumulative goals of each batch when moving from `original` to `target`: batch i ends at
 * original ± Σ_{j≤i} value(batch_j of |target − original|, rounded up), clamped so that no goal
 * overshoots the target, and the last batch always lands exactly on the target. Goals ascend when
 * scaling up and descend when scaling down. Absent or empty batches mean one batch.
 */
export function batchGoals(original: number, target: number, batches?: readonly IntOrPercent[]): number[] {
  const delta = Math.abs(target - original);
  const sizes = (batches && batches.length > 0 ? batches : ['100%']).map((value) =>
    resolveLeniently(value, delta),
  );
  const direction = target >= original ? 1 : -1;
  return cumulativeGoals(delta, sizes).map((moved) => original + direction * moved);
}

export interface BatchValidationInput {
  /** Size the rollout starts from (the target workload's size before it, 0 for a new revision). */
  original: number;
  /** Size the rollout ends at (targetSize). */
  target: number;
  rolloutBatches?: readonly BatchSizeSpec[];
  numBatches?: number;
  batchPartition?: number;
}

function describe(value: IntOrPercent): string {
  return typeof value === 'number' ? String(value) : value;
}

/**
 * What is wrong with one int-or-percent value of a batch (`field` names it, e.g.
 * `rolloutBatches[1].replicas`): not a whole number or "N%", negative, or a percentage past 100 %.
 * Undefined when the value is fine. Values of any other type are described too, so a caller
 * holding parsed user input can use it directly.
 */
export function intOrPercentProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') {
    return `${field} is ${JSON.stringify(value)}, it must be a whole number or a percentage like "20%"`;
  }
  return checkValue(field, value)[0];
}

function checkValue(field: string, value: IntOrPercent): string[] {
  const parsed = parseIntOrPercent(value);
  if (parsed.kind === 'invalid') return [`${field} is ${parsed.reason}`];
  if (parsed.value < 0) return [`${field} is ${describe(value)}, it must not be negative`];
  if (parsed.kind === 'percent' && parsed.value > 100) {
    return [`${field} is ${describe(value)}, a percentage must be between 0% and 100%`];
  }
  return [];
}

/**
 * Check a plan's batches against the rollout they drive. Returns human-readable errors naming the
 * numbers involved; an empty list means the plan is valid.
 */
export function validateBatches(input: BatchValidationInput): string[] {
  const errors: string[] = [];
  const { original, target, rolloutBatches, numBatches, batchPartition } = input;
  for (const [name, value] of [
    ['the original size', original],
    ['targetSize', target],
  ] as const) {
    if (!Number.isInteger(value)) errors.push(`${name} is ${value}, it must be a whole number`);
    else if (value < 0) errors.push(`${name} is ${value}, it must not be negative`);
  }

  const explicit = rolloutBatches ?? [];
  explicit.forEach((batch, index) => {
    errors.push(...checkValue(`rolloutBatches[${index}].replicas`, batch.replicas));
    if (batch.maxUnavailable !== undefined) {
      errors.push(...checkValue(`rolloutBatches[${index}].maxUnavailable`, batch.maxUnavailable));
    }
  });

  if (numBatches !== undefined) {
    if (!Number.isInteger(numBatches) || numBatches < 1) {
      errors.push(`numBatches is ${numBatches}, it must be a whole number of at least 1`);
    } else if (explicit.length > 0 && explicit.length !== numBatches) {
      errors.push(`numBatches is ${numBatches} but rolloutBatches lists ${explicit.length} batches`);
    }
  }

  const delta = Math.abs(target - original);
  const sizes = effectiveBatchSizes(rolloutBatches, numBatches, delta);
  const count = sizes.length;

  if (batchPartition !== undefined) {
    if (!Number.isInteger(batchPartition) || batchPartition < 0) {
      errors.push(`batchPartition is ${batchPartition}, it must be a whole number and not negative`);
    } else if (batchPartition >= count) {
      errors.push(
        `batchPartition is ${batchPartition} but the plan has ${count} batch${count === 1 ? '' : 'es'} ` +
          `(batchPartition counts from 0, so it must be at most ${count - 1})`,
      );
    }
  }

  // Sum checks only make sense when every value parsed, and when something moves at all.
  const allValid = explicit.every((batch) => parseIntOrPercent(batch.replicas).kind !== 'invalid');
  if (explicit.length > 0 && allValid && delta > 0) {
    const moves = `${delta} replica${delta === 1 ? '' : 's'} (from ${original} to ${target})`;
    const resolved = sizes.map((value) => resolveIntOrPercent(value, delta));
    const beforeLast = resolved.slice(0, -1).reduce((sum, size) => sum + size, 0);
    if (beforeLast >= delta) {
      errors.push(
        `the rolloutBatches before the last sum to ${beforeLast} but must stay below the ${delta} ` +
          `the rollout moves (from ${original} to ${target}), or the last batch would be empty`,
      );
    }
    const last = explicit[explicit.length - 1];
    const lastSize = resolved[resolved.length - 1] ?? 0;
    if (last && typeof last.replicas === 'number' && beforeLast + lastSize !== delta) {
      // A percentage last batch is exempt: rounding makes it land on the target by construction.
      errors.push(`rolloutBatches sum to ${beforeLast + lastSize} but the rollout moves ${moves}`);
    }
  }
  return errors;
}
