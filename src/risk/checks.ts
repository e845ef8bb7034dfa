import type { MarketPhase } from '../model/calendar.ts';
import { feeOf } from '../model/money.ts';
import { ORDER_SIDES, ORDER_TYPES } from '../model/order-types.ts';
import { dailyPriceLimits, withinLimits, type PriceLimits } from '../model/price-limits.ts';
import { isOnTick, roundToTick, tickSize } from '../model/tick.ts';
import type { RiskConfig } from './config.ts';
import type { OrderIntent, RiskCheckResult, RiskContext, RiskDenialCode } from './order-intent.ts';
import type { TradingState } from './trading-state.ts';

/** Phases in which KRX takes regular-market orders: the opening auction, continuous trading, the closing auction. */
export const ORDER_PHASES: ReadonlySet<MarketPhase> = new Set(['PRE_OPEN', 'CONTINUOUS', 'CLOSING_AUCTION']);

/** The calendar's phase at check time, or why it could not be read. */
export type PhaseReading = { readonly phase: MarketPhase } | { readonly error: string };

type Detail = Readonly<Record<string, string | number | bigint | undefined>>;

/** `key=value, key=value`; values with spaces, commas or quotes are JSON-quoted. */
export function formatDetail(detail: Detail): string {
  return Object.entries(detail)
    .map(([k, v]) => {
      const s = v === undefined ? 'undefined' : String(v);
      return `${k}=${/[\s,="]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join(', ');
}

function deny(code: RiskDenialCode, detail: Detail): RiskCheckResult {
  return { ok: false, denial: { code, detail: formatDetail(detail) } };
}

const isWholeAtLeast = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;

/** How an order is valued for the caps and the cash check. */
export interface OrderValuation {
  /** Price per share used (won): the limit price; a MARKET buy at the upper limit (KIS reserves cash there); a MARKET sell at the reference price, rounded up. */
  readonly price: number;
  /** price × quantity, won (exact; a bigint because a malformed quantity may leave the safe range). */
  readonly value: bigint;
}

/** Values an order (see {@link OrderValuation}). `intent` and `ctx` must have passed validation. */
export function orderValuation(intent: OrderIntent, ctx: RiskContext, limits: PriceLimits): OrderValuation {
  let p: number;
  if (intent.orderType === 'LIMIT') p = intent.price as number;
  else if (intent.side === 'BUY') p = limits.upper;
  else p = Math.ceil(ctx.referencePrice);
  return { price: p, value: BigInt(p) * BigInt(intent.quantity) };
}

function limitsOf(ctx: RiskContext): PriceLimits | string {
  const l = ctx.priceLimits as Partial<PriceLimits> | undefined;
  if (l === undefined || l === null || typeof l !== 'object') return 'priceLimits missing';
  if (!isWholeAtLeast(l.base, 1)) return `priceLimits.base=${String(l.base)}`;
  if (l.upper === undefined && l.lower === undefined) return dailyPriceLimits(l.base, ctx.instrumentKind);
  if (!isWholeAtLeast(l.upper, 1) || !isWholeAtLeast(l.lower, 1) || l.lower > l.upper) {
    return `priceLimits lower=${String(l.lower)}, upper=${String(l.upper)}`;
  }
  return l as PriceLimits;
}

/** The first unusable context field, or undefined. */
function contextProblem(ctx: RiskContext): Detail | undefined {
  const ref = ctx.referencePrice;
  if (typeof ref !== 'number' || !Number.isFinite(ref) || ref <= 0) return { field: 'referencePrice', value: String(ref) };
  if (!['STOCK', 'ETF', 'ETN', 'ELW'].includes(ctx.instrumentKind)) return { field: 'instrumentKind', value: String(ctx.instrumentKind) };
  const ints: [string, unknown, number][] = [
    ['availableCash', ctx.availableCash, Number.MIN_SAFE_INTEGER],
    ['heldQty', ctx.heldQty, 0],
    ['sellableQty', ctx.sellableQty, 0],
    ['portfolioValue', ctx.portfolioValue, 0],
    ['positionValue', ctx.positionValue, 0],
    ['ordersToday', ctx.ordersToday, 0],
    ['orderValueToday', ctx.orderValueToday, 0],
  ];
  for (const [field, v, min] of ints) if (!isWholeAtLeast(v, min)) return { field, value: String(v) };
  const c = ctx.fees?.commissionBps as number | undefined;
  if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) return { field: 'fees.commissionBps', value: String(c) };
  if (ctx.venuePhase !== undefined && !['CLOSED', 'PRE_OPEN', 'CONTINUOUS', 'CLOSING_AUCTION', 'AFTER_CLOSE'].includes(ctx.venuePhase)) {
    return { field: 'venuePhase', value: String(ctx.venuePhase) };
  }
  return undefined;
}

/**
 * The pre-trade checks, pure. The first failing check decides, in this order:
 * TRADING_HALTED · ORDER_INVALID · QUANTITY_INVALID · PRICE_INVALID · CONTEXT_INVALID · REDUCING_ONLY ·
 * MAX_RETRY · MARKET_CLOSED · PRICE_OFF_TICK · PRICE_OUTSIDE_DAILY_LIMIT · SLIPPAGE_CAP (limit orders) ·
 * ORDER_VALUE_CAP · DAILY_ORDER_COUNT_CAP · DAILY_ORDER_VALUE_CAP · INSUFFICIENT_HOLDINGS (sells) /
 * INSUFFICIENT_CASH (buys) · POSITION_WEIGHT_CAP (buys).
 *
 * Every bound is inclusive: a value exactly at its cap passes. Comparisons are exact (integers and
 * bigints); malformed input never slips through a NaN comparison, it is denied (fail closed).
 * A MARKET order has no price to hold against the slippage cap: its worst case is the daily limit,
 * which is how it is valued (buys at the upper limit).
 */
export function evaluateOrder(intent: OrderIntent, ctx: RiskContext, config: RiskConfig, state: TradingState, calendarPhase: PhaseReading): RiskCheckResult {
  if (state === 'HALTED') return deny('TRADING_HALTED', { state });

  // --- the intent itself
  if (!ORDER_SIDES.includes(intent.side)) return deny('ORDER_INVALID', { side: String(intent.side) });
  if (!ORDER_TYPES.includes(intent.orderType)) return deny('ORDER_INVALID', { orderType: String(intent.orderType) });
  if (typeof intent.clientOrderId !== 'string' || intent.clientOrderId === '') return deny('ORDER_INVALID', { clientOrderId: String(intent.clientOrderId) });
  if (!isWholeAtLeast(intent.attempt, 0)) return deny('ORDER_INVALID', { attempt: String(intent.attempt) });
  if (!isWholeAtLeast(intent.quantity, 1)) return deny('QUANTITY_INVALID', { quantity: String(intent.quantity) });
  if (intent.orderType === 'LIMIT' && !isWholeAtLeast(intent.price, 1)) return deny('PRICE_INVALID', { orderType: 'LIMIT', price: String(intent.price) });
  if (intent.orderType === 'MARKET' && intent.price !== undefined) return deny('PRICE_INVALID', { orderType: 'MARKET', price: String(intent.price) });

  // --- the context
  const problem = contextProblem(ctx);
  if (problem) return deny('CONTEXT_INVALID', problem);
  const limits = limitsOf(ctx);
  if (typeof limits === 'string') return deny('CONTEXT_INVALID', { field: 'priceLimits', value: limits });

  // --- trading state REDUCING: exits only
  if (state === 'REDUCING') {
    if (intent.side === 'BUY') return deny('REDUCING_ONLY', { state, side: intent.side });
    if (intent.quantity > ctx.heldQty) return deny('REDUCING_ONLY', { state, side: intent.side, quantity: intent.quantity, held: ctx.heldQty });
  }

  if (intent.attempt > config.maxRetry) return deny('MAX_RETRY', { attempt: intent.attempt, maxRetry: config.maxRetry });

  // --- market phase: calendar at the engine's clock, and the venue's report when there is one
  if ('error' in calendarPhase) return deny('MARKET_CLOSED', { phase: 'UNKNOWN', error: calendarPhase.error });
  if (!ORDER_PHASES.has(calendarPhase.phase)) return deny('MARKET_CLOSED', { phase: calendarPhase.phase, source: 'calendar' });
  if (ctx.venuePhase !== undefined && !ORDER_PHASES.has(ctx.venuePhase)) return deny('MARKET_CLOSED', { phase: ctx.venuePhase, source: 'venue' });

  // --- price (limit orders)
  if (intent.orderType === 'LIMIT') {
    const p = intent.price as number;
    const kind = ctx.instrumentKind;
    if (!isOnTick(p, kind)) {
      return deny('PRICE_OFF_TICK', { price: p, tick: tickSize(p, kind), below: roundToTick(p, 'down', kind), above: roundToTick(p, 'up', kind), kind });
    }
    if (!withinLimits(p, limits)) return deny('PRICE_OUTSIDE_DAILY_LIMIT', { price: p, lower: limits.lower, upper: limits.upper, base: limits.base });
    // buy: p ≤ ref × (1 + s); sell: p ≥ ref × (1 − s). Exact for whole- and half-won references.
    const ref = ctx.referencePrice;
    const bp = config.slippageBps;
    if (intent.side === 'BUY' && p * 10_000 > ref * (10_000 + bp)) {
      return deny('SLIPPAGE_CAP', { side: 'BUY', price: p, reference: ref, maxPrice: Math.floor((ref * (10_000 + bp)) / 10_000), slippageBps: bp });
    }
    if (intent.side === 'SELL' && p * 10_000 < ref * (10_000 - bp)) {
      return deny('SLIPPAGE_CAP', { side: 'SELL', price: p, reference: ref, minPrice: Math.ceil((ref * (10_000 - bp)) / 10_000), slippageBps: bp });
    }
  }

  // --- size caps
  const { price: valuedAt, value } = orderValuation(intent, ctx, limits);
  if (value > BigInt(config.maxOrderValueKrw)) return deny('ORDER_VALUE_CAP', { value, cap: config.maxOrderValueKrw, valuedAt, quantity: intent.quantity });
  if (ctx.ordersToday >= config.maxDailyOrders) return deny('DAILY_ORDER_COUNT_CAP', { ordersToday: ctx.ordersToday, cap: config.maxDailyOrders });
  if (BigInt(ctx.orderValueToday) + value > BigInt(config.maxDailyOrderValueKrw)) {
    return deny('DAILY_ORDER_VALUE_CAP', { orderValueToday: ctx.orderValueToday, value, cap: config.maxDailyOrderValueKrw });
  }

  // --- account
  if (intent.side === 'SELL') {
    if (intent.quantity > ctx.sellableQty) return deny('INSUFFICIENT_HOLDINGS', { quantity: intent.quantity, sellable: ctx.sellableQty, held: ctx.heldQty });
    return { ok: true };
  }
  const v = Number(value); // ≤ maxOrderValueKrw: a safe integer
  const commission = feeOf(v, ctx.fees.commissionBps);
  const required = v + commission;
  if (required > ctx.availableCash) return deny('INSUFFICIENT_CASH', { required, available: ctx.availableCash, value: v, commission, valuedAt });
  // weight after the buy: (position + value) / portfolio ≤ cap (cash turns into stock; the total is unchanged)
  const after = BigInt(ctx.positionValue) + value;
  if (after * 10_000n > BigInt(config.maxPositionWeightBps) * BigInt(ctx.portfolioValue)) {
    const weightBps = ctx.portfolioValue === 0 ? 'infinite' : (after * 10_000n + BigInt(ctx.portfolioValue) - 1n) / BigInt(ctx.portfolioValue);
    return deny('POSITION_WEIGHT_CAP', { weightBps, capBps: config.maxPositionWeightBps, positionValue: ctx.positionValue, value: v, portfolioValue: ctx.portfolioValue });
  }
  return { ok: true };
}
