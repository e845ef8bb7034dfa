import { unixMillis, type UnixMillis } from './brand.ts';

/** A cancellable timer handle. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Source of time and timers. Production uses `SystemClock`; tests inject `TestClock` and move time
 * explicitly, so no test ever sleeps.
 */
export interface Clock {
  /** Current instant, epoch ms. */
  now(): UnixMillis;
  /** Calls `fn` once after `ms` milliseconds of this clock's time. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Resolves after `ms` milliseconds of this clock's time (rejects with the signal's reason when aborted). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** `Clock.sleep` in terms of `clock.setTimer`, for implementations of `Clock`. */
export function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      handle.cancel();
      reject(signal?.reason);
    };
    const handle = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall-clock time and Node timers. */
export class SystemClock implements Clock {
  now(): UnixMillis {
    return unixMillis(Date.now());
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Manually driven clock for tests. `advance(ms)` moves time forward and fires due timers in order
 * (timers scheduled by fired callbacks fire too when they fall inside the window).
 * `advanceAsync` also lets pending promise continuations run between timers.
 */
export class TestClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start: number = Date.UTC(2026, 0, 2, 0, 0, 0)) {
    this.current = start;
  }
  now(): UnixMillis {
    return unixMillis(this.current);
  }
  /** Sets the time (must not go backwards). */
  set(ms: number): void {
    if (ms < this.current) throw new RangeError(`TestClock cannot go backwards: ${ms} < ${this.current}`);
    this.advance(ms - this.current);
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
  /** Number of timers still pending. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
  private nextDue(until: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
  /** Moves time forward by `ms`, firing due timers synchronously. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const t = this.nextDue(target);
      if (!t) break;
      this.timers = this.timers.filter((x) => x !== t);
      this.current = Math.max(this.current, t.at);
      t.fn();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
  /** Like `advance`, but yields to the microtask/macrotask queue before and after each timer. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flush();
    for (;;) {
      const t = this.nextDue(target);
      if (!t) break;
      this.timers = this.timers.filter((x) => x !== t);
      this.current = Math.max(this.current, t.at);
      t.fn();
      await flush();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
    await flush();
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
