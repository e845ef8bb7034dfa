import type { UnixMillis } from '../../core/brand.ts';
import { int, json, jsonParam, millis, str, tsParam, type DbRow } from '../codec.ts';
import { AccountMasker } from '../masking.ts';
import type { Db, SqlParam } from '../types.ts';

/** What started a sync (issue 4 §2). */
export type ReconciliationKind = 'STARTUP' | 'PERIODIC' | 'POST_FILL' | 'RECONNECT' | 'MANUAL';
/**
 * How it ended: MATCHED (no difference), CORRECTED (differences explained and applied), DIVERGED
 * (unexplained differences: fail closed), FAILED (the sync could not complete).
 */
export type ReconciliationStatus = 'MATCHED' | 'CORRECTED' | 'DIVERGED' | 'FAILED';

/** A reconciliation report: what was compared, what differed, what was adopted and why. */
export interface ReconciliationReportInput {
  readonly accountId: string;
  readonly kind: ReconciliationKind;
  readonly startedAt: UnixMillis;
  readonly finishedAt: UnixMillis;
  readonly status: ReconciliationStatus;
  /** What was compared, e.g. `{ positions: 12, openOrders: 3, fills: 40, cash: true }` (JSON object). */
  readonly compared: Readonly<Record<string, unknown>>;
  /** One JSON entry per difference found. */
  readonly differences: readonly unknown[];
  /** One JSON entry per correction adopted, with its reason. */
  readonly adopted: readonly unknown[];
  /** One human line, e.g. `2 differences, 2 adopted (external trade 005930 +10)`. */
  readonly summary: string;
}

/** A stored report. */
export interface StoredReconciliationReport extends ReconciliationReportInput {
  readonly id: number;
}

function toReport(row: DbRow): StoredReconciliationReport {
  return {
    id: int(row, 'id'),
    accountId: str(row, 'account_id'),
    kind: str(row, 'kind') as ReconciliationKind,
    startedAt: millis(row, 'started_at'),
    finishedAt: millis(row, 'finished_at'),
    status: str(row, 'status') as ReconciliationStatus,
    compared: json<Record<string, unknown>>(row, 'compared'),
    differences: json<unknown[]>(row, 'differences'),
    adopted: json<unknown[]>(row, 'adopted'),
    summary: str(row, 'summary'),
  };
}

/** The append-only `reconciliation_reports` table. Account numbers in the report are masked. */
export class ReconciliationReportRepository {
  private readonly masker: AccountMasker;
  /** @param opts.accounts full account numbers to mask wherever they appear */
  constructor(
    private readonly db: Db,
    opts: { accounts?: readonly string[] } = {},
  ) {
    this.masker = new AccountMasker(opts.accounts ?? []);
  }

  /** Stores one report and returns it with its id. */
  async insert(report: ReconciliationReportInput): Promise<StoredReconciliationReport> {
    const m = this.masker;
    const rows = await this.db.query(
      `INSERT INTO reconciliation_reports (account_id, kind, started_at, finished_at, status, compared, differences, adopted, summary)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9) RETURNING *`,
      [
        report.accountId,
        report.kind,
        tsParam(report.startedAt),
        tsParam(report.finishedAt),
        report.status,
        jsonParam(m.maskJson(report.compared)),
        jsonParam(m.maskJson(report.differences)),
        jsonParam(m.maskJson(report.adopted)),
        m.maskText(report.summary),
      ],
    );
    return toReport(rows[0] as DbRow);
  }

  /** The report with `id`, if any. */
  async get(id: number): Promise<StoredReconciliationReport | undefined> {
    const row = (await this.db.query('SELECT * FROM reconciliation_reports WHERE id = $1', [id]))[0];
    return row === undefined ? undefined : toReport(row);
  }

  /** Recent reports, newest first (by finish time). @param opts.limit default 20 */
  async listRecent(opts: { accountId?: string; kind?: ReconciliationKind; status?: ReconciliationStatus; limit?: number } = {}): Promise<StoredReconciliationReport[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (opts.accountId !== undefined) where.push(`account_id = $${params.push(opts.accountId)}`);
    if (opts.kind !== undefined) where.push(`kind = $${params.push(opts.kind)}`);
    if (opts.status !== undefined) where.push(`status = $${params.push(opts.status)}`);
    params.push(opts.limit ?? 20);
    const sql = `SELECT * FROM reconciliation_reports ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY finished_at DESC, id DESC LIMIT $${params.length}`;
    return (await this.db.query(sql, params)).map(toReport);
  }
}
