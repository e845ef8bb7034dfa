/**
 * The kill switch and `hantu strategy run` against the twin (real KIS client, real sockets), on a
 * SteppingClock: simulated time moves only when the runner waits (fill polling), nothing sleeps.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SteppingClock } from '../core/stepping-clock.ts';
import { kstDate, kstInstant } from '../core/kst.ts';
import { silentLogger } from '../core/logger.ts';
import { loadConfig } from '../config/load.ts';
import { roundToTick } from '../model/tick.ts';
import type { KisClient } from '../adapters/kis/kis-client.ts';
import type { OpenedBroker } from './broker.ts';
import { clientForTwin } from './broker.ts';
import { createRiskEngine, FileTradingStateStore, haltTrading, readTradingState, recordingCanceller, resumeTrading, TRADING_STATE_FILE } from './halt-node.ts';
import { runStrategyOnce } from './strategy-node.ts';
import { launchTwin, type LaunchedTwin } from './twin-node.ts';

const DAY = kstDate('2026-02-20');
const logger = silentLogger();

describe('kill switch and strategy run on the twin', () => {
  let twin: LaunchedTwin;
  let client: KisClient;
  let session: OpenedBroker;
  let dataDir: string;
  const clock = new SteppingClock(kstInstant(DAY, '10:00'));
  const env = { MAX_POSITION_WEIGHT_BPS: '10000' };

  beforeAll(async () => {
    clock.setHorizon(kstInstant(DAY, '15:00'));
    dataDir = mkdtempSync(join(tmpdir(), 'hantu-halt-'));
    twin = await launchTwin({
      sim: { day: DAY, at: '10:00', speed: 1, seed: 3, port: 0, cash: 20_000_000 },
      fees: { commissionBps: 1.40527, sellTaxBps: 20 },
      logger,
      clock,
      pumpIntervalMs: 86_400_000,
      rateLimitPerSecond: 1_000,
    });
    client = clientForTwin(twin.endpoint, { clock, logger, dataDir, rateLimitPerSecond: 1_000 });
    session = { client, env: 'sim', description: 'twin', account: 'x', clock, today: () => DAY, close: async () => undefined };
  });
  afterAll(async () => {
    await client?.close();
    await twin?.close();
  });

  it('halt: HALTED saved (0600), every open order cancelled and listed; strategy runs are then denied', async () => {
    const q = await client.requestQuote('005930');
    const low = roundToTick(q.last * 0.9, 'down', 'STOCK');
    const a = await client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: low });
    const b = await client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 2, price: low });
    expect((await client.requestOpenOrders()).length).toBe(2);

    const r = await haltTrading({ client, dataDir, clock, logger, env, reason: 'test halt' });
    expect(r.transition).toMatchObject({ from: 'ACTIVE', to: 'HALTED', changed: true, persisted: true });
    expect(r.cancelled.map((c) => [c.venueOrderId, c.remainingQuantity]).sort()).toEqual([[a.venueOrderId, 3], [b.venueOrderId, 2]].sort());
    expect(r.failed).toEqual([]);
    expect(await client.requestOpenOrders()).toEqual([]);
    const file = join(dataDir, TRADING_STATE_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ state: 'HALTED', reason: 'test halt' });

    const denied = await runStrategyOnce({ session, config: loadConfig({ env: {}, overrides: { dataDir } }), logger, strategy: 'dca', universe: ['005930'], strategyConfig: { period: 'DAY', instruments: [{ code: '005930', amountKrw: 1_000_000 }] }, dryRun: false, env });
    expect(denied.denials.map((d) => d.code)).toEqual(['TRADING_HALTED']);
    expect(denied.orders).toEqual([]);
  });

  it('a cancel that fails is listed with its error; the state is HALTED all the same', async () => {
    const fake = {
      requestOpenOrders: async () => [{ venueOrderId: '0000000009', branch: '06010', instrumentId: '000660', side: 'SELL', remainingQuantity: 4, price: 900_000, canceled: false }] as never,
      cancelOrder: async () => {
        throw Object.assign(new Error('venue down'), { code: 'KIS_TRANSPORT' });
      },
    };
    const c = recordingCanceller(fake);
    expect(await c.cancelAll()).toEqual({ canceled: 0, failed: 1 });
    expect(c.outcomes[0]).toMatchObject({ venueOrderId: '0000000009', ok: false, error: 'KIS_TRANSPORT: venue down' });
    const r = await haltTrading({ client: fake, dataDir, clock, logger, env, reason: 'again' });
    expect(r.transition.to).toBe('HALTED');
    expect(r.failed).toHaveLength(1);
  });

  it('resume: ACTIVE saved; dry run sends nothing and writes nothing; a real run orders and fills', async () => {
    const r = await resumeTrading({ dataDir, clock, logger, env, reason: 'test resume' });
    expect(r).toMatchObject({ from: 'HALTED', to: 'ACTIVE', persisted: true });
    expect(readTradingState(dataDir)).toMatchObject({ state: 'ACTIVE', reason: 'test resume' });

    const config = loadConfig({ env: {}, overrides: { dataDir } });
    const cfg = { period: 'DAY', instruments: [{ code: '005930', amountKrw: 1_000_000 }] };
    const before = (await client.requestOrders({ from: DAY, to: DAY })).length; // the two cancelled buys and their cancel records
    const dry = await runStrategyOnce({ session, config, logger, strategy: 'dca', strategyConfig: cfg, dryRun: true, env });
    expect(dry.orders.map((o) => o.status)).toEqual(['WOULD_SUBMIT']);
    expect(await client.requestOrders({ from: DAY, to: DAY })).toHaveLength(before);
    const live = await runStrategyOnce({ session, config, logger, strategy: 'dca', strategyConfig: cfg, dryRun: false, env });
    expect(live.orders.map((o) => o.status)).toEqual(['SUBMITTED']);
    expect(live.fills.at(-1)).toMatchObject({ instrumentId: '005930', status: 'FILLED' });
    const again = await runStrategyOnce({ session, config, logger, strategy: 'dca', strategyConfig: cfg, dryRun: false, env });
    expect(again.skips.map((s) => s.code)).toContain('ALREADY_DONE_THIS_PERIOD'); // state persisted in strategy-state.json
    expect(readFileSync(join(dataDir, 'strategy-transactions.jsonl'), 'utf8')).toMatch(/"type":"order"/);
  });

  it('an unreadable state file starts the engine HALTED (fail closed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-bad-'));
    writeFileSync(join(dir, TRADING_STATE_FILE), '{ not json');
    await expect(new FileTradingStateStore(join(dir, TRADING_STATE_FILE)).load()).rejects.toThrow();
    const engine = await createRiskEngine({ dataDir: dir, clock, logger, env: {} });
    expect(engine.state).toBe('HALTED');
  });
});
