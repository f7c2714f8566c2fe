// Merging a trait's `patch` into the rendered workload, strategic-merge style (pure).
//
// - objects merge key by key; a `null` in the patch removes the key;
// - a list whose path carries `// +patchKey=<key>` merges item by item: a patch item replaces
//   fields of the target item with the same value at <key> (recursively), and is appended when no
//   target item has it; items without <key> are appended;
// - any other list, and every scalar, replaces the target's value;
// - `// +patchStrategy=replace` replaces the value at that path whole, `retainKeys` keeps only the
//   keys the patch names before merging them.
//
// Paths are the engine's: dotted from the patch root, list items adding `[]`
// (`spec.template.spec.containers[].env`).

import type { JsonObject } from './types.js';

export interface PatchAnnotations {
  /** patchKey by path. */
  patchKeys?: Readonly<Record<string, string>>;
  /** patchStrategy by path. */
  patchStrategies?: Readonly<Record<string, string>>;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** `target` with `patch` merged in; neither input is modified. */
export function strategicMerge(target: unknown, patch: unknown, annotations: PatchAnnotations = {}): unknown {
  return mergeAt(target, patch, '', annotations);
}

function mergeAt(target: unknown, patch: unknown, path: string, annotations: PatchAnnotations): unknown {
  const strategy = path === '' ? undefined : annotations.patchStrategies?.[path];
  if (strategy === 'replace') return structuredClone(patch);
  if (Array.isArray(patch)) {
    const key = annotations.patchKeys?.[path];
    if (key === undefined || !Array.isArray(target)) return structuredClone(patch);
    return mergeListByKey(target, patch, key, `${path}[]`, annotations);
  }
  if (isPlainObject(patch)) {
    const base = isPlainObject(target) ? target : {};
    const result: JsonObject = {};
    for (const [k, v] of Object.entries(base)) {
      if (strategy === 'retainKeys' && !Object.prototype.hasOwnProperty.call(patch, k)) continue;
      result[k] = structuredClone(v);
    }
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) {
        delete result[k];
        continue;
      }
      if (v === undefined) continue;
      result[k] = mergeAt(base[k], v, childPath(path, k), annotations);
    }
    return result;
  }
  return patch;
}

function mergeListByKey(
  target: readonly unknown[],
  patch: readonly unknown[],
  key: string,
  itemPath: string,
  annotations: PatchAnnotations,
): unknown[] {
  const result = target.map((item) => structuredClone(item));
  for (const item of patch) {
    const keyValue = isPlainObject(item) ? item[key] : undefined;
    const index =
      keyValue === undefined
        ? -1
        : result.findIndex((existing) => isPlainObject(existing) && existing[key] === keyValue);
    if (index < 0) result.push(structuredClone(item));
    else result[index] = mergeAt(result[index], item, itemPath, annotations);
  }
  return result;
}
