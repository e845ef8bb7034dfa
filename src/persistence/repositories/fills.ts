import type { UnixMillis } from '../../core/brand.ts';
import { InvariantError } from '../../core/errors.ts';
import type { KstDate } from '../../core/kst.ts';
import { instrumentId, type InstrumentId } from '../../model/instrument.ts';
import { krw, price, quantity, type Krw, type Price, type Quantity } from '../../model/money.ts';
import type { ClientOrderId, OrderFilled, TradeId, VenueOrderId } from '../../model/order-events.ts';
import type { OrderSide } from '../../model/order-types.ts';
import { int, millis, optStr, str, tsParam, type DbRow } from '../codec.ts';
import type { Db, SqlParam } from '../types.ts';

/** Where we learned of a fill: the WebSocket execution notice or a REST query (reconciliation). */
export type FillSource = 'NOTICE' | 'REST';

/** One execution to record. */
export interface FillInput {
  readonly accountId: string;
  readonly venueOrderId: VenueOrderId;
  /** Fill sequence within the venue order. */
  readonly tradeId: TradeId;
  /** Our order, when the fill is ours; absent for orders placed outside hantu. */
  readonly clientOrderId?: ClientOrderId | undefined;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Shares (> 0). */
  readonly quantity: Quantity;
  /** Won. */
  readonly price: Price;
  /** Won (>= 0). */
  readonly commission: Krw;
  /** Won (>= 0; 0 on buys). */
  readonly tax: Krw;
  readonly source: FillSource;
  /** Execution time (venue), epoch ms. Its KST date is part of the fill's identity. */
  readonly tsEvent: UnixMillis;
}

/** A recorded fill. */
export interface StoredFill extends Omit<FillInput, 'clientOrderId'> {
  readonly id: number;
  readonly clientOrderId: ClientOrderId | undefined;
  /** KST session date of `tsEvent` (YYYY-MM-DD). */
  readonly tradeDate: KstDate;
  readonly recordedAt: UnixMillis;
}

/**
 * Result of `recordFill`: `isNew` is true only for the call that inserted the row. For a duplicate,
 * `fill` is the row recorded first and `conflicting` tells whether the two disagree on instrument,
 * side, quantity or price (same identity, different facts: a data problem worth an alert).
 */
export type RecordFillResult = { readonly isNew: true; readonly fill: StoredFill } | { readonly isNew: false; readonly fill: StoredFill; readonly conflicting: boolean };

/** Converts a `fills` row (money re-validated). */
export function toFill(row: DbRow): StoredFill {
  return {
    id: int(row, 'id'),
    accountId: str(row, 'account_id'),
    tradeDate: str(row, 'trade_date'),
    venueOrderId: str(row, 'venue_order_id'),
    tradeId: str(row, 'trade_id'),
    clientOrderId: optStr(row, 'client_order_id'),
    instrumentId: instrumentId(str(row, 'instrument_id')),
    side: str(row, 'side') as OrderSide,
    quantity: quantity(int(row, 'quantity')),
    price: price(int(row, 'price')),
    commission: krw(int(row, 'commission')),
    tax: krw(int(row, 'tax')),
    source: str(row, 'source') as FillSource,
    tsEvent: millis(row, 'ts_event'),
    recordedAt: millis(row, 'recorded_at'),
  };
}

/** A `FillInput` from an `OrderFilled` event of one of our orders. */
export function fillFromEvent(accountId: string, event: OrderFilled, source: FillSource): FillInput {
  return {
    accountId,
    venueOrderId: event.venueOrderId,
    tradeId: event.tradeId,
    clientOrderId: event.clientOrderId,
    instrumentId: event.instrumentId,
    side: event.side,
    quantity: event.lastQty,
    price: event.lastPx,
    commission: event.commission,
    tax: event.tax,
    source,
    tsEvent: event.tsEvent,
  };
}

/** The KST-date expression of a timestamptz parameter, identical to the generated `trade_date` column. */
const TRADE_DATE_OF = (param: string): string => `((${param}::timestamptz AT TIME ZONE 'UTC') + interval '9 hours')::date`;

/**
 * The append-only `fills` table. `recordFill` is THE de-duplication point of the system: a fill is
 * identified by (account, KST session date, venue order id, trade id), and a second report of it —
 * from a notice, a REST query, a replay or a concurrent writer — changes nothing.
 */
