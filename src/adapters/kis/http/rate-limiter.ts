import { createHash } from 'node:crypto';
import { InvariantError } from '../../../core/errors.ts';
import { SystemClock, type Clock, type TimerHandle } from '../../../core/clock.ts';

/**
 * Token-bucket rate limiter for the KIS REST budget (kis-protocol.md §4.1: per app key, real 18/s,
 * paper 1/s; exceeding it returns EGW00201).
 *
 * Why ~60 lines of our own instead of a library: (1) it must run on the injected `Clock`, so tests
 * move time with `TestClock` instead of sleeping, and libraries (bottleneck, p-limit, limiter) read
 * `Date.now()` and `setTimeout` directly; (2) KIS meters per app key, so every caller in the process
 * (data, execution, pollers, several `KisClient`s) must share ONE bucket per key — separate limiters on
 * a shared cap silently double the rate (style-anchors §4.4). The registry below provides that sharing.
 *
 * Algorithm: GCRA, the "virtual scheduling" form of a token bucket with `perSecond` tokens a second
 * and room for `burst`. Each `acquire` reserves the next free slot at call time, so waiters are served
 * strictly first-in first-out. A waiter that aborts gives its slot up unused (conservative).
 */
export class TokenBucketLimiter {
  /** Interval between tokens (ms). */
  readonly intervalMs: number;
  private readonly toleranceMs: number;
  /**
   * Theoretical arrival time of the next request, in ms relative to `origin` (the first call's
   * instant): kept small so float steps of 1000/perSecond do not lose precision next to epoch values.
   */
  private tat = Number.NEGATIVE_INFINITY;
  private origin: number | undefined;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    readonly clock: Clock,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new InvariantError('ASSERTION_FAILED', `perSecond must be > 0, was ${perSecond}`);
    if (!Number.isSafeInteger(burst) || burst < 1) throw new InvariantError('ASSERTION_FAILED', `burst must be an integer >= 1, was ${burst}`);
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /**
   * Resolves when the caller may send one request. FIFO across callers.
   * Rejects with `signal.reason` when aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.origin ??= this.clock.now();
    const now = this.clock.now() - this.origin;
    const tat = Math.max(this.tat, now);
    const slot = tat - this.toleranceMs;
    this.tat = tat + this.intervalMs;
    // 1e-3 ms absorbs the float drift of repeated 1000/perSecond additions
    const wait = Math.ceil(slot - now - 1e-3);
    if (wait <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const handle: TimerHandle = this.clock.setTimer(wait, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = (): void => {
        handle.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const registry = new Map<string, TokenBucketLimiter>();

function sameClock(a: Clock, b: Clock): boolean {
  return a === b || (a instanceof SystemClock && b instanceof SystemClock);
}

/**
 * The process-wide limiter for an app key (keyed by a hash of the key, never the key itself).
 * Every caller with the same app key gets the same bucket.
 * @throws InvariantError when the key is already registered with a different rate, burst or clock:
 *   two budgets for one key would defeat the purpose.
 */
export function getSharedLimiter(appKey: string, perSecond: number, clock: Clock, burst = 1): TokenBucketLimiter {
  const key = createHash('sha256').update(appKey).digest('hex');
  const existing = registry.get(key);
  if (existing) {
    if (existing.perSecond !== perSecond || existing.burst !== burst || !sameClock(existing.clock, clock)) {
      throw new InvariantError('ASSERTION_FAILED', 'a rate limiter for this app key already exists with a different rate, burst or clock', {
        perSecond: existing.perSecond,
        requested: perSecond,
      });
    }
    return existing;
  }
  const limiter = new TokenBucketLimiter(perSecond, burst, clock);
  registry.set(key, limiter);
  return limiter;
}

/** Forgets every shared limiter. For tests only (each test builds fresh clients with a fresh clock). */
export function clearSharedLimiters(): void {
  registry.clear();
}
