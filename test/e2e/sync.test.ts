/**
 * The hybrid account sync end to end on the twin (issue 4 §5): `hantu run`'s composition with its
 * ledger, driven by a TestClock over real sockets on 127.0.0.1, with the twin's notice faults. Each case
 * runs on PGlite (the default ledger in the data folder) and on PostgreSQL (own schema; skipped with a
 * reason when nothing answers).
 */
import { randomBytes } from 'node:crypto';
import { assertStartedBeforeOpen, drive, settle, simDriver } from '../support/sim-driver.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps, krw, quantity } from '../../src/model/money.ts';
import { startTradingDay, type RunningDay } from '../../src/node/run-node.ts';
import { clearSharedLimiters } from '../../src/adapters/kis/http/rate-limiter.ts';
import { Ledger, openDatabase, type Db } from '../../src/persistence/index.ts';
import type { SimHoldingSpec } from '../../src/sim/account-spec.ts';

const DAY = '2026-02-20';
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function findPostgres(): Promise<{ url: string } | { skip: string }> {
  const env = process.env['DATABASE_URL'];
  if (env !== undefined && env !== '') return { url: env };
  const client = new pg.Client({ connectionString: DEFAULT_PG_URL, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.end();
    return { url: DEFAULT_PG_URL };
  } catch {
    await client.end().catch(() => undefined);
    return { skip: 'DATABASE_URL is unset and nothing answers on 127.0.0.1:5432' };
  }
}
const postgres = await findPostgres();

interface Ctx {
  clock: TestClock;
  day: RunningDay;
  lines: string[];
}
let running: Ctx | undefined;
afterEach(async () => {
  if (running) await settle(running.clock, running.day.stop(), 'stop');
  running = undefined;
  simDriver.reset();
});

interface Engine {
  readonly name: string;
  readonly skip?: string;
  /** The `database` to pass (undefined: the default PGlite in the data folder). */
  db(): Db | undefined;
  /** A Ledger over the run's database, for seeding and assertions (PGlite in the folder: the run's own). */
  ledgerOf(day: RunningDay): Ledger;
}

let pgDb: Db | undefined;
const schema = `hantu_test_sync_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  // Compile PGlite's WASM once before the first run, so opening the ledger inside `settle` is quick.
  await (await openDatabase({ dataDir: ':memory:', migrate: false })).close();
  if ('url' in postgres) pgDb = await openDatabase({ url: postgres.url, schema });
});
afterAll(async () => {
  if (pgDb) {
    await pgDb.exec(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await pgDb.close();
  }
});

const ENGINES: Engine[] = [
  { name: 'pglite (data folder)', db: () => undefined, ledgerOf: (d) => d.ledger },
  'url' in postgres
    ? { name: 'postgres', db: () => pgDb, ledgerOf: (d) => d.ledger }
    : { name: 'postgres', skip: postgres.skip, db: () => undefined, ledgerOf: (d) => d.ledger },
];

const STOP_AT_OPEN = { default: { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 50 } } };
const NO_EXITS = { default: { thresholds: { type: 'percent', stopLossPct: 50, takeProfitPct: 50 } } };

async function start(engine: Engine, holdings: SimHoldingSpec[], monitor: unknown, opts: { ledgerAccountId?: string; at?: string; openOrderCheckMs?: number; syncPeriodicMs?: number } = {}): Promise<Ctx> {
  clearSharedLimiters();
  // Well before the open (see assertStartedBeforeOpen): faults set right after `start` must precede the first ticks.
  const at = opts.at ?? '08:45:00';
  const clock = new TestClock(kstInstant(DAY, at));
  const config = loadConfig({ env: {}, overrides: { dataDir: mkdtempSync(join(tmpdir(), 'hantu-sync-')), sim: { day: DAY, at: at.slice(0, 5), speed: 1 }, monitor } });
  const lines: string[] = [];
  const db = engine.db();
  const day = await settle(
    clock,
    startTradingDay({
      config,
      logger: silentLogger(),
      clock,
      control: false,
      write: (l) => lines.push(l),
      holdings,
      pumpIntervalMs: 1_000,
      ...(db ? { database: db } : {}),
      ...(opts.ledgerAccountId ? { ledgerAccountId: opts.ledgerAccountId } : {}),
      ...(opts.openOrderCheckMs !== undefined ? { openOrderCheckMs: opts.openOrderCheckMs } : {}),
      ...(opts.syncPeriodicMs !== undefined ? { syncPeriodicMs: opts.syncPeriodicMs } : {}),
    }),
    'start of day',
  );
  running = { clock, day, lines };
  simDriver.inFlight = () => day.client.requestsInFlight + (day.ledger.db.inFlight ?? 0);
  simDriver.busy = () => day.sync.busy;
  assertStartedBeforeOpen(clock, DAY, at);
  return running;
}

const has = (lines: string[], re: RegExp) => lines.some((l) => re.test(l));

// End to end over real sockets: under a loaded machine (the full suite in parallel) a case can need more
// than the default 30 s of wall time.
describe.each(ENGINES)('hybrid sync on the twin — $name', { timeout: 60_000 }, (engine) => {
  const test = engine.skip ? it.skip : it;
  if (engine.skip) it.skip(`skipped: ${engine.skip}`, () => undefined);

  test('a dropped fill notice is corrected by a REST check (source REST)', async () => {
    const c = await start(engine, [{ code: '009830', quantity: 100, avgPrice: 58_500 }], STOP_AT_OPEN);
    const ws = c.day.twin!.twin.ws;
    ws.faults.dropFillNotices = 1_000; // every fill notice of the day is lost; acknowledgements pass
    // When each fill happened at the venue (the twin's engine events; REST answers carry no fill time).
    const venueFills: { odno: string; ts: number }[] = [];
    c.day.twin!.twin.rest.state.engine.onEvent((e) => {
      if (e.kind === 'filled') venueFills.push({ odno: e.odno, ts: e.ts });
    });
    const ledger = engine.ledgerOf(c.day);
    const acct = c.day.sync.startupOutcome!.report!.accountId;
    await drive(c.clock, () => c.day.sync.counters.restFills > 0, 'a REST-corrected fill');
    await settle(c.clock, c.day.sync.whenIdle(), 'sync idle');
    const fills = await ledger.fills.list(acct);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.source === 'REST')).toBe(true);
    // usually the post-fill check; when the exit rests longer than its delay, a later check or the periodic sync
    const post = (await ledger.reports.listRecent({ accountId: acct, status: 'CORRECTED' })).find((r) => /seen only by REST/.test(r.summary))!;
    expect(['POST_FILL', 'PERIODIC']).toContain(post.kind);
    expect(post.summary).toMatch(/seen only by REST/);
    // The exit order was journaled by the executor before it was sent: its fills are ours, not external.
    expect(fills.every((f) => f.clientOrderId !== undefined)).toBe(true);
    // dropped notice → corrected ledger within 5 s of simulated time: the post-fill check 3 s after the
    // acknowledgement, or the open-order check (every 3 s while an order of ours works) for a fill of an
    // order that rested longer.
    const corrections = (await ledger.reports.listRecent({ accountId: acct, status: 'CORRECTED' })).filter((r) => /seen only by REST/.test(r.summary));
    expect(venueFills.length).toBeGreaterThan(0);
    for (const v of venueFills) {
      const fixedBy = corrections.filter((r) => r.summary.includes(v.odno) && r.finishedAt >= v.ts).reduce((a, r) => Math.min(a, r.finishedAt), Infinity);
      expect(fixedBy - v.ts, `venue fill of order ${v.odno} at ${v.ts}`).toBeLessThanOrEqual(5_000);
    }
    ws.faults.dropFillNotices = 0;
    const report = await settle(c.clock, c.day.stop(), 'end of day');
    running = undefined;
    expect(report.reconciliation!.state).toBe('ACTIVE');
    expect(['MATCHED', 'CORRECTED']).toContain(report.reconciliation!.final!.status);
  });

  test('duplicated notices land one fill', async () => {
    const c = await start(engine, [{ code: '009830', quantity: 100, avgPrice: 58_500 }], STOP_AT_OPEN);
    c.day.twin!.twin.ws.faults.duplicateNotices = 1_000; // every notice twice
    const ledger = engine.ledgerOf(c.day);
    const acct = c.day.sync.startupOutcome!.report!.accountId;
    await drive(c.clock, () => has(c.lines, /ExitFilled .*009830/), 'exit filled');
    // the second copy lands as DUPLICATE, or as COVERED when a REST check recorded the fill in between
    await drive(c.clock, () => c.day.sync.counters.duplicates + c.day.sync.counters.covered > 0, 'a duplicate seen');
    await settle(c.clock, c.day.sync.whenIdle(), 'sync idle');
    const fills = await ledger.fills.list(acct);
    const keys = fills.map((f) => `${f.venueOrderId}/${f.tradeId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(fills.reduce((a, f) => a + f.quantity, 0)).toBe(100);
    expect((await ledger.positions.get(acct, instrumentId('009830')))?.quantity).toBe(0);
    const report = await settle(c.clock, c.day.stop(), 'end of day');
    running = undefined;
    expect(report.reconciliation).toMatchObject({ final: { status: 'MATCHED' } });
    expect(report.reconciliation!.counters['fillsApplied']).toBe(fills.filter((f) => f.source === 'NOTICE').length);
    expect(report.reconciliation!.counters['restFills']).toBe(fills.filter((f) => f.source === 'REST').length);
  });

  test('fills while the WebSocket is down are recovered by the emergency sync after the reconnect', async () => {
    // The open-order check and the periodic sync are off here, so the reconnect's sync is what finds the fill.
    const c = await start(engine, [{ code: '005930', quantity: 10, avgPrice: 190_000 }], NO_EXITS, { openOrderCheckMs: 0, syncPeriodicMs: 6 * 3_600_000 });
    await drive(c.clock, () => c.clock.now() >= kstInstant(DAY, '09:05'), '09:05');
    const ledger = engine.ledgerOf(c.day);
    const acct = c.day.sync.startupOutcome!.report!.accountId;
    const ws = c.day.twin!.twin.ws;
    ws.faults.refuseConnections = 3; // reconnects after 1 + 2 + 4 + 8 s
    ws.dropConnections();
    await drive(c.clock, () => has(c.lines, /websocket disconnected/), 'disconnected');
    const q = await settle(c.clock, c.day.client.requestQuote('000660'), 'quote');
    const id = `disc-${randomBytes(3).toString('hex')}`;
    // An order of ours (journaled first), marketable: it fills while no notice can reach us.
    await settle(c.clock, c.day.executor.place({ clientOrderId: id, actor: 'test', instrumentId: instrumentId('000660'), side: 'BUY', orderType: 'LIMIT', quantity: 3, price: q.upperLimit, reason: 'fill during a disconnect' }), 'order');
    await drive(c.clock, () => c.day.counters['reconnects'] === 1, 'reconnected', 120_000);
    await drive(c.clock, () => has(c.lines, /reconciliation \(reconnect\)/), 'emergency sync');
    await settle(c.clock, c.day.sync.whenIdle(), 'sync idle');
    const stored = (await ledger.orders.get(id))!;
    expect(stored.order.status).toBe('FILLED');
    const fills = await ledger.fills.forOrder(id);
    expect(fills.reduce((a, f) => a + f.quantity, 0)).toBe(3);
    expect(fills.every((f) => f.source === 'REST')).toBe(true);
    const rep = (await ledger.reports.listRecent({ accountId: acct, status: 'CORRECTED' })).find((r) => r.kind === 'RECONNECT')!;
    expect(rep.summary).toContain(stored.order.venueOrderId!);
    expect((await ledger.positions.get(acct, instrumentId('000660')))?.quantity).toBe(3);
  });

  test('an external trade without notices is adopted as external and reported by the periodic sync', async () => {
    const c = await start(engine, [{ code: '005930', quantity: 10, avgPrice: 190_000 }], NO_EXITS);
    await drive(c.clock, () => c.clock.now() >= kstInstant(DAY, '09:05'), '09:05');
    const ledger = engine.ledgerOf(c.day);
    const acct = c.day.sync.startupOutcome!.report!.accountId;
    const ws = c.day.twin!.twin.ws;
    ws.faults.dropNotices = 1_000; // the broker's app trades; hantu hears nothing
    // A trade made outside hantu (as in the broker's app): the same account, not through the ledger.
    const ack = await settle(c.clock, c.day.client.submitOrder({ instrumentId: '000660', side: 'BUY', orderType: 'MARKET', quantity: 3 }), 'external order');
    await drive(c.clock, () => c.day.sync.counters.restFills > 0, 'periodic sync adopts it', 120_000);
    await settle(c.clock, c.day.sync.whenIdle(), 'sync idle');
    const pos = await ledger.positions.get(acct, instrumentId('000660'));
    expect(pos).toMatchObject({ quantity: 3, external: true });
    const fills = (await ledger.fills.list(acct)).filter((f) => f.venueOrderId === ack.venueOrderId);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ source: 'REST', clientOrderId: undefined, quantity: 3 });
    const rep = (await ledger.reports.listRecent({ accountId: acct, status: 'CORRECTED' })).find((r) => r.kind === 'PERIODIC')!;
    expect(rep.summary).toMatch(/placed outside hantu/);
    expect(has(c.lines, /reconciliation \(periodic\): CORRECTED/)).toBe(true);
    expect(has(c.lines, /EXTERNAL_CHANGE_ADOPTED/)).toBe(true);
  });

  test('a startup difference starts the node HALTED with the report; no exit order is sent', async () => {
    const acct = `halt.${randomBytes(3).toString('hex')}x`;
    // Seed the ledger: it held 005930, which the venue no longer shows; the venue holds 009830.
    const own = engine.db() === undefined;
    const dbForRun = engine.db() ?? (await openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'hantu-sync-seed-')) }));
    const seed = new Ledger(dbForRun, { rates: { commissionBps: bps(1.40527), sellTaxBps: bps(20) } });
    await seed.accounts.register({ id: acct, env: 'sim', accountNumber: '50000001-01' });
    await seed.positions.upsert(acct, { instrumentId: instrumentId('005930'), quantity: quantity(5), costBasis: krw(950_000), realizedPnl: krw(0), commissionPaid: krw(0), taxPaid: krw(0) });
    await seed.cash.upsert(acct, { deposit: krw(1), settlementD1: krw(1), settlementD2: krw(1) });
    try {
      const c = await start({ ...engine, db: () => dbForRun }, [{ code: '009830', quantity: 100, avgPrice: 58_500 }], STOP_AT_OPEN, { ledgerAccountId: acct });
      expect(c.day.sync.state).toBe('HALTED');
      expect(has(c.lines, /TRADING HALTED/)).toBe(true);
      expect(has(c.lines, /POSITION 005930: the venue holds 0 shares, the ledger 5/)).toBe(true);
      const startup = c.day.sync.startupOutcome!;
      expect(startup.status).toBe('DIVERGED');
      const stored = (await c.day.ledger.reports.listRecent({ accountId: acct, kind: 'STARTUP' }))[0]!;
      expect(stored.status).toBe('DIVERGED');
      expect(stored.differences).toEqual(expect.arrayContaining([expect.objectContaining({ what: 'POSITION', ref: '009830', resolution: 'UNEXPLAINED' })]));
      // The stop-loss triggers at the open, but nothing is sent while HALTED; monitoring goes on.
      await drive(c.clock, () => has(c.lines, /ExitTriggered .*009830/) || has(c.lines, /OrderRejected/), 'trigger');
      await drive(c.clock, () => c.clock.now() >= kstInstant(DAY, '09:02'), '09:02');
      expect(c.day.counters['exitOrders']).toBe(0);
      expect(c.day.counters['ticks']).toBeGreaterThan(0);
      const report = await settle(c.clock, c.day.stop(), 'end of day');
      running = undefined;
      expect(report.orders).toHaveLength(0);
      expect(report.reconciliation).toMatchObject({ state: 'HALTED', startup: { status: 'DIVERGED' } });
    } finally {
      if (own) await dbForRun.close();
    }
  });
});
