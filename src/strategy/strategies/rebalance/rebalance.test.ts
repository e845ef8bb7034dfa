import { describe, expect, it } from 'vitest';
import { kstInstant } from '../../../core/kst.ts';
import { tradeCosts } from '../../../model/fees.ts';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { krw } from '../../../model/money.ts';
import { loadDailyBars } from '../../../sim/replay/daily-bars.ts';
import { SHIPPED_2026 } from '../../../sim/replay/test-support.ts';
import type { OrderDecision, StrategyDecision } from '../../strategy.ts';
import { contextOf, positionOf, quoteAt, settingsFor, TEST_COSTS } from '../../test-support.ts';
import { RebalanceConfigSchema, rebalanceStrategy, type RebalanceConfig, type RebalanceState } from './rebalance.ts';

const SAMSUNG = instrumentId('005930');
const HYNIX = instrumentId('000660');
const KIA = instrumentId('000270');
const IDS = [SAMSUNG, HYNIX, KIA];

const orders = (ds: readonly StrategyDecision[]): OrderDecision[] => ds.filter((d): d is OrderDecision => d.type === 'ORDER');
const skips = (ds: readonly StrategyDecision[]) => ds.filter((d) => d.type === 'SKIP');

const set = loadDailyBars(SHIPPED_2026, { codes: IDS });

/** Real closes of 2026-02-20: 005930 190,100; 000660 949,000; 000270 171,800. */
function closesOn(date: string): Map<InstrumentId, number> {
  return new Map(IDS.map((id) => [id, set.bar(date, id)!.close]));
}

function ctxAt(date: string, config: RebalanceConfig, cash: number, held: Record<string, number>, sellable: Record<string, number> = held) {
  const closes = closesOn(date);
  return contextOf<RebalanceConfig, RebalanceState>({
    now: kstInstant(date, '14:00'),
    config,
    state: {},
    cash,
    quotes: IDS.map((id) => quoteAt(id, closes.get(id)!, { base: set.bar(date, id)!.prevClose })),
    positions: IDS.filter((id) => (held[id] ?? 0) > 0).map((id) => positionOf(id, held[id]!, closes.get(id)!, closes.get(id)!, sellable[id] ?? 0)),
    settings: IDS.map((id) => settingsFor(id)),
  });
}

const TARGETS = [
  { code: '005930', weightBps: 4_000 },
  { code: '000660', weightBps: 3_000 },
  { code: '000270', weightBps: 2_000 },
];

