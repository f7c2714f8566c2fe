// Probe and metrics endpoints: /healthz (the process serves), /readyz (caches synced) and
// /metrics (Prometheus text format).

import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { silentLogger, type Logger } from './log.js';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from './metrics.js';

export const DEFAULT_BIND_ADDRESS = '127.0.0.1:8080';

/**
 * Parses `host:port`, `:port` (all interfaces) or `[ipv6]:port`. `0` disables the server, as the
 * `--metrics-addr` flag of controller-runtime managers does.
 */
export function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0') return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!match) throw new Error(`invalid bind address ${JSON.stringify(address)} (want host:port)`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`invalid port in bind address ${JSON.stringify(address)}`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

export interface HealthServerOptions {
  /** Default 127.0.0.1:8080; `:0`-style ports pick a free one. */
  address?: string;
  registry: MetricsRegistry;
  /** Readiness: true once the informers have synced. */
  ready: () => boolean;
  /** Liveness; default always healthy while the process serves. */
  healthy?: () => boolean;
  logger?: Logger;
}

export class HealthServer {
  private server?: http.Server;
  private readonly logger: Logger;

  constructor(private readonly options: HealthServerOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'health' });
  }

  /** Starts listening; resolves to the bound address, or undefined when disabled. */
  async start(): Promise<{ host: string; port: number } | undefined> {
    const bind = parseBindAddress(this.options.address ?? DEFAULT_BIND_ADDRESS);
    if (!bind) return undefined;
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bind.port, bind.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.logger.info('serving probes and metrics', { address: `${address.address}:${address.port}` });
    return { host: address.address, port: address.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/healthz':
        probe(res, this.options.healthy?.() ?? true);
        return;
      case '/readyz':
        probe(res, this.options.ready());
        return;
      case '/metrics':
        res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }).end(this.options.registry.render());
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }
}

function probe(res: http.ServerResponse, ok: boolean): void {
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
}
