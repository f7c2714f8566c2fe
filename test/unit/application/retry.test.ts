// How failed Application reconciles are retried: which API errors are permanent rejections
// (reported once, never requeued) and which are transient (requeued with the queue's backoff),
// and the long backoff of a CUE render that hits its deadline (one looping definition must not
// hold the render engine again and again). Pure rules first, then the reconciler against an
// in-memory API server with a fake clock.
import { createCueEngine, CueTimeoutError, type CueEngine } from '../../../cuelang-wasm/index.js';
import {
  DEADLINE_BACKOFF_INITIAL_MS,
  DEADLINE_BACKOFF_MAX_MS,
  DeadlineBackoff,
  deadlineBackoffMs,
  isPermanentRejection,
  rejectionDetail,
} from '../../../controllers/application/retry.js';
import type { Application } from '../../../controllers/application/types.js';
import { ApiError } from '../../../controllers/kit/client.js';
import { builtin } from '../../../controllers/kit/discovery.js';
import { traitDefinition } from './fixtures.js';
import { APPS, APP_NAME, collection, reconcilerWorld } from './reconciler-world.js';

const apiError = (status: number, reason: string, message: string) =>
  new ApiError(status, { kind: 'Status', code: status, reason, message }, 'PATCH deployments/web');

const TYPED_PATCH =
  'failed to create typed patch object (team-a/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string';

describe('API errors: permanent rejections and transient failures', () => {
  test.each([
    [422, 'Invalid', 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1'],
    [400, 'BadRequest', 'error decoding patch'],
    [413, 'RequestEntityTooLarge', 'request is too large'],
    [500, 'InternalError', TYPED_PATCH],
  ])('%d %s (%s) is permanent', (status, reason, message) => {
    expect(isPermanentRejection(apiError(status, reason, message))).toBe(true);
  });

  test.each([
    [500, 'InternalError', 'etcdserver: leader changed'],
    [503, 'ServiceUnavailable', 'the server is currently unable to handle the request'],
    [504, 'Timeout', 'the server was unable to return a response in the time allotted'],
    [429, 'TooManyRequests', 'too many requests'],
    [409, 'Conflict', 'the object has been modified'],
    [403, 'Forbidden', 'deployments.apps is forbidden'],
  ])('%d %s (%s) is transient', (status, reason, message) => {
    expect(isPermanentRejection(apiError(status, reason, message))).toBe(false);
  });

  test('network errors and timeouts are transient', () => {
    expect(isPermanentRejection(new Error('socket hang up'))).toBe(false);
    expect(isPermanentRejection(new Error('request timed out after 30000 ms'))).toBe(false);
  });

  test('the detail keeps the field and the reason, without the object named again', () => {
    expect(rejectionDetail(apiError(500, 'InternalError', TYPED_PATCH))).toBe(
      '.spec.replicas: expected numeric (int or float), got string',
    );
    expect(rejectionDetail(apiError(422, 'Invalid', 'spec.replicas: Invalid value: -1'))).toBe(
      'spec.replicas: Invalid value: -1',
    );
  });
});

describe('render deadline backoff', () => {
  test('30 s, doubling, capped at 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(deadlineBackoffMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000,
    ]);
    expect(DEADLINE_BACKOFF_INITIAL_MS).toBe(30_000);
    expect(DEADLINE_BACKOFF_MAX_MS).toBe(300_000);
  });

  test('a wait holds for the same input only, and ends when due or cleared', () => {
    const backoff = new DeadlineBackoff();
    expect(backoff.remaining('ns/a', 'in-1', 0)).toBeUndefined();
    expect(backoff.failed('ns/a', 'in-1', 1_000)).toBe(30_000);
    expect(backoff.remaining('ns/a', 'in-1', 11_000)).toBe(20_000);
    expect(backoff.remaining('ns/a', 'in-2', 11_000)).toBeUndefined();
    expect(backoff.remaining('ns/b', 'in-1', 11_000)).toBeUndefined();
    expect(backoff.remaining('ns/a', 'in-1', 31_000)).toBeUndefined();
    expect(backoff.failed('ns/a', 'in-1', 31_000)).toBe(60_000);
    // New input that still hits the deadline starts over at 30 s.
    expect(backoff.failed('ns/a', 'in-2', 40_000)).toBe(30_000);
    backoff.clear('ns/a');
    expect(backoff.remaining('ns/a', 'in-2', 41_000)).toBeUndefined();
    expect(backoff.failures('ns/a')).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The reconciler

/** A trait whose render never finishes in time (the engine reports its deadline). */
const LOOPING_TRAIT = 'looping';
const LOOP_MARKER = '// loops';

let engine: CueEngine;
beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await engine.close();
});

function world() {
  const looping = traitDefinition(LOOPING_TRAIT, `${LOOP_MARKER}\npatch: {}`);
  looping.metadata.resourceVersion = '1';
  let renders = 0;
  const w = reconcilerWorld(
    {
      render: (template, input) => {
        renders++;
        return template.includes(LOOP_MARKER)
          ? Promise.reject(new CueTimeoutError(5000))
          : engine.render(template, input);
      },
      evalStatus: (...args: Parameters<CueEngine['evalStatus']>) => engine.evalStatus(...args),
    },
    { traits: [looping] },
  );
  return {
    ...w,
    looping,
    renders: () => renders,
    condition: (type: string) =>
      (w.api.get(APPS, APP_NAME)?.['status'] as Application['status'])?.conditions?.find(
        (c) => c.type === type,
      ),
    warnings: () =>
      w.api
        .list(collection(builtin.Event))
        .filter((e) => e['type'] === 'Warning')
        .map((e) => ({ reason: e['reason'] as string, message: e['message'] as string, count: e['count'] })),
  };
}

