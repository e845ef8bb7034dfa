import { indicatorLibrary } from '../core/indicators.ts';
import { z } from 'zod';
import { ConfigError, InvariantError, type ConfigIssue } from '../core/errors.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import type { Price } from '../model/money.ts';
import type { PriceLimits } from '../model/price-limits.ts';
import { addTicks, roundToTick } from '../model/tick.ts';
import type { ExitTrigger } from '../notify/notifications.ts';

/**
 * Exit rules of the position monitor: configuration (zod, strict, defaults only here) and the pure
 * functions that decide whether a price crosses a threshold and at which price to sell.
 *
 * Units: percentages are percent of the position's average purchase price (3 = 3 %); ATR multiples
 * are multiples of the daily Average True Range (won) over `period` completed sessions (Wilder
 * smoothing, as trading-signals computes it); prices in won; timeouts in ms.
 */

const CODE_RE = /^[0-9A-Z]{6}$/;

/** Stop-loss / take-profit at a fixed percent below / above the average price. Either may be omitted. */
export const PercentThresholdsSchema = z
  .object({
    type: z.literal('percent'),
    /** Sell when the last trade is at or below `average × (1 − stopLossPct / 100)`. */
    stopLossPct: z.number().gt(0).lt(100).optional(),
    /** Sell when the last trade is at or above `average × (1 + takeProfitPct / 100)`. */
    takeProfitPct: z.number().gt(0).max(1_000).optional(),
  })
  .strict();

/** Stop-loss / take-profit at ATR multiples below / above the average price. Either may be omitted. */
export const AtrThresholdsSchema = z
  .object({
    type: z.literal('atr'),
    /** ATR period in completed daily bars. */
    period: z.number().int().min(1).max(250).default(14),
    /** Sell at or below `average − stopLossAtr × ATR`. */
    stopLossAtr: z.number().gt(0).max(100).optional(),
    /** Sell at or above `average + takeProfitAtr × ATR`. */
    takeProfitAtr: z.number().gt(0).max(100).optional(),
  })
  .strict();

export const ThresholdsSchema = z.discriminatedUnion('type', [PercentThresholdsSchema, AtrThresholdsSchema]);

/**
 * Trailing stop below the high-water mark (highest trade price seen since the monitor first saw the
 * position; not persisted across restarts): `percent` trails by `trailPct` % of the mark, `atr` by
 * `trailAtr` × ATR(period).
 */
export const TrailingStopSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('percent'), trailPct: z.number().gt(0).lt(100) }).strict(),
  z
    .object({
      type: z.literal('atr'),
      period: z.number().int().min(1).max(250).default(14),
      trailAtr: z.number().gt(0).max(100),
    })
    .strict(),
]);

/**
 * How an exit is sent: a marketable limit `ticksThroughBid` ticks below the best bid (on the tick
 * grid, clamped inside the daily limits), or a market order (시장가).
 */
export const ExitOrderStyleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('marketable-limit'), ticksThroughBid: z.number().int().min(0).max(20).default(2) }).strict(),
  z.object({ kind: z.literal('market') }).strict(),
]);

const ruleFields = {
  thresholds: ThresholdsSchema,
  trailingStop: TrailingStopSchema.optional(),
  exitOrder: ExitOrderStyleSchema.default({ kind: 'marketable-limit', ticksThroughBid: 2 }),
  /** After this long (ms) with shares unsold, cancel the remainder and resubmit at a fresh price. */
  repriceTimeoutMs: z.number().int().min(1_000).max(600_000).default(10_000),
  /** How many times an exit is repriced before it is left working and a human is alerted. */
  maxReprices: z.number().int().min(0).max(10).default(3),
  /** Without a fill notice for this long (ms), the order is checked by a REST query. */
  fillConfirmTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
};

