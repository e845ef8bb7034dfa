import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { TestClock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import { instrumentId } from '../model/instrument.ts';
import { krw, price, quantity } from '../model/money.ts';
import type { OrderEvent } from '../model/order-events.ts';
import { applyOrderEvent, createOrder, type Order } from '../model/order.ts';
import type { OrderAck, OrderStatusReport, QuoteReport, VenueOrderRef } from '../model/reports.ts';
import { isOnTick } from '../model/tick.ts';
import { OrderExecutor, slippageBound, touchPrice, type ExecutionRequest } from './executor.ts';
import type { ExecutionAudit, ExecutionVenue, JournaledOrder, OrderJournal } from './ports.ts';

// SYNTHETIC venue and journal: a scripted order book for one instrument, not market data. The journal
// applies events through the real order model, so an invalid transition fails the test.

const ID = instrumentId('005930');
const T0 = Date.UTC(2026, 1, 20, 1, 0, 0); // 10:00 KST

class Rejected extends AppError {
  readonly code = 'APBK0506';
  readonly disposition = 'rejected' as const;
}
class Timeout extends AppError {
  readonly code = 'TIMEOUT';
  readonly disposition = 'outcome-unknown' as const;
}

interface Row {
  venueOrderId: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  price: number;
  filled: number;
  value: number;
  canceled: boolean;
}

class SyntheticVenue implements ExecutionVenue {
  readonly calls: string[] = [];
  rows: Row[] = [];
  last = 70_000;
  bestBid = 69_900;
  bestAsk = 70_000;
  submitError: Error | undefined;
  modifyError: Error | undefined;
  private seq = 0;
  constructor(
    private readonly clock: TestClock,
    private readonly log: string[],
  ) {}
  private ack(): OrderAck {
    return { venueOrderId: String(++this.seq).padStart(10, '0'), branch: '06010', tsEvent: unixMillis(this.clock.now()), messageCode: 'APBK0013', message: 'ok' };
  }
  async submitOrder(req: Parameters<ExecutionVenue['submitOrder']>[0]): Promise<OrderAck> {
    this.log.push('venue.submit');
    this.calls.push(`submit ${req.side} ${req.quantity}@${req.price ?? 'MKT'}`);
    if (this.submitError) throw this.submitError;
    const a = this.ack();
    this.rows.push({ venueOrderId: a.venueOrderId, side: req.side, quantity: req.quantity, price: req.price ?? 0, filled: 0, value: 0, canceled: false });
    return a;
  }
  async modifyOrder(ref: VenueOrderRef, p: { price: number }): Promise<OrderAck> {
    this.calls.push(`modify ${ref.venueOrderId}@${p.price}`);
    if (this.modifyError) throw this.modifyError;
    const old = this.rows.find((r) => r.venueOrderId === ref.venueOrderId)!;
    const a = this.ack();
    const remaining = old.quantity - old.filled;
    old.quantity = old.filled; // the original keeps its fills; the remainder moves to the modify order
    this.rows.push({ venueOrderId: a.venueOrderId, side: old.side, quantity: remaining, price: p.price, filled: 0, value: 0, canceled: false });
    return a;
  }
  async cancelOrder(ref: VenueOrderRef): Promise<OrderAck> {
    this.calls.push(`cancel ${ref.venueOrderId}`);
    const r = this.rows.find((x) => x.venueOrderId === ref.venueOrderId)!;
    r.canceled = true;
    return this.ack();
  }
  async requestOrders(): Promise<OrderStatusReport[]> {
    return this.rows.map((r) => ({
      venueOrderId: r.venueOrderId,
      branch: '06010',
      originalVenueOrderId: '',
      instrumentId: ID,
      name: 'SYNTH',
      side: r.side,
      orderType: 'LIMIT',
      orderTypeCode: '00',
      quantity: quantity(r.quantity),
      price: r.price,
      filledQuantity: quantity(r.filled),
      filledValue: krw(r.value),
      averageFillPrice: r.filled ? Math.round(r.value / r.filled) : 0,
      remainingQuantity: quantity(r.canceled ? 0 : r.quantity - r.filled),
      rejectedQuantity: quantity(0),
      canceled: r.canceled,
      isModifyOrCancel: false,
      orderDate: '2026-02-20',
      tsEvent: unixMillis(T0),
      venue: 'KRX',
    }));
  }
  async requestQuote(): Promise<QuoteReport> {
    return { instrumentId: ID, name: 'SYNTH', last: this.last, change: 0, changePercent: 0, open: 70_000, high: 71_000, low: 69_000, volume: 1, tradedValue: 1, upperLimit: 91_000, lowerLimit: 49_000, basePrice: 70_000, tick: 100, halted: false, tsInit: unixMillis(this.clock.now()) };
  }
  async requestOrderBook() {
    return { instrumentId: ID, asks: [{ price: this.bestAsk, quantity: 10 }], bids: [{ price: this.bestBid, quantity: 10 }], time: '100000', tsInit: unixMillis(this.clock.now()) };
  }
  /** Fills `qty` of the latest live row at `px`. */
  fill(qty: number, px: number): void {
    const r = [...this.rows].reverse().find((x) => !x.canceled && x.filled < x.quantity)!;
    r.filled += qty;
    r.value += qty * px;
  }
}

class SyntheticJournal implements OrderJournal {
  readonly orders = new Map<string, { order: Order; createdAt: number }>();
  readonly audits: ExecutionAudit[] = [];
  failOpen = false;
  /** Journal writes that fail before they succeed (write-ahead retries). */
  failOpens = 0;
  /** When set, each open waits for it (a slow commit). */
  gate: Promise<void> | undefined;
  constructor(private readonly log: string[]) {}
  async open(init: Parameters<OrderJournal['open']>[0], submitted: Parameters<OrderJournal['open']>[1]): Promise<void> {
    this.log.push('journal.open');
    if (this.gate) await this.gate;
    this.log.push('journal.committed');
    if (this.failOpen) throw new Error('disk full');
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('connection lost');
    }
    this.orders.set(init.clientOrderId, { order: applyOrderEvent(createOrder(init), submitted), createdAt: init.tsEvent });
  }
  async record(event: Exclude<OrderEvent, { type: 'OrderFilled' | 'OrderInitialized' }>, when?: (o: { status: string; venueOrderIds: readonly string[] }) => boolean): Promise<boolean> {
    const s = this.orders.get(event.clientOrderId);
    if (!s) return false;
    if (when && !when(s.order)) return false;
    s.order = applyOrderEvent(s.order, event);
    return true;
  }
  async openOrders(): Promise<JournaledOrder[]> {
    return [...this.orders.values()]
      .filter((s) => ['ACCEPTED', 'PARTIALLY_FILLED'].includes(s.order.status))
      .map((s) => ({
        clientOrderId: s.order.clientOrderId,
        instrumentId: s.order.instrumentId,
        side: s.order.side,
        orderType: s.order.orderType,
        quantity: s.order.quantity,
        ...(s.order.venueOrderId ? { venueOrderId: s.order.venueOrderId, branch: s.order.branch! } : {}),
        venueOrderIds: s.order.venueOrderIds,
        status: s.order.status,
        createdAt: s.createdAt,
      }));
  }
  async audit(e: ExecutionAudit): Promise<void> {
    this.audits.push(e);
  }
  async has(id: string): Promise<boolean> {
    return this.orders.has(id);
  }
  status(id: string): string | undefined {
    return this.orders.get(id)?.order.status;
  }
}

