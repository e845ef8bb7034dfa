import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { instrumentId } from '../model/instrument.ts';
import { dailyPriceLimits } from '../model/price-limits.ts';
import { isOnTick } from '../model/tick.ts';
import {
  dailyAtr,
  evaluateExit,
  exitLevels,
  exitLimitPrice,
  parseMonitorConfig,
  resolveExitRule,
  type ExitRule,
} from './rules.ts';
import { loadIndicators } from '../core/indicators.ts';

// The indicator library loads on demand (src/core/indicators.ts); these tests compute indicators directly.
beforeAll(() => loadIndicators());

const rule = (r: unknown): ExitRule => parseMonitorConfig({ default: r }).default;
const NO_ATR = { highWaterMark: 0, atr: {} };

describe('parseMonitorConfig', () => {
  it('fills every default from the schema', () => {
    const c = parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 3 } } });
    expect(c).toEqual({
      default: {
        thresholds: { type: 'percent', stopLossPct: 3 },
        exitOrder: { kind: 'marketable-limit', ticksThroughBid: 2 },
        repriceTimeoutMs: 10_000,
        maxReprices: 3,
        fillConfirmTimeoutMs: 60_000,
      },
      instruments: {},
      allowClosingAuction: false,
      staleDataAlertMs: 60_000,
      exitWriteAhead: 'intent-log',
      exitIntentFlush: 'before-send',
    });
    expect(parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 3 } }, exitIntentFlush: 'after-send' }).exitIntentFlush).toBe('after-send');
    expect(() => parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 3 } }, exitIntentFlush: 'never' })).toThrow(/exitIntentFlush/);
    expect(parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 3 } }, exitWriteAhead: 'ledger' }).exitWriteAhead).toBe('ledger');
    expect(() => parseMonitorConfig({ default: { thresholds: { type: 'percent', stopLossPct: 3 } }, exitWriteAhead: 'none' })).toThrow(/exitWriteAhead/);
    expect(rule({ thresholds: { type: 'atr', stopLossAtr: 2 } }).thresholds).toEqual({ type: 'atr', period: 14, stopLossAtr: 2 });
  });

  it('rejects unknown keys, bad codes and rules without any exit, naming every path', () => {
    try {
      parseMonitorConfig({
        default: { thresholds: { type: 'percent' }, stopLoss: 3 },
        instruments: { '5930': {} },
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      expect(paths.some((p) => p.startsWith('default') && p.includes('stopLoss'))).toBe(true);
      expect(paths.some((p) => p.startsWith('instruments.5930'))).toBe(true);
    }
  });

  it('applies per-instrument overrides field by field; trailingStop: null removes the default trailing stop', () => {
    const c = parseMonitorConfig({
      default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 10 }, trailingStop: { type: 'percent', trailPct: 5 } },
      instruments: {
        '005930': { thresholds: { type: 'atr', period: 20, stopLossAtr: 2 }, maxReprices: 1 },
        '000660': { trailingStop: null, exitOrder: { kind: 'market' } },
      },
    });
    const samsung = resolveExitRule(c, instrumentId('005930'));
    expect(samsung.thresholds).toEqual({ type: 'atr', period: 20, stopLossAtr: 2 });
    expect(samsung.trailingStop).toEqual({ type: 'percent', trailPct: 5 });
    expect(samsung.maxReprices).toBe(1);
    expect(samsung.repriceTimeoutMs).toBe(10_000);
    const hynix = resolveExitRule(c, instrumentId('000660'));
    expect(hynix.trailingStop).toBeUndefined();
    expect(hynix.exitOrder).toEqual({ kind: 'market' });
    expect(resolveExitRule(c, instrumentId('035420'))).toBe(c.default);
  });

  it('rejects an override that leaves an instrument without any exit', () => {
    expect(() =>
      parseMonitorConfig({
        default: { thresholds: { type: 'percent' }, trailingStop: { type: 'percent', trailPct: 5 } },
        instruments: { '005930': { trailingStop: null } },
      }),
    ).toThrow(/instruments\.005930/);
  });
});

describe('dailyAtr', () => {
  // Synthetic bars (won), oldest first. True ranges by hand:
  //   d1: H−L = 1,000 (no previous close)
  //   d2: max(11,200−10,400=800, |11,200−10,500|=700, |10,400−10,500|=100) = 800
  //   d3: max(11,500−10,800=700, |11,500−11,000|=500, |10,800−11,000|=200) = 700
  //   d4: max(12,000−10,500=1,500, |12,000−10,900|=1,100, |10,500−10,900|=400) = 1,500
  // ATR(3) after d3 = (1,000+800+700)/3 = 833.33…; after d4 (Wilder) = (833.33…×2 + 1,500)/3 = 9,500/9.
  const bars = [
    { high: 11_000, low: 10_000, close: 10_500 },
    { high: 11_200, low: 10_400, close: 11_000 },
    { high: 11_500, low: 10_800, close: 10_900 },
    { high: 12_000, low: 10_500, close: 11_800 },
  ];

  it('matches a hand computation (true range + Wilder smoothing)', () => {
    expect(dailyAtr(bars.slice(0, 3), 3)).toBeCloseTo(2_500 / 3, 9);
    expect(dailyAtr(bars, 3)).toBeCloseTo(9_500 / 9, 9);
  });

  it('is undefined with fewer usable bars than the period, and skips bars without trades', () => {
    expect(dailyAtr(bars.slice(0, 2), 3)).toBeUndefined();
    expect(dailyAtr([bars[0]!, { high: 0, low: 0, close: 0 }, bars[1]!], 3)).toBeUndefined();
  });
});

