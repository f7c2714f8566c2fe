// The gRPC server of the metrics service (`io.kapacitystack.metric.ProviderService`). Every
// request is validated, answered by the backend, and every failure is answered with a status
// code and a message (see errors.ts); a handler never throws into grpc-js.

import * as grpc from '@grpc/grpc-js';

import type { Logger } from '../../kit/log.js';
import type { MetricsBackend } from './backend.js';
import { QueryError, classifyError, type QueryErrorCode } from './errors.js';
import {
  SERVICE_NAME,
  providerServiceDefinition,
  type QueryLatestRequestMessage,
  type QueryLatestResponseMessage,
  type QueryRequestMessage,
  type QueryResponseMessage,
} from './proto.js';
import { DEFAULT_MAX_POINTS, parseQuery, parseRange } from './request.js';

export const STATUS_CODES: Readonly<Record<QueryErrorCode, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

export interface MetricsGrpcServerOptions {
  /** `host:port`; port 0 picks a free one. */
  address: string;
  /** Undefined when no Prometheus is configured: every query fails with FAILED_PRECONDITION. */
  backend: MetricsBackend | undefined;
  logger: Logger;
  /** Largest number of points per series a range query may ask for. */
  maxPoints?: number;
}

const NO_BACKEND =
  'the metrics service answers from Prometheus, and the controller runs without --prometheus-address';

export class MetricsGrpcServer {
  private readonly server = new grpc.Server();
  private readonly maxPoints: number;

  constructor(private readonly options: MetricsGrpcServerOptions) {
    this.maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
    const implementation: grpc.UntypedServiceImplementation = {
      QueryLatest: (
        call: grpc.ServerUnaryCall<QueryLatestRequestMessage, QueryLatestResponseMessage>,
        callback: grpc.sendUnaryData<QueryLatestResponseMessage>,
      ) => {
        this.answer('QueryLatest', callback, async () => {
          const query = parseQuery(call.request.query);
          return { samples: await this.backend().latest(query) };
        });
      },
      Query: (
        call: grpc.ServerUnaryCall<QueryRequestMessage, QueryResponseMessage>,
        callback: grpc.sendUnaryData<QueryResponseMessage>,
      ) => {
        this.answer('Query', callback, async () => {
          const query = parseQuery(call.request.query);
          const range = parseRange(call.request, this.maxPoints);
          return { series: await this.backend().range(query, range) };
        });
      },
    };
    this.server.addService(providerServiceDefinition(), implementation);
  }

  /** Binds and serves; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(this.options.address, grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error)
          reject(new Error(`cannot serve ${SERVICE_NAME} on ${this.options.address}: ${error.message}`));
        else resolve(port);
      });
    });
  }

  /** Stops accepting calls and waits for the ones in flight (forcibly after `graceMs`). */
  stop(graceMs = 5000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private backend(): MetricsBackend {
    if (!this.options.backend) throw new QueryError('FAILED_PRECONDITION', NO_BACKEND);
    return this.options.backend;
  }

  private answer<T>(method: string, callback: grpc.sendUnaryData<T>, work: () => Promise<T>): void {
    work().then(
      (response) => callback(null, response),
      (error: unknown) => {
        const { code, message } = classifyError(error);
        const log = code === 'INTERNAL' || code === 'UNAVAILABLE' ? 'warn' : 'info';
        this.options.logger[log]('metrics query failed', { method, code, error: message });
        callback({ code: STATUS_CODES[code], details: message, message }, null);
      },
    );
  }
}
