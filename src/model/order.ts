import type { UnixMillis } from '../core/brand.ts';
import { assertNever, InvariantError } from '../core/errors.ts';
import type { InstrumentId } from './instrument.ts';
import { krw, notional, quantity, type Krw, type Price, type Quantity } from './money.ts';
import type {
  ClientOrderId,
  OrderEvent,
  OrderEventType,
  OrderFilled,
  OrderInitialized,
  OrderUpdated,
  TradeId,
  VenueOrderId,
} from './order-events.ts';
import { TERMINAL_ORDER_STATUSES, type OrderSide, type OrderStatus, type OrderType } from './order-types.ts';

// ---------------------------------------------------------------------------------------------------
// The transition table
// ---------------------------------------------------------------------------------------------------

/**
 * Where a fill moves the order: to FILLED when it leaves nothing open (`leavesQty` reaches 0),
 * otherwise to `partial`.
 */
export interface FillTransition {
  readonly partial: OrderStatus;
}

/**
 * Resolved against the order's quantities: FILLED when nothing is left (only a quantity-reducing
 * modify can get there), PARTIALLY_FILLED when something was filled, else ACCEPTED. Used when a
 * pending cancel/modify is answered and the order goes back to working.
 */
export const WORKING = 'WORKING';

/** The right-hand side of the table: a fixed status, `WORKING`, or a fill rule. */
export type TransitionTarget = OrderStatus | typeof WORKING | FillTransition;

const fill = (partial: OrderStatus): FillTransition => Object.freeze({ partial });

function freezeRows<T extends Record<string, object>>(table: T): Readonly<T> {
  for (const row of Object.values(table)) Object.freeze(row);
  return Object.freeze(table);
}

