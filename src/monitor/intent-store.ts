import fs, { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { AppError, type Disposition } from '../core/errors.ts';
import { ExitIntentSchema, type ExitIntent } from './intent.ts';

/**
 * Where exit intents live between restarts. `save` must be durable when it resolves (the file store's
 * `firstSaveFlush: 'after-resolve'` relaxes this for first saves to "survives the death of the
 * process, on disk a few ms later"): the monitor sends an order only after the intent describing it
 * was saved. Keyed by `clientOrderId` (a save replaces the previous record of the same id). Saves must take effect in call order: the monitor may
 * start a save before the previous one of the same intent resolved, and each carries the full, newer
 * state.
 */
export interface ExitIntentStore {
  /**
   * Every stored intent, oldest first.
   * @throws IntentStoreError(INTENT_STORE_CORRUPT) when the stored data cannot be read back exactly;
   *   the monitor must not start then (forgetting an intent could resend an order).
   */
  load(): Promise<ExitIntent[]>;
  /**
   * Inserts or replaces one intent.
   * @throws IntentStoreError(INTENT_STORE_WRITE_FAILED) when it could not be made durable
   */
  save(intent: ExitIntent): Promise<void>;
}

/** A failure of the intent store. `INTENT_STORE_CORRUPT` is fatal; `INTENT_STORE_WRITE_FAILED` retryable. */
export class IntentStoreError extends AppError {
  readonly disposition: Disposition;
  constructor(
    readonly code: 'INTENT_STORE_CORRUPT' | 'INTENT_STORE_WRITE_FAILED',
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, context, options);
    this.disposition = code === 'INTENT_STORE_CORRUPT' ? 'fatal' : 'retryable';
  }
}

/** Keeps intents in memory (tests, dry runs). Records copies, so later mutation by callers is not seen. */
export class InMemoryExitIntentStore implements ExitIntentStore {
  readonly #byId = new Map<string, ExitIntent>();

  constructor(initial: readonly ExitIntent[] = []) {
    for (const i of initial) this.#byId.set(i.clientOrderId, structuredClone(i));
  }

