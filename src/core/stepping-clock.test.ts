import { describe, expect, it } from 'vitest';
import { SteppingClock } from './stepping-clock.ts';

describe('SteppingClock', () => {
  it('stands still until someone waits, then jumps to the timer in order', async () => {
    const c = new SteppingClock(1_000);
    expect(c.now()).toBe(1_000);
    const seen: number[] = [];
    const a = c.sleep(2_000).then(() => seen.push(c.now()));
    const b = c.sleep(500).then(() => seen.push(c.now()));
    await Promise.all([a, b]);
    expect(seen).toEqual([1_500, 3_000]);
  });

  it('leaves timers after the horizon for set(), which fires them in order', async () => {
    const c = new SteppingClock(0);
    c.setHorizon(1_000);
    const fired: number[] = [];
    c.setTimer(86_400_000, () => fired.push(c.now()));
    await c.sleep(999);
    await new Promise((r) => setImmediate(r));
    expect(fired).toEqual([]);
    expect(c.now()).toBe(999);
    c.set(86_400_000);
    expect(fired).toEqual([86_400_000]);
    expect(() => c.set(5)).toThrow(RangeError);
  });

  it('cancelled timers never fire; an aborted sleep rejects', async () => {
    const c = new SteppingClock(0);
    let fired = false;
    c.setTimer(10, () => (fired = true)).cancel();
    const ac = new AbortController();
    const p = c.sleep(50, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe(false);
    expect(c.pendingTimers()).toBe(0);
  });
});