describe('evaluateExit', () => {
  const pos = { averagePrice: 70_000 };
  const pct = rule({ thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 10 } });

  it('fires the stop-loss at or below average × (1 − pct)', () => {
    expect(evaluateExit(pos, { price: 67_950 }, NO_ATR, pct)).toBeUndefined();
    expect(evaluateExit(pos, { price: 67_900 }, NO_ATR, pct)).toEqual({ trigger: 'STOP_LOSS', reference: 67_900, threshold: 67_900 });
  });

  it('fires the take-profit at or above average × (1 + pct)', () => {
    expect(evaluateExit(pos, { price: 76_950 }, NO_ATR, pct)).toBeUndefined();
    expect(evaluateExit(pos, { price: 77_000 }, NO_ATR, pct)).toMatchObject({ trigger: 'TAKE_PROFIT', threshold: 77_000 });
  });

  it('fires the trailing stop below the high-water mark, after the stop-loss in precedence', () => {
    const r = rule({ thresholds: { type: 'percent', stopLossPct: 10 }, trailingStop: { type: 'percent', trailPct: 5 } });
    const state = { highWaterMark: 80_000, atr: {} };
    expect(evaluateExit(pos, { price: 76_100 }, state, r)).toBeUndefined();
    expect(evaluateExit(pos, { price: 76_000 }, state, r)).toEqual({ trigger: 'TRAILING_STOP', reference: 76_000, threshold: 76_000 });
    expect(evaluateExit(pos, { price: 63_000 }, state, r)?.trigger).toBe('STOP_LOSS');
  });

  it('uses ATR multiples when the ATR is known, and stays silent when it is not', () => {
    const r = rule({ thresholds: { type: 'atr', period: 14, stopLossAtr: 2, takeProfitAtr: 3 }, trailingStop: { type: 'atr', trailAtr: 1.5 } });
    const state = { highWaterMark: 72_000, atr: { 14: 1_000 } };
    expect(exitLevels(pos, state, r)).toEqual({ stopLoss: 68_000, takeProfit: 73_000, trailingStop: 70_500 });
    expect(evaluateExit(pos, { price: 70_400 }, state, r)).toMatchObject({ trigger: 'TRAILING_STOP', threshold: 70_500 });
    expect(evaluateExit(pos, { price: 60_000 }, NO_ATR, r)).toBeUndefined();
  });

  it('ignores non-positive prices and averages', () => {
    expect(evaluateExit({ averagePrice: 0 }, { price: 1 }, NO_ATR, pct)).toBeUndefined();
    expect(evaluateExit(pos, { price: 0 }, NO_ATR, pct)).toBeUndefined();
  });
});

describe('exitLimitPrice', () => {
  it('steps N ticks below the best bid on the grid, across tick bands', () => {
    expect(exitLimitPrice(67_800, 67_900, { ticksThroughBid: 2 })).toBe(67_600);
    expect(exitLimitPrice(50_000, 50_000, { ticksThroughBid: 2 })).toBe(49_900); // 50,000 → 49,950 → 49,900
    expect(exitLimitPrice(2_000, 2_000, { ticksThroughBid: 2 })).toBe(1_998);
    expect(exitLimitPrice(10_000, 10_000, { ticksThroughBid: 2, kind: 'ETF' })).toBe(9_990);
  });

  it('uses the last trade when there is no bid, rounding a half-tick print down onto the grid', () => {
    expect(exitLimitPrice(0, 2_072.5, { ticksThroughBid: 2 })).toBe(2_060);
    expect(isOnTick(exitLimitPrice(0, 2_072.5, { ticksThroughBid: 0 }))).toBe(true);
  });

  it('never goes below the lower daily limit, nor above the upper', () => {
    const limits = dailyPriceLimits(128_500); // 167,000 / 90,000
    expect(exitLimitPrice(90_000, 90_000, { ticksThroughBid: 2 }, limits)).toBe(90_000);
    expect(exitLimitPrice(90_100, 90_100, { ticksThroughBid: 2 }, limits)).toBe(90_000);
    expect(exitLimitPrice(0, 90_000, { ticksThroughBid: 5 }, limits)).toBe(90_000);
    expect(exitLimitPrice(168_000, 168_000, { ticksThroughBid: 2 }, limits)).toBe(167_000);
  });

  it('throws when there is no price at all', () => {
    expect(() => exitLimitPrice(0, 0, { ticksThroughBid: 2 })).toThrow(/no price/);
  });
});
