// Readable messages for parameter values CUE refuses as an "empty disjunction". Pure.
//
// An int-or-percent parameter (the rollout trait's rolloutBatches[i].replicas and maxUnavailable)
// is declared in CUE as `int & >=0 | =~"^(100|[1-9]?[0-9])%$"`, the form KubeVela's CUE also
// reads. A value outside both branches fails with "2 errors in empty disjunction" and one
// sub-error per branch, which says neither what the value was nor which rule it breaks. The batch
// engine's own check (intOrPercentProblem) does: `rolloutBatches[1].replicas is 150%, a
// percentage must be between 0% and 100%`.

import type { CueRenderError } from '../../cuelang-wasm/index.js';
import { intOrPercentProblem } from '../engine/batches.js';

const EMPTY_DISJUNCTION = /errors? in empty disjunction/;
/** A branch that wanted an integer: a type mismatch with `int`, or a failed bound such as `>=0`. */
const INT_BRANCH = /\band int\b|\bint and\b|out of bound [<>]=?-?\d/;
/** A branch that wanted a percentage: a pattern ending in `%$`. */
const PERCENT_BRANCH = /=~"[^"]*%\$"/;
/** The refused value as CUE prints it (a JSON-compatible literal for numbers, strings and bools). */
const VALUE = /^(?:conflicting values (.+?) and |invalid value (.+?) \(out of bound )/;

/** `parameter.rolloutBatches.1.replicas` → `rolloutBatches[1].replicas`. */
export function parameterField(path: string): string {
  return path
    .replace(/^parameter\./, '')
    .split('.')
    .reduce(
      (field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field ? `${field}.${part}` : part),
      '',
    );
}

function refusedValue(messages: readonly string[]): { value: unknown } | undefined {
  for (const message of messages) {
    const match = VALUE.exec(message);
    const literal = match?.[1] ?? match?.[2];
    if (literal === undefined) continue;
    try {
      return { value: JSON.parse(literal) as unknown };
    } catch {
      // Not a plain literal (e.g. a struct); try the next branch's message.
    }
  }
  return undefined;
}

/**
 * The message for an int-or-percent parameter CUE refused, or undefined when `error` is not about
 * one (another kind of error, another disjunction, a value CUE did not print).
 */
export function describeIntOrPercentFailure(error: CueRenderError): string | undefined {
  const path = error.path;
  if (path === undefined || !path.startsWith('parameter.') || !EMPTY_DISJUNCTION.test(error.cueMessage)) {
    return undefined;
  }
  const branches = error.errors
    .slice(1)
    .filter((e) => e.path === path)
    .map((e) => e.message);
  if (!branches.some((m) => INT_BRANCH.test(m)) || !branches.some((m) => PERCENT_BRANCH.test(m))) {
    return undefined;
  }
  const refused = refusedValue(branches);
  if (refused === undefined) return undefined;
  const field = parameterField(path);
  return (
    intOrPercentProblem(field, refused.value) ??
    // Fine by the engine's parse but not by the definition's pattern (e.g. "007%").
    `${field} is ${JSON.stringify(refused.value)}, it must be a whole number of at least 0 or a percentage from "0%" to "100%"`
  );
}
