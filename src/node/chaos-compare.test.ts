/**
 * The end-of-day comparison of hantu chaos over SYNTHETIC ledger and twin states (made up here, not
 * venue payloads): a consistent pair finds nothing; each planted difference is found and counted in
 * its category.
 */
import { describe, expect, it } from 'vitest';
import { compareDay, formatFinding, type CompareInput, type LedgerSide, type TwinSide } from './chaos-compare.ts';

const T0 = Date.UTC(2026, 1, 20, 1, 0); // 10:00 KST

/** A synthetic, consistent day: one exit (2 fills) of 005930 through a ledger order, 000660 held. */
function syntheticConsistentDay(): { ledger: LedgerSide; twin: TwinSide; exits: CompareInput['exits'] } {
  const twin: TwinSide = {
    holdings: [
      { code: '000660', quantity: 11, costBasis: 9_834_000 },
      { code: '005930', quantity: 2, costBasis: 380_000 },
    ],
    cash: { opening: 100_000_000, settlementD2: 101_515_622 },
    orders: [{ odno: '0000000001', origOdno: '', kind: 'NEW', side: 'SELL', code: '005930', ordQty: 8, filledQty: 8, status: 'FILLED', ts: T0 + 1_000 }],
    fills: [
      { odno: '0000000001', fillSeq: 1, quantity: 5, price: 190_000, ts: T0 + 2_000 },
      { odno: '0000000001', fillSeq: 2, quantity: 3, price: 190_100, ts: T0 + 3_000 },
    ],
  };
  const ledger: LedgerSide = {
    positions: [
      { code: '000660', quantity: 11, costBasis: 9_834_000 },
      { code: '005930', quantity: 2, costBasis: 380_001 },
      { code: '035420', quantity: 0, costBasis: 0 },
    ],
    cash: { deposit: 100_000_000, settlementD1: 100_000_000, settlementD2: 101_515_622 },
    fills: [
      { venueOrderId: '0000000001', tradeId: 'N1', quantity: 5, price: 190_000, source: 'NOTICE' },
      { venueOrderId: '0000000001', tradeId: 'R8', quantity: 3, price: 190_100, source: 'REST' },
    ],
    orders: [{ clientOrderId: 'EX-1', status: 'FILLED', code: '005930', side: 'SELL', quantity: 8, filledQty: 8, venueOrderIds: ['0000000001'], createdAt: T0 }],
  };
  return { ledger, twin, exits: [{ clientOrderId: 'EX-1', code: '005930', side: 'SELL', quantity: 8, submittedAt: T0, venueOrderId: '0000000001' }] };
}

