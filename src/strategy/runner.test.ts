import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unixMillis } from '../core/brand.ts';
import { TestClock } from '../core/clock.ts';
import { AppError, type Disposition } from '../core/errors.ts';
import { kstDateOf, kstInstant } from '../core/kst.ts';
import { silentLogger } from '../core/logger.ts';
import type { MinuteBar } from '../data/bars.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { instrumentId, type InstrumentId } from '../model/instrument.ts';
import { krw, price, quantity } from '../model/money.ts';
import { dailyPriceLimits } from '../model/price-limits.ts';
import type { AccountBalanceReport, OrderAck, OrderStatusReport, QuoteReport, VenueOrderRef } from '../model/reports.ts';
import { tickSize } from '../model/tick.ts';
import type {
  AssetSettingsProvider,
  BrokerPort,
  FillRecord,
  MinuteBarSource,
  OrderIntent,
  OrderRecord,
  RiskCheck,
  RiskResult,
  SignalRecord,
  StrategyStateStore,
  SubmitOrderRequest,
  TransactionRecorder,
} from './ports.ts';
import { formatRunReport } from './run-report.ts';
import { StrategyRunner } from './runner.ts';
import { dcaStrategy } from './strategies/dca/dca.ts';
import { rebalanceStrategy } from './strategies/rebalance/rebalance.ts';
import { stopTakeStrategy } from './strategies/stop-take/stop-take.ts';
import { vwapAtrBandsStrategy } from './strategies/vwap-atr-bands/vwap-atr-bands.ts';
import { bindStrategy, type AssetSettings, type BoundStrategy, type Strategy } from './strategy.ts';
import { positionOf, settingsFor, TEST_COSTS } from './test-support.ts';

const SAMSUNG = instrumentId('005930');
const HYNIX = instrumentId('000660');
const KIA = instrumentId('000270');
/** Real closes of 2026-02-20 (data/daily/krx-2026-0102_0220.csv) and their base prices. */
const CLOSES: Record<string, { last: number; base: number }> = {
  '005930': { last: 190_100, base: 190_000 },
  '000660': { last: 949_000, base: 894_000 },
  '000270': { last: 171_800, base: 170_000 },
};
const T0 = kstInstant('2026-02-20', '10:00');
const TODAY = '2026-02-20';

class BrokerError extends AppError {
  constructor(
    readonly code: string,
    readonly disposition: Disposition,
    message = code,
  ) {
    super(message);
  }
}

/** A broker that records every call, in order, and answers from in-test tables. */
class RecordingBroker implements BrokerPort {
  readonly calls: string[] = [];
  readonly submits: SubmitOrderRequest[] = [];
  readonly cancels: VenueOrderRef[] = [];
  open: OrderStatusReport[] = [];
  /** What requestOrders answers, per call (the last entry repeats). */
  ordersAnswers: OrderStatusReport[][] = [[]];
  balance: AccountBalanceReport;
  submitBehaviour: (req: SubmitOrderRequest, n: number) => OrderAck | Error = (_req, n) => ack(`00000${n}`);
  /** Last price and base price per code (default: the real 2026-02-20 closes). */
  readonly closes: Record<string, { last: number; base: number }> = { ...CLOSES };

  constructor(cash: number, positions: AccountBalanceReport['positions'] = []) {
    this.balance = balanceOf(cash, positions);
  }
  async requestBalance(): Promise<AccountBalanceReport> {
    this.calls.push('requestBalance');
    return this.balance;
  }
  async requestQuote(id: InstrumentId): Promise<QuoteReport> {
    this.calls.push(`requestQuote ${id}`);
    const c = this.closes[id];
    if (c === undefined) throw new BrokerError('KIS_HTTP', 'retryable');
    const l = dailyPriceLimits(c.base);
    return {
      instrumentId: id,
      name: id,
      last: c.last,
      change: c.last - c.base,
      changePercent: 0,
      open: c.last,
      high: c.last,
      low: c.last,
      volume: 1,
      tradedValue: c.last,
      upperLimit: l.upper,
      lowerLimit: l.lower,
      basePrice: c.base,
      tick: tickSize(c.last),
      halted: false,
      tsInit: unixMillis(T0),
    };
  }
  async requestOpenOrders(): Promise<OrderStatusReport[]> {
    this.calls.push('requestOpenOrders');
    return this.open;
  }
  private ordersCall = 0;
  async requestOrders(range: { from: string; to: string }): Promise<OrderStatusReport[]> {
    this.calls.push(`requestOrders ${range.from}..${range.to}`);
    const a = this.ordersAnswers[Math.min(this.ordersCall++, this.ordersAnswers.length - 1)] ?? [];
    return a;
  }
  async submitOrder(req: SubmitOrderRequest): Promise<OrderAck> {
    this.calls.push(`submitOrder ${req.side} ${req.quantity} ${req.instrumentId} @${req.price ?? 'MKT'}`);
    this.submits.push(req);
    const r = this.submitBehaviour(req, this.submits.length);
    if (r instanceof Error) throw r;
    return r;
  }
  async cancelOrder(ref: VenueOrderRef): Promise<OrderAck> {
    this.calls.push(`cancelOrder ${ref.venueOrderId}`);
    this.cancels.push(ref);
    return ack(`9${ref.venueOrderId}`);
  }
}

