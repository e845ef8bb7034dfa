import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open as openFile, rename, writeFile as writeFileAsync } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTwinDiscovery, type TwinEndpoint } from '../src/node/twin-node.ts';
import { loadDailyBars } from '../src/sim/replay/daily-bars.ts';
import { unixMillis } from '../src/core/brand.ts';
import { instrumentId } from '../src/model/instrument.ts';
import type { ExitIntent } from '../src/monitor/intent.ts';
import { JsonFileExitIntentStore } from '../src/monitor/intent-store.ts';
import { MonitorConfigSchema } from '../src/monitor/rules.ts';
import { distState } from '../scripts/dist-fingerprint.mjs';
import { LatencyRecorder } from './support.ts';

/**
 * The realtime benchmark: `hantu run`'s daemon (compiled build, a child process of its own) against
 * `hantu sim` (another child process) over replayed real days. Targets (issue #3): tick-to-order
 * p99 ≤ 5 ms; daemon RSS ≤ 100 MB over a replayed day with 100 symbols.
 */

const SHIPPED = new URL('../data/daily/krx-2026-0102_0220.csv', import.meta.url).pathname;
const MARCAP = new URL('../../shared/data/daily/marcap/marcap-2026-0102_0220.converted.csv.gz', import.meta.url).pathname;
const DAEMON = fileURLToPath(new URL('./realtime-daemon.mjs', import.meta.url));
const HANTU = fileURLToPath(new URL('../bin/hantu.js', import.meta.url));
const BUILD = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));

/** The replayed days of the latency runs (40 shipped symbols each) and of the 100-symbol run. */
const LATENCY_DAYS = ['2026-02-20', '2026-02-19', '2026-02-13', '2026-02-12', '2026-02-11', '2026-02-10'];
const MEMORY_DAY = '2026-02-20';
const SPEED = 800;
const TARGET_P99_MS = 5;
const TARGET_RSS_MB = 100;
/** Production cadence of the full balance sync and of the post-fill ledger check (simulated ms). */
const SYNC_PERIODIC_MS = 60_000;
const POST_FILL_MS = 3_000;
/** Production defaults of the monitor's exit reprice timeout and fill-confirm query (simulated ms). */
const REPRICE_TIMEOUT_MS = 10_000;
const FILL_CONFIRM_MS = 60_000;

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

// --- the daemon child ------------------------------------------------------------------------------

