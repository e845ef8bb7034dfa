/**
 * The default ledger: PGlite in `<dataDir>/ledger` on disk. Data and migrations survive a restart; a
 * second process on the same folder is refused; a lock left by a killed process is taken over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis } from '../../src/core/brand.ts';
import { TestClock } from '../../src/core/clock.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import { bps, price, quantity } from '../../src/model/money.ts';
import { openDatabase } from '../../src/persistence/db.ts';
import { Ledger } from '../../src/persistence/ledger.ts';
import { migrate } from '../../src/persistence/migrate.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 30);
const RATES = { commissionBps: bps(1.40527), sellTaxBps: bps(20) };

describe('PGlite in a data folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hantu-ledger-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps data and migrations across a restart, and refuses a second opener', async () => {
    const lockFile = join(dir, 'ledger.lock');
    const first = await openDatabase({ dataDir: dir });
    expect(first.kind).toBe('pglite');
    expect(first.location).toBe(`pglite:${join(dir, 'ledger')}`);
    expect(existsSync(lockFile)).toBe(true);
    await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({ code: 'DB_LOCKED' });

    const ledger = new Ledger(first, { rates: RATES, clock: new TestClock(T0) });
    await ledger.accounts.register({ id: 'main', env: 'sim', accountNumber: '50000001-01' });
    const r = await ledger.applyFill({
      accountId: 'main',
      venueOrderId: '0000000001',
      tradeId: '1',
      instrumentId: instrumentId('005930'),
      side: 'BUY',
      quantity: quantity(3),
      price: price(70_000),
      source: 'NOTICE',
      tsEvent: unixMillis(T0),
    });
    expect(r.changed).toBe(true);
    await first.close();
    expect(existsSync(lockFile)).toBe(false);

    // A lock left behind by a process that died (kill -9) is taken over.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockFile, `${dead}\n`);
    const second = await openDatabase({ dataDir: dir, migrate: false });
    try {
      expect((await migrate(second)).applied).toEqual([]);
      const again = new Ledger(second, { rates: RATES });
      expect(await again.positions.get('main', instrumentId('005930'))).toMatchObject({ quantity: 3, costBasis: 210_000 });
      expect((await again.fills.list('main')).length).toBe(1);
      expect((await again.accounts.get('main'))?.maskedAccount).toBe('5000****-01');
    } finally {
      await second.close();
    }

    // A live holder (here: our parent process) keeps the folder.
    await writeFile(lockFile, `${process.ppid}\n`);
    await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({ code: 'DB_LOCKED', disposition: 'fatal' });
    await rm(lockFile);
  });

  it('keeps every committed transaction when the process is killed with SIGKILL', async () => {
    const folder = join(dir, 'killed');
    const script = join(dir, 'child.mts');
    const dbModule = pathToFileURL(join(process.cwd(), 'src/persistence/db.ts')).href;
    await writeFile(
      script,
      `import { openDatabase } from ${JSON.stringify(dbModule)};
const db = await openDatabase({ dataDir: process.argv[2] });
await db.query("INSERT INTO accounts (id, env, masked_account, created_at) VALUES ('killed', 'sim', '1234****-01', now())");
for (let i = 0; i < 50; i++) {
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO audit_log (ts, actor, action, result, detail) VALUES (now(), 'child', $1, 'OK', '{}')", ['step-' + i]);
  });
}
process.stdout.write('committed\\n');
setInterval(() => undefined, 60_000); // wait for the kill
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, folder], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('committed')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(dir, 'killed', 'ledger.lock'))).toBe(true); // left behind by the dead process

    const db = await openDatabase({ dataDir: folder });
    try {
      const rows = await db.query<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE actor = 'child'`);
      expect(rows[0]?.n).toBe(50);
      expect((await db.query('SELECT id FROM accounts')).length).toBe(1);
    } finally {
      await db.close();
    }
  });
});
