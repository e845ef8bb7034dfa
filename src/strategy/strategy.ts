/**
 * The strategy interface: how to write a new strategy.
 *
 * A strategy is a pure object with five members:
 *
 * ```ts
 * export const myStrategy: Strategy<MyConfig, MyState> = {
 *   name: 'my-strategy',
 *   configSchema: z.strictObject({ ... }),       // unknown keys are errors; defaults live only here
 *   stateSchema: z.strictObject({ ... }),        // what it remembers between runs (JSON)
 *   initialState: (config) => ({ ... }),
 *   instruments: (config, positions) => [...],   // which quotes (and minute bars) it needs
 *   decide(ctx) { return [...decisions] },        // pure: same context, same decisions
 *   nextState(ctx, decisions, results) { ... },  // optional: the state after the runner acted
 * };
 * ```
 *
 * Contract:
 * - `decide` is pure and synchronous. It reads a snapshot (`StrategyContext`): balance, quotes,
 *   per-asset settings, the time and market phase, its own config and state, minute bars when it asked
 *   for them. It returns decisions: orders to place (`ORDER`), signals to store (`SIGNAL`) and things it
 *   chose not to do (`SKIP`), each with a human-readable `reason` that carries the numbers.
 * - It never places an order itself: the runner checks every `ORDER` (settings, phase, sellable
 *   quantity, cash, tick grid, daily limits), asks the risk check, and only then submits (or, in a dry
 *   run, reports what it would submit).
 * - Money follows DESIGN.md §4: prices and amounts in whole won (`Price`, `Krw`), quantities in whole
 *   shares (`Quantity`), rates in basis points. A LIMIT price must be on the tick grid and inside the
 *   day's limits.
 * - State changes only through `nextState`, which receives what happened to each order decision
 *   (`DecisionResult`), so that, for example, a period is marked done only when its order was placed.
 *   The runner persists the returned state through its `StrategyStateStore` (never in a dry run).
 *   Without `nextState` the state never changes.
 *
 * Register a new strategy by binding it to a config with `bindStrategy` and handing the result to the
 * `StrategyRunner`. Tests can call `decide` directly with a hand-made context.
 */
import type { z } from 'zod';
import type { UnixMillis } from '../core/brand.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import type { KstDate } from '../core/kst.ts';
import type { MinuteBar } from '../data/bars.ts';
import type { MarketPhase } from '../model/calendar.ts';
import type { TradeCostRates } from '../model/fees.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import type { Krw, Price, Quantity } from '../model/money.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type { PositionStatusReport } from '../model/reports.ts';

/** Why an order is placed. */
export type DecisionKind = 'ENTRY' | 'EXIT' | 'REBALANCE' | 'DCA';

/** Signal types of the band strategies: start watching, enter (buy), exit (sell). */
export type SignalType = 'WATCH' | 'ENTER' | 'EXIT';

/** An order the strategy wants placed. */
export interface OrderDecision {
  readonly type: 'ORDER';
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Whole shares, > 0. A SELL never exceeds the position's sellable quantity. */
  readonly quantity: Quantity;
  /** Must equal the asset's configured order type (`AssetSettings.orderType`). */
  readonly orderType: OrderType;
  /** Won, on the tick grid, inside the daily limits. Required for LIMIT, absent for MARKET. */
  readonly limitPrice?: Price;
  readonly kind: DecisionKind;
  /** Why, in words, with the numbers (`"weekly DCA 1,000,000 won: 7 × 128,500 = 899,500 won"`). */
  readonly reason: string;
}

/** A signal to store (VWAP/ATR bands): what was seen and the numbers behind it. */
export interface SignalDecision {
  readonly type: 'SIGNAL';
  readonly instrumentId: InstrumentId;
  readonly signal: SignalType;
  /** The price the signal was taken on (won; may be a half tick). */
  readonly price: number;
  /** Indicator values (won unless the key says otherwise), e.g. `{ vwap, atr, lower, upper }`. */
  readonly values: Readonly<Record<string, number>>;
  readonly reason: string;
}

/** Something the strategy deliberately did not do, and why. */
export interface SkipDecision {
  readonly type: 'SKIP';
  readonly instrumentId?: InstrumentId;
  /** Stable UPPER_SNAKE code (`INSUFFICIENT_CASH`, `ALREADY_DONE_THIS_PERIOD`, …). */
  readonly code: string;
  readonly reason: string;
}

