import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { Price, Quantity } from '../model/money.ts';
import type { OrderType } from '../model/order-types.ts';
import type { BarReport, OrderAck, OrderStatusReport, VenueOrderRef } from '../model/reports.ts';

/**
 * Ports of the position monitor. The monitor never imports an adapter or the twin: the composition
 * root wires these to the execution and data clients (KIS or sim).
 */

/** A sell order the monitor sends to exit a position. */
export interface ExitOrderCommand {
  readonly instrumentId: InstrumentId;
  readonly side: 'SELL';
  readonly orderType: OrderType;
  /** Whole shares, > 0, never more than held. */
  readonly quantity: Quantity;
  /** Limit price (won, on the tick grid, inside the daily limits); absent for MARKET. */
  readonly price?: Price;
  /** Our id of this order, unique and stable across restarts. */
  readonly clientOrderId: string;
}

/** Cancels ALL the remaining quantity of one venue order (KIS: QTY_ALL_ORD_YN = Y). */
export interface ExitCancelCommand {
  readonly instrumentId: InstrumentId;
  readonly ref: VenueOrderRef;
  /** Client order id of the order being cancelled (for logs and reconciliation). */
  readonly clientOrderId: string;
}

/** Identifies one order for a status query. */
export interface ExitOrderStatusQuery extends VenueOrderRef {
  readonly instrumentId: InstrumentId;
  /** KST date the order was placed on. */
  readonly orderDate: KstDate;
}

/** Which orders to list: one instrument's orders of a side placed at or after `since` (epoch ms). */
export interface ExitOrderQuery {
  readonly instrumentId: InstrumentId;
  readonly side: 'SELL';
  readonly since: UnixMillis;
}

/**
 * What the monitor needs from the execution client. Errors follow DESIGN.md §5: every thrown error
 * carries a `disposition`. On `submitOrder`, `rejected` means the venue refused the order; anything else
 * (`outcome-unknown`, and, conservatively, any other or missing disposition) means the order may exist,
 * and the monitor never sends it again. Commands are never retried by the port.
 */
export interface ExitOrderPort {
  /** Sends a sell order. Resolves with the venue's acknowledgement (order number and branch). */
  submitOrder(cmd: ExitOrderCommand): Promise<OrderAck>;
  /**
   * Optional: as `submitOrder`, but `durable` (the monitor's exit-intent save, holding this order's
   * client order id and terms) is still in progress, and the order must not leave before it succeeded.
   * The port's own durable work (the order executor's ledger journal) runs concurrently with it; the
   * port sends either once both succeeded, or once `durable` alone succeeded when it treats the intent
   * as the order's write-ahead record (it must then be able to recover its own record from the intent
   * log after a crash: `hantu run`'s `monitor.exitWriteAhead`). When `durable` rejects, nothing is sent
   * and this rejects with `durable`'s error itself (the same object). Without this method, the monitor
   * saves the intent first and then calls `submitOrder`.
   */
  submitOrderWhenDurable?(cmd: ExitOrderCommand, durable: Promise<void>): Promise<OrderAck>;
  /** Cancels the remaining quantity of an order. A refusal may mean the order is already filled or gone. */
  cancelOrder(cmd: ExitCancelCommand): Promise<OrderAck>;
  /**
   * Current status of one order (query; the port may retry it). `orderDate` is the KST session date
   * the order was placed on (it may be a previous day after a restart). `undefined` when the venue does
   * not know the order.
   */
  requestOrderStatus(ref: ExitOrderStatusQuery): Promise<OrderStatusReport | undefined>;
  /** Orders matching `query` (query; used to find an order whose submit outcome was unknown). */
  requestOrders(query: ExitOrderQuery): Promise<OrderStatusReport[]>;
}

/** Source of completed daily bars for ATR rules (optional; bars can also be pushed with `onDailyBars`). */
export interface DailyBarSource {
  /** The last `count` completed daily bars of an instrument, any order. */
  requestDailyBars(instrumentId: InstrumentId, count: number): Promise<BarReport[]>;
}
