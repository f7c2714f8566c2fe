// THE write path for objects the controllers own: server-side apply with one field manager and
// force, skipped entirely when the live object already says everything the desired one says.
// Skipping keeps steady-state reconciles free of writes (and of the watch events, resourceVersion
// bumps and audit noise each write would cause).

import { createHash } from 'node:crypto';

import type { KubeClient } from './client.js';
import type { KubeObject } from './objects.js';

/** The field manager of every write this project makes through server-side apply. */
export const FIELD_MANAGER = 'rollscale';

/**
 * Annotation holding a hash of the last applied intent. Server-side apply removes a field that
 * its manager stops sending; the subset check alone cannot see such a removal (the live object
 * still covers the smaller desired one), so an apply is also due whenever the intent's hash
 * differs from the one recorded at the last apply.
 */
export const APPLIED_HASH_ANNOTATION = 'rollscale.dev/applied-hash';

/**
 * The hash annotation of one field manager. Each manager records its own intent, so two
 * managers applying different fields of one object (e.g. the Application controller the
 * Rollout's spec, the Rollout controller its annotations) never overwrite each other's record
 * and never take turns re-applying.
 */
export function appliedHashAnnotation(fieldManager: string = FIELD_MANAGER): string {
  return fieldManager === FIELD_MANAGER
    ? APPLIED_HASH_ANNOTATION
    : `${APPLIED_HASH_ANNOTATION}.${fieldManager}`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `live` already contains every field of `desired`. The rule:
 * - objects: every key of `desired` is present in `live` with a covered value; keys only `live`
 *   has (defaults, other managers' fields, status, metadata the server adds) are ignored; a key
 *   whose desired value is `undefined` is ignored (JSON drops it);
 * - lists: same length, and each desired element covered by the live element at the same index.
 *   Lists are compared element-wise because without the schema we cannot tell a set-like list
 *   (merged by key) from an atomic one (replaced whole): equal length is the answer that is
 *   correct for both. A live list holding extra elements therefore leads to an apply;
 * - `null` in `desired` is covered by an absent or null live value (apply removes the field);
 * - scalars: strict equality. Values the server canonicalizes (quantities such as `0.5` vs
 *   `500m`) must be written in canonical form, or every reconcile applies again.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((element, i) => isSubset(element, live[i]));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return false;
    for (const [key, value] of Object.entries(desired)) {
      if (value === undefined) continue;
      if (!Object.prototype.hasOwnProperty.call(live, key)) {
        if (value === null) continue;
        return false;
      }
      if (!isSubset(value, live[key])) return false;
    }
    return true;
  }
  return desired === live;
}

export interface EnsureAppliedOptions {
  /** Default `rollscale`; only bootstrap code (e.g. installing CRDs) should ever change it. */
  fieldManager?: string;
}

export interface EnsureAppliedResult<T> {
  /** Whether a request was issued. */
  applied: boolean;
  /** The server's answer when applied, else `live`. */
  object: T;
}

/**
 * Server-side applies `desired` (apiVersion, kind, metadata.name/namespace and the fields this
 * controller owns) unless `live` already covers it. Pass the cached object as `live`, or
 * undefined when it does not exist (then the apply creates it).
 */
export async function ensureApplied<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  live: T | undefined,
  options: EnsureAppliedOptions = {},
): Promise<EnsureAppliedResult<T>> {
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  const intent = withAppliedHash(withoutStatus(desired) as unknown as T, appliedHashAnnotation(fieldManager));
  if (live !== undefined && isSubset(intent, live)) return { applied: false, object: live };
  const object = await client.apply(intent, {
    fieldManager,
    force: true,
  });
  return { applied: true, object };
}

/** Stable hash of an object's content (keys sorted at every level). */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 16);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function withAppliedHash<T extends KubeObject>(desired: T, annotation: string): T {
  const hash = contentHash(desired);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...(desired.metadata?.annotations ?? {}), [annotation]: hash },
    },
  };
}

/**
 * Same for the status subresource: `desired` carries apiVersion, kind, metadata.name/namespace and
 * `status`; only `status` is compared, and both ways: the status of our own kinds has one writer,
 * so a field present live but absent from the desired status (which the apply would remove) is a
 * difference too. Not for status that other managers share.
 */
export async function ensureStatusApplied<T extends KubeObject & { status?: unknown }>(
  client: KubeClient,
  desired: T,
  live: T | undefined,
  options: EnsureAppliedOptions = {},
): Promise<EnsureAppliedResult<T>> {
  const want = desired.status ?? {};
  const have = live?.status ?? {};
  if (live !== undefined && isSubset(want, have) && isSubset(have, want)) {
    return { applied: false, object: live };
  }
  const object = await client.applyStatus(desired, {
    fieldManager: options.fieldManager ?? FIELD_MANAGER,
    force: true,
  });
  return { applied: true, object };
}

// The main resource endpoint ignores `status`, so a desired status must not force an apply there.
function withoutStatus(obj: KubeObject): Json {
  const { status: _ignored, ...rest } = obj as KubeObject & { status?: unknown };
  return rest as Json;
}
