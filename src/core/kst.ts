import { unixMillis, type UnixMillis } from './brand.ts';

/** KST is UTC+09:00 all year (no daylight saving). */
export const KST_OFFSET_MS = 9 * 3600 * 1000;

/** Calendar date in KST as `YYYY-MM-DD`. */
export type KstDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Validates and returns a `YYYY-MM-DD` date string. Throws `RangeError` when malformed or impossible. */
export function kstDate(s: string): KstDate {
  const m = DATE_RE.exec(s);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD, was "${s}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw new RangeError(`no such date: "${s}"`);
  }
  return s;
}

/** The KST calendar date of an instant. */
export function kstDateOf(ms: number): KstDate {
  return new Date(ms + KST_OFFSET_MS).toISOString().slice(0, 10);
}

/** KST wall-clock parts of an instant. `weekday`: 0 = Sunday … 6 = Saturday. */
export function kstParts(ms: number): {
  date: KstDate;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  secondOfDay: number;
} {
  const d = new Date(ms + KST_OFFSET_MS);
  const hour = d.getUTCHours();
  const minute = d.getUTCMinutes();
  const second = d.getUTCSeconds();
  return {
    date: d.toISOString().slice(0, 10),
    hour,
    minute,
    second,
    weekday: d.getUTCDay(),
    secondOfDay: hour * 3600 + minute * 60 + second,
  };
}

/** The instant of a KST wall-clock time (`HH:MM[:SS]` or seconds of day) on a KST date. */
export function kstInstant(date: KstDate, time: string | number): UnixMillis {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD, was "${date}"`);
  let sec: number;
  if (typeof time === 'number') sec = time;
  else {
    const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
    if (!t) throw new RangeError(`time must be HH:MM[:SS], was "${time}"`);
    sec = Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3] ?? 0);
  }
  return unixMillis(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + sec * 1000 - KST_OFFSET_MS);
}

/**
 * Parses a KIS `HHMMSS` field (KST) on the given KST date into an instant.
 * Throws `RangeError` on a malformed field.
 */
export function parseKstHhmmss(date: KstDate, hhmmss: string): UnixMillis {
  if (!/^\d{6}$/.test(hhmmss)) throw new RangeError(`time must be HHMMSS, was "${hhmmss}"`);
  const h = Number(hhmmss.slice(0, 2));
  const mi = Number(hhmmss.slice(2, 4));
  const s = Number(hhmmss.slice(4, 6));
  if (mi > 59 || s > 59) throw new RangeError(`time out of range: "${hhmmss}"`);
  return kstInstant(date, h * 3600 + mi * 60 + s);
}

/** `YYYYMMDD` (KIS wire format) ↔ `YYYY-MM-DD`. */
export function fromYyyymmdd(s: string): KstDate {
  if (!/^\d{8}$/.test(s)) throw new RangeError(`date must be YYYYMMDD, was "${s}"`);
  return kstDate(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`);
}
export function toYyyymmdd(d: KstDate): string {
  return d.replaceAll('-', '');
}

/** Formats an instant as KST `HHMMSS`. */
export function kstHhmmss(ms: number): string {
  const p = kstParts(ms);
  return `${String(p.hour).padStart(2, '0')}${String(p.minute).padStart(2, '0')}${String(p.second).padStart(2, '0')}`;
}

/** Adds whole days to a KST date. */
export function addDays(date: KstDate, days: number): KstDate {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD, was "${date}"`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days)).toISOString().slice(0, 10);
}

/** Weekday of a KST date: 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: KstDate): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD, was "${date}"`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
}
