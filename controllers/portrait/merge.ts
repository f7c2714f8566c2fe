/**
 * Merging the values of all portrait providers into the one the IHPA acts on, and clamping it to
 * [minReplicas, maxReplicas].
 */
import type { PortraitValue } from './types.js';

/** A provider's value together with the priority configured for that provider. */
export interface PortraitCandidate extends PortraitValue {
  priority: number;
}

export type ScalingLimitedReason = 'TooFewReplicas' | 'TooManyReplicas' | 'DesiredWithinRange';

/** The ScalingLimited condition the clamp implies. */
export interface ScalingLimited {
  /** `True` when the bounds changed the desired count. */
  status: 'True' | 'False';
  reason: ScalingLimitedReason;
  message: string;
}

export type PortraitDecision =
  | {
      valid: false;
      reason: 'NoValidPortraitValue';
      /** The Warning event / condition message users grep for. */
      message: string;
    }
  | {
      valid: true;
      /** The winning value as its provider gave it (before clamping). */
      winner: PortraitCandidate;
      /** The winner's replicas clamped to [minReplicas, maxReplicas]. */
      desiredReplicas: number;
      scalingLimited: ScalingLimited;
    };

export const NO_VALID_PORTRAIT_VALUE_MESSAGE = 'no valid portrait value for now';

/** Whether a value still holds at `now`: no expiry, or `now` strictly before it. */
export function isPortraitValueLive(value: PortraitValue, now: Date): boolean {
  return value.expireTime === undefined || now.getTime() < value.expireTime.getTime();
}

/**
 * The winning value among `candidates` (in `spec.portraitProviders` order; `undefined`/`null`
 * for providers with nothing to say). A live value replaces the current choice when there is no
 * choice yet, when its priority is strictly higher, or when the priority is equal and it asks
 * for more replicas. Expired values are skipped, so lower priorities take over.
 */
export function pickPortraitValue(
  candidates: readonly (PortraitCandidate | undefined | null)[],
  now: Date,
): PortraitCandidate | undefined {
  let chosen: PortraitCandidate | undefined;
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null || !isPortraitValueLive(candidate, now)) continue;
    if (
      chosen === undefined ||
      candidate.priority > chosen.priority ||
      (candidate.priority === chosen.priority && candidate.replicas > chosen.replicas)
    ) {
      chosen = candidate;
    }
  }
  return chosen;
}

/**
 * Clamps `replicas` to [minReplicas, maxReplicas] and describes the ScalingLimited condition.
 * The minimum is applied first and the maximum last, so the maximum wins if the bounds are
 * inverted (as upstream does).
 */
export function clampReplicas(
  replicas: number,
  minReplicas: number,
  maxReplicas: number,
): { desiredReplicas: number; scalingLimited: ScalingLimited } {
  const raised = Math.max(replicas, minReplicas);
  if (raised > maxReplicas) {
    return {
      desiredReplicas: maxReplicas,
      scalingLimited: {
        status: 'True',
        reason: 'TooManyReplicas',
        message:
          replicas > maxReplicas
            ? `the desired replica count ${replicas} of the current portrait value is more than the maximum replica count ${maxReplicas}`
            : `the minimum replica count ${minReplicas} is more than the maximum replica count ${maxReplicas}, so the maximum applies`,
      },
    };
  }
  if (replicas < minReplicas) {
    return {
      desiredReplicas: minReplicas,
      scalingLimited: {
        status: 'True',
        reason: 'TooFewReplicas',
        message: `the desired replica count ${replicas} of the current portrait value is less than the minimum replica count ${minReplicas}`,
      },
    };
  }
  return {
    desiredReplicas: replicas,
    scalingLimited: {
      status: 'False',
      reason: 'DesiredWithinRange',
      message: `the desired replica count ${replicas} of the current portrait value is within the acceptable range [${minReplicas}, ${maxReplicas}]`,
    },
  };
}

/**
 * The whole merge: pick the winning provider value at `now`, then clamp it. No live value at all
 * yields `NoValidPortraitValue` (the caller emits the Warning event and changes nothing).
 */
export function decidePortrait(input: {
  candidates: readonly (PortraitCandidate | undefined | null)[];
  now: Date;
  minReplicas: number;
  maxReplicas: number;
}): PortraitDecision {
  const winner = pickPortraitValue(input.candidates, input.now);
  if (winner === undefined) {
    return { valid: false, reason: 'NoValidPortraitValue', message: NO_VALID_PORTRAIT_VALUE_MESSAGE };
  }
  return { valid: true, winner, ...clampReplicas(winner.replicas, input.minReplicas, input.maxReplicas) };
}
