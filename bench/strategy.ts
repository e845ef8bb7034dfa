import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../src/core/clock.ts';
import { kstInstant, type KstDate } from '../src/core/kst.ts';
import { silentLogger } from '../src/core/logger.ts';
import { SteppingClock } from '../src/core/stepping-clock.ts';
import { clearSharedLimiters } from '../src/adapters/kis/http/rate-limiter.ts';
import { KrxCalendar } from '../src/model/calendar.ts';
import { clientForTwin } from '../src/node/broker.ts';
import { bindNamedStrategy, costsOf, defaultStrategyConfig, fixedAssetSettings, MemoryRecorder, MemoryStrategyStateStore, phaseSourceFor, riskCheckFor } from '../src/node/strategy-node.ts';
import { sessionOf, twinEndpoint } from '../src/node/twin-node.ts';
import { RiskConfigSchema } from '../src/risk/config.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';
import { InMemoryTradingStateStore } from '../src/risk/trading-state.ts';
import { defaultSimAccount, type SimHoldingSpec } from '../src/sim/account-spec.ts';
import { loadDailyBars, type DailyBarSet } from '../src/sim/replay/daily-bars.ts';
import { ReplayClock } from '../src/sim/replay/replay-clock.ts';
import { ReplayMarket } from '../src/sim/replay/replay-market.ts';
import { startKisTwin } from '../src/sim/twin.ts';
import { StrategyRunner } from '../src/strategy/runner.ts';
import { findMarcap, median, round } from './shared-data.ts';
import { nowMs } from './support.ts';

/** The replayed session (the last of the 2026 marcap file, as in the rest and realtime benchmarks). */
const DAY = '2026-02-20' as KstDate;
/** When the run starts (KST): continuous trading. */
const AT = '10:00';
const POSITIONS = 100;
/** Account value: 1,000,000,000 won, 90 % in the holdings, 10 % cash. */
const ACCOUNT_KRW = 1_000_000_000;
const CASH_KRW = 100_000_000;
/**
 * Holding weights alternate 40 and 140 bps of the account (mean 90 bps) against an equal-weight target
 * of 100 bps with a ±50 bps band: every position is traded, about half sold and half bought, so a run
 * sends ~100 orders (the expensive case, not the idle "within band" one).
 */
const WEIGHTS_BPS = [40, 140] as const;
/** The risk limits, opened so that no check caps the pass (defaults: 100 orders, 50,000,000 won a day). */
const RISK = { maxDailyOrders: 10_000, maxDailyOrderValueKrw: 1_000_000_000_000 };
const FEES = { commissionBps: 1.40527, sellTaxBps: 20 };
/** The KIS real limit per app key; the client paces 10 % below it. */
const KIS_REAL_LIMIT = 18;
const OPEN_LIMIT = 1_000;

type ClockKind = 'stepping' | 'wall';

interface RunFigures {
  positions: number;
  decisions: number;
  ordersSent: number;
  ordersRejected: number;
  ordersFilled: number;
  denials: number;
  skips: number;
  /** Skips by code (runner's and strategy's), e.g. INSUFFICIENT_CASH when unconfirmed sells leave a buy unfunded. */
  skipCodes: Record<string, number>;
  errors: number;
  restRequests: number;
  rateLimitedAnswers: number;
  requestsByPath: Record<string, number>;
  wallMs: number;
  /** CPU time of this process (client, runner and twin) during the pass. */
  cpuMs: number;
  simulatedMs: number;
}

