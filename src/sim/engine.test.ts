import { describe, expect, it } from 'vitest';
import { feeOf } from '../model/money.ts';
import { defaultSimAccount, resolveAccounts, type SimHoldingSpec } from './account-spec.ts';
import { SimEngine, type SimOrderEvent, type SimSubmitRequest } from './engine.ts';
import { syntheticMarket, type SyntheticPrint } from './testing/synthetic-market.ts';

// Base 70,000 → tick 100, limits 49,000 / 91,000. Synthetic prints, not market data.
const PRINTS: SyntheticPrint[] = [
  { at: '09:00:00', price: 70_000, volume: 1_000 },
  { at: '09:05:00', price: 70_100, volume: 500 },
  { at: '09:10:00', price: 69_800, volume: 300 },
  { at: '09:15:00', price: 69_500, volume: 200 },
  { at: '10:00:00', price: 70_550, volume: 100 }, // half tick
  { at: '15:30:00', price: 70_200, volume: 5_000 }, // close print
];
const FEES = { commissionBps: 15, sellTaxBps: 20 };

function setup(o: { cash?: number; holdings?: SimHoldingSpec[]; dailyVolume?: number; prints?: SyntheticPrint[] } = {}) {
  const market = syntheticMarket({
    instruments: [
      { code: '005930', name: '삼성전자', basePrice: 70_000, prints: o.prints ?? PRINTS, dailyVolume: o.dailyVolume ?? 1_000_000 },
      { code: '000660', basePrice: 128_500, prints: [{ at: '09:00:00', price: 128_500, volume: 10 }] },
    ],
  });
  const [acct] = resolveAccounts([defaultSimAccount({ cash: o.cash ?? 10_000_000, holdings: o.holdings ?? [] })]);
  if (!acct) throw new Error('no account');
  const engine = new SimEngine({ market, fees: FEES, accounts: [acct] });
  const events: SimOrderEvent[] = [];
  engine.onEvent((e) => events.push(e));
  const t = (hhmmss: string): number => market.at(hhmmss);
  const key = acct.accountKey;
  const req = (r: Partial<SimSubmitRequest>): SimSubmitRequest => ({ accountKey: key, side: 'BUY', code: '005930', ordDvsn: '00', qty: 10, price: 69_900, ...r });
  return { market, engine, events, t, key, req, ledger: () => engine.ledger(key)! };
}