/**
 * THE order state table: `ORDER_TRANSITIONS[status][eventType]` is where `eventType` takes an order
 * in `status`; a missing entry is an invalid transition (`applyOrderEvent` throws
 * `InvariantError(ORDER_INVALID_TRANSITION)`). After NautilusTrader `_ORDER_STATE_TABLE`, adapted to
 * KIS. The rules behind the odd edges:
 *
 * 1. Strict about causality, tolerant of reordering. An event describing something that already
 *    happened at the venue may arrive after later events (WS notice vs REST answer vs query), so:
 *    - fills can overtake the ack: SUBMITTED accepts fills, and a late (or repeated) OrderAccepted is
 *      recorded without changing the status wherever an acknowledged order can be;
 *    - late fills on CANCELED and EXPIRED are accepted: KIS can report an execution that happened
 *      before the cancel took effect (or before the close). The order does NOT reopen: it stays
 *      CANCELED/EXPIRED, or becomes FILLED if the late fills complete it. NautilusTrader instead moves
 *      CANCELED to PARTIALLY_FILLED, which would make a closed venue order look open again;
 *    - late answers to a cancel/modify overtaken by a fill, an unsolicited cancel or the close
 *      (OrderCancelRejected / OrderModifyRejected on FILLED, CANCELED, EXPIRED) change nothing.
 *    No event ever moves an order out of a terminal status except a late fill CANCELED/EXPIRED →
 *    FILLED (terminal to terminal). DENIED and REJECTED accept nothing.
 * 2. One cancel/modify in flight per order. KIS books a modify as a new order with a new ODNO and a
 *    cancel must name the live ODNO, which is unknown while a modify is in flight; so there is no
 *    PENDING_UPDATE → PENDING_CANCEL (the engine waits for the answer or the in-flight check) and no
 *    repeated OrderPendingCancel / OrderPendingUpdate. This is stricter than NautilusTrader.
 * 3. Fills during PENDING_CANCEL / PENDING_UPDATE keep the pending status until the request is
 *    answered (FILLED if nothing is left), so "a request is in flight" stays visible. The answer
 *    (OrderCancelRejected, OrderModifyRejected, OrderUpdated) returns the order to `WORKING`, which
 *    accounts for fills taken meanwhile: ACCEPTED + fill + cancel-rejected = PARTIALLY_FILLED.
 * 4. The venue may cancel, expire or (through the HTS/MTS) modify a working order on its own:
 *    ACCEPTED / PARTIALLY_FILLED accept OrderCanceled, OrderExpired and OrderUpdated unprompted.
 * 5. SUBMITTED → CANCELED covers a remainder the venue cancels at once (IOC/FOK-like kinds).
 *    SUBMITTED has no OrderExpired: reconciliation first emits the missing OrderAccepted.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Readonly<Partial<Record<OrderEventType, TransitionTarget>>>>> =
  freezeRows({
    INITIALIZED: {
      OrderDenied: 'DENIED',
      OrderSubmitted: 'SUBMITTED',
    },
    DENIED: {},
    SUBMITTED: {
      OrderAccepted: 'ACCEPTED',
      OrderRejected: 'REJECTED',
      OrderCanceled: 'CANCELED', // remainder canceled by the venue at once
      OrderFilled: fill('PARTIALLY_FILLED'), // a fill can overtake the ack
    },
    ACCEPTED: {
      OrderAccepted: 'ACCEPTED', // repeated ack (REST answer and WS notice): recorded, no change
      OrderPendingCancel: 'PENDING_CANCEL',
      OrderPendingUpdate: 'PENDING_UPDATE',
      OrderUpdated: WORKING, // modified outside hantu (HTS/MTS), seen in a notice or a query
      OrderCanceled: 'CANCELED', // canceled outside hantu, or by the venue
      OrderExpired: 'EXPIRED',
      OrderFilled: fill('PARTIALLY_FILLED'),
    },
    REJECTED: {},
    PENDING_CANCEL: {
      OrderAccepted: 'PENDING_CANCEL', // late ack (the order number came with an earlier fill)
      OrderCancelRejected: WORKING,
      OrderCanceled: 'CANCELED',
      OrderExpired: 'EXPIRED', // the close came before the cancel's answer
      OrderFilled: fill('PENDING_CANCEL'), // the cancel is still in flight
    },
    PENDING_UPDATE: {
      OrderAccepted: 'PENDING_UPDATE', // late ack
      OrderUpdated: WORKING,
      OrderModifyRejected: WORKING,
      OrderCanceled: 'CANCELED', // canceled outside hantu while our modify was in flight
      OrderExpired: 'EXPIRED',
      OrderFilled: fill('PENDING_UPDATE'), // the modify is still in flight
    },
    PARTIALLY_FILLED: {
      OrderAccepted: 'PARTIALLY_FILLED', // late ack: the first fill overtook it
      OrderPendingCancel: 'PENDING_CANCEL',
      OrderPendingUpdate: 'PENDING_UPDATE',
      OrderUpdated: WORKING, // modified outside hantu
      OrderCanceled: 'CANCELED', // the remainder
      OrderExpired: 'EXPIRED', // the remainder
      OrderFilled: fill('PARTIALLY_FILLED'),
    },
    CANCELED: {
      OrderAccepted: 'CANCELED', // late ack
      OrderCancelRejected: 'CANCELED', // our cancel lost the race to another cancel
      OrderModifyRejected: 'CANCELED', // our modify lost the race to a cancel
      OrderFilled: fill('CANCELED'), // late fill: executed before the cancel took effect
    },
    EXPIRED: {
      OrderAccepted: 'EXPIRED', // late ack
      OrderCancelRejected: 'EXPIRED', // overtaken by the close
      OrderModifyRejected: 'EXPIRED', // overtaken by the close
      OrderFilled: fill('EXPIRED'), // late fill: executed before the close, reported after
    },
    FILLED: {
      OrderAccepted: 'FILLED', // late ack: the fills overtook it
      OrderCancelRejected: 'FILLED', // our cancel lost the race to the last fill
      OrderModifyRejected: 'FILLED', // our modify lost the race to the last fill
    },
  });

/** The table entry for (`status`, `eventType`), or `undefined` when the transition is invalid. */
export function orderTransition(status: OrderStatus, eventType: OrderEventType): TransitionTarget | undefined {
  return ORDER_TRANSITIONS[status][eventType];
}

