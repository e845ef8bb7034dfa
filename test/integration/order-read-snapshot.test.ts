/**
 * An order is read from ONE snapshot: while another connection appends events to it, every read sees
 * its row and its events agree. (Read in two statements under READ COMMITTED, a write committed in
 * between made reads fail with ORDER_PROJECTION_MISMATCH, or lose the events of an order matched by
 * status: found by the chaos campaign, 117 of 677 reads under one writer.) PostgreSQL only: PGlite has
 * a single connection.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { unixMillis } from '../../src/core/brand.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps, price, quantity } from '../../src/model/money.ts';
import { Ledger, openDatabase } from '../../src/persistence/index.ts';

const url = process.env['DATABASE_URL'];

describe.skipIf(!url)('order reads under a concurrent writer (PostgreSQL)', () => {
  it('every read of an order sees its row and its events agree', async () => {
    const schema = `hantu_snap_${randomBytes(3).toString('hex')}`;
    const writerDb = await openDatabase({ url: url!, schema });
    const readerDb = await openDatabase({ url: url!, schema, migrate: false });
    try {
      const rates = { rates: { commissionBps: bps(1.40527), sellTaxBps: bps(20) } };
      const w = new Ledger(writerDb, rates);
      const r = new Ledger(readerDb, rates);
      const acct = 'snap.test';
      await w.accounts.register({ id: acct, env: 'sim', accountNumber: '50000001-01' });
      const t = unixMillis(Date.UTC(2026, 1, 20, 1));
      const id = 'SNAP-1';
      const ss = instrumentId('005930');
      await w.orders.insertIntent({
        accountId: acct,
        init: { type: 'OrderInitialized', clientOrderId: id, instrumentId: ss, side: 'BUY', orderType: 'LIMIT', quantity: quantity(1), price: price(100), tsEvent: t, tsInit: t },
        submitted: { type: 'OrderSubmitted', clientOrderId: id, instrumentId: ss, tsEvent: t, tsInit: t },
      });
      await w.orders.applyEvent({ type: 'OrderAccepted', clientOrderId: id, instrumentId: ss, venueOrderId: '0000000001', branch: '06010', tsEvent: t, tsInit: t });
      let stop = false;
      let writes = 0;
      const writer = (async () => {
        while (!stop) {
          await w.orders.applyEvent({ type: 'OrderPendingCancel', clientOrderId: id, instrumentId: ss, tsEvent: t, tsInit: t });
          await w.orders.applyEvent({ type: 'OrderCancelRejected', clientOrderId: id, instrumentId: ss, reason: 'x', messageCode: 'X', tsEvent: t, tsInit: t });
          writes += 2;
        }
      })();
      const errors: string[] = [];
      for (let i = 0; i < 400; i++) {
        try {
          const byId = await r.orders.get(id);
          const open = await r.orders.findOpen(acct);
          expect(byId?.order.events[0]?.type).toBe('OrderInitialized');
          expect(open.every((o) => o.order.events[0]?.type === 'OrderInitialized')).toBe(true);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      stop = true;
      await writer;
      expect(writes).toBeGreaterThan(10); // the writer really ran alongside
      expect(errors).toEqual([]);
    } finally {
      await writerDb.exec(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
      await writerDb.close();
      await readerDb.close();
    }
  });
});