/** Counts the KIS client's REST requests to one origin (node:http's `http.client.request.start` diagnostics channel). */
function countRequests(origin: string): { stop(): { total: number; byPath: Record<string, number> } } {
  const byPath: Record<string, number> = {};
  let total = 0;
  const { host } = new URL(origin);
  const onStart = (msg: unknown): void => {
    const r = (msg as { request?: { host?: unknown; path?: unknown; getHeader?: (n: string) => unknown } }).request;
    if (String(r?.getHeader?.('host') ?? r?.host) !== host) return;
    total++;
    const path = String(r?.path ?? '').split('?')[0]?.replace(/^\/uapi\/domestic-stock\/v1\//, '') ?? '';
    byPath[path] = (byPath[path] ?? 0) + 1;
  };
  diagnosticsChannel.subscribe('http.client.request.start', onStart);
  return {
    stop() {
      diagnosticsChannel.unsubscribe('http.client.request.start', onStart);
      return { total, byPath };
    },
  };
}

/** The 100 listings with the largest traded value of the day, and their holdings (see WEIGHTS_BPS). */
function pickHoldings(market: ReplayMarket): { codes: string[]; holdings: SimHoldingSpec[] } {
  const chosen = [...market.instruments()]
    .filter((i) => i.daily.volume > 0 && i.basePrice > 0)
    .sort((a, b) => b.daily.volume * b.daily.close - a.daily.volume * a.daily.close || (a.id < b.id ? -1 : 1))
    .slice(0, POSITIONS);
  const holdings = chosen.map((i, k) => {
    const krw = (ACCOUNT_KRW * (WEIGHTS_BPS[k % WEIGHTS_BPS.length] as number)) / 10_000;
    return { code: i.id, quantity: Math.max(1, Math.floor(krw / i.basePrice)), avgPrice: i.basePrice };
  });
  return { codes: chosen.map((i) => i.id), holdings };
}

/**
 * One `StrategyRunner.runOnce` of equal-weight rebalancing over the 100 positions, wired as
 * `hantu backtest` / `hantu strategy run` wire it (risk engine behind `riskCheckFor`, in-memory state
 * store and recorder, fixed asset settings), through the real KIS client against a fresh twin.
 *
 * `stepping`: a `SteppingClock` (as in `hantu backtest`): simulated time stands still while code runs
 * and jumps when someone waits (the rate limiter's spacing, the runner's fill polls), so the wall time
 * is what our code (client, runner, twin) costs and the simulated time is what the run waits for.
 * `wall`: a replay clock at 1x on the system clock: the wall time is what a user waits, end to end.
 */
async function oneRun(bars: DailyBarSet, rate: number, clockKind: ClockKind): Promise<RunFigures> {
  clearSharedLimiters(); // a fresh clock each run: the app key's shared limiter must be rebuilt on it
  const logger = silentLogger();
  const session = sessionOf(DAY);
  const start = kstInstant(DAY, AT);
  const stepping = clockKind === 'stepping' ? new SteppingClock(start) : undefined;
  stepping?.setHorizon(session.close + 3_600_000);
  const clock: Clock = stepping ?? new ReplayClock(new SystemClock(), { simStart: start, speed: 1 });
  const probe = new ReplayMarket(bars, { date: DAY, ...session, seed: 1 });
  const { codes, holdings } = pickHoldings(probe);
  const market = new ReplayMarket(bars, { date: DAY, ...session, seed: 1, codes });
  const account = defaultSimAccount({ cash: CASH_KRW, holdings, rateLimitPerSecond: rate });
  const twin = await startKisTwin({
    market,
    clock,
    accounts: [account],
    fees: FEES,
    logger,
    isTradingDay: () => true,
    // No WebSocket pushes during the pass: the REST side advances the matching engine itself.
    ws: { pumpIntervalMs: 86_400_000 },
  });
  const endpoint = twinEndpoint(twin, account, DAY, { simAt: clock.now(), wallAt: Date.now(), speed: 1 });
  const tmp = mkdtempSync(join(tmpdir(), 'hantu-bench-strategy-'));
  const client = clientForTwin(endpoint, { clock, logger, dataDir: tmp, rateLimitPerSecond: rate, timeoutClock: new SystemClock(), maxPages: 1_000 });
  try {
    const kinds = new Map(codes.map((c) => [c, bars.bar(DAY, c)?.kind ?? 'STOCK'] as const));
    const costs = costsOf(FEES);
    const engine = await RiskEngine.create({ config: RiskConfigSchema.parse(RISK), clock, calendar: new KrxCalendar(), store: new InMemoryTradingStateStore(), logger });
    const runner = new StrategyRunner({
      broker: client,
      risk: riskCheckFor(engine, { costs, kindOf: (id) => kinds.get(id) ?? 'STOCK' }),
      settings: fixedAssetSettings(codes.map((code) => ({ code, kind: kinds.get(code) ?? 'STOCK' }))),
      state: new MemoryStrategyStateStore(),
      recorder: new MemoryRecorder(),
      clock,
      logger,
      calendar: phaseSourceFor(),
      costs,
      strategies: [bindNamedStrategy('rebalance', defaultStrategyConfig('rebalance', codes, { cash: CASH_KRW, sessions: 1 }))],
      config: { runnerId: 'bench' },
    });
    // A running daemon holds its token and a warm connection: not part of the pass.
    const before = await client.requestBalance();
    const counter = countRequests(new URL(twin.restUrl).origin);
    const firstLogged = twin.rest.state.requests.length;
    const sim0 = clock.now();
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    const report = await runner.runOnce({ dryRun: false });
    const wallMs = nowMs() - t0;
    const cpu = process.cpuUsage(cpu0);
    const simulatedMs = clock.now() - sim0;
    const counted = counter.stop();
    const served = twin.rest.state.requests.slice(counted.total + firstLogged <= 1_000 ? firstLogged : 0);
    const outcomes = report.decisions.map((d) => d.outcome);
    return {
      positions: before.positions.filter((p) => p.quantity > 0).length,
      decisions: report.decisions.length,
      ordersSent: report.orders.filter((o) => o.status === 'SUBMITTED').length,
      ordersRejected: report.orders.filter((o) => o.status === 'REJECTED').length,
      ordersFilled: outcomes.filter((o) => o === 'FILLED').length,
      denials: report.denials.length,
      skips: report.skips.length,
      skipCodes: report.skips.reduce<Record<string, number>>((m, k) => ({ ...m, [k.code]: (m[k.code] ?? 0) + 1 }), {}),
      errors: report.errors.length + (report.aborted ? 1 : 0),
      restRequests: counted.total,
      rateLimitedAnswers: served.filter((r) => r.msgCd === 'EGW00201').length,
      requestsByPath: counted.byPath,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      simulatedMs,
    };
  } finally {
    await client.close().catch(() => undefined);
    await twin.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

function envInt(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, was "${raw}"`);
  return n;
}

/** Runs `repeats` passes and summarises them: counts of the median run, wall and simulated ms median/min/max. */
async function series(bars: DailyBarSet, rate: number, clockKind: ClockKind, repeats: number): Promise<unknown> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await oneRun(bars, rate, clockKind);
    runs.push(r);
    process.stderr.write(
      `  strategy ${clockKind} ${rate}/s #${i + 1}: wall ${Math.round(r.wallMs)} ms, cpu ${Math.round(r.cpuMs)} ms, simulated ${r.simulatedMs} ms, ${r.restRequests} requests, ${r.ordersSent} orders, ${r.ordersFilled} filled\n`,
    );
  }
  const walls = runs.map((r) => r.wallMs);
  const sims = runs.map((r) => r.simulatedMs);
  const cpus = runs.map((r) => r.cpuMs);
  const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)] as RunFigures;
  return {
    limitPerSecond: rate,
    clientPacesAtPerSecond: round(rate * 0.9, 1),
    clock: clockKind,
    repeats,
    positions: mid.positions,
    decisions: mid.decisions,
    ordersSent: mid.ordersSent,
    ordersRejected: mid.ordersRejected,
    ordersFilled: mid.ordersFilled,
    denials: mid.denials,
    skips: mid.skips,
    skipCodes: mid.skipCodes,
    errors: mid.errors,
    restRequests: mid.restRequests,
    restRequestsEachRun: runs.map((r) => r.restRequests),
    rateLimitedAnswers: runs.reduce((s, r) => s + r.rateLimitedAnswers, 0),
    requestsByPath: mid.requestsByPath,
    wallMs: { median: round(median(walls), 0), min: round(Math.min(...walls), 0), max: round(Math.max(...walls), 0) },
    cpuMs: { median: round(median(cpus), 0), min: round(Math.min(...cpus), 0), max: round(Math.max(...cpus), 0) },
    simulatedMs: { median: round(median(sims), 0), min: Math.min(...sims), max: Math.max(...sims) },
    wallMsPerRequest: round(median(walls) / Math.max(1, mid.restRequests), 2),
    /** The least simulated time the requests alone take at the client's pace (the rest is fill polling). */
    pacingFloorMs: round((mid.restRequests / (rate * 0.9)) * 1000, 0),
  };
}