/**
 * Resolves a table entry to a status, given the order's quantities after the event.
 * @param filledQty shares filled, including the event's fill (if any)
 * @param orderQty total ordered shares, including the event's modify (if any)
 */
export function resolveTransition(target: TransitionTarget, filledQty: number, orderQty: number): OrderStatus {
  if (typeof target === 'object') return filledQty >= orderQty ? 'FILLED' : target.partial;
  if (target === WORKING) return filledQty >= orderQty ? 'FILLED' : filledQty > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
  return target;
}

// ---------------------------------------------------------------------------------------------------
// The order aggregate
// ---------------------------------------------------------------------------------------------------

/** Identifies one fill: trade ids are unique only within a venue order, and a modify changes the number. */
export interface FillRef {
  readonly venueOrderId: VenueOrderId;
  readonly tradeId: TradeId;
}

/**
 * An order: an immutable record that changes only through `applyOrderEvent`. Invariants (checked by
 * the property tests): `filledQty <= quantity`; `leavesQty + filledQty == quantity` except in DENIED,
 * REJECTED, CANCELED and EXPIRED, where `leavesQty == 0` (nothing is open at the venue);
 * `filledValue == Σ lastQty × lastPx` over the fills in `events`.
 */
export interface Order {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly strategyId: string | undefined;
  readonly tag: string | undefined;
  /** Total ordered shares (> 0); changes only with OrderUpdated. */
  readonly quantity: Quantity;
  /** Current limit price (won); `undefined` for MARKET orders. */
  readonly price: Price | undefined;
  readonly status: OrderStatus;
  /** Shares filled so far. */
  readonly filledQty: Quantity;
  /** Shares still open at the venue (0 once the order is closed). */
  readonly leavesQty: Quantity;
  /** Σ lastQty × lastPx over all fills (won, exact); see `avgFillPx`. */
  readonly filledValue: Krw;
  /** Σ commission over all fills (won). */
  readonly commissionPaid: Krw;
  /** Σ tax over all fills (won). */
  readonly taxPaid: Krw;
  /** The live venue order number: the last modify's, else the original; `undefined` before any. */
  readonly venueOrderId: VenueOrderId | undefined;
  /** KIS branch number from the last ack/modify, needed to cancel or modify. */
  readonly branch: string | undefined;
  /** Every venue order number seen, in the order first seen (original first). */
  readonly venueOrderIds: readonly VenueOrderId[];
  /** Every fill applied, in order. */
  readonly fills: readonly FillRef[];
  /** Every event applied, OrderInitialized first. */
  readonly events: readonly OrderEvent[];
  /** `tsInit` of the OrderInitialized event (epoch ms). */
  readonly tsInit: UnixMillis;
  /** `tsEvent` of the last event applied (epoch ms). */
  readonly tsLast: UnixMillis;
}

/** Statuses in which nothing is open at the venue although the order may not be fully filled. */
const CLOSED_UNFILLED: ReadonlySet<OrderStatus> = new Set(['DENIED', 'REJECTED', 'CANCELED', 'EXPIRED']);

function leavesOf(status: OrderStatus, orderQty: number, filledQty: number): Quantity {
  return quantity(CLOSED_UNFILLED.has(status) ? 0 : orderQty - filledQty);
}

/**
 * Creates an order in INITIALIZED from its first event.
 * @throws InvariantError(ORDER_INVALID) when `clientOrderId` is empty, `quantity` is not > 0, a LIMIT
 *   order has no price or a MARKET order has one.
 */
