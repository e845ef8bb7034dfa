import type { UnixMillis } from '../../core/brand.ts';
import type { AccountBalanceReport } from '../../model/reports.ts';
import { int, json, jsonParam, millis, str, tsParam, type DbRow } from '../codec.ts';
import type { Db } from '../types.ts';

/** A stored venue balance snapshot. */
export interface StoredSnapshot {
  readonly id: number;
  readonly accountId: string;
  /** The report's `tsInit` (when it was taken), epoch ms. */
  readonly ts: UnixMillis;
  readonly report: AccountBalanceReport;
}

function toSnapshot(row: DbRow): StoredSnapshot {
  return { id: int(row, 'id'), accountId: str(row, 'account_id'), ts: millis(row, 'ts'), report: json<AccountBalanceReport>(row, 'payload') };
}

/** The `account_snapshots` table: venue balances (holdings + cash) exactly as reported. */
export class SnapshotRepository {
  constructor(private readonly db: Db) {}

  /** Stores one balance report of `accountId` (its `tsInit` becomes the snapshot time). */
  async insert(accountId: string, report: AccountBalanceReport): Promise<StoredSnapshot> {
    const rows = await this.db.query(`INSERT INTO account_snapshots (account_id, ts, payload) VALUES ($1, $2, $3::jsonb) RETURNING *`, [
      accountId,
      tsParam(report.tsInit),
      jsonParam(report),
    ]);
    return toSnapshot(rows[0] as DbRow);
  }

  /** The most recent snapshot of `accountId` (by report time), if any. */
  async latest(accountId: string): Promise<StoredSnapshot | undefined> {
    return (await this.list(accountId, 1))[0];
  }

  /** Snapshots of `accountId`, newest first. @param limit default 20 */
  async list(accountId: string, limit = 20): Promise<StoredSnapshot[]> {
    return (await this.db.query('SELECT * FROM account_snapshots WHERE account_id = $1 ORDER BY ts DESC, id DESC LIMIT $2', [accountId, limit])).map(toSnapshot);
  }
}
