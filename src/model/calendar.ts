/**
 * KRX trading calendar (KOSPI, KOSDAQ, KONEX regular market): which KST dates trade, their session
 * hours, and the market phase at an instant. Pure: public holidays come from the static data of
 * `@hyunbinseo/holidays-kr` (its `/all` subpath, loaded synchronously), KRX-only rules and dated
 * exceptions from `calendar-overrides.ts`. The rules and their sources are documented there.
 *
 * Supported range: the years the holiday package covers (2018–2027 with 5.2027.1). Any query outside
 * it throws `InputError`, never a guess. Session hours additionally need the year's CSAT date: for a
 * year without one (2027 today), `session`/`sessionsBetween`/`phaseAt` throw `InputError` from
 * November 1 of that year, until the date is added to `CSAT_DATES` or passed as `csatDates`.
 */
import * as holidayPresets from '@hyunbinseo/holidays-kr/all';
import type { UnixMillis } from '../core/brand.ts';
import { InputError, InvariantError } from '../core/errors.ts';
import { addDays, kstDate, kstDateOf, kstInstant, weekdayOf, type KstDate } from '../core/kst.ts';
import {
  CSAT_DATES,
  KRX_HOURS,
  KRX_OVERRIDES,
  LABOUR_DAY,
  YEAR_END_CLOSURE_REASON,
  type CalendarOverride,
} from './calendar-overrides.ts';

export type { CalendarOverride } from './calendar-overrides.ts';

/**
 * What kind of day a session is:
 * - `REGULAR`: 09:00–15:30 KST;
 * - `LATE_OPEN`: first trading day of the year, 10:00–15:30;
 * - `CSAT`: college entrance exam (수능) day, 10:00–16:30;
 * - `CUSTOM`: hours set by a {@link CalendarOverride}.
 */
export type SessionKind = 'REGULAR' | 'LATE_OPEN' | 'CSAT' | 'CUSTOM';

/**
 * One KRX regular-market session. All instants are epoch milliseconds; in KST wall-clock terms
 * `openingAuctionStart` < `open` < `closingAuctionStart` < `close`, all on `date`.
 * Phases are half-open: opening auction [openingAuctionStart, open), continuous [open,
 * closingAuctionStart), closing auction [closingAuctionStart, close). Off-hours sessions (시간외) are
 * not modelled.
 */
export interface TradingSession {
  /** KST date `YYYY-MM-DD`. */
  readonly date: KstDate;
  readonly kind: SessionKind;
  /** Start of the opening single-price auction (08:30 on a regular day; `open` − 30 min). */
  readonly openingAuctionStart: UnixMillis;
  /** Start of continuous trading (09:00 on a regular day). */
  readonly open: UnixMillis;
  /** Start of the closing single-price auction (15:20 on a regular day; `close` − 10 min). */
  readonly closingAuctionStart: UnixMillis;
  /** End of the closing auction, i.e. of the regular market (15:30 on a regular day). */
  readonly close: UnixMillis;
  /** Why the hours are special (absent on `REGULAR` days). */
  readonly note?: string;
}

/**
 * Market phase at an instant: `CLOSED` (non-trading day, or a trading day before its opening auction),
 * `PRE_OPEN` (opening auction), `CONTINUOUS`, `CLOSING_AUCTION`, `AFTER_CLOSE` (trading day, at or
 * after `close`).
 */
export type MarketPhase = 'CLOSED' | 'PRE_OPEN' | 'CONTINUOUS' | 'CLOSING_AUCTION' | 'AFTER_CLOSE';

/** Options of {@link KrxCalendar}. */
export interface KrxCalendarOptions {
  /**
   * Extra dated exceptions; an entry replaces a built-in `KRX_OVERRIDES` entry of the same date.
   * At most one entry per date. See {@link CalendarOverride} for the accepted shapes.
   */
  readonly overrides?: readonly CalendarOverride[];
  /**
   * Extra CSAT dates (`YYYY-MM-DD`), one per year; an entry replaces the built-in `CSAT_DATES` entry
   * of its year (e.g. a postponed exam).
   */
  readonly csatDates?: readonly KstDate[];
}

/** Public holidays of the package: date → names (Korean, as in the official gazette). */
const HOLIDAYS: ReadonlyMap<KstDate, readonly string[]> = (() => {
  const m = new Map<KstDate, readonly string[]>();
  for (const [key, preset] of Object.entries(holidayPresets)) {
    if (!/^y\d{4}$/.test(key)) continue;
    for (const [date, names] of Object.entries(preset as Readonly<Record<string, readonly string[]>>)) {
      m.set(date, names);
    }
  }
  return m;
})();

