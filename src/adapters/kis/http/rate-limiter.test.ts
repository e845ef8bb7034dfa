import { beforeEach, describe, expect, it } from 'vitest';
import { SystemClock, TestClock } from '../../../core/clock.ts';
import { clearSharedLimiters, getSharedLimiter, TokenBucketLimiter } from './rate-limiter.ts';

/** Starts `n` acquisitions at once and records, on the test clock, when each one was granted. */
async function grantTimes(limiter: TokenBucketLimiter, clock: TestClock, n: number, stepMs: number, untilMs: number): Promise<number[]> {
  const t0 = clock.now();
  const times: number[] = new Array(n).fill(-1);
  const all = Array.from({ length: n }, (_, i) => limiter.acquire().then(() => (times[i] = clock.now() - t0)));
  for (let t = 0; t <= untilMs; t += stepMs) await clock.advanceAsync(t === 0 ? 0 : stepMs);
  await Promise.all(all);
  return times;
}

describe('TokenBucketLimiter (GCRA, injected clock)', () => {
  it('real budget: 19 calls at 18/s, burst 1 → spaced 1000/18 ms apart, the 19th at exactly 1 s', async () => {
    const clock = new TestClock();
    const times = await grantTimes(new TokenBucketLimiter(18, 1, clock), clock, 19, 1, 1_000);
    expect(times[0]).toBe(0);
    expect(times[1]).toBe(56);
    expect(times[18]).toBe(1_000);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    // no 1-second window holds more than 18 grants
    for (const t of times) expect(times.filter((x) => x >= t && x < t + 1_000).length).toBeLessThanOrEqual(18);
  });

  it('paper budget: 5 calls at 1/s take 4 s of clock time', async () => {
    const clock = new TestClock();
    const times = await grantTimes(new TokenBucketLimiter(1, 1, clock), clock, 5, 100, 4_000);
    expect(times).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('a burst lets `burst` calls through at once, then the steady rate', async () => {
    const clock = new TestClock();
    const times = await grantTimes(new TokenBucketLimiter(2, 3, clock), clock, 5, 50, 1_000);
    expect(times).toEqual([0, 0, 0, 500, 1_000]);
  });

  it('serves waiters first-in first-out', async () => {
    const clock = new TestClock();
    const l = new TokenBucketLimiter(10, 1, clock);
    const order: number[] = [];
    const ps = [0, 1, 2, 3].map((i) => l.acquire().then(() => order.push(i)));
    await clock.advanceAsync(1_000);
    await Promise.all(ps);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('an aborted waiter rejects with the reason and does not block the others', async () => {
    const clock = new TestClock();
    const l = new TokenBucketLimiter(1, 1, clock);
    await l.acquire();
    const ac = new AbortController();
    const aborted = l.acquire(ac.signal);
    const next = l.acquire();
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await clock.advanceAsync(2_000);
    await expect(next).resolves.toBeUndefined();
  });
});

describe('getSharedLimiter (one bucket per app key, process-wide)', () => {
  beforeEach(() => clearSharedLimiters());

  it('returns the same bucket for the same key and a different one for another key', () => {
    const clock = new TestClock();
    const a = getSharedLimiter('key-A', 18, clock);
    expect(getSharedLimiter('key-A', 18, clock)).toBe(a);
    expect(getSharedLimiter('key-B', 18, clock)).not.toBe(a);
  });

  it('refuses a second budget for the same key', () => {
    const clock = new TestClock();
    getSharedLimiter('key-A', 18, clock);
    expect(() => getSharedLimiter('key-A', 1, clock)).toThrow(/different rate/);
    expect(() => getSharedLimiter('key-A', 18, new TestClock())).toThrow(/different rate/);
  });

  it('treats all SystemClock instances as one clock', () => {
    const a = getSharedLimiter('key-S', 18, new SystemClock());
    expect(getSharedLimiter('key-S', 18, new SystemClock())).toBe(a);
  });
});
