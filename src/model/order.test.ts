import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unixMillis } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';
import { instrumentId } from './instrument.ts';
import { krw, price, quantity } from './money.ts';
import {
  ORDER_EVENT_TYPES,
  type OrderEvent,
  type OrderEventBase,
  type OrderEventType,
  type OrderFilled,
  type OrderInitialized,
} from './order-events.ts';
import {
  applyOrderEvent,
  avgFillPx,
  createOrder,
  isDuplicateFill,
  isInflight,
  isOpen,
  isTerminal,
  ORDER_TRANSITIONS,
  orderTransition,
  replayOrder,
  type Order,
} from './order.ts';
import { ORDER_STATUSES, TERMINAL_ORDER_STATUSES, type OrderStatus } from './order-types.ts';

// ---------------------------------------------------------------------------------------------------
// Stubs (synthetic values)

const COID = 'O-20250102-090000-001';
const SAMSUNG = instrumentId('005930');
const VOID_A = '0000012345'; // original venue order number
const VOID_B = '0000012399'; // number of the modify order
const T0 = 1_735_776_000_000; // 2025-01-02 09:00 KST
let clock = 0;
const ts = () => unixMillis(T0 + clock++);

type EventOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>;

/** Builds an event for `COID` with the base fields filled in. */
function ev<T extends OrderEventType>(type: T, fields: Omit<EventOf<T>, 'type' | keyof OrderEventBase>): EventOf<T> {
  const t = ts();
  return { type, clientOrderId: COID, instrumentId: SAMSUNG, tsEvent: t, tsInit: t, ...fields } as unknown as EventOf<T>;
}

const init = (over: Partial<OrderInitialized> = {}): OrderInitialized => ({
  ...ev('OrderInitialized', { side: 'BUY', orderType: 'LIMIT', quantity: quantity(10), price: price(71_900) }),
  ...over,
});
const submitted = () => ev('OrderSubmitted', {});
const accepted = (venueOrderId = VOID_A) => ev('OrderAccepted', { venueOrderId, branch: '91252' });
const filled = (lastQty: number, tradeId: string, lastPx = 71_900, venueOrderId = VOID_A): OrderFilled =>
  ev('OrderFilled', {
    venueOrderId,
    tradeId,
    side: 'BUY',
    lastQty: quantity(lastQty),
    lastPx: price(lastPx),
    commission: krw(Math.floor((lastQty * lastPx * 1.5) / 10_000)),
    tax: krw(0),
  });

function build(...events: OrderEvent[]): Order {
  return events.reduce(applyOrderEvent, createOrder(init()));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvariantError) return e.code;
    throw e;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The full (status × event) matrix, written out by hand, independent of ORDER_TRANSITIONS.

/** A fill of the whole remaining quantity: a column of its own because it ends in FILLED. */
const FILL_ALL = 'OrderFilled (completing)';
type Column = OrderEventType | typeof FILL_ALL;

/** One way to reach each status (orders of 10 shares). */
const SETUPS: Record<OrderStatus, () => Order> = {
  INITIALIZED: () => build(),
  DENIED: () => build(ev('OrderDenied', { reason: { code: 'NOTIONAL_EXCEEDS_FREE_BALANCE', detail: 'free=1, impact=719000' } })),
  SUBMITTED: () => build(submitted()),
  ACCEPTED: () => build(submitted(), accepted()),
  REJECTED: () => build(submitted(), ev('OrderRejected', { reason: '주문가능금액을 초과 했습니다', messageCode: 'APBK0952' })),
  PENDING_CANCEL: () => build(submitted(), accepted(), ev('OrderPendingCancel', {})),
  PENDING_UPDATE: () => build(submitted(), accepted(), ev('OrderPendingUpdate', {})),
  PARTIALLY_FILLED: () => build(submitted(), accepted(), filled(3, '1')),
  CANCELED: () => build(submitted(), accepted(), filled(3, '1'), ev('OrderCanceled', {})),
  EXPIRED: () => build(submitted(), accepted(), ev('OrderExpired', {})),
  FILLED: () => build(submitted(), accepted(), filled(10, '1')),
};