function setup(config: Record<string, unknown> = {}) {
  const clock = new TestClock(T0);
  const log: string[] = [];
  const venue = new SyntheticVenue(clock, log);
  const journal = new SyntheticJournal(log);
  const ex = new OrderExecutor({ venue, journal, clock, logger: silentLogger(), config });
  return { clock, log, venue, journal, ex };
}

const buy = (over: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  clientOrderId: 'c-1',
  actor: 'strategy:test',
  instrumentId: ID,
  side: 'BUY',
  orderType: 'LIMIT',
  quantity: 10,
  price: 69_800,
  reference: 70_000,
  reason: 'test',
  ...over,
});

/** Runs `work` to completion, moving the test clock in poll steps. */
async function drive<T>(clock: TestClock, p: Promise<T>, stepMs = 500, onStep?: (elapsed: number) => void): Promise<T> {
  let done = false;
  let out: T | undefined;
  void p.then((v) => {
    done = true;
    out = v;
  });
  for (let t = 0; !done && t < 120_000; t += stepMs) {
    onStep?.(t);
    await clock.advanceAsync(stepMs);
  }
  if (!done) throw new Error('work did not finish within 120 s of simulated time');
  return out as T;
}

describe('OrderExecutor.place', () => {
  it('journals the order as SUBMITTED before the venue sees it, then records the acceptance', async () => {
    const { log, venue, journal, ex } = setup();
    const placed = await ex.place(buy());
    expect(log).toEqual(['journal.open', 'journal.committed', 'venue.submit']);
    expect(journal.status('c-1')).toBe('ACCEPTED');
    expect(journal.orders.get('c-1')!.order.venueOrderId).toBe(placed.ack.venueOrderId);
    expect(venue.calls).toEqual(['submit BUY 10@69800']);
    expect(journal.audits.map((a) => `${a.action} ${a.result}`)).toEqual(['order.submit OK']);
  });

  it('sends nothing when the journal cannot be written', async () => {
    const { venue, journal, ex } = setup();
    journal.failOpen = true;
    await expect(ex.place(buy())).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED', disposition: 'rejected' });
    expect(venue.calls).toEqual([]);
  });

  it('journals a venue refusal as OrderRejected and rethrows it', async () => {
    const { venue, journal, ex } = setup();
    venue.submitError = new Rejected('주문단가가 호가단위에 맞지 않습니다.');
    await expect(ex.place(buy())).rejects.toBe(venue.submitError);
    expect(journal.status('c-1')).toBe('REJECTED');
    expect(journal.audits[0]).toMatchObject({ action: 'order.submit', result: 'DENIED' });
  });

  it('leaves an outcome-unknown order SUBMITTED (for the reconciliation) and never resends it', async () => {
    const { venue, journal, ex } = setup();
    venue.submitError = new Timeout('socket hang up');
    await expect(ex.place(buy())).rejects.toBe(venue.submitError);
    expect(journal.status('c-1')).toBe('SUBMITTED');
    expect(venue.calls).toHaveLength(1);
    expect(journal.audits[0]).toMatchObject({ result: 'FAILED', detail: expect.objectContaining({ outcome: 'UNKNOWN' }) });
  });

  it('journals concurrently with the caller\'s other durable write and sends only after both', async () => {
    const { log, venue, journal, ex } = setup();
    let release!: () => void;
    const alongside = new Promise<void>((r) => (release = r)).then(() => void log.push('alongside.done'));
    const placed = ex.place(buy(), { alongside });
    // The journal write starts without waiting for the other write; nothing leaves yet.
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['journal.open', 'journal.committed']);
    expect(venue.calls).toEqual([]);
    release();
    await placed;
    expect(log).toEqual(['journal.open', 'journal.committed', 'alongside.done', 'venue.submit']);
    expect(journal.status('c-1')).toBe('ACCEPTED');
  });

  // The other durable write alongside the journal, or the caller's write-ahead record: its failure means nothing leaves.
  const durableModes = [['alongside'], ['writeAhead']] as const;

  it.each(durableModes)('sends nothing when the %s write fails: the journaled order is closed as HANTU_NOT_SENT and its error rethrown', async (mode) => {
    const { venue, journal, ex } = setup();
    const failure = new Error('intent log: disk full');
    await expect(ex.place(buy(), { [mode]: Promise.reject(failure) })).rejects.toBe(failure);
    expect(venue.calls).toEqual([]);
    expect(journal.status('c-1')).toBe('REJECTED');
    const events = journal.orders.get('c-1')!.order.events;
    expect(events.at(-1)).toMatchObject({ type: 'OrderRejected', messageCode: 'HANTU_NOT_SENT' });
    expect(journal.audits[0]).toMatchObject({ action: 'order.submit', result: 'FAILED', detail: expect.objectContaining({ outcome: 'NOT_SENT' }) });
  });

  it.each(durableModes)('sends nothing, and keeps nothing to retry, when both the journal and the %s write fail', async (mode) => {
    const { venue, journal, ex } = setup();
    journal.failOpen = true;
    const failure = new Error('intent log: disk full');
    await expect(ex.place(buy(), { [mode]: Promise.reject(failure) })).rejects.toBe(failure);
    expect(venue.calls).toEqual([]);
    expect(ex.unjournaled).toEqual([]);
  });
});

