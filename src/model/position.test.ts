import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unixMillis } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';
import type { TradeCostRates } from './fees.ts';
import { instrumentId } from './instrument.ts';
import { bps, krw, price, quantity } from './money.ts';
import type { OrderFilled } from './order-events.ts';
import type { OrderSide } from './order-types.ts';
import {
  applyFill,
  averagePrice,
  flatPosition,
  netUnrealizedPnl,
  unrealizedPnl,
  type Position,
  type PositionFill,
} from './position.ts';

// Synthetic rates for the tests; real rates belong to the configuration.
const RATES: TradeCostRates = { commissionBps: bps(1.5), sellTaxBps: bps(20) };
const ZERO_RATES: TradeCostRates = { commissionBps: bps(0), sellTaxBps: bps(0) };
const SAMSUNG = instrumentId('005930');

const fill = (side: OrderSide, qty: number, px: number): PositionFill => ({
  instrumentId: SAMSUNG,
  side,
  lastQty: quantity(qty),
  lastPx: price(px),
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvariantError) return e.code;
    throw e;
  }
  return undefined;
}

describe('applyFill: worked example (commission 1.5 bp both sides, sell tax 20 bp)', () => {
  it('buy 10 @ 71,900, buy 5 @ 72,000, sell 8 @ 73,000, sell 7 @ 72,500', () => {
    let p = flatPosition(SAMSUNG);

    // Buy 10 @ 71,900: value 719,000; commission floor(719,000 × 0.00015 = 107.85) = 107.
    const b1 = applyFill(p, fill('BUY', 10, 71_900), RATES);
    expect([b1.commission, b1.tax, b1.costBasisReleased, b1.realizedPnl]).toEqual([107, 0, 0, -107]);
    p = b1.position;
    expect(p).toEqual({ instrumentId: SAMSUNG, quantity: 10, costBasis: 719_000, realizedPnl: -107, commissionPaid: 107, taxPaid: 0 });

    // Buy 5 @ 72,000: value 360,000; commission floor(54.0) = 54.
    // Held 15, cost basis 719,000 + 360,000 = 1,079,000 (fees excluded), avg 71,933.33.
    const b2 = applyFill(p, fill('BUY', 5, 72_000), RATES);
    expect([b2.commission, b2.realizedPnl]).toEqual([54, -54]);
    p = b2.position;
    expect(p).toMatchObject({ quantity: 15, costBasis: 1_079_000, realizedPnl: -161, commissionPaid: 161, taxPaid: 0 });
    expect(averagePrice(p)).toBeCloseTo(71_933.333, 3);

    // Sell 8 @ 73,000: value 584,000; commission floor(87.6) = 87; tax floor(584,000 × 0.002 = 1,168.0) = 1,168.
    // Cost of the 8 sold = floor(1,079,000 × 8 / 15 = 575,466.67) = 575,466.
    // Fill PnL = 584,000 − 87 − 1,168 − 575,466 = 7,279; cumulative −161 + 7,279 = 7,118.
    // Left: 7 shares, cost basis 1,079,000 − 575,466 = 503,534.
    const s1 = applyFill(p, fill('SELL', 8, 73_000), RATES);
    expect([s1.commission, s1.tax, s1.costBasisReleased, s1.realizedPnl]).toEqual([87, 1_168, 575_466, 7_279]);
    p = s1.position;
    expect(p).toMatchObject({ quantity: 7, costBasis: 503_534, realizedPnl: 7_118, commissionPaid: 248, taxPaid: 1_168 });

    // Marks at 74,000: market value 518,000.
    // Unrealised (KIS evlu_pfls_amt convention, no costs): 518,000 − 503,534 = 14,466.
    expect(unrealizedPnl(p, price(74_000))).toBe(14_466);
    // Net of selling now: commission floor(77.7) = 77, tax floor(1,036.0) = 1,036 → 518,000 − 77 − 1,036 − 503,534 = 13,353.
    expect(netUnrealizedPnl(p, price(74_000), RATES)).toBe(13_353);

    // Sell the last 7 @ 72,500: value 507,500; commission floor(76.125) = 76; tax floor(1,015.0) = 1,015.
    // The last shares take the whole remaining cost basis 503,534 (remainder included).
    // Fill PnL = 507,500 − 76 − 1,015 − 503,534 = 2,875; cumulative 7,118 + 2,875 = 9,993.
    const s2 = applyFill(p, fill('SELL', 7, 72_500), RATES);
    expect([s2.commission, s2.tax, s2.costBasisReleased, s2.realizedPnl]).toEqual([76, 1_015, 503_534, 2_875]);
    p = s2.position;
    expect(p).toEqual({ instrumentId: SAMSUNG, quantity: 0, costBasis: 0, realizedPnl: 9_993, commissionPaid: 324, taxPaid: 2_183 });

    // Cross-check: sells 1,091,500 − buys 1,079,000 = 12,500; − commissions 324 − taxes 2,183 = 9,993.
    expect(1_091_500 - 1_079_000 - 324 - 2_183).toBe(p.realizedPnl);
    expect(averagePrice(p)).toBeUndefined();
    expect(unrealizedPnl(p, price(74_000))).toBe(0);
  });

  it('the rounding remainder rides on the last share', () => {
    // Zero rates. Buy 1 @ 100 and 2 @ 101: 3 shares cost 302 (avg 100.67).
    let p = applyFill(flatPosition(SAMSUNG), fill('BUY', 1, 100), ZERO_RATES).position;
    p = applyFill(p, fill('BUY', 2, 101), ZERO_RATES).position;
    expect([p.quantity, p.costBasis]).toEqual([3, 302]);
    // Sell 1: floor(302 × 1/3 = 100.67) = 100 released, 202 left for 2 shares.
    const r1 = applyFill(p, fill('SELL', 1, 101), ZERO_RATES);
    expect([r1.costBasisReleased, r1.realizedPnl, r1.position.costBasis]).toEqual([100, 1, 202]);
    // Sell 1: floor(202 × 1/2) = 101 released, 101 left.
    const r2 = applyFill(r1.position, fill('SELL', 1, 101), ZERO_RATES);
    expect([r2.costBasisReleased, r2.realizedPnl, r2.position.costBasis]).toEqual([101, 0, 101]);
    // Sell the last: all 101 released, cost basis exactly 0.
    const r3 = applyFill(r2.position, fill('SELL', 1, 101), ZERO_RATES);
    expect([r3.costBasisReleased, r3.realizedPnl, r3.position.costBasis, r3.position.quantity]).toEqual([101, 0, 0, 0]);
    expect(r1.realizedPnl + r2.realizedPnl + r3.realizedPnl).toBe(3 * 101 - 302);
  });

  it('fractional bp commission (KIS-like 1.40527 bp), no tax (e.g. an ETF), buy 3 @ 71,900', () => {
    const rates = { commissionBps: bps(1.40527), sellTaxBps: bps(0) };
    // 215,700 × 0.000140527 = 30.31 → 30
    const r = applyFill(flatPosition(SAMSUNG), fill('BUY', 3, 71_900), rates);
    expect([r.commission, r.position.costBasis, r.position.realizedPnl]).toEqual([30, 215_700, -30]);
  });
});

