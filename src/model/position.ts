import { InvariantError } from '../core/errors.ts';
import { tradeCosts, type TradeCostRates } from './fees.ts';
import type { InstrumentId } from './instrument.ts';
import { krw, notional, quantity, type Krw, type Price, type Quantity } from './money.ts';
import type { OrderSide } from './order-types.ts';

/**
 * A long-only cash-equity position in one instrument (a KRX cash account cannot be short). An
 * immutable record; it changes only through `applyFill`. All money is whole won, exact.
 *
 * Conventions:
 * - `costBasis` is what the held shares cost, EXCLUDING fees: Σ price × shares, like KIS `pchs_amt`,
 *   so `averagePrice` matches KIS `pchs_avg_pric`.
 * - `realizedPnl` counts every commission and tax when it is paid (NautilusTrader's convention): a buy
 *   lowers it by its commission; a sell adds `value − commission − tax − cost basis of the shares sold`.
 *   Hence a round trip at one price realises exactly `−(all commissions + all taxes)`.
 *
 * Invariants (property-tested): `quantity >= 0`; `costBasis >= 0`; `costBasis == 0` iff
 * `quantity == 0`; `realizedPnl == Σ sell value − Σ buy value + costBasis − commissionPaid − taxPaid`.
 */
export interface Position {
  readonly instrumentId: InstrumentId;
  /** Shares held (>= 0). */
  readonly quantity: Quantity;
  /** Purchase cost of the shares held, excluding fees (won, >= 0; 0 when flat). */
  readonly costBasis: Krw;
  /** Cumulative realised PnL after all commissions and taxes (won). */
  readonly realizedPnl: Krw;
  /** Cumulative commission paid, both sides (won). */
  readonly commissionPaid: Krw;
  /** Cumulative sell-side transaction tax paid (won). */
  readonly taxPaid: Krw;
}

/** What `applyFill` needs from a fill. `OrderFilled` satisfies it. */
export interface PositionFill {
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Shares traded (> 0). */
  readonly lastQty: Quantity;
  /** Trade price (won). */
  readonly lastPx: Price;
}

/** The new position plus what this one fill did. */
export interface PositionFillResult {
  readonly position: Position;
  /** Commission on this fill (won). */
  readonly commission: Krw;
  /** Tax on this fill (won; 0 on buys). */
  readonly tax: Krw;
  /** Cost basis removed by this fill (won): the cost of the shares sold; 0 on buys. */
  readonly costBasisReleased: Krw;
  /**
   * Realised PnL of this fill (won): buy → `−commission`; sell →
   * `value − commission − tax − costBasisReleased`.
   */
  readonly realizedPnl: Krw;
}

/** A flat position (nothing held, nothing realised) in `instrumentId`. */
export function flatPosition(instrumentId: InstrumentId): Position {
  const zero = krw(0);
  return Object.freeze({ instrumentId, quantity: quantity(0), costBasis: zero, realizedPnl: zero, commissionPaid: zero, taxPaid: zero });
}

/**
 * Applies one fill. Costs come from `tradeCosts(lastPx × lastQty, side, rates)`; `rates` is supplied by
 * the configuration (no rate is built in).
 *
 * A sell releases cost basis in proportion: `floor(costBasis × sold / held)` in exact integer
 * arithmetic. The rounding remainder stays with the shares still held, so the last share carries it
 * and selling everything releases exactly the whole cost basis (it ends at 0, never negative).
 * @throws InvariantError(POSITION_INSTRUMENT_MISMATCH) when the fill is for another instrument
 * @throws InvariantError(FILL_INVALID) when `lastQty` is not > 0
 * @throws InvariantError(POSITION_OVERSOLD) when a sell exceeds the shares held (no short selling)
 * @throws InvariantError(KRW_INVALID) if an amount leaves the safe-integer range
 */
