// A tiny stand-in for the IHPA reconciler and the cluster around it, for planner tests: it calls
// planIhpa the way the reconciler does (with the status it wrote last time, the ReplicaProfile it
// applied, and a timer at the plan's next wake-up on a FakeClock), and a ReplicaProfile controller
// that carries every profile out at once.

import { FakeClock, type TimerHandle } from '../../../controllers/kit/clock.js';
import { planIhpa, type IhpaPlan, type ObservedReplicaProfile } from '../../../controllers/ihpa/planner.js';
import { wakeupDelay } from '../../../controllers/ihpa/reconciler.js';
import type {
  HorizontalPortraitStatusData,
  IhpaSpec,
  IhpaStatus,
  ReplicaCounts,
} from '../../../controllers/ihpa/types.js';

export interface RecordedEvent {
  at: number;
  type: string;
  reason: string;
  message: string;
}

export class IhpaWorld {
  readonly clock: FakeClock;
  status: IhpaStatus | undefined;
  profile: ObservedReplicaProfile | undefined;
  readonly portraits = new Map<string, HorizontalPortraitStatusData | undefined>();
  rolloutInProgress: { name: string; rollingState?: string } | undefined;
  readonly events: RecordedEvent[] = [];
  /** Every ReplicaProfile spec change, with the time it was written. */
  readonly profileChanges: { at: number; counts: ReplicaCounts; paused: boolean }[] = [];
  readonly reconciles: number[] = [];
  /** The ReplicaProfile controller reports the profile's counts as the pods' states. */
  podsFollowProfile = true;
  lastPlan: IhpaPlan | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    public spec: IhpaSpec,
    start: number,
  ) {
    this.clock = new FakeClock(start);
  }

  /** One reconcile now, as the controller would run it; re-arms the wake-up timer. */
  reconcile(): IhpaPlan {
    const now = this.clock.now();
    this.reconciles.push(now.getTime());
    const plan = planIhpa(
      this.spec,
      {
        generation: 1,
        portraits: this.portraits,
        ...(this.status ? { status: this.status } : {}),
        ...(this.profile ? { replicaProfile: this.profile } : {}),
        ...(this.rolloutInProgress ? { rolloutInProgress: this.rolloutInProgress } : {}),
      },
      now,
    );
    const desired = plan.replicaProfile;
    if (desired !== undefined) {
      const { paused, ...counts } = desired;
      const before = this.profile;
      const changed =
        before === undefined ||
        before.paused !== paused ||
        before.spec.online !== counts.online ||
        before.spec.cutoff !== counts.cutoff ||
        before.spec.standby !== counts.standby;
      if (changed) this.profileChanges.push({ at: now.getTime(), counts, paused });
      this.profile = {
        spec: counts,
        paused,
        ...(this.podsFollowProfile ? { status: counts } : before?.status ? { status: before.status } : {}),
      };
    }
    for (const event of plan.events) this.events.push({ at: now.getTime(), ...event });
    this.status = plan.status;
    this.timer?.cancel();
    this.timer = undefined;
    if (plan.nextWakeup !== undefined) {
      this.timer = this.clock.setTimeout(() => this.reconcile(), wakeupDelay(plan.nextWakeup, now));
    }
    this.lastPlan = plan;
    return plan;
  }

  /** Moves time on, firing the wake-ups the plans asked for. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  advanceTo(at: number): void {
    this.clock.advance(at - this.clock.now().getTime());
  }

  condition(type: string) {
    return this.status?.conditions?.find((c) => c.type === type);
  }
}

export const minutes = (n: number) => n * 60_000;
export const seconds = (n: number) => n * 1000;
