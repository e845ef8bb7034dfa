import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
// Each driver loads only when a database of its kind is opened: the daemon on PostgreSQL never loads
// PGlite, and the embedded default never loads pg (memory: issue 3).
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type pg from 'pg';
import { AppError, ConfigError, InvariantError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { PG_OID, parseDate, parseInt8, parseTimestamptz, type DbRow } from './codec.ts';
import { mapDriverError, PersistenceError } from './errors.ts';
import { migrate as applyMigrations } from './migrate.ts';
import type { Db, DbKind, SqlParam } from './types.ts';

export type { Db, DbKind, SqlParam } from './types.ts';

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /**
   * PostgreSQL connection URL (`postgres://…` or `postgresql://…`), i.e. the value of DATABASE_URL
   * (the config layer reads the environment). When set, `dataDir` is ignored.
   */
  readonly url?: string | undefined;
  /**
   * Data folder: PGlite keeps the ledger in `<dataDir>/ledger` (created if missing). `:memory:` runs an
   * in-memory PGlite (tests). Required when `url` is not set.
   */
  readonly dataDir?: string | undefined;
  /**
   * Schema for every table (PostgreSQL `search_path`), created if missing. Lets tests isolate themselves
   * (`hantu_test_<random>`). Lower-case letters, digits and `_`. Default: the server's search_path.
   */
  readonly schema?: string | undefined;
  /** Apply the numbered migrations before returning (default true). */
  readonly migrate?: boolean | undefined;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number | undefined;
  /**
   * PostgreSQL: connections opened at start and kept open however long they idle (default 4, at most
   * `poolSize`). The order executor's journal write is on the tick-to-order path; a connection opened
   * on demand (TCP, startup, authentication) would add milliseconds to it, and an idle pool closes its
   * connections after 10 s, so in real time every exit minutes after the last query would pay that.
   */
  readonly warmConnections?: number | undefined;
  /** PostgreSQL connect timeout in ms (default 5000). */
  readonly connectTimeoutMs?: number | undefined;
  /** Receives background pool errors (idle connections dropped by the server). */
  readonly logger?: Logger | undefined;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the ledger database: PostgreSQL when `url` is set, otherwise PGlite in `<dataDir>/ledger`
 * (or in memory for `dataDir: ':memory:'`), then applies the migrations unless `migrate: false`.
 * Sessions run with `TimeZone=UTC` and `DateStyle=ISO` on both engines.
 * @throws ConfigError when neither `url` nor `dataDir` is given, the URL is not postgres:// or the
 *   schema name is invalid
 * @throws PersistenceError(DB_UNAVAILABLE) when the server cannot be reached
 * @throws PersistenceError(DB_LOCKED) when another live process holds the PGlite data folder
 * @throws PersistenceError(DB_MIGRATION) when the migrations cannot be applied
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Db> {
  const schema = opts.schema;
  if (schema !== undefined && !SCHEMA_RE.test(schema)) {
    throw new ConfigError([{ path: 'database.schema', message: `must match ${SCHEMA_RE.source}, was "${schema}"` }]);
  }
  let db: Db;
  if (opts.url !== undefined && opts.url !== '') {
    if (!/^postgres(ql)?:\/\//.test(opts.url)) {
      throw new ConfigError([{ path: 'DATABASE_URL', message: 'must start with postgres:// or postgresql://' }]);
    }
    db = await openPostgres(opts.url, schema, opts);
  } else if (opts.dataDir !== undefined && opts.dataDir !== '') {
    db = await openPglite(opts.dataDir, schema);
  } else {
    throw new ConfigError([{ path: 'dataDir', message: 'a data folder (or DATABASE_URL) is required for the ledger' }]);
  }
  if (opts.migrate ?? true) {
    try {
      await applyMigrations(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

// ---------------------------------------------------------------------------------------------------
// Shared machinery: parameter checks, transaction context, the transaction handle
// ---------------------------------------------------------------------------------------------------

function checkParams(params: readonly SqlParam[] | undefined): SqlParam[] {
  if (params === undefined) return [];
  return params.map((p, i) => {
    if (typeof p === 'number' && (!Number.isFinite(p) || (Number.isInteger(p) && !Number.isSafeInteger(p)))) {
      throw new PersistenceError('DB_VALUE', `parameter $${i + 1} is not a finite number or not a safe integer: ${p}`, { index: i + 1 });
    }
    return p === undefined ? null : p;
  });
}

/** The low-level operations of one session (a pool, a client, a PGlite instance or transaction). */
interface Session {
  query(sql: string, params: SqlParam[]): Promise<DbRow[]>;
  exec(sql: string): Promise<void>;
}

interface TxContext {
  readonly handle: TxHandle;
  done: boolean;
}

/** The `Db` given to a transaction callback: every call goes through the transaction's session. */
class TxHandle implements Db {
  constructor(
    readonly kind: DbKind,
    readonly location: string,
    private readonly session: Session,
    private readonly ctx: () => TxContext,
  ) {}
  private check(): void {
    if (this.ctx().done) throw new InvariantError('DB_TX_FINISHED', 'this transaction has already finished; use the Db outside the callback');
  }
  async query<T extends object = DbRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    this.check();
    const p = checkParams(params);
    try {
      return (await this.session.query(sql, p)) as T[];
    } catch (err) {
      throw mapDriverError(err, 'query', sql);
    }
  }
  async exec(sql: string): Promise<void> {
    this.check();
    try {
      await this.session.exec(sql);
    } catch (err) {
      throw mapDriverError(err, 'exec', sql);
    }
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    this.check();
    return fn(this);
  }
  close(): Promise<void> {
    return Promise.reject(new InvariantError('DB_CLOSE_IN_TRANSACTION', 'cannot close the database from inside a transaction'));
  }
}

abstract class BaseDb implements Db {
  abstract readonly kind: DbKind;
  abstract readonly location: string;
  protected readonly als = new AsyncLocalStorage<TxContext>();
  protected closed = false;
  private pending = 0;

  get inFlight(): number {
    return this.pending;
  }

  /** Counts `p` in `inFlight` while it runs. */
  protected async counted<T>(p: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await p();
    } finally {
      this.pending--;
    }
  }

  protected abstract session(): Session;
  protected abstract runTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  protected abstract shutdown(): Promise<void>;

  /** The live transaction of the calling async context, if any. */
  protected current(): TxContext | undefined {
    const ctx = this.als.getStore();
    return ctx !== undefined && !ctx.done ? ctx : undefined;
  }
  protected ensureOpen(): void {
    if (this.closed) throw new PersistenceError('DB_UNAVAILABLE', `database handle is closed (${this.location})`);
  }

  async query<T extends object = DbRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    const tx = this.current();
    if (tx) return tx.handle.query<T>(sql, params);
    this.ensureOpen();
    const p = checkParams(params);
    return this.counted(async () => {
      try {
        return (await this.session().query(sql, p)) as T[];
      } catch (err) {
        throw mapDriverError(err, 'query', sql);
      }
    });
  }
  async exec(sql: string): Promise<void> {
    const tx = this.current();
    if (tx) return tx.handle.exec(sql);
    this.ensureOpen();
    return this.counted(async () => {
      try {
        await this.session().exec(sql);
      } catch (err) {
        throw mapDriverError(err, 'exec', sql);
      }
    });
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const tx = this.current();
    if (tx) return fn(tx.handle);
    this.ensureOpen();
    return this.counted(() => this.runTransaction(fn));
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shutdown();
  }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL (pg Pool)
// ---------------------------------------------------------------------------------------------------

function pgTypesOf(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (format === undefined || format === 'text') {
        if (oid === PG_OID.INT8) return parseInt8;
        if (oid === PG_OID.TIMESTAMPTZ) return parseTimestamptz;
        if (oid === PG_OID.DATE) return parseDate;
      }
      return (driver.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparsable url)';
  }
}

class PostgresDb extends BaseDb {
  readonly kind = 'postgres' as const;
  constructor(
    readonly location: string,
    private readonly pool: pg.Pool,
  ) {
    super();
  }
  protected session(): Session {
    const pool = this.pool;
    return {
      query: async (sql, params) => (await pool.query(sql, params)).rows as DbRow[],
      exec: async (sql) => {
        await pool.query(sql);
      },
    };
  }
  protected async runTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapDriverError(err, 'connect');
    }
    try {
      await client.query('BEGIN');
    } catch (err) {
      client.release(true);
      throw mapDriverError(err, 'begin');
    }
    const session: Session = {
      query: async (sql, params) => (await client.query(sql, params)).rows as DbRow[],
      exec: async (sql) => {
        await client.query(sql);
      },
    };
    const ctx: TxContext = { handle: new TxHandle(this.kind, this.location, session, () => ctx), done: false };
    let result: T;
    try {
      result = await this.als.run(ctx, () => fn(ctx.handle));
    } catch (err) {
      ctx.done = true;
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch {
        client.release(true); // a broken connection is not returned to the pool
      }
      throw err;
    }
    ctx.done = true;
    try {
      await client.query('COMMIT');
    } catch (err) {
      const mapped = mapDriverError(err, 'commit');
      client.release(true);
      if (mapped instanceof PersistenceError && mapped.code === 'DB_UNAVAILABLE') {
        throw new PersistenceError('DB_COMMIT_UNKNOWN', `the connection failed during COMMIT; the transaction may or may not have been applied: ${mapped.message}`, mapped.context, { cause: err });
      }
      throw mapped;
    }
    client.release();
    return result;
  }
  protected async shutdown(): Promise<void> {
    await this.pool.end();
  }
}

