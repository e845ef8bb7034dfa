/**
 * The twin's matching engine: orders of every account against the replay's prints (MarketSource).
 *
 * Time: the engine is lazy. It advances to an instant only when asked (`advanceTo`, called by the REST
 * server with `clock.now()` before serving every request, and by the WebSocket side when it streams);
 * it then replays every print between the last instant and the new one, in time order, against the
 * orders resting at that moment. Orders see only prints after their acceptance.
 *
 * Matching rules (simple on purpose; each is a documented approximation of KRX):
 * - Sessions come from the MarketSource instants: orders are accepted from `open` until `close`
 *   (continuous trading until `closingAuctionStart`, then the closing auction). There is no opening
 *   auction: orders before `open` are refused. At `close` every open order expires (KRX day orders).
 * - On arrival in the continuous session, an order that is marketable against the SYNTHETIC book
 *   (book.ts: best ask = first grid price above the last print, best bid = first grid price below)
 *   fills at once at that opposite best: a limit buy with price >= best ask fills at the best ask, a
 *   limit sell with price <= best bid at the best bid, a market order at the best ask / bid. The
 *   quantity is capped by the replay's remaining volume for the day (daily volume − volume printed so
 *   far − what earlier immediate fills already took); the rest rests.
 * - A resting limit buy fills when a print trades at or below its price, at the LIMIT price (a sell:
 *   at or above, at its limit). A resting market order (the remainder of one) fills at the print price.
 *   Each print's volume is shared FIFO among the eligible orders of each side: market orders first,
 *   then better price, then earlier acceptance. Buys and sells each draw on the full print volume (our
 *   orders are assumed never to trade with each other).
 * - Closing auction: orders placed or resting during it do not fill until the close print (any print
 *   at or after `closingAuctionStart`); then every eligible order fills at the close price, sharing the
 *   close print's volume with the priority above.
 * - A print on a half tick (KRX midpoint orders) fills our market and auction orders at the adjacent
 *   grid price that is worse for us (buy: up, sell: down), never beyond the order's limit.
 * - Fees per fill: commission = feeOf(value, commissionBps) on both sides, tax = feeOf(value,
 *   sellTaxBps) on sells (model/money.ts `feeOf`, the one rounding function).
 * - Buying power: a buy reserves remaining quantity × reserve price + commission on it, where the
 *   reserve price is the limit price, or the upper limit for a market order (as KIS provisions a
 *   market order at 상한가). A sell reserves its remaining quantity out of the holding.
 * - Modify (정정) and cancel (취소) create a NEW order number. A modify moves the chosen quantity of the
 *   original to a new order at the new price (losing time priority); a cancel records a cancel order
 *   carrying the cancelled quantity. Both refer to the original through `origOdno`.
 */
import type { UnixMillis } from '../core/brand.ts';
import { unixMillis } from '../core/brand.ts';
import type { Logger } from '../core/logger.ts';
import { feeOf } from '../model/money.ts';
import { isOnTick, roundToTick } from '../model/tick.ts';
import { withinLimits } from '../model/price-limits.ts';
import type { ResolvedAccount, SimEnv } from './account-spec.ts';
import { SimAccountLedger } from './account.ts';
import { limitsOf, syntheticBestAsk, syntheticBestBid } from './book.ts';
import type { MarketSource, SimInstrument, SimTrade } from './market-source.ts';

/** Commission and sell tax in basis points (may carry up to 4 decimals, e.g. 1.40527). */
export interface SimFees {
  readonly commissionBps: number;
  readonly sellTaxBps: number;
}

export type SimSide = 'BUY' | 'SELL';
/** ORD_DVSN codes the engine matches: 00 지정가 (limit), 01 시장가 (market). */
export type SimOrdDvsn = '00' | '01';
/** NEW: an order; MODIFY: the new order of a 정정; CANCEL: the record of a 취소 (never rests). */
export type SimOrderKind = 'NEW' | 'MODIFY' | 'CANCEL';
/**
 * OPEN: may still fill. FILLED: fully filled. CANCELED: remainder cancelled. REPLACED: remainder moved to
 * a modify order. EXPIRED: open at the close. DONE: a CANCEL record.
 */