export class FillRepository {
  constructor(private readonly db: Db) {}

  /**
   * Records a fill once: `INSERT … ON CONFLICT DO NOTHING`. Safe under concurrent writers on
   * PostgreSQL (the unique index decides; a loser waits for the winner's transaction and then sees
   * its row). Call it inside the transaction that applies the fill's effects, and apply them only
   * when `isNew` (the `Ledger` does exactly that).
   * @throws InvariantError(FILL_INVALID) for a non-positive quantity or negative costs
   */
  async recordFill(fill: FillInput): Promise<RecordFillResult> {
    if (fill.quantity <= 0 || fill.commission < 0 || fill.tax < 0 || fill.venueOrderId === '' || fill.tradeId === '') {
      throw new InvariantError('FILL_INVALID', `fill needs ids, quantity > 0 and non-negative costs: venueOrderId=${fill.venueOrderId}, tradeId=${fill.tradeId}, quantity=${fill.quantity}`, {
        venueOrderId: fill.venueOrderId,
        tradeId: fill.tradeId,
      });
    }
    const inserted = await this.db.query(
      `INSERT INTO fills (account_id, venue_order_id, trade_id, client_order_id, instrument_id, side, quantity, price, commission, tax, source, ts_event)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT ON CONSTRAINT fills_venue_fill_key DO NOTHING
       RETURNING *`,
      [
        fill.accountId,
        fill.venueOrderId,
        fill.tradeId,
        fill.clientOrderId ?? null,
        instrumentId(fill.instrumentId),
        fill.side,
        quantity(fill.quantity),
        price(fill.price),
        krw(fill.commission),
        krw(fill.tax),
        fill.source,
        tsParam(fill.tsEvent),
      ],
    );
    if (inserted[0] !== undefined) return { isNew: true, fill: toFill(inserted[0]) };
    const existing = await this.db.query(
      `SELECT * FROM fills WHERE account_id = $1 AND trade_date = ${TRADE_DATE_OF('$2')} AND venue_order_id = $3 AND trade_id = $4`,
      [fill.accountId, tsParam(fill.tsEvent), fill.venueOrderId, fill.tradeId],
    );
    if (existing[0] === undefined) {
      throw new InvariantError('FILL_LOOKUP_FAILED', `fill conflicted on its key but cannot be read back: venueOrderId=${fill.venueOrderId}, tradeId=${fill.tradeId}`);
    }
    const first = toFill(existing[0]);
    const conflicting = first.instrumentId !== fill.instrumentId || first.side !== fill.side || first.quantity !== fill.quantity || first.price !== fill.price;
    return { isNew: false, fill: first, conflicting };
  }

  /** Fills of one of our orders, in recording order. */
  async forOrder(clientOrderId: ClientOrderId): Promise<StoredFill[]> {
    return (await this.db.query('SELECT * FROM fills WHERE client_order_id = $1 ORDER BY id', [clientOrderId])).map(toFill);
  }

  /** Fills of one venue order of `accountId` on the KST session date `tradeDate`, in recording order. */
  async forVenueOrder(accountId: string, tradeDate: KstDate, venueOrderId: VenueOrderId): Promise<StoredFill[]> {
    return (
      await this.db.query('SELECT * FROM fills WHERE account_id = $1 AND trade_date = $2::date AND venue_order_id = $3 ORDER BY id', [accountId, tradeDate, venueOrderId])
    ).map(toFill);
  }

  /** Fills of `accountId`, oldest first, optionally of one KST session date or from an instant on. */
  async list(accountId: string, opts: { tradeDate?: KstDate; since?: number; limit?: number } = {}): Promise<StoredFill[]> {
    const where = ['account_id = $1'];
    const params: SqlParam[] = [accountId];
    if (opts.tradeDate !== undefined) where.push(`trade_date = $${params.push(opts.tradeDate)}::date`);
    if (opts.since !== undefined) where.push(`ts_event >= $${params.push(tsParam(opts.since))}`);
    params.push(opts.limit ?? 10_000);
    return (await this.db.query(`SELECT * FROM fills WHERE ${where.join(' AND ')} ORDER BY ts_event, id LIMIT $${params.length}`, params)).map(toFill);
  }
}