describe('OrderExecutor.place with a write-ahead record', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('sends once the write-ahead record is durable, then journals; readers wait for the journal from the start, and so does the answer', async () => {
    const { log, venue, journal, ex } = setup();
    let commit!: () => void;
    journal.gate = new Promise<void>((r) => (commit = r));
    let durable!: () => void;
    const writeAhead = new Promise<void>((r) => (durable = r)).then(() => void log.push('intent.durable'));
    const placed = ex.place(buy(), { writeAhead });
    let journaled = false;
    const barrier = ex.whenJournaled().then(() => (journaled = true));
    await tick();
    expect(log).toEqual([]); // nothing left yet; the journal write is registered but waits for the send
    expect(venue.calls).toEqual([]);
    expect(journaled).toBe(false); // a reader of the ledger already waits for it
    durable();
    await tick();
    await tick();
    expect(log).toEqual(['intent.durable', 'venue.submit', 'journal.open']); // left before the journal began
    let done = false;
    void placed.then(() => (done = true));
    await tick();
    expect(done).toBe(false); // the answer waits for the journal
    expect(journaled).toBe(false); // and so does every reader of the ledger
    commit();
    const p = await placed;
    await barrier;
    expect(journal.status('c-1')).toBe('ACCEPTED');
    expect(journal.orders.get('c-1')!.order.venueOrderId).toBe(p.ack.venueOrderId);
    expect(ex.unjournaled).toEqual([]);
  });

  it('a journal write that fails after the order left is retried at once, and the acceptance journaled', async () => {
    const { log, venue, journal, ex } = setup();
    journal.failOpens = 1;
    await ex.place(buy(), { writeAhead: Promise.resolve() });
    expect(venue.calls).toHaveLength(1);
    expect(log.filter((l) => l === 'journal.open')).toHaveLength(2);
    expect(journal.status('c-1')).toBe('ACCEPTED');
    expect(ex.unjournaled).toEqual([]);
  });

  it('a journal write that keeps failing is kept for whenJournaled, never resent to the venue, and journaled once the ledger answers', async () => {
    const { venue, journal, ex } = setup();
    journal.failOpens = 2;
    const placed = await ex.place(buy(), { writeAhead: Promise.resolve() });
    expect(placed.ack.venueOrderId).toBeTruthy(); // the caller follows the order it sent
    expect(ex.unjournaled).toEqual(['c-1']);
    expect(journal.status('c-1')).toBeUndefined();
    await ex.whenJournaled();
    expect(ex.unjournaled).toEqual([]);
    expect(journal.status('c-1')).toBe('SUBMITTED'); // the reconciliation links the venue number
    expect(venue.calls).toHaveLength(1);
  });

  it('a journal write whose commit was only reported lost is not written twice', async () => {
    const { ex, journal } = setup();
    // The first write commits, its answer is lost: the retry meets the stored order.
    const open = journal.open.bind(journal);
    let first = true;
    journal.open = async (init, submitted) => {
      await open(init, submitted);
      if (first) {
        first = false;
        throw new Error('connection reset after commit');
      }
    };
    const realOpen = journal.open;
    journal.open = async (init, submitted) => {
      if (!first && journal.orders.has(init.clientOrderId)) throw new Error('duplicate key');
      return realOpen(init, submitted);
    };
    await ex.place(buy(), { writeAhead: Promise.resolve() });
    expect(ex.unjournaled).toEqual([]);
    expect(journal.status('c-1')).toBe('ACCEPTED');
  });

  it('refuses alongside and writeAhead together', async () => {
    const { venue, ex } = setup();
    await expect(ex.place(buy(), { alongside: Promise.resolve(), writeAhead: Promise.resolve() })).rejects.toBeInstanceOf(TypeError);
    expect(venue.calls).toEqual([]);
  });
});

