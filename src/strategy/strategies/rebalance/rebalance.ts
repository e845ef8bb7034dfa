/**
 * Target-weight rebalancing (목표 비중 리밸런싱) with a tolerance band.
 *
 * Weights are in basis points of the portfolio value V = available cash + Σ (shares held × last price)
 * over the target instruments (holdings outside the targets are not part of this portfolio and are
 * never traded by it). Target weights plus `cashWeightBps` must sum to 10,000.
 *
 * 1. Current weight of each target = shares × last × 10,000 / V. When no target is more than
 *    `bandBps` away from its weight (|current − target| ≤ band), nothing is traded (`WITHIN_BAND`).
 * 2. Otherwise every target (`scope: 'ALL'`, the default) or only the breached ones (`'BREACHED'`) is
 *    brought back to its target quantity floor(V × weight / 10,000 / last), in whole shares.
 * 3. Sells first: shares above target, never more than the sellable quantity, at the best bid (rounded
 *    down onto the grid, minus `limitOffsetTicks`). A sell worth less than `minTradeKrw` is skipped.
 * 4. Then buys, largest shortfall (in won) first, sized with the cash after the sells, net of
 *    commission and tax: budget = available cash + Σ sell proceeds net − cash reserve, where the reserve
 *    is max(`cashReserve.krw`, ceil(V × `cashReserve.bps` / 10,000)). Each buy is cut to what the
 *    budget affords (value + commission) and skipped under `minTradeKrw`. The runner funds buys only
 *    with cash it has (sells count once their fills are confirmed), so an unfilled sell cannot overdraw.
 */
import { z } from 'zod';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { quantity } from '../../../model/money.ts';
import { buyCost, buyLimitPrice, fmt, fmtBps, maxAffordable, sellLimitPrice, sellProceeds, worstCasePrice } from '../../pricing.ts';
import type { Strategy, StrategyContext, StrategyDecision } from '../../strategy.ts';

const CODE_RE = /^[0-9A-Z]{6}$/;
const BPS = z.number().int().min(0).max(10_000);

/** Rebalancing configuration. */
export const RebalanceConfigSchema = z
  .strictObject({
    /** Target weight of each instrument, in bps of the portfolio value. */
    targets: z.array(z.strictObject({ code: z.string().regex(CODE_RE, 'expected a 6-character instrument code'), weightBps: BPS })).min(1),
    /** Target weight of cash, in bps. Targets + cash = 10,000. */
    cashWeightBps: BPS.default(0),
    /** Tolerance band around each target weight (bps, ±). Default ±500 bps = ±5 %p. */
    bandBps: z.number().int().min(1).max(10_000).default(500),
    /** Smallest trade value (won) worth placing. */
    minTradeKrw: z.number().int().min(0).default(100_000),
    /**
     * Largest trade value (won) per instrument and run (e.g. the risk engine's MAX_ORDER_VALUE_KRW): a
     * bigger rebalance is sliced over the following runs. Absent: no cap.
     */
    maxTradeKrw: z.number().int().min(1).optional(),
    /** Cash never spent by buys: the larger of a won amount and a share of the portfolio (bps). */
    cashReserve: z.strictObject({ krw: z.number().int().min(0).default(0), bps: BPS.default(0) }).default({ krw: 0, bps: 0 }),
    /** Which targets are traded once the band is breached. */
    scope: z.enum(['ALL', 'BREACHED']).default('ALL'),
    /** Ticks through the touch for limit prices (buys above the ask, sells below the bid). */
    limitOffsetTicks: z.number().int().min(0).max(20).default(0),
  })
  .refine((c) => c.targets.reduce((s, t) => s + t.weightBps, 0) + c.cashWeightBps === 10_000, {
    message: 'target weights plus cashWeightBps must sum to 10,000 bps',
    path: ['targets'],
  })
  .refine((c) => new Set(c.targets.map((t) => t.code)).size === c.targets.length, { message: 'each instrument may appear once', path: ['targets'] });
export type RebalanceConfig = z.infer<typeof RebalanceConfigSchema>;

/** Rebalancing keeps no state between runs. */
export const RebalanceStateSchema = z.strictObject({});
export type RebalanceState = z.infer<typeof RebalanceStateSchema>;

