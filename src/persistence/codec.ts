import { unixMillis, type UnixMillis } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';
import { PersistenceError } from './errors.ts';

/**
 * Conversions at the database boundary, the same on PGlite and PostgreSQL:
 * - `bigint` (int8) columns come back as JS numbers, checked to be safe integers (money is whole won,
 *   quantities whole shares; a value beyond ±(2^53 − 1) throws `PersistenceError(DB_VALUE)` instead
 *   of losing precision);
 * - `timestamptz` columns come back as epoch milliseconds (microseconds are truncated toward the past);
 *   instants go in as ISO-8601 UTC strings made by `tsParam`;
 * - `date` columns come back as their `YYYY-MM-DD` text (no time zone is applied);
 * - `numeric` stays a string (we never store money as numeric; cast sums to bigint in SQL).
 */

/** PostgreSQL type OIDs we parse ourselves. */
export const PG_OID = { INT8: 20, DATE: 1082, TIMESTAMPTZ: 1184 } as const;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Parses int8 text to a number. @throws PersistenceError(DB_VALUE) beyond the safe-integer range */
export function parseInt8(text: string): number {
  const big = BigInt(text);
  if (big > MAX_SAFE || big < MIN_SAFE) {
    throw new PersistenceError('DB_VALUE', `bigint value ${text} is outside the safe integer range of a JS number`, { value: text });
  }
  return Number(big);
}

const TS_RE = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?$/;

/**
 * Parses PostgreSQL's ISO text output of a timestamptz (`2026-01-02 09:00:00.123456+09`, any offset)
 * to epoch milliseconds, truncating sub-millisecond digits toward the past.
 * @throws PersistenceError(DB_VALUE) for `infinity`, BC dates or any other form
 */
export function parseTimestamptz(text: string): UnixMillis {
  const m = TS_RE.exec(text);
  if (!m) throw new PersistenceError('DB_VALUE', `cannot convert timestamptz "${text}" to epoch milliseconds`, { value: text });
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const base = new Date(0);
  base.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  base.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const micros = frac === undefined ? 0 : Number(frac.padEnd(6, '0'));
  const offsetMs = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om ?? 0)) * 60 + Number(os ?? 0)) * 1000;
  return unixMillis(base.getTime() + Math.floor(micros / 1000) - offsetMs);
}

/** Parses a `date` column: returns the `YYYY-MM-DD` text unchanged. */
export function parseDate(text: string): string {
  return text;
}

/** Year 1 and year 9999 bounds: what both engines accept from an ISO string. */
const MIN_TS = -62_135_596_800_000;
const MAX_TS = 253_402_300_799_999;

/**
 * An epoch-milliseconds instant as a timestamptz parameter (ISO-8601 UTC text).
 * @throws PersistenceError(DB_VALUE) when `ms` is not a safe integer within years 1..9999
 */
export function tsParam(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < MIN_TS || ms > MAX_TS) {
    throw new PersistenceError('DB_VALUE', `instant must be epoch milliseconds within years 1..9999, was ${ms}`, { value: ms });
  }
  return new Date(ms).toISOString();
}

/** Like `tsParam`, passing `undefined`/`null` through as SQL NULL. */
export function optTsParam(ms: number | null | undefined): string | null {
  return ms === undefined || ms === null ? null : tsParam(ms);
}

/** A JSON value as a parameter for a `$n::jsonb` placeholder (always text, so both drivers agree). */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value ?? null);
}

// ---------------------------------------------------------------------------------------------------
// Row readers: a wrong type means the code and the schema disagree, which is a bug.
// ---------------------------------------------------------------------------------------------------

/** A result row as the drivers return it (after our parsers). */
export type DbRow = Readonly<Record<string, unknown>>;

function bad(row: DbRow, col: string, expected: string): never {
  throw new InvariantError('DB_ROW_INVALID', `column ${col} should be ${expected}, was ${typeof row[col]} ${JSON.stringify(row[col])}`, { column: col });
}

/** A non-null text column. */
export function str(row: DbRow, col: string): string {
  const v = row[col];
  return typeof v === 'string' ? v : bad(row, col, 'text');
}
/** A nullable text column (`undefined` for NULL). */
export function optStr(row: DbRow, col: string): string | undefined {
  const v = row[col];
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : bad(row, col, 'text or NULL');
}
/** A non-null integer column (int2/int4/int8), as a safe integer. */
export function int(row: DbRow, col: string): number {
  const v = row[col];
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : bad(row, col, 'an integer');
}
/** A nullable integer column (`undefined` for NULL). */
export function optInt(row: DbRow, col: string): number | undefined {
  const v = row[col];
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : bad(row, col, 'an integer or NULL');
}
/** A non-null timestamptz column, as epoch ms. */
export function millis(row: DbRow, col: string): UnixMillis {
  return unixMillis(int(row, col));
}
/** A nullable timestamptz column, as epoch ms (`undefined` for NULL). */
export function optMillis(row: DbRow, col: string): UnixMillis | undefined {
  const v = optInt(row, col);
  return v === undefined ? undefined : unixMillis(v);
}
/** A non-null boolean column. */
export function bool(row: DbRow, col: string): boolean {
  const v = row[col];
  return typeof v === 'boolean' ? v : bad(row, col, 'a boolean');
}
/** A json/jsonb column as parsed by the driver. */
export function json<T>(row: DbRow, col: string): T {
  return row[col] as T;
}
