// The Prometheus metrics configuration: Prometheus-Adapter's format (resourceRules, rules,
// externalRules), read from the key `prometheus-metrics-config.yaml` of the ConfigMap
// `kapacity-config`. Parsed and compiled once per ConfigMap version: templates and regular
// expressions are checked here, so a bad rule is reported with its position instead of failing
// every query later. Fields this project does not use (Kapacity's `workloadPodNamePatterns`,
// `readyPodsOnlyContainerQuery`, resource rules' `nodeQuery`) are accepted and ignored.

import YAML from 'yaml';

import { parseDuration } from './duration.js';
import { compileGoRegExp, compileTemplate, TemplateError, type CompiledTemplate } from './go-template.js';

export const CONFIG_MAP_NAME = 'kapacity-config';
export const CONFIG_MAP_KEY = 'prometheus-metrics-config.yaml';

export class MetricsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsConfigError';
  }
}

/** How a rule maps Kubernetes resources to series labels (Prometheus-Adapter `resources`). */
export interface ResourceMapping {
  /** e.g. `<<.Resource>>`: the label of resource R is the template applied to {Group, Resource}. */
  template?: CompiledTemplate;
  /** label → resource: `exported_namespace: {resource: namespace}`. */
  overrides: Array<{ label: string; group: string; resource: string }>;
  /** externalRules only: false drops the namespace matcher. */
  namespaced?: boolean;
}

export interface DiscoveryRule {
  /** Where the rule sits, for messages: `rules[0]`. */
  position: string;
  seriesQuery: string;
  seriesFilters: Array<{ regex: RegExp; positive: boolean }>;
  nameMatches: RegExp;
  nameAs: string;
  resources: ResourceMapping;
  metricsQuery: CompiledTemplate;
}

export interface ResourceRule {
  position: string;
  containerQuery: CompiledTemplate;
  resources: ResourceMapping;
  containerLabel: string;
}

export interface PrometheusMetricsConfig {
  resourceRules?: { cpu?: ResourceRule; memory?: ResourceRule; windowSeconds: number };
  rules: DiscoveryRule[];
  externalRules: DiscoveryRule[];
}

/**
 * What this project uses when no configuration is given: the defaults the Kapacity manager ships
 * (cAdvisor container metrics for cpu/memory, kube-state-metrics' ready pods as an external
 * metric), so a Resource metric works against a stock Prometheus.
 */
export const DEFAULT_PROMETHEUS_METRICS_CONFIG = `
resourceRules:
  cpu:
    containerQuery: |-
      sum by (<<.GroupBy>>) (
        irate(container_cpu_usage_seconds_total{container!="",container!="POD",<<.LabelMatchers>>}[3m])
      )
    resources:
      overrides:
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  memory:
    containerQuery: |-
      sum by (<<.GroupBy>>) (
        container_memory_working_set_bytes{container!="",container!="POD",<<.LabelMatchers>>}
      )
    resources:
      overrides:
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  window: 3m
rules: []
externalRules:
- seriesQuery: '{__name__="kube_pod_status_ready"}'
  metricsQuery: sum(<<.Series>>{condition="true",<<.LabelMatchers>>})
  name:
    as: ready_pods_count
  resources:
    overrides:
      namespace:
        resource: namespace
`;

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(raw: Raw, key: string, position: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new MetricsConfigError(`${position}.${key}: a non-empty string is required`);
  }
  return value;
}

function optionalString(raw: Raw, key: string, position: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MetricsConfigError(`${position}.${key}: must be a string`);
  return value;
}

function template(text: string, position: string): CompiledTemplate {
  try {
    return compileTemplate(text);
  } catch (error) {
    if (error instanceof TemplateError) throw new MetricsConfigError(`${position}: ${error.message}`);
    throw error;
  }
}

function regexp(text: string, position: string): RegExp {
  try {
    return compileGoRegExp(text);
  } catch (error) {
    if (error instanceof TemplateError) throw new MetricsConfigError(`${position}: ${error.message}`);
    throw error;
  }
}

function parseResources(raw: unknown, position: string): ResourceMapping {
  if (raw === undefined || raw === null) return { overrides: [] };
  if (!isObject(raw)) throw new MetricsConfigError(`${position}: must be a mapping`);
  const mapping: ResourceMapping = { overrides: [] };
  const templateText = optionalString(raw, 'template', position);
  if (templateText) mapping.template = template(templateText, `${position}.template`);
  const overrides = raw['overrides'];
  if (overrides !== undefined && overrides !== null) {
    if (!isObject(overrides)) throw new MetricsConfigError(`${position}.overrides: must be a mapping`);
    for (const [label, target] of Object.entries(overrides)) {
      if (!isObject(target))
        throw new MetricsConfigError(`${position}.overrides.${label}: must be a mapping`);
      mapping.overrides.push({
        label,
        group: optionalString(target, 'group', `${position}.overrides.${label}`) ?? '',
        resource: requireString(target, 'resource', `${position}.overrides.${label}`),
      });
    }
  }
  if (raw['namespaced'] !== undefined && raw['namespaced'] !== null) {
    if (typeof raw['namespaced'] !== 'boolean')
      throw new MetricsConfigError(`${position}.namespaced: must be true or false`);
    mapping.namespaced = raw['namespaced'];
  }
  return mapping;
}

