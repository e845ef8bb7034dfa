import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { kstInstant } from '../core/kst.ts';
import { instrumentId } from '../model/instrument.ts';
import type { TradeTick } from '../model/market-data.ts';
import { loadDailyBars } from '../sim/replay/daily-bars.ts';
import { generateSyntheticIntraday } from '../sim/replay/intraday.ts';
import { SHIPPED_2026, testSession } from '../sim/replay/test-support.ts';
import {
  buildMinuteBars,
  isSentinelBarTime,
  MinuteBarBuilder,
  minuteAtr,
  minuteStart,
  sessionVwap,
  withoutSentinelBars,
} from './bars.ts';
import { loadIndicators } from '../core/indicators.ts';

// The indicator library loads on demand (src/core/indicators.ts); these tests compute indicators directly.
beforeAll(() => loadIndicators());

const ID = instrumentId('005930');
const D = '2026-02-05';
const at = (hms: string, ms = 0): number => kstInstant(D, hms) + ms;

function tick(ts: number, price: number, size: number): TradeTick {
  return {
    type: 'TradeTick',
    instrumentId: ID,
    venue: 'KRX',
    price,
    size,
    aggressor: 'BUY',
    bestAsk: 0,
    bestBid: 0,
    open: 0,
    high: 0,
    low: 0,
    vwap: 0,
    cumulativeVolume: 0,
    cumulativeValue: 0,
    change: 0,
    session: 'REGULAR',
    sessionCode: '',
    hourClass: '0',
    halted: false,
    viBasePrice: 0,
    tsEvent: unixMillis(ts),
    tsInit: unixMillis(ts),
  };
}

describe('MinuteBarBuilder (hand example)', () => {
  // 55,000 won is in the 100-won tick band: 55,050 is a half-tick (midpoint) print.
  it('builds KST minute bars, closes on the next minute and on flush, accepts half ticks', () => {
    const b = new MinuteBarBuilder(ID);
    expect(b.addTick(tick(at('09:00:05'), 55_000, 10))).toBeUndefined();
    expect(b.addTick(tick(at('09:00:30'), 55_050, 3))).toBeUndefined();
    expect(b.addTick(tick(at('09:00:59', 999), 54_900, 5))).toBeUndefined();
    expect(b.current).toMatchObject({ open: 55_000, high: 55_050, low: 54_900, close: 54_900, volume: 18, trades: 3 });

    // The first print of 09:01 closes 09:00.
    const first = b.addTick(tick(at('09:01:00'), 55_100, 2));
    expect(first).toEqual({
      instrumentId: ID,
      start: at('09:00:00'),
      end: at('09:01:00'),
      time: '090000',
      open: 55_000,
      high: 55_050,
      low: 54_900,
      close: 54_900,
      volume: 18,
      // 55,000 × 10 + 55,050 × 3 + 54,900 × 5 = 550,000 + 165,150 + 274,500
      value: 989_650,
      trades: 3,
    });
    // A print of the closed minute is late and dropped.
    expect(b.addTick(tick(at('09:00:50'), 60_000, 100))).toBeUndefined();
    // flush before the minute is over does nothing; at its end it closes the bar.
    expect(b.flush(at('09:01:59', 999))).toBeUndefined();
    const second = b.flush(at('09:02:00'));
    expect(second).toMatchObject({ time: '090100', open: 55_100, high: 55_100, low: 55_100, close: 55_100, volume: 2, value: 110_200, trades: 1 });
    // After a flush the minute is closed: its prints are late too.
    expect(b.addTick(tick(at('09:01:30'), 55_100, 1))).toBeUndefined();
    // Invalid prints are dropped.
    expect(b.addTrade(at('09:03:00'), 0, 1)).toBeUndefined();
    expect(b.addTrade(at('09:03:00'), 55_000, 1.5)).toBeUndefined();
    expect(b.stats).toEqual({ accepted: 4, late: 2, invalid: 2 });
    expect(b.current).toBeUndefined();
  });

  it('skips empty minutes (no bar without prints) and rejects a tick of another instrument', () => {
    const b = new MinuteBarBuilder(ID);
    b.addTrade(at('09:00:10'), 100, 1);
    const closed = b.addTrade(at('09:05:10'), 101, 1);
    expect(closed?.time).toBe('090000');
    expect(b.current?.time).toBe('090500');
    expect(() => b.addTick({ ...tick(at('09:05:20'), 1, 1), instrumentId: instrumentId('000660') })).toThrow(
      expect.objectContaining({ code: 'INSTRUMENT_MISMATCH' }),
    );
  });

  it('KST minute boundaries are UTC minute boundaries', () => {
    expect(minuteStart(at('09:00:59', 999))).toBe(at('09:00:00'));
    expect(minuteStart(at('09:01:00'))).toBe(at('09:01:00'));
  });
});

