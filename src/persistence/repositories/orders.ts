import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { InvariantError } from '../../core/errors.ts';
import type { KstDate } from '../../core/kst.ts';
import { price as toPrice, quantity as toQuantity, type Price, type Quantity } from '../../model/money.ts';
import type { ClientOrderId, OrderEvent, OrderFilled, OrderInitialized, OrderSubmitted, VenueOrderId } from '../../model/order-events.ts';
import { TERMINAL_ORDER_STATUSES, type OrderStatus } from '../../model/order-types.ts';
import { applyOrderEvent, createOrder, replayOrder, type Order } from '../../model/order.ts';
import { int, json, jsonParam, millis, optInt, optMillis, optStr, str, tsParam, type DbRow } from '../codec.ts';
import type { Db, SqlParam } from '../types.ts';

/** Our intent when the order was created, before anything happened to it. */
export interface OrderIntent {
  readonly quantity: Quantity;
  /** Limit price (won); `undefined` for MARKET. */
  readonly price: Price | undefined;
  readonly strategyId: string | undefined;
  readonly tag: string | undefined;
  /** Why the order was created (free text from the strategy / operator). */
  readonly reason: string | undefined;
}

/** What the venue last reported about the order (written only by reconciliation). */
export interface VenueOrderState {
  /** The venue's word for the order's state, as the sync maps it (e.g. `OPEN`, `FILLED`, `CANCELED`). */
  readonly status: string | undefined;
  readonly filledQty: Quantity | undefined;
  readonly remainingQty: Quantity | undefined;
  readonly reportedAt: UnixMillis | undefined;
  /** Consecutive queries in which the venue did not know the order (3 → lost, issue 4 §2). */
  readonly misses: number;
  readonly lastReconciledAt: UnixMillis | undefined;
}

/**
 * A stored order: the model's `Order` rebuilt from its events (`order.events` holds them all), plus
 * the account, our original intent and the venue-reported state, kept apart.
 */
export interface StoredOrder {
  readonly accountId: string;
  readonly order: Order;
  readonly intent: OrderIntent;
  readonly venue: VenueOrderState;
  readonly createdAt: UnixMillis;
  readonly updatedAt: UnixMillis;
}

/** What the venue reported in one reconciliation query. */
export interface VenueReport {
  readonly status: string;
  readonly filledQty?: Quantity | undefined;
  readonly remainingQty?: Quantity | undefined;
  /** When the venue's answer was obtained (epoch ms). */
  readonly reportedAt: UnixMillis;
}

const TERMINAL = [...TERMINAL_ORDER_STATUSES];
/** Statuses in which the venue may hold the order: in flight or working. */
export const OPEN_STATUSES: readonly OrderStatus[] = ['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_UPDATE'];
/** Statuses in which a command awaits the venue's answer (`model/order.ts isInflight`). */
export const INFLIGHT_STATUSES: readonly OrderStatus[] = ['SUBMITTED', 'PENDING_CANCEL', 'PENDING_UPDATE'];

const sqlList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

/** The columns the order's events determine, in `UPDATE` order. */
function projection(order: Order): SqlParam[] {
  return [
    order.status,
    order.quantity,
    order.price ?? null,
    order.filledQty,
    order.leavesQty,
    order.filledValue,
    order.commissionPaid,
    order.taxPaid,
    order.venueOrderId ?? null,
    order.branch ?? null,
    jsonParam(order.venueOrderIds),
    order.events.length,
  ];
}

function toStored(row: DbRow, events: readonly OrderEvent[]): StoredOrder {
  const order = replayOrder(events);
  const id = str(row, 'client_order_id');
  // The row is a projection of the events written in the same transaction; a difference means someone
  // changed the row behind the ledger's back.
  if (order.status !== str(row, 'status') || order.filledQty !== int(row, 'filled_qty') || order.events.length !== int(row, 'event_count')) {
    throw new InvariantError('ORDER_PROJECTION_MISMATCH', `order row ${id} disagrees with its events: row status=${str(row, 'status')}, events status=${order.status}`, {
      clientOrderId: id,
    });
  }
  const intentPrice = optInt(row, 'intent_price');
  const venueFilled = optInt(row, 'venue_filled_qty');
  const venueRemaining = optInt(row, 'venue_remaining_qty');
  return {
    accountId: str(row, 'account_id'),
    order,
    intent: {
      quantity: toQuantity(int(row, 'intent_quantity')),
      price: intentPrice === undefined ? undefined : toPrice(intentPrice),
      strategyId: optStr(row, 'strategy_id'),
      tag: optStr(row, 'tag'),
      reason: optStr(row, 'reason'),
    },
    venue: {
      status: optStr(row, 'venue_status'),
      filledQty: venueFilled === undefined ? undefined : toQuantity(venueFilled),
      remainingQty: venueRemaining === undefined ? undefined : toQuantity(venueRemaining),
      reportedAt: optMillis(row, 'venue_reported_at'),
      misses: int(row, 'venue_misses'),
      lastReconciledAt: optMillis(row, 'last_reconciled_at'),
    },
    createdAt: millis(row, 'created_at'),
    updatedAt: millis(row, 'updated_at'),
  };
}

