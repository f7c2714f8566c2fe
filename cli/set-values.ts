// `--set key=value` arguments of `addon enable` into the parameter object an addon is rendered
// with (pure). Keys with dots nest (`image.tag=v1` → {image: {tag: "v1"}}); values are typed the
// way users expect from `vela addon enable` and `helm --set`:
// true/false → boolean, null → null, integers and decimals → numbers, JSON arrays and objects →
// parsed, a double-quoted value → the string inside the quotes, anything else → the string.

import { UsageError } from './args.js';

export type SetValues = Record<string, unknown>;

const INTEGER = /^-?(0|[1-9]\d*)$/;
const DECIMAL = /^-?(0|[1-9]\d*)\.\d+$/;

/** The typed value of the text after `=`. */
export function typedValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (INTEGER.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (DECIMAL.test(text)) return Number(text);
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  if ((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('{') && text.endsWith('}'))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all: keep it as the string the user typed.
    }
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges every `key=value` item into one object; later items win, conflicting shapes are errors. */
export function parseSetValues(items: readonly string[]): SetValues {
  const result: SetValues = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(
        `${JSON.stringify(item)} is not key=value: parameters are given as key=value, e.g. --set replicas=2`,
      );
    }
    const path = item.slice(0, eq).split('.');
    if (path.some((part) => part === '')) {
      throw new UsageError(
        `${JSON.stringify(item)}: the key ${JSON.stringify(item.slice(0, eq))} has an empty part`,
      );
    }
    let node = result;
    for (let i = 0; i < path.length - 1; i++) {
      const part = path[i] as string;
      const existing = node[part];
      if (existing === undefined) {
        const child: Record<string, unknown> = {};
        node[part] = child;
        node = child;
      } else if (isRecord(existing)) {
        node = existing;
      } else {
        throw new UsageError(
          `${JSON.stringify(item)}: ${path.slice(0, i + 1).join('.')} was already set to ${JSON.stringify(existing)}, ` +
            `it cannot also hold ${path.slice(i + 1).join('.')}`,
        );
      }
    }
    node[path.at(-1) as string] = typedValue(item.slice(eq + 1));
  }
  return result;
}
