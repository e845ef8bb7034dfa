import { AppError, type Disposition } from '../core/errors.ts';

/**
 * Stable codes of `PersistenceError`:
 * - `DB_UNAVAILABLE` (retryable): the database cannot be reached or went away (connection refused or
 *   reset, server shutting down, too many connections, the handle is closed).
 * - `DB_CONFLICT` (retryable): the server aborted the transaction to resolve a conflict (serialization
 *   failure, deadlock); running the whole transaction again is safe.
 * - `DB_CONSTRAINT` (fatal): a constraint refused the write (unique, foreign key, check, not null, and
 *   the append-only triggers, which raise `restrict_violation`). Expected duplicates are handled with
 *   `ON CONFLICT` and never surface as this error, so one that does is a bug or tampering.
 * - `DB_COMMIT_UNKNOWN` (outcome-unknown): the connection failed while COMMIT was in flight; the
 *   transaction may or may not have been applied. Re-read before acting again; never assume either.
 * - `DB_LOCKED` (fatal): the PGlite data folder is in use by another live process.
 * - `DB_MIGRATION` (fatal): a migration failed, an applied migration file was changed, or the
 *   database has migrations this code does not know.
 * - `DB_QUERY` (fatal): any other error the server reported (syntax, type, range): a bug.
 * - `DB_VALUE` (fatal): a value cannot cross the boundary without loss (a bigint outside the safe
 *   integer range, an unsafe integer parameter, an infinite timestamp).
 */
export type PersistenceErrorCode =
  | 'DB_UNAVAILABLE'
  | 'DB_CONFLICT'
  | 'DB_CONSTRAINT'
  | 'DB_COMMIT_UNKNOWN'
  | 'DB_LOCKED'
  | 'DB_MIGRATION'
  | 'DB_QUERY'
  | 'DB_VALUE';

const DISPOSITIONS: Readonly<Record<PersistenceErrorCode, Disposition>> = {
  DB_UNAVAILABLE: 'retryable',
  DB_CONFLICT: 'retryable',
  DB_CONSTRAINT: 'fatal',
  DB_COMMIT_UNKNOWN: 'outcome-unknown',
  DB_LOCKED: 'fatal',
  DB_MIGRATION: 'fatal',
  DB_QUERY: 'fatal',
  DB_VALUE: 'fatal',
};

/** An error of the persistence layer, with the server's SQLSTATE (when any) in `context.sqlState`. */
export class PersistenceError extends AppError {
  readonly disposition: Disposition;
  constructor(
    readonly code: PersistenceErrorCode,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, context, options);
    this.disposition = DISPOSITIONS[code];
  }
}

/** Node socket error codes that mean "the server is not reachable". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** Messages of pg / PGlite errors that carry no code but mean the connection is gone. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
  /client has encountered a connection error/i,
  /client was closed/i,
  /pglite is closed/i,
  /connection not open/i,
];

function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Maps an error thrown by the pg or PGlite driver to a `PersistenceError`. `AppError`s (including
 * errors thrown by our own type parsers) pass through unchanged. The SQL text is kept in the context,
 * parameter values are not (they may be personal data).
 * @param what short description of the operation, e.g. `query`, `connect`, `commit`
 */
export function mapDriverError(err: unknown, what: string, sql?: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { message?: unknown; code?: unknown; constraint?: unknown; table?: unknown; detail?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const sqlState = sqlStateOf(err);
  const context: Record<string, unknown> = { operation: what };
  if (sqlState !== undefined) context['sqlState'] = sqlState;
  if (typeof e?.constraint === 'string') context['constraint'] = e.constraint;
  if (typeof e?.table === 'string') context['table'] = e.table;
  if (sql !== undefined) context['sql'] = sql.length > 500 ? `${sql.slice(0, 500)}…` : sql;
  const opts = { cause: err };

  if (sqlState !== undefined) {
    const cls = sqlState.slice(0, 2);
    if (cls === '23') return new PersistenceError('DB_CONSTRAINT', `${what} refused by a constraint: ${message}`, context, opts);
    if (sqlState === '40001' || sqlState === '40P01') return new PersistenceError('DB_CONFLICT', `${what} aborted by a conflict: ${message}`, context, opts);
    if (cls === '08' || cls === '53' || sqlState === '57P01' || sqlState === '57P02' || sqlState === '57P03') {
      return new PersistenceError('DB_UNAVAILABLE', `database unavailable during ${what}: ${message}`, context, opts);
    }
    return new PersistenceError('DB_QUERY', `${what} failed: ${message}`, context, opts);
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if ((code !== undefined && NETWORK_CODES.has(code)) || UNAVAILABLE_MESSAGES.some((re) => re.test(message))) {
    return new PersistenceError('DB_UNAVAILABLE', `database unavailable during ${what}: ${message}`, { ...context, errno: code }, opts);
  }
  // Aggregate errors (pg tries every address of a host name) carry the socket errors inside.
  const inner = (err as { errors?: unknown } | null)?.errors;
  if (Array.isArray(inner) && inner.length > 0 && inner.every((x) => NETWORK_CODES.has(String((x as { code?: unknown }).code)))) {
    return new PersistenceError('DB_UNAVAILABLE', `database unavailable during ${what}: ${message}`, context, opts);
  }
  return new PersistenceError('DB_QUERY', `${what} failed: ${message}`, context, opts);
}
