// Validation of incoming queries (pure): the wire message becomes a typed query, or a
// QueryError that says which field is wrong. Selectors are parsed here, so a bad one is an
// INVALID_ARGUMENT before anything is asked of Prometheus or the API server.

import { parseSelector, type LabelSelector, type LabelSelectorRequirement } from '../../kit/labels.js';
import { QueryError, invalid } from './errors.js';
import {
  QUERY_MEMBER,
  QUERY_TYPES,
  toMillis,
  type GroupKindMessage,
  type MetricIdentifierMessage,
  type QueryMessage,
  type QueryRequestMessage,
  type QueryType,
} from './proto.js';

/** Prometheus refuses range queries returning more points than this per series. */
export const DEFAULT_MAX_POINTS = 11_000;

export interface WorkloadRef {
  /** API group, '' for the core group. */
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface MetricRef {
  name: string;
  selector?: LabelSelector;
}

/** Either one object by name or the objects a label selector (string form) matches. */
export type ObjectIdentifier = { name: string } | { selector: string };

export type MetricsQuery =
  | {
      type: 'POD_RESOURCE' | 'CONTAINER_RESOURCE';
      namespace: string;
      pods: ObjectIdentifier;
      resource: string;
      container?: string;
    }
  | {
      type: 'WORKLOAD_RESOURCE' | 'WORKLOAD_CONTAINER_RESOURCE';
      workload: WorkloadRef;
      resource: string;
      container?: string;
      readyPodsOnly: boolean;
    }
  | {
      type: 'OBJECT';
      group: string;
      kind: string;
      /** Undefined for cluster-scoped objects. */
      namespace?: string;
      objects: ObjectIdentifier;
      metric: MetricRef;
    }
  | { type: 'EXTERNAL'; namespace?: string; metric: MetricRef }
  | { type: 'WORKLOAD_EXTERNAL'; workload: WorkloadRef; metric: MetricRef };

export interface TimeRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const PROMETHEUS_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A core-group kind arrives with the group empty, or (from clients that split an apiVersion at
 * its slash) as the bare version `v1`: both mean the core group.
 */
export function normalizeGroup(group: string): string {
  return /^v\d+((alpha|beta)\d+)?$/.test(group) ? '' : group;
}

function requirements(text: string, field: string): LabelSelectorRequirement[] {
  let parsed: LabelSelectorRequirement[];
  try {
    parsed = parseSelector(text);
  } catch (error) {
    throw invalid(`${field}: ${(error as Error).message}`);
  }
  return parsed;
}

/** A pod / object selector in string form, checked against Kubernetes label syntax. */
export function checkObjectSelector(text: string, field: string): string {
  for (const r of requirements(text, field)) {
    if (!LABEL_KEY.test(r.key)) throw invalid(`${field}: invalid label key ${JSON.stringify(r.key)}`);
    for (const value of r.values ?? []) {
      if (!LABEL_VALUE.test(value))
        throw invalid(`${field}: invalid label value ${JSON.stringify(value)} for ${r.key}`);
    }
    if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 0) {
      throw invalid(`${field}: requirement on ${r.key} has no values`);
    }
  }
  return text;
}

/**
 * A metric selector (string form) as a structured selector, the way Kubernetes converts one
 * (`k=v` and `k==v` become matchLabels, everything else matchExpressions), so its PromQL matchers
 * come out as the adapter renders them (`k="v"` for an equality, `k=~"v"` for `k in (v)`). Its keys
 * become PromQL label names, so they must be Prometheus label names.
 */
export function parseMetricSelector(text: string, field: string): LabelSelector | undefined {
  const parsed = requirements(text, field);
  if (parsed.length === 0) return undefined;
  for (const r of parsed) {
    if (!PROMETHEUS_LABEL.test(r.key)) {
      throw invalid(`${field}: ${JSON.stringify(r.key)} is not a valid Prometheus label name`);
    }
    if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 0) {
      throw invalid(`${field}: requirement on ${r.key} has no values`);
    }
  }
  const selector: LabelSelector = {};
  // Terms are separated by commas outside parentheses.
  for (const term of text.split(/,(?![^()]*\))/)) {
    const equality = /^\s*([^=!\s(),]+)\s*==?\s*([^=!\s(),]*)\s*$/.exec(term);
    if (equality) {
      selector.matchLabels = { ...selector.matchLabels, [equality[1] as string]: equality[2] as string };
    } else if (term.trim() !== '') {
      selector.matchExpressions = [...(selector.matchExpressions ?? []), ...requirements(term, field)];
    }
  }
  return selector;
}

function required(value: string | undefined | null, field: string): string {
  if (value === undefined || value === null || value === '') throw invalid(`${field} is required`);
  return value;
}

function metricRef(message: MetricIdentifierMessage | null | undefined, field: string): MetricRef {
  const name = required(message?.name, `${field}.name`);
  const selectorText = message?.selector ?? '';
  const selector = selectorText === '' ? undefined : parseMetricSelector(selectorText, `${field}.selector`);
  return selector ? { name, selector } : { name };
}

