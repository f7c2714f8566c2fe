// Label selectors, in both forms Kubernetes uses: the string form of list requests
// (`app=web,tier in (a,b),!canary`) and the structured metav1.LabelSelector of workload specs.

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

/** metav1.LabelSelector. An empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: { [key: string]: string };
  matchExpressions?: LabelSelectorRequirement[];
}

export type Selector = string | LabelSelector;

export type LabelMatcher = (labels: { readonly [key: string]: string } | undefined) => boolean;

/** The requirements of a structured selector, matchLabels first. */
export function requirementsOf(selector: LabelSelector): LabelSelectorRequirement[] {
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(
    ([key, value]): LabelSelectorRequirement => ({ key, operator: 'In', values: [value] }),
  );
  return [...fromLabels, ...(selector.matchExpressions ?? [])];
}

/**
 * Parses the string form: requirements separated by commas, each `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists) or `!k` (does not exist). Empty matches everything.
 */
export function parseSelector(text: string): LabelSelectorRequirement[] {
  const requirements: LabelSelectorRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    const term = part.trim();
    if (!term) continue;
    requirements.push(parseRequirement(term));
  }
  return requirements;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw new Error(`unbalanced parentheses in selector ${JSON.stringify(text)}`);
  }
  if (depth !== 0) throw new Error(`unbalanced parentheses in selector ${JSON.stringify(text)}`);
  parts.push(text.slice(start));
  return parts;
}

function parseRequirement(term: string): LabelSelectorRequirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (setMatch) {
    const [, key, op, list] = setMatch as unknown as [string, string, string, string];
    const values = list
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { key, operator: op === 'in' ? 'In' : 'NotIn', values };
  }
  const notEqual = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (notEqual) return { key: notEqual[1] as string, operator: 'NotIn', values: [notEqual[2] as string] };
  const equal = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (equal) return { key: equal[1] as string, operator: 'In', values: [equal[2] as string] };
  const absent = /^!\s*([^=!\s()]+)$/.exec(term);
  if (absent) return { key: absent[1] as string, operator: 'DoesNotExist' };
  if (/^[^=!\s()]+$/.test(term)) return { key: term, operator: 'Exists' };
  throw new Error(`cannot parse label selector requirement ${JSON.stringify(term)}`);
}

/** The string form of a structured selector, for `labelSelector` query parameters. */
export function selectorToString(selector: LabelSelector): string {
  return requirementsOf(selector)
    .map((r) => {
      const values = r.values ?? [];
      switch (r.operator) {
        case 'In':
          return values.length === 1 ? `${r.key}=${values[0]}` : `${r.key} in (${values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}

function matchesRequirement(
  labels: { readonly [key: string]: string },
  r: LabelSelectorRequirement,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key] as string);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(labels[r.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** Compiles a selector (either form) into a predicate over an object's labels. */
export function compileSelector(selector: Selector): LabelMatcher {
  const requirements = typeof selector === 'string' ? parseSelector(selector) : requirementsOf(selector);
  return (labels) => requirements.every((r) => matchesRequirement(labels ?? {}, r));
}

export function matchesSelector(
  labels: { readonly [key: string]: string } | undefined,
  selector: Selector,
): boolean {
  return compileSelector(selector)(labels);
}
