import { unixMillis, type UnixMillis } from './brand.ts';
import { sleepWith, type Clock, type TimerHandle } from './clock.ts';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock for accelerated replays (backtests): simulated time stands still while work runs and jumps
 * forward only when someone waits on it. Every `setTimer` / `sleep` schedules a step on the event loop
 * (`setImmediate`); a step moves time to the earliest pending timer due at or before the horizon and
 * fires it. So a strategy run that polls fills every 2 s of simulated time, or a rate limiter that
 * spaces requests 1.1 ms apart, costs no wall time, and nothing ever sleeps.
 *
 * Timers due after the horizon (epoch ms, default +∞) wait until `set` moves time past them: this keeps
 * long background timers (a twin's WebSocket pump, a token refresh) from dragging time forward.
 *
 * Time only goes forward. Unlike `TestClock`, nobody has to drive it; unlike `ReplayClock`, it is not a
 * function of the wall clock (a replay at any speed would let wall latency leak into simulated time).
 */
export class SteppingClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Pending[] = [];
  private horizon = Number.POSITIVE_INFINITY;
  private stepQueued = false;

  /** @param start the first instant, epoch ms */
  constructor(start: number) {
    if (!Number.isFinite(start)) throw new RangeError(`start must be finite, was ${start}`);
    this.current = start;
  }

  now(): UnixMillis {
    return unixMillis(Math.floor(this.current));
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    this.queueStep();
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Latest instant (epoch ms) automatic steps may reach; later timers wait for `set`. */
  setHorizon(ms: number): void {
    this.horizon = ms;
    this.queueStep();
  }

  /**
   * Moves time forward to `ms` (epoch ms), firing the timers due on the way in order (each sees
   * `now()` = its due time). Throws `RangeError` when `ms` is in the past.
   */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < Math.floor(this.current)) throw new RangeError(`SteppingClock only moves forward: ${ms} < ${Math.floor(this.current)}`);
    for (;;) {
      const t = this.nextDue(ms);
      if (!t) break;
      this.fire(t);
    }
    this.current = Math.max(this.current, ms);
  }

  /** Number of timers still pending. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private queueStep(): void {
    if (this.stepQueued) return;
    this.stepQueued = true;
    setImmediate(() => {
      this.stepQueued = false;
      const t = this.nextDue(this.horizon);
      if (!t) return;
      this.fire(t);
      if (this.nextDue(this.horizon)) this.queueStep();
    });
  }

  private fire(t: Pending): void {
    this.timers = this.timers.filter((x) => x !== t && !x.cancelled);
    this.current = Math.max(this.current, t.at);
    t.fn();
  }

  private nextDue(until: number): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
