// Pure: whether a failed workload write was refused for what it carried (sending the same object
// again can never succeed), and how to say so on the Rollout. A rendered workload the API server
// refuses (a label value past 63 characters, an annotation past 256 KiB, a malformed quantity,
// replicas past int32) must not leave the Rollout retrying in silence: it holds, and its Ready
// condition and a Warning Event name the workload and the server's reason.

import { isApiError } from '../kit/client.js';

export const WORKLOAD_REJECTED = 'WorkloadRejected';

/** Server answers to a server-side apply or patch whose content cannot be decoded (sent as 500). */
const UNDECODABLE = /failed to create typed patch object|failed to convert new object|cannot unmarshal/;

/** Longest message kept: long enough for the server's reason, short enough for a condition. */
const MAX_MESSAGE = 1024;

/** Keeps the start (which field) and the end (why) of a long server message. */
export function shortenMessage(message: string, max = MAX_MESSAGE): string {
  if (message.length <= max) return message;
  const head = Math.floor(max * 0.4);
  const tail = max - head - 5;
  return `${message.slice(0, head)} ... ${message.slice(message.length - tail)}`;
}

/**
 * The condition message for a write the API server refused for its content, or undefined when
 * the failure may pass (conflicts, timeouts, an unavailable server), which the work queue retries.
 */
export function rejectedWriteMessage(error: unknown): string | undefined {
  if (!isApiError(error)) return undefined;
  const serverMessage = error.body.message ?? error.message;
  const refused =
    error.status === 400 || error.status === 422 || (error.status === 500 && UNDECODABLE.test(serverMessage));
  if (!refused) return undefined;
  return shortenMessage(
    `the API server refused a workload write, so the rollout holds until the revision or the plan changes: ${error.message}`,
  );
}
