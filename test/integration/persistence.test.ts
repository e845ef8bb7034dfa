/**
 * The persistence layer on both engines: the SAME suite runs on PGlite (in memory) and on PostgreSQL
 * (DATABASE_URL, else the local server of services.md when it answers), each run in its own schema
 * `hantu_test_<random>` that is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis, type UnixMillis } from '../../src/core/brand.ts';
import { TestClock } from '../../src/core/clock.ts';
import { ConfigError, InvariantError } from '../../src/core/errors.ts';
import type { TradeCostRates } from '../../src/model/fees.ts';
import { tradeCosts } from '../../src/model/fees.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps, krw, notional, price, quantity } from '../../src/model/money.ts';
import type { OrderFilled, OrderInitialized } from '../../src/model/order-events.ts';
import type { OrderSide } from '../../src/model/order-types.ts';
import { openDatabase, type Db } from '../../src/persistence/db.ts';
import { PersistenceError } from '../../src/persistence/errors.ts';
import { Ledger, type LedgerFill } from '../../src/persistence/ledger.ts';
import { loadMigrations, migrate, migrationOf, type MigrationResult } from '../../src/persistence/migrate.ts';
import { AuditLog } from '../../src/persistence/repositories/audit-log.ts';
import { OrderRepository } from '../../src/persistence/repositories/orders.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** PostgreSQL to test against: DATABASE_URL, else the local default when it answers, else a reason to skip. */
async function findPostgres(): Promise<{ url: string } | { skip: string }> {
  const env = process.env['DATABASE_URL'];
  if (env !== undefined && env !== '') return { url: env }; // set: must work (CI never skips)
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

interface Engine {
  readonly name: 'pglite' | 'postgres';
  readonly skip?: string;
  open(schema: string, opts?: { migrate?: boolean }): Promise<Db>;
}

const ENGINES: Engine[] = [
  { name: 'pglite', open: (schema, opts) => openDatabase({ dataDir: ':memory:', schema, migrate: opts?.migrate ?? true }) },
  'url' in postgres
    ? { name: 'postgres', open: (schema, opts) => openDatabase({ url: postgres.url, schema, migrate: opts?.migrate ?? true }) }
    : { name: 'postgres', skip: postgres.skip, open: () => Promise.reject(new Error(postgres.skip)) },
];

const SAMSUNG = instrumentId('005930');
const HYNIX = instrumentId('000660');
// Synthetic rates for the tests (real ones come from the configuration).
const RATES: TradeCostRates = { commissionBps: bps(1.40527), sellTaxBps: bps(20) };
/** 2026-01-05 09:30 KST (a Monday session). */
const T0 = Date.UTC(2026, 0, 5, 0, 30);
const ms = (n: number): UnixMillis => unixMillis(n);

function initEvent(id: string, side: OrderSide = 'BUY', qty = 10, px = 70_000, instrument = SAMSUNG): OrderInitialized {
  return {
    type: 'OrderInitialized',
    clientOrderId: id,
    instrumentId: instrument,
    tsEvent: ms(T0),
    tsInit: ms(T0),
    side,
    orderType: 'LIMIT',
    quantity: quantity(qty),
    price: price(px),
    strategyId: 'test-strategy',
    tag: 'synthetic',
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<unknown> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected an error with code ${code}`).toBeDefined();
  expect((err as { code?: unknown }).code).toBe(code);
  return err;
}

for (const engine of ENGINES) {
  const suite = engine.skip === undefined ? describe : describe.skip;
  suite(`persistence on ${engine.name}${engine.skip === undefined ? '' : ` (skipped: ${engine.skip})`}`, () => {
    const schema = `hantu_test_${randomBytes(6).toString('hex')}`;
    let db: Db;
    let firstMigration: MigrationResult;
    let clock: TestClock;
    let ledger: Ledger;
    let seq = 0;
    const uid = (prefix: string): string => `${prefix}-${engine.name}-${++seq}`;

    /** A fresh account (own cash, positions and fills) with a random 8-digit number. */
    async function newAccount(cash?: number): Promise<{ id: string; number: string }> {
      const id = uid('acct');
      const number = `${String(10_000_000 + Math.floor(Math.random() * 89_999_999))}-01`;
      await ledger.accounts.register({ id, env: 'sim', accountNumber: number });
      if (cash !== undefined) await ledger.cash.upsert(id, { deposit: krw(cash), settlementD1: krw(cash), settlementD2: krw(cash) });
      return { id, number };
    }

    /** An accepted order of `account` with venue number `venueOrderId`. */
    async function acceptedOrder(account: string, venueOrderId: string, side: OrderSide = 'BUY', qty = 10, px = 70_000): Promise<string> {
      const id = uid('ord');
      const init = initEvent(id, side, qty, px);
      await ledger.orders.insertIntent({ accountId: account, init, reason: 'test' });
      await ledger.orders.applyEvent({ type: 'OrderSubmitted', clientOrderId: id, instrumentId: init.instrumentId, tsEvent: ms(T0 + 1), tsInit: ms(T0 + 1) });
      await ledger.orders.applyEvent({ type: 'OrderAccepted', clientOrderId: id, instrumentId: init.instrumentId, tsEvent: ms(T0 + 2), tsInit: ms(T0 + 2), venueOrderId, branch: '06010' });
      return id;
    }

    function fillOf(account: string, venueOrderId: string, tradeId: string, side: OrderSide, qty: number, px: number, extra: Partial<LedgerFill> = {}): LedgerFill {
      return {
        accountId: account,
        venueOrderId,
        tradeId,
        instrumentId: SAMSUNG,
        side,
        quantity: quantity(qty),
        price: price(px),
        source: 'NOTICE',
        tsEvent: ms(T0 + 60_000),
        ...extra,
      };
    }

    beforeAll(async () => {
      db = await engine.open(schema, { migrate: false });
      firstMigration = await migrate(db);
      clock = new TestClock(T0);
      ledger = new Ledger(db, { rates: RATES, clock, accounts: [] });
    });

    afterAll(async () => {
      if (db === undefined) return;
      await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close();
    });

    describe('migrations', () => {
      it('apply once, record a checksum, and apply nothing the second time', async () => {
        const files = await loadMigrations();
        expect(files.length).toBeGreaterThanOrEqual(1);
        expect(firstMigration.applied.map((m) => m.version)).toEqual(files.map((f) => f.version));
        expect(firstMigration.current).toBe(files[files.length - 1]?.version);

        const again = await migrate(db);
        expect(again).toEqual({ applied: [], current: firstMigration.current });
        const third = await migrate(db);
        expect(third.applied).toEqual([]);

        const rows = await db.query<{ version: number; name: string; checksum: string; applied_at: number }>('SELECT * FROM schema_migrations ORDER BY version');
        expect(rows.map((r) => [r.version, r.name, r.checksum])).toEqual(files.map((f) => [f.version, f.name, f.checksum]));
        expect(Number.isSafeInteger(rows[0]?.applied_at)).toBe(true);
      });

      it('refuse an applied migration whose file was changed', async () => {
        const files = await loadMigrations();
        const first = files[0];
        if (first === undefined) throw new Error('no migrations');
        const changed = migrationOf(first.version, first.name, `${first.sql}\n-- an edit after the fact\n`);
        const err = await expectCode(migrate(db, { migrations: [changed, ...files.slice(1)] }), 'DB_MIGRATION');
        expect(err).toBeInstanceOf(PersistenceError);
        expect((err as PersistenceError).disposition).toBe('fatal');
        expect((err as Error).message).toMatch(/changed after it was applied/);
        // Line endings alone are not a change.
        expect((await migrate(db, { migrations: [migrationOf(first.version, first.name, first.sql.replace(/\n/g, '\r\n')), ...files.slice(1)] })).applied).toEqual([]);
      });

      it('refuse a database that has migrations the code does not know', async () => {
        await expectCode(migrate(db, { migrations: [] }), 'DB_MIGRATION');
      });

      it('roll back every pending migration when one fails', async () => {
        const files = await loadMigrations();
        const next = (files[files.length - 1]?.version ?? 0) + 1;
        const good = migrationOf(next, 'probe_ok', 'CREATE TABLE migration_probe (x integer);');
        const bad = migrationOf(next + 1, 'probe_bad', 'SELECT no_such_function();');
        await expectCode(migrate(db, { migrations: [...files, good, bad] }), 'DB_MIGRATION');
        const probe = await db.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'migration_probe'`, [schema]);
        expect(probe[0]?.['n']).toBe(0);
        expect((await db.query('SELECT version FROM schema_migrations')).length).toBe(files.length);
      });
    });

    describe('values at the boundary', () => {
      it('round-trips bigints beyond 2^31 as exact JS numbers', async () => {
        for (const v of [2 ** 31 + 7, 2 ** 40 + 3, 1_234_567_890_123, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
          const rows = await db.query<{ v: number }>('SELECT $1::bigint AS v', [v]);
          expect(rows[0]?.v).toBe(v);
          expect(typeof rows[0]?.v).toBe('number');
        }
        const { id } = await newAccount();
        const big = krw(4_000_000_000_123); // 4 trillion won, beyond int4 and float-safe
        await ledger.cash.upsert(id, { deposit: big, settlementD1: krw(-(2 ** 33)), settlementD2: krw(2 ** 52 + 1) });
        const cash = await ledger.cash.get(id);
        expect(cash).toMatchObject({ deposit: 4_000_000_000_123, settlementD1: -(2 ** 33), settlementD2: 2 ** 52 + 1 });
        const counted = await db.query<{ n: number }>('SELECT count(*) AS n FROM accounts WHERE id = $1', [id]);
        expect(counted[0]?.n).toBe(1);
      });

      it('refuses bigints a JS number cannot hold, both ways', async () => {
        await expectCode(db.query('SELECT 9007199254740993::bigint AS v'), 'DB_VALUE');
        await expectCode(db.query('SELECT $1::bigint AS v', [2 ** 53]), 'DB_VALUE');
        await expectCode(db.query('SELECT $1::bigint AS v', [Number.NaN]), 'DB_VALUE');
        // A fraction never becomes a whole-won amount silently.
        await expectCode(db.query('SELECT $1::bigint AS v', [1.5]), 'DB_QUERY');
        // The connection is still usable afterwards.
        expect((await db.query<{ ok: number }>('SELECT 1 AS ok'))[0]?.ok).toBe(1);
      });

      it('round-trips timestamptz as epoch milliseconds, whatever the offset of the text', async () => {
        for (const t of [T0, T0 + 123, 0, -86_400_001, Date.UTC(2099, 11, 31, 23, 59, 59, 999)]) {
          const rows = await db.query<{ t: number }>('SELECT $1::timestamptz AS t', [new Date(t).toISOString()]);
          expect(rows[0]?.t).toBe(t);
        }
        const rows = await db.query<{ a: number; b: number; c: number; now: number }>(
          `SELECT '2026-01-05 09:30:00.1239+09'::timestamptz AS a, '2026-01-05 00:30:00Z'::timestamptz AS b,
                  '2026-01-04 19:30:00-05'::timestamptz AS c, now() AS now`,
        );
        expect(rows[0]?.a).toBe(T0 + 123); // sub-millisecond digits truncated
        expect(rows[0]?.b).toBe(T0);
        expect(rows[0]?.c).toBe(T0);
        expect(Number.isSafeInteger(rows[0]?.now)).toBe(true);
        await expectCode(db.query(`SELECT 'infinity'::timestamptz AS t`), 'DB_VALUE');

        const entry = await ledger.audit.append({ actor: 'test', action: 'ts.roundtrip', result: 'OK', ts: ms(T0 + 987) });
        expect(entry.ts).toBe(T0 + 987);
      });

      it('maps constraint violations to DB_CONSTRAINT and bad SQL to DB_QUERY', async () => {
        const { id } = await newAccount();
        const orderId = uid('dup');
        await ledger.orders.insertIntent({ accountId: id, init: initEvent(orderId) });
        const err = await expectCode(ledger.orders.insertIntent({ accountId: id, init: initEvent(orderId) }), 'DB_CONSTRAINT');
        expect((err as PersistenceError).context['sqlState']).toBe('23505');
        await expectCode(ledger.orders.insertIntent({ accountId: 'no-such-account', init: initEvent(uid('fk')) }), 'DB_CONSTRAINT');
        await expectCode(db.query('SELEC 1'), 'DB_QUERY');
      });
    });

    describe('transactions', () => {
      it('nested calls reuse the outer transaction, and a throw rolls everything back', async () => {
        const name = uid('component');
        const err = await db
          .transaction(async (tx) => {
            await tx.query(`INSERT INTO component_status (component, state, updated_at) VALUES ($1, 'UP', now())`, [name]);
            await db.transaction(async (inner) => {
              // the inner call sees the outer's uncommitted row: same transaction
              expect((await inner.query('SELECT state FROM component_status WHERE component = $1', [name])).length).toBe(1);
              await inner.query(`UPDATE component_status SET state = 'DOWN' WHERE component = $1`, [name]);
            });
            // a call on the outer Db inside the callback joins the transaction too
            expect((await db.query<{ state: string }>('SELECT state FROM component_status WHERE component = $1', [name]))[0]?.state).toBe('DOWN');
            throw new Error('boom');
          })
          .catch((e: unknown) => e);
        expect((err as Error).message).toBe('boom');
        expect(await db.query('SELECT * FROM component_status WHERE component = $1', [name])).toEqual([]);
      });

      it('refuses the transaction handle once the transaction is over', async () => {
        let leaked: Db | undefined;
        await db.transaction(async (tx) => {
          leaked = tx;
        });
        if (leaked === undefined) throw new Error('no handle');
        await expect(leaked.query('SELECT 1')).rejects.toThrow(InvariantError);
        await expect(leaked.transaction(async () => 1)).rejects.toThrow(/already finished/);
      });
    });

    describe('orders', () => {
      it('persist the intent first, then events; intent, tracked and venue state stay apart', async () => {
        const { id: account } = await newAccount();
        const orderId = uid('ord');
        const stored = await ledger.orders.insertIntent({ accountId: account, init: initEvent(orderId, 'BUY', 10, 70_000), reason: 'rebalance to 10 %' });
        expect(stored.order.status).toBe('INITIALIZED');
        expect(stored.intent).toEqual({ quantity: 10, price: 70_000, strategyId: 'test-strategy', tag: 'synthetic', reason: 'rebalance to 10 %' });
        expect((await ledger.orders.findUnresolved(account)).map((o) => o.order.clientOrderId)).toEqual([orderId]);
        expect(await ledger.orders.findOpen(account)).toEqual([]);

        await ledger.orders.applyEvent({ type: 'OrderSubmitted', clientOrderId: orderId, instrumentId: SAMSUNG, tsEvent: ms(T0 + 1), tsInit: ms(T0 + 1) });
        expect((await ledger.orders.findInflight(account)).map((o) => o.order.status)).toEqual(['SUBMITTED']);
        await ledger.orders.applyEvent({ type: 'OrderAccepted', clientOrderId: orderId, instrumentId: SAMSUNG, tsEvent: ms(T0 + 2), tsInit: ms(T0 + 2), venueOrderId: '0001569157', branch: '06010' });
        await ledger.orders.applyEvent({
          type: 'OrderUpdated',
          clientOrderId: orderId,
          instrumentId: SAMSUNG,
          tsEvent: ms(T0 + 3),
          tsInit: ms(T0 + 3),
          venueOrderId: '0001569160',
          branch: '06010',
          price: price(69_900),
          quantity: quantity(8),
        });
        await ledger.orders.recordVenueReport(orderId, { status: 'OPEN', filledQty: quantity(0), remainingQty: quantity(8), reportedAt: ms(T0 + 5_000) });

        const got = await ledger.orders.get(orderId);
        expect(got?.order).toMatchObject({ status: 'ACCEPTED', quantity: 8, price: 69_900, venueOrderId: '0001569160', branch: '06010' });
        expect(got?.order.events.map((e) => e.type)).toEqual(['OrderInitialized', 'OrderSubmitted', 'OrderAccepted', 'OrderUpdated']);
        expect(got?.intent).toMatchObject({ quantity: 10, price: 70_000 }); // the intent does not move
        expect(got?.venue).toEqual({ status: 'OPEN', filledQty: 0, remainingQty: 8, reportedAt: T0 + 5_000, misses: 0, lastReconciledAt: T0 + 5_000 });
        expect(got?.createdAt).toBe(T0);

        // both the original and the modify's venue number find the order
        expect((await ledger.orders.findByVenueOrderId(account, '0001569157'))?.order.clientOrderId).toBe(orderId);
        expect((await ledger.orders.findByVenueOrderId(account, '0001569160', { tradeDate: '2026-01-05' }))?.order.clientOrderId).toBe(orderId);
        expect(await ledger.orders.findByVenueOrderId(account, '0001569160', { tradeDate: '2026-01-06' })).toBeUndefined();
        expect(await ledger.orders.findByVenueOrderId(account, '0009999999')).toBeUndefined();

        expect(await ledger.orders.recordVenueMiss(orderId, ms(T0 + 6_000))).toBe(1);
        expect(await ledger.orders.recordVenueMiss(orderId, ms(T0 + 7_000))).toBe(2);
        expect((await ledger.orders.findOpen(account)).map((o) => o.venue.misses)).toEqual([2]);
      });

      it('append the event and rewrite the row in one transaction: a throw inside rolls back both', async () => {
        const { id: account } = await newAccount();
        const orderId = uid('ord');
        await ledger.orders.insertIntent({ accountId: account, init: initEvent(orderId) });
        await ledger.orders.applyEvent({ type: 'OrderSubmitted', clientOrderId: orderId, instrumentId: SAMSUNG, tsEvent: ms(T0 + 1), tsInit: ms(T0 + 1) });

        const err = await db
          .transaction(async (tx) => {
            const inTx = await new OrderRepository(tx, clock).applyEvent({
              type: 'OrderAccepted',
              clientOrderId: orderId,
              instrumentId: SAMSUNG,
              tsEvent: ms(T0 + 2),
              tsInit: ms(T0 + 2),
              venueOrderId: '0000000042',
              branch: '06010',
            });
            expect(inTx.order.status).toBe('ACCEPTED');
            // the repository bound to the outer Db joins the same transaction
            expect((await ledger.orders.get(orderId))?.order.status).toBe('ACCEPTED');
            throw new Error('crash between the event and the commit');
          })
          .catch((e: unknown) => e);
        expect((err as Error).message).toMatch(/crash/);

        const after = await ledger.orders.get(orderId);
        expect(after?.order.status).toBe('SUBMITTED');
        expect(after?.order.events.map((e) => e.type)).toEqual(['OrderInitialized', 'OrderSubmitted']);
        const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM order_events WHERE client_order_id = $1', [orderId]);
        expect(rows[0]?.n).toBe(2);
      });

      it('write nothing when the model refuses the event, and take fills only through the ledger', async () => {
        const { id: account } = await newAccount();
        const orderId = uid('ord');
        await ledger.orders.insertIntent({ accountId: account, init: initEvent(orderId) });
        await expectCode(
          ledger.orders.applyEvent({ type: 'OrderCanceled', clientOrderId: orderId, instrumentId: SAMSUNG, tsEvent: ms(T0 + 1), tsInit: ms(T0 + 1) }),
          'ORDER_INVALID_TRANSITION',
        );
        await expectCode(
          ledger.orders.applyEvent({ type: 'OrderSubmitted', clientOrderId: 'never-stored', instrumentId: SAMSUNG, tsEvent: ms(T0 + 1), tsInit: ms(T0 + 1) }),
          'ORDER_UNKNOWN',
        );
        const filled = { type: 'OrderFilled', clientOrderId: orderId } as unknown as Parameters<OrderRepository['applyEvent']>[0];
        await expectCode(ledger.orders.applyEvent(filled), 'FILL_VIA_LEDGER');
        expect((await ledger.orders.events(orderId)).map((e) => e.type)).toEqual(['OrderInitialized']);
      });
    });

    describe('fills', () => {
      it('record a fill once: the notice, the REST repeat and a replay are one fill', async () => {
        const { id: account } = await newAccount();
        const base = {
          accountId: account,
          venueOrderId: '0000000101',
          tradeId: '1',
          instrumentId: SAMSUNG,
          side: 'BUY' as const,
          quantity: quantity(3),
          price: price(70_000),
          commission: krw(29),
          tax: krw(0),
          source: 'NOTICE' as const,
          tsEvent: ms(T0 + 60_000),
        };
        const first = await ledger.fills.recordFill(base);
        expect(first.isNew).toBe(true);
        expect(first.fill).toMatchObject({ tradeDate: '2026-01-05', clientOrderId: undefined, source: 'NOTICE', quantity: 3, price: 70_000 });
        const repeat = await ledger.fills.recordFill({ ...base, source: 'REST', tsEvent: ms(T0 + 61_000) });
        expect(repeat).toMatchObject({ isNew: false, conflicting: false });
        expect(repeat.fill.id).toBe(first.fill.id);
        expect(repeat.fill.source).toBe('NOTICE'); // the first report stays

        const odd = await ledger.fills.recordFill({ ...base, quantity: quantity(4) });
        expect(odd).toMatchObject({ isNew: false, conflicting: true });

        // venue numbers restart every session and are per account: not the same fill
        expect((await ledger.fills.recordFill({ ...base, tsEvent: ms(T0 + 86_400_000) })).isNew).toBe(true);
        const { id: other } = await newAccount();
        expect((await ledger.fills.recordFill({ ...base, accountId: other })).isNew).toBe(true);
        expect((await ledger.fills.recordFill({ ...base, tradeId: '2' })).isNew).toBe(true);

        expect((await ledger.fills.list(account)).length).toBe(3);
        expect((await ledger.fills.list(account, { tradeDate: '2026-01-05' })).length).toBe(2);
      });

      it('record a fill once under concurrent writers', async () => {
        const { id: account } = await newAccount();
        const fill = {
          accountId: account,
          venueOrderId: '0000000202',
          tradeId: '7',
          instrumentId: SAMSUNG,
          side: 'BUY' as const,
          quantity: quantity(1),
          price: price(70_000),
          commission: krw(9),
          tax: krw(0),
          source: 'NOTICE' as const,
          tsEvent: ms(T0 + 60_000),
        };
        const results = await Promise.all(Array.from({ length: 24 }, (_, i) => ledger.fills.recordFill({ ...fill, source: i % 2 === 0 ? 'NOTICE' : 'REST' })));
        expect(results.filter((r) => r.isNew).length).toBe(1);
        expect(new Set(results.map((r) => r.fill.id)).size).toBe(1);
        expect((await ledger.fills.list(account)).length).toBe(1);
      });
    });

    describe('ledger', () => {
      it('moves fill, order, position and cash together, exactly once per fill', async () => {
        const { id: account } = await newAccount(10_000_000);
        const buyId = await acceptedOrder(account, '0000000301', 'BUY', 10, 70_000);

        const r1 = await ledger.applyFill({ ...fillOf(account, '0000000301', '1', 'BUY', 4, 70_000), clientOrderId: buyId });
        expect(r1.changed).toBe(true);
        // the second fill names no client order: the ledger finds it by venue order number
        const r2 = await ledger.applyFill(fillOf(account, '0000000301', '2', 'BUY', 6, 69_900, { tsEvent: ms(T0 + 61_000) }));
        expect(r2.changed && r2.order?.order.clientOrderId).toBe(buyId);
        // the REST repeat of the first fill changes nothing
        const r3 = await ledger.applyFill({ ...fillOf(account, '0000000301', '1', 'BUY', 4, 70_000), source: 'REST' });
        expect(r3).toMatchObject({ changed: false, conflicting: false });

        const order = await ledger.orders.get(buyId);
        expect(order?.order).toMatchObject({ status: 'FILLED', filledQty: 10, leavesQty: 0, filledValue: 4 * 70_000 + 6 * 69_900 });
        expect(order?.order.fills).toEqual([
          { venueOrderId: '0000000301', tradeId: '1' },
          { venueOrderId: '0000000301', tradeId: '2' },
        ]);

        const c1 = tradeCosts(notional(70_000, 4), 'BUY', RATES);
        const c2 = tradeCosts(notional(69_900, 6), 'BUY', RATES);
        const position = await ledger.positions.get(account, SAMSUNG);
        expect(position).toMatchObject({ quantity: 10, costBasis: 4 * 70_000 + 6 * 69_900, commissionPaid: c1.commission + c2.commission, taxPaid: 0, external: false });
        expect(position?.realizedPnl).toBe(-(c1.commission + c2.commission));
        const cash = await ledger.cash.get(account);
        expect(cash).toMatchObject({ deposit: 10_000_000, settlementD1: 10_000_000, settlementD2: 10_000_000 - (4 * 70_000 + 6 * 69_900) - c1.commission - c2.commission });

        // sell everything: realised PnL after fees and tax, cash back, position flat
        const sellId = await acceptedOrder(account, '0000000302', 'SELL', 10, 71_000);
        const s1 = await ledger.applyOrderFilled(
          account,
          {
            type: 'OrderFilled',
            clientOrderId: sellId,
            instrumentId: SAMSUNG,
            tsEvent: ms(T0 + 120_000),
            tsInit: ms(T0 + 120_001),
            venueOrderId: '0000000302',
            tradeId: '1',
            side: 'SELL',
            lastQty: quantity(10),
            lastPx: price(71_000),
            ...tradeCosts(notional(71_000, 10), 'SELL', RATES),
          } satisfies OrderFilled,
          'NOTICE',
        );
        expect(s1.changed).toBe(true);
        const sc = tradeCosts(notional(71_000, 10), 'SELL', RATES);
        const flat = await ledger.positions.get(account, SAMSUNG);
        expect(flat).toMatchObject({ quantity: 0, costBasis: 0 });
        const buys = 4 * 70_000 + 6 * 69_900;
        const fees = c1.commission + c2.commission + sc.commission;
        expect(flat?.realizedPnl).toBe(710_000 - buys - fees - sc.tax);
        expect((await ledger.positions.list(account)).length).toBe(0);
        expect((await ledger.positions.list(account, { includeFlat: true })).length).toBe(1);
        const cashAfter = await ledger.cash.get(account);
        // the books balance: D+2 moved by exactly Σ sells − Σ buys − Σ fees − Σ tax
        expect(cashAfter?.settlementD2).toBe(10_000_000 + 710_000 - buys - fees - sc.tax);
        expect(cashAfter?.settlementD2).toBe(10_000_000 + (flat?.realizedPnl ?? Number.NaN));
        const sold = await ledger.orders.get(sellId);
        expect(sold?.order.status).toBe('FILLED');
        expect(sold?.order.events.at(-1)).toMatchObject({ type: 'OrderFilled', tsInit: T0 + 120_001 });
        expect((await ledger.fills.forOrder(buyId)).length).toBe(2);
      });

      it('adopts a fill of an order placed outside hantu as external', async () => {
        const { id: account } = await newAccount(1_000_000);
        const r = await ledger.applyFill({ ...fillOf(account, '0000009999', '1', 'BUY', 2, 180_000), instrumentId: HYNIX, source: 'REST' });
        expect(r.changed).toBe(true);
        if (!r.changed) return;
        expect(r.order).toBeUndefined();
        expect(r.fill.clientOrderId).toBeUndefined();
        expect(r.position).toMatchObject({ instrumentId: HYNIX, quantity: 2, external: true });
      });

      it('rolls back everything when any step refuses, so the fill can be applied later', async () => {
        const { id: account } = await newAccount(1_000_000);
        // a sell of shares the ledger does not hold
        const oversold = fillOf(account, '0000000401', '1', 'SELL', 5, 70_000);
        await expectCode(ledger.applyFill(oversold), 'POSITION_OVERSOLD');
        expect(await ledger.fills.list(account)).toEqual([]);
        expect((await ledger.cash.get(account))?.settlementD2).toBe(1_000_000);
        // costs that disagree with the configured rates
        await expectCode(ledger.applyFill({ ...fillOf(account, '0000000402', '1', 'BUY', 1, 70_000), commission: krw(1) }), 'FILL_COST_MISMATCH');
        // a fill beyond the order's quantity: the model refuses, the fill row goes too
        const orderId = await acceptedOrder(account, '0000000403', 'BUY', 2, 70_000);
        await expectCode(ledger.applyFill({ ...fillOf(account, '0000000403', '1', 'BUY', 3, 70_000), clientOrderId: orderId }), 'ORDER_OVERFILL');
        expect(await ledger.fills.list(account)).toEqual([]);
        expect(await ledger.positions.list(account, { includeFlat: true })).toEqual([]);
        expect((await ledger.orders.get(orderId))?.order.filledQty).toBe(0);
        // after the holding is adopted, the same sell applies
        await ledger.positions.upsert(account, { instrumentId: SAMSUNG, quantity: quantity(5), costBasis: krw(350_000), realizedPnl: krw(0), commissionPaid: krw(0), taxPaid: krw(0) }, { external: true });
        expect((await ledger.applyFill(oversold)).changed).toBe(true);
        expect((await ledger.positions.get(account, SAMSUNG))?.quantity).toBe(0);
      });

      it('applies concurrent fills of one account serially: duplicates once, distinct fills all', async () => {
        const { id: account } = await newAccount(100_000_000);
        const orderId = await acceptedOrder(account, '0000000501', 'BUY', 100, 70_000);
        const dup = fillOf(account, '0000000501', '1', 'BUY', 1, 70_000);
        const distinct = Array.from({ length: 15 }, (_, i) => fillOf(account, '0000000501', String(i + 2), 'BUY', 1, 70_000));
        const results = await Promise.all([...Array.from({ length: 10 }, () => ledger.applyFill(dup)), ...distinct.map((f) => ledger.applyFill(f))]);
        expect(results.filter((r) => r.changed).length).toBe(16);
        const c = tradeCosts(notional(70_000, 1), 'BUY', RATES);
        expect(await ledger.positions.get(account, SAMSUNG)).toMatchObject({ quantity: 16, costBasis: 16 * 70_000, commissionPaid: 16 * c.commission });
        expect((await ledger.cash.get(account))?.settlementD2).toBe(100_000_000 - 16 * (70_000 + c.commission));
        const order = await ledger.orders.get(orderId);
        expect(order?.order).toMatchObject({ status: 'PARTIALLY_FILLED', filledQty: 16 });
        expect((await ledger.fills.forOrder(orderId)).length).toBe(16);
      });
    });

    describe('append-only tables', () => {
      it('refuse UPDATE, DELETE and TRUNCATE of order events, fills, reports and the audit log', async () => {
        const { id: account } = await newAccount(1_000_000);
        const orderId = await acceptedOrder(account, '0000000601');
        await ledger.applyFill({ ...fillOf(account, '0000000601', '1', 'BUY', 1, 70_000), clientOrderId: orderId });
        await ledger.reports.insert({
          accountId: account,
          kind: 'MANUAL',
          startedAt: ms(T0),
          finishedAt: ms(T0 + 10),
          status: 'MATCHED',
          compared: { positions: 1 },
          differences: [],
          adopted: [],
          summary: 'no differences',
        });
        await ledger.audit.append({ actor: 'test', action: 'append-only.probe', result: 'OK' });

        const statements = [
          `UPDATE order_events SET type = 'OrderCanceled' WHERE client_order_id = '${orderId}'`,
          `DELETE FROM order_events WHERE client_order_id = '${orderId}'`,
          `UPDATE fills SET quantity = 2 WHERE account_id = '${account}'`,
          `DELETE FROM fills WHERE account_id = '${account}'`,
          `UPDATE reconciliation_reports SET summary = 'edited' WHERE account_id = '${account}'`,
          `DELETE FROM reconciliation_reports WHERE account_id = '${account}'`,
          `UPDATE audit_log SET result = 'FAILED' WHERE action = 'append-only.probe'`,
          `DELETE FROM audit_log WHERE action = 'append-only.probe'`,
          'TRUNCATE order_events CASCADE',
          'TRUNCATE fills',
          'TRUNCATE reconciliation_reports',
          'TRUNCATE audit_log',
        ];
        for (const sql of statements) {
          const err = await expectCode(db.query(sql), 'DB_CONSTRAINT');
          expect((err as Error).message, sql).toMatch(/append-only/);
        }
        expect((await ledger.orders.events(orderId)).length).toBe(4);
        expect((await ledger.fills.list(account)).length).toBe(1);
      });
    });

    describe('audit log', () => {
      it('never stores an unmasked account number', async () => {
        const accountNumber = '73125846-01';
        const audit = new AuditLog(db, { clock, accounts: [accountNumber] });
        const entry = await audit.append({
          actor: 'operator 73125846-01',
          action: 'kill-switch.engage',
          target: 'account 7312584601',
          result: 'OK',
          detail: {
            account: accountNumber,
            cano: '73125846',
            cano_number: 73125846,
            nested: { note: 'requested for 73125846-01 and for 19283746-02', list: ['7312584601', 7312584601, { acnt_no: '73125846' }] },
            venueOrderId: '0001569157',
            amount: 70_000_000,
          },
        });
        expect(entry.actor).toBe('operator 7312****-01');
        expect(entry.target).toBe('account 7312****01');
        expect(entry.detail['venueOrderId']).toBe('0001569157'); // other numbers are untouched
        expect(entry.detail['amount']).toBe(70_000_000);

        await ledger.accounts.register({ id: uid('masked'), env: 'paper', accountNumber });
        const rows = await db.query<{ line: string }>(`SELECT a::text AS line FROM audit_log a UNION ALL SELECT c::text FROM accounts c`);
        expect(rows.length).toBeGreaterThan(1);
        for (const { line } of rows) {
          expect(line).not.toMatch(/73125846/);
          expect(line).not.toMatch(/19283746/);
          expect(line).not.toMatch(/[0-9]{8}-[0-9]{2}/);
        }
        // the table refuses a raw write that bypasses the repository
        await expectCode(
          db.query(`INSERT INTO audit_log (ts, actor, action, target, result, detail) VALUES (now(), 'x', 'y', '73125846-01', 'OK', '{}')`),
          'DB_CONSTRAINT',
        );
        await expectCode(db.query(`INSERT INTO accounts (id, env, masked_account, created_at) VALUES ('raw', 'real', '73125846-01', now())`), 'DB_CONSTRAINT');
        // ...but not an id that only contains 8 digits, a dash and 2 digits inside a longer run of digits
        // (the monitor's exit ids: a time stamp, a dash, an instrument code)
        const exitId = 'EX20260220091023-032820-TP-1a2b.1';
        const exit = await audit.append({ actor: 'monitor', action: 'order.submit', target: exitId, result: 'OK', detail: { clientOrderId: exitId, venueOrderId: '0000000001' } });
        expect(exit.target).toBe(exitId);

        const listed = await audit.list({ action: 'kill-switch.engage' });
        expect(listed.map((e) => e.id)).toContain(entry.id);
      });
    });

    describe('other repositories', () => {
      it('accounts, instruments, component status, snapshots and reconciliation reports round-trip', async () => {
        const { id: account } = await newAccount();
        expect((await ledger.accounts.get(account))?.env).toBe('sim');
        await expectCode(ledger.accounts.register({ id: account, env: 'real', accountNumber: '11112222-01' }), 'ACCOUNT_MISMATCH');
        await expectCode(ledger.accounts.register({ id: '12345678', env: 'real', accountNumber: '12345678-01' }), 'ACCOUNT_INVALID');

        await ledger.instruments.upsert([
          { id: SAMSUNG, name: 'Samsung Electronics', market: 'KOSPI', kind: 'STOCK' },
          { id: instrumentId('069500'), name: 'KODEX 200', market: 'KOSPI', kind: 'ETF' },
        ]);
        await ledger.instruments.upsert([{ id: SAMSUNG, name: '삼성전자', market: 'KOSPI', kind: 'STOCK' }]);
        expect(await ledger.instruments.get(SAMSUNG)).toMatchObject({ name: '삼성전자', kind: 'STOCK', updatedAt: T0 });

        const component = uid('ws');
        await ledger.components.set(component, 'STARTING');
        clock.advance(1_000);
        await ledger.components.set(component, 'DEGRADED', 'reconnecting (attempt 2)');
        expect(await ledger.components.get(component)).toEqual({ component, state: 'DEGRADED', detail: 'reconnecting (attempt 2)', updatedAt: T0 + 1_000 });

        const report = {
          positions: [
            {
              instrumentId: SAMSUNG,
              name: '삼성전자',
              quantity: quantity(10),
              sellableQuantity: quantity(10),
              averagePrice: 69_960,
              purchaseAmount: krw(699_600),
              lastPrice: 70_100,
              marketValue: krw(701_000),
              unrealizedPnl: krw(1_400),
            },
          ],
          cash: { deposit: krw(9_000_000), settlementD2: krw(8_300_000), settlementD1: krw(9_000_000), securitiesValue: krw(701_000), totalValue: krw(9_001_000) },
          tsInit: ms(T0 + 30_000),
        };
        await ledger.snapshots.insert(account, { ...report, tsInit: ms(T0) });
        const snap = await ledger.snapshots.insert(account, report);
        expect(await ledger.snapshots.latest(account)).toEqual({ id: snap.id, accountId: account, ts: T0 + 30_000, report });
        expect((await ledger.snapshots.list(account)).length).toBe(2);

        const input = {
          accountId: account,
          kind: 'PERIODIC' as const,
          startedAt: ms(T0),
          finishedAt: ms(T0 + 250),
          status: 'CORRECTED' as const,
          compared: { positions: 3, openOrders: 1, cash: true },
          differences: [{ instrumentId: '000660', ledger: 0, venue: 5 }],
          adopted: [{ instrumentId: '000660', quantity: 5, reason: 'external trade' }],
          summary: '1 difference, 1 adopted (external trade 000660 +5)',
        };
        const stored = await ledger.reports.insert(input);
        await ledger.reports.insert({ ...input, kind: 'STARTUP', status: 'MATCHED', startedAt: ms(T0 + 1_000), finishedAt: ms(T0 + 1_100), differences: [], adopted: [], summary: 'ok' });
        expect(await ledger.reports.get(stored.id)).toEqual({ ...input, id: stored.id });
        const recent = await ledger.reports.listRecent({ accountId: account });
        expect(recent.map((r) => r.kind)).toEqual(['STARTUP', 'PERIODIC']);
        expect((await ledger.reports.listRecent({ accountId: account, kind: 'PERIODIC', limit: 5 })).map((r) => r.id)).toEqual([stored.id]);
      });
    });
  });
}

describe('openDatabase', () => {
  it('needs a data folder or a postgres URL, and a valid schema name', async () => {
    await expect(openDatabase({})).rejects.toBeInstanceOf(ConfigError);
    await expect(openDatabase({ url: 'mysql://localhost/x' })).rejects.toBeInstanceOf(ConfigError);
    await expect(openDatabase({ dataDir: ':memory:', schema: 'Robert"; DROP TABLE x' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('reports an unreachable server as DB_UNAVAILABLE (retryable)', async () => {
    const err = await expectCode(openDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 2_000 }), 'DB_UNAVAILABLE');
    expect((err as PersistenceError).disposition).toBe('retryable');
  });
});
