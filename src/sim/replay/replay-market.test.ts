import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { kstInstant } from '../../core/kst.ts';
import type { MarketSource } from '../market-source.ts';
import { loadDailyBars, parseDailyBars } from './daily-bars.ts';
import { generateSyntheticIntraday } from './intraday.ts';
import { latestShippedSession, listShippedDailyData, ReplayMarket, shippedDataDir } from './replay-market.ts';
import { SHIPPED_2026, testSession } from './test-support.ts';

const set = loadDailyBars(SHIPPED_2026);
const DATE = '2026-02-20';
const S = testSession(DATE);
const market = (extra: { seed?: number; codes?: readonly string[] } = {}): ReplayMarket => new ReplayMarket(set, { date: DATE, ...S, ...extra });

describe('ReplayMarket', () => {
  it('is a MarketSource over the bars of the session', () => {
    const m: MarketSource = market();
    expect(m.sessionDate).toBe(DATE);
    expect([m.open, m.closingAuctionStart, m.close]).toEqual([S.open, S.closingAuctionStart, S.close]);
    expect(m.instruments().length).toBe(40);
    const sam = m.instrument('005930')!;
    const bar = set.bar(DATE, '005930')!;
    expect(sam).toMatchObject({
      id: '005930',
      name: '삼성전자',
      market: 'KOSPI',
      kind: 'STOCK',
      basePrice: bar.prevClose,
      daily: { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume },
    });
    expect(m.instruments().map((i) => i.id)).toEqual([...set.session(DATE).map((b) => b.code)]);
    expect(market().describe()).toMatch(/^2026-02-20 from .*krx-2026-0102_0220\.csv: 40 instruments, synthetic-intraday prints \(seed 0\)$/);
  });

  it('snapshots: base price before the open, the real bar at the close', () => {
    const m = market();
    for (const inst of m.instruments()) {
      const code = inst.id;
      expect(m.snapshot(code, S.open - 1)).toEqual({ last: inst.basePrice, open: 0, high: 0, low: 0, volume: 0, value: 0, lastTs: undefined });
      const atOpen = m.snapshot(code, S.open)!;
      expect(atOpen.last).toBe(inst.daily.open);
      expect(atOpen.lastTs).toBe(S.open);
      const end = m.snapshot(code, S.close)!;
      expect(end).toMatchObject({ last: inst.daily.close, open: inst.daily.open, high: inst.daily.high, low: inst.daily.low, volume: inst.daily.volume, lastTs: S.close });
      // Value is the synthetic prints' Σ price × volume: near the real figure, not equal to it.
      expect(Math.abs(end.value / m.instrument(code)!.value - 1)).toBeLessThan(0.05);
      expect(m.snapshot(code, S.close + 3_600_000)).toEqual(end);
    }
  });

  it('snapshot(t).volume = Σ tradesBetween(start, t) volumes, at many instants', () => {
    const m = market({ seed: 3 });
    const rand = ((): (() => number) => {
      let x = 12345;
      return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    })();
    for (const code of ['005930', '000660', '086520', '319400']) {
      const instants = [S.open - 1, S.open, S.open + 1, S.closingAuctionStart, S.close - 1, S.close];
      for (let i = 0; i < 200; i++) instants.push(S.open + Math.floor(rand() * (S.close - S.open)));
      for (const t of instants) {
        const trades = m.tradesBetween(code, S.open - 1, t);
        const snap = m.snapshot(code, t)!;
        expect(trades.reduce((s, x) => s + x.volume, 0)).toBe(snap.volume);
        expect(trades.reduce((s, x) => s + x.price * x.volume, 0)).toBe(snap.value);
        if (trades.length > 0) {
          const last = trades[trades.length - 1]!;
          expect(snap.last).toBe(last.price);
          expect(snap.lastTs).toBe(last.ts);
          expect(snap.high).toBe(Math.max(...trades.map((x) => x.price)));
          expect(snap.low).toBe(Math.min(...trades.map((x) => x.price)));
        }
      }
      // Windows tile: (a, b] + (b, c] = (a, c]
      const [a, b, c] = [S.open - 1, kstInstant(DATE, '11:11:11'), S.close];
      expect([...m.tradesBetween(code, a, b), ...m.tradesBetween(code, b, c)]).toEqual(m.tradesBetween(code, a, c));
      for (const t of m.tradesBetween(code, a, c)) {
        expect(m.tradesBetween(code, t.ts - 1, t.ts)).toEqual([t]);
        expect(m.tradesBetween(code, t.ts, t.ts + 0)).toEqual([]);
      }
    }
  });

  it('generates lazily, per code, independently of the other codes', () => {
    const m = market({ seed: 9 });
    expect(m.isGenerated('005930')).toBe(false);
    m.snapshot('005930', S.close);
    expect(m.isGenerated('005930')).toBe(true);
    expect(m.isGenerated('000660')).toBe(false);
    const alone = new ReplayMarket(set, { date: DATE, ...S, seed: 9, codes: ['005930'] });
    expect(alone.tradesBetween('005930', 0, S.close)).toEqual(m.tradesBetween('005930', 0, S.close));
    expect(m.tradesBetween('005930', 0, S.close)).toEqual(generateSyntheticIntraday(set.bar(DATE, '005930')!, S, { seed: 9 }).trades());
  });

  it('filters codes and reports the missing ones', () => {
    const m = market({ codes: ['005930', '000660', '123456'] });
    expect(m.instruments().map((i) => i.id)).toEqual(['000660', '005930']);
    expect(m.missingCodes).toEqual(['123456']);
  });

  it('unknown codes: no instrument, no snapshot, no trades', () => {
    const m = market();
    expect(m.instrument('999999')).toBeUndefined();
    expect(m.snapshot('999999', S.close)).toBeUndefined();
    expect(m.tradesBetween('999999', 0, S.close)).toEqual([]);
  });

  it('a halted instrument (no trades that day) stays at its base price', () => {
    const m = new ReplayMarket(set, { date: '2026-01-22', ...testSession('2026-01-22') });
    const halted = m.instrument('090710')!;
    expect(halted.traded).toBe(false);
    expect(halted.basePrice).toBe(set.bar('2026-01-22', '090710')!.close);
    expect(m.tradesBetween('090710', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(m.snapshot('090710', kstInstant('2026-01-22', '15:30'))).toMatchObject({ last: halted.basePrice, volume: 0 });
  });

  it('uses the open as base price when the file has no previous close', () => {
    const rl = parseDailyBars('1987-01-03,"20,981","21,000","20,900","20,981","1,000"\n1987-01-05,"20,981","20,981","20,981","20,981","0"\n', 'v1_005930.csv');
    const first = new ReplayMarket(rl, { date: '1987-01-03', ...testSession('1987-01-03') }).instrument('005930')!;
    expect(first).toMatchObject({ basePrice: 20981, basePriceSource: 'open' });
    const second = new ReplayMarket(rl, { date: '1987-01-05', ...testSession('1987-01-05') }).instrument('005930')!;
    expect(second).toMatchObject({ basePrice: 20981, basePriceSource: 'prevClose', traded: false });
  });

  it('refuses a date without bars and disordered instants', () => {
    expect(() => new ReplayMarket(set, { date: '2026-02-21', ...S })).toThrow(InputError);
    expect(() => new ReplayMarket(set, { date: '2026-02-21', ...S })).toThrow(/no bars on 2026-02-21 .*sessions 2026-01-02 … 2026-02-20/);
    expect(() => new ReplayMarket(set, { date: DATE, open: S.close, closingAuctionStart: S.open, close: S.close })).toThrow(RangeError);
  });

  it('latestDate', () => {
    expect(ReplayMarket.latestDate(set)).toBe('2026-02-20');
    expect(() => ReplayMarket.latestDate(parseDailyBars('date,code,name,market,open,high,low,close,volume,value,prev_close\n', 'e.csv'))).toThrow(InputError);
  });
});

describe('shipped data', () => {
  it('lists data/daily/*.csv with their ranges, latest last', () => {
    const files = listShippedDailyData();
    expect(files.map((f) => [f.file, f.firstDate, f.lastDate, f.sessions, f.codes])).toEqual([
      ['krx-2024-0102_0213.csv', '2024-01-02', '2024-02-13', 29, 40],
      ['krx-2026-0102_0220.csv', '2026-01-02', '2026-02-20', 33, 40],
    ]);
    expect(files[0]!.path.startsWith(shippedDataDir())).toBe(true);
    expect(latestShippedSession()).toEqual({ path: files[1]!.path, date: '2026-02-20' });
  });
  it('works on any folder; an empty one has no latest session', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-data-'));
    expect(listShippedDailyData(dir)).toEqual([]);
    expect(() => latestShippedSession(dir)).toThrow(InputError);
    writeFileSync(join(dir, 'x.csv'), 'date,code,name,market,open,high,low,close,volume,value,prev_close\n2025-01-02,005930,삼성전자,KOSPI,1,1,1,1,1,1,\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(latestShippedSession(dir)).toEqual({ path: join(dir, 'x.csv'), date: '2025-01-02' });
  });
});