function ack(venueOrderId: string): OrderAck {
  return { venueOrderId, branch: '06010', tsEvent: unixMillis(T0), messageCode: 'APBK0013', message: '주문 전송 완료 되었습니다.' };
}

function balanceOf(cash: number, positions: AccountBalanceReport['positions']): AccountBalanceReport {
  return {
    positions,
    cash: { deposit: krw(cash), settlementD2: krw(cash), settlementD1: krw(cash), securitiesValue: krw(0), totalValue: krw(cash) },
    tsInit: unixMillis(T0),
  };
}

function statusOf(
  o: { venueOrderId: string; instrumentId: InstrumentId; side: 'BUY' | 'SELL'; quantity: number; price: number },
  fill: { filled?: number; avg?: number; canceled?: boolean; ts?: number } = {},
): OrderStatusReport {
  const filled = fill.filled ?? 0;
  return {
    venueOrderId: o.venueOrderId,
    branch: '06010',
    originalVenueOrderId: '',
    instrumentId: o.instrumentId,
    name: o.instrumentId,
    side: o.side,
    orderType: 'LIMIT',
    orderTypeCode: '00',
    quantity: quantity(o.quantity),
    price: o.price,
    filledQuantity: quantity(filled),
    filledValue: krw(filled * (fill.avg ?? o.price)),
    averageFillPrice: filled > 0 ? (fill.avg ?? o.price) : 0,
    remainingQuantity: quantity(fill.canceled ? 0 : o.quantity - filled),
    rejectedQuantity: quantity(0),
    canceled: fill.canceled ?? false,
    isModifyOrCancel: false,
    orderDate: TODAY,
    tsEvent: unixMillis(fill.ts ?? T0),
    venue: 'KRX',
  };
}

class MemoryStateStore implements StrategyStateStore {
  readonly values = new Map<string, unknown>();
  readonly saves: string[] = [];
  readonly signals: SignalRecord[] = [];
  async load(key: string): Promise<unknown> {
    const v = this.values.get(key);
    return v === undefined ? undefined : structuredClone(v);
  }
  async save(key: string, value: unknown): Promise<void> {
    this.saves.push(key);
    this.values.set(key, structuredClone(value));
  }
  async appendSignal(r: SignalRecord): Promise<void> {
    this.signals.push(r);
  }
}

class MemoryRecorder implements TransactionRecorder {
  readonly orders: OrderRecord[] = [];
  readonly fills: FillRecord[] = [];
  async recordOrder(r: OrderRecord): Promise<void> {
    this.orders.push(r);
  }
  async recordFill(r: FillRecord): Promise<void> {
    this.fills.push(r);
  }
}

class RecordingRisk implements RiskCheck {
  readonly intents: OrderIntent[] = [];
  constructor(private readonly answer: (i: OrderIntent) => RiskResult = () => ({ ok: true })) {}
  check(intent: OrderIntent): RiskResult {
    this.intents.push(intent);
    return this.answer(intent);
  }
}

const allSettings = (over: Partial<AssetSettings> = {}): AssetSettingsProvider => ({
  requestAssetSettings: async () => [SAMSUNG, HYNIX, KIA].map((id) => settingsFor(id, over)),
});

function setup(opts: {
  broker: RecordingBroker;
  strategies: BoundStrategy[];
  risk?: RecordingRisk;
  state?: MemoryStateStore;
  settings?: AssetSettingsProvider;
  clock?: TestClock;
  config?: unknown;
}) {
  const clock = opts.clock ?? new TestClock(T0);
  const state = opts.state ?? new MemoryStateStore();
  const recorder = new MemoryRecorder();
  const risk = opts.risk ?? new RecordingRisk();
  const runner = new StrategyRunner({
    broker: opts.broker,
    risk,
    settings: opts.settings ?? allSettings(),
    state,
    recorder,
    clock,
    logger: silentLogger(),
    calendar: new KrxCalendar(),
    costs: TEST_COSTS,
    strategies: opts.strategies,
    config: opts.config ?? { fillPollAttempts: 3, fillPollIntervalMs: 1_000 },
  });
  return { runner, clock, state, recorder, risk };
}

