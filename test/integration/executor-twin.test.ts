/**
 * The order executor against the twin's moving market (the real 2026-02-20 session of 005930 as
 * synthetic-intraday prints) through the real KIS client, journaling into a real ledger (PGlite in
 * memory; PostgreSQL too when DATABASE_URL is set). Simulated time moves on a TestClock; I/O runs
 * between steps (no sleeps).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps } from '../../src/model/money.ts';
import { roundToTick } from '../../src/model/tick.ts';
import { clearSharedLimiters } from '../../src/adapters/kis/http/rate-limiter.ts';
import { clientForTwin } from '../../src/node/broker.ts';
import { ledgerExecutor } from '../../src/node/execution-node.ts';
import { launchTwin, type LaunchedTwin } from '../../src/node/twin-node.ts';
import { Ledger, openDatabase, type Db } from '../../src/persistence/index.ts';
import type { KisClient } from '../../src/adapters/kis/kis-client.ts';
import { settle, simDriver } from '../support/sim-driver.ts';

const DAY = '2026-02-20';
const ID = instrumentId('005930');
const backends: [string, () => Promise<Db>][] = [['pglite', () => openDatabase({ dataDir: ':memory:' })]];
if (process.env['DATABASE_URL']) backends.push(['postgres', () => openDatabase({ url: process.env['DATABASE_URL']! })]);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  simDriver.reset();
});

describe.each(backends)('OrderExecutor on the twin — %s', (_name, open) => {
  async function setup(at: string) {
    clearSharedLimiters();
    const clock = new TestClock(kstInstant(DAY, at));
    const config = loadConfig({ env: {}, overrides: { sim: { day: DAY, at, speed: 1, cash: 50_000_000 } } });
    const twin: LaunchedTwin = await launchTwin({ sim: config.sim, fees: config.fees, logger: silentLogger(), clock, holdings: [{ code: '005930', quantity: 100, avgPrice: 185_000 }] });
    const client: KisClient = clientForTwin(twin.endpoint, { clock, logger: silentLogger(), dataDir: mkdtempSync(join(tmpdir(), 'hantu-exec-')) });
    const db = await open();
    const ledger = new Ledger(db, { rates: { commissionBps: bps(config.fees.commissionBps), sellTaxBps: bps(config.fees.sellTaxBps) }, clock, accounts: [twin.endpoint.account] });
    const accountId = `exec-test-${Math.random().toString(36).slice(2, 8)}`;
    await ledger.accounts.register({ id: accountId, env: 'sim', accountNumber: twin.endpoint.account });
    const executor = ledgerExecutor({ venue: client, ledger, accountId, clock, logger: silentLogger() });
    simDriver.inFlight = () => client.requestsInFlight + (db.inFlight ?? 0);
    cleanup = async () => {
      await client.close();
      await twin.close();
      await db.close();
    };
    return { clock, twin, client, ledger, executor, accountId };
  }

  it('a buy left below the market is re-priced from the touch after 5 s and fills; the ledger order carries both venue numbers', async () => {
    const { clock, client, ledger, executor } = await setup('10:00');
    const q = await settle(clock, client.requestQuote(ID), 'quote');
    const reference = q.last;
    const low = roundToTick(reference * 0.98, 'down'); // 2 % under the market: will not fill
    const placed = await settle(clock, executor.place({ clientOrderId: `x-${Date.now()}-buy`, actor: 'test', instrumentId: ID, side: 'BUY', orderType: 'LIMIT', quantity: 10, price: low, reference, reason: 'moving-market test' }), 'place');
    const started = clock.now();
    const [r] = await settle(clock, executor.work([placed]), 'work');

    expect(r!.reprices).toBeGreaterThanOrEqual(1);
    expect(r!.status).toBe('FILLED');
    expect(r!.filledQuantity).toBe(10);
    expect(r!.price!).toBeGreaterThan(low);
    expect(r!.price!).toBeLessThanOrEqual(roundToTick(reference * 1.01, 'down')); // inside the 100 bps cap
    expect(clock.now() - started).toBeGreaterThanOrEqual(5_000); // not before the limit timeout

    // The venue holds the original (unfilled) and the modify order (the fills); the ledger order both numbers.
    const orders = await settle(clock, client.requestOrders({ from: DAY, to: DAY }), 'orders');
    const original = orders.find((o) => o.venueOrderId === placed.ack.venueOrderId)!;
    expect(original.filledQuantity).toBe(0);
    const stored = await ledger.orders.get(placed.request.clientOrderId);
    expect(stored!.order.venueOrderIds).toEqual(r!.venueOrderIds);
    expect(stored!.order.events.map((e) => e.type).slice(0, 5)).toEqual(['OrderInitialized', 'OrderSubmitted', 'OrderAccepted', 'OrderPendingUpdate', 'OrderUpdated']);
    expect(stored!.order.price).toBe(r!.price);
    const audit = await ledger.audit.list({ target: placed.request.clientOrderId });
    expect(audit.map((a) => `${a.action}:${a.result}`)).toEqual(expect.arrayContaining(['order.submit:OK', 'order.reprice:OK']));
  });

  it('a sell priced far above the market stops re-pricing at the slippage cap and is left working', async () => {
    const { clock, client, ledger, executor } = await setup('10:00');
    const q = await settle(clock, client.requestQuote(ID), 'quote');
    const high = roundToTick(q.last * 1.05, 'up');
    // Reference far above the market too: the cap (1 % under the reference) keeps every re-price above it.
    const placed = await settle(
      clock,
      executor.place({ clientOrderId: `x-${Date.now()}-sell`, actor: 'test', instrumentId: ID, side: 'SELL', orderType: 'LIMIT', quantity: 5, price: high, reference: high, reason: 'cap test' }),
      'place',
    );
    const [r] = await settle(clock, executor.work([placed]), 'work');
    expect(r!.status).toBe('WORKING');
    expect(r!.filledQuantity).toBe(0);
    expect(r!.price!).toBeGreaterThanOrEqual(roundToTick(high * 0.99, 'up'));
    expect(r!.note ?? '').toMatch(/slippage cap|not better/);
    const stored = await ledger.orders.get(placed.request.clientOrderId);
    expect(stored!.order.status).toBe('ACCEPTED');
  });
});