/** A sample event of each column, valid for the order apart from the transition itself. */
function sample(column: Column, order: Order): OrderEvent {
  switch (column) {
    case 'OrderInitialized': return init();
    case 'OrderDenied': return ev('OrderDenied', { reason: { code: 'X', detail: 'y=1' } });
    case 'OrderSubmitted': return submitted();
    case 'OrderAccepted': return accepted();
    case 'OrderRejected': return ev('OrderRejected', { reason: 'r', messageCode: 'APBK0000' });
    case 'OrderPendingCancel': return ev('OrderPendingCancel', {});
    case 'OrderPendingUpdate': return ev('OrderPendingUpdate', {});
    case 'OrderCanceled': return ev('OrderCanceled', {});
    case 'OrderCancelRejected': return ev('OrderCancelRejected', { reason: 'r', messageCode: 'APBK0000' });
    case 'OrderUpdated': return ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', price: price(72_000), quantity: quantity(10) });
    case 'OrderModifyRejected': return ev('OrderModifyRejected', { reason: 'r', messageCode: 'APBK0000' });
    case 'OrderExpired': return ev('OrderExpired', {});
    case 'OrderFilled': return filled(1, '99');
    case FILL_ALL: return filled(Math.max(order.quantity - order.filledQty, 1), '98');
  }
}

/** Expected status after each column; a missing column means ORDER_INVALID_TRANSITION. */
const EXPECTED: Record<OrderStatus, Partial<Record<Column, OrderStatus>>> = {
  INITIALIZED: { OrderDenied: 'DENIED', OrderSubmitted: 'SUBMITTED' },
  DENIED: {},
  SUBMITTED: {
    OrderAccepted: 'ACCEPTED',
    OrderRejected: 'REJECTED',
    OrderCanceled: 'CANCELED',
    OrderFilled: 'PARTIALLY_FILLED',
    [FILL_ALL]: 'FILLED',
  },
  ACCEPTED: {
    OrderAccepted: 'ACCEPTED',
    OrderPendingCancel: 'PENDING_CANCEL',
    OrderPendingUpdate: 'PENDING_UPDATE',
    OrderUpdated: 'ACCEPTED',
    OrderCanceled: 'CANCELED',
    OrderExpired: 'EXPIRED',
    OrderFilled: 'PARTIALLY_FILLED',
    [FILL_ALL]: 'FILLED',
  },
  REJECTED: {},
  PENDING_CANCEL: {
    OrderAccepted: 'PENDING_CANCEL',
    OrderCancelRejected: 'ACCEPTED',
    OrderCanceled: 'CANCELED',
    OrderExpired: 'EXPIRED',
    OrderFilled: 'PENDING_CANCEL',
    [FILL_ALL]: 'FILLED',
  },
  PENDING_UPDATE: {
    OrderAccepted: 'PENDING_UPDATE',
    OrderUpdated: 'ACCEPTED',
    OrderModifyRejected: 'ACCEPTED',
    OrderCanceled: 'CANCELED',
    OrderExpired: 'EXPIRED',
    OrderFilled: 'PENDING_UPDATE',
    [FILL_ALL]: 'FILLED',
  },
  PARTIALLY_FILLED: {
    OrderAccepted: 'PARTIALLY_FILLED',
    OrderPendingCancel: 'PENDING_CANCEL',
    OrderPendingUpdate: 'PENDING_UPDATE',
    OrderUpdated: 'PARTIALLY_FILLED',
    OrderCanceled: 'CANCELED',
    OrderExpired: 'EXPIRED',
    OrderFilled: 'PARTIALLY_FILLED',
    [FILL_ALL]: 'FILLED',
  },
  CANCELED: {
    OrderAccepted: 'CANCELED',
    OrderCancelRejected: 'CANCELED',
    OrderModifyRejected: 'CANCELED',
    OrderFilled: 'CANCELED',
    [FILL_ALL]: 'FILLED',
  },
  EXPIRED: {
    OrderAccepted: 'EXPIRED',
    OrderCancelRejected: 'EXPIRED',
    OrderModifyRejected: 'EXPIRED',
    OrderFilled: 'EXPIRED',
    [FILL_ALL]: 'FILLED',
  },
  FILLED: {
    OrderAccepted: 'FILLED',
    OrderCancelRejected: 'FILLED',
    OrderModifyRejected: 'FILLED',
  },
};

