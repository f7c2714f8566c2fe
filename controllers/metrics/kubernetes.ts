// The Kubernetes metrics APIs as a metrics source, through the kit client (so every request is
// counted like any other): metrics.k8s.io for cpu/memory (metrics-server), custom.metrics.k8s.io
// for Pods and Object metrics and external.metrics.k8s.io for External metrics (an adapter such
// as prometheus-adapter or KEDA serves those).

import { ApiError, type KubeClient } from '../kit/client.js';
import { selectorToString } from '../kit/labels.js';
import type { PodMetricSample } from '../portrait/replica-calculator.js';
import { parseDuration } from './duration.js';
import {
  MetricUnavailableError,
  type DescribedObject,
  type ExternalMetricValues,
  type MetricName,
  type MetricsSource,
  type ObjectMetricValue,
  type PodScope,
} from './types.js';

const RESOURCE_METRICS = '/apis/metrics.k8s.io/v1beta1';
const CUSTOM_METRICS = '/apis/custom.metrics.k8s.io/v1beta2';
const EXTERNAL_METRICS = '/apis/external.metrics.k8s.io/v1beta1';

interface PodMetricsList {
  items?: Array<{
    metadata?: { name?: string };
    timestamp?: string;
    window?: string;
    containers?: Array<{ name: string; usage?: Record<string, string> }>;
  }>;
}

interface MetricValueList {
  items?: Array<{
    describedObject?: { kind?: string; name?: string };
    timestamp?: string;
    windowSeconds?: number;
    value?: string;
  }>;
}

interface ExternalMetricValueList {
  items?: Array<{ metricName?: string; timestamp?: string; value?: string }>;
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function dateOf(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The API path segment of a resource in the custom metrics API: `ingresses.networking.k8s.io`, `pods`. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export class KubernetesMetricsSource implements MetricsSource {
  readonly description = 'Kubernetes metrics APIs';

  constructor(private readonly client: KubeClient) {}

  async resourceMetrics(scope: PodScope, resource: string): Promise<PodMetricSample[]> {
    const path = withQuery(`${RESOURCE_METRICS}/namespaces/${encodeURIComponent(scope.namespace)}/pods`, {
      labelSelector: scope.selector,
    });
    const list = await this.fetch<PodMetricsList>(path, `resource metric ${resource}`, 'metrics.k8s.io');
    const items = list.items ?? [];
    if (items.length === 0)
      throw new Error(`no metrics returned from the resource metrics API for ${resource}`);
    return items.map((item) => {
      const pod = item.metadata?.name ?? '';
      const containers = (item.containers ?? []).map((c) => {
        const value = c.usage?.[resource];
        if (value === undefined) {
          throw new Error(`missing resource metric ${resource} for container ${c.name} in pod ${pod}`);
        }
        return { name: c.name, value };
      });
      const sample: PodMetricSample = { pod, timestamp: dateOf(item.timestamp) ?? new Date(0), containers };
      if (item.window) sample.windowSeconds = parseDuration(item.window) / 1000;
      return sample;
    });
  }

  async podMetrics(scope: PodScope, metric: MetricName): Promise<PodMetricSample[]> {
    const path = withQuery(
      `${CUSTOM_METRICS}/namespaces/${encodeURIComponent(scope.namespace)}/pods/*/${encodeURIComponent(metric.name)}`,
      {
        labelSelector: scope.selector,
        metricLabelSelector: metric.selector ? selectorToString(metric.selector) : undefined,
      },
    );
    const list = await this.fetch<MetricValueList>(
      path,
      `pods metric ${metric.name}`,
      'custom.metrics.k8s.io',
    );
    const items = list.items ?? [];
    if (items.length === 0)
      throw new Error(`no metrics returned from the custom metrics API for ${metric.name}`);
    return items.map((item) => {
      const sample: PodMetricSample = {
        pod: item.describedObject?.name ?? '',
        timestamp: dateOf(item.timestamp) ?? new Date(0),
        value: item.value ?? '0',
      };
      if (item.windowSeconds !== undefined) sample.windowSeconds = item.windowSeconds;
      return sample;
    });
  }

  async objectMetric(
    namespace: string,
    object: DescribedObject,
    metric: MetricName,
  ): Promise<ObjectMetricValue> {
    const apiVersion = object.apiVersion ?? 'v1';
    const resource = await this.client.mapper.resourceFor(apiVersion, object.kind);
    const name = encodeURIComponent(object.name);
    const metricSegment = encodeURIComponent(metric.name);
    let base: string;
    if (resource.group === '' && resource.resource === 'namespaces') {
      // Metrics about a namespace itself have their own path shape.
      base = `${CUSTOM_METRICS}/namespaces/${name}/metrics/${metricSegment}`;
    } else if (resource.namespaced) {
      base = `${CUSTOM_METRICS}/namespaces/${encodeURIComponent(namespace)}/${qualifiedResource(resource.group, resource.resource)}/${name}/${metricSegment}`;
    } else {
      base = `${CUSTOM_METRICS}/${qualifiedResource(resource.group, resource.resource)}/${name}/${metricSegment}`;
    }
    const path = withQuery(base, {
      metricLabelSelector: metric.selector ? selectorToString(metric.selector) : undefined,
    });
    const list = await this.fetch<MetricValueList>(
      path,
      `${object.kind} metric ${metric.name}`,
      'custom.metrics.k8s.io',
    );
    const item = list.items?.[0];
    if (!item?.value)
      throw new Error(`no value returned for ${object.kind} ${object.name} metric ${metric.name}`);
    const timestamp = dateOf(item.timestamp);
    return timestamp ? { value: item.value, timestamp } : { value: item.value };
  }

  async externalMetric(namespace: string, metric: MetricName): Promise<ExternalMetricValues> {
    const path = withQuery(
      `${EXTERNAL_METRICS}/namespaces/${encodeURIComponent(namespace)}/${encodeURIComponent(metric.name)}`,
      { labelSelector: metric.selector ? selectorToString(metric.selector) : undefined },
    );
    const list = await this.fetch<ExternalMetricValueList>(
      path,
      `external metric ${metric.name}`,
      'external.metrics.k8s.io',
    );
    const items = list.items ?? [];
    if (items.length === 0)
      throw new Error(`no metrics returned from the external metrics API for ${metric.name}`);
    const timestamp = dateOf(items[0]?.timestamp);
    const values = items.map((item) => item.value ?? '0');
    return timestamp ? { values, timestamp } : { values };
  }

  private async fetch<T>(path: string, what: string, group: string): Promise<T> {
    try {
      return await this.client.getPath<T>(path);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 503)) {
        // 404 is both "API not served" and "metric unknown"; the server's message tells which.
        throw new MetricUnavailableError(`unable to get ${what} from ${group}: ${error.message}`);
      }
      throw new Error(`unable to get ${what} from ${group}: ${(error as Error).message}`);
    }
  }
}
