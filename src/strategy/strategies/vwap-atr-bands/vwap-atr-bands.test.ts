import { beforeAll, describe, expect, it } from 'vitest';
import { kstInstant } from '../../../core/kst.ts';
import { buildMinuteBars, type MinuteBar } from '../../../data/bars.ts';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { roundToTick } from '../../../model/tick.ts';
import { loadDailyBars } from '../../../sim/replay/daily-bars.ts';
import { generateSyntheticIntraday, SYNTHETIC_INTRADAY } from '../../../sim/replay/intraday.ts';
import { SHIPPED_2026, testSession } from '../../../sim/replay/test-support.ts';
import type { DecisionResult, OrderDecision, SignalDecision, StrategyDecision } from '../../strategy.ts';
import { contextOf, positionOf, quoteAt, settingsFor } from '../../test-support.ts';
import {
  VwapAtrBandsConfigSchema,
  vwapAtrBandsStrategy,
  type VwapAtrBandsConfig,
  type VwapAtrBandsState,
} from './vwap-atr-bands.ts';
import { loadIndicators } from '../../../core/indicators.ts';

// The indicator library loads on demand (src/core/indicators.ts); these tests compute indicators directly.
beforeAll(() => loadIndicators());

const SAMSUNG = instrumentId('005930');
const set = loadDailyBars(SHIPPED_2026, { codes: ['005930'] });

/** Wilder ATR written out independently of trading-signals (seed: mean of the first n true ranges). */
function handAtr(bars: readonly MinuteBar[], n: number): number | undefined {
  if (bars.length < n) return undefined;
  const tr = bars.map((b, i) => (i === 0 ? b.high - b.low : Math.max(b.high - b.low, Math.abs(b.high - bars[i - 1]!.close), Math.abs(b.low - bars[i - 1]!.close))));
  let atr = tr.slice(0, n).reduce((s, x) => s + x, 0) / n;
  for (let i = n; i < tr.length; i++) atr = (atr * (n - 1) + tr[i]!) / n;
  return atr;
}

interface Step {
  readonly t: number;
  readonly price: number;
  readonly decisions: readonly StrategyDecision[];
  readonly vwap: number | undefined;
  readonly atr: number | undefined;
}

/**
 * Replays one synthetic-intraday session minute by minute: at each minute boundary the strategy sees
 * the bars closed so far and a quote at the last print; placed orders fill at their limit at once.
 */
function replayDay(date: string, seed: number, config: VwapAtrBandsConfig): { steps: Step[]; bars: MinuteBar[] } {
  const bar = set.bar(date, '005930')!;
  const session = testSession(date);
  const path = generateSyntheticIntraday(bar, session, { seed });
  const all = path.trades();
  let state: VwapAtrBandsState = vwapAtrBandsStrategy.initialState(config);
  let held = 0;
  let avg = 0;
  let cash = 50_000_000;
  const steps: Step[] = [];
  for (let t = session.open + 60_000; t <= session.closingAuctionStart; t += 60_000) {
    const bars = buildMinuteBars(SAMSUNG, all, t);
    const snap = path.snapshot(t - 1, bar.prevClose!);
    if (snap.lastTs === undefined) continue;
    const price = snap.last;
    const ctx = contextOf<VwapAtrBandsConfig, VwapAtrBandsState>({
      now: t,
      config,
      state,
      cash,
      quotes: [quoteAt(SAMSUNG, price, { base: bar.prevClose, ask: roundToTick(price, 'up'), bid: roundToTick(price, 'down') })],
      positions: held > 0 ? [positionOf(SAMSUNG, held, avg, price)] : [],
      settings: [settingsFor(SAMSUNG)],
      minuteBars: new Map<InstrumentId, readonly MinuteBar[]>([[SAMSUNG, bars]]),
    });
    const ds = vwapAtrBandsStrategy.decide(ctx);
    const results: DecisionResult[] = ds
      .map((d, index) => ({ d, index }))
      .filter((x): x is { d: OrderDecision; index: number } => x.d.type === 'ORDER')
      .map(({ d, index }) => ({ index, decision: d, outcome: 'FILLED' as const, filledQuantity: d.quantity, averageFillPrice: d.limitPrice as number }));
    for (const r of results) {
      const px = r.decision.limitPrice as number;
      if (r.decision.side === 'BUY') {
        avg = px;
        held += r.decision.quantity;
        cash -= px * r.decision.quantity;
      } else {
        held -= r.decision.quantity;
        cash += px * r.decision.quantity;
      }
    }
    state = vwapAtrBandsStrategy.nextState!(ctx, ds, results);
    // Independent indicator values: VWAP from the raw prints before t, ATR by hand.
    steps.push({ t, price, decisions: ds, vwap: snap.volume > 0 ? snap.value / snap.volume : undefined, atr: handAtr(bars, config.atrPeriod) });
  }
  return { steps, bars: buildMinuteBars(SAMSUNG, all) };
}