describe('OrderExecutor.work', () => {
  it('re-prices an unfilled limit buy after 5 s, twice, one tick further each time, then leaves it working', async () => {
    const { clock, venue, journal, ex } = setup();
    const placed = await ex.place(buy({ price: 69_800 }));
    const [r] = await drive(clock, ex.work([placed]));
    // touch = best ask 70,000; re-price 1 = +1 tick (70,100), re-price 2 = +2 ticks (70,200); cap 1 % of 70,000 = 70,700
    expect(venue.calls).toEqual(['submit BUY 10@69800', 'modify 0000000001@70100', 'modify 0000000002@70200']);
    expect(r).toMatchObject({ status: 'WORKING', reprices: 2, price: 70_200, venueOrderId: '0000000003', filledQuantity: 0 });
    expect(journal.orders.get('c-1')!.order.venueOrderIds).toEqual(['0000000001', '0000000002', '0000000003']);
    expect(journal.status('c-1')).toBe('ACCEPTED');
    expect(journal.audits.filter((a) => a.action === 'order.reprice').map((a) => a.result)).toEqual(['OK', 'OK']);
  });

  it('does not re-price before the limit timeout, and stops as soon as the order fills', async () => {
    const { clock, venue, ex } = setup();
    const placed = await ex.place(buy());
    const r = await drive(clock, ex.work([placed]), 500, (t) => {
      if (t === 4_000) venue.fill(10, 69_800);
    });
    expect(venue.calls).toEqual(['submit BUY 10@69800']);
    expect(r[0]).toMatchObject({ status: 'FILLED', filledQuantity: 10, filledValue: 698_000, reprices: 0 });
  });

  it('tracks a partial fill across re-prices (fills of every venue number count)', async () => {
    const { clock, venue, ex } = setup();
    const placed = await ex.place(buy());
    const r = await drive(clock, ex.work([placed]), 500, (t) => {
      if (t === 1_000) venue.fill(4, 69_800); // on the original number
      if (t === 7_000) venue.fill(6, 70_100); // on the first modify
    });
    expect(r[0]).toMatchObject({ status: 'FILLED', filledQuantity: 10, filledValue: 4 * 69_800 + 6 * 70_100, latestFilledQuantity: 6, reprices: 1 });
  });

  it('never re-prices beyond the slippage cap', async () => {
    const { clock, venue, ex } = setup({ slippageBps: 20 }); // 70,000 × 1.002 = 70,140 → 70,100
    const placed = await ex.place(buy({ price: 70_000 }));
    venue.bestAsk = 70_500; // the market ran away
    const [r] = await drive(clock, ex.work([placed]));
    expect(venue.calls).toEqual(['submit BUY 10@70000', 'modify 0000000001@70100']);
    expect(r).toMatchObject({ reprices: 1, price: 70_100, status: 'WORKING' });
    expect(r!.note).toMatch(/slippage cap/);
  });

  it('re-prices a sell downward from the best bid', async () => {
    const { clock, venue, ex } = setup();
    const placed = await ex.place(buy({ side: 'SELL', price: 70_100, reference: 70_000 }));
    await drive(clock, ex.work([placed]));
    expect(venue.calls).toEqual(['submit SELL 10@70100', 'modify 0000000001@69800', 'modify 0000000002@69700']);
  });

  it('gives a market order 2 s and does not re-price it', async () => {
    const { clock, venue, ex } = setup();
    const placed = await ex.place(buy({ orderType: 'MARKET', price: undefined }));
    const started = clock.now();
    const [r] = await drive(clock, ex.work([placed]), 250);
    expect(venue.calls).toEqual(['submit BUY 10@MKT']);
    expect(r).toMatchObject({ status: 'WORKING', reprices: 0 });
    expect(clock.now() - started).toBeLessThan(3_000 + 250);
  });

  it('journals a refused modify as OrderModifyRejected and stops re-pricing', async () => {
    const { clock, venue, journal, ex } = setup();
    const placed = await ex.place(buy());
    venue.modifyError = new Rejected('정정할 수량이 없습니다');
    const [r] = await drive(clock, ex.work([placed]));
    expect(r!.note).toMatch(/refused/);
    expect(journal.status('c-1')).toBe('ACCEPTED');
    expect(journal.orders.get('c-1')!.order.events.map((e) => e.type)).toEqual(['OrderInitialized', 'OrderSubmitted', 'OrderAccepted', 'OrderPendingUpdate', 'OrderModifyRejected']);
  });
});

