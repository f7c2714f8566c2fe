import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

import {
  SpecError,
  chunkRange,
  onGrid,
  podRequest,
  portraitQueries,
  targetPerPod,
} from '../../../cli/predict/metrics.js';
import type { HorizontalPortrait } from '../../../controllers/portrait/horizontalportrait/types.js';

const seedPortrait = (): HorizontalPortrait =>
  YAML.parse(
    readFileSync(
      join(process.cwd(), 'test', 'fixtures', 'seeds', 'hp-predictive-sample-predictive.yaml'),
      'utf8',
    ),
  ) as HorizontalPortrait;

describe('portraitQueries', () => {
  test("the walkthrough's portrait: workload cpu, ready pods, the Ingress metric", () => {
    const queries = portraitQueries(seedPortrait());
    const statefulSet = {
      group_kind: { group: 'apps', kind: 'StatefulSet' },
      namespace: 'default',
      name: 'nginx',
    };
    expect(queries).toEqual({
      resource: 'cpu',
      target: { type: 'AverageValue', averageValue: '1m' },
      usage: {
        type: 'WORKLOAD_RESOURCE',
        workload_resource: { ...statefulSet, resource_name: 'cpu', ready_pods_only: true },
      },
      replicas: {
        type: 'WORKLOAD_EXTERNAL',
        workload_external: { ...statefulSet, metric: { name: 'kube_pod_status_ready' } },
      },
      replicasMetric: 'kube_pod_status_ready',
      traffic: [
        {
          name: 'qps',
          query: {
            type: 'OBJECT',
            object: {
              group_kind: { group: 'networking.k8s.io', kind: 'Ingress' },
              namespace: 'default',
              name: 'nginx-server',
              metric: { name: 'nginx_ingress_controller_requests_rate' },
            },
          },
        },
      ],
    });
  });

  test('container resource, external traffic with a selector, pods traffic', () => {
    const hp = seedPortrait();
    hp.spec.metrics = [
      {
        type: 'ContainerResource',
        containerResource: { name: 'memory', container: 'app', target: { averageUtilization: 70 } },
      },
      { type: 'External', external: { metric: { name: 'ready_pods_count' }, target: { type: 'NA' } } },
      {
        type: 'External',
        external: {
          metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'orders' } } },
          target: { type: 'NA' },
        },
      },
      { type: 'Pods', pods: { metric: { name: 'http_requests' }, target: { type: 'NA' } } },
    ];
    const queries = portraitQueries(hp);
    expect(queries.container).toBe('app');
    expect(queries.usage).toMatchObject({
      type: 'WORKLOAD_CONTAINER_RESOURCE',
      workload_container_resource: { resource_name: 'memory', container_name: 'app', ready_pods_only: true },
    });
    expect(queries.traffic).toEqual([
      {
        name: 'queue_depth',
        query: {
          type: 'EXTERNAL',
          external: { namespace: 'default', metric: { name: 'queue_depth', selector: 'queue=orders' } },
        },
      },
      {
        name: 'http_requests',
        query: {
          type: 'WORKLOAD_EXTERNAL',
          workload_external: {
            group_kind: { group: 'apps', kind: 'StatefulSet' },
            namespace: 'default',
            name: 'nginx',
            metric: { name: 'http_requests' },
          },
        },
      },
    ]);
  });

  test('specs breaking the convention are SpecErrors naming the entry', () => {
    const hp = seedPortrait();
    const metrics = hp.spec.metrics ?? [];
    expect(() => portraitQueries({ ...hp, spec: { ...hp.spec, metrics: metrics.slice(0, 2) } })).toThrow(
      'spec.metrics needs at least three entries (resource target, ready replicas, traffic…), got 2',
    );
    expect(() =>
      portraitQueries({ ...hp, spec: { ...hp.spec, metrics: [metrics[2]!, metrics[1]!, metrics[2]!] } }),
    ).toThrow(
      'spec.metrics[0] must be a Resource or ContainerResource metric (the target to keep), got Object',
    );
    expect(() =>
      portraitQueries({ ...hp, spec: { ...hp.spec, metrics: [metrics[0]!, metrics[0]!, metrics[2]!] } }),
    ).toThrow('spec.metrics[1] must be a Pods or External metric counting ready replicas, got Resource');
    expect(() =>
      portraitQueries({ ...hp, spec: { ...hp.spec, metrics: [metrics[0]!, metrics[1]!, metrics[0]!] } }),
    ).toThrow('spec.metrics[2] must be an Object, External or Pods traffic metric, got Resource');
    expect(() =>
      portraitQueries({ ...hp, spec: { ...hp.spec, metrics: [...metrics, metrics[2]!] } }),
    ).toThrow(SpecError);
  });
});

describe('targets and requests', () => {
  test('AverageValue in base units; Utilization of the pod request; Value refused', () => {
    expect(targetPerPod({ type: 'AverageValue', averageValue: '250m' }, undefined)).toBe(0.25);
    expect(targetPerPod({ type: 'AverageValue', averageValue: '64Mi' }, undefined)).toBe(64 * 1024 * 1024);
    expect(targetPerPod({ type: 'Utilization', averageUtilization: 60 }, 0.5)).toBeCloseTo(0.3, 12);
    expect(() => targetPerPod({ type: 'Utilization', averageUtilization: 60 }, 0)).toThrow(
      'a Utilization target needs the pods to request the resource',
    );
    expect(() => targetPerPod({ type: 'Value', value: '1' }, 1)).toThrow(
      /target type Value is not supported/,
    );
  });

  test('podRequest sums containers, or takes the named one', () => {
    const containers: Array<{ name: string; resources?: { requests?: Record<string, string> } }> = [
      { name: 'app', resources: { requests: { cpu: '250m', memory: '1Gi' } } },
      { name: 'sidecar', resources: { requests: { cpu: '50m' } } },
      { name: 'bare' },
    ];
    expect(podRequest(containers, 'cpu')).toBeCloseTo(0.3, 12);
    expect(podRequest(containers, 'cpu', 'sidecar')).toBeCloseTo(0.05, 12);
    expect(podRequest(containers, 'memory')).toBe(1024 ** 3);
  });
});

describe('history on a grid', () => {
  test('chunkRange keeps each request within the point limit', () => {
    expect(chunkRange(0, 25 * 60_000, 60_000, 10)).toEqual([
      [0, 9 * 60_000],
      [10 * 60_000, 19 * 60_000],
      [20 * 60_000, 25 * 60_000],
    ]);
    expect(chunkRange(0, 0, 60_000, 10)).toEqual([[0, 0]]);
  });

  test('onGrid adds series up and leaves gaps as NaN', () => {
    const values = onGrid(
      [
        {
          labels: { a: '1' },
          points: [
            { timestamp: 0, value: 1 },
            { timestamp: 60_000, value: 2 },
          ],
        },
        {
          labels: { a: '2' },
          points: [
            { timestamp: 60_000, value: 3 },
            { timestamp: 600_000, value: 9 },
            { timestamp: 120_000, value: NaN },
          ],
        },
      ],
      0,
      180_000,
      60_000,
    );
    expect(values).toEqual([1, 5, NaN, NaN]);
  });
});
