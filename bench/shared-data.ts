import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's shared real-data folder: `../shared/data` from the repository root (CI clones put
 * `shared/` beside the repo). `HANTU_BENCH_SHARED_DATA` overrides it.
 */
export function sharedDataDir(): string {
  return process.env['HANTU_BENCH_SHARED_DATA'] ?? fileURLToPath(new URL('../../shared/data', import.meta.url));
}

/** What a benchmark reports instead of numbers when its input data is not on this machine. */
export interface SkippedSection {
  readonly skipped: true;
  readonly reason: string;
  readonly searched: string;
}

/**
 * Finds a marcap daily-bar file of `year` (`marcap-<year>*.csv[.gz]`, e.g.
 * `daily/marcap/marcap-2026-0102_0220.converted.csv.gz`) under the shared data folder, at most three
 * folders deep; the first in name order. `HANTU_BENCH_MARCAP` names a file directly.
 */
export function findMarcap(year: number): { path: string } | SkippedSection {
  const direct = process.env['HANTU_BENCH_MARCAP'];
  if (direct !== undefined) {
    return existsSync(direct) ? { path: direct } : { skipped: true, reason: `HANTU_BENCH_MARCAP names a missing file: ${direct}`, searched: direct };
  }
  const root = sharedDataDir();
  const re = new RegExp(`^marcap-${year}[^/]*\\.csv(\\.gz)?$`);
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (re.test(n)) found.push(p);
      else if (depth < 3 && !n.startsWith('.') && statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  const path = found.sort()[0];
  if (path === undefined) {
    return {
      skipped: true,
      reason: existsSync(root)
        ? `no marcap-${year}*.csv[.gz] under ${root} (expected daily/marcap/marcap-${year}-….csv.gz)`
        : `the shared data folder ${root} is missing (clone shared/ beside the repository, or set HANTU_BENCH_SHARED_DATA / HANTU_BENCH_MARCAP)`,
      searched: root,
    };
  }
  return { path };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
