import { describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { TestClock } from '../core/clock.ts';
import { AppError, type Disposition } from '../core/errors.ts';
import { kstDateOf, kstInstant } from '../core/kst.ts';
import { silentLogger } from '../core/logger.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { instrumentId, type InstrumentId } from '../model/instrument.ts';
import type { ExecutionNotice, MarketStatusUpdate, TradeTick } from '../model/market-data.ts';
import { krw, quantity } from '../model/money.ts';
import type { BarReport, OrderAck, OrderStatusReport, PositionStatusReport } from '../model/reports.ts';
import type { Notification, NotificationOf, NotificationType } from '../notify/notifications.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { ExitIntent } from './intent.ts';
import { InMemoryExitIntentStore, type ExitIntentStore } from './intent-store.ts';
import { PositionMonitor } from './monitor.ts';
import type { DailyBarSource, ExitCancelCommand, ExitOrderCommand, ExitOrderPort, ExitOrderQuery } from './ports.ts';
import { parseMonitorConfig } from './rules.ts';

// ---------------------------------------------------------------------------------------------------
// In-test fakes
// ---------------------------------------------------------------------------------------------------

const SAMSUNG = instrumentId('005930');
const CALENDAR = new KrxCalendar();
/** Monday 2026-01-05, 10:00 KST: continuous trading. */
const T0 = kstInstant('2026-01-05', '10:00');

class FakeVenueError extends AppError {
  constructor(
    readonly code: string,
    readonly disposition: Disposition,
    message: string,
  ) {
    super(message);
  }
}

interface VenueOrder {
  readonly cmd: ExitOrderCommand;
  readonly venueOrderId: string;
  readonly ts: number;
  filled: number;
  value: number;
  canceled: boolean;
}

type SubmitMode = 'ack' | 'reject' | 'unknown-but-placed' | 'unknown-and-lost';

/**
 * A venue behind `ExitOrderPort` that records every call and answers like KIS would: acks with a
 * 10-digit order number, keeps order state for status queries, cancels the remainder, refuses to
 * cancel a closed order. Fills are made by the test with `fill()`, which returns the notice the
 * WebSocket would carry (the test decides whether to deliver it).
 */
function recordingVenue(clock: TestClock) {
  const submits: ExitOrderCommand[] = [];
  const cancels: ExitCancelCommand[] = [];
  const statusQueries: string[] = [];
  const orderQueries: ExitOrderQuery[] = [];
  const orders = new Map<string, VenueOrder>();
  let seq = 0;
  const state = {
    submitModes: [] as SubmitMode[],
    /** Status answers `undefined` (the venue does not know the order). */
    forgetOrders: false,
    /** cancelOrder cancels at the venue but its answer never comes back (a lost response). */
    cancelAnswerLost: false,
    /** Called synchronously inside submitOrder after the order is placed, before the ack returns. */
    beforeAck: undefined as ((o: VenueOrder) => void) | undefined,
  };
  const report = (o: VenueOrder): OrderStatusReport => ({
    venueOrderId: o.venueOrderId,
    branch: '06010',
    originalVenueOrderId: '',
    instrumentId: o.cmd.instrumentId,
    name: 'test',
    side: 'SELL',
    orderType: o.cmd.orderType,
    orderTypeCode: o.cmd.orderType === 'LIMIT' ? '00' : '01',
    quantity: o.cmd.quantity,
    price: o.cmd.price ?? 0,
    filledQuantity: quantity(o.filled),
    filledValue: krw(o.value),
    averageFillPrice: o.filled > 0 ? Math.round(o.value / o.filled) : 0,
    remainingQuantity: quantity(o.canceled ? 0 : o.cmd.quantity - o.filled),
    rejectedQuantity: quantity(0),
    canceled: o.canceled,
    isModifyOrCancel: false,
    orderDate: kstDateOf(o.ts),
    tsEvent: unixMillis(o.ts),
    venue: 'KRX',
  });
  const ack = (venueOrderId: string): OrderAck => ({ venueOrderId, branch: '06010', tsEvent: clock.now(), messageCode: 'APBK0013', message: '주문 전송 완료 되었습니다.' });
  const port: ExitOrderPort = {
    submitOrder: (cmd) => {
      submits.push(cmd);
      const mode = state.submitModes.shift() ?? 'ack';
      if (mode === 'reject') return Promise.reject(new FakeVenueError('KIS_REJECTED', 'rejected', '주문가능수량을 초과 하였습니다.'));
      if (mode === 'unknown-and-lost') return Promise.reject(new FakeVenueError('KIS_TIMEOUT', 'outcome-unknown', 'request timed out'));
      const o: VenueOrder = { cmd, venueOrderId: String(++seq).padStart(10, '0'), ts: clock.now(), filled: 0, value: 0, canceled: false };
      orders.set(o.venueOrderId, o);
      if (mode === 'unknown-but-placed') return Promise.reject(new FakeVenueError('KIS_TIMEOUT', 'outcome-unknown', 'request timed out'));
      state.beforeAck?.(o);
      return Promise.resolve(ack(o.venueOrderId));
    },
    cancelOrder: (c) => {
      cancels.push(c);
      const o = orders.get(c.ref.venueOrderId);
      if (!o || o.canceled || o.filled >= o.cmd.quantity) return Promise.reject(new FakeVenueError('KIS_REJECTED', 'rejected', '취소가능수량이 없습니다.'));
      o.canceled = true;
      if (state.cancelAnswerLost) return new Promise<OrderAck>(() => undefined);
      return Promise.resolve(ack(String(++seq).padStart(10, '0')));
    },
    requestOrderStatus: (ref) => {
      statusQueries.push(ref.venueOrderId);
      const o = orders.get(ref.venueOrderId);
      return Promise.resolve(o && !state.forgetOrders ? report(o) : undefined);
    },
    requestOrders: (q) => {
      orderQueries.push(q);
      return Promise.resolve([...orders.values()].filter((o) => o.cmd.instrumentId === q.instrumentId && o.ts >= q.since).map(report));
    },
  };
  /** Fills `qty` of an order at `px` and returns the fill notice (CNTG_YN = 2). */
  const fill = (venueOrderId: string, qty: number, px: number): ExecutionNotice => {
    const o = orders.get(venueOrderId);
    if (!o) throw new Error(`no order ${venueOrderId}`);
    o.filled += qty;
    o.value += qty * px;
    return {
      type: 'ExecutionNotice',
      kind: 'FILLED',
      account: '5000000001',
      venueOrderId,
      originalVenueOrderId: '',
      branch: '06010',
      side: 'SELL',
      action: 'NEW',
      rejected: false,
      acceptanceCode: '2',
      instrumentId: o.cmd.instrumentId,
      name: 'test',
      quantity: o.cmd.quantity,
      price: o.cmd.price ?? 0,
      fillQuantity: qty,
      fillPrice: px,
      orderKindCode: '00',
      tsEvent: clock.now(),
      tsInit: clock.now(),
    };
  };
  const lastOrderId = (): string => String([...orders.keys()].at(-1));
  return { port, submits, cancels, statusQueries, orderQueries, orders, state, fill, lastOrderId };
}

/** A notifier that records every notification. */
function recordingNotifier() {
  const all: Notification[] = [];
  const notifier: Notifier = { notify: (n) => void all.push(n) };
  const of = <T extends NotificationType>(type: T): NotificationOf<T>[] => all.filter((n): n is NotificationOf<T> => n.type === type);
  const alerts = (code: string) => of('SystemAlert').filter((a) => a.code === code);
  return { notifier, all, of, alerts };
}

/** A daily-bar source that records requests and answers with fixed bars. */
function recordingBarSource(bars: BarReport[]) {
  const requests: { id: InstrumentId; count: number }[] = [];
  const source: DailyBarSource = {
    requestDailyBars: (id, count) => {
      requests.push({ id, count });
      return Promise.resolve(bars);
    },
  };
  return { source, requests };
}

function position(avg: number, qty = 10, over: Partial<PositionStatusReport> = {}): PositionStatusReport {
  return {
    instrumentId: SAMSUNG,
    name: '삼성전자',
    quantity: quantity(qty),
    sellableQuantity: quantity(qty),
    averagePrice: avg,
    purchaseAmount: krw(Math.round(avg * qty)),
    lastPrice: avg,
    marketValue: krw(Math.round(avg * qty)),
    unrealizedPnl: krw(0),
    ...over,
  };
}

/** A trade print; `change` defaults so that the base price (previous close) is 70,000. */
function tick(clock: TestClock, px: number, over: Partial<TradeTick> = {}): TradeTick {
  return {
    type: 'TradeTick',
    instrumentId: SAMSUNG,
    venue: 'KRX',
    price: px,
    size: 1,
    aggressor: 'SELL',
    bestAsk: px + 100,
    bestBid: px,
    open: 70_000,
    high: 70_000,
    low: px,
    vwap: px,
    cumulativeVolume: 1,
    cumulativeValue: px,
    change: px - 70_000,
    session: 'REGULAR',
    sessionCode: '20',
    hourClass: '0',
    halted: false,
    viBasePrice: 0,
    tsEvent: clock.now(),
    tsInit: clock.now(),
    ...over,
  };
}

function status(halted: boolean, viActive: boolean): MarketStatusUpdate {
  return { type: 'MarketStatusUpdate', instrumentId: SAMSUNG, venue: 'KRX', halted, haltReason: halted ? '01' : '', operationCode: halted ? '164' : '112', expectedOperationCode: '', viActive, statusCode: '', tsInit: unixMillis(T0) };
}

const BASE_CONFIG = { default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 10 } }, staleDataAlertMs: 0 };