function hasAnExit(r: { thresholds: z.infer<typeof ThresholdsSchema>; trailingStop?: unknown }): boolean {
  const t = r.thresholds;
  const levels = t.type === 'percent' ? t.stopLossPct ?? t.takeProfitPct : t.stopLossAtr ?? t.takeProfitAtr;
  return levels !== undefined || r.trailingStop !== undefined;
}

const NO_EXIT = { message: 'a rule needs at least one of a stop-loss, a take-profit or a trailing stop', path: ['thresholds'] };

/** A complete exit rule. */
export const ExitRuleSchema = z.object(ruleFields).strict().refine(hasAnExit, NO_EXIT);

/**
 * A per-instrument override: each given field replaces the default's field wholesale (`thresholds` is
 * not merged key by key); `trailingStop: null` removes the default's trailing stop.
 */
export const ExitRuleOverrideSchema = z
  .object({
    thresholds: ThresholdsSchema.optional(),
    trailingStop: TrailingStopSchema.nullable().optional(),
    exitOrder: ExitOrderStyleSchema.optional(),
    repriceTimeoutMs: ruleFields.repriceTimeoutMs.unwrap().optional(),
    maxReprices: ruleFields.maxReprices.unwrap().optional(),
    fillConfirmTimeoutMs: ruleFields.fillConfirmTimeoutMs.unwrap().optional(),
  })
  .strict();

/** Configuration of the position monitor. */
export const MonitorConfigSchema = z
  .object({
    /** Rule for every held position without an override. */
    default: ExitRuleSchema,
    /** Overrides keyed by 6-character instrument code (`005930`). */
    instruments: z.record(z.string().regex(CODE_RE, 'expected a 6-character instrument code'), ExitRuleOverrideSchema).default({}),
    /** Also send exits during the closing single-price auction (15:20–15:30); default: continuous trading only. */
    allowClosingAuction: z.boolean().default(false),
    /** Alert `DataDelayed` when no trade tick arrived for this long (ms) during trading hours; 0 = off. */
    staleDataAlertMs: z.number().int().min(0).default(60_000),
    /**
     * Which durable write an exit order waits for before it leaves (`hantu run`):
     * - `intent-log` (default): the exit intent alone (one O_DSYNC append, ~0.4 ms), the write-ahead
     *   record of the order; the ledger journal is written concurrently and awaited after the send.
     *   A crash in between is repaired at the next start: orders the intent log holds and the ledger
     *   lacks are copied into the ledger before the startup reconciliation.
     * - `ledger`: the exit intent and the ledger journal (a database commit) both, as every strategy
     *   order does.
     */
    exitWriteAhead: z.enum(['intent-log', 'ledger']).default('intent-log'),
    /**
     * When the exit intent's write reaches the disk, relative to the order leaving (`hantu run`; with
     * either `exitWriteAhead`):
     * - `before-send` (default): the intent is appended with O_DSYNC and the order waits for the disk
     *   flush. Nothing short of a failing disk loses the record of a sent order.
     * - `after-send`: the intent is written to the operating system (it survives the daemon's own
     *   crash, `kill -9` included), the order leaves, and the file is flushed (`fdatasync`) right after.
     *   A crash of the operating system or a power loss before that flush returns (p50 ~5 ms, p99
     *   15–45 ms after the write in `npm run bench -- realtime` on the 2-core development VM;
     *   `RunningDay.latencies.intentFlushLag`) can lose the record: the restarted daemon then finds the order at the
     *   venue as one placed outside hantu (its fills adopted by the startup reconciliation, an open
     *   remainder reported), and a second exit of the same shares is refused by the venue for lack of
     *   sellable quantity.
     */
    exitIntentFlush: z.enum(['before-send', 'after-send']).default('before-send'),
  })
  .strict();

