import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bps, feeOf, krw, price, quantity } from './money.ts';

describe('money', () => {
  it('rejects floats and bad values at the brand boundary', () => {
    expect(() => price(100.5)).toThrow(/whole number/);
    expect(() => price(0)).toThrow();
    expect(() => quantity(-1)).toThrow();
    expect(() => krw(Number.NaN)).toThrow();
    expect(() => bps(1.1234567)).toThrow(/6 decimals/);
    expect(bps(1.40527)).toBe(1.40527);
  });
  it('feeOf truncates to the won', () => {
    // 71,900 × 10 = 719,000 won; 1.40527 bp → 101.03... → 101 won
    expect(feeOf(719_000, 1.40527)).toBe(101);
    // 20 bp sell tax on 730,000 → 1,460 won exactly
    expect(feeOf(730_000, 20)).toBe(1_460);
    expect(feeOf(0, 20)).toBe(0);
    expect(feeOf(49, 20)).toBe(0);
  });
  it('property: feeOf equals exact rational floor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 100_000_000 }), (amount, microBps) => {
        const fee = feeOf(amount, microBps / 1e6);
        expect(BigInt(fee)).toBe((BigInt(amount) * BigInt(microBps)) / 10_000_000_000n);
      }),
    );
  });
});
