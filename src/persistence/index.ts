/**
 * The ledger's persistence (issue 4 §1): one `Db` interface over PGlite (default, in the data folder)
 * and PostgreSQL (DATABASE_URL), numbered SQL migrations applied at start on both, and typed
 * repositories over the domain model. Money is whole won (bigint columns, safe-integer JS numbers);
 * instants are timestamptz columns carried as epoch milliseconds.
 */
export { openDatabase, type OpenDatabaseOptions } from './db.ts';
export type { Db, DbKind, SqlParam } from './types.ts';
export { PersistenceError, type PersistenceErrorCode } from './errors.ts';
export { migrate, loadMigrations, migrationOf, MIGRATIONS_DIR, type Migration, type MigrationResult } from './migrate.ts';
export { AccountMasker, maskAccountNumber } from './masking.ts';
export { Ledger, type CostRates, type LedgerFill, type LedgerFillResult } from './ledger.ts';
export { AccountRepository, type AccountEnv, type AccountRecord } from './repositories/accounts.ts';
export { InstrumentRepository, type StoredInstrument } from './repositories/instruments.ts';
export {
  OrderRepository,
  OPEN_STATUSES,
  INFLIGHT_STATUSES,
  type OrderIntent,
  type StoredOrder,
  type VenueOrderState,
  type VenueReport,
} from './repositories/orders.ts';
export { FillRepository, fillFromEvent, type FillInput, type FillSource, type RecordFillResult, type StoredFill } from './repositories/fills.ts';
export { PositionRepository, type StoredPosition } from './repositories/positions.ts';
export { CashRepository, type CashBalance, type StoredCash } from './repositories/cash.ts';
export { SnapshotRepository, type StoredSnapshot } from './repositories/snapshots.ts';
export {
  ReconciliationReportRepository,
  type ReconciliationKind,
  type ReconciliationReportInput,
  type ReconciliationStatus,
  type StoredReconciliationReport,
} from './repositories/reconciliation-reports.ts';
export { AuditLog, type AuditEntry, type AuditEntryInput, type AuditResult } from './repositories/audit-log.ts';
export { ComponentStatusRepository, type ComponentState, type ComponentStatus } from './repositories/component-status.ts';
