/**
 * Shared parsing helpers for KIS payloads (kis-protocol.md §2.5–§2.6): every value on the wire is a
 * string, and key case is inconsistent (quote outputs lower-case, order outputs UPPER-CASE, one layout
 * even has `excg_id_dvsn_Cd`), so keys are lower-cased before validation.
 */

/**
 * Returns a deep copy of a JSON value with every object key lower-cased (arrays and scalars kept).
 * If two keys differ only by case the later one wins (not seen in KIS payloads).
 */
export function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k.toLowerCase()] = lowerKeys(v);
    return out;
  }
  return value;
}

/** Decimal integer string, optional sign (`"-500"`, `"0001569157"`). */
export const INT_RE = /^[+-]?\d+$/;
/** Decimal string, optional sign and fraction (`"135440.2517"`, `"-0.87"`, `"0.00000000"`). */
export const DEC_RE = /^[+-]?\d+(\.\d+)?$/;

/** Parses a validated integer string (`INT_RE`) into a safe integer. Throws `RangeError` beyond 2^53. */
export function toInt(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of range: "${s}"`);
  return n;
}

/** Parses a validated decimal string (`DEC_RE`) into a number. */
export function toDec(s: string): number {
  return Number(s);
}

/**
 * KIS appends sentinel rows to some minute-bar answers (seen after 15:32 in the FHKUP03500200 example,
 * `../shared/data/kis/kis_doc_kosdaq_index_2min_20240126-20240129.csv`): `stck_cntg_hour` or
 * `stck_bsop_date` equal to `888888`, `999999` or `666666`. They are summary rows, not bars: skip them.
 */
export const SENTINEL_VALUES: ReadonlySet<string> = new Set(['888888', '999999', '666666']);

/** True when a (lower-cased) minute-bar row is a KIS sentinel row. */
export function isSentinelBarRow(row: unknown): boolean {
  if (row === null || typeof row !== 'object') return false;
  const r = row as Record<string, unknown>;
  const hour = typeof r['stck_cntg_hour'] === 'string' ? r['stck_cntg_hour'].trim() : '';
  const date = typeof r['stck_bsop_date'] === 'string' ? r['stck_bsop_date'].trim() : '';
  return SENTINEL_VALUES.has(hour) || SENTINEL_VALUES.has(date) || /^(8{8}|9{8}|6{8})$/.test(date);
}

/** True for a row that is an empty object (`{}`), which some KIS chart answers pad their arrays with. */
export function isEmptyRow(row: unknown): boolean {
  return row !== null && typeof row === 'object' && !Array.isArray(row) && Object.keys(row).length === 0;
}