export type PercentThresholds = z.infer<typeof PercentThresholdsSchema>;
export type AtrThresholds = z.infer<typeof AtrThresholdsSchema>;
export type Thresholds = z.infer<typeof ThresholdsSchema>;
export type TrailingStop = z.infer<typeof TrailingStopSchema>;
export type ExitOrderStyle = z.infer<typeof ExitOrderStyleSchema>;
export type ExitRule = z.infer<typeof ExitRuleSchema>;
export type ExitRuleOverride = z.infer<typeof ExitRuleOverrideSchema>;
export type MonitorConfig = z.infer<typeof MonitorConfigSchema>;

function mergeRule(base: ExitRule, o: ExitRuleOverride): ExitRule {
  const { trailingStop, ...rest } = o;
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) merged[k] = v;
  if (trailingStop === null) delete merged['trailingStop'];
  else if (trailingStop !== undefined) merged['trailingStop'] = trailingStop;
  return merged as ExitRule;
}

/**
 * Parses and checks a monitor configuration: shape (every issue, with its dotted path), then every
 * instrument's merged rule (it must still have an exit).
 * @throws ConfigError listing every problem at once
 */
export function parseMonitorConfig(raw: unknown): MonitorConfig {
  const r = MonitorConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  const issues: ConfigIssue[] = [];
  for (const [code, o] of Object.entries(r.data.instruments)) {
    if (!hasAnExit(mergeRule(r.data.default, o))) issues.push({ path: `instruments.${code}`, message: NO_EXIT.message });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return r.data;
}

/** The rule for an instrument: the default with the instrument's override applied. */
export function resolveExitRule(config: MonitorConfig, id: InstrumentId): ExitRule {
  const o = config.instruments[id];
  return o === undefined ? config.default : mergeRule(config.default, o);
}

/** ATR periods a rule needs (empty for a pure percent rule). */
export function atrPeriodsOf(rule: ExitRule): number[] {
  const out = new Set<number>();
  if (rule.thresholds.type === 'atr') out.add(rule.thresholds.period);
  if (rule.trailingStop?.type === 'atr') out.add(rule.trailingStop.period);
  return [...out];
}

/** A daily bar as the ATR needs it (won). */
export interface AtrBar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * Daily Average True Range (won) over `period` bars, with trading-signals' `ATR` (true range, Wilder
 * smoothing seeded by the simple average of the first `period` true ranges; the first bar's true range
 * is high − low). Bars are given oldest first; bars without trades (high or low ≤ 0) are skipped.
 * @returns the ATR after the last bar, or `undefined` with fewer than `period` usable bars
 */
export function dailyAtr(bars: readonly AtrBar[], period: number): number | undefined {
  if (!Number.isInteger(period) || period < 1) throw new InvariantError('ATR_PERIOD_INVALID', `ATR period must be a positive integer, was ${period}`);
  const atr = new (indicatorLibrary().ATR)(period);
  for (const b of bars) {
    if (!(b.high > 0 && b.low > 0 && b.close > 0)) continue;
    atr.add({ high: b.high, low: b.low, close: b.close });
  }
  return atr.isStable ? (atr.getResult() ?? undefined) : undefined;
}

/** What the rules need to know about a held position. */
export interface ExitPosition {
  /** Average purchase price (won, may be fractional as KIS reports it). */
  readonly averagePrice: number;
}

/** Per-position state kept by the monitor between ticks. */
export interface ExitState {
  /** Highest trade price seen since the position was first seen (won). */
  readonly highWaterMark: number;
  /** Daily ATR (won) by period; a missing period disables the ATR levels that need it. */
  readonly atr: Readonly<Record<number, number>>;
}

/** Thresholds (won) of a rule for a position; absent when not configured or the ATR is unknown. */
export interface ExitLevels {
  readonly stopLoss?: number;
  readonly takeProfit?: number;
  readonly trailingStop?: number;
}

