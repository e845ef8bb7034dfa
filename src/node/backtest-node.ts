/**
 * `hantu backtest`: the production strategy code (`StrategyRunner` + a built-in strategy + the risk
 * engine) run through the real KIS client against the KIS twin, one twin session per trading day of
 * real daily bars, in accelerated simulated time.
 *
 * Each day D of the data in [from, to]:
 *   1. a twin is started over D (synthetic-intraday prints of D's real bars), its one account seeded
 *      with the cash and holdings the previous day ended with (holdings at their cost basis);
 *   2. the simulated clock (a `SteppingClock`: time moves only when someone waits) is set to the run
 *      time (`at`, KST; on a late-opening day no earlier than 5 minutes after the open) and the runner
 *      runs once over the twin's REST side, exactly as `hantu strategy run` would;
 *   3. the clock is moved past the close: orders still resting fill against the day's remaining prints
 *      or expire; the balance is read through the client; the holdings are marked at the day's real
 *      close. Cash, independently recomputed from the fills (value, commission, tax as the twin booked
 *      them), must equal the twin's D+2 cash (`reconciled`).
 * Holdings without a bar on a day (suspended) sit out that day's twin and keep their last close.
 *
 * Deliberate simplifications: settlement is immediate (the D+2 cash of one day is the next day's
 * deposit); the REST budget is 1,000 requests/s (simulated) instead of KIS's 18, so a run over a large
 * universe does not drift through the session; the intraday prints are synthetic, only the daily bars
 * are real. Money in whole won, rates in bps, instants in epoch ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SteppingClock } from '../core/stepping-clock.ts';
import { SystemClock } from '../core/clock.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { kstInstant, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { FeesConfig } from '../config/schema.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { RiskConfigSchema, riskConfigFromEnv, type RiskConfig } from '../risk/config.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import { InMemoryTradingStateStore } from '../risk/trading-state.ts';
import { defaultSimAccount } from '../sim/account-spec.ts';
import { loadDailyBars, type DailyBarSet } from '../sim/replay/daily-bars.ts';
import { ReplayMarket } from '../sim/replay/replay-market.ts';
import { StrategyRunner } from '../strategy/runner.ts';
import type { RunReport } from '../strategy/run-report.ts';
import { clientForTwin } from './broker.ts';
import {
  bindNamedStrategy,
  costsOf,
  defaultStrategyConfig,
  fixedAssetSettings,
  MemoryRecorder,
  MemoryStrategyStateStore,
  phaseSourceFor,
  riskCheckFor,
} from './strategy-node.ts';
import { sessionOf, twinEndpoint } from './twin-node.ts';

/** Options of {@link runBacktest}. */
export interface BacktestOptions {
  /** Built-in strategy name (`dca`, `rebalance`, …). */
  readonly strategy: string;
  /** The strategy's raw configuration; default `defaultStrategyConfig` over the universe. */
  readonly strategyConfig?: unknown;
  /** Daily-bar file (marcap, rltrader or compact; plain or gzip). */
  readonly dataFile: string;
  /** First and last session (inclusive); default the file's range. */
  readonly from?: KstDate;
  readonly to?: KstDate;
  /** Codes to replay and trade, or `all` (every listing with a bar on every session of the range). */
  readonly universe: readonly string[] | 'all';
  /** Starting cash (won, whole, > 0). */
  readonly cash: number;
  /** Run time each day, `HH:MM` KST (default 10:00). */
  readonly at?: string;
  readonly fees: FeesConfig;
  /** Risk limits (partial: the rest from the environment's `MAX_*` / `SLIPPAGE_BPS`, then the defaults). */
  readonly risk?: Partial<RiskConfig>;
  /** Environment the risk limits are read from (default none: the schema defaults). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Seed of the synthetic-intraday prints. */
  readonly seed?: number;
  readonly logger: Logger;
  /** Runner configuration (`StrategyRunnerConfigSchema`); default runner id `backtest`. */
  readonly runner?: Record<string, unknown>;
  /** REST budget of client and twin, requests per simulated second (default 1,000). */
  readonly rateLimitPerSecond?: number;
  /** Called after each day (progress). */
  readonly onDay?: (day: BacktestDay, index: number, total: number) => void;
}

