import { describe, expect, it } from 'vitest';
import { addDays, kstInstant, weekdayOf } from '../../../core/kst.ts';
import { instrumentId } from '../../../model/instrument.ts';
import { roundToTick } from '../../../model/tick.ts';
import { loadDailyBars } from '../../../sim/replay/daily-bars.ts';
import { SHIPPED_2026 } from '../../../sim/replay/test-support.ts';
import type { DecisionResult, OrderDecision, StrategyDecision } from '../../strategy.ts';
import { contextOf, quoteAt, settingsFor } from '../../test-support.ts';
import { dcaStrategy, DcaConfigSchema, periodKey, type DcaConfig, type DcaState } from './dca.ts';

const SAMSUNG = instrumentId('005930');

function orders(ds: readonly StrategyDecision[]): OrderDecision[] {
  return ds.filter((d): d is OrderDecision => d.type === 'ORDER');
}
function placedAll(ds: readonly StrategyDecision[]): DecisionResult[] {
  return orders(ds).map((decision, index) => ({ index, decision, outcome: 'FILLED', filledQuantity: decision.quantity }));
}

/** Monday of the week of a date: an independent way to group dates by ISO week. */
function mondayOf(date: string): string {
  const w = weekdayOf(date);
  return addDays(date, w === 0 ? -6 : 1 - w);
}

describe('periodKey', () => {
  it('DAY, WEEK (ISO 8601) and MONTH keys in KST', () => {
    // 2026-01-05 00:30 KST is still 2026-01-04 in UTC: the key follows KST.
    const t = kstInstant('2026-01-05', '00:30');
    expect(periodKey('DAY', t)).toBe('2026-01-05');
    expect(periodKey('WEEK', t)).toBe('2026-W02');
    expect(periodKey('MONTH', t)).toBe('2026-01');
    // 2026 starts on a Thursday: Jan 1 is in W01, and the year has 53 weeks; 2027-01-01 (Friday) is 2026-W53.
    expect(periodKey('WEEK', kstInstant('2026-01-01', '10:00'))).toBe('2026-W01');
    expect(periodKey('WEEK', kstInstant('2025-12-29', '10:00'))).toBe('2026-W01');
    expect(periodKey('WEEK', kstInstant('2026-12-31', '10:00'))).toBe('2026-W53');
    expect(periodKey('WEEK', kstInstant('2027-01-01', '10:00'))).toBe('2026-W53');
    expect(periodKey('WEEK', kstInstant('2027-01-04', '10:00'))).toBe('2027-W01');
    // Sunday belongs to the week that started on Monday.
    expect(periodKey('WEEK', kstInstant('2026-01-11', '10:00'))).toBe('2026-W02');
  });
});

