// Turns the metric specs of a portrait into the observations the replica calculator consumes,
// one per metric and in the same order. A metric that cannot be fetched becomes a `failed`
// observation carrying the reason, so the calculator can still decide from the others (and
// refuses to scale down on partial information).

import { errorMessage } from '../kit/log.js';
import type { MetricObservation, MetricSpec } from '../portrait/replica-calculator.js';
import type { MetricName, MetricsSource, PodScope } from './types.js';

function metricName(identifier: { name: string; selector?: unknown }): MetricName {
  const name: MetricName = { name: identifier.name };
  if (identifier.selector && typeof identifier.selector === 'object') {
    name.selector = identifier.selector as MetricName['selector'];
  }
  return name;
}

async function observe(source: MetricsSource, spec: MetricSpec, scope: PodScope): Promise<MetricObservation> {
  switch (spec.type) {
    case 'Resource': {
      if (!spec.resource) throw new Error('metric of type Resource has no resource section');
      const samples = await source.resourceMetrics(scope, spec.resource.name);
      return { kind: 'pods', samples };
    }
    case 'ContainerResource': {
      if (!spec.containerResource) {
        throw new Error('metric of type ContainerResource has no containerResource section');
      }
      const samples = await source.resourceMetrics(scope, spec.containerResource.name);
      return { kind: 'pods', samples };
    }
    case 'Pods': {
      if (!spec.pods?.metric?.name) throw new Error('metric of type Pods has no pods.metric.name');
      const samples = await source.podMetrics(scope, metricName(spec.pods.metric));
      return { kind: 'pods', samples };
    }
    case 'Object': {
      const object = spec.object;
      if (!object?.metric?.name || !object.describedObject?.kind || !object.describedObject.name) {
        throw new Error(
          'metric of type Object needs object.describedObject {kind, name} and object.metric.name',
        );
      }
      const { value, timestamp } = await source.objectMetric(
        scope.namespace,
        object.describedObject,
        metricName(object.metric),
      );
      return timestamp ? { kind: 'object', value, timestamp } : { kind: 'object', value };
    }
    case 'External': {
      if (!spec.external?.metric?.name)
        throw new Error('metric of type External has no external.metric.name');
      const { values, timestamp } = await source.externalMetric(
        scope.namespace,
        metricName(spec.external.metric),
      );
      return timestamp ? { kind: 'external', values, timestamp } : { kind: 'external', values };
    }
    default:
      throw new Error(`unknown metric source type "${spec.type}"`);
  }
}

/** Fetches every metric of `metrics` for `scope` concurrently; never rejects. */
export function observeMetrics(
  source: MetricsSource,
  metrics: readonly MetricSpec[],
  scope: PodScope,
): Promise<MetricObservation[]> {
  return Promise.all(
    metrics.map(async (spec): Promise<MetricObservation> => {
      try {
        return await observe(source, spec, scope);
      } catch (error) {
        return { kind: 'failed', error: errorMessage(error) };
      }
    }),
  );
}