/** One fill as the twin booked it. Prices and amounts in won. */
export interface BacktestTrade {
  readonly date: KstDate;
  /** Instant of the print it filled on (epoch ms). */
  readonly ts: number;
  readonly code: string;
  readonly name: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly price: number;
  /** price × quantity. */
  readonly value: number;
  readonly commission: number;
  /** Sell tax (0 on buys). */
  readonly tax: number;
  /** The twin's order number. */
  readonly orderNo: string;
}

/** A holding at a day's close. */
export interface BacktestHolding {
  readonly code: string;
  readonly quantity: number;
  /** Purchase cost of the shares held, fees excluded (won). */
  readonly costBasis: number;
  /** Close it was marked at (won). */
  readonly close: number;
  /** quantity × close (won). */
  readonly value: number;
}

/** One session of the backtest. */
export interface BacktestDay {
  readonly date: KstDate;
  /** When the strategy ran (epoch ms). */
  readonly runAt: number;
  /** Cash after the day (won, the twin's D+2 figure). */
  readonly cash: number;
  /** Holdings at the close (won). */
  readonly holdingsValue: number;
  /** cash + holdingsValue (won). */
  readonly equity: number;
  /** 1 − equity / running peak (fraction, >= 0). */
  readonly drawdown: number;
  readonly trades: number;
  readonly buyValue: number;
  readonly sellValue: number;
  readonly commission: number;
  readonly tax: number;
  readonly orders: number;
  readonly denials: number;
  readonly skips: number;
  readonly errors: number;
  /** True when cash recomputed from the fills equals the twin's D+2 cash. */
  readonly reconciled: boolean;
  /** Codes held but without a bar that day (kept out of the twin, marked at their last close). */
  readonly suspended: readonly string[];
  /** The run's report, shortened: header facts and its lines. */
  readonly run: { readonly runId: string; readonly phase: string; readonly aborted?: string; readonly lines: readonly string[]; readonly denialCodes: readonly string[] };
}

/** Summary statistics. Fractions (0.05 = 5 %), won, counts. */
export interface BacktestStats {
  readonly sessions: number;
  readonly initialEquity: number;
  readonly finalEquity: number;
  readonly totalReturn: number;
  /** (1 + totalReturn)^(252 / sessions) − 1. */
  readonly cagr: number;
  /** Largest peak-to-trough fall of the daily equity, fraction. */
  readonly maxDrawdown: number;
  /** Sample standard deviation of daily returns × √252. */
  readonly volatility: number;
  /** mean / standard deviation of daily returns × √252, risk-free rate 0; null with fewer than 2 sessions or no variation. */
  readonly sharpe: number | null;
  /** Fills. */
  readonly trades: number;
  readonly orders: number;
  readonly denials: number;
  readonly buyValue: number;
  readonly sellValue: number;
  readonly commission: number;
  readonly tax: number;
  /** (buy value + sell value) / 2 / average daily equity. */
  readonly turnover: number;
}

/** The whole result (also the JSON report). */
export interface BacktestResult {
  readonly meta: {
    readonly strategy: string;
    readonly strategyConfig: unknown;
    readonly dataFile: string;
    readonly from: KstDate;
    readonly to: KstDate;
    readonly universe: number;
    readonly cash: number;
    readonly at: string;
    readonly fees: FeesConfig;
    readonly risk: RiskConfig;
    readonly seed: number;
    readonly intraday: string;
    readonly wallMs: number;
    readonly peakRssBytes: number;
  };
  readonly days: readonly BacktestDay[];
  readonly trades: readonly BacktestTrade[];
  readonly final: { readonly cash: number; readonly holdings: readonly BacktestHolding[]; readonly equity: number };
  readonly stats: BacktestStats;
}