describe('SimEngine — resting limit orders', () => {
  it('a limit buy fills when a print trades at or below its price, at the limit price', () => {
    const { engine, events, t, req, ledger } = setup();
    const r = engine.submit(req({ qty: 10, price: 69_900 }), t('09:01:00'));
    expect(r.ok).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['accepted']);
    engine.advanceTo(t('09:05:00')); // 70,100 > 69,900: no fill
    expect(events.filter((e) => e.kind === 'filled')).toHaveLength(0);
    engine.advanceTo(t('09:10:00')); // 69,800 <= 69,900
    const fills = events.filter((e) => e.kind === 'filled');
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ fillQty: 10, fillPrice: 69_900, fillSeq: 1, cumFillQty: 10, remainingQty: 0, ts: t('09:10:00') });
    const value = 699_000;
    expect(ledger().cash).toBe(10_000_000 - value - feeOf(value, 15));
    expect(ledger().holding('005930')).toMatchObject({ qty: 10, costBasis: value, todayBuyQty: 10 });
    expect(engine.order(r.ok ? r.order.odno : '')?.status).toBe('FILLED');
  });

  it('a limit sell fills when a print trades at or above its price', () => {
    const { engine, events, t, req } = setup({ holdings: [{ code: '005930', quantity: 20, avgPrice: 65_000 }] });
    engine.submit(req({ side: 'SELL', qty: 20, price: 70_100 }), t('09:01:00'));
    engine.advanceTo(t('09:05:00'));
    expect(events.filter((e) => e.kind === 'filled').map((e) => [e.fillQty, e.fillPrice])).toEqual([[20, 70_100]]);
  });

  it('partial fills are bounded by the print volume, shared FIFO, better price first, fill sequence per order', () => {
    const { engine, events, t, req } = setup({ cash: 50_000_000 });
    const a = engine.submit(req({ qty: 200, price: 69_800 }), t('09:06:00'));
    const b = engine.submit(req({ qty: 200, price: 69_800 }), t('09:07:00'));
    const c = engine.submit(req({ qty: 50, price: 69_900 }), t('09:08:00'));
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    engine.advanceTo(t('09:10:00')); // 300 shares at 69,800: c (better price) 50, a 200, b 50
    const f1 = events.filter((e) => e.kind === 'filled').map((e) => [e.odno, e.fillQty, e.fillPrice, e.fillSeq]);
    expect(f1).toEqual([
      [c.order.odno, 50, 69_900, 1],
      [a.order.odno, 200, 69_800, 1],
      [b.order.odno, 50, 69_800, 1],
    ]);
    engine.advanceTo(t('09:15:00')); // 200 more at 69,500: b gets its remaining 150
    const f2 = events.filter((e) => e.kind === 'filled').slice(3).map((e) => [e.odno, e.fillQty, e.fillSeq, e.remainingQty]);
    expect(f2).toEqual([[b.order.odno, 150, 2, 0]]);
  });

  it('orders see only prints after their acceptance', () => {
    const { engine, events, t, req } = setup();
    engine.advanceTo(t('09:10:00'));
    engine.submit(req({ qty: 10, price: 69_800 }), t('09:10:00')); // same instant as the 69,800 print
    engine.advanceTo(t('09:12:00'));
    expect(events.filter((e) => e.kind === 'filled')).toHaveLength(0);
  });
});

describe('SimEngine — marketable and market orders', () => {
  it('a limit buy marketable on arrival fills at the synthetic best ask (last + 1 tick)', () => {
    const { engine, events, t, req } = setup();
    engine.submit(req({ qty: 5, price: 70_500 }), t('09:01:00')); // last 70,000 → ask 70,100
    expect(events.map((e) => [e.kind, e.fillPrice])).toEqual([['accepted', 0], ['filled', 70_100]]);
  });

  it('a market buy fills at the best ask, reserves at the upper limit, and a market sell at the best bid', () => {
    const { engine, events, t, req, ledger } = setup({ holdings: [{ code: '005930', quantity: 10, avgPrice: 60_000 }] });
    const r = engine.submit(req({ ordDvsn: '01', qty: 3, price: 0 }), t('09:01:00'));
    expect(r.ok && r.order.reservePrice).toBe(91_000);
    engine.submit(req({ side: 'SELL', ordDvsn: '01', qty: 4, price: 0 }), t('09:01:00'));
    const fills = events.filter((e) => e.kind === 'filled').map((e) => [e.side, e.fillQty, e.fillPrice]);
    expect(fills).toEqual([['BUY', 3, 70_100], ['SELL', 4, 69_900]]);
    const buy = 3 * 70_100;
    const sell = 4 * 69_900;
    expect(ledger().cash).toBe(10_000_000 - buy - feeOf(buy, 15) + sell - feeOf(sell, 15) - feeOf(sell, 20));
  });

  it('immediate fills are capped by the day remaining volume; the rest of a market order fills on later prints (half tick → next tick up)', () => {
    const total = PRINTS.reduce((s, p) => s + p.volume, 0);
    // After 09:16 the replay has printed 2,000 shares; leave 50 shares of room for immediate fills.
    const { engine, events, t, req } = setup({ dailyVolume: 2_000 + 50 });
    expect(total).toBeGreaterThan(2_050);
    const r = engine.submit(req({ ordDvsn: '01', qty: 80, price: 0 }), t('09:16:00'));
    expect(r.ok).toBe(true);
    expect(events.filter((e) => e.kind === 'filled').map((e) => [e.fillQty, e.fillPrice])).toEqual([[50, 69_600]]); // last 69,500 → ask 69,600
    engine.advanceTo(t('10:00:00')); // print 70,550 × 100 (half tick)
    expect(events.filter((e) => e.kind === 'filled').map((e) => [e.fillQty, e.fillPrice, e.fillSeq])).toEqual([[50, 69_600, 1], [30, 70_600, 2]]);
  });
});

