import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '../core/errors.ts';
import { int, str } from './codec.ts';
import { PersistenceError } from './errors.ts';
import type { Db } from './types.ts';

/** One numbered SQL migration (`migrations/NNN_name.sql`). */
export interface Migration {
  /** The number NNN (1, 2, …): migrations apply in ascending order. */
  readonly version: number;
  /** The file name without number and extension, e.g. `initial`. */
  readonly name: string;
  readonly sql: string;
  /** sha256 (hex) of the SQL with line endings normalised to LF. */
  readonly checksum: string;
}

/** What `migrate` did. */
export interface MigrationResult {
  /** Migrations applied by this call, in order (empty when the database was up to date). */
  readonly applied: readonly { readonly version: number; readonly name: string }[];
  /** The highest applied version after the call (0 for none). */
  readonly current: number;
}

const FILE_RE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** The folder of the shipped migrations, next to this module. */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** Builds a migration from its number, name and SQL (computes the checksum). */
export function migrationOf(version: number, name: string, sql: string): Migration {
  const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
  return Object.freeze({ version, name, sql, checksum });
}

/**
 * Reads `NNN_name.sql` files from `dir` (default: the shipped `migrations/` folder), sorted by number.
 * @throws PersistenceError(DB_MIGRATION) for a `.sql` file with another name pattern or a repeated number
 */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const path = fileURLToPath(dir);
  let files: string[];
  try {
    files = await readdir(path);
  } catch (err) {
    throw new PersistenceError('DB_MIGRATION', `cannot read the migrations folder ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  const out: Migration[] = [];
  for (const file of files.filter((f) => f.endsWith('.sql')).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) throw new PersistenceError('DB_MIGRATION', `migration file name must be NNN_name.sql (lower case), was ${file}`, { file });
    out.push(migrationOf(Number(m[1]), m[2] ?? '', await readFile(new URL(file, dir), 'utf8')));
  }
  checkSequence(out);
  return out;
}

function checkSequence(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1];
    const cur = migrations[i];
    if (prev !== undefined && cur !== undefined && cur.version <= prev.version) {
      throw new PersistenceError('DB_MIGRATION', `migration numbers must be unique and ascending: ${prev.version}_${prev.name} then ${cur.version}_${cur.name}`, {
        version: cur.version,
      });
    }
  }
}

const label = (m: { version: number; name: string }): string => `${String(m.version).padStart(3, '0')}_${m.name}`;

/**
 * Applies the pending migrations in ONE transaction, after verifying the applied ones: either all
 * pending files apply or none does. Applied versions are recorded in `schema_migrations` (version,
 * name, sha256 checksum, applied_at). Idempotent: a second call applies nothing. Concurrent callers
 * (several processes starting at once) are serialised by a transaction-level advisory lock per schema.
 * @param opts.migrations the migrations to apply (default: `loadMigrations()`)
 * @throws PersistenceError(DB_MIGRATION) when an applied file was changed (checksum differs), the
 *   database records a version this code does not have, a new file is numbered below an applied one,
 *   or a migration's SQL fails (the whole call is rolled back)
 */
export async function migrate(db: Db, opts: { migrations?: readonly Migration[] } = {}): Promise<MigrationResult> {
  const migrations = [...(opts.migrations ?? (await loadMigrations()))].sort((a, b) => a.version - b.version);
  checkSequence(migrations);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('hantu.migrations.' || coalesce(current_schema(), '')))`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    let current = 0;
    for (const row of rows) {
      const version = int(row, 'version');
      const known = byVersion.get(version);
      if (known === undefined) {
        throw new PersistenceError('DB_MIGRATION', `the database has migration ${label({ version, name: str(row, 'name') })}, which this code does not know (is the database newer than the code?)`, { version });
      }
      if (known.checksum !== str(row, 'checksum')) {
        throw new PersistenceError('DB_MIGRATION', `migration ${label(known)} was changed after it was applied (checksum differs); add a new migration instead`, {
          version,
          applied: str(row, 'checksum'),
          file: known.checksum,
        });
      }
      current = Math.max(current, version);
    }
    const appliedVersions = new Set(rows.map((r) => int(r, 'version')));
    const pending = migrations.filter((m) => !appliedVersions.has(m.version));
    const early = pending.find((m) => m.version < current);
    if (early !== undefined) {
      throw new PersistenceError('DB_MIGRATION', `migration ${label(early)} is numbered below the applied version ${current}; renumber it`, { version: early.version, current });
    }
    const applied: { version: number; name: string }[] = [];
    for (const m of pending) {
      try {
        await tx.exec(m.sql);
      } catch (err) {
        const reason = err instanceof AppError ? err.message : String(err);
        throw new PersistenceError('DB_MIGRATION', `migration ${label(m)} failed: ${reason}`, { version: m.version }, { cause: err });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push({ version: m.version, name: m.name });
      current = m.version;
    }
    return { applied, current };
  });
}
