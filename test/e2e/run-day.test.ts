/**
 * End to end on the twin: `hantu run`'s composition (KIS REST + WebSocket clients, the monitor, the
 * twin replaying the real 2026-02-20 session) driven by a TestClock. Real sockets on 127.0.0.1; the
 * test moves simulated time in steps and lets I/O run between them (no sleeps).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertStartedBeforeOpen, drive, settle, simDriver } from '../support/sim-driver.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock, TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startTradingDay, type RunningDay, type RunReport } from '../../src/node/run-node.ts';
import { KisWsClient, type WsClientSignal } from '../../src/adapters/kis/ws/client.ts';
import type { SimHoldingSpec } from '../../src/sim/account-spec.ts';
import { clearSharedLimiters } from '../../src/adapters/kis/http/rate-limiter.ts';
import { KisClient } from '../../src/adapters/kis/kis-client.ts';
import { loadKisFromEnv } from '../../src/adapters/kis/common/credentials.ts';
import { launchTwin } from '../../src/node/twin-node.ts';
import { openDatabase, type Db } from '../../src/persistence/index.ts';

const DAY = '2026-02-20';

interface Ctx {
  clock: TestClock;
  day: RunningDay;
  lines: string[];
}
let running: Ctx | undefined;
/**
 * One in-memory ledger for the file (each run gets its own ledger account): opening PGlite takes wall
 * time, during which `settle` would move simulated time on. test/e2e/sync.test.ts covers the default
 * ledger in the data folder.
 */
let ledgerDb: Db;
beforeAll(async () => {
  ledgerDb = await openDatabase({ dataDir: ':memory:' });
});
afterAll(async () => {
  await ledgerDb.close();
});
afterEach(async () => {
  if (running) await settle(running.clock, running.day.stop(), 'stop');
  running = undefined;
  simDriver.reset();
});

/**
 * Starts the day at `at` (default 08:45, well before the open): simulated time moves on while the
 * start's I/O is in flight, and on a loaded machine a start at 08:59:30 could run past the open, so a
 * fault or halt a test sets right after `start` would miss the first ticks. Asserts it did not.
 */
async function start(holdings: SimHoldingSpec[], monitor: unknown, at = '08:45:00'): Promise<Ctx> {
  clearSharedLimiters();
  const clock = new TestClock(kstInstant(DAY, at));
  const config = loadConfig({
    env: {},
    overrides: { dataDir: mkdtempSync(join(tmpdir(), 'hantu-e2e-')), sim: { day: DAY, at: at.slice(0, 5), speed: 1 }, monitor },
  });
  const lines: string[] = [];
  const day = await settle(
    clock,
    startTradingDay({ config, logger: silentLogger(), clock, control: false, write: (l) => lines.push(l), holdings, pumpIntervalMs: 1_000, database: ledgerDb }),
    'start of day',
  );
  running = { clock, day, lines };
  simDriver.inFlight = () => day.client.requestsInFlight + (day.ledger.db.inFlight ?? 0);
  assertStartedBeforeOpen(clock, DAY, at);
  return running;
}

const has = (lines: string[], re: RegExp) => lines.some((l) => re.test(l));
/** Shares sold by the day's orders, as the venue reports them. */
const soldQuantity = (r: RunReport) => r.orders.filter((o) => o.side === 'SELL' && !o.isModifyOrCancel).reduce((a, o) => a + o.filledQuantity, 0);