function parseRisk(raw: unknown): RiskConfig {
  const r = RiskConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => ({ path: ['risk', ...i.path.map(String)].join('.'), message: i.message })));
  return r.data;
}

let accountSeq = Math.floor(Math.random() * 1_000_000);

/**
 * The universe: the codes given (each must have a bar in the range), or for `all` every listing with a
 * bar on every session of the range (listings that enter or leave during it are left out: strategies
 * such as rebalance need a price for every target on every day).
 */
function parseUniverse(bars: DailyBarSet, u: readonly string[] | 'all'): string[] {
  if (u === 'all') {
    const n = bars.dates().length;
    return bars.codes().filter((c) => bars.barsOf(c).length === n);
  }
  const known = new Set(bars.codes());
  const missing = u.filter((c) => !known.has(c));
  if (missing.length > 0) throw new InputError(`--universe: no bars for ${missing.join(', ')} in the chosen dates`);
  return [...u];
}

/** Runs a backtest; see the module comment. Throws `InputError` / `ConfigError` for bad inputs before any twin starts. */
export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  const wallStart = performance.now();
  let peakRss = process.memoryUsage().rss;
  if (!Number.isSafeInteger(o.cash) || o.cash <= 0) throw new InputError(`--cash must be a whole number of won > 0, was ${o.cash}`);
  const at = o.at ?? '10:00';
  if (!/^\d{2}:\d{2}$/.test(at)) throw new InputError(`--at must be HH:MM, was "${at}"`);
  const codesFilter = o.universe === 'all' ? undefined : o.universe.map((c) => c.trim().toUpperCase());
  const bars = loadDailyBars(o.dataFile, {
    onMalformed: 'skip',
    ...(codesFilter ? { codes: codesFilter } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
  });
  const dates = bars.dates();
  if (dates.length === 0) throw new InputError(`no sessions in ${o.dataFile} between ${o.from ?? 'the start'} and ${o.to ?? 'the end'}`);
  const universe = parseUniverse(bars, codesFilter ?? 'all');
  const rawConfig = o.strategyConfig ?? defaultStrategyConfig(o.strategy, universe, { cash: o.cash, sessions: dates.length });
  const bound = bindNamedStrategy(o.strategy, rawConfig);
  const risk = parseRisk({ ...riskConfigFromEnv(o.env ?? {}), ...(o.risk ?? {}) });
  const costs = costsOf(o.fees);
  const seed = o.seed ?? 1;
  const rate = o.rateLimitPerSecond ?? 1_000;
  const kinds = new Map<string, ReturnType<DailyBarSet['barsOf']>[number]['kind']>();
  for (const c of universe) kinds.set(c, bars.barsOf(c)[0]?.kind ?? 'STOCK');

  const first = dates[0] as KstDate;
  const clock = new SteppingClock(kstInstant(first, '08:00'));
  const riskEngine = await RiskEngine.create({ config: risk, clock, calendar: new KrxCalendar(), store: new InMemoryTradingStateStore(), logger: o.logger });
  const riskCheck = riskCheckFor(riskEngine, { costs, kindOf: (id) => kinds.get(id) ?? 'STOCK' });
  const state = new MemoryStrategyStateStore();
  const recorder = new MemoryRecorder();
  const settings = fixedAssetSettings(universe.map((code) => ({ code, kind: kinds.get(code) ?? 'STOCK' })));
  const phases = phaseSourceFor();
  const tmp = mkdtempSync(join(tmpdir(), 'hantu-backtest-'));
  const accountIndex = (accountSeq = (accountSeq + 1) % 9_000_000);

  let cash = o.cash;
  const holdings = new Map<string, { qty: number; basis: number }>();
  const lastClose = new Map<string, number>();
  const days: BacktestDay[] = [];
  const trades: BacktestTrade[] = [];
  let peak = o.cash;

  try {
    for (const [i, date] of dates.entries()) {
      const session = sessionOf(date);
      const dayBars = new Map(bars.session(date).map((b) => [b.code, b]));
      const aside = new Map([...holdings].filter(([c]) => !dayBars.has(c)));
      const suspended = [...aside.keys()];
      const market = new ReplayMarket(bars, { date, ...session, seed, ...(codesFilter ? { codes: [...new Set([...universe, ...holdings.keys()])] } : {}) });
      let runAt: number = kstInstant(date, at);
      if (runAt < session.open) runAt = session.open + 5 * 60_000;
      // Automatic steps may run an hour past the close (a slow run meets the closed market, it never
      // hangs on a timer); the twin's WebSocket pump (every 24 h) stays beyond it.
      clock.setHorizon(session.close + 3_600_000);
      clock.set(Math.max(clock.now(), runAt));
      const account = defaultSimAccount({
        index: accountIndex,
        cash,
        holdings: [...holdings].filter(([c]) => dayBars.has(c)).map(([code, h]) => ({ code, quantity: h.qty, avgPrice: h.basis / h.qty })),
        rateLimitPerSecond: rate,
      });
      const { startKisTwin } = await import('../sim/twin.ts');
      const twin = await startKisTwin({
        market,
        clock,
        accounts: [account],
        fees: o.fees,
        logger: o.logger,
        isTradingDay: () => true,
        ws: { pumpIntervalMs: 86_400_000 },
      });
      const dayTrades: BacktestTrade[] = [];
      const unsubscribe = twin.rest.state.engine.onEvent((e) => {
        if (e.kind !== 'filled') return;
        dayTrades.push({
          date,
          ts: e.ts,
          code: e.code,
          name: e.name,
          side: e.side,
          quantity: e.fillQty,
          price: e.fillPrice,
          value: e.fillQty * e.fillPrice,
          commission: e.commission,
          tax: e.tax,
          orderNo: e.odno,
        });
      });
      const endpoint = twinEndpoint(twin, account, date, { simAt: clock.now(), wallAt: Date.now(), speed: 1 });
      const client = clientForTwin(endpoint, { clock, logger: o.logger, dataDir: join(tmp, `day-${i}`), rateLimitPerSecond: rate, timeoutClock: new SystemClock(), maxPages: 1_000 });
      let report: RunReport;
      let endCash: number;
      try {
        const runner = new StrategyRunner({
          broker: client,
          risk: riskCheck,
          settings,
          state,
          recorder,
          clock,
          logger: o.logger,
          calendar: phases,
          costs,
          strategies: [bound],
          config: { runnerId: 'backtest', ...o.runner },
        });
        report = await runner.runOnce({ dryRun: false });
        // To the close in 10-minute steps, the engine matching each stretch of prints on the way (the
        // WebSocket pump's job in a live twin), so that no single request carries a whole afternoon.
        const engine = twin.rest.state.engine;
        for (let t = clock.now() + 600_000; t < session.close; t += 600_000) {
          clock.set(t);
          engine.advanceTo(t);
          await new Promise((r) => setImmediate(r));
        }
        clock.set(Math.max(clock.now(), session.close + 1_000));
        engine.advanceTo(clock.now());
        const balance = await client.requestBalance();
        endCash = balance.cash.settlementD2;
        holdings.clear();
        for (const p of balance.positions) if (p.quantity > 0) holdings.set(p.instrumentId, { qty: p.quantity, basis: p.purchaseAmount });
      } finally {
        unsubscribe();
        await client.close().catch(() => undefined);
        await twin.close().catch(() => undefined);
      }
      // Suspended holdings sat out the twin: carry them unchanged.
      for (const [c, h] of aside) holdings.set(c, h);

      let expected = cash;
      let buyValue = 0;
      let sellValue = 0;
      let commission = 0;
      let tax = 0;
      for (const t of dayTrades) {
        if (t.side === 'BUY') {
          buyValue += t.value;
          expected -= t.value + t.commission;
        } else {
          sellValue += t.value;
          expected += t.value - t.commission - t.tax;
        }
        commission += t.commission;
        tax += t.tax;
      }
      trades.push(...dayTrades);
      cash = endCash;
      for (const [c, b] of dayBars) lastClose.set(c, b.close);
      let holdingsValue = 0;
      for (const [c, h] of holdings) holdingsValue += h.qty * (lastClose.get(c) ?? 0);
      const equity = cash + holdingsValue;
      peak = Math.max(peak, equity);
      const day: BacktestDay = {
        date,
        runAt,
        cash,
        holdingsValue,
        equity,
        drawdown: peak > 0 ? 1 - equity / peak : 0,
        trades: dayTrades.length,
        buyValue,
        sellValue,
        commission,
        tax,
        orders: report.orders.length,
        denials: report.denials.length,
        skips: report.skips.length,
        errors: report.errors.length,
        reconciled: expected === endCash,
        suspended,
        run: {
          runId: report.runId,
          phase: report.phase,
          ...(report.aborted ? { aborted: `${report.aborted.stage}: ${report.aborted.code} ${report.aborted.message}` } : {}),
          lines: report.lines,
          denialCodes: report.denials.map((d) => `${d.instrumentId} ${d.code}`),
        },
      };
      days.push(day);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      o.onDay?.(day, i, dates.length);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const finalHoldings: BacktestHolding[] = [...holdings]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, h]) => {
      const close = lastClose.get(code) ?? 0;
      return { code, quantity: h.qty, costBasis: h.basis, close, value: h.qty * close };
    });
  const last = days[days.length - 1] as BacktestDay;
  return {
    meta: {
      strategy: o.strategy,
      strategyConfig: rawConfig,
      dataFile: o.dataFile,
      from: first,
      to: last.date,
      universe: universe.length,
      cash: o.cash,
      at,
      fees: o.fees,
      risk,
      seed,
      intraday: 'synthetic-intraday',
      wallMs: Math.round(performance.now() - wallStart),
      peakRssBytes: peakRss,
    },
    days,
    trades,
    final: { cash: last.cash, holdings: finalHoldings, equity: last.equity },
    stats: computeStats(o.cash, days),
  };
}