export type StrategyDecision = OrderDecision | SignalDecision | SkipDecision;

/**
 * What the runner did with an order decision:
 * - `SKIPPED`: the runner's own checks stopped it (see the report for the code);
 * - `DENIED`: the risk check refused it;
 * - `DRY_RUN`: it passed every check and would have been submitted;
 * - `REJECTED`: the venue refused it (nothing is live);
 * - `OUTCOME_UNKNOWN`: the submit may have reached the venue; it is never resent;
 * - `WORKING` / `PARTIALLY_FILLED` / `FILLED`: placed; the fill state when confirmation stopped polling;
 * - `CANCELED`: placed, then ended by the venue with nothing filled (nothing live, nothing traded).
 */
export type DecisionOutcome =
  | 'SKIPPED'
  | 'DENIED'
  | 'DRY_RUN'
  | 'REJECTED'
  | 'OUTCOME_UNKNOWN'
  | 'WORKING'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELED';

/** True when the order may be live or have traded at the venue (so it must not be decided again). */
export function isPlaced(outcome: DecisionOutcome): boolean {
  return outcome === 'OUTCOME_UNKNOWN' || outcome === 'WORKING' || outcome === 'PARTIALLY_FILLED' || outcome === 'FILLED';
}

/** The result of one `ORDER` decision, given to `nextState`. */
export interface DecisionResult {
  /** Index of the decision in what `decide` returned. */
  readonly index: number;
  readonly decision: OrderDecision;
  readonly outcome: DecisionOutcome;
  /** Shares filled as last confirmed (0 unless placed). */
  readonly filledQuantity: number;
  /** Average fill price (won) when something filled. */
  readonly averageFillPrice?: number;
}

/** A quote as strategies see it. Prices in won; `bestBid`/`bestAsk` are 0 when unknown. */
export interface StrategyQuote {
  readonly instrumentId: InstrumentId;
  /** Last trade (won; may be a half tick). */
  readonly last: number;
  /** Best bid / ask (won); 0 when there is none or the book was not fetched. */
  readonly bestBid: number;
  readonly bestAsk: number;
  /** Daily limits (상한가 / 하한가) and base price (기준가), won. */
  readonly upperLimit: number;
  readonly lowerLimit: number;
  readonly basePrice: number;
  /** Tick at the current price (won). */
  readonly tick: number;
  readonly halted: boolean;
  readonly tsInit: UnixMillis;
}

/**
 * Per-asset settings (from the `AssetSettingsProvider`). An instrument without settings is not traded.
 */
export interface AssetSettings {
  readonly instrumentId: InstrumentId;
  /** False: decisions on this asset are skipped (`TRADING_DISABLED`). */
  readonly tradingEnabled: boolean;
  /** Smallest order value (won) the runner lets through; 0 = none. A sell of the whole position is exempt. */
  readonly minimumOrderKrw: Krw;
  /** The order type to use for this asset. */
  readonly orderType: OrderType;
  /** Tick table (ETF/ETN/ELW trade on a flat 5-won tick). */
  readonly kind: InstrumentKind;
}

/** Cash as the strategies see it (won). */
export interface StrategyCash {
  /**
   * What may be spent on buys now: D+2 settlement cash (`CashReport.settlementD2`) minus the value
   * (plus commission) still reserved by open buy orders; never below 0.
   */
  readonly available: Krw;
  /** 예수금 as reported. */
  readonly deposit: Krw;
  /** Total account value as reported. */
  readonly totalValue: Krw;
}

/** The snapshot `decide` reads. */
export interface StrategyContext<C, S> {
  /** Instant of the run (epoch ms) and its KST session date. */
  readonly now: UnixMillis;
  readonly sessionDate: KstDate;
  readonly phase: MarketPhase;
  readonly config: C;
  readonly state: S;
  /** Holdings by instrument (only instruments held; quantity > 0 or sellable > 0). */
  readonly positions: ReadonlyMap<InstrumentId, PositionStatusReport>;
  readonly cash: StrategyCash;
  /** Quotes of the instruments the strategy asked for (missing when the quote request failed). */
  readonly quotes: ReadonlyMap<InstrumentId, StrategyQuote>;
  /** Settings of every configured asset. */
  readonly settings: ReadonlyMap<InstrumentId, AssetSettings>;
  /** The session's minute bars, oldest first, of the instruments asked for (only when `needsMinuteBars`). */
  readonly minuteBars: ReadonlyMap<InstrumentId, readonly MinuteBar[]>;
  /** Commission and sell-tax rates (bps) to size orders with. */
  readonly costs: TradeCostRates;
}

