import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { isApiError } from '../../../controllers/kit/client.js';
import { silentLogger } from '../../../controllers/kit/log.js';
import type { MetricsBackend } from '../../../controllers/metrics/grpc/backend.js';
import { MetricsCallError, MetricsClient } from '../../../controllers/metrics/grpc/client.js';
import { QueryError, classifyError } from '../../../controllers/metrics/grpc/errors.js';
import { protoDirectory } from '../../../controllers/metrics/grpc/proto.js';
import type { MetricsQuery, TimeRange } from '../../../controllers/metrics/grpc/request.js';
import { MetricsGrpcServer } from '../../../controllers/metrics/grpc/server.js';
import { PrometheusError } from '../../../controllers/metrics/prometheus-api.js';
import { MetricsConfigError } from '../../../controllers/metrics/prometheus-config.js';
import { MetricUnavailableError } from '../../../controllers/metrics/types.js';

// Kapacity's definitions (algorithm/kapacity/metric/pb/metric.proto and provider.proto): every
// message's fields as [name, number, type, message type]. Ours must match for the wire format.
// (`map<string, string> labels` is a repeated entry message, which the loader calls `Labels`.)
const KAPACITY: Record<string, Array<[string, number, string, string?]>> = {
  Series: [
    ['points', 1, 'TYPE_MESSAGE', 'Point'],
    ['labels', 2, 'TYPE_MESSAGE', 'Labels'],
    ['window', 3, 'TYPE_MESSAGE', 'google.protobuf.Duration'],
  ],
  Sample: [
    ['point', 1, 'TYPE_MESSAGE', 'Point'],
    ['labels', 2, 'TYPE_MESSAGE', 'Labels'],
    ['window', 3, 'TYPE_MESSAGE', 'google.protobuf.Duration'],
  ],
  Point: [
    ['timestamp', 1, 'TYPE_INT64'],
    ['value', 2, 'TYPE_DOUBLE'],
  ],
  Query: [
    ['type', 1, 'TYPE_ENUM', 'QueryType'],
    ['pod_resource', 2, 'TYPE_MESSAGE', 'PodResourceQuery'],
    ['container_resource', 3, 'TYPE_MESSAGE', 'ContainerResourceQuery'],
    ['workload_resource', 4, 'TYPE_MESSAGE', 'WorkloadResourceQuery'],
    ['workload_container_resource', 5, 'TYPE_MESSAGE', 'WorkloadContainerResourceQuery'],
    ['object', 6, 'TYPE_MESSAGE', 'ObjectQuery'],
    ['external', 7, 'TYPE_MESSAGE', 'ExternalQuery'],
    ['workload_external', 8, 'TYPE_MESSAGE', 'WorkloadExternalQuery'],
  ],
  PodResourceQuery: [
    ['namespace', 1, 'TYPE_STRING'],
    ['name', 2, 'TYPE_STRING'],
    ['selector', 3, 'TYPE_STRING'],
    ['resource_name', 4, 'TYPE_STRING'],
  ],
  ContainerResourceQuery: [
    ['namespace', 1, 'TYPE_STRING'],
    ['name', 2, 'TYPE_STRING'],
    ['selector', 3, 'TYPE_STRING'],
    ['resource_name', 4, 'TYPE_STRING'],
    ['container_name', 5, 'TYPE_STRING'],
  ],
  WorkloadResourceQuery: [
    ['group_kind', 1, 'TYPE_MESSAGE', 'GroupKind'],
    ['namespace', 2, 'TYPE_STRING'],
    ['name', 3, 'TYPE_STRING'],
    ['resource_name', 4, 'TYPE_STRING'],
    ['ready_pods_only', 5, 'TYPE_BOOL'],
  ],
  WorkloadContainerResourceQuery: [
    ['group_kind', 1, 'TYPE_MESSAGE', 'GroupKind'],
    ['namespace', 2, 'TYPE_STRING'],
    ['name', 3, 'TYPE_STRING'],
    ['resource_name', 4, 'TYPE_STRING'],
    ['container_name', 5, 'TYPE_STRING'],
    ['ready_pods_only', 6, 'TYPE_BOOL'],
  ],
  ObjectQuery: [
    ['group_kind', 1, 'TYPE_MESSAGE', 'GroupKind'],
    ['namespace', 2, 'TYPE_STRING'],
    ['name', 3, 'TYPE_STRING'],
    ['selector', 4, 'TYPE_STRING'],
    ['metric', 5, 'TYPE_MESSAGE', 'MetricIdentifier'],
  ],
  ExternalQuery: [
    ['namespace', 1, 'TYPE_STRING'],
    ['metric', 2, 'TYPE_MESSAGE', 'MetricIdentifier'],
  ],
  WorkloadExternalQuery: [
    ['group_kind', 1, 'TYPE_MESSAGE', 'GroupKind'],
    ['namespace', 2, 'TYPE_STRING'],
    ['name', 3, 'TYPE_STRING'],
    ['metric', 4, 'TYPE_MESSAGE', 'MetricIdentifier'],
  ],
  GroupKind: [
    ['group', 1, 'TYPE_STRING'],
    ['kind', 2, 'TYPE_STRING'],
  ],
  MetricIdentifier: [
    ['name', 1, 'TYPE_STRING'],
    ['selector', 2, 'TYPE_STRING'],
  ],
  QueryLatestRequest: [['query', 1, 'TYPE_MESSAGE', 'Query']],
  QueryLatestResponse: [['samples', 1, 'TYPE_MESSAGE', 'Sample']],
  QueryRequest: [
    ['query', 1, 'TYPE_MESSAGE', 'Query'],
    ['start', 2, 'TYPE_MESSAGE', 'google.protobuf.Timestamp'],
    ['end', 3, 'TYPE_MESSAGE', 'google.protobuf.Timestamp'],
    ['step', 4, 'TYPE_MESSAGE', 'google.protobuf.Duration'],
  ],
  QueryResponse: [['series', 1, 'TYPE_MESSAGE', 'Series']],
};