describe('dca on the shipped 2026 data (005930, 1,000,000 won a week)', () => {
  const set = loadDailyBars(SHIPPED_2026, { codes: ['005930'] });
  const bars = set.barsOf('005930');
  const config = DcaConfigSchema.parse({ period: 'WEEK', instruments: [{ code: '005930', amountKrw: 1_000_000 }] });

  it('buys once per ISO week, floor(1,000,000 / ask rounded up) shares at the ask, skips the rest of the week', () => {
    expect(bars.length).toBe(33);
    let state: DcaState = dcaStrategy.initialState(config);
    const bought: { date: string; qty: number; price: number }[] = [];
    for (const bar of bars) {
      // 11:00 KST: after the 10:00 late open of the year's first session. Ask = the day's close.
      const ctx = contextOf<DcaConfig, DcaState>({
        now: kstInstant(bar.date, '11:00'),
        config,
        state,
        cash: 50_000_000,
        quotes: [quoteAt(SAMSUNG, bar.close, { base: bar.prevClose })],
        settings: [settingsFor(SAMSUNG)],
      });
      const ds = dcaStrategy.decide(ctx);
      expect(ds).toHaveLength(1);
      const o = orders(ds)[0];
      if (o) bought.push({ date: bar.date, qty: o.quantity, price: o.limitPrice as number });
      else expect(ds[0]).toMatchObject({ type: 'SKIP', code: 'ALREADY_DONE_THIS_PERIOD' });
      state = dcaStrategy.nextState!(ctx, ds, placedAll(ds));
    }
    // Expected from the file alone: the first session of each week, floor(1,000,000 / close on the grid).
    const firstOfWeek = new Map<string, (typeof bars)[number]>();
    for (const b of bars) if (!firstOfWeek.has(mondayOf(b.date))) firstOfWeek.set(mondayOf(b.date), b);
    const expected = [...firstOfWeek.values()].map((b) => {
      const price = roundToTick(b.close, 'up');
      return { date: b.date, qty: Math.floor(1_000_000 / price), price };
    });
    expect(bought).toEqual(expected);
    // The same, written out (closes 128,500 … 190,000 won; the Seollal week starts on Thursday 02-19).
    expect(bought.map((b) => `${b.date} ${b.qty}@${b.price}`)).toEqual([
      '2026-01-02 7@128500',
      '2026-01-05 7@138100',
      '2026-01-12 7@138800',
      '2026-01-19 6@149300',
      '2026-01-26 6@152100',
      '2026-02-02 6@150400',
      '2026-02-09 6@166400',
      '2026-02-19 5@190000',
    ]);
    expect(bought.every((b) => b.qty * b.price <= 1_000_000)).toBe(true);
  });

  it('the reason carries the numbers', () => {
    const bar = set.bar('2026-01-02', '005930')!;
    const ds = dcaStrategy.decide(
      contextOf<DcaConfig, DcaState>({ now: kstInstant(bar.date, '11:00'), config, state: { lastPeriod: {} }, cash: 5_000_000, quotes: [quoteAt(SAMSUNG, bar.close)], settings: [settingsFor(SAMSUNG)] }),
    );
    // 7 × 128,500 = 899,500; commission floor(899,500 × 1.5 bp) = 134.
    expect(orders(ds)[0]?.reason).toBe(
      'weekly DCA 1,000,000 won for period 2026-W01: floor(1,000,000 / 128,500) = 7 shares at 128,500 won, 899,634 won with commission',
    );
  });
});

