/**
 * The order executor: the one path by which hantu's own orders reach the venue (issue 5 §4).
 *
 * `place` — journal first, then send:
 *   1. the order is written to the ledger as SUBMITTED (intent + submit, one durable transaction)
 *      BEFORE the venue sees it, so after a crash (kill -9 at any point) the startup reconciliation
 *      finds every order that may be live and resolves it by query — nothing is sent twice. In
 *      write-ahead mode (`writeAhead`: the monitor's exit intent, already durable, is the order's
 *      record) the ledger write follows the send instead, and the caller copies such orders into the
 *      ledger at the next start before the reconciliation (`recoverExitOrders` in src/node);
 *   2. the venue's answer is journaled: OrderAccepted (venue order number), OrderRejected, or nothing
 *      (outcome unknown: the order stays SUBMITTED for the reconciliation; it is never resent);
 *   3. every step goes to the audit log.
 *
 * `work` — after `place`, a batch of orders is watched on the injected clock: one order query per poll
 * for the whole batch; a LIMIT order not done `limitTimeoutMs` (5 s) after it was placed or re-priced
 * is re-priced (a modify of all its remaining shares, which KIS books as a new order number) up to
 * `maxReprices` (2) times, each `repriceStepTicks` more aggressive than the touch plus the market's
 * offset, never beyond the slippage cap (`slippageBps` from the reference price) nor the daily limits;
 * when the next price would be no better, re-pricing stops and the order is left working. A MARKET
 * order gets `marketTimeoutMs` (2 s) and is then reported as it stands (nothing to re-price). Partial
 * fills are tracked across every venue number of the order.
 *
 * `reviewStale` — our orders still working longer than `staleOrderAgeMs` (default 2 h) are cancelled
 * (the daemon runs it on a schedule).
 *
 * Money in whole won, quantities in whole shares, rates in basis points, instants in epoch ms.
 */
import { z } from 'zod';
import { unixMillis } from '../core/brand.ts';
import type { Clock } from '../core/clock.ts';
import { AppError, ConfigError, type Disposition } from '../core/errors.ts';
import { kstDateOf } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { InstrumentId, InstrumentKind, Market } from '../model/instrument.ts';
import { price as toPrice, quantity as toQuantity, type Price } from '../model/money.ts';
import type { OrderInitialized, OrderSubmitted } from '../model/order-events.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type { OrderAck, OrderStatusReport } from '../model/reports.ts';
import { addTicks, roundToTick } from '../model/tick.ts';
import type { ExecutionAudit, ExecutionVenue, JournaledOrder, MarketOf, OrderJournal } from './ports.ts';

const sideOffsets = z.strictObject({ BUY: z.number().int().min(-10).max(10).default(0), SELL: z.number().int().min(-10).max(10).default(0) }).prefault({});

/** Executor configuration. Defaults live only here. */
export const ExecutionConfigSchema = z.strictObject({
  /** A MARKET order not done after this long (ms) is reported as it stands. */
  marketTimeoutMs: z.number().int().min(0).max(600_000).default(2_000),
  /** A LIMIT order not done this long (ms) after it was placed or last re-priced is re-priced. */
  limitTimeoutMs: z.number().int().min(0).max(3_600_000).default(5_000),
  /** Re-prices per order (each one a modify of the remaining shares). */
  maxReprices: z.number().int().min(0).max(10).default(2),
  /** Each re-price is this many ticks more aggressive than the previous level. */
  repriceStepTicks: z.number().int().min(1).max(20).default(1),
  /** Wait between two order queries of a batch (ms, injected clock). */
  pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
  /** How far a re-priced limit may be worse than the reference price (bps; the risk engine's SLIPPAGE_BPS). */
  slippageBps: z.number().int().min(0).max(3_000).default(100),
  /**
   * Limit price offsets from the touch (buy: best ask; sell: best bid; else the last trade), in ticks,
   * per market and side; positive = more aggressive (buy higher, sell lower). Default 0: at the touch.
   */
  offsetTicks: z.strictObject({ KOSPI: sideOffsets, KOSDAQ: sideOffsets, KONEX: sideOffsets }).prefault({}),
  /** Our orders working longer than this (ms since placed) are cancelled by `reviewStale`. */
  staleOrderAgeMs: z.number().int().min(60_000).default(2 * 3_600_000),
});
export type ExecutionConfig = z.infer<typeof ExecutionConfigSchema>;