describe('applyFill: refusals', () => {
  it('selling more than held throws POSITION_OVERSOLD (no short selling) and changes nothing', () => {
    const p = applyFill(flatPosition(SAMSUNG), fill('BUY', 5, 10_000), RATES).position;
    let err: unknown;
    try {
      applyFill(p, fill('SELL', 6, 10_000), RATES);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'POSITION_OVERSOLD', disposition: 'fatal', context: { held: 5, lastQty: 6 } });
    expect(p.quantity).toBe(5);
    expect(codeOf(() => applyFill(flatPosition(SAMSUNG), fill('SELL', 1, 10_000), RATES))).toBe('POSITION_OVERSOLD');
  });

  it('a fill of another instrument or of zero shares is refused', () => {
    const p = flatPosition(SAMSUNG);
    expect(codeOf(() => applyFill(p, { ...fill('BUY', 1, 100), instrumentId: instrumentId('000660') }, RATES))).toBe('POSITION_INSTRUMENT_MISMATCH');
    expect(codeOf(() => applyFill(p, fill('BUY', 0, 100), RATES))).toBe('FILL_INVALID');
  });

  it('OrderFilled is a PositionFill; records are frozen', () => {
    const f: OrderFilled = {
      type: 'OrderFilled', clientOrderId: 'O-1', instrumentId: SAMSUNG, tsEvent: unixMillis(0), tsInit: unixMillis(0),
      venueOrderId: '0000012345', tradeId: '1', side: 'BUY', lastQty: quantity(2), lastPx: price(500), commission: krw(0), tax: krw(0),
    };
    const r = applyFill(flatPosition(SAMSUNG), f, RATES);
    expect(r.position.quantity).toBe(2);
    expect(Object.isFrozen(r.position)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------

const arbRates: fc.Arbitrary<TradeCostRates> = fc
  .record({ c: fc.integer({ min: 0, max: 100_000_000 }), t: fc.integer({ min: 0, max: 500_000_000 }) }) // 1e-6 bp units
  .map(({ c, t }) => ({ commissionBps: bps(c / 1e6), sellTaxBps: bps(t / 1e6) }));

describe('applyFill: properties', () => {
  it('buying and then selling everything at one price realises exactly −(all commissions + all taxes)', () => {
    fc.assert(
      fc.property(
        arbRates,
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 }),
        (rates, px, buys, sellWeights) => {
          let p: Position = flatPosition(SAMSUNG);
          let perFill = 0;
          for (const q of buys) {
            const r = applyFill(p, fill('BUY', q, px), rates);
            perFill += r.realizedPnl;
            p = r.position;
          }
          // sell the total in chunks proportional to the weights; the last chunk takes the rest
          const total = p.quantity;
          const wsum = sellWeights.reduce((a, b) => a + b, 0);
          let sold = 0;
          sellWeights.forEach((w, i) => {
            const q = i === sellWeights.length - 1 ? total - sold : Math.floor((total * w) / wsum);
            if (q === 0) return;
            sold += q;
            const r = applyFill(p, fill('SELL', q, px), rates);
            perFill += r.realizedPnl;
            p = r.position;
          });
          expect([p.quantity, p.costBasis]).toEqual([0, 0]);
          expect(p.realizedPnl).toBe(0 - (p.commissionPaid + p.taxPaid));
          expect(perFill).toBe(p.realizedPnl);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random buys and sells: quantity and cost basis never negative, flat iff no cost, PnL identity exact', () => {
    const arbOp = fc.record({
      side: fc.constantFrom<OrderSide>('BUY', 'SELL'),
      qty: fc.integer({ min: 1, max: 500 }),
      px: fc.integer({ min: 1, max: 1_000_000 }),
      oversell: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    });
    fc.assert(
      fc.property(arbRates, fc.array(arbOp, { maxLength: 40 }), (rates, ops) => {
        let p: Position = flatPosition(SAMSUNG);
        let bought = 0;
        let soldValue = 0;
        let perFill = 0;
        for (const op of ops) {
          // most sells stay within the holding; some deliberately exceed it
          const qty = op.side === 'SELL' && !op.oversell && p.quantity > 0 ? 1 + ((op.qty - 1) % p.quantity) : op.qty;
          const f = fill(op.side, qty, op.px);
          if (op.side === 'SELL' && qty > p.quantity) {
            expect(codeOf(() => applyFill(p, f, rates))).toBe('POSITION_OVERSOLD');
            continue;
          }
          const r = applyFill(p, f, rates);
          if (op.side === 'BUY') bought += qty * op.px;
          else soldValue += qty * op.px;
          perFill += r.realizedPnl;
          p = r.position;

          expect(p.quantity).toBeGreaterThanOrEqual(0);
          expect(p.costBasis).toBeGreaterThanOrEqual(0);
          expect(p.costBasis === 0).toBe(p.quantity === 0);
          expect(r.commission).toBeGreaterThanOrEqual(0);
          if (op.side === 'BUY') expect(r.tax).toBe(0);
          expect(Object.is(r.realizedPnl, -0)).toBe(false);
          expect(p.realizedPnl).toBe(soldValue - bought + p.costBasis - p.commissionPaid - p.taxPaid);
          expect(perFill).toBe(p.realizedPnl);
          expect(unrealizedPnl(p, price(op.px)) + p.costBasis).toBe(op.px * p.quantity);
        }
      }),
      { numRuns: 300 },
    );
  });
});