describe('OrderExecutor.reviewStale', () => {
  it('cancels only our orders working longer than the stale age', async () => {
    const { clock, venue, journal, ex } = setup({ staleOrderAgeMs: 3_600_000 });
    await ex.place(buy({ clientOrderId: 'old' }));
    clock.advance(3_000_000);
    await ex.place(buy({ clientOrderId: 'young' }));
    clock.advance(700_000);
    const r = await ex.reviewStale();
    expect(r.cancelled).toEqual(['old']);
    expect(venue.calls.filter((c) => c.startsWith('cancel'))).toEqual(['cancel 0000000001']);
    expect(journal.status('old')).toBe('PENDING_CANCEL');
    expect(journal.status('young')).toBe('ACCEPTED');
  });
});

describe('pricing', () => {
  it('touchPrice is on the grid, inside the limits, and monotone in the offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 900_000 }), fc.constantFrom('BUY' as const, 'SELL' as const), fc.integer({ min: -3, max: 5 }), (last, side, off) => {
        const q = { last, upperLimit: Math.floor(last * 1.3), lowerLimit: Math.ceil(last * 0.7) };
        const a = touchPrice(side, q, 'STOCK', off)!;
        const b = touchPrice(side, q, 'STOCK', off + 1)!;
        expect(isOnTick(a)).toBe(true);
        expect(a).toBeLessThanOrEqual(q.upperLimit);
        expect(a).toBeGreaterThanOrEqual(q.lowerLimit);
        if (side === 'BUY') expect(b).toBeGreaterThanOrEqual(a);
        else expect(b).toBeLessThanOrEqual(a);
      }),
    );
  });

  it('slippageBound never allows more than the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 900_000 }), fc.integer({ min: 0, max: 3_000 }), (ref, b) => {
        expect(slippageBound('BUY', ref, b, 'STOCK')).toBeLessThanOrEqual((ref * (10_000 + b)) / 10_000);
        expect(slippageBound('SELL', ref, b, 'STOCK')).toBeGreaterThanOrEqual((ref * (10_000 - b)) / 10_000);
      }),
    );
    expect(slippageBound('BUY', 70_000, 100, 'STOCK')).toBe(price(70_700));
  });
});