export function applyFill(position: Position, fill: PositionFill, rates: TradeCostRates): PositionFillResult {
  const ctx = { instrumentId: position.instrumentId, side: fill.side, lastQty: fill.lastQty, lastPx: fill.lastPx, held: position.quantity };
  if (fill.instrumentId !== position.instrumentId) {
    throw new InvariantError(
      'POSITION_INSTRUMENT_MISMATCH',
      `fill is for another instrument: position instrumentId=${position.instrumentId}, received instrumentId=${fill.instrumentId}`,
      { ...ctx, fillInstrumentId: fill.instrumentId },
    );
  }
  if (!Number.isSafeInteger(fill.lastQty) || fill.lastQty <= 0) {
    throw new InvariantError('FILL_INVALID', `fill quantity must be > 0 shares, was ${fill.lastQty}`, ctx);
  }
  const value = notional(fill.lastPx, fill.lastQty);
  const { commission, tax } = tradeCosts(value, fill.side, rates);
  const commissionPaid = krw(position.commissionPaid + commission);

  if (fill.side === 'BUY') {
    const realizedPnl = krw(0 - commission); // not -commission: no -0 when the commission is 0
    return {
      position: Object.freeze({
        ...position,
        quantity: quantity(position.quantity + fill.lastQty),
        costBasis: krw(position.costBasis + value),
        realizedPnl: krw(position.realizedPnl + realizedPnl),
        commissionPaid,
      }),
      commission,
      tax,
      costBasisReleased: krw(0),
      realizedPnl,
    };
  }

  if (fill.lastQty > position.quantity) {
    throw new InvariantError(
      'POSITION_OVERSOLD',
      `sell exceeds the shares held: instrumentId=${position.instrumentId}, held=${position.quantity}, lastQty=${fill.lastQty}`,
      ctx,
    );
  }
  const remaining = position.quantity - fill.lastQty;
  const costBasisReleased =
    remaining === 0 ? position.costBasis : krw(Number((BigInt(position.costBasis) * BigInt(fill.lastQty)) / BigInt(position.quantity)));
  const realizedPnl = krw(value - commission - tax - costBasisReleased);
  return {
    position: Object.freeze({
      ...position,
      quantity: quantity(remaining),
      costBasis: krw(position.costBasis - costBasisReleased),
      realizedPnl: krw(position.realizedPnl + realizedPnl),
      commissionPaid,
      taxPaid: krw(position.taxPaid + tax),
    }),
    commission,
    tax,
    costBasisReleased,
    realizedPnl,
  };
}

/** Average purchase price in won, excluding fees (`costBasis / quantity`, may be fractional, as KIS `pchs_avg_pric`); `undefined` when flat. */
export function averagePrice(position: Position): number | undefined {
  return position.quantity === 0 ? undefined : position.costBasis / position.quantity;
}

/**
 * Unrealised PnL at `mark` in won, KIS convention (`evlu_pfls_amt`): `mark × quantity − costBasis`, no
 * fees or taxes. 0 when flat. Round a half-tick trade print to a whole-won price before calling.
 * @param mark mark price (won)
 * @throws InvariantError(KRW_INVALID) if the market value leaves the safe-integer range
 */
export function unrealizedPnl(position: Position, mark: Price): Krw {
  return krw(notional(mark, position.quantity) - position.costBasis);
}

/**
 * Unrealised PnL at `mark` net of what selling everything there would cost now (won):
 * `mark × quantity − commission − tax − costBasis`, costs from `tradeCosts` with `rates`. Adding it to
 * `realizedPnl` gives the PnL of liquidating at `mark`.
 * @throws InvariantError(KRW_INVALID) if an amount leaves the safe-integer range
 */
export function netUnrealizedPnl(position: Position, mark: Price, rates: TradeCostRates): Krw {
  const value = notional(mark, position.quantity);
  const { commission, tax } = tradeCosts(value, 'SELL', rates);
  return krw(value - commission - tax - position.costBasis);
}