describe('SimEngine — cancel, modify, close', () => {
  it('cancel of a resting order gets a new order number and releases the reservation', () => {
    const { engine, events, t, req, key } = setup();
    const before = engine.availableCash(key);
    const r = engine.submit(req({ qty: 10, price: 69_000 }), t('09:01:00'));
    if (!r.ok) throw new Error('rejected');
    expect(engine.availableCash(key)).toBe(before - 690_000 - feeOf(690_000, 15));
    const c = engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'CANCEL', allQty: true, qty: 0, ordDvsn: '00', price: 0 }, t('09:02:00'));
    if (!c.ok) throw new Error('cancel rejected');
    expect(c.order.odno).not.toBe(r.order.odno);
    expect(c.order).toMatchObject({ kind: 'CANCEL', origOdno: r.order.odno, ordQty: 10, status: 'DONE' });
    expect(engine.order(r.order.odno)?.status).toBe('CANCELED');
    expect(engine.availableCash(key)).toBe(before);
    expect(events.at(-1)).toMatchObject({ kind: 'canceled', odno: c.order.odno, origOdno: r.order.odno, ordQty: 10, remainingQty: 0 });
    engine.advanceTo(t('09:15:00'));
    expect(events.some((e) => e.kind === 'filled')).toBe(false);
    // cancelling again: nothing left
    const again = engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'CANCEL', allQty: true, qty: 0, ordDvsn: '00', price: 0 }, t('09:16:00'));
    expect(again).toEqual({ ok: false, reason: 'NOTHING_TO_MODIFY' });
  });

  it('partial cancel leaves the rest working; more than the remainder is refused', () => {
    const { engine, t, req, key } = setup();
    const r = engine.submit(req({ qty: 10, price: 69_000 }), t('09:01:00'));
    if (!r.ok) throw new Error('rejected');
    expect(engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'CANCEL', allQty: false, qty: 11, ordDvsn: '00', price: 0 }, t('09:02:00'))).toEqual({ ok: false, reason: 'MODIFY_QTY_EXCEEDS' });
    const c = engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'CANCEL', allQty: false, qty: 4, ordDvsn: '00', price: 0 }, t('09:02:00'));
    expect(c.ok).toBe(true);
    expect(engine.order(r.order.odno)).toMatchObject({ status: 'OPEN', canceledQty: 4 });
  });

  it('modify changes the price under a new order number; the new order fills at the new price', () => {
    const { engine, events, t, req, key } = setup();
    const r = engine.submit(req({ qty: 10, price: 69_000 }), t('09:01:00'));
    if (!r.ok) throw new Error('rejected');
    const m = engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'MODIFY', allQty: true, qty: 0, ordDvsn: '00', price: 69_800 }, t('09:06:00'));
    if (!m.ok) throw new Error('modify rejected');
    expect(m.order).toMatchObject({ kind: 'MODIFY', origOdno: r.order.odno, ordPrice: 69_800, ordQty: 10 });
    expect(m.order.odno).not.toBe(r.order.odno);
    expect(engine.order(r.order.odno)?.status).toBe('REPLACED');
    engine.advanceTo(t('09:10:00'));
    expect(events.filter((e) => e.kind === 'filled').map((e) => [e.odno, e.fillPrice])).toEqual([[m.order.odno, 69_800]]);
    expect(events.find((e) => e.kind === 'replaced')).toMatchObject({ odno: m.order.odno, origOdno: r.order.odno, ordPrice: 69_800 });
  });

  it('a modify that raises a buy price needs the extra cash', () => {
    const { engine, t, req, key } = setup({ cash: 700_000 });
    const r = engine.submit(req({ qty: 10, price: 69_000 }), t('09:01:00'));
    if (!r.ok) throw new Error('rejected');
    expect(engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'MODIFY', allQty: true, qty: 0, ordDvsn: '00', price: 69_900 }, t('09:02:00'))).toEqual({ ok: false, reason: 'CASH_INSUFFICIENT' });
    expect(engine.amend({ accountKey: key, origOdno: r.order.odno, action: 'MODIFY', allQty: true, qty: 0, ordDvsn: '00', price: 69_500 }, t('09:02:00')).ok).toBe(true);
  });

  it('orders open at the close expire (day orders)', () => {
    const { engine, events, t, req } = setup();
    const r = engine.submit(req({ qty: 10, price: 60_000 }), t('09:01:00'));
    if (!r.ok) throw new Error('rejected');
    engine.advanceTo(t('15:29:59'));
    expect(engine.order(r.order.odno)?.status).toBe('OPEN');
    engine.advanceTo(t('15:30:00'));
    expect(engine.order(r.order.odno)?.status).toBe('EXPIRED');
    expect(events.at(-1)).toMatchObject({ kind: 'expired', odno: r.order.odno, remainingQty: 10, ts: t('15:30:00') });
    expect(engine.availableCash(r.order.accountKey)).toBe(10_000_000);
  });

  it('closing-auction orders do not fill on arrival and fill at the close print', () => {
    const { engine, events, t, req } = setup({ holdings: [{ code: '005930', quantity: 5, avgPrice: 60_000 }] });
    engine.submit(req({ qty: 7, price: 70_300 }), t('15:25:00'));
    engine.submit(req({ side: 'SELL', qty: 5, price: 70_000 }), t('15:22:00'));
    engine.submit(req({ qty: 3, price: 70_100 }), t('15:21:00')); // below the close: not filled, expires
    expect(events.filter((e) => e.kind === 'filled')).toHaveLength(0);
    engine.advanceTo(t('15:30:00'));
    const fills = events.filter((e) => e.kind === 'filled').map((e) => [e.side, e.fillQty, e.fillPrice]);
    expect(fills).toEqual([['BUY', 7, 70_200], ['SELL', 5, 70_200]]);
    expect(events.filter((e) => e.kind === 'expired').map((e) => e.ordQty)).toEqual([3]);
  });
});

