// Answers typed metrics queries from Prometheus with the Prometheus-Adapter-style rules of the
// `kapacity-config` ConfigMap (the same rules the reactive portrait uses):
//
//   POD_RESOURCE, CONTAINER_RESOURCE    resourceRules' containerQuery for the named pod or the
//                                       pods a selector matches (listed from the API server);
//                                       one series per pod.
//   WORKLOAD_RESOURCE(_CONTAINER)       the same rule (or its readyPodsOnlyContainerQuery) over
//                                       the pods matching the workload's pod name pattern; one
//                                       series, the workload's total.
//   OBJECT                              `rules`, for named objects or the ones a selector matches.
//   EXTERNAL                            `externalRules`.
//   WORKLOAD_EXTERNAL                   `externalRules`, restricted to the workload's pods.
//
// Custom metric names are resolved by the same series discovery as the reactive source's
// (series-discovery.ts: each rule's seriesQuery, cached for a minute and refreshed on a miss). A range query whose metric is
// not among recent series also looks for series inside the asked range, so history of a metric
// that has stopped reporting can still be read.

import type { Clock } from '../../kit/clock.js';
import type { ResourceDescriptor } from '../../kit/discovery.js';
import { builtin } from '../../kit/discovery.js';
import type { LabelSelector } from '../../kit/labels.js';
import type { PrometheusApi } from '../prometheus-api.js';
import { CONFIG_MAP_KEY, type PrometheusMetricsConfig } from '../prometheus-config.js';
import { PODS, buildExternalQuery, buildObjectQuery, type GroupResource } from '../prometheus-query.js';
import { SeriesDiscovery } from '../series-discovery.js';
import { QueryError, notFound } from './errors.js';
import { podNamePattern, type MetricsExtensions } from './extensions.js';
import { fromMillis, type SampleMessage, type SeriesMessage } from './proto.js';
import { buildWorkloadQuery } from './queries.js';
import type { MetricsQuery, ObjectIdentifier, TimeRange, WorkloadRef } from './request.js';

/** What the backend needs from the API server. */
export interface KubeLookup {
  /** The REST resource serving `kind` in `group` (its preferred version); NOT_FOUND when none. */
  resolveGroupKind(group: string, kind: string): Promise<ResourceDescriptor>;
  /** Names of the objects of `resource` a label selector (string form) matches. */
  listNames(resource: ResourceDescriptor, namespace: string | undefined, selector: string): Promise<string[]>;
}

export interface MetricsBackend {
  latest(query: MetricsQuery): Promise<SampleMessage[]>;
  range(query: MetricsQuery, range: TimeRange): Promise<SeriesMessage[]>;
}

export interface PrometheusBackendOptions {
  prometheus: PrometheusApi;
  /** The current rules; throws MetricsConfigError when the configuration is broken. */
  config: () => PrometheusMetricsConfig;
  extensions: () => MetricsExtensions;
  kube: KubeLookup;
  clock: Clock;
  /** How long discovered series are reused; default 60 s. */
  relistMs?: number;
}

interface Plan {
  promql: string;
  windowSeconds?: number;
}

export class PrometheusBackend implements MetricsBackend {
  private readonly discovery: SeriesDiscovery;

  constructor(private readonly options: PrometheusBackendOptions) {
    // The backend's options carry everything discovery reads (prometheus, config, clock, relistMs).
    this.discovery = new SeriesDiscovery({ ...options, unavailable: notFound });
  }

  async latest(query: MetricsQuery): Promise<SampleMessage[]> {
    const plan = await this.plan(query);
    const samples = await this.options.prometheus.instant(plan.promql);
    return samples.map((sample) => {
      const message: SampleMessage = {
        point: { timestamp: sample.timestamp.getTime(), value: sample.value },
        labels: { ...sample.labels },
      };
      if (plan.windowSeconds !== undefined) message.window = fromMillis(plan.windowSeconds * 1000);
      return message;
    });
  }

  async range(query: MetricsQuery, range: TimeRange): Promise<SeriesMessage[]> {
    const plan = await this.plan(query, range);
    const series = await this.options.prometheus.range(plan.promql, range);
    return series.map((s) => {
      const message: SeriesMessage = {
        points: s.points.map(([timestamp, value]) => ({ timestamp, value })),
        labels: { ...s.labels },
      };
      if (plan.windowSeconds !== undefined) message.window = fromMillis(plan.windowSeconds * 1000);
      return message;
    });
  }