function setup(opts: { config?: unknown; at?: number; store?: ExitIntentStore; clock?: TestClock; venue?: ReturnType<typeof recordingVenue>; bars?: DailyBarSource } = {}) {
  const clock = opts.clock ?? new TestClock(opts.at ?? T0);
  const venue = opts.venue ?? recordingVenue(clock);
  const notes = recordingNotifier();
  const store = opts.store ?? new InMemoryExitIntentStore();
  const monitor = new PositionMonitor({
    config: parseMonitorConfig(opts.config ?? BASE_CONFIG),
    orders: venue.port,
    store,
    notifier: notes.notifier,
    clock,
    logger: silentLogger(),
    calendar: CALENDAR,
    costRates: { commissionBps: 1.40527, sellTaxBps: 20 },
    ...(opts.bars ? { dailyBars: opts.bars } : {}),
  });
  return { clock, venue, notes, store, monitor };
}

async function started(opts: Parameters<typeof setup>[0] = {}) {
  const s = setup(opts);
  await s.monitor.start();
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('PositionMonitor: triggers', () => {
  it('fires the stop-loss once under a storm of ticks and sells exactly the held quantity at bestBid − 2 ticks', async () => {
    const store = new InMemoryExitIntentStore();
    const { clock, venue, notes, monitor } = await started({ store });
    const storedAtSubmit: (string | undefined)[] = [];
    venue.state.beforeAck = (o) => storedAtSubmit.push(store.get(o.cmd.clientOrderId)?.state);
    monitor.setPositions([position(70_000, 17)]); // stop at 67,900
    monitor.onTradeTick(tick(clock, 68_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);

    for (let i = 0; i < 200; i++) monitor.onTradeTick(tick(clock, 67_800 - (i % 3) * 100, { bestBid: 67_800 }));
    await monitor.whenIdle();
    for (let i = 0; i < 50; i++) monitor.onTradeTick(tick(clock, 67_000, { bestBid: 66_900 }));
    await monitor.whenIdle();

    expect(venue.submits).toHaveLength(1);
    const cmd = venue.submits[0]!;
    expect(cmd).toMatchObject({ instrumentId: SAMSUNG, side: 'SELL', orderType: 'LIMIT', quantity: 17, price: 67_600 });
    expect(storedAtSubmit).toEqual(['PENDING_SUBMIT']); // persisted before the venue saw the order
    expect(notes.of('ExitTriggered')).toHaveLength(1);
    expect(notes.of('ExitTriggered')[0]).toMatchObject({ trigger: 'STOP_LOSS', reference: 67_800, threshold: 67_900, quantity: 17, priority: 'high', clientOrderId: cmd.clientOrderId });
    expect(notes.of('ExitOrderSubmitted')[0]).toMatchObject({ venueOrderId: '0000000001', price: 67_600, quantity: 17, attempt: 0 });

    // A fresh balance while the exit works (different average: a buy elsewhere) must not start a second exit.
    monitor.setPositions([position(69_000, 20)]);
    for (let i = 0; i < 20; i++) monitor.onTradeTick(tick(clock, 66_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);

    monitor.onExecutionNotice(venue.fill('0000000001', 17, 67_700));
    await monitor.whenIdle();
    expect(notes.of('ExitFilled')).toEqual([expect.objectContaining({ clientOrderId: cmd.clientOrderId, quantity: 17, averageFillPrice: 67_700, confirmedByQuery: false })]);
    const saved = await store.load();
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ state: 'FILLED', filledQuantity: 17, filledValue: 17 * 67_700 });

    // The (stale) position is still reported: the same position is not exited again today.
    monitor.setPositions([position(70_000, 17)]);
    monitor.onTradeTick(tick(clock, 66_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
  });

  it('steps across a tick band and sells the sellable quantity when less than held', async () => {
    const { clock, venue, monitor } = await started();
    monitor.setPositions([position(52_000, 10, { sellableQuantity: quantity(7) })]); // stop at 50,440
    monitor.onTradeTick(tick(clock, 50_000, { bestBid: 50_000, change: -2_000 }));
    await monitor.whenIdle();
    expect(venue.submits[0]).toMatchObject({ quantity: 7, price: 49_900 }); // 50,000 → 49,950 → 49,900
  });

  it('fires the take-profit and estimates the realised PnL after commission and tax', async () => {
    const { clock, venue, notes, monitor } = await started();
    monitor.setPositions([position(10_000, 10)]); // take-profit at 11,000
    monitor.onTradeTick(tick(clock, 10_990, { change: 990 }));
    monitor.onTradeTick(tick(clock, 11_050, { bestBid: 11_050, change: 1_050 }));
    await monitor.whenIdle();
    expect(venue.submits).toEqual([expect.objectContaining({ orderType: 'LIMIT', quantity: 10, price: 11_030 })]);
    expect(notes.of('ExitTriggered')[0]).toMatchObject({ trigger: 'TAKE_PROFIT', threshold: 11_000 });

    monitor.onExecutionNotice(venue.fill(venue.lastOrderId(), 10, 11_040));
    await monitor.whenIdle();
    // value 110,400; cost 100,000; commission floor(110,400 × 1.40527 bp) = 15; tax floor(110,400 × 20 bp) = 220.
    expect(notes.of('ExitFilled')[0]).toMatchObject({ trigger: 'TAKE_PROFIT', realizedPnl: 10_400 - 15 - 220 });
    const s = monitor.daySummary();
    expect(s.trades).toEqual([expect.objectContaining({ quantity: 10, averageFillPrice: 11_040, commission: 15, tax: 220, realizedPnl: 10_165 })]);
    expect(s.winRate).toBe(1);
    expect(s.realizedPnl).toBe(10_165);
  });

  it('derives ATR thresholds from daily bars fetched through the port (hand-checked ATR)', async () => {
    const bar = (date: string, high: number, low: number, close: number): BarReport => ({
      instrumentId: SAMSUNG, date, time: '', ts: kstInstant(date, '15:30'), open: low, high, low, close, volume: 1, value: close,
    });
    // Unsorted on purpose, plus today's incomplete bar (must be ignored). Same bars as rules.test.ts:
    // ATR(3) = 9,500 / 9 = 1,055.55… won.
    const bars = recordingBarSource([
      bar('2025-12-31', 12_000, 10_500, 11_800),
      bar('2025-12-26', 11_000, 10_000, 10_500),
      bar('2026-01-05', 30_000, 1_000, 11_000),
      bar('2025-12-29', 11_200, 10_400, 11_000),
      bar('2025-12-30', 11_500, 10_800, 10_900),
    ]);
    const config = { default: { thresholds: { type: 'atr', period: 3, stopLossAtr: 2, takeProfitAtr: 3 } }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config, bars: bars.source });
    monitor.setPositions([position(11_800, 5)]);
    await monitor.whenIdle();
    expect(bars.requests).toEqual([{ id: SAMSUNG, count: 10 }]);
    const atr = 9_500 / 9;
    const levels = monitor.status().positions[0]!.levels;
    expect(levels.stopLoss).toBeCloseTo(11_800 - 2 * atr, 6); // 9,688.88…
    expect(levels.takeProfit).toBeCloseTo(11_800 + 3 * atr, 6); // 14,966.66…

    monitor.onTradeTick(tick(clock, 9_690, { change: -2_110 }));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    monitor.onTradeTick(tick(clock, 9_680, { bestBid: 9_680, change: -2_120 }));
    await monitor.whenIdle();
    expect(venue.submits).toEqual([expect.objectContaining({ quantity: 5, price: 9_660 })]);
    expect(notes.of('ExitTriggered')[0]!.threshold).toBeCloseTo(11_800 - 2 * atr, 6);
    expect(notes.alerts('ATR_UNAVAILABLE')).toHaveLength(0);
  });

  it('alerts once when an ATR rule has no bars, and does not trade on it', async () => {
    const config = { default: { thresholds: { type: 'atr', stopLossAtr: 2 } }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    for (let i = 0; i < 5; i++) monitor.onTradeTick(tick(clock, 50_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.alerts('ATR_UNAVAILABLE')).toHaveLength(1);
  });

  it('fires a trailing stop from the high-water mark since the position was seen', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 10 }, trailingStop: { type: 'percent', trailPct: 5 } }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    for (const px of [70_500, 74_000, 80_000, 78_000, 76_100]) monitor.onTradeTick(tick(clock, px));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(monitor.status().positions[0]).toMatchObject({ highWaterMark: 80_000, levels: { stopLoss: 63_000, trailingStop: 76_000 } });
    monitor.onTradeTick(tick(clock, 76_000, { bestBid: 75_900 }));
    await monitor.whenIdle();
    expect(notes.of('ExitTriggered')[0]).toMatchObject({ trigger: 'TRAILING_STOP', reference: 76_000, threshold: 76_000 });
    expect(venue.submits[0]).toMatchObject({ price: 75_700 });
  });

  it('clamps the sell price at the lower daily limit (base 128,500 → 90,000)', async () => {
    const { clock, venue, monitor } = await started();
    monitor.setPositions([position(128_500, 3)]);
    monitor.onTradeTick(tick(clock, 90_000, { bestBid: 90_000, change: -38_500 }));
    await monitor.whenIdle();
    expect(venue.submits[0]).toMatchObject({ quantity: 3, price: 90_000 });
  });

  it('uses a market order when configured', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 3 }, exitOrder: { kind: 'market' } }, staleDataAlertMs: 0 };
    const { clock, venue, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits[0]).toEqual({ instrumentId: SAMSUNG, side: 'SELL', orderType: 'MARKET', quantity: 10, clientOrderId: expect.any(String) as string });
  });
});

