// The HTTPS server the API server calls for admission. Its certificate can be swapped while it
// runs (rotation, or files replaced by the user), without dropping the listener.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { errorMessage, silentLogger, type Logger } from '../kit/log.js';
import { AdmissionReviewError, WEBHOOK_PATH, reviewPod } from './readiness-gate.js';

export interface ServingIdentity {
  certPem: string;
  keyPem: string;
}

export interface WebhookServerOptions {
  /** Bind address, e.g. `127.0.0.1`, or `0.0.0.0` behind a Service. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  identity: ServingIdentity;
  logger?: Logger;
  /** Reviews handled, by outcome (`patched`, `allowed`, `invalid`): for tests and logs. */
  onReview?: (outcome: 'patched' | 'allowed' | 'invalid') => void;
}

/** Admission bodies carry one object; anything this big is not a pod review. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class WebhookServer {
  private readonly server: https.Server;
  private readonly logger: Logger;

  constructor(private readonly options: WebhookServerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.server = https.createServer(
      { cert: options.identity.certPem, key: options.identity.keyPem, minVersion: 'TLSv1.2' },
      (req, res) => void this.handle(req, res),
    );
  }

  /** Listens; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** New connections present `identity` from now on. */
  setIdentity(identity: ServingIdentity): void {
    this.server.setSecureContext({ cert: identity.certPem, key: identity.keyPem, minVersion: 'TLSv1.2' });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (path !== WEBHOOK_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'POST' }).end('POST only');
      return;
    }
    let text: string;
    try {
      text = await readBody(req);
    } catch (error) {
      this.options.onReview?.('invalid');
      res.writeHead(413, { 'Content-Type': 'text/plain' }).end(errorMessage(error));
      return;
    }
    try {
      const answer = reviewPod(JSON.parse(text));
      this.options.onReview?.(answer.response?.patch ? 'patched' : 'allowed');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    } catch (error) {
      this.options.onReview?.('invalid');
      const message =
        error instanceof AdmissionReviewError || error instanceof SyntaxError
          ? errorMessage(error)
          : 'internal error';
      if (!(error instanceof AdmissionReviewError || error instanceof SyntaxError)) {
        this.logger.error('admission review failed', { error: errorMessage(error) });
      }
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(message);
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
