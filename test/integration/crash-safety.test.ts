/**
 * Crash safety (issue 4 §3): the order executor journals an order in the ledger before the venue sees
 * it, so a process that dies at any point of a submit leaves an order the startup reconciliation of the
 * next process resolves by query — nothing is sent twice, no fill is lost. The "crash" is a venue
 * wrapper that dies (throws an outcome-unknown error, as a killed process never hears the answer)
 * before or after forwarding the order to the twin; the "restart" is a new AccountSync over the same
 * ledger. Real twin, real KIS client, real ledger (PGlite in memory; PostgreSQL with DATABASE_URL).
 * test/e2e/chaos.test.ts kills a real node process with SIGKILL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixMillis } from '../../src/core/brand.ts';
import { TestClock } from '../../src/core/clock.ts';
import { AppError } from '../../src/core/errors.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps } from '../../src/model/money.ts';
import { roundToTick } from '../../src/model/tick.ts';
import { clearSharedLimiters } from '../../src/adapters/kis/http/rate-limiter.ts';
import type { KisClient } from '../../src/adapters/kis/kis-client.ts';
import { clientForTwin } from '../../src/node/broker.ts';
import { OrderExecutor } from '../../src/execution/executor.ts';
import type { ExitIntent } from '../../src/monitor/intent.ts';
import { JsonFileExitIntentStore } from '../../src/monitor/intent-store.ts';
import { ledgerExecutor, ledgerJournal, recoverExitOrders } from '../../src/node/execution-node.ts';
import { launchTwin } from '../../src/node/twin-node.ts';
import { Ledger, openDatabase, type Db } from '../../src/persistence/index.ts';
import { AccountSync } from '../../src/sync/account-sync.ts';
import { settle, simDriver } from '../support/sim-driver.ts';

const DAY = '2026-02-20';
const ID = instrumentId('005930');
const backends: [string, () => Promise<Db>][] = [['pglite', () => openDatabase({ dataDir: ':memory:' })]];
if (process.env['DATABASE_URL']) backends.push(['postgres', () => openDatabase({ url: process.env['DATABASE_URL']! })]);

/** What a killed process "hears" of its submit: nothing. */
class ProcessDied extends AppError {
  readonly code = 'PROCESS_KILLED';
  readonly disposition = 'outcome-unknown' as const;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  simDriver.reset();
});