describe('rebalance of a 3-asset portfolio at the real closes of 2026-02-20', () => {
  // Holdings worth 57,030,000 + 18,980,000 + 17,180,000 won, cash 6,810,000: V = 100,000,000 won.
  // Weights 57.03 % / 18.98 % / 17.18 % / cash 6.81 % vs targets 40 / 30 / 20 / 10.
  const held = { '005930': 300, '000660': 20, '000270': 100 };
  const cash = 6_810_000;

  it('sells the overweight first, then buys with the cash after the sells net of fees and tax, keeping the reserve', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, cashReserve: { krw: 2_000_000 } });
    const ds = rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held));
    const o = orders(ds);
    expect(o.map((d) => [d.side, d.instrumentId, d.quantity, d.limitPrice])).toEqual([
      // 005930 target floor(40,000,000 / 190,100) = 210: sell 90.
      ['SELL', SAMSUNG, 90, 190_100],
      // Largest shortfall first: 000660 target floor(30,000,000 / 949,000) = 31 (+11, 10,439,000 won),
      // then 000270 target floor(20,000,000 / 171,800) = 116 (+16, 2,748,800 won; within band but scope ALL).
      ['BUY', HYNIX, 11, 949_000],
      ['BUY', KIA, 16, 171_800],
    ]);
    expect(o.every((d) => d.kind === 'REBALANCE' && d.orderType === 'LIMIT' && Number.isSafeInteger(d.quantity) && d.quantity > 0)).toBe(true);
    // Cash after: 6,810,000 + (17,109,000 − 2,566 − 34,218) − (10,439,000 + 1,565) − (2,748,800 + 412) = 10,692,439 ≥ 2,000,000.
    expect(cashAfter(cash, o)).toBe(10_692_439);
    expect(o[1]?.reason).toContain('budget 21,882,216 → 11,441,651 won (cash 6,810,000 + net sells 17,072,216 − reserve 2,000,000)');
  });

  it('maxTradeKrw slices each trade to at most that value; the rest is left to the next runs', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, cashReserve: { krw: 2_000_000 }, maxTradeKrw: 5_000_000 });
    const o = orders(rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held)));
    // 005930: floor(5,000,000 / 190,100) = 26 of the 90 to sell; 000660: floor(5,000,000 / 949,000) = 5 of 11;
    // 000270: 16 × 171,800 = 2,748,800 is under the cap: all of it.
    expect(o.map((d) => [d.side, d.instrumentId, d.quantity])).toEqual([
      ['SELL', SAMSUNG, 26],
      ['BUY', HYNIX, 5],
      ['BUY', KIA, 16],
    ]);
    expect(o.every((d) => d.quantity * (d.limitPrice ?? 0) <= 5_000_000)).toBe(true);
    expect(o[0]?.reason).toContain('a slice of 90: at most 5,000,000 won per trade');
  });

  it('a large cash reserve cuts the buys to what the budget affords', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, cashReserve: { krw: 15_000_000 } });
    const o = orders(rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held)));
    // Budget 6,810,000 + 17,072,216 − 15,000,000 = 8,882,216: 9 × 949,000 + 1,281 = 8,542,281; 339,935 left buys 1 × 171,800.
    expect(o.map((d) => [d.side, d.instrumentId, d.quantity])).toEqual([
      ['SELL', SAMSUNG, 90],
      ['BUY', HYNIX, 9],
      ['BUY', KIA, 1],
    ]);
    expect(cashAfter(cash, o)).toBe(15_168_110);
    expect(cashAfter(cash, o)).toBeGreaterThanOrEqual(15_000_000);
    // The reserve in bps of V: 1,500 bps of 100,000,000 = 15,000,000, same result.
    const byBps = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, cashReserve: { bps: 1_500 } });
    expect(orders(rebalanceStrategy.decide(ctxAt('2026-02-20', byBps, cash, held)))).toEqual(o);
  });

  it('scope BREACHED trades only the assets outside the band', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, scope: 'BREACHED' });
    const o = orders(rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held)));
    expect(o.map((d) => [d.side, d.instrumentId, d.quantity])).toEqual([
      ['SELL', SAMSUNG, 90],
      ['BUY', HYNIX, 11],
    ]);
  });

  it('never sells more than the sellable quantity', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000 });
    const o = orders(rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held, { '005930': 50, '000660': 20, '000270': 100 })));
    expect(o[0]).toMatchObject({ side: 'SELL', instrumentId: SAMSUNG, quantity: 50 });
    expect(o[0]?.reason).toContain('capped at the 50 sellable of 90 wanted');
  });

  it('inside the band nothing is traded', () => {
    // 40 / 30 / 20 / 10 ± less than 5 %p: 005930 207 (39.35 %), 000660 33 (31.32 %), 000270 120 (20.62 %).
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000 });
    const ds = rebalanceStrategy.decide(ctxAt('2026-02-20', config, 8_000_000, { '005930': 207, '000660': 33, '000270': 120 }));
    expect(orders(ds)).toEqual([]);
    expect(ds[0]).toMatchObject({ type: 'SKIP', code: 'WITHIN_BAND' });
  });

  it('skips trades under the minimum trade size', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, minTradeKrw: 3_000_000 });
    const ds = rebalanceStrategy.decide(ctxAt('2026-02-20', config, cash, held));
    expect(orders(ds).map((d) => d.instrumentId)).toEqual([SAMSUNG, HYNIX]);
    expect(skips(ds)).toEqual([expect.objectContaining({ instrumentId: KIA, code: 'BELOW_MIN_TRADE' })]);
  });

  it('needs a quote for every target', () => {
    const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000 });
    const ctx = ctxAt('2026-02-20', config, cash, held);
    const quotes = new Map(ctx.quotes);
    quotes.delete(KIA);
    expect(rebalanceStrategy.decide({ ...ctx, quotes })).toEqual([expect.objectContaining({ type: 'SKIP', code: 'NO_QUOTE', instrumentId: KIA })]);
  });

  it('config: weights plus cash must sum to 10,000 bps; strict', () => {
    expect(RebalanceConfigSchema.safeParse({ targets: TARGETS }).success).toBe(false);
    expect(RebalanceConfigSchema.safeParse({ targets: TARGETS, cashWeightBps: 1_000, band: 5 }).success).toBe(false);
    expect(RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000 })).toMatchObject({
      bandBps: 500,
      minTradeKrw: 100_000,
      cashReserve: { krw: 0, bps: 0 },
      scope: 'ALL',
      limitOffsetTicks: 0,
    });
  });
});