function parseDiscoveryRule(raw: unknown, position: string): DiscoveryRule {
  if (!isObject(raw)) throw new MetricsConfigError(`${position}: must be a mapping`);
  const seriesQuery = requireString(raw, 'seriesQuery', position);
  const metricsQuery = template(requireString(raw, 'metricsQuery', position), `${position}.metricsQuery`);
  const seriesFilters: DiscoveryRule['seriesFilters'] = [];
  const filters = raw['seriesFilters'] ?? [];
  if (!Array.isArray(filters)) throw new MetricsConfigError(`${position}.seriesFilters: must be a list`);
  filters.forEach((filter: unknown, i) => {
    const at = `${position}.seriesFilters[${i}]`;
    if (!isObject(filter)) throw new MetricsConfigError(`${at}: must be a mapping`);
    const is = optionalString(filter, 'is', at);
    const isNot = optionalString(filter, 'isNot', at);
    if (is && isNot) throw new MetricsConfigError(`${at}: cannot have both is and isNot`);
    if (!is && !isNot) throw new MetricsConfigError(`${at}: needs is or isNot`);
    seriesFilters.push({ regex: regexp((is ?? isNot) as string, at), positive: Boolean(is) });
  });

  const name = raw['name'] ?? {};
  if (!isObject(name)) throw new MetricsConfigError(`${position}.name: must be a mapping`);
  const matchesText = optionalString(name, 'matches', `${position}.name`) ?? '';
  const nameMatches = regexp(matchesText === '' ? '.*' : matchesText, `${position}.name.matches`);
  if (matchesText !== '') seriesFilters.push({ regex: nameMatches, positive: true });
  let nameAs = optionalString(name, 'as', `${position}.name`) ?? '';
  if (nameAs === '') {
    // Same defaults as the adapter: the whole match, or the only capture group.
    const groups = new RegExp(`(?:${nameMatches.source})|`, nameMatches.flags).exec('')?.length ?? 1;
    if (groups === 1) nameAs = '$0';
    else if (groups === 2) nameAs = '$1';
    else throw new MetricsConfigError(`${position}.name.as: required when name.matches has several groups`);
  }
  return {
    position,
    seriesQuery,
    seriesFilters,
    nameMatches,
    nameAs,
    resources: parseResources(raw['resources'], `${position}.resources`),
    metricsQuery,
  };
}

function parseResourceRule(raw: unknown, position: string): ResourceRule {
  if (!isObject(raw)) throw new MetricsConfigError(`${position}: must be a mapping`);
  return {
    position,
    containerQuery: template(requireString(raw, 'containerQuery', position), `${position}.containerQuery`),
    resources: parseResources(raw['resources'], `${position}.resources`),
    containerLabel: requireString(raw, 'containerLabel', position),
  };
}

function parseRuleList(raw: unknown, key: string): DiscoveryRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new MetricsConfigError(`${key}: must be a list`);
  return raw.map((rule: unknown, i) => parseDiscoveryRule(rule, `${key}[${i}]`));
}

/** Parses and compiles the YAML text of `prometheus-metrics-config.yaml`. */
export function parsePrometheusMetricsConfig(text: string): PrometheusMetricsConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw new MetricsConfigError(`${CONFIG_MAP_KEY} is not valid YAML: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (!isObject(raw)) throw new MetricsConfigError(`${CONFIG_MAP_KEY}: the top level must be a mapping`);
  const config: PrometheusMetricsConfig = {
    rules: parseRuleList(raw['rules'], 'rules'),
    externalRules: parseRuleList(raw['externalRules'], 'externalRules'),
  };
  const resourceRules = raw['resourceRules'];
  if (resourceRules !== undefined && resourceRules !== null) {
    if (!isObject(resourceRules)) throw new MetricsConfigError('resourceRules: must be a mapping');
    const windowText = optionalString(resourceRules, 'window', 'resourceRules') ?? '1m';
    let windowMs: number;
    try {
      windowMs = parseDuration(windowText);
    } catch {
      throw new MetricsConfigError(`resourceRules.window: invalid duration ${JSON.stringify(windowText)}`);
    }
    config.resourceRules = { windowSeconds: windowMs / 1000 };
    if (resourceRules['cpu'] !== undefined)
      config.resourceRules.cpu = parseResourceRule(resourceRules['cpu'], 'resourceRules.cpu');
    if (resourceRules['memory'] !== undefined) {
      config.resourceRules.memory = parseResourceRule(resourceRules['memory'], 'resourceRules.memory');
    }
  }
  return config;
}
