/**
 * Compositions around the strategy runner shared by `hantu strategy run` and `hantu backtest`: the risk
 * engine behind the runner's `RiskCheck` port, fixed asset settings, the phase source, in-memory and
 * file-backed state stores and recorders, and the default strategy configurations. Money in whole won,
 * quantities in shares, instants in epoch ms, rates in basis points.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { kstDateOf, kstInstant, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { AppConfig } from '../config/schema.ts';
import { KrxCalendar, type MarketPhase } from '../model/calendar.ts';
import { bps, feeOf, krw, price, quantity } from '../model/money.ts';
import type { TradeCostRates } from '../model/fees.ts';
import { instrumentId, type InstrumentId, type InstrumentKind } from '../model/instrument.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { OrderReason } from '../risk/order-intent.ts';
import type {
  AssetSettingsProvider,
  BrokerPort,
  FillRecord,
  OrderRecord,
  PhaseSource,
  RiskCheck,
  SignalRecord,
  StrategyStateStore,
  TransactionRecorder,
} from '../strategy/ports.ts';
import { bindStrategies } from '../strategy/registry.ts';
import type { AssetSettings, BoundStrategy } from '../strategy/strategy.ts';
import { StrategyRunner } from '../strategy/runner.ts';
import type { RunReport } from '../strategy/run-report.ts';
import { inferKind } from '../sim/replay/daily-bars.ts';
import type { OpenedBroker } from './broker.ts';
import { createRiskEngine } from './halt-node.ts';
import { writeJsonAtomic } from './json-file.ts';

export { formatRunReport, type RunReport } from '../strategy/run-report.ts';

/** Strategies `hantu backtest` and `hantu strategy run` build a default configuration for. */
export const DEFAULT_CONFIG_STRATEGIES = ['dca', 'rebalance'] as const;

// ------------------------------------------------------------------------------------------------
// Configuration helpers

/**
 * Reads a `--config` argument: inline JSON (`{"targets":…}`) or the path of a JSON file.
 * @throws InputError when the file is missing or the JSON does not parse
 */
