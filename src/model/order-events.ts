import type { UnixMillis } from '../core/brand.ts';
import type { InstrumentId } from './instrument.ts';
import type { Krw, Price, Quantity } from './money.ts';
import type { OrderSide, OrderType } from './order-types.ts';

/**
 * Order events: the only way an order changes (style anchors §1.3, §4.5). Each is an immutable fact,
 * named in the past tense, discriminated by `type`. `tsEvent` is when it happened (venue time for
 * venue events, our clock for local ones), `tsInit` when we created the object; both epoch ms.
 * Money is whole won, quantities whole shares.
 *
 * Who emits what: the strategy/execution engine emits OrderInitialized, OrderSubmitted,
 * OrderPendingCancel and OrderPendingUpdate; the risk engine emits OrderDenied; the venue adapter (KIS
 * or the twin) emits everything else, and only from definitive evidence (DESIGN.md §5).
 */

/** Our identifier of an order, unique per trading node and stable across restarts. */
export type ClientOrderId = string;
/** The venue's order number (KIS ODNO, 10 digits, kept as the venue's string). Changes on every modify. */
export type VenueOrderId = string;
/** A fill's sequence, unique only within one venue order (KIS fill sequence per ODNO). */
export type TradeId = string;

/** Fields every order event carries. */
export interface OrderEventBase {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  /** When it happened, epoch ms (venue time for venue events). */
  readonly tsEvent: UnixMillis;
  /** When this object was created, epoch ms. */
  readonly tsInit: UnixMillis;
}

/** The order was created locally; nothing was sent. Always the first event of an order. */
export interface OrderInitialized extends OrderEventBase {
  readonly type: 'OrderInitialized';
  readonly side: OrderSide;
  readonly orderType: OrderType;
  /** Ordered shares (> 0). */
  readonly quantity: Quantity;
  /** Limit price in won, on the tick grid; required for LIMIT, absent for MARKET. */
  readonly price?: Price;
  /** Strategy that owns the order (`EXTERNAL` style ids for orders found at the venue). */
  readonly strategyId?: string;
  /** Free-form label for logs and the dashboard. */
  readonly tag?: string;
}

/** Why our own risk engine refused an order: a stable code plus the numbers that tripped it. */
export interface DenialReason {
  /** UPPER_SNAKE, e.g. `PRICE_OUTSIDE_DAILY_LIMIT`. */
  readonly code: string;
  /** key=value detail, e.g. `price=175000, upper=167000`. */
  readonly detail: string;
}

/** Our risk engine refused the order before it was sent (never a venue answer). Terminal. */
export interface OrderDenied extends OrderEventBase {
  readonly type: 'OrderDenied';
  readonly reason: DenialReason;
}

/**
 * The order command was handed to the venue client. The order stays SUBMITTED until the venue
 * answers, including after a timeout or transport error (outcome unknown: reconcile, never resend).
 */
export interface OrderSubmitted extends OrderEventBase {
  readonly type: 'OrderSubmitted';
}

/** The venue acknowledged the order and gave it a number. */
export interface OrderAccepted extends OrderEventBase {
  readonly type: 'OrderAccepted';
  readonly venueOrderId: VenueOrderId;
  /** KIS branch / organisation number (KRX_FWDG_ORD_ORGNO), needed to modify or cancel. */
  readonly branch: string;
}

/** The venue definitively refused the order. Terminal. */
export interface OrderRejected extends OrderEventBase {
  readonly type: 'OrderRejected';
  /** The venue's message (KIS msg1). */
  readonly reason: string;
  /** The venue's code (KIS msg_cd). */
  readonly messageCode: string;
}

/** A cancel request was sent for the order's remaining quantity. */
export interface OrderPendingCancel extends OrderEventBase {
  readonly type: 'OrderPendingCancel';
}

/** A modify request (price and/or quantity) was sent. */
export interface OrderPendingUpdate extends OrderEventBase {
  readonly type: 'OrderPendingUpdate';
}

