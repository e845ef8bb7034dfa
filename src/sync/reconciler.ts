import type { UnixMillis } from '../core/brand.ts';
import { kstDateOf, type KstDate } from '../core/kst.ts';
import type { TradeCosts } from '../model/fees.ts';
import type { InstrumentId } from '../model/instrument.ts';
import { krw, notional, price as toPrice, quantity as toQuantity, type Krw, type Price, type Quantity } from '../model/money.ts';
import type { OrderSide } from '../model/order-types.ts';
import type { OrderStatus } from '../model/order-types.ts';
import type { AccountBalanceReport, OrderStatusReport } from '../model/reports.ts';
import type { CashBalance, FillSource, ReconciliationKind, ReconciliationStatus } from '../persistence/index.ts';

/**
 * The reconciliation rules of issue 4 §2 as one pure function: the ledger's view and a venue snapshot
 * in, the differences found and the corrections to apply out. Nothing here does I/O; `AccountSync`
 * gathers the inputs and applies the corrections through the `Ledger`.
 *
 * Merge rules:
 * 1. Fills first, per venue order: the venue's cumulative filled quantity `T` (tot_ccld_qty) against
 *    the quantity `L` the ledger has recorded for that venue order today. `T > L`: the missing
 *    `T − L` shares are recorded as ONE fill with source REST, trade id `R<T>` (unique per venue order:
 *    `T` only grows), at the price `(tot_ccld_amt − recorded value) / (T − L)` rounded to the won.
 *    IMPRECISION: when more than one fill is missing, their individual prices and times are lost (the
 *    venue reports only sums); the quantity and — up to that rounding — the value are exact. The fill's
 *    time is the later of the order time and the last recorded fill of the order, so it falls on the
 *    order's session date. An order the ledger does not know is an external order (placed outside
 *    hantu); its fills are recorded the same way and its position marked external.
 *    `T < L` is never corrected (fills are append-only): pending when the ledger's extra shares came
 *    from streamed fills newer than the snapshot (rule 2), otherwise unexplained.
 * 2. A REST snapshot taken before a streamed fill never undoes it: ledger fills whose time is at or after
 *    `snapshot.startedAt − rules.recentWindowMs` may be missing from the snapshot. A difference they
 *    account for is PENDING (no correction; the next sync looks again). The window covers the venue's
 *    second-resolution fill times and the lag of its REST view behind the notice stream.
 * 3. Positions and cash are compared after rule 1's fills (projected). A holding the venue reports
 *    differently with no fill to explain it changed outside hantu: adopted from the venue as external
 *    and reported when `rules.adoptUnexplained` (running syncs), UNEXPLAINED otherwise (startup: fail
 *    closed). A different average price with the same quantity is adopted (the venue's purchase amount
 *    is authoritative). Cash is always the venue's: deposit and D+1 move at settlement; a D+2
 *    difference no recent fill explains is adopted and reported.
 * 4. Our open orders: the venue's state is recorded; an order whose remainder the venue no longer
 *    works is canceled; an order of an earlier session is expired; an order the venue does not list
 *    gets a miss, and after `rules.lostAfterMisses` consecutive misses it is LOST (an alert).
 * 5. `rules.initial` (the ledger holds nothing for the account): the snapshot is adopted as the
 *    starting point — holdings, cash, and today's venue fills recorded WITHOUT moving the books (they
 *    are inside the adopted holdings). Needs a consistent snapshot.
 */

/** One fill as the ledger recorded it. */
export interface LedgerFillView {
  readonly venueOrderId: string;
  readonly tradeId: string;
  readonly clientOrderId: string | undefined;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Shares. */
  readonly quantity: number;
  /** Won. */
  readonly price: number;
  readonly source: FillSource;
  /** Venue time of the fill, epoch ms. */
  readonly tsEvent: number;
  /** Cash effect on D+2 (won, signed): −(value + commission) on a buy, value − commission − tax on a sell. */
  readonly cashEffect: number;
}

