import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tradeCosts, type TradeCostRates } from './fees.ts';
import { bps, krw } from './money.ts';

// Synthetic rates for the tests; real rates belong to the configuration.
const RATES: TradeCostRates = { commissionBps: bps(1.5), sellTaxBps: bps(20) };

describe('tradeCosts', () => {
  it('buy: commission only, truncated to the won', () => {
    // 719,000 × 1.5 bp = 107.85 → 107; no tax on a buy
    expect(tradeCosts(krw(719_000), 'BUY', RATES)).toEqual({ commission: 107, tax: 0 });
  });

  it('sell: commission and tax, each truncated separately', () => {
    // 584,000 × 1.5 bp = 87.6 → 87; 584,000 × 20 bp = 1,168 exactly
    expect(tradeCosts(krw(584_000), 'SELL', RATES)).toEqual({ commission: 87, tax: 1_168 });
  });

  it('handles a fractional bp rate exactly (KIS-like 1.40527 bp)', () => {
    const rates = { commissionBps: bps(1.40527), sellTaxBps: bps(18) };
    // 215,700 × 1.40527 bp = 30.311 → 30; 215,700 × 18 bp = 388.26 → 388
    expect(tradeCosts(krw(215_700), 'SELL', rates)).toEqual({ commission: 30, tax: 388 });
    // 10,000,000 × 1.40527 bp = 1,405.27 → 1,405
    expect(tradeCosts(krw(10_000_000), 'BUY', rates)).toEqual({ commission: 1_405, tax: 0 });
  });

  it('zero value costs nothing; zero rates cost nothing', () => {
    expect(tradeCosts(krw(0), 'SELL', RATES)).toEqual({ commission: 0, tax: 0 });
    expect(tradeCosts(krw(1_000_000), 'SELL', { commissionBps: bps(0), sellTaxBps: bps(0) })).toEqual({ commission: 0, tax: 0 });
  });

  it('throws KRW_INVALID on a negative value', () => {
    expect(() => tradeCosts(-1 as never, 'BUY', RATES)).toThrow(expect.objectContaining({ code: 'KRW_INVALID' }));
  });

  it('property: commission = floor(value × rate / 10,000) on both sides; tax only on sells', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 100_000_000 }), // commission rate in 1e-6 bp (0..100 bp)
        fc.integer({ min: 0, max: 500_000_000 }), // tax rate in 1e-6 bp (0..500 bp)
        fc.constantFrom('BUY' as const, 'SELL' as const),
        (value, c, t, side) => {
          const rates = { commissionBps: bps(c / 1e6), sellTaxBps: bps(t / 1e6) };
          const out = tradeCosts(krw(value), side, rates);
          expect(out.commission).toBe(Number((BigInt(value) * BigInt(c)) / 10_000_000_000n));
          expect(out.tax).toBe(side === 'SELL' ? Number((BigInt(value) * BigInt(t)) / 10_000_000_000n) : 0);
        },
      ),
    );
  });
});
