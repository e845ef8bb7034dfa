/**
 * `ReplayClock`: simulated time driven by a base clock (the system clock in the twin, a `TestClock` in
 * tests), for replaying a past session at any speed:
 *
 *   sim = simAnchor + (base − baseAnchor) × speed
 *
 * Speed changes, pauses and resumes re-anchor (simAnchor = the current sim time, baseAnchor = the
 * current base time), so simulated time never jumps; only `jumpTo` moves it discontinuously (forward).
 * Timers are kept in simulated time: a timer due at sim instant T fires when sim time reaches T, whatever
 * speed changes or pauses happen in between (one base timer is armed for the earliest due timer and
 * re-armed on every change).
 */
import { unixMillis, type UnixMillis } from '../../core/brand.ts';
import { sleepWith, type Clock, type TimerHandle } from '../../core/clock.ts';

/** Options of `ReplayClock`. */
export interface ReplayClockOptions {
  /** Simulated instant (epoch ms) at the base clock's current time. */
  readonly simStart: number;
  /** Simulated ms per base ms (> 0, finite; default 1). */
  readonly speed?: number;
  /** Start paused (default false). */
  readonly paused?: boolean;
}

interface SimTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A `Clock` whose time is a linear function of a base clock's time (see the module comment). */
export class ReplayClock implements Clock {
  private simAnchor: number;
  private baseAnchor: number;
  private rate: number;
  private isPaused: boolean;
  private seq = 0;
  private timers: SimTimer[] = [];
  private armed: TimerHandle | undefined;

  /** Throws `RangeError` for a non-finite `simStart` or a speed that is not finite and > 0. */
  constructor(
    private readonly base: Clock,
    opts: ReplayClockOptions,
  ) {
    if (!Number.isFinite(opts.simStart)) throw new RangeError(`simStart must be finite, was ${opts.simStart}`);
    this.rate = checkSpeed(opts.speed ?? 1);
    this.simAnchor = opts.simStart;
    this.baseAnchor = base.now();
    this.isPaused = opts.paused ?? false;
  }

  /** Current simulated instant (epoch ms, floored to the millisecond). */
  now(): UnixMillis {
    return unixMillis(Math.floor(this.exactNow()));
  }
  /** Simulated ms per base ms. */
  get speed(): number {
    return this.rate;
  }
  /** True while paused. */
  get paused(): boolean {
    return this.isPaused;
  }

  /**
   * Calls `fn` once when simulated time has advanced by `ms` (i.e. after ms / speed of base time at
   * the current speed; never while paused).
   */
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t: SimTimer = { due: this.exactNow() + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    this.rearm();
    return {
      cancel: () => {
        if (t.cancelled) return;
        t.cancelled = true;
        this.timers = this.timers.filter((x) => x !== t);
        this.rearm();
      },
    };
  }

  /** Resolves after `ms` of simulated time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Changes the speed from now on, without a jump in simulated time. Throws `RangeError` unless finite and > 0. */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    this.reanchor();
    this.rate = speed;
    this.rearm();
  }
  /** Freezes simulated time (timers wait). No-op when already paused. */
  pause(): void {
    if (this.isPaused) return;
    this.reanchor();
    this.isPaused = true;
    this.rearm();
  }
  /** Lets simulated time run again from where it stopped. No-op when not paused. */
  resume(): void {
    if (!this.isPaused) return;
    this.reanchor();
    this.isPaused = false;
    this.rearm();
  }
  /**
   * Moves simulated time forward to `simMs` (epoch ms), firing the timers due on the way in due order
   * (each sees `now()` = its due time). Keeps the speed and the paused state.
   * Throws `RangeError` when `simMs` is before the current simulated time.
   */
  jumpTo(simMs: number): void {
    const cur = this.exactNow();
    if (!Number.isFinite(simMs) || simMs < Math.floor(cur)) throw new RangeError(`ReplayClock only jumps forward: ${simMs} < ${Math.floor(cur)}`);
    const target = Math.max(simMs, cur);
    for (;;) {
      const t = this.nextDue(target);
      if (!t) break;
      this.timers = this.timers.filter((x) => x !== t);
      this.setSim(Math.max(this.exactNow(), t.due));
      t.fn();
    }
    this.setSim(Math.max(this.exactNow(), target));
    this.rearm();
  }
  /** Number of pending timers. */
  pendingTimers(): number {
    return this.timers.length;
  }

  private exactNow(): number {
    return this.isPaused ? this.simAnchor : this.simAnchor + (this.base.now() - this.baseAnchor) * this.rate;
  }
  private reanchor(): void {
    this.setSim(this.exactNow());
  }
  private setSim(sim: number): void {
    this.simAnchor = sim;
    this.baseAnchor = this.base.now();
  }
  private nextDue(until: number): SimTimer | undefined {
    let best: SimTimer | undefined;
    for (const t of this.timers) {
      if (t.due > until) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
  /** Arms one base timer for the earliest due timer (none while paused or idle). */
  private rearm(): void {
    this.armed?.cancel();
    this.armed = undefined;
    if (this.isPaused) return;
    const first = this.nextDue(Infinity);
    if (!first) return;
    const wait = Math.max(0, Math.ceil((first.due - this.exactNow()) / this.rate));
    this.armed = this.base.setTimer(wait, () => this.onBaseTimer());
  }
  private onBaseTimer(): void {
    this.armed = undefined;
    for (;;) {
      const t = this.nextDue(this.exactNow());
      if (!t) break;
      this.timers = this.timers.filter((x) => x !== t);
      t.fn();
      if (this.isPaused) break;
    }
    this.rearm();
  }
}

function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`speed must be finite and > 0, was ${speed}`);
  return speed;
}
