/**
 * Per-key sliding-window rate limiter of the twin (KIS counts REST calls per app key per second,
 * kis-protocol §4.1). A request is admitted when fewer than `limit` admitted requests of the key fall in
 * the window (now − windowMs, now]; refused requests do not count.
 */
export class SlidingWindowRateLimiter {
  private readonly hits = new Map<string, number[]>();

  /** @param windowMs window length in ms (default 1000) */
  constructor(private readonly windowMs: number = 1000) {}

  /**
   * Admits (and records) one request of `key` at `now` (epoch ms) when the window holds fewer than
   * `limit` admitted requests; returns false otherwise.
   */
  tryAcquire(key: string, limit: number, now: number): boolean {
    const from = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > from);
    if (list.length >= limit) {
      this.hits.set(key, list);
      return false;
    }
    list.push(now);
    this.hits.set(key, list);
    return true;
  }

  /** Forgets every recorded request. */
  reset(): void {
    this.hits.clear();
  }
}