describe('hantu run on the twin (real 2026-02-20 daily bars, synthetic-intraday prints)', () => {
  it('a stop-loss fires at the open and closes the position', async () => {
    // 009830 한화솔루션: base 58,500, opened 56,500 (-3.4 %), low 52,500.
    const c = await start([{ code: '009830', quantity: 100, avgPrice: 58_500 }], { default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 50 } } });
    await drive(c.clock, () => has(c.lines, /ExitFilled .*009830/), 'stop-loss exit filled');
    expect(c.lines.find((l) => /ExitTriggered/.test(l))).toMatch(/trigger=STOP_LOSS/);
    const report: RunReport = await settle(c.clock, c.day.stop(), 'end of day');
    running = undefined;
    expect(report.summary.trades).toHaveLength(1);
    expect(report.summary.trades[0]).toMatchObject({ instrumentId: '009830', trigger: 'STOP_LOSS', quantity: 100 });
    expect(report.summary.trades[0]!.realizedPnl).toBeLessThan(0);
    expect(report.finalBalance?.positions.find((p) => p.instrumentId === '009830' && p.quantity > 0)).toBeUndefined();
    // Simulated time runs on while real I/O is in flight, so an exit may be repriced (cancel + resend of
    // the remainder); what must hold is that exactly the held quantity was sold.
    expect(soldQuantity(report), c.lines.join('\n')).toBe(100);
    expect(report.counters['exitOrders']).toBeLessThanOrEqual(4);
    // The ledger adopted the account at startup and agrees with the venue at the close.
    expect(report.reconciliation).toMatchObject({ state: 'ACTIVE', startup: { status: 'CORRECTED' }, final: { status: 'MATCHED' } });
    expect(report.reconciliation!.counters['fillsApplied']! + report.reconciliation!.counters['restFills']!).toBeGreaterThan(0);
  });

  it('a take-profit fires when the price reaches the threshold (with the exit intent flushed after the send)', async () => {
    // 009150 삼성전기: base 358,000, high 386,000.
    const c = await start([{ code: '009150', quantity: 10, avgPrice: 358_000 }], { default: { thresholds: { type: 'percent', stopLossPct: 10, takeProfitPct: 2 } }, exitIntentFlush: 'after-send' });
    await drive(c.clock, () => has(c.lines, /ExitFilled .*009150/), 'take-profit exit filled', 7 * 3_600_000);
    const trig = c.lines.find((l) => /ExitTriggered/.test(l))!;
    expect(trig).toMatch(/trigger=TAKE_PROFIT/);
    expect(Number(/reference=(\d+)/.exec(trig)![1])).toBeGreaterThanOrEqual(358_000 * 1.02);
    expect(c.day.monitor.daySummary().trades[0]).toMatchObject({ trigger: 'TAKE_PROFIT', quantity: 10 });
    // monitor.exitIntentFlush = after-send: the first save was written, the order left, then the log was flushed.
    expect(c.day.latencies.intentFlushLag.length).toBeGreaterThan(0);
  });

  it('a disconnect mid-day recovers: reconnect after 1 s, subscriptions restored, account re-synced', async () => {
    const c = await start([{ code: '005930', quantity: 10, avgPrice: 190_000 }], { default: { thresholds: { type: 'percent', stopLossPct: 20, takeProfitPct: 20 } } });
    await drive(c.clock, () => c.clock.now() >= kstInstant(DAY, '10:00'), '10:00', 2 * 3_600_000);
    const ticksBefore = c.day.counters['ticks']!;
    c.day.twin!.twin.ws.dropConnections();
    await drive(c.clock, () => c.day.counters['reconnects'] === 1, 'reconnected');
    expect(has(c.lines, /reconnect attempt 1 in 1 s/)).toBe(true);
    await drive(c.clock, () => has(c.lines, /account sync \(after reconnect\)/), 'sync after reconnect');
    expect(c.day.ws.status().subscriptions.every((s) => s.state === 'ACTIVE')).toBe(true);
    await drive(c.clock, () => c.day.counters['ticks']! > ticksBefore + 10, 'ticks flow again');
  });

  it('a halt pauses the exit while monitoring goes on; the exit runs when trading resumes', async () => {
    const c = await start([{ code: '009830', quantity: 50, avgPrice: 58_500 }], { default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 50 } } });
    c.day.twin!.twin.ws.faults.halted.add('009830');
    await drive(c.clock, () => c.clock.now() >= kstInstant(DAY, '09:10'), '09:10');
    expect(has(c.lines, /TradingPaused .*009830/)).toBe(true);
    expect(c.day.counters['exitOrders'], c.lines.join('\n')).toBe(0);
    expect(c.day.counters['ticks']).toBeGreaterThan(0);
    c.day.twin!.twin.ws.faults.halted.delete('009830');
    await drive(c.clock, () => has(c.lines, /ExitFilled .*009830/), 'exit after resumption');
    const report = await settle(c.clock, c.day.stop(), 'end of day');
    running = undefined;
    expect(soldQuantity(report), c.lines.join('\n')).toBe(50);
    expect(report.finalBalance?.positions.find((p) => p.instrumentId === '009830' && p.quantity > 0)).toBeUndefined();
  });

  it('a second WebSocket session on the same app key is refused cleanly (OPSP8996) and the first goes on', async () => {
    const c = await start([{ code: '005930', quantity: 1, avgPrice: 190_000 }], { default: { thresholds: { type: 'percent', stopLossPct: 20 } } });
    const signals: WsClientSignal[] = [];
    const second = new KisWsClient({
      url: c.day.twin!.endpoint.wsUrl,
      approvalKey: async () => (await c.day.client.issueApprovalKey()).reveal(),
      clock: c.clock,
      logger: silentLogger(),
      onEvent: () => undefined,
      onSignal: (s) => signals.push(s),
    });
    second.subscribe('H0STCNT0', '005930', 'HOLDING');
    await settle(c.clock, second.start(), 'second session');
    await drive(c.clock, () => second.status().state === 'STOPPED', 'second session stopped');
    expect(signals.some((s) => s.type === 'session-in-use')).toBe(true);
    expect(c.day.ws.status().state).toBe('OPEN');
    const before = c.day.counters['ticks']!;
    await drive(c.clock, () => c.day.counters['ticks']! > before, 'first session still receives');
  });
});

