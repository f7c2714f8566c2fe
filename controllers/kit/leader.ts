// Leader election on a coordination.k8s.io/v1 Lease, so that of several replicas only one runs
// the controllers. The decision (take, renew or wait) is a pure function of the lease, our
// identity and the time; the elector around it only does the I/O. Writes carry the lease's
// resourceVersion, so two candidates racing for an expired lease cannot both win.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { realClock, sleep, type Clock } from './clock.js';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from './client.js';
import { builtin } from './discovery.js';
import { errorMessage, silentLogger, type Logger } from './log.js';
import type { RuntimeMetrics } from './metrics.js';
import { formatMicroTime, type ObjectMeta } from './objects.js';

export interface Lease {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata: ObjectMeta & { name: string; namespace: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionConfig {
  /** How long a lease stays valid without renewal; others wait this long. Default 15 s. */
  leaseDurationMs: number;
  /** The leader gives up if it could not renew for this long. Default 10 s. */
  renewDeadlineMs: number;
  /** Pause between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION: LeaderElectionConfig = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export type LeaseDecision =
  /** No lease exists: create it, holding it. */
  | { action: 'create'; newLease: Lease }
  /** Another holder's lease expired (or was released): take it over. */
  | { action: 'acquire'; newLease: Lease }
  /** We hold it: extend it. */
  | { action: 'renew'; newLease: Lease }
  /** Someone else holds a valid lease. */
  | { action: 'wait'; holder: string; expiresAt: Date };

/** Which lease, and its timing. */
export interface LeaseConfig extends LeaderElectionConfig {
  name: string;
  namespace: string;
}

/**
 * What `identity` should do about `lease` at `now`.
 *
 * Expiry is measured from `observedAt` when given (the local time at which this candidate first
 * saw the current holder/renewTime), which keeps the decision correct when the holder's clock is
 * skewed; otherwise from the lease's renewTime. Every returned lease keeps the read
 * resourceVersion, so writing it is a compare-and-swap.
 */
export function decideLease(
  lease: Lease | undefined,
  identity: string,
  now: Date,
  config: LeaseConfig,
  observedAt?: Date,
): LeaseDecision {
  const leaseDurationSeconds = Math.ceil(config.leaseDurationMs / 1000);
  const stamp = formatMicroTime(now);
  if (!lease) {
    return {
      action: 'create',
      newLease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: config.name, namespace: config.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: stamp,
          renewTime: stamp,
          leaseTransitions: 0,
        },
      },
    };
  }
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity ?? '';
  if (holder === identity) {
    return {
      action: 'renew',
      newLease: { ...lease, spec: { ...spec, leaseDurationSeconds, renewTime: stamp } },
    };
  }
  const expiresAt = leaseExpiry(lease, observedAt);
  if (holder !== '' && expiresAt !== undefined && now.getTime() < expiresAt.getTime()) {
    return { action: 'wait', holder, expiresAt };
  }
  return {
    action: 'acquire',
    newLease: {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
      },
    },
  };
}

/** When the lease lapses; undefined when it carries no usable renew time (treated as expired). */
function leaseExpiry(lease: Lease, observedAt: Date | undefined): Date | undefined {
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  const base = observedAt ?? (lease.spec?.renewTime ? new Date(lease.spec.renewTime) : undefined);
  if (!base || Number.isNaN(base.getTime())) return undefined;
  return new Date(base.getTime() + durationMs);
}

/**
 * The lease to write when stepping down on shutdown: no holder and a one-second duration, so a
 * successor takes over on its next attempt instead of waiting out the full duration.
 */