interface Row {
  readonly id: InstrumentId;
  readonly targetBps: number;
  readonly last: number;
  readonly held: number;
  readonly sellable: number;
  readonly weightBps: number;
  readonly breached: boolean;
  readonly targetQty: number;
}

/** The rebalancing strategy; see the module comment. */
export const rebalanceStrategy: Strategy<RebalanceConfig, RebalanceState> = {
  name: 'rebalance',
  configSchema: RebalanceConfigSchema,
  stateSchema: RebalanceStateSchema,
  initialState: () => ({}),
  instruments: (config): InstrumentId[] => config.targets.map((t) => instrumentId(t.code)),

  decide(ctx: StrategyContext<RebalanceConfig, RebalanceState>): StrategyDecision[] {
    const { config } = ctx;
    const out: StrategyDecision[] = [];
    const ids = config.targets.map((t) => instrumentId(t.code));
    for (const id of ids) {
      const q = ctx.quotes.get(id);
      if (q === undefined || !(q.last > 0)) return [{ type: 'SKIP', instrumentId: id, code: 'NO_QUOTE', reason: `rebalance needs a price for every target; none for ${id}` }];
      if (!ctx.settings.has(id)) return [{ type: 'SKIP', instrumentId: id, code: 'NO_SETTINGS', reason: `rebalance needs the settings of every target; none for ${id}` }];
    }
    const cash: number = ctx.cash.available;
    let invested = 0;
    for (const id of ids) invested += (ctx.positions.get(id)?.quantity ?? 0) * (ctx.quotes.get(id)?.last ?? 0);
    const total = cash + invested;
    if (!(total > 0)) return [{ type: 'SKIP', code: 'EMPTY_PORTFOLIO', reason: 'portfolio value is 0 won: nothing to rebalance' }];

    const rows: Row[] = config.targets.map((t, i) => {
      const id = ids[i] as InstrumentId;
      const last = (ctx.quotes.get(id)?.last ?? 0);
      const pos = ctx.positions.get(id);
      const held = pos?.quantity ?? 0;
      const weightBps = (held * last * 10_000) / total;
      return {
        id,
        targetBps: t.weightBps,
        last,
        held,
        sellable: pos?.sellableQuantity ?? 0,
        weightBps,
        breached: Math.abs(weightBps - t.weightBps) > config.bandBps,
        targetQty: Math.floor(Math.floor((total * t.weightBps) / 10_000) / last),
      };
    });
    const summary = rows.map((r) => `${r.id} ${fmtBps(r.weightBps)} (target ${fmtBps(r.targetBps)})`).join(', ');
    if (!rows.some((r) => r.breached)) {
      return [{ type: 'SKIP', code: 'WITHIN_BAND', reason: `every weight is within ±${fmtBps(config.bandBps)} of its target: ${summary}; portfolio ${fmt(total)} won` }];
    }
    const traded = rows.filter((r) => config.scope === 'ALL' || r.breached);
    const reserve = Math.max(config.cashReserve.krw, Math.ceil((total * config.cashReserve.bps) / 10_000));
    const head = `portfolio ${fmt(total)} won (cash ${fmt(cash)} won)`;

    // Sells first.
    let proceeds = 0;
    for (const r of traded) {
      if (r.held <= r.targetQty) continue;
      const want = r.held - r.targetQty;
      const settings = ctx.settings.get(r.id);
      const quote = ctx.quotes.get(r.id);
      if (settings === undefined || quote === undefined) continue;
      const slice = config.maxTradeKrw === undefined ? want : Math.floor(config.maxTradeKrw / Math.max(1, worstCasePrice('SELL', settings.orderType, sellLimitPrice(quote, settings.kind, config.limitOffsetTicks), quote, settings.kind)));
      const qty = Math.min(want, r.sellable, slice);
      if (qty <= 0) {
        out.push({ type: 'SKIP', instrumentId: r.id, code: 'NOTHING_SELLABLE', reason: `rebalance would sell ${want} ${r.id} but 0 shares are sellable` });
        continue;
      }
      const limit = sellLimitPrice(quote, settings.kind, config.limitOffsetTicks);
      const px = worstCasePrice('SELL', settings.orderType, limit, quote, settings.kind);
      const value = px * qty;
      if (value < config.minTradeKrw) {
        out.push({ type: 'SKIP', instrumentId: r.id, code: 'BELOW_MIN_TRADE', reason: `rebalance sell of ${qty} ${r.id} is ${fmt(value)} won, under the minimum trade ${fmt(config.minTradeKrw)} won` });
        continue;
      }
      proceeds += sellProceeds(px, qty, ctx.costs);
      const capped = qty < want ? (qty === slice && slice < r.sellable ? ` (a slice of ${want}: at most ${fmt(config.maxTradeKrw ?? 0)} won per trade)` : ` (capped at the ${r.sellable} sellable of ${want} wanted)`) : '';
      out.push({
        type: 'ORDER',
        instrumentId: r.id,
        side: 'SELL',
        quantity: quantity(qty),
        orderType: settings.orderType,
        ...(settings.orderType === 'LIMIT' ? { limitPrice: limit } : {}),
        kind: 'REBALANCE',
        reason:
          `${head}: ${r.id} weight ${fmtBps(r.weightBps)} vs target ${fmtBps(r.targetBps)} (band ±${fmtBps(config.bandBps)}); ` +
          `hold ${r.held}, target ${r.targetQty} shares at ${fmt(r.last)} won: sell ${qty}${capped} at ${settings.orderType === 'LIMIT' ? `${fmt(limit)} won` : 'market'}`,
      });
    }

    // Then buys, with the cash after the sells net of fees and tax, keeping the reserve.
    let budget = cash + proceeds - reserve;
    const buys = traded
      .filter((r) => r.targetQty > r.held)
      .sort((a, b) => (b.targetQty - b.held) * b.last - (a.targetQty - a.held) * a.last || (a.id < b.id ? -1 : 1));
    for (const r of buys) {
      const settings = ctx.settings.get(r.id);
      const quote = ctx.quotes.get(r.id);
      if (settings === undefined || quote === undefined) continue;
      const want = r.targetQty - r.held;
      const limit = buyLimitPrice(quote, settings.kind, config.limitOffsetTicks);
      const px = worstCasePrice('BUY', settings.orderType, limit, quote, settings.kind);
      const slice = config.maxTradeKrw === undefined ? want : Math.floor(config.maxTradeKrw / px);
      const qty = Math.min(want, slice, maxAffordable(budget, px, ctx.costs));
      if (qty <= 0 || px * qty < config.minTradeKrw) {
        out.push({
          type: 'SKIP',
          instrumentId: r.id,
          code: qty <= 0 ? 'INSUFFICIENT_CASH' : 'BELOW_MIN_TRADE',
          reason:
            qty <= 0
              ? `rebalance buy of ${want} ${r.id} at ${fmt(px)} won: budget ${fmt(Math.max(0, budget))} won after sells and the ${fmt(reserve)} won reserve buys none`
              : `rebalance buy of ${qty} ${r.id} is ${fmt(px * qty)} won, under the minimum trade ${fmt(config.minTradeKrw)} won`,
        });
        continue;
      }
      const cost = buyCost(px, qty, ctx.costs);
      const before = budget;
      budget -= cost;
      const cut = qty < want ? (qty === slice ? ` (a slice of ${want}: at most ${fmt(config.maxTradeKrw ?? 0)} won per trade)` : ` (cut from ${want} to what the budget affords)`) : '';
      out.push({
        type: 'ORDER',
        instrumentId: r.id,
        side: 'BUY',
        quantity: quantity(qty),
        orderType: settings.orderType,
        ...(settings.orderType === 'LIMIT' ? { limitPrice: limit } : {}),
        kind: 'REBALANCE',
        reason:
          `${head}: ${r.id} weight ${fmtBps(r.weightBps)} vs target ${fmtBps(r.targetBps)} (band ±${fmtBps(config.bandBps)}); ` +
          `hold ${r.held}, target ${r.targetQty} shares: buy ${qty}${cut} at ${settings.orderType === 'LIMIT' ? `${fmt(limit)} won` : 'market'} ` +
          `for ${fmt(cost)} won incl. commission ${fmt(cost - px * qty)} won; ` +
          `budget ${fmt(before)} → ${fmt(budget)} won (cash ${fmt(cash)} + net sells ${fmt(proceeds)} − reserve ${fmt(reserve)})`,
      });
    }
    return out;
  },
};