describe('PositionMonitor: halts, VI and market hours', () => {
  it('a halt pauses submission; the queued exit is sent on resumption if still valid', async () => {
    const { clock, venue, notes, monitor } = await started();
    monitor.setPositions([position(70_000)]);
    monitor.onMarketStatus(status(true, false));
    monitor.onTradeTick(tick(clock, 67_500, { halted: true }));
    monitor.onTradeTick(tick(clock, 67_400, { halted: true }));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.of('TradingPaused')).toEqual([expect.objectContaining({ instrumentId: SAMSUNG, reason: 'HALT', priority: 'high' })]);
    expect(notes.of('ExitTriggered')).toEqual([expect.objectContaining({ trigger: 'STOP_LOSS', deferredBy: 'HALT' })]);
    expect(monitor.status().pausedInstruments).toEqual([{ instrumentId: SAMSUNG, reasons: ['HALT'] }]);
    expect(monitor.status().positions[0]?.deferredTrigger).toBe('STOP_LOSS');

    await clock.advanceAsync(600_000);
    monitor.onMarketStatus(status(false, false));
    await monitor.whenIdle();
    expect(notes.of('TradingResumed')).toEqual([expect.objectContaining({ reason: 'HALT', pausedMs: 600_000 })]);
    expect(venue.submits).toHaveLength(1);
    expect(venue.submits[0]).toMatchObject({ quantity: 10, price: 67_200 }); // last tick 67,400 − 2 ticks
    expect(notes.of('ExitTriggered')).toHaveLength(2);
    expect(monitor.status().pausedInstruments).toEqual([]);
  });

  it('a VI (hourClass C) pauses submission; the exit goes out when continuous trading resumes', async () => {
    const { clock, venue, notes, monitor } = await started();
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000, { hourClass: 'C' }));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.of('TradingPaused')[0]).toMatchObject({ reason: 'VI' });
    await clock.advanceAsync(120_000);
    monitor.onTradeTick(tick(clock, 67_500, { hourClass: '0' }));
    await monitor.whenIdle();
    expect(notes.of('TradingResumed')[0]).toMatchObject({ reason: 'VI', pausedMs: 120_000 });
    expect(venue.submits).toEqual([expect.objectContaining({ quantity: 10, price: 67_300 })]);
  });

  it('drops a queued exit that is no longer valid when the VI ends', async () => {
    const { clock, venue, notes, monitor } = await started();
    monitor.setPositions([position(70_000)]);
    monitor.onMarketStatus(status(false, true));
    monitor.onTradeTick(tick(clock, 67_000, { hourClass: 'C' }));
    monitor.onTradeTick(tick(clock, 68_500, { hourClass: '0' }));
    monitor.onMarketStatus(status(false, false));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.alerts('EXIT_TRIGGER_WITHDRAWN')).toHaveLength(1);
  });

  it('sends nothing before the open; the trigger goes out on the first tick of continuous trading', async () => {
    const { clock, venue, notes, monitor } = await started({ at: kstInstant('2026-01-05', '08:50') });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.of('ExitTriggered')[0]).toMatchObject({ deferredBy: 'MARKET_PHASE' });
    clock.set(kstInstant('2026-01-05', '09:00:01'));
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
  });

  it('sends nothing in the closing auction unless configured', async () => {
    const at = kstInstant('2026-01-05', '15:25');
    const off = await started({ at });
    off.monitor.setPositions([position(70_000)]);
    off.monitor.onTradeTick(tick(off.clock, 67_000));
    await off.monitor.whenIdle();
    expect(off.venue.submits).toHaveLength(0);

    const on = await started({ at, config: { ...BASE_CONFIG, allowClosingAuction: true } });
    on.monitor.setPositions([position(70_000)]);
    on.monitor.onTradeTick(tick(on.clock, 67_000));
    await on.monitor.whenIdle();
    expect(on.venue.submits).toHaveLength(1);
  });
});