export function createOrder(init: OrderInitialized): Order {
  const ctx = { clientOrderId: init.clientOrderId, instrumentId: init.instrumentId };
  if (init.type !== 'OrderInitialized') {
    throw new InvariantError('ORDER_INVALID', `an order must start with OrderInitialized, received ${String(init.type)}`, ctx);
  }
  if (init.clientOrderId.length === 0) throw new InvariantError('ORDER_INVALID', 'clientOrderId must not be empty', ctx);
  if (!Number.isSafeInteger(init.quantity) || init.quantity <= 0) {
    throw new InvariantError('ORDER_INVALID', `order quantity must be > 0 shares, was ${init.quantity}`, { ...ctx, quantity: init.quantity });
  }
  if (init.orderType === 'LIMIT' && init.price === undefined) {
    throw new InvariantError('ORDER_INVALID', 'a LIMIT order needs a price', ctx);
  }
  if (init.orderType === 'MARKET' && init.price !== undefined) {
    throw new InvariantError('ORDER_INVALID', `a MARKET order has no price, was ${init.price}`, { ...ctx, price: init.price });
  }
  return Object.freeze({
    clientOrderId: init.clientOrderId,
    instrumentId: init.instrumentId,
    side: init.side,
    orderType: init.orderType,
    strategyId: init.strategyId,
    tag: init.tag,
    quantity: init.quantity,
    price: init.price,
    status: 'INITIALIZED',
    filledQty: quantity(0),
    leavesQty: init.quantity,
    filledValue: krw(0),
    commissionPaid: krw(0),
    taxPaid: krw(0),
    venueOrderId: undefined,
    branch: undefined,
    venueOrderIds: Object.freeze([]),
    fills: Object.freeze([]),
    events: Object.freeze([init]),
    tsInit: init.tsInit,
    tsLast: init.tsEvent,
  });
}

/**
 * True when a fill with this (venueOrderId, tradeId) was already applied. Fills reach us twice (WS
 * notice and REST query); callers check this first and drop the duplicate, because
 * `applyOrderEvent` throws on it.
 */
export function isDuplicateFill(order: Order, fill: FillRef): boolean {
  return order.fills.some((f) => f.venueOrderId === fill.venueOrderId && f.tradeId === fill.tradeId);
}

/**
 * Applies one event and returns the new order; `order` is not changed. Checks, in this order:
 * 1. the event belongs to the order: `InvariantError(ORDER_EVENT_MISMATCH)` when clientOrderId,
 *    instrumentId or (fills) side differ, or an OrderAccepted names another original venue order;
 * 2. fills: `InvariantError(FILL_DUPLICATE)` when (venueOrderId, tradeId) was applied before;
 * 3. the table: `InvariantError(ORDER_INVALID_TRANSITION)` with `{ clientOrderId, status, eventType,
 *    event }` in its context when `ORDER_TRANSITIONS` has no entry;
 * 4. amounts: `InvariantError(FILL_INVALID)` when lastQty is 0 or commission/tax negative;
 *    `InvariantError(ORDER_OVERFILL)` when filledQty + lastQty > quantity;
 *    `InvariantError(ORDER_UPDATE_INVALID)` when a modify's new quantity is 0 or below filledQty, or it
 *    sets a price on a MARKET order.
 * Nothing is half-applied: every check runs before the new record is built.
 */