export type SimOrderStatus = 'OPEN' | 'FILLED' | 'CANCELED' | 'REPLACED' | 'EXPIRED' | 'DONE';
/** Market phase of the replayed session at an instant. */
export type SimPhase = 'BEFORE_OPEN' | 'CONTINUOUS' | 'CLOSING_AUCTION' | 'CLOSED';

/** One order as the engine keeps it. Quantities in shares, prices and amounts in won. */
export interface SimOrder {
  /** 10-digit order number (ODNO). */
  readonly odno: string;
  /** 5-digit branch (KRX_FWDG_ORD_ORGNO / ord_gno_brno). */
  readonly branch: string;
  /** Original order number for MODIFY / CANCEL, else ''. */
  readonly origOdno: string;
  readonly accountKey: string;
  readonly kind: SimOrderKind;
  readonly side: SimSide;
  readonly code: string;
  readonly name: string;
  readonly ordDvsn: SimOrdDvsn;
  /** Ordered quantity (for CANCEL: the cancelled quantity). */
  readonly ordQty: number;
  /** Limit price; 0 for a market order. */
  readonly ordPrice: number;
  /** Price buying power is reserved at: the limit, or the upper limit for a market order. */
  readonly reservePrice: number;
  /** Acceptance instant. */
  readonly ts: UnixMillis;
  /** Global acceptance sequence (time priority). */
  readonly seq: number;
  readonly filledQty: number;
  /** Sum of fill values. */
  readonly filledValue: number;
  readonly fillCount: number;
  /** Quantity taken away by cancels or modifies. */
  readonly canceledQty: number;
  readonly commission: number;
  readonly tax: number;
  readonly status: SimOrderStatus;
}

/** Quantity still working (0 for CANCEL records). */
export function remainingOf(o: SimOrder): number {
  return o.kind === 'CANCEL' ? 0 : o.ordQty - o.filledQty - o.canceledQty;
}

/** Kind of an engine event. */
export type SimOrderEventKind = 'accepted' | 'replaced' | 'canceled' | 'filled' | 'expired';

/**
 * What the engine tells listeners (the WebSocket execution-notice stream is built on these):
 * - `accepted`: a new order (CNTG_YN 1, RCTF_CLS 0). `ordQty`/`ordPrice` as ordered.
 * - `replaced`: a modify was accepted (RCTF_CLS 1): `odno` is the new order, `origOdno` the original,
 *   `ordQty` the moved quantity, `ordPrice` the new price.
 * - `canceled`: a cancel was accepted (RCTF_CLS 2): `odno` is the cancel's number, `origOdno` the
 *   cancelled order, `ordQty` the cancelled quantity.
 * - `filled`: one fill (CNTG_YN 2) of order `odno`: `fillQty` at `fillPrice`, `fillSeq` 1, 2, … per
 *   order (de-duplicate on (odno, fillSeq)), costs of this fill in `commission`/`tax`.
 * - `expired`: the order was open at the close; `remainingQty` expired.
 * Quantities in shares, prices and costs in won, `ts` epoch ms (a fill's `ts` is its print's instant).
 */
export interface SimOrderEvent {
  readonly kind: SimOrderEventKind;
  /** CANO + ACNT_PRDT_CD. */
  readonly account: string;
  readonly cano: string;
  readonly acntPrdtCd: string;
  readonly htsId: string;
  readonly env: SimEnv;
  readonly odno: string;
  readonly origOdno: string;
  readonly branch: string;
  readonly code: string;
  readonly name: string;
  readonly side: SimSide;
  readonly ordDvsn: SimOrdDvsn;
  readonly ordQty: number;
  readonly ordPrice: number;
  /** 0 unless `filled`. */
  readonly fillQty: number;
  readonly fillPrice: number;
  readonly fillSeq: number;
  readonly commission: number;
  readonly tax: number;
  /** Filled so far / still working on the order `odno` refers to (for `canceled`: on `origOdno`). */
  readonly cumFillQty: number;
  readonly remainingQty: number;
  readonly ts: UnixMillis;
}

