import {
  callWebhook,
  expectedStatus,
  WebhookError,
  webhooksFor,
  type FetchLike,
} from '../../../controllers/rollout/webhooks.js';
import type { RolloutWebhook } from '../../../controllers/rollout/types.js';

const hook: RolloutWebhook = {
  type: 'pre-batch-rollout',
  name: 'gate',
  url: 'http://hooks.test/gate',
  metadata: { team: 'a' },
};
const payload = {
  name: 'web',
  namespace: 'ns',
  type: 'pre-batch-rollout',
  rollingState: 'rollingInBatches',
  batch: 1,
};

function recordingFetch(status: number) {
  const calls: { url: string; init: RequestInit }[] = [];
  const send: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return { status };
  };
  return { calls, send };
}

describe('callWebhook', () => {
  it('POSTs the rollout, namespace, batch and the hook metadata as JSON', async () => {
    const { calls, send } = recordingFetch(200);
    await callWebhook(hook, payload, { fetch: send });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://hooks.test/gate');
    expect(calls[0]?.init.method).toBe('POST');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ ...payload, metadata: { team: 'a' } });
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('fails with a message naming the hook on an unexpected status', async () => {
    const { send } = recordingFetch(503);
    const error = await callWebhook(hook, payload, { fetch: send }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as Error).message).toBe(
      'webhook "gate" (pre-batch-rollout) at http://hooks.test/gate answered 503, expected 2xx',
    );
  });

  it('honours expectedStatus', async () => {
    const { send } = recordingFetch(202);
    await expect(callWebhook({ ...hook, expectedStatus: [200] }, payload, { fetch: send })).rejects.toThrow(
      'answered 202, expected 200',
    );
    expect(expectedStatus({ ...hook, expectedStatus: [202, 204] }, 204)).toBe(true);
    expect(expectedStatus(hook, 299)).toBe(true);
    expect(expectedStatus(hook, 300)).toBe(false);
  });

  it('names the hook when it cannot be reached or does not answer in time', async () => {
    const refused: FetchLike = () => Promise.reject(new Error('connect ECONNREFUSED'));
    await expect(callWebhook(hook, payload, { fetch: refused })).rejects.toThrow(
      'webhook "gate" (pre-batch-rollout) at http://hooks.test/gate failed: connect ECONNREFUSED',
    );
    const slow: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => {
        const signal = init.signal as AbortSignal;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    // The timer is replaced by a signal that has already fired: no wall-clock wait in the test.
    const expired = (ms: number) => AbortSignal.abort(new DOMException(`${ms} ms passed`, 'TimeoutError'));
    await expect(
      callWebhook(hook, payload, { fetch: slow, timeoutMs: 5, timeoutSignal: expired }),
    ).rejects.toThrow(
      'webhook "gate" (pre-batch-rollout) at http://hooks.test/gate did not answer within 5 ms',
    );
  });

  it('sends no body with GET', async () => {
    const { calls, send } = recordingFetch(200);
    await callWebhook({ ...hook, method: 'get' }, payload, { fetch: send });
    expect(calls[0]?.init).toMatchObject({ method: 'GET' });
    expect(calls[0]?.init.body).toBeUndefined();
  });
});

describe('webhooksFor', () => {
  const plan = {
    rolloutWebhooks: [hook, { ...hook, name: 'other', type: 'finalize-rollout' }],
    rolloutBatches: [{ replicas: 1 }, { replicas: 1, batchRolloutWebhooks: [{ ...hook, name: 'batch-1' }] }],
  };

  it('picks the rollout hooks of the action type, or the batch hooks of the batch', () => {
    expect(
      webhooksFor(plan, { type: 'callWebhooks', hook: 'pre-batch-rollout', batch: 0 }).map((h) => h.name),
    ).toEqual(['gate']);
    expect(webhooksFor(plan, { type: 'callWebhooks', hook: 'batch', batch: 1 }).map((h) => h.name)).toEqual([
      'batch-1',
    ]);
    expect(webhooksFor(plan, { type: 'callWebhooks', hook: 'batch', batch: 0 })).toEqual([]);
  });
});