describe('SimEngine — rejections', () => {
  it('refuses with the reason of each rule', () => {
    const { engine, t, req } = setup({ cash: 1_000_000, holdings: [{ code: '005930', quantity: 10, avgPrice: 60_000 }] });
    const at = t('09:01:00');
    expect(engine.submit(req({ price: 70_050 }), at)).toEqual({ ok: false, reason: 'PRICE_OFF_TICK' });
    expect(engine.submit(req({ price: 91_100 }), at)).toEqual({ ok: false, reason: 'PRICE_OUT_OF_LIMIT' });
    expect(engine.submit(req({ price: 48_900 }), at)).toEqual({ ok: false, reason: 'PRICE_OUT_OF_LIMIT' });
    expect(engine.submit(req({ qty: 0 }), at)).toEqual({ ok: false, reason: 'QUANTITY_INVALID' });
    expect(engine.submit(req({ qty: 1.5 }), at)).toEqual({ ok: false, reason: 'QUANTITY_INVALID' });
    expect(engine.submit(req({ code: '999999' }), at)).toEqual({ ok: false, reason: 'CODE_UNKNOWN' });
    expect(engine.submit(req({}), t('08:59:59'))).toEqual({ ok: false, reason: 'MARKET_NOT_OPEN' });
    expect(engine.submit(req({}), t('15:30:00'))).toEqual({ ok: false, reason: 'MARKET_CLOSED' });
    expect(engine.submit(req({ side: 'SELL', qty: 11, price: 75_000 }), at)).toEqual({ ok: false, reason: 'HOLDINGS_INSUFFICIENT' });
    expect(engine.submit(req({ side: 'SELL', qty: 6, price: 75_000 }), at).ok).toBe(true);
    expect(engine.submit(req({ side: 'SELL', qty: 5, price: 75_000 }), at)).toEqual({ ok: false, reason: 'HOLDINGS_INSUFFICIENT' }); // net of the open sell
  });

  it('cash must cover value + commission net of open buys; market orders are reserved at the upper limit', () => {
    const value = 14 * 69_000; // 966,000, commission 1,449
    const { engine, t, req } = setup({ cash: value + feeOf(value, 15) });
    const at = t('09:01:00');
    expect(engine.submit(req({ qty: 1, ordDvsn: '01', price: 0 }), at).ok).toBe(true); // 91,000 + 136 reserved
    expect(engine.submit(req({ qty: 14, price: 69_000 }), at)).toEqual({ ok: false, reason: 'CASH_INSUFFICIENT' });
  });

  it('exact cash: value + commission is enough, one won less is not', () => {
    const value = 10 * 69_000;
    const exact = setup({ cash: value + feeOf(value, 15) });
    expect(exact.engine.submit(exact.req({ qty: 10, price: 69_000 }), exact.t('09:01:00')).ok).toBe(true);
    const short = setup({ cash: value + feeOf(value, 15) - 1 });
    expect(short.engine.submit(short.req({ qty: 10, price: 69_000 }), short.t('09:01:00'))).toEqual({ ok: false, reason: 'CASH_INSUFFICIENT' });
  });
});

