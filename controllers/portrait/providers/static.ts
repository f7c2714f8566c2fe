/** The Static portrait provider: a fixed replica count that never expires. */
import { assertReplicaCount, type PortraitValue } from '../types.js';

/** The provider identifier a Static provider's values carry (upstream uses the type name). */
export const STATIC_PROVIDER = 'Static';

/**
 * The Static provider's value: always `replicas`, with no expiry.
 * @throws PortraitError when `replicas` is not a non-negative integer.
 */
export function staticPortraitValue(replicas: number): PortraitValue {
  assertReplicaCount('static portrait', replicas);
  return { provider: STATIC_PROVIDER, replicas };
}
