import { describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { ReplayClock } from './replay-clock.ts';

const BASE0 = Date.UTC(2030, 0, 1); // wall time of the test run (irrelevant)
const SIM0 = Date.UTC(2026, 1, 20, 0, 0, 0); // 2026-02-20 09:00 KST

function setup(speed = 1): { base: TestClock; clock: ReplayClock } {
  const base = new TestClock(BASE0);
  return { base, clock: new ReplayClock(base, { simStart: SIM0, speed }) };
}

describe('ReplayClock time', () => {
  it('sim = simStart + (base − baseStart) × speed', () => {
    const { base, clock } = setup(60);
    expect(clock.now()).toBe(SIM0);
    base.advance(1_000);
    expect(clock.now()).toBe(SIM0 + 60_000);
    base.advance(59_000);
    expect(clock.now()).toBe(SIM0 + 3_600_000);
  });

  it('floors fractional simulated milliseconds', () => {
    const { base, clock } = setup(0.5);
    base.advance(3);
    expect(clock.now()).toBe(SIM0 + 1);
    base.advance(1);
    expect(clock.now()).toBe(SIM0 + 2);
  });

  it('setSpeed re-anchors without a jump', () => {
    const { base, clock } = setup(10);
    base.advance(500);
    expect(clock.now()).toBe(SIM0 + 5_000);
    clock.setSpeed(100);
    expect(clock.now()).toBe(SIM0 + 5_000);
    expect(clock.speed).toBe(100);
    base.advance(10);
    expect(clock.now()).toBe(SIM0 + 6_000);
    clock.setSpeed(1);
    base.advance(10);
    expect(clock.now()).toBe(SIM0 + 6_010);
    expect(() => clock.setSpeed(0)).toThrow(RangeError);
    expect(() => clock.setSpeed(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new ReplayClock(base, { simStart: SIM0, speed: -1 })).toThrow(RangeError);
  });

  it('pause freezes simulated time; resume continues from there', () => {
    const { base, clock } = setup(2);
    base.advance(100);
    clock.pause();
    expect(clock.paused).toBe(true);
    base.advance(10_000);
    expect(clock.now()).toBe(SIM0 + 200);
    clock.pause(); // no-op
    clock.resume();
    expect(clock.now()).toBe(SIM0 + 200);
    base.advance(100);
    expect(clock.now()).toBe(SIM0 + 400);
    clock.resume(); // no-op
    expect(clock.now()).toBe(SIM0 + 400);
  });

  it('can start paused', () => {
    const base = new TestClock(BASE0);
    const clock = new ReplayClock(base, { simStart: SIM0, paused: true });
    base.advance(1_000);
    expect(clock.now()).toBe(SIM0);
  });
});

describe('ReplayClock timers', () => {
  it('setTimer(ms) waits ms / speed of base time', () => {
    const { base, clock } = setup(60);
    const fired: number[] = [];
    clock.setTimer(60_000, () => fired.push(clock.now()));
    base.advance(999);
    expect(fired).toEqual([]);
    base.advance(1);
    expect(fired).toEqual([SIM0 + 60_000]);
    expect(base.pendingTimers()).toBe(0);
  });

  it('rounds the base wait up at fractional ratios, so a timer never fires early', () => {
    const { base, clock } = setup(3);
    let at = 0;
    clock.setTimer(10, () => (at = clock.now()));
    base.advance(3);
    expect(at).toBe(0); // 9 sim ms
    base.advance(1);
    expect(at).toBe(SIM0 + 12);
  });

  it('a speed change reschedules pending timers in simulated time', () => {
    const { base, clock } = setup(1);
    let fired = false;
    clock.setTimer(10_000, () => (fired = true));
    base.advance(4_000);
    clock.setSpeed(2); // 6,000 sim ms left = 3,000 base ms
    base.advance(2_999);
    expect(fired).toBe(false);
    base.advance(1);
    expect(fired).toBe(true);
    expect(clock.now()).toBe(SIM0 + 10_000);
  });

  it('timers wait while paused', () => {
    const { base, clock } = setup(1);
    let fired = false;
    clock.setTimer(1_000, () => (fired = true));
    base.advance(400);
    clock.pause();
    base.advance(5_000);
    expect(fired).toBe(false);
    clock.resume();
    base.advance(599);
    expect(fired).toBe(false);
    base.advance(1);
    expect(fired).toBe(true);
  });

  it('fires in due order, including timers set from callbacks; cancel works', () => {
    const { base, clock } = setup(10);
    const log: string[] = [];
    clock.setTimer(3_000, () => log.push(`c@${clock.now() - SIM0}`));
    clock.setTimer(1_000, () => {
      log.push(`a@${clock.now() - SIM0}`);
      clock.setTimer(500, () => log.push(`d@${clock.now() - SIM0}`));
    });
    const h = clock.setTimer(2_000, () => log.push('b'));
    h.cancel();
    h.cancel();
    expect(clock.pendingTimers()).toBe(2);
    base.advance(1_000);
    expect(log).toEqual(['a@1000', 'd@1500', 'c@3000']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('jumpTo moves forward, firing the timers on the way at their due times', () => {
    const { base, clock } = setup(1);
    const log: number[] = [];
    clock.setTimer(5_000, () => log.push(clock.now() - SIM0));
    clock.setTimer(1_000, () => log.push(clock.now() - SIM0));
    clock.setTimer(20_000, () => log.push(clock.now() - SIM0));
    clock.jumpTo(SIM0 + 10_000);
    expect(log).toEqual([1_000, 5_000]);
    expect(clock.now()).toBe(SIM0 + 10_000);
    expect(() => clock.jumpTo(SIM0 + 9_999)).toThrow(RangeError);
    base.advance(9_999);
    expect(log).toEqual([1_000, 5_000]);
    base.advance(1);
    expect(log).toEqual([1_000, 5_000, 20_000]);
  });

  it('jumpTo while paused stays paused', () => {
    const { base, clock } = setup(1);
    clock.pause();
    clock.jumpTo(SIM0 + 60_000);
    base.advance(1_000);
    expect(clock.now()).toBe(SIM0 + 60_000);
    expect(clock.paused).toBe(true);
  });

  it('sleep resolves after simulated time; abort rejects', async () => {
    const { base, clock } = setup(100);
    let done = false;
    const p = clock.sleep(60_000).then(() => (done = true));
    await base.advanceAsync(599);
    expect(done).toBe(false);
    await base.advanceAsync(1);
    await p;
    expect(done).toBe(true);

    const ac = new AbortController();
    const q = clock.sleep(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(q).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toBe(0);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await expect(clock.sleep(1, pre.signal)).rejects.toThrow('already');
  });
});
