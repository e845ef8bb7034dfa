import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { instrumentId } from '../model/instrument.ts';
import type { ExitIntent } from './intent.ts';
import { InMemoryExitIntentStore, IntentStoreError, JsonFileExitIntentStore } from './intent-store.ts';

function intent(id: string, over: Partial<ExitIntent> = {}): ExitIntent {
  return {
    version: 1,
    clientOrderId: id,
    instrumentId: instrumentId('005930'),
    name: '삼성전자',
    sessionDate: '2026-01-05',
    trigger: 'STOP_LOSS',
    reference: 67_800,
    threshold: 67_900,
    averagePrice: 70_000,
    positionQuantity: 10,
    quantity: 10,
    state: 'WORKING',
    attempts: [
      {
        clientOrderId: id,
        orderType: 'LIMIT',
        price: 67_600,
        quantity: 10,
        submittedAt: 1_767_574_800_000,
        status: 'WORKING',
        venueOrderId: '0000000001',
        branch: '06010',
        noticeFilledQuantity: 4,
        noticeFilledValue: 270_400,
        reportFilledQuantity: 0,
        reportFilledValue: 0,
      },
    ],
    filledQuantity: 4,
    filledValue: 270_400,
    repricesExhausted: false,
    note: 'partial',
    createdAt: unixMillis(1_767_574_800_000),
    updatedAt: unixMillis(1_767_574_801_000),
    ...over,
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hantu-intents-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonFileExitIntentStore', () => {
  it('loads nothing from a missing file, and reads back exactly what was saved (a new instance, as after a restart)', async () => {
    const path = join(dir, 'state', 'exit-intents.json');
    const a = new JsonFileExitIntentStore(path);
    expect(await a.load()).toEqual([]);
    await a.save(intent('EX-1'));
    await a.save(intent('EX-2', { state: 'FILLED' }));
    await a.save(intent('EX-1', { state: 'REPRICING' })); // replaces EX-1
    const b = new JsonFileExitIntentStore(path);
    expect(await b.load()).toEqual([intent('EX-1', { state: 'REPRICING' }), intent('EX-2', { state: 'FILLED' })]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'state'))).toEqual(['exit-intents.json']); // no temporary file left
  });

  it('serialises concurrent saves: none is lost', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    await Promise.all(Array.from({ length: 25 }, (_, i) => s.save(intent(`EX-${i}`))));
    const loaded = await new JsonFileExitIntentStore(path).load();
    expect(loaded.map((i) => i.clientOrderId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `EX-${i}`).sort());
  });

  it('fails closed on a corrupt or invalid file (never forgets intents silently)', async () => {
    const path = join(dir, 'exit-intents.json');
    await writeFile(path, '{"version":1,"intents":[');
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toMatchObject({ code: 'INTENT_STORE_CORRUPT', disposition: 'fatal' });
    await writeFile(path, JSON.stringify({ version: 1, intents: [{ ...intent('EX-1'), quantity: -1 }] }));
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toThrow(/exit intent 0 .* is invalid: quantity/);
    await writeFile(path, JSON.stringify([intent('EX-1')]));
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toBeInstanceOf(IntentStoreError);
    // The bad file is left as it was, for a human to look at.
    expect(await readFile(path, 'utf8')).toBe(JSON.stringify([intent('EX-1')]));
  });

  it('reports a write that could not be made durable', async () => {
    const path = join(dir, 'sub', 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    await s.load();
    await writeFile(join(dir, 'sub'), 'a file where the folder should be');
    await expect(s.save(intent('EX-1'))).rejects.toMatchObject({ code: 'INTENT_STORE_WRITE_FAILED', disposition: 'retryable' });
    // A later save still runs (the chain is not poisoned).
    await rm(join(dir, 'sub'));
    await s.save(intent('EX-2'));
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.clientOrderId)).toEqual(['EX-2']);
  });
});

describe('InMemoryExitIntentStore', () => {
  it('stores copies', async () => {
    const s = new InMemoryExitIntentStore();
    const i = intent('EX-1') as { -readonly [K in keyof ExitIntent]: ExitIntent[K] };
    await s.save(i);
    i.state = 'FILLED';
    expect((await s.load())[0]?.state).toBe('WORKING');
  });
});
