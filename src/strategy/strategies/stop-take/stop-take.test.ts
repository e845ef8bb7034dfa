import { describe, expect, it } from 'vitest';
import { kstInstant } from '../../../core/kst.ts';
import { instrumentId } from '../../../model/instrument.ts';
// The monitor's rule evaluation (tests may cross layers): the strategy's percent rule must agree with it.
import { evaluateExit, parseMonitorConfig, resolveExitRule } from '../../../monitor/rules.ts';
import { loadDailyBars } from '../../../sim/replay/daily-bars.ts';
import { SHIPPED_2026 } from '../../../sim/replay/test-support.ts';
import { bindStrategy, type OrderDecision, type StrategyDecision } from '../../strategy.ts';
import { contextOf, positionOf, quoteAt, settingsFor } from '../../test-support.ts';
import {
  createStopTakeStrategy,
  percentExitRule,
  StopTakeConfigSchema,
  stopTakeStrategy,
  type ExitEvaluator,
  type StopTakeConfig,
  type StopTakeState,
} from './stop-take.ts';

const SAMSUNG = instrumentId('005930');
const orders = (ds: readonly StrategyDecision[]): OrderDecision[] => ds.filter((d): d is OrderDecision => d.type === 'ORDER');
const set = loadDailyBars(SHIPPED_2026);

describe('percentExitRule agrees with the monitor (src/monitor/rules.ts evaluateExit)', () => {
  it('on every real close of every shipped instrument, bought at its first close', () => {
    const rules = [
      { stopLossPct: 5, takeProfitPct: 10 },
      { stopLossPct: 3 },
      { takeProfitPct: 20 },
      { stopLossPct: 12.5, takeProfitPct: 7.25 },
    ];
    let fired = 0;
    let compared = 0;
    for (const r of rules) {
      const monitorRule = resolveExitRule(parseMonitorConfig({ default: { thresholds: { type: 'percent', ...r } } }), SAMSUNG);
      for (const code of set.codes()) {
        const bars = set.barsOf(code).filter((b) => b.traded);
        const avg = bars[0]!.close;
        for (const b of bars) {
          for (const price of [b.close, b.high, b.low]) {
            const mine = percentExitRule(r, avg, price);
            const theirs = evaluateExit({ averagePrice: avg }, { price }, { highWaterMark: 0, atr: {} }, monitorRule);
            expect(mine, `${code} ${b.date} ${price}`).toEqual(theirs);
            compared++;
            if (mine) fired++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    expect(fired).toBeGreaterThan(1_000);
  });
});

describe('stop-take strategy on the shipped 2026 closes', () => {
  const config = StopTakeConfigSchema.parse({ stopLossPct: 10, takeProfitPct: 20 });

  it('005930 bought at the 2026-01-02 close (128,500): take-profit on the first close at or above 154,200', () => {
    const bars = set.barsOf('005930');
    const avg = bars[0]!.close;
    let exitDate: string | undefined;
    for (const b of bars) {
      const ds = stopTakeStrategy.decide(
        contextOf<StopTakeConfig, StopTakeState>({
          now: kstInstant(b.date, '14:00'),
          config,
          state: {},
          cash: 0,
          quotes: [quoteAt(SAMSUNG, b.close, { bid: b.close, base: b.prevClose })],
          positions: [positionOf(SAMSUNG, 40, avg, b.close)],
          settings: [settingsFor(SAMSUNG)],
        }),
      );
      const o = orders(ds)[0];
      if (o) {
        exitDate = b.date;
        // 2 ticks under the bid (100-won ticks at this price), all 40 shares.
        expect(o).toMatchObject({ side: 'SELL', quantity: 40, kind: 'EXIT', orderType: 'LIMIT', limitPrice: b.close - 200 });
        expect(o.reason).toBe(`take-profit of 005930: last ${b.close.toLocaleString('en-US')} won crossed 154,200 won (average 128,500 won); sell all 40 sellable at ${(b.close - 200).toLocaleString('en-US')} won (2 ticks under the bid)`);
        break;
      }
      expect(ds).toEqual([]);
    }
    // 01-22 152,300, 01-23 152,100, 01-26 152,100 stay under 154,200 (= 128,500 × 1.2); 01-27 closes at 159,500.
    expect(exitDate).toBe('2026-01-27');
  });

  it('stop-loss fires at or below the level; the limit is 2 ticks under the bid, never under the lower limit', () => {
    // Average 181,200 (the 2026-02-13 close), stop 0.01 %: level 181,200 × 0.9999 = 181,181.88 won.
    const cfg = StopTakeConfigSchema.parse({ stopLossPct: 0.01 });
    const ctx = (last: number, bid: number, base: number) =>
      contextOf<StopTakeConfig, StopTakeState>({
        now: kstInstant('2026-02-20', '10:00'),
        config: cfg,
        state: {},
        cash: 0,
        quotes: [quoteAt(SAMSUNG, last, { bid, base })],
        positions: [positionOf(SAMSUNG, 10, 181_200, last)],
        settings: [settingsFor(SAMSUNG)],
      });
    expect(orders(stopTakeStrategy.decide(ctx(181_190, 181_100, 181_200)))).toEqual([]);
    expect(orders(stopTakeStrategy.decide(ctx(181_100, 181_000, 181_200)))[0]).toMatchObject({ limitPrice: 180_800 });
    // At the lower limit (base 181,200 → lower 126,900): 2 ticks under a 126,900 bid is clamped to 126,900.
    expect(orders(stopTakeStrategy.decide(ctx(126_900, 126_900, 181_200)))[0]).toMatchObject({ limitPrice: 126_900 });
  });

  it('skips a triggered position with nothing sellable', () => {
    const ds = stopTakeStrategy.decide(
      contextOf<StopTakeConfig, StopTakeState>({
        now: kstInstant('2026-02-20', '10:00'),
        config,
        state: {},
        cash: 0,
        quotes: [quoteAt(SAMSUNG, 100_000)],
        positions: [positionOf(SAMSUNG, 10, 128_500, 100_000, 0)],
        settings: [settingsFor(SAMSUNG)],
      }),
    );
    expect(ds).toEqual([expect.objectContaining({ type: 'SKIP', code: 'NOTHING_SELLABLE' })]);
  });

  it('with the monitor injected as the evaluator, the monitor config is the only source of thresholds', () => {
    const monitorConfig = parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 5 } } });
    const evaluator: ExitEvaluator = {
      evaluate: (p, price) => evaluateExit({ averagePrice: p.averagePrice }, { price }, { highWaterMark: 0, atr: {} }, resolveExitRule(monitorConfig, p.instrumentId)),
    };
    const strategy = createStopTakeStrategy({ evaluator });
    expect(() => bindStrategy(strategy, { stopLossPct: 5 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const bound = bindStrategy(strategy, {});
    expect(() => bindStrategy(stopTakeStrategy, {})).toThrow(/set stopLossPct, takeProfitPct or both/);
    const base = contextOf({
      now: kstInstant('2026-02-20', '10:00'),
      config: undefined,
      state: undefined,
      cash: 0,
      quotes: [quoteAt(SAMSUNG, 95_000)],
      positions: [positionOf(SAMSUNG, 3, 100_000, 95_000)],
      settings: [settingsFor(SAMSUNG)],
    });
    const ds = bound.decide(base, {});
    expect(orders(ds)[0]).toMatchObject({ side: 'SELL', quantity: 3, kind: 'EXIT' });
    expect(orders(ds)[0]?.reason).toMatch(/^stop-loss of 005930: last 95,000 won crossed 95,000 won/);
  });
});