export function applyOrderEvent(order: Order, event: OrderEvent): Order {
  checkBelongs(order, event);
  if (event.type === 'OrderFilled' && isDuplicateFill(order, event)) {
    throw new InvariantError(
      'FILL_DUPLICATE',
      `fill was already applied: clientOrderId=${order.clientOrderId}, venueOrderId=${event.venueOrderId}, tradeId=${event.tradeId}`,
      { clientOrderId: order.clientOrderId, venueOrderId: event.venueOrderId, tradeId: event.tradeId },
    );
  }
  const target = orderTransition(order.status, event.type);
  if (target === undefined) {
    throw new InvariantError(
      'ORDER_INVALID_TRANSITION',
      `invalid order transition: clientOrderId=${order.clientOrderId}, status=${order.status}, event=${event.type}`,
      { clientOrderId: order.clientOrderId, status: order.status, eventType: event.type, event },
    );
  }

  const base = { ...order, events: Object.freeze([...order.events, event]), tsLast: event.tsEvent };
  switch (event.type) {
    case 'OrderInitialized': // no table entry: unreachable
    case 'OrderDenied':
    case 'OrderSubmitted':
    case 'OrderRejected':
    case 'OrderPendingCancel':
    case 'OrderPendingUpdate':
    case 'OrderCanceled':
    case 'OrderCancelRejected':
    case 'OrderModifyRejected':
    case 'OrderExpired':
      return finish(base, resolveTransition(target, order.filledQty, order.quantity));
    case 'OrderAccepted': {
      const ids = order.venueOrderIds.length === 0 ? [event.venueOrderId] : order.venueOrderIds;
      return finish(
        {
          ...base,
          venueOrderIds: Object.freeze([...ids]),
          venueOrderId: order.venueOrderId ?? event.venueOrderId,
          branch: order.branch ?? event.branch,
        },
        resolveTransition(target, order.filledQty, order.quantity),
      );
    }
    case 'OrderUpdated': {
      checkUpdate(order, event);
      const ids = order.venueOrderIds.includes(event.venueOrderId) ? order.venueOrderIds : [...order.venueOrderIds, event.venueOrderId];
      return finish(
        {
          ...base,
          quantity: event.quantity,
          price: event.price ?? order.price,
          venueOrderId: event.venueOrderId,
          branch: event.branch,
          venueOrderIds: Object.freeze([...ids]),
        },
        resolveTransition(target, order.filledQty, event.quantity),
      );
    }
    case 'OrderFilled': {
      checkFill(order, event);
      const filledQty = quantity(order.filledQty + event.lastQty);
      const ids = order.venueOrderIds.includes(event.venueOrderId) ? order.venueOrderIds : [...order.venueOrderIds, event.venueOrderId];
      return finish(
        {
          ...base,
          filledQty,
          filledValue: krw(order.filledValue + notional(event.lastPx, event.lastQty)),
          commissionPaid: krw(order.commissionPaid + event.commission),
          taxPaid: krw(order.taxPaid + event.tax),
          venueOrderId: order.venueOrderId ?? event.venueOrderId,
          venueOrderIds: Object.freeze([...ids]),
          fills: Object.freeze([...order.fills, { venueOrderId: event.venueOrderId, tradeId: event.tradeId }]),
        },
        resolveTransition(target, filledQty, order.quantity),
      );
    }
    default:
      return assertNever(event, 'order event');
  }
}

/**
 * Rebuilds an order from its event history (persistence, replay). Same checks and errors as
 * `createOrder` and `applyOrderEvent`.
 * @throws InvariantError(ORDER_INVALID) when `events` is empty or does not start with OrderInitialized
 */
export function replayOrder(events: readonly OrderEvent[]): Order {
  const [first, ...rest] = events;
  if (first === undefined || first.type !== 'OrderInitialized') {
    throw new InvariantError('ORDER_INVALID', 'an order history must start with OrderInitialized', { first: first?.type });
  }
  return rest.reduce(applyOrderEvent, createOrder(first));
}

/**
 * Average fill price in won, exact (may be fractional): `filledValue / filledQty`; `undefined` before
 * the first fill.
 */
export function avgFillPx(order: Pick<Order, 'filledValue' | 'filledQty'>): number | undefined {
  return order.filledQty === 0 ? undefined : order.filledValue / order.filledQty;
}

/** True in DENIED, REJECTED, CANCELED, EXPIRED and FILLED. Only a late fill follows (see the table). */
export function isTerminal(order: Pick<Order, 'status'>): boolean {
  return TERMINAL_ORDER_STATUSES.has(order.status);
}

