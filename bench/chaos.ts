import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs } from './support.ts';

/**
 * Issue #4 §4, the promise to users: `hantu chaos --days 20 --seed <any>` ends with
 * `divergences=0 duplicate_orders=0 lost_fills=0`. This section runs that campaign as a user would —
 * `node bin/hantu.js chaos` in a child process, default speed (1,000x) and strategy (dca) — and reports
 * its totals, its days and its wall time.
 *
 * Parameters (environment):
 * - `HANTU_BENCH_CHAOS_DAYS` (default 20), `HANTU_BENCH_CHAOS_SEED` (default 1);
 * - `DATABASE_URL`: the ledger on PostgreSQL (as `hantu chaos` itself), else PGlite in the campaign folder;
 * - `HANTU_BENCH_CHAOS_KEEP=1`: keep the campaign folder (ledger, node logs, JSON report) even when the
 *   campaign is clean; it is always kept when it is not (the result names it).
 *
 * A campaign is mostly wall time: each day is a 6.5-hour session replayed at 1,000x (~25 s) plus the
 * node's start-ups; other work on the machine slows it and may change what the faults hit (the twin
 * runs on a replay clock over the wall clock), so the load average is reported with it.
 */
const TIMEOUT_MS = 3 * 3_600_000;

/** One `  day <date>: faults=… divergences=… duplicate_orders=… lost_fills=… (<s> s)` line. */
export interface ChaosBenchDay {
  readonly day: string;
  readonly faults: number;
  readonly divergences: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
  readonly wallSeconds: number;
  /** The day's difference lines (`divergence POSITION 005930: …`), empty when none. */
  readonly findings: readonly string[];
}

export interface ChaosBenchTotals {
  readonly days: number;
  readonly faults: number;
  readonly divergences: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
}

const DAY_LINE = /^\s*day (\d{4}-\d{2}-\d{2}): faults=(\d+) divergences=(\d+) duplicate_orders=(\d+) lost_fills=(\d+) \(([\d.]+) s\)\s*$/;
const TOTALS_LINE = /^days=(\d+) faults=(\d+) divergences=(\d+) duplicate_orders=(\d+) lost_fills=(\d+)\s*$/;

