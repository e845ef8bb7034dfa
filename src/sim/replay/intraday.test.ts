import { describe, expect, it } from 'vitest';
import { kstInstant } from '../../core/kst.ts';
import { isOnTick, tickSize } from '../../model/tick.ts';
import type { InstrumentKind } from '../../model/instrument.ts';
import { loadDailyBars, type DailyBar } from './daily-bars.ts';
import {
  generateSyntheticIntraday,
  mulberry32,
  priceAtTick,
  syntheticIntradaySeed,
  syntheticIntradayTrades,
  tickCoordinate,
  type IntradayBar,
  type SessionInstants,
  type SyntheticIntradayPath,
} from './intraday.ts';
import { HAS_SHARED, MARCAP_2026, SHIPPED_2024, SHIPPED_2026, testSession } from './test-support.ts';

/**
 * Every property the generator promises, checked print by print. Returns the number of prints.
 * (Plain loops and one `expect` per failure: hundreds of thousands of prints per test.)
 */
function checkPath(bar: IntradayBar, path: SyntheticIntradayPath, s: SessionInstants): number {
  const where = `${bar.code} ${bar.date}`;
  const n = path.length;
  if (bar.volume === 0 || bar.traded === false) {
    expect(n, where).toBe(0);
    return 0;
  }
  expect(n, where).toBeGreaterThan(0);
  const kind: InstrumentKind = bar.kind ?? 'STOCK';
  const real = new Set([bar.open, bar.high, bar.low, bar.close]);
  let max = -Infinity;
  let min = Infinity;
  let vol = 0;
  for (let i = 0; i < n; i++) {
    const p = path.price(i);
    const v = path.volume(i);
    const t = path.ts(i);
    if (p > max) max = p;
    if (p < min) min = p;
    vol += v;
    if (!(Number.isSafeInteger(v) && v > 0)) expect.fail(`${where}: print ${i} volume ${v}`);
    if (!isOnTick(p, kind) && !real.has(p)) expect.fail(`${where}: print ${i} price ${p} off the grid and not the bar's own price`);
    if (i > 0 && t <= path.ts(i - 1)) expect.fail(`${where}: print ${i} not after print ${i - 1}`);
    if (i > 0 && i < n - 1 && !(t > s.open && t < s.closingAuctionStart)) expect.fail(`${where}: continuous print ${i} at ${t} outside the session`);
  }
  expect(path.ts(0), where).toBe(s.open);
  expect(path.price(0), where).toBe(bar.open);
  if (bar.volume > 1) {
    expect(path.ts(n - 1), where).toBe(s.close);
    expect(n, where).toBeGreaterThanOrEqual(2);
  }
  expect(path.price(n - 1), where).toBe(bar.close);
  expect(max, where).toBe(bar.high);
  expect(min, where).toBe(bar.low);
  expect(vol, where).toBe(bar.volume);
  expect(path.totalVolume, where).toBe(bar.volume);
  return n;
}

const REGULAR = testSession('2026-02-20');

