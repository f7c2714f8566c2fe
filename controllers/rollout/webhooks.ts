// Rollout webhooks: HTTP calls at the rollout's phase boundaries (initialize-rollout,
// pre-batch-rollout, post-batch-rollout, finalize-rollout) and after a batch is verified (the
// batch's own batchRolloutWebhooks). A call that fails, times out or answers a status outside the
// expected ones fails the rollout with a message naming the hook.

import type { RolloutAction } from '../engine/index.js';
import { errorMessage } from '../kit/log.js';
import type { RolloutPlan, RolloutWebhook } from './types.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** What every webhook receives (JSON). */
export interface WebhookPayload {
  name: string;
  namespace: string;
  /** The hook type being called, e.g. `pre-batch-rollout`. */
  type: string;
  rollingState: string;
  /** The batch the call is about, for batch-scoped hooks. */
  batch?: number;
  /** The hook's own metadata from the spec. */
  metadata?: Record<string, string>;
}

export class WebhookError extends Error {
  constructor(
    readonly hook: RolloutWebhook,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<{ status: number }>;

/** The hooks a `callWebhooks` action stands for, in spec order. */
export function webhooksFor(plan: RolloutPlan, action: Extract<RolloutAction, { type: 'callWebhooks' }>) {
  if (action.hook === 'batch') {
    return action.batch === undefined
      ? []
      : (plan.rolloutBatches?.[action.batch]?.batchRolloutWebhooks ?? []);
  }
  return (plan.rolloutWebhooks ?? []).filter((hook) => hook.type === action.hook);
}

/** 2xx unless the hook lists the statuses it expects. */
export function expectedStatus(hook: RolloutWebhook, status: number): boolean {
  const expected = hook.expectedStatus ?? [];
  return expected.length > 0 ? expected.includes(status) : status >= 200 && status < 300;
}

function describeHook(hook: RolloutWebhook): string {
  return `webhook "${hook.name}" (${hook.type}) at ${hook.url}`;
}

/** Calls one hook; throws WebhookError (naming it) unless it answers an expected status in time. */
export async function callWebhook(
  hook: RolloutWebhook,
  payload: WebhookPayload,
  options: {
    timeoutMs?: number;
    fetch?: FetchLike;
    /** The signal that ends a call after `ms` (tests replace the wall-clock timer). */
    timeoutSignal?: (ms: number) => AbortSignal;
  } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const send: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const method = (hook.method || 'POST').toUpperCase();
  const withBody = method !== 'GET' && method !== 'HEAD';
  let status: number;
  try {
    const response = await send(hook.url, {
      method,
      headers: withBody ? { 'Content-Type': 'application/json' } : {},
      ...(withBody
        ? { body: JSON.stringify({ ...payload, metadata: hook.metadata ?? payload.metadata }) }
        : {}),
      signal: (options.timeoutSignal ?? AbortSignal.timeout)(timeoutMs),
    });
    status = response.status;
  } catch (error) {
    // DOMException (TimeoutError/AbortError) is not an Error subclass in every realm: go by name.
    const name = (error as { name?: unknown } | undefined)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new WebhookError(
      hook,
      timedOut
        ? `${describeHook(hook)} did not answer within ${timeoutMs} ms`
        : `${describeHook(hook)} failed: ${errorMessage(error)}`,
    );
  }
  if (!expectedStatus(hook, status)) {
    const wanted = hook.expectedStatus?.length ? hook.expectedStatus.join(', ') : '2xx';
    throw new WebhookError(hook, `${describeHook(hook)} answered ${status}, expected ${wanted}`);
  }
}