/** The venue canceled the order's remaining quantity (at our request or on its own). */
export interface OrderCanceled extends OrderEventBase {
  readonly type: 'OrderCanceled';
}

/** The venue refused our cancel request (e.g. nothing left to cancel). */
export interface OrderCancelRejected extends OrderEventBase {
  readonly type: 'OrderCancelRejected';
  readonly reason: string;
  readonly messageCode: string;
}

/**
 * The venue applied a modify. KIS books a modify as a new order with a new ODNO: fills after this event
 * carry `venueOrderId`; fills of the earlier number may still arrive.
 */
export interface OrderUpdated extends OrderEventBase {
  readonly type: 'OrderUpdated';
  /** The new venue order number (KIS ODNO of the modify order). */
  readonly venueOrderId: VenueOrderId;
  readonly branch: string;
  /** New limit price (won); absent when unchanged. Only for LIMIT orders. */
  readonly price?: Price;
  /**
   * New TOTAL ordered quantity including what is already filled (shares, > 0, >= filled). The adapter
   * converts KIS's "quantity of the modify order" (the remainder) into this total.
   */
  readonly quantity: Quantity;
}

/** The venue refused our modify request. */
export interface OrderModifyRejected extends OrderEventBase {
  readonly type: 'OrderModifyRejected';
  readonly reason: string;
  readonly messageCode: string;
}

/** The order's remainder lapsed at the end of its validity (a KRX day order after the close). */
export interface OrderExpired extends OrderEventBase {
  readonly type: 'OrderExpired';
}

/** One execution against the order. */
export interface OrderFilled extends OrderEventBase {
  readonly type: 'OrderFilled';
  /** The venue order that traded (after a modify, the new or an earlier number). */
  readonly venueOrderId: VenueOrderId;
  /** Fill sequence, unique within `venueOrderId`: (venueOrderId, tradeId) identifies the fill. */
  readonly tradeId: TradeId;
  /** Must equal the order's side; lets portfolio code consume fills without the order. */
  readonly side: OrderSide;
  /** Shares in this fill (> 0). */
  readonly lastQty: Quantity;
  /** Price of this fill (won). */
  readonly lastPx: Price;
  /** Commission on this fill (won, >= 0), from `tradeCosts` with the account's rates. */
  readonly commission: Krw;
  /** Sell-side transaction tax on this fill (won, >= 0; 0 on buys), from `tradeCosts`. */
  readonly tax: Krw;
}

/** Every order event. Switch on `type`; `assertNever` in the default branch. */
export type OrderEvent =
  | OrderInitialized
  | OrderDenied
  | OrderSubmitted
  | OrderAccepted
  | OrderRejected
  | OrderPendingCancel
  | OrderPendingUpdate
  | OrderCanceled
  | OrderCancelRejected
  | OrderUpdated
  | OrderModifyRejected
  | OrderExpired
  | OrderFilled;

/** The discriminant values of `OrderEvent`. */
export type OrderEventType = OrderEvent['type'];

/** Every `OrderEventType`, in lifecycle order (for tables and exhaustive tests). */
export const ORDER_EVENT_TYPES = [
  'OrderInitialized',
  'OrderDenied',
  'OrderSubmitted',
  'OrderAccepted',
  'OrderRejected',
  'OrderPendingCancel',
  'OrderPendingUpdate',
  'OrderCanceled',
  'OrderCancelRejected',
  'OrderUpdated',
  'OrderModifyRejected',
  'OrderExpired',
  'OrderFilled',
] as const satisfies readonly OrderEventType[];

// Compile-time check that ORDER_EVENT_TYPES lists every member of the union.
type _MissingEventTypes = Exclude<OrderEventType, (typeof ORDER_EVENT_TYPES)[number]>;
const _allEventTypesListed: [_MissingEventTypes] extends [never] ? true : never = true;
void _allEventTypesListed;