/** Drives the test clock until the run settles (fill polling sleeps on it). Never sleeps for real. */
async function drive<T>(clock: TestClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 1_000 && !done; i++) await clock.advanceAsync(500);
  return p;
}

const dcaWeekly = () => bindStrategy(dcaStrategy, { instruments: [{ code: '005930', amountKrw: 1_000_000 }] }, 'dca-weekly');

describe('StrategyRunner: stale open orders are cancelled first', () => {
  it('cancels our orders older than 30 min before fetching the balance; fresh and foreign open orders block their instrument', async () => {
    const broker = new RecordingBroker(10_000_000);
    const state = new MemoryStateStore();
    const old = { venueOrderId: '0000000111', instrumentId: SAMSUNG, side: 'BUY' as const, quantity: 5, price: 189_000 };
    const fresh = { venueOrderId: '0000000222', instrumentId: HYNIX, side: 'BUY' as const, quantity: 1, price: 940_000 };
    const foreign = { venueOrderId: '0000000333', instrumentId: KIA, side: 'SELL' as const, quantity: 3, price: 175_000 };
    broker.open = [statusOf(old), statusOf(fresh), statusOf(foreign)];
    const tracked = (o: typeof old, ageMin: number, id: string) => ({
      clientOrderId: id,
      strategyId: 'dca-weekly',
      instrumentId: o.instrumentId,
      side: o.side,
      orderType: 'LIMIT',
      quantity: o.quantity,
      price: o.price,
      kind: 'DCA',
      submittedAt: T0 - ageMin * 60_000,
      sessionDate: TODAY,
      status: 'WORKING',
      venueOrderId: o.venueOrderId,
      branch: '06010',
      filledQuantity: 0,
      filledValue: 0,
    });
    state.values.set('runner/runner/orders', [tracked(old, 31, 'runner-old-1'), tracked(fresh, 10, 'runner-fresh-1')]);
    const dca = bindStrategy(dcaStrategy, {
      instruments: [
        { code: '005930', amountKrw: 1_000_000 },
        { code: '000660', amountKrw: 1_000_000 },
        { code: '000270', amountKrw: 1_000_000 },
      ],
    });
    const { runner, clock } = setup({ broker, strategies: [dca], state });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));

    expect(broker.cancels.map((c) => c.venueOrderId)).toEqual(['0000000111']);
    const iCancel = broker.calls.indexOf('cancelOrder 0000000111');
    expect(iCancel).toBeGreaterThan(-1);
    expect(iCancel).toBeLessThan(broker.calls.indexOf('requestBalance'));
    expect(iCancel).toBeLessThan(broker.calls.findIndex((c) => c.startsWith('submitOrder')));
    expect(report.cancels).toEqual([expect.objectContaining({ clientOrderId: 'runner-old-1', status: 'CANCEL_REQUESTED', remainingQuantity: 5, ageMs: 31 * 60_000 })]);
    // Only 005930 (its stale order cancelled) gets a new order; the others are blocked by open orders.
    expect(broker.submits.map((s) => s.instrumentId)).toEqual([SAMSUNG]);
    expect(report.skips.filter((s) => s.source === 'RUNNER').map((s) => [s.instrumentId, s.code])).toEqual([
      [HYNIX, 'OPEN_ORDER_PENDING'],
      [KIA, 'OPEN_ORDER_PENDING'],
    ]);
    // The cancelled order stays in the book (CANCEL_REQUESTED) until a later run sees it closed.
    const book = state.values.get('runner/runner/orders') as { clientOrderId: string; status: string }[];
    expect(book.map((b) => [b.clientOrderId, b.status])).toEqual([
      ['runner-old-1', 'CANCEL_REQUESTED'],
      ['runner-fresh-1', 'WORKING'],
      [report.orders[0]!.clientOrderId, 'WORKING'],
    ]);
  });
});

