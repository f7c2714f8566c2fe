// A client of the metrics service (ours or Kapacity's: the wire format is the same), used by the
// forecasting job and the tests.

import * as grpc from '@grpc/grpc-js';

import {
  fromMillis,
  providerServiceDefinition,
  type QueryLatestResponseMessage,
  type QueryMessage,
  type QueryResponseMessage,
  type SampleMessage,
  type SeriesMessage,
} from './proto.js';

/** A failed call: the status code (and its name) and the server's message. */
export class MetricsCallError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${grpc.status[code] ?? code}: ${details}`);
    this.name = 'MetricsCallError';
  }

  get codeName(): string {
    return grpc.status[this.code] ?? String(this.code);
  }
}

type UnaryMethod<Req, Res> = (
  request: Req,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

interface ProviderStub extends grpc.Client {
  Query: UnaryMethod<unknown, QueryResponseMessage>;
  QueryLatest: UnaryMethod<unknown, QueryLatestResponseMessage>;
}

export interface MetricsClientOptions {
  /** Per call; default 60 s. */
  timeoutMs?: number;
}

export class MetricsClient {
  private readonly stub: ProviderStub;
  private readonly timeoutMs: number;

  /** `address` is `host:port` (as in METRICS_SERVER_ADDR). */
  constructor(address: string, options: MetricsClientOptions = {}) {
    const Stub = grpc.makeClientConstructor(providerServiceDefinition(), 'ProviderService');
    this.stub = new Stub(address, grpc.credentials.createInsecure()) as unknown as ProviderStub;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Values of `query` over [startMs, endMs] every `stepMs` (unix milliseconds). */
  async query(query: QueryMessage, startMs: number, endMs: number, stepMs: number): Promise<SeriesMessage[]> {
    const response = await this.call<QueryResponseMessage>('Query', {
      query,
      start: fromMillis(startMs),
      end: fromMillis(endMs),
      step: fromMillis(stepMs),
    });
    return response.series ?? [];
  }

  async queryLatest(query: QueryMessage): Promise<SampleMessage[]> {
    const response = await this.call<QueryLatestResponseMessage>('QueryLatest', { query });
    return response.samples ?? [];
  }

  close(): void {
    this.stub.close();
  }

  private call<Res>(method: 'Query' | 'QueryLatest', request: unknown): Promise<Res> {
    return new Promise((resolve, reject) => {
      const fn = this.stub[method] as UnaryMethod<unknown, Res>;
      fn.call(this.stub, request, { deadline: Date.now() + this.timeoutMs }, (error, response) => {
        if (error) reject(new MetricsCallError(error.code, error.details || error.message));
        else resolve(response as Res);
      });
    });
  }
}