/** Years covered by the holiday package: the calendar's supported range. */
const YEARS: { readonly first: number; readonly last: number } = (() => {
  const years = Object.keys(holidayPresets)
    .filter((k) => /^y\d{4}$/.test(k))
    .map((k) => Number(k.slice(1)))
    .sort((a, b) => a - b);
  const first = years[0];
  const last = years[years.length - 1];
  if (first === undefined || last === undefined || last - first + 1 !== years.length) {
    throw new InvariantError('ASSERTION_FAILED', `@hyunbinseo/holidays-kr: expected contiguous yearly presets, got ${years.join(',')}`);
  }
  return { first, last };
})();

const HHMM_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE_MS = 60_000;

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function parseDate(s: unknown, what: string): KstDate {
  if (typeof s !== 'string') throw new InputError(`${what} must be a YYYY-MM-DD string, was ${String(s)}`, { [what]: s });
  try {
    return kstDate(s);
  } catch (e) {
    throw new InputError(`${what}: ${(e as Error).message}`, { [what]: s });
  }
}

/** Last weekday (Mon–Fri) of `year`. */
function lastWeekdayOfYear(year: number): KstDate {
  const dec31 = `${year}-12-31`;
  const w = weekdayOf(dec31);
  return w === 6 ? addDays(dec31, -1) : w === 0 ? addDays(dec31, -2) : dec31;
}

/**
 * The KRX trading calendar for the supported years. Instances are immutable and cache what they
 * compute; share one. Every method validates its input and throws `InputError` for a malformed date or
 * a date outside {@link KrxCalendar.range} (message names the range and the package).
 */
export class KrxCalendar {
  /** First and last supported KST dates (inclusive): the years of `@hyunbinseo/holidays-kr`. */
  readonly range: { readonly from: KstDate; readonly to: KstDate } = Object.freeze({
    from: `${YEARS.first}-01-01`,
    to: `${YEARS.last}-12-31`,
  });

  readonly #overrides = new Map<KstDate, CalendarOverride>();
  readonly #csatByYear = new Map<number, KstDate>();
  readonly #reasonCache = new Map<KstDate, string | null>();
  readonly #sessionCache = new Map<KstDate, TradingSession | null>();
  readonly #firstTradingDay = new Map<number, KstDate>();

  /**
   * @param opts.overrides extra dated exceptions (see {@link KrxCalendarOptions}).
   * @param opts.csatDates extra/corrected CSAT dates.
   * @throws InputError for a malformed or contradictory override, duplicate dates, or a malformed or
   *   duplicate-year CSAT date.
   */
  constructor(opts: KrxCalendarOptions = {}) {
    for (const o of KRX_OVERRIDES) this.#overrides.set(o.date, validateOverride(o));
    const seen = new Set<KstDate>();
    for (const o of opts.overrides ?? []) {
      const v = validateOverride(o);
      if (seen.has(v.date)) throw new InputError(`duplicate calendar override for ${v.date}`, { date: v.date });
      seen.add(v.date);
      this.#overrides.set(v.date, v);
    }
    for (const d of CSAT_DATES) this.#csatByYear.set(Number(d.slice(0, 4)), d);
    const seenYears = new Set<number>();
    for (const raw of opts.csatDates ?? []) {
      const d = parseDate(raw, 'csatDate');
      const y = Number(d.slice(0, 4));
      if (seenYears.has(y)) throw new InputError(`more than one CSAT date for ${y}`, { date: d });
      seenYears.add(y);
      this.#csatByYear.set(y, d);
    }
  }

  /** True when KRX trades on `date` (KST `YYYY-MM-DD`). Throws `InputError` (malformed / out of range). */
  isTradingDay(date: KstDate): boolean {
    return this.closureReason(date) === undefined;
  }

  /**
   * Why KRX is closed on `date`, or `undefined` when it trades. In order of precedence: an override's
   * `reason`; `'weekend'`; the public holiday name(s) from the package, joined by `', '` (Korean, e.g.
   * `'추석'`, `'어린이날, 부처님 오신 날'`); `'labour day'` (May 1 before it became a public holiday);
   * `'year-end closure'` (last weekday of the year). Throws `InputError` (malformed / out of range).
   */
  closureReason(date: KstDate): string | undefined {
    const d = this.#checkInRange(parseDate(date, 'date'));
    let r = this.#reasonCache.get(d);
    if (r === undefined) {
      r = this.#computeClosure(d) ?? null;
      this.#reasonCache.set(d, r);
    }
    return r ?? undefined;
  }

