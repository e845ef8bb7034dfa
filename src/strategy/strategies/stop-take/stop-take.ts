/**
 * Stop-loss / take-profit as a scheduled strategy: sells a whole position when its last trade crosses
 * a level set from the average purchase price.
 *
 * Sharing with the monitor: the rule is a port (`ExitEvaluator`). The position monitor
 * (`src/monitor/rules.ts`, `evaluateExit`) evaluates the same rules on every tick; the strategy layer may
 * not import the monitor, so:
 * - by default the strategy uses `percentExitRule`, a pure copy of the monitor's PERCENT rule with the
 *   same semantics (stop-loss: last ≤ average × (1 − stopLossPct / 100), checked first; take-profit:
 *   last ≥ average × (1 + takeProfitPct / 100); nothing when the average or the last price is not
 *   positive). `stop-take.test.ts` checks it against the monitor's `evaluateExit` on real prices;
 * - the composition root can pass the monitor's own evaluation instead
 *   (`createStopTakeStrategy({ evaluator })`, an adapter around `resolveExitRule` + `evaluateExit` that
 *   brings ATR and trailing rules). The thresholds then come from the monitor's configuration only, and
 *   this strategy's config must not set any (one source of truth).
 *
 * Exit order: every sellable share; LIMIT at `ticksThroughBid` ticks under the best bid (the last trade
 * without a bid), on the grid and not below the lower limit; MARKET when the asset is configured so.
 * The runner never sends it while another order on the instrument is open (for example the monitor's
 * own exit), and the venue's sellable quantity already excludes shares in open sell orders.
 */
import { z } from 'zod';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import type { PositionStatusReport } from '../../../model/reports.ts';
import { fmt, sellLimitPrice } from '../../pricing.ts';
import type { Strategy, StrategyContext, StrategyDecision } from '../../strategy.ts';

/** Which rule fired (the monitor's `ExitTrigger` values). */
export type StopTakeTrigger = 'STOP_LOSS' | 'TAKE_PROFIT' | 'TRAILING_STOP';

/** A rule that fired: the trigger, the price that crossed (won) and the level crossed (won). */
export interface ExitEvaluation {
  readonly trigger: StopTakeTrigger;
  readonly reference: number;
  readonly threshold: number;
}

/** The exit rule port: decides whether `price` exits `position`. Pure. */
export interface ExitEvaluator {
  evaluate(position: { readonly instrumentId: InstrumentId; readonly averagePrice: number }, price: number): ExitEvaluation | undefined;
}

/** Percent thresholds (percent of the average price: 3 = 3 %). */
export interface PercentRule {
  readonly stopLossPct?: number | undefined;
  readonly takeProfitPct?: number | undefined;
}

/**
 * The monitor's percent rule (same arithmetic, same order: stop-loss before take-profit).
 * @returns the evaluation, or undefined when nothing fires or a price is not positive
 */
export function percentExitRule(rule: PercentRule, averagePrice: number, price: number): ExitEvaluation | undefined {
  if (!(averagePrice > 0) || !(price > 0)) return undefined;
  if (rule.stopLossPct !== undefined) {
    const level = (averagePrice * (100 - rule.stopLossPct)) / 100;
    if (price <= level) return { trigger: 'STOP_LOSS', reference: price, threshold: level };
  }
  if (rule.takeProfitPct !== undefined) {
    const level = (averagePrice * (100 + rule.takeProfitPct)) / 100;
    if (price >= level) return { trigger: 'TAKE_PROFIT', reference: price, threshold: level };
  }
  return undefined;
}

const CODE_RE = /^[0-9A-Z]{6}$/;

const baseFields = {
  /** Instruments watched; default every held position. */
  instruments: z.array(z.string().regex(CODE_RE, 'expected a 6-character instrument code')).optional(),
  /** Ticks under the best bid for the exit's limit price. */
  ticksThroughBid: z.number().int().min(0).max(20).default(2),
};