/** Summary statistics of a daily equity series (see {@link BacktestStats}). */
export function computeStats(initial: number, days: readonly BacktestDay[]): BacktestStats {
  const n = days.length;
  const final = n > 0 ? (days[n - 1] as BacktestDay).equity : initial;
  const returns: number[] = [];
  let prev = initial;
  let peak = initial;
  let maxDd = 0;
  let equitySum = 0;
  for (const d of days) {
    returns.push(prev > 0 ? d.equity / prev - 1 : 0);
    prev = d.equity;
    peak = Math.max(peak, d.equity);
    maxDd = Math.max(maxDd, peak > 0 ? 1 - d.equity / peak : 0);
    equitySum += d.equity;
  }
  const mean = returns.reduce((s, r) => s + r, 0) / Math.max(1, returns.length);
  const variance = returns.length > 1 ? returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1) : 0;
  const sd = Math.sqrt(variance);
  const totalReturn = initial > 0 ? final / initial - 1 : 0;
  const sum = (f: (d: BacktestDay) => number) => days.reduce((s, d) => s + f(d), 0);
  const buyValue = sum((d) => d.buyValue);
  const sellValue = sum((d) => d.sellValue);
  const avgEquity = n > 0 ? equitySum / n : initial;
  return {
    sessions: n,
    initialEquity: initial,
    finalEquity: final,
    totalReturn,
    cagr: n > 0 ? (1 + totalReturn) ** (252 / n) - 1 : 0,
    maxDrawdown: maxDd,
    volatility: sd * Math.sqrt(252),
    sharpe: returns.length > 1 && sd > 0 ? (mean / sd) * Math.sqrt(252) : null,
    trades: sum((d) => d.trades),
    orders: sum((d) => d.orders),
    denials: sum((d) => d.denials),
    buyValue,
    sellValue,
    commission: sum((d) => d.commission),
    tax: sum((d) => d.tax),
    turnover: avgEquity > 0 ? (buyValue + sellValue) / 2 / avgEquity : 0,
  };
}