/** Why the engine refused a command (mapped to KIS codes by the REST layer, kis-codes.ts). */
export type SimRejectReason =
  | 'ACCOUNT_UNKNOWN'
  | 'CODE_UNKNOWN'
  | 'MARKET_NOT_OPEN'
  | 'MARKET_CLOSED'
  | 'QUANTITY_INVALID'
  | 'PRICE_OFF_TICK'
  | 'PRICE_OUT_OF_LIMIT'
  | 'CASH_INSUFFICIENT'
  | 'HOLDINGS_INSUFFICIENT'
  | 'ORDER_NOT_FOUND'
  | 'NOTHING_TO_MODIFY'
  | 'MODIFY_QTY_EXCEEDS';

/** Outcome of a command: the order created, or the refusal. */
export type SimCommandResult = { readonly ok: true; readonly order: SimOrder } | { readonly ok: false; readonly reason: SimRejectReason };

/** A new order. `price` is ignored for a market order. */
export interface SimSubmitRequest {
  readonly accountKey: string;
  readonly side: SimSide;
  readonly code: string;
  readonly ordDvsn: SimOrdDvsn;
  /** Shares (whole, >= 1). */
  readonly qty: number;
  /** Won, on the tick grid, inside the daily limits (limit orders). */
  readonly price: number;
}

/** A modify (정정) or cancel (취소) of an open order. */
export interface SimAmendRequest {
  readonly accountKey: string;
  readonly origOdno: string;
  /** When not empty, must be the original's branch. */
  readonly branch?: string;
  readonly action: 'MODIFY' | 'CANCEL';
  /** True: the whole remaining quantity (QTY_ALL_ORD_YN=Y); false: `qty` shares. */
  readonly allQty: boolean;
  readonly qty: number;
  /** The modify's new order kind and price (MODIFY only). */
  readonly ordDvsn: SimOrdDvsn;
  readonly price: number;
}

export interface SimEngineOptions {
  readonly market: MarketSource;
  readonly fees: SimFees;
  readonly accounts: readonly ResolvedAccount[];
  /** Branch number on every order (default '06010', the branch of the KIS examples). */
  readonly branch?: string;
  /** First order number (default 1). */
  readonly firstOrderNo?: number;
  readonly logger?: Logger;
}

type MutableOrder = { -readonly [K in keyof SimOrder]: SimOrder[K] };

/** The matching engine. One instance per twin; not thread-safe (Node is single-threaded). */
export class SimEngine {
  readonly market: MarketSource;
  readonly fees: SimFees;
  readonly branch: string;
  private readonly logger: Logger | undefined;
  private readonly ledgers = new Map<string, SimAccountLedger>();
  private readonly orderList: MutableOrder[] = [];
  private readonly byOdno = new Map<string, MutableOrder>();
  private readonly listeners = new Set<(e: SimOrderEvent) => void>();
  private readonly immediateUsed = new Map<string, number>();
  private nextNo: number;
  private seq = 0;
  private processed = 0;
  private expiredAll = false;

  constructor(opts: SimEngineOptions) {
    this.market = opts.market;
    this.fees = opts.fees;
    this.branch = opts.branch ?? '06010';
    this.logger = opts.logger;
    this.nextNo = opts.firstOrderNo ?? 1;
    for (const a of opts.accounts) this.ledgers.set(a.accountKey, new SimAccountLedger(a));
  }

  /** Instant up to which prints have been replayed (epoch ms). */
  get processedTs(): number {
    return this.processed;
  }