/** One of our orders the venue may still hold. */
export interface LedgerOrderView {
  readonly clientOrderId: string;
  readonly status: OrderStatus;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Ordered shares. */
  readonly quantity: number;
  readonly filledQty: number;
  /** Every venue number the order carried (original and modifies), oldest first. */
  readonly venueOrderIds: readonly string[];
  /** Consecutive queries in which the venue did not list the order. */
  readonly venueMisses: number;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** What the ledger holds for one account. */
export interface LedgerView {
  /** No positions, no cash row and no fills: the first sync of this account. */
  readonly empty: boolean;
  /** Non-flat positions. `costBasis` in won, excluding fees. */
  readonly positions: readonly { readonly instrumentId: InstrumentId; readonly quantity: number; readonly costBasis: number; readonly external: boolean }[];
  readonly cash: CashBalance | undefined;
  /** Fills of the session being reconciled (KST date `snapshot.today`). */
  readonly fillsToday: readonly LedgerFillView[];
  /** Our orders in an open status (SUBMITTED, ACCEPTED, PARTIALLY_FILLED, PENDING_*). */
  readonly openOrders: readonly LedgerOrderView[];
}

/** The venue's side, queried in the order balance → orders → balance. */
export interface VenueSnapshot {
  readonly balance: AccountBalanceReport;
  /** Orders of `today` (every page). */
  readonly orders: readonly OrderStatusReport[];
  /** When the first query was sent (epoch ms): nothing the venue booked before this is missing. */
  readonly startedAt: UnixMillis;
  /** The balances read before and after the orders agree: no fill landed between the queries. */
  readonly consistent: boolean;
  /** The session reconciled (KST). */
  readonly today: KstDate;
}

export interface ReconcileRules {
  readonly kind: ReconciliationKind;
  /** The ledger is empty: adopt the snapshot as the starting point (rule 5). */
  readonly initial: boolean;
  /** Adopt holdings no fill explains (running syncs) instead of reporting them UNEXPLAINED (startup). */
  readonly adoptUnexplained: boolean;
  /** Rule 2's window (ms): ledger fills this close to the snapshot may be missing from it. Default 5,000. */
  readonly recentWindowMs: number;
  /** Consecutive misses after which an order is LOST. Default 3. */
  readonly lostAfterMisses: number;
  /**
   * The session's close (epoch ms), when known. A snapshot taken at or after it expires what is left of
   * every day order of that session (KRX day orders lapse at the close; the venue's order list may still
   * show the unfilled remainder).
   */
  readonly sessionClose?: number;
  /** Commission and tax of a fill (the ledger's rates), for the cash projection. */
  readonly costsOf: (instrumentId: InstrumentId, side: OrderSide, value: Krw) => TradeCosts;
}

/** A fill to record with source REST. */
export interface RestFill {
  readonly venueOrderId: string;
  /** `R<cumulative filled quantity after this fill>`. */
  readonly tradeId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly quantity: Quantity;
  readonly price: Price;
  readonly tsEvent: UnixMillis;
  /** Of an order the ledger does not know (placed outside hantu). */
  readonly external: boolean;
}

/** A change to the ledger. Applied in list order. */
export type Correction =
  | { readonly type: 'ORDER_ACCEPTED'; readonly clientOrderId: string; readonly venueOrderId: string; readonly branch: string; readonly tsEvent: UnixMillis; readonly reason: string }
  | { readonly type: 'RECORD_FILL'; readonly fill: RestFill; readonly applyToBooks: boolean; readonly reason: string }
  /** A modify (re-price) of our order found at the venue, its new number not yet in the ledger. */
  | { readonly type: 'ORDER_MODIFIED'; readonly clientOrderId: string; readonly venueOrderId: string; readonly branch: string; readonly price: number; readonly tsEvent: UnixMillis; readonly reason: string }
  | { readonly type: 'ORDER_CANCELED'; readonly clientOrderId: string; readonly reason: string }
  | { readonly type: 'ORDER_EXPIRED'; readonly clientOrderId: string; readonly reason: string }
  | { readonly type: 'ORDER_LOST'; readonly clientOrderId: string; readonly status: OrderStatus; readonly reason: string }
  | { readonly type: 'ADOPT_POSITION'; readonly instrumentId: InstrumentId; readonly quantity: Quantity; readonly costBasis: Krw; readonly external: boolean; readonly reason: string }
  /** `settlementD2: undefined` keeps the ledger's D+2 (its fills are newer than the snapshot). */
  | { readonly type: 'ADOPT_CASH'; readonly deposit: Krw; readonly settlementD1: Krw; readonly settlementD2: Krw | undefined; readonly reason: string };

/** Bookkeeping of the venue-reported order state (not a change to our books). */
export type VenueOrderNote =
  | { readonly type: 'VENUE_REPORT'; readonly clientOrderId: string; readonly status: string; readonly filledQty: Quantity; readonly remainingQty: Quantity }
  | { readonly type: 'VENUE_MISS'; readonly clientOrderId: string };

/** How a difference was resolved. */
export type Resolution = 'CORRECTED' | 'PENDING' | 'UNEXPLAINED' | 'REPORTED';

/** One difference between the ledger and the venue. */
export interface Difference {
  readonly what: 'FILLS' | 'POSITION' | 'AVERAGE_PRICE' | 'CASH' | 'ORDER_STATE' | 'ORDER_UNKNOWN_AT_VENUE' | 'EXTERNAL_OPEN_ORDER';
  /** Instrument, venue order or client order concerned. */
  readonly ref: string;
  readonly ledger: unknown;
  readonly venue: unknown;
  readonly resolution: Resolution;
  readonly reason: string;
}

export interface ReconcileResult {
  readonly status: Exclude<ReconciliationStatus, 'FAILED'>;
  readonly differences: readonly Difference[];
  readonly corrections: readonly Correction[];
  readonly notes: readonly VenueOrderNote[];
  /** What was compared (counts), for the report. */
  readonly compared: Readonly<Record<string, unknown>>;
  /** One human line. */
  readonly summary: string;
}

const signed = (side: OrderSide, q: number): number => (side === 'BUY' ? q : -q);
const fmt = (n: number): string => n.toLocaleString('en-US');

/** The reconciliation (see the module comment for the rules). Pure. */
export function reconcile(ledger: LedgerView, venue: VenueSnapshot, rules: ReconcileRules): ReconcileResult {
  const differences: Difference[] = [];
  const corrections: Correction[] = [];
  const notes: VenueOrderNote[] = [];
  const recentFrom = venue.startedAt - rules.recentWindowMs;
  const initial = rules.initial;

  // --- our open orders ↔ venue orders --------------------------------------------------------------
  const ownerOf = new Map<string, LedgerOrderView>();
  for (const o of ledger.openOrders) for (const v of o.venueOrderIds) ownerOf.set(v, o);
  const venueById = new Map(venue.orders.map((r) => [r.venueOrderId, r] as const));
  const claimed = new Set<string>();
  const accepted: Correction[] = [];
  const closing: Correction[] = [];
  for (const o of ledger.openOrders) {
    let reports = o.venueOrderIds.map((v) => venueById.get(v)).filter((r): r is OrderStatusReport => r !== undefined);
    if (reports.length === 0 && o.venueOrderIds.length === 0 && kstDateOf(o.createdAt) === venue.today) {
      // Sent, never acknowledged (outcome unknown): a new venue order of ours with the same terms?
      const match = venue.orders.find(
        (r) => !r.isModifyOrCancel && !ownerOf.has(r.venueOrderId) && !claimed.has(r.venueOrderId) && r.instrumentId === o.instrumentId && r.side === o.side && r.quantity === o.quantity && r.tsEvent >= o.createdAt - 60_000,
      );
      if (match) {
        claimed.add(match.venueOrderId);
        ownerOf.set(match.venueOrderId, o);
        reports = [match];
        accepted.push({ type: 'ORDER_ACCEPTED', clientOrderId: o.clientOrderId, venueOrderId: match.venueOrderId, branch: match.branch, tsEvent: match.tsEvent, reason: 'the venue holds the order we sent without an answer' });
        differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: `order ${match.venueOrderId}`, resolution: 'CORRECTED', reason: 'acknowledgement missed: venue order number adopted' });
      }
    }
    // A modify (re-price) books a new order number whose row names the one it replaced: follow the
    // chain from the ledger's latest number, so the new number's fills are ours (found by the chaos
    // campaign: a sync between the modify and its journaling read the original as canceled).
    let last = o.venueOrderIds[o.venueOrderIds.length - 1] ?? reports[reports.length - 1]?.venueOrderId;
    for (let hop = 0; last !== undefined && hop < 10; hop++) {
      const from = last;
      const next = venue.orders.find(
        (r) => r.isModifyOrCancel && !r.canceled && r.originalVenueOrderId === from && !ownerOf.has(r.venueOrderId) && !claimed.has(r.venueOrderId) && r.instrumentId === o.instrumentId && r.side === o.side,
      );
      if (next === undefined) break;
      claimed.add(next.venueOrderId);
      ownerOf.set(next.venueOrderId, o);
      reports = [...reports, next];
      accepted.push({ type: 'ORDER_MODIFIED', clientOrderId: o.clientOrderId, venueOrderId: next.venueOrderId, branch: next.branch, price: next.price, tsEvent: next.tsEvent, reason: `modify of ${from} at the venue` });
      differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: `modified as ${next.venueOrderId}`, resolution: 'CORRECTED', reason: 're-price found at the venue: its new order number linked' });
      last = next.venueOrderId;
    }
    const live = reports[reports.length - 1];
    if (live === undefined) {
      if (kstDateOf(o.createdAt) < venue.today && o.status !== 'SUBMITTED') {
        closing.push({ type: 'ORDER_EXPIRED', clientOrderId: o.clientOrderId, reason: `a day order of ${kstDateOf(o.createdAt)} lapsed at that session's close` });
        differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: 'not listed today', resolution: 'CORRECTED', reason: 'order of an earlier session: expired' });
        continue;
      }
      const misses = o.venueMisses + 1;
      notes.push({ type: 'VENUE_MISS', clientOrderId: o.clientOrderId });
      if (misses >= rules.lostAfterMisses) {
        closing.push({ type: 'ORDER_LOST', clientOrderId: o.clientOrderId, status: o.status, reason: `the venue has not listed the order in ${misses} consecutive queries` });
        differences.push({ what: 'ORDER_UNKNOWN_AT_VENUE', ref: o.clientOrderId, ledger: o.status, venue: null, resolution: 'UNEXPLAINED', reason: `LOST: unknown to the venue after ${misses} queries` });
      } else {
        differences.push({ what: 'ORDER_UNKNOWN_AT_VENUE', ref: o.clientOrderId, ledger: o.status, venue: null, resolution: 'PENDING', reason: `not listed by the venue (miss ${misses} of ${rules.lostAfterMisses})` });
      }
      continue;
    }
    const working = !live.canceled && live.remainingQuantity > 0;
    const filledAll = live.filledQuantity >= live.quantity;
    if (working && rules.sessionClose !== undefined && venue.startedAt >= rules.sessionClose && kstDateOf(o.createdAt) <= venue.today) {
      notes.push({ type: 'VENUE_REPORT', clientOrderId: o.clientOrderId, status: 'EXPIRED', filledQty: live.filledQuantity, remainingQty: live.remainingQuantity });
      closing.push({ type: 'ORDER_EXPIRED', clientOrderId: o.clientOrderId, reason: `the session closed with ${live.remainingQuantity} shares unfilled: the day order lapsed` });
      differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: `EXPIRED (${live.remainingQuantity} left at the close)`, resolution: 'CORRECTED', reason: 'day order lapsed at the close' });
      continue;
    }
    notes.push({ type: 'VENUE_REPORT', clientOrderId: o.clientOrderId, status: working ? 'OPEN' : filledAll ? 'FILLED' : 'CANCELED', filledQty: live.filledQuantity, remainingQty: live.remainingQuantity });
    if (!working && !filledAll && o.status === 'PENDING_UPDATE' && !live.canceled) {
      // Our modify is in flight: the original shows nothing left because it moved to the modify order,
      // which the venue does not list yet. Not a cancel.
      differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: `${live.venueOrderId}: nothing left (modify in flight)`, resolution: 'PENDING', reason: 'our modify is in flight' });
      continue;
    }
    if (!working && !filledAll) {
      closing.push({ type: 'ORDER_CANCELED', clientOrderId: o.clientOrderId, reason: `the venue no longer works the remainder (filled ${live.filledQuantity} of ${live.quantity})` });
      differences.push({ what: 'ORDER_STATE', ref: o.clientOrderId, ledger: o.status, venue: 'CANCELED', resolution: 'CORRECTED', reason: 'remainder canceled at the venue' });
    }
  }
  corrections.push(...accepted);

  // --- rule 1: fills per venue order ---------------------------------------------------------------
  const byOrder = new Map<string, { qty: number; value: number; lastTs: number; recentQty: number }>();
  for (const f of ledger.fillsToday) {
    const a = byOrder.get(f.venueOrderId) ?? { qty: 0, value: 0, lastTs: 0, recentQty: 0 };
    a.qty += f.quantity;
    a.value += f.quantity * f.price;
    a.lastTs = Math.max(a.lastTs, f.tsEvent);
    if (f.tsEvent >= recentFrom) a.recentQty += f.quantity;
    byOrder.set(f.venueOrderId, a);
  }
  const restFills: RestFill[] = [];
  for (const r of venue.orders) {
    if (r.orderDate !== venue.today) continue;
    const have = byOrder.get(r.venueOrderId) ?? { qty: 0, value: 0, lastTs: 0, recentQty: 0 };
    const T = r.filledQuantity;
    if (T > have.qty) {
      const missing = T - have.qty;
      const missingValue = r.filledValue - have.value;
      let px = missingValue > 0 ? Math.round(missingValue / missing) : 0;
      if (px <= 0) px = r.averageFillPrice;
      const external = !ownerOf.has(r.venueOrderId);
      if (px <= 0) {
        differences.push({ what: 'FILLS', ref: r.venueOrderId, ledger: have.qty, venue: T, resolution: 'UNEXPLAINED', reason: 'the venue reports fills without a usable price' });
        continue;
      }
      const fill: RestFill = {
        venueOrderId: r.venueOrderId,
        tradeId: `R${T}`,
        instrumentId: r.instrumentId,
        side: r.side,
        quantity: toQuantity(missing),
        price: toPrice(px),
        tsEvent: Math.max(r.tsEvent, have.lastTs) as UnixMillis,
        external,
      };
      restFills.push(fill);
      const reason = initial
        ? 'fill of today recorded at the initial adoption (already inside the adopted holdings)'
        : external
          ? `fill of an order placed outside hantu, seen only by REST: adopted as external`
          : 'fill seen only by REST (notice missed): recorded with source REST';
      corrections.push({ type: 'RECORD_FILL', fill, applyToBooks: !initial, reason });
      differences.push({ what: 'FILLS', ref: `${r.venueOrderId} ${r.instrumentId} ${r.side}`, ledger: have.qty, venue: T, resolution: 'CORRECTED', reason });
    } else if (T < have.qty) {
      const explained = have.qty - have.recentQty <= T;
      differences.push({
        what: 'FILLS',
        ref: `${r.venueOrderId} ${r.instrumentId} ${r.side}`,
        ledger: have.qty,
        venue: T,
        resolution: explained ? 'PENDING' : 'UNEXPLAINED',
        reason: explained ? 'snapshot predates streamed fills: kept' : 'the ledger holds more fills than the venue reports',
      });
    }
  }
  for (const [vid, have] of byOrder) {
    if (venueById.has(vid)) continue;
    const explained = have.recentQty >= have.qty;
    differences.push({
      what: 'FILLS',
      ref: vid,
      ledger: have.qty,
      venue: null,
      resolution: explained ? 'PENDING' : 'UNEXPLAINED',
      reason: explained ? 'snapshot predates the streamed fills of an order it does not list yet' : 'the venue does not list an order the ledger has fills of',
    });
  }
  corrections.push(...closing);

  // external open orders: reported only
  for (const r of venue.orders) {
    if (r.orderDate !== venue.today || ownerOf.has(r.venueOrderId) || r.isModifyOrCancel || r.canceled || r.remainingQuantity === 0) continue;
    differences.push({ what: 'EXTERNAL_OPEN_ORDER', ref: `${r.venueOrderId} ${r.instrumentId} ${r.side}`, ledger: null, venue: { quantity: r.quantity, remaining: r.remainingQuantity, price: r.price }, resolution: 'REPORTED', reason: 'open order placed outside hantu' });
  }

  // --- rule 3: positions (projected after the REST fills) -----------------------------------------
  const projected = new Map<string, { quantity: number; costBasis: number; external: boolean }>();
  for (const p of ledger.positions) projected.set(p.instrumentId, { quantity: p.quantity, costBasis: p.costBasis, external: p.external });
  let projectedCash = ledger.cash?.settlementD2 ?? 0;
  if (!initial) {
    // Oldest first, buys before sells at the same instant (as the fills are applied): the venue lists
    // orders newest first, and a missed sell projected before the missed buy it sells would clamp at 0.
    const inOrder = [...restFills].sort((a, b) => a.tsEvent - b.tsEvent || (a.side === b.side ? 0 : a.side === 'BUY' ? -1 : 1));
    for (const f of inOrder) {
      const p = projected.get(f.instrumentId) ?? { quantity: 0, costBasis: 0, external: false };
      const value = notional(f.price, f.quantity);
      if (f.side === 'BUY') projected.set(f.instrumentId, { quantity: p.quantity + f.quantity, costBasis: p.costBasis + value, external: p.external || f.external });
      else {
        const left = Math.max(0, p.quantity - f.quantity);
        projected.set(f.instrumentId, { quantity: left, costBasis: p.quantity > 0 ? Math.floor((p.costBasis * left) / p.quantity) : 0, external: p.external || f.external });
      }
      const c = rules.costsOf(f.instrumentId, f.side, value);
      projectedCash += f.side === 'BUY' ? -(value + c.commission) : value - c.commission - c.tax;
    }
  }
  const recentByInstrument = new Map<string, { qty: number; cash: number; count: number }>();
  for (const f of ledger.fillsToday) {
    if (f.tsEvent < recentFrom) continue;
    const a = recentByInstrument.get(f.instrumentId) ?? { qty: 0, cash: 0, count: 0 };
    a.qty += signed(f.side, f.quantity);
    a.cash += f.cashEffect;
    a.count++;
    recentByInstrument.set(f.instrumentId, a);
  }
  const venuePositions = new Map(venue.balance.positions.filter((p) => p.quantity > 0).map((p) => [p.instrumentId as string, p] as const));
  const instruments = [...new Set([...venuePositions.keys(), ...[...projected.entries()].filter(([, p]) => p.quantity > 0).map(([id]) => id)])].sort();
  for (const id of instruments) {
    const v = venuePositions.get(id);
    const l = projected.get(id) ?? { quantity: 0, costBasis: 0, external: false };
    const vq = v?.quantity ?? 0;
    const vBasis = v?.purchaseAmount ?? 0;
    const instrumentId = id as InstrumentId;
    if (initial) {
      if (vq > 0) {
        corrections.push({ type: 'ADOPT_POSITION', instrumentId, quantity: toQuantity(vq), costBasis: krw(vBasis), external: true, reason: 'initial adoption: the ledger was empty' });
        differences.push({ what: 'POSITION', ref: id, ledger: 0, venue: { quantity: vq, averagePrice: v?.averagePrice }, resolution: 'CORRECTED', reason: 'initial adoption: the ledger was empty' });
      }
      continue;
    }
    if (vq === l.quantity) {
      if (vq > 0 && Math.abs(vBasis - l.costBasis) > vq) {
        corrections.push({ type: 'ADOPT_POSITION', instrumentId, quantity: toQuantity(vq), costBasis: krw(vBasis), external: l.external, reason: 'average price differs from the venue: the venue purchase amount adopted' });
        differences.push({ what: 'AVERAGE_PRICE', ref: id, ledger: l.costBasis / l.quantity, venue: v?.averagePrice, resolution: 'CORRECTED', reason: 'venue purchase amount adopted' });
      }
      continue;
    }
    const recent = recentByInstrument.get(id);
    const ledgerShown = { quantity: l.quantity, averagePrice: l.quantity > 0 ? l.costBasis / l.quantity : null };
    const venueShown = { quantity: vq, averagePrice: v?.averagePrice ?? null };
    if (recent !== undefined && recent.count > 0) {
      const explained = l.quantity - recent.qty === vq;
      differences.push({ what: 'POSITION', ref: id, ledger: ledgerShown, venue: venueShown, resolution: 'PENDING', reason: explained ? 'snapshot predates streamed fills: kept' : 'streamed fills around the snapshot: checked again at the next sync' });
      continue;
    }
    if (!venue.consistent) {
      differences.push({ what: 'POSITION', ref: id, ledger: ledgerShown, venue: venueShown, resolution: 'PENDING', reason: 'fills landed between the queries: checked again at the next sync' });
      continue;
    }
    if (rules.adoptUnexplained) {
      const reason = `holding changed outside hantu (${vq > l.quantity ? '+' : ''}${fmt(vq - l.quantity)} shares, no order today explains it): adopted as external`;
      corrections.push({ type: 'ADOPT_POSITION', instrumentId, quantity: toQuantity(vq), costBasis: krw(vBasis), external: true, reason });
      differences.push({ what: 'POSITION', ref: id, ledger: ledgerShown, venue: venueShown, resolution: 'CORRECTED', reason });
    } else {
      differences.push({ what: 'POSITION', ref: id, ledger: ledgerShown, venue: venueShown, resolution: 'UNEXPLAINED', reason: `the venue holds ${fmt(vq)} shares, the ledger ${fmt(l.quantity)}, and no fill explains it` });
    }
  }

  // --- cash ------------------------------------------------------------------------------------------
  const vc = venue.balance.cash;
  const venueCash: CashBalance = { deposit: vc.deposit, settlementD1: vc.settlementD1, settlementD2: vc.settlementD2 };
  if (initial || ledger.cash === undefined) {
    corrections.push({ type: 'ADOPT_CASH', ...venueCash, reason: 'initial adoption: the ledger had no cash' });
    differences.push({ what: 'CASH', ref: 'cash', ledger: ledger.cash ?? null, venue: venueCash, resolution: 'CORRECTED', reason: 'initial adoption' });
  } else {
    const lc = ledger.cash;
    const settlementMoved = lc.deposit !== vc.deposit || lc.settlementD1 !== vc.settlementD1;
    let d2 = krw(projectedCash);
    let d2Reason: string | undefined;
    let pending = false;
    if (projectedCash !== vc.settlementD2) {
      const recentCash = [...recentByInstrument.values()].reduce((a, r) => a + r.cash, 0);
      const recentCount = [...recentByInstrument.values()].reduce((a, r) => a + r.count, 0);
      if (recentCount > 0 || !venue.consistent) {
        pending = true;
        differences.push({
          what: 'CASH',
          ref: 'settlementD2',
          ledger: projectedCash,
          venue: vc.settlementD2,
          resolution: 'PENDING',
          reason: projectedCash - recentCash === vc.settlementD2 ? 'snapshot predates streamed fills: kept' : 'fills around the snapshot: checked again at the next sync',
        });
      } else {
        d2 = vc.settlementD2;
        d2Reason = `D+2 cash differs by ${fmt(vc.settlementD2 - projectedCash)} won with no fill to explain it (deposit, withdrawal or fee rounding outside the ledger): adopted`;
        differences.push({ what: 'CASH', ref: 'settlementD2', ledger: projectedCash, venue: vc.settlementD2, resolution: 'CORRECTED', reason: d2Reason });
      }
    }
    if (settlementMoved) {
      differences.push({ what: 'CASH', ref: 'deposit/D+1', ledger: { deposit: lc.deposit, settlementD1: lc.settlementD1 }, venue: { deposit: vc.deposit, settlementD1: vc.settlementD1 }, resolution: 'CORRECTED', reason: 'deposit and D+1 move at settlement: adopted from the venue' });
    }
    if (settlementMoved || d2Reason !== undefined) {
      // D+2 from the venue only when adopted; a pending D+2 keeps the ledger's value (its fills are newer).
      const keepD2 = pending || d2Reason === undefined;
      corrections.push({
        type: 'ADOPT_CASH',
        deposit: vc.deposit,
        settlementD1: vc.settlementD1,
        settlementD2: keepD2 ? undefined : d2,
        reason: [settlementMoved ? 'settlement cash adopted' : '', d2Reason ?? ''].filter(Boolean).join('; '),
      });
    }
  }

  const unexplained = differences.filter((d) => d.resolution === 'UNEXPLAINED');
  const changed = corrections.length > 0;
  const status: ReconcileResult['status'] = unexplained.length > 0 ? 'DIVERGED' : changed ? 'CORRECTED' : 'MATCHED';
  const pendingCount = differences.filter((d) => d.resolution === 'PENDING').length;
  const compared = {
    venuePositions: venuePositions.size,
    ledgerPositions: ledger.positions.length,
    venueOrders: venue.orders.length,
    ledgerOpenOrders: ledger.openOrders.length,
    ledgerFillsToday: ledger.fillsToday.length,
    cash: true,
    consistentSnapshot: venue.consistent,
    snapshotStartedAt: venue.startedAt,
    session: venue.today,
    initial,
  };
  const parts = [`${differences.length} difference${differences.length === 1 ? '' : 's'}`, `${corrections.length} correction${corrections.length === 1 ? '' : 's'}`];
  if (pendingCount > 0) parts.push(`${pendingCount} pending`);
  if (unexplained.length > 0) parts.push(`${unexplained.length} UNEXPLAINED`);
  const detail = differences
    .filter((d) => d.resolution !== 'PENDING')
    .slice(0, 4)
    .map((d) => `${d.what} ${d.ref}: ${d.reason}`);
  const summary = `${status}: ${parts.join(', ')}${detail.length > 0 ? ` (${detail.join('; ')}${differences.length > 4 ? '; …' : ''})` : ''}`;
  return { status, differences, corrections, notes, compared, summary };
}