describe('PositionMonitor: order follow-up', () => {
  it('partial fill → after the reprice timeout cancels the remainder and resubmits it at a fresh price', async () => {
    const { clock, venue, notes, monitor } = await started();
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    const first = venue.submits[0]!;
    monitor.onExecutionNotice(venue.fill('0000000001', 4, 67_600));
    await clock.advanceAsync(9_999);
    await monitor.whenIdle();
    expect(venue.cancels).toHaveLength(0);

    monitor.onTradeTick(tick(clock, 67_000, { bestBid: 66_900 }));
    await clock.advanceAsync(1);
    await monitor.whenIdle();
    expect(venue.cancels).toEqual([{ instrumentId: SAMSUNG, ref: { venueOrderId: '0000000001', branch: '06010' }, clientOrderId: first.clientOrderId }]);
    expect(venue.statusQueries).toContain('0000000001');
    expect(venue.submits).toHaveLength(2);
    expect(venue.submits[1]).toMatchObject({ quantity: 6, price: 66_700, clientOrderId: `${first.clientOrderId}-R1` });
    expect(notes.of('ExitOrderSubmitted').map((n) => n.attempt)).toEqual([0, 1]);

    const second = [...venue.orders.values()].find((o) => o.cmd.clientOrderId === `${first.clientOrderId}-R1`)!;
    monitor.onExecutionNotice(venue.fill(second.venueOrderId, 6, 66_800));
    await monitor.whenIdle();
    expect(notes.of('ExitFilled')).toEqual([expect.objectContaining({ quantity: 10, averageFillPrice: (4 * 67_600 + 6 * 66_800) / 10 })]);
    expect(venue.submits.reduce((s, c) => s + c.quantity, 0) - 0).toBe(16); // 10 + 6 ordered, 10 sold
    expect(monitor.status().intents[0]).toMatchObject({ state: 'FILLED', filledQuantity: 10 });
  });

  it('resubmits only what the venue says is left (fills without notices count) and stops after max reprices', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 3 }, maxReprices: 1 }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    venue.fill('0000000001', 3, 67_600); // notice lost
    await clock.advanceAsync(10_000);
    await monitor.whenIdle();
    expect(venue.submits.map((c) => c.quantity)).toEqual([10, 7]);
    await clock.advanceAsync(10_000);
    await monitor.whenIdle();
    expect(venue.cancels).toHaveLength(1);
    expect(venue.submits).toHaveLength(2);
    expect(notes.alerts('EXIT_REPRICES_EXHAUSTED')).toHaveLength(1);
    await clock.advanceAsync(30_000);
    await monitor.whenIdle();
    expect(notes.alerts('EXIT_REPRICES_EXHAUSTED')).toHaveLength(1);
  });

  it('a halt defers the reprice (no cancel while halted); it runs when trading resumes', async () => {
    const { clock, venue, monitor } = await started();
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    monitor.onExecutionNotice(venue.fill('0000000001', 4, 67_600));
    await clock.advanceAsync(5_000);
    monitor.onMarketStatus(status(true, false));
    await clock.advanceAsync(25_000);
    await monitor.whenIdle();
    expect(venue.cancels).toHaveLength(0);
    expect(venue.submits).toHaveLength(1);
    monitor.onMarketStatus(status(false, false));
    await monitor.whenIdle();
    expect(venue.cancels).toHaveLength(1);
    expect(venue.submits.map((c) => [c.quantity, c.price])).toEqual([
      [10, 67_600],
      [6, 67_600],
    ]);
  });

  it('no fill notice within 60 s → confirms by REST: a fill found by query completes the exit', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 3 }, maxReprices: 0 }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    venue.fill('0000000001', 10, 67_700); // the notice never arrives
    await clock.advanceAsync(59_999);
    await monitor.whenIdle();
    expect(venue.statusQueries).toHaveLength(0);
    await clock.advanceAsync(1);
    await monitor.whenIdle();
    expect(venue.statusQueries).toEqual(['0000000001']);
    expect(notes.of('ExitFilled')).toEqual([expect.objectContaining({ quantity: 10, averageFillPrice: 67_700, confirmedByQuery: true })]);
    expect(notes.of('ExitFillUnconfirmed')).toHaveLength(0);
  });

  it('no fill notice within 60 s and the venue does not know the order → ExitFillUnconfirmed, nothing resent', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 3 }, maxReprices: 0 }, staleDataAlertMs: 0 };
    const { clock, venue, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    venue.state.forgetOrders = true;
    await clock.advanceAsync(60_000);
    await monitor.whenIdle();
    expect(notes.of('ExitFillUnconfirmed')).toEqual([
      expect.objectContaining({ instrumentId: SAMSUNG, venueOrderId: '0000000001', quantity: 10, filledQuantity: 0, priority: 'emergency' }),
    ]);
    expect(monitor.status().intents[0]?.state).toBe('UNCONFIRMED');
    monitor.onTradeTick(tick(clock, 60_000));
    await clock.advanceAsync(600_000);
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
  });

  it('a working but unfilled order found by the 60 s query raises EXIT_NOT_FILLED', async () => {
    const config = { default: { thresholds: { type: 'percent', stopLossPct: 3 }, maxReprices: 0 }, staleDataAlertMs: 0 };
    const { clock, notes, monitor } = await started({ config });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await clock.advanceAsync(60_000);
    await monitor.whenIdle();
    expect(notes.alerts('EXIT_NOT_FILLED')).toEqual([expect.objectContaining({ context: expect.objectContaining({ remaining: 10 }) as unknown })]);
  });

  it('counts a fill notice that arrives before the submit answer', async () => {
    const { clock, venue, notes, monitor } = await started();
    venue.state.beforeAck = (o) => monitor.onExecutionNotice(venue.fill(o.venueOrderId, 10, 67_700));
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    expect(notes.of('ExitFilled')).toEqual([expect.objectContaining({ quantity: 10, confirmedByQuery: false })]);
    await clock.advanceAsync(120_000);
    await monitor.whenIdle();
    expect(venue.cancels).toHaveLength(0);
    expect(venue.statusQueries).toHaveLength(0);
  });
});

