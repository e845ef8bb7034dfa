/**
 * End to end on the twin: the daemon trades a strategy on its own. `hantu run`'s composition with
 * `trading` set — the scheduler fires the strategy job every 10 minutes of the session, the runner
 * decides, the risk engine checks, the order executor journals every order in the ledger before
 * sending it and works it — over the real 2026-02-20 session (synthetic-intraday prints), driven by a
 * TestClock over real loopback sockets. The ledger is PGlite in memory, and PostgreSQL when
 * DATABASE_URL is set.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant, kstParts } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startTradingDay, type RunningDay, type RunReport } from '../../src/node/run-node.ts';
import { clearSharedLimiters } from '../../src/adapters/kis/http/rate-limiter.ts';
import { openDatabase, type Db } from '../../src/persistence/index.ts';
import { drive, settle, simDriver } from '../support/sim-driver.ts';

const DAY = '2026-02-20';
const MAX_ORDER = 3_000_000;
const backends: [string, () => Promise<Db>][] = [['pglite', () => openDatabase({ dataDir: ':memory:' })]];
if (process.env['DATABASE_URL']) backends.push(['postgres', () => openDatabase({ url: process.env['DATABASE_URL']! })]);

describe.each(backends)('the daemon trades a strategy on the scheduler — %s', (_name, open) => {
  let db: Db;
  let clock: TestClock;
  let day: RunningDay | undefined;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });
  afterEach(async () => {
    if (day) await settle(clock, day.stop(), 'stop').catch(() => undefined);
    day = undefined;
    simDriver.reset();
  });

  async function start(o: { dataDir?: string; strategyConfig?: unknown } = {}): Promise<{ lines: string[]; day: RunningDay }> {
    clearSharedLimiters();
    clock = new TestClock(kstInstant(DAY, '08:55'));
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: o.dataDir ?? mkdtempSync(join(tmpdir(), 'hantu-trading-')),
        sim: { day: DAY, at: '08:55', speed: 1, cash: 5_000_000 },
        // Wide thresholds: the monitor stays out of the way of the strategy.
        monitor: { default: { thresholds: { type: 'percent', stopLossPct: 30, takeProfitPct: 30 } } },
      },
    });
    const lines: string[] = [];
    day = await settle(
      clock,
      startTradingDay({
        config,
        logger: silentLogger(),
        clock,
        control: false,
        write: (l) => lines.push(l),
        // 005930 is overweight against equal targets; 000660 and 000270 are under.
        holdings: [
          { code: '005930', quantity: 150, avgPrice: 185_000 },
          { code: '000660', quantity: 2, avgPrice: 900_000 },
          { code: '000270', quantity: 10, avgPrice: 170_000 },
        ],
        pumpIntervalMs: 1_000,
        database: db,
        env: { MAX_ORDER_VALUE_KRW: String(MAX_ORDER), SCHEDULE_STRATEGY_CRON: '*/10 * * * *' },
        trading: {
          strategy: 'rebalance',
          strategyConfig: o.strategyConfig ?? {
            targets: [
              { code: '005930', weightBps: 3_000 },
              { code: '000660', weightBps: 3_000 },
              { code: '000270', weightBps: 3_000 },
            ],
            cashWeightBps: 1_000,
            bandBps: 300,
            maxTradeKrw: MAX_ORDER,
          },
        },
      }),
      'start of day',
    );
    const d = day;
    simDriver.inFlight = () => d.client.requestsInFlight + (d.ledger.db.inFlight ?? 0);
    simDriver.busy = () => d.sync.busy;
    return { lines, day: d };
  }

  it('runs the strategy job on its schedule, within the order-value cap, every order journaled before it was sent; the ledger equals the venue', async () => {
    const { lines, day: d } = await start();
    await drive(clock, () => clock.now() >= kstInstant(DAY, '10:05'), '10:05', 2 * 3_600_000);
    const report: RunReport = await settle(clock, d.stop(), 'end of day');
    day = undefined;

    // The job fired at 09:00, 09:10, …, 10:00 (every 10 minutes inside the session), on the minute.
    const runs = report.trading!.runs;
    expect(runs.map((r) => `${kstParts(r.at).hour}:${String(kstParts(r.at).minute).padStart(2, '0')}`)).toEqual(['9:00', '9:10', '9:20', '9:30', '9:40', '9:50', '10:00']);
    expect(runs.every((r) => r.at % 60_000 === 0)).toBe(true);
    expect(report.trading!.jobs.find((j) => j.name === 'strategy')).toMatchObject({ failed: 0 });

    // It traded: the overweight 005930 was sold and the others bought, sliced under the cap.
    const ours = report.orders.filter((o) => !o.isModifyOrCancel);
    expect(ours.some((o) => o.side === 'SELL' && o.instrumentId === '005930' && o.filledQuantity > 0), lines.join('\n')).toBe(true);
    expect(ours.some((o) => o.side === 'BUY' && o.filledQuantity > 0)).toBe(true);
    expect(runs.reduce((a, r) => a + r.orders, 0)).toBeGreaterThan(1);
    for (const o of ours) expect(o.quantity * o.price, `order ${o.venueOrderId}`).toBeLessThanOrEqual(MAX_ORDER);

    // Every venue order is one of ours in the ledger, written (INITIALIZED + SUBMITTED) before the
    // venue acknowledged it; every fill belongs to one of our orders.
    const accountId = report.reconciliation!.accountId;
    for (const o of ours) {
      const stored = await d.ledger.orders.findByVenueOrderId(accountId, o.venueOrderId, { tradeDate: DAY });
      expect(stored, `venue order ${o.venueOrderId} has no ledger order`).toBeDefined();
      expect(stored!.order.events.slice(0, 3).map((e) => e.type)).toEqual(['OrderInitialized', 'OrderSubmitted', 'OrderAccepted']);
      expect(stored!.order.tag).toBe('strategy:rebalance');
    }
    const fills = await d.ledger.fills.list(accountId, { tradeDate: DAY });
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.filter((f) => f.clientOrderId === undefined)).toEqual([]);
    const audit = await d.ledger.audit.list({ action: 'order.submit' });
    expect(audit.filter((a) => a.result === 'OK').length).toBeGreaterThanOrEqual(ours.length);

    // The books equal the broker's at the close.
    expect(report.reconciliation).toMatchObject({ state: 'ACTIVE', final: { status: 'MATCHED' } });
    expect(report.reconciliation!.counters['diverged']).toBe(0);
  });

  it('a strategy that cannot be bound fails at the start, before anything connects', async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: mkdtempSync(join(tmpdir(), 'hantu-trading-bad-')) } });
    await expect(startTradingDay({ config, logger: silentLogger(), control: false, database: db, trading: { strategy: 'nope' } })).rejects.toThrow(/strategy "nope" has no default configuration/);
    await expect(startTradingDay({ config, logger: silentLogger(), control: false, database: db, trading: { strategy: 'rebalance', strategyConfig: { targets: [] } } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('the kill switch (hantu halt) stops the strategy: every order is denied, nothing is sent', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-trading-halted-'));
    writeFileSync(join(dataDir, 'trading-state.json'), JSON.stringify({ state: 'HALTED', since: kstInstant(DAY, '08:00'), reason: 'hantu halt (test)' }));
    const { lines, day: d } = await start({ dataDir });
    expect(lines.some((l) => /trading state HALTED/.test(l)), lines.join('\n')).toBe(true);
    await drive(clock, () => clock.now() >= kstInstant(DAY, '09:25'), '09:25');
    const report: RunReport = await settle(clock, d.stop(), 'end of day');
    day = undefined;
    expect(report.trading!.runs.length).toBeGreaterThanOrEqual(2);
    expect(report.trading!.runs.every((r) => r.orders === 0)).toBe(true);
    expect(report.trading!.runs.some((r) => r.denials > 0)).toBe(true);
    expect(report.orders).toEqual([]);
  });
});