async function openPostgres(url: string, schema: string | undefined, opts: OpenDatabaseOptions): Promise<Db> {
  const settings = ['-c TimeZone=UTC', '-c DateStyle=ISO'];
  if (schema !== undefined) settings.unshift(`-c search_path=${schema}`);
  const driver = (await import('pg')).default;
  const warm = Math.min(opts.warmConnections ?? 4, opts.poolSize ?? 10);
  const pool = new driver.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    min: warm,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    types: pgTypesOf(driver),
    options: settings.join(' '),
  });
  const location = redactUrl(url);
  // Without a listener an idle connection dropped by the server would crash the process.
  pool.on('error', (err) => opts.logger?.warn({ err: err.message, location }, 'postgres pool: idle connection error'));
  try {
    await pool.query('SELECT 1');
    if (schema !== undefined) {
      try {
        await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      } catch (err) {
        // Two processes creating the same schema at once: one loses the race on the catalog.
        const state = (err as { code?: unknown }).code;
        if (state !== '23505' && state !== '42P06') throw err;
      }
    }
    // Open the warm connections now (the pool opens connections only on demand).
    const clients = await Promise.all(Array.from({ length: warm }, () => pool.connect()));
    for (const c of clients) c.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw mapDriverError(err, 'connect');
  }
  return new PostgresDb(location, pool);
}