export function readJsonArg(arg: string, what = '--config'): unknown {
  const text = arg.trim().startsWith('{') || arg.trim().startsWith('[') ? arg : readFileOrThrow(arg, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${what}: not valid JSON: ${(e as Error).message}`);
  }
}

function readFileOrThrow(path: string, what: string): string {
  if (!existsSync(path)) throw new InputError(`${what}: neither inline JSON nor an existing file: ${path}`);
  return readFileSync(path, 'utf8');
}

/**
 * The default configuration of a strategy over `codes`:
 * - `rebalance`: equal weights, floor(10,000 / n) bps each, the remainder as the cash weight, a band of
 *   ±min(500, ⌈weight / 2⌉) bps (the strategy's ±5 %p would never trigger on a weight of a few bps);
 * - `dca`: every session (`period: 'DAY'`), floor(cash / n / sessions) won per instrument (at least 1).
 * @param o.cash starting cash (won) @param o.sessions sessions the budget is spread over
 * @throws InputError for another strategy (it needs `--config`) or an empty universe
 */
export function defaultStrategyConfig(name: string, codes: readonly string[], o: { cash: number; sessions: number }): unknown {
  if (codes.length === 0) throw new InputError('the universe is empty: pass --universe <codes> (or all)');
  if (name === 'rebalance') {
    const each = Math.floor(10_000 / codes.length);
    if (each === 0) throw new InputError(`rebalance over ${codes.length} codes: equal weights round to 0 bps; pass --config with explicit targets`);
    return { targets: codes.map((code) => ({ code, weightBps: each })), cashWeightBps: 10_000 - each * codes.length, bandBps: Math.min(500, Math.ceil(each / 2)) };
  }
  if (name === 'dca') {
    const amountKrw = Math.max(1, Math.floor(o.cash / codes.length / Math.max(1, o.sessions)));
    return { period: 'DAY', instruments: codes.map((code) => ({ code, amountKrw })) };
  }
  throw new InputError(`strategy "${name}" has no default configuration: pass --config <json> (defaults exist for ${DEFAULT_CONFIG_STRATEGIES.join(', ')})`);
}

/** Binds one built-in strategy by name. @throws ConfigError naming every bad key or an unknown name */
export function bindNamedStrategy(name: string, rawConfig: unknown, id: string = name): BoundStrategy {
  const [bound] = bindStrategies([{ strategy: name, id, config: rawConfig }]);
  if (!bound) throw new ConfigError([{ path: 'strategy', message: `no strategy bound for "${name}"` }]);
  return bound;
}

/** The instrument codes a configuration names (rebalance `targets`, dca `instruments`, else `codes`). */
export function codesOfConfig(raw: unknown): string[] {
  const o = (raw ?? {}) as { targets?: { code?: unknown }[]; instruments?: { code?: unknown }[]; codes?: unknown[] };
  const list = [...(o.targets ?? []), ...(o.instruments ?? [])].map((x) => x.code);
  for (const c of o.codes ?? []) list.push(c);
  return [...new Set(list.filter((c): c is string => typeof c === 'string'))];
}

// ------------------------------------------------------------------------------------------------
// Ports

/** Commission and sell tax (bps) of the configuration. */
export function costsOf(fees: { readonly commissionBps: number; readonly sellTaxBps: number }): TradeCostRates {
  return { commissionBps: bps(fees.commissionBps), sellTaxBps: bps(fees.sellTaxBps) };
}

/** Fixed per-asset settings: trading enabled, no minimum, LIMIT orders, the kind given. */
export function fixedAssetSettings(entries: readonly { readonly code: string; readonly kind: InstrumentKind }[], orderType: 'LIMIT' | 'MARKET' = 'LIMIT'): AssetSettingsProvider {
  const list: AssetSettings[] = entries.map((e) => ({ instrumentId: instrumentId(e.code), tradingEnabled: true, minimumOrderKrw: krw(0), orderType, kind: e.kind }));
  return { requestAssetSettings: async () => list };
}

/**
 * The market phase: the KRX calendar's; for a date outside its range, regular hours on weekdays
 * (09:00 continuous, 15:20 closing auction, 15:30 close, 08:30 pre-open).
 */
export function phaseSourceFor(calendar: KrxCalendar = new KrxCalendar()): PhaseSource {
  return {
    phaseAt(ms: number): { phase: MarketPhase } {
      try {
        return { phase: calendar.phaseAt(ms).phase };
      } catch {
        const day = kstDateOf(ms);
        const wd = new Date(`${day}T00:00:00Z`).getUTCDay();
        if (wd === 0 || wd === 6) return { phase: 'CLOSED' };
        if (ms < kstInstant(day, '08:30')) return { phase: 'CLOSED' };
        if (ms < kstInstant(day, '09:00')) return { phase: 'PRE_OPEN' };
        if (ms < kstInstant(day, '15:20')) return { phase: 'CONTINUOUS' };
        if (ms < kstInstant(day, '15:30')) return { phase: 'CLOSING_AUCTION' };
        return { phase: 'AFTER_CLOSE' };
      }
    },
  };
}

const REASONS: Readonly<Record<string, OrderReason>> = { ENTRY: 'ENTRY', EXIT: 'EXIT', REBALANCE: 'REBALANCE', DCA: 'DCA' };

/**
 * The risk engine as the runner's `RiskCheck`. The engine's context is built from the runner's: the
 * quote's last price as the reference, its daily limits, the D+2 cash minus what open buys reserve,
 * the balance's holdings, and the orders this check let through earlier on the same KST day (counted
 * here, dry runs excluded; a pass that the venue then refuses still counts: conservative).
 */
export function riskCheckFor(engine: RiskEngine, o: { readonly costs: TradeCostRates; readonly kindOf: (id: string) => InstrumentKind }): RiskCheck & { readonly today: () => { orders: number; value: number } } {
  let day: KstDate | undefined;
  let orders = 0;
  let value = 0;
  return {
    today: () => ({ orders, value }),
    check(intent, ctx) {
      const d = kstDateOf(ctx.now);
      if (d !== day) {
        day = d;
        orders = 0;
        value = 0;
      }
      const q = ctx.quote;
      const kind = o.kindOf(intent.instrumentId);
      const pos = ctx.balance.positions.find((p) => p.instrumentId === intent.instrumentId);
      let reserved = 0;
      for (const x of ctx.openOrders) {
        if (x.side !== 'BUY' || x.canceled) continue;
        const v = x.remainingQuantity * x.price;
        reserved += v + feeOf(v, o.costs.commissionBps);
      }
      const d2: number = ctx.balance.cash.settlementD2;
      let invested = 0;
      for (const p of ctx.balance.positions) invested += p.marketValue;
      const held = pos?.quantity ?? 0;
      const r = engine.check(
        {
          clientOrderId: intent.clientOrderId,
          instrumentId: intent.instrumentId,
          side: intent.side,
          orderType: intent.orderType,
          quantity: quantity(intent.quantity),
          ...(intent.price === undefined ? {} : { price: price(intent.price) }),
          reason: REASONS[intent.kind] ?? 'MANUAL',
          attempt: 0,
        },
        {
          instrumentKind: kind,
          referencePrice: q.last,
          priceLimits: { base: price(q.basePrice), upper: price(q.upperLimit), lower: price(q.lowerLimit), width: q.upperLimit - q.basePrice },
          ...(q.halted ? { venuePhase: 'CLOSED' as const } : {}),
          availableCash: krw(Math.max(0, d2 - reserved)),
          heldQty: quantity(held),
          sellableQty: quantity(pos?.sellableQuantity ?? 0),
          portfolioValue: krw(Math.max(0, d2 + invested)),
          positionValue: krw(Math.round(held * q.last)),
          ordersToday: orders,
          orderValueToday: krw(value),
          fees: o.costs,
        },
      );
      if (r.ok && !ctx.dryRun) {
        orders++;
        value += intent.notional;
      }
      return r.ok ? { ok: true } : { ok: false, denial: { code: r.denial.code, detail: r.denial.detail } };
    },
  };
}

/**
 * Strategy state, the runner's order book and signals in memory (backtests). `save` keeps the caller's
 * object and `load` returns a copy: the runner saves its order book twice per order, and copying it on
 * every save made a day's orders cost quadratic time (47 % of a 2,878-code backtest's first session).
 * A caller that changes a saved object afterwards changes what the next `load` returns; the runner
 * always saves its current book, so that is what a copy on save would have held by then.
 */
export class MemoryStrategyStateStore implements StrategyStateStore {
  readonly values = new Map<string, unknown>();
  readonly signals: SignalRecord[] = [];
  async load(key: string): Promise<unknown> {
    const v = this.values.get(key);
    return v === undefined ? undefined : structuredClone(v);
  }
  async save(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
  async appendSignal(record: SignalRecord): Promise<void> {
    this.signals.push(record);
  }
}

/** Orders and fills the runner recorded, in memory. */
export class MemoryRecorder implements TransactionRecorder {
  readonly orders: OrderRecord[] = [];
  readonly fills: FillRecord[] = [];
  async recordOrder(r: OrderRecord): Promise<void> {
    this.orders.push(r);
  }
  async recordFill(r: FillRecord): Promise<void> {
    this.fills.push(r);
  }
}

/**
 * Strategy state in `<dataDir>/strategy-state.json` (values by key plus the last 1,000 signals; mode
 * 0600, atomic writes), so DCA periods and the runner's order book survive between `hantu strategy run`s.
 */
export class JsonFileStrategyStateStore implements StrategyStateStore {
  constructor(readonly path: string) {}
  private read(): { values: Record<string, unknown>; signals: SignalRecord[] } {
    if (!existsSync(this.path)) return { values: {}, signals: [] };
    const v = JSON.parse(readFileSync(this.path, 'utf8')) as { values?: Record<string, unknown>; signals?: SignalRecord[] };
    return { values: v.values ?? {}, signals: v.signals ?? [] };
  }
  async load(key: string): Promise<unknown> {
    return this.read().values[key];
  }
  async save(key: string, value: unknown): Promise<void> {
    const d = this.read();
    d.values[key] = value;
    writeJsonAtomic(this.path, d);
  }
  async appendSignal(record: SignalRecord): Promise<void> {
    const d = this.read();
    d.signals = [...d.signals, record].slice(-1_000);
    writeJsonAtomic(this.path, d);
  }
}

/** Appends every order and fill as one JSON line to a file (mode 0600). */
export class JsonLinesRecorder implements TransactionRecorder {
  constructor(readonly path: string) {}
  private append(type: string, r: object): void {
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${JSON.stringify({ type, ...r })}\n`, { mode: 0o600 });
  }
  async recordOrder(r: OrderRecord): Promise<void> {
    this.append('order', r);
  }
  async recordFill(r: FillRecord): Promise<void> {
    this.append('fill', r);
  }
}

