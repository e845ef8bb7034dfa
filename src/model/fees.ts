import { feeOf, krw, type Bps, type Krw } from './money.ts';
import type { OrderSide } from './order-types.ts';

/**
 * Cost rates of a cash-equity trade, in basis points. They come from configuration (the config layer
 * owns the defaults and may vary them per instrument: ETFs, for instance, pay no transaction tax);
 * nothing in the model hard-codes a rate.
 */
export interface TradeCostRates {
  /** Broker commission on the trade value, charged on buys and sells (KIS: e.g. 1.40527 bp). */
  readonly commissionBps: Bps;
  /** Securities transaction tax (incl. any surtax) on the sell value; sells only. */
  readonly sellTaxBps: Bps;
}

/** What one trade costs, in whole won, each rounded by `feeOf` (truncated to the won). */
export interface TradeCosts {
  /** Broker commission (won, >= 0). */
  readonly commission: Krw;
  /** Sell-side transaction tax (won, >= 0); always 0 on a buy. */
  readonly tax: Krw;
}

/**
 * Commission and tax of one trade (or one fill) of `value` won.
 * - commission = `feeOf(value, rates.commissionBps)` on either side;
 * - tax = `feeOf(value, rates.sellTaxBps)` on a SELL, 0 on a BUY.
 *
 * Rounding is per call: costs computed per fill can differ by a won per fill from a broker statement
 * that rounds an aggregate (per order or per day); reconciliation compares against the venue.
 * @param value trade value in won (price × quantity, >= 0)
 * @throws InvariantError(KRW_INVALID) when `value` is negative or not a safe integer (from `feeOf`)
 */
export function tradeCosts(value: Krw, side: OrderSide, rates: TradeCostRates): TradeCosts {
  const commission = feeOf(value, rates.commissionBps);
  const tax = side === 'SELL' ? feeOf(value, rates.sellTaxBps) : krw(0);
  return { commission, tax };
}