describe.each(backends)('kill -9 mid-submit, then restart — %s', (_name, open) => {
  async function setup() {
    clearSharedLimiters();
    const clock = new TestClock(kstInstant(DAY, '10:00'));
    const config = loadConfig({ env: {}, overrides: { sim: { day: DAY, at: '10:00', speed: 1, cash: 50_000_000 } } });
    const twin = await launchTwin({ sim: config.sim, fees: config.fees, logger: silentLogger(), clock, holdings: [{ code: '005930', quantity: 100, avgPrice: 185_000 }] });
    const client: KisClient = clientForTwin(twin.endpoint, { clock, logger: silentLogger(), dataDir: mkdtempSync(join(tmpdir(), 'hantu-crash-')) });
    const db = await open();
    const rates = { commissionBps: bps(config.fees.commissionBps), sellTaxBps: bps(config.fees.sellTaxBps) };
    const ledger = new Ledger(db, { rates, clock, accounts: [twin.endpoint.account] });
    const accountId = `crash-${Math.random().toString(36).slice(2, 8)}`;
    await ledger.accounts.register({ id: accountId, env: 'sim', accountNumber: twin.endpoint.account });
    const alerts: string[] = [];
    const newSync = () =>
      new AccountSync({ ledger, accountId, venue: client, clock, logger: silentLogger(), rates, isMarketHours: () => true, today: () => DAY, onAlert: (a) => alerts.push(a.code) });
    // The first process: adopts the account, then dies in the middle of a submit.
    await settle(clock, newSync().startup(), 'first startup');
    simDriver.inFlight = () => client.requestsInFlight + (db.inFlight ?? 0);
    cleanup = async () => {
      await client.close();
      await twin.close();
      await db.close();
    };
    const submits: string[] = [];
    const dying = (forward: boolean) =>
      ledgerExecutor({
        venue: {
          submitOrder: async (req) => {
            submits.push(`${req.side} ${req.quantity}@${req.price}`);
            if (forward) await client.submitOrder(req); // the order reaches the venue…
            throw new ProcessDied('killed before the answer was read'); // …and the process is gone
          },
          modifyOrder: (ref, p) => client.modifyOrder(ref, p),
          cancelOrder: (ref) => client.cancelOrder(ref),
          requestOrders: (r) => client.requestOrders(r),
          requestQuote: (id) => client.requestQuote(id),
        },
        ledger,
        accountId,
        clock,
        logger: silentLogger(),
      });
    // An exit sent ahead of its ledger journal (monitor.exitWriteAhead = intent-log): the order leaves,
    // then the process dies before the journal write commits (every write fails: nothing reaches the ledger).
    const dyingWriteAhead = (forward: boolean) =>
      new OrderExecutor({
        venue: {
          submitOrder: async (req) => {
            submits.push(`${req.side} ${req.quantity}@${req.price}`);
            if (forward) await client.submitOrder(req);
            throw new ProcessDied('killed before the answer was read');
          },
          modifyOrder: (ref, p) => client.modifyOrder(ref, p),
          cancelOrder: (ref) => client.cancelOrder(ref),
          requestOrders: (r) => client.requestOrders(r),
          requestQuote: (id) => client.requestQuote(id),
        },
        journal: { ...ledgerJournal(ledger, accountId), open: () => Promise.reject(new ProcessDied('killed before the journal committed')) },
        clock,
        logger: silentLogger(),
      });
    return { clock, client, ledger, accountId, newSync, dying, dyingWriteAhead, submits, alerts };
  }

  it('died after the order reached the venue: the restart adopts the venue order and its fills; nothing is resent', async () => {
    const s = await setup();
    const q = await settle(s.clock, s.client.requestQuote(ID), 'quote');
    const px = roundToTick(q.last * 1.01, 'down'); // marketable: fills at once
    const id = `crash-a-${Date.now()}`;
    await expect(settle(s.clock, s.dying(true).place({ clientOrderId: id, actor: 'test', instrumentId: ID, side: 'BUY', orderType: 'LIMIT', quantity: 7, price: px, reason: 'crash test' }), 'place')).rejects.toMatchObject({ code: 'PROCESS_KILLED' });
    expect((await s.ledger.orders.get(id))!.order.status).toBe('SUBMITTED'); // what the dead process left

    // Restart: the startup reconciliation resolves the in-flight order before anything new is sent.
    const restart = s.newSync();
    const out = await settle(s.clock, restart.startup(), 'restart startup');
    expect(out.state).toBe('ACTIVE');
    const stored = (await s.ledger.orders.get(id))!;
    const venue = await settle(s.clock, s.client.requestOrders({ from: DAY, to: DAY }), 'venue orders');
    expect(venue.filter((o) => !o.isModifyOrCancel)).toHaveLength(1); // sent once
    expect(stored.order.venueOrderId).toBe(venue[0]!.venueOrderId);
    expect(stored.order.filledQty).toBe(7);
    const fills = await s.ledger.fills.list(s.accountId, { tradeDate: DAY });
    expect(fills.reduce((a, f) => a + f.quantity, 0)).toBe(7); // no fill lost
    expect(fills.every((f) => f.clientOrderId === id)).toBe(true);
    expect(s.submits).toHaveLength(1);
  });

  it('died after journaling, before sending: the restart finds no such venue order, marks it LOST after 3 queries and alerts; nothing is sent', async () => {
    const s = await setup();
    const q = await settle(s.clock, s.client.requestQuote(ID), 'quote');
    const id = `crash-b-${Date.now()}`;
    await expect(
      settle(s.clock, s.dying(false).place({ clientOrderId: id, actor: 'test', instrumentId: ID, side: 'BUY', orderType: 'LIMIT', quantity: 3, price: roundToTick(q.last, 'down'), reason: 'crash test' }), 'place'),
    ).rejects.toMatchObject({ code: 'PROCESS_KILLED' });

    const restart = s.newSync();
    const first = await settle(s.clock, restart.startup(), 'restart startup');
    expect(first.state).toBe('ACTIVE'); // a pending miss is not a divergence
    await settle(s.clock, restart.syncNow('PERIODIC'), 'sync 2');
    await settle(s.clock, restart.syncNow('PERIODIC'), 'sync 3');
    const stored = (await s.ledger.orders.get(id))!;
    expect(stored.order.status).toBe('REJECTED');
    expect(stored.venue.status).toBe('LOST');
    expect(s.alerts.some((a) => /LOST/.test(a))).toBe(true);
    const venue = await settle(s.clock, s.client.requestOrders({ from: DAY, to: DAY }), 'venue orders');
    expect(venue).toEqual([]);
  });

  /** The exit intent the monitor saved (the write-ahead record) before the order left, through the real intent log. */
  async function savedIntent(clock: TestClock, id: string, qty: number, px: number): Promise<ExitIntent[]> {
    const file = join(mkdtempSync(join(tmpdir(), 'hantu-intents-')), 'exit-intents.json');
    const store = new JsonFileExitIntentStore(file);
    await store.load();
    const now = unixMillis(clock.now());
    await store.save({
      version: 1,
      clientOrderId: id,
      instrumentId: ID,
      name: '삼성전자',
      sessionDate: DAY,
      trigger: 'TAKE_PROFIT',
      reference: px,
      threshold: px,
      averagePrice: 185_000,
      positionQuantity: 100,
      quantity: qty,
      state: 'PENDING_SUBMIT',
      attempts: [{ clientOrderId: id, orderType: 'LIMIT', price: px, quantity: qty, submittedAt: now, status: 'SUBMITTING', noticeFilledQuantity: 0, noticeFilledValue: 0, reportFilledQuantity: 0, reportFilledValue: 0 }],
      filledQuantity: 0,
      filledValue: 0,
      repricesExhausted: false,
      createdAt: now,
      updatedAt: now,
    });
    await store.close();
    // The restart reads it back from disk.
    return new JsonFileExitIntentStore(file).load();
  }

  it('exit sent ahead of its ledger journal, died before the journal: the restart copies it in from the intent log and adopts the venue order and its fills', async () => {
    const s = await setup();
    const q = await settle(s.clock, s.client.requestQuote(ID), 'quote');
    const px = roundToTick(q.last * 0.99, 'down'); // marketable sell: fills at once
    const id = `crash-c-${Date.now()}`;
    const intents = await savedIntent(s.clock, id, 7, px);
    await expect(
      settle(s.clock, s.dyingWriteAhead(true).place({ clientOrderId: id, actor: 'monitor', instrumentId: ID, side: 'SELL', orderType: 'LIMIT', quantity: 7, price: px, reason: 'exit' }, { writeAhead: Promise.resolve() }), 'place'),
    ).rejects.toMatchObject({ code: 'PROCESS_KILLED' });
    expect(await s.ledger.orders.get(id)).toBeUndefined(); // only the intent log knows the order

    // Restart: orders the intent log holds and the ledger lacks are copied in, then the startup reconciliation.
    const recovery = await settle(s.clock, recoverExitOrders({ ledger: s.ledger, accountId: s.accountId, intents, clock: s.clock, logger: silentLogger() }), 'recovery');
    expect(recovery.recovered).toEqual([id]);
    const out = await settle(s.clock, s.newSync().startup(), 'restart startup');
    expect(out.state).toBe('ACTIVE');
    const stored = (await s.ledger.orders.get(id))!;
    const venue = await settle(s.clock, s.client.requestOrders({ from: DAY, to: DAY }), 'venue orders');
    expect(venue.filter((o) => !o.isModifyOrCancel)).toHaveLength(1); // sent once
    expect(stored.order.venueOrderId).toBe(venue[0]!.venueOrderId);
    expect(stored.order).toMatchObject({ side: 'SELL', status: 'FILLED', filledQty: 7 });
    const fills = await s.ledger.fills.list(s.accountId, { tradeDate: DAY });
    expect(fills.map((f) => [f.clientOrderId, f.quantity])).toEqual([[id, 7]]); // ours, none lost
    const position = await s.ledger.positions.get(s.accountId, ID);
    expect(position?.quantity).toBe(93); // (the holding itself was adopted at the first start, as bought outside hantu)
    expect(s.submits).toHaveLength(1);
    expect((await s.ledger.audit.list({ action: 'order.recover' })).map((a) => a.target)).toContain(id);
    // A second start copies nothing again.
    expect((await recoverExitOrders({ ledger: s.ledger, accountId: s.accountId, intents, clock: s.clock, logger: silentLogger() })).recovered).toEqual([]);
  });

  it('exits sent with the intent flush after the send (exitIntentFlush = after-send), then the operating system crashed before either record reached the disk: the restart adopts the filled exit as external, reports the open one, and a second exit of the same shares is refused by the venue', async () => {
    const s = await setup();
    const q = await settle(s.clock, s.client.requestQuote(ID), 'quote');
    const filledPx = roundToTick(q.last * 0.99, 'down'); // marketable sell: fills at once
    const restingPx = roundToTick(q.last * 1.1, 'up'); // above the market: stays open
    for (const [n, qty, px] of [[1, 7, filledPx], [2, 5, restingPx]] as const) {
      await expect(
        settle(s.clock, s.dyingWriteAhead(true).place({ clientOrderId: `crash-e${n}-${Date.now()}`, actor: 'monitor', instrumentId: ID, side: 'SELL', orderType: 'LIMIT', quantity: qty, price: px, reason: 'exit' }, { writeAhead: Promise.resolve() }), 'place'),
      ).rejects.toMatchObject({ code: 'PROCESS_KILLED' });
    }
    // Neither record survived: the intent's line never reached the disk, nor did the journal.
    expect((await recoverExitOrders({ ledger: s.ledger, accountId: s.accountId, intents: [], clock: s.clock, logger: silentLogger() })).recovered).toEqual([]);
    const restart = s.newSync();
    const out = await settle(s.clock, restart.startup(), 'restart startup');
    expect(out.state).toBe('ACTIVE');
    // The filled exit: its fill is in the ledger (as an external order's), and the position matches the venue.
    const fills = await s.ledger.fills.list(s.accountId, { tradeDate: DAY });
    expect(fills.map((f) => [f.side, f.quantity])).toEqual([['SELL', 7]]);
    expect((await s.ledger.positions.get(s.accountId, ID))?.quantity).toBe(93);
    // The open one is reported, not adopted.
    expect(out.result?.differences.map((d) => d.what)).toContain('EXTERNAL_OPEN_ORDER');
    // A monitor that fires again on the ledger's 93 shares: the venue nets the open sell and refuses.
    await expect(settle(s.clock, s.client.submitOrder({ instrumentId: ID, side: 'SELL', orderType: 'LIMIT', quantity: 93, price: filledPx }), 'second exit')).rejects.toMatchObject({ disposition: 'rejected' });
    const venue = await settle(s.clock, s.client.requestOrders({ from: DAY, to: DAY }), 'venue orders');
    expect(venue.filter((o) => !o.isModifyOrCancel).map((o) => o.quantity).sort()).toEqual([5, 7]); // nothing else was placed
    expect(s.submits).toHaveLength(2);
  });

  it('exit intent saved, died before sending (write-ahead): the copied order is never found, marked LOST after 3 queries; nothing is sent', async () => {
    const s = await setup();
    const q = await settle(s.clock, s.client.requestQuote(ID), 'quote');
    const id = `crash-d-${Date.now()}`;
    const intents = await savedIntent(s.clock, id, 5, roundToTick(q.last, 'down'));
    await settle(s.clock, recoverExitOrders({ ledger: s.ledger, accountId: s.accountId, intents, clock: s.clock, logger: silentLogger() }), 'recovery');
    const restart = s.newSync();
    expect((await settle(s.clock, restart.startup(), 'restart startup')).state).toBe('ACTIVE');
    await settle(s.clock, restart.syncNow('PERIODIC'), 'sync 2');
    await settle(s.clock, restart.syncNow('PERIODIC'), 'sync 3');
    const stored = (await s.ledger.orders.get(id))!;
    expect(stored.order.status).toBe('REJECTED');
    expect(stored.venue.status).toBe('LOST');
    expect(await settle(s.clock, s.client.requestOrders({ from: DAY, to: DAY }), 'venue orders')).toEqual([]);
  });
});
