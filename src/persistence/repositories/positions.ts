import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { instrumentId, type InstrumentId } from '../../model/instrument.ts';
import { krw, quantity } from '../../model/money.ts';
import type { Position } from '../../model/position.ts';
import { bool, int, millis, str, tsParam, type DbRow } from '../codec.ts';
import type { Db } from '../types.ts';

/** A position as stored: the model's `Position` plus its account, the external flag and the write time. */
export interface StoredPosition extends Position {
  readonly accountId: string;
  /** The holding includes shares that changed outside hantu (adopted, or filled by an order we did not place). */
  readonly external: boolean;
  readonly updatedAt: UnixMillis;
}

/** Converts a `positions` row (money re-validated as whole won). */
export function toPosition(row: DbRow): StoredPosition {
  return {
    accountId: str(row, 'account_id'),
    instrumentId: instrumentId(str(row, 'instrument_id')),
    quantity: quantity(int(row, 'quantity')),
    costBasis: krw(int(row, 'cost_basis')),
    realizedPnl: krw(int(row, 'realized_pnl')),
    commissionPaid: krw(int(row, 'commission_paid')),
    taxPaid: krw(int(row, 'tax_paid')),
    external: bool(row, 'external'),
    updatedAt: millis(row, 'updated_at'),
  };
}

/** The `positions` table, one row per (account, instrument); flat positions stay (realised PnL is kept). */
export class PositionRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /**
   * The position of `accountId` in `id`, if a row exists.
   * @param opts.forUpdate lock the row until the surrounding transaction ends
   */
  async get(accountId: string, id: InstrumentId, opts: { forUpdate?: boolean } = {}): Promise<StoredPosition | undefined> {
    const rows = await this.db.query(`SELECT * FROM positions WHERE account_id = $1 AND instrument_id = $2${opts.forUpdate ? ' FOR UPDATE' : ''}`, [accountId, id]);
    return rows[0] === undefined ? undefined : toPosition(rows[0]);
  }

  /** Positions of `accountId` by instrument; flat ones only with `includeFlat`. */
  async list(accountId: string, opts: { includeFlat?: boolean } = {}): Promise<StoredPosition[]> {
    const rows = await this.db.query(
      `SELECT * FROM positions WHERE account_id = $1${opts.includeFlat ? '' : ' AND quantity > 0'} ORDER BY instrument_id`,
      [accountId],
    );
    return rows.map(toPosition);
  }

  /**
   * Writes the position (insert or replace). Used by the ledger after a fill and by reconciliation to
   * adopt the venue's holding.
   * @param opts.external default: keep the stored flag (false for a new row)
   */
  async upsert(accountId: string, position: Position, opts: { external?: boolean } = {}): Promise<StoredPosition> {
    const rows = await this.db.query(
      `INSERT INTO positions (account_id, instrument_id, quantity, cost_basis, realized_pnl, commission_paid, tax_paid, external, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::boolean, false), $9)
       ON CONFLICT (account_id, instrument_id) DO UPDATE SET
         quantity = excluded.quantity, cost_basis = excluded.cost_basis, realized_pnl = excluded.realized_pnl,
         commission_paid = excluded.commission_paid, tax_paid = excluded.tax_paid,
         external = coalesce($8::boolean, positions.external), updated_at = excluded.updated_at
       RETURNING *`,
      [
        accountId,
        instrumentId(position.instrumentId),
        quantity(position.quantity),
        krw(position.costBasis),
        krw(position.realizedPnl),
        krw(position.commissionPaid),
        krw(position.taxPaid),
        opts.external ?? null,
        tsParam(this.clock.now()),
      ],
    );
    return toPosition(rows[0] as DbRow);
  }
}
