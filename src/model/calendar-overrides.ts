/**
 * The KRX-only part of the trading calendar, as data. Public holidays come from the npm package
 * `@hyunbinseo/holidays-kr` (see `calendar.ts`); everything here is what the exchange does on top of
 * them. The rules (verified against `../shared/data/calendar/*` for 2018–2026, see README there):
 *
 * - closed weekdays = weekday public holidays (elections and ad-hoc holidays included)
 *   ∪ May 1 (Labour Day; a KRX-only closure through 2025, a public holiday from 2026)
 *   ∪ the last weekday of the year (year-end closure);
 * - the first trading day of a year opens at 10:00 (opening ceremony), closes 15:30 as usual;
 * - CSAT (수능) day opens 10:00 and closes 16:30 (everything moves one hour later);
 * - anything else is a dated entry of {@link KRX_OVERRIDES} (or of the constructor's `overrides`).
 *
 * To add a new KRX closure or special hours, append a {@link CalendarOverride} to
 * {@link KRX_OVERRIDES} (or pass it to `new KrxCalendar({ overrides })`): no code change.
 */
import type { KstDate } from '../core/kst.ts';

/**
 * A dated exception to the computed calendar.
 * - `{ date, closed: true, reason }`: the exchange is closed that day (whatever the rules say).
 * - `{ date, open?, close?, reason }` with at least one time: the exchange trades that day (even on a
 *   holiday) with those hours (KST `HH:MM`); a missing one keeps the computed time. Session kind `CUSTOM`.
 * - `{ date, closed: false, reason }`: the exchange trades that day with the computed hours.
 *
 * Auctions follow the open and close: opening auction = `open` − 30 min, closing auction = `close` − 10 min.
 * `closed: true` together with a time, or an entry with neither `closed` nor a time, is rejected
 * (`InputError`) by the `KrxCalendar` constructor, as are malformed dates/times and `open` ≥ `close` − 10 min.
 */
export interface CalendarOverride {
  /** KST date `YYYY-MM-DD`. */
  readonly date: KstDate;
  readonly closed?: boolean;
  /** Start of continuous trading, KST `HH:MM` (at least `00:30`, so the opening auction is on the same day). */
  readonly open?: string;
  /** End of the closing auction, KST `HH:MM`. */
  readonly close?: string;
  /** Why (shown by `closureReason` and as `TradingSession.note`). Non-empty. */
  readonly reason: string;
}

/**
 * Dated KRX exceptions beyond the rules above. Empty today: every KRX closure of 2018–2026 follows the
 * rules (2026-07-17, Constitution Day, is a public holiday again from 2026 and is in the holiday package,
 * so it needs no entry here). Entries for the same date passed to the `KrxCalendar` constructor win
 * over these.
 */
export const KRX_OVERRIDES: readonly CalendarOverride[] = [];

/**
 * CSAT (대학수학능력시험, 수능) days: KRX trades 10:00–16:30 KST (opening auction 09:30–10:00, closing
 * auction 16:20–16:30). One date per year. 2018–2025 match the late opens of exchange_calendars'
 * `xkrx.csv`; 2026-11-19 is the announced date for the 2027 academic-year CSAT (that file lacks it).
 * The date can move at short notice (2017: postponed a week by the Pohang earthquake; 2020: moved to
 * December by COVID-19): a corrected or new date can be passed as `new KrxCalendar({ csatDates })`.
 */
export const CSAT_DATES: readonly KstDate[] = [
  '2018-11-15',
  '2019-11-14',
  '2020-12-03',
  '2021-11-18',
  '2022-11-17',
  '2023-11-16',
  '2024-11-14',
  '2025-11-13',
  '2026-11-19',
];

/**
 * KRX closes on May 1 (Labour Day, 근로자의 날 / 노동절) when it is a weekday. Through 2025 this was a
 * KRX-only closure (not a public holiday); from 2026 it is a public holiday in the package too, which
 * also brings substitute holidays (e.g. 2027-05-03), so the rule is only needed for the earlier years.
 * No substitute closure applies before 2026.
 */
export const LABOUR_DAY = { monthDay: '05-01', reason: 'labour day' } as const;

/** Reason reported for the last weekday of the year (KRX year-end closure, 연말 휴장일). */
export const YEAR_END_CLOSURE_REASON = 'year-end closure';

/**
 * Regular hours (KST): opening auction 08:30–09:00, continuous 09:00–15:20, closing auction 15:20–15:30.
 * Late-open days (first trading day of the year) open at 10:00 and close at 15:30; CSAT days trade
 * 10:00–16:30. On a shifted open the opening auction starts 30 min before it (KRX moves the pre-open
 * sessions by the same hour), and the closing auction always takes the last 10 minutes.
 */
export const KRX_HOURS = {
  regular: { open: '09:00', close: '15:30' },
  lateOpen: { open: '10:00', close: '15:30' },
  csat: { open: '10:00', close: '16:30' },
  openingAuctionMinutes: 30,
  closingAuctionMinutes: 10,
} as const;
