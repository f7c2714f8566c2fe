// Pure query building for Prometheus-Adapter-style rules: which label stands for a Kubernetes
// resource, what the metric name of a series is, and the PromQL a rule's template renders to for
// a given set of objects. Mirrors the adapter's rules so existing configurations give the same
// queries:
//
//   .LabelMatchers  the metric selector's matchers (sorted by label), then the namespace matcher,
//                   then the resource matcher (`pod="a"`, or `pod=~"a|b"` for several names);
//   .GroupBy        the resource label, then any extra labels (the container label for resource
//                   rules); empty for external rules;
//   .LabelValuesByName  label → value(s) of those matchers (`a|b` for several).

import type { LabelSelector } from '../kit/labels.js';
import { expandMatch } from './go-template.js';
import type { DiscoveryRule, ResourceMapping } from './prometheus-config.js';
import type { CompiledTemplate } from './go-template.js';

/** A Kubernetes resource as the rules see it. */
export interface GroupResource {
  group: string;
  /** Plural, as in URLs: `ingresses`. */
  resource: string;
  /** Singular: `ingress` (what `<<.Resource>>` renders). */
  singular: string;
}

export const NAMESPACES: GroupResource = { group: '', resource: 'namespaces', singular: 'namespace' };
export const PODS: GroupResource = { group: '', resource: 'pods', singular: 'pod' };

export class QueryBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryBuildError';
  }
}

/**
 * The series label naming `resource` under `mapping`: an override wins, else the template
 * rendered with {Group (dots and dashes as underscores), Resource (singular)}.
 */
export function labelForResource(mapping: ResourceMapping, resource: GroupResource): string {
  for (const override of mapping.overrides) {
    const sameResource = override.resource === resource.resource || override.resource === resource.singular;
    // An override without a group names the resource by its name alone, as users write `namespace`.
    if (sameResource && (override.group === resource.group || override.group === '')) return override.label;
  }
  if (!mapping.template) {
    throw new QueryBuildError(
      `no label stands for ${describeResource(resource)}: the rule's resources has neither a template nor an override for it`,
    );
  }
  const label = mapping.template.render({
    Group: resource.group.replace(/[.-]/g, '_'),
    Resource: resource.singular,
  });
  if (label === '')
    throw new QueryBuildError(
      `the resource template rendered an empty label for ${describeResource(resource)}`,
    );
  return label;
}

export function describeResource(resource: GroupResource): string {
  return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
}

/** PromQL string literal (the adapter formats values with Go's %q, which this matches for label values). */
function quote(value: string): string {
  return JSON.stringify(value);
}

type Operator = '=' | '!=' | '=~' | '!~';

