// Kapacity's extensions of the Prometheus-Adapter configuration that only the workload queries
// of the metrics service use (the shared parser in ../prometheus-config.ts accepts and ignores
// them):
//
//   workloadPodNamePatterns   which pods belong to a workload, by name: a regular expression with
//                             `%s` standing for the workload's name (`^%s-[0-9]+$` for a
//                             StatefulSet). Workload queries match `pod=~"<pattern>"`.
//   resourceRules.<cpu|memory>.readyPodsOnlyContainerQuery
//                             the query for "ready pods only" workload resource queries.
//
// Without `workloadPodNamePatterns` the patterns below apply (Kapacity's defaults, plus
// OpenKruise CloneSets, which this project rolls out). Without a ready-pods-only query the
// rule's containerQuery answers such queries (every pod of the workload counts).

import YAML from 'yaml';

import { compileTemplate, TemplateError, type CompiledTemplate } from '../go-template.js';
import { MetricsConfigError } from '../prometheus-config.js';

export interface WorkloadPodNamePattern {
  group: string;
  kind: string;
  /** Regular expression with `%s` for the workload name. */
  pattern: string;
}

export interface MetricsExtensions {
  podNamePatterns: WorkloadPodNamePattern[];
  readyPodsOnlyQueries: { cpu?: CompiledTemplate; memory?: CompiledTemplate };
}

export const DEFAULT_POD_NAME_PATTERNS: readonly WorkloadPodNamePattern[] = [
  { group: 'apps', kind: 'ReplicaSet', pattern: '^%s-[a-z0-9]+$' },
  { group: 'apps', kind: 'Deployment', pattern: '^%s-[a-z0-9]+-[a-z0-9]+$' },
  { group: 'apps', kind: 'StatefulSet', pattern: '^%s-[0-9]+$' },
  { group: 'apps.kruise.io', kind: 'CloneSet', pattern: '^%s-[a-z0-9]+$' },
];

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses the extension fields out of the YAML text of `prometheus-metrics-config.yaml`. */
export function parseMetricsExtensions(text: string): MetricsExtensions {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw new MetricsConfigError(`not valid YAML: ${(error as Error).message}`);
  }
  const root = isObject(raw) ? raw : {};
  const extensions: MetricsExtensions = {
    podNamePatterns: [...DEFAULT_POD_NAME_PATTERNS],
    readyPodsOnlyQueries: {},
  };

  const patterns = root['workloadPodNamePatterns'];
  if (patterns !== undefined && patterns !== null) {
    if (!Array.isArray(patterns)) throw new MetricsConfigError('workloadPodNamePatterns: must be a list');
    extensions.podNamePatterns = patterns.map((entry: unknown, i): WorkloadPodNamePattern => {
      const at = `workloadPodNamePatterns[${i}]`;
      if (!isObject(entry)) throw new MetricsConfigError(`${at}: must be a mapping`);
      const kind = entry['kind'];
      const pattern = entry['pattern'];
      const group = entry['group'] ?? '';
      if (typeof kind !== 'string' || kind === '') throw new MetricsConfigError(`${at}.kind: required`);
      if (typeof pattern !== 'string' || !pattern.includes('%s')) {
        throw new MetricsConfigError(`${at}.pattern: a regular expression containing %s is required`);
      }
      if (typeof group !== 'string') throw new MetricsConfigError(`${at}.group: must be a string`);
      return { group, kind, pattern };
    });
  }

  const resourceRules = root['resourceRules'];
  if (isObject(resourceRules)) {
    for (const resource of ['cpu', 'memory'] as const) {
      const rule = resourceRules[resource];
      if (!isObject(rule)) continue;
      const text = rule['readyPodsOnlyContainerQuery'];
      if (text === undefined || text === null || text === '') continue;
      if (typeof text !== 'string') {
        throw new MetricsConfigError(
          `resourceRules.${resource}.readyPodsOnlyContainerQuery: must be a string`,
        );
      }
      try {
        extensions.readyPodsOnlyQueries[resource] = compileTemplate(text);
      } catch (error) {
        if (error instanceof TemplateError) {
          throw new MetricsConfigError(
            `resourceRules.${resource}.readyPodsOnlyContainerQuery: ${error.message}`,
          );
        }
        throw error;
      }
    }
  }
  return extensions;
}

/** Escapes a workload name for use inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * The pod name pattern of a workload, or undefined when no pattern covers its kind. A pattern
 * without a group matches the kind in any group.
 */
export function podNamePattern(
  patterns: readonly WorkloadPodNamePattern[],
  group: string,
  kind: string,
  name: string,
): string | undefined {
  const entry =
    patterns.find((p) => p.kind === kind && p.group === group) ??
    patterns.find((p) => p.kind === kind && p.group === '');
  return entry?.pattern.split('%s').join(escapeRegExp(name));
}