// ---------------------------------------------------------------------------------------------------
// PGlite
// ---------------------------------------------------------------------------------------------------

const pgliteParsers = {
  [PG_OID.INT8]: parseInt8,
  [PG_OID.TIMESTAMPTZ]: parseTimestamptz,
  [PG_OID.DATE]: parseDate,
};

/** Folders held by a PGlite `Db` of this process (a second open would corrupt the data). */
const heldFolders = new Set<string>();

class PgliteDb extends BaseDb {
  readonly kind = 'pglite' as const;
  constructor(
    readonly location: string,
    private readonly pg: PGlite,
    private readonly release: () => Promise<void>,
  ) {
    super();
  }
  protected session(): Session {
    const pg = this.pg;
    return {
      query: async (sql, params) => (await pg.query<DbRow>(sql, params)).rows,
      exec: async (sql) => {
        await pg.exec(sql);
      },
    };
  }
  protected async runTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    let failure: { error: unknown } | undefined;
    let ctx: TxContext | undefined;
    try {
      return await this.pg.transaction(async (tx: PGliteTransaction) => {
        const session: Session = {
          query: async (sql, params) => (await tx.query<DbRow>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        };
        const c: TxContext = { handle: new TxHandle(this.kind, this.location, session, () => c), done: false };
        ctx = c;
        try {
          const result = await this.als.run(c, () => fn(c.handle));
          c.done = true;
          return result;
        } catch (err) {
          c.done = true;
          failure = { error: err };
          throw err;
        }
      });
    } catch (err) {
      if (failure !== undefined && err === failure.error) throw err;
      if (err instanceof AppError) throw err;
      throw mapDriverError(err, failure === undefined ? 'commit' : 'rollback');
    } finally {
      if (ctx !== undefined) ctx.done = true;
    }
  }
  protected async shutdown(): Promise<void> {
    try {
      await this.pg.close();
    } finally {
      await this.release();
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<folder>.lock` (exclusive create, holding our pid). A lock left by a dead process (kill -9) is
 * taken over; a live holder, or another open `Db` of this process, is refused with DB_LOCKED.
 */
async function lockFolder(folder: string): Promise<() => Promise<void>> {
  const lockPath = `${folder}.lock`;
  if (heldFolders.has(folder)) {
    throw new PersistenceError('DB_LOCKED', `the ledger folder ${folder} is already open in this process`, { folder });
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      heldFolders.add(folder);
      return async () => {
        heldFolders.delete(folder);
        await rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw mapDriverError(err, 'lock');
      const holder = Number.parseInt((await readFile(lockPath, 'utf8').catch(() => '')).trim(), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) {
        throw new PersistenceError('DB_LOCKED', `the ledger folder ${folder} is in use by process ${holder}`, { folder, pid: holder });
      }
      await rm(lockPath, { force: true }); // stale: its process is gone (or it is ours from before a crash)
    }
  }
  throw new PersistenceError('DB_LOCKED', `could not take the lock of the ledger folder ${folder}`, { folder });
}

async function openPglite(dataDir: string, schema: string | undefined): Promise<Db> {
  const memory = dataDir === ':memory:';
  const folder = memory ? undefined : resolve(join(dataDir, 'ledger'));
  let release: () => Promise<void> = async () => undefined;
  if (folder !== undefined) {
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw mapDriverError(err, 'open');
    });
    release = await lockFolder(folder);
  }
  let instance: PGlite | undefined;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    instance = new PGlite({ ...(folder !== undefined ? { dataDir: folder } : {}), parsers: pgliteParsers });
    await instance.waitReady;
    const setup = ["SET TimeZone TO 'UTC'", "SET DateStyle TO 'ISO'"];
    if (schema !== undefined) setup.push(`CREATE SCHEMA IF NOT EXISTS "${schema}"`, `SET search_path TO "${schema}"`);
    await instance.exec(setup.join(';\n'));
  } catch (err) {
    await instance?.close().catch(() => undefined);
    await release();
    throw err instanceof AppError ? err : new PersistenceError('DB_UNAVAILABLE', `cannot open PGlite in ${folder ?? 'memory'}: ${String((err as Error)?.message ?? err)}`, { folder }, { cause: err });
  }
  return new PgliteDb(folder !== undefined ? `pglite:${folder}` : 'pglite:memory', instance, release);
}
