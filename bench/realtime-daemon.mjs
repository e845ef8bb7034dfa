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
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const mode = process.argv[2] === 'tsx' ? 'tsx' : 'dist';

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
const crossing = { toOrder: [], toAck: [], savedToOrder: [] };
const savedAt = new Map();
const onTradeTick = PositionMonitor.prototype.onTradeTick;
PositionMonitor.prototype.onTradeTick = function timedTick(ev) {
  lastTickAt.set(ev.instrumentId, performance.now());
  return onTradeTick.call(this, ev);
};
const submitOrder = KisClient.prototype.submitOrder;
KisClient.prototype.submitOrder = async function timedSubmit(cmd) {
  const at = crossingAt.get(cmd.instrumentId);
  crossingAt.delete(cmd.instrumentId);
  if (at !== undefined) crossing.toOrder.push(performance.now() - at);
  const saved = savedAt.get(cmd.instrumentId);
  savedAt.delete(cmd.instrumentId);
  if (at !== undefined && saved !== undefined) crossing.savedToOrder.push(performance.now() - saved);
  const ack = await submitOrder.call(this, cmd);
  if (at !== undefined) crossing.toAck.push(performance.now() - at);
  return ack;
};
const saveMs = { beforeOrder: [], later: [] };
const stores = new Set();
const save = JsonFileExitIntentStore.prototype.save;
JsonFileExitIntentStore.prototype.save = function timedSave(intent) {
  const s = performance.now();
  const first = intent.state === 'PENDING_SUBMIT';
  if (first && lastTickAt.has(intent.instrumentId)) crossingAt.set(intent.instrumentId, lastTickAt.get(intent.instrumentId));
  stores.add(this);
  const into = first ? saveMs.beforeOrder : saveMs.later;
  const p = save.call(this, intent);
  p.then(() => {
    into.push(performance.now() - s);
    if (first) savedAt.set(intent.instrumentId, performance.now());
  }, () => undefined);
  return p;
};
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
  const wallMs = performance.now() - started;
  loopDelay.disable();
  clearInterval(sampler);
  const end = process.memoryUsage();
  const spacesAtEnd = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 1e5) / 10]));
  globalThis.gc?.();
  const afterGc = process.memoryUsage();
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
    crossingToOrder: crossing.toOrder,
    crossingToAck: crossing.toAck,
    intentSavedToOrder: crossing.savedToOrder,
    intentSaveMs: saveMs,
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
