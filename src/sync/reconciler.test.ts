import { describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { kstInstant } from '../core/kst.ts';
import { tradeCosts } from '../model/fees.ts';
import { instrumentId } from '../model/instrument.ts';
import { bps, krw, quantity } from '../model/money.ts';
import type { AccountBalanceReport, OrderStatusReport } from '../model/reports.ts';
import { reconcile, type LedgerView, type ReconcileRules, type VenueSnapshot } from './reconciler.ts';

// Synthetic values (no venue payload): the rules, not the wire.
const DAY = '2026-02-20';
const T = kstInstant(DAY, '10:00');
const SS = instrumentId('005930');
const RATES = { commissionBps: bps(1.40527), sellTaxBps: bps(20) };
const rules = (over: Partial<ReconcileRules> = {}): ReconcileRules => ({
  kind: 'PERIODIC',
  initial: false,
  adoptUnexplained: true,
  recentWindowMs: 5_000,
  lostAfterMisses: 3,
  costsOf: (_id, side, value) => tradeCosts(value, side, RATES),
  ...over,
});
const balance = (qty: number, basis: number, d2 = 1_000_000): AccountBalanceReport => ({
  positions: qty > 0 ? [{ instrumentId: SS, name: 'x', quantity: quantity(qty), sellableQuantity: quantity(qty), averagePrice: basis / qty, purchaseAmount: krw(basis), lastPrice: 0, marketValue: krw(0), unrealizedPnl: krw(0) }] : [],
  cash: { deposit: krw(1_000_000), settlementD1: krw(1_000_000), settlementD2: krw(d2), securitiesValue: krw(0), totalValue: krw(0) },
  tsInit: unixMillis(T),
});
const order = (id: string, filled: number, value: number, qty = 10): OrderStatusReport => ({
  venueOrderId: id, branch: '01790', originalVenueOrderId: '', instrumentId: SS, name: 'x', side: 'BUY', orderType: 'LIMIT', orderTypeCode: '00',
  quantity: quantity(qty), price: 70_000, filledQuantity: quantity(filled), filledValue: krw(value), averageFillPrice: filled ? Math.round(value / filled) : 0,
  remainingQuantity: quantity(qty - filled), rejectedQuantity: quantity(0), canceled: false, isModifyOrCancel: false, orderDate: DAY, tsEvent: unixMillis(T - 60_000), venue: 'KRX',
});
const venue = (b: AccountBalanceReport, orders: OrderStatusReport[], startedAt = T): VenueSnapshot => ({ balance: b, orders, startedAt: unixMillis(startedAt), consistent: true, today: DAY });
const cash = { deposit: krw(1_000_000), settlementD1: krw(1_000_000), settlementD2: krw(1_000_000) };
const empty: LedgerView = { empty: false, positions: [], cash, fillsToday: [], openOrders: [] };

describe('reconcile', () => {
  it('records the missing part of an order from tot_ccld_qty − recorded fills at the missing value, with trade id R<cumulative>', () => {
    const view: LedgerView = {
      ...empty,
      positions: [{ instrumentId: SS, quantity: 4, costBasis: 280_000, external: false }],
      fillsToday: [{ venueOrderId: '1', tradeId: 'N1', clientOrderId: undefined, instrumentId: SS, side: 'BUY', quantity: 4, price: 70_000, source: 'NOTICE', tsEvent: T - 60_000, cashEffect: -280_039 }],
    };
    const r = reconcile(view, venue(balance(10, 4 * 70_000 + 6 * 70_100, 1_000_000 - 280_039 - 420_659), [order('1', 10, 4 * 70_000 + 6 * 70_100)]), rules());
    const fill = r.corrections.find((c) => c.type === 'RECORD_FILL');
    expect(fill).toMatchObject({ applyToBooks: true, fill: { tradeId: 'R10', quantity: 6, price: 70_100, external: true } });
    expect(r.status).toBe('CORRECTED');
    expect(r.differences.filter((d) => d.what === 'POSITION')).toHaveLength(0);
  });

  it('a snapshot taken before a streamed fill never undoes it (pending, no correction)', () => {
    const view: LedgerView = {
      ...empty,
      positions: [{ instrumentId: SS, quantity: 10, costBasis: 700_000, external: false }],
      cash: { ...cash, settlementD2: krw(1_000_000 - 700_098) },
      fillsToday: [{ venueOrderId: '1', tradeId: 'N1', clientOrderId: undefined, instrumentId: SS, side: 'BUY', quantity: 10, price: 70_000, source: 'NOTICE', tsEvent: T + 1_000, cashEffect: -700_098 }],
    };
    const r = reconcile(view, venue(balance(0, 0), [order('1', 0, 0)]), rules());
    expect(r.corrections).toEqual([]);
    expect(r.status).toBe('MATCHED');
    // fills of the order, the position, D+2: pending; the order itself is reported as open outside hantu
    expect(r.differences.filter((d) => d.resolution === 'PENDING').map((d) => d.what)).toEqual(['FILLS', 'POSITION', 'CASH']);
    expect(r.differences.some((d) => d.resolution === 'CORRECTED' || d.resolution === 'UNEXPLAINED')).toBe(false);
  });

  it('a holding no fill explains: adopted as external while running, UNEXPLAINED at startup', () => {
    const b = balance(7, 490_000);
    expect(reconcile(empty, venue(b, []), rules()).corrections).toEqual([expect.objectContaining({ type: 'ADOPT_POSITION', quantity: 7, external: true })]);
    const s = reconcile(empty, venue(b, []), rules({ kind: 'STARTUP', adoptUnexplained: false }));
    expect(s.status).toBe('DIVERGED');
    expect(s.corrections).toEqual([]);
  });

  it('an order the venue does not list is LOST after 3 consecutive misses', () => {
    const open = { clientOrderId: 'c1', status: 'ACCEPTED' as const, instrumentId: SS, side: 'BUY' as const, quantity: 10, filledQty: 0, venueOrderIds: ['9'], createdAt: T - 1_000 };
    const r1 = reconcile({ ...empty, openOrders: [{ ...open, venueMisses: 0 }] }, venue(balance(0, 0), []), rules());
    expect(r1.notes).toEqual([{ type: 'VENUE_MISS', clientOrderId: 'c1' }]);
    expect(r1.status).toBe('MATCHED');
    const r3 = reconcile({ ...empty, openOrders: [{ ...open, venueMisses: 2 }] }, venue(balance(0, 0), []), rules());
    expect(r3.corrections).toEqual([expect.objectContaining({ type: 'ORDER_LOST', clientOrderId: 'c1' })]);
    expect(r3.status).toBe('DIVERGED');
  });

  it('a snapshot at or after the session close expires the unfilled remainder of our day orders', () => {
    const CLOSE = unixMillis(kstInstant(DAY, '15:30'));
    const open = { clientOrderId: 'c1', status: 'PARTIALLY_FILLED' as const, instrumentId: SS, side: 'BUY' as const, quantity: 10, filledQty: 4, venueOrderIds: ['1'], createdAt: T, venueMisses: 0 };
    const fillsToday = [{ venueOrderId: '1', tradeId: 'N1', clientOrderId: 'c1', instrumentId: SS, side: 'BUY' as const, quantity: 4, price: 70_000, source: 'NOTICE' as const, tsEvent: T, cashEffect: -280_039 }];
    const view: LedgerView = { ...empty, positions: [{ instrumentId: SS, quantity: 4, costBasis: 280_000, external: false }], cash: { ...cash, settlementD2: krw(1_000_000 - 280_039) }, fillsToday, openOrders: [open] };
    const b = balance(4, 280_000, 1_000_000 - 280_039);
    // before the close the order still works
    const during = reconcile(view, venue(b, [order('1', 4, 280_000)], unixMillis(CLOSE - 60_000)), rules({ sessionClose: CLOSE }));
    expect(during.corrections).toEqual([]);
    // after the close (the venue still lists the 6 unfilled shares), the remainder lapsed
    const after = reconcile(view, venue(b, [order('1', 4, 280_000)], unixMillis(CLOSE + 1_000)), rules({ sessionClose: CLOSE }));
    expect(after.corrections).toEqual([expect.objectContaining({ type: 'ORDER_EXPIRED', clientOrderId: 'c1' })]);
    expect(after.differences.find((d) => d.what === 'ORDER_STATE')).toMatchObject({ resolution: 'CORRECTED', venue: 'EXPIRED (6 left at the close)' });
    expect(after.status).toBe('CORRECTED');
    // without the close known, nothing changes
    expect(reconcile(view, venue(b, [order('1', 4, 280_000)], unixMillis(CLOSE + 1_000)), rules()).corrections).toEqual([]);
  });

  it('missed fills are projected oldest first: a missed buy, then a missed sell of it, leave the holding the venue shows', () => {
    // The venue lists orders newest first. Projected in that order, the sell (of more than the ledger
    // held before the buy) was clamped at 0 and the buy then left 6 shares: "changed outside hantu".
    const buy = { ...order('1', 6, 420_000, 6), tsEvent: unixMillis(T - 120_000) };
    const sell = { ...order('2', 10, 720_000, 10), side: 'SELL' as const, price: 72_000, averageFillPrice: 72_000, tsEvent: unixMillis(T - 60_000) };
    const open = (id: string, v: string, side: 'BUY' | 'SELL', qty: number) => ({ clientOrderId: id, status: 'ACCEPTED' as const, instrumentId: SS, side, quantity: qty, filledQty: 0, venueOrderIds: [v], venueMisses: 0, createdAt: T - 130_000 });
    const view: LedgerView = { ...empty, positions: [{ instrumentId: SS, quantity: 4, costBasis: 280_000, external: false }], openOrders: [open('b', '1', 'BUY', 6), open('s', '2', 'SELL', 10)] };
    const c = (v: number, side: 'BUY' | 'SELL') => tradeCosts(krw(v), side, RATES);
    const d2 = 1_000_000 - 420_000 - c(420_000, 'BUY').commission + 720_000 - c(720_000, 'SELL').commission - c(720_000, 'SELL').tax;
    const r = reconcile(view, venue(balance(0, 0, d2), [sell, buy]), rules());
    expect(r.corrections.filter((x) => x.type === 'RECORD_FILL')).toHaveLength(2);
    expect(r.corrections.some((x) => x.type === 'ADOPT_POSITION')).toBe(false);
    expect(r.differences.filter((d) => d.what === 'POSITION')).toEqual([]);
  });

  it('a re-price found at the venue is linked to our order, and its fills are ours (not an outside trade)', () => {
    // Our order 1 was modified (re-priced) as order 2, which filled; the ledger still holds only 1.
    const original = { ...order('1', 0, 0), remainingQuantity: quantity(0) };
    const modify = { ...order('2', 10, 701_000), price: 70_100, averageFillPrice: 70_100, originalVenueOrderId: '1', isModifyOrCancel: true };
    const open = { clientOrderId: 'c1', status: 'PENDING_UPDATE' as const, instrumentId: SS, side: 'BUY' as const, quantity: 10, filledQty: 0, venueOrderIds: ['1'], venueMisses: 0, createdAt: T - 120_000 };
    const d2 = 1_000_000 - 701_000 - tradeCosts(krw(701_000), 'BUY', RATES).commission;
    const r = reconcile({ ...empty, openOrders: [open] }, venue(balance(10, 701_000, d2), [modify, original]), rules());
    expect(r.corrections.map((c) => c.type)).toEqual(['ORDER_MODIFIED', 'RECORD_FILL']);
    expect(r.corrections[0]).toMatchObject({ clientOrderId: 'c1', venueOrderId: '2', price: 70_100 });
    expect(r.corrections[1]).toMatchObject({ fill: { venueOrderId: '2', quantity: 10, external: false } });
    expect(r.differences.some((d) => d.what === 'POSITION')).toBe(false);
  });

  it('our modify in flight (the original shows nothing left, the new number not listed yet) is not a cancel', () => {
    const original = { ...order('1', 0, 0), remainingQuantity: quantity(0) };
    const open = { clientOrderId: 'c1', status: 'PENDING_UPDATE' as const, instrumentId: SS, side: 'BUY' as const, quantity: 10, filledQty: 0, venueOrderIds: ['1'], venueMisses: 0, createdAt: T - 120_000 };
    const r = reconcile({ ...empty, openOrders: [open] }, venue(balance(0, 0), [original]), rules());
    expect(r.corrections).toEqual([]);
    expect(r.differences.find((d) => d.ref === 'c1')).toMatchObject({ resolution: 'PENDING' });
  });

  it('initial adoption: holdings and cash adopted, today\'s fills recorded without moving the books', () => {
    const r = reconcile({ ...empty, empty: true, cash: undefined }, venue(balance(10, 700_000), [order('1', 10, 700_000)]), rules({ initial: true }));
    expect(r.corrections.map((c) => c.type).sort()).toEqual(['ADOPT_CASH', 'ADOPT_POSITION', 'RECORD_FILL']);
    expect(r.corrections.find((c) => c.type === 'RECORD_FILL')).toMatchObject({ applyToBooks: false });
  });
});
