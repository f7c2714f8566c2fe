import { QueryError } from '../../../controllers/metrics/grpc/errors.js';
import { normalizeGroup, parseQuery, parseRange } from '../../../controllers/metrics/grpc/request.js';
import type { QueryMessage } from '../../../controllers/metrics/grpc/proto.js';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof QueryError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no error');
}

describe('parseQuery', () => {
  test('each query type becomes its typed query', () => {
    const statefulSet = { group_kind: { group: 'apps', kind: 'StatefulSet' }, namespace: 'ns', name: 'web' };
    const cases: Array<[QueryMessage, unknown]> = [
      [
        {
          type: 'POD_RESOURCE',
          pod_resource: { namespace: 'ns', name: 'web-0', resource_name: 'cpu', pod_identifier: 'name' },
        },
        { type: 'POD_RESOURCE', namespace: 'ns', pods: { name: 'web-0' }, resource: 'cpu' },
      ],
      [
        {
          type: 'CONTAINER_RESOURCE',
          container_resource: {
            namespace: 'ns',
            selector: 'app=web',
            resource_name: 'memory',
            container_name: 'app',
            pod_identifier: 'selector',
          },
        },
        {
          type: 'CONTAINER_RESOURCE',
          namespace: 'ns',
          pods: { selector: 'app=web' },
          resource: 'memory',
          container: 'app',
        },
      ],
      [
        {
          type: 'WORKLOAD_RESOURCE',
          workload_resource: { ...statefulSet, resource_name: 'cpu', ready_pods_only: true },
        },
        {
          type: 'WORKLOAD_RESOURCE',
          workload: { group: 'apps', kind: 'StatefulSet', namespace: 'ns', name: 'web' },
          resource: 'cpu',
          readyPodsOnly: true,
        },
      ],
      [
        {
          type: 'WORKLOAD_CONTAINER_RESOURCE',
          workload_container_resource: { ...statefulSet, resource_name: 'cpu', container_name: 'app' },
        },
        {
          type: 'WORKLOAD_CONTAINER_RESOURCE',
          workload: { group: 'apps', kind: 'StatefulSet', namespace: 'ns', name: 'web' },
          resource: 'cpu',
          container: 'app',
          readyPodsOnly: false,
        },
      ],
      [
        {
          type: 'OBJECT',
          object: {
            group_kind: { group: 'networking.k8s.io', kind: 'Ingress' },
            namespace: 'ns',
            name: 'web',
            metric: { name: 'rps', selector: 'status in (200,201)' },
          },
        },
        {
          type: 'OBJECT',
          group: 'networking.k8s.io',
          kind: 'Ingress',
          namespace: 'ns',
          objects: { name: 'web' },
          metric: {
            name: 'rps',
            selector: { matchExpressions: [{ key: 'status', operator: 'In', values: ['200', '201'] }] },
          },
        },
      ],
      [
        { type: 'EXTERNAL', external: { metric: { name: 'queue_depth' } } },
        { type: 'EXTERNAL', metric: { name: 'queue_depth' } },
      ],
      [
        {
          type: 'WORKLOAD_EXTERNAL',
          workload_external: { ...statefulSet, metric: { name: 'ready_pods_count' } },
        },
        {
          type: 'WORKLOAD_EXTERNAL',
          workload: { group: 'apps', kind: 'StatefulSet', namespace: 'ns', name: 'web' },
          metric: { name: 'ready_pods_count' },
        },
      ],
    ];
    for (const [message, expected] of cases) expect(parseQuery(message)).toEqual(expected);
  });

  test('an absent type is POD_RESOURCE (the enum zero), and a core group written as a version is the core group', () => {
    expect(parseQuery({ pod_resource: { namespace: 'ns', name: 'p', resource_name: 'cpu' } })).toMatchObject({
      type: 'POD_RESOURCE',
    });
    expect(normalizeGroup('v1')).toBe('');
    expect(normalizeGroup('v1beta2')).toBe('');
    expect(normalizeGroup('apps')).toBe('apps');
    expect(
      parseQuery({
        type: 'OBJECT',
        object: {
          group_kind: { group: 'v1', kind: 'Service' },
          namespace: 'ns',
          name: 's',
          metric: { name: 'm' },
        },
      }),
    ).toMatchObject({ group: '', kind: 'Service' });
  });

  test('mistakes are INVALID_ARGUMENT naming the field', () => {
    expect(errorOf(() => parseQuery(undefined))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'query is required',
    });
    expect(
      errorOf(() => parseQuery({ type: 'OBJECT', external: { metric: { name: 'm' } }, query: 'external' })),
    ).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'query.type is OBJECT but the query sets external, not object',
    });
    expect(errorOf(() => parseQuery({ type: 'EXTERNAL' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'query.external is required for EXTERNAL',
    });
    expect(errorOf(() => parseQuery({ type: 7 }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(
      errorOf(() =>
        parseQuery({ type: 'POD_RESOURCE', pod_resource: { namespace: 'ns', resource_name: 'cpu' } }),
      ),
    ).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'query.pod_resource: either name or selector is required',
    });
    expect(
      errorOf(() =>
        parseQuery({
          type: 'WORKLOAD_RESOURCE',
          workload_resource: { group_kind: { kind: 'Deployment' }, namespace: 'ns', resource_name: 'cpu' },
        }),
      ),
    ).toEqual({ code: 'INVALID_ARGUMENT', message: 'query.workload_resource.name is required' });
  });

  test('bad selectors are INVALID_ARGUMENT', () => {
    const pods = (selector: string) => () =>
      parseQuery({
        type: 'POD_RESOURCE',
        pod_resource: { namespace: 'ns', selector, resource_name: 'cpu', pod_identifier: 'selector' },
      });
    expect(errorOf(pods('app in (web'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('query.pod_resource.selector'),
    });
    expect(errorOf(pods('app=we b'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(errorOf(pods('-app=web'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('invalid label key'),
    });
    const metric = (selector: string) => () =>
      parseQuery({ type: 'EXTERNAL', external: { metric: { name: 'm', selector } } });
    // Metric selector keys become PromQL label names.
    expect(errorOf(metric('app.kubernetes.io/name=web'))).toEqual({
      code: 'INVALID_ARGUMENT',
      message:
        'query.external.metric.selector: "app.kubernetes.io/name" is not a valid Prometheus label name',
    });
    // As Kubernetes converts a selector string: equalities to matchLabels, the rest to expressions.
    expect(
      parseQuery({
        type: 'EXTERNAL',
        external: { metric: { name: 'm', selector: 'a=1,!b,c in (x,y),d!=2,e==3' } },
      }),
    ).toEqual({
      type: 'EXTERNAL',
      metric: {
        name: 'm',
        selector: {
          matchLabels: { a: '1', e: '3' },
          matchExpressions: [
            { key: 'b', operator: 'DoesNotExist' },
            { key: 'c', operator: 'In', values: ['x', 'y'] },
            { key: 'd', operator: 'NotIn', values: ['2'] },
          ],
        },
      },
    });
  });
});

describe('parseRange', () => {
  const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

  test('start, end and step in milliseconds', () => {
    expect(parseRange({ start: at(1_000_000), end: at(4_600_500), step: { seconds: 60 } })).toEqual({
      startMs: 1_000_000,
      endMs: 4_600_500,
      stepMs: 60_000,
    });
  });

  test('at most maxPoints points per series: the limit itself passes, one more is OUT_OF_RANGE', () => {
    const step = { seconds: 60 };
    expect(parseRange({ start: at(0), end: at(10_999 * 60_000), step }).endMs).toBe(10_999 * 60_000);
    expect(errorOf(() => parseRange({ start: at(0), end: at(11_000 * 60_000), step }))).toEqual({
      code: 'OUT_OF_RANGE',
      message:
        'the range asks for 11001 points per series, more than the limit of 11000: use a larger step or a shorter range',
    });
    expect(errorOf(() => parseRange({ start: at(0), end: at(10 * 60_000), step }, 10))).toMatchObject({
      code: 'OUT_OF_RANGE',
    });
  });

  test('missing or inconsistent fields are INVALID_ARGUMENT', () => {
    expect(errorOf(() => parseRange({ end: at(1), step: { seconds: 1 } }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'start is required',
    });
    expect(errorOf(() => parseRange({ start: at(1), step: { seconds: 1 } }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'end is required',
    });
    expect(errorOf(() => parseRange({ start: at(1), end: at(2) }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'step is required',
    });
    expect(errorOf(() => parseRange({ start: at(0), end: at(1000), step: {} }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'step must be positive, got 0 ms',
    });
    expect(errorOf(() => parseRange({ start: at(5000), end: at(1000), step: { seconds: 1 } }))).toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('is before start'),
      },
    );
  });
});
