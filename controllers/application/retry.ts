// How a failed Application reconcile is retried. Pure: no I/O, time is an argument.
//
// - The API server refusing a rendered object (400 BadRequest, 422 Invalid, 413 too large, or
//   server-side apply's 500 "failed to create typed patch object" for a value of the wrong type)
//   is permanent: the same input is refused again. It is reported once and not requeued; a change
//   of the Application or of a definition (both watched) brings the next attempt.
// - Transient API failures (5xx, 429, conflicts, timeouts, network) requeue with the work queue's
//   per-key backoff.
// - A CUE render that hits its deadline held the render engine for the whole deadline. Retrying it
//   at the queue's millisecond backoff would let one looping definition starve every other
//   Application, so it waits DEADLINE_BACKOFF_INITIAL_MS, doubling per consecutive deadline up to
//   DEADLINE_BACKOFF_MAX_MS. While that wait runs for unchanged input, a reconcile another watch
//   event brings does not render at all; changed input (a new generation, labels, annotations or
//   definition) renders at once.

import { isApiError } from '../kit/client.js';

export const DEADLINE_BACKOFF_INITIAL_MS = 30_000;
export const DEADLINE_BACKOFF_MAX_MS = 300_000;

/**
 * Server-side apply reports a field whose value has the wrong type as an internal error, though
 * only the object is at fault: `failed to create typed patch object (<ns>/<name>; <gvk>): <field>: <reason>`.
 */
const TYPED_PATCH_FAILURE = /^failed to create typed (?:patch )?object \([^)]*\): /;

/** The API server refused the object itself: resending the same object cannot help. */
export function isPermanentRejection(error: unknown): boolean {
  if (!isApiError(error)) return false;
  if (error.status === 400 || error.status === 413 || error.status === 422) return true;
  return error.status === 500 && TYPED_PATCH_FAILURE.test(error.body.message ?? '');
}

/**
 * What the API server said about the object, without the prefix naming the object again (the
 * caller names it): `.spec.replicas: expected numeric (int or float), got string`.
 */
export function rejectionDetail(error: unknown): string {
  if (!isApiError(error)) return error instanceof Error ? error.message : String(error);
  const message = error.body.message ?? error.message;
  return message.replace(TYPED_PATCH_FAILURE, '');
}

/** Delay after the `failures`-th consecutive deadline (1-based): 30 s, 60 s, 120 s, 240 s, then 300 s. */
export function deadlineBackoffMs(failures: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(DEADLINE_BACKOFF_INITIAL_MS * 2 ** exponent, DEADLINE_BACKOFF_MAX_MS);
}

/** What a render's result depends on besides the cluster: a change of any of it renders at once. */
export interface RenderInputs {
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** `component/<type>` and `trait/<type>` → the definition's uid and resourceVersion ('' when absent). */
  definitions: Record<string, string>;
}

export function fingerprint(inputs: RenderInputs): string {
  const sorted = (record: Record<string, string> | undefined) =>
    Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    inputs.uid ?? '',
    inputs.generation ?? 0,
    sorted(inputs.labels),
    sorted(inputs.annotations),
    sorted(inputs.definitions),
  ]);
}

interface DeadlineEntry {
  failures: number;
  inputs: string;
  retryAt: number;
}

/** Per Application key: consecutive render deadlines, and when the next render may run. */
export class DeadlineBackoff {
  private readonly entries = new Map<string, DeadlineEntry>();

  /**
   * Milliseconds until a render of `key` with these inputs may run again, or undefined when it may
   * run now (no deadline recorded, the wait is over, or the inputs changed).
   */
  remaining(key: string, inputs: string, nowMs: number): number | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.inputs !== inputs || entry.retryAt <= nowMs) return undefined;
    return entry.retryAt - nowMs;
  }

  /** Records a render of `key` that hit its deadline; returns the delay before the next one. */
  failed(key: string, inputs: string, nowMs: number): number {
    const previous = this.entries.get(key);
    const failures = previous !== undefined && previous.inputs === inputs ? previous.failures + 1 : 1;
    const delay = deadlineBackoffMs(failures);
    this.entries.set(key, { failures, inputs, retryAt: nowMs + delay });
    return delay;
  }

  /** A render of `key` finished (or the Application is gone): the next deadline starts over. */
  clear(key: string): void {
    this.entries.delete(key);
  }

  /** Consecutive deadlines recorded for `key`. */
  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }
}
