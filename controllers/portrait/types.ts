/** What one portrait provider proposes at a given time. */
export interface PortraitValue {
  /** Provider identifier as shown in status.currentPortraitValue.provider (e.g. `Static`, `Cron`). */
  provider: string;
  replicas: number;
  /** The value stops holding at this instant; absent means it never expires. */
  expireTime?: Date;
}

/** Thrown for portrait inputs that cannot be evaluated (bad replicas, unknown data type, …). */
export class PortraitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortraitError';
  }
}

/** Replica counts must be non-negative integers. */
export function assertReplicaCount(what: string, replicas: number): void {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new PortraitError(`${what}: replicas must be a non-negative integer, got ${replicas}`);
  }
}