describe('hantu run --paper: the KIS paper path (V… TR ids, 1/s, H0STCNI9) against the twin\'s paper account', () => {
  it('subscribes the paper notice TR and closes a stop-loss position with paper TR ids', async () => {
    clearSharedLimiters();
    const clock = new TestClock(kstInstant(DAY, '08:59:30'));
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-e2e-paper-'));
    const twin = await settle(
      clock,
      launchTwin({
        sim: { day: DAY, at: '08:59', speed: 1, seed: 1, port: 0, cash: 100_000_000 },
        fees: { commissionBps: 1.40527, sellTaxBps: 20 },
        logger: silentLogger(),
        clock,
        accountEnv: 'paper',
        holdings: [{ code: '009830', quantity: 20, avgPrice: 58_500 }],
      }),
      'twin',
    );
    const e = twin.endpoint;
    const { config: kisConfig, credentials } = loadKisFromEnv({
      env: { KIS_ENV: 'paper', KIS_BASE_URL: e.restUrl, KIS_WS_URL: e.wsUrl, KIS_APP_KEY: e.appKey, KIS_APP_SECRET: e.appSecret, KIS_ACCOUNT: e.account, KIS_HTS_ID: e.htsId },
    });
    const client = new KisClient({ config: kisConfig, credentials, clock, timeoutClock: new SystemClock(), logger: silentLogger(), dataDir });
    const config = loadConfig({
      env: {},
      overrides: { dataDir, sim: { day: DAY, speed: 1 }, monitor: { default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 50 } } } },
    });
    const lines: string[] = [];
    const day = await settle(
      clock,
      startTradingDay({
        config,
        logger: silentLogger(),
        control: false,
        write: (l) => lines.push(l),
        kis: { env: 'paper', client, restUrl: e.restUrl, wsUrl: e.wsUrl, account: e.account, htsId: e.htsId, clock, day: DAY, session: twin.session },
      }),
      'start of the paper day',
    );
    running = { clock, day, lines };
    simDriver.inFlight = () => client.requestsInFlight + (day.ledger.db.inFlight ?? 0);
    expect(lines.find((l) => l.includes('subscribed:'))).toContain('H0STCNI9');
    await drive(clock, () => has(lines, /ExitFilled .*009830/), 'paper stop-loss exit filled');
    const trIds = new Set(twin.twin.rest.state.requests.map((r) => r.trId).filter(Boolean));
    expect([...trIds].every((t) => !/^T/.test(t))).toBe(true); // no real-account TR id was sent
    expect(trIds.has('VTTC0011U')).toBe(true); // the paper sell
    const report = await settle(clock, day.stop(), 'end of the paper day');
    running = undefined;
    expect(soldQuantity(report)).toBe(20);
    await twin.close();
  });
});
