/**
 * Ports of the order executor. The execution layer imports no adapter and no store: the composition
 * root (`src/node`) wires the venue to the KIS client (or the twin's) and the journal to the ledger
 * (`persistence`). Money in whole won, quantities in whole shares, instants in epoch ms.
 *
 * Errors follow DESIGN.md §5: on a command (`submitOrder`, `modifyOrder`, `cancelOrder`) only an error
 * with `disposition: 'rejected'` means "not done"; anything else is outcome-unknown and is never resent.
 */
import type { KstDate } from '../core/kst.ts';
import type { InstrumentKind, InstrumentId, Market } from '../model/instrument.ts';
import type { OrderEvent, OrderFilled, OrderInitialized, OrderSubmitted } from '../model/order-events.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type { OrderAck, OrderBookReport, OrderStatusReport, QuoteReport, VenueOrderRef } from '../model/reports.ts';

/** What the executor needs of the broker (KIS or the twin). Structurally a subset of `KisClient`. */
export interface ExecutionVenue {
  submitOrder(req: {
    readonly instrumentId: InstrumentId;
    readonly side: OrderSide;
    readonly orderType: OrderType;
    readonly quantity: number;
    readonly price?: number;
    readonly instrumentKind?: InstrumentKind;
  }): Promise<OrderAck>;
  /** Re-prices ALL the remaining quantity of an order (KIS books it as a new order number). */
  modifyOrder(ref: VenueOrderRef, p: { readonly price: number; readonly instrumentKind?: InstrumentKind }): Promise<OrderAck>;
  /** Cancels all the remaining quantity of an order. */
  cancelOrder(ref: VenueOrderRef): Promise<OrderAck>;
  /** Orders (with cumulative fills) of the KST dates `from`..`to`. */
  requestOrders(range: { readonly from: KstDate; readonly to: KstDate }): Promise<OrderStatusReport[]>;
  /** Last price and daily limits (the re-pricing reference when there is no order book). */
  requestQuote(id: InstrumentId): Promise<QuoteReport>;
  /** Best bid and ask (optional). */
  requestOrderBook?(id: InstrumentId): Promise<OrderBookReport>;
}

/** An entry of the audit trail (who, what, on what, result, detail). Account numbers are masked by the store. */
export interface ExecutionAudit {
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly result: 'OK' | 'DENIED' | 'FAILED';
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An order of ours the venue may still hold, as the journal knows it. */
export interface JournaledOrder {
  readonly clientOrderId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: number;
  readonly price?: number;
  /** Latest venue order number and branch (absent while in flight). */
  readonly venueOrderId?: string;
  readonly branch?: string;
  /** Every venue number the order has had (modifies add one). */
  readonly venueOrderIds: readonly string[];
  /** ACCEPTED, PARTIALLY_FILLED, PENDING_UPDATE, … (the order model's status). */
  readonly status: string;
  /** When we created it (epoch ms). */
  readonly createdAt: number;
}

/**
 * Where every order step is written: the ledger's orders and order events plus the audit log.
 * `open` must be durable before it resolves: the order is then findable after a crash, before it can
 * have reached the venue.
 */
export interface OrderJournal {
  /** Stores a new order already marked SUBMITTED (intent + submit in one durable write). */
  open(init: OrderInitialized, submitted: OrderSubmitted, meta: { readonly reason: string }): Promise<void>;
  /**
   * Appends an event if the order still waits for it (`when` on the stored order, under its lock);
   * returns false when it did not apply (someone — the execution-notice path — recorded it first).
   */
  record(event: Exclude<OrderEvent, OrderFilled | OrderInitialized>, when?: (o: { readonly status: string; readonly venueOrderIds: readonly string[] }) => boolean): Promise<boolean>;
  /** Our orders the venue may hold (in flight or working). */
  openOrders(): Promise<readonly JournaledOrder[]>;
  /** Whether the journal holds order `clientOrderId` (any status). */
  has(clientOrderId: string): Promise<boolean>;
  audit(entry: ExecutionAudit): Promise<void>;
}

/** Market of an instrument (for per-market price offsets); unknown instruments count as KOSPI. */
export type MarketOf = (id: InstrumentId) => Market | undefined;