describe('SimEngine — account arithmetic', () => {
  it('sell: cash += value − commission − tax; average price kept, basis reduced pro rata', () => {
    const { engine, t, req, ledger } = setup({ holdings: [{ code: '005930', quantity: 100, avgPrice: 65_000 }] });
    engine.submit(req({ side: 'SELL', qty: 40, price: 69_900 }), t('09:01:00')); // marketable: bid 69,900
    const value = 40 * 69_900; // 2,796,000
    const commission = feeOf(value, 15); // 4,194
    const tax = feeOf(value, 20); // 5,592
    expect([commission, tax]).toEqual([4_194, 5_592]);
    const l = ledger();
    expect(l.cash).toBe(10_000_000 + value - commission - tax);
    expect(l.holding('005930')).toMatchObject({ qty: 60, costBasis: 3_900_000, todaySellQty: 40, openingQty: 100 });
    expect(l.todayCosts).toBe(commission + tax);
    expect(l.openingCash).toBe(10_000_000);
  });

  it('buys average in excluding fees (KIS pchs_avg_pric convention)', () => {
    const { engine, t, req, ledger } = setup({ holdings: [{ code: '005930', quantity: 10, avgPrice: 65_000 }] });
    engine.submit(req({ qty: 10, price: 70_100 }), t('09:01:00')); // fills at 70,100
    const h = ledger().holding('005930')!;
    expect(h.qty).toBe(20);
    expect(h.costBasis).toBe(650_000 + 701_000);
    expect(h.costBasis / h.qty).toBe(67_550);
  });

  it('fractional commission rates round down per fill with feeOf', () => {
    const market = syntheticMarket({ instruments: [{ code: '005930', basePrice: 70_000, prints: PRINTS, dailyVolume: 1_000_000 }] });
    const [acct] = resolveAccounts([defaultSimAccount({ cash: 10_000_000 })]);
    const engine = new SimEngine({ market, fees: { commissionBps: 1.40527, sellTaxBps: 18 }, accounts: [acct!] });
    engine.submit({ accountKey: acct!.accountKey, side: 'BUY', code: '005930', ordDvsn: '00', qty: 7, price: 70_100 }, market.at('09:01:00'));
    const value = 7 * 70_100; // 490,700 × 1.40527 bp = 68.956… → 68
    expect(engine.ledger(acct!.accountKey)!.cash).toBe(10_000_000 - value - 68);
  });
});
