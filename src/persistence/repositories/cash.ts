import type { UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { krw, type Krw } from '../../model/money.ts';
import { int, millis, str, tsParam, type DbRow } from '../codec.ts';
import type { Db } from '../types.ts';

/** Cash of an account in whole won (KIS inquire-balance output2 terms). */
export interface CashBalance {
  /** 예수금 (dnca_tot_amt): the deposit; changes at settlement. */
  readonly deposit: Krw;
  /** D+1 settlement cash (nxdy_excc_amt). */
  readonly settlementD1: Krw;
  /** D+2 settlement cash (prvs_rcdl_excc_amt): every fill moves it at once. May go negative (미수). */
  readonly settlementD2: Krw;
}

/** A stored cash row. */
export interface StoredCash extends CashBalance {
  readonly accountId: string;
  readonly updatedAt: UnixMillis;
}

/** Converts a `cash` row (re-validated as whole won). */
export function toCash(row: DbRow): StoredCash {
  return {
    accountId: str(row, 'account_id'),
    deposit: krw(int(row, 'deposit')),
    settlementD1: krw(int(row, 'settlement_d1')),
    settlementD2: krw(int(row, 'settlement_d2')),
    updatedAt: millis(row, 'updated_at'),
  };
}

/** The `cash` table: one row per account. */
export class CashRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /**
   * The cash of `accountId`, if known.
   * @param opts.forUpdate lock the row until the surrounding transaction ends (the ledger serialises
   *   all fills of an account on this lock)
   */
  async get(accountId: string, opts: { forUpdate?: boolean } = {}): Promise<StoredCash | undefined> {
    const rows = await this.db.query(`SELECT * FROM cash WHERE account_id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [accountId]);
    return rows[0] === undefined ? undefined : toCash(rows[0]);
  }

  /** Writes the cash of `accountId` (insert or replace), e.g. adopted from the venue by reconciliation. */
  async upsert(accountId: string, cash: CashBalance): Promise<StoredCash> {
    const rows = await this.db.query(
      `INSERT INTO cash (account_id, deposit, settlement_d1, settlement_d2, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id) DO UPDATE SET deposit = excluded.deposit, settlement_d1 = excluded.settlement_d1,
         settlement_d2 = excluded.settlement_d2, updated_at = excluded.updated_at
       RETURNING *`,
      [accountId, krw(cash.deposit), krw(cash.settlementD1), krw(cash.settlementD2), tsParam(this.clock.now())],
    );
    return toCash(rows[0] as DbRow);
  }
}