interface QueryPart {
  label: string;
  operator: 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/** Requirements of a structured selector in the order Kubernetes sorts them (by key, values sorted). */
function selectorParts(selector: LabelSelector | undefined): QueryPart[] {
  if (!selector) return [];
  const parts: QueryPart[] = [];
  for (const [label, value] of Object.entries(selector.matchLabels ?? {})) {
    parts.push({ label, operator: 'Equals', values: [value] });
  }
  for (const expression of selector.matchExpressions ?? []) {
    parts.push({
      label: expression.key,
      operator: expression.operator,
      values: [...(expression.values ?? [])].sort(),
    });
  }
  return parts.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** One selector requirement as a PromQL matcher (the adapter's table). */
function matcherFor(part: QueryPart): string {
  const { label, operator, values } = part;
  if (label === '') throw new QueryBuildError('a metric selector requirement has no label');
  let op: Operator;
  let value: string;
  if (values.length === 0) {
    if (operator === 'Exists') op = '!=';
    else if (operator === 'DoesNotExist') op = '=';
    else throw new QueryBuildError(`metric selector requirement on ${label} (${operator}) has no values`);
    value = '';
  } else {
    if (operator === 'Exists' || operator === 'DoesNotExist') {
      throw new QueryBuildError(`metric selector requirement on ${label} (${operator}) cannot have values`);
    }
    value = values.join('|');
    if (values.length === 1) {
      op = { Equals: '=', NotEquals: '!=', In: '=~', NotIn: '!~' }[operator] as Operator;
    } else {
      op = operator === 'Equals' || operator === 'In' ? '=~' : '!~';
    }
  }
  return `${label}${op}${quote(value)}`;
}

interface Matchers {
  exprs: string[];
  valuesByName: Map<string, string>;
}

function matchersOf(parts: QueryPart[]): Matchers {
  const exprs: string[] = [];
  const valuesByName = new Map<string, string>();
  for (const part of parts) {
    exprs.push(matcherFor(part));
    valuesByName.set(part.label, part.values.join('|'));
  }
  return { exprs, valuesByName };
}

export interface ObjectQuery {
  /** The series the rule found (`.Series`); empty for resource rules. */
  series: string;
  /** The resource the names belong to. */
  resource: GroupResource;
  /** Omitted for cluster-scoped resources. */
  namespace?: string;
  /** Objects asked about; at least one. */
  names: readonly string[];
  /** Extra group-by labels after the resource label (the container label of resource rules). */
  extraGroupBy?: readonly string[];
  metricSelector?: LabelSelector;
}

/** Renders `template` for a query about named objects (Pods and Object metrics, resource rules). */
export function buildObjectQuery(
  template: CompiledTemplate,
  mapping: ResourceMapping,
  query: ObjectQuery,
): string {
  if (query.names.length === 0)
    throw new QueryBuildError(`no ${query.resource.resource} to query a metric for`);
  const parts = selectorParts(query.metricSelector);
  if (query.namespace) {
    parts.push({
      label: labelForResource(mapping, NAMESPACES),
      operator: 'Equals',
      values: [query.namespace],
    });
  }
  const { exprs, valuesByName } = matchersOf(parts);
  const resourceLabel = labelForResource(mapping, query.resource);
  const target = query.names.join('|');
  exprs.push(`${resourceLabel}${query.names.length > 1 ? '=~' : '='}${quote(target)}`);
  valuesByName.set(resourceLabel, target);
  const groupBy = [resourceLabel, ...(query.extraGroupBy ?? [])];
  return render(template, {
    Series: query.series,
    LabelMatchers: exprs.join(','),
    LabelValuesByName: valuesByName,
    GroupBy: groupBy.join(','),
    GroupBySlice: groupBy,
  });
}

export interface ExternalQuery {
  series: string;
  /** The HPA's namespace; dropped when the rule says `namespaced: false` or maps no namespace label. */
  namespace?: string;
  metricSelector?: LabelSelector;
}

/** Renders an external rule's template: matchers from the selector and the namespace, no grouping. */
export function buildExternalQuery(
  template: CompiledTemplate,
  mapping: ResourceMapping,
  query: ExternalQuery,
): string {
  const parts = selectorParts(query.metricSelector);
  if (query.namespace && mapping.namespaced !== false) {
    let namespaceLabel: string | undefined;
    try {
      namespaceLabel = labelForResource(mapping, NAMESPACES);
    } catch {
      namespaceLabel = undefined;
    }
    if (namespaceLabel) parts.push({ label: namespaceLabel, operator: 'Equals', values: [query.namespace] });
  }
  const { exprs, valuesByName } = matchersOf(parts);
  return render(template, {
    Series: query.series,
    LabelMatchers: exprs.join(','),
    LabelValuesByName: valuesByName,
    GroupBy: '',
    GroupBySlice: [],
  });
}

function render(template: CompiledTemplate, data: Record<string, unknown>): string {
  const query = template.render(data);
  if (query.trim() === '')
    throw new QueryBuildError(
      `the metrics query template ${JSON.stringify(template.source)} rendered nothing`,
    );
  return query;
}

// ---------------------------------------------------------------------------------------------
// Series discovery

/** A series as /api/v1/series returns it: its labels, `__name__` included. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** The API metric name a rule gives a series name, or undefined when the rule filters it out. */
export function metricNameForSeries(rule: DiscoveryRule, seriesName: string): string | undefined {
  for (const filter of rule.seriesFilters) {
    if (filter.regex.test(seriesName) !== filter.positive) return undefined;
  }
  const match = rule.nameMatches.exec(seriesName);
  if (!match) return undefined;
  return expandMatch(rule.nameAs, match);
}

/** One series name found by one rule, with every label name its series carry. */
export interface DiscoveredMetric {
  rule: DiscoveryRule;
  seriesName: string;
  labels: ReadonlySet<string>;
}

/**
 * Metric name → the series (and rules) that provide it, from the series each rule's seriesQuery
 * returned (`seriesByRule[i]` for `rules[i]`). Earlier rules come first for the same metric.
 */
export function indexSeries(
  rules: readonly DiscoveryRule[],
  seriesByRule: readonly (readonly SeriesLabels[])[],
): Map<string, DiscoveredMetric[]> {
  const index = new Map<string, DiscoveredMetric[]>();
  rules.forEach((rule, i) => {
    const bySeriesName = new Map<string, Set<string>>();
    for (const series of seriesByRule[i] ?? []) {
      const name = series['__name__'];
      if (!name) continue;
      let labels = bySeriesName.get(name);
      if (!labels) bySeriesName.set(name, (labels = new Set()));
      for (const label of Object.keys(series)) if (label !== '__name__') labels.add(label);
    }
    for (const [seriesName, labels] of bySeriesName) {
      const metric = metricNameForSeries(rule, seriesName);
      if (metric === undefined) continue;
      let entries = index.get(metric);
      if (!entries) index.set(metric, (entries = []));
      entries.push({ rule, seriesName, labels });
    }
  });
  return index;
}