describe('dca skips and prices', () => {
  const t = kstInstant('2026-02-20', '10:00');
  const base = { now: t, state: { lastPeriod: {} } as DcaState, settings: [settingsFor(SAMSUNG)] };

  it('skips with a reason when cash is short of value + commission', () => {
    const config = DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 1_000_000 }] });
    // 5 × 190,100 = 950,500 + commission 142 = 950,642 > 950,641.
    const ds = dcaStrategy.decide(contextOf({ ...base, config, cash: 950_641, quotes: [quoteAt(SAMSUNG, 190_100)] }));
    expect(ds).toEqual([
      {
        type: 'SKIP',
        instrumentId: SAMSUNG,
        code: 'INSUFFICIENT_CASH',
        reason: 'weekly DCA of 005930: 5 × 190,100 won + commission = 950,642 won, but only 950,641 won is available',
      },
    ]);
    expect(orders(dcaStrategy.decide(contextOf({ ...base, config, cash: 950_642, quotes: [quoteAt(SAMSUNG, 190_100)] })))).toHaveLength(1);
  });

  it('skips when the amount buys no whole share', () => {
    const config = DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 100_000 }] });
    const ds = dcaStrategy.decide(contextOf({ ...base, config, cash: 10_000_000, quotes: [quoteAt(SAMSUNG, 190_100)] }));
    expect(ds[0]).toMatchObject({ type: 'SKIP', code: 'QUANTITY_ZERO' });
  });

  it('limit = ask rounded UP onto the grid, plus the configured offset, never above the upper limit', () => {
    // A half-tick ask 190,150 rounds up to 190,200; offset 2 ticks → 190,400.
    const config = DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 1_000_000 }], limitOffsetTicks: 2 });
    const ds = dcaStrategy.decide(contextOf({ ...base, config, cash: 10_000_000, quotes: [quoteAt(SAMSUNG, 190_100, { ask: 190_150 })] }));
    expect(orders(ds)[0]).toMatchObject({ limitPrice: 190_400, quantity: 5, orderType: 'LIMIT', kind: 'DCA', side: 'BUY' });
    // At the upper limit (base 146,300 → upper 190,100): the offset cannot push the price past it.
    const capped = dcaStrategy.decide(contextOf({ ...base, config, cash: 10_000_000, quotes: [quoteAt(SAMSUNG, 190_100, { base: 146_300 })] }));
    expect(orders(capped)[0]?.limitPrice).toBe(190_100);
  });

  it('MARKET assets: no limit price, cash checked at the upper limit', () => {
    const config = DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 1_000_000 }] });
    const q = quoteAt(SAMSUNG, 190_100, { base: 190_000 }); // upper 247,000
    const ctx = (cash: number) => contextOf({ ...base, config, cash, quotes: [q], settings: [settingsFor(SAMSUNG, { orderType: 'MARKET' })] });
    // 5 shares; worst case 5 × 247,000 = 1,235,000 + 185 commission.
    expect(dcaStrategy.decide(ctx(1_235_184))[0]).toMatchObject({ type: 'SKIP', code: 'INSUFFICIENT_CASH' });
    const o = orders(dcaStrategy.decide(ctx(1_235_185)))[0];
    expect(o).toMatchObject({ orderType: 'MARKET', quantity: 5 });
    expect(o && 'limitPrice' in o).toBe(false);
  });

  it('the period stays open when the order was not placed (denied, rejected, skipped); done when unknown', () => {
    const config = DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 1_000_000 }] });
    const ctx = contextOf<DcaConfig, DcaState>({ ...base, config, cash: 10_000_000, quotes: [quoteAt(SAMSUNG, 190_100)] });
    const ds = dcaStrategy.decide(ctx);
    const o = orders(ds)[0]!;
    for (const outcome of ['DENIED', 'REJECTED', 'SKIPPED', 'DRY_RUN', 'CANCELED'] as const) {
      expect(dcaStrategy.nextState!(ctx, ds, [{ index: 0, decision: o, outcome, filledQuantity: 0 }]).lastPeriod).toEqual({});
    }
    for (const outcome of ['OUTCOME_UNKNOWN', 'WORKING', 'PARTIALLY_FILLED', 'FILLED'] as const) {
      expect(dcaStrategy.nextState!(ctx, ds, [{ index: 0, decision: o, outcome, filledQuantity: 0 }]).lastPeriod).toEqual({ '005930': '2026-W08' });
    }
  });

  it('spends cash instrument by instrument within one run', () => {
    const HYNIX = instrumentId('000660');
    const config = DcaConfigSchema.parse({
      instruments: [
        { code: '005930', amountKrw: 1_000_000 },
        { code: '000660', amountKrw: 1_000_000 },
      ],
    });
    const ds = dcaStrategy.decide(
      contextOf({
        ...base,
        config,
        cash: 1_500_000,
        quotes: [quoteAt(SAMSUNG, 190_100), quoteAt(HYNIX, 949_000)],
        settings: [settingsFor(SAMSUNG), settingsFor(HYNIX)],
      }),
    );
    // 5 × 190,100 + 142 = 950,642 spent; 549,358 left < 949,000 + 142.
    expect(ds.map((d) => (d.type === 'ORDER' ? `${d.instrumentId} ${d.quantity}` : `${d.instrumentId} ${d.type === 'SKIP' ? d.code : ''}`))).toEqual([
      '005930 5',
      '000660 INSUFFICIENT_CASH',
    ]);
  });

  it('config is strict: unknown keys and duplicate codes are errors', () => {
    expect(DcaConfigSchema.safeParse({ instruments: [{ code: '005930', amountKrw: 1 }], extra: 1 }).success).toBe(false);
    expect(DcaConfigSchema.safeParse({ instruments: [{ code: '005930', amountKrw: 1 }, { code: '005930', amountKrw: 2 }] }).success).toBe(false);
    expect(DcaConfigSchema.safeParse({ instruments: [{ code: '005930', amountKrw: 1.5 }] }).success).toBe(false);
    expect(DcaConfigSchema.parse({ instruments: [{ code: '005930', amountKrw: 1 }] })).toEqual({
      period: 'WEEK',
      instruments: [{ code: '005930', amountKrw: 1 }],
      limitOffsetTicks: 0,
    });
  });
});
