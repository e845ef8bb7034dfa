import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/core/logger.ts';
import { loadConfig } from '../src/config/load.ts';
import { startTradingDay } from '../src/node/run-node.ts';
import { clockOfTwin, readTwinDiscovery, type TwinEndpoint } from '../src/node/twin-node.ts';
import { loadDailyBars } from '../src/sim/replay/daily-bars.ts';
import { clearSharedLimiters } from '../src/adapters/kis/http/rate-limiter.ts';
import { LatencyRecorder, nowMs } from './support.ts';

const DAY = '2026-02-20';
const SHIPPED = new URL('../data/daily/krx-2026-0102_0220.csv', import.meta.url).pathname;
const MARCAP = new URL('../../shared/data/daily/marcap/marcap-2026-0102_0220.converted.csv.gz', import.meta.url).pathname;

interface DayRun {
  wallSeconds: number;
  ticks: number;
  ticksPerSecond: number;
  exits: number;
  tickToOrder: ReturnType<LatencyRecorder['summary']>;
  tickToAck: ReturnType<LatencyRecorder['summary']>;
  peakRssMb: number;
  peakHeapUsedMb: number;
}

/** Starts `hantu sim` in a child process and waits for its discovery file. */
async function spawnTwin(args: string[], dataDir: string): Promise<{ endpoint: TwinEndpoint; child: ChildProcess; rssMb(): number }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/hantu.js', import.meta.url)), '--data-dir', dataDir, '--log-level', 'error', 'sim', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    const e = readTwinDiscovery(dataDir);
    if (e && e.pid === child.pid) {
      return {
        endpoint: e,
        child,
        rssMb: () => {
          try {
            const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
            return kb / 1024;
          } catch {
            return 0;
          }
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('hantu sim did not start within 30 s');
}

/**
 * Runs `hantu run`'s composition (KIS REST + WebSocket clients and the monitor) in this process
 * against `hantu sim` in a child process, over the real 2026-02-20 session, on the wall clock.
 * Memory figures are this process's (the daemon's); the twin's are reported apart.
 */
async function runDay(o: {
  data: string;
  holdings: number;
  speed: number;
  /** Per-position thresholds (by rank); absent: one default rule (-30 % / +30 %) for all. */
  thresholdsPct?: (i: number) => number;
  maxRegistrations?: number;
}): Promise<DayRun & { twinPeakRssMb: number; baselineRssMb: number }> {
  clearSharedLimiters();
  const dataDir = mkdtempSync(join(tmpdir(), 'hantu-bench-'));
  const overrides: Record<string, unknown> = {};
  let codes: string[] = ['005930'];
  if (o.thresholdsPct) {
    const set = loadDailyBars(o.data, { from: DAY, to: DAY });
    // The same ranking as `hantu sim --holdings top:N` (demoHoldings): traded value of the day.
    codes = set
      .session(DAY)
      .filter((b) => b.volume > 0)
      .sort((a, b) => b.volume * b.close - a.volume * a.close)
      .slice(0, o.holdings)
      .map((b) => b.code);
    codes.forEach((code, i) => {
      const pct = o.thresholdsPct!(i);
      overrides[code] = { thresholds: { type: 'percent', stopLossPct: pct, takeProfitPct: pct } };
    });
  }
  const twin = await spawnTwin(
    ['--data', o.data, '--day', DAY, '--at', '08:59', '--speed', String(o.speed), '--cash', '1000000000', '--holdings', `top:${o.holdings}:1000000`, ...(o.maxRegistrations ? ['--max-registrations', String(o.maxRegistrations)] : [])],
    dataDir,
  );
  const config = loadConfig({
    env: {},
    overrides: { dataDir, logLevel: 'error', sim: { day: DAY, speed: o.speed }, monitor: { default: { thresholds: { type: 'percent', stopLossPct: 30, takeProfitPct: 30 } }, instruments: overrides } },
  });
  (globalThis as { gc?: () => void }).gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = 0;
  let peakHeap = 0;
  let twinPeak = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    twinPeak = Math.max(twinPeak, twin.rssMb());
  }, 50);
  const t0 = nowMs();
  try {
    const day = await startTradingDay({
      config,
      logger: silentLogger(),
      write: () => undefined,
      control: false,
      external: { endpoint: twin.endpoint, clock: clockOfTwin(twin.endpoint) },
      // The ledger: PostgreSQL when DATABASE_URL is set, else PGlite in this process.
      ...(process.env['DATABASE_URL'] ? { databaseUrl: process.env['DATABASE_URL'] } : {}),
      holdings: codes.slice(0, 1).map((code) => ({ code, quantity: 0, avgPrice: 0 })),
      ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}),
    });
    const report = await day.done;
    const wall = (nowMs() - t0) / 1000;
    const toOrder = new LatencyRecorder();
    const toAck = new LatencyRecorder();
    day.latencies.toSubmit.forEach((v) => toOrder.record(v));
    day.latencies.toAck.forEach((v) => toAck.record(v));
    const ticks = report.counters['ticks'] ?? 0;
    return {
      wallSeconds: Math.round(wall * 10) / 10,
      ticks,
      ticksPerSecond: Math.round(ticks / wall),
      exits: report.counters['exitOrders'] ?? 0,
      tickToOrder: toOrder.summary(),
      tickToAck: toAck.summary(),
      peakRssMb: Math.round(peakRss / 1e5) / 10,
      peakHeapUsedMb: Math.round(peakHeap / 1e5) / 10,
      twinPeakRssMb: Math.round(twinPeak * 10) / 10,
      baselineRssMb: Math.round(baselineRss / 1e5) / 10,
    };
  } finally {
    clearInterval(sample);
    twin.child.kill('SIGTERM');
  }
}

/**
 * Tick-to-order latency with the 40 shipped symbols replayed fast enough for about 2,000 ticks/s,
 * every position with its own take-profit / stop-loss (0.4 %–4.3 %) so exits spread over the day;
 * and resident memory with 100 symbols (all listings of the marcap file, top 100 by traded value)
 * over the whole replayed day (twin included in the process: an upper bound for the daemon).
 */
export async function benchRealtime(): Promise<unknown> {
  let memory: unknown = 'skipped: ../shared/data/daily/marcap is absent';
  if (existsSync(MARCAP)) {
    // First, so that nothing of the latency run is on the heap.
    memory = await runDay({ data: MARCAP, holdings: 100, speed: 800, maxRegistrations: 101 });
  }
  const latency = await runDay({ data: SHIPPED, holdings: 40, speed: 800, thresholdsPct: (i) => 0.4 + (i % 40) * 0.1 });
  return {
    ledger: process.env['DATABASE_URL'] ? 'postgresql (DATABASE_URL)' : 'pglite in the daemon process',
    note: 'the daemon (this process) against hantu sim in a child process; KIS allows 41 registrations per session, the 100-symbol run raises it on both ends to size the data structures',
    tickToOrder40Symbols: latency,
    memory100Symbols: memory,
  };
}