/** A strategy: see the module comment. `C` is the parsed config, `S` the persisted state (JSON). */
export interface Strategy<C, S> {
  /** Kebab-case name, also the folder under `strategies/`. */
  readonly name: string;
  /** Zod schema of the config, strict (unknown keys are errors); the only place defaults live. */
  readonly configSchema: z.ZodType<C>;
  /** Zod schema of the persisted state. A stored state that fails it stops the strategy (fail closed). */
  readonly stateSchema: z.ZodType<S>;
  /** True when `decide` needs the session's minute bars of its instruments. */
  readonly needsMinuteBars?: boolean;
  /** True when `decide` computes indicators (src/core/indicators.ts): the runner loads the library first. */
  readonly needsIndicators?: boolean;
  /** The state before the first run. */
  initialState(config: C): S;
  /** Instruments whose quotes (and bars) `decide` needs, given the current holdings. */
  instruments(config: C, positions: readonly PositionStatusReport[]): readonly InstrumentId[];
  /** Pure: the decisions for this snapshot. */
  decide(ctx: StrategyContext<C, S>): StrategyDecision[];
  /** The state after the runner acted on `decisions` (`results` holds one entry per ORDER decision). */
  nextState?(ctx: StrategyContext<C, S>, decisions: readonly StrategyDecision[], results: readonly DecisionResult[]): S;
}

/** The context without config and state (the runner builds it; `BoundStrategy` adds the rest). */
export type RunContext = Omit<StrategyContext<unknown, unknown>, 'config' | 'state'>;

/** A strategy bound to its parsed config, with types erased so the runner can hold a list of them. */
export interface BoundStrategy {
  /** Instance id (unique per runner; keys the persisted state), e.g. `dca-weekly`. */
  readonly id: string;
  /** The strategy's `name`. */
  readonly name: string;
  readonly needsMinuteBars: boolean;
  readonly needsIndicators: boolean;
  instruments(positions: readonly PositionStatusReport[]): readonly InstrumentId[];
  /**
   * Validates a stored state (`undefined` = nothing stored yet → the initial state).
   * @returns the state, or the issues that make it unusable
   */
  parseState(raw: unknown): { ok: true; state: unknown } | { ok: false; issues: readonly ConfigIssue[] };
  decide(ctx: RunContext, state: unknown): StrategyDecision[];
  nextState(ctx: RunContext, state: unknown, decisions: readonly StrategyDecision[], results: readonly DecisionResult[]): unknown;
}

function issuesOf(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.'), message: i.message }));
}

/**
 * Parses `rawConfig` with the strategy's schema and binds the two.
 * @param id instance id (default: the strategy's name)
 * @throws ConfigError listing every problem of the config, with paths prefixed by the instance id
 */
export function bindStrategy<C, S>(strategy: Strategy<C, S>, rawConfig: unknown, id: string = strategy.name): BoundStrategy {
  const parsed = strategy.configSchema.safeParse(rawConfig);
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error, `strategies.${id}`));
  const config = parsed.data;
  const full = (ctx: RunContext, state: unknown): StrategyContext<C, S> => ({ ...ctx, config, state: state as S });
  return {
    id,
    name: strategy.name,
    needsMinuteBars: strategy.needsMinuteBars === true,
    needsIndicators: strategy.needsIndicators === true,
    instruments: (positions) => strategy.instruments(config, positions),
    parseState(raw) {
      if (raw === undefined) return { ok: true, state: strategy.initialState(config) };
      const r = strategy.stateSchema.safeParse(raw);
      return r.success ? { ok: true, state: r.data } : { ok: false, issues: issuesOf(r.error, `state.${id}`) };
    },
    decide: (ctx, state) => strategy.decide(full(ctx, state)),
    nextState: (ctx, state, decisions, results) =>
      strategy.nextState === undefined ? state : strategy.nextState(full(ctx, state), decisions, results),
  };
}
