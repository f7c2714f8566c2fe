// Loading the service definition from our .proto files (proto/metric.proto, proto/provider.proto)
// and the TypeScript shapes of its messages as @grpc/proto-loader presents them with the options
// below: field names exactly as in the .proto (snake_case), int64 as JS numbers (unix
// milliseconds fit), enums as their names, scalar defaults filled in, and for each oneof a
// virtual field naming the member that is set.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { repoRoot } from '../../repo-root.js';

export const PROTO_PACKAGE = 'io.kapacitystack.metric';
export const SERVICE_NAME = `${PROTO_PACKAGE}.ProviderService`;

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The directory holding the .proto files: next to this module when run from source (tsx, jest),
 * else the source tree's copy (a `tsc` build does not copy .proto files into dist/).
 */
export function protoDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'proto'), join(repoRoot(), 'controllers', 'metrics', 'grpc', 'proto')];
  const found = candidates.find((dir) => existsSync(join(dir, 'provider.proto')));
  if (!found) throw new Error(`cannot find provider.proto (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: grpc.ServiceDefinition | undefined;

/** The ProviderService definition (method paths, serializers), loaded once. */
export function providerServiceDefinition(): grpc.ServiceDefinition {
  if (!cached) {
    const definition = protoLoader.loadSync('provider.proto', {
      ...LOADER_OPTIONS,
      includeDirs: [protoDirectory()],
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      io: { kapacitystack: { metric: { ProviderService: grpc.ServiceClientConstructor } } };
    };
    cached = loaded.io.kapacitystack.metric.ProviderService.service;
  }
  return cached;
}

// ---------------------------------------------------------------------------------------------
// Message shapes. Requests are typed loosely (everything optional, as a peer may omit anything);
// responses are what this server writes.

export type QueryType =
  | 'POD_RESOURCE'
  | 'CONTAINER_RESOURCE'
  | 'WORKLOAD_RESOURCE'
  | 'WORKLOAD_CONTAINER_RESOURCE'
  | 'OBJECT'
  | 'EXTERNAL'
  | 'WORKLOAD_EXTERNAL';

export const QUERY_TYPES: readonly QueryType[] = [
  'POD_RESOURCE',
  'CONTAINER_RESOURCE',
  'WORKLOAD_RESOURCE',
  'WORKLOAD_CONTAINER_RESOURCE',
  'OBJECT',
  'EXTERNAL',
  'WORKLOAD_EXTERNAL',
];

/** The oneof member each query type carries its parameters in. */
export const QUERY_MEMBER: Readonly<Record<QueryType, keyof QueryMessage>> = {
  POD_RESOURCE: 'pod_resource',
  CONTAINER_RESOURCE: 'container_resource',
  WORKLOAD_RESOURCE: 'workload_resource',
  WORKLOAD_CONTAINER_RESOURCE: 'workload_container_resource',
  OBJECT: 'object',
  EXTERNAL: 'external',
  WORKLOAD_EXTERNAL: 'workload_external',
};

export interface GroupKindMessage {
  group?: string;
  kind?: string;
}

export interface MetricIdentifierMessage {
  name?: string;
  selector?: string | null;
}

export interface PodResourceQueryMessage {
  namespace?: string;
  name?: string;
  selector?: string;
  resource_name?: string;
  /** Which of name / selector is set (proto-loader's oneof field). */
  pod_identifier?: 'name' | 'selector';
}

export interface ContainerResourceQueryMessage extends PodResourceQueryMessage {
  container_name?: string;
}

export interface WorkloadResourceQueryMessage {
  group_kind?: GroupKindMessage | null;
  namespace?: string;
  name?: string;
  resource_name?: string;
  ready_pods_only?: boolean;
}

export interface WorkloadContainerResourceQueryMessage extends WorkloadResourceQueryMessage {
  container_name?: string;
}

export interface ObjectQueryMessage {
  group_kind?: GroupKindMessage | null;
  namespace?: string | null;
  name?: string;
  selector?: string;
  object_identifier?: 'name' | 'selector';
  metric?: MetricIdentifierMessage | null;
}

export interface ExternalQueryMessage {
  namespace?: string | null;
  metric?: MetricIdentifierMessage | null;
}

export interface WorkloadExternalQueryMessage {
  group_kind?: GroupKindMessage | null;
  namespace?: string;
  name?: string;
  metric?: MetricIdentifierMessage | null;
}

export interface QueryMessage {
  type?: QueryType | number;
  pod_resource?: PodResourceQueryMessage | null;
  container_resource?: ContainerResourceQueryMessage | null;
  workload_resource?: WorkloadResourceQueryMessage | null;
  workload_container_resource?: WorkloadContainerResourceQueryMessage | null;
  object?: ObjectQueryMessage | null;
  external?: ExternalQueryMessage | null;
  workload_external?: WorkloadExternalQueryMessage | null;
  /** Which member of the oneof is set. */
  query?: string;
}

export interface TimestampMessage {
  seconds?: number;
  nanos?: number;
}

export type DurationMessage = TimestampMessage;

export interface PointMessage {
  /** Unix milliseconds. */
  timestamp: number;
  value: number;
}

export interface SeriesMessage {
  points: PointMessage[];
  labels: Record<string, string>;
  window?: DurationMessage;
}

export interface SampleMessage {
  point: PointMessage;
  labels: Record<string, string>;
  window?: DurationMessage;
}

export interface QueryLatestRequestMessage {
  query?: QueryMessage | null;
}

export interface QueryLatestResponseMessage {
  samples: SampleMessage[];
}

export interface QueryRequestMessage {
  query?: QueryMessage | null;
  start?: TimestampMessage | null;
  end?: TimestampMessage | null;
  step?: DurationMessage | null;
}

export interface QueryResponseMessage {
  series: SeriesMessage[];
}

/** Milliseconds of a Timestamp / Duration message. */
export function toMillis(message: TimestampMessage): number {
  return Number(message.seconds ?? 0) * 1000 + Math.floor(Number(message.nanos ?? 0) / 1e6);
}

export function fromMillis(ms: number): TimestampMessage {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