describe('mulberry32 and seeds', () => {
  it('is deterministic, uniform on [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = a();
      expect(x).toBe(b());
      if (!(x >= 0 && x < 1)) expect.fail(`out of range: ${x}`);
      sum += x;
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });
  it('derives a distinct seed per (seed, date, code)', () => {
    const s = syntheticIntradaySeed(7, '2026-02-20', '005930');
    expect(syntheticIntradaySeed(7, '2026-02-20', '005930')).toBe(s);
    expect(syntheticIntradaySeed(8, '2026-02-20', '005930')).not.toBe(s);
    expect(syntheticIntradaySeed(7, '2026-02-19', '005930')).not.toBe(s);
    expect(syntheticIntradaySeed(7, '2026-02-20', '005935')).not.toBe(s);
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});

describe('tick space', () => {
  it('maps the grid one to one across every band, consistent with model/tick', () => {
    let prev = 0;
    for (let i = 1; i < 8_000; i++) {
      const p = priceAtTick(i);
      if (!isOnTick(p)) expect.fail(`${p} off the grid`);
      if (p - prev !== tickSize(prev === 0 ? 1 : prev)) expect.fail(`gap ${prev} → ${p}`);
      if (tickCoordinate(p) !== i) expect.fail(`coordinate of ${p}`);
      prev = p;
    }
    expect(priceAtTick(2_000)).toBe(2_000);
    expect(priceAtTick(6_800)).toBe(500_000);
    expect(tickCoordinate(33_975)).toBe(tickCoordinate(33_950) + 0.5); // half tick
    expect(priceAtTick(7, 'ETF')).toBe(35);
    expect(tickCoordinate(35, 'ETF')).toBe(7);
  });
});

describe('synthetic-intraday on every shipped bar', () => {
  for (const file of [SHIPPED_2026, SHIPPED_2024]) {
    it(`${file.split('/').pop()}: open/close prints, exact extremes and volume, order, grid`, () => {
      const set = loadDailyBars(file);
      let prints = 0;
      let bars = 0;
      for (const d of set.dates()) {
        const s = testSession(d);
        for (const b of set.session(d)) {
          prints += checkPath(b, generateSyntheticIntraday(b, s, { seed: 1 }), s);
          bars++;
        }
      }
      expect(bars).toBe(set.size);
      expect(prints).toBeGreaterThan(bars * 100);
    });
  }

  it('keeps the real half-tick extremes of 2026 as they are', () => {
    const set = loadDailyBars(SHIPPED_2026);
    // (Three bars of the file are trading halts: volume 0, open/high/low 0.)
    const offGrid = set.dates().flatMap((d) => set.session(d).filter((b) => b.traded && (!isOnTick(b.high) || !isOnTick(b.low))));
    expect(offGrid.length).toBeGreaterThan(5);
    for (const b of offGrid) {
      const path = generateSyntheticIntraday(b, testSession(b.date), { seed: 3 });
      const prices = new Set(path.trades().map((t) => t.price));
      expect(prices.has(b.high) && prices.has(b.low)).toBe(true);
      // Only the bar's own prices may be off the grid.
      for (const p of prices) if (!isOnTick(p)) expect([b.open, b.high, b.low, b.close]).toContain(p);
    }
  });
});

describe.skipIf(!HAS_SHARED)('synthetic-intraday on every listing of a real marcap day (skipped when ../shared/data is absent)', () => {
  it('2026-02-20 (all ~2,900 listings) and every 2026 bar with an off-grid price', () => {
    const set = loadDailyBars(MARCAP_2026);
    const day = '2026-02-20';
    const s = testSession(day);
    let n = 0;
    for (const b of set.session(day)) n += checkPath(b, generateSyntheticIntraday(b, s, { seed: 11 }), s);
    expect(set.session(day).length).toBeGreaterThan(2_800);
    expect(n).toBeGreaterThan(1_000_000);
    let odd = 0;
    for (const d of set.dates()) {
      const sd = testSession(d);
      for (const b of set.session(d)) {
        if (!b.traded || [b.open, b.high, b.low, b.close].every((p) => isOnTick(p))) continue;
        checkPath(b, generateSyntheticIntraday(b, sd, { seed: 5 }), sd);
        odd++;
      }
    }
    expect(odd).toBeGreaterThan(300);
  });
});

describe('determinism', () => {
  const set = loadDailyBars(SHIPPED_2026);
  const bar = set.bar('2026-02-20', '005930')!;
  it('same seed → identical prints; different seed → different prints', () => {
    const a = syntheticIntradayTrades(bar, REGULAR, { seed: 99 });
    const b = syntheticIntradayTrades(bar, REGULAR, { seed: 99 });
    const c = syntheticIntradayTrades(bar, REGULAR, { seed: 100 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(c.length).toBe(a.length); // the count depends on the volume only
    expect(c.some((t, i) => t.price !== a[i]!.price)).toBe(true);
  });
  it('depends on the bar and the date, not on what else is generated', () => {
    const first = syntheticIntradayTrades(bar, REGULAR, { seed: 5 });
    for (const other of set.session('2026-02-20')) generateSyntheticIntraday(other, REGULAR, { seed: 5 });
    expect(syntheticIntradayTrades(bar, REGULAR, { seed: 5 })).toEqual(first);
  });
});

describe('shape of the path', () => {
  const set = loadDailyBars(SHIPPED_2026);
  const bar = set.bar('2026-02-20', '005930')!;
  const path = generateSyntheticIntraday(bar, REGULAR, { seed: 2 });

  it('about √volume continuous prints, irregular gaps, denser after the open and before the close', () => {
    expect(path.length).toBe(Math.round(Math.sqrt(bar.volume)) + 2);
    const gaps: number[] = [];
    for (let i = 2; i < path.length - 1; i++) gaps.push(path.ts(i) - path.ts(i - 1));
    gaps.sort((a, b) => a - b);
    expect(new Set(gaps).size).toBeGreaterThan(gaps.length / 4);
    expect(gaps[Math.floor(gaps.length * 0.99)]! / gaps[Math.floor(gaps.length * 0.01)]!).toBeGreaterThan(10);
    const count = (from: string, to: string): number => path.countUntil(kstInstant('2026-02-20', to)) - path.countUntil(kstInstant('2026-02-20', from));
    expect(count('09:00:01', '09:30')).toBeGreaterThan(2 * count('12:00', '12:30'));
    expect(count('14:50', '15:20')).toBeGreaterThan(2 * count('12:00', '12:30'));
    expect(count('15:20', '15:29:59')).toBe(0); // the closing auction collects, it does not print
  });

  it('gives each auction 2–8 % of the volume', () => {
    for (const b of set.session('2026-02-20')) {
      const p = generateSyntheticIntraday(b, REGULAR, { seed: 4 });
      for (const v of [p.volume(0), p.volume(p.length - 1)]) {
        expect(v / b.volume).toBeGreaterThanOrEqual(0.0199);
        expect(v / b.volume).toBeLessThanOrEqual(0.0801);
      }
    }
  });

  it('reaches the high and the low at random continuous prints, not only at the auctions', () => {
    const positions = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const p = generateSyntheticIntraday(bar, REGULAR, { seed });
      for (let i = 1; i < p.length - 1; i++) if (p.price(i) === bar.high) positions.add(Math.floor((10 * i) / p.length));
    }
    expect(positions.size).toBeGreaterThan(3);
  });
});

describe('edge cases (synthetic bars, named so)', () => {
  const base = { date: '2026-02-20', code: '999990' };
  const gen = (b: Partial<IntradayBar> & Pick<IntradayBar, 'open' | 'high' | 'low' | 'close' | 'volume'>, s: SessionInstants = REGULAR): SyntheticIntradayPath => {
    const bar = { ...base, ...b };
    const p = generateSyntheticIntraday(bar, s, { seed: 1 });
    checkPath(bar, p, s);
    return p;
  };

  it('no trades → no prints', () => {
    expect(gen({ open: 0, high: 0, low: 0, close: 5000, volume: 0 }).length).toBe(0);
    expect(gen({ open: 5000, high: 5000, low: 5000, close: 5000, volume: 10, traded: false }).length).toBe(0);
  });
  it('one share → one opening print', () => {
    const p = gen({ open: 5000, high: 5000, low: 5000, close: 5000, volume: 1 });
    expect(p.trades()).toEqual([{ ts: REGULAR.open, price: 5000, volume: 1 }]);
  });
  it('two shares with open ≠ close → the two auction prints', () => {
    const p = gen({ open: 5000, high: 5010, low: 5000, close: 5010, volume: 2 });
    expect(p.trades().map((t) => [t.price, t.volume])).toEqual([
      [5000, 1],
      [5010, 1],
    ]);
  });
  it('just enough shares for both extremes', () => {
    const p = gen({ open: 5000, high: 5100, low: 4900, close: 5050, volume: 4 });
    expect(p.length).toBe(4);
  });
  it('flat day: every print at the one price', () => {
    const p = gen({ open: 7000, high: 7000, low: 7000, close: 7000, volume: 50_000 });
    expect(new Set(p.trades().map((t) => t.price))).toEqual(new Set([7000]));
  });
  it('a range with no grid price inside prints only the bar’s own prices', () => {
    const p = gen({ open: 4057, high: 4058, low: 4057, close: 4058, volume: 900 });
    expect(new Set(p.trades().map((t) => t.price))).toEqual(new Set([4057, 4058]));
  });
  it('crosses tick bands on the grid of each price', () => {
    const p = gen({ open: 4_900, high: 5_400, low: 4_800, close: 5_200, volume: 2_000_000 });
    const prices = p.trades().map((t) => t.price);
    expect(prices.some((x) => x < 5000 && x % 10 === 5)).toBe(true); // 5-won steps below 5,000
    expect(prices.filter((x) => x >= 5000).every((x) => x % 10 === 0)).toBe(true);
  });
  it('ETF: 5-won grid', () => {
    const p = gen({ open: 31_005, high: 31_200, low: 30_900, close: 31_100, volume: 300_000, kind: 'ETF' });
    expect(p.trades().every((t) => t.price % 5 === 0)).toBe(true);
    expect(p.trades().some((t) => t.price % 50 !== 0)).toBe(true);
  });
  it('a tiny session still fits (prints capped by the milliseconds available)', () => {
    const s = { open: 1_000_000, closingAuctionStart: 1_000_004, close: 1_000_010 };
    const p = gen({ open: 5000, high: 5100, low: 4900, close: 5050, volume: 1_000_000 }, s);
    expect(p.length).toBe(5);
  });
  it('caps continuous prints', () => {
    const bar = { ...base, open: 1000, high: 1100, low: 900, close: 1000, volume: 1_000_000_000 };
    expect(generateSyntheticIntraday(bar, REGULAR, { seed: 1 }).length).toBe(20_002);
    expect(generateSyntheticIntraday(bar, REGULAR, { seed: 1, maxContinuousPrints: 100 }).length).toBe(102);
  });
  it('rejects bad sessions and inconsistent bars', () => {
    const ok = { ...base, open: 5000, high: 5100, low: 4900, close: 5050, volume: 10 };
    expect(() => generateSyntheticIntraday(ok, { open: 10, closingAuctionStart: 10, close: 20 }, { seed: 1 })).toThrow(RangeError);
    expect(() => generateSyntheticIntraday(ok, { open: 10, closingAuctionStart: 30, close: 20 }, { seed: 1 })).toThrow(RangeError);
    expect(() => generateSyntheticIntraday({ ...ok, close: 5200 }, REGULAR, { seed: 1 })).toThrow(/inconsistent bar/);
    expect(() => generateSyntheticIntraday({ ...ok, volume: 1.5 }, REGULAR, { seed: 1 })).toThrow(RangeError);
    expect(() => generateSyntheticIntraday(ok, REGULAR, { seed: 1, maxContinuousPrints: -1 })).toThrow(RangeError);
  });
});

describe('tradesBetween / snapshot on a path', () => {
  const bar: DailyBar = loadDailyBars(SHIPPED_2026).bar('2026-02-20', '000660')!;
  const p = generateSyntheticIntraday(bar, REGULAR, { seed: 8 });
  it('from is exclusive, to inclusive', () => {
    const t = p.ts(10);
    expect(p.tradesBetween(t - 1, t)).toEqual([p.trade(10)]);
    expect(p.tradesBetween(t, t + 0)).toEqual([]);
    expect(p.tradesBetween(REGULAR.open - 1, REGULAR.close).length).toBe(p.length);
    expect(p.tradesBetween(REGULAR.close, REGULAR.close + 1)).toEqual([]);
  });
  it('snapshot before the first print uses the base price', () => {
    expect(p.snapshot(REGULAR.open - 1, 123)).toEqual({ last: 123, open: 0, high: 0, low: 0, volume: 0, value: 0, lastTs: undefined });
    expect(p.snapshot(REGULAR.close, 123)).toMatchObject({ last: bar.close, open: bar.open, high: bar.high, low: bar.low, volume: bar.volume, lastTs: REGULAR.close });
  });
});
