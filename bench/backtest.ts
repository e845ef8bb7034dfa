import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildSpec } from './backtest-child.ts';
import { findMarcap, round } from './shared-data.ts';
import { nowMs } from './support.ts';

/**
 * Parameters (environment):
 * - `HANTU_BENCH_BACKTEST_CODES`: a number N runs the N most traded listings only (a quick check);
 *   default `all`, every listing with a bar on every session of the file;
 * - `HANTU_BENCH_BACKTEST_STRATEGY` (default `rebalance`), `HANTU_BENCH_BACKTEST_CASH` (won);
 * - `HANTU_BENCH_BACKTEST_RISK`: JSON risk limits over the ones below;
 * - `HANTU_BENCH_BACKTEST_PROFILE=1`: the child runs with `--cpu-prof` (profile in `.reports/`).
 *
 * Cash and risk limits: 10,000,000,000 won over the 2,878 listings of the file is ~3,500,000 won a
 * listing (a share of nearly every listing fits, and a trade clears the strategy's 100,000-won
 * minimum); a smaller universe gets 3,500,000 won a listing. The per-day limits are opened so that the
 * risk engine checks every order without capping the run (the defaults allow 100 orders a day); each
 * order stays under the default 10,000,000 won.
 */
const DEFAULT_CASH_ALL = 10_000_000_000;
const DEFAULT_CASH_PER_CODE = 3_500_000;
const DEFAULT_RISK = { maxDailyOrders: 1_000_000, maxDailyOrderValueKrw: 1_000_000_000_000 };
/** The defaults of `fees` in src/config/schema.ts (what `hantu backtest` uses without a config). */
const FEES = { commissionBps: 1.40527, sellTaxBps: 20 };
/** A run over every listing takes ~5 minutes; give up (and say so) after an hour. */
const TIMEOUT_MS = 3_600_000;

function envCodes(): number | 'all' {
  const raw = process.env['HANTU_BENCH_BACKTEST_CODES']?.trim();
  if (raw === undefined || raw === '' || raw.toLowerCase() === 'all') return 'all';
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`HANTU_BENCH_BACKTEST_CODES must be a whole number >= 1 or "all", was "${raw}"`);
  return n;
}

/** Samples the child's VmHWM (peak RSS, KiB) from /proc while it runs (Linux; undefined elsewhere). */
function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Issue #5 §6: a backtest of every listing in the 2026 marcap file (33 sessions): wall time and peak
 * memory. `runBacktest` (the `hantu backtest` engine: the real strategy runner, risk engine and KIS
 * client against one twin session per day) runs in a child process so that the peak RSS is the
 * backtest's own, not the benchmark runner's. Skipped, with the reason, when the file is missing.
 */
export async function benchBacktest(): Promise<unknown> {
  const data = findMarcap(2026);
  if (!('path' in data)) return data;
  const codes = envCodes();
  const tmp = mkdtempSync(join(tmpdir(), 'hantu-bench-backtest-'));
  const spec: ChildSpec = {
    dataFile: data.path,
    strategy: process.env['HANTU_BENCH_BACKTEST_STRATEGY'] ?? 'rebalance',
    codes,
    cash: Number(process.env['HANTU_BENCH_BACKTEST_CASH'] ?? (codes === 'all' ? DEFAULT_CASH_ALL : codes * DEFAULT_CASH_PER_CODE)),
    risk: { ...DEFAULT_RISK, ...(JSON.parse(process.env['HANTU_BENCH_BACKTEST_RISK'] ?? '{}') as Record<string, number>) },
    fees: FEES,
    seed: 1,
    resultFile: join(tmp, 'result.json'),
  };
  const profile = process.env['HANTU_BENCH_BACKTEST_PROFILE'] === '1';
  const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', '.reports'] : [];
  const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  const child = fileURLToPath(new URL('./backtest-child.ts', import.meta.url));
  const loadBefore = loadavg()[0] as number;
  const t0 = nowMs();
  let sampledHwm = 0;
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve, reject) => {
      const p = spawn(process.execPath, [...nodeArgs, runTs, child], {
        env: { ...process.env, HANTU_BENCH_BACKTEST_SPEC: JSON.stringify(spec) },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      let timedOut = false;
      const sampler = setInterval(() => {
        if (p.pid !== undefined) sampledHwm = Math.max(sampledHwm, vmHwmKiB(p.pid) ?? 0);
      }, 500);
      const killer = setTimeout(() => {
        timedOut = true;
        p.kill('SIGKILL');
      }, TIMEOUT_MS);
      p.on('error', (e) => {
        clearInterval(sampler);
        clearTimeout(killer);
        reject(e);
      });
      p.on('exit', (code, signal) => {
        clearInterval(sampler);
        clearTimeout(killer);
        resolve({ code, signal, timedOut });
      });
    });
    const processSeconds = round((nowMs() - t0) / 1000, 1);
    if (exit.code !== 0) {
      return {
        failed: true,
        reason: exit.timedOut ? `the backtest child ran over ${TIMEOUT_MS / 1000} s and was killed` : `the backtest child exited with ${exit.code ?? exit.signal}`,
        dataFile: data.path,
        codes,
        processSeconds,
      };
    }
    const result = JSON.parse(readFileSync(spec.resultFile, 'utf8')) as Record<string, unknown>;
    return {
      ...result,
      universe: codes === 'all' ? 'all (every listing with a bar on every session)' : `the ${codes} most traded by value on the first session (HANTU_BENCH_BACKTEST_CODES)`,
      /** Child process start to exit: node + tsx start-up + reading the data + the backtest. */
      processSeconds,
      peakRssMiBSampledVmHWM: sampledHwm > 0 ? Math.round(sampledHwm / 1024) : null,
      // Other work on the machine slows the wall figures (cpuSeconds are the child's own).
      loadAverage1m: { before: round(loadBefore, 2), after: round(loadavg()[0] as number, 2), cpus: cpus().length },
      ...(profile ? { cpuProfile: '.reports/*.cpuprofile' } : {}),
      baseline: { note: 'earlier one-off run, every listing', codes: 2_878, sessions: 33, wallSeconds: 299, peakRssMiB: 639, orders: 35_709 },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
