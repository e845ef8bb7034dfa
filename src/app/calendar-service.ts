import { InputError } from '../core/errors.ts';
import { kstDate, kstParts, type KstDate } from '../core/kst.ts';
import { KrxCalendar, type TradingSession } from '../model/calendar.ts';

/** One row of `hantu calendar`: a trading day with its hours (KST, HH:MM). */
export interface CalendarRow {
  readonly date: KstDate;
  readonly weekday: string;
  readonly kind: TradingSession['kind'];
  readonly openingAuction: string;
  readonly open: string;
  readonly closingAuction: string;
  readonly close: string;
  readonly note: string;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function hhmm(ms: number): string {
  const p = kstParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/**
 * Trading days between two dates (inclusive) with their session hours, and the closed weekdays with
 * the reason. Throws `InputError` for malformed dates, `from > to`, or dates outside the calendar's range.
 */
export function tradingCalendar(
  from: string,
  to: string,
  calendar = new KrxCalendar(),
): { sessions: CalendarRow[]; closedWeekdays: { date: KstDate; reason: string }[] } {
  let f: KstDate;
  let t: KstDate;
  try {
    f = kstDate(from);
    t = kstDate(to);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (f > t) throw new InputError(`--from ${f} is after --to ${t}`);
  const sessions = calendar.sessionsBetween(f, t).map((s) => ({
    date: s.date,
    weekday: WEEKDAYS[kstParts(s.open).weekday] ?? '',
    kind: s.kind,
    openingAuction: hhmm(s.openingAuctionStart),
    open: hhmm(s.open),
    closingAuction: hhmm(s.closingAuctionStart),
    close: hhmm(s.close),
    note: s.note ?? '',
  }));
  const closedWeekdays: { date: KstDate; reason: string }[] = [];
  for (let d = f; d <= t; ) {
    const reason = calendar.closureReason(d);
    const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (reason && wd !== 0 && wd !== 6) closedWeekdays.push({ date: d, reason });
    const next = new Date(`${d}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    d = next.toISOString().slice(0, 10);
  }
  return { sessions, closedWeekdays };
}
