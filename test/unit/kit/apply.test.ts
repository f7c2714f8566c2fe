import fc from 'fast-check';

import {
  FIELD_MANAGER,
  APPLIED_HASH_ANNOTATION,
  appliedHashAnnotation,
  contentHash,
  ensureApplied,
  ensureStatusApplied,
  isSubset,
} from '../../../controllers/kit/apply.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import { FakeTransport } from './fake-transport.js';

describe('isSubset', () => {
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'prod',
      uid: 'u1',
      labels: { app: 'web', extra: 'x' },
      resourceVersion: '9',
    },
    spec: {
      replicas: 3,
      paused: false,
      template: {
        spec: { containers: [{ name: 'app', image: 'nginx:1', imagePullPolicy: 'IfNotPresent' }] },
      },
    },
    status: { replicas: 3 },
  };

  it('accepts a desired object whose every field is in the live one', () => {
    expect(
      isSubset(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
          spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'nginx:1' }] } } },
        },
        live,
      ),
    ).toBe(true);
  });

  it('rejects a changed scalar, a missing key and a type mismatch', () => {
    expect(isSubset({ spec: { replicas: 4 } }, live)).toBe(false);
    expect(isSubset({ spec: { minReadySeconds: 0 } }, live)).toBe(false);
    expect(isSubset({ spec: { replicas: '3' } }, live)).toBe(false);
    expect(isSubset({ spec: { paused: 0 } }, live)).toBe(false);
    expect(isSubset({ spec: { template: [] } }, live)).toBe(false);
    expect(isSubset({ spec: 'x' }, live)).toBe(false);
  });

  it('compares lists element-wise and requires equal length', () => {
    expect(isSubset({ a: [{ n: 1 }, { n: 2 }] }, { a: [{ n: 1, x: 0 }, { n: 2 }] })).toBe(true);
    expect(isSubset({ a: [{ n: 2 }, { n: 1 }] }, { a: [{ n: 1 }, { n: 2 }] })).toBe(false);
    expect(isSubset({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(isSubset({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(isSubset({ a: [] }, { a: [] })).toBe(true);
    expect(isSubset({ a: [] }, {})).toBe(false);
    expect(isSubset({ a: [1] }, { a: { 0: 1 } })).toBe(false);
  });

  it('treats undefined desired values as absent and null as "must be unset"', () => {
    expect(isSubset({ spec: { replicas: undefined } }, { spec: {} })).toBe(true);
    expect(isSubset({ spec: { paused: null } }, { spec: {} })).toBe(true);
    expect(isSubset({ spec: { paused: null } }, { spec: { paused: null } })).toBe(true);
    expect(isSubset({ spec: { paused: null } }, { spec: { paused: true } })).toBe(false);
  });

  it('holds for any value against itself and against itself with extra keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.jsonValue(), (value, extraKey, extraValue) => {
        expect(isSubset(value, structuredClone(value))).toBe(true);
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(extraKey in value)) {
          expect(isSubset(value, { ...value, [extraKey]: extraValue })).toBe(true);
        }
      }),
    );
  });

  it('fails when a leaf of the desired value differs', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.integer(), { minKeys: 1 }), (dict) => {
        const key = Object.keys(dict)[0] as string;
        expect(isSubset(dict, { ...dict, [key]: (dict[key] as number) + 1 })).toBe(false);
      }),
    );
  });
});

