/**
 * VWAP/ATR bands: a long-only mean-reversion signal on the session's minute bars.
 *
 * Per instrument, from the session's minute bars (oldest first, from the first print of the day):
 * - VWAP = Σ value / Σ volume (`sessionVwap`), ATR = Wilder ATR over `atrPeriod` minute bars
 *   (`minuteAtr`); bands: lower = VWAP − `bandAtr` × ATR, upper = VWAP + `bandAtr` × ATR (won).
 * - State machine (persisted per instrument):
 *   - `IDLE` → `WATCH` signal when the last trade falls below the lower band (enters the outer zone);
 *     the instrument becomes `BELOW`;
 *   - `BELOW` → `ENTER` signal when the last trade is back above the lower band: a BUY of
 *     floor(`budgetKrw` / price) shares (cut to the cash available) at the ask rounded up onto the grid
 *     (+ `limitOffsetTicks`). When the order is placed the instrument is `IN_POSITION` with the entry
 *     price (average fill, else the limit); otherwise it goes back to `IDLE`;
 *   - `IN_POSITION` → `EXIT` signal when the last trade reaches the upper band (target) or falls to the
 *     stop = entry − `stopAtr` × ATR: a SELL of every sellable share at the bid rounded down. Placed →
 *     `IDLE`; not placed → stays `IN_POSITION` and the exit is decided again on the next run.
 * - A new session date resets `BELOW` to `IDLE` (VWAP restarts each day); `IN_POSITION` survives the
 *   night only while shares are held.
 * Every signal carries its numbers (`vwap`, `atr`, `lower`, `upper`, `stop`, `bars`) and is stored by
 * the runner through its state port. Until `atrPeriod` bars exist nothing is signalled
 * (`INDICATORS_NOT_READY`).
 */
import { z } from 'zod';
import { minuteAtr, sessionVwap, type MinuteBar } from '../../../data/bars.ts';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { quantity } from '../../../model/money.ts';
import { buyCost, buyLimitPrice, fmt, maxAffordable, sellLimitPrice, worstCasePrice } from '../../pricing.ts';
import { isPlaced, type Strategy, type StrategyContext, type StrategyDecision } from '../../strategy.ts';

const CODE_RE = /^[0-9A-Z]{6}$/;

/** Band strategy configuration. */
export const VwapAtrBandsConfigSchema = z
  .strictObject({
    /** Instruments to trade and the won budget of one entry (> 0). */
    instruments: z
      .array(z.strictObject({ code: z.string().regex(CODE_RE, 'expected a 6-character instrument code'), budgetKrw: z.number().int().positive() }))
      .min(1),
    /** ATR period in minute bars. */
    atrPeriod: z.number().int().min(1).max(390).default(14),
    /** Band half-width in ATRs (k in VWAP ± k × ATR). */
    bandAtr: z.number().gt(0).max(20).default(2),
    /** Stop distance below the entry price in ATRs. */
    stopAtr: z.number().gt(0).max(20).default(1.5),
    /** Ticks through the touch for limit prices. */
    limitOffsetTicks: z.number().int().min(0).max(20).default(0),
  })
  .refine((c) => new Set(c.instruments.map((i) => i.code)).size === c.instruments.length, {
    message: 'each instrument may appear once',
    path: ['instruments'],
  });
export type VwapAtrBandsConfig = z.infer<typeof VwapAtrBandsConfigSchema>;

export const BAND_PHASES = ['IDLE', 'BELOW', 'IN_POSITION'] as const;
export type BandPhase = (typeof BAND_PHASES)[number];

const InstrumentStateSchema = z.strictObject({
  phase: z.enum(BAND_PHASES),
  /** Entry price (won) while IN_POSITION. */
  entryPrice: z.number().positive().optional(),
  /** When the phase was entered (epoch ms). */
  since: z.number().int(),
});

/** Band strategy state: the session it belongs to and the phase of each instrument. */
export const VwapAtrBandsStateSchema = z.strictObject({
  sessionDate: z.string(),
  instruments: z.record(z.string(), InstrumentStateSchema),
});
export type VwapAtrBandsState = z.infer<typeof VwapAtrBandsStateSchema>;
export type BandInstrumentState = z.infer<typeof InstrumentStateSchema>;

type Ctx = StrategyContext<VwapAtrBandsConfig, VwapAtrBandsState>;

