// The daemon of the realtime benchmark (bench/realtime.ts), in a process of its own so that its
// memory is the daemon's and nothing else's (the bench process carries tinybench, hdr-histogram…).
// Plain JavaScript on purpose: it runs the compiled build (dist/, `npm run build`) without any loader,
// as `hantu run` does from an installed copy. `node realtime-daemon.mjs tsx` runs the sources through
// tsx instead (used only to report the loader's cost at start).
//
// It loads the same module graph as `hantu run` (dist/cli/main.js and everything it imports), reports
// its baseline memory after a GC, then waits for the twin's endpoint from the parent and runs one
// trading day through `startTradingDay` (the composition `hantu run` uses), and reports latencies,
// counters and memory. Messages (IPC, JSON):
//   child → parent  { type: 'baseline', mode, rssBytes, heapUsedBytes, importMs, status }
//   parent → child  { type: 'go', dataDir, endpoint, configOverrides, holdings, ledgerAccountId,
//                     databaseUrl?, maxRegistrations?, syncPeriodicMs?, postFillDelayMs? }  or { type: 'exit' }
//   child → parent  { type: 'result', … } or { type: 'error', message }
// (the shapes are typed in bench/realtime.ts: BaselineMessage, GoMessage, ResultMessage).
//
// HANTU_BENCH_TRACE=1 (diagnostics, on stderr; it perturbs what it measures): one line per exit order
// (latency, and its window on the monotonic clock, to cut a --cpu-prof profile with), per first intent
// save (ticks and GC meanwhile), every SQL statement by its first words (count, rows, ms), fs.write
// completion times, and probes of the loop every 20 ms (setImmediate, an fs.write to /dev/shm, and
// with PostgreSQL a SELECT 1 and a durable one-row INSERT on a connection of their own).
// HANTU_BENCH_HEAP_SNAPSHOT=<file>: a heap snapshot at the end of the day, after a full GC.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const mode = process.argv[2] === 'tsx' ? 'tsx' : 'dist';

// HANTU_BENCH_TRACE: how long fs.write callbacks (the intent log's appends) take, call to callback.
const fsWriteMs = [];
if (process.env.HANTU_BENCH_TRACE) {
  const fs = (await import('node:fs')).default;
  const w = fs.write;
  fs.write = function tracedWrite(...args) {
    const cb = args.at(-1);
    if (typeof cb !== 'function') return w.apply(this, args);
    const s = performance.now();
    args[args.length - 1] = (...r) => {
      fsWriteMs.push(performance.now() - s);
      cb(...r);
    };
    return w.apply(this, args);
  };
}

/** Bytes of this process's peak resident set (VmHWM, Linux), else undefined. */
function peakRssBytes() {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** RssAnon / RssFile / RssShmem / VmHWM of this process (bytes, Linux), else {}. */
function procStatus() {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const out = {};
    for (const k of ['VmHWM', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem']) {
      const kb = new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1];
      if (kb !== undefined) out[k] = Number(kb) * 1024;
    }
    return out;
  } catch {
    return {};
  }
}

function send(msg) {
  return new Promise((resolve) => process.send(msg, undefined, {}, () => resolve()));
}

