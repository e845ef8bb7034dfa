import type { DbRow } from './codec.ts';

/** Which engine a `Db` runs on. */
export type DbKind = 'pglite' | 'postgres';

/**
 * A query parameter. Numbers must be finite, and integers safe (money and quantities are whole won /
 * shares); instants go in as ISO text from `tsParam`, JSON as text from `jsonParam` (cast `$n::jsonb`).
 */
export type SqlParam = string | number | boolean | null;

/**
 * The one database interface over PGlite and PostgreSQL. Every error a driver throws comes out as a
 * `PersistenceError` (see `errors.ts` for the codes); errors thrown by your own code inside
 * `transaction` pass through unchanged.
 *
 * Result conversions (both engines, see `codec.ts`): int8 → safe-integer number, timestamptz → epoch
 * ms, date → `YYYY-MM-DD`, json/jsonb → parsed value, numeric → string.
 */
export interface Db {
  readonly kind: DbKind;
  /** Where the data lives, without credentials: `pglite:<folder>`, `pglite:memory`, `postgres://host:port/db`. */
  readonly location: string;
  /**
   * Runs one statement with `$1…$n` parameters and returns its rows (empty for statements without
   * RETURNING). Inside a `transaction` callback, calls on the outer `Db` join the transaction too.
   */
  query<T extends object = DbRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Runs one or more statements without parameters (DDL, scripts). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction: committed when `fn` resolves, rolled back when it throws (the error
   * is rethrown). Nested calls — on `tx` or on the outer `Db`, anywhere in `fn`'s async call tree —
   * reuse the outer transaction (no savepoints): an error inside a nested call that you catch still
   * leaves a server-side error state, so let errors propagate to the outermost call.
   * `PersistenceError(DB_COMMIT_UNKNOWN)` means the connection failed during COMMIT: re-read.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the pool / the PGlite instance (idempotent). Queries afterwards fail with DB_UNAVAILABLE. */
  close(): Promise<void>;
  /**
   * Statements and transactions started on this handle and not yet settled (tests on a simulated clock
   * hold time still while the database works, as they do for HTTP requests). Absent on a transaction's handle.
   */
  readonly inFlight?: number;
}