/** Parses the console output of `hantu chaos`: the per-day lines and the final totals line (undefined when absent). */
export function parseChaosOutput(text: string): { perDay: ChaosBenchDay[]; totals: ChaosBenchTotals | undefined; folder?: string; reportPath?: string } {
  const perDay: ChaosBenchDay[] = [];
  let totals: ChaosBenchTotals | undefined;
  let folder: string | undefined;
  let reportPath: string | undefined;
  let findings: string[] = [];
  let inDifferences = false;
  for (const line of text.split('\n')) {
    const day = DAY_LINE.exec(line);
    if (day) {
      perDay.push({
        day: day[1]!,
        faults: Number(day[2]),
        divergences: Number(day[3]),
        duplicateOrders: Number(day[4]),
        lostFills: Number(day[5]),
        wallSeconds: Number(day[6]),
        findings,
      });
      findings = [];
      inDifferences = false;
      continue;
    }
    const t = TOTALS_LINE.exec(line);
    if (t) {
      totals = { days: Number(t[1]), faults: Number(t[2]), divergences: Number(t[3]), duplicateOrders: Number(t[4]), lostFills: Number(t[5]) };
      continue;
    }
    const f = /^\s*folder (.+)$/.exec(line);
    if (f) folder = f[1]!.trim();
    const r = /^report: (.+)$/.exec(line);
    if (r) reportPath = r[1]!.trim();
    // The difference lines come after the `compared:` line and before the day line.
    if (/^\s*compared: /.test(line)) inDifferences = true;
    else if (inDifferences && /^\s{2}\S/.test(line) && !/^\s*differences: none/.test(line)) findings.push(line.trim());
  }
  return { perDay, totals, ...(folder ? { folder } : {}), ...(reportPath ? { reportPath } : {}) };
}

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}, was "${raw}"`);
  return n;
}

/** Kills fired (timed or inside an order) and node runs, from the campaign's JSON report (undefined when unreadable). */
function reportFacts(path: string | undefined): { killsPlanned: number; killsFired: number; nodeRuns: number } | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as { days: { injected: { fault: { kind: string }; effect: string }[]; runs: unknown[] }[] };
    const kills = r.days.flatMap((d) => d.injected).filter((f) => f.fault.kind === 'kill-9');
    return { killsPlanned: kills.length, killsFired: kills.filter((k) => k.effect.startsWith('SIGKILL')).length, nodeRuns: r.days.reduce((a, d) => a + d.runs.length, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Runs `node bin/hantu.js chaos --days N --seed S` (see the module comment) and returns its totals,
 * per-day counts and wall time. Exit code 1 (differences found) is a result, not a failure; any other
 * non-zero exit, or output without the totals line, is returned as `failed`.
 */
export async function benchChaos(): Promise<unknown> {
  const days = envInt('HANTU_BENCH_CHAOS_DAYS', 20, 1);
  const seed = envInt('HANTU_BENCH_CHAOS_SEED', 1, 0);
  const databaseUrl = process.env['DATABASE_URL'] || undefined;
  const database = databaseUrl ? 'postgresql' : 'pglite';
  const keep = process.env['HANTU_BENCH_CHAOS_KEEP'] === '1';
  const hantu = fileURLToPath(new URL('../bin/hantu.js', import.meta.url));
  const dataDir = mkdtempSync(join(tmpdir(), 'hantu-bench-chaos-'));
  const args = [hantu, '--data-dir', dataDir, 'chaos', '--days', String(days), '--seed', String(seed)];
  const env: Record<string, string | undefined> = { ...process.env };
  if (!databaseUrl) delete env['DATABASE_URL'];
  const loadBefore = loadavg()[0] as number;
  const t0 = nowMs();
  let out = '';
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve, reject) => {
    const p = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let pending = '';
    p.stdout.on('data', (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      out += s;
      pending += s;
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        // Progress on stderr: the day lines and the totals.
        if (DAY_LINE.test(line) || TOTALS_LINE.test(line)) process.stderr.write(`  chaos: ${line.trim()}\n`);
      }
    });
    p.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const killer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, TIMEOUT_MS);
    p.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    p.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, timedOut });
    });
  });
  const wallSeconds = Math.round((nowMs() - t0) / 100) / 10;
  const parsed = parseChaosOutput(out);
  const machine = { loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round((loadavg()[0] as number) * 100) / 100, cpus: cpus().length } };
  const base = { days, seed, database, speed: 1000, strategy: 'dca', command: `hantu chaos --days ${days} --seed ${seed}`, wallSeconds, ...machine };
  if (parsed.totals === undefined || (exit.code !== 0 && exit.code !== 1)) {
    return {
      ...base,
      failed: true,
      reason: exit.timedOut ? `the campaign ran over ${TIMEOUT_MS / 1000} s and was killed` : `the campaign exited with ${exit.code ?? exit.signal}${parsed.totals ? '' : ' without its totals line'}`,
      output: out.split('\n').slice(-30).join('\n'),
      dataDir,
      perDay: parsed.perDay,
    };
  }
  const t = parsed.totals;
  const clean = t.divergences + t.duplicateOrders + t.lostFills === 0;
  const facts = reportFacts(parsed.reportPath);
  if (clean && !keep) rmSync(dataDir, { recursive: true, force: true });
  return {
    ...base,
    days: t.days,
    faults: t.faults,
    divergences: t.divergences,
    duplicateOrders: t.duplicateOrders,
    lostFills: t.lostFills,
    /** The promise of issue 4 §4 held. */
    promiseKept: clean,
    exitCode: exit.code,
    ...(facts ?? {}),
    secondsPerDay: t.days > 0 ? Math.round((wallSeconds / t.days) * 10) / 10 : null,
    ...(clean && !keep ? {} : { folder: parsed.folder ?? dataDir, reportPath: parsed.reportPath }),
    perDay: parsed.perDay,
  };
}