const t0 = performance.now();
let root;
if (mode === 'tsx') {
  const { register } = await import('tsx/esm/api');
  register();
  root = new URL('../src/', import.meta.url);
} else {
  // HANTU_BENCH_DIST: another compiled tree to measure (A/B comparisons of builds).
  root = process.env.HANTU_BENCH_DIST ? pathToFileURL(`${process.env.HANTU_BENCH_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
}
const ext = mode === 'tsx' ? '.ts' : '.js';
const load = (p) => import(new URL(`${p}${ext}`, root).href);
// The whole graph of the `hantu` command, then what this script calls.
await load('cli/main');
const { silentLogger } = await load('core/logger');
const { loadConfig } = await load('config/load');
const { startTradingDay } = await load('node/run-node');
const { clockOfTwin } = await load('node/twin-node');
const { JsonFileExitIntentStore } = await load('monitor/intent-store');
const importMs = performance.now() - t0;

// Measurements, by wrapping methods of the very module instances run-node uses:
// - tick-to-order from the CROSSING tick. run-node's own `latencies` start at the latest tick of the
//   instrument when the order leaves: a tick of the same instrument arriving while the intent is being
//   made durable restarts that clock (at 800x a liquid symbol ticks every ~20 ms), so they hide any
//   delay longer than the gap between two ticks. Here: the wall time of the tick handed to the monitor
//   (PositionMonitor.onTradeTick) that created the exit; the first save of an exit (state
//   PENDING_SUBMIT) runs in a microtask right after that tick, before any later socket data, so the
//   instrument's last tick then is the crossing one. The order leaves at KisClient.submitOrder.
// - the duration of each exit-intent save: `beforeOrder` (PENDING_SUBMIT, on the tick-to-order path)
//   and `later` (the state changes after it);
// - from that first save's resolution to the order leaving: mostly the order executor's journal write
//   in the ledger (a database commit), the other durable write on the tick-to-order path;
// - the event loop's delay (how long a ready callback waits for the loop).
const { PositionMonitor } = await load('monitor/monitor');
const { KisClient } = await load('adapters/kis/kis-client');
const lastTickAt = new Map();
const crossingAt = new Map();
/** The crossing tick of an exit whose ledger journal write has not started yet (it starts after the send). */
const journalCrossingAt = new Map();
const crossing = { toOrder: [], toAck: [], savedToOrder: [], at: [] };
const savedAt = new Map();
const onTradeTick = PositionMonitor.prototype.onTradeTick;
/** Trade ticks handed to the monitor per 100 ms of wall time (index: performance.now() / 100). */
const ticksPer100ms = [];
let tickCount = 0;
const gcMs = { total: 0 };
if (process.env.HANTU_BENCH_TRACE) {
  const { PerformanceObserver } = await import('node:perf_hooks');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs.total += e.duration;
  }).observe({ entryTypes: ['gc'] });
}
/** HANTU_BENCH_TRACE: how long the synchronous handling of a crossing tick took (ms). */
const syncTickMs = [];
const lastTickSyncMs = new Map();
/** The tick count at each instrument's latest tick (HANTU_BENCH_TRACE: ticks handled between the crossing tick and the intent save). */
const lastTickCount = new Map();
PositionMonitor.prototype.onTradeTick = function timedTick(ev) {
  const now = performance.now();
  lastTickAt.set(ev.instrumentId, now);
  lastTickCount.set(ev.instrumentId, tickCount);
  const b = Math.floor(now / 100);
  ticksPer100ms[b] = (ticksPer100ms[b] ?? 0) + 1;
  tickCount++;
  if (!process.env.HANTU_BENCH_TRACE) return onTradeTick.call(this, ev);
  const r = onTradeTick.call(this, ev);
  lastTickSyncMs.set(ev.instrumentId, performance.now() - now);
  return r;
};
const submitOrder = KisClient.prototype.submitOrder;
KisClient.prototype.submitOrder = async function timedSubmit(cmd) {
  const at = crossingAt.get(cmd.instrumentId);
  crossingAt.delete(cmd.instrumentId);
  if (at !== undefined) {
    crossing.toOrder.push(performance.now() - at);
    crossing.at.push(at);
  }
  if (at !== undefined && process.env.HANTU_BENCH_TRACE) {
    const lat = performance.now() - at;
    const nowUs = Number(process.hrtime.bigint() / 1000n);
    process.stderr.write(`exit ${cmd.instrumentId} at=${at.toFixed(1)} toOrder=${lat.toFixed(2)} hrFromUs=${Math.round(nowUs - lat * 1000)} hrToUs=${nowUs}\n`);
  }
  const saved = savedAt.get(cmd.instrumentId);
  savedAt.delete(cmd.instrumentId);
  if (at !== undefined && saved !== undefined) crossing.savedToOrder.push(performance.now() - saved);
  const ack = await submitOrder.call(this, cmd);
  if (at !== undefined) crossing.toAck.push(performance.now() - at);
  return ack;
};
const saveMs = { beforeOrder: [], later: [] };
/** HANTU_BENCH_TRACE: duration of the last fs.writeSync (the synchronous O_DSYNC append of a first save), ms. */
let lastWriteSyncMs = 0;
if (process.env.HANTU_BENCH_TRACE) {
  const fsmod = (await import('node:fs')).default;
  const ws = fsmod.writeSync;
  fsmod.writeSync = function timedWriteSync(...a) {
    const t = performance.now();
    try {
      return ws.apply(this, a);
    } finally {
      lastWriteSyncMs += performance.now() - t;
    }
  };
}
/** [ns on the CPU, ns waiting on the run queue] of the calling thread (Linux). */
function schedstat() {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return [run, wait];
  } catch {
    return [0, 0];
  }
}
const stores = new Set();
const save = JsonFileExitIntentStore.prototype.save;
JsonFileExitIntentStore.prototype.save = function timedSave(intent) {
  const s = performance.now();
  const first = intent.state === 'PENDING_SUBMIT';
  if (first && lastTickAt.has(intent.instrumentId)) {
    crossingAt.set(intent.instrumentId, lastTickAt.get(intent.instrumentId));
    journalCrossingAt.set(intent.instrumentId, lastTickAt.get(intent.instrumentId));
  }
  if (first && lastTickSyncMs.has(intent.instrumentId)) syncTickMs.push(lastTickSyncMs.get(intent.instrumentId));
  stores.add(this);
  const into = first ? saveMs.beforeOrder : saveMs.later;
  // HANTU_BENCH_TRACE: how the synchronous part of a first save spent its time: on the CPU, waiting
  // for a CPU (run queue), or blocked (the disk), from the kernel's per-thread schedstat (ns).
  const sched0 = first && process.env.HANTU_BENCH_TRACE ? schedstat() : undefined;
  lastWriteSyncMs = 0;
  const p = save.call(this, intent);
  if (sched0) {
    const sched1 = schedstat();
    const wallUs = (performance.now() - s) * 1000;
    const cpuUs = (sched1[0] - sched0[0]) / 1000;
    const queueUs = (sched1[1] - sched0[1]) / 1000;
    process.stderr.write(`savesync ${intent.instrumentId} wallUs=${wallUs.toFixed(0)} writeSyncUs=${(lastWriteSyncMs * 1000).toFixed(0)} cpuUs=${cpuUs.toFixed(0)} runQueueUs=${queueUs.toFixed(0)} blockedUs=${(wallUs - cpuUs - queueUs).toFixed(0)}\n`);
  }
  const ticks0 = tickCount;
  const gc0 = gcMs.total;
  const sinceTick = first ? s - (lastTickAt.get(intent.instrumentId) ?? s) : 0;
  const ticksBefore = first ? tickCount - (lastTickCount.get(intent.instrumentId) ?? tickCount) : 0;
  if (first && process.env.HANTU_BENCH_TRACE) p.then(() => process.stderr.write(`save ${intent.instrumentId} ms=${(performance.now() - s).toFixed(2)} tickToSaveMs=${sinceTick.toFixed(2)} ticksBetween=${ticksBefore} ticksMeanwhile=${tickCount - ticks0} gcMeanwhileMs=${(gcMs.total - gc0).toFixed(2)}\n`), () => undefined);
  p.then(() => {
    into.push(performance.now() - s);
    if (first) savedAt.set(intent.instrumentId, performance.now());
  }, () => undefined);
  return p;
};
// - the order executor's journal write (OrderRepository.insertIntent): its duration, and where it
//   started relative to the crossing tick (it runs concurrently with the intent save).
const { OrderRepository } = await load('persistence/repositories/orders');
const journalMs = [];
const tickToJournalStart = [];
const insertIntent = OrderRepository.prototype.insertIntent;
OrderRepository.prototype.insertIntent = function timedInsert(args) {
  const s = performance.now();
  const at = args.init.side === 'SELL' ? journalCrossingAt.get(args.init.instrumentId) : undefined;
  journalCrossingAt.delete(args.init.instrumentId);
  if (at !== undefined) tickToJournalStart.push(s - at);
  const p = insertIntent.call(this, args);
  p.then(() => journalMs.push(performance.now() - s), () => undefined);
  return p;
};
// HANTU_BENCH_TRACE: every SQL statement of the day by its first words (count, rows, ms), on stderr at the end.
const sqlStats = new Map();
if (process.env.HANTU_BENCH_TRACE) {
  const pgmod = await import('pg');
  const Client = (pgmod.default ?? pgmod).Client;
  const q = Client.prototype.query;
  Client.prototype.query = function tracedQuery(config, values, cb) {
    const text = typeof config === 'string' ? config : config?.text;
    if (typeof text !== 'string' || cb !== undefined || typeof values === 'function') return q.call(this, config, values, cb);
    const key = text.replace(/\s+/g, ' ').slice(0, 90);
    const s = performance.now();
    const p = q.call(this, config, values);
    p.then((r) => {
      const e = sqlStats.get(key) ?? { n: 0, rows: 0, ms: 0 };
      e.n++;
      e.rows += r?.rowCount ?? r?.rows?.length ?? 0;
      e.ms += performance.now() - s;
      sqlStats.set(key, e);
    }, () => undefined);
    return p;
  };
}
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

globalThis.gc?.();
const base = process.memoryUsage();
await send({ type: 'baseline', mode, rssBytes: base.rss, heapUsedBytes: base.heapUsed, importMs, status: procStatus() });

const go = await new Promise((resolve) => process.once('message', resolve));
if (go.type !== 'go') {
  process.disconnect();
  process.exit(0);
}

// Heap sampling is cheap but not free (it runs on the daemon's event loop): every 200 ms. The RSS
// peak is the kernel's (VmHWM); the parent samples VmRSS from outside.
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
}, 200);
try {
  // HANTU_BENCH_TRACE: probes of the loop every 20 ms: setImmediate, and an fs.write to /dev/shm (threadpool round trip).
  const probe = { imm: [], fsw: [] };
  let probeTimer;
  if (process.env.HANTU_BENCH_TRACE) {
    const fs = (await import('node:fs')).default;
    const fd = fs.openSync(`/dev/shm/hantu-probe-${process.pid}`, 'w');
    const b = Buffer.alloc(700, 'x');
    probe.pgSelect = [];
    probe.pgInsert = [];
    const pgmod = await import('pg');
    const probeClient = new (pgmod.default ?? pgmod).Client({ connectionString: go.databaseUrl });
    if (go.databaseUrl) {
      await probeClient.connect();
      await probeClient.query('CREATE TABLE IF NOT EXISTS hantu_bench_probe (n int)');
    }
    let pn = 0;
    probeTimer = setInterval(() => {
      if (go.databaseUrl && pn++ % 2 === 0) {
        const t0 = performance.now();
        void probeClient.query('SELECT 1').then(() => probe.pgSelect.push(performance.now() - t0));
      } else if (go.databaseUrl) {
        const t0 = performance.now();
        void probeClient.query('INSERT INTO hantu_bench_probe VALUES (1)').then(() => probe.pgInsert.push(performance.now() - t0));
      }
      const t = performance.now();
      setImmediate(() => probe.imm.push(performance.now() - t));
      fs.write(fd, b, 0, b.length, 0, () => probe.fsw.push(performance.now() - t));
    }, 20);
  }
  const config = loadConfig({ env: {}, overrides: { dataDir: go.dataDir, logLevel: 'error', ...go.configOverrides } });
  const started = performance.now();
  loopDelay.enable();
  const day = await startTradingDay({
    config,
    logger: silentLogger(),
    write: () => undefined,
    control: false,
    external: { endpoint: go.endpoint, clock: clockOfTwin(go.endpoint) },
    ...(go.databaseUrl ? { databaseUrl: go.databaseUrl } : {}),
    holdings: go.holdings,
    ledgerAccountId: go.ledgerAccountId,
    ...(go.maxRegistrations ? { maxRegistrations: go.maxRegistrations } : {}),
    ...(go.syncPeriodicMs ? { syncPeriodicMs: go.syncPeriodicMs } : {}),
    ...(go.postFillDelayMs ? { postFillDelayMs: go.postFillDelayMs } : {}),
  });
  const report = await day.done;
  if (process.env.HANTU_BENCH_TRACE) {
    clearInterval(probeTimer);
    for (const [k, v] of Object.entries({ ...probe, crossingTickSync: syncTickMs })) {
      const xs = [...v].sort((a, b) => a - b);
      process.stderr.write(`probe ${k} n=${xs.length} p50=${xs[Math.floor(xs.length / 2)]?.toFixed(2)} p90=${xs[Math.floor(xs.length * 0.9)]?.toFixed(2)} p99=${xs[Math.floor(xs.length * 0.99)]?.toFixed(2)} max=${xs.at(-1)?.toFixed(2)}\n`);
    }
    const xs = [...fsWriteMs].sort((a, b) => a - b);
    process.stderr.write(`fs.write n=${xs.length} p50=${xs[Math.floor(xs.length / 2)]?.toFixed(2)} p90=${xs[Math.floor(xs.length * 0.9)]?.toFixed(2)} max=${xs.at(-1)?.toFixed(2)}\n`);
  }
  if (process.env.HANTU_BENCH_TRACE) for (const [k, e] of [...sqlStats].sort((a, b) => b[1].ms - a[1].ms)) process.stderr.write(`sql n=${e.n} rows=${e.rows} ms=${e.ms.toFixed(0)} ${k}\n`);
  const wallMs = performance.now() - started;
  loopDelay.disable();
  clearInterval(sampler);
  const end = process.memoryUsage();
  const spacesAtEnd = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 1e5) / 10]));
  globalThis.gc?.();
  const afterGc = process.memoryUsage();
  if (process.env.HANTU_BENCH_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.HANTU_BENCH_HEAP_SNAPSHOT);
  await send({
    type: 'result',
    wallMs,
    counters: report.counters,
    reconciliation: report.reconciliation?.counters ?? {},
    tradingState: report.reconciliation?.state ?? 'NONE',
    startupReconciliation: report.reconciliation?.startup.summary ?? '',
    trades: report.summary.trades.length,
    toSubmit: day.latencies.toSubmit,
    toAck: day.latencies.toAck,
    intentFlushLag: day.latencies.intentFlushLag,
    crossingToOrder: crossing.toOrder,
    // The trade-tick rate (ticks/s) the daemon handled over the second around each crossing tick (±0.5 s).
    tickRateAroundCrossing: crossing.at.map((at) => {
      const b = Math.floor(at / 100);
      let n = 0;
      for (let k = b - 5; k < b + 5; k++) n += ticksPer100ms[k] ?? 0;
      return n;
    }),
    crossingToAck: crossing.toAck,
    intentSavedToOrder: crossing.savedToOrder,
    intentSaveMs: saveMs,
    journalMs,
    tickToJournalStart,
    eventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6, mean: loopDelay.mean / 1e6 },
    peakRssBytes: peakRssBytes() ?? end.rss,
    peakHeapUsedBytes: Math.max(peakHeap, end.heapUsed),
    endRssBytes: end.rss,
    endHeapUsedBytes: end.heapUsed,
    endHeapTotalBytes: end.heapTotal,
    endExternalBytes: end.external,
    endHeapSpacesMb: spacesAtEnd,
    afterGcRssBytes: afterGc.rss,
    afterGcHeapUsedBytes: afterGc.heapUsed,
    statusAtEnd: procStatus(),
    intentStoreStats: [...stores].map((st) => (typeof st.stats === 'function' ? st.stats() : {})),
  });
} catch (e) {
  clearInterval(sampler);
  await send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exitCode = 1;
}
process.disconnect();
// Whatever the day left open (it should be nothing) must not keep the process alive.
process.exit();