describe('ensureApplied', () => {
  const desired = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'prod' },
    data: { key: 'value' },
  };

  function fakeClient(): { client: KubeClient; transport: FakeTransport } {
    const transport = new FakeTransport((req) => ({
      body: { ...(req.body as object), metadata: { name: 'cfg', namespace: 'prod', resourceVersion: '2' } },
    }));
    return { client: new KubeClient(transport), transport };
  }

  const appliedHash = contentHash(desired);
  const annotated = (obj: typeof desired) => ({
    ...obj,
    metadata: { ...obj.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: contentHash(obj) } },
  });

  it('issues no request when the live object already covers the desired one', async () => {
    const { client, transport } = fakeClient();
    const live = {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: '1',
        uid: 'u',
        annotations: { [APPLIED_HASH_ANNOTATION]: appliedHash },
      },
    };
    const result = await ensureApplied(client, desired, live);
    expect(result).toEqual({ applied: false, object: live });
    expect(transport.requests).toHaveLength(0);
  });

  it('server-side applies with the rollscale field manager and force when something differs', async () => {
    const { client, transport } = fakeClient();
    const live = { ...desired, data: { key: 'old' } };
    const result = await ensureApplied(client, desired, live);
    expect(result.applied).toBe(true);
    expect(result.object).toMatchObject({ metadata: { resourceVersion: '2' } });
    expect(transport.requests).toHaveLength(1);
    const req = transport.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.path).toBe('/api/v1/namespaces/prod/configmaps/cfg');
    expect(req.query.get('fieldManager')).toBe(FIELD_MANAGER);
    expect(FIELD_MANAGER).toBe('rollscale');
    expect(req.query.get('force')).toBe('true');
    expect(req.headers['Content-Type']).toBe('application/apply-patch+yaml');
    expect(req.body).toEqual(annotated(desired));
  });

  it('applies when a field was dropped from the intent, so server-side apply removes it', async () => {
    const { client, transport } = fakeClient();
    const before = { ...desired, data: { key: 'value', extra: 'x' } };
    const live = annotated(before);
    // The live object still covers the smaller intent, but the recorded hash is the old one.
    expect((await ensureApplied(client, desired, live)).applied).toBe(true);
    expect(transport.requests[0]?.body).toEqual(annotated(desired));
    expect((transport.requests[0]?.body as typeof desired).data).toEqual({ key: 'value' });
  });

  it('keeps one hash per field manager, so two managers of one object never take turns', async () => {
    const { client, transport } = fakeClient();
    const spec = { ...desired, data: { key: 'value' } };
    const notes = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'prod', annotations: { note: 'x' } },
    };
    // The live object as both managers left it: each one's fields and each one's own hash.
    const live = {
      ...spec,
      metadata: {
        ...spec.metadata,
        annotations: {
          note: 'x',
          [APPLIED_HASH_ANNOTATION]: contentHash(spec),
          [appliedHashAnnotation('other')]: contentHash(notes),
        },
      },
    };
    expect(appliedHashAnnotation('other')).toBe('rollscale.dev/applied-hash.other');
    expect((await ensureApplied(client, spec, live)).applied).toBe(false);
    expect((await ensureApplied(client, notes, live, { fieldManager: 'other' })).applied).toBe(false);
    expect(transport.requests).toHaveLength(0);
  });

  it('hashes content independently of key order', () => {
    expect(contentHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      contentHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
  });

  it('applies when the object does not exist yet', async () => {
    const { client, transport } = fakeClient();
    expect((await ensureApplied(client, desired, undefined)).applied).toBe(true);
    expect(transport.requests).toHaveLength(1);
  });

  it('ignores a desired status on the main resource', async () => {
    const { client, transport } = fakeClient();
    const withStatus: typeof desired & { status?: { phase: string } } = {
      ...desired,
      status: { phase: 'x' },
    };
    const live: typeof withStatus = annotated(desired);
    expect((await ensureApplied(client, withStatus, live)).applied).toBe(false);
    expect(transport.requests).toHaveLength(0);
  });

  it('compares only status for the status subresource', async () => {
    const { client, transport } = fakeClient();
    const live = { ...desired, data: { other: 'x' }, status: { phase: 'Ready', observedGeneration: 2 } };
    const same = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'prod' },
      status: { phase: 'Ready', observedGeneration: 2 },
    };
    expect((await ensureStatusApplied(client, same, live)).applied).toBe(false);
    expect(transport.requests).toHaveLength(0);
    // A field live has and the desired status lacks would be removed: that is a difference too.
    const fewer = { ...same, status: { phase: 'Ready' } };
    expect((await ensureStatusApplied(client, fewer, live)).applied).toBe(true);
    expect(transport.requests).toHaveLength(1);
    transport.requests.length = 0;
    const changed = { ...same, status: { phase: 'Failed' } };
    expect((await ensureStatusApplied(client, changed, live)).applied).toBe(true);
    expect(transport.requests[0]?.path).toBe('/api/v1/namespaces/prod/configmaps/cfg/status');
  });
});
