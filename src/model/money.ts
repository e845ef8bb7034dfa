import type { Brand } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';

/**
 * KRX prices and amounts are whole won; quantities are whole shares (DESIGN.md §4).
 * No float ever reaches the ledger: every constructor below rejects non-integers.
 */
/** An order or trade price in won (integer, > 0). Trade prints may sit on a half tick; orders never. */
export type Price = Brand<number, 'Price'>;
/** An amount of money in won (integer, may be negative for PnL and cash deltas). */
export type Krw = Brand<number, 'Krw'>;
/** A number of shares (integer, >= 0). */
export type Quantity = Brand<number, 'Quantity'>;
/** A rate in basis points (1 bp = 0.01 %). May carry up to 6 decimals (KIS online fee 0.0140527 % = 1.40527 bp). */
export type Bps = Brand<number, 'Bps'>;

/** Throws `InvariantError(PRICE_INVALID)` unless `n` is a positive safe integer. */
export function price(n: number): Price {
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvariantError('PRICE_INVALID', `price must be a positive whole number of won, was ${n}`);
  return n as Price;
}
/** Throws `InvariantError(KRW_INVALID)` unless `n` is a safe integer. */
export function krw(n: number): Krw {
  if (!Number.isSafeInteger(n)) throw new InvariantError('KRW_INVALID', `amount must be a whole number of won, was ${n}`);
  return n as Krw;
}
/** Throws `InvariantError(QUANTITY_INVALID)` unless `n` is a non-negative safe integer. */
export function quantity(n: number): Quantity {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvariantError('QUANTITY_INVALID', `quantity must be a whole number of shares >= 0, was ${n}`);
  return n as Quantity;
}
/** Throws `InvariantError(BPS_INVALID)` unless `n` is finite, >= 0 and has at most 6 decimals. */
export function bps(n: number): Bps {
  if (!Number.isFinite(n) || n < 0 || n > 10_000 || Math.abs(Math.round(n * 1e6) - n * 1e6) > 1e-3) {
    throw new InvariantError('BPS_INVALID', `rate must be 0..10000 basis points with at most 6 decimals, was ${n}`);
  }
  return n as Bps;
}

/** price × quantity in won. */
export function notional(p: number, q: number): Krw {
  return krw(p * q);
}

/**
 * The one rounding function for fees and taxes: `floor(amount × rate)` in whole won, computed in
 * integer arithmetic (rate in bps with up to 6 decimals, i.e. in units of 1e-10). KIS and KRX truncate
 * fees and the securities transaction tax to the won.
 * @param amount trade value in won (>= 0)
 * @param rate basis points
 */
export function feeOf(amount: Krw | number, rate: Bps | number): Krw {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new InvariantError('KRW_INVALID', `fee base must be >= 0 whole won, was ${amount}`);
  const r = Number(rate);
  if (!Number.isFinite(r) || r < 0) throw new InvariantError('BPS_INVALID', `rate must be >= 0 basis points, was ${rate}`);
  const units = BigInt(Math.round(r * 1e6)); // 1e-6 bp = 1e-10 of the amount
  return krw(Number((BigInt(amount) * units) / 10_000_000_000n));
}
