import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { TestClock } from '../core/clock.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { kstInstant } from '../core/kst.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { instrumentId, type InstrumentKind } from '../model/instrument.ts';
import { bps, krw, price, quantity, type Price } from '../model/money.ts';
import { dailyPriceLimits, withinLimits } from '../model/price-limits.ts';
import { isOnTick, roundToTick } from '../model/tick.ts';
import { formatDetail } from './checks.ts';
import { RiskConfigSchema, riskConfigFromEnv, type RiskConfig } from './config.ts';
import type { RiskEvent } from './events.ts';
import { orderDenied, RISK_DENIAL_CODES, type OrderIntent, type RiskCheckResult, type RiskContext, type RiskDenialCode } from './order-intent.ts';
import { RiskEngine } from './risk-engine.ts';
import { InMemoryTradingStateStore, type OpenOrderCanceller, type TradingStateRecord, type TradingStateStore } from './trading-state.ts';

const calendar = new KrxCalendar();
/** Tuesday 2026-03-03 10:00 KST: continuous trading. */
const OPEN = kstInstant('2026-03-03', '10:00');
const DEFAULTS = RiskConfigSchema.parse({});
const FEES = { commissionBps: bps(1.40527), sellTaxBps: bps(20) };

/** A 10-share limit buy at 70,000 won: 700,000 won. */
function intent(over: Partial<Record<keyof OrderIntent, unknown>> = {}): OrderIntent {
  return {
    clientOrderId: 'O-1',
    instrumentId: instrumentId('005930'),
    side: 'BUY',
    orderType: 'LIMIT',
    quantity: quantity(10),
    price: price(70_000),
    reason: 'ENTRY',
    attempt: 0,
    ...over,
  } as OrderIntent;
}

/** A roomy account: 100M won cash, 100 shares held, base price 70,000 (band 49,000–91,000). */
function ctx(over: Partial<Record<keyof RiskContext, unknown>> = {}): RiskContext {
  return {
    instrumentKind: 'STOCK',
    referencePrice: 70_000,
    priceLimits: { base: price(70_000) },
    availableCash: krw(100_000_000),
    heldQty: quantity(100),
    sellableQty: quantity(100),
    portfolioValue: krw(200_000_000),
    positionValue: krw(7_000_000),
    ordersToday: 0,
    orderValueToday: krw(0),
    fees: FEES,
    ...over,
  } as RiskContext;
}

interface Setup {
  clock?: TestClock;
  config?: Partial<RiskConfig>;
  store?: TradingStateStore;
  canceller?: OpenOrderCanceller;
}

async function setup(s: Setup = {}) {
  const clock = s.clock ?? new TestClock(OPEN);
  const events: RiskEvent[] = [];
  const store = s.store ?? new InMemoryTradingStateStore();
  const engine = await RiskEngine.create({
    config: { ...DEFAULTS, ...s.config },
    clock,
    calendar,
    store,
    ...(s.canceller ? { canceller: s.canceller } : {}),
    onEvent: (e) => events.push(e),
  });
  return { engine, clock, events, store };
}

function codeOf(r: RiskCheckResult): RiskDenialCode | 'OK' {
  return r.ok ? 'OK' : r.denial.code;
}

function detailOf(r: RiskCheckResult): string {
  return r.ok ? '' : r.denial.detail;
}

