import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/core/logger.ts';
import { loadConfig } from '../src/config/load.ts';
import { startTradingDay } from '../src/node/run-node.ts';
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

/**
 * Runs `hantu run`'s composition (KIS REST + WebSocket clients, the monitor, and the twin in the same
 * process) over the real 2026-02-20 session and measures it on the wall clock.
 */
async function runDay(o: { data: string; codes: string[]; speed: number; thresholdsPct: (i: number) => number; maxRegistrations?: number }): Promise<DayRun> {
  clearSharedLimiters();
  const set = loadDailyBars(o.data, { codes: o.codes, from: DAY, to: DAY });
  const holdings = o.codes
    .map((code) => set.bar(DAY, code))
    .filter((b): b is NonNullable<typeof b> => b !== undefined && b.volume > 0)
    .map((b) => ({ code: b.code, quantity: 10, avgPrice: b.prevClose ?? b.open }));
  const overrides: Record<string, unknown> = {};
  holdings.forEach((h, i) => {
    const pct = o.thresholdsPct(i);
    overrides[h.code] = { thresholds: { type: 'percent', stopLossPct: pct, takeProfitPct: pct } };
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: mkdtempSync(join(tmpdir(), 'hantu-bench-')),
      logLevel: 'error',
      sim: { day: DAY, at: '08:59', speed: o.speed, data: o.data, cash: 1_000_000_000 },
      monitor: { default: { thresholds: { type: 'percent', stopLossPct: 50 } }, instruments: overrides },
    },
  });
  let peakRss = 0;
  let peakHeap = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  const t0 = nowMs();
  const day = await startTradingDay({ config, logger: silentLogger(), write: () => undefined, holdings, control: false, ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}) });
  const report = await day.done;
  const wall = (nowMs() - t0) / 1000;
  clearInterval(sample);
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
  };
}

/**
 * Tick-to-order latency with the 40 shipped symbols replayed fast enough for about 2,000 ticks/s,
 * every position with its own take-profit / stop-loss (0.4 %–4.3 %) so exits spread over the day;
 * and resident memory with 100 symbols (all listings of the marcap file, top 100 by traded value)
 * over the whole replayed day (twin included in the process: an upper bound for the daemon).
 */
export async function benchRealtime(): Promise<unknown> {
  const shipped = loadDailyBars(SHIPPED, { from: DAY, to: DAY });
  const codes40 = [...shipped.codes()];
  const latency = await runDay({ data: SHIPPED, codes: codes40, speed: 800, thresholdsPct: (i) => 0.4 + (i % 40) * 0.1 });
  let memory: unknown = 'skipped: ../shared/data/daily/marcap is absent';
  if (existsSync(MARCAP)) {
    const all = loadDailyBars(MARCAP, { from: DAY, to: DAY });
    const top100 = all
      .session(DAY)
      .filter((b) => b.volume > 0)
      .sort((a, b) => b.value - a.value)
      .slice(0, 100)
      .map((b) => b.code);
    memory = await runDay({ data: MARCAP, codes: top100, speed: 800, thresholdsPct: () => 30, maxRegistrations: 101 });
  }
  return {
    note: 'daemon and twin share one process; KIS allows 41 registrations per session, the 100-symbol run raises it on both ends to size the data structures',
    tickToOrder40Symbols: latency,
    memory100Symbols: memory,
  };
}
