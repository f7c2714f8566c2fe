// PromQL for the workload queries (pure). A workload's pods are matched by name pattern, the way
// Kapacity's workload queries do it: the rule's template is rendered like an external rule's (no
// grouping: one series for the whole workload) with three kinds of label matchers — the metric
// selector's, the namespace, and `pod=~"<pattern>"`.

import type { LabelSelector } from '../../kit/labels.js';
import type { CompiledTemplate } from '../go-template.js';
import { compileTemplate } from '../go-template.js';
import type { ResourceMapping } from '../prometheus-config.js';
import { NAMESPACES, PODS, buildExternalQuery, labelForResource } from '../prometheus-query.js';

/** Renders only the label matchers, so the selector's matchers come out exactly as elsewhere. */
const MATCHERS_ONLY = compileTemplate('<<.LabelMatchers>>');

/** The label of `resource` under `mapping`, or `fallback` when the rule maps none. */
function labelOr(mapping: ResourceMapping, resource: typeof PODS, fallback: string): string {
  try {
    return labelForResource(mapping, resource);
  } catch {
    return fallback;
  }
}

export interface WorkloadQuery {
  /** The series the rule found (`.Series`); empty for resource rules. */
  series: string;
  namespace: string;
  /** Regular expression matching the names of the workload's pods. */
  podPattern: string;
  metricSelector?: LabelSelector;
}

export function buildWorkloadQuery(
  template: CompiledTemplate,
  mapping: ResourceMapping,
  query: WorkloadQuery,
): string {
  const matchers: string[] = [];
  const valuesByName = new Map<string, string>();
  if (query.metricSelector) {
    const rendered = buildExternalQuery(
      MATCHERS_ONLY,
      { ...mapping, namespaced: false },
      {
        series: query.series,
        metricSelector: query.metricSelector,
      },
    );
    matchers.push(rendered);
    for (const [label, value] of Object.entries(query.metricSelector.matchLabels ?? {})) {
      valuesByName.set(label, value);
    }
    for (const expression of query.metricSelector.matchExpressions ?? []) {
      valuesByName.set(expression.key, (expression.values ?? []).join('|'));
    }
  }
  const namespaceLabel = labelOr(mapping, NAMESPACES, 'namespace');
  const podLabel = labelOr(mapping, PODS, 'pod');
  matchers.push(`${namespaceLabel}=${JSON.stringify(query.namespace)}`);
  matchers.push(`${podLabel}=~${JSON.stringify(query.podPattern)}`);
  valuesByName.set(namespaceLabel, query.namespace);
  valuesByName.set(podLabel, query.podPattern);
  return template.render({
    Series: query.series,
    LabelMatchers: matchers.join(','),
    LabelValuesByName: valuesByName,
    GroupBy: '',
    GroupBySlice: [],
  });
}
