/**
 * Order-price and sizing helpers shared by the strategies and the runner. Prices in won on the KRX tick
 * grid (`model/tick.ts`), amounts in whole won, quantities in whole shares, costs from `tradeCosts`
 * (the one rounding function for fees and tax).
 */
import { InvariantError } from '../core/errors.ts';
import { tradeCosts, type TradeCostRates } from '../model/fees.ts';
import type { InstrumentKind } from '../model/instrument.ts';
import { krw, notional, quantity, type Krw, type Price, type Quantity } from '../model/money.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import { addTicks, roundToTick } from '../model/tick.ts';
import type { StrategyQuote } from './strategy.ts';

/** Formats a number of won or shares with thousands separators (`1,000,000`), for reasons and logs. */
export function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Formats basis points as a percentage with two decimals (`512.3` → `5.12 %`). */
export function fmtBps(b: number): string {
  return `${(b / 100).toFixed(2)} %`;
}

/** Clamps a grid price into the day's limits (each limit rounded inward onto the grid). */
function clampToLimits(p: Price, quote: StrategyQuote, kind: InstrumentKind): Price {
  if (quote.upperLimit > 0 && p > quote.upperLimit) return roundToTick(quote.upperLimit, 'down', kind);
  if (quote.lowerLimit > 0 && p < quote.lowerLimit) return roundToTick(quote.lowerLimit, 'up', kind);
  return p;
}

/**
 * Limit price of a buy: the best ask (the last trade when there is no ask) rounded UP onto the tick grid,
 * then `offsetTicks` ticks higher, clamped inside the daily limits.
 * @throws InvariantError(PRICE_INVALID) when neither the ask nor the last trade is a positive price
 */
export function buyLimitPrice(quote: StrategyQuote, kind: InstrumentKind, offsetTicks = 0): Price {
  const ref = quote.bestAsk > 0 ? quote.bestAsk : quote.last;
  if (!(ref > 0)) throw new InvariantError('PRICE_INVALID', `no price to buy at: instrumentId=${quote.instrumentId}, bestAsk=${quote.bestAsk}, last=${quote.last}`);
  return clampToLimits(addTicks(roundToTick(ref, 'up', kind), offsetTicks, kind), quote, kind);
}

/**
 * Limit price of a sell: the best bid (the last trade when there is no bid) rounded DOWN onto the tick
 * grid, then `offsetTicks` ticks lower, clamped inside the daily limits.
 * @throws InvariantError(PRICE_INVALID) when neither the bid nor the last trade is a positive price
 */
export function sellLimitPrice(quote: StrategyQuote, kind: InstrumentKind, offsetTicks = 0): Price {
  const ref = quote.bestBid > 0 ? quote.bestBid : quote.last;
  if (!(ref > 0)) throw new InvariantError('PRICE_INVALID', `no price to sell at: instrumentId=${quote.instrumentId}, bestBid=${quote.bestBid}, last=${quote.last}`);
  return clampToLimits(addTicks(roundToTick(ref, 'down', kind), -offsetTicks, kind), quote, kind);
}

/**
 * The price an order's cash is checked at (won): the limit price of a LIMIT order; for a MARKET buy the
 * upper daily limit (the most it can cost per share); for a MARKET sell the last trade rounded down.
 */
export function worstCasePrice(side: OrderSide, orderType: OrderType, limitPrice: number | undefined, quote: StrategyQuote, kind: InstrumentKind): Price {
  if (orderType === 'LIMIT') {
    if (limitPrice === undefined) throw new InvariantError('PRICE_INVALID', `LIMIT order without a price: instrumentId=${quote.instrumentId}`);
    return limitPrice as Price;
  }
  return side === 'BUY' ? roundToTick(quote.upperLimit, 'down', kind) : roundToTick(quote.last, 'down', kind);
}

/** What buying `qty` shares at `price` costs (won): value + commission. */
export function buyCost(price: number, qty: number, costs: TradeCostRates): Krw {
  const value = notional(price, qty);
  return krw(value + tradeCosts(value, 'BUY', costs).commission);
}

/** What selling `qty` shares at `price` brings in (won): value − commission − tax. */
export function sellProceeds(price: number, qty: number, costs: TradeCostRates): Krw {
  const value = notional(price, qty);
  const c = tradeCosts(value, 'SELL', costs);
  return krw(value - c.commission - c.tax);
}

/** The most whole shares whose value plus commission at `price` fits in `cash` (won). 0 when none. */
export function maxAffordable(cash: number, price: number, costs: TradeCostRates): Quantity {
  if (!(cash > 0) || !(price > 0)) return quantity(0);
  let q = Math.floor(cash / price);
  while (q > 0 && buyCost(price, q, costs) > cash) q--;
  return quantity(q);
}