/** Parses an executor configuration. @throws ConfigError listing every bad key (path `execution.<key>`). */
export function executionConfig(raw: unknown = {}): ExecutionConfig {
  const r = ExecutionConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => ({ path: ['execution', ...i.path.map(String)].join('.'), message: i.message })));
  return r.data;
}

/** An order to place. */
export interface ExecutionRequest {
  /** Ours, unique per node and stable across restarts. */
  readonly clientOrderId: string;
  /** Who wants it, for the audit log: `strategy:<id>`, `monitor`, `cli`. */
  readonly actor: string;
  readonly strategyId?: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  /** Whole shares, > 0. */
  readonly quantity: number;
  /** Limit price (won, on the tick grid); LIMIT only. */
  readonly price?: number;
  readonly instrumentKind?: InstrumentKind;
  /** Price (won) the slippage cap of re-prices is measured from; default the limit price. */
  readonly reference?: number;
  readonly reason: string;
}

/** An order the venue acknowledged. */
export interface PlacedOrder {
  readonly request: ExecutionRequest;
  readonly ack: OrderAck;
  /** When it was placed (epoch ms, injected clock). */
  readonly placedAt: number;
}

/** Where an order stands after `work`. */
export interface WorkResult {
  readonly clientOrderId: string;
  /** FILLED / CANCELED (by the venue or expiry) are final; PARTIALLY_FILLED and WORKING are still live. */
  readonly status: 'FILLED' | 'PARTIALLY_FILLED' | 'WORKING' | 'CANCELED';
  /** Shares and value (won) filled over every venue number of the order. */
  readonly filledQuantity: number;
  readonly filledValue: number;
  /** Shares and value (won) filled on the latest venue number only. */
  readonly latestFilledQuantity: number;
  readonly latestFilledValue: number;
  readonly reprices: number;
  /** Latest venue number and branch (after re-prices, the last modify's). */
  readonly venueOrderId: string;
  readonly branch: string;
  /** Every venue number, oldest first. */
  readonly venueOrderIds: readonly string[];
  /** Current limit price (won); absent for MARKET. */
  readonly price?: number;
  /** Why re-pricing stopped, when it did before `maxReprices`. */
  readonly note?: string;
}

/** A refusal before anything was sent (the journal could not be written). */
export class ExecutionJournalError extends AppError {
  readonly code = 'JOURNAL_WRITE_FAILED';
  readonly disposition = 'rejected' as const;
}

/** Options of {@link OrderExecutor}. */
export interface OrderExecutorOptions {
  readonly venue: ExecutionVenue;
  readonly journal: OrderJournal;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Raw configuration (see {@link ExecutionConfigSchema}). */
  readonly config?: unknown;
  /** Market of an instrument, for the per-market offsets (default KOSPI for all). */
  readonly marketOf?: MarketOf;
}

function dispositionOf(e: unknown): Disposition | undefined {
  return typeof e === 'object' && e !== null && 'disposition' in e ? ((e as { disposition: Disposition }).disposition ?? undefined) : undefined;
}
function codeOf(e: unknown): string {
  if (typeof e !== 'object' || e === null) return 'ERROR';
  const x = e as { msgCd?: unknown; code?: unknown };
  return typeof x.msgCd === 'string' && x.msgCd ? x.msgCd : typeof x.code === 'string' ? x.code : 'ERROR';
}
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The limit price an order is placed or re-priced at (won): buy — the best ask (else the last trade)
 * rounded UP onto the grid, then `offsetTicks` higher; sell — the best bid (else the last trade)
 * rounded DOWN, then `offsetTicks` lower; clamped inside the daily limits (each rounded inward).
 * Returns undefined when there is no positive reference.
 */
export function touchPrice(
  side: OrderSide,
  q: { readonly bestBid?: number; readonly bestAsk?: number; readonly last: number; readonly upperLimit: number; readonly lowerLimit: number },
  kind: InstrumentKind,
  offsetTicks: number,
): Price | undefined {
  const touch = side === 'BUY' ? q.bestAsk : q.bestBid;
  const ref = touch !== undefined && touch > 0 ? touch : q.last;
  if (!(ref > 0)) return undefined;
  let p = side === 'BUY' ? addTicks(roundToTick(ref, 'up', kind), offsetTicks, kind) : addTicks(roundToTick(ref, 'down', kind), -offsetTicks, kind);
  if (q.upperLimit > 0 && p > q.upperLimit) p = roundToTick(q.upperLimit, 'down', kind);
  if (q.lowerLimit > 0 && p < q.lowerLimit) p = roundToTick(q.lowerLimit, 'up', kind);
  return p;
}