describe('StrategyRunner: dry run', () => {
  it('sends nothing and writes nothing, but reports each decision, its risk result and what it would submit', async () => {
    const broker = new RecordingBroker(100_000_000, [positionOf(SAMSUNG, 300, 150_000, 190_100), positionOf(HYNIX, 20, 700_000, 949_000), positionOf(KIA, 100, 120_000, 171_800)]);
    broker.balance = { ...broker.balance, cash: { ...broker.balance.cash, settlementD2: krw(6_810_000) } };
    const state = new MemoryStateStore();
    const stale = { venueOrderId: '0000000111', instrumentId: SAMSUNG, side: 'SELL' as const, quantity: 1, price: 200_000 };
    broker.open = [statusOf(stale)];
    state.values.set('runner/runner/orders', [
      {
        clientOrderId: 'runner-x-1',
        strategyId: 'rebalance',
        instrumentId: SAMSUNG,
        side: 'SELL',
        orderType: 'LIMIT',
        quantity: 1,
        price: 200_000,
        kind: 'REBALANCE',
        submittedAt: T0 - 3_600_000,
        sessionDate: TODAY,
        status: 'WORKING',
        venueOrderId: '0000000111',
        branch: '06010',
        filledQuantity: 0,
        filledValue: 0,
      },
    ]);
    const before = structuredClone([...state.values]);
    const rebalance = bindStrategy(rebalanceStrategy, {
      targets: [
        { code: '005930', weightBps: 4_000 },
        { code: '000660', weightBps: 3_000 },
        { code: '000270', weightBps: 2_000 },
      ],
      cashWeightBps: 1_000,
      cashReserve: { krw: 2_000_000 },
    });
    const { runner, clock, recorder, risk } = setup({ broker, strategies: [rebalance], state });
    const report = await drive(clock, runner.runOnce({ dryRun: true }));

    expect(broker.calls.filter((c) => c.startsWith('submitOrder') || c.startsWith('cancelOrder'))).toEqual([]);
    expect(broker.submits).toHaveLength(0);
    expect(broker.cancels).toHaveLength(0);
    expect(state.saves).toEqual([]);
    expect([...state.values]).toEqual(before);
    expect(recorder.orders).toEqual([]);
    expect(recorder.fills).toEqual([]);
    // It still ran the risk check on each order.
    expect(risk.intents.map((i) => `${i.side} ${i.quantity} ${i.instrumentId}`)).toEqual(['SELL 90 005930', 'BUY 11 000660', 'BUY 16 000270']);

    expect(report.dryRun).toBe(true);
    expect(report.cancels).toEqual([expect.objectContaining({ status: 'WOULD_CANCEL', venueOrderId: '0000000111' })]);
    expect(report.orders.map((o) => [o.status, o.side, o.quantity, o.instrumentId, o.price])).toEqual([
      ['WOULD_SUBMIT', 'SELL', 90, SAMSUNG, 190_100],
      ['WOULD_SUBMIT', 'BUY', 11, HYNIX, 949_000],
      ['WOULD_SUBMIT', 'BUY', 16, KIA, 171_800],
    ]);
    expect(report.decisions.map((d) => [d.decision.type, d.outcome, d.risk])).toEqual([
      ['ORDER', 'DRY_RUN', 'OK'],
      ['ORDER', 'DRY_RUN', 'OK'],
      ['ORDER', 'DRY_RUN', 'OK'],
    ]);
    const text = formatRunReport(report);
    expect(text).toContain('DRY RUN');
    expect(text).toContain('would cancel stale order runner-x-1 (SELL 1 005930 LIMIT @ 200,000, 1 left, 60 min old)');
    expect(text).toContain('would submit SELL 90 005930 LIMIT @ 190,100 (risk check passed) because portfolio 100,000,000 won');
    expect(text).toContain('dry run: buys below are funded as if the sells above filled at their limit prices');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('StrategyRunner: risk denial', () => {
  it('stops the order, reports the denial, and leaves the DCA period open', async () => {
    const broker = new RecordingBroker(10_000_000);
    const risk = new RecordingRisk(() => ({ ok: false, denial: { code: 'MAX_ORDER_VALUE', detail: 'notional=950500, limit=500000' } }));
    const { runner, clock, state, recorder } = setup({ broker, strategies: [dcaWeekly()], risk });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toEqual([]);
    expect(recorder.orders).toEqual([]);
    expect(report.denials).toEqual([
      { strategyId: 'dca-weekly', clientOrderId: report.decisions[0]!.clientOrderId, instrumentId: SAMSUNG, code: 'MAX_ORDER_VALUE', detail: 'notional=950500, limit=500000' },
    ]);
    expect(report.decisions[0]).toMatchObject({ outcome: 'DENIED', risk: 'DENIED' });
    expect(risk.intents[0]).toMatchObject({ side: 'BUY', quantity: 5, price: 190_100, notional: 950_500, kind: 'DCA', strategyId: 'dca-weekly' });
    expect(state.values.get('strategy/runner/dca-weekly')).toEqual({ lastPeriod: {} });
  });

  it('a risk check that throws counts as a denial', async () => {
    const broker = new RecordingBroker(10_000_000);
    const risk = new RecordingRisk(() => {
      throw new Error('risk engine unavailable');
    });
    const { runner, clock } = setup({ broker, strategies: [dcaWeekly()], risk });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toEqual([]);
    expect(report.denials[0]).toMatchObject({ code: 'RISK_CHECK_FAILED', detail: expect.stringContaining('risk engine unavailable') });
  });
});

describe('StrategyRunner: submit outcomes', () => {
  it('an outcome-unknown submit is never resent: reported, kept as UNKNOWN, and its instrument blocked until found', async () => {
    const broker = new RecordingBroker(10_000_000);
    broker.submitBehaviour = () => new BrokerError('KIS_TIMEOUT', 'outcome-unknown', 'order-cash timed out');
    // A second strategy that also buys 005930 (its own state does not know about the first order).
    const other = bindStrategy(dcaStrategy, { period: 'DAY', instruments: [{ code: '005930', amountKrw: 500_000 }] }, 'dca-daily');
    const { runner, clock, state, recorder } = setup({ broker, strategies: [dcaWeekly(), other] });
    const first = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toHaveLength(1);
    expect(first.orders).toEqual([expect.objectContaining({ status: 'OUTCOME_UNKNOWN', error: expect.objectContaining({ code: 'KIS_TIMEOUT', disposition: 'outcome-unknown' }) })]);
    expect(first.skips).toContainEqual(expect.objectContaining({ source: 'RUNNER', strategyId: 'dca-daily', code: 'UNRESOLVED_ORDER' }));
    expect(recorder.orders.map((o) => o.status)).toEqual(['OUTCOME_UNKNOWN']);
    // DCA counts the period as done (the order may be live).
    expect(state.values.get('strategy/runner/dca-weekly')).toEqual({ lastPeriod: { '005930': '2026-W08' } });
    expect((state.values.get('runner/runner/orders') as { status: string }[]).map((o) => o.status)).toEqual(['UNKNOWN']);

    // Five minutes later the venue does not list it yet: still blocked, still not resent.
    broker.submitBehaviour = (_r, n) => ack(`00000${n}`);
    clock.advance(5 * 60_000);
    const second = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toHaveLength(1);
    expect(second.unresolved).toEqual([expect.objectContaining({ status: 'UNKNOWN', clientOrderId: first.orders[0]!.clientOrderId })]);
    expect(second.skips).toContainEqual(expect.objectContaining({ strategyId: 'dca-daily', code: 'UNRESOLVED_ORDER' }));

    // Then the venue lists a matching order (same instrument, side, quantity, price): it is adopted.
    const live = { venueOrderId: '0000000777', instrumentId: SAMSUNG, side: 'BUY' as const, quantity: 5, price: 190_100 };
    broker.ordersAnswers = [[statusOf(live, { filled: 5 })]];
    clock.advance(60_000);
    const third = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(third.unresolved).toEqual([expect.objectContaining({ status: 'RESOLVED', detail: 'found at the venue as order 0000000777' })]);
    expect(recorder.fills).toEqual([expect.objectContaining({ venueOrderId: '0000000777', quantity: 5, cumulativeQuantity: 5, value: 950_500 })]);
    // Settled: the daily DCA may now buy (a new order, the second submit ever).
    expect(broker.submits).toHaveLength(2);
    expect(broker.submits[1]).toMatchObject({ instrumentId: SAMSUNG, quantity: 2 });
  });

  it('a SUBMITTING record left by a crash is treated as outcome-unknown', async () => {
    const broker = new RecordingBroker(10_000_000);
    const state = new MemoryStateStore();
    state.values.set('runner/runner/orders', [
      {
        clientOrderId: 'runner-crash-1',
        strategyId: 'dca-weekly',
        instrumentId: SAMSUNG,
        side: 'BUY',
        orderType: 'LIMIT',
        quantity: 5,
        price: 190_100,
        kind: 'DCA',
        submittedAt: T0 - 60_000,
        sessionDate: TODAY,
        status: 'SUBMITTING',
        filledQuantity: 0,
        filledValue: 0,
      },
    ]);
    const { runner, clock } = setup({ broker, strategies: [dcaWeekly()], state });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toEqual([]);
    expect(report.skips).toContainEqual(expect.objectContaining({ code: 'UNRESOLVED_ORDER', instrumentId: SAMSUNG }));
  });

  it('a rejected submit is reported, recorded, and the period stays open', async () => {
    const broker = new RecordingBroker(10_000_000);
    broker.submitBehaviour = () => new BrokerError('KIS_REJECTED', 'rejected', 'APBK0919 주문가능금액을 초과 했습니다');
    const { runner, clock, state, recorder } = setup({ broker, strategies: [dcaWeekly()] });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(report.orders).toEqual([expect.objectContaining({ status: 'REJECTED', error: expect.objectContaining({ code: 'KIS_REJECTED' }) })]);
    expect(report.decisions[0]).toMatchObject({ outcome: 'REJECTED' });
    expect(recorder.orders.map((o) => o.status)).toEqual(['REJECTED']);
    expect(state.values.get('strategy/runner/dca-weekly')).toEqual({ lastPeriod: {} });
    expect(state.values.get('runner/runner/orders')).toEqual([]);
  });

  it('a fatal submit error stops every later submit of the run', async () => {
    const broker = new RecordingBroker(10_000_000);
    broker.submitBehaviour = () => new BrokerError('KIS_AUTH_INVALID', 'fatal');
    const dca = bindStrategy(dcaStrategy, {
      instruments: [
        { code: '005930', amountKrw: 1_000_000 },
        { code: '000270', amountKrw: 1_000_000 },
      ],
    });
    const { runner, clock } = setup({ broker, strategies: [dca] });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toHaveLength(1);
    expect(report.skips).toContainEqual(expect.objectContaining({ instrumentId: KIA, code: 'RUN_ABORTED' }));
  });
});

describe('StrategyRunner: fill confirmation and sells before buys', () => {
  it('polls requestOrders on the injected clock, records fill deltas, funds buys only with confirmed sells', async () => {
    const broker = new RecordingBroker(6_810_000, [positionOf(SAMSUNG, 300, 150_000, 190_100), positionOf(HYNIX, 20, 700_000, 949_000), positionOf(KIA, 100, 120_000, 171_800)]);
    const sell = { venueOrderId: '000001', instrumentId: SAMSUNG, side: 'SELL' as const, quantity: 90, price: 190_100 };
    const buyHynix = { venueOrderId: '000002', instrumentId: HYNIX, side: 'BUY' as const, quantity: 11, price: 949_000 };
    const buyKia = { venueOrderId: '000003', instrumentId: KIA, side: 'BUY' as const, quantity: 16, price: 171_800 };
    broker.ordersAnswers = [
      [statusOf(sell, { filled: 40 })],
      [statusOf(sell, { filled: 90 })],
      [statusOf(sell, { filled: 90 }), statusOf(buyHynix, { filled: 11 }), statusOf(buyKia)],
    ];
    const rebalance = bindStrategy(rebalanceStrategy, {
      targets: [
        { code: '005930', weightBps: 4_000 },
        { code: '000660', weightBps: 3_000 },
        { code: '000270', weightBps: 2_000 },
      ],
      cashWeightBps: 1_000,
      cashReserve: { krw: 2_000_000 },
    });
    const { runner, clock, recorder, state } = setup({ broker, strategies: [rebalance] });
    const start = clock.now();
    const report = await drive(clock, runner.runOnce({ dryRun: false }));

    // The sell went first; its fills were confirmed (40, then 90) before any buy was sent.
    const submitCalls = broker.calls.filter((c) => c.startsWith('submitOrder'));
    expect(submitCalls).toEqual(['submitOrder SELL 90 005930 @190100', 'submitOrder BUY 11 000660 @949000', 'submitOrder BUY 16 000270 @171800']);
    const iFirstBuy = broker.calls.indexOf(submitCalls[1]!);
    expect(broker.calls.slice(0, iFirstBuy).filter((c) => c.startsWith('requestOrders'))).toHaveLength(2);
    expect(recorder.fills.map((f) => [f.clientOrderId.split('-').pop(), f.quantity, f.cumulativeQuantity, f.value])).toEqual([
      ['1', 40, 40, 7_604_000],
      ['1', 50, 90, 9_505_000],
      ['2', 11, 11, 10_439_000],
    ]);
    expect(report.decisions.map((d) => d.outcome)).toEqual(['FILLED', 'FILLED', 'WORKING']);
    // Polling waited on the test clock: 1 s between the two sell queries, 2 × 1 s for the buys.
    expect(clock.now() - start).toBeGreaterThanOrEqual(1_000);
    // The working buy stays in the order book for the next run.
    expect((state.values.get('runner/runner/orders') as { venueOrderId: string }[]).map((o) => o.venueOrderId)).toEqual(['000003']);
    expect(report.lines).toContain('1 order(s) still working after 3 status queries; a later run settles them (and cancels them once stale)');
  });

  it('an unfilled sell funds no buy', async () => {
    const broker = new RecordingBroker(6_810_000, [positionOf(SAMSUNG, 300, 150_000, 190_100), positionOf(HYNIX, 20, 700_000, 949_000), positionOf(KIA, 100, 120_000, 171_800)]);
    broker.ordersAnswers = [[]];
    const rebalance = bindStrategy(rebalanceStrategy, {
      targets: [
        { code: '005930', weightBps: 4_000 },
        { code: '000660', weightBps: 3_000 },
        { code: '000270', weightBps: 2_000 },
      ],
      cashWeightBps: 1_000,
      cashReserve: { krw: 2_000_000 },
    });
    const { runner, clock } = setup({ broker, strategies: [rebalance] });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    // Cash 6,810,000: the 000660 buy (10,440,565 won) needs the sell's proceeds, which never arrived.
    expect(broker.submits.map((s) => `${s.side} ${s.instrumentId}`)).toEqual(['SELL 005930', 'BUY 000270']);
    expect(report.skips).toContainEqual(
      expect.objectContaining({ source: 'RUNNER', instrumentId: HYNIX, code: 'INSUFFICIENT_CASH', reason: expect.stringContaining('confirmed sells 0') }),
    );
  });
});

describe('StrategyRunner: the runner checks every decision', () => {
  /** A tiny strategy written against the documented interface: one order, as given. */
  function fixed(order: { side: 'BUY' | 'SELL'; quantity: number; orderType?: 'LIMIT' | 'MARKET'; limitPrice?: number; id?: InstrumentId }): BoundStrategy {
    const s: Strategy<{ note: string }, Record<string, never>> = {
      name: 'fixed',
      configSchema: z.strictObject({ note: z.string().default('') }),
      stateSchema: z.strictObject({}) as unknown as z.ZodType<Record<string, never>>,
      initialState: () => ({}),
      instruments: () => [order.id ?? SAMSUNG],
      decide: () => [
        {
          type: 'ORDER',
          instrumentId: order.id ?? SAMSUNG,
          side: order.side,
          quantity: quantity(order.quantity),
          orderType: order.orderType ?? 'LIMIT',
          ...(order.limitPrice === undefined ? {} : { limitPrice: price(order.limitPrice) }),
          kind: 'ENTRY',
          reason: 'test',
        },
      ],
    };
    return bindStrategy(s, {});
  }
  const run = async (strategy: BoundStrategy, opts: { settings?: AssetSettingsProvider; at?: number; positions?: AccountBalanceReport['positions'] } = {}) => {
    const broker = new RecordingBroker(10_000_000, opts.positions ?? []);
    const { runner, clock } = setup({ broker, strategies: [strategy], clock: new TestClock(opts.at ?? T0), ...(opts.settings ? { settings: opts.settings } : {}) });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    return { broker, report, code: report.skips[0]?.code };
  };

  it('off-tick and out-of-limit prices, order type, settings, minimum order, sellable, cash, phase', async () => {
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_150 }))).code).toBe('INVALID_PRICE');
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 250_000 }))).code).toBe('INVALID_PRICE');
    expect((await run(fixed({ side: 'BUY', quantity: 1, orderType: 'MARKET' }))).code).toBe('ORDER_TYPE_MISMATCH');
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_100 }), { settings: allSettings({ tradingEnabled: false }) })).code).toBe('TRADING_DISABLED');
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_100 }), { settings: allSettings({ minimumOrderKrw: krw(200_000) }) })).code).toBe(
      'BELOW_MINIMUM_ORDER',
    );
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_100, id: instrumentId('035420') }))).code).toBe('NO_SETTINGS');
    expect((await run(fixed({ side: 'SELL', quantity: 11, limitPrice: 190_100 }), { positions: [positionOf(SAMSUNG, 20, 1, 190_100, 10)] })).code).toBe('EXCEEDS_SELLABLE');
    expect((await run(fixed({ side: 'BUY', quantity: 53, limitPrice: 190_100 }))).code).toBe('INSUFFICIENT_CASH');
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_100 }), { at: kstInstant(TODAY, '08:00') })).code).toBe('MARKET_PHASE');
    expect((await run(fixed({ side: 'BUY', quantity: 1, limitPrice: 190_100 }), { at: kstInstant('2026-02-21', '10:00') })).code).toBe('MARKET_PHASE');
    // A sell of the whole position is exempt from the minimum order.
    const whole = await run(fixed({ side: 'SELL', quantity: 1, limitPrice: 190_100 }), {
      positions: [positionOf(SAMSUNG, 1, 1, 190_100)],
      settings: allSettings({ minimumOrderKrw: krw(500_000) }),
    });
    expect(whole.broker.submits).toHaveLength(1);
    // And a valid one goes through.
    expect((await run(fixed({ side: 'BUY', quantity: 52, limitPrice: 190_100 }))).broker.submits).toHaveLength(1);
  });

  it('stop-take through the runner, with signals and the JSON report', async () => {
    const broker = new RecordingBroker(0, [positionOf(SAMSUNG, 40, 128_500, 190_100)]);
    const st = bindStrategy(stopTakeStrategy, { takeProfitPct: 20 });
    const { runner, clock } = setup({ broker, strategies: [st] });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toEqual([{ instrumentId: SAMSUNG, side: 'SELL', orderType: 'LIMIT', quantity: 40, price: 189_900, instrumentKind: 'STOCK' }]);
    expect(report.phase).toBe('CONTINUOUS');
    expect(report.sessionDate).toBe(kstDateOf(T0));
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('signals are stored through the state port (not in a dry run), with their numbers', async () => {
    // Minute bars around 190,000 won (synthetic, for this test), then the last trade far below the band.
    const bars: MinuteBar[] = Array.from({ length: 20 }, (_, i) => {
      const p = 190_000 + (i % 2) * 100;
      const start = kstInstant(TODAY, '09:00') + i * 60_000;
      return { instrumentId: SAMSUNG, start: unixMillis(start), end: unixMillis(start + 60_000), time: '', open: p, high: p + 100, low: p - 100, close: p, volume: 10, value: p * 10, trades: 1 };
    });
    const bands = bindStrategy(vwapAtrBandsStrategy, { instruments: [{ code: '005930', budgetKrw: 1_000_000 }] });
    const source: MinuteBarSource = { requestMinuteBars: async () => bars };
    for (const dryRun of [true, false]) {
      const broker = new RecordingBroker(10_000_000);
      broker.closes['005930'] = { last: 189_000, base: 190_000 };
      const clock = new TestClock(T0);
      const state = new MemoryStateStore();
      const runner = new StrategyRunner({
        broker,
        risk: new RecordingRisk(),
        settings: allSettings(),
        state,
        recorder: new MemoryRecorder(),
        clock,
        logger: silentLogger(),
        calendar: new KrxCalendar(),
        minuteBars: source,
        costs: TEST_COSTS,
        strategies: [bands],
      });
      const report = await drive(clock, runner.runOnce({ dryRun }));
      expect(report.signals).toEqual([expect.objectContaining({ signal: 'WATCH', instrumentId: SAMSUNG, price: 189_000, stored: !dryRun })]);
      expect(state.signals).toEqual(
        dryRun ? [] : [expect.objectContaining({ runnerId: 'runner', strategyId: 'vwap-atr-bands', signal: 'WATCH', price: 189_000, values: expect.objectContaining({ bars: 20 }) })],
      );
      expect(state.values.get('strategy/runner/vwap-atr-bands')).toEqual(dryRun ? undefined : { sessionDate: TODAY, instruments: { '005930': { phase: 'BELOW', since: T0 } } });
    }
  });

  it('an invalid stored strategy state stops that strategy only (fail closed)', async () => {
    const broker = new RecordingBroker(10_000_000);
    const state = new MemoryStateStore();
    state.values.set('strategy/runner/dca-weekly', { lastPeriod: 'oops' });
    const { runner, clock } = setup({ broker, strategies: [dcaWeekly()], state });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(broker.submits).toEqual([]);
    expect(report.errors).toEqual([expect.objectContaining({ stage: 'loadState', code: 'STRATEGY_STATE_INVALID', strategyId: 'dca-weekly' })]);
  });

  it('a failed balance query aborts the run before any order', async () => {
    const broker = new RecordingBroker(10_000_000);
    broker.requestBalance = async () => {
      throw new BrokerError('KIS_HTTP', 'retryable', 'HTTP 500');
    };
    const { runner, clock } = setup({ broker, strategies: [dcaWeekly()] });
    const report = await drive(clock, runner.runOnce({ dryRun: false }));
    expect(report.aborted).toMatchObject({ stage: 'requestBalance', code: 'KIS_HTTP', disposition: 'retryable' });
    expect(broker.submits).toEqual([]);
  });

  it('config is strict; duplicate strategy ids are refused', () => {
    const broker = new RecordingBroker(0);
    expect(() => setup({ broker, strategies: [dcaWeekly()], config: { staleAfter: 1 } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => setup({ broker, strategies: [dcaWeekly(), dcaWeekly()] })).toThrow(/two strategies share this id/);
    const { runner } = setup({ broker, strategies: [], config: {} });
    expect(runner.config).toEqual({
      runnerId: 'runner',
      staleOrderAgeMs: 1_800_000,
      fillPollAttempts: 5,
      fillPollIntervalMs: 2_000,
      allowedPhases: ['CONTINUOUS'],
      unknownMatchSkewMs: 60_000,
    });
  });
});
