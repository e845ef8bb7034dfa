import type { UnixMillis } from '../core/brand.ts';
import type { MarketPhase } from '../model/calendar.ts';
import type { TradeCostRates } from '../model/fees.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import type { Krw, Price, Quantity } from '../model/money.ts';
import type { ClientOrderId, DenialReason, OrderDenied } from '../model/order-events.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type { PriceLimits } from '../model/price-limits.ts';

/** Why an order is wanted (for logs and audit; the risk rules depend on side and quantity, not on this). */
export const ORDER_REASONS = ['ENTRY', 'EXIT', 'STOP_LOSS', 'TAKE_PROFIT', 'REBALANCE', 'DCA', 'MANUAL'] as const;
export type OrderReason = (typeof ORDER_REASONS)[number];

/** An order a strategy or operator wants to send, before the risk engine has seen it. */
export interface OrderIntent {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  /** Shares (> 0). */
  readonly quantity: Quantity;
  /** Limit price in won, on the tick grid; required for LIMIT, absent for MARKET. */
  readonly price?: Price;
  readonly reason: OrderReason;
  /**
   * Re-submissions of this intent so far: 0 for the first submission, 1 for the first retry (e.g. a
   * repriced exit after a rejection). Denied with MAX_RETRY above `maxRetry`.
   */
  readonly attempt: number;
}

/**
 * What the risk engine needs to know about the account and the instrument at check time. All money
 * in whole won, quantities in shares. The caller takes these from its own caches (portfolio, market
 * data, order cache); the engine performs no I/O.
 */
export interface RiskContext {
  readonly instrumentKind: InstrumentKind;
  /**
   * Reference price for the slippage cap (won, > 0): the last trade or the mid, may sit on a half tick.
   * Also the valuation price of a MARKET sell.
   */
  readonly referencePrice: number;
  /** The day's price band (from the venue, e.g. KIS `stck_mxpr`/`stck_llam`), or its base price (기준가) to compute it. */
  readonly priceLimits: PriceLimits | { readonly base: Price };
  /**
   * Market phase reported by the venue (e.g. a trading halt seen on the market-status stream). The
   * engine always checks the calendar phase at its clock's time; when this is present it must allow
   * trading too.
   */
  readonly venuePhase?: MarketPhase;
  /** Orderable cash (won), net of what open buy orders already reserve (KIS `ord_psbl_cash`). */
  readonly availableCash: Krw;
  /** Shares held in this instrument. */
  readonly heldQty: Quantity;
  /** Shares that may be sold now: held minus those in open sell orders (KIS `ord_psbl_qty`). */
  readonly sellableQty: Quantity;
  /** Portfolio value (won): cash plus every position at market. */
  readonly portfolioValue: Krw;
  /** This instrument's position at market (won); 0 when flat. */
  readonly positionValue: Krw;
  /** Orders submitted today (KST trading day) before this one, both sides. */
  readonly ordersToday: number;
  /** Value of the orders submitted today before this one (won), valued as {@link orderValuation} does. */
  readonly orderValueToday: Krw;
  /** Commission and tax rates of the account. */
  readonly fees: TradeCostRates;
}

/** Stable codes of risk denials (UPPER_SNAKE). Each appears in `OrderDenied.reason.code`. */
export const RISK_DENIAL_CODES = [
  /** Trading state HALTED: every order is denied. */
  'TRADING_HALTED',
  /** Trading state REDUCING: only sells not exceeding the shares held pass. */
  'REDUCING_ONLY',
  /** Malformed intent: unknown side or order type, empty id, attempt not a whole number >= 0. */
  'ORDER_INVALID',
  /** Quantity not a whole number of shares > 0. */
  'QUANTITY_INVALID',
  /** LIMIT without a positive whole-won price, or MARKET with a price. */
  'PRICE_INVALID',
  /** The context is unusable (non-finite, negative, missing): fail closed. */
  'CONTEXT_INVALID',
  /** attempt > maxRetry. */
  'MAX_RETRY',
  /** The market does not take orders now (calendar or venue phase). */
  'MARKET_CLOSED',
  /** Limit price not on the KRX tick grid. */
  'PRICE_OFF_TICK',
  /** Limit price outside the day's band. */
  'PRICE_OUTSIDE_DAILY_LIMIT',
  /** Limit price worse than the reference price by more than slippageBps. */
  'SLIPPAGE_CAP',
  /** Order value above maxOrderValueKrw. */
  'ORDER_VALUE_CAP',
  /** ordersToday already at maxDailyOrders. */
  'DAILY_ORDER_COUNT_CAP',
  /** orderValueToday + value above maxDailyOrderValueKrw. */
  'DAILY_ORDER_VALUE_CAP',
  /** Buy: value + commission above available cash. */
  'INSUFFICIENT_CASH',
  /** Sell: quantity above sellable shares. */
  'INSUFFICIENT_HOLDINGS',
  /** Buy: position value after the order above maxPositionWeightBps of portfolio value. */
  'POSITION_WEIGHT_CAP',
] as const;
export type RiskDenialCode = (typeof RISK_DENIAL_CODES)[number];

/** A risk denial: a stable code and `key=value` details (e.g. `price=175000, upper=167000`). */
export interface RiskDenial extends DenialReason {
  readonly code: RiskDenialCode;
}

/** The answer of a pre-trade check. */
export type RiskCheckResult = { readonly ok: true } | { readonly ok: false; readonly denial: RiskDenial };

/** The `OrderDenied` event for an intent the engine refused (the order never leaves INITIALIZED otherwise). */
export function orderDenied(intent: OrderIntent, denial: RiskDenial, ts: UnixMillis): OrderDenied {
  return { type: 'OrderDenied', clientOrderId: intent.clientOrderId, instrumentId: intent.instrumentId, reason: denial, tsEvent: ts, tsInit: ts };
}