/**
 * The worst limit price the slippage cap allows (won, on the grid): a buy at most
 * `reference × (1 + bps/10,000)` rounded down, a sell at least `reference × (1 − bps/10,000)` rounded up.
 */
export function slippageBound(side: OrderSide, reference: number, slippageBps: number, kind: InstrumentKind): Price {
  return side === 'BUY'
    ? roundToTick(Math.floor((reference * (10_000 + slippageBps)) / 10_000), 'down', kind)
    : roundToTick(Math.ceil((reference * (10_000 - slippageBps)) / 10_000), 'up', kind);
}

interface Working {
  readonly placed: PlacedOrder;
  venueOrderId: string;
  branch: string;
  readonly venueOrderIds: string[];
  price: number | undefined;
  deadline: number;
  reprices: number;
  filledQuantity: number;
  filledValue: number;
  latestFilledQuantity: number;
  latestFilledValue: number;
  done: boolean;
  status: WorkResult['status'];
  note?: string;
}

/** See the module comment. */
export class OrderExecutor {
  readonly config: ExecutionConfig;
  private readonly log: Logger;

  /** @throws ConfigError for a bad `config` */
  constructor(private readonly o: OrderExecutorOptions) {
    this.config = executionConfig(o.config);
    this.log = o.logger.child({ component: 'executor' });
  }

  /** The configured offset (ticks) of a market and side. */
  offsetOf(id: InstrumentId, side: OrderSide): number {
    const m: Market = this.o.marketOf?.(id) ?? 'KOSPI';
    return this.config.offsetTicks[m][side];
  }