interface BaselineMessage {
  type: 'baseline';
  mode: 'dist' | 'tsx';
  rssBytes: number;
  heapUsedBytes: number;
  importMs: number;
  /** /proc/self/status: VmHWM, VmRSS, RssAnon (heap, malloc), RssFile (mapped binary and libraries), RssShmem; bytes. */
  status: Record<string, number>;
}
interface ResultMessage {
  type: 'result';
  wallMs: number;
  counters: Record<string, number>;
  reconciliation: Record<string, number>;
  /** ACTIVE, or HALTED when the startup reconciliation refused to trade (then no exit order is sent). */
  tradingState: string;
  startupReconciliation: string;
  trades: number;
  /** run-node's `latencies` (wall ms from the latest tick of the instrument when the order leaves; biased low, see realtime-daemon.mjs). */
  toSubmit: number[];
  toAck: number[];
  /** run-node's `latencies.intentFlushLag`: write → deferred fdatasync returned, ms (monitor.exitIntentFlush = after-send). */
  intentFlushLag: number[];
  /** Wall ms from the tick that crossed the threshold to the exit order leaving, and to its acknowledgement. */
  crossingToOrder: number[];
  /** Per crossingToOrder sample: the trade ticks/s the daemon handled over the second around the crossing tick. */
  tickRateAroundCrossing: number[];
  crossingToAck: number[];
  /** Wall ms from the first intent save's resolution to the order leaving (the order executor's ledger journal write, mostly). */
  intentSavedToOrder: number[];
  /** Duration of every exit-intent save (ms), timed around JsonFileExitIntentStore.save: the first of each exit (before its order) and the later ones. */
  intentSaveMs: { beforeOrder: number[]; later: number[] };
  /** Event-loop delay during the day (perf_hooks.monitorEventLoopDelay, 1 ms resolution), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  /** VmHWM: the true peak over the daemon's life (imports included). */
  peakRssBytes: number;
  /** Highest heap use sampled every 200 ms during the day. */
  peakHeapUsedBytes: number;
  endRssBytes: number;
  endHeapUsedBytes: number;
  endHeapTotalBytes: number;
  endExternalBytes: number;
  /** Committed size of each V8 heap space at the end of the day, MB. */
  endHeapSpacesMb: Record<string, number>;
  /** After a full GC at the end of the day: what the day left live. */
  afterGcRssBytes: number;
  afterGcHeapUsedBytes: number;
  /** /proc/self/status at the end of the day (see BaselineMessage.status). */
  statusAtEnd: Record<string, number>;
  /** Duration of every ledger journal write of an order (OrderRepository.insertIntent), ms. */
  journalMs: number[];
  /** Wall ms from the crossing tick to the start of the exit order's journal write. */
  tickToJournalStart: number[];
  /** Counters of the day's exit-intent store(s): saves, appends (group commits), rewrites, torn tails, bytes. */
  intentStoreStats: Record<string, number>[];
}
interface GoMessage {
  type: 'go';
  dataDir: string;
  endpoint: TwinEndpoint;
  configOverrides: Record<string, unknown>;
  holdings: { code: string; quantity: number; avgPrice: number }[];
  /** A ledger account of its own per run (the default for an external twin, `sim.<day>.pid<twin pid>`, repeats when pids do). */
  ledgerAccountId: string;
  databaseUrl?: string;
  maxRegistrations?: number;
  syncPeriodicMs?: number;
  postFillDelayMs?: number;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly baseline: BaselineMessage;
  go(msg: GoMessage): Promise<ResultMessage>;
  /** Waits up to 10 s for the process to end (it exits after its result), then kills it. */
  stop(): Promise<void>;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      cleanup();
      const msg = m as T | { type: 'error'; message: string };
      if (msg.type === 'error') reject(new Error(`bench daemon failed: ${(msg as { message: string }).message}`));
      else resolve(msg as T);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`bench daemon exited (${code ?? signal}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`bench daemon did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Starts the daemon process (`dist`: the compiled build; `tsx`: the sources through tsx) and waits for
 * its baseline. HANTU_BENCH_DAEMON_NODE_FLAGS adds Node/V8 flags to every daemon (experiments).
 */
async function spawnDaemon(mode: 'dist' | 'tsx', nodeFlags: readonly string[] = []): Promise<Daemon> {
  const shipped = shippedCommand();
  const flags = [...shipped.flags, ...nodeFlags, ...(process.env['HANTU_BENCH_DAEMON_NODE_FLAGS'] ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, ['--expose-gc', ...flags, DAEMON, mode], {
    stdio: ['ignore', process.env['HANTU_BENCH_TRACE'] ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...shipped.env },
  });
  let baseline: BaselineMessage;
  try {
    baseline = await nextMessage<BaselineMessage>(child, 120_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    child,
    baseline,
    go: async (msg) => {
      const result = nextMessage<ResultMessage>(child, 15 * 60_000);
      child.send(msg);
      return result;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))])) === 'timeout') child.kill('SIGKILL');
      }
    },
  };
}

/**
 * What `hantu` runs with: the environment assignments and Node/V8 flags of the shebang of bin/hantu.js
 * (`#!/usr/bin/env -S [NAME=VALUE…] node [flags…]`), so that the bench's daemon is the shipped command's.
 */
