/**
 * DCA (dollar-cost averaging, 적립식 매수): buy a fixed won amount of each configured instrument once
 * per period.
 *
 * - Period key from `now` in KST: `DAY` → the date (`2026-01-05`), `WEEK` → the ISO week
 *   (`2026-W02`, weeks start on Monday), `MONTH` → `2026-01`. An instrument is bought at most once per
 *   key: the key is stored in the state when the order was placed (or its outcome is unknown), so a
 *   second run in the same period skips it (`ALREADY_DONE_THIS_PERIOD`). A skipped, denied or rejected
 *   order leaves the period open for a later run.
 * - Price: LIMIT at the best ask (the last trade without one) rounded UP onto the tick grid plus
 *   `limitOffsetTicks`, clamped to the upper limit. Quantity = floor(amountKrw / price), whole shares.
 *   MARKET (when the asset is configured so): the same quantity, cash checked at the upper limit.
 * - Skipped with a reason when the quantity is 0 (`QUANTITY_ZERO`) or the cash left (after the earlier
 *   instruments of this run) is below value + commission (`INSUFFICIENT_CASH`).
 */
import { z } from 'zod';
import { kstParts } from '../../../core/kst.ts';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { quantity } from '../../../model/money.ts';
import { buyCost, buyLimitPrice, fmt, worstCasePrice } from '../../pricing.ts';
import { isPlaced, type Strategy, type StrategyContext, type StrategyDecision } from '../../strategy.ts';

const CODE_RE = /^[0-9A-Z]{6}$/;

export const DCA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;
export type DcaPeriod = (typeof DCA_PERIODS)[number];

/** DCA configuration. */
export const DcaConfigSchema = z
  .strictObject({
    /** How often each instrument is bought. */
    period: z.enum(DCA_PERIODS).default('WEEK'),
    /** What to buy: a 6-character code and the won amount per period (> 0). */
    instruments: z
      .array(z.strictObject({ code: z.string().regex(CODE_RE, 'expected a 6-character instrument code'), amountKrw: z.number().int().positive() }))
      .min(1),
    /** Ticks above the rounded best ask for the limit price (0 = at the ask). */
    limitOffsetTicks: z.number().int().min(0).max(20).default(0),
  })
  .refine((c) => new Set(c.instruments.map((i) => i.code)).size === c.instruments.length, {
    message: 'each instrument may appear once',
    path: ['instruments'],
  });
export type DcaConfig = z.infer<typeof DcaConfigSchema>;

/** DCA state: the last period key bought, per instrument code. */
export const DcaStateSchema = z.strictObject({ lastPeriod: z.record(z.string(), z.string()) });
export type DcaState = z.infer<typeof DcaStateSchema>;

/**
 * The period key of instant `now` (epoch ms) in KST: `YYYY-MM-DD`, ISO week `YYYY-Www`, or `YYYY-MM`.
 */
export function periodKey(period: DcaPeriod, now: number): string {
  const p = kstParts(now);
  if (period === 'DAY') return p.date;
  if (period === 'MONTH') return p.date.slice(0, 7);
  // ISO 8601 week: the week (Mon–Sun) holding the year's first Thursday is week 1.
  const [y, m, d] = p.date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const isoWeekday = p.weekday === 0 ? 7 : p.weekday;
  day.setUTCDate(day.getUTCDate() + 4 - isoWeekday); // the Thursday of this week
  const isoYear = day.getUTCFullYear();
  const week = Math.floor((day.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000 / 7) + 1;
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

const PERIOD_WORD: Record<DcaPeriod, string> = { DAY: 'daily', WEEK: 'weekly', MONTH: 'monthly' };

/** The DCA strategy. Stateless apart from the period keys; see the module comment. */
export const dcaStrategy: Strategy<DcaConfig, DcaState> = {
  name: 'dca',
  configSchema: DcaConfigSchema,
  stateSchema: DcaStateSchema,
  initialState: () => ({ lastPeriod: {} }),
  instruments: (config): InstrumentId[] => config.instruments.map((i) => instrumentId(i.code)),

  decide(ctx: StrategyContext<DcaConfig, DcaState>): StrategyDecision[] {
    const { config, state } = ctx;
    const key = periodKey(config.period, ctx.now);
    const word = PERIOD_WORD[config.period];
    const out: StrategyDecision[] = [];
    let cash: number = ctx.cash.available;
    for (const item of config.instruments) {
      const id = instrumentId(item.code);
      if (state.lastPeriod[id] === key) {
        out.push({ type: 'SKIP', instrumentId: id, code: 'ALREADY_DONE_THIS_PERIOD', reason: `${word} DCA of ${id} already placed for period ${key}` });
        continue;
      }
      const settings = ctx.settings.get(id);
      if (settings === undefined) {
        out.push({ type: 'SKIP', instrumentId: id, code: 'NO_SETTINGS', reason: `no asset settings for ${id}` });
        continue;
      }
      const quote = ctx.quotes.get(id);
      if (quote === undefined || !(quote.last > 0)) {
        out.push({ type: 'SKIP', instrumentId: id, code: 'NO_QUOTE', reason: `no quote for ${id}` });
        continue;
      }
      const refPrice = buyLimitPrice(quote, settings.kind, config.limitOffsetTicks);
      const qty = Math.floor(item.amountKrw / refPrice);
      if (qty === 0) {
        out.push({
          type: 'SKIP',
          instrumentId: id,
          code: 'QUANTITY_ZERO',
          reason: `${word} DCA ${fmt(item.amountKrw)} won buys no whole share of ${id} at ${fmt(refPrice)} won`,
        });
        continue;
      }
      const checkPrice = worstCasePrice('BUY', settings.orderType, refPrice, quote, settings.kind);
      const cost = buyCost(checkPrice, qty, ctx.costs);
      if (cost > cash) {
        out.push({
          type: 'SKIP',
          instrumentId: id,
          code: 'INSUFFICIENT_CASH',
          reason: `${word} DCA of ${id}: ${qty} × ${fmt(checkPrice)} won + commission = ${fmt(cost)} won, but only ${fmt(cash)} won is available`,
        });
        continue;
      }
      cash -= cost;
      const limit = settings.orderType === 'LIMIT';
      out.push({
        type: 'ORDER',
        instrumentId: id,
        side: 'BUY',
        quantity: quantity(qty),
        orderType: settings.orderType,
        ...(limit ? { limitPrice: refPrice } : {}),
        kind: 'DCA',
        reason:
          `${word} DCA ${fmt(item.amountKrw)} won for period ${key}: floor(${fmt(item.amountKrw)} / ${fmt(refPrice)}) = ${qty} shares` +
          `${limit ? ` at ${fmt(refPrice)} won` : ' at market (cash checked at the upper limit)'}, ${fmt(cost)} won with commission`,
      });
    }
    return out;
  },

  nextState(ctx, decisions, results): DcaState {
    const key = periodKey(ctx.config.period, ctx.now);
    const lastPeriod = { ...ctx.state.lastPeriod };
    for (const r of results) if (isPlaced(r.outcome)) lastPeriod[r.decision.instrumentId] = key;
    return { lastPeriod };
  },
};