describe('wire compatibility with Kapacity', () => {
  const definition = protoLoader.loadSync('provider.proto', {
    includeDirs: [protoDirectory()],
    keepCase: true,
  });
  const message = (name: string) =>
    definition[`io.kapacitystack.metric.${name}`] as unknown as {
      type: { field: Array<{ name: string; number: number; type: string; typeName: string }> };
    };

  test('every message has Kapacity field names, numbers and types', () => {
    for (const [name, fields] of Object.entries(KAPACITY)) {
      // Message type names are written relative to the package; compare their last segment.
      const typeName = (t: string) => (t.startsWith('google.') ? t : t.slice(t.lastIndexOf('.') + 1));
      const ours = message(name).type.field.map((f) => [
        f.name,
        f.number,
        f.type,
        ...(f.typeName ? [typeName(f.typeName)] : []),
      ]);
      expect({ name, fields: ours }).toEqual({ name, fields });
    }
  });

  test('the QueryType enum and the service methods', () => {
    const enumType = definition['io.kapacitystack.metric.QueryType'] as unknown as {
      type: { value: Array<{ name: string; number: number }> };
    };
    expect(enumType.type.value.map((v) => [v.name, v.number])).toEqual([
      ['POD_RESOURCE', 0],
      ['CONTAINER_RESOURCE', 1],
      ['WORKLOAD_RESOURCE', 2],
      ['WORKLOAD_CONTAINER_RESOURCE', 3],
      ['OBJECT', 4],
      ['EXTERNAL', 5],
      ['WORKLOAD_EXTERNAL', 6],
    ]);
    const service = definition['io.kapacitystack.metric.ProviderService'] as unknown as Record<
      string,
      { path: string }
    >;
    expect(service['Query']?.path).toBe('/io.kapacitystack.metric.ProviderService/Query');
    expect(service['QueryLatest']?.path).toBe('/io.kapacitystack.metric.ProviderService/QueryLatest');
  });
});

describe('classifyError', () => {
  test('each kind of failure has its status', () => {
    expect(classifyError(new QueryError('OUT_OF_RANGE', 'too long')).code).toBe('OUT_OF_RANGE');
    expect(classifyError(new MetricUnavailableError('no rule')).code).toBe('NOT_FOUND');
    expect(classifyError(new MetricsConfigError('bad yaml'))).toEqual({
      code: 'FAILED_PRECONDITION',
      message: 'metrics configuration: bad yaml',
    });
    expect(classifyError(new PrometheusError('Prometheus at http://x is unreachable: refused')).code).toBe(
      'UNAVAILABLE',
    );
    expect(
      classifyError(new PrometheusError('Prometheus rejected query q: bad_data: parse error')).code,
    ).toBe('INTERNAL');
    expect(classifyError(new TypeError('x is undefined')).code).toBe('INTERNAL');
    expect(isApiError(new Error('x'))).toBe(false);
  });
});

/** A backend that answers from a table and records what it was asked. */
class FakeBackend implements MetricsBackend {
  readonly asked: Array<{ query: MetricsQuery; range?: TimeRange }> = [];
  failWith?: Error;

  async latest(query: MetricsQuery) {
    this.asked.push({ query });
    if (this.failWith) throw this.failWith;
    return [
      {
        point: { timestamp: 1_700_000_000_123, value: 0.5 },
        labels: { pod: 'web-0' },
        window: { seconds: 180, nanos: 0 },
      },
    ];
  }

  async range(query: MetricsQuery, range: TimeRange) {
    this.asked.push({ query, range });
    if (this.failWith) throw this.failWith;
    return [
      {
        points: [
          { timestamp: range.startMs, value: 1 },
          { timestamp: range.endMs, value: Number.NaN },
        ],
        labels: { ingress: 'web' },
      },
    ];
  }
}

