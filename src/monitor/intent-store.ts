import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, type Disposition } from '../core/errors.ts';
import { ExitIntentSchema, type ExitIntent } from './intent.ts';

/**
 * Where exit intents live between restarts. `save` must be durable when it resolves: the monitor
 * sends an order only after the intent describing it was saved. Keyed by `clientOrderId` (a save
 * replaces the previous record of the same id). Saves must take effect in call order: the monitor may
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

interface IntentFile {
  readonly version: 1;
  readonly intents: readonly ExitIntent[];
}

/**
 * Keeps every intent in one JSON file (`{ version: 1, intents: [...] }`). Each save rewrites the whole
 * file atomically: write a temporary file in the same folder, fsync it, rename it over the old one,
 * then fsync the folder, so a crash leaves either the old or the new file, never a torn one. Saves are
 * serialised in call order. The file is small: intents are a handful per day.
 */
export class JsonFileExitIntentStore implements ExitIntentStore {
  readonly #path: string;
  #byId: Map<string, ExitIntent> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;

  /** @param path the JSON file (created with its folder on the first save) */
  constructor(path: string) {
    this.#path = path;
  }

  async load(): Promise<ExitIntent[]> {
    await this.#chain;
    const byId = await this.#read();
    this.#byId = byId;
    return [...byId.values()].map((i) => structuredClone(i));
  }

  save(intent: ExitIntent): Promise<void> {
    const copy = structuredClone(intent);
    const task = this.#chain.then(async () => {
      this.#byId ??= await this.#read();
      const next = new Map(this.#byId);
      next.set(copy.clientOrderId, copy);
      await this.#write({ version: 1, intents: [...next.values()] });
      this.#byId = next;
    });
    this.#chain = task.catch(() => undefined);
    return task;
  }

  async #read(): Promise<Map<string, ExitIntent>> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `cannot read the exit intent file: path=${this.#path}`, { path: this.#path }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `the exit intent file is not valid JSON: path=${this.#path}`, { path: this.#path }, { cause: err });
    }
    const shape = (parsed ?? {}) as Partial<IntentFile>;
    if (shape.version !== 1 || !Array.isArray(shape.intents)) {
      throw new IntentStoreError('INTENT_STORE_CORRUPT', `the exit intent file has no version 1 intent list: path=${this.#path}`, { path: this.#path });
    }
    const out = new Map<string, ExitIntent>();
    shape.intents.forEach((raw, index) => {
      const r = ExitIntentSchema.safeParse(raw);
      if (!r.success) {
        const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new IntentStoreError('INTENT_STORE_CORRUPT', `exit intent ${index} in ${this.#path} is invalid: ${issues}`, { path: this.#path, index });
      }
      // Validated field by field above; only the brands (InstrumentId, UnixMillis) are added by the cast.
      out.set(r.data.clientOrderId, r.data as unknown as ExitIntent);
    });
    return out;
  }

  async #write(content: IntentFile): Promise<void> {
    const dir = dirname(this.#path);
    const tmp = `${this.#path}.tmp-${process.pid}-${this.#seq++}`;
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(content, null, 2)}\n`, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.#path);
      await syncDir(dir);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new IntentStoreError('INTENT_STORE_WRITE_FAILED', `cannot write the exit intent file: path=${this.#path}`, { path: this.#path }, { cause: err });
    }
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