  /**
   * The session of `date`, or `undefined` when KRX is closed that day. The returned object is frozen
   * and shared. Throws `InputError` (malformed / out of range, or hours unknown because the year's CSAT
   * date is missing and `date` is on or after November 1).
   */
  session(date: KstDate): TradingSession | undefined {
    const d = this.#checkInRange(parseDate(date, 'date'));
    let s = this.#sessionCache.get(d);
    if (s === undefined) {
      s = this.#computeSession(d) ?? null;
      this.#sessionCache.set(d, s);
    }
    return s ?? undefined;
  }

  /**
   * Sessions with `from` ≤ date ≤ `to` (both inclusive), in date order. Throws `InputError` when either
   * date is malformed or out of range, when `from` > `to`, or as {@link KrxCalendar.session} does.
   */
  sessionsBetween(from: KstDate, to: KstDate): TradingSession[] {
    const f = this.#checkInRange(parseDate(from, 'from'));
    const t = this.#checkInRange(parseDate(to, 'to'));
    if (f > t) throw new InputError(`sessionsBetween: from ${f} is after to ${t}`, { from: f, to: t });
    const out: TradingSession[] = [];
    for (let d = f; d <= t; d = addDays(d, 1)) {
      const s = this.session(d);
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * The first trading day strictly after `date`. `date` itself may lie outside the range as long as
   * the answer does not; throws `InputError` when the search leaves the supported range.
   */
  nextTradingDay(date: KstDate): KstDate {
    return this.#step(parseDate(date, 'date'), 1);
  }

  /** The last trading day strictly before `date`; as {@link KrxCalendar.nextTradingDay}, backwards. */
  previousTradingDay(date: KstDate): KstDate {
    return this.#step(parseDate(date, 'date'), -1);
  }

  /**
   * Market phase at instant `ms` (epoch milliseconds), with the session of its KST date when that date
   * trades (also for `CLOSED` before the opening auction and for `AFTER_CLOSE`). Boundaries belong to the
   * later phase: 08:30:00.000 is `PRE_OPEN`, 09:00 `CONTINUOUS`, 15:20 `CLOSING_AUCTION`, 15:30
   * `AFTER_CLOSE` on a regular day. Throws `InputError` for a non-integer `ms` or as
   * {@link KrxCalendar.session} does.
   */
  phaseAt(ms: number): { phase: MarketPhase; session?: TradingSession } {
    if (!Number.isSafeInteger(ms)) throw new InputError(`phaseAt: instant must be integer epoch milliseconds, was ${ms}`, { ms });
    const session = this.session(kstDateOf(ms));
    if (!session) return { phase: 'CLOSED' };
    let phase: MarketPhase;
    if (ms < session.openingAuctionStart) phase = 'CLOSED';
    else if (ms < session.open) phase = 'PRE_OPEN';
    else if (ms < session.closingAuctionStart) phase = 'CONTINUOUS';
    else if (ms < session.close) phase = 'CLOSING_AUCTION';
    else phase = 'AFTER_CLOSE';
    return { phase, session };
  }

  #checkInRange(d: KstDate): KstDate {
    if (d < this.range.from || d > this.range.to) {
      throw new InputError(
        `date ${d} is outside the KRX calendar's supported range ${this.range.from}..${this.range.to} ` +
          '(the years covered by @hyunbinseo/holidays-kr; upgrade the package to extend it)',
        { date: d, range: this.range },
      );
    }
    return d;
  }

  #step(start: KstDate, dir: 1 | -1): KstDate {
    let d = start;
    for (;;) {
      d = addDays(d, dir);
      // Starting outside the range is fine while we are walking towards it.
      if ((dir === 1 && d < this.range.from) || (dir === -1 && d > this.range.to)) continue;
      if (this.isTradingDay(d)) return d;
    }
  }

