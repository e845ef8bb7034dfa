/**
 * Child process of the `backtest` benchmark (bench/backtest.ts): runs one `runBacktest` and writes
 * its figures as JSON to the file the parent names. Run alone, so that its peak RSS is the backtest's.
 *
 * Input: `HANTU_BENCH_BACKTEST_SPEC` (JSON, see {@link ChildSpec}). Progress goes to stderr.
 */
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../src/core/logger.ts';
import { runBacktest } from '../src/node/backtest-node.ts';
import { loadDailyBars } from '../src/sim/replay/daily-bars.ts';
import { median, round } from './shared-data.ts';
import { nowMs } from './support.ts';

/** What the parent asks for. */
export interface ChildSpec {
  readonly dataFile: string;
  readonly strategy: string;
  /** Number of codes (the most traded by value on the first session), or `all`. */
  readonly codes: number | 'all';
  readonly cash: number;
  readonly risk: Record<string, number>;
  readonly fees: { readonly commissionBps: number; readonly sellTaxBps: number };
  readonly seed: number;
  readonly resultFile: string;
}

const spec = JSON.parse(process.env['HANTU_BENCH_BACKTEST_SPEC'] ?? 'null') as ChildSpec | null;
if (spec === null) throw new Error('HANTU_BENCH_BACKTEST_SPEC is not set: this file is started by bench/backtest.ts');

let universe: string[] | 'all' = 'all';
let pickMs = 0;
if (spec.codes !== 'all') {
  // A smaller universe for a quick check: the N listings with the largest traded value on the first
  // session among those with a bar on every session (what `--universe all` keeps).
  const t = nowMs();
  const set = loadDailyBars(spec.dataFile, { onMalformed: 'skip' });
  const n = set.dates().length;
  const first = set.dates()[0] ?? '';
  universe = set
    .codes()
    .filter((c) => set.barsOf(c).length === n)
    .map((c) => ({ c, v: set.bar(first, c)?.value ?? 0 }))
    .sort((a, b) => b.v - a.v || (a.c < b.c ? -1 : 1))
    .slice(0, spec.codes)
    .map((x) => x.c);
  pickMs = nowMs() - t;
}

const t0 = nowMs();
const marks: number[] = [];
const rssAfter: number[] = [];
const r = await runBacktest({
  strategy: spec.strategy,
  dataFile: spec.dataFile,
  universe,
  cash: spec.cash,
  fees: spec.fees,
  risk: spec.risk,
  seed: spec.seed,
  logger: silentLogger(),
  onDay: (d, i, n) => {
    marks.push(nowMs());
    rssAfter.push(process.memoryUsage().rss);
    process.stderr.write(`  backtest ${d.date} (${i + 1}/${n}): ${round((marks[i]! - (marks[i - 1] ?? t0)) / 1000, 2)} s, orders ${d.orders}, fills ${d.trades}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB\n`);
  },
});
const wallMs = nowMs() - t0;
const perSession = marks.map((m, i) => (m - (marks[i - 1] ?? t0)) / 1000);
const later = perSession.slice(1);
const usage = process.resourceUsage();

const result = {
  strategy: spec.strategy,
  strategyConfig: spec.codes === 'all' ? 'default (equal weights over every listing)' : 'default (equal weights over the universe)',
  dataFile: spec.dataFile,
  from: r.meta.from,
  to: r.meta.to,
  codes: r.meta.universe,
  sessions: r.stats.sessions,
  cash: spec.cash,
  risk: r.meta.risk,
  seed: spec.seed,
  wallSeconds: round(wallMs / 1000, 1),
  /** The child's whole life (node + tsx + data + backtest): `process.resourceUsage().maxRSS`. */
  peakRssMiB: round(usage.maxRSS / 1024, 0),
  /** The engine's own sampling (after each day). */
  peakRssMiBSampledByEngine: round(r.meta.peakRssBytes / 1048576, 0),
  cpuSeconds: { user: round(usage.userCPUTime / 1e6, 1), system: round(usage.systemCPUTime / 1e6, 1) },
  orders: r.stats.orders,
  fills: r.stats.trades,
  denials: r.stats.denials,
  runErrors: r.days.reduce((s, d) => s + d.errors, 0),
  abortedSessions: r.days.filter((d) => d.run.aborted !== undefined).length,
  reconciledSessions: r.days.filter((d) => d.reconciled).length,
  finalEquity: r.final.equity,
  totalReturn: round(r.stats.totalReturn * 100, 3),
  perSessionSeconds: {
    mean: round(wallMs / 1000 / Math.max(1, perSession.length), 2),
    median: later.length > 0 ? round(median(later), 2) : null,
    min: later.length > 0 ? round(Math.min(...later), 2) : null,
    max: later.length > 0 ? round(Math.max(...later), 2) : null,
    /** The first session includes reading and parsing the data file. */
    first: round(perSession[0] ?? 0, 2),
    each: perSession.map((s) => round(s, 2)),
  },
  rssMiBAfterEachSession: rssAfter.map((b) => Math.round(b / 1048576)),
  ...(pickMs > 0 ? { universePickSeconds: round(pickMs / 1000, 2) } : {}),
};
writeFileSync(spec.resultFile, `${JSON.stringify(result)}\n`);