describe('PositionMonitor: submit failures', () => {
  it('an outcome-unknown submit is never resent; the order is found by query after the timeout', async () => {
    const { clock, venue, notes, monitor } = await started();
    venue.state.submitModes.push('unknown-but-placed');
    monitor.setPositions([position(70_000)]);
    for (let i = 0; i < 100; i++) monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
    expect(notes.alerts('EXIT_SUBMIT_OUTCOME_UNKNOWN')).toHaveLength(1);
    expect(monitor.status().intents[0]?.state).toBe('UNKNOWN');

    await clock.advanceAsync(30_000);
    for (let i = 0; i < 100; i++) monitor.onTradeTick(tick(clock, 66_000));
    await clock.advanceAsync(30_000);
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
    expect(venue.orderQueries).toEqual([{ instrumentId: SAMSUNG, side: 'SELL', since: T0 - 60_000 }]);
    expect(notes.alerts('EXIT_ORDER_FOUND')).toHaveLength(1);
    expect(monitor.status().intents[0]).toMatchObject({ state: 'WORKING', attempts: [expect.objectContaining({ venueOrderId: '0000000001' })] });

    monitor.onExecutionNotice(venue.fill('0000000001', 10, 66_900));
    await monitor.whenIdle();
    expect(notes.of('ExitFilled')).toHaveLength(1);
    expect(venue.submits).toHaveLength(1);
  });

  it('an outcome-unknown submit that never reached the venue is not resent either: a human is alerted', async () => {
    const { clock, venue, notes, monitor } = await started();
    venue.state.submitModes.push('unknown-and-lost');
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await clock.advanceAsync(60_000);
    await monitor.whenIdle();
    expect(notes.of('ExitFillUnconfirmed')).toEqual([expect.objectContaining({ quantity: 10, filledQuantity: 0, reason: expect.stringContaining('NOT resent') as string })]);
    for (let i = 0; i < 10; i++) {
      monitor.onTradeTick(tick(clock, 60_000));
      await clock.advanceAsync(60_000);
    }
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);

    // A human checks the account and closes the intent; the next tick may exit again.
    const id = monitor.status().intents[0]!.clientOrderId;
    expect(await monitor.abandonIntent(id, 'checked: no order at the venue')).toBe(true);
    monitor.onTradeTick(tick(clock, 60_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(2);
  });

  it('a rejected submit marks the intent REJECTED, alerts, and is not retried', async () => {
    const { clock, venue, notes, monitor } = await started();
    venue.state.submitModes.push('reject');
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    for (let i = 0; i < 20; i++) monitor.onTradeTick(tick(clock, 66_000));
    await clock.advanceAsync(300_000);
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
    expect(notes.of('OrderRejected')).toEqual([expect.objectContaining({ code: 'KIS_REJECTED', reason: '주문가능수량을 초과 하였습니다.', priority: 'high' })]);
    expect(monitor.status().intents[0]?.state).toBe('REJECTED');
  });

  it('does not send when the intent cannot be saved first', async () => {
    const failing: ExitIntentStore = { load: () => Promise.resolve([]), save: () => Promise.reject(new Error('disk full')) };
    const { clock, venue, notes, monitor } = await started({ store: failing });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.alerts('INTENT_STORE_WRITE_FAILED')).toEqual([expect.objectContaining({ priority: 'emergency' })]);
  });
});