  /** Market phase at `ts`. */
  phaseAt(ts: number): SimPhase {
    const m = this.market;
    if (ts < m.open) return 'BEFORE_OPEN';
    if (ts < m.closingAuctionStart) return 'CONTINUOUS';
    if (ts < m.close) return 'CLOSING_AUCTION';
    return 'CLOSED';
  }

  /** Subscribes to order events; returns the unsubscribe function. Listener errors are logged and ignored. */
  onEvent(listener: (e: SimOrderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ledger of an account (CANO + ACNT_PRDT_CD), or undefined. */
  ledger(accountKey: string): SimAccountLedger | undefined {
    return this.ledgers.get(accountKey);
  }

  /** Every order of an account (including CANCEL records), in acceptance order. */
  ordersOf(accountKey: string): readonly SimOrder[] {
    return this.orderList.filter((o) => o.accountKey === accountKey);
  }

  /** An order by its number. */
  order(odno: string): SimOrder | undefined {
    return this.byOdno.get(odno);
  }

  /**
   * Replays every print in (processedTs, ts] against the resting orders, then, once `ts` reaches the
   * close, expires what is still open. Does nothing when `ts` is not after `processedTs`.
   */
  advanceTo(ts: number): void {
    if (ts <= this.processed) return;
    const close = this.market.close;
    const upTo = Math.min(ts, close);
    if (upTo > this.processed) {
      const codes = new Set(this.orderList.filter((o) => o.status === 'OPEN').map((o) => o.code));
      const prints: { code: string; t: SimTrade }[] = [];
      for (const code of codes) for (const t of this.market.tradesBetween(code, this.processed, upTo)) prints.push({ code, t });
      prints.sort((a, b) => a.t.ts - b.t.ts);
      for (const p of prints) this.matchPrint(p.code, p.t);
    }
    this.processed = ts;
    if (ts >= close && !this.expiredAll) {
      this.expiredAll = true;
      for (const o of this.orderList) {
        if (o.status !== 'OPEN') continue;
        o.status = 'EXPIRED';
        this.emit('expired', o, { ts: unixMillis(close) });
      }
    }
  }

  /** Cash not reserved by open buy orders (won): what a new buy may spend, commission included. */
  availableCash(accountKey: string): number {
    const l = this.ledgers.get(accountKey);
    if (!l) return 0;
    return l.cash - this.reservedCash(accountKey);
  }

  /** Cash reserved by open buys (won), with optional remaining-quantity overrides per order number. */
  reservedCash(accountKey: string, overrides?: ReadonlyMap<string, number>): number {
    let sum = 0;
    for (const o of this.orderList) {
      if (o.accountKey !== accountKey || o.side !== 'BUY' || o.status !== 'OPEN') continue;
      const rem = overrides?.get(o.odno) ?? remainingOf(o);
      sum += this.buyCost(rem * o.reservePrice);
    }
    return sum;
  }

  /** Shares of `code` that a new sell may use: held minus open sells' remaining quantities. */
  /**
   * Shares of each code the account has offered in open sell orders (one pass over the day's orders;
   * `sellableQty` for every holding at once).
   */
  openSellQtyByCode(accountKey: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of this.orderList) if (o.accountKey === accountKey && o.side === 'SELL' && o.status === 'OPEN') out.set(o.code, (out.get(o.code) ?? 0) + remainingOf(o));
    return out;
  }

  sellableQty(accountKey: string, code: string): number {
    const l = this.ledgers.get(accountKey);
    if (!l) return 0;
    let open = 0;
    for (const o of this.orderList) if (o.accountKey === accountKey && o.code === code && o.side === 'SELL' && o.status === 'OPEN') open += remainingOf(o);
    return l.heldQty(code) - open;
  }

  /** value + commission on it (won). */
  buyCost(value: number): number {
    return value + feeOf(value, this.fees.commissionBps);
  }

  /** Accepts or refuses a new order at `ts` (advancing the engine to `ts` first). */
  submit(req: SimSubmitRequest, ts: number): SimCommandResult {
    this.advanceTo(ts);
    const ledger = this.ledgers.get(req.accountKey);
    if (!ledger) return { ok: false, reason: 'ACCOUNT_UNKNOWN' };
    const inst = this.market.instrument(req.code);
    if (!inst) return { ok: false, reason: 'CODE_UNKNOWN' };
    const phase = this.phaseAt(ts);
    if (phase === 'BEFORE_OPEN') return { ok: false, reason: 'MARKET_NOT_OPEN' };
    if (phase === 'CLOSED') return { ok: false, reason: 'MARKET_CLOSED' };
    if (!Number.isSafeInteger(req.qty) || req.qty < 1) return { ok: false, reason: 'QUANTITY_INVALID' };
    const priced = this.checkPrice(inst, req.ordDvsn, req.price);
    if (!priced.ok) return priced;
    if (req.side === 'BUY') {
      if (this.buyCost(req.qty * priced.reserve) > this.availableCash(req.accountKey)) return { ok: false, reason: 'CASH_INSUFFICIENT' };
    } else if (req.qty > this.sellableQty(req.accountKey, req.code)) {
      return { ok: false, reason: 'HOLDINGS_INSUFFICIENT' };
    }
    const o = this.create({
      kind: 'NEW', origOdno: '', accountKey: req.accountKey, side: req.side, inst, ordDvsn: req.ordDvsn,
      qty: req.qty, price: priced.price, reserve: priced.reserve, ts,
    });
    this.emit('accepted', o, { ts: unixMillis(ts) });
    if (phase === 'CONTINUOUS') this.fillOnArrival(o, inst, ts);
    return { ok: true, order: o };
  }

  /** Accepts or refuses a modify / cancel at `ts`; on success returns the NEW order (MODIFY or CANCEL record). */
  amend(req: SimAmendRequest, ts: number): SimCommandResult {
    this.advanceTo(ts);
    if (!this.ledgers.has(req.accountKey)) return { ok: false, reason: 'ACCOUNT_UNKNOWN' };
    const orig = this.byOdno.get(req.origOdno.trim().padStart(10, '0'));
    if (!orig || orig.accountKey !== req.accountKey || orig.kind === 'CANCEL') return { ok: false, reason: 'ORDER_NOT_FOUND' };
    if (req.branch && req.branch.trim() !== '' && req.branch.trim() !== orig.branch) return { ok: false, reason: 'ORDER_NOT_FOUND' };
    const phase = this.phaseAt(ts);
    if (phase === 'BEFORE_OPEN') return { ok: false, reason: 'MARKET_NOT_OPEN' };
    if (phase === 'CLOSED') return { ok: false, reason: 'MARKET_CLOSED' };
    const rem = remainingOf(orig);
    if (orig.status !== 'OPEN' || rem <= 0) return { ok: false, reason: 'NOTHING_TO_MODIFY' };
    let k = rem;
    if (!req.allQty) {
      if (!Number.isSafeInteger(req.qty) || req.qty < 1) return { ok: false, reason: 'QUANTITY_INVALID' };
      if (req.qty > rem) return { ok: false, reason: 'MODIFY_QTY_EXCEEDS' };
      k = req.qty;
    }
    const inst = this.market.instrument(orig.code);
    if (!inst) return { ok: false, reason: 'CODE_UNKNOWN' };
    if (req.action === 'CANCEL') {
      orig.canceledQty += k;
      if (remainingOf(orig) === 0) orig.status = 'CANCELED';
      const rec = this.create({
        kind: 'CANCEL', origOdno: orig.odno, accountKey: orig.accountKey, side: orig.side, inst, ordDvsn: orig.ordDvsn,
        qty: k, price: orig.ordPrice, reserve: orig.reservePrice, ts,
      });
      rec.status = 'DONE';
      this.emit('canceled', rec, { ts: unixMillis(ts), cumFillQty: orig.filledQty, remainingQty: remainingOf(orig) });
      return { ok: true, order: rec };
    }
    const priced = this.checkPrice(inst, req.ordDvsn, req.price);
    if (!priced.ok) return priced;
    if (orig.side === 'BUY') {
      const l = this.ledgers.get(req.accountKey);
      const reservedAfter = this.reservedCash(req.accountKey, new Map([[orig.odno, rem - k]])) + this.buyCost(k * priced.reserve);
      if (!l || reservedAfter > l.cash) return { ok: false, reason: 'CASH_INSUFFICIENT' };
    }
    orig.canceledQty += k;
    if (remainingOf(orig) === 0) orig.status = 'REPLACED';
    const mod = this.create({
      kind: 'MODIFY', origOdno: orig.odno, accountKey: orig.accountKey, side: orig.side, inst, ordDvsn: req.ordDvsn,
      qty: k, price: priced.price, reserve: priced.reserve, ts,
    });
    this.emit('replaced', mod, { ts: unixMillis(ts) });
    if (phase === 'CONTINUOUS') this.fillOnArrival(mod, inst, ts);
    return { ok: true, order: mod };
  }

  // ------------------------------------------------------------------ internals

  private checkPrice(inst: SimInstrument, ordDvsn: SimOrdDvsn, p: number): { ok: true; price: number; reserve: number } | { ok: false; reason: SimRejectReason } {
    const limits = limitsOf(inst);
    if (ordDvsn === '01') return { ok: true, price: 0, reserve: limits.upper };
    if (!isOnTick(p, inst.kind)) return { ok: false, reason: 'PRICE_OFF_TICK' };
    if (!withinLimits(p, limits)) return { ok: false, reason: 'PRICE_OUT_OF_LIMIT' };
    return { ok: true, price: p, reserve: p };
  }

  private create(a: {
    kind: SimOrderKind; origOdno: string; accountKey: string; side: SimSide; inst: SimInstrument; ordDvsn: SimOrdDvsn;
    qty: number; price: number; reserve: number; ts: number;
  }): MutableOrder {
    const odno = String(this.nextNo++).padStart(10, '0');
    const o: MutableOrder = {
      odno, branch: this.branch, origOdno: a.origOdno, accountKey: a.accountKey, kind: a.kind, side: a.side,
      code: a.inst.id, name: a.inst.name, ordDvsn: a.ordDvsn, ordQty: a.qty, ordPrice: a.price, reservePrice: a.reserve,
      ts: unixMillis(a.ts), seq: this.seq++, filledQty: 0, filledValue: 0, fillCount: 0, canceledQty: 0, commission: 0, tax: 0, status: 'OPEN',
    };
    this.orderList.push(o);
    this.byOdno.set(odno, o);
    return o;
  }

  /** Immediate fill of a marketable order against the synthetic opposite best, capped by the day's remaining volume. */
  private fillOnArrival(o: MutableOrder, inst: SimInstrument, ts: number): void {
    const snap = this.market.snapshot(o.code, ts);
    if (!snap) return;
    let px: number;
    if (o.side === 'BUY') {
      px = syntheticBestAsk(inst, snap.last);
      if (o.ordDvsn === '00' && o.ordPrice < px) return;
    } else {
      px = syntheticBestBid(inst, snap.last);
      if (o.ordDvsn === '00' && o.ordPrice > px) return;
    }
    const used = this.immediateUsed.get(o.code) ?? 0;
    const cap = Math.max(0, inst.daily.volume - snap.volume - used);
    const q = Math.min(remainingOf(o), cap);
    if (q <= 0) return;
    this.immediateUsed.set(o.code, used + q);
    this.fill(o, q, px, ts);
  }

  private matchPrint(code: string, t: SimTrade): void {
    const inst = this.market.instrument(code);
    if (!inst) return;
    const auction = t.ts >= this.market.closingAuctionStart;
    for (const side of ['BUY', 'SELL'] as const) {
      const eligible = this.orderList.filter(
        (o) =>
          o.code === code && o.side === side && o.status === 'OPEN' && o.ts < t.ts && remainingOf(o) > 0 &&
          (o.ordDvsn === '01' || (side === 'BUY' ? o.ordPrice >= t.price : o.ordPrice <= t.price)),
      );
      eligible.sort((a, b) => {
        if (a.ordDvsn !== b.ordDvsn) return a.ordDvsn === '01' ? -1 : 1;
        if (a.ordPrice !== b.ordPrice) return side === 'BUY' ? b.ordPrice - a.ordPrice : a.ordPrice - b.ordPrice;
        return a.seq - b.seq;
      });
      let budget = t.volume;
      for (const o of eligible) {
        if (budget <= 0) break;
        const q = Math.min(remainingOf(o), budget);
        this.fill(o, q, this.printFillPrice(o, inst, t.price, auction), t.ts);
        budget -= q;
      }
    }
  }

  /** Price a print fills `o` at: its limit in the continuous session, else the print price on the grid. */
  private printFillPrice(o: SimOrder, inst: SimInstrument, p: number, auction: boolean): number {
    if (o.ordDvsn === '00' && !auction) return o.ordPrice;
    const limits = limitsOf(inst);
    if (o.side === 'BUY') {
      let px = Math.min(roundToTick(p, 'up', inst.kind), limits.upper);
      if (o.ordDvsn === '00') px = Math.min(px, o.ordPrice);
      return px;
    }
    let px = Math.max(roundToTick(p, 'down', inst.kind), limits.lower);
    if (o.ordDvsn === '00') px = Math.max(px, o.ordPrice);
    return px;
  }

  private fill(o: MutableOrder, qty: number, px: number, ts: number): void {
    const ledger = this.ledgers.get(o.accountKey);
    if (!ledger) return;
    const value = px * qty;
    const commission = feeOf(value, this.fees.commissionBps);
    const tax = o.side === 'SELL' ? feeOf(value, this.fees.sellTaxBps) : 0;
    if (o.side === 'BUY') ledger.applyBuy(o.code, qty, value, commission);
    else ledger.applySell(o.code, qty, value, commission, tax);
    o.filledQty += qty;
    o.filledValue += value;
    o.fillCount += 1;
    o.commission += commission;
    o.tax += tax;
    if (remainingOf(o) === 0) o.status = 'FILLED';
    this.emit('filled', o, { ts: unixMillis(ts), fillQty: qty, fillPrice: px, fillSeq: o.fillCount, commission, tax });
  }

  private emit(
    kind: SimOrderEventKind,
    o: SimOrder,
    extra: { ts: UnixMillis; fillQty?: number; fillPrice?: number; fillSeq?: number; commission?: number; tax?: number; cumFillQty?: number; remainingQty?: number },
  ): void {
    const spec = this.ledgers.get(o.accountKey)?.spec;
    if (!spec) return;
    const e: SimOrderEvent = {
      kind, account: o.accountKey, cano: spec.cano, acntPrdtCd: spec.acntPrdtCd, htsId: spec.htsId, env: spec.env,
      odno: o.odno, origOdno: o.origOdno, branch: o.branch, code: o.code, name: o.name, side: o.side, ordDvsn: o.ordDvsn,
      ordQty: o.ordQty, ordPrice: o.ordPrice, fillQty: extra.fillQty ?? 0, fillPrice: extra.fillPrice ?? 0, fillSeq: extra.fillSeq ?? 0,
      commission: extra.commission ?? 0, tax: extra.tax ?? 0,
      cumFillQty: extra.cumFillQty ?? o.filledQty, remainingQty: extra.remainingQty ?? remainingOf(o), ts: extra.ts,
    };
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.logger?.warn({ err, kind, odno: o.odno }, 'sim engine listener failed');
      }
    }
  }
}
