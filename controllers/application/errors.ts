// Errors about an Application's input: each names the component (and trait) it concerns, carries a
// condition reason, and says whether waiting could help (`retryable`) or only a change of the
// Application or of a definition can.

import { CueRenderError } from '../../cuelang-wasm/index.js';
import { errorMessage } from '../kit/log.js';
import { describeIntOrPercentFailure } from './parameter-errors.js';
import { DEADLINE_BACKOFF_INITIAL_MS, DEADLINE_BACKOFF_MAX_MS } from './retry.js';

export type ApplicationErrorReason =
  /** No ComponentDefinition / TraitDefinition of that name. */
  | 'DefinitionNotFound'
  /** The definition cannot be used (no CUE template, no output). */
  | 'InvalidDefinition'
  /** CUE rejected the properties or the template. */
  | 'RenderError'
  /** The CUE engine timed out or crashed; retried. */
  | 'RenderUnavailable'
  /** A trait that does not apply to the workload, conflicting traits, duplicates. */
  | 'InvalidSpec'
  /** externalRevision names a revision of a different spec, or another Application's. */
  | 'RevisionConflict'
  /** A rendered kind that no API serves. */
  | 'UnknownKind'
  /** An object outside the Application's namespace (cluster-scoped, or in another namespace). */
  | 'OutsideNamespace'
  /** The API server rejected a rendered object (dry run). */
  | 'ApplyRejected'
  /** Writing failed for another reason; retried. */
  | 'ApplyFailed';

export interface ApplicationErrorOptions {
  /** Waiting (a retry with backoff) may help, as opposed to only a change of the input. */
  retryable?: boolean;
  /** The component the error is about, when it is about one. */
  component?: string;
  /** A CUE render hit its deadline: retried after a long backoff (retry.ts), not the queue's. */
  deadlineExceeded?: boolean;
}

export class ApplicationError extends Error {
  override readonly name = 'ApplicationError';
  readonly retryable: boolean;
  readonly deadlineExceeded: boolean;
  component: string | undefined;
  constructor(
    readonly reason: ApplicationErrorReason,
    message: string,
    options: ApplicationErrorOptions = {},
  ) {
    super(message);
    this.retryable = options.retryable ?? false;
    this.deadlineExceeded = options.deadlineExceeded ?? false;
    this.component = options.component;
  }
}

/** Where an error happened: `component "web"` or `component "web": trait "rollout"`. */
export function scope(component: string, trait?: string): string {
  return trait === undefined ? `component "${component}"` : `component "${component}": trait "${trait}"`;
}

/**
 * A CUE failure as users should read it. A required parameter left out shows up as an
 * "incomplete value" at export; say that plainly instead of CUE's marshalling jargon.
 */
export function describeRenderFailure(error: unknown): string {
  if (!(error instanceof CueRenderError)) return errorMessage(error);
  if (error.kind === 'incomplete' && error.path?.startsWith('parameter.')) {
    const constraint = /incomplete value (.*) to JSON/.exec(error.cueMessage)?.[1];
    return `${error.path}: required value missing${constraint ? ` (must satisfy ${constraint})` : ''}`;
  }
  return describeIntOrPercentFailure(error) ?? error.message;
}

/** Timeouts, crashes and a closed engine say nothing about the input: retry them. */
export function isTransientRenderFailure(error: unknown): boolean {
  return (
    error instanceof CueRenderError &&
    (error.kind === 'timeout' ||
      error.kind === 'crashed' ||
      error.kind === 'closed' ||
      error.kind === 'internal')
  );
}

export function renderError(component: string, trait: string | undefined, error: unknown): ApplicationError {
  const transient = isTransientRenderFailure(error);
  const deadlineExceeded = error instanceof CueRenderError && error.kind === 'timeout';
  // The retry schedule is part of the message, which stays the same on every retry (one Event).
  const retry = deadlineExceeded
    ? `; retried after ${DEADLINE_BACKOFF_INITIAL_MS / 1000} s, then at doubling intervals up to ${DEADLINE_BACKOFF_MAX_MS / 60_000} min, or at once when the Application or a definition changes`
    : '';
  return new ApplicationError(
    transient ? 'RenderUnavailable' : 'RenderError',
    `${scope(component, trait)}: ${describeRenderFailure(error)}${retry}`,
    { retryable: transient, component, deadlineExceeded },
  );
}