// ------------------------------------------------------------------------------------------------
// `hantu strategy run`

/** Options of {@link runStrategyOnce}. */
export interface RunStrategyOptions {
  readonly session: OpenedBroker;
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly strategy: string;
  /** The strategy's raw configuration (default: {@link defaultStrategyConfig} over `universe`). */
  readonly strategyConfig?: unknown;
  readonly universe?: readonly string[];
  readonly dryRun: boolean;
  /** Environment (risk limits `MAX_*`, `SLIPPAGE_BPS`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Runner configuration (`StrategyRunnerConfigSchema`). */
  readonly runner?: unknown;
}

/**
 * One `StrategyRunner.runOnce` against the broker session: the risk engine with the trading state of
 * `<dataDir>/trading-state.json` (a halt made by `hantu halt` denies every order), strategy state in
 * `<dataDir>/strategy-state.json`, orders and fills appended to `<dataDir>/strategy-transactions.jsonl`
 * (neither written in a dry run). Asset settings: every configured or held instrument, LIMIT orders,
 * the kind inferred from the holding's name (STOCK otherwise).
 */
export async function runStrategyOnce(o: RunStrategyOptions): Promise<RunReport> {
  const clock: Clock = o.session.clock;
  const raw = o.strategyConfig ?? defaultStrategyConfig(o.strategy, o.universe ?? [], { cash: 0, sessions: 1 });
  const bound = bindNamedStrategy(o.strategy, raw);
  const dataDir = o.config.dataDir;
  const engine = await createRiskEngine({ dataDir, clock, logger: o.logger, env: o.env });
  const costs = costsOf(o.config.fees);
  const kinds = new Map<string, InstrumentKind>();
  const broker: BrokerPort = o.session.client;
  const settings: AssetSettingsProvider = {
    async requestAssetSettings() {
      const b = await broker.requestBalance();
      for (const p of b.positions) kinds.set(p.instrumentId, inferKind(p.name));
      const codes = new Set<string>([...codesOfConfig(raw), ...(o.universe ?? []), ...bound.instruments(b.positions).map(String), ...b.positions.map((p) => String(p.instrumentId))]);
      return (await fixedAssetSettings([...codes].map((code) => ({ code, kind: kinds.get(code) ?? 'STOCK' }))).requestAssetSettings());
    },
  };
  const runner = new StrategyRunner({
    broker,
    risk: riskCheckFor(engine, { costs, kindOf: (id) => kinds.get(id) ?? 'STOCK' }),
    settings,
    state: new JsonFileStrategyStateStore(join(dataDir, 'strategy-state.json')),
    recorder: new JsonLinesRecorder(join(dataDir, 'strategy-transactions.jsonl')),
    clock,
    logger: o.logger,
    calendar: phaseSourceFor(),
    costs,
    strategies: [bound],
    ...(o.runner === undefined ? {} : { config: o.runner }),
  });
  return runner.runOnce({ dryRun: o.dryRun });
}

export type { InstrumentId };
