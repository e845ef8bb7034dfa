/**
 * Builders for strategy tests (not used by production code): quotes, settings, positions and a full
 * `StrategyContext` from a few numbers. Pure; imports only core and model.
 */
import { unixMillis, type UnixMillis } from '../core/brand.ts';
import { kstDateOf } from '../core/kst.ts';
import type { MinuteBar } from '../data/bars.ts';
import type { MarketPhase } from '../model/calendar.ts';
import type { TradeCostRates } from '../model/fees.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import { bps, krw, quantity } from '../model/money.ts';
import type { OrderType } from '../model/order-types.ts';
import { dailyPriceLimits } from '../model/price-limits.ts';
import type { PositionStatusReport } from '../model/reports.ts';
import { tickSize } from '../model/tick.ts';
import type { AssetSettings, StrategyContext, StrategyQuote } from './strategy.ts';

/** Synthetic cost rates for the tests (real rates belong to the configuration). */
export const TEST_COSTS: TradeCostRates = { commissionBps: bps(1.5), sellTaxBps: bps(20) };

/**
 * A quote at `last` (won). Bid and ask default to `last`; the daily limits come from `base` (default
 * `last`), as KRX sets them.
 */
export function quoteAt(
  id: InstrumentId,
  last: number,
  opts: { bid?: number; ask?: number; base?: number; halted?: boolean; kind?: InstrumentKind; ts?: number } = {},
): StrategyQuote {
  const base = opts.base ?? Math.round(last);
  const limits = dailyPriceLimits(base, opts.kind ?? 'STOCK');
  return {
    instrumentId: id,
    last,
    bestBid: opts.bid ?? last,
    bestAsk: opts.ask ?? last,
    upperLimit: limits.upper,
    lowerLimit: limits.lower,
    basePrice: base,
    tick: tickSize(last, opts.kind ?? 'STOCK'),
    halted: opts.halted ?? false,
    tsInit: unixMillis(opts.ts ?? 0),
  };
}

/** Trading enabled, no minimum, LIMIT, STOCK unless overridden. */
export function settingsFor(id: InstrumentId, over: Partial<Omit<AssetSettings, 'instrumentId'>> & { orderType?: OrderType } = {}): AssetSettings {
  return { instrumentId: id, tradingEnabled: true, minimumOrderKrw: krw(0), orderType: 'LIMIT', kind: 'STOCK', ...over };
}

/** A holding of `qty` shares at average `avg`, marked at `last`; all of it sellable unless told. */
export function positionOf(id: InstrumentId, qty: number, avg: number, last: number, sellable: number = qty): PositionStatusReport {
  return {
    instrumentId: id,
    name: id,
    quantity: quantity(qty),
    sellableQuantity: quantity(sellable),
    averagePrice: avg,
    purchaseAmount: krw(Math.round(avg * qty)),
    lastPrice: last,
    marketValue: krw(Math.round(last * qty)),
    unrealizedPnl: krw(Math.round((last - avg) * qty)),
  };
}

/** A full strategy context. */
export function contextOf<C, S>(a: {
  now: number;
  config: C;
  state: S;
  cash: number;
  quotes?: readonly StrategyQuote[];
  positions?: readonly PositionStatusReport[];
  settings?: readonly AssetSettings[];
  minuteBars?: ReadonlyMap<InstrumentId, readonly MinuteBar[]>;
  phase?: MarketPhase;
  costs?: TradeCostRates;
}): StrategyContext<C, S> {
  const now: UnixMillis = unixMillis(a.now);
  return {
    now,
    sessionDate: kstDateOf(now),
    phase: a.phase ?? 'CONTINUOUS',
    config: a.config,
    state: a.state,
    positions: new Map((a.positions ?? []).filter((p) => p.quantity > 0).map((p) => [p.instrumentId, p])),
    cash: { available: krw(a.cash), deposit: krw(a.cash), totalValue: krw(a.cash) },
    quotes: new Map((a.quotes ?? []).map((q) => [q.instrumentId, q])),
    settings: new Map((a.settings ?? []).map((s) => [s.instrumentId, s])),
    minuteBars: a.minuteBars ?? new Map(),
    costs: a.costs ?? TEST_COSTS,
  };
}
