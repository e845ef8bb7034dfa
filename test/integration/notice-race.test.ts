/**
 * The execution notice can overtake the REST acknowledgement of our own order (the venue pushes the
 * notice while the HTTP answer is still on its way; at a replay speed of 1,000x this is common). The
 * sync must then link the venue's order number to our in-flight order, so the fill is ours and not an
 * outside trade, and the late acknowledgement must change nothing. Real ledger on PGlite (memory) and
 * PostgreSQL (DATABASE_URL). Notices are SYNTHETIC (built here), the ledger and sync code are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { unixMillis } from '../../src/core/brand.ts';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import type { ExecutionNotice } from '../../src/model/market-data.ts';
import { bps, krw, price, quantity } from '../../src/model/money.ts';
import { Ledger, openDatabase, type Db } from '../../src/persistence/index.ts';
import { AccountSync } from '../../src/sync/account-sync.ts';

const DAY = '2026-02-20';
const T = kstInstant(DAY, '10:00');
const SS = instrumentId('005930');
const RATES = { commissionBps: bps(1.40527), sellTaxBps: bps(20) };
const backends: [string, () => Promise<Db>][] = [['pglite', () => openDatabase({ dataDir: ':memory:' })]];
if (process.env['DATABASE_URL']) backends.push(['postgres', () => openDatabase({ url: process.env['DATABASE_URL']! })]);

describe.each(backends)('a notice that overtakes the REST acknowledgement — %s', (_name, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  async function setup(beforeLedgerRead?: () => Promise<void>) {
    const clock = new TestClock(T);
    const ledger = new Ledger(db, { rates: RATES, clock, accounts: ['50000001-01'] });
    const accountId = `race-${randomBytes(3).toString('hex')}`;
    await ledger.accounts.register({ id: accountId, env: 'sim', accountNumber: '50000001-01' });
    await ledger.cash.upsert(accountId, { deposit: krw(10_000_000), settlementD1: krw(10_000_000), settlementD2: krw(10_000_000) });
    const venue = { requestBalance: () => Promise.reject(new Error('no REST in this test')), requestOrders: () => Promise.reject(new Error('no REST in this test')) };
    const sync = new AccountSync({ ledger, accountId, venue, clock, logger: silentLogger(), rates: RATES, isMarketHours: () => false, today: () => DAY, ...(beforeLedgerRead ? { beforeLedgerRead } : {}) });
    const journal = async (id: string, qty = 10, px = 70_000) => {
      const ts = unixMillis(T);
      await ledger.orders.insertIntent({
        accountId,
        init: { type: 'OrderInitialized', clientOrderId: id, instrumentId: SS, tsEvent: ts, tsInit: ts, side: 'BUY', orderType: 'LIMIT', quantity: quantity(qty), price: price(px) },
        submitted: { type: 'OrderSubmitted', clientOrderId: id, instrumentId: SS, tsEvent: ts, tsInit: ts },
      });
    };
    return { ledger, accountId, sync, journal };
  }

  const notice = (odno: string, fill: boolean, over: Partial<ExecutionNotice> = {}): ExecutionNotice => ({
    type: 'ExecutionNotice',
    kind: fill ? 'FILLED' : 'ACKNOWLEDGED',
    account: '5000000101',
    venueOrderId: odno,
    originalVenueOrderId: '',
    branch: '06010',
    side: 'BUY',
    action: 'NEW',
    rejected: false,
    acceptanceCode: fill ? '2' : '1',
    instrumentId: SS,
    name: '삼성전자',
    quantity: 10,
    price: 70_000,
    fillQuantity: fill ? 10 : 0,
    fillPrice: fill ? 70_000 : 0,
    orderKindCode: '00',
    tsEvent: unixMillis(T + 100),
    tsInit: unixMillis(T + 100),
    ...over,
  });

  it('a fill notice before any acknowledgement is linked to our one in-flight order with those terms', async () => {
    const s = await setup();
    const id = `o-${randomBytes(3).toString('hex')}`;
    await s.journal(id);
    expect(await s.sync.onNotice(notice('0000000009', true))).toBe('APPLIED');
    const stored = (await s.ledger.orders.get(id))!;
    expect(stored.order.status).toBe('FILLED');
    expect(stored.order.venueOrderId).toBe('0000000009');
    const fills = await s.ledger.fills.forOrder(id);
    expect(fills).toHaveLength(1);
    expect((await s.ledger.positions.get(s.accountId, SS))?.external).toBe(false);
    // The REST acknowledgement arrives late: recorded by nobody twice.
    const after = await s.ledger.orders.applyEventWhen(
      { type: 'OrderAccepted', clientOrderId: id, instrumentId: SS, tsEvent: unixMillis(T + 200), tsInit: unixMillis(T + 200), venueOrderId: '0000000009', branch: '06010' },
      (x) => x.status === 'SUBMITTED' && x.venueOrderId === undefined,
    );
    expect(after.order.events.length).toBe(stored.order.events.length);
  });

  it('an acceptance notice before the acknowledgement gives the order its number; the fill that follows is ours', async () => {
    const s = await setup();
    const id = `o-${randomBytes(3).toString('hex')}`;
    await s.journal(id);
    expect(await s.sync.onNotice(notice('0000000011', false))).toBe('ORDER_UPDATED');
    expect((await s.ledger.orders.get(id))!.order).toMatchObject({ status: 'ACCEPTED', venueOrderId: '0000000011' });
    expect(await s.sync.onNotice(notice('0000000011', true))).toBe('APPLIED');
    expect((await s.ledger.fills.forOrder(id)).map((f) => f.quantity)).toEqual([10]);
  });

  it('two in-flight orders with the same terms: no guess — the fill stays unlinked until the acknowledgement or the reconciliation', async () => {
    const s = await setup();
    const a = `o-${randomBytes(3).toString('hex')}`;
    const b = `o-${randomBytes(3).toString('hex')}`;
    await s.journal(a);
    await s.journal(b);
    expect(await s.sync.onNotice(notice('0000000012', true))).toBe('APPLIED');
    expect((await s.ledger.orders.get(a))!.order.venueOrderId).toBeUndefined();
    expect((await s.ledger.orders.get(b))!.order.venueOrderId).toBeUndefined();
  });

  it('a notice with other terms (quantity or price) is never linked to our order', async () => {
    const s = await setup();
    const id = `o-${randomBytes(3).toString('hex')}`;
    await s.journal(id, 10, 70_000);
    await s.sync.onNotice(notice('0000000013', true, { quantity: 5, fillQuantity: 5 }));
    await s.sync.onNotice(notice('0000000014', false, { price: 70_100 }));
    expect((await s.ledger.orders.get(id))!.order).toMatchObject({ status: 'SUBMITTED', venueOrderIds: [] });
  });

  it('an order sent ahead of its ledger journal (write-ahead): its fill notice waits for the journal write and is ours', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let journaling: Promise<void> = Promise.resolve();
    const s = await setup(() => journaling);
    const id = `o-${randomBytes(3).toString('hex')}`;
    journaling = gate.then(() => s.journal(id)); // the journal write is still running when the notice comes
    const outcome = s.sync.onNotice(notice('0000000015', true));
    let settled = false;
    void outcome.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    expect(await outcome).toBe('APPLIED');
    const stored = (await s.ledger.orders.get(id))!;
    expect(stored.order).toMatchObject({ status: 'FILLED', venueOrderId: '0000000015' });
    expect((await s.ledger.fills.forOrder(id)).map((f) => f.quantity)).toEqual([10]);
    expect((await s.ledger.positions.get(s.accountId, SS))?.external).toBe(false);
  });

  it('(control) without the wait, the same notice is booked as an outside trade', async () => {
    const s = await setup();
    const id = `o-${randomBytes(3).toString('hex')}`;
    expect(await s.sync.onNotice(notice('0000000016', true))).toBe('APPLIED');
    await s.journal(id);
    expect((await s.ledger.fills.forOrder(id))).toEqual([]);
    expect((await s.ledger.positions.get(s.accountId, SS))?.external).toBe(true);
  });
});