const COLUMNS: readonly Column[] = [...ORDER_EVENT_TYPES, FILL_ALL];
const CASES = ORDER_STATUSES.flatMap((status) => COLUMNS.map((column) => [status, column, EXPECTED[status][column] ?? 'throws'] as const));

describe('order transition table', () => {
  it('the setups reach the status they are named after', () => {
    for (const s of ORDER_STATUSES) expect(SETUPS[s]().status).toBe(s);
  });

  it('covers every (status × event type) pair: 11 × 13, plus the completing-fill column', () => {
    expect(CASES).toHaveLength(ORDER_STATUSES.length * (ORDER_EVENT_TYPES.length + 1));
    expect(CASES).toHaveLength(154);
  });

  it('has an entry exactly where the hand-written matrix expects a transition', () => {
    for (const s of ORDER_STATUSES) {
      for (const t of ORDER_EVENT_TYPES) {
        expect({ s, t, defined: orderTransition(s, t) !== undefined }).toEqual({ s, t, defined: EXPECTED[s][t] !== undefined });
      }
      expect(Object.keys(ORDER_TRANSITIONS[s]).every((k) => (ORDER_EVENT_TYPES as readonly string[]).includes(k))).toBe(true);
    }
  });

  it.each(CASES)('%s + %s → %s', (status, column, expected) => {
    const order = SETUPS[status]();
    const event = sample(column, order);
    if (expected === 'throws') {
      let err: unknown;
      try {
        applyOrderEvent(order, event);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvariantError);
      const ie = err as InvariantError;
      expect(ie.code).toBe('ORDER_INVALID_TRANSITION');
      expect(ie.disposition).toBe('fatal');
      expect(ie.context).toMatchObject({ clientOrderId: COID, status, eventType: event.type, event });
    } else {
      const next = applyOrderEvent(order, event);
      expect(next.status).toBe(expected);
      expect(next.events.at(-1)).toBe(event);
      expect(order.status).toBe(status); // the input is untouched
    }
  });

  it('terminal statuses never reopen: every entry out of a terminal status is terminal', () => {
    for (const s of TERMINAL_ORDER_STATUSES) {
      for (const c of COLUMNS) {
        const to = EXPECTED[s][c];
        if (to !== undefined) expect(TERMINAL_ORDER_STATUSES.has(to)).toBe(true);
      }
    }
    expect(Object.keys(ORDER_TRANSITIONS.DENIED)).toEqual([]);
    expect(Object.isFrozen(ORDER_TRANSITIONS) && ORDER_STATUSES.every((s) => Object.isFrozen(ORDER_TRANSITIONS[s]))).toBe(true);
    expect(Object.keys(ORDER_TRANSITIONS.REJECTED)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('order lifecycle', () => {
  it('limit buy: submitted, accepted, two fills → FILLED with exact average price', () => {
    const o = build(submitted(), accepted(), filled(3, '1', 71_900), filled(7, '2', 72_000));
    expect(o.status).toBe('FILLED');
    expect([o.filledQty, o.leavesQty]).toEqual([10, 0]);
    // 3 × 71,900 = 215,700; 7 × 72,000 = 504,000; sum 719,700 → avg 71,970
    expect(o.filledValue).toBe(719_700);
    expect(avgFillPx(o)).toBe(71_970);
    // commissions at 1.5 bp: floor(32.355) = 32, floor(75.6) = 75
    expect([o.commissionPaid, o.taxPaid]).toEqual([107, 0]);
    expect(o.venueOrderId).toBe(VOID_A);
    expect(o.venueOrderIds).toEqual([VOID_A]);
    expect(o.fills).toEqual([{ venueOrderId: VOID_A, tradeId: '1' }, { venueOrderId: VOID_A, tradeId: '2' }]);
    expect(o.events.map((e) => e.type)).toEqual(['OrderInitialized', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled', 'OrderFilled']);
    expect(o.tsLast).toBe(o.events.at(-1)?.tsEvent);
    expect(isTerminal(o)).toBe(true);
  });

  it('average price may be fractional and stays exact', () => {
    const o = build(submitted(), accepted(), filled(2, '1', 71_900), filled(1, '2', 72_000));
    expect(o.filledValue).toBe(215_800);
    expect(avgFillPx(o)).toBeCloseTo(71_933.333, 3);
    expect(avgFillPx(build())).toBeUndefined();
  });

  it('a fill overtakes the ack: SUBMITTED → PARTIALLY_FILLED, then the late ack is recorded', () => {
    const o1 = build(submitted(), filled(3, '1'));
    expect(o1.status).toBe('PARTIALLY_FILLED');
    expect(o1.venueOrderId).toBe(VOID_A); // learnt from the fill
    expect(o1.branch).toBeUndefined();
    const o2 = applyOrderEvent(o1, accepted());
    expect(o2.status).toBe('PARTIALLY_FILLED');
    expect(o2.branch).toBe('91252');
    expect(o2.venueOrderIds).toEqual([VOID_A]);
  });

  it('an ack naming another original venue order is a mismatch', () => {
    const o = build(submitted(), filled(3, '1'));
    expect(codeOf(() => applyOrderEvent(o, accepted('0000099999')))).toBe('ORDER_EVENT_MISMATCH');
  });

  it('fills during PENDING_CANCEL keep it pending; a refused cancel returns to PARTIALLY_FILLED', () => {
    const o1 = build(submitted(), accepted(), ev('OrderPendingCancel', {}), filled(4, '1'));
    expect([o1.status, o1.filledQty, o1.leavesQty]).toEqual(['PENDING_CANCEL', 4, 6]);
    expect(isInflight(o1)).toBe(true);
    const o2 = applyOrderEvent(o1, ev('OrderCancelRejected', { reason: 'r', messageCode: 'APBK0000' }));
    expect(o2.status).toBe('PARTIALLY_FILLED');
  });

  it('the last fill beats the cancel: FILLED, and the cancel refusal that follows changes nothing', () => {
    const o1 = build(submitted(), accepted(), ev('OrderPendingCancel', {}), filled(10, '1'));
    expect(o1.status).toBe('FILLED');
    const o2 = applyOrderEvent(o1, ev('OrderCancelRejected', { reason: '취소가능수량이 없습니다', messageCode: 'APBK0000' }));
    expect([o2.status, o2.filledQty, o2.leavesQty]).toEqual(['FILLED', 10, 0]);
  });

  it('late fills on CANCELED are booked without reopening; completing them makes it FILLED', () => {
    const o1 = build(submitted(), accepted(), filled(3, '1'), ev('OrderPendingCancel', {}), ev('OrderCanceled', {}));
    expect([o1.status, o1.filledQty, o1.leavesQty]).toEqual(['CANCELED', 3, 0]);
    const o2 = applyOrderEvent(o1, filled(2, '2'));
    expect([o2.status, o2.filledQty, o2.leavesQty]).toEqual(['CANCELED', 5, 0]);
    expect(isOpen(o2)).toBe(false);
    const o3 = applyOrderEvent(o2, filled(5, '3'));
    expect([o3.status, o3.filledQty, o3.leavesQty]).toEqual(['FILLED', 10, 0]);
    expect(codeOf(() => applyOrderEvent(o2, filled(6, '4')))).toBe('ORDER_OVERFILL');
  });

  it('modify: new venue order number, new price and quantity; fill sequences restart per venue order', () => {
    const o1 = build(submitted(), accepted(), filled(2, '1'), ev('OrderPendingUpdate', {}));
    const o2 = applyOrderEvent(o1, ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', price: price(72_000), quantity: quantity(8) }));
    expect([o2.status, o2.quantity, o2.price, o2.filledQty, o2.leavesQty]).toEqual(['PARTIALLY_FILLED', 8, 72_000, 2, 6]);
    expect(o2.venueOrderId).toBe(VOID_B);
    expect(o2.venueOrderIds).toEqual([VOID_A, VOID_B]);
    // tradeId '1' again, but on the new venue order: not a duplicate
    expect(isDuplicateFill(o2, { venueOrderId: VOID_B, tradeId: '1' })).toBe(false);
    const o3 = applyOrderEvent(o2, filled(6, '1', 72_000, VOID_B));
    expect([o3.status, o3.filledQty]).toEqual(['FILLED', 8]);
    expect(o3.filledValue).toBe(2 * 71_900 + 6 * 72_000);
  });

  it('a fill of the new venue order can arrive before OrderUpdated', () => {
    const o1 = build(submitted(), accepted(), ev('OrderPendingUpdate', {}), filled(1, '1', 72_000, VOID_B));
    expect([o1.status, o1.venueOrderId, o1.venueOrderIds]).toEqual(['PENDING_UPDATE', VOID_A, [VOID_A, VOID_B]]);
    const o2 = applyOrderEvent(o1, ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', price: price(72_000), quantity: quantity(10) }));
    expect([o2.status, o2.venueOrderId, o2.venueOrderIds]).toEqual(['PARTIALLY_FILLED', VOID_B, [VOID_A, VOID_B]]);
  });

  it('a modify down to the filled quantity leaves nothing open: FILLED', () => {
    const o = build(submitted(), accepted(), filled(4, '1'), ev('OrderPendingUpdate', {}),
      ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', quantity: quantity(4) }));
    expect([o.status, o.quantity, o.leavesQty, o.price]).toEqual(['FILLED', 4, 0, 71_900]);
  });

  it('rejects an impossible modify', () => {
    const o = build(submitted(), accepted(), filled(4, '1'), ev('OrderPendingUpdate', {}));
    const upd = (q: number) => ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', quantity: quantity(q) });
    expect(codeOf(() => applyOrderEvent(o, upd(3)))).toBe('ORDER_UPDATE_INVALID');
    expect(codeOf(() => applyOrderEvent(o, upd(0)))).toBe('ORDER_UPDATE_INVALID');
    const mkt = [submitted(), accepted(), ev('OrderPendingUpdate', {})].reduce(applyOrderEvent,
      createOrder(init({ orderType: 'MARKET', price: undefined })));
    const withPrice = ev('OrderUpdated', { venueOrderId: VOID_B, branch: '91252', price: price(72_000), quantity: quantity(10) });
    expect(codeOf(() => applyOrderEvent(mkt, withPrice))).toBe('ORDER_UPDATE_INVALID');
  });

  it('one request in flight: no second cancel, no cancel while a modify is pending', () => {
    const pc = SETUPS.PENDING_CANCEL();
    const pu = SETUPS.PENDING_UPDATE();
    expect(codeOf(() => applyOrderEvent(pc, ev('OrderPendingCancel', {})))).toBe('ORDER_INVALID_TRANSITION');
    expect(codeOf(() => applyOrderEvent(pu, ev('OrderPendingCancel', {})))).toBe('ORDER_INVALID_TRANSITION');
    expect(codeOf(() => applyOrderEvent(pu, ev('OrderPendingUpdate', {})))).toBe('ORDER_INVALID_TRANSITION');
  });
});

describe('fills: duplicates, overfills, bad fills', () => {
  it('a duplicate (venueOrderId, tradeId) throws FILL_DUPLICATE; isDuplicateFill lets callers drop it first', () => {
    const o = build(submitted(), accepted(), filled(3, '1'));
    const again = filled(3, '1');
    expect(isDuplicateFill(o, again)).toBe(true);
    let err: unknown;
    try {
      applyOrderEvent(o, again);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'FILL_DUPLICATE', context: { clientOrderId: COID, venueOrderId: VOID_A, tradeId: '1' } });
    // even on a terminal order, the duplicate is reported as such
    const f = build(submitted(), accepted(), filled(10, '1'));
    expect(codeOf(() => applyOrderEvent(f, filled(1, '1')))).toBe('FILL_DUPLICATE');
  });

  it('an overfill throws ORDER_OVERFILL and changes nothing', () => {
    const o = build(submitted(), accepted(), filled(8, '1'));
    let err: unknown;
    try {
      applyOrderEvent(o, filled(3, '2'));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ORDER_OVERFILL', context: { quantity: 10, filledQty: 8, lastQty: 3 } });
    expect([o.filledQty, o.events.length]).toEqual([8, 4]);
  });

  it('a zero-share fill or negative cost throws FILL_INVALID', () => {
    const o = SETUPS.ACCEPTED();
    expect(codeOf(() => applyOrderEvent(o, { ...filled(1, '5'), lastQty: quantity(0) }))).toBe('FILL_INVALID');
    expect(codeOf(() => applyOrderEvent(o, { ...filled(1, '5'), commission: krw(-1) }))).toBe('FILL_INVALID');
  });
});

describe('event ownership and creation', () => {
  it('rejects events of another order, instrument or side', () => {
    const o = SETUPS.ACCEPTED();
    expect(codeOf(() => applyOrderEvent(o, { ...submitted(), clientOrderId: 'OTHER' }))).toBe('ORDER_EVENT_MISMATCH');
    expect(codeOf(() => applyOrderEvent(o, { ...ev('OrderCanceled', {}), instrumentId: instrumentId('000660') }))).toBe('ORDER_EVENT_MISMATCH');
    expect(codeOf(() => applyOrderEvent(o, { ...filled(1, '7'), side: 'SELL' }))).toBe('ORDER_EVENT_MISMATCH');
  });

  it('createOrder validates quantity, price and id', () => {
    expect(codeOf(() => createOrder(init({ quantity: quantity(0) })))).toBe('ORDER_INVALID');
    expect(codeOf(() => createOrder(init({ price: undefined })))).toBe('ORDER_INVALID');
    expect(codeOf(() => createOrder(init({ orderType: 'MARKET' })))).toBe('ORDER_INVALID');
    expect(codeOf(() => createOrder(init({ clientOrderId: '' })))).toBe('ORDER_INVALID');
    const m = createOrder(init({ orderType: 'MARKET', price: undefined, strategyId: 'DCA-001', tag: 'monthly' }));
    expect([m.status, m.price, m.leavesQty, m.strategyId, m.tag]).toEqual(['INITIALIZED', undefined, 10, 'DCA-001', 'monthly']);
  });

  it('replayOrder rebuilds the same record from the event history', () => {
    const o = build(submitted(), accepted(), filled(3, '1'), ev('OrderPendingCancel', {}), ev('OrderCanceled', {}));
    expect(replayOrder(o.events)).toEqual(o);
    expect(codeOf(() => replayOrder([]))).toBe('ORDER_INVALID');
    expect(codeOf(() => replayOrder([submitted()]))).toBe('ORDER_INVALID');
  });

  it('records are frozen; apply returns a new one', () => {
    const o = SETUPS.ACCEPTED();
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.events)).toBe(true);
    const n = applyOrderEvent(o, filled(1, '1'));
    expect(n).not.toBe(o);
    expect([o.filledQty, o.events.length]).toEqual([0, 3]);
  });
});

describe('isOpen / isInflight / isTerminal', () => {
  it.each([
    ['INITIALIZED', false, false, false],
    ['DENIED', false, false, true],
    ['SUBMITTED', false, true, false],
    ['ACCEPTED', true, false, false],
    ['REJECTED', false, false, true],
    ['PENDING_CANCEL', true, true, false],
    ['PENDING_UPDATE', true, true, false],
    ['PARTIALLY_FILLED', true, false, false],
    ['CANCELED', false, false, true],
    ['EXPIRED', false, false, true],
    ['FILLED', false, false, true],
  ] as const)('%s: open=%s inflight=%s terminal=%s', (status, open, inflight, terminal) => {
    const o = SETUPS[status]();
    expect([isOpen(o), isInflight(o), isTerminal(o)]).toEqual([open, inflight, terminal]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Property: random event sequences

const EXPECTED_CODES = new Set(['ORDER_INVALID_TRANSITION', 'ORDER_OVERFILL', 'FILL_DUPLICATE', 'FILL_INVALID', 'ORDER_UPDATE_INVALID', 'ORDER_EVENT_MISMATCH']);
const CLOSED_UNFILLED = new Set<OrderStatus>(['DENIED', 'REJECTED', 'CANCELED', 'EXPIRED']);

/**
 * One random step. The generator steers: most steps pick an event type the table allows in the current
 * status (so sequences get far), some pick any type (so invalid transitions are exercised too); the
 * quantities, trade ids and venue order ids are random, so overfills, duplicates and mismatches occur.
 */
interface Step {
  readonly anyType: boolean;
  readonly pick: number;
  readonly venue: number;
  readonly tradeId: number;
  readonly qty: number;
  readonly px: number;
  readonly newQty: number;
  readonly newPx: number | undefined;
}
const arbStep: fc.Arbitrary<Step> = fc.record({
  anyType: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  pick: fc.nat(),
  venue: fc.integer({ min: 0, max: 2 }),
  tradeId: fc.integer({ min: 1, max: 6 }),
  qty: fc.integer({ min: 0, max: 7 }),
  px: fc.integer({ min: 71_000, max: 73_000 }),
  newQty: fc.integer({ min: 0, max: 14 }),
  newPx: fc.option(fc.integer({ min: 71_000, max: 73_000 }), { nil: undefined }),
});
const VENUE_IDS = [VOID_A, VOID_B, '0000012400'] as const;

function eventFor(order: Order, step: Step): OrderEvent {
  const allowed = ORDER_EVENT_TYPES.filter((t) => orderTransition(order.status, t) !== undefined);
  const types = step.anyType || allowed.length === 0 ? ORDER_EVENT_TYPES : allowed;
  const type = types[step.pick % types.length] ?? 'OrderSubmitted';
  const v = VENUE_IDS[step.venue] ?? VOID_A;
  switch (type) {
    case 'OrderAccepted':
      return accepted(v);
    case 'OrderUpdated':
      return ev('OrderUpdated', { venueOrderId: v, branch: '91252', quantity: quantity(step.newQty), ...(step.newPx === undefined ? {} : { price: price(step.newPx) }) });
    case 'OrderFilled':
      return { ...filled(1, String(step.tradeId), step.px, v), lastQty: quantity(step.qty) };
    default:
      return sample(type, order);
  }
}

describe('property: random event sequences', () => {
  it('keep the invariants, never reopen a terminal order, and fail only with documented codes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(arbStep, { maxLength: 40 }), (qty, steps) => {
        let order = createOrder(init({ quantity: quantity(qty) }));
        let fillValue = 0;
        for (const step of steps) {
          const before = order;
          const event = eventFor(order, step);
          try {
            order = applyOrderEvent(order, event);
          } catch (e) {
            if (!(e instanceof InvariantError) || !EXPECTED_CODES.has(e.code)) throw e;
            expect(before.events.length).toBe(order.events.length); // nothing half-applied
            continue;
          }
          if (event.type === 'OrderFilled') fillValue += event.lastQty * event.lastPx;

          // terminal stays terminal; the one exit is a late fill completing CANCELED/EXPIRED → FILLED
          if (isTerminal(before)) {
            expect(isTerminal(order)).toBe(true);
            if (order.status !== before.status) {
              expect(event.type).toBe('OrderFilled');
              expect(['CANCELED', 'EXPIRED']).toContain(before.status);
              expect(order.status).toBe('FILLED');
            }
          }
          // quantities
          expect(order.filledQty).toBeLessThanOrEqual(order.quantity);
          if (CLOSED_UNFILLED.has(order.status)) expect(order.leavesQty).toBe(0);
          else expect(order.leavesQty + order.filledQty).toBe(order.quantity);
          expect(order.filledValue).toBe(fillValue);
          // status agrees with the quantities
          expect(order.status === 'FILLED').toBe(order.filledQty === order.quantity);
          if (order.status === 'ACCEPTED' || order.status === 'SUBMITTED') expect(order.filledQty).toBe(0);
          if (order.status === 'PARTIALLY_FILLED') expect(order.filledQty).toBeGreaterThan(0);
          // the record is the replay of its own history
          expect(order.events.length).toBe(before.events.length + 1);
        }
        expect(replayOrder(order.events)).toEqual(order);
      }),
      { numRuns: 2_000 },
    );
  });
});
