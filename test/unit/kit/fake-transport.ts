// An in-memory stand-in for the API server's HTTP side, for tests of the client and of the
// components built on it. Each request is recorded; a handler decides the reply.

import type { Transport, TransportRequest, TransportResponse } from '../../../controllers/kit/client.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeReply {
  status?: number;
  /** JSON body (serialized). */
  body?: unknown;
  /** Raw body chunks, for streaming tests; wins over `body`. */
  chunks?: Array<string | Buffer>;
}

export type FakeHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export class FakeTransport implements Transport {
  readonly host = 'api.test:6443';
  readonly requests: RecordedRequest[] = [];
  closed = 0;

  constructor(public handler: FakeHandler) {}

  async send(request: TransportRequest): Promise<TransportResponse> {
    const url = new URL(`https://${this.host}${request.path}`);
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: request.body === undefined ? undefined : JSON.parse(request.body),
    };
    this.requests.push(recorded);
    const reply = await this.handler(recorded);
    const chunks = reply.chunks ?? (reply.body === undefined ? [] : [JSON.stringify(reply.body)]);
    return {
      status: reply.status ?? 200,
      body: (async function* () {
        for (const c of chunks) yield c;
      })(),
      close: () => {
        this.closed++;
      },
    };
  }
}

/** A Kubernetes Status body, as the API server sends with errors. */
export function status(code: number, reason: string, message: string): FakeReply {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message },
  };
}

/** Lets pending promise callbacks run (not a timer: nothing waits on wall time). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