function workloadRef(
  message: { group_kind?: GroupKindMessage | null; namespace?: string; name?: string },
  field: string,
): WorkloadRef {
  return {
    group: normalizeGroup(message.group_kind?.group ?? ''),
    kind: required(message.group_kind?.kind, `${field}.group_kind.kind`),
    namespace: required(message.namespace, `${field}.namespace`),
    name: required(message.name, `${field}.name`),
  };
}

function identifier(
  message: { name?: string; selector?: string },
  set: string | undefined,
  field: string,
): ObjectIdentifier {
  if (set === 'name' || (set === undefined && message.name)) {
    return { name: required(message.name, `${field}.name`) };
  }
  if (set === 'selector' || (set === undefined && message.selector !== undefined)) {
    return { selector: checkObjectSelector(message.selector ?? '', `${field}.selector`) };
  }
  throw invalid(`${field}: either name or selector is required`);
}

function queryType(type: QueryMessage['type']): QueryType {
  if (typeof type === 'string' && (QUERY_TYPES as readonly string[]).includes(type)) return type as QueryType;
  if (type === undefined) return 'POD_RESOURCE';
  throw invalid(`query.type: unknown query type ${JSON.stringify(type)}`);
}

/** The typed query of a request's `query` field. */
export function parseQuery(message: QueryMessage | null | undefined): MetricsQuery {
  if (!message) throw invalid('query is required');
  const type = queryType(message.type);
  const member = QUERY_MEMBER[type];
  const set = message.query;
  if (set !== undefined && set !== member) {
    throw invalid(`query.type is ${type} but the query sets ${set}, not ${member}`);
  }
  const field = `query.${member}`;
  switch (type) {
    case 'POD_RESOURCE':
    case 'CONTAINER_RESOURCE': {
      const body = type === 'POD_RESOURCE' ? message.pod_resource : message.container_resource;
      if (!body) throw invalid(`${field} is required for ${type}`);
      const query: MetricsQuery = {
        type,
        namespace: required(body.namespace, `${field}.namespace`),
        pods: identifier(body, body.pod_identifier, field),
        resource: required(body.resource_name, `${field}.resource_name`),
      };
      if (type === 'CONTAINER_RESOURCE') {
        query.container = required(message.container_resource?.container_name, `${field}.container_name`);
      }
      return query;
    }
    case 'WORKLOAD_RESOURCE':
    case 'WORKLOAD_CONTAINER_RESOURCE': {
      const body =
        type === 'WORKLOAD_RESOURCE' ? message.workload_resource : message.workload_container_resource;
      if (!body) throw invalid(`${field} is required for ${type}`);
      const query: MetricsQuery = {
        type,
        workload: workloadRef(body, field),
        resource: required(body.resource_name, `${field}.resource_name`),
        readyPodsOnly: body.ready_pods_only === true,
      };
      if (type === 'WORKLOAD_CONTAINER_RESOURCE') {
        query.container = required(
          message.workload_container_resource?.container_name,
          `${field}.container_name`,
        );
      }
      return query;
    }
    case 'OBJECT': {
      const body = message.object;
      if (!body) throw invalid(`${field} is required for ${type}`);
      const namespace = body.namespace ?? '';
      return {
        type,
        group: normalizeGroup(body.group_kind?.group ?? ''),
        kind: required(body.group_kind?.kind, `${field}.group_kind.kind`),
        ...(namespace === '' ? {} : { namespace }),
        objects: identifier(body, body.object_identifier, field),
        metric: metricRef(body.metric, `${field}.metric`),
      };
    }
    case 'EXTERNAL': {
      const body = message.external;
      if (!body) throw invalid(`${field} is required for ${type}`);
      const namespace = body.namespace ?? '';
      return {
        type,
        ...(namespace === '' ? {} : { namespace }),
        metric: metricRef(body.metric, `${field}.metric`),
      };
    }
    case 'WORKLOAD_EXTERNAL': {
      const body = message.workload_external;
      if (!body) throw invalid(`${field} is required for ${type}`);
      return { type, workload: workloadRef(body, field), metric: metricRef(body.metric, `${field}.metric`) };
    }
  }
}

/** The range of a Query request; at most `maxPoints` points per series. */
export function parseRange(request: QueryRequestMessage, maxPoints = DEFAULT_MAX_POINTS): TimeRange {
  if (!request.start) throw invalid('start is required');
  if (!request.end) throw invalid('end is required');
  if (!request.step) throw invalid('step is required');
  const startMs = toMillis(request.start);
  const endMs = toMillis(request.end);
  const stepMs = toMillis(request.step);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || !Number.isFinite(stepMs)) {
    throw invalid('start, end and step must be finite');
  }
  if (stepMs <= 0) throw invalid(`step must be positive, got ${stepMs} ms`);
  if (endMs < startMs) {
    throw invalid(
      `end (${new Date(endMs).toISOString()}) is before start (${new Date(startMs).toISOString()})`,
    );
  }
  const points = Math.floor((endMs - startMs) / stepMs) + 1;
  if (points > maxPoints) {
    throw new QueryError(
      'OUT_OF_RANGE',
      `the range asks for ${points} points per series, more than the limit of ${maxPoints}: use a larger step or a shorter range`,
    );
  }
  return { startMs, endMs, stepMs };
}
