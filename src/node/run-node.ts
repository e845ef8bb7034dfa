import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { AppError, InputError } from '../core/errors.ts';
import { kstDateOf, kstParts, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { AppConfig } from '../config/schema.ts';
import { KrxCalendar } from '../model/calendar.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { AccountBalanceReport, OrderAck, OrderStatusReport } from '../model/reports.ts';
import { KisClient } from '../adapters/kis/kis-client.ts';
import { loadKisFromEnv } from '../adapters/kis/common/credentials.ts';
import { KisWsClient, type KisRealtimeEvent, type WsClientSignal } from '../adapters/kis/ws/client.ts';
import { PositionMonitor, type MonitorDaySummary } from '../monitor/monitor.ts';
import { JsonFileExitIntentStore } from '../monitor/intent-store.ts';
import type { ExitOrderPort } from '../monitor/ports.ts';
import { NotificationManager } from '../notify/notification-manager.ts';
import { ConsoleNotifier } from '../notify/channels/console-notifier.ts';
import { LogNotifier } from '../notify/channels/log-notifier.ts';
import { createNotification, type Notification } from '../notify/notifications.ts';
import type { NotificationChannel } from '../notify/notifier.ts';
import { formatNotification } from '../notify/format.ts';
import { clientForTwin } from './broker.ts';
import { demoHoldings } from './demo.ts';
import { launchTwin, sessionOf, type LaunchedTwin, type TwinEndpoint } from './twin-node.ts';
import type { SimHoldingSpec } from '../sim/account-spec.ts';
import { bps } from '../model/money.ts';
import { Ledger, openDatabase, type Db } from '../persistence/index.ts';
import { AccountSync, type SyncOutcome } from '../sync/account-sync.ts';
import { riskConfigFromEnv } from '../risk/config.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { jobSpecsFromConfig, schedulerConfigFromEnv } from '../scheduler/config.ts';
import { StrategyRunner } from '../strategy/runner.ts';
import { formatRunReport, type RunReport as StrategyRunReport } from '../strategy/run-report.ts';
import type { InstrumentKind } from '../model/instrument.ts';
import { ledgerExecutor, recoverExitOrders } from './execution-node.ts';
import { inferKind } from '../sim/replay/daily-bars.ts';
import type { OrderExecutor } from '../execution/executor.ts';
import { createRiskEngine } from './halt-node.ts';
import { DEFAULT_CONFIG_STRATEGIES, bindNamedStrategy, codesOfConfig, costsOf, defaultStrategyConfig, fixedAssetSettings, JsonFileStrategyStateStore, JsonLinesRecorder, phaseSourceFor, riskCheckFor } from './strategy-node.ts';

/**
 * `hantu run`: one trading day watched and traded end to end over the KIS wire protocol — token →
 * account sync → subscribe (holdings, then the execution notice, then the watchlist) → monitor with
 * stop-loss / take-profit → close → day summary and report. Without KIS credentials it runs against
 * an in-process twin replaying a real day at `speed`.
 */
export interface RunOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Extra instruments to watch (codes). */
  readonly watchlist?: readonly string[];
  /** Where timeline lines go (default stdout). */
  readonly write?: (line: string) => void;
  /** Use this clock for the twin and the daemon (tests); default a replay clock over the wall clock. */
  readonly clock?: Clock;
  /** Extra notification channels (tests). */
  readonly channels?: readonly NotificationChannel[];
  /** Start the local control endpoint (default true). */
  readonly control?: boolean;
  /** Twin WebSocket push interval (simulated ms). */
  readonly pumpIntervalMs?: number;
  /** Twin: liveness window of the WS client (simulated ms). */
  readonly livenessTimeoutMs?: number;
  /** WebSocket registrations per session on both ends (KIS: 41; more only for benchmarks). */
  readonly maxRegistrations?: number;
  /** Also send notifications to the log (a daemon without a console). */
  readonly logNotifications?: boolean;
  /** Use a twin that is already running (another process) instead of starting one. */
  readonly external?: { readonly endpoint: TwinEndpoint; readonly clock: Clock };
  /** Trade a KIS account (paper or real) instead of the twin: see `kisSessionFromEnv`. */
  readonly kis?: KisSession;
  /** Holdings of the twin's account at the start (default: five demo holdings bought the day before). */
  readonly holdings?: readonly SimHoldingSpec[];
  /**
   * PostgreSQL URL of the ledger (DATABASE_URL). Default: PGlite in `<dataDir>/ledger`.
   */
  readonly databaseUrl?: string | undefined;
  /** An open ledger database to use (tests, the chaos campaign); it is not closed at the end of the day. */
  readonly database?: Db;
  /** The ledger account id (default: one per twin run, `sim.<day>.<random>`, since the twin's account is new each run). */
  readonly ledgerAccountId?: string;
  /** Period of the full balance sync (simulated ms, default 60,000) and the post-fill check delay (default 3,000). */
  readonly syncPeriodicMs?: number;
  readonly postFillDelayMs?: number;
  /** Period of the open-order check while orders of ours work (simulated ms, default 3,000; 0 = off). */
  readonly openOrderCheckMs?: number;
  /**
   * Let a built-in strategy trade during the day on the scheduler (`SCHEDULE_STRATEGY_CRON`, the session
   * open/close hooks), through the order executor and the risk engine. Absent: the day only watches
   * and exits (stop-loss / take-profit).
   */
  readonly trading?: { readonly strategy: string; readonly strategyConfig?: unknown };
  /**
   * Environment the risk limits (`MAX_*`, `SLIPPAGE_BPS`) and the schedule (`SCHEDULE_*_CRON`) are read
   * from (default `process.env`).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The hybrid sync's part of the run report. */
export interface RunReconciliation {
  /** Where the ledger lives (`pglite:<folder>` or `postgres://host:port/db`) and its account id. */
  readonly ledger: string;
  readonly accountId: string;
  /** ACTIVE, or HALTED when the startup reconciliation found an unexplained difference (exits were not started). */
  readonly state: 'ACTIVE' | 'HALTED';
  readonly startup: { readonly status: string; readonly summary: string; readonly reportId?: number };
  /** The reconciliation run when the day closed. */
  readonly final?: { readonly status: string; readonly summary: string; readonly reportId?: number };
  /** notices, fillsApplied, duplicates, covered (late notices counted by REST), syncs, corrected, diverged, failed, restFills. */
  readonly counters: Readonly<Record<string, number>>;
}

export interface RunReport {
  readonly day: KstDate;
  readonly broker: string;
  readonly account: string;
  readonly dataFile?: string;
  readonly speed: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: MonitorDaySummary;
  readonly orders: readonly OrderStatusReport[];
  readonly finalBalance?: AccountBalanceReport;
  readonly counters: Readonly<Record<string, number>>;
  readonly timeline: readonly string[];
  /** The ledger and its reconciliations (absent when the ledger could not be opened). */
  readonly reconciliation?: RunReconciliation;
  /** The strategy's scheduled runs (when the day traded a strategy). */
  readonly trading?: RunTrading;
}

/** The strategy part of a run report. Won and shares. */
export interface RunTrading {
  readonly strategy: string;
  /** Scheduled runs: when (epoch ms), orders sent, fills, denials, skips, errors. */
  readonly runs: readonly { readonly at: number; readonly orders: number; readonly fills: number; readonly denials: number; readonly skips: number; readonly errors: number; readonly aborted?: string }[];
  /** Job counters from the scheduler (started, succeeded, failed, skipped). */
  readonly jobs: readonly { readonly name: string; readonly started: number; readonly succeeded: number; readonly failed: number; readonly skippedOverlap: number; readonly skippedMisfire: number }[];
  /** Stale orders cancelled by the review job. */
  readonly staleCancelled: number;
}

export interface RunningDay {
  /** Resolves with the report when the day is over (or `stop()` was called). */
  readonly done: Promise<RunReport>;
  readonly twin?: LaunchedTwin;
  readonly client: KisClient;
  readonly ws: KisWsClient;
  readonly monitor: PositionMonitor;
  /** The ledger of the day and its hybrid sync. */
  readonly ledger: Ledger;
  readonly sync: AccountSync;
  readonly clock: Clock;
  readonly controlUrl?: string;
  readonly counters: Record<string, number>;
  /**
   * Wall-clock latencies (ms) of exit orders: from the receipt of the last trade tick of the instrument
   * (the one that crossed the threshold) to the order leaving (`toSubmit`, after the intent is made
   * durable) and to the venue's acknowledgement (`toAck`). With `monitor.exitIntentFlush = after-send`,
   * `intentFlushLag`: from each first save's write until its deferred `fdatasync` returned (the window
   * in which an operating-system crash could lose the record of a sent order).
   */
  readonly latencies: { readonly toSubmit: number[]; readonly toAck: number[]; readonly intentFlushLag: number[] };
  /** The order executor every order of the day goes through (journal first). */
  readonly executor: OrderExecutor;
  /** The scheduler of the day's jobs (present when `trading` is set). */
  readonly scheduler?: Scheduler;
  /** Reports of the strategy runs of the day, oldest first. */
  readonly strategyRuns: readonly StrategyRunReport[];
  /** Ends the day now (summary, report, shutdown). */
  stop(): Promise<RunReport>;
}

/** Exit orders are refused while the startup reconciliation left the node HALTED (nothing is sent). */
class TradingHaltedError extends AppError {
  readonly code = 'TRADING_HALTED';
  readonly disposition = 'rejected' as const;
}

function hms(ms: number): string {
  const p = kstParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}:${String(p.second).padStart(2, '0')}`;
}

/** Starts a trading day. Throws `InputError`/`ConfigError` before anything connects when inputs are wrong. */
export async function startTradingDay(o: RunOptions): Promise<RunningDay> {
  const cfg = o.config;
  const write = o.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const timeline: string[] = [];
  const counters: Record<string, number> = { ticks: 0, notices: 0, fills: 0, reconnects: 0, malformedFrames: 0, triggers: 0, exitOrders: 0, subscriptionsSkipped: 0 };
  const calendar = new KrxCalendar();
  // A strategy that cannot be bound fails here, before anything connects (not at its first scheduled run).
  if (o.trading) {
    if (o.trading.strategyConfig !== undefined) bindNamedStrategy(o.trading.strategy, o.trading.strategyConfig);
    else if (!(DEFAULT_CONFIG_STRATEGIES as readonly string[]).includes(o.trading.strategy)) {
      throw new InputError(`strategy "${o.trading.strategy}" has no default configuration: pass --strategy-config <json|file> (defaults exist for ${DEFAULT_CONFIG_STRATEGIES.join(', ')})`);
    }
  }
  // The ledger: PGlite in <dataDir>/ledger by default, PostgreSQL with DATABASE_URL (or a Db given by the
  // caller). Opened before the twin starts: PGlite takes seconds to boot, which a fast replay clock
  // would turn into a missed open.
  const db: Db = o.database ?? (await openDatabase(o.databaseUrl ? { url: o.databaseUrl, logger: o.logger } : { dataDir: cfg.dataDir, logger: o.logger }));
  let launched: LaunchedTwin | undefined;
  try {
    launched = o.external || o.kis
      ? undefined
      : await launchTwin({
          sim: cfg.sim,
          fees: cfg.fees,
          logger: o.logger,
          holdings: o.holdings ?? ((m) => demoHoldings(m)),
          ...(o.clock ? { clock: o.clock } : {}),
          ...(o.pumpIntervalMs ? { pumpIntervalMs: o.pumpIntervalMs } : {}),
          ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}),
        });
  } catch (e) {
    if (o.database === undefined) await db.close().catch(() => undefined);
    throw e;
  }
  const twin = launched
    ? { endpoint: launched.endpoint, clock: launched.clock, day: launched.day, session: launched.session, dataFile: launched.dataFile as string | undefined, close: () => launched.close() }
    : o.kis
    ? {
        endpoint: { restUrl: o.kis.restUrl, wsUrl: o.kis.wsUrl, account: o.kis.account, htsId: o.kis.htsId, day: o.kis.day, pid: process.pid },
        clock: o.kis.clock,
        day: o.kis.day,
        session: o.kis.session,
        dataFile: undefined as string | undefined,
        close: async () => undefined,
      }
    : {
        endpoint: o.external!.endpoint,
        clock: o.external!.clock,
        day: o.external!.endpoint.day,
        session: sessionOf(o.external!.endpoint.day),
        dataFile: undefined as string | undefined,
        close: async () => undefined,
      };
  const clock = twin.clock;
  const line = (text: string): void => {
    const l = `${hms(clock.now())}  ${text}`;
    timeline.push(l);
    write(l);
  };
  const dataDir = cfg.dataDir;
  const client = o.kis?.client ?? clientForTwin(o.external?.endpoint ?? launched!.endpoint, { clock, logger: o.logger, dataDir });
  const venueEnv: 'sim' | 'paper' | 'real' = o.kis?.env ?? 'sim';
  // Execution notices: H0STCNI9 on paper, H0STCNI0 on real accounts and on the twin (kis-protocol.md §5.6).
  const noticeTr = venueEnv === 'paper' ? 'H0STCNI9' : 'H0STCNI0';
  const runDir = join(dataDir, 'run');
  mkdirSync(runDir, { recursive: true });
  const accountId =
    o.ledgerAccountId ??
    (o.kis ? `${o.kis.env}.${createHash('sha256').update(o.kis.account).digest('hex').slice(0, 12)}` : launched ? `sim.${twin.day}.r${randomBytes(3).toString('hex')}x` : `sim.${twin.day}.pid${o.external!.endpoint.pid}`);
  // One intent file per ledger account and day: a fresh twin is a fresh account, and must not inherit
  // the exits of an earlier run of the same day.
  const store = new JsonFileExitIntentStore(join(runDir, `exit-intents-${accountId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${twin.day}.json`), {
    firstSaveFlush: cfg.monitor.exitIntentFlush === 'after-send' ? 'after-resolve' : 'before-resolve',
    onDeferredFlush: (lagMs) => latencies.intentFlushLag.push(lagMs),
    onDeferredFlushError: (err) =>
      notify(createNotification('SystemAlert', clock.now(), { code: 'INTENT_FLUSH_FAILED', message: `the exit intent log could not be flushed after an exit order left; it is rewritten from memory: ${(err as Error).message ?? String(err)}`, priority: 'emergency' })),
  });

  const consoleChannel = new ConsoleNotifier({ write: (l) => line(l.replace(/^\S+ \S+ KST /, '')) });
  const notifier = new NotificationManager({
    // The console timeline is the human channel; the log channel adds nothing there but duplicates.
    channels: [consoleChannel, ...(o.logNotifications ? [new LogNotifier(o.logger)] : []), ...(o.channels ?? [])],
    clock,
    logger: o.logger,
    batchWindowMs: { normal: 1, low: 1 },
  });
  const notify = (n: Notification): void => notifier.notify(n);

  const ownDb = o.database === undefined;
  const rates = { commissionBps: bps(cfg.fees.commissionBps), sellTaxBps: bps(cfg.fees.sellTaxBps) };
  const ledger = new Ledger(db, { rates, clock, accounts: [twin.endpoint.account] });
  // The twin's account is born with each twin: one ledger account per twin run (an external `hantu sim`
  // keeps its account for its lifetime: one per process).
  const accountDigits = twin.endpoint.account.replace(/\D/g, '');
  const sync = new AccountSync({
    ledger,
    accountId,
    venue: client,
    clock,
    logger: o.logger,
    rates,
    isMarketHours: () => clock.now() >= twin.session.open && clock.now() < twin.session.close,
    today: () => twin.day,
    sessionClose: () => twin.session.close,
    isOurAccount: (acct) => acct.replace(/\D/g, '') === accountDigits,
    ...(o.syncPeriodicMs ? { periodicMs: o.syncPeriodicMs } : {}),
    ...(o.postFillDelayMs ? { postFillDelayMs: o.postFillDelayMs } : {}),
    ...(o.openOrderCheckMs !== undefined ? { openOrderCheckMs: o.openOrderCheckMs } : {}),
    onAlert: (a) => notify(createNotification('SystemAlert', clock.now(), { code: a.code, message: a.message, priority: a.priority })),
    // Exit orders may leave before their ledger journal (monitor.exitWriteAhead = intent-log): every
    // notice and every ledger view waits for those journal writes first.
    beforeLedgerRead: () => executor.whenJournaled(),
    onSync: (r: SyncOutcome) => {
      if (r.status !== 'MATCHED' && r.kind !== 'STARTUP') line(`reconciliation (${r.kind.toLowerCase().replace('_', '-')}): ${r.report?.summary ?? r.error ?? r.status}`);
    },
  });

  const lastTickWall = new Map<string, number>();
  const latencies = { toSubmit: [] as number[], toAck: [] as number[], intentFlushLag: [] as number[] };
  const env = o.env ?? process.env;
  // Every order of ours goes through the executor: journaled in the ledger (SUBMITTED) before the venue
  // sees it, so a crash at any point leaves nothing the startup reconciliation cannot resolve.
  const executor = ledgerExecutor({
    venue: {
      submitOrder: (req) => {
        // The exit path's latency mark: the order leaves once the journal write has committed.
        const tickAt = lastTickWall.get(req.instrumentId);
        if (req.side === 'SELL' && tickAt !== undefined && exitInFlight.has(req.instrumentId)) latencies.toSubmit.push(performance.now() - tickAt);
        sync.noteOrderPlaced();
        return client.submitOrder(req);
      },
      modifyOrder: (ref, p) => client.modifyOrder(ref, p),
      cancelOrder: (ref) => client.cancelOrder(ref),
      requestOrders: (r) => client.requestOrders(r),
      requestQuote: (id) => client.requestQuote(id),
      requestOrderBook: (id) => client.requestOrderBook(id),
    },
    ledger,
    accountId,
    clock,
    logger: o.logger,
    config: { slippageBps: riskConfigFromEnv(env).slippageBps },
  });
  const exitInFlight = new Set<string>();
  // The kill switch (`hantu halt`, `<dataDir>/trading-state.json`): HALTED stops exits too.
  let riskEngine: RiskEngine | undefined;
  const exitWriteAhead = cfg.monitor.exitWriteAhead === 'intent-log';
  const submitExit = async (cmd: Parameters<ExitOrderPort['submitOrder']>[0], durable?: Promise<void>): Promise<OrderAck> => {
    if (sync.state === 'HALTED') throw new TradingHaltedError('trading is HALTED by the startup reconciliation: no exit order is sent (see the reconciliation report)', { instrumentId: cmd.instrumentId });
    if (riskEngine?.state === 'HALTED') throw new TradingHaltedError('trading is HALTED by the kill switch (`hantu resume` to resume): no exit order is sent', { instrumentId: cmd.instrumentId });
    counters['exitOrders']!++;
    const tickAt = lastTickWall.get(cmd.instrumentId);
    exitInFlight.add(cmd.instrumentId);
    try {
      const placed = await executor.place({
        clientOrderId: cmd.clientOrderId,
        actor: 'monitor',
        instrumentId: cmd.instrumentId,
        side: 'SELL',
        orderType: cmd.orderType,
        quantity: cmd.quantity,
        ...(cmd.price === undefined ? {} : { price: cmd.price }),
        reason: `exit ${cmd.clientOrderId}`,
      }, durable === undefined ? {} : exitWriteAhead ? { writeAhead: durable } : { alongside: durable });
      if (tickAt !== undefined) latencies.toAck.push(performance.now() - tickAt);
      return placed.ack;
    } finally {
      exitInFlight.delete(cmd.instrumentId);
    }
  };
  const orders: ExitOrderPort = {
    submitOrder: (cmd) => submitExit(cmd),
    // The monitor's exit intent is saved while the order is journaled in the ledger. With
    // monitor.exitWriteAhead = intent-log (default) the order leaves once the intent is durable (the
    // write-ahead record; the ledger journal is awaited after the send, and recovered from the intent
    // log at the next start if the process dies in between); with `ledger`, once both are durable.
    submitOrderWhenDurable: (cmd, durable) => submitExit(cmd, durable),
    cancelOrder: (cmd) => executor.cancel({ clientOrderId: cmd.clientOrderId, instrumentId: cmd.instrumentId, ref: cmd.ref, actor: 'monitor' }),
    requestOrderStatus: async (q) => (await client.requestOrders({ from: q.orderDate, to: q.orderDate })).find((r) => r.venueOrderId === q.venueOrderId),
    requestOrders: async (q) => {
      const day = kstDateOf(q.since);
      return (await client.requestOrders({ from: day, to: kstDateOf(clock.now()) })).filter((r) => r.instrumentId === q.instrumentId && r.side === q.side && r.tsEvent >= q.since - 60_000);
    },
  };
  const monitor = new PositionMonitor({
    config: cfg.monitor,
    orders,
    store,
    notifier,
    clock,
    logger: o.logger,
    calendar,
    costRates: { commissionBps: cfg.fees.commissionBps, sellTaxBps: cfg.fees.sellTaxBps },
    idTag: `${randomBytes(2).toString('hex')}.`,
  });

  // --- trading: a strategy on the scheduler, through the executor and the risk engine ---
  const strategyRuns: StrategyRunReport[] = [];
  let staleCancelled = 0;
  let scheduler: Scheduler | undefined;
  if (o.trading) {
    const costs = costsOf(cfg.fees);
    const kinds = new Map<string, InstrumentKind>();
    const raw = o.trading.strategyConfig ?? undefined;
    let bound: ReturnType<typeof bindNamedStrategy> | undefined = raw === undefined ? undefined : bindNamedStrategy(o.trading.strategy, raw);
    const strategyName = o.trading.strategy;
    // Without a configuration the strategy's defaults are taken over the day's holdings and watchlist
    // (bound at the first run, once the balance is known).
    const strategyFor = async (): Promise<NonNullable<typeof bound>> => {
      if (bound) return bound;
      const b = await client.requestBalance();
      const codes = [...new Set([...b.positions.map((p) => String(p.instrumentId)), ...(o.watchlist ?? [])])];
      const defaults = defaultStrategyConfig(strategyName, codes, { cash: b.cash.settlementD2, sessions: 20 }) as Record<string, unknown>;
      // A rebalance bigger than the risk engine's order-value cap is sliced over the day's runs.
      if (strategyName === 'rebalance') defaults['maxTradeKrw'] = riskConfigFromEnv(env).maxOrderValueKrw;
      bound = bindNamedStrategy(strategyName, defaults);
      line(`strategy ${strategyName}: default configuration over ${codes.join(', ')}`);
      return bound;
    };
    const settingsFor = {
      async requestAssetSettings() {
        const b = await client.requestBalance();
        for (const p of b.positions) kinds.set(p.instrumentId, inferKind(p.name));
        const st = await strategyFor();
        const codes = new Set<string>([...codesOfConfig(raw ?? {}), ...st.instruments(b.positions).map(String), ...b.positions.map((p) => String(p.instrumentId)), ...(o.watchlist ?? [])]);
        return fixedAssetSettings([...codes].map((code) => ({ code, kind: kinds.get(code) ?? 'STOCK' }))).requestAssetSettings();
      },
    };
    const stateFile = join(runDir, `strategy-state-${accountId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
    const txFile = join(runDir, `strategy-transactions-${accountId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
    const runStrategy = async (): Promise<void> => {
      if (sync.state === 'HALTED') {
        line('strategy run skipped: trading is HALTED by the startup reconciliation');
        return;
      }
      const engine = (riskEngine ??= await createRiskEngine({ dataDir, clock, logger: o.logger, env }));
      const runner = new StrategyRunner({
        broker: client,
        executor,
        risk: riskCheckFor(engine, { costs, kindOf: (id) => kinds.get(id) ?? 'STOCK' }),
        settings: settingsFor,
        state: new JsonFileStrategyStateStore(stateFile),
        recorder: new JsonLinesRecorder(txFile),
        clock,
        logger: o.logger,
        calendar: phaseSourceFor(calendar),
        costs,
        strategies: [await strategyFor()],
        config: { runnerId: 'daemon' },
      });
      const r = await runner.runOnce({ dryRun: false });
      strategyRuns.push(r);
      const sent = r.orders.filter((x) => x.status === 'SUBMITTED').length;
      line(`strategy ${strategyName}: ${sent} order(s) sent, ${r.fills.length} fill report(s), ${r.denials.length} denied, ${r.skips.length} skipped${r.aborted ? `, ABORTED ${r.aborted.code}` : ''}`);
      for (const d of r.denials) line(`  denied ${d.instrumentId} ${d.code}: ${d.detail}`);
      if (r.errors.length > 0) o.logger.warn({ errors: r.errors }, 'strategy run errors');
      o.logger.debug({ report: formatRunReport(r) }, 'strategy run');
    };
    const schedule = schedulerConfigFromEnv(env);
    scheduler = new Scheduler({ clock, calendar, logger: o.logger, onEvent: (e) => o.logger.info({ event: e }, 'scheduler') });
    for (const spec of jobSpecsFromConfig(schedule, {
      balance: async () => syncAccount('scheduled'),
      strategy: runStrategy,
      priceUpdate: async () => {
        // Holdings without a trade tick for 5 minutes get a REST quote (the monitor's last price).
        const m = monitor.status();
        const stale = m.positions.filter((p) => p.lastPrice === undefined || (m.lastTickAt !== undefined && clock.now() - m.lastTickAt > 300_000));
        for (const p of stale.slice(0, 10)) {
          const q = await client.requestQuote(p.instrumentId);
          o.logger.debug({ instrumentId: p.instrumentId, last: q.last }, 'price update');
        }
      },
    })) {
      scheduler.add(spec);
    }
    scheduler.add({
      name: 'stale-orders',
      cron: '*/30 * * * *',
      calendar: 'trading-days',
      window: 'session',
      run: async () => {
        const r = await executor.reviewStale();
        staleCancelled += r.cancelled.length;
        if (r.cancelled.length > 0 || r.failed.length > 0) line(`stale-order review: ${r.cancelled.length} cancelled${r.failed.length ? `, ${r.failed.length} failed` : ''}`);
      },
    });
    scheduler.onSessionOpen('session-open', async () => line('session open: jobs running'));
    scheduler.onSessionClose('session-close', async () => line('session close'));
  }

  // Account sync: the venue's holdings feed the monitor (startup, after fills, after reconnects).
  let syncTimer: TimerHandle | undefined;
  const syncAccount = async (why: string): Promise<void> => {
    try {
      const b = await client.requestBalance();
      monitor.setPositions(b.positions);
      if (why !== 'post-fill') line(`account sync (${why}): ${b.positions.length} holdings, cash ${b.cash.settlementD2.toLocaleString('en-US')} won`);
    } catch (e) {
      line(`account sync (${why}) FAILED: ${(e as Error).message}`);
    }
  };
  const scheduleSync = (): void => {
    syncTimer?.cancel();
    syncTimer = clock.setTimer(3_000, () => void syncAccount('post-fill'));
  };

  const onEvent = (ev: KisRealtimeEvent): void => {
    switch (ev.type) {
      case 'TradeTick':
        counters['ticks']!++;
        lastTickWall.set(ev.instrumentId, performance.now());
        monitor.onTradeTick(ev);
        return;
      case 'MarketStatusUpdate':
        line(`market status ${ev.instrumentId}: ${ev.halted ? `HALTED ${ev.haltReason}` : 'trading'}${ev.viActive ? ' VI' : ''} (code ${ev.operationCode})`);
        monitor.onMarketStatus(ev);
        return;
      case 'ExecutionNotice':
        counters['notices']!++;
        if (ev.kind === 'FILLED') {
          counters['fills']!++;
          line(`fill ${ev.side} ${ev.instrumentId} ${ev.fillQuantity} @ ${ev.fillPrice.toLocaleString('en-US')} (order ${ev.venueOrderId})`);
          scheduleSync();
        } else if (ev.rejected) line(`order ${ev.venueOrderId} REJECTED by the venue`);
        else line(`order ${ev.venueOrderId} ${ev.action === 'NEW' ? 'accepted' : ev.action === 'CANCEL' ? 'cancel accepted' : 'modify accepted'}: ${ev.side} ${ev.instrumentId} ${ev.quantity} @ ${ev.price ? ev.price.toLocaleString('en-US') : 'market'}`);
        void sync.onNotice(ev);
        monitor.onExecutionNotice(ev);
        return;
      case 'QuoteBook':
        return;
    }
  };
  let disconnectedAt: number | undefined;
  const onSignal = (s: WsClientSignal): void => {
    switch (s.type) {
      case 'disconnected':
        line(`websocket disconnected (code ${s.code})`);
        disconnectedAt = clock.now();
        notify(createNotification('ConnectionLost', clock.now(), { connection: 'websocket', detail: `code ${s.code} ${s.reason}`.trim() }));
        return;
      case 'reconnect-scheduled':
        line(`reconnect attempt ${s.attempt} in ${s.delayMs / 1000} s`);
        return;
      case 'resubscribed':
        counters['reconnects']!++;
        line(`reconnected; ${s.count} subscriptions restored`);
        notify(createNotification('ConnectionRestored', clock.now(), { connection: 'websocket', downtimeMs: disconnectedAt === undefined ? 0 : clock.now() - disconnectedAt }));
        return;
      case 'sleeping':
        line(`websocket SLEEPING after ${s.failures} failed reconnects: run \`hantu monitor restart\``);
        notify(createNotification('MonitorSleeping', clock.now(), { reason: `websocket gave up after ${s.failures} failed reconnects; run \`hantu monitor restart\``, priority: 'emergency' }));
        return;
      case 'session-in-use':
        line(`websocket refused: ${s.message} (another session holds this app key)`);
        notify(createNotification('SystemAlert', clock.now(), { code: 'WS_SESSION_IN_USE', message: `WebSocket session refused: ${s.message}`, priority: 'emergency' }));
        return;
      case 'subscription-skipped':
        counters['subscriptionsSkipped']!++;
        line(`subscription ${s.trId} ${s.trKey} skipped (${s.reason}${s.msgCd ? ` ${s.msgCd}` : ''})`);
        return;
      case 'malformed-frame':
        counters['malformedFrames']!++;
        return;
      case 'stale':
        line(`no data for ${Math.round(s.silentMs / 1000)} s: reconnecting`);
        return;
      case 'data-delay':
        line(`data delay ${s.level}: ${s.delayMs} ms behind the exchange (${s.trKey})`);
        return;
      case 'connected':
        return;
    }
  };
  const session = twin.session;
  const ws = new KisWsClient({
    url: twin.endpoint.wsUrl,
    approvalKey: async () => (await client.issueApprovalKey()).reveal(),
    clock,
    logger: o.logger,
    onEvent,
    onSignal,
    onReconnected: async () => {
      await syncAccount('after reconnect');
      const r = await sync.onReconnect();
      if (r.status === 'MATCHED') line(`reconciliation (reconnect): ${r.report?.summary ?? 'MATCHED'}`);
    },
    isMarketHours: () => clock.now() >= session.open && clock.now() < session.close,
    // On a replay a stall of the event loop (a ledger write in PGlite, a strategy run) is magnified by the
    // speed: allow 1 s of wall time per unit of speed on top of the 60 s of silence KIS would get.
    livenessTimeoutMs: o.livenessTimeoutMs ?? (o.kis ? 60_000 : 60_000 + 1_000 * cfg.sim.speed),
    ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}),
    // On a replay clock, wall-clock latency is magnified by the speed (5 ms at 390x = 2 s): the delay
    // thresholds allow for the push interval plus 20 ms of wall latency per unit of speed.
    delayWarnMs: 1_000 + (o.pumpIntervalMs ?? 1_000) + 20 * cfg.sim.speed,
    delayAlertMs: 5_000 + (o.pumpIntervalMs ?? 1_000) + 20 * cfg.sim.speed,
  });

  // --- the day ---
  const startedAt = new Date().toISOString();
  try {
    await beginDay();
  } catch (e) {
    sync.stop();
    await ws.close().catch(() => undefined);
    await sync.whenIdle().catch(() => undefined);
    if (ownDb) await db.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    await twin.close().catch(() => undefined);
    throw e;
  }
  async function beginDay(): Promise<void> {
  line(
    `hantu run: ${twin.day} ${o.kis ? `on KIS ${o.kis.env} (${o.kis.restUrl})` : `on the twin (synthetic-intraday replay of real daily bars), ${cfg.sim.speed}x`}, account ${twin.endpoint.account.replace(/^(\d{4})\d{4}/, '$1****')}`,
  );
  await client.requestQuote(o.holdings?.[0]?.code ?? launched?.market.instruments()[0]?.id ?? '005930'); // token
  line('access token issued');
  await monitor.start();
  const balance = await client.requestBalance();
  monitor.setPositions(balance.positions);
  line(`account sync (startup): ${balance.positions.length} holdings, cash ${balance.cash.settlementD2.toLocaleString('en-US')} won`);
  for (const p of balance.positions) line(`  holding ${p.instrumentId} ${p.name} ${p.quantity} @ ${Math.round(p.averagePrice).toLocaleString('en-US')}`);
  // The kill switch's state (`hantu halt` / `hantu resume`): read at the start; HALTED stops every order.
  riskEngine ??= await createRiskEngine({ dataDir, clock, logger: o.logger, env });
  if (riskEngine.state !== 'ACTIVE') line(`trading state ${riskEngine.state} (kill switch, \`hantu resume\` to lift)`);
  // Startup reconciliation of the ledger, before anything can trade (fail closed).
  await ledger.accounts.register({ id: accountId, env: venueEnv, accountNumber: twin.endpoint.account });
  // Exit orders the intent log holds and the ledger lacks (the process died between an exit's send and
  // its ledger journal) are copied in first, so the reconciliation resolves them as ours.
  const recovery = await recoverExitOrders({ ledger, accountId, intents: monitor.status().intents, clock, logger: o.logger });
  if (recovery.recovered.length > 0) line(`ledger: ${recovery.recovered.length} exit order(s) copied in from the exit-intent log (sent before a crash, not journaled): ${recovery.recovered.join(', ')}`);
  const startup = await sync.startup();
  line(`ledger ${db.location} · account ${accountId}`);
  line(`reconciliation (startup): ${startup.report?.summary ?? startup.error ?? startup.status}`);
  if (startup.state === 'HALTED') {
    line(`TRADING HALTED: the startup reconciliation ${startup.status === 'FAILED' ? 'failed' : 'found unexplained differences'}; monitoring goes on, no exit order will be sent`);
    for (const d of startup.result?.differences ?? []) if (d.resolution === 'UNEXPLAINED') line(`  ${d.what} ${d.ref}: ${d.reason}`);
  }
  for (const p of balance.positions) ws.subscribe('H0STCNT0', p.instrumentId, 'HOLDING');
  ws.subscribe(noticeTr, twin.endpoint.htsId, 'NOTICE');
  for (const code of o.watchlist ?? []) ws.subscribe('H0STCNT0', code, 'WATCH');
  await ws.start();
  sync.start();
  if (scheduler) {
    scheduler.start();
    const next = scheduler.nextRuns().filter((j) => j.nextRunAt !== undefined).map((j) => `${j.name} ${hms(j.nextRunAt as number)}`);
    line(`strategy ${o.trading?.strategy} on the scheduler; next: ${next.join(', ')}`);
  }
  const active = ws.status().subscriptions.filter((s) => s.state === 'ACTIVE');
  line(`subscribed: ${active.map((s) => `${s.trId}:${s.trId.startsWith('H0STCNI') ? '(hts id)' : s.trKey}`).join(', ')}`);
  }

  let finished: RunReport | undefined;
  let resolveDone!: (r: RunReport) => void;
  const done = new Promise<RunReport>((r) => (resolveDone = r));
  let control: Server | undefined;
  let controlUrl: string | undefined;
  const runFile = join(dataDir, 'run.json');

  const stop = async (): Promise<RunReport> => {
    if (finished) return finished;
    closeTimer.cancel();
    syncTimer?.cancel();
    if (scheduler) await scheduler.stop();
    line('session closed: unsubscribing');
    ws.unsubscribeAll();
    await ws.close();
    await monitor.whenIdle();
    sync.stop();
    await executor.whenJournaled();
    const finalSync = await sync.syncNow('MANUAL');
    line(`reconciliation (close): ${finalSync.report?.summary ?? finalSync.error ?? finalSync.status}`);
    const summary = monitor.endOfDay();
    await notifier.flush?.();
    let finalOrders: OrderStatusReport[] = [];
    let finalBalance: AccountBalanceReport | undefined;
    try {
      finalOrders = await client.requestOrders({ from: twin.day, to: twin.day });
      finalBalance = await client.requestBalance();
    } catch (e) {
      line(`final queries failed: ${(e as Error).message}`);
    }
    monitor.stop();
    // After pending saves; flushes a first save still waiting for its deferred flush (exitIntentFlush = after-send).
    await store.close().catch((e: unknown) => line(`exit intent log close failed: ${(e as Error).message}`));
    finished = {
      day: twin.day,
      broker: o.kis ? `KIS ${o.kis.env} ${o.kis.restUrl}` : `twin ${twin.endpoint.restUrl}`,
      account: twin.endpoint.account.replace(/^(\d{4})\d{4}/, '$1****'),
      ...(twin.dataFile ? { dataFile: twin.dataFile } : {}),
      speed: cfg.sim.speed,
      startedAt,
      finishedAt: new Date().toISOString(),
      summary,
      orders: finalOrders,
      ...(finalBalance ? { finalBalance } : {}),
      counters: { ...counters },
      timeline,
      reconciliation: {
        ledger: db.location,
        accountId,
        state: sync.state,
        startup: brief(sync.startupOutcome),
        final: brief(finalSync),
        counters: { ...sync.counters },
      },
      ...(o.trading
        ? {
            trading: {
              strategy: o.trading.strategy,
              runs: strategyRuns.map((r) => ({
                at: r.startedAt,
                orders: r.orders.filter((x) => x.status === 'SUBMITTED').length,
                fills: r.fills.length,
                denials: r.denials.length,
                skips: r.skips.length,
                errors: r.errors.length,
                ...(r.aborted ? { aborted: r.aborted.code } : {}),
              })),
              jobs: (scheduler?.stats() ?? []).map((j) => ({ name: j.name, started: j.started, succeeded: j.succeeded, failed: j.failed, skippedOverlap: j.skippedOverlap, skippedMisfire: j.skippedMisfire })),
              staleCancelled,
            },
          }
        : {}),
    };
    if (ownDb) await db.close().catch((e: unknown) => line(`ledger close failed: ${(e as Error).message}`));
    if (control) await new Promise<void>((r) => control!.close(() => r()));
    rmSync(runFile, { force: true });
    await client.close();
    await twin.close();
    resolveDone(finished);
    return finished;
  };
  const closeTimer = clock.setTimer(Math.max(0, session.close + 1_000 - clock.now()), () => void stop());

  if (o.control ?? true) {
    const token = randomBytes(16).toString('hex');
    control = createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-hantu-token'] !== token) return reply(401, { error: 'missing or wrong x-hantu-token (see run.json)' });
      const route = `${req.method} ${req.url}`;
      void (async () => {
        try {
          switch (route) {
            case 'GET /status': {
              const m = monitor.status();
              const w = ws.status();
              return reply(200, {
                state: finished ? 'FINISHED' : w.state === 'SLEEPING' ? 'SLEEPING' : w.state === 'STOPPED' ? 'STOPPED' : 'RUNNING',
                day: twin.day,
                simulatedTime: hms(clock.now()),
                websocket: { state: w.state, failures: w.failures, lastFrameAt: w.lastFrameAt ? hms(w.lastFrameAt) : null },
                subscriptions: w.subscriptions.map((s) => ({ trId: s.trId, trKey: s.trId.startsWith('H0STCNI') ? '(hts id)' : s.trKey, state: s.state, priority: s.priority })),
                positions: m.positions.map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity, averagePrice: p.averagePrice, lastPrice: p.lastPrice, levels: p.levels })),
                paused: m.pausedInstruments,
                intents: m.intents.length,
                lastTickAt: m.lastTickAt ? hms(m.lastTickAt) : null,
                counters,
              });
            }
            case 'POST /monitor/stop':
              ws.unsubscribeAll();
              await ws.close();
              line('monitor stopped by `hantu monitor stop`');
              return reply(200, { ok: true, state: ws.status().state });
            case 'POST /monitor/start':
            case 'POST /monitor/restart': {
              const b = await client.requestBalance();
              monitor.setPositions(b.positions);
              for (const p of b.positions) ws.subscribe('H0STCNT0', p.instrumentId, 'HOLDING');
              ws.subscribe(noticeTr, twin.endpoint.htsId, 'NOTICE');
              if (route.endsWith('restart')) await ws.restart();
              else await ws.start();
              line(`monitor ${route.endsWith('restart') ? 'restarted' : 'started'} by \`hantu monitor\``);
              return reply(200, { ok: true, state: ws.status().state });
            }
            default:
              return reply(404, { error: `no such control route: ${route}` });
          }
        } catch (e) {
          return reply(500, { error: (e as Error).message });
        }
      })();
    });
    await new Promise<void>((r) => control!.listen(0, '127.0.0.1', r));
    controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    const tmp = `${runFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ url: controlUrl, token, pid: process.pid, day: twin.day }), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, runFile);
  }

  return { done, ...(launched ? { twin: launched } : {}), client, ws, monitor, ledger, sync, clock, ...(controlUrl ? { controlUrl } : {}), counters, latencies, executor, ...(scheduler ? { scheduler } : {}), strategyRuns, stop };
}

function brief(o: SyncOutcome | undefined): { status: string; summary: string; reportId?: number } {
  if (!o) return { status: 'NONE', summary: 'no reconciliation ran' };
  return { status: o.status, summary: o.report?.summary ?? o.error ?? o.status, ...(o.report ? { reportId: o.report.id } : {}) };
}

/** Writes the run report as JSON and a short text summary into `<dataDir>/reports/`. Returns both paths. */
export function writeRunReport(dataDir: string, r: RunReport): { json: string; text: string } {
  const dir = join(dataDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const stamp = r.finishedAt.replace(/[:.]/g, '-');
  const json = join(dir, `run-${r.day}-${stamp}.json`);
  const text = join(dir, `run-${r.day}-${stamp}.txt`);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(text, `${formatRunSummary(r)}\n`);
  return { json, text };
}

/** The short text summary of a run. */
export function formatRunSummary(r: RunReport): string {
  const s = r.summary;
  const lines = [
    `day ${r.day} · ${r.broker} · account ${r.account} · speed ${r.speed}x`,
    `exits: ${s.trades.length} · realised PnL ${s.realizedPnl.toLocaleString('en-US')} won · win rate ${s.winRate === undefined ? 'n/a' : `${Math.round(s.winRate * 100)} %`}`,
  ];
  for (const t of s.trades) lines.push(`  ${JSON.stringify(t)}`);
  lines.push(`open positions: ${s.openPositions.length}`);
  for (const p of s.openPositions) lines.push(`  ${JSON.stringify(p)}`);
  lines.push(`orders today: ${r.orders.length} · ticks ${r.counters['ticks']} · notices ${r.counters['notices']} · fills ${r.counters['fills']} · reconnects ${r.counters['reconnects']} · malformed frames ${r.counters['malformedFrames']}`);
  if (r.reconciliation) {
    const x = r.reconciliation;
    lines.push(`ledger ${x.ledger} · account ${x.accountId} · trading ${x.state}`);
    lines.push(`reconciliation: startup ${x.startup.status}${x.final ? ` · close ${x.final.status}` : ''} · syncs ${x.counters['syncs']} · corrected ${x.counters['corrected']} · diverged ${x.counters['diverged']} · failed ${x.counters['failed']} · fills from notices ${x.counters['fillsApplied']} · from REST ${x.counters['restFills']} · duplicates ${x.counters['duplicates']}`);
    if (x.final) lines.push(`  close: ${x.final.summary}`);
  }
  if (r.trading) {
    const t = r.trading;
    const sum = (k: 'orders' | 'fills' | 'denials') => t.runs.reduce((a, x) => a + x[k], 0);
    lines.push(`strategy ${t.strategy}: ${t.runs.length} scheduled runs · orders ${sum('orders')} · fill reports ${sum('fills')} · denials ${sum('denials')} · stale orders cancelled ${t.staleCancelled}`);
  }
  if (r.finalBalance) lines.push(`cash after the day (D+2): ${r.finalBalance.cash.settlementD2.toLocaleString('en-US')} won · total ${r.finalBalance.cash.totalValue.toLocaleString('en-US')} won`);
  return lines.join('\n');
}

/** Reads `<dataDir>/run.json` (the control endpoint of a running `hantu run`). */
export function readRunControl(dataDir: string): { url: string; token: string; pid: number; day: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'run.json'), 'utf8')) as { url: string; token: string; pid: number; day: string };
  } catch {
    return undefined;
  }
}

export type { InstrumentId };
export { formatNotification };

/** A KIS account (paper or real) for `hantu run --paper | --live`. Times on the wall clock. */
export interface KisSession {
  readonly env: 'paper' | 'real';
  readonly client: KisClient;
  readonly restUrl: string;
  readonly wsUrl: string;
  /** `CANO-ACNT_PRDT_CD`. */
  readonly account: string;
  readonly htsId: string;
  readonly clock: Clock;
  /** Today's KST date and its KRX session. */
  readonly day: KstDate;
  readonly session: { open: number; closingAuctionStart: number; close: number };
}

/**
 * Builds the KIS session of `hantu run --paper | --live` from KIS_* variables (or a `.env` file).
 * Throws `ConfigError` listing every bad setting, and `InputError` when KIS_ENV does not match the
 * flag or today is not a KRX trading day.
 */
export function kisSessionFromEnv(o: {
  readonly mode: 'paper' | 'real';
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envFile?: string | undefined;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}): KisSession {
  const { config, credentials } = loadKisFromEnv({ env: o.env, ...(o.envFile ? { envFile: o.envFile } : {}) });
  if (config.env !== o.mode) throw new InputError(`KIS_ENV is ${config.env}, but the flag asks for ${o.mode}: set KIS_ENV=${o.mode} with that account's app key`);
  if (!credentials.htsId) throw new InputError('KIS_HTS_ID is required: the execution-notice stream is keyed by your HTS login id');
  const clock = o.clock ?? new SystemClock();
  const day = kstDateOf(clock.now());
  const s = new KrxCalendar().session(day);
  if (!s) throw new InputError(`today (${day}) is not a KRX trading day: nothing to run (the twin replays any day: drop --${o.mode === 'paper' ? 'paper' : 'live'})`);
  return {
    env: o.mode,
    client: new KisClient({ config, credentials, clock, logger: o.logger, dataDir: o.dataDir }),
    restUrl: config.baseUrl,
    wsUrl: config.wsUrl,
    account: `${credentials.account.cano}-${credentials.account.productCode}`,
    htsId: credentials.htsId,
    clock,
    day,
    session: { open: s.open, closingAuctionStart: s.closingAuctionStart, close: s.close },
  };
}