/**
 * Loads the orders matching `where` (on alias `o`) with all their events, in creation order. Rows and
 * events come from ONE statement (one snapshot): read in two, a write committed between them made the
 * row disagree with its events (found by the chaos campaign on PostgreSQL).
 */
async function loadOrders(db: Db, where: string, params: readonly SqlParam[]): Promise<StoredOrder[]> {
  const rows = await db.query(
    `SELECT o.*, COALESCE((SELECT jsonb_agg(e.payload ORDER BY e.seq) FROM order_events e WHERE e.client_order_id = o.client_order_id), '[]'::jsonb) AS events_json
     FROM orders o WHERE ${where} ORDER BY o.created_at, o.client_order_id`,
    params,
  );
  return rows.map((r) => toStored(r, json<OrderEvent[]>(r, 'events_json')));
}

/**
 * Appends one event to a stored order and rewrites the order row, in the caller's transaction (or a
 * new one). The row is locked first (`FOR NO KEY UPDATE`), the order rebuilt from its events and the event
 * applied with `model/order.ts applyOrderEvent`, so an invalid transition, a duplicate fill or an
 * overfill throws its `InvariantError` before anything is written.
 * Internal to the persistence layer: fills enter only through the `Ledger`.
 */
export async function appendOrderEvent(db: Db, event: OrderEvent, now: UnixMillis, when?: (order: Order) => boolean): Promise<StoredOrder> {
  return db.transaction(async (tx) => {
    const id = event.clientOrderId;
    // NO KEY UPDATE: does not conflict with the KEY SHARE locks that inserts of fills / events
    // referencing the order take through their foreign keys.
    const row = (await tx.query('SELECT * FROM orders WHERE client_order_id = $1 FOR NO KEY UPDATE', [id]))[0];
    if (row === undefined) throw new InvariantError('ORDER_UNKNOWN', `no stored order with clientOrderId=${id}`, { clientOrderId: id, eventType: event.type });
    const events = (await tx.query('SELECT payload FROM order_events WHERE client_order_id = $1 ORDER BY seq', [id])).map((r) => json<OrderEvent>(r, 'payload'));
    const before = toStored(row, events);
    if (when !== undefined && !when(before.order)) return before;
    const after = applyOrderEvent(before.order, event);
    await tx.query(`INSERT INTO order_events (client_order_id, type, payload, ts_event, ts_init) VALUES ($1, $2, $3::jsonb, $4, $5)`, [
      id,
      event.type,
      jsonParam(event),
      tsParam(event.tsEvent),
      tsParam(event.tsInit),
    ]);
    const updated = await tx.query(
      `UPDATE orders SET status = $2, quantity = $3, price = $4, filled_qty = $5, leaves_qty = $6, filled_value = $7, commission = $8,
         tax = $9, venue_order_id = $10, branch = $11, venue_order_ids = $12::jsonb, event_count = $13, updated_at = $14
       WHERE client_order_id = $1 RETURNING *`,
      [id, ...projection(after), tsParam(now)],
    );
    return toStored(updated[0] as DbRow, after.events);
  });
}

/**
 * The `orders` and `order_events` tables. An order is written first as an intent (before anything is
 * sent), then changes only by appending events; each append rewrites the order row in the same
 * transaction. The venue-reported columns are written only by `recordVenueReport` / `recordVenueMiss`.
 */
