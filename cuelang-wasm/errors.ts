/** What went wrong, as classified by the engine (or by the wrapper for `timeout`/`crashed`/`closed`). */
export type CueErrorKind =
  | 'request' // malformed request or input JSON
  | 'limit' // template or inputs over the size caps
  | 'syntax' // the template does not parse
  | 'import' // a forbidden import (tool/*, module paths, non-whitelisted packages)
  | 'eval' // conflicts, failed constraints, unknown references
  | 'incomplete' // a value to export is not concrete
  | 'internal' // a panic inside the engine
  | 'timeout' // the render exceeded its deadline; the worker was replaced
  | 'crashed' // the engine died (e.g. out of memory); it is restarted on the next call
  | 'closed'; // the engine was closed

/** One CUE error with the best position the engine found (1-based line and column). */
export interface CueErrorItem {
  message: string;
  /** Dotted path in the evaluated value, e.g. `parameter.image`. */
  path?: string;
  /** `template`, `healthPolicy`, `customStatus`, `parameter` or `context`. */
  file?: string;
  line?: number;
  column?: number;
}

/** A render or status evaluation failed. `message` is human readable; the fields are for tooling. */
export class CueRenderError extends Error {
  override readonly name: string = 'CueRenderError';
  readonly kind: CueErrorKind;
  /** The raw CUE message of the first error, without path or position. */
  readonly cueMessage: string;
  readonly path: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** Every error the engine reported (at most 10), first one included. */
  readonly errors: readonly CueErrorItem[];

  constructor(kind: CueErrorKind, first: CueErrorItem, errors: readonly CueErrorItem[] = [first]) {
    super(describe(first));
    this.kind = kind;
    this.cueMessage = first.message;
    this.path = first.path;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.errors = errors;
  }
}

/** The render did not finish within `timeoutMs`; the worker running it was terminated. */
export class CueTimeoutError extends CueRenderError {
  override readonly name: string = 'CueTimeoutError';
  constructor(timeoutMs: number) {
    super('timeout', {
      message: `CUE evaluation did not finish within ${timeoutMs} ms; the engine worker was restarted`,
    });
  }
}

function describe(e: CueErrorItem): string {
  const where =
    e.line !== undefined ? ` (${e.file ?? 'template'} line ${e.line}, column ${e.column ?? 0})` : '';
  return `${e.path ? `${e.path}: ` : ''}${e.message}${where}`;
}
