import fs, { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
    expect(await s.load()).toEqual([]); // creates the (empty) log
    await s.close();
    // A folder where the log should be: neither an append nor a rewrite can land.
    await rm(path);
    await mkdir(path);
    await expect(s.save(intent('EX-1'))).rejects.toMatchObject({ code: 'INTENT_STORE_WRITE_FAILED', disposition: 'retryable' });
    // A later save still runs (the chain is not poisoned).
    await rm(path, { recursive: true });
    await s.save(intent('EX-2'));
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.clientOrderId)).toEqual(['EX-2']);
  });
});

describe('JsonFileExitIntentStore: the append-only log', () => {
  const HEADER = '{"format":"hantu.exit-intent-log","version":2}';
  const lineOf = (i: ExitIntent): string => `${JSON.stringify(i)}\n`;
  const linesOf = async (path: string): Promise<string[]> => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');

  it('creates the log with the first save, appends one line per later save, and compacts superseded lines at open', async () => {
    const path = join(dir, 'exit-intents.json');
    const a = new JsonFileExitIntentStore(path);
    await a.save(intent('EX-1'));
    await a.save(intent('EX-2'));
    await a.save(intent('EX-1', { state: 'FILLED' }));
    expect(await linesOf(path)).toEqual([HEADER, JSON.stringify(intent('EX-1')), JSON.stringify(intent('EX-2')), JSON.stringify(intent('EX-1', { state: 'FILLED' }))]);
    expect(a.stats()).toMatchObject({ saves: 3, rewrites: 1, appends: 2 });
    await a.close();
    const b = new JsonFileExitIntentStore(path);
    // Replaced records keep the position of their first save (oldest first).
    expect(await b.load()).toEqual([intent('EX-1', { state: 'FILLED' }), intent('EX-2')]);
    expect(await linesOf(path)).toEqual([HEADER, JSON.stringify(intent('EX-1', { state: 'FILLED' })), JSON.stringify(intent('EX-2'))]);
    expect(b.stats()).toMatchObject({ rewrites: 1 });
    // A clean log is not rewritten at open: appends go on at its end (also after a close).
    await b.save(intent('EX-3'));
    await b.close();
    await b.save(intent('EX-4'));
    await b.close();
    expect(b.stats()).toMatchObject({ rewrites: 1, appends: 2 });
    const c = new JsonFileExitIntentStore(path);
    expect((await c.load()).map((i) => i.clientOrderId)).toEqual(['EX-1', 'EX-2', 'EX-3', 'EX-4']);
    expect(c.stats()).toMatchObject({ rewrites: 0 });
    await c.close();
    expect(await readdir(dir)).toEqual(['exit-intents.json']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('makes a save durable before it resolves: the line is in the file when the promise settles', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    for (let n = 0; n < 5; n++) {
      await s.save(intent(`EX-${n}`));
      expect((await linesOf(path)).at(-1)).toBe(JSON.stringify(intent(`EX-${n}`)));
    }
    await s.close();
  });

  it('writes concurrent saves together (group commit), in call order', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    await s.load();
    await s.save(intent('EX-0'));
    await Promise.all(Array.from({ length: 20 }, (_, n) => s.save(intent(`EX-${n % 4}`, { note: `n=${n}` }))));
    const st = s.stats();
    expect(st.saves).toBe(21);
    expect(st.appends + st.rewrites).toBeLessThan(21);
    const lines = await linesOf(path);
    expect(lines.slice(-20)).toEqual(Array.from({ length: 20 }, (_, n) => JSON.stringify(intent(`EX-${n % 4}`, { note: `n=${n}` }))));
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.note)).toEqual(['n=16', 'n=17', 'n=18', 'n=19']);
    await s.close();
  });

  it('writes the first save of an exit (PENDING_SUBMIT) synchronously, beside an asynchronous append in flight but never beside a rewrite or a task', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    await s.load();
    const pending = s.save(intent('EX-1', { state: 'PENDING_SUBMIT' }));
    // Durable before save() even returned: the line is in the file now, without awaiting.
    expect(readFileSync(path, 'utf8')).toContain('"clientOrderId":"EX-1"');
    await pending;
    expect(s.stats()).toMatchObject({ saves: 1, appends: 1, synchronousAppends: 1 });
    // A later state is written asynchronously; a first save made while that append is in flight does
    // not wait for it (its order waits for it): it is on disk when save() returns.
    const later = s.save(intent('EX-1', { state: 'FILLED' }));
    const next = s.save(intent('EX-2', { state: 'PENDING_SUBMIT' }));
    expect(readFileSync(path, 'utf8')).toContain('"clientOrderId":"EX-2"');
    await Promise.all([later, next]);
    expect(s.stats()).toMatchObject({ saves: 3, synchronousAppends: 2 });
    const states = (await linesOf(path)).slice(1).map((l) => (JSON.parse(l) as ExitIntent).clientOrderId + ':' + (JSON.parse(l) as ExitIntent).state);
    expect([...states].sort()).toEqual(['EX-1:FILLED', 'EX-1:PENDING_SUBMIT', 'EX-2:PENDING_SUBMIT']);
    expect(states.indexOf('EX-1:PENDING_SUBMIT')).toBeLessThan(states.indexOf('EX-1:FILLED')); // one intent's lines in call order
    // Both survive a restart, each intent at its last state.
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => `${i.clientOrderId}:${i.state}`).sort()).toEqual(['EX-1:FILLED', 'EX-2:PENDING_SUBMIT']);
    // And the store's own view agrees (an append that finished after the synchronous one did not drop it).
    expect((await s.load()).map((i) => `${i.clientOrderId}:${i.state}`).sort()).toEqual(['EX-1:FILLED', 'EX-2:PENDING_SUBMIT']);
    // A task (close, load) pending: the first save queues behind it.
    const closing = s.close();
    const queued = s.save(intent('EX-4', { state: 'PENDING_SUBMIT' }));
    await Promise.all([closing, queued]);
    expect(s.stats().synchronousAppends).toBe(2);
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.clientOrderId).sort()).toEqual(['EX-1', 'EX-2', 'EX-4']);
    // Off by option: every save goes through the queue.
    const t = new JsonFileExitIntentStore(join(dir, 'other.json'), { synchronousFirstSave: false });
    await t.load();
    await t.save(intent('EX-3', { state: 'PENDING_SUBMIT' }));
    expect(t.stats()).toMatchObject({ appends: 1, synchronousAppends: 0 });
    await s.close();
    await t.close();
  });

  it('a synchronous first save that fails is reported, closes no descriptor an append in flight may use, and the next save rewrites the log', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path);
    await s.load();
    await s.save(intent('EX-1', { state: 'PENDING_SUBMIT' }));
    const later = s.save(intent('EX-1', { state: 'WORKING' })); // an asynchronous append now in flight
    const write = vi.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    const close = vi.spyOn(fs, 'closeSync');
    try {
      await expect(s.save(intent('EX-2', { state: 'PENDING_SUBMIT' }))).rejects.toMatchObject({ code: 'INTENT_STORE_WRITE_FAILED' });
      expect(close).not.toHaveBeenCalled();
      await later; // the append in flight lands on its still-open descriptor
    } finally {
      write.mockRestore();
      close.mockRestore();
    }
    // Not appended after a possibly partial line: the next save rewrites the log from the durable state.
    await s.save(intent('EX-3', { state: 'PENDING_SUBMIT' }));
    expect(s.stats().rewrites).toBe(2); // the creation at load, then this one
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => `${i.clientOrderId}:${i.state}`)).toEqual(['EX-1:WORKING', 'EX-3:PENDING_SUBMIT']);
    await s.close();
  });

  /** The open-file flags (octal, from /proc/self/fdinfo) of this process's descriptors open on `path`. */
  async function flagsOfDescriptorsOn(path: string): Promise<number[]> {
    const out: number[] = [];
    for (const fd of await readdir('/proc/self/fd')) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== path) continue;
      const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m) out.push(parseInt(m[1]!, 8));
    }
    return out;
  }

  it.runIf(process.platform === 'linux')('firstSaveFlush after-resolve: the first save is written before it resolves and flushed after the current turn; other saves and close() flush before they resolve', async () => {
    const path = join(dir, 'exit-intents.json');
    const lags: number[] = [];
    const s = new JsonFileExitIntentStore(path, { firstSaveFlush: 'after-resolve', onDeferredFlush: (ms) => lags.push(ms) });
    await s.load();
    // The append descriptor has no O_DSYNC (each durable write is followed by an explicit fdatasync).
    expect((await flagsOfDescriptorsOn(path)).map((f) => f & fs.constants.O_DSYNC)).toEqual([0]);
    const events: string[] = [];
    const flush = vi.spyOn(fs, 'fdatasync');
    try {
      const saved = s.save(intent('EX-1', { state: 'PENDING_SUBMIT' }));
      const second = s.save(intent('EX-2', { state: 'PENDING_SUBMIT' })); // the same turn: one flush covers both
      void saved.then(() => events.push('resolved'));
      await saved;
      await second;
      events.push(`fdatasync calls at resolve: ${flush.mock.calls.length}`);
      // In the kernel already: a process killed now leaves the line readable to the next start.
      const reader = new JsonFileExitIntentStore(path);
      expect((await reader.load()).map((i) => i.clientOrderId)).toEqual(['EX-1', 'EX-2']);
      await reader.close();
      await new Promise((r) => setImmediate(r));
      await vi.waitFor(() => expect(s.stats().deferredFlushes).toBe(1));
      await vi.waitFor(() => expect(lags).toHaveLength(1));
      expect(events).toEqual(['resolved', 'fdatasync calls at resolve: 0']);
      expect(flush).toHaveBeenCalledTimes(1);
      expect(lags[0]).toBeGreaterThanOrEqual(0);
      expect(s.stats()).toMatchObject({ synchronousAppends: 2, deferredFlushes: 1, deferredFlushFailures: 0 });
      // A later save (not a first save) is durable when it resolves: write, then fdatasync.
      flush.mockClear();
      await s.save(intent('EX-1', { state: 'WORKING' }));
      expect(flush).toHaveBeenCalledTimes(1);
      // close() right after a deferred save flushes it before it resolves.
      flush.mockClear();
      await new Promise((r) => setImmediate(r)); // the queue idle again: the next first save is synchronous
      await s.save(intent('EX-3', { state: 'PENDING_SUBMIT' }));
      expect(flush).not.toHaveBeenCalled();
      await s.close();
      expect(flush).toHaveBeenCalledTimes(1);
      expect(await flagsOfDescriptorsOn(path)).toEqual([]);
    } finally {
      flush.mockRestore();
    }
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => `${i.clientOrderId}:${i.state}`)).toEqual(['EX-1:WORKING', 'EX-2:PENDING_SUBMIT', 'EX-3:PENDING_SUBMIT']);
    // The default keeps O_DSYNC on the descriptor: the first save is on disk when it resolves.
    const d = new JsonFileExitIntentStore(join(dir, 'default.json'));
    await d.load();
    expect((await flagsOfDescriptorsOn(join(dir, 'default.json'))).map((f) => f & fs.constants.O_DSYNC)).toEqual([fs.constants.O_DSYNC]);
    await d.close();
  });

  it('firstSaveFlush after-resolve: a failed deferred flush is reported and the log is rewritten from the saved state, first save included', async () => {
    const path = join(dir, 'exit-intents.json');
    const errors: unknown[] = [];
    const s = new JsonFileExitIntentStore(path, { firstSaveFlush: 'after-resolve', onDeferredFlushError: (e) => errors.push(e) });
    await s.load();
    await s.save(intent('EX-1', { state: 'FILLED' })); // not a first save: appended and flushed
    await new Promise((r) => setImmediate(r)); // the queue idle again
    const rewritesBefore = s.stats().rewrites;
    const flush = vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      setImmediate(() => cb(Object.assign(new Error('EIO'), { code: 'EIO' })));
    }) as typeof fs.fdatasync);
    try {
      await s.save(intent('EX-2', { state: 'PENDING_SUBMIT' })); // resolves before the flush fails
      await vi.waitFor(() => expect(errors).toHaveLength(1));
      expect((errors[0] as Error).message).toBe('EIO');
      await vi.waitFor(() => expect(s.stats().rewrites).toBe(rewritesBefore + 1));
    } finally {
      flush.mockRestore();
    }
    expect(s.stats()).toMatchObject({ deferredFlushes: 1, deferredFlushFailures: 1 });
    // The rewrite holds the first save whose flush failed; appends go on after it.
    await s.save(intent('EX-3', { state: 'PENDING_SUBMIT' }));
    await s.close();
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => `${i.clientOrderId}:${i.state}`)).toEqual(['EX-1:FILLED', 'EX-2:PENDING_SUBMIT', 'EX-3:PENDING_SUBMIT']);
  });

  it('ignores a torn last line (a save cut by a crash never resolved) and compacts it away before appending', async () => {
    const path = join(dir, 'exit-intents.json');
    const full = lineOf(intent('EX-2'));
    await writeFile(path, `${HEADER}\n${lineOf(intent('EX-1'))}${lineOf(intent('EX-1', { state: 'FILLED' }))}${full.slice(0, 57)}`);
    const s = new JsonFileExitIntentStore(path);
    expect(await s.load()).toEqual([intent('EX-1', { state: 'FILLED' })]);
    expect(s.stats()).toMatchObject({ tornTailsDropped: 1, rewrites: 1 });
    expect(await readFile(path, 'utf8')).toBe(`${HEADER}\n${lineOf(intent('EX-1', { state: 'FILLED' }))}`);
    await s.save(intent('EX-3'));
    await s.close();
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.clientOrderId)).toEqual(['EX-1', 'EX-3']);
  });

  it('ignores a tail of zero bytes (a size extended without its data), and a first save torn after the header', async () => {
    const path = join(dir, 'exit-intents.json');
    await writeFile(path, `${HEADER}\n${lineOf(intent('EX-1'))}\0\0\0\0\0\0`);
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.clientOrderId)).toEqual(['EX-1']);
    await writeFile(path, `${HEADER}\n{"version":1,"clientOrd`);
    const s = new JsonFileExitIntentStore(path);
    // Without load(): the first save opens (and compacts) the log itself.
    await s.save(intent('EX-9'));
    await s.close();
    expect(await readFile(path, 'utf8')).toBe(`${HEADER}\n${lineOf(intent('EX-9'))}`);
  });

  it('fails closed on a bad line that is not a torn tail, and on a log of another version, leaving the file as it was', async () => {
    const path = join(dir, 'exit-intents.json');
    const middle = `${HEADER}\n${lineOf(intent('EX-1'))}{"version":1,"clientOrd\n${lineOf(intent('EX-2'))}`;
    await writeFile(path, middle);
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toMatchObject({ code: 'INTENT_STORE_CORRUPT', disposition: 'fatal', message: expect.stringMatching(/line 3 of the exit intent log is not valid JSON/) });
    expect(await readFile(path, 'utf8')).toBe(middle);
    // A complete (newline-terminated) last line that is invalid is not a torn write.
    const invalidLast = `${HEADER}\n${lineOf(intent('EX-1'))}${lineOf({ ...intent('EX-2'), quantity: -1 })}`;
    await writeFile(path, invalidLast);
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toThrow(/exit intent at line 3 .* is invalid: quantity/);
    await writeFile(path, `${HEADER}\n\n${lineOf(intent('EX-1'))}`);
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toMatchObject({ code: 'INTENT_STORE_CORRUPT' });
    await writeFile(path, `{"format":"hantu.exit-intent-log","version":3}\n${lineOf(intent('EX-1'))}`);
    await expect(new JsonFileExitIntentStore(path).load()).rejects.toThrow(/format version 3/);
    // A save on a corrupt log fails closed too (and writes nothing).
    await writeFile(path, middle);
    await expect(new JsonFileExitIntentStore(path).save(intent('EX-3'))).rejects.toMatchObject({ code: 'INTENT_STORE_CORRUPT' });
    expect(await readFile(path, 'utf8')).toBe(middle);
  });

  it('reads a version 1 file (one JSON document) and converts it to a log', async () => {
    const path = join(dir, 'exit-intents.json');
    await writeFile(path, `${JSON.stringify({ version: 1, intents: [intent('EX-1'), intent('EX-2', { state: 'FILLED' })] }, null, 2)}\n`);
    const s = new JsonFileExitIntentStore(path);
    expect(await s.load()).toEqual([intent('EX-1'), intent('EX-2', { state: 'FILLED' })]);
    expect(await linesOf(path)).toEqual([HEADER, JSON.stringify(intent('EX-1')), JSON.stringify(intent('EX-2', { state: 'FILLED' }))]);
    await s.save(intent('EX-1', { state: 'FILLED' }));
    await s.close();
    expect(await new JsonFileExitIntentStore(path).load()).toEqual([intent('EX-1', { state: 'FILLED' }), intent('EX-2', { state: 'FILLED' })]);
  });

  it('compacts a log grown past compactAtBytes while running', async () => {
    const path = join(dir, 'exit-intents.json');
    const s = new JsonFileExitIntentStore(path, { compactAtBytes: 4_000 });
    for (let n = 0; n < 40; n++) await s.save(intent(`EX-${n % 3}`, { note: `n=${n}` }));
    const st = s.stats();
    expect(st.rewrites).toBeGreaterThan(1);
    expect(st.bytes).toBeLessThan(4 * 4_000);
    expect((await stat(path)).size).toBe(st.bytes);
    await s.close();
    expect((await new JsonFileExitIntentStore(path).load()).map((i) => i.note)).toEqual(['n=39', 'n=37', 'n=38']);
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