  #computeClosure(d: KstDate): string | undefined {
    const o = this.#overrides.get(d);
    if (o) return o.closed === true ? o.reason : undefined;
    const w = weekdayOf(d);
    if (w === 0 || w === 6) return 'weekend';
    const names = HOLIDAYS.get(d);
    if (names && names.length > 0) return names.join(', ');
    if (d.slice(5) === LABOUR_DAY.monthDay) return LABOUR_DAY.reason;
    if (d === lastWeekdayOfYear(Number(d.slice(0, 4)))) return YEAR_END_CLOSURE_REASON;
    return undefined;
  }

  #firstTradingDayOf(year: number): KstDate {
    let f = this.#firstTradingDay.get(year);
    if (f === undefined) {
      f = this.nextTradingDay(`${year - 1}-12-31`);
      this.#firstTradingDay.set(year, f);
    }
    return f;
  }

  #computeSession(d: KstDate): TradingSession | undefined {
    if (!this.isTradingDay(d)) return undefined;
    const year = Number(d.slice(0, 4));
    const o = this.#overrides.get(d);
    const csat = this.#csatByYear.get(year);
    const fullyCustom = o?.open !== undefined && o.close !== undefined;
    if (csat === undefined && d >= `${year}-11-01` && !fullyCustom) {
      throw new InputError(
        `KRX hours for ${d} are unknown: no CSAT (수능) date for ${year}; add it to CSAT_DATES or pass ` +
          '`csatDates` to the KrxCalendar constructor',
        { date: d },
      );
    }
    let kind: SessionKind;
    let hours: { readonly open: string; readonly close: string };
    let note: string | undefined;
    if (d === csat) {
      kind = 'CSAT';
      hours = KRX_HOURS.csat;
      note = 'CSAT (수능) day: trading moved one hour later';
    } else if (d === this.#firstTradingDayOf(year)) {
      kind = 'LATE_OPEN';
      hours = KRX_HOURS.lateOpen;
      note = 'first trading day of the year: opens at 10:00';
    } else {
      kind = 'REGULAR';
      hours = KRX_HOURS.regular;
    }
    if (o && (o.open !== undefined || o.close !== undefined)) {
      kind = 'CUSTOM';
      hours = { open: o.open ?? hours.open, close: o.close ?? hours.close };
      note = o.reason;
    } else if (o) {
      note = note === undefined ? o.reason : `${o.reason}; ${note}`;
    }
    const openMin = minutesOf(hours.open);
    const closeMin = minutesOf(hours.close);
    if (openMin >= closeMin - KRX_HOURS.closingAuctionMinutes) {
      throw new InputError(`calendar override for ${d}: open ${hours.open} must be before the closing auction (close ${hours.close} − 10 min)`, {
        date: d,
      });
    }
    const open = kstInstant(d, hours.open);
    const close = kstInstant(d, hours.close);
    const s: TradingSession = {
      date: d,
      kind,
      openingAuctionStart: (open - KRX_HOURS.openingAuctionMinutes * MINUTE_MS) as UnixMillis,
      open,
      closingAuctionStart: (close - KRX_HOURS.closingAuctionMinutes * MINUTE_MS) as UnixMillis,
      close,
      ...(note === undefined ? {} : { note }),
    };
    return Object.freeze(s);
  }
}

/** Checks one override's shape; returns it (copied, frozen). Throws `InputError` naming the date. */
function validateOverride(o: CalendarOverride): CalendarOverride {
  const date = parseDate(o.date, 'override.date');
  const fail = (msg: string): never => {
    throw new InputError(`calendar override for ${date}: ${msg}`, { override: o });
  };
  if (typeof o.reason !== 'string' || o.reason.trim() === '') fail('reason must be a non-empty string');
  if (o.closed !== undefined && typeof o.closed !== 'boolean') fail('closed must be a boolean');
  for (const [k, v] of [['open', o.open], ['close', o.close]] as const) {
    if (v !== undefined && (typeof v !== 'string' || !HHMM_RE.test(v))) fail(`${k} must be KST HH:MM, was ${String(v)}`);
  }
  const hasTime = o.open !== undefined || o.close !== undefined;
  if (o.closed === true && hasTime) fail('closed: true cannot have open/close times');
  if (o.closed === undefined && !hasTime) fail('needs closed: true|false or an open/close time');
  if (o.open !== undefined && minutesOf(o.open) < KRX_HOURS.openingAuctionMinutes) fail('open must be 00:30 or later');
  if (o.open !== undefined && o.close !== undefined && minutesOf(o.open) >= minutesOf(o.close) - KRX_HOURS.closingAuctionMinutes) {
    fail(`open ${o.open} must be before the closing auction (close ${o.close} − 10 min)`);
  }
  return Object.freeze({ ...o, date });
}