describe('MetricsGrpcServer and MetricsClient over loopback', () => {
  let server: MetricsGrpcServer;
  let client: MetricsClient;
  const backend = new FakeBackend();

  beforeAll(async () => {
    server = new MetricsGrpcServer({
      address: '127.0.0.1:0',
      backend,
      logger: silentLogger(),
      maxPoints: 100,
    });
    const port = await server.start();
    client = new MetricsClient(`127.0.0.1:${port}`);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    backend.failWith = undefined;
    backend.asked.length = 0;
  });

  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof MetricsCallError) return { code: error.codeName, message: error.details };
      throw error;
    }
    throw new Error('the call succeeded');
  };

  test('Query: the range reaches the backend in milliseconds; points come back with int64 timestamps', async () => {
    const series = await client.query(
      {
        type: 'OBJECT',
        object: {
          group_kind: { group: 'networking.k8s.io', kind: 'Ingress' },
          namespace: 'shop',
          name: 'web',
          metric: { name: 'rps' },
        },
      },
      1_700_000_000_000,
      1_700_000_060_000,
      30_000,
    );
    expect(backend.asked).toEqual([
      {
        query: {
          type: 'OBJECT',
          group: 'networking.k8s.io',
          kind: 'Ingress',
          namespace: 'shop',
          objects: { name: 'web' },
          metric: { name: 'rps' },
        },
        range: { startMs: 1_700_000_000_000, endMs: 1_700_000_060_000, stepMs: 30_000 },
      },
    ]);
    expect(series).toHaveLength(1);
    expect(series[0]?.labels).toEqual({ ingress: 'web' });
    expect(series[0]?.points[0]).toEqual({ timestamp: 1_700_000_000_000, value: 1 });
    expect(series[0]?.points[1]?.value).toBeNaN();
  });

  test('QueryLatest: samples with their window', async () => {
    const samples = await client.queryLatest({
      type: 'POD_RESOURCE',
      pod_resource: { namespace: 'shop', name: 'web-0', resource_name: 'cpu' },
    });
    expect(samples).toEqual([
      expect.objectContaining({
        point: { timestamp: 1_700_000_000_123, value: 0.5 },
        labels: { pod: 'web-0' },
        window: { seconds: 180, nanos: 0 },
      }),
    ]);
  });

  test('failures become status codes with messages, and the server keeps serving', async () => {
    const external = { type: 'EXTERNAL' as const, external: { metric: { name: 'm' } } };
    expect(await failure(client.query(external, 0, 100 * 60_000, 60_000))).toEqual({
      code: 'OUT_OF_RANGE',
      message:
        'the range asks for 101 points per series, more than the limit of 100: use a larger step or a shorter range',
    });
    expect(
      await failure(
        client.queryLatest({ type: 'EXTERNAL', external: { metric: { name: 'm', selector: 'a in (' } } }),
      ),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    backend.failWith = new MetricUnavailableError('unknown metric m');
    expect(await failure(client.queryLatest(external))).toEqual({
      code: 'NOT_FOUND',
      message: 'unknown metric m',
    });
    backend.failWith = new Error('boom');
    expect(await failure(client.query(external, 0, 60_000, 60_000))).toEqual({
      code: 'INTERNAL',
      message: 'boom',
    });
    backend.failWith = undefined;
    expect(await client.queryLatest(external)).toHaveLength(1);
  });

  test('without a backend every query is FAILED_PRECONDITION', async () => {
    const bare = new MetricsGrpcServer({
      address: '127.0.0.1:0',
      backend: undefined,
      logger: silentLogger(),
    });
    const port = await bare.start();
    const other = new MetricsClient(`127.0.0.1:${port}`);
    try {
      expect(
        await failure(other.queryLatest({ type: 'EXTERNAL', external: { metric: { name: 'm' } } })),
      ).toEqual({
        code: 'FAILED_PRECONDITION',
        message:
          'the metrics service answers from Prometheus, and the controller runs without --prometheus-address',
      });
    } finally {
      other.close();
      await bare.stop();
    }
  });

  test('binding an address in use fails with a message naming it', async () => {
    const first = new MetricsGrpcServer({ address: '127.0.0.1:0', backend, logger: silentLogger() });
    const port = await first.start();
    const second = new MetricsGrpcServer({ address: `127.0.0.1:${port}`, backend, logger: silentLogger() });
    // grpc-js also prints the failed bind to the console.
    grpc.setLogVerbosity(grpc.logVerbosity.NONE);
    try {
      await expect(second.start()).rejects.toThrow(
        `cannot serve io.kapacitystack.metric.ProviderService on 127.0.0.1:${port}`,
      );
    } finally {
      grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
      await first.stop();
      await second.stop();
    }
  });
});