/**
 * Issue #5 §6: one strategy run over a 100-position account. A twin account holds the 100 most traded
 * listings of 2026-02-20 (real marcap bars, synthetic intraday prints) off their equal weights; one
 * `StrategyRunner.runOnce` of `rebalance` over them goes through the real KIS client at the KIS real
 * REST limit (18/s) and with the limiter opened up (1,000/s).
 *
 * - `steppingClock`: wall ms = what our code costs (client + runner + risk + twin, one process);
 *   simulated ms = what the pass waits for on the clock (the 18/s spacing, the runner's 2 s fill polls).
 * - `wallClock`: the same pass on a 1x replay clock: wall ms = what a user waits, end to end.
 *
 * Parameters (environment): `HANTU_BENCH_STRATEGY_REPEATS` (stepping clock, default 5) and
 * `HANTU_BENCH_STRATEGY_WALL_REPEATS` (wall clock, default 3; 0 skips those runs, ~25 s each at 18/s).
 * Skipped, with the reason, when the 2026 marcap file (≥ 100 listings a day) is missing.
 */
export async function benchStrategy(): Promise<unknown> {
  const data = findMarcap(2026);
  if (!('path' in data)) return data;
  const bars = loadDailyBars(data.path, { onMalformed: 'skip', from: DAY, to: DAY });
  if (bars.session(DAY).length < POSITIONS) {
    return { skipped: true, reason: `${data.path} has ${bars.session(DAY).length} listings on ${DAY}; ${POSITIONS} are needed`, searched: data.path };
  }
  const repeats = Math.max(1, envInt('HANTU_BENCH_STRATEGY_REPEATS', 5));
  const wallRepeats = envInt('HANTU_BENCH_STRATEGY_WALL_REPEATS', 3);
  const loadBefore = loadavg()[0] as number;
  await oneRun(bars, OPEN_LIMIT, 'stepping'); // warm-up (JIT, module state), not reported
  const out: Record<string, unknown> = {
    scenario: {
      dataFile: data.path,
      day: DAY,
      at: `${AT} KST`,
      positions: POSITIONS,
      holdings: `the ${POSITIONS} most traded listings of the day, alternately ${WEIGHTS_BPS.join(' / ')} bps of ${ACCOUNT_KRW.toLocaleString('en-US')} won, cash ${CASH_KRW.toLocaleString('en-US')} won`,
      strategy: 'rebalance, equal weights (100 bps each), band ±50 bps, LIMIT orders at the touch',
      runner: 'defaults: sells first, fills confirmed by up to 5 order queries 2 s apart, then the buys',
      risk: RiskConfigSchema.parse(RISK),
    },
    steppingClock: {
      kisRealLimit: await series(bars, KIS_REAL_LIMIT, 'stepping', repeats),
      limiterOpened: await series(bars, OPEN_LIMIT, 'stepping', repeats),
    },
  };
  if (wallRepeats > 0) {
    out['wallClock'] = {
      kisRealLimit: await series(bars, KIS_REAL_LIMIT, 'wall', wallRepeats),
      limiterOpened: await series(bars, OPEN_LIMIT, 'wall', wallRepeats),
    };
  }
  // Other work on the machine slows the wall figures; the CPU figures are this process's own.
  out['loadAverage1m'] = { before: round(loadBefore, 2), after: round(loadavg()[0] as number, 2), cpus: cpus().length };
  return out;
}
