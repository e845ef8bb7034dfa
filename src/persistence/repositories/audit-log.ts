import { unixMillis, type UnixMillis } from '../../core/brand.ts';
import { SystemClock, type Clock } from '../../core/clock.ts';
import { int, json, jsonParam, millis, optStr, str, tsParam, type DbRow } from '../codec.ts';
import { AccountMasker } from '../masking.ts';
import type { Db, SqlParam } from '../types.ts';

/** Outcome of an audited action. */
export type AuditResult = 'OK' | 'DENIED' | 'FAILED';

/** What to record. Account numbers anywhere in it are masked before storage. */
export interface AuditEntryInput {
  /** Who: a user, `cli`, `api:<key id>`, `strategy:<id>`, `system`. */
  readonly actor: string;
  /** What: a verb-like name, e.g. `order.submit`, `kill-switch.engage`, `config.reload`. */
  readonly action: string;
  /** On what: a client order id, an instrument, an account id. */
  readonly target?: string | undefined;
  readonly result: AuditResult;
  /** Anything else worth keeping (JSON). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
  /** When (epoch ms); default: the repository clock's now. */
  readonly ts?: UnixMillis | undefined;
}

/** A stored audit entry (masked). */
export interface AuditEntry {
  readonly id: number;
  readonly ts: UnixMillis;
  readonly actor: string;
  readonly action: string;
  readonly target: string | undefined;
  readonly result: AuditResult;
  readonly detail: Readonly<Record<string, unknown>>;
}

function toEntry(row: DbRow): AuditEntry {
  return {
    id: int(row, 'id'),
    ts: millis(row, 'ts'),
    actor: str(row, 'actor'),
    action: str(row, 'action'),
    target: optStr(row, 'target'),
    result: str(row, 'result') as AuditResult,
    detail: json<Record<string, unknown>>(row, 'detail'),
  };
}

/**
 * The append-only `audit_log` (UPDATE, DELETE and TRUNCATE are refused by triggers). Every text column
 * and the whole `detail` go through an `AccountMasker` first; a CHECK constraint refuses any row that
 * still contains an `NNNNNNNN-NN` account number.
 */
export class AuditLog {
  private readonly masker: AccountMasker;
  private readonly clock: Clock;

  /**
   * @param opts.accounts the full account numbers this process uses (from the credentials): masked in
   *   every form, wherever they appear
   */
  constructor(
    private readonly db: Db,
    opts: { clock?: Clock; accounts?: readonly string[] } = {},
  ) {
    this.clock = opts.clock ?? new SystemClock();
    this.masker = new AccountMasker(opts.accounts ?? []);
  }

  /** Appends one entry and returns it as stored (masked). */
  async append(entry: AuditEntryInput): Promise<AuditEntry> {
    const m = this.masker;
    const rows = await this.db.query(
      `INSERT INTO audit_log (ts, actor, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *`,
      [
        tsParam(entry.ts ?? this.clock.now()),
        m.maskText(entry.actor),
        m.maskText(entry.action),
        entry.target === undefined ? null : m.maskText(entry.target),
        entry.result,
        jsonParam(m.maskJson(entry.detail ?? {})),
      ],
    );
    return toEntry(rows[0] as DbRow);
  }

  /** Entries newest first, optionally filtered. @param opts.limit default 100 */
  async list(opts: { limit?: number; since?: number; action?: string; actor?: string; target?: string } = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (opts.since !== undefined) where.push(`ts >= $${params.push(tsParam(unixMillis(opts.since)))}`);
    if (opts.action !== undefined) where.push(`action = $${params.push(opts.action)}`);
    if (opts.actor !== undefined) where.push(`actor = $${params.push(this.masker.maskText(opts.actor))}`);
    if (opts.target !== undefined) where.push(`target = $${params.push(this.masker.maskText(opts.target))}`);
    params.push(opts.limit ?? 100);
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT $${params.length}`;
    return (await this.db.query(sql, params)).map(toEntry);
  }
}