describe(`vwap-atr-bands on ${SYNTHETIC_INTRADAY} sessions of real 005930 bars (synthetic prints, not real intraday data)`, () => {
  const config = VwapAtrBandsConfigSchema.parse({ instruments: [{ code: '005930', budgetKrw: 5_000_000 }] });
  const days = ['2026-02-05', '2026-02-06', '2026-02-12'];

  for (const date of days) {
    it(`${date}: signals follow WATCH → ENTER → EXIT with the band numbers, orders sized by the budget`, () => {
      const { steps } = replayDay(date, 11, config);
      let phase: 'IDLE' | 'BELOW' | 'IN' = 'IDLE';
      let entry = 0;
      let held = 0;
      let signals = 0;
      for (const s of steps) {
        const sig = s.decisions.filter((d): d is SignalDecision => d.type === 'SIGNAL');
        const ord = s.decisions.filter((d): d is OrderDecision => d.type === 'ORDER');
        if (s.atr === undefined) {
          expect(s.decisions).toEqual([expect.objectContaining({ type: 'SKIP', code: 'INDICATORS_NOT_READY' })]);
          continue;
        }
        const vwap = s.vwap!;
        const lower = vwap - 2 * s.atr;
        const upper = vwap + 2 * s.atr;
        for (const g of sig) {
          signals++;
          // Stored numbers = independent numbers (rounded to 0.01 won).
          expect(g.values['vwap']).toBeCloseTo(vwap, 1);
          expect(g.values['atr']).toBeCloseTo(s.atr, 1);
          expect(g.values['lower']).toBeCloseTo(lower, 1);
          expect(g.values['upper']).toBeCloseTo(upper, 1);
          expect(g.price).toBe(s.price);
        }
        const where = `${date} ${new Date(s.t).toISOString()}`;
        if (phase === 'IDLE') {
          expect(ord, where).toEqual([]);
          if (s.price < lower) {
            expect(sig.map((g) => g.signal), where).toEqual(['WATCH']);
            phase = 'BELOW';
          } else expect(sig, where).toEqual([]);
        } else if (phase === 'BELOW') {
          if (s.price > lower) {
            expect(sig.map((g) => g.signal), where).toEqual(['ENTER']);
            const limit = roundToTick(s.price, 'up');
            expect(ord, where).toEqual([expect.objectContaining({ side: 'BUY', kind: 'ENTRY', limitPrice: limit, quantity: Math.floor(5_000_000 / limit) })]);
            entry = limit;
            held = ord[0]!.quantity;
            phase = 'IN';
          } else expect(sig, where).toEqual([]);
        } else {
          const stop = entry - 1.5 * s.atr;
          if (s.price >= upper || s.price <= stop) {
            expect(sig.map((g) => g.signal), where).toEqual(['EXIT']);
            expect(sig[0]!.values['stop']).toBeCloseTo(stop, 1);
            expect(ord, where).toEqual([expect.objectContaining({ side: 'SELL', kind: 'EXIT', quantity: held, limitPrice: roundToTick(s.price, 'down') })]);
            phase = 'IDLE';
            held = 0;
          } else expect(s.decisions, where).toEqual([]);
        }
      }
      expect(signals, `${date}: the replay should produce signals`).toBeGreaterThan(0);
    });
  }

  it('over the three sessions: at least one full WATCH → ENTER → EXIT cycle', () => {
    const seen = days.flatMap((d) => replayDay(d, 11, config).steps.flatMap((s) => s.decisions.filter((x): x is SignalDecision => x.type === 'SIGNAL').map((x) => x.signal)));
    expect(seen).toContain('WATCH');
    expect(seen).toContain('ENTER');
    expect(seen).toContain('EXIT');
  });
});

