/**
 * The broker contract: the same suite against the twin (always) and, by hand, against a KIS paper
 * account (HANTU_CONTRACT_PAPER=1 with KIS_ENV=paper and the KIS_* credentials; never in CI).
 * It runs the real KIS client end to end: token, quotes, balance paging, orders, fills, cancels,
 * venue rejections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { KisClient } from '../../src/adapters/kis/kis-client.ts';
import { loadKisFromEnv } from '../../src/adapters/kis/common/credentials.ts';
import { ReplayClock } from '../../src/sim/replay/replay-clock.ts';
import { launchTwin, type LaunchedTwin } from '../../src/node/twin-node.ts';
import { clientForTwin } from '../../src/node/broker.ts';
import { dailyPriceLimits } from '../../src/model/price-limits.ts';
import { roundToTick, addTicks } from '../../src/model/tick.ts';
import type { AppError } from '../../src/core/errors.ts';

interface Target {
  name: string;
  setup(): Promise<{ client: KisClient; today: string; advance(ms: number): Promise<void>; dataDir: string; close(): Promise<void> }>;
}

const twinTarget: Target = {
  name: 'twin',
  async setup() {
    const day = '2026-02-20';
    const base = new SystemClock();
    const clock = new ReplayClock(base, { simStart: kstInstant(day, '09:30'), speed: 1 });
    const launched: LaunchedTwin = await launchTwin({
      sim: { day, at: '09:30', speed: 1, seed: 7, port: 0, cash: 50_000_000 },
      fees: { commissionBps: 1.40527, sellTaxBps: 20 },
      logger: silentLogger(),
      clock,
      holdings: [{ code: '000660', quantity: 10, avgPrice: 850_000 }],
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-contract-'));
    const client = clientForTwin(launched.endpoint, { clock, logger: silentLogger(), dataDir });
    return {
      client,
      today: day,
      dataDir: join(dataDir, 'sim'),
      advance: async (ms) => clock.jumpTo(clock.now() + ms),
      close: async () => {
        await client.close();
        await launched.close();
      },
    };
  },
};

const paperTarget: Target = {
  name: 'KIS paper (by hand)',
  async setup() {
    const { config, credentials } = loadKisFromEnv({ env: process.env });
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-contract-'));
    const clock = new SystemClock();
    const client = new KisClient({ config, credentials, clock, logger: silentLogger(), dataDir });
    const today = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
    return { client, today, dataDir, advance: async () => undefined, close: () => client.close() };
  },
};

const targets = [twinTarget, ...(process.env['HANTU_CONTRACT_PAPER'] === '1' ? [paperTarget] : [])];

describe.each(targets)('broker contract: $name', (target) => {
  let t: Awaited<ReturnType<Target['setup']>>;
  beforeAll(async () => {
    t = await target.setup();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('quotes a stock with limits and tick consistent with the KRX rules', async () => {
    const q = await t.client.requestQuote('005930');
    expect(q.instrumentId).toBe('005930');
    expect(q.last).toBeGreaterThan(0);
    const l = dailyPriceLimits(q.basePrice);
    expect([q.upperLimit, q.lowerLimit]).toEqual([l.upper, l.lower]);
    expect(q.tick).toBeGreaterThan(0);
  });

  it('persists the access token with mode 0600 and reuses it', async () => {
    const path = t.client.tokenFilePath;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const before = statSync(path).mtimeMs;
    await t.client.requestQuote('000660');
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('reads the balance: holdings and cash', async () => {
    const b = await t.client.requestBalance();
    expect(b.cash.deposit).toBeGreaterThan(0);
    if (target.name === 'twin') {
      expect(b.positions.map((p) => [p.instrumentId, p.quantity])).toEqual([['000660', 10]]);
    }
  });

  it('fills a marketable limit buy and shows it in the orders and the balance', async () => {
    const q = await t.client.requestQuote('005930');
    const limit = addTicks(roundToTick(q.last, 'up'), 2);
    const ack = await t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: limit });
    expect(ack.venueOrderId).toMatch(/^\d{10}$/);
    await t.advance(2_000);
    const orders = await t.client.requestOrders({ from: t.today, to: t.today });
    const o = orders.find((x) => x.venueOrderId === ack.venueOrderId);
    expect(o).toMatchObject({ side: 'BUY', quantity: 3, filledQuantity: 3, remainingQuantity: 0 });
    expect(o!.averageFillPrice).toBeLessThanOrEqual(limit);
    const b = await t.client.requestBalance();
    expect(b.positions.find((p) => p.instrumentId === '005930')?.quantity).toBe(3);
  });

  it('rests a passive limit order, lists it as open, and cancels it', async () => {
    const q = await t.client.requestQuote('005930');
    const passive = Math.max(q.lowerLimit, roundToTick(q.last * 0.9, 'down'));
    const ack = await t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: passive });
    const open = await t.client.requestOpenOrders();
    const mine = open.find((o) => o.venueOrderId === ack.venueOrderId);
    expect(mine).toMatchObject({ remainingQuantity: 1, filledQuantity: 0 });
    const cancel = await t.client.cancelOrder({ venueOrderId: ack.venueOrderId, branch: mine!.branch });
    expect(cancel.venueOrderId).not.toBe(ack.venueOrderId);
    const after = await t.client.requestOpenOrders();
    expect(after.some((o) => o.venueOrderId === ack.venueOrderId)).toBe(false);
  });

  it('sells at market and receives the proceeds less fees and tax', async () => {
    const before = await t.client.requestBalance();
    await t.client.submitOrder({ instrumentId: '000660', side: 'SELL', orderType: 'MARKET', quantity: 1 });
    await t.advance(1_000);
    const after = await t.client.requestBalance();
    expect(after.positions.find((p) => p.instrumentId === '000660')?.quantity).toBe((before.positions.find((p) => p.instrumentId === '000660')?.quantity ?? 0) - 1);
    expect(after.cash.settlementD2).toBeGreaterThan(before.cash.settlementD2);
  });

  it('the venue refuses an order beyond the daily limit and one above the cash (rejected, not placed)', async () => {
    const q = await t.client.requestQuote('005930');
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return e as AppError & { msgCd?: string };
      }
      throw new Error('expected a refusal');
    };
    const beyond = await refusal(t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: addTicks(q.upperLimit as never, 1) }));
    expect(beyond.disposition).toBe('rejected');
    const tooMuch = await refusal(t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1_000_000, price: roundToTick(q.last, 'down') }));
    expect(tooMuch.disposition).toBe('rejected');
    expect(tooMuch.msgCd).toMatch(/^APBK/);
  });

  it.skipIf(target.name !== 'twin')('the twin rejects an off-grid price KIS-style when the local check is skipped', async () => {
    await expect(
      t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 189_650, skipTickCheck: true }),
    ).rejects.toMatchObject({ disposition: 'rejected', msgCd: 'APBK0506' });
    await expect(t.client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 189_650 })).rejects.toThrow(/tick/);
  });
});
