import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addTicks, isOnTick, roundToTick, tickSize } from './tick.ts';
import { dailyPriceLimits, tickSizePre2023, withinLimits } from './price-limits.ts';

describe('tickSize', () => {
  it.each([
    [1, 1], [1_999, 1], [2_000, 5], [4_995, 5], [5_000, 10], [19_990, 10], [20_000, 50],
    [49_950, 50], [50_000, 100], [199_900, 100], [200_000, 500], [499_500, 500], [500_000, 1_000], [2_000_000, 1_000],
  ])('price %i → tick %i', (p, t) => expect(tickSize(p)).toBe(t));
  it('ETF/ETN/ELW are 5 won at any price', () => {
    expect(tickSize(100_000, 'ETF')).toBe(5);
    expect(tickSize(1_000, 'ETN')).toBe(5);
    expect(tickSize(600_000, 'ELW')).toBe(5);
  });
});

describe('roundToTick', () => {
  it('rounds in the asked direction', () => {
    expect(roundToTick(71_950, 'down')).toBe(71_900);
    expect(roundToTick(71_950, 'up')).toBe(72_000);
    expect(roundToTick(71_949, 'nearest')).toBe(71_900);
    expect(roundToTick(1_999.5, 'up')).toBe(2_000);
    expect(roundToTick(4_999, 'up')).toBe(5_000);
    expect(roundToTick(4_999, 'down')).toBe(4_995);
  });
  it('property: result is on the grid, within one tick, on the right side', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 3_000_000, noNaN: true }), fc.constantFrom('up', 'down', 'nearest') as fc.Arbitrary<'up' | 'down' | 'nearest'>, (p, dir) => {
        const r = roundToTick(p, dir);
        expect(isOnTick(r)).toBe(true);
        if (dir === 'down') expect(r).toBeLessThanOrEqual(Math.max(p, 1));
        if (dir === 'up') expect(r).toBeGreaterThanOrEqual(p);
        expect(Math.abs(r - p)).toBeLessThanOrEqual(tickSize(Math.max(p, r)));
      }),
    );
  });
  it('property: on-grid prices are fixed points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000_000 }), (n) => {
        const p = roundToTick(n, 'down');
        expect(roundToTick(p, 'up')).toBe(p);
        expect(roundToTick(p, 'nearest')).toBe(p);
      }),
    );
  });
  it('addTicks steps across band edges', () => {
    expect(addTicks(roundToTick(1_999, 'down'), 1)).toBe(2_000);
    expect(addTicks(roundToTick(2_000, 'down'), -1)).toBe(1_999);
    expect(addTicks(roundToTick(2_000, 'down'), 1)).toBe(2_005);
    expect(addTicks(roundToTick(50_000, 'down'), -2)).toBe(49_900);
  });
});

describe('dailyPriceLimits', () => {
  it('reproduces the KIS inquire-price example: base 128,500 → 167,000 / 90,000', () => {
    const l = dailyPriceLimits(128_500);
    expect([l.upper, l.lower, l.width]).toEqual([167_000, 90_000, 38_500]);
  });
  it('reproduces the 2022 example with the pre-2023 tick table: base 111,000 → 144,000 / 78,000', () => {
    const l = dailyPriceLimits(111_000, 'STOCK', tickSizePre2023);
    expect([l.upper, l.lower]).toEqual([144_000, 78_000]);
  });
  it('puts a band-crossing limit on its own grid (base 199,900 → upper 259,500)', () => {
    const l = dailyPriceLimits(199_900);
    expect([l.upper, l.lower]).toEqual([259_500, 140_000]);
    expect(dailyPriceLimits(1_990).upper).toBe(2_585);
  });
  it('property: limits are on their own grid, inside base ± width', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 3_000_000 }), (n) => {
        const base = roundToTick(n, 'down');
        const l = dailyPriceLimits(base);
        expect(isOnTick(l.upper)).toBe(true);
        expect(isOnTick(l.lower)).toBe(true);
        expect(l.upper).toBeLessThanOrEqual(base + l.width);
        expect(l.lower).toBeGreaterThanOrEqual(base - l.width);
        expect(l.width % tickSize(base)).toBe(0);
        expect(l.width).toBeLessThanOrEqual(base * 0.3);
        expect(withinLimits(base, l)).toBe(true);
        expect(withinLimits(l.upper + 1, l)).toBe(false);
      }),
    );
  });
});
