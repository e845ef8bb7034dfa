import { describe, expect, it } from 'vitest';
import { isOnTick } from '../model/tick.ts';
import { syntheticBestAsk, syntheticBestBid, syntheticBook } from './book.ts';
import type { SimInstrument } from './market-source.ts';

function inst(basePrice: number, kind: SimInstrument['kind'] = 'STOCK'): SimInstrument {
  return { id: '005930' as SimInstrument['id'], name: 'SYNTH', market: 'KOSPI', kind, basePrice, daily: { open: 0, high: 0, low: 0, close: 0, volume: 20_000 } };
}

describe('synthetic book', () => {
  it('best ask / bid are one grid step either side of an on-grid last price', () => {
    expect([syntheticBestAsk(inst(70_000), 70_000), syntheticBestBid(inst(70_000), 70_000)]).toEqual([70_100, 69_900]);
  });
  it('a half-tick last sits between two adjacent ticks', () => {
    expect([syntheticBestAsk(inst(70_000), 70_050), syntheticBestBid(inst(70_000), 70_050)]).toEqual([70_100, 70_000]);
  });
  it('steps across tick bands', () => {
    expect([syntheticBestAsk(inst(2_000), 2_000), syntheticBestBid(inst(2_000), 2_000)]).toEqual([2_005, 1_999]);
  });
  it('ETFs use 5 won', () => {
    expect(syntheticBestAsk(inst(30_000, 'ETF'), 30_000)).toBe(30_005);
  });
  it('is clamped to the daily limits; levels beyond them are empty', () => {
    const i = inst(70_000); // limits 49,000 / 91,000
    expect(syntheticBestAsk(i, 91_000)).toBe(91_000);
    expect(syntheticBestBid(i, 49_000)).toBe(49_000);
    const b = syntheticBook(i, 90_500);
    expect(b.asks.map((l) => l.price)).toEqual([90_600, 90_700, 90_800, 90_900, 91_000, 0, 0, 0, 0, 0]);
    expect(b.asks[5]?.quantity).toBe(0);
  });
  it('ten levels each side on the grid, quantities > 0', () => {
    const b = syntheticBook(inst(70_000), 70_000);
    expect(b.asks).toHaveLength(10);
    expect(b.bids).toHaveLength(10);
    for (const l of [...b.asks, ...b.bids]) {
      expect(isOnTick(l.price)).toBe(true);
      expect(l.quantity).toBeGreaterThan(0);
    }
    expect(b.bids[9]?.price).toBe(69_000);
  });
});
