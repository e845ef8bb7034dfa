import { describe, expect, it } from 'vitest';
import type { UnixMillis } from '../core/brand.ts';
import { TestClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { InputError } from '../core/errors.ts';
import { kstDateOf, kstInstant, kstParts } from '../core/kst.ts';
import { KrxCalendar, type TradingSession } from '../model/calendar.ts';
import type { SchedulerEvent } from './events.ts';
import { MAX_TIMER_STEP_MS, Scheduler, type JobContext, type JobSpec } from './scheduler.ts';

const calendar = new KrxCalendar();
const MIN = 60_000;

/** KST `YYYY-MM-DD HH:MM` of an instant. */
function kst(ms: number): string {
  const p = kstParts(ms);
  return `${p.date} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

async function advanceTo(clock: TestClock, ms: number): Promise<void> {
  await clock.advanceAsync(ms - clock.now());
}

/** A scheduler with the three built-in shapes of job plus session hooks, recording every fire. */
function harness(start: number, opts: { misfireGraceMs?: number; clock?: Clock } = {}) {
  const testClock = new TestClock(start);
  const clock = opts.clock ?? testClock;
  const events: SchedulerEvent[] = [];
  const fired: Record<string, number[]> = { balance: [], strategy: [], 'price-update': [], open: [], close: [] };
  const sessions: Record<string, TradingSession[]> = { open: [], close: [] };
  const scheduler = new Scheduler({
    clock,
    calendar,
    onEvent: (e) => events.push(e),
    ...(opts.misfireGraceMs === undefined ? {} : { misfireGraceMs: opts.misfireGraceMs }),
  });
  const record = (name: string) => async (ctx: JobContext) => {
    fired[name]?.push(ctx.scheduledAt);
  };
  scheduler.add({ name: 'balance', cron: '0 8 * * 1-5', calendar: 'trading-days', window: 'any', run: record('balance') });
  scheduler.add({ name: 'strategy', cron: '*/10 * * * *', calendar: 'trading-days', window: 'session', run: record('strategy') });
  scheduler.add({ name: 'price-update', cron: '*/5 * * * *', calendar: 'trading-days', window: 'session', run: record('price-update') });
  scheduler.onSessionOpen('open', async (s, ctx) => {
    fired['open']?.push(ctx.scheduledAt);
    sessions['open']?.push(s);
  });
  scheduler.onSessionClose('close', async (s, ctx) => {
    fired['close']?.push(ctx.scheduledAt);
    sessions['close']?.push(s);
  });
  return { clock: testClock, scheduler, events, fired, sessions };
}

function nextRunOf(scheduler: Scheduler, name: string): string | undefined {
  const r = scheduler.nextRuns().find((j) => j.name === name);
  return r?.nextRunAt === undefined ? undefined : kst(r.nextRunAt);
}

describe('Scheduler on the KRX calendar', () => {
  it('skips Seollal (2026-02-16..18) and the weekend before it', async () => {
    const h = harness(kstInstant('2026-02-13', '16:00')); // Friday, after the close
    expect(['2026-02-16', '2026-02-17', '2026-02-18'].map((d) => calendar.isTradingDay(d))).toEqual([false, false, false]);
    expect(nextRunOf(h.scheduler, 'balance')).toBe('2026-02-19 08:00');
    expect(nextRunOf(h.scheduler, 'strategy')).toBe('2026-02-19 09:00');
    expect(nextRunOf(h.scheduler, 'price-update')).toBe('2026-02-19 09:00');
    expect(nextRunOf(h.scheduler, 'open')).toBe('2026-02-19 09:00');
    expect(nextRunOf(h.scheduler, 'close')).toBe('2026-02-19 15:30');

    h.scheduler.start();
    await advanceTo(h.clock, kstInstant('2026-02-19', '16:00'));

    expect(h.fired['balance']?.map(kst)).toEqual(['2026-02-19 08:00']);
    const strategy = h.fired['strategy'] ?? [];
    expect(strategy).toHaveLength(39); // 09:00 … 15:20
    expect(new Set(strategy.map(kstDateOf))).toEqual(new Set(['2026-02-19']));
    expect(kst(strategy[0] ?? 0)).toBe('2026-02-19 09:00');
    expect(kst(strategy.at(-1) ?? 0)).toBe('2026-02-19 15:20');
    const prices = h.fired['price-update'] ?? [];
    expect(prices).toHaveLength(78); // 09:00 … 15:25; 15:30 is the close, outside [open, close)
    expect(kst(prices.at(-1) ?? 0)).toBe('2026-02-19 15:25');
    expect(h.fired['open']?.map(kst)).toEqual(['2026-02-19 09:00']);
    expect(h.fired['close']?.map(kst)).toEqual(['2026-02-19 15:30']);
    expect(h.events).toEqual([]);
    await h.scheduler.stop();
  });

  it('skips the year-end closure and opens late (10:00) on the first trading day', async () => {
    const h = harness(kstInstant('2025-12-30', '14:59'));
    h.scheduler.start();
    await advanceTo(h.clock, kstInstant('2026-01-02', '16:00'));

    const strategy = (h.fired['strategy'] ?? []).map(kst);
    expect(strategy.slice(0, 4)).toEqual(['2025-12-30 15:00', '2025-12-30 15:10', '2025-12-30 15:20', '2026-01-02 10:00']);
    expect(strategy).toHaveLength(3 + 33); // 12-30 15:00–15:20, 01-02 10:00–15:20
    const firstDay = [...(h.fired['strategy'] ?? []), ...(h.fired['price-update'] ?? [])].filter((t) => kstDateOf(t) === '2026-01-02');
    expect(firstDay.filter((t) => t < kstInstant('2026-01-02', '10:00'))).toEqual([]); // nothing 09:00–09:59
    expect(strategy.filter((s) => s.startsWith('2025-12-31') || s.startsWith('2026-01-01'))).toEqual([]);
    expect(kst(h.fired['price-update']?.find((t) => kstDateOf(t) === '2026-01-02') ?? 0)).toBe('2026-01-02 10:00');

    expect(h.fired['balance']?.map(kst)).toEqual(['2026-01-02 08:00']); // 12-31 closed, 01-01 holiday
    expect(h.fired['open']?.map(kst)).toEqual(['2026-01-02 10:00']);
    expect(h.sessions['open']?.[0]?.kind).toBe('LATE_OPEN');
    expect(h.fired['close']?.map(kst)).toEqual(['2025-12-30 15:30', '2026-01-02 15:30']);
    await h.scheduler.stop();
  });

  it('follows CSAT hours on 2026-11-19 (10:00–16:30)', async () => {
    const h = harness(kstInstant('2026-11-19', '00:00'));
    h.scheduler.start();
    await advanceTo(h.clock, kstInstant('2026-11-19', '23:59'));

    const strategy = h.fired['strategy'] ?? [];
    expect(strategy).toHaveLength(39); // 10:00 … 16:20
    expect(kst(strategy[0] ?? 0)).toBe('2026-11-19 10:00');
    expect(kst(strategy.at(-1) ?? 0)).toBe('2026-11-19 16:20');
    const prices = h.fired['price-update'] ?? [];
    expect(prices).toHaveLength(78); // 10:00 … 16:25
    expect(kst(prices.at(-1) ?? 0)).toBe('2026-11-19 16:25');
    expect(h.fired['balance']?.map(kst)).toEqual(['2026-11-19 08:00']); // window any: not tied to the session
    expect(h.fired['open']?.map(kst)).toEqual(['2026-11-19 10:00']);
    expect(h.fired['close']?.map(kst)).toEqual(['2026-11-19 16:30']);
    expect(h.sessions['close']?.[0]?.kind).toBe('CSAT');
    await h.scheduler.stop();
  });

  it('passes the session to session-window jobs and not to others', async () => {
    const clock = new TestClock(kstInstant('2026-11-19', '07:59'));
    const scheduler = new Scheduler({ clock, calendar });
    const seen: (string | undefined)[] = [];
    const run = async (ctx: JobContext) => {
      seen.push(`${ctx.job}:${ctx.session?.kind ?? '-'}`);
    };
    scheduler.add({ name: 'a', cron: '0 8 * * *', calendar: 'trading-days', window: 'any', run });
    scheduler.add({ name: 'b', cron: '0 10 * * *', calendar: 'trading-days', window: 'session', run });
    scheduler.start();
    await clock.advanceAsync(3 * 3600_000);
    expect(seen).toEqual(['a:-', 'b:CSAT']);
    await scheduler.stop();
  });
});

describe('Scheduler: overlap, errors, misfires', () => {
  it('skips a run while the previous one overruns, logs it, counts it and emits JobSkipped', async () => {
    expect(calendar.isTradingDay('2026-03-03')).toBe(true);
    const clock = new TestClock(kstInstant('2026-03-03', '08:55'));
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({ clock, calendar, onEvent: (e) => events.push(e) });
    const starts: string[] = [];
    scheduler.add({
      name: 'slow',
      cron: '*/10 * * * *',
      calendar: 'trading-days',
      window: 'session',
      run: async (ctx) => {
        starts.push(kst(ctx.startedAt));
        await clock.sleep(12 * MIN); // overruns its 10-minute period
      },
    });
    scheduler.start();
    await advanceTo(clock, kstInstant('2026-03-03', '09:45'));

    expect(starts).toEqual(['2026-03-03 09:00', '2026-03-03 09:20', '2026-03-03 09:40']);
    expect(events).toEqual([
      { type: 'JobSkipped', job: 'slow', scheduledAt: kstInstant('2026-03-03', '09:10'), reason: 'OVERLAP', runningSince: kstInstant('2026-03-03', '09:00'), ts: kstInstant('2026-03-03', '09:10') },
      { type: 'JobSkipped', job: 'slow', scheduledAt: kstInstant('2026-03-03', '09:30'), reason: 'OVERLAP', runningSince: kstInstant('2026-03-03', '09:20'), ts: kstInstant('2026-03-03', '09:30') },
    ]);
    expect(scheduler.stats()).toEqual([
      expect.objectContaining({ name: 'slow', started: 3, succeeded: 2, failed: 0, skippedOverlap: 2, skippedMisfire: 0, running: true }),
    ]);
    // The schedule is unaffected by the skips.
    expect(nextRunOf(scheduler, 'slow')).toBe('2026-03-03 09:50');

    const stopped = scheduler.stop();
    await clock.advanceAsync(12 * MIN); // let the run in flight finish
    await stopped;
    expect(scheduler.stats()[0]).toEqual(expect.objectContaining({ succeeded: 3, running: false }));
  });

  it('catches, logs and counts errors; the failing job keeps its schedule and other jobs are untouched', async () => {
    const clock = new TestClock(kstInstant('2026-03-03', '09:59'));
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({
      clock,
      calendar,
      onEvent: (e) => {
        events.push(e);
        throw new Error('listener bug'); // must not break the scheduler
      },
    });
    let calls = 0;
    const flaky: JobSpec['run'] = (() => {
      calls++;
      if (calls === 1) throw new TypeError('thrown synchronously');
      if (calls === 2) return Promise.reject(new InputError('rejected', {}));
      return Promise.resolve();
    }) as JobSpec['run'];
    const healthy: number[] = [];
    scheduler.add({ name: 'flaky', cron: '* * * * *', calendar: 'always', window: 'any', run: flaky });
    scheduler.add({ name: 'healthy', cron: '* * * * *', calendar: 'always', window: 'any', run: async (ctx) => void healthy.push(ctx.scheduledAt) });
    scheduler.start();
    await clock.advanceAsync(4 * MIN + 1);

    expect(calls).toBe(4);
    expect(healthy).toHaveLength(4);
    const failed = events.filter((e) => e.type === 'JobFailed');
    expect(failed).toEqual([
      expect.objectContaining({ type: 'JobFailed', job: 'flaky', error: { name: 'TypeError', message: 'thrown synchronously' } }),
      expect.objectContaining({ type: 'JobFailed', job: 'flaky', error: { name: 'InputError', message: 'rejected', code: 'INPUT_INVALID' } }),
    ]);
    const [flakyStats, healthyStats] = scheduler.stats();
    expect(flakyStats).toEqual(expect.objectContaining({ started: 4, succeeded: 2, failed: 2, running: false, lastError: 'rejected' }));
    expect(healthyStats).toEqual(expect.objectContaining({ started: 4, succeeded: 4, failed: 0 }));
    await scheduler.stop();
  });

  it('skips a wake-up later than the misfire grace instead of running late, and goes on from now', async () => {
    /** A clock whose timers all fire `lateMs` late (a paused process, a machine that slept). */
    class LateClock implements Clock {
      constructor(
        readonly inner: TestClock,
        readonly lateMs: number,
      ) {}
      now(): UnixMillis {
        return this.inner.now();
      }
      setTimer(ms: number, fn: () => void): TimerHandle {
        return this.inner.setTimer(ms + this.lateMs, fn);
      }
      sleep(ms: number, signal?: AbortSignal): Promise<void> {
        return this.inner.sleep(ms, signal);
      }
    }
    const start = kstInstant('2026-03-03', '09:55');
    const run = (late: number, grace: number) => {
      const inner = new TestClock(start);
      const events: SchedulerEvent[] = [];
      const ran: number[] = [];
      const scheduler = new Scheduler({ clock: new LateClock(inner, late), calendar, misfireGraceMs: grace, onEvent: (e) => events.push(e) });
      scheduler.add({ name: 'j', cron: '*/10 * * * *', calendar: 'trading-days', window: 'session', run: async (ctx) => void ran.push(ctx.startedAt) });
      scheduler.start();
      return { inner, events, ran, scheduler };
    };

    const late = run(2 * MIN, MIN);
    await late.inner.advanceAsync(30 * MIN);
    expect(late.ran).toEqual([]);
    expect(late.events.map((e) => (e.type === 'JobSkipped' ? `${e.reason} ${kst(e.scheduledAt)}` : e.type))).toEqual([
      'MISFIRE 2026-03-03 10:00',
      'MISFIRE 2026-03-03 10:10',
      'MISFIRE 2026-03-03 10:20',
    ]);
    expect(late.scheduler.stats()[0]).toEqual(expect.objectContaining({ skippedMisfire: 3, started: 0 }));

    const tolerated = run(2 * MIN, 3 * MIN);
    await tolerated.inner.advanceAsync(30 * MIN);
    expect(tolerated.ran.map(kst)).toEqual(['2026-03-03 10:02', '2026-03-03 10:12', '2026-03-03 10:22']);
    expect(tolerated.events).toEqual([]);
    await late.scheduler.stop();
    await tolerated.scheduler.stop();
  });
});

describe('Scheduler: nextRuns, lifecycle, long gaps', () => {
  it('reports next runs before start (from now), after start (armed) and after a fire', async () => {
    const h = harness(kstInstant('2026-03-03', '09:03'));
    const before = h.scheduler.nextRuns();
    expect(before.map((r) => [r.name, r.kind, r.nextRunAt === undefined ? '-' : kst(r.nextRunAt)])).toEqual([
      ['balance', 'cron', '2026-03-04 08:00'],
      ['strategy', 'cron', '2026-03-03 09:10'],
      ['price-update', 'cron', '2026-03-03 09:05'],
      ['open', 'session-open', '2026-03-04 09:00'],
      ['close', 'session-close', '2026-03-03 15:30'],
    ]);
    expect(before[1]).toEqual({
      name: 'strategy',
      kind: 'cron',
      cron: '*/10 * * * *',
      calendar: 'trading-days',
      window: 'session',
      nextRunAt: kstInstant('2026-03-03', '09:10'),
    });
    h.scheduler.start();
    expect(h.scheduler.nextRuns()).toEqual(before);
    await advanceTo(h.clock, kstInstant('2026-03-03', '09:10'));
    expect(nextRunOf(h.scheduler, 'strategy')).toBe('2026-03-03 09:20');
    expect(nextRunOf(h.scheduler, 'price-update')).toBe('2026-03-03 09:15');
    await advanceTo(h.clock, kstInstant('2026-03-06', '16:00')); // Friday after the close
    expect(nextRunOf(h.scheduler, 'strategy')).toBe('2026-03-09 09:00'); // Monday
    expect(nextRunOf(h.scheduler, 'balance')).toBe('2026-03-09 08:00');
    await h.scheduler.stop();
    expect(h.scheduler.nextRuns().map((r) => r.nextRunAt)).toEqual(before.map(() => expect.any(Number))); // computed again
  });

  it('reports a job that cannot be scheduled (end of the calendar, pattern outside every session)', async () => {
    const clock = new TestClock(kstInstant('2027-12-30', '16:00')); // the last session the calendar knows has closed
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({ clock, calendar, onEvent: (e) => events.push(e) });
    const noop = async () => {};
    scheduler.add({ name: 'trading', cron: '0 8 * * 1-5', calendar: 'trading-days', window: 'any', run: noop });
    scheduler.add({ name: 'nightly', cron: '0 20 * * *', calendar: 'always', window: 'any', run: noop });
    const runs = scheduler.nextRuns();
    expect(runs[0]?.nextRunAt).toBeUndefined();
    expect(runs[0]?.unscheduledReason).toMatch(/outside the KRX calendar's supported range/);
    expect(kst(runs[1]?.nextRunAt ?? 0)).toBe('2027-12-30 20:00');
    scheduler.start();
    expect(events).toEqual([expect.objectContaining({ type: 'JobUnscheduled', job: 'trading' })]);
    await scheduler.stop();

    const clock2 = new TestClock(kstInstant('2026-03-03', '12:00'));
    const s2 = new Scheduler({ clock: clock2, calendar });
    s2.add({ name: 'evening-in-session', cron: '0 20 * * *', calendar: 'trading-days', window: 'session', run: noop });
    expect(s2.nextRuns()[0]).toEqual(expect.objectContaining({ nextRunAt: undefined, unscheduledReason: expect.stringMatching(/within 400 days/) }));
  });

  it('reaches a fire time months away in bounded timer steps and fires on time', async () => {
    const clock = new TestClock(kstInstant('2026-03-03', '12:00'));
    const scheduler = new Scheduler({ clock, calendar });
    const fired: number[] = [];
    scheduler.add({ name: 'new-year', cron: '0 0 1 1 *', calendar: 'always', window: 'any', run: async (ctx) => void fired.push(ctx.startedAt) });
    scheduler.start();
    expect(clock.pendingTimers()).toBe(1);
    await advanceTo(clock, kstInstant('2026-12-31', '23:59'));
    expect(fired).toEqual([]);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advanceAsync(2 * MIN);
    expect(fired).toEqual([kstInstant('2027-01-01', '00:00')]);
    expect(MAX_TIMER_STEP_MS).toBeLessThan(2 ** 31 - 1);
    await scheduler.stop();
  });

  it('stop() cancels the timers and waits for the run in flight; start() arms again', async () => {
    const clock = new TestClock(kstInstant('2026-03-03', '09:59'));
    const scheduler = new Scheduler({ clock, calendar });
    const fired: number[] = [];
    scheduler.add({
      name: 'j',
      cron: '* * * * *',
      calendar: 'always',
      window: 'any',
      run: async (ctx) => {
        fired.push(ctx.scheduledAt);
        await clock.sleep(30_000);
      },
    });
    scheduler.start();
    await clock.advanceAsync(MIN); // 10:00 run starts
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await clock.advanceAsync(10_000);
    expect(stopped).toBe(false);
    await clock.advanceAsync(20_000);
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(10 * MIN);
    expect(fired.map(kst)).toEqual(['2026-03-03 10:00']);

    scheduler.start();
    await advanceTo(clock, kstInstant('2026-03-03', '10:12'));
    expect(fired.map(kst)).toEqual(['2026-03-03 10:00', '2026-03-03 10:11', '2026-03-03 10:12']);
    const last = scheduler.stop();
    await clock.advanceAsync(MIN); // the 10:12 run sleeps until 10:12:30
    await last;
    expect(fired).toHaveLength(3);
  });

  it('validates jobs and arms a job added after start', async () => {
    const clock = new TestClock(kstInstant('2026-03-03', '10:00'));
    const scheduler = new Scheduler({ clock, calendar });
    const noop = async () => {};
    expect(() => scheduler.add({ name: 'x', cron: '61 * * * *', calendar: 'always', window: 'any', run: noop })).toThrow(InputError);
    expect(() => scheduler.add({ name: 'x', cron: '0 0 30 2 *', calendar: 'always', window: 'any', run: noop })).toThrow(/never fires/);
    expect(() => scheduler.add({ name: '', cron: '* * * * *', calendar: 'always', window: 'any', run: noop })).toThrow(InputError);
    scheduler.add({ name: 'x', cron: '* * * * *', calendar: 'always', window: 'any', run: noop });
    expect(() => scheduler.add({ name: 'x', cron: '* * * * *', calendar: 'always', window: 'any', run: noop })).toThrow(/already exists/);
    expect(() => new Scheduler({ clock, calendar, misfireGraceMs: -1 })).toThrow(InputError);

    scheduler.start();
    const fired: number[] = [];
    scheduler.add({ name: 'late', cron: '*/2 * * * *', calendar: 'always', window: 'any', run: async (ctx) => void fired.push(ctx.scheduledAt) });
    expect(nextRunOf(scheduler, 'late')).toBe('2026-03-03 10:02');
    await clock.advanceAsync(2 * MIN);
    expect(fired.map(kst)).toEqual(['2026-03-03 10:02']);
    await scheduler.stop();
  });
});