describe('vwap-atr-bands state', () => {
  const config = VwapAtrBandsConfigSchema.parse({ instruments: [{ code: '005930', budgetKrw: 5_000_000 }], atrPeriod: 3 });
  const bars: MinuteBar[] = [100, 101, 102, 101].map((p, i) => ({
    instrumentId: SAMSUNG,
    start: (kstInstant('2026-02-20', '09:00') + i * 60_000) as MinuteBar['start'],
    end: (kstInstant('2026-02-20', '09:01') + i * 60_000) as MinuteBar['end'],
    time: '',
    open: p,
    high: p + 1,
    low: p - 1,
    close: p,
    volume: 10,
    value: p * 10,
    trades: 1,
  }));
  const ctx = (state: VwapAtrBandsState, price: number, now = kstInstant('2026-02-20', '09:05')) =>
    contextOf<VwapAtrBandsConfig, VwapAtrBandsState>({
      now,
      config,
      state,
      cash: 10_000_000,
      quotes: [quoteAt(SAMSUNG, price)],
      settings: [settingsFor(SAMSUNG)],
      minuteBars: new Map([[SAMSUNG, bars]]),
    });

  it('a new session resets BELOW to IDLE', () => {
    const below: VwapAtrBandsState = { sessionDate: '2026-02-19', instruments: { '005930': { phase: 'BELOW', since: 0 } } };
    // Price 105 is above the lower band: from BELOW it would ENTER; after the reset nothing happens.
    expect(vwapAtrBandsStrategy.decide(ctx(below, 105))).toEqual([]);
    expect(vwapAtrBandsStrategy.decide(ctx({ ...below, sessionDate: '2026-02-20' }, 105)).map((d) => d.type)).toEqual(['SIGNAL', 'ORDER']);
  });

  it('an entry that was not placed goes back to IDLE; an exit not placed stays IN_POSITION', () => {
    const below: VwapAtrBandsState = { sessionDate: '2026-02-20', instruments: { '005930': { phase: 'BELOW', since: 0 } } };
    const c = ctx(below, 105);
    const ds = vwapAtrBandsStrategy.decide(c);
    const o = ds.find((d): d is OrderDecision => d.type === 'ORDER')!;
    expect(vwapAtrBandsStrategy.nextState!(c, ds, [{ index: 1, decision: o, outcome: 'DENIED', filledQuantity: 0 }]).instruments['005930']?.phase).toBe('IDLE');
    expect(vwapAtrBandsStrategy.nextState!(c, ds, [{ index: 1, decision: o, outcome: 'OUTCOME_UNKNOWN', filledQuantity: 0 }]).instruments['005930']).toMatchObject({
      phase: 'IN_POSITION',
      entryPrice: 105,
    });
  });

  it('config is strict with documented defaults', () => {
    expect(VwapAtrBandsConfigSchema.parse({ instruments: [{ code: '005930', budgetKrw: 1 }] })).toEqual({
      instruments: [{ code: '005930', budgetKrw: 1 }],
      atrPeriod: 14,
      bandAtr: 2,
      stopAtr: 1.5,
      limitOffsetTicks: 0,
    });
    expect(VwapAtrBandsConfigSchema.safeParse({ instruments: [{ code: '005930', budgetKrw: 1 }], k: 2 }).success).toBe(false);
  });
});