describe('risk checks: each denial and its boundary', () => {
  it('passes the baseline order', async () => {
    const { engine } = await setup();
    expect(engine.check(intent(), ctx())).toEqual({ ok: true });
    expect(engine.check(intent({ side: 'SELL' }), ctx())).toEqual({ ok: true });
    expect(engine.check(intent({ orderType: 'MARKET', price: undefined }), ctx())).toEqual({ ok: true });
  });

  it('ORDER_INVALID / QUANTITY_INVALID / PRICE_INVALID: malformed intents are denied, not thrown', async () => {
    const { engine } = await setup();
    const c = ctx();
    expect(codeOf(engine.check(intent({ side: 'HOLD' }), c))).toBe('ORDER_INVALID');
    expect(codeOf(engine.check(intent({ orderType: 'STOP' }), c))).toBe('ORDER_INVALID');
    expect(codeOf(engine.check(intent({ clientOrderId: '' }), c))).toBe('ORDER_INVALID');
    expect(codeOf(engine.check(intent({ attempt: -1 }), c))).toBe('ORDER_INVALID');
    expect(codeOf(engine.check(intent({ attempt: 0.5 }), c))).toBe('ORDER_INVALID');
    for (const q of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(codeOf(engine.check(intent({ quantity: q }), c))).toBe('QUANTITY_INVALID');
    expect(engine.check(intent({ quantity: 1 }), c).ok).toBe(true);
    expect(engine.check(intent({ price: undefined }), c)).toEqual({ ok: false, denial: { code: 'PRICE_INVALID', detail: 'orderType=LIMIT, price=undefined' } });
    for (const p of [0, -70_000, 70_000.5, Number.NaN]) expect(codeOf(engine.check(intent({ price: p }), c))).toBe('PRICE_INVALID');
    expect(codeOf(engine.check(intent({ orderType: 'MARKET' }), c))).toBe('PRICE_INVALID'); // a market order with a price
  });

  it('CONTEXT_INVALID: unusable context fails closed', async () => {
    const { engine } = await setup();
    const bad: Partial<Record<keyof RiskContext, unknown>>[] = [
      { referencePrice: Number.NaN },
      { referencePrice: 0 },
      { referencePrice: Number.POSITIVE_INFINITY },
      { availableCash: Number.NaN },
      { availableCash: 1.5 },
      { heldQty: -1 },
      { sellableQty: undefined },
      { portfolioValue: Number.NaN },
      { positionValue: -1 },
      { ordersToday: Number.NaN },
      { orderValueToday: -1 },
      { fees: { commissionBps: Number.NaN, sellTaxBps: 0 } },
      { instrumentKind: 'BOND' },
      { venuePhase: 'LUNCH' },
      { priceLimits: { base: 0 } },
      { priceLimits: { base: 70_000, upper: 49_000, lower: 91_000, width: 21_000 } },
      { priceLimits: undefined },
    ];
    for (const b of bad) {
      const r = engine.check(intent(), ctx(b));
      expect([Object.keys(b)[0], codeOf(r)]).toEqual([Object.keys(b)[0], 'CONTEXT_INVALID']);
    }
    expect(detailOf(engine.check(intent(), ctx({ referencePrice: Number.NaN })))).toBe('field=referencePrice, value=NaN');
    // a reference on a half tick is a valid trade print
    expect(engine.check(intent(), ctx({ referencePrice: 69_999.5 })).ok).toBe(true);
  });

  it('MAX_RETRY: attempt above maxRetry', async () => {
    const { engine } = await setup({ config: { maxRetry: 3 } });
    expect(engine.check(intent({ attempt: 3 }), ctx()).ok).toBe(true);
    expect(engine.check(intent({ attempt: 4 }), ctx())).toEqual({ ok: false, denial: { code: 'MAX_RETRY', detail: 'attempt=4, maxRetry=3' } });
  });

  it('MARKET_CLOSED: outside the opening auction, continuous trading and the closing auction', async () => {
    const at = async (ms: number, c: RiskContext = ctx()) => codeOf((await setup({ clock: new TestClock(ms) })).engine.check(intent(), c));
    expect(await at(kstInstant('2026-03-03', '08:29:59'))).toBe('MARKET_CLOSED'); // before the opening auction
    expect(await at(kstInstant('2026-03-03', '08:30'))).toBe('OK'); // opening auction
    expect(await at(kstInstant('2026-03-03', '15:29:59'))).toBe('OK'); // closing auction
    expect(await at(kstInstant('2026-03-03', '15:30'))).toBe('MARKET_CLOSED'); // after the close
    expect(await at(kstInstant('2026-02-17', '10:00'))).toBe('MARKET_CLOSED'); // Seollal
    expect(await at(kstInstant('2026-01-02', '09:15'))).toBe('MARKET_CLOSED'); // late open: the auction starts 09:30
    expect(await at(kstInstant('2026-01-02', '09:30'))).toBe('OK');
    expect(await at(kstInstant('2026-11-19', '16:25'))).toBe('OK'); // CSAT: closes 16:30
    const { engine } = await setup();
    expect(engine.check(intent(), ctx({ venuePhase: 'CLOSED' }))).toEqual({ ok: false, denial: { code: 'MARKET_CLOSED', detail: 'phase=CLOSED, source=venue' } });
    expect(engine.check(intent(), ctx({ venuePhase: 'CONTINUOUS' })).ok).toBe(true);
    const late = await setup({ clock: new TestClock(kstInstant('2026-03-03', '16:00')) });
    expect(codeOf(late.engine.check(intent(), ctx({ venuePhase: 'CONTINUOUS' })))).toBe('MARKET_CLOSED'); // both must allow
    const beyond = await setup({ clock: new TestClock(Date.UTC(2030, 0, 3, 1)) }); // outside the calendar's years
    expect(detailOf(beyond.engine.check(intent(), ctx()))).toMatch(/^phase=UNKNOWN, error=/);
  });

  it('PRICE_OFF_TICK: limit prices off the KRX grid', async () => {
    const { engine } = await setup();
    expect(engine.check(intent({ price: 70_010 }), ctx())).toEqual({
      ok: false,
      denial: { code: 'PRICE_OFF_TICK', detail: 'price=70010, tick=100, below=70000, above=70100, kind=STOCK' },
    });
    expect(engine.check(intent({ price: 70_100 }), ctx()).ok).toBe(true);
    const etf = ctx({ instrumentKind: 'ETF', referencePrice: 10_000, priceLimits: { base: 10_000 } });
    expect(codeOf(engine.check(intent({ price: 10_003 }), etf))).toBe('PRICE_OFF_TICK');
    expect(engine.check(intent({ price: 10_005 }), etf).ok).toBe(true);
  });

  it('PRICE_OUTSIDE_DAILY_LIMIT: base 128,500 → 90,000..167,000', async () => {
    const { engine } = await setup({ config: { slippageBps: 3_000 } });
    const c = ctx({ priceLimits: { base: 128_500 }, referencePrice: 128_500 });
    expect(engine.check(intent({ price: 167_100 }), c)).toEqual({
      ok: false,
      denial: { code: 'PRICE_OUTSIDE_DAILY_LIMIT', detail: 'price=167100, lower=90000, upper=167000, base=128500' },
    });
    expect(engine.check(intent({ price: 167_000, quantity: 1 }), c).ok).toBe(true);
    expect(codeOf(engine.check(intent({ side: 'SELL', price: 89_900 }), c))).toBe('PRICE_OUTSIDE_DAILY_LIMIT');
    expect(engine.check(intent({ side: 'SELL', price: 90_000 }), c).ok).toBe(true);
    // limits supplied by the venue win over the computed ones
    const venue = ctx({ priceLimits: { base: price(128_500), upper: price(160_000), lower: price(100_000), width: 28_500 }, referencePrice: 128_500 });
    expect(codeOf(engine.check(intent({ price: 160_100, quantity: 1 }), venue))).toBe('PRICE_OUTSIDE_DAILY_LIMIT');
    expect(engine.check(intent({ price: 160_000, quantity: 1 }), venue).ok).toBe(true);
  });

  it('SLIPPAGE_CAP: limit price worse than the reference by more than SLIPPAGE_BPS', async () => {
    const { engine } = await setup({ config: { slippageBps: 100 } });
    expect(engine.check(intent({ price: 70_700 }), ctx()).ok).toBe(true); // exactly +1 %
    expect(engine.check(intent({ price: 70_800 }), ctx())).toEqual({
      ok: false,
      denial: { code: 'SLIPPAGE_CAP', detail: 'side=BUY, price=70800, reference=70000, maxPrice=70700, slippageBps=100' },
    });
    expect(engine.check(intent({ side: 'SELL', price: 69_300 }), ctx()).ok).toBe(true); // exactly −1 %
    expect(detailOf(engine.check(intent({ side: 'SELL', price: 69_200 }), ctx()))).toBe('side=SELL, price=69200, reference=70000, minPrice=69300, slippageBps=100');
    // passive prices are not slippage
    expect(engine.check(intent({ price: 60_000 }), ctx()).ok).toBe(true);
    expect(engine.check(intent({ side: 'SELL', price: 80_000 }), ctx()).ok).toBe(true);
    // half-tick reference: 1,000.5 × 1.01 = 1,010.505 → 1,010 passes, 1,011 does not
    const cheap = ctx({ referencePrice: 1_000.5, priceLimits: { base: 1_000 } });
    expect(engine.check(intent({ price: 1_010 }), cheap).ok).toBe(true);
    expect(codeOf(engine.check(intent({ price: 1_011 }), cheap))).toBe('SLIPPAGE_CAP');
  });

  it('ORDER_VALUE_CAP: value exactly at the cap passes; market buys are valued at the upper limit', async () => {
    const { engine } = await setup({ config: { maxOrderValueKrw: 10_000_000 } });
    const c = ctx({ referencePrice: 50_000, priceLimits: { base: 50_000 } }); // band 35,000–65,000
    expect(engine.check(intent({ price: 50_000, quantity: 200 }), c).ok).toBe(true); // 10,000,000
    expect(engine.check(intent({ price: 50_000, quantity: 201 }), c)).toEqual({
      ok: false,
      denial: { code: 'ORDER_VALUE_CAP', detail: 'value=10050000, cap=10000000, valuedAt=50000, quantity=201' },
    });
    const market = { orderType: 'MARKET', price: undefined };
    expect(engine.check(intent({ ...market, quantity: 153 }), c).ok).toBe(true); // 153 × 65,000 = 9,945,000
    expect(detailOf(engine.check(intent({ ...market, quantity: 154 }), c))).toBe('value=10010000, cap=10000000, valuedAt=65000, quantity=154');
    // sells are capped too, a market sell valued at the reference price
    expect(codeOf(engine.check(intent({ ...market, side: 'SELL', quantity: 201 }), ctx({ ...c, heldQty: 1_000, sellableQty: 1_000 })))).toBe('ORDER_VALUE_CAP');
    expect(engine.check(intent({ ...market, side: 'SELL', quantity: 200 }), ctx({ ...c, heldQty: 1_000, sellableQty: 1_000 })).ok).toBe(true);
    // an absurd quantity cannot overflow into a pass
    expect(codeOf(engine.check(intent({ price: 50_000, quantity: Number.MAX_SAFE_INTEGER }), c))).toBe('ORDER_VALUE_CAP');
  });

  it('DAILY_ORDER_COUNT_CAP: the order that would exceed MAX_DAILY_ORDERS', async () => {
    const { engine } = await setup({ config: { maxDailyOrders: 100 } });
    expect(engine.check(intent(), ctx({ ordersToday: 99 })).ok).toBe(true);
    expect(engine.check(intent(), ctx({ ordersToday: 100 }))).toEqual({ ok: false, denial: { code: 'DAILY_ORDER_COUNT_CAP', detail: 'ordersToday=100, cap=100' } });
    expect(codeOf(engine.check(intent({ side: 'SELL' }), ctx({ ordersToday: 100 })))).toBe('DAILY_ORDER_COUNT_CAP');
  });

  it('DAILY_ORDER_VALUE_CAP: today\'s value plus this order above MAX_DAILY_ORDER_VALUE_KRW', async () => {
    const { engine } = await setup({ config: { maxDailyOrderValueKrw: 50_000_000 } });
    expect(engine.check(intent(), ctx({ orderValueToday: 49_300_000 })).ok).toBe(true); // 50,000,000 exactly
    expect(engine.check(intent(), ctx({ orderValueToday: 49_300_001 }))).toEqual({
      ok: false,
      denial: { code: 'DAILY_ORDER_VALUE_CAP', detail: 'orderValueToday=49300001, value=700000, cap=50000000' },
    });
  });

  it('INSUFFICIENT_CASH: value plus commission; market buys reserved at the upper limit', async () => {
    const { engine } = await setup();
    // 700,000 won + floor(700,000 × 1.40527 bp) = 98 won commission
    expect(engine.check(intent(), ctx({ availableCash: 700_098 })).ok).toBe(true);
    expect(engine.check(intent(), ctx({ availableCash: 700_097 }))).toEqual({
      ok: false,
      denial: { code: 'INSUFFICIENT_CASH', detail: 'required=700098, available=700097, value=700000, commission=98, valuedAt=70000' },
    });
    // market buy: 10 × 91,000 (upper limit) + 127 commission
    const market = intent({ orderType: 'MARKET', price: undefined });
    expect(engine.check(market, ctx({ availableCash: 910_127 })).ok).toBe(true);
    expect(codeOf(engine.check(market, ctx({ availableCash: 910_126 })))).toBe('INSUFFICIENT_CASH');
    // sells need no cash
    expect(engine.check(intent({ side: 'SELL' }), ctx({ availableCash: 0 })).ok).toBe(true);
  });

  it('INSUFFICIENT_HOLDINGS: sell above the sellable shares', async () => {
    const { engine } = await setup();
    expect(engine.check(intent({ side: 'SELL' }), ctx({ sellableQty: 10 })).ok).toBe(true);
    expect(engine.check(intent({ side: 'SELL' }), ctx({ sellableQty: 9 }))).toEqual({
      ok: false,
      denial: { code: 'INSUFFICIENT_HOLDINGS', detail: 'quantity=10, sellable=9, held=100' },
    });
  });

  it('POSITION_WEIGHT_CAP: position after a buy above MAX_POSITION_WEIGHT_BPS of portfolio value; sells exempt', async () => {
    const { engine } = await setup({ config: { maxPositionWeightBps: 2_000 } });
    const c = { portfolioValue: 10_000_000 }; // cap 2,000,000
    expect(engine.check(intent(), ctx({ ...c, positionValue: 1_300_000 })).ok).toBe(true); // exactly 20 %
    expect(engine.check(intent(), ctx({ ...c, positionValue: 1_300_001 }))).toEqual({
      ok: false,
      denial: { code: 'POSITION_WEIGHT_CAP', detail: 'weightBps=2001, capBps=2000, positionValue=1300001, value=700000, portfolioValue=10000000' },
    });
    expect(engine.check(intent({ side: 'SELL' }), ctx({ ...c, positionValue: 9_000_000 })).ok).toBe(true);
    expect(detailOf(engine.check(intent(), ctx({ portfolioValue: 0, positionValue: 0 })))).toMatch(/^weightBps=infinite/);
  });

  it('REDUCING_ONLY and TRADING_HALTED follow the trading state', async () => {
    const { engine } = await setup();
    await engine.reduceOnly('drawdown limit');
    expect(engine.check(intent(), ctx())).toEqual({ ok: false, denial: { code: 'REDUCING_ONLY', detail: 'state=REDUCING, side=BUY' } });
    expect(engine.check(intent({ side: 'SELL', quantity: 100 }), ctx()).ok).toBe(true); // all of the holding
    expect(engine.check(intent({ side: 'SELL', quantity: 101 }), ctx({ sellableQty: 200 }))).toEqual({
      ok: false,
      denial: { code: 'REDUCING_ONLY', detail: 'state=REDUCING, side=SELL, quantity=101, held=100' },
    });
    await engine.halt('operator', { cancelOpenOrders: false });
    expect(engine.check(intent({ side: 'SELL' }), ctx())).toEqual({ ok: false, denial: { code: 'TRADING_HALTED', detail: 'state=HALTED' } });
    expect(engine.check(intent({ quantity: 0 }), ctx({ referencePrice: Number.NaN })).ok).toBe(false); // HALTED first, whatever the input
    await engine.resume('all clear');
    expect(engine.check(intent(), ctx()).ok).toBe(true);
  });

  it('covers every denial code in this file', () => {
    // Keeps the list of codes and the tests above in step: a new code needs a test.
    expect(RISK_DENIAL_CODES).toEqual([
      'TRADING_HALTED',
      'REDUCING_ONLY',
      'ORDER_INVALID',
      'QUANTITY_INVALID',
      'PRICE_INVALID',
      'CONTEXT_INVALID',
      'MAX_RETRY',
      'MARKET_CLOSED',
      'PRICE_OFF_TICK',
      'PRICE_OUTSIDE_DAILY_LIMIT',
      'SLIPPAGE_CAP',
      'ORDER_VALUE_CAP',
      'DAILY_ORDER_COUNT_CAP',
      'DAILY_ORDER_VALUE_CAP',
      'INSUFFICIENT_CASH',
      'INSUFFICIENT_HOLDINGS',
      'POSITION_WEIGHT_CAP',
    ]);
  });

  it('formats details as key=value pairs and builds the OrderDenied event', () => {
    expect(formatDetail({ price: 1, upper: 2n, note: 'a, b', x: undefined })).toBe('price=1, upper=2, note="a, b", x=undefined');
    const i = intent();
    expect(orderDenied(i, { code: 'MAX_RETRY', detail: 'attempt=4, maxRetry=3' }, unixMillis(OPEN))).toEqual({
      type: 'OrderDenied',
      clientOrderId: 'O-1',
      instrumentId: '005930',
      reason: { code: 'MAX_RETRY', detail: 'attempt=4, maxRetry=3' },
      tsEvent: OPEN,
      tsInit: OPEN,
    });
  });
});

describe('risk checks: properties', () => {
  const wide: Partial<RiskConfig> = {
    maxOrderValueKrw: Number.MAX_SAFE_INTEGER,
    maxDailyOrderValueKrw: Number.MAX_SAFE_INTEGER,
    maxDailyOrders: 1_000_000,
    maxPositionWeightBps: 10_000,
    slippageBps: 3_000,
  };

  it('an approved limit order is on the tick grid and inside the daily limit', async () => {
    const { engine } = await setup({ config: wide });
    let approved = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_000_000 }),
        fc.constantFrom<InstrumentKind>('STOCK', 'ETF', 'ETN'),
        fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
        fc.oneof(
          fc.integer({ min: 1, max: 4_000_000 }), // anything, mostly off grid or outside the band
          fc.double({ min: 0.6, max: 1.4, noNaN: true }), // near the base, rounded onto the grid below
        ),
        fc.double({ min: 0.75, max: 1.25, noNaN: true }),
        fc.boolean(),
        (base, kind, side, p, refFactor, explicitLimits) => {
          const limits = dailyPriceLimits(base, kind);
          const px = Number.isInteger(p) ? p : roundToTick(Math.max(1, base * p), 'nearest', kind);
          const c = ctx({
            instrumentKind: kind,
            referencePrice: Math.max(0.5, Math.round(px * refFactor * 2) / 2),
            priceLimits: explicitLimits ? limits : { base: price(base) },
            availableCash: Number.MAX_SAFE_INTEGER,
            portfolioValue: Number.MAX_SAFE_INTEGER,
            positionValue: 0,
          });
          const r = engine.check(intent({ side, price: px, quantity: 1 }), c);
          if (r.ok) {
            approved++;
            expect(isOnTick(px, kind)).toBe(true);
            expect(withinLimits(px, limits)).toBe(true);
          }
        },
      ),
      { numRuns: 3_000 },
    );
    expect(approved).toBeGreaterThan(300); // the property is not vacuous
  });

  it('an approved buy fits the cash (with commission), the caps and the weight', async () => {
    const config: Partial<RiskConfig> = { maxOrderValueKrw: 20_000_000, maxDailyOrderValueKrw: 60_000_000, maxPositionWeightBps: 2_500, slippageBps: 300 };
    const { engine } = await setup({ config });
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 500_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 80_000_000 }),
        fc.integer({ min: 0, max: 70_000_000 }),
        (base, qty, market, cash, position, today) => {
          const limits = dailyPriceLimits(base);
          const px: Price = roundToTick(base, 'down');
          const portfolio = cash + position + 1;
          const i = market ? intent({ orderType: 'MARKET', price: undefined, quantity: qty }) : intent({ price: px, quantity: qty });
          const c = ctx({ referencePrice: px, priceLimits: { base }, availableCash: cash, positionValue: position, portfolioValue: portfolio, orderValueToday: today });
          const r = engine.check(i, c);
          if (!r.ok) return;
          const value = (market ? limits.upper : px) * qty;
          const commission = Math.floor((value * 1.40527) / 10_000);
          expect(value + commission).toBeLessThanOrEqual(cash);
          expect(value).toBeLessThanOrEqual(20_000_000);
          expect(today + value).toBeLessThanOrEqual(60_000_000);
          expect((position + value) * 10_000).toBeLessThanOrEqual(2_500 * portfolio);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('trading state and kill switch', () => {
  it('starts ACTIVE on an empty store and restores a saved state', async () => {
    expect((await setup()).engine.state).toBe('ACTIVE');
    const saved: TradingStateRecord = { state: 'HALTED', reason: 'kill switch', since: unixMillis(OPEN - 3_600_000) };
    const { engine, events } = await setup({ store: new InMemoryTradingStateStore(saved) });
    expect(engine.stateRecord).toEqual(saved);
    expect(codeOf(engine.check(intent(), ctx()))).toBe('TRADING_HALTED');
    expect(events).toEqual([]);
  });

  it('starts HALTED when the store cannot be read (fail closed)', async () => {
    const broken: TradingStateStore = { load: () => Promise.reject(new Error('disk gone')), save: () => Promise.resolve() };
    const a = await setup({ store: broken });
    expect(a.engine.stateRecord).toEqual({ state: 'HALTED', reason: 'trading state could not be loaded: disk gone', since: OPEN });
    expect(a.events).toEqual([{ type: 'TradingStateStoreFailed', operation: 'load', state: 'HALTED', error: 'trading state could not be loaded: disk gone', ts: OPEN }]);
    const garbage = new InMemoryTradingStateStore({ state: 'PAUSED', reason: 'x', since: OPEN } as unknown as TradingStateRecord);
    expect((await setup({ store: garbage })).engine.state).toBe('HALTED');
  });

  it('moves ACTIVE → REDUCING → HALTED → REDUCING → ACTIVE, saving and reporting each change', async () => {
    const store = new InMemoryTradingStateStore();
    const { engine, events, clock } = await setup({ store });
    expect(await engine.reduceOnly('loss limit')).toEqual({ from: 'ACTIVE', to: 'REDUCING', changed: true, persisted: true });
    expect(await engine.reduceOnly('again')).toEqual({ from: 'REDUCING', to: 'REDUCING', changed: false, persisted: true });
    clock.advance(1_000);
    await engine.halt('operator', { cancelOpenOrders: false });
    await expect(engine.reduceOnly('oops')).rejects.toThrow(InputError);
    expect(await engine.resume('exits only', { to: 'REDUCING' })).toEqual({ from: 'HALTED', to: 'REDUCING', changed: true, persisted: true });
    expect(await engine.resume('ok')).toEqual({ from: 'REDUCING', to: 'ACTIVE', changed: true, persisted: true });
    expect(await engine.resume('ok')).toEqual({ from: 'ACTIVE', to: 'ACTIVE', changed: false, persisted: true });
    expect(store.saved.map((r) => r.state)).toEqual(['REDUCING', 'HALTED', 'REDUCING', 'ACTIVE']);
    expect(events.map((e) => (e.type === 'TradingStateChanged' ? `${e.from}>${e.to}:${e.reason}` : e.type))).toEqual([
      'ACTIVE>REDUCING:loss limit',
      'REDUCING>HALTED:operator',
      'HALTED>REDUCING:exits only',
      'REDUCING>ACTIVE:ok',
    ]);
    expect(events[1]).toEqual({ type: 'TradingStateChanged', from: 'REDUCING', to: 'HALTED', reason: 'operator', ts: OPEN + 1_000 });
  });

  it('halt denies at once, before cancellation and saving finish', async () => {
    let release!: (v: { canceled: number; failed: number }) => void;
    const canceller: OpenOrderCanceller = { cancelAll: () => new Promise((r) => (release = r)) };
    const { engine } = await setup({ canceller });
    const halting = engine.halt('kill', { cancelOpenOrders: true });
    expect(codeOf(engine.check(intent({ side: 'SELL' }), ctx()))).toBe('TRADING_HALTED');
    release({ canceled: 2, failed: 0 });
    expect(await halting).toEqual({ from: 'ACTIVE', to: 'HALTED', changed: true, persisted: true, cancellation: { canceled: 2, failed: 0 } });
  });

  it('kill switch with a canceller that fails: HALTED anyway, failure reported', async () => {
    const store = new InMemoryTradingStateStore();
    const rejecting: OpenOrderCanceller = { cancelAll: () => Promise.reject(new Error('KIS unreachable')) };
    const { engine, events } = await setup({ store, canceller: rejecting });
    const r = await engine.halt('kill switch', { cancelOpenOrders: true });
    expect(r).toEqual({ from: 'ACTIVE', to: 'HALTED', changed: true, persisted: true, cancellation: { canceled: 0, failed: 0, error: 'KIS unreachable' } });
    expect(engine.state).toBe('HALTED');
    expect(store.saved.at(-1)?.state).toBe('HALTED');
    expect(events.map((e) => e.type)).toEqual(['TradingStateChanged', 'OpenOrdersCanceled']);
    expect(events[1]).toEqual({ type: 'OpenOrdersCanceled', canceled: 0, failed: 0, error: 'KIS unreachable', ts: OPEN });

    // partly failing, called again while HALTED: cancels again, saves again, no state change event
    const partial = await setup({ canceller: { cancelAll: async () => ({ canceled: 3, failed: 2 }) } });
    await partial.engine.halt('first', { cancelOpenOrders: false });
    const again = await partial.engine.halt('second', { cancelOpenOrders: true });
    expect(again).toEqual({ from: 'HALTED', to: 'HALTED', changed: false, persisted: true, cancellation: { canceled: 3, failed: 2 } });
    expect(partial.events.filter((e) => e.type === 'TradingStateChanged')).toHaveLength(1);

    // no canceller configured
    const none = await setup();
    expect((await none.engine.halt('x', { cancelOpenOrders: true })).cancellation).toEqual({ canceled: 0, failed: 0, error: 'no OpenOrderCanceller configured' });
    expect(none.engine.state).toBe('HALTED');
  });

  it('does not call the canceller when cancelOpenOrders is false', async () => {
    let calls = 0;
    const { engine } = await setup({ canceller: { cancelAll: async () => ((calls += 1), { canceled: 0, failed: 0 }) } });
    expect((await engine.halt('quiet', { cancelOpenOrders: false })).cancellation).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('stays HALTED when the store cannot save, and says so', async () => {
    const failingSave: TradingStateStore = { load: async () => undefined, save: () => Promise.reject(new Error('read-only filesystem')) };
    const { engine, events } = await setup({ store: failingSave });
    const r = await engine.halt('kill', { cancelOpenOrders: false });
    expect(r).toEqual({ from: 'ACTIVE', to: 'HALTED', changed: true, persisted: false, persistError: 'read-only filesystem' });
    expect(engine.state).toBe('HALTED');
    expect(events.at(-1)).toEqual({ type: 'TradingStateStoreFailed', operation: 'save', state: 'HALTED', error: 'read-only filesystem', ts: OPEN });
  });

  it('saves in call order even when calls overlap', async () => {
    const order: string[] = [];
    let slowFirst = true;
    const store: TradingStateStore = {
      load: async () => undefined,
      save: async (r) => {
        if (slowFirst) {
          slowFirst = false;
          await new Promise((res) => setImmediate(res));
        }
        order.push(r.state);
      },
    };
    const { engine } = await setup({ store });
    const a = engine.halt('h', { cancelOpenOrders: false });
    const b = engine.resume('r');
    await Promise.all([a, b]);
    expect(order).toEqual(['HALTED', 'ACTIVE']);
    expect(engine.state).toBe('ACTIVE');
  });
});

describe('risk config', () => {
  it('has documented defaults', () => {
    expect(riskConfigFromEnv({})).toEqual({
      maxOrderValueKrw: 10_000_000,
      slippageBps: 100,
      maxDailyOrders: 100,
      maxDailyOrderValueKrw: 50_000_000,
      maxPositionWeightBps: 2_000,
      maxRetry: 3,
    });
  });

  it('reads the environment variables', () => {
    expect(
      riskConfigFromEnv({
        MAX_ORDER_VALUE_KRW: '5_000_000',
        SLIPPAGE_BPS: '50',
        MAX_DAILY_ORDERS: '20',
        MAX_DAILY_ORDER_VALUE_KRW: '30000000',
        MAX_POSITION_WEIGHT_BPS: '1500',
        MAX_RETRY: '0',
        UNRELATED: 'x',
      }),
    ).toEqual({ maxOrderValueKrw: 5_000_000, slippageBps: 50, maxDailyOrders: 20, maxDailyOrderValueKrw: 30_000_000, maxPositionWeightBps: 1_500, maxRetry: 0 });
  });

  it('names every invalid variable', () => {
    let err: unknown;
    try {
      riskConfigFromEnv({ MAX_ORDER_VALUE_KRW: '10,000,000', SLIPPAGE_BPS: '-1', MAX_POSITION_WEIGHT_BPS: '20000', MAX_RETRY: '1.5', MAX_DAILY_ORDERS: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(['MAX_DAILY_ORDERS', 'MAX_ORDER_VALUE_KRW', 'MAX_POSITION_WEIGHT_BPS', 'MAX_RETRY', 'SLIPPAGE_BPS']);
  });
});