export class OrderRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /**
   * Persists a new order in INITIALIZED with its OrderInitialized event, in one transaction. Call it
   * before the order is submitted: after a crash, every order that may have reached the venue is here.
   * With `submitted`, the OrderSubmitted event is written in the same transaction (the order is stored
   * SUBMITTED: one commit on the path to the venue instead of two).
   * @param args.reason why the order was created (kept with the intent)
   * @param args.createdAt when the order was created (epoch ms; default now): an order recovered from
   *   another durable record keeps the time it was sent, which the reconciliation matches venue orders by
   * @throws InvariantError(ORDER_INVALID) from `createOrder`
   * @throws PersistenceError(DB_CONSTRAINT) when the client order id exists or the account is unknown
   */
  async insertIntent(args: { accountId: string; init: OrderInitialized; reason?: string | undefined; submitted?: OrderSubmitted; createdAt?: number }): Promise<StoredOrder> {
    const order = args.submitted === undefined ? createOrder(args.init) : applyOrderEvent(createOrder(args.init), args.submitted);
    // One statement (the order row and its events in data-modifying CTEs): atomic on its own, and one
    // round trip to the server instead of BEGIN, three INSERTs and COMMIT. This write is on the
    // tick-to-order path of every exit (the order executor journals before it sends).
    const events: OrderEvent[] = args.submitted === undefined ? [args.init] : [args.init, args.submitted];
    const params: SqlParam[] = [
      order.clientOrderId,
      args.accountId,
      order.instrumentId,
      order.side,
      order.orderType,
      order.quantity,
      order.price ?? null,
      order.strategyId ?? null,
      order.tag ?? null,
      args.reason ?? null,
      ...projection(order),
      tsParam(args.createdAt ?? this.clock.now()),
    ];
    const values = events.map((e) => {
      params.push(e.type, jsonParam(e), tsParam(e.tsEvent), tsParam(e.tsInit));
      const n = params.length;
      return `($1, $${n - 3}, $${n - 2}::jsonb, $${n - 1}::timestamptz, $${n}::timestamptz)`;
    });
    const rows = await this.db.query(
      `WITH o AS (
         INSERT INTO orders (client_order_id, account_id, instrument_id, side, order_type, intent_quantity, intent_price, strategy_id, tag, reason,
           status, quantity, price, filled_qty, leaves_qty, filled_value, commission, tax, venue_order_id, branch, venue_order_ids, event_count,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21::jsonb, $22, $23, $23)
         RETURNING *),
       e AS (
         INSERT INTO order_events (client_order_id, type, payload, ts_event, ts_init) VALUES ${values.join(', ')}
         RETURNING seq)
       SELECT * FROM o`,
      params,
    );
    return toStored(rows[0] as DbRow, order.events);
  }

  /**
   * Applies one event: appends it to `order_events` and rewrites the order row in ONE transaction
   * (nothing is written when the model refuses the event). Fills are not accepted here: they must go
   * through `Ledger.applyFill`, whose `fills` key de-duplicates them and which moves position and cash
   * in the same transaction.
   * @throws InvariantError(FILL_VIA_LEDGER) for OrderFilled; (ORDER_INVALID) for OrderInitialized
   * @throws InvariantError(ORDER_UNKNOWN) when the order is not stored
   * @throws InvariantError(ORDER_INVALID_TRANSITION | ORDER_EVENT_MISMATCH | ORDER_UPDATE_INVALID) from the model
   */
  async applyEvent(event: Exclude<OrderEvent, OrderFilled | OrderInitialized>): Promise<StoredOrder> {
    const type = (event as OrderEvent).type;
    if (type === 'OrderFilled') {
      throw new InvariantError('FILL_VIA_LEDGER', 'fills are applied by Ledger.applyFill (de-duplication, position and cash in one transaction)', {
        clientOrderId: event.clientOrderId,
      });
    }
    if (type === 'OrderInitialized') throw new InvariantError('ORDER_INVALID', 'OrderInitialized starts an order: use insertIntent', { clientOrderId: event.clientOrderId });
    return appendOrderEvent(this.db, event, this.clock.now());
  }

  /**
   * Applies `event` only when `when(order)` holds for the order as stored, checked under the row lock
   * (so two writers racing to record the same venue answer — the order executor's REST acknowledgement
   * and the execution notice — record it once). Returns the order as stored after the call.
   * @throws as {@link applyEvent}
   */
  async applyEventWhen(event: Exclude<OrderEvent, OrderFilled | OrderInitialized>, when: (order: Order) => boolean): Promise<StoredOrder> {
    if ((event as OrderEvent).type === 'OrderFilled' || (event as OrderEvent).type === 'OrderInitialized') return this.applyEvent(event);
    return appendOrderEvent(this.db, event, this.clock.now(), when);
  }

  /** The order `clientOrderId`, rebuilt from its events, if stored. */
  async get(clientOrderId: ClientOrderId): Promise<StoredOrder | undefined> {
    return (await loadOrders(this.db, 'o.client_order_id = $1', [clientOrderId]))[0];
  }

  /** Every event of the order, in the order applied (empty when unknown). */
  async events(clientOrderId: ClientOrderId): Promise<OrderEvent[]> {
    return (await this.db.query('SELECT payload FROM order_events WHERE client_order_id = $1 ORDER BY seq', [clientOrderId])).map((r) => json<OrderEvent>(r, 'payload'));
  }

  /** Orders the venue may hold (in flight or working: `OPEN_STATUSES`), oldest first. */
  async findOpen(accountId?: string): Promise<StoredOrder[]> {
    return this.findByStatus(OPEN_STATUSES, accountId);
  }

  /** Orders awaiting the venue's answer (SUBMITTED, PENDING_CANCEL, PENDING_UPDATE), oldest first. */
  async findInflight(accountId?: string): Promise<StoredOrder[]> {
    return this.findByStatus(INFLIGHT_STATUSES, accountId);
  }

  /**
   * Every non-terminal order, INITIALIZED included: what a restart must resolve (by query) before
   * anything new is sent. Oldest first.
   */
  async findUnresolved(accountId?: string): Promise<StoredOrder[]> {
    const where = `o.status NOT IN (${sqlList(TERMINAL)})${accountId === undefined ? '' : ' AND o.account_id = $1'}`;
    return loadOrders(this.db, where, accountId === undefined ? [] : [accountId]);
  }

  /** Orders in one of `statuses`, oldest first. */
  async findByStatus(statuses: readonly OrderStatus[], accountId?: string): Promise<StoredOrder[]> {
    if (statuses.length === 0) return [];
    const where = `o.status IN (${sqlList(statuses)})${accountId === undefined ? '' : ' AND o.account_id = $1'}`;
    return loadOrders(this.db, where, accountId === undefined ? [] : [accountId]);
  }

  /**
   * The order of `accountId` that carries `venueOrderId` (the original number or any modify's).
   * Venue numbers restart every session: pass `tradeDate` (KST) to consider only orders created that
   * day; otherwise the most recently created match is returned.
   */
  async findByVenueOrderId(accountId: string, venueOrderId: VenueOrderId, opts: { tradeDate?: KstDate } = {}): Promise<StoredOrder | undefined> {
    const params: SqlParam[] = [accountId, jsonParam([venueOrderId])];
    let where = 'o.account_id = $1 AND o.venue_order_ids @> $2::jsonb';
    if (opts.tradeDate !== undefined) where += ` AND ((o.created_at AT TIME ZONE 'UTC') + interval '9 hours')::date = $${params.push(opts.tradeDate)}::date`;
    const found = await loadOrders(this.db, where, params);
    return found[found.length - 1];
  }

  /**
   * Records what the venue reported about the order (venue columns only; our tracked state is not
   * touched) and resets the miss counter.
   * @throws InvariantError(ORDER_UNKNOWN) when the order is not stored
   */
  async recordVenueReport(clientOrderId: ClientOrderId, report: VenueReport): Promise<void> {
    const rows = await this.db.query(
      `UPDATE orders SET venue_status = $2, venue_filled_qty = $3, venue_remaining_qty = $4, venue_reported_at = $5,
         last_reconciled_at = $5, venue_misses = 0
       WHERE client_order_id = $1 RETURNING client_order_id`,
      [clientOrderId, report.status, report.filledQty ?? null, report.remainingQty ?? null, tsParam(report.reportedAt)],
    );
    if (rows.length === 0) throw new InvariantError('ORDER_UNKNOWN', `no stored order with clientOrderId=${clientOrderId}`, { clientOrderId });
  }

  /**
   * Counts one query in which the venue did not know the order; returns the consecutive count.
   * @param at when the query was answered (epoch ms)
   * @throws InvariantError(ORDER_UNKNOWN) when the order is not stored
   */
  async recordVenueMiss(clientOrderId: ClientOrderId, at: UnixMillis): Promise<number> {
    const rows = await this.db.query(
      `UPDATE orders SET venue_misses = venue_misses + 1, last_reconciled_at = $2 WHERE client_order_id = $1 RETURNING venue_misses`,
      [clientOrderId, tsParam(at)],
    );
    if (rows[0] === undefined) throw new InvariantError('ORDER_UNKNOWN', `no stored order with clientOrderId=${clientOrderId}`, { clientOrderId });
    return int(rows[0], 'venue_misses');
  }
}
