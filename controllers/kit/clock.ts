// Time source for everything in the controller runtime. Production code reads the wall clock
// through `realClock`; tests drive a `FakeClock` by hand so that backoffs, delayed requeues and
// lease expiry are deterministic.

/** Handle returned by `Clock.setTimeout`; cancelling a timer that already fired is a no-op. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs `fn` once after `ms` milliseconds (immediately-due when `ms <= 0`). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const realClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(timer) };
  },
};

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/**
 * Manually driven clock. `advance(ms)` moves time forward and fires every timer that becomes due,
 * earliest first (ties in the order they were scheduled), with `now()` reading each timer's due
 * time while it runs. Timers scheduled by a firing callback fire in the same `advance` call when
 * they fall inside the advanced window.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 0;
  private timers: PendingTimer[] = [];

  constructor(start: Date | number = Date.UTC(2024, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, dueAt: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    if (ms < 0) throw new Error(`FakeClock cannot go backwards (advance(${ms}))`);
    const target = this.current + ms;
    for (;;) {
      const next = this.earliestDue(target);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.dueAt);
      next.fn();
    }
    this.current = target;
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Milliseconds until the earliest pending timer fires, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    const next = this.earliestDue(Number.POSITIVE_INFINITY);
    return next === undefined ? undefined : Math.max(0, next.dueAt - this.current);
  }

  private earliestDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.dueAt > limit) continue;
      if (best === undefined || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    }
    return best;
  }
}

/**
 * Resolves after `ms` on `clock`, or early (without rejecting) when `signal` aborts, so loops can
 * check their stop flag right after waking.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