/** Computes the price levels of `rule` for `position` in `state` (won, may be fractional). */
export function exitLevels(position: ExitPosition, state: ExitState, rule: ExitRule): ExitLevels {
  const avg = position.averagePrice;
  const out: { stopLoss?: number; takeProfit?: number; trailingStop?: number } = {};
  const t = rule.thresholds;
  if (t.type === 'percent') {
    if (t.stopLossPct !== undefined) out.stopLoss = (avg * (100 - t.stopLossPct)) / 100;
    if (t.takeProfitPct !== undefined) out.takeProfit = (avg * (100 + t.takeProfitPct)) / 100;
  } else {
    const atr = state.atr[t.period];
    if (atr !== undefined) {
      if (t.stopLossAtr !== undefined) out.stopLoss = avg - t.stopLossAtr * atr;
      if (t.takeProfitAtr !== undefined) out.takeProfit = avg + t.takeProfitAtr * atr;
    }
  }
  const tr = rule.trailingStop;
  if (tr !== undefined && state.highWaterMark > 0) {
    if (tr.type === 'percent') out.trailingStop = (state.highWaterMark * (100 - tr.trailPct)) / 100;
    else {
      const atr = state.atr[tr.period];
      if (atr !== undefined) out.trailingStop = state.highWaterMark - tr.trailAtr * atr;
    }
  }
  return out;
}

/** A rule that fired: which, the price that crossed (won) and the level crossed (won). */
export interface ExitDecision {
  readonly trigger: ExitTrigger;
  /** The last trade price that crossed the level. */
  readonly reference: number;
  readonly threshold: number;
}

/**
 * Decides whether the last trade `tick.price` exits the position. Checked in this order, first match
 * wins: stop-loss (price ≤ level), trailing stop (price ≤ level), take-profit (price ≥ level).
 * Returns `undefined` when nothing fires, when the average price or the trade price is not positive,
 * or when the levels need an ATR that `state` does not have.
 */
export function evaluateExit(
  position: ExitPosition,
  tick: { readonly price: number },
  state: ExitState,
  rule: ExitRule,
): ExitDecision | undefined {
  if (!(position.averagePrice > 0) || !(tick.price > 0)) return undefined;
  const l = exitLevels(position, state, rule);
  const p = tick.price;
  if (l.stopLoss !== undefined && p <= l.stopLoss) return { trigger: 'STOP_LOSS', reference: p, threshold: l.stopLoss };
  if (l.trailingStop !== undefined && p <= l.trailingStop) return { trigger: 'TRAILING_STOP', reference: p, threshold: l.trailingStop };
  if (l.takeProfit !== undefined && p >= l.takeProfit) return { trigger: 'TAKE_PROFIT', reference: p, threshold: l.takeProfit };
  return undefined;
}

/**
 * Limit price of a marketable sell: `ticksThroughBid` ticks below the best bid, on the KRX tick grid
 * (stepping across tick bands), clamped inside the daily limits: never below the lower limit
 * (하한가), never above the upper. With no bid (`bestBid` ≤ 0, e.g. a limit-down book) the last trade
 * is used instead; an off-grid reference (a half-tick print) is first rounded down onto the grid.
 * @param bestBid best bid (won), 0 when there is none
 * @param last last trade price (won)
 * @param limits the day's price limits, when known
 * @throws InvariantError(PRICE_INVALID) when neither `bestBid` nor `last` is a positive price
 */
export function exitLimitPrice(
  bestBid: number,
  last: number,
  ticks: { readonly ticksThroughBid: number; readonly kind?: InstrumentKind },
  limits?: PriceLimits,
): Price {
  const kind = ticks.kind ?? 'STOCK';
  const ref = bestBid > 0 ? bestBid : last;
  if (!(ref > 0)) throw new InvariantError('PRICE_INVALID', `no price to sell at: bestBid=${bestBid}, last=${last}`);
  let p = addTicks(roundToTick(ref, 'down', kind), -ticks.ticksThroughBid, kind);
  if (limits !== undefined) {
    if (p < limits.lower) p = roundToTick(limits.lower, 'up', kind);
    else if (p > limits.upper) p = roundToTick(limits.upper, 'down', kind);
  }
  return p;
}