describe('PositionMonitor: the intent save alongside the port\'s own journal (submitOrderWhenDurable)', () => {
  /** The recording venue behind a port that journals while the intent is saved and sends only after both. */
  function gated(clock: TestClock) {
    const venue = recordingVenue(clock);
    const log: string[] = [];
    const port: ExitOrderPort = {
      ...venue.port,
      submitOrderWhenDurable: async (cmd, durable) => {
        log.push('journal');
        await durable;
        log.push('send');
        return venue.port.submitOrder(cmd);
      },
    };
    return { venue: { ...venue, port }, log };
  }

  it('hands the save in progress to the port, which sends after it resolved', async () => {
    const clock = new TestClock(T0);
    const { venue, log } = gated(clock);
    const inner = new InMemoryExitIntentStore();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const store: ExitIntentStore = {
      load: () => inner.load(),
      save: async (i) => {
        if (i.state === 'PENDING_SUBMIT') {
          log.push('save.start');
          await held;
          log.push('save.done');
        }
        return inner.save(i);
      },
    };
    const { monitor } = await started({ store, clock, venue });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['save.start', 'journal']);
    expect(venue.submits).toHaveLength(0);
    release();
    await monitor.whenIdle();
    expect(log).toEqual(['save.start', 'journal', 'save.done', 'send']);
    expect(venue.submits).toHaveLength(1);
    expect((await inner.load())[0]).toMatchObject({ state: 'WORKING' });
  });

  it('sends nothing, drops the exit for now and alerts when the save fails', async () => {
    const clock = new TestClock(T0);
    const { venue } = gated(clock);
    const failing: ExitIntentStore = { load: () => Promise.resolve([]), save: () => Promise.reject(new Error('disk full')) };
    const { notes, monitor } = await started({ store: failing, clock, venue });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(notes.alerts('INTENT_STORE_WRITE_FAILED')).toEqual([expect.objectContaining({ priority: 'emergency' })]);
    expect(monitor.status().intents).toEqual([]);
  });
});