/** Config with the built-in percent rule: at least one threshold. */
export const StopTakeConfigSchema = z
  .strictObject({
    ...baseFields,
    /** Sell when the last trade is at or below average × (1 − stopLossPct / 100). */
    stopLossPct: z.number().gt(0).lt(100).optional(),
    /** Sell when the last trade is at or above average × (1 + takeProfitPct / 100). */
    takeProfitPct: z.number().gt(0).max(1_000).optional(),
  })
  .refine((c) => c.stopLossPct !== undefined || c.takeProfitPct !== undefined, {
    message: 'set stopLossPct, takeProfitPct or both',
    path: ['stopLossPct'],
  });
/** Config when the rule comes from an injected evaluator (the monitor's configuration): no thresholds here. */
export const StopTakeExternalConfigSchema = z.strictObject(baseFields);

export type StopTakeConfig = z.infer<typeof StopTakeConfigSchema>;
export type StopTakeState = Record<string, never>;
const StateSchema = z.strictObject({}) as unknown as z.ZodType<StopTakeState>;

const TRIGGER_WORD: Record<StopTakeTrigger, string> = { STOP_LOSS: 'stop-loss', TAKE_PROFIT: 'take-profit', TRAILING_STOP: 'trailing stop' };

/**
 * The stop-take strategy, with the built-in percent rule or with `opts.evaluator` (then the config
 * holds no thresholds).
 */
export function createStopTakeStrategy(opts: { evaluator?: ExitEvaluator } = {}): Strategy<StopTakeConfig, StopTakeState> {
  const external = opts.evaluator;
  return {
    name: 'stop-take',
    configSchema: (external === undefined ? StopTakeConfigSchema : StopTakeExternalConfigSchema) as z.ZodType<StopTakeConfig>,
    stateSchema: StateSchema,
    initialState: () => ({}),
    instruments: (config, positions: readonly PositionStatusReport[]): InstrumentId[] =>
      config.instruments !== undefined ? config.instruments.map(instrumentId) : positions.filter((p) => p.quantity > 0).map((p) => p.instrumentId),

    decide(ctx: StrategyContext<StopTakeConfig, StopTakeState>): StrategyDecision[] {
      const { config } = ctx;
      const watch = new Set<string>(config.instruments ?? [...ctx.positions.keys()]);
      const out: StrategyDecision[] = [];
      for (const pos of ctx.positions.values()) {
        if (!watch.has(pos.instrumentId) || pos.quantity <= 0) continue;
        const id = pos.instrumentId;
        const quote = ctx.quotes.get(id);
        if (quote === undefined || !(quote.last > 0)) {
          out.push({ type: 'SKIP', instrumentId: id, code: 'NO_QUOTE', reason: `no quote for ${id}` });
          continue;
        }
        const hit =
          external !== undefined
            ? external.evaluate({ instrumentId: id, averagePrice: pos.averagePrice }, quote.last)
            : percentExitRule(config, pos.averagePrice, quote.last);
        if (hit === undefined) continue;
        const what = `${TRIGGER_WORD[hit.trigger]} of ${id}: last ${fmt(hit.reference)} won crossed ${fmt(Math.round(hit.threshold * 100) / 100)} won (average ${fmt(pos.averagePrice)} won)`;
        const settings = ctx.settings.get(id);
        if (settings === undefined) {
          out.push({ type: 'SKIP', instrumentId: id, code: 'NO_SETTINGS', reason: `${what}; no asset settings for ${id}` });
          continue;
        }
        if (pos.sellableQuantity <= 0) {
          out.push({ type: 'SKIP', instrumentId: id, code: 'NOTHING_SELLABLE', reason: `${what}; 0 of ${pos.quantity} shares sellable (an exit may already be working)` });
          continue;
        }
        const limit = sellLimitPrice(quote, settings.kind, config.ticksThroughBid);
        out.push({
          type: 'ORDER',
          instrumentId: id,
          side: 'SELL',
          quantity: pos.sellableQuantity,
          orderType: settings.orderType,
          ...(settings.orderType === 'LIMIT' ? { limitPrice: limit } : {}),
          kind: 'EXIT',
          reason: `${what}; sell all ${pos.sellableQuantity} sellable at ${settings.orderType === 'LIMIT' ? `${fmt(limit)} won (${config.ticksThroughBid} ticks under the bid)` : 'market'}`,
        });
      }
      return out;
    },
  };
}

/** The stop-take strategy with the built-in percent rule. */
export const stopTakeStrategy = createStopTakeStrategy();
