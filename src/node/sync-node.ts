import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import { bps } from '../model/money.ts';
import { Ledger, openDatabase, type StoredReconciliationReport } from '../persistence/index.ts';
import { AccountSync, type SyncOutcome } from '../sync/account-sync.ts';
import type { OpenedBroker } from './broker.ts';

/** Where `hantu sync` / `hantu reports` find the ledger: DATABASE_URL, else PGlite in `<dataDir>/ledger`. */
export interface LedgerLocation {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** DATABASE_URL (PostgreSQL); unset: PGlite in the data folder. */
  readonly databaseUrl?: string | undefined;
}

/**
 * The ledger account id of a broker session: a running `hantu sim` keeps its account for its life
 * (`sim.<day>.pid<pid>`, the id `hantu run --sim` against it would use); an in-process twin is new each
 * time (`sim.<day>.once<random>`); KIS: `kis-<env>.<first 4 digits>.<product code>`.
 */
export function ledgerAccountIdOf(s: OpenedBroker): string {
  if (s.endpoint && !s.twin) return `sim.${s.endpoint.day}.pid${s.endpoint.pid}`;
  if (s.twin) return `sim.${s.twin.day}.once${randomBytes(3).toString('hex')}x`;
  const m = /^(\d{4})\D*-?(\d{2})$/.exec(s.account.replace(/\*/g, ''));
  return `kis-${s.env}.${m?.[1] ?? 'acct'}.${m?.[2] ?? '01'}`;
}

/** Runs one reconciliation (kind MANUAL) of the session's account now; writes and returns its report. */
export async function syncOnce(s: OpenedBroker, loc: LedgerLocation): Promise<SyncOutcome & { accountId: string; ledger: string }> {
  const db = await openDatabase(loc.databaseUrl ? { url: loc.databaseUrl, logger: loc.logger } : { dataDir: loc.config.dataDir, logger: loc.logger });
  try {
    const rates = { commissionBps: bps(loc.config.fees.commissionBps), sellTaxBps: bps(loc.config.fees.sellTaxBps) };
    const ledger = new Ledger(db, { rates, clock: s.clock });
    const accountId = ledgerAccountIdOf(s);
    const fullAccount = s.endpoint?.account;
    await ledger.accounts.register({ id: accountId, env: s.env, accountNumber: fullAccount ?? s.account });
    const sync = new AccountSync({ ledger, accountId, venue: s.client, clock: s.clock, logger: loc.logger, rates, isMarketHours: () => false, today: () => s.today() });
    const outcome = await sync.syncNow('MANUAL');
    return { ...outcome, accountId, ledger: db.location };
  } finally {
    await db.close();
  }
}

/** Recent reconciliation reports, newest first. */
export async function recentReports(loc: LedgerLocation, opts: { accountId?: string; limit?: number } = {}): Promise<{ ledger: string; reports: StoredReconciliationReport[] }> {
  const db = await openDatabase(loc.databaseUrl ? { url: loc.databaseUrl, logger: loc.logger } : { dataDir: loc.config.dataDir, logger: loc.logger });
  try {
    const ledger = new Ledger(db, { rates: { commissionBps: bps(loc.config.fees.commissionBps), sellTaxBps: bps(loc.config.fees.sellTaxBps) } });
    return { ledger: db.location, reports: await ledger.reports.listRecent({ ...(opts.accountId ? { accountId: opts.accountId } : {}), limit: opts.limit ?? 20 }) };
  } finally {
    await db.close();
  }
}