  /** The PromQL answering `query` (and the averaging window of resource queries). */
  async plan(query: MetricsQuery, range?: TimeRange): Promise<Plan> {
    switch (query.type) {
      case 'POD_RESOURCE':
      case 'CONTAINER_RESOURCE': {
        const { rule, windowSeconds } = this.resourceRule(query.resource);
        const names = await this.names(PODS_DESCRIPTOR, query.namespace, query.pods, 'pods');
        const promql = buildObjectQuery(rule.containerQuery, rule.resources, {
          series: '',
          resource: PODS,
          namespace: query.namespace,
          names,
          metricSelector: containerSelector(rule.containerLabel, query.container),
        });
        return { promql, windowSeconds };
      }
      case 'WORKLOAD_RESOURCE':
      case 'WORKLOAD_CONTAINER_RESOURCE': {
        const { rule, windowSeconds } = this.resourceRule(query.resource);
        const readyOnly = this.options.extensions().readyPodsOnlyQueries[query.resource as 'cpu' | 'memory'];
        const template = query.readyPodsOnly && readyOnly ? readyOnly : rule.containerQuery;
        const promql = buildWorkloadQuery(template, rule.resources, {
          series: '',
          namespace: query.workload.namespace,
          podPattern: this.podPattern(query.workload),
          metricSelector: containerSelector(rule.containerLabel, query.container),
        });
        return { promql, windowSeconds };
      }
      case 'OBJECT': {
        const descriptor = await this.options.kube.resolveGroupKind(query.group, query.kind);
        if (descriptor.namespaced && query.namespace === undefined) {
          throw new QueryError(
            'INVALID_ARGUMENT',
            `query.object.namespace is required: ${descriptor.kind} is namespaced`,
          );
        }
        const namespace = descriptor.namespaced ? query.namespace : undefined;
        const names = await this.names(descriptor, namespace, query.objects, descriptor.resource);
        const resource: GroupResource = {
          group: descriptor.group,
          resource: descriptor.resource,
          singular: descriptor.kind.toLowerCase(),
        };
        const { discovered } = await this.discovery.forResource(query.metric.name, resource, range);
        const promql = buildObjectQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
          series: discovered.seriesName,
          resource,
          namespace,
          names,
          metricSelector: query.metric.selector,
        });
        return { promql };
      }
      case 'EXTERNAL': {
        const discovered = await this.discovery.first('externalRules', query.metric.name, range);
        const promql = buildExternalQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
          series: discovered.seriesName,
          namespace: query.namespace,
          metricSelector: query.metric.selector,
        });
        return { promql };
      }
      case 'WORKLOAD_EXTERNAL': {
        const discovered = await this.discovery.first('externalRules', query.metric.name, range);
        const promql = buildWorkloadQuery(discovered.rule.metricsQuery, discovered.rule.resources, {
          series: discovered.seriesName,
          namespace: query.workload.namespace,
          podPattern: this.podPattern(query.workload),
          metricSelector: query.metric.selector,
        });
        return { promql };
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private resourceRule(resource: string) {
    const rules = this.options.config().resourceRules;
    const rule = resource === 'cpu' ? rules?.cpu : resource === 'memory' ? rules?.memory : undefined;
    if (!rules || !rule) {
      throw notFound(
        `unknown resource metric ${JSON.stringify(resource)}: no resourceRules.${resource} in ${CONFIG_MAP_KEY}`,
      );
    }
    return { rule, windowSeconds: rules.windowSeconds };
  }

  private podPattern(workload: WorkloadRef): string {
    const pattern = podNamePattern(
      this.options.extensions().podNamePatterns,
      workload.group,
      workload.kind,
      workload.name,
    );
    if (pattern === undefined) {
      const kind = workload.group ? `${workload.kind}.${workload.group}` : workload.kind;
      throw new QueryError(
        'FAILED_PRECONDITION',
        `no pod name pattern for workload kind ${kind}: add it to workloadPodNamePatterns in ${CONFIG_MAP_KEY}`,
      );
    }
    return pattern;
  }

  private async names(
    resource: ResourceDescriptor,
    namespace: string | undefined,
    objects: ObjectIdentifier,
    what: string,
  ): Promise<string[]> {
    if ('name' in objects) return [objects.name];
    const names = await this.options.kube.listNames(resource, namespace, objects.selector);
    if (names.length === 0) {
      const where = namespace ? ` in namespace ${namespace}` : '';
      throw notFound(`no ${what}${where} match the selector ${JSON.stringify(objects.selector)}`);
    }
    return names.sort();
  }
}

const PODS_DESCRIPTOR: ResourceDescriptor = builtin.Pod;

function containerSelector(containerLabel: string, container: string | undefined): LabelSelector | undefined {
  return container === undefined ? undefined : { matchLabels: { [containerLabel]: container } };
}