/** Cash after every order fills at its limit price, with the test rates. */
function cashAfter(cash: number, os: readonly OrderDecision[]): number {
  let c = cash;
  for (const d of os) {
    const value = (d.limitPrice as number) * d.quantity;
    const f = tradeCosts(krw(value), d.side, TEST_COSTS);
    c += d.side === 'SELL' ? value - f.commission - f.tax : -(value + f.commission);
  }
  return c;
}

describe('rebalance day by day over the shipped 2026 session closes', () => {
  // 100,000,000 won of cash on 2026-01-02, rebalanced at every session's close; orders fill at their limit.
  for (const [bandBps, scope] of [
    [500, 'ALL'],
    [200, 'ALL'],
    [200, 'BREACHED'],
  ] as const) {
    it(`band ±${bandBps} bps, scope ${scope}: sells before buys, band respected, reserve kept, whole shares`, () => {
      const config = RebalanceConfigSchema.parse({ targets: TARGETS, cashWeightBps: 1_000, bandBps, scope, cashReserve: { krw: 3_000_000, bps: 200 } });
      let cash = 100_000_000;
      const held: Record<string, number> = {};
      let tradingDays = 0;
      for (const date of set.dates()) {
        const closes = closesOn(date);
        const value = cash + IDS.reduce((s, id) => s + (held[id] ?? 0) * closes.get(id)!, 0);
        const weights = IDS.map((id, i) => ({ id, w: ((held[id] ?? 0) * closes.get(id)! * 10_000) / value, t: TARGETS[i]!.weightBps }));
        const breached = weights.filter((x) => Math.abs(x.w - x.t) > bandBps);

        const ds = rebalanceStrategy.decide(ctxAt(date, config, cash, held));
        const os = orders(ds);
        // Band respected: trades exactly when a weight is outside it; BREACHED trades only those.
        expect(os.length > 0, date).toBe(breached.length > 0);
        if (scope === 'BREACHED') for (const d of os) expect(breached.map((b) => b.id), date).toContain(d.instrumentId);
        // Sells strictly before buys.
        const firstBuy = os.findIndex((d) => d.side === 'BUY');
        if (firstBuy >= 0) expect(os.slice(firstBuy).every((d) => d.side === 'BUY'), date).toBe(true);
        for (const d of os) {
          expect(Number.isSafeInteger(d.quantity) && d.quantity > 0, date).toBe(true);
          if (d.side === 'SELL') expect(d.quantity, date).toBeLessThanOrEqual(held[d.instrumentId] ?? 0);
        }
        if (os.length > 0) tradingDays++;
        cash = cashAfter(cash, os);
        for (const d of os) held[d.instrumentId] = (held[d.instrumentId] ?? 0) + (d.side === 'BUY' ? d.quantity : -d.quantity);
        // Reserve: max(3,000,000, 2 % of V) stays in cash after the trades.
        if (os.some((d) => d.side === 'BUY')) expect(cash, date).toBeGreaterThanOrEqual(Math.max(3_000_000, Math.ceil(value * 0.02)));
        // After a scope-ALL rebalance every weight is back inside the band.
        if (scope === 'ALL' && os.length > 0) {
          const after = cash + IDS.reduce((s, id) => s + (held[id] ?? 0) * closes.get(id)!, 0);
          for (const [i, id] of IDS.entries()) {
            expect(Math.abs(((held[id] ?? 0) * closes.get(id)! * 10_000) / after - TARGETS[i]!.weightBps), `${date} ${id}`).toBeLessThanOrEqual(bandBps);
          }
        }
      }
      // The first session buys the portfolio; the tighter band also trades later on real drift.
      expect(tradingDays).toBeGreaterThanOrEqual(bandBps === 200 ? 2 : 1);
    });
  }
});