describe('PositionMonitor: restart', () => {
  it('a restart with a persisted working intent does not resubmit but resumes watching it', async () => {
    const store = new InMemoryExitIntentStore();
    const clock = new TestClock(T0);
    const venue = recordingVenue(clock);
    const a = await started({ store, clock, venue });
    a.monitor.setPositions([position(70_000)]);
    a.monitor.onTradeTick(tick(clock, 67_800));
    await a.monitor.whenIdle();
    a.monitor.stop(); // crash
    expect(venue.submits).toHaveLength(1);
    const persisted = await store.load();
    expect(persisted[0]).toMatchObject({ state: 'WORKING', attempts: [expect.objectContaining({ venueOrderId: '0000000001', status: 'WORKING' })] });

    const b = await started({ store, clock, venue });
    b.monitor.setPositions([position(70_000)]);
    for (let i = 0; i < 50; i++) b.monitor.onTradeTick(tick(clock, 67_000));
    await b.monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
    expect(b.notes.of('ExitTriggered')).toHaveLength(0);

    b.monitor.onExecutionNotice(venue.fill('0000000001', 10, 67_600));
    await b.monitor.whenIdle();
    expect(b.notes.of('ExitFilled')).toEqual([expect.objectContaining({ clientOrderId: persisted[0]!.clientOrderId, quantity: 10 })]);
  });

  it('a restart during a reprice confirms the cancelled order by query, then sends only the remainder, once', async () => {
    const store = new InMemoryExitIntentStore();
    const clock = new TestClock(T0);
    const venue = recordingVenue(clock);
    const a = await started({ store, clock, venue });
    a.monitor.setPositions([position(70_000)]);
    a.monitor.onTradeTick(tick(clock, 67_800));
    await a.monitor.whenIdle();
    a.monitor.onExecutionNotice(venue.fill('0000000001', 3, 67_700));
    venue.state.cancelAnswerLost = true;
    await clock.advanceAsync(10_000); // reprice: cancel sent, applied at the venue, answer lost
    a.monitor.stop(); // crash
    const persisted = (await store.load())[0]!;
    expect(persisted).toMatchObject({ state: 'REPRICING', attempts: [expect.objectContaining({ status: 'CANCEL_REQUESTED' })] });

    venue.state.cancelAnswerLost = false;
    const b = setup({ store, clock, venue });
    b.monitor.setPositions([position(70_000, 7)]);
    b.monitor.onTradeTick(tick(clock, 67_500, { bestBid: 67_400 }));
    await b.monitor.start();
    await b.monitor.whenIdle();
    expect(venue.statusQueries).toEqual(['0000000001']);
    expect(venue.cancels).toHaveLength(1);
    expect(venue.submits.map((c) => [c.quantity, c.price, c.clientOrderId])).toEqual([
      [10, 67_600, persisted.clientOrderId],
      [7, 67_200, `${persisted.clientOrderId}-R1`],
    ]);
    await clock.advanceAsync(5_000);
    await b.monitor.whenIdle();
    expect(venue.submits).toHaveLength(2);
  });

  it('evaluates nothing before the intents are loaded, then evaluates the ticks already seen', async () => {
    const { clock, venue, monitor } = setup();
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    await monitor.start();
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(1);
  });

  it('an intent caught mid-submit is treated as outcome-unknown after a restart, never resent', async () => {
    const intent: ExitIntent = {
      version: 1,
      clientOrderId: 'EX20260105100000-005930-SL-7',
      instrumentId: SAMSUNG,
      name: '삼성전자',
      sessionDate: '2026-01-05',
      trigger: 'STOP_LOSS',
      reference: 67_800,
      threshold: 67_900,
      averagePrice: 70_000,
      positionQuantity: 10,
      quantity: 10,
      state: 'PENDING_SUBMIT',
      attempts: [
        { clientOrderId: 'EX20260105100000-005930-SL-7', orderType: 'LIMIT', price: 67_600, quantity: 10, submittedAt: T0, status: 'SUBMITTING', noticeFilledQuantity: 0, noticeFilledValue: 0, reportFilledQuantity: 0, reportFilledValue: 0 },
      ],
      filledQuantity: 0,
      filledValue: 0,
      repricesExhausted: false,
      createdAt: unixMillis(T0),
      updatedAt: unixMillis(T0),
    };
    const store = new InMemoryExitIntentStore([intent]);
    const { clock, venue, notes, monitor } = await started({ store, at: T0 + 5_000 });
    monitor.setPositions([position(70_000)]);
    monitor.onTradeTick(tick(clock, 67_000));
    await monitor.whenIdle();
    expect(store.get(intent.clientOrderId)?.state).toBe('UNKNOWN');
    await clock.advanceAsync(60_000);
    await monitor.whenIdle();
    expect(venue.submits).toHaveLength(0);
    expect(venue.orderQueries).toHaveLength(1);
    expect(notes.of('ExitFillUnconfirmed')).toHaveLength(1);
    // New ids do not collide with the persisted one.
    expect(monitor.status().intents.map((i) => i.clientOrderId)).toEqual([intent.clientOrderId]);
  });
});