export function releasedLease(lease: Lease, now: Date): Lease {
  const stamp = formatMicroTime(now);
  return {
    ...lease,
    spec: {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: stamp,
      renewTime: stamp,
    },
  };
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export interface LeaderElectorOptions {
  name: string;
  namespace: string;
  identity?: string;
  config?: Partial<LeaderElectionConfig>;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/**
 * Campaigns for the lease, calls `onStartedLeading` once it holds it, renews it every retry
 * period, and calls `onStoppedLeading` when renewal fails for longer than the renew deadline
 * (leadership lost; `run` then resolves) or after `stop()` released it.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly config: LeaseConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  private leading = false;
  private current?: Lease;
  private observed?: { fingerprint: string; at: Date };
  private running?: Promise<'stopped' | 'lost'>;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectorOptions,
  ) {
    this.identity = options.identity ?? defaultIdentity();
    this.config = {
      ...DEFAULT_LEADER_ELECTION,
      ...options.config,
      name: options.name,
      namespace: options.namespace,
    };
    if (this.config.renewDeadlineMs >= this.config.leaseDurationMs) {
      throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    }
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger()).child({
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns and leads until stopped ('stopped') or until leadership is lost ('lost'). */
  run(): Promise<'stopped' | 'lost'> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops campaigning; a leader releases the lease so a successor need not wait for expiry. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<'stopped' | 'lost'> {
    const signal = this.abort.signal;
    this.setStatus(false);
    this.logger.info('campaigning for leadership');
    while (!signal.aborted && !this.leading) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.setStatus(true);
        this.logger.info('became leader');
        this.options.onStartedLeading();
        break;
      }
      await sleep(this.clock, this.config.retryPeriodMs, signal);
    }
    if (!this.leading) return 'stopped';

    let lastRenew = this.clock.now().getTime();
    while (!signal.aborted) {
      await sleep(this.clock, this.config.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.clock.now().getTime();
        continue;
      }
      const heldByOther =
        this.current?.spec?.holderIdentity && this.current.spec.holderIdentity !== this.identity;
      if (heldByOther || this.clock.now().getTime() - lastRenew >= this.config.renewDeadlineMs) {
        this.leading = false;
        this.setStatus(false);
        this.logger.error('leadership lost', { holder: this.current?.spec?.holderIdentity });
        this.options.onStoppedLeading();
        return 'lost';
      }
    }
    await this.release();
    this.leading = false;
    this.setStatus(false);
    this.options.onStoppedLeading();
    return 'stopped';
  }

  /** One attempt; true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const lease = await this.client.tryGet<Lease>(builtin.Lease, this.config.name, this.config.namespace);
      this.current = lease;
      const now = this.clock.now();
      const decision = decideLease(lease, this.identity, now, this.config, this.observedAt(lease, now));
      switch (decision.action) {
        case 'wait':
          this.logger.debug('lease held by another candidate', { holder: decision.holder });
          return false;
        case 'create':
          this.current = await this.client.create(builtin.Lease, decision.newLease);
          return true;
        case 'acquire':
        case 'renew':
          this.current = await this.client.update(builtin.Lease, decision.newLease);
          if (decision.action === 'acquire')
            this.logger.info('acquired lease', { from: lease?.spec?.holderIdentity });
          return true;
      }
    } catch (error) {
      if (isConflict(error) || isAlreadyExists(error)) {
        this.logger.debug('lost a race for the lease', { error: errorMessage(error) });
      } else {
        this.logger.warn('lease request failed', { error: errorMessage(error) });
      }
      return false;
    }
  }

  /** Local time at which the current holder/renewTime pair was first seen. */
  private observedAt(lease: Lease | undefined, now: Date): Date | undefined {
    if (!lease) return undefined;
    const fingerprint = `${lease.spec?.holderIdentity ?? ''}|${lease.spec?.renewTime ?? ''}`;
    if (this.observed?.fingerprint !== fingerprint) this.observed = { fingerprint, at: now };
    return this.observed.at;
  }

  private async release(): Promise<void> {
    const lease = this.current;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    try {
      await this.client.update(builtin.Lease, releasedLease(lease, this.clock.now()));
      this.logger.info('released lease');
    } catch (error) {
      if (!isNotFound(error)) this.logger.warn('could not release lease', { error: errorMessage(error) });
    }
  }

  private setStatus(leading: boolean): void {
    this.options.metrics?.leaderElectionStatus.set({ name: this.options.name }, leading ? 1 : 0);
  }
}
