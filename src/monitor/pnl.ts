import { feeOf, krw, type Bps, type Krw } from '../model/money.ts';

/** Commission and sell-tax rates used for the realised-PnL estimate (bps; from the app's fees config). */
export interface ExitCostRates {
  readonly commissionBps: Bps | number;
  readonly sellTaxBps: Bps | number;
}

/** Estimated result of an exit's fills, all in whole won. */
export interface ExitPnl {
  /** Fill value (won, rounded to the won once). */
  readonly value: Krw;
  /** Sell commission: `feeOf(value, commissionBps)`. */
  readonly commission: Krw;
  /** Sell-side transaction tax: `feeOf(value, sellTaxBps)`. */
  readonly tax: Krw;
  /** `value − round(averagePrice × shares) − commission − tax`. */
  readonly realizedPnl: Krw;
}

/**
 * Realised PnL estimate of an exit: (fill value − average price × shares sold) − sell commission −
 * sell tax. The buy commission is not included (KIS average prices exclude it). Fees are computed on
 * the exit's total value (one `feeOf` each), so they may differ by a won per fill from a broker
 * statement that rounds per fill.
 * @param fill shares sold, their total value (won) and the position's average purchase price (won)
 */
export function estimateExitPnl(
  fill: { readonly filledQuantity: number; readonly filledValue: number; readonly averagePrice: number },
  rates: ExitCostRates,
): ExitPnl {
  const value = krw(Math.round(fill.filledValue));
  const commission = feeOf(value, rates.commissionBps);
  const tax = feeOf(value, rates.sellTaxBps);
  const cost = Math.round(fill.averagePrice * fill.filledQuantity);
  return { value, commission, tax, realizedPnl: krw(value - cost - commission - tax) };
}