describe('PositionMonitor: day summary and data watchdog', () => {
  it('endOfDay sends the summary (trades, PnL, win rate, open positions) then sleeps until the next open', async () => {
    const { clock, venue, notes, monitor } = await started();
    const hynix = instrumentId('000660');
    monitor.setPositions([position(70_000), position(200_000, 2, { instrumentId: hynix, name: 'SK하이닉스' })]);
    monitor.onTradeTick(tick(clock, 67_800));
    await monitor.whenIdle();
    monitor.onExecutionNotice(venue.fill('0000000001', 10, 67_700));
    await monitor.whenIdle();
    monitor.setPositions([position(200_000, 2, { instrumentId: hynix, name: 'SK하이닉스' })]);

    const s = monitor.endOfDay();
    // value 677,000; cost 700,000; commission floor(677,000 × 1.40527 bp) = 95; tax floor(677,000 × 20 bp) = 1,354.
    expect(s.trades).toEqual([expect.objectContaining({ trigger: 'STOP_LOSS', quantity: 10, averageFillPrice: 67_700, commission: 95, tax: 1_354, realizedPnl: -23_000 - 95 - 1_354 })]);
    expect(s.winRate).toBe(0);
    expect(s.openPositions).toEqual([{ instrumentId: hynix, name: 'SK하이닉스', quantity: 2, averagePrice: 200_000, lastPrice: 200_000 }]);
    expect(notes.of('DaySummary')).toEqual([expect.objectContaining({ date: '2026-01-05', realizedPnl: -24_449, unresolvedIntents: 0, priority: 'normal' })]);
    expect(notes.of('MonitorSleeping')).toEqual([expect.objectContaining({ until: kstInstant('2026-01-06', '09:00'), priority: 'low' })]);
  });

  it('alerts DataDelayed once when no tick arrives during trading hours', async () => {
    const { clock, notes, monitor } = await started({ config: { ...BASE_CONFIG, staleDataAlertMs: 60_000 } });
    monitor.setPositions([position(70_000)]);
    await clock.advanceAsync(30_000);
    monitor.onTradeTick(tick(clock, 70_000));
    await clock.advanceAsync(30_000); // watchdog at +60 s: 30 s without data
    expect(notes.of('DataDelayed')).toHaveLength(0);
    await clock.advanceAsync(60_000); // watchdog at +120 s: 90 s without data
    expect(notes.of('DataDelayed')).toEqual([expect.objectContaining({ delayMs: 90_000, lastDataAt: T0 + 30_000, priority: 'high' })]);
    await clock.advanceAsync(300_000);
    expect(notes.of('DataDelayed')).toHaveLength(1);
    monitor.stop();
  });
});