/** The band levels of an instrument now (won), or undefined until the indicators are ready. */
export interface BandLevels {
  readonly vwap: number;
  readonly atr: number;
  readonly lower: number;
  readonly upper: number;
  readonly bars: number;
}

/** VWAP, ATR and the bands from the session's minute bars; undefined with fewer than `atrPeriod` bars. */
export function bandLevels(
  bars: readonly Pick<MinuteBar, 'high' | 'low' | 'close' | 'volume' | 'value'>[],
  config: Pick<VwapAtrBandsConfig, 'atrPeriod' | 'bandAtr'>): BandLevels | undefined {
  const vwap = sessionVwap(bars);
  const atr = minuteAtr(bars, config.atrPeriod);
  if (vwap === undefined || atr === undefined) return undefined;
  return { vwap, atr, lower: vwap - config.bandAtr * atr, upper: vwap + config.bandAtr * atr, bars: bars.length };
}

/** The instrument's state as of this run: a new session resets BELOW, and IN_POSITION without shares. */
function stateOf(ctx: Ctx, id: InstrumentId): BandInstrumentState {
  const s = ctx.state.instruments[id];
  if (s === undefined) return { phase: 'IDLE', since: ctx.now };
  if (ctx.state.sessionDate === ctx.sessionDate) return s;
  if (s.phase === 'IN_POSITION' && (ctx.positions.get(id)?.quantity ?? 0) > 0) return s;
  return { phase: 'IDLE', since: ctx.now };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The VWAP/ATR band strategy; see the module comment. */
export const vwapAtrBandsStrategy: Strategy<VwapAtrBandsConfig, VwapAtrBandsState> = {
  name: 'vwap-atr-bands',
  configSchema: VwapAtrBandsConfigSchema,
  stateSchema: VwapAtrBandsStateSchema,
  needsMinuteBars: true,
  needsIndicators: true,
  initialState: () => ({ sessionDate: '', instruments: {} }),
  instruments: (config): InstrumentId[] => config.instruments.map((i) => instrumentId(i.code)),

  decide(ctx: Ctx): StrategyDecision[] {
    const { config } = ctx;
    const out: StrategyDecision[] = [];
    let cash: number = ctx.cash.available;
    for (const item of config.instruments) {
      const id = instrumentId(item.code);
      const st = stateOf(ctx, id);
      const bars = ctx.minuteBars.get(id) ?? [];
      const levels = bandLevels(bars, config);
      if (levels === undefined) {
        out.push({ type: 'SKIP', instrumentId: id, code: 'INDICATORS_NOT_READY', reason: `${id}: ${bars.length} minute bars, ATR(${config.atrPeriod}) needs ${config.atrPeriod}` });
        continue;
      }
      const quote = ctx.quotes.get(id);
      const settings = ctx.settings.get(id);
      if (quote === undefined || !(quote.last > 0)) {
        out.push({ type: 'SKIP', instrumentId: id, code: 'NO_QUOTE', reason: `no quote for ${id}` });
        continue;
      }
      const price = quote.last;
      const values = { vwap: round2(levels.vwap), atr: round2(levels.atr), lower: round2(levels.lower), upper: round2(levels.upper), bars: levels.bars };
      const bandText = `VWAP ${fmt(values.vwap)} ± ${config.bandAtr} × ATR(${config.atrPeriod}) ${fmt(values.atr)} = [${fmt(values.lower)}, ${fmt(values.upper)}] won`;

      if (st.phase === 'IDLE') {
        if (price < levels.lower) {
          out.push({ type: 'SIGNAL', instrumentId: id, signal: 'WATCH', price, values, reason: `${id} last ${fmt(price)} won is below the lower band: ${bandText}` });
        }
        continue;
      }

      if (st.phase === 'BELOW') {
        if (!(price > levels.lower)) continue;
        out.push({ type: 'SIGNAL', instrumentId: id, signal: 'ENTER', price, values, reason: `${id} last ${fmt(price)} won crossed back above the lower band: ${bandText}` });
        if (settings === undefined) {
          out.push({ type: 'SKIP', instrumentId: id, code: 'NO_SETTINGS', reason: `no asset settings for ${id}` });
          continue;
        }
        const limit = buyLimitPrice(quote, settings.kind, config.limitOffsetTicks);
        const px = worstCasePrice('BUY', settings.orderType, limit, quote, settings.kind);
        const byBudget = Math.floor(item.budgetKrw / limit);
        const qty = Math.min(byBudget, maxAffordable(cash, px, ctx.costs));
        if (qty <= 0) {
          out.push({
            type: 'SKIP',
            instrumentId: id,
            code: byBudget === 0 ? 'QUANTITY_ZERO' : 'INSUFFICIENT_CASH',
            reason: byBudget === 0 ? `budget ${fmt(item.budgetKrw)} won buys no whole share of ${id} at ${fmt(limit)} won` : `entry of ${id}: ${fmt(cash)} won available buys no share at ${fmt(px)} won`,
          });
          continue;
        }
        cash -= buyCost(px, qty, ctx.costs);
        out.push({
          type: 'ORDER',
          instrumentId: id,
          side: 'BUY',
          quantity: quantity(qty),
          orderType: settings.orderType,
          ...(settings.orderType === 'LIMIT' ? { limitPrice: limit } : {}),
          kind: 'ENTRY',
          reason: `band entry of ${id}: last ${fmt(price)} won back above the lower band ${fmt(values.lower)} won; budget ${fmt(item.budgetKrw)} won → ${qty} shares at ${settings.orderType === 'LIMIT' ? `${fmt(limit)} won` : 'market'}`,
        });
        continue;
      }

      // IN_POSITION
      const entry = st.entryPrice ?? price;
      const stop = entry - config.stopAtr * levels.atr;
      const hitTarget = price >= levels.upper;
      const hitStop = price <= stop;
      if (!hitTarget && !hitStop) continue;
      const why = hitTarget
        ? `reached the upper band ${fmt(values.upper)} won`
        : `fell to the stop ${fmt(round2(stop))} won (entry ${fmt(entry)} − ${config.stopAtr} × ATR ${fmt(values.atr)})`;
      out.push({ type: 'SIGNAL', instrumentId: id, signal: 'EXIT', price, values: { ...values, stop: round2(stop), entry }, reason: `${id} last ${fmt(price)} won ${why}: ${bandText}` });
      const pos = ctx.positions.get(id);
      const sellable = pos?.sellableQuantity ?? 0;
      if (settings === undefined || sellable <= 0) {
        out.push({
          type: 'SKIP',
          instrumentId: id,
          code: settings === undefined ? 'NO_SETTINGS' : 'NOTHING_SELLABLE',
          reason: settings === undefined ? `no asset settings for ${id}` : `band exit of ${id}: no sellable shares (held ${pos?.quantity ?? 0}; the entry may not be filled yet)`,
        });
        continue;
      }
      const limit = sellLimitPrice(quote, settings.kind, config.limitOffsetTicks);
      out.push({
        type: 'ORDER',
        instrumentId: id,
        side: 'SELL',
        quantity: quantity(sellable),
        orderType: settings.orderType,
        ...(settings.orderType === 'LIMIT' ? { limitPrice: limit } : {}),
        kind: 'EXIT',
        reason: `band exit of ${id}: last ${fmt(price)} won ${why}; sell all ${sellable} sellable at ${settings.orderType === 'LIMIT' ? `${fmt(limit)} won` : 'market'}`,
      });
    }
    return out;
  },

  nextState(ctx, decisions, results): VwapAtrBandsState {
    const instruments: Record<string, BandInstrumentState> = {};
    for (const item of ctx.config.instruments) {
      const id = instrumentId(item.code);
      let st = stateOf(ctx, id);
      for (const d of decisions) {
        if (d.type !== 'SIGNAL' || d.instrumentId !== id) continue;
        if (d.signal === 'WATCH') st = { phase: 'BELOW', since: ctx.now };
        else if (d.signal === 'ENTER') {
          const r = results.find((x) => x.decision.instrumentId === id && x.decision.side === 'BUY');
          if (r !== undefined && isPlaced(r.outcome)) {
            const entryPrice = r.averageFillPrice ?? r.decision.limitPrice ?? d.price;
            st = { phase: 'IN_POSITION', entryPrice, since: ctx.now };
          } else st = { phase: 'IDLE', since: ctx.now };
        } else {
          const r = results.find((x) => x.decision.instrumentId === id && x.decision.side === 'SELL');
          if (r !== undefined && isPlaced(r.outcome)) st = { phase: 'IDLE', since: ctx.now };
        }
      }
      instruments[id] = st;
    }
    return { sessionDate: ctx.sessionDate, instruments };
  },
};
