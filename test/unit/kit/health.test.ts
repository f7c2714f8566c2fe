import http from 'node:http';

import { HealthServer } from '../../../controllers/kit/health.js';
import { MetricsRegistry } from '../../../controllers/kit/metrics.js';

function get(port: number, path: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }),
        );
      })
      .on('error', reject);
  });
}

describe('HealthServer', () => {
  it('serves healthz, readyz following readiness, and metrics in text format', async () => {
    const registry = new MetricsRegistry();
    registry.counter('x_total', 'X.').inc();
    let ready = false;
    const server = new HealthServer({ address: '127.0.0.1:0', registry, ready: () => ready });
    const bound = await server.start();
    try {
      const port = bound!.port;
      expect((await get(port, '/healthz')).status).toBe(200);
      expect((await get(port, '/readyz')).status).toBe(503);
      ready = true;
      expect((await get(port, '/readyz')).status).toBe(200);
      const metrics = await get(port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(metrics.body).toBe('# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n');
      expect((await get(port, '/other')).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('does not listen when disabled with 0', async () => {
    const server = new HealthServer({ address: '0', registry: new MetricsRegistry(), ready: () => true });
    expect(await server.start()).toBeUndefined();
    await server.stop();
  });
});