const worker = { name: 'web', type: 'worker', properties: { image: 'busybox' } };

describe('ApplicationReconciler retries', () => {
  test('a field server-side apply refuses (its 500 "typed patch"): reported once, never requeued', async () => {
    const w = world();
    w.api.reject = (obj) =>
      obj.kind === 'Deployment'
        ? {
            status: 500,
            body: { kind: 'Status', code: 500, reason: 'InternalError', message: TYPED_PATCH },
          }
        : undefined;
    w.setApp([worker]);
    expect(await w.reconcile()).toEqual({});
    expect(w.condition('Applied')).toMatchObject({
      status: 'False',
      reason: 'ApplyRejected',
      message:
        'component "web": the API server rejects Deployment team-a/web: .spec.replicas: expected numeric (int or float), got string',
    });
    // Another watch event brings another look: still no requeue, and no second Event.
    w.sync();
    expect(await w.reconcile()).toEqual({});
    expect(w.warnings()).toEqual([
      {
        reason: 'ApplyRejected',
        message: expect.stringContaining(
          'Deployment team-a/web: .spec.replicas: expected numeric',
        ) as unknown,
        count: 1,
      },
    ]);
  });

  test('a 422 Invalid is permanent too; transient failures (503, 429, 409, a 500 of etcd) requeue', async () => {
    const cases: Array<[number, string, string, object]> = [
      [422, 'Invalid', 'spec.template.spec.containers[0].image: Required value', {}],
      [503, 'ServiceUnavailable', 'unavailable', { requeue: true }],
      [429, 'TooManyRequests', 'slow down', { requeue: true }],
      [409, 'Conflict', 'the object has been modified', { requeue: true }],
      [500, 'InternalError', 'etcdserver: request timed out', { requeue: true }],
    ];
    for (const [status, reason, message, expected] of cases) {
      const w = world();
      w.api.reject = (obj) =>
        obj.kind === 'Deployment'
          ? { status, body: { kind: 'Status', code: status, reason, message } }
          : undefined;
      w.setApp([worker]);
      expect([status, await w.reconcile()]).toEqual([status, expected]);
      expect([status, w.condition('Applied')?.reason]).toEqual([
        status,
        status === 422 ? 'ApplyRejected' : 'ApplyFailed',
      ]);
    }
  });

  test('a render deadline waits 30 s, doubling to 5 min; events in between do not render', async () => {
    const w = world();
    w.setApp([{ ...worker, traits: [{ type: LOOPING_TRAIT }] }]);
    expect(await w.reconcile()).toEqual({ requeueAfter: 30_000 });
    const rendersAfterFirst = w.renders();
    expect(w.condition('Rendered')).toMatchObject({
      status: 'False',
      reason: 'RenderUnavailable',
      message: expect.stringMatching(
        /^component "web": trait "looping": CUE evaluation did not finish within 5000 ms.*; retried after 30 s, then at doubling intervals up to 5 min/,
      ) as unknown,
    });
    expect(w.warnings()).toHaveLength(1);

    // A watch event 10 s later: no render, the remaining wait.
    w.clock.advance(10_000);
    w.sync();
    expect(await w.reconcile()).toEqual({ requeueAfter: 20_000 });
    expect(w.renders()).toBe(rendersAfterFirst);

    // Due: renders again, and waits twice as long.
    const waits: unknown[] = [];
    w.clock.advance(20_000);
    for (let i = 0; i < 5; i++) {
      const result = (await w.reconcile()) as { requeueAfter: number };
      waits.push(result);
      w.clock.advance(result.requeueAfter);
    }
    expect(waits).toEqual([60_000, 120_000, 240_000, 300_000, 300_000].map((ms) => ({ requeueAfter: ms })));
    // One Warning for the whole episode: the message does not change between attempts.
    expect(w.warnings()).toEqual([expect.objectContaining({ reason: 'RenderUnavailable', count: 1 })]);
  });

  test('a definition change or a spec change renders at once, and success clears the backoff', async () => {
    const w = world();
    w.setApp([{ ...worker, traits: [{ type: LOOPING_TRAIT }] }]);
    expect(await w.reconcile()).toEqual({ requeueAfter: 30_000 });
    w.clock.advance(1_000);
    expect(await w.reconcile()).toEqual({ requeueAfter: 29_000 });

    // The definition is edited (still looping): rendered at once, the backoff starts over.
    const rendersBefore = w.renders();
    w.traitDefinitions.store.replace([
      ...w.traitDefinitions.list().filter((d) => d.metadata.name !== LOOPING_TRAIT),
      { ...w.looping, metadata: { ...w.looping.metadata, resourceVersion: '2' } },
    ]);
    expect(await w.reconcile()).toEqual({ requeueAfter: 30_000 });
    expect(w.renders()).toBeGreaterThan(rendersBefore);

    // The Application drops the trait: rendered at once and applied.
    w.setApp([worker]);
    expect(await w.reconcile()).toBeUndefined();
    expect(w.condition('Rendered')).toMatchObject({ status: 'True' });
    // Adding the looping trait back starts at 30 s again.
    w.setApp([{ ...worker, traits: [{ type: LOOPING_TRAIT }] }]);
    expect(await w.reconcile()).toEqual({ requeueAfter: 30_000 });
  });
});
