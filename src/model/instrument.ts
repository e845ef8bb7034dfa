import type { Brand } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';

/**
 * A KRX short code: 6 alphanumeric characters (`005930`, `0000D0`). ETNs carry a `Q` prefix only on
 * the wire (DESIGN.md §4); the domain keeps the 6-character code.
 */
export type InstrumentId = Brand<string, 'InstrumentId'>;

const CODE_RE = /^[0-9A-Z]{6}$/;

/** Validates a 6-character alphanumeric code (upper-cased). Throws `InvariantError(INSTRUMENT_ID_INVALID)`. */
export function instrumentId(code: string): InstrumentId {
  const c = code.trim().toUpperCase();
  if (!CODE_RE.test(c)) throw new InvariantError('INSTRUMENT_ID_INVALID', `stock code must be 6 alphanumeric characters, was "${code}"`);
  return c as InstrumentId;
}

/** True when `code` is a valid instrument id. */
export function isInstrumentId(code: string): boolean {
  return CODE_RE.test(code);
}

/** Listing venue market. */
export type Market = 'KOSPI' | 'KOSDAQ' | 'KONEX';
/** Kind of product; ETF/ETN/ELW use a flat 5-won tick. */
export type InstrumentKind = 'STOCK' | 'ETF' | 'ETN' | 'ELW';

export interface Instrument {
  readonly id: InstrumentId;
  readonly name: string;
  readonly market: Market;
  readonly kind: InstrumentKind;
}