/**
 * True when the order is working at the venue: ACCEPTED, PARTIALLY_FILLED, PENDING_CANCEL or
 * PENDING_UPDATE. A SUBMITTED order is in flight, not (yet) open: see `isInflight`; exposure checks
 * should count both.
 */
export function isOpen(order: Pick<Order, 'status'>): boolean {
  const s = order.status;
  return s === 'ACCEPTED' || s === 'PARTIALLY_FILLED' || s === 'PENDING_CANCEL' || s === 'PENDING_UPDATE';
}

/** True when a command awaits the venue's answer: SUBMITTED, PENDING_CANCEL or PENDING_UPDATE. */
export function isInflight(order: Pick<Order, 'status'>): boolean {
  const s = order.status;
  return s === 'SUBMITTED' || s === 'PENDING_CANCEL' || s === 'PENDING_UPDATE';
}

// ---------------------------------------------------------------------------------------------------

function finish(next: Omit<Order, 'status' | 'leavesQty'>, status: OrderStatus): Order {
  return Object.freeze({ ...next, status, leavesQty: leavesOf(status, next.quantity, next.filledQty) });
}

function checkBelongs(order: Order, event: OrderEvent): void {
  const mismatch = (what: string, ours: unknown, theirs: unknown): never => {
    throw new InvariantError(
      'ORDER_EVENT_MISMATCH',
      `${event.type} does not belong to the order: clientOrderId=${order.clientOrderId}, ${what}=${String(ours)}, received ${what}=${String(theirs)}`,
      { clientOrderId: order.clientOrderId, field: what, expected: ours, received: theirs, eventType: event.type },
    );
  };
  if (event.clientOrderId !== order.clientOrderId) mismatch('clientOrderId', order.clientOrderId, event.clientOrderId);
  if (event.instrumentId !== order.instrumentId) mismatch('instrumentId', order.instrumentId, event.instrumentId);
  if (event.type === 'OrderFilled' && event.side !== order.side) mismatch('side', order.side, event.side);
  const original = order.venueOrderIds[0];
  if (event.type === 'OrderAccepted' && original !== undefined && event.venueOrderId !== original) {
    mismatch('venueOrderId', original, event.venueOrderId);
  }
}

function checkFill(order: Order, fill: OrderFilled): void {
  const ctx = { clientOrderId: order.clientOrderId, venueOrderId: fill.venueOrderId, tradeId: fill.tradeId };
  if (fill.lastQty <= 0 || fill.commission < 0 || fill.tax < 0) {
    throw new InvariantError(
      'FILL_INVALID',
      `fill must have lastQty > 0 and non-negative costs: lastQty=${fill.lastQty}, commission=${fill.commission}, tax=${fill.tax}`,
      { ...ctx, lastQty: fill.lastQty, commission: fill.commission, tax: fill.tax },
    );
  }
  if (order.filledQty + fill.lastQty > order.quantity) {
    throw new InvariantError(
      'ORDER_OVERFILL',
      `fill would overfill the order: clientOrderId=${order.clientOrderId}, quantity=${order.quantity}, filledQty=${order.filledQty}, lastQty=${fill.lastQty}`,
      { ...ctx, quantity: order.quantity, filledQty: order.filledQty, lastQty: fill.lastQty },
    );
  }
}

function checkUpdate(order: Order, update: OrderUpdated): void {
  const ctx = { clientOrderId: order.clientOrderId, venueOrderId: update.venueOrderId };
  if (update.quantity <= 0 || update.quantity < order.filledQty) {
    throw new InvariantError(
      'ORDER_UPDATE_INVALID',
      `modified quantity must be > 0 and >= filled: quantity=${update.quantity}, filledQty=${order.filledQty}`,
      { ...ctx, quantity: update.quantity, filledQty: order.filledQty },
    );
  }
  if (order.orderType === 'MARKET' && update.price !== undefined) {
    throw new InvariantError('ORDER_UPDATE_INVALID', `a MARKET order has no price, received price=${update.price}`, { ...ctx, price: update.price });
  }
}
