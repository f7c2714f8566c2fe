import {
  ApiError,
  GoneError,
  KubeClient,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isWriteVerb,
  resourcePath,
  type RequestRecord,
  type WatchEvent,
} from '../../../controllers/kit/client.js';
import { NoKindMatchError, builtin } from '../../../controllers/kit/discovery.js';
import { RuntimeMetrics } from '../../../controllers/kit/metrics.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import { FakeTransport, status, type FakeHandler } from './fake-transport.js';

function setup(handler: FakeHandler) {
  const transport = new FakeTransport(handler);
  const metrics = new RuntimeMetrics();
  const records: RequestRecord[] = [];
  const client = new KubeClient(transport, { metrics, observer: (r) => records.push(r) });
  return { transport, metrics, records, client };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('resourcePath', () => {
  it('builds core, grouped, namespaced, cluster-scoped and subresource paths', () => {
    expect(resourcePath(builtin.Pod)).toBe('/api/v1/pods');
    expect(resourcePath(builtin.Pod, 'prod')).toBe('/api/v1/namespaces/prod/pods');
    expect(resourcePath(builtin.Deployment, 'prod', 'web', 'scale')).toBe(
      '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    );
    expect(resourcePath(builtin.Node, 'ignored', 'n1')).toBe('/api/v1/nodes/n1');
    expect(() => resourcePath(builtin.Pod, undefined, 'p')).toThrow(/namespace is required/);
  });
});

describe('KubeClient', () => {
  it('lists in pages, fills in kind and apiVersion, and returns the last resourceVersion', async () => {
    const { client, transport } = setup((req) =>
      req.query.get('continue') === 'tok'
        ? { body: { metadata: { resourceVersion: '12' }, items: [{ metadata: { name: 'b' } }] } }
        : {
            body: {
              metadata: { resourceVersion: '11', continue: 'tok' },
              items: [{ metadata: { name: 'a' } }],
            },
          },
    );
    const result = await client.list(builtin.Deployment, {
      namespace: 'prod',
      labelSelector: 'app=web',
      limit: 1,
    });
    expect(result.resourceVersion).toBe('12');
    expect(result.items).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } },
    ]);
    expect(transport.requests.map((r) => r.path)).toEqual([
      '/apis/apps/v1/namespaces/prod/deployments',
      '/apis/apps/v1/namespaces/prod/deployments',
    ]);
    expect(transport.requests[0]?.query.get('limit')).toBe('1');
    expect(transport.requests[0]?.query.get('labelSelector')).toBe('app=web');
    expect(transport.requests[1]?.query.get('continue')).toBe('tok');
  });

  it('restarts an expired paged list without paging', async () => {
    const { client, transport } = setup((req) => {
      if (req.query.get('continue')) return status(410, 'Expired', 'continue token expired');
      if (req.query.get('limit'))
        return { body: { metadata: { continue: 'tok' }, items: [{ metadata: { name: 'a' } }] } };
      return {
        body: {
          metadata: { resourceVersion: '20' },
          items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }],
        },
      };
    });
    const result = await client.list(builtin.Pod);
    expect(result.items.map((i) => i.metadata?.name)).toEqual(['a', 'b']);
    expect(result.resourceVersion).toBe('20');
    expect(transport.requests).toHaveLength(3);
  });

  it('turns error responses into ApiError with status, reason and the server message', async () => {
    const { client } = setup(() => status(404, 'NotFound', 'deployments.apps "web" not found'));
    const error = await client.get(builtin.Deployment, 'web', 'prod').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, reason: 'NotFound' });
    expect((error as Error).message).toContain('deployments.apps "web" not found');
    expect(isNotFound(error)).toBe(true);
    expect(await client.tryGet(builtin.Deployment, 'web', 'prod')).toBeUndefined();
  });

  it('classifies conflicts, already-exists and gone, and keeps non-JSON error text', async () => {
    const conflict = new ApiError(409, { reason: 'Conflict' }, 'x');
    const exists = new ApiError(409, { reason: 'AlreadyExists' }, 'x');
    expect([isConflict(conflict), isAlreadyExists(conflict)]).toEqual([true, false]);
    expect([isConflict(exists), isAlreadyExists(exists)]).toEqual([false, true]);
    expect(isGone(new GoneError({}, 'x'))).toBe(true);
    const { client } = setup(() => ({ status: 502, chunks: ['<html>bad gateway</html>'] }));
    const error = (await client.get(builtin.Pod, 'p', 'ns').catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.reason).toBe('Unknown');
    expect(error.message).toContain('<html>bad gateway</html>');
  });

  it('counts every request by code, method and host and reports it to the observer', async () => {
    const { client, metrics, records } = setup((req) =>
      req.method === 'GET' ? { body: { metadata: { name: 'x' } } } : status(409, 'Conflict', 'modified'),
    );
    await client.get(builtin.ConfigMap, 'x', 'ns');
    await client.get(builtin.ConfigMap, 'x', 'ns');
    await client
      .update(builtin.ConfigMap, { metadata: { name: 'x', namespace: 'ns' } })
      .catch(() => undefined);
    expect(metrics.restClientRequests.get({ code: '200', method: 'GET', host: 'api.test:6443' })).toBe(2);
    expect(metrics.restClientRequests.get({ code: '409', method: 'PUT', host: 'api.test:6443' })).toBe(1);
    expect(records.map((r) => [r.verb, r.code, r.name, r.namespace])).toEqual([
      ['get', 200, 'x', 'ns'],
      ['get', 200, 'x', 'ns'],
      ['update', 409, 'x', 'ns'],
    ]);
    expect(records.filter((r) => isWriteVerb(r.verb))).toHaveLength(1);
  });

  it('counts a request that failed without a response as <error>', async () => {
    const transport = new FakeTransport(() => ({}));
    transport.send = () => Promise.reject(new Error('ECONNREFUSED'));
    const metrics = new RuntimeMetrics();
    const client = new KubeClient(transport, { metrics });
    await expect(client.get(builtin.Pod, 'p', 'ns')).rejects.toThrow('ECONNREFUSED');
    expect(metrics.restClientRequests.get({ code: '<error>', method: 'GET', host: 'api.test:6443' })).toBe(1);
  });

  it('server-side applies to the resource found for apiVersion and kind', async () => {
    const { client, transport } = setup((req) => ({ body: req.body }));
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {},
    };
    await client.apply(obj, { fieldManager: 'rollscale', force: true });
    await client.applyStatus({ ...obj, status: { replicas: 1 } }, { fieldManager: 'rollscale' });
    const [apply, applyStatus] = transport.requests;
    expect(apply?.method).toBe('PATCH');
    expect(apply?.path).toBe('/apis/apps/v1/namespaces/prod/deployments/web');
    expect(apply?.headers['Content-Type']).toBe('application/apply-patch+yaml');
    expect(apply?.query.get('fieldManager')).toBe('rollscale');
    expect(apply?.query.get('force')).toBe('true');
    expect(applyStatus?.path).toBe('/apis/apps/v1/namespaces/prod/deployments/web/status');
    expect(applyStatus?.query.has('force')).toBe(false);
  });

  it('finds custom kinds through discovery, refreshing once on a miss', async () => {
    let served = false;
    const { client, transport } = setup((req) => {
      if (req.path === '/apis/standard.oam.dev/v1alpha1') {
        const resources = [{ name: 'rollouts/status', kind: 'Rollout', namespaced: true }];
        if (served) resources.push({ name: 'rollouts', kind: 'Rollout', namespaced: true });
        return { body: { resources } };
      }
      if (req.path === '/apis/nothing.example/v1') return status(404, 'NotFound', 'no such group');
      return { body: req.body };
    });
    await expect(client.mapper.resourceFor('standard.oam.dev/v1alpha1', 'Rollout')).rejects.toBeInstanceOf(
      NoKindMatchError,
    );
    served = true;
    expect(await client.mapper.resourceFor('standard.oam.dev/v1alpha1', 'Rollout')).toEqual({
      group: 'standard.oam.dev',
      version: 'v1alpha1',
      resource: 'rollouts',
      kind: 'Rollout',
      namespaced: true,
    });
    const discoveries = transport.requests.length;
    await client.mapper.resourceFor('standard.oam.dev/v1alpha1', 'Rollout');
    expect(transport.requests).toHaveLength(discoveries);
    await expect(client.mapper.resourceFor('nothing.example/v1', 'X')).rejects.toBeInstanceOf(
      NoKindMatchError,
    );
    expect(await client.mapper.resourceFor('apps/v1', 'Deployment')).toBe(builtin.Deployment);
  });

  it('patches with the right content type and scales through the scale subresource', async () => {
    const { client, transport } = setup((req) => ({ body: req.body ?? {} }));
    await client.patch(builtin.Pod, 'p', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], {
      namespace: 'ns',
      type: 'json',
    });
    await client.patchScale(builtin.Deployment, 'web', 'prod', 3);
    await client.getScale(builtin.Deployment, 'web', 'prod');
    const [json, scale, getScale] = transport.requests;
    expect(json?.headers['Content-Type']).toBe('application/json-patch+json');
    expect(scale?.path).toBe('/apis/apps/v1/namespaces/prod/deployments/web/scale');
    expect(scale?.headers['Content-Type']).toBe('application/merge-patch+json');
    expect(scale?.body).toEqual({ spec: { replicas: 3 } });
    expect(getScale?.method).toBe('GET');
    expect(getScale?.path).toBe('/apis/apps/v1/namespaces/prod/deployments/web/scale');
    await expect(client.patch(builtin.Pod, 'p', { a: 1 }, { namespace: 'ns', type: 'json' })).rejects.toThrow(
      /array/,
    );
    await expect(client.patchScale(builtin.Deployment, 'web', 'prod', -1)).rejects.toThrow(/invalid replica/);
  });

  it('deletes with a propagation policy', async () => {
    const { client, transport } = setup(() => ({ body: { kind: 'Status', status: 'Success' } }));
    await client.delete(builtin.Deployment, 'web', { namespace: 'prod', propagationPolicy: 'Foreground' });
    expect(transport.requests[0]).toMatchObject({
      method: 'DELETE',
      path: '/apis/apps/v1/namespaces/prod/deployments/web',
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' },
    });
    // Node does not frame a DELETE body by itself; without a length the server misreads it.
    const sent = JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
    expect(transport.requests[0]?.headers['Content-Length']).toBe(String(Buffer.byteLength(sent)));
  });

  describe('watch', () => {
    const line = (type: string, name: string, rv: string): string =>
      `${JSON.stringify({ type, object: { kind: 'ConfigMap', metadata: { name, resourceVersion: rv } } })}\n`;

    it('parses JSON lines split anywhere across chunks, including inside a UTF-8 character', async () => {
      const text = line('ADDED', 'caf\u00e9', '1') + line('BOOKMARK', '', '2') + line('DELETED', 'b', '3');
      const bytes = Buffer.from(text);
      const cut = bytes.indexOf(0xa9); // second byte of "é"
      const { client, transport } = setup(() => ({
        chunks: [bytes.subarray(0, cut), bytes.subarray(cut, cut + 7), bytes.subarray(cut + 7)],
      }));
      const events: Array<WatchEvent<KubeObject>> = await collect(
        client.watch(builtin.ConfigMap, { namespace: 'ns', resourceVersion: '0', timeoutSeconds: 300 }),
      );
      expect(
        events.map((e) => [e.type, e.object.metadata?.name, e.object.metadata?.resourceVersion]),
      ).toEqual([
        ['ADDED', 'caf\u00e9', '1'],
        ['BOOKMARK', '', '2'],
        ['DELETED', 'b', '3'],
      ]);
      const q = transport.requests[0]!.query;
      expect([
        q.get('watch'),
        q.get('allowWatchBookmarks'),
        q.get('resourceVersion'),
        q.get('timeoutSeconds'),
      ]).toEqual(['true', 'true', '0', '300']);
      expect(transport.closed).toBe(1);
    });

    it('surfaces a 410 ERROR event as GoneError', async () => {
      const expired = JSON.stringify({
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (50)' },
      });
      const { client } = setup(() => ({ chunks: [line('ADDED', 'a', '49'), `${expired}\n`] }));
      const seen: string[] = [];
      const error = await (async () => {
        for await (const e of client.watch(builtin.ConfigMap, { resourceVersion: '1' })) seen.push(e.type);
      })().catch((e: unknown) => e);
      expect(seen).toEqual(['ADDED']);
      expect(error).toBeInstanceOf(GoneError);
      expect((error as GoneError).message).toContain('too old resource version');
    });

    it('surfaces a 410 response as GoneError', async () => {
      const { client } = setup(() => status(410, 'Expired', 'gone'));
      await expect(collect(client.watch(builtin.ConfigMap, { resourceVersion: '1' }))).rejects.toBeInstanceOf(
        GoneError,
      );
    });

    it('ends quietly when aborted', async () => {
      const abort = new AbortController();
      const transport = new FakeTransport(() => ({}));
      transport.send = async () => ({
        status: 200,
        body: (async function* () {
          yield line('ADDED', 'a', '1');
          await new Promise((_, reject) =>
            abort.signal.addEventListener('abort', () => reject(new Error('socket destroyed'))),
          );
        })(),
        close: () => undefined,
      });
      const client = new KubeClient(transport);
      const seen: string[] = [];
      const done = (async () => {
        for await (const e of client.watch(builtin.ConfigMap, { signal: abort.signal })) seen.push(e.type);
      })();
      await new Promise((r) => setImmediate(r));
      abort.abort();
      await expect(done).resolves.toBeUndefined();
      expect(seen).toEqual(['ADDED']);
    });
  });
});