describe('compareDay (synthetic ledger vs synthetic twin)', () => {
  it('finds nothing in a consistent day (cost basis within 1 won per share)', () => {
    const r = compareDay(syntheticConsistentDay());
    expect(r.findings).toEqual([]);
    expect([r.divergences, r.duplicateOrders, r.lostFills]).toEqual([0, 0, 0]);
    expect(r.compared).toMatchObject({ positions: 2, twinOrders: 1, twinFills: 2, ledgerFills: 2 });
  });

  it('a planted position difference is a divergence', () => {
    const d = syntheticConsistentDay();
    const r = compareDay({ ...d, ledger: { ...d.ledger, positions: [{ code: '000660', quantity: 10, costBasis: 8_940_000 }, d.ledger.positions[1]!] } });
    expect(r.divergences).toBe(1);
    expect(r.findings[0]).toMatchObject({ category: 'divergence', what: 'POSITION', ref: '000660', ledger: 10, twin: 11 });
    expect(formatFinding(r.findings[0]!)).toBe('divergence POSITION 000660: the ledger holds 10 shares, the twin 11');
  });

  it('planted cash and cost-basis differences are divergences', () => {
    const d = syntheticConsistentDay();
    const r = compareDay({
      ...d,
      ledger: { ...d.ledger, cash: { ...d.ledger.cash!, settlementD2: 101_515_621 }, positions: [d.ledger.positions[0]!, { code: '005930', quantity: 2, costBasis: 380_100 }] },
    });
    expect(r.findings.map((f) => f.what).sort()).toEqual(['CASH_D2', 'COST_BASIS']);
    expect(r.divergences).toBe(2);
  });

  it('a fill missing from the ledger is a lost fill (and the order fill count diverges)', () => {
    const d = syntheticConsistentDay();
    const r = compareDay({ ...d, ledger: { ...d.ledger, fills: d.ledger.fills.slice(0, 1) } });
    expect(r.lostFills).toBe(1);
    expect(r.findings.find((f) => f.category === 'lost_fill')).toMatchObject({ what: 'LOST_FILL', ref: '0000000001#2' });
  });

  it('a fill recorded twice (notice and REST under two ids) is a divergence', () => {
    const d = syntheticConsistentDay();
    const r = compareDay({ ...d, ledger: { ...d.ledger, fills: [...d.ledger.fills, { venueOrderId: '0000000001', tradeId: 'R5', quantity: 5, price: 190_000, source: 'REST' }] } });
    expect(r.findings).toEqual([expect.objectContaining({ category: 'divergence', what: 'FILLS_EXTRA', ref: '0000000001', ledger: 13, twin: 8 })]);
  });

  it('a second venue order for one intent is a duplicate order', () => {
    const d = syntheticConsistentDay();
    const dup = { odno: '0000000002', origOdno: '', kind: 'NEW' as const, side: 'SELL' as const, code: '005930', ordQty: 8, filledQty: 0, status: 'CANCELED' as const, ts: T0 + 5_000 };
    const r = compareDay({ ...d, twin: { ...d.twin, orders: [...d.twin.orders, dup] } });
    expect(r.duplicateOrders).toBe(1);
    expect(r.findings).toEqual([expect.objectContaining({ category: 'duplicate_order', what: 'DUPLICATE_ORDER', ref: 'EX-1' })]);
  });

  it('a venue order nobody owns is a duplicate unless it is a deliberate external trade', () => {
    const d = syntheticConsistentDay();
    const stray = { odno: '0000000009', origOdno: '', kind: 'NEW' as const, side: 'BUY' as const, code: '000660', ordQty: 1, filledQty: 0, status: 'CANCELED' as const, ts: T0 + 60_000 };
    const input = { ...d, twin: { ...d.twin, orders: [...d.twin.orders, stray] } };
    expect(compareDay(input)).toMatchObject({ duplicateOrders: 1, findings: [expect.objectContaining({ what: 'UNOWNED_ORDER', ref: '0000000009' })] });
    expect(compareDay({ ...input, externalOrders: new Set(['0000000009']) }).findings).toEqual([]);
  });

  it('an order sent without an answer is attributed by its terms, and a modify belongs to its original', () => {
    const d = syntheticConsistentDay();
    // The ledger order never learnt its venue number (outcome unknown); the venue modified it once.
    const r = compareDay({
      ...d,
      ledger: { ...d.ledger, orders: [{ ...d.ledger.orders[0]!, venueOrderIds: [] }] },
      twin: {
        ...d.twin,
        orders: [
          { ...d.twin.orders[0]!, status: 'REPLACED', filledQty: 5 },
          { odno: '0000000002', origOdno: '0000000001', kind: 'MODIFY', side: 'SELL', code: '005930', ordQty: 3, filledQty: 3, status: 'FILLED', ts: T0 + 2_500 },
        ],
      },
      exits: [],
    });
    expect(r.duplicateOrders).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('a modify the ledger never linked (its answer and notice lost): the filled quantity diverges and the finding names the modify', () => {
    const d = syntheticConsistentDay();
    // The ledger holds the re-priced order as cancelled with nothing filled, the fills of the modify as
    // an outside order's (the restarted node's reconciliation after a kill -9 inside the modify).
    const r = compareDay({
      ...d,
      ledger: { ...d.ledger, orders: [{ ...d.ledger.orders[0]!, status: 'CANCELED', filledQty: 0 }], fills: [{ venueOrderId: '0000000002', tradeId: 'R8', quantity: 8, price: 190_000, source: 'REST' }] },
      twin: {
        ...d.twin,
        orders: [
          { ...d.twin.orders[0]!, status: 'REPLACED', filledQty: 0 },
          { odno: '0000000002', origOdno: '0000000001', kind: 'MODIFY', side: 'SELL', code: '005930', ordQty: 8, filledQty: 8, status: 'FILLED', ts: T0 + 2_500 },
        ],
        fills: [{ odno: '0000000002', fillSeq: 1, quantity: 8, price: 190_000, ts: T0 + 3_000 }],
      },
    });
    expect([r.divergences, r.duplicateOrders, r.lostFills]).toEqual([1, 0, 0]);
    expect(formatFinding(r.findings[0]!)).toBe(
      'divergence ORDER_FILLED_QTY EX-1: order EX-1: the ledger counts 0 shares filled, the twin 8; venue order 0000000002 (modify of 0000000001) filled 8, not linked to the order in the ledger',
    );
  });

  it('an order open in the ledger but done at the twin (or the other way round) is a divergence', () => {
    const d = syntheticConsistentDay();
    const r = compareDay({ ...d, ledger: { ...d.ledger, orders: [{ ...d.ledger.orders[0]!, status: 'ACCEPTED', filledQty: 0 }] } });
    expect(r.findings.map((f) => f.what).sort()).toEqual(['ORDER_FILLED_QTY', 'ORDER_OPEN_IN_LEDGER']);
    const open = compareDay({ ...d, twin: { ...d.twin, orders: [{ ...d.twin.orders[0]!, status: 'OPEN' }] } });
    expect(open.findings.map((f) => f.what)).toEqual(['ORDER_OPEN_AT_VENUE']);
    const earlier = compareDay({
      ...d,
      ledger: { ...d.ledger, orders: [...d.ledger.orders, { clientOrderId: 'OLD-1', status: 'ACCEPTED', code: '000660', side: 'BUY', quantity: 1, filledQty: 0, venueOrderIds: ['0000000001'], createdAt: T0 - 86_400_000, earlier: true }] },
    });
    expect(earlier.findings).toEqual([expect.objectContaining({ what: 'ORDER_OPEN_IN_LEDGER', ref: 'OLD-1' })]);
  });
});