export function shippedCommand(): { env: Record<string, string>; flags: string[] } {
  const first = readFileSync(HANTU, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S (?<rest>.*)$/.exec(first);
  const words = (m?.groups?.['rest'] ?? 'node').trim().split(/\s+/);
  const node = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, Math.max(0, node)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { env, flags: node < 0 ? [] : words.slice(node + 1) };
}

/** Resident set of a child process in bytes (0 once it is gone). */
function rssOf(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Starts `hantu sim` in a child process and waits for its discovery file. */
async function spawnTwin(args: string[], dataDir: string): Promise<{ endpoint: TwinEndpoint; child: ChildProcess }> {
  const child = spawn(process.execPath, [HANTU, '--data-dir', dataDir, '--log-level', 'error', 'sim', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    // The same build as the daemon's (built, if needed, by `ensureBuild` moments before).
    env: { ...process.env, HANTU_DIST: '1' },
  });
  for (let i = 0; i < 600; i++) {
    const e = readTwinDiscovery(dataDir);
    if (e && e.pid === child.pid) return { endpoint: e, child };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('hantu sim did not start within 30 s');
}

/** Builds dist/ (`npm run build`) when it is missing or was not built from the current sources. */
function ensureBuild(): string {
  const before = distState();
  if (before.state === 'fresh') return 'dist/ up to date';
  const r = spawnSync(process.execPath, [BUILD], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal})`);
  return `dist/ rebuilt (${before.reason})`;
}

// --- one replayed day ------------------------------------------------------------------------------

interface Samples {
  toOrder: number[];
  /** Per toOrder sample: trade ticks/s around the crossing tick. */
  rate: number[];
  durableToOrder: number[];
  toAck: number[];
  runNodeToOrder: number[];
  intentSave: number[];
}

const newSamples = (): Samples => ({ toOrder: [], rate: [], durableToOrder: [], toAck: [], runNodeToOrder: [], intentSave: [] });

interface DayOptions {
  data: string;
  day: string;
  holdings: number;
  speed: number;
  /** Per-position stop-loss = take-profit percent (by traded-value rank); absent: one rule (-30 % / +30 %) for all. */
  thresholdsPct?: (i: number) => number;
  maxRegistrations?: number;
  /**
   * How many times faster than production (wall clock) the daemon's protective timers run: the
   * periodic sync (60 s), the post-fill ledger check (3 s), the exit reprice timeout (10 s) and the
   * fill-confirm query (60 s). Their simulated values become production × speed / syncTimeScale
   * (the reprice timeout capped at its maximum, 600 s). `speed` leaves them at production's simulated
   * values: at 800x the 60 s sync then fires every 75 ms of wall time and an exit unfilled after
   * 12.5 ms of wall time is repriced.
   */
  syncTimeScale: number;
  /** Extra Node/V8 flags of the daemon process (default none: `hantu run` as shipped). */
  nodeFlags?: readonly string[];
}

interface DayRun {
  day: string;
  nodeFlags: readonly string[];
  /** 1-minute load average of the machine at the start and the end of the run (other work distorts latencies). */
  loadAverage1m: [number, number];
  symbols: number;
  wallSeconds: number;
  ticks: number;
  ticksPerSecond: number;
  exitOrders: number;
  trades: number;
  /** The protective timers in wall ms (production: periodic sync 60,000, post-fill 3,000, reprice 10,000, fill confirm 60,000). */
  timersWallMs: { periodicSync: number; postFillCheck: number; repriceTimeout: number; fillConfirm: number };
  reconciliationSyncs: number;
  /**
   * Wall ms from the receipt of the tick that crossed the threshold to the exit order leaving: after
   * the exit intent is durable (intentSaveBeforeOrder), then (intentDurableToOrder) the port's checks
   * and, with monitor.exitWriteAhead = ledger only, the rest of the ledger journal write.
   */
  tickToOrder: ReturnType<LatencyRecorder['summary']>;
  /** … and to the venue's acknowledgement (includes the REST rate limiter's queue). */
  /** tickToOrder split by the trade-tick rate the daemon handled in the second around the crossing tick (see byRate). */
  tickToOrderByTickRate: ReturnType<typeof byRate>;
  tickToAck: ReturnType<LatencyRecorder['summary']>;
  /**
   * What run-node records itself (`RunningDay.latencies.toSubmit`): from the LATEST tick of the
   * instrument when the order leaves, so a tick arriving meanwhile restarts the clock: biased low.
   */
  tickToOrderAsRecordedByRunNode: ReturnType<LatencyRecorder['summary']>;
  /** Exit-intent saves, ms: the first of each exit (on the tick-to-order path) and the later state changes. */
  intentSaveBeforeOrder: ReturnType<LatencyRecorder['summary']>;
  intentSaveLater: ReturnType<LatencyRecorder['summary']>;
  /** From the intent being durable to the order leaving: the port's checks (with exitWriteAhead = ledger, the rest of the journal commit too). */
  intentDurableToOrder: ReturnType<LatencyRecorder['summary']>;
  /** With monitor.exitIntentFlush = after-send: from a first save's write until its deferred fdatasync returned (empty otherwise). */
  intentFlushAfterSend: ReturnType<LatencyRecorder['summary']>;
  /** The order executor's ledger journal write (one statement, one commit), every order of the day, ms. */
  journalWrite: ReturnType<LatencyRecorder['summary']>;
  /**
   * From the crossing tick to the start of the exit's ledger journal write, ms. With the default
   * monitor.exitWriteAhead = intent-log it starts after the order left (after the send's own
   * microtasks); with `ledger`, before the order may leave.
   */
  tickToJournalStart: ReturnType<LatencyRecorder['summary']>;
  /** The intent log's counters: saves, appends (one write each; concurrent saves share one), rewrites. */
  intentStore: Record<string, number>[];
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  daemon: {
    /** RSS after the module graph of `hantu run` was loaded and a GC ran, before the day. */
    baselineRssMb: number;
    baselineHeapUsedMb: number;
    importMs: number;
    /** Peak RSS over the daemon's whole life (VmHWM, imports included). */
    peakRssMb: number;
    /** Highest VmRSS sampled from outside every 50 ms over the daemon's life (a cross-check of peakRssMb). */
    peakRssDuringDayMb: number;
    peakHeapUsedMb: number;
    endRssMb: number;
    endHeapTotalMb: number;
    endExternalMb: number;
    endHeapSpacesMb: Record<string, number>;
    /** After a full GC at the end of the day (what stays live), RSS and heap. */
    afterGcRssMb: number;
    afterGcHeapUsedMb: number;
    /** Resident anonymous memory (V8 heap, malloc) and file-backed pages (node binary, libraries) at the baseline and at the end. */
    rssAnonBaselineMb: number;
    rssFileBaselineMb: number;
    rssAnonEndMb: number;
    rssFileEndMb: number;
  };
  twinPeakRssMb: number;
  /** The daemon's highest sampled RSS in each wall second from the twin's start (MB). */
  daemonRssMbBySecond: number[];
}

async function runDay(o: DayOptions, samples: Samples): Promise<DayRun> {
  const load0 = loadavg()[0]!;
  const dataDir = mkdtempSync(join(tmpdir(), 'hantu-bench-'));
  const overrides: Record<string, unknown> = {};
  // The same ranking as `hantu sim --holdings top:N` (demoHoldings): traded value of the day.
  const codes = loadDailyBars(o.data, { from: o.day, to: o.day })
    .session(o.day)
    .filter((b) => b.volume > 0)
    .sort((a, b) => b.volume * b.close - a.volume * a.close)
    .slice(0, o.holdings)
    .map((b) => b.code);
  if (o.thresholdsPct) {
    codes.forEach((code, i) => {
      const pct = o.thresholdsPct!(i);
      overrides[code] = { thresholds: { type: 'percent', stopLossPct: pct, takeProfitPct: pct } };
    });
  }
  const syncPeriodicMs = Math.round((SYNC_PERIODIC_MS * o.speed) / o.syncTimeScale);
  const postFillDelayMs = Math.round((POST_FILL_MS * o.speed) / o.syncTimeScale);
  const timers = {
    repriceTimeoutMs: Math.min(600_000, Math.round((REPRICE_TIMEOUT_MS * o.speed) / o.syncTimeScale)),
    fillConfirmTimeoutMs: Math.min(3_600_000, Math.round((FILL_CONFIRM_MS * o.speed) / o.syncTimeScale)),
  };
  // The daemon first (its imports take a second: at 800x that is 13 simulated minutes), then the twin.
  const daemon = await spawnDaemon('dist', o.nodeFlags);
  let twin: { endpoint: TwinEndpoint; child: ChildProcess } | undefined;
  let twinPeak = 0;
  let daemonPeak = 0;
  const bySecond: number[] = [];
  const sampleStart = Date.now();
  const sample = setInterval(() => {
    twinPeak = Math.max(twinPeak, rssOf(twin?.child.pid));
    const rss = rssOf(daemon.child.pid);
    daemonPeak = Math.max(daemonPeak, rss);
    const s = Math.floor((Date.now() - sampleStart) / 1000);
    bySecond[s] = Math.max(bySecond[s] ?? 0, mb(rss));
  }, 50);
  try {
    twin = await spawnTwin(
      ['--data', o.data, '--day', o.day, '--at', process.env['HANTU_BENCH_AT'] ?? '08:59', '--speed', String(o.speed), '--cash', '1000000000', '--holdings', `top:${o.holdings}:1000000`, ...(o.maxRegistrations ? ['--max-registrations', String(o.maxRegistrations)] : [])],
      dataDir,
    );
    const r = await daemon.go({
      type: 'go',
      dataDir,
      endpoint: twin.endpoint,
      configOverrides: { sim: { day: o.day, speed: o.speed }, monitor: { default: { thresholds: { type: 'percent', stopLossPct: 30, takeProfitPct: 30 }, ...timers }, instruments: overrides, exitIntentFlush: EXIT_INTENT_FLUSH } },
      holdings: codes.slice(0, 1).map((code) => ({ code, quantity: 0, avgPrice: 0 })),
      // As run-node's own ids: six hex digits between letters (a longer run of digits reads as an account number).
      ledgerAccountId: `bench.${o.day}.r${randomBytes(3).toString('hex')}x`,
      // The ledger: PostgreSQL when DATABASE_URL is set, else PGlite in the daemon process.
      ...(process.env['DATABASE_URL'] ? { databaseUrl: process.env['DATABASE_URL'] } : {}),
      ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}),
      syncPeriodicMs,
      postFillDelayMs,
    });
    r.crossingToOrder.forEach((v) => samples.toOrder.push(v));
    r.tickRateAroundCrossing.forEach((v) => samples.rate.push(v));
    r.intentSavedToOrder.forEach((v) => samples.durableToOrder.push(v));
    r.crossingToAck.forEach((v) => samples.toAck.push(v));
    r.toSubmit.forEach((v) => samples.runNodeToOrder.push(v));
    r.intentSaveMs.beforeOrder.forEach((v) => samples.intentSave.push(v));
    const ticks = r.counters['ticks'] ?? 0;
    if (r.tradingState !== 'ACTIVE') throw new Error(`the daemon did not trade (${r.tradingState}): ${r.startupReconciliation}`);
    return {
      day: o.day,
      nodeFlags: [...Object.entries(shippedCommand().env).map(([k, v]) => `${k}=${v}`), ...shippedCommand().flags, ...(o.nodeFlags ?? [])],
      loadAverage1m: [Math.round(load0 * 100) / 100, Math.round(loadavg()[0]! * 100) / 100],
      symbols: codes.length,
      wallSeconds: Math.round(r.wallMs / 100) / 10,
      ticks,
      ticksPerSecond: Math.round(ticks / (r.wallMs / 1000)),
      exitOrders: r.counters['exitOrders'] ?? 0,
      trades: r.trades,
      timersWallMs: {
        periodicSync: Math.round(syncPeriodicMs / o.speed),
        postFillCheck: Math.round(postFillDelayMs / o.speed),
        repriceTimeout: Math.round(timers.repriceTimeoutMs / o.speed),
        fillConfirm: Math.round(timers.fillConfirmTimeoutMs / o.speed),
      },
      reconciliationSyncs: r.reconciliation['syncs'] ?? 0,
      tickToOrder: summarise(r.crossingToOrder),
      tickToOrderByTickRate: byRate(r.crossingToOrder, r.tickRateAroundCrossing),
      tickToAck: summarise(r.crossingToAck),
      tickToOrderAsRecordedByRunNode: summarise(r.toSubmit),
      intentSaveBeforeOrder: summarise(r.intentSaveMs.beforeOrder),
      intentSaveLater: summarise(r.intentSaveMs.later),
      intentDurableToOrder: summarise(r.intentSavedToOrder),
      intentFlushAfterSend: summarise(r.intentFlushLag),
      journalWrite: summarise(r.journalMs),
      tickToJournalStart: summarise(r.tickToJournalStart),
      intentStore: r.intentStoreStats,
      eventLoopDelayMs: r.eventLoopDelayMs,
      daemon: {
        baselineRssMb: mb(daemon.baseline.rssBytes),
        baselineHeapUsedMb: mb(daemon.baseline.heapUsedBytes),
        importMs: Math.round(daemon.baseline.importMs),
        peakRssMb: mb(Math.max(r.peakRssBytes, daemonPeak)),
        peakRssDuringDayMb: mb(daemonPeak),
        peakHeapUsedMb: mb(r.peakHeapUsedBytes),
        endRssMb: mb(r.endRssBytes),
        endHeapTotalMb: mb(r.endHeapTotalBytes),
        endExternalMb: mb(r.endExternalBytes),
        endHeapSpacesMb: r.endHeapSpacesMb,
        afterGcRssMb: mb(r.afterGcRssBytes),
        afterGcHeapUsedMb: mb(r.afterGcHeapUsedBytes),
        rssAnonBaselineMb: mb(daemon.baseline.status['RssAnon'] ?? 0),
        rssFileBaselineMb: mb(daemon.baseline.status['RssFile'] ?? 0),
        rssAnonEndMb: mb(r.statusAtEnd['RssAnon'] ?? 0),
        rssFileEndMb: mb(r.statusAtEnd['RssFile'] ?? 0),
      },
      twinPeakRssMb: mb(twinPeak),
      daemonRssMbBySecond: Array.from(bySecond, (v) => v ?? 0),
    };
  } finally {
    clearInterval(sample);
    await daemon.stop();
    twin?.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Baseline memory of a daemon process that only loaded `hantu run`'s modules (no day). */
async function baselineOnly(mode: 'dist' | 'tsx'): Promise<{ rssMb: number; heapUsedMb: number; importMs: number }> {
  const d = await spawnDaemon(mode);
  d.child.send({ type: 'exit' });
  await d.stop();
  return { rssMb: mb(d.baseline.rssBytes), heapUsedMb: mb(d.baseline.heapUsedBytes), importMs: Math.round(d.baseline.importMs) };
}

/** The load: 40 symbols at 2,000 trade ticks/s. */
const TARGET_TICK_RATE = 2_000;

/**
 * Latencies split by the load around them: exits whose crossing tick came while the daemon handled at
 * most TARGET_TICK_RATE trade ticks/s (over the second around it), and the others (the compressed
 * opening minutes of a replay, when a day's busiest minutes pass in a fraction of a second).
 */
function byRate(latencies: readonly number[], rates: readonly number[]): { atOrBelowTargetRate: ReturnType<LatencyRecorder['summary']>; aboveTargetRate: ReturnType<LatencyRecorder['summary']> & { ticksPerSecondMax: number } } {
  const low = latencies.filter((_, i) => (rates[i] ?? Infinity) <= TARGET_TICK_RATE);
  const high = latencies.filter((_, i) => !((rates[i] ?? Infinity) <= TARGET_TICK_RATE));
  return { atOrBelowTargetRate: summarise(low), aboveTargetRate: { ...summarise(high), ticksPerSecondMax: Math.max(0, ...rates) } };
}

function summarise(values: readonly number[]): ReturnType<LatencyRecorder['summary']> {
  const r = new LatencyRecorder();
  values.forEach((v) => r.record(v));
  return r.summary();
}

// --- the intent store alone ------------------------------------------------------------------------

function benchIntent(n: number, note: string): ExitIntent {
  const id = `EX20260220090000-${String(n).padStart(6, '0')}-SL-bench.${n}`;
  return {
    version: 1,
    clientOrderId: id,
    instrumentId: instrumentId(String(n).padStart(6, '0')),
    name: '벤치마크',
    sessionDate: '2026-02-20',
    trigger: 'STOP_LOSS',
    reference: 67_800,
    threshold: 67_900,
    averagePrice: 70_000,
    positionQuantity: 10,
    quantity: 10,
    state: 'WORKING',
    attempts: [
      { clientOrderId: id, orderType: 'LIMIT', price: 67_600, quantity: 10, submittedAt: 1_771_545_600_000, status: 'WORKING', venueOrderId: '0000000001', branch: '06010', noticeFilledQuantity: 0, noticeFilledValue: 0, reportFilledQuantity: 0, reportFilledValue: 0 },
    ],
    filledQuantity: 0,
    filledValue: 0,
    repricesExhausted: false,
    note,
    createdAt: unixMillis(1_771_545_600_000),
    updatedAt: unixMillis(1_771_545_601_000),
  };
}

/** The previous store's write: the whole file (`{ version: 1, intents }`, indented) to a temporary file, fsync, rename, fsync of the folder. */
async function legacyRewrite(path: string, intents: readonly ExitIntent[]): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await openFile(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify({ version: 1, intents }, null, 2)}\n`, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await openFile(join(path, '..'), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Save latency of the exit-intent store alone (no event-loop contention): `saves` sequential saves
 * with `intents` intents in the file, for the append-only log (JsonFileExitIntentStore) and for the
 * previous format's rewrite-and-rename.
 */
async function benchIntentStore(intents = 40, saves = 200): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'hantu-bench-intents-'));
  try {
    const log = new LatencyRecorder();
    const store = new JsonFileExitIntentStore(join(dir, 'log.json'));
    for (let i = 0; i < intents; i++) await store.save(benchIntent(i, 'warm-up'));
    for (let k = 0; k < saves; k++) {
      const t = performance.now();
      await store.save(benchIntent(k % intents, `save ${k}`));
      log.record(performance.now() - t);
    }
    await store.close();
    const legacy = new LatencyRecorder();
    const all = Array.from({ length: intents }, (_, i) => benchIntent(i, 'warm-up'));
    const path = join(dir, 'legacy.json');
    await writeFileAsync(path, '');
    for (let k = 0; k < saves; k++) {
      all[k % intents] = benchIntent(k % intents, `save ${k}`);
      const t = performance.now();
      await legacyRewrite(path, all);
      legacy.record(performance.now() - t);
    }
    return { intentsInFile: intents, saves, appendLogMs: log.summary(), appendLogStats: store.stats(), previousRewriteAndRenameMs: legacy.summary() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A run's result, or its failure in words (one failed run does not lose the others). */
async function orError<T>(p: Promise<T>): Promise<T | { error: string }> {
  try {
    return await p;
  } catch (e) {
    process.stderr.write(`bench realtime: a run failed: ${(e as Error).message}\n`);
    return { error: (e as Error).message };
  }
}

/**
 * - intentStore: the exit-intent store alone (see benchIntentStore);
 * - startupBaseline: RSS of the daemon process after loading `hantu run`'s modules, compiled vs tsx;
 * - memory100Symbols: 100 symbols (marcap, top 100 by traded value) over a whole day at 800x, with
 *   per-position thresholds (0.3 %–5.2 %) so exits happen too; the daemon's RSS is its own process's;
 * - tickToOrder: 40 shipped symbols × 6 replayed days at 800x (about 2,000 ticks/s), each position
 *   with its own stop-loss = take-profit (0.2 %–2.15 %) so nearly every position exits (about 230
 *   exits); the protective timers (sync, post-fill check, reprice, fill confirm) run 60 times faster
 *   than in production on the wall clock rather than 800 times (see DayOptions.syncTimeScale);
 * - tickToOrderProductionTimers: one of those days with the timers at production's simulated values.
 *
 * HANTU_BENCH_QUICK=1 runs one latency day only (development); HANTU_BENCH_ONLY=memory the 100-symbol day only; HANTU_BENCH_AT=HH:MM starts the twin at
 * another time than 08:59; HANTU_BENCH_TRACE=1 makes the daemon print diagnostics (realtime-daemon.mjs);
 * HANTU_BENCH_DAEMON_NODE_FLAGS adds Node/V8 flags to the daemon (after those of bin/hantu.js);
 * HANTU_BENCH_EXIT_INTENT_FLUSH=before-send|after-send sets the daemon's monitor.exitIntentFlush.
 */
/** `monitor.exitIntentFlush` of the daemon (HANTU_BENCH_EXIT_INTENT_FLUSH; default: the configuration's default). */
const EXIT_INTENT_FLUSH = process.env['HANTU_BENCH_EXIT_INTENT_FLUSH'] ?? MonitorConfigSchema.shape.exitIntentFlush.parse(undefined);

export async function benchRealtime(): Promise<unknown> {
  const quick = process.env['HANTU_BENCH_QUICK'] === '1';
  const build = ensureBuild();
  const intentStore = await benchIntentStore();
  const startup = { compiled: await baselineOnly('dist'), tsx: await baselineOnly('tsx') };
  const hundred = (nodeFlags?: readonly string[]): DayOptions => ({
    data: MARCAP,
    day: MEMORY_DAY,
    holdings: 100,
    speed: SPEED,
    maxRegistrations: 101,
    thresholdsPct: (i) => 0.3 + (i % 50) * 0.1,
    syncTimeScale: 60,
    ...(nodeFlags ? { nodeFlags } : {}),
  });
  const forty = (day: string, syncTimeScale: number): DayOptions => ({ data: SHIPPED, day, holdings: 40, speed: SPEED, thresholdsPct: (i) => 0.2 + (i % 40) * 0.05, syncTimeScale });

  let memory: unknown = quick ? 'skipped: HANTU_BENCH_QUICK=1' : `skipped: ${MARCAP} is absent`;
  if (!quick && existsSync(MARCAP)) {
    const run = await orError(runDay(hundred(), newSamples()));
    memory = 'error' in run ? run : { targetPeakRssMb: TARGET_RSS_MB, meetsTarget: run.daemon.peakRssMb <= TARGET_RSS_MB, ...run };
  }

  const all = newSamples();
  const runs: (DayRun | { day: string; error: string })[] = [];
  const memoryOnly = process.env['HANTU_BENCH_ONLY'] === 'memory';
  for (const day of memoryOnly ? [] : quick ? LATENCY_DAYS.slice(0, 1) : LATENCY_DAYS) {
    const r = await orError(runDay(forty(day, 60), all));
    runs.push('error' in r ? { day, ...r } : r);
  }
  const productionTimers = quick || memoryOnly ? undefined : await orError(runDay(forty(LATENCY_DAYS[0]!, SPEED), newSamples()));
  const tickToOrder = summarise(all.toOrder);
  return {
    machine: { cpus: cpus().length, loadAverage1mAtEnd: Math.round(loadavg()[0]! * 100) / 100, note: 'other work on the machine distorts latencies: each run reports the load average around it' },
    ledger: process.env['DATABASE_URL'] ? 'postgresql (DATABASE_URL)' : 'pglite in the daemon process',
    daemon: `the compiled build (${build}) in a child process of its own (bench/realtime-daemon.mjs: the module graph of \`hantu run\`, then startTradingDay); hantu sim in another`,
    note: 'Latencies are wall ms from the receipt of the trade tick that crossed the threshold to the exit order leaving (tickToOrder: after the intent is durable) and to the venue acknowledgement (tickToAck, which includes the REST rate limiter). They are measured in the daemon process around PositionMonitor.onTradeTick, the intent store and KisClient.submitOrder; run-node\'s own figures (tickToOrderAsRecordedByRunNode) start at the latest tick of the instrument instead, which hides delays longer than the gap between two ticks. KIS allows 41 registrations per session; the 100-symbol runs raise it on both ends.',
    intentStore,
    startupBaseline: {
      what: 'RSS and heap of the daemon process after loading the module graph of `hantu run` and a GC, before any work',
      compiledRssMb: startup.compiled.rssMb,
      compiledHeapUsedMb: startup.compiled.heapUsedMb,
      compiledImportMs: startup.compiled.importMs,
      tsxRssMb: startup.tsx.rssMb,
      tsxHeapUsedMb: startup.tsx.heapUsedMb,
      tsxImportMs: startup.tsx.importMs,
    },
    memory100Symbols: memory,
    tickToOrder: {
      targetP99Ms: TARGET_P99_MS,
      meetsTarget: tickToOrder.p99Ms <= TARGET_P99_MS,
      exitIntentFlush: EXIT_INTENT_FLUSH,
      symbolsPerDay: 40,
      days: runs.map((r) => r.day),
      speed: SPEED,
      timers: 'periodic sync, post-fill check, reprice timeout and fill confirm at production × speed / 60 simulated ms: every 1 s, 50 ms, 167 ms and 1 s of wall time (production: 60 s, 3 s, 10 s, 60 s)',
      tickToOrderAllDays: tickToOrder,
      tickToOrderAllDaysByTickRate: byRate(all.toOrder, all.rate),
      tickToAckAllDays: summarise(all.toAck),
      tickToOrderAsRecordedByRunNodeAllDays: summarise(all.runNodeToOrder),
      intentSaveBeforeOrderAllDays: summarise(all.intentSave),
      intentDurableToOrderAllDays: summarise(all.durableToOrder),
      runs,
    },
    tickToOrderProductionTimers: productionTimers && {
      what: `day ${LATENCY_DAYS[0]} again with the timers at production's simulated values: at ${SPEED}x the 60 s sync fires every ${Math.round(SYNC_PERIODIC_MS / SPEED)} ms of wall time and an exit not filled within ${REPRICE_TIMEOUT_MS / SPEED} ms of wall time is repriced`,
      ...productionTimers,
    },
  };
}