  load(): Promise<ExitIntent[]> {
    return Promise.resolve([...this.#byId.values()].map((i) => structuredClone(i)));
  }

  save(intent: ExitIntent): Promise<void> {
    this.#byId.set(intent.clientOrderId, structuredClone(intent));
    return Promise.resolve();
  }

  /** The stored record of an intent (a copy), for inspection. */
  get(clientOrderId: string): ExitIntent | undefined {
    const i = this.#byId.get(clientOrderId);
    return i === undefined ? undefined : structuredClone(i);
  }
}

/** The legacy (version 1) file: one JSON document rewritten on every save. Read, then converted. */
interface LegacyIntentFile {
  readonly version: 1;
  readonly intents: readonly ExitIntent[];
}

/** First line of an intent log (format version 2). */
const LOG_FORMAT = 'hantu.exit-intent-log';
const LOG_VERSION = 2;
const HEADER_LINE = `${JSON.stringify({ format: LOG_FORMAT, version: LOG_VERSION })}\n`;

/** The optional flag that makes each `write` durable (data and size) before it returns; absent on Windows. */
const O_DSYNC: number | undefined = fsConstants.O_DSYNC;

const openFd = promisify(fs.open);
const writeFd = promisify(fs.write);
/** `fs.fdatasync` looked up at each call (so a test can make it fail). */
const fdatasyncFd = (fd: number): Promise<void> => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
const closeFd = promisify(fs.close);

export interface JsonFileExitIntentStoreOptions {
  /**
   * Compact the log (rewrite it with one line per intent) once it is larger than this many bytes and
   * more than 4 times its size after the previous compaction. Default 8 MiB (about 10,000 saves).
   */
  readonly compactAtBytes?: number;
  /**
   * Write the first save of an exit (state PENDING_SUBMIT: its order waits for it) synchronously, on
   * the calling thread (default true). The write is one O_DSYNC append (the disk's flush time,
   * ~0.3–0.5 ms on the development VM), and it spares the tick-to-order path the round trip through
   * libuv's thread pool and back through a busy event loop (measured in the realtime benchmark: 2–8 ms
   * at the median during a replayed open, up to 35 ms when other intents' saves were in flight). It
   * applies while the log is open for appends, even with other saves queued or an asynchronous append
   * in flight (each append is one `write` on an `O_APPEND` descriptor, placed whole at the end of the
   * file; a first save is the intent's only line so far, so nothing of the same intent is reordered);
   * not while a rewrite, a compaction, the open or `load`/`close` is pending. Other saves stay
   * asynchronous and are written together (group commit).
   */
  readonly synchronousFirstSave?: boolean;
  /**
   * When a synchronous first save reaches the disk (default `before-resolve`):
   * - `before-resolve`: the write is an O_DSYNC append; the save resolves once the data is on disk, so
   *   the order leaves after the disk flush (~0.3–0.5 ms alone on the development VM; in the realtime
   *   benchmark, beside the database's commits, p99 ~3 ms on a quiet VM and 10 ms and more on a loaded one).
   * - `after-resolve`: the write is a plain append (the bytes are in the kernel's page cache, where they
   *   survive the death of this process, `kill -9` included); the save resolves at once, and an
   *   `fdatasync` of the file follows on the thread pool after the current turn of the event loop (after
   *   the order has been sent). Only a crash of the operating system or a power loss between the two can
   *   lose the record of a sent order: the venue then knows an order the restarted daemon does not, and
   *   the startup reconciliation adopts its fills as an external order's (and reports it when open).
   *   A failed `fdatasync` is reported to `onDeferredFlushError`, and the whole log is rewritten from
   *   the saved state (which holds the intent). Every other save is durable when it resolves, as before
   *   (a write and an `fdatasync`), and `close()` flushes before it resolves.
   */
  readonly firstSaveFlush?: 'before-resolve' | 'after-resolve';
  /** Called with the error when a deferred flush (`firstSaveFlush: 'after-resolve'`) failed. */
  readonly onDeferredFlushError?: (err: unknown) => void;
  /** Called with the time (ms, from `performance.now()`) from a deferred first save's write until its `fdatasync` returned. */
  readonly onDeferredFlush?: (lagMs: number) => void;
}

/** What the store did since it was created (for tests and diagnostics). Counts, bytes. */
export interface IntentLogStats {
  /** Saves made durable. */
  saves: number;
  /** Appends (one write + data sync each); concurrent saves share one (group commit). */
  appends: number;
  /** Whole-file rewrites (creation, compaction at open or when large, recovery after a failed write). */
  rewrites: number;
  /** Unterminated last lines dropped at open (a save torn by a crash; it never resolved). */
  tornTailsDropped: number;
  /** Current size of the log file. */
  bytes: number;
  /** Appends made synchronously (see `synchronousFirstSave`); included in `appends`. */
  synchronousAppends: number;
  /** `fdatasync` calls made after a synchronous first save had resolved (`firstSaveFlush: 'after-resolve'`). */
  deferredFlushes: number;
  /** Of those, the failed ones (each followed by a rewrite of the log). */
  deferredFlushFailures: number;
}

type Op =
  | { readonly kind: 'save'; readonly intent: ExitIntent; readonly line: string; readonly resolve: () => void; readonly reject: (e: unknown) => void }
  /** `run` resolves with the task's settlement, called once the queue has moved on (see #drain). */
  | { readonly kind: 'task'; readonly run: () => Promise<() => void> };

/**
 * Keeps every intent in an append-only log file (JSON Lines): a header line
 * `{"format":"hantu.exit-intent-log","version":2}`, then one line per save holding the full intent;
 * a later line of the same `clientOrderId` replaces the earlier one (the order of first saves is kept).
 *
 * Durability: a save appends its line with one `write` on a descriptor opened `O_APPEND | O_DSYNC`
 * (the data and the new file size are on disk when the write returns; `fdatasync` after the write
 * where `O_DSYNC` does not exist) and resolves only then: the monitor sends an order only after its
 * intent is durable. With `firstSaveFlush: 'after-resolve'`, the descriptor has no `O_DSYNC`, a first
 * save resolves once written, and the `fdatasync` follows (see the option). Saves that arrive while an
 * append is in flight are written together by the next append (group commit), in call order, each
 * resolving when its bytes are durable.
 *
 * Crash safety: a crash during an append can leave a torn last line. A record counts only when its
 * line ends with a newline, so an unterminated last line is ignored at open (its save never resolved,
 * so no order was sent on it; the previous state of that intent stands). Any other unreadable or
 * invalid line fails the load closed (`INTENT_STORE_CORRUPT`), leaving the file untouched.
 *
 * Compaction: at open (`load`, or the first save), a log with a torn tail or superseded lines, or a
 * legacy version 1 file (`{ version: 1, intents: [...] }`, read as before), is rewritten atomically
 * with one line per intent: temporary file in the same folder, fsync, rename over the log, fsync of the
 * folder. The same rewrite creates the file at the first load (or save), recovers after a failed append (which
 * may have left a partial line), and compacts a log grown past `compactAtBytes`. The file has mode 0600.
 */
export class JsonFileExitIntentStore implements ExitIntentStore {
  readonly #path: string;
  readonly #compactAtBytes: number;
  /** The durable state: what a load after a crash now would return; undefined until the file is read. */
  #byId: Map<string, ExitIntent> | undefined;
  /** Append descriptor, open only while the file is known to end on a record boundary. */
  #fd: number | undefined;
  /** The next write must rewrite the whole file (no file yet, torn tail, legacy format, failed write). */
  #mustRewrite = true;
  #compactedBytes = 0;
  #seq = 0;
  readonly #queue: Op[] = [];
  #draining = false;
  readonly #stats: IntentLogStats = { saves: 0, appends: 0, rewrites: 0, tornTailsDropped: 0, bytes: 0, synchronousAppends: 0, deferredFlushes: 0, deferredFlushFailures: 0 };
  readonly #synchronousFirstSave: boolean;
  /** First saves are plain writes flushed after they resolved (`firstSaveFlush: 'after-resolve'`). */
  readonly #deferFlush: boolean;
  /** Every durable write needs an explicit `fdatasync` (no O_DSYNC on the descriptor). */
  readonly #explicitSync: boolean;
  readonly #onDeferredFlushError: ((err: unknown) => void) | undefined;
  readonly #onDeferredFlush: ((lagMs: number) => void) | undefined;
  /** `performance.now()` of the oldest deferred write not yet covered by a started `fdatasync`; undefined when none. */
  #unflushedSince: number | undefined;
  /** The deferred `fdatasync` running (on the thread pool), or scheduled; the descriptor stays open until it settles. */
  #flushing: Promise<void> | undefined;
  /** An asynchronous append (and nothing else) is running: a synchronous first save may go beside it. */
  #appendInFlight = false;

  /** @param path the log file (created with its folder on the first save) */
  constructor(path: string, options: JsonFileExitIntentStoreOptions = {}) {
    this.#path = path;
    this.#compactAtBytes = options.compactAtBytes ?? 8 * 1024 * 1024;
    this.#synchronousFirstSave = options.synchronousFirstSave ?? true;
    this.#deferFlush = this.#synchronousFirstSave && options.firstSaveFlush === 'after-resolve';
    this.#explicitSync = this.#deferFlush || O_DSYNC === undefined;
    this.#onDeferredFlushError = options.onDeferredFlushError;
    this.#onDeferredFlush = options.onDeferredFlush;
  }

  /**
   * Reads the file again (after any pending save), compacting it when needed, and creates it (empty
   * log, durably) when it does not exist yet: the first exit of the day then appends one line instead
   * of creating the file (a temporary file, two syncs and a rename) on its tick-to-order path.
   */
  load(): Promise<ExitIntent[]> {
    return this.#task(async () => {
      await this.#open();
      if (this.#mustRewrite) await this.#rewrite(this.#byId!).catch(() => undefined);
      return [...this.#byId!.values()].map((i) => structuredClone(i));
    });
  }

  save(intent: ExitIntent): Promise<void> {
    const copy = structuredClone(intent);
    const line = `${JSON.stringify(copy)}\n`;
    if (this.#synchronousFirstSave && copy.state === 'PENDING_SUBMIT' && this.#canAppendNow()) return this.#appendNow(copy, line);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'save', intent: copy, line, resolve, reject });
      void this.#drain();
    });
  }

  /**
   * True when a save may append at once: the log is open for appends, no compaction is due, and the
   * queue is idle or busy only with appends (no rewrite, open, load or close pending or running).
   */
  #canAppendNow(): boolean {
    if (this.#byId === undefined || this.#fd === undefined || this.#mustRewrite) return false;
    if (this.#stats.bytes > this.#compactAtBytes && this.#stats.bytes > 4 * this.#compactedBytes) return false;
    if (this.#queue.some((op) => op.kind === 'task')) return false;
    return !this.#draining || this.#appendInFlight;
  }

  /** The synchronous append of one save (see `synchronousFirstSave`); settles as the asynchronous path would. */
  #appendNow(intent: ExitIntent, line: string): Promise<void> {
    const fd = this.#fd!;
    const buf = Buffer.from(line, 'utf8');
    try {
      for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
      if (this.#deferFlush) this.#scheduleFlush();
      else if (this.#explicitSync) fs.fdatasyncSync(fd);
    } catch (err) {
      // As after a failed asynchronous append: never append after a possibly partial line. The
      // descriptor is not closed here: an asynchronous append may still be using it on the thread pool,
      // and a number closed now could be reused by another file or socket before that write runs. The
      // next save's rewrite closes it from the queue, after any append or deferred flush in flight.
      this.#mustRewrite = true;
      return Promise.reject(new IntentStoreError('INTENT_STORE_WRITE_FAILED', `cannot write the exit intent log: path=${this.#path}`, { path: this.#path }, { cause: err }));
    }
    this.#byId!.set(intent.clientOrderId, intent);
    this.#stats.appends++;
    this.#stats.synchronousAppends++;
    this.#stats.bytes += buf.length;
    this.#stats.saves++;
    return Promise.resolve();
  }

  /**
   * Marks the bytes just written as not yet flushed and, unless a flush is already scheduled, schedules
   * one after the current turn of the event loop (the order that waited for the save is sent first).
   */
  #scheduleFlush(): void {
    this.#unflushedSince ??= performance.now();
    if (this.#flushing !== undefined) return;
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flushLoop());
  }

  /** Flushes until no deferred write is left unflushed; never rejects (a failure is reported and repaired). */
  async #flushLoop(): Promise<void> {
    try {
      while (this.#unflushedSince !== undefined) {
        const fd = this.#fd;
        if (fd === undefined) return; // closed or rewritten: close flushed, a rewrite made the whole state durable
        try {
          await this.#flushDeferred(fd);
        } catch (err) {
          this.#onDeferredFlushError?.(err);
          this.#repairSoon();
          return;
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /**
   * One `fdatasync` covering every deferred write so far (none pending: nothing). On failure the page
   * cache may have dropped the unflushed bytes: the log must be rewritten from the saved state (which
   * holds every resolved save) before the next append; rethrows.
   */
  async #flushDeferred(fd: number): Promise<void> {
    const since = this.#unflushedSince;
    if (since === undefined) return;
    this.#unflushedSince = undefined;
    this.#stats.deferredFlushes++;
    try {
      await fdatasyncFd(fd);
    } catch (err) {
      this.#stats.deferredFlushFailures++;
      this.#mustRewrite = true;
      throw err;
    }
    this.#onDeferredFlush?.(performance.now() - since);
  }

  /**
   * Queues a rewrite of the log from the saved state, now rather than at the next save (which may not
   * come): deferred first saves resolved before a flush that failed or may never succeed.
   */
  #repairSoon(): void {
    void this.#task(() => this.#rewrite(this.#byId!)).catch((e: unknown) => this.#onDeferredFlushError?.(e));
  }

  /** Closes the append descriptor after pending saves (a later save opens it again). Call at shutdown. */
  close(): Promise<void> {
    return this.#task(() => this.#closeAppender());
  }

  /** Counters since creation (a copy). */
  stats(): IntentLogStats {
    return { ...this.#stats };
  }

  #task<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        kind: 'task',
        run: () =>
          fn().then(
            (v) => () => resolve(v),
            (e: unknown) => () => reject(e),
          ),
      });
      void this.#drain();
    });
  }

  /** Runs queued operations one at a time, in call order; consecutive saves form one batch. */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (head.kind === 'task') {
          this.#queue.shift();
          const settle = await head.run();
          // Settled after the drain state is current: a caller that saves right after `load()` finds the
          // log idle (the synchronous first save applies).
          if (this.#queue.length === 0) this.#draining = false;
          settle();
          if (!this.#draining) return;
          continue;
        }
        let n = 1;
        while (n < this.#queue.length && this.#queue[n]!.kind === 'save') n++;
        await this.#commit(this.#queue.splice(0, n) as Extract<Op, { kind: 'save' }>[]);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Makes a batch of saves durable (one append, or a rewrite); settles every save of the batch. */
  async #commit(batch: readonly Extract<Op, { kind: 'save' }>[]): Promise<void> {
    try {
      if (this.#byId === undefined) await this.#open();
    } catch (err) {
      for (const op of batch) op.reject(err);
      return;
    }
    const next = new Map(this.#byId);
    for (const op of batch) next.set(op.intent.clientOrderId, op.intent);
    try {
      // After close(): the log still ends on a record boundary, appends go on in a new descriptor.
      if (!this.#mustRewrite && this.#fd === undefined) this.#fd = await this.#openAppender().catch(() => undefined);
      if (this.#mustRewrite || this.#fd === undefined) await this.#rewrite(next);
      else {
        this.#appendInFlight = true;
        try {
          await this.#append(batch.map((op) => op.line).join(''));
        } finally {
          this.#appendInFlight = false;
        }
      }
    } catch (err) {
      // The file may now end in a partial line: never append after it; the next save rewrites it
      // from the durable state (without this batch).
      this.#mustRewrite = true;
      await this.#closeAppender().catch(() => undefined);
      if (this.#deferFlush) this.#repairSoon();
      const e = new IntentStoreError('INTENT_STORE_WRITE_FAILED', `cannot write the exit intent log: path=${this.#path}`, { path: this.#path }, { cause: err });
      for (const op of batch) op.reject(e);
      return;
    }
    // Merged, not replaced: synchronous first saves may have landed beside this append.
    for (const op of batch) this.#byId!.set(op.intent.clientOrderId, op.intent);
    this.#stats.saves += batch.length;
    for (const op of batch) op.resolve();
    if (this.#stats.bytes > this.#compactAtBytes && this.#stats.bytes > 4 * this.#compactedBytes) {
      await this.#rewrite(this.#byId!).catch(() => {
        this.#mustRewrite = true;
      });
    }
  }

  /** Reads the file into the durable state; compacts it when it is not a clean log. */
  async #open(): Promise<void> {
    await this.#closeAppender();
    const r = await this.#read();
    this.#byId = r.byId;
    this.#stats.tornTailsDropped += r.tornTail ? 1 : 0;
    this.#stats.bytes = r.bytes;
    this.#compactedBytes = r.bytes;
    this.#mustRewrite = true;
    if (!r.exists) return; // created by the first save
    try {
      if (r.clean) {
        this.#fd = await this.#openAppender();
        this.#mustRewrite = false;
      } else {
        await this.#rewrite(r.byId);
      }
    } catch {
      // Read fine; the next save rewrites the file (and reports a failure then).
    }
  }

  async #read(): Promise<{ byId: Map<string, ExitIntent>; exists: boolean; clean: boolean; tornTail: boolean; bytes: number }> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { byId: new Map(), exists: false, clean: false, tornTail: false, bytes: 0 };
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `cannot read the exit intent file: path=${this.#path}`, { path: this.#path }, { cause: err });
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    const nl = text.indexOf('\n');
    const header = nl < 0 ? undefined : parseOrUndefined(text.slice(0, nl));
    if (header !== null && typeof header === 'object' && (header as { format?: unknown }).format === LOG_FORMAT) {
      const version = (header as { version?: unknown }).version;
      if (version !== LOG_VERSION) {
        throw new IntentStoreError('INTENT_STORE_CORRUPT', `the exit intent log has format version ${String(version)}, this build reads ${LOG_VERSION}: path=${this.#path}`, { path: this.#path });
      }
      const lines = text.slice(nl + 1).split('\n');
      const tail = lines.pop()!; // after the last newline: '' when the log ends on a record boundary
      const byId = new Map<string, ExitIntent>();
      lines.forEach((l, i) => {
        const lineNo = i + 2;
        let raw: unknown;
        try {
          raw = JSON.parse(l);
        } catch (err) {
          throw new IntentStoreError('INTENT_STORE_CORRUPT', `line ${lineNo} of the exit intent log is not valid JSON: path=${this.#path}`, { path: this.#path, line: lineNo }, { cause: err });
        }
        const intent = this.#validate(raw, `exit intent at line ${lineNo}`, { line: lineNo });
        byId.set(intent.clientOrderId, intent);
      });
      const tornTail = tail.length > 0;
      return { byId, exists: true, clean: !tornTail && lines.length === byId.size, tornTail, bytes };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `the exit intent file is not valid JSON: path=${this.#path}`, { path: this.#path }, { cause: err });
    }
    const shape = (parsed ?? {}) as Partial<LegacyIntentFile>;
    if (shape.version !== 1 || !Array.isArray(shape.intents)) {
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `the exit intent file is neither an intent log nor a version 1 intent list: path=${this.#path}`, { path: this.#path });
    }
    const byId = new Map<string, ExitIntent>();
    shape.intents.forEach((raw, index) => {
      const intent = this.#validate(raw, `exit intent ${index}`, { index });
      byId.set(intent.clientOrderId, intent);
    });
    return { byId, exists: true, clean: false, tornTail: false, bytes };
  }

  #validate(raw: unknown, what: string, context: Record<string, unknown>): ExitIntent {
    const r = ExitIntentSchema.safeParse(raw);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `${what} in ${this.#path} is invalid: ${issues}`, { path: this.#path, ...context });
    }
    // Validated field by field above; only the brands (InstrumentId, UnixMillis) are added by the cast.
    return r.data as unknown as ExitIntent;
  }

  /** Appends bytes durably (O_DSYNC write, or write + fdatasync). */
  async #append(text: string): Promise<void> {
    const fd = this.#fd!;
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await writeFd(fd, buf, off, buf.length - off);
      off += bytesWritten;
    }
    if (this.#explicitSync) {
      const since = this.#unflushedSince;
      this.#unflushedSince = undefined; // this flush covers the deferred writes before it too
      await fdatasyncFd(fd);
      if (since !== undefined) this.#onDeferredFlush?.(performance.now() - since);
    }
    this.#stats.appends++;
    this.#stats.bytes += buf.length;
  }

  /** Replaces the file atomically with one line per intent, then opens it for appends. */
  async #rewrite(byId: ReadonlyMap<string, ExitIntent>): Promise<void> {
    await this.#closeAppender();
    const dir = dirname(this.#path);
    const tmp = `${this.#path}.tmp-${process.pid}-${this.#seq++}`;
    let content = HEADER_LINE;
    for (const i of byId.values()) content += `${JSON.stringify(i)}\n`;
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(content, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.#path);
      await syncDir(dir);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    this.#stats.rewrites++;
    this.#stats.bytes = Buffer.byteLength(content, 'utf8');
    this.#compactedBytes = this.#stats.bytes;
    this.#mustRewrite = false;
    // The rewrite is durable; without an append descriptor the next save rewrites again.
    this.#fd = await this.#openAppender().catch(() => undefined);
  }

  #openAppender(): Promise<number> {
    const c = fsConstants;
    return openFd(this.#path, c.O_WRONLY | c.O_APPEND | (this.#explicitSync ? 0 : (O_DSYNC ?? 0)));
  }

  /** Closes the append descriptor once a deferred flush in flight settled, flushing what is left first. */
  async #closeAppender(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      await this.#flushDeferred(fd);
    } finally {
      await closeFd(fd);
    }
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