describe('buildMinuteBars', () => {
  it('matches the builder and respects `until`', () => {
    const trades = [
      { ts: at('09:00:01'), price: 100, volume: 1 },
      { ts: at('09:00:40'), price: 102, volume: 3 },
      { ts: at('09:01:20'), price: 101, volume: 2 },
      { ts: at('09:02:00'), price: 99, volume: 4 },
    ];
    expect(buildMinuteBars(ID, trades).map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume, b.value])).toEqual([
      ['090000', 100, 102, 100, 102, 4, 406],
      ['090100', 101, 101, 101, 101, 2, 202],
      ['090200', 99, 99, 99, 99, 4, 396],
    ]);
    // Until 09:02:00: the 09:02 print is not seen; the 09:01 bar is complete at 09:02:00.
    expect(buildMinuteBars(ID, trades, at('09:02:00')).map((b) => b.time)).toEqual(['090000', '090100']);
    // Until 09:01:30: the 09:01 bar is not complete yet.
    expect(buildMinuteBars(ID, trades, at('09:01:30')).map((b) => b.time)).toEqual(['090000']);
  });

  it('on a synthetic-intraday day of a real bar: volumes and values add up to the prints', () => {
    const bar = loadDailyBars(SHIPPED_2026, { codes: ['005930'] }).bar(D, '005930');
    expect(bar).toBeDefined();
    const path = generateSyntheticIntraday(bar!, testSession(D), { seed: 7 });
    const bars = buildMinuteBars(ID, path.trades());
    expect(bars.reduce((s, b) => s + b.volume, 0)).toBe(bar!.volume);
    expect(Math.max(...bars.map((b) => b.high))).toBe(bar!.high);
    expect(Math.min(...bars.map((b) => b.low))).toBe(bar!.low);
    expect(bars[0]!.open).toBe(bar!.open);
    expect(bars.at(-1)!.close).toBe(bar!.close);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.start).toBeGreaterThan(bars[i - 1]!.start);
    // Session VWAP of the bars = Σ price × size / Σ size of the prints.
    expect(sessionVwap(bars)).toBeCloseTo(path.totalValue / path.totalVolume, 6);
  });
});

describe('sessionVwap', () => {
  it('is cumulative value / volume; undefined without volume', () => {
    expect(sessionVwap([{ volume: 18, value: 989_650 }, { volume: 2, value: 110_200 }])).toBeCloseTo(1_099_850 / 20, 9);
    expect(sessionVwap([])).toBeUndefined();
  });
});

describe('minuteAtr (against a hand computation)', () => {
  // TR: bar 1 = 10 − 8 = 2; bar 2 = max(2, |11 − 9|, |9 − 9|) = 2; bar 3 = max(3, |13 − 10.5|, |10 − 10.5|) = 3;
  // bar 4 = max(1, |12 − 12|, |11 − 12|) = 1; bar 5 = max(3, |15 − 11.5|, |12 − 11.5|) = 3.5.
  // period 3: seed = (2 + 2 + 3) / 3 = 7/3; then Wilder: (7/3 × 2 + 1) / 3 = 17/9; (17/9 × 2 + 3.5) / 3 = 65.5/27.
  const bars = [
    { high: 10, low: 8, close: 9 },
    { high: 11, low: 9, close: 10.5 },
    { high: 13, low: 10, close: 12 },
    { high: 12, low: 11, close: 11.5 },
    { high: 15, low: 12, close: 14 },
  ];
  it('seeds with the simple average, then smooths the Wilder way', () => {
    expect(minuteAtr(bars.slice(0, 2), 3)).toBeUndefined();
    expect(minuteAtr(bars.slice(0, 3), 3)).toBeCloseTo(7 / 3, 12);
    expect(minuteAtr(bars.slice(0, 4), 3)).toBeCloseTo(17 / 9, 12);
    expect(minuteAtr(bars, 3)).toBeCloseTo(65.5 / 27, 12);
  });
  it('rejects a bad period', () => {
    expect(() => minuteAtr(bars, 0)).toThrow(expect.objectContaining({ code: 'ATR_PERIOD_INVALID' }));
  });
});

describe('KIS sentinel bars', () => {
  it('recognises 888888, 999999, 666666', () => {
    expect(['888888', '999999', '666666', '153000'].map(isSentinelBarTime)).toEqual([true, true, true, false]);
  });

  const csv = fileURLToPath(new URL('../../../shared/data/kis/kis_doc_kosdaq_index_2min_20240126-20240129.csv', import.meta.url));
  it.skipIf(!existsSync(csv))('drops the two sentinel rows of the real KIS documentation example', () => {
    const lines = readFileSync(csv, 'utf8').trim().split(/\r?\n/).slice(1);
    const rows = lines.map((l) => ({ time: l.split(',')[1]! }));
    expect(rows).toHaveLength(92);
    const kept = withoutSentinelBars(rows);
    expect(kept).toHaveLength(90);
    expect(rows.length - kept.length).toBe(2);
    expect(kept.every((r) => /^\d{6}$/.test(r.time) && Number(r.time.slice(0, 2)) < 24)).toBe(true);
  });
});

