import { Cron } from 'croner';
import { unixMillis, type UnixMillis } from '../core/brand.ts';
import { InputError } from '../core/errors.ts';
import { kstDateOf, kstInstant, type KstDate } from '../core/kst.ts';
import type { KrxCalendar } from '../model/calendar.ts';

/** Every job pattern is read in this time zone (KST, UTC+09:00, no daylight saving). */
export const SCHEDULER_TIME_ZONE = 'Asia/Seoul';

/** Which days a job may fire on: `trading-days` = KRX trading days only; `always` = any day. */
export type JobCalendar = 'trading-days' | 'always';

/**
 * When in the day a job may fire: `session` = inside the day's regular session, `[open, close)` of
 * the KrxCalendar session (late opens and CSAT hours included, opening auction excluded, closing
 * auction included), and therefore only on trading days; `any` = any time.
 */
export type JobWindow = 'session' | 'any';

/** The calendar filter of a job. */
export interface FireFilter {
  readonly calendar: JobCalendar;
  readonly window: JobWindow;
}

/**
 * How far ahead (ms) a search for the next fire time looks before it gives up (a pattern that never
 * matches inside the filter, e.g. `0 20 * * *` with window `session`). 400 days covers yearly patterns.
 */
export const FIRE_SEARCH_HORIZON_MS = 400 * 24 * 3600 * 1000;

/**
 * A cron pattern compiled by croner, used only to COMPUTE fire times: it is created paused and
 * without a callback, so croner starts no timer (the Scheduler schedules on its injected Clock).
 */
export type CompiledCron = Cron;

/**
 * Why `pattern` is not a usable cron pattern, or `undefined` when it is. Accepted: 5 fields (minute
 * hour day-of-month month day-of-week) or 6 (seconds first), croner's nicknames (`@daily`, …).
 * A pattern that never fires (e.g. `0 0 30 2 *`) is rejected too.
 */
export function cronProblem(pattern: string): string | undefined {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone: SCHEDULER_TIME_ZONE, paused: true });
  } catch (e) {
    return `invalid cron pattern "${pattern}": ${(e as Error).message}`;
  }
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) return `cron pattern "${pattern}" never fires`;
  return undefined;
}

/**
 * Compiles a pattern in Asia/Seoul. Throws `InputError` (code INPUT_INVALID) naming the pattern when
 * it is malformed or never fires.
 */
export function compileCron(pattern: string): CompiledCron {
  const problem = cronProblem(pattern);
  if (problem !== undefined) throw new InputError(problem, { pattern });
  return new Cron(pattern, { timezone: SCHEDULER_TIME_ZONE, paused: true });
}

/** 00:00 KST of the first trading day strictly after `date`, epoch ms. */
function startOfNextTradingDay(calendar: KrxCalendar, date: KstDate): number {
  return kstInstant(calendar.nextTradingDay(date), 0);
}

/**
 * The first instant strictly after `after` (epoch ms) at which `cron` fires AND the filter allows it,
 * or `undefined` when there is none within {@link FIRE_SEARCH_HORIZON_MS}. Non-matching stretches
 * (holidays, nights) are jumped over, not walked minute by minute.
 * @throws InputError from the calendar when the search reaches a date it cannot answer for (outside
 *   its supported years, or November of a year without a CSAT date).
 */
export function nextFireTime(cron: CompiledCron, filter: FireFilter, calendar: KrxCalendar, after: number): UnixMillis | undefined {
  const limit = after + FIRE_SEARCH_HORIZON_MS;
  let from = after;
  for (;;) {
    const next = cron.nextRun(new Date(from));
    if (next === null) return undefined;
    const t = next.getTime();
    if (t > limit) return undefined;
    const jumpTo = rejectedUntil(t, filter, calendar);
    if (jumpTo === undefined) return unixMillis(t);
    from = Math.max(jumpTo, t); // strictly increasing: croner answers strictly after `from`
  }
}

/** `undefined` when `t` passes the filter; otherwise the instant to search on from (exclusive). */
function rejectedUntil(t: number, filter: FireFilter, calendar: KrxCalendar): number | undefined {
  if (filter.window === 'any' && filter.calendar === 'always') return undefined;
  const date = kstDateOf(t);
  if (filter.window === 'session') {
    const s = calendar.session(date);
    if (s === undefined || t >= s.close) return startOfNextTradingDay(calendar, date) - 1;
    if (t < s.open) return s.open - 1;
    return undefined;
  }
  return calendar.isTradingDay(date) ? undefined : startOfNextTradingDay(calendar, date) - 1;
}

/** Which session instant a hook follows. */
export type SessionEdge = 'open' | 'close';

/**
 * The first session open (or close) strictly after `after` (epoch ms), from the calendar: late opens
 * (10:00 on the first trading day) and CSAT hours (10:00–16:30) included.
 * @throws InputError from the calendar when the search leaves its supported range.
 */
export function nextSessionEdge(calendar: KrxCalendar, edge: SessionEdge, after: number): UnixMillis {
  let date = kstDateOf(after);
  for (;;) {
    const s = calendar.session(date);
    if (s !== undefined) {
      const t = edge === 'open' ? s.open : s.close;
      if (t > after) return t;
    }
    date = calendar.nextTradingDay(date);
  }
}