  /**
   * Journals the order (durably, as SUBMITTED), sends it, journals the answer. Resolves with the ack.
   *
   * `opts.alongside`: another durable write the caller needs before the order may leave (the monitor's
   * exit intent). It runs concurrently with the journal write, so the order leaves after the slower of
   * the two rather than after both in turn; the order is sent only when both succeeded. When
   * `alongside` fails, nothing is sent: the journaled order is recorded as OrderRejected
   * (`HANTU_NOT_SENT`) and `place` rejects with `alongside`'s own error, unchanged (the caller can tell
   * it by identity).
   *
   * `opts.writeAhead`: the caller's own durable record of this order (the monitor's exit intent,
   * holding the client order id and terms) is the write-ahead record: the order leaves
   * as soon as `writeAhead` resolved; the ledger journal write is registered at once (readers wait for
   * it from then), begins once the request is on its way, and is awaited before the answer is
   * journaled. The caller must make the ledger order
   * recoverable from its record after a crash (`hantu run` copies such orders into the ledger before
   * the startup reconciliation: `recoverExitOrders`), and every reader that must see our orders first
   * waits for {@link whenJournaled} (the account sync does, before each notice and each ledger view).
   * When `writeAhead` fails, nothing is sent, as for `alongside`. When the journal write fails after
   * the order left, it is retried once at once and then by every `whenJournaled` call; the order is
   * never resent. `alongside` and `writeAhead` are exclusive.
   * @throws ExecutionJournalError (rejected: nothing was sent) when the journal write fails (not in
   *   `writeAhead` mode, where it is retried as above)
   * @throws `alongside`'s or `writeAhead`'s error (nothing was sent) when it fails
   * @throws the venue's error unchanged: `disposition: 'rejected'` means not placed (journaled as
   *   OrderRejected); anything else is outcome-unknown (the order stays SUBMITTED; never resend it)
   */
  async place(req: ExecutionRequest, opts: { readonly alongside?: Promise<unknown>; readonly writeAhead?: Promise<unknown> } = {}): Promise<PlacedOrder> {
    if (opts.alongside !== undefined && opts.writeAhead !== undefined) throw new TypeError('place: alongside and writeAhead are exclusive');
    const now = unixMillis(this.o.clock.now());
    const base = { clientOrderId: req.clientOrderId, instrumentId: req.instrumentId, tsEvent: now, tsInit: now };
    const init: OrderInitialized = {
      ...base,
      type: 'OrderInitialized',
      side: req.side,
      orderType: req.orderType,
      quantity: toQuantity(req.quantity),
      ...(req.orderType === 'LIMIT' && req.price !== undefined ? { price: toPrice(req.price) } : {}),
      ...(req.strategyId ? { strategyId: req.strategyId } : {}),
      tag: req.actor,
    };
    const submitted: OrderSubmitted = { ...base, type: 'OrderSubmitted' };
    const notSent = async (cause: unknown): Promise<void> => {
      this.log.error({ err: cause, clientOrderId: req.clientOrderId }, 'the durable write required before sending failed: order not sent');
      await this.safely(() =>
        this.o.journal.record(
          { ...base, tsEvent: unixMillis(this.o.clock.now()), tsInit: unixMillis(this.o.clock.now()), type: 'OrderRejected', reason: `not sent: ${messageOf(cause)}`, messageCode: 'HANTU_NOT_SENT' },
          (x) => x.status === 'SUBMITTED' && x.venueOrderIds.length === 0,
        ),
      );
      await this.audit({ actor: req.actor, action: 'order.submit', target: req.clientOrderId, result: 'FAILED', detail: { outcome: 'NOT_SENT', message: messageOf(cause) } });
    };
    const writeAhead = opts.writeAhead !== undefined;
    // Write-ahead mode: the journal write is registered now (readers wait for it from this moment) but
    // begins only once the order is on its way, so that neither its CPU work nor its commit's disk
    // flush competes with the write-ahead record and the send.
    let beginJournal: () => void = () => undefined;
    if (opts.writeAhead !== undefined) {
      const gate = new Promise<void>((resolve) => (beginJournal = resolve));
      this.#startJournal(req.clientOrderId, init, submitted, req.reason, gate);
      try {
        await opts.writeAhead;
      } catch (e) {
        beginJournal();
        if (await this.#journaled(req.clientOrderId, false)) await notSent(e);
        else this.#unjournaled.delete(req.clientOrderId); // never sent, never journaled: nothing to keep
        throw e;
      }
    } else {
      const [journaled, other] = await Promise.allSettled([this.o.journal.open(init, submitted, { reason: req.reason }), opts.alongside ?? Promise.resolve()]);
      if (other.status === 'rejected') {
        if (journaled.status === 'fulfilled') await notSent(other.reason);
        throw other.reason;
      }
      if (journaled.status === 'rejected') {
        const e: unknown = journaled.reason;
        this.log.error({ err: e, clientOrderId: req.clientOrderId }, 'order not journaled: not sent');
        throw new ExecutionJournalError(`order ${req.clientOrderId} could not be journaled before sending; not sent: ${messageOf(e)}`, { clientOrderId: req.clientOrderId });
      }
    }
    const detail = { instrumentId: req.instrumentId, side: req.side, orderType: req.orderType, quantity: req.quantity, price: req.price, reason: req.reason };
    let ack: OrderAck;
    try {
      const sending = this.o.venue.submitOrder({
        instrumentId: req.instrumentId,
        side: req.side,
        orderType: req.orderType,
        quantity: req.quantity,
        ...(req.orderType === 'LIMIT' && req.price !== undefined ? { price: req.price } : {}),
        ...(req.instrumentKind ? { instrumentKind: req.instrumentKind } : {}),
      });
      // After the request's own microtasks (token, limiter, the socket write) have run.
      if (writeAhead) setImmediate(beginJournal);
      ack = await sending;
    } catch (e) {
      beginJournal();
      if (writeAhead) await this.#journaled(req.clientOrderId, true);
      if (dispositionOf(e) === 'rejected') {
        await this.safely(() =>
          this.o.journal.record({ ...base, tsEvent: unixMillis(this.o.clock.now()), type: 'OrderRejected', reason: messageOf(e), messageCode: codeOf(e) }, (x) => x.status === 'SUBMITTED'),
        );
        await this.audit({ actor: req.actor, action: 'order.submit', target: req.clientOrderId, result: 'DENIED', detail: { ...detail, code: codeOf(e), message: messageOf(e) } });
      } else {
        this.log.error({ err: e, clientOrderId: req.clientOrderId }, 'order outcome unknown: left SUBMITTED for the reconciliation, never resent');
        await this.audit({ actor: req.actor, action: 'order.submit', target: req.clientOrderId, result: 'FAILED', detail: { ...detail, outcome: 'UNKNOWN', code: codeOf(e), message: messageOf(e) } });
      }
      throw e;
    }
    if (writeAhead) await this.#journaled(req.clientOrderId, true);
    await this.safely(() =>
      this.o.journal.record(
        { ...base, tsEvent: ack.tsEvent, tsInit: unixMillis(this.o.clock.now()), type: 'OrderAccepted', venueOrderId: ack.venueOrderId, branch: ack.branch },
        (x) => x.status === 'SUBMITTED' && x.venueOrderIds.length === 0,
      ),
    );
    await this.audit({ actor: req.actor, action: 'order.submit', target: req.clientOrderId, result: 'OK', detail: { ...detail, venueOrderId: ack.venueOrderId } });
    return { request: req, ack, placedAt: this.o.clock.now() };
  }

  /**
   * Cancels all the remaining shares of one of our orders: OrderPendingCancel is journaled first (when
   * the ledger holds the order as working), then the cancel is sent; the venue's cancel notice or the
   * reconciliation records OrderCanceled. A refusal is journaled as OrderCancelRejected.
   * @throws the venue's error unchanged (a refusal may mean the order is already filled or gone)
   */
  async cancel(o: { readonly clientOrderId: string; readonly instrumentId: InstrumentId; readonly ref: { readonly venueOrderId: string; readonly branch: string }; readonly actor: string }): Promise<OrderAck> {
    const at = (): ReturnType<typeof unixMillis> => unixMillis(this.o.clock.now());
    const base = { clientOrderId: o.clientOrderId, instrumentId: o.instrumentId };
    await this.safely(() => this.o.journal.record({ ...base, tsEvent: at(), tsInit: at(), type: 'OrderPendingCancel' }, (x) => x.status === 'ACCEPTED' || x.status === 'PARTIALLY_FILLED'));
    try {
      const ack = await this.o.venue.cancelOrder(o.ref);
      await this.audit({ actor: o.actor, action: 'order.cancel', target: o.clientOrderId, result: 'OK', detail: { venueOrderId: o.ref.venueOrderId, cancelOrderId: ack.venueOrderId } });
      return ack;
    } catch (e) {
      const rejected = dispositionOf(e) === 'rejected';
      if (rejected) await this.safely(() => this.o.journal.record({ ...base, tsEvent: at(), tsInit: at(), type: 'OrderCancelRejected', reason: messageOf(e), messageCode: codeOf(e) }, (x) => x.status === 'PENDING_CANCEL'));
      await this.audit({ actor: o.actor, action: 'order.cancel', target: o.clientOrderId, result: rejected ? 'DENIED' : 'FAILED', detail: { venueOrderId: o.ref.venueOrderId, code: codeOf(e), message: messageOf(e) } });
      throw e;
    }
  }

  /**
   * Watches placed orders until each is done, re-pricing LIMIT orders that time out (see the module
   * comment). Never throws: query and modify failures are logged and audited, and the order is then
   * reported as it stands. Results in the order of `placed`.
   */
  async work(placed: readonly PlacedOrder[]): Promise<WorkResult[]> {
    const cfg = this.config;
    const ws: Working[] = placed.map((p) => ({
      placed: p,
      venueOrderId: p.ack.venueOrderId,
      branch: p.ack.branch,
      venueOrderIds: [p.ack.venueOrderId],
      price: p.request.orderType === 'LIMIT' ? p.request.price : undefined,
      deadline: p.placedAt + (p.request.orderType === 'MARKET' ? cfg.marketTimeoutMs : cfg.limitTimeoutMs),
      reprices: 0,
      filledQuantity: 0,
      filledValue: 0,
      latestFilledQuantity: 0,
      latestFilledValue: 0,
      done: false,
      status: 'WORKING',
    }));
    let first = true;
    while (ws.some((w) => !w.done)) {
      if (!first) await this.o.clock.sleep(cfg.pollIntervalMs);
      first = false;
      const now = this.o.clock.now();
      let reports: OrderStatusReport[] | undefined;
      try {
        const day = kstDateOf(now);
        reports = await this.o.venue.requestOrders({ from: day, to: day });
      } catch (e) {
        this.log.warn({ err: e }, 'order query failed; retrying at the next poll');
      }
      for (const w of ws) {
        if (w.done) continue;
        if (reports !== undefined) this.update(w, reports);
        if (w.done) continue;
        if (this.o.clock.now() < w.deadline) continue;
        if (reports === undefined) {
          // No answer at the deadline: give it one more poll, but never past a second timeout.
          if (this.o.clock.now() >= w.deadline + (w.placed.request.orderType === 'MARKET' ? cfg.marketTimeoutMs : cfg.limitTimeoutMs)) this.finish(w, 'no order query answered');
          continue;
        }
        if (w.placed.request.orderType === 'MARKET') {
          this.finish(w, `market order not done after ${cfg.marketTimeoutMs} ms`);
          continue;
        }
        if (w.reprices >= cfg.maxReprices) {
          this.finish(w);
          continue;
        }
        await this.reprice(w);
      }
    }
    return ws.map((w) => ({
      clientOrderId: w.placed.request.clientOrderId,
      status: w.status,
      filledQuantity: w.filledQuantity,
      filledValue: w.filledValue,
      latestFilledQuantity: w.latestFilledQuantity,
      latestFilledValue: w.latestFilledValue,
      reprices: w.reprices,
      venueOrderId: w.venueOrderId,
      branch: w.branch,
      venueOrderIds: [...w.venueOrderIds],
      ...(w.price === undefined ? {} : { price: w.price }),
      ...(w.note ? { note: w.note } : {}),
    }));
  }

  /** Cumulative fills over every venue number of the order; done when the latest number is finished. */
  private update(w: Working, reports: readonly OrderStatusReport[]): void {
    let qty = 0;
    let value = 0;
    for (const r of reports) {
      if (!w.venueOrderIds.includes(r.venueOrderId)) continue;
      qty += r.filledQuantity;
      value += r.filledValue;
    }
    w.filledQuantity = qty;
    w.filledValue = value;
    const latest = reports.find((r) => r.venueOrderId === w.venueOrderId);
    w.latestFilledQuantity = latest?.filledQuantity ?? 0;
    w.latestFilledValue = latest?.filledValue ?? 0;
    const total = w.placed.request.quantity;
    if (qty >= total) {
      w.done = true;
      w.status = 'FILLED';
    } else if (latest !== undefined && (latest.canceled || latest.remainingQuantity <= 0)) {
      w.done = true;
      w.status = qty > 0 ? 'PARTIALLY_FILLED' : 'CANCELED';
      w.note = 'the venue no longer works the remainder';
    } else if (qty > 0) w.status = 'PARTIALLY_FILLED';
  }

  private finish(w: Working, note?: string): void {
    w.done = true;
    if (note) w.note = note;
    if (w.status !== 'FILLED' && w.status !== 'CANCELED') w.status = w.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'WORKING';
  }

  /** One re-price of all the remaining shares (a modify), or the reason there is none. */
  private async reprice(w: Working): Promise<void> {
    const req = w.placed.request;
    const kind = req.instrumentKind ?? 'STOCK';
    const current = w.price as number;
    let next: Price | undefined;
    try {
      const quote = await this.o.venue.requestQuote(req.instrumentId);
      let bestBid: number | undefined;
      let bestAsk: number | undefined;
      if (this.o.venue.requestOrderBook) {
        try {
          const book = await this.o.venue.requestOrderBook(req.instrumentId);
          bestBid = book.bids[0]?.price;
          bestAsk = book.asks[0]?.price;
        } catch (e) {
          this.log.debug({ err: e, instrumentId: req.instrumentId }, 'order book unavailable; re-pricing from the last trade');
        }
      }
      if (quote.halted) return this.finish(w, 'instrument halted: not re-priced');
      const level = this.offsetOf(req.instrumentId, req.side) + (w.reprices + 1) * this.config.repriceStepTicks;
      next = touchPrice(req.side, { ...(bestBid ? { bestBid } : {}), ...(bestAsk ? { bestAsk } : {}), last: quote.last, upperLimit: quote.upperLimit, lowerLimit: quote.lowerLimit }, kind, level);
    } catch (e) {
      this.log.warn({ err: e, instrumentId: req.instrumentId }, 'quote for re-pricing failed');
      return this.finish(w, `no quote to re-price from: ${messageOf(e)}`);
    }
    if (next === undefined) return this.finish(w, 'no reference price to re-price from');
    const bound = slippageBound(req.side, req.reference ?? current, this.config.slippageBps, kind);
    const capped = req.side === 'BUY' ? Math.min(next, bound) : Math.max(next, bound);
    const better = req.side === 'BUY' ? capped > current : capped < current;
    if (!better) {
      await this.audit({ actor: req.actor, action: 'order.reprice', target: req.clientOrderId, result: 'DENIED', detail: { price: current, next, bound, reason: 'the slippage cap or the market leaves no better price' } });
      return this.finish(w, `re-pricing stopped: next price ${next} is not better than ${current} within the slippage cap (${bound})`);
    }
    const base = { clientOrderId: req.clientOrderId, instrumentId: req.instrumentId };
    const ts = (): ReturnType<typeof unixMillis> => unixMillis(this.o.clock.now());
    const pending = await this.safely(() =>
      this.o.journal.record({ ...base, tsEvent: ts(), tsInit: ts(), type: 'OrderPendingUpdate' }, (x) => x.status === 'ACCEPTED' || x.status === 'PARTIALLY_FILLED'),
    );
    if (pending !== true) {
      // The journal says the order is no longer working (filled or canceled meanwhile) or cannot be written.
      return this.finish(w, 'not re-priced: the ledger does not hold the order as working');
    }
    try {
      const ack = await this.o.venue.modifyOrder({ venueOrderId: w.venueOrderId, branch: w.branch }, { price: capped, instrumentKind: kind });
      await this.safely(() =>
        this.o.journal.record(
          { ...base, tsEvent: ack.tsEvent, tsInit: ts(), type: 'OrderUpdated', venueOrderId: ack.venueOrderId, branch: ack.branch, price: toPrice(capped), quantity: toQuantity(req.quantity) },
          (x) => !x.venueOrderIds.includes(ack.venueOrderId) && ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_UPDATE'].includes(x.status),
        ),
      );
      await this.audit({ actor: req.actor, action: 'order.reprice', target: req.clientOrderId, result: 'OK', detail: { from: current, to: capped, bound, venueOrderId: ack.venueOrderId, previous: w.venueOrderId } });
      this.log.info({ clientOrderId: req.clientOrderId, from: current, to: capped, venueOrderId: ack.venueOrderId }, 'order re-priced');
      w.reprices++;
      w.price = capped;
      w.venueOrderId = ack.venueOrderId;
      w.branch = ack.branch;
      w.venueOrderIds.push(ack.venueOrderId);
      w.deadline = this.o.clock.now() + this.config.limitTimeoutMs;
    } catch (e) {
      const rejected = dispositionOf(e) === 'rejected';
      if (rejected) {
        await this.safely(() => this.o.journal.record({ ...base, tsEvent: ts(), tsInit: ts(), type: 'OrderModifyRejected', reason: messageOf(e), messageCode: codeOf(e) }, (x) => x.status === 'PENDING_UPDATE'));
      }
      await this.audit({ actor: req.actor, action: 'order.reprice', target: req.clientOrderId, result: rejected ? 'DENIED' : 'FAILED', detail: { from: current, to: capped, code: codeOf(e), message: messageOf(e), ...(rejected ? {} : { outcome: 'UNKNOWN' }) } });
      this.finish(w, `re-price ${rejected ? 'refused' : 'outcome unknown'}: ${codeOf(e)} ${messageOf(e)}`);
    }
  }

  /**
   * Cancels our orders still working `staleOrderAgeMs` after they were placed (checked against the
   * venue's order list: only orders it still works are cancelled). Returns what was cancelled or failed.
   */
  async reviewStale(): Promise<{ readonly cancelled: string[]; readonly failed: { clientOrderId: string; error: string }[] }> {
    const now = this.o.clock.now();
    const cancelled: string[] = [];
    const failed: { clientOrderId: string; error: string }[] = [];
    let open: readonly JournaledOrder[];
    let reports: OrderStatusReport[];
    try {
      open = (await this.o.journal.openOrders()).filter((x) => now - x.createdAt >= this.config.staleOrderAgeMs && x.venueOrderId !== undefined && x.branch !== undefined);
      if (open.length === 0) return { cancelled, failed };
      const day = kstDateOf(now);
      reports = await this.o.venue.requestOrders({ from: day, to: day });
    } catch (e) {
      this.log.warn({ err: e }, 'stale-order review failed');
      return { cancelled, failed: [{ clientOrderId: '*', error: messageOf(e) }] };
    }
    for (const x of open) {
      const live = reports.find((r) => r.venueOrderId === x.venueOrderId);
      if (!live || live.canceled || live.remainingQuantity <= 0) continue;
      const base = { clientOrderId: x.clientOrderId, instrumentId: x.instrumentId, tsEvent: unixMillis(now), tsInit: unixMillis(now) };
      const ok = await this.safely(() => this.o.journal.record({ ...base, type: 'OrderPendingCancel' }, (s) => s.status === 'ACCEPTED' || s.status === 'PARTIALLY_FILLED'));
      if (ok !== true) continue;
      try {
        await this.o.venue.cancelOrder({ venueOrderId: x.venueOrderId as string, branch: x.branch as string });
        cancelled.push(x.clientOrderId);
        await this.audit({ actor: 'executor', action: 'order.cancel-stale', target: x.clientOrderId, result: 'OK', detail: { venueOrderId: x.venueOrderId, ageMs: now - x.createdAt, remaining: live.remainingQuantity } });
      } catch (e) {
        if (dispositionOf(e) === 'rejected') {
          await this.safely(() => this.o.journal.record({ ...base, type: 'OrderCancelRejected', reason: messageOf(e), messageCode: codeOf(e) }, (s) => s.status === 'PENDING_CANCEL'));
        }
        failed.push({ clientOrderId: x.clientOrderId, error: `${codeOf(e)} ${messageOf(e)}` });
        await this.audit({ actor: 'executor', action: 'order.cancel-stale', target: x.clientOrderId, result: 'FAILED', detail: { venueOrderId: x.venueOrderId, code: codeOf(e), message: messageOf(e) } });
      }
    }
    return { cancelled, failed };
  }

  private async audit(entry: ExecutionAudit): Promise<void> {
    await this.safely(() => this.o.journal.audit(entry));
  }

  /** Journal writes of write-ahead orders still running, by client order id. */
  readonly #journaling = new Map<string, Promise<boolean>>();
  /** Write-ahead orders whose journal write failed (retried by `whenJournaled`), by client order id. */
  readonly #unjournaled = new Map<string, { readonly init: OrderInitialized; readonly submitted: OrderSubmitted; readonly reason: string }>();

  #startJournal(id: string, init: OrderInitialized, submitted: OrderSubmitted, reason: string, after: Promise<void>): void {
    const p = after
      .then(() => this.o.journal.open(init, submitted, { reason }))
      .then(
        () => true,
        (err: unknown) => {
          this.log.error({ err, clientOrderId: id }, 'journal write of a write-ahead order failed; retried before the next ledger read');
          this.#unjournaled.set(id, { init, submitted, reason });
          return false;
        },
      )
      .finally(() => this.#journaling.delete(id));
    this.#journaling.set(id, p);
  }

  /** Waits for the journal write of write-ahead order `id`; true when it is in the ledger. `retry`: once more at once when it failed. */
  async #journaled(id: string, retry: boolean): Promise<boolean> {
    const running = this.#journaling.get(id);
    if (running !== undefined && (await running)) return true;
    if (!this.#unjournaled.has(id)) return true;
    return retry ? this.#reopen(id) : false;
  }

  /** One more journal write of an unjournaled write-ahead order; true when the ledger now holds it. */
  async #reopen(id: string): Promise<boolean> {
    const e = this.#unjournaled.get(id);
    if (e === undefined) return true;
    try {
      await this.o.journal.open(e.init, e.submitted, { reason: e.reason });
      this.#unjournaled.delete(id);
      this.log.warn({ clientOrderId: id }, 'write-ahead order journaled on retry');
      return true;
    } catch (err) {
      // The first write may have committed and only its answer been lost.
      const held = await this.o.journal.has(id).catch(() => false);
      if (held) {
        this.#unjournaled.delete(id);
        return true;
      }
      this.log.error({ err, clientOrderId: id }, 'an order at the venue is still missing from the ledger (its intent log holds it; a restart copies it in)');
      return false;
    }
  }

  /**
   * Resolves when every journal write of a write-ahead order started before the call has finished,
   * after one more attempt at each that failed. Never throws. Readers that must see every order of
   * ours that may be at the venue (the account sync's notice handling and ledger views) call it first:
   * an order's journal write starts before it is sent, so any order a notice or a venue query can show
   * is covered. Writes started later are not waited for (a burst of exits cannot starve the reader).
   */
  async whenJournaled(): Promise<void> {
    if (this.#journaling.size > 0) await Promise.allSettled([...this.#journaling.values()]);
    for (const id of [...this.#unjournaled.keys()]) await this.#reopen(id);
  }

  /** Write-ahead orders at the venue whose journal write failed so far (client order ids). */
  get unjournaled(): readonly string[] {
    return [...this.#unjournaled.keys()];
  }

  /** Runs a journal write; a failure is logged (the reconciliation repairs the ledger) and gives undefined. */
  private async safely<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.log.error({ err: e }, 'journal write failed; the reconciliation will repair the ledger');
      return undefined;
    }
  }
}
