import { createDecipheriv } from 'node:crypto';
import { AppError } from '../../../core/errors.ts';
import { REALTIME_TRS } from './columns.ts';

/**
 * KIS WebSocket frame parsing (kis-protocol.md §5.3–§5.5). A text frame is either
 * - real-time data `<enc>|<TR_ID>|<NNN>|<f1>^<f2>^…` (enc 0 plain, 1 AES-256-CBC base64), records packed
 *   back to back and split by `fields / count`, or
 * - JSON: PINGPONG, subscribe/unsubscribe acks and errors.
 */

/** A frame that cannot be parsed. Logged with its raw text and skipped by the client; never fatal. */
export class KisWsFrameError extends AppError {
  readonly code = 'KIS_WS_FRAME_MALFORMED';
  readonly disposition = 'retryable' as const;
  constructor(message: string, readonly raw: string) {
    super(message, { raw: raw.length > 300 ? `${raw.slice(0, 300)}…` : raw });
  }
}

/**
 * Real-time data: `records[i]` are the fields of record i; `width` = fields per record.
 * The fields are not split up front: `payload` is the (decrypted) `f1^f2^…` text and `starts[k]` the
 * UTF-16 offset in `payload` where field k (0-based, all records back to back) begins, plus one sentinel
 * `payload.length + 1`, so field k is `payload.slice(starts[k], starts[k + 1] - 1)` and there are
 * `starts.length - 1 = count * width` fields. `records` is built from these on first access (and cached).
 * (It is a getter: `JSON.stringify` still includes it through `toJSON`, but an object spread does not.)
 */
export interface KisWsDataFrame {
  readonly kind: 'data';
  readonly encrypted: boolean;
  readonly trId: string;
  readonly count: number;
  readonly width: number;
  readonly records: readonly (readonly string[])[];
  readonly payload: string;
  readonly starts: readonly number[];
}

/** PINGPONG keep-alive; the client echoes `raw` back as a text frame. */
export interface KisWsPingPong {
  readonly kind: 'pingpong';
  readonly raw: string;
  readonly datetime: string;
}

/** Subscribe / unsubscribe acknowledgement or error (JSON). `key`/`iv` are the per-TR AES parameters. */
export interface KisWsControl {
  readonly kind: 'control';
  readonly trId: string;
  readonly trKey: string;
  readonly encrypt: boolean;
  readonly rtCd: string;
  readonly msgCd: string;
  readonly msg1: string;
  readonly key?: string;
  readonly iv?: string;
}

export type KisWsFrame = KisWsDataFrame | KisWsPingPong | KisWsControl;

/** AES parameters of a TR (from its subscribe ack). key: 32 ASCII chars, iv: 16. */
export interface KisAesKey {
  readonly key: string;
  readonly iv: string;
}

/**
 * Decrypts an execution-notice payload: AES-256-CBC, key/iv as UTF-8 bytes, PKCS#7 padding, base64 in,
 * UTF-8 out (kis-protocol.md §5.5). Throws `KisWsFrameError` on a bad key or ciphertext.
 */
export function decryptPayload(base64: string, aes: KisAesKey): string {
  try {
    const d = createDecipheriv('aes-256-cbc', Buffer.from(aes.key, 'utf8'), Buffer.from(aes.iv, 'utf8'));
    return Buffer.concat([d.update(Buffer.from(base64, 'base64')), d.final()]).toString('utf8');
  } catch (e) {
    throw new KisWsFrameError(`cannot decrypt payload: ${(e as Error).message}`, base64);
  }
}

function parseJsonFrame(raw: string): KisWsFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw new KisWsFrameError('frame is neither real-time data nor JSON', raw);
  }
  if (typeof msg !== 'object' || msg === null) throw new KisWsFrameError('JSON frame is not an object', raw);
  const header = (msg as { header?: Record<string, unknown> }).header;
  if (typeof header !== 'object' || header === null) throw new KisWsFrameError('JSON frame has no header', raw);
  const trId = String(header['tr_id'] ?? '');
  if (trId === 'PINGPONG') return { kind: 'pingpong', raw, datetime: String(header['datetime'] ?? '') };
  const body = (msg as { body?: Record<string, unknown> }).body ?? {};
  const output = (body['output'] ?? {}) as Record<string, unknown>;
  const key = typeof output['key'] === 'string' ? output['key'] : undefined;
  const iv = typeof output['iv'] === 'string' ? output['iv'] : undefined;
  return {
    kind: 'control',
    trId,
    trKey: String(header['tr_key'] ?? ''),
    encrypt: String(header['encrypt'] ?? 'N').toUpperCase() === 'Y',
    rtCd: String(body['rt_cd'] ?? ''),
    msgCd: String(body['msg_cd'] ?? ''),
    msg1: String(body['msg1'] ?? ''),
    ...(key !== undefined ? { key } : {}),
    ...(iv !== undefined ? { iv } : {}),
  };
}

/**
 * The known TR ids, each mapped to itself: a frame's TR id is replaced by the equal constant string so
 * that the `REALTIME_TRS[trId]` look-ups downstream (here and in decode.ts) use an interned key.
 */
const KNOWN_TR_IDS = new Map(Object.keys(REALTIME_TRS).map((id) => [id, id]));

const encoder = new TextEncoder();
let scratch = new Uint8Array(2048);

/**
 * Offsets where each '^'-separated field of `payload` begins, plus the sentinel `payload.length + 1`
 * (the `KisWsDataFrame.starts` layout). An all-ASCII payload (trade and book frames in practice) of up
 * to 1 MiB is copied into a reused byte buffer and scanned there (one byte per UTF-16 unit, so the
 * offsets are the same); otherwise `indexOf` finds the separators.
 */
function fieldStarts(payload: string): number[] {
  const n = payload.length;
  const starts: number[] = [0];
  if (n > scratch.length && n <= 1 << 20) scratch = new Uint8Array(n);
  const { read, written } = encoder.encodeInto(payload, scratch);
  if (read === n && written === n) {
    const bytes = scratch;
    for (let at = 0; at < n; at++) if (bytes[at] === 94 /* ^ */) starts.push(at + 1);
  } else {
    for (let at = payload.indexOf('^'); at >= 0; at = payload.indexOf('^', at + 1)) starts.push(at + 1);
  }
  starts.push(n + 1);
  return starts;
}

function threeDigits(s: string): number {
  if (s.length !== 3) return -1;
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses one text frame. `keyOf(trId)` supplies the AES key for encrypted frames (undefined → the
 * frame is rejected: frames that arrive before their key are dropped, kis-protocol.md §5.5).
 * Throws `KisWsFrameError` for anything malformed: bad header, record count that does not divide the
 * fields evenly, records narrower than the TR's known layout, undecryptable payload.
 */
export function parseKisWsFrame(raw: string, keyOf: (trId: string) => KisAesKey | undefined = () => undefined): KisWsFrame {
  const first = raw.charCodeAt(0);
  if (first !== 48 /* 0 */ && first !== 49 /* 1 */) return parseJsonFrame(raw);
  // Split on the first three '|' only: the payload may in principle contain '|'.
  const p1 = raw.indexOf('|');
  const p2 = p1 < 0 ? -1 : raw.indexOf('|', p1 + 1);
  const p3 = p2 < 0 ? -1 : raw.indexOf('|', p2 + 1);
  if (p1 !== 1 || p2 < 0 || p3 < 0) throw new KisWsFrameError('data frame header must be enc|TR_ID|NNN|payload', raw);
  const encrypted = first === 49;
  const sent = raw.slice(p1 + 1, p2);
  const known = KNOWN_TR_IDS.get(sent);
  const trId = known ?? sent;
  const countText = raw.slice(p2 + 1, p3);
  if (!known && !/^[A-Z0-9]{4,16}$/.test(trId)) throw new KisWsFrameError(`bad TR id "${trId}"`, raw);
  const count = threeDigits(countText);
  if (count < 0) throw new KisWsFrameError(`bad record count "${countText}"`, raw);
  if (count < 1) throw new KisWsFrameError('record count is zero', raw);
  let payload = raw.slice(p3 + 1);
  if (encrypted) {
    const aes = keyOf(trId);
    if (!aes) throw new KisWsFrameError(`encrypted ${trId} frame arrived before its key`, raw);
    payload = decryptPayload(payload, aes);
  }
  // Field boundaries only (no substrings): the decoders read the fields they need straight from `payload`.
  const starts = fieldStarts(payload);
  const fieldCount = starts.length - 1;
  if (fieldCount % count !== 0) {
    throw new KisWsFrameError(`${trId}: ${fieldCount} fields do not divide into ${count} records`, raw);
  }
  const width = fieldCount / count;
  const minWidth = REALTIME_TRS[trId]?.minWidth ?? 1;
  if (width < minWidth) throw new KisWsFrameError(`${trId}: records of ${width} fields, layout needs at least ${minWidth}`, raw);
  return new DataFrame(encrypted, trId, count, width, payload, starts);
}

/** The fields of each record as strings (`count` records of `width` fields; see `KisWsDataFrame.starts`). */
function splitRecords(payload: string, starts: readonly number[], count: number, width: number): string[][] {
  const records: string[][] = [];
  for (let r = 0, k = 0; r < count; r++) {
    const rec: string[] = [];
    for (let i = 0; i < width; i++, k++) rec.push(payload.slice(starts[k]!, starts[k + 1]! - 1));
    records.push(rec);
  }
  return records;
}

/** `KisWsDataFrame` as returned by `parseKisWsFrame`: `records` is split from `payload` lazily. */
class DataFrame implements KisWsDataFrame {
  readonly kind = 'data' as const;
  #records: string[][] | undefined;
  constructor(
    readonly encrypted: boolean,
    readonly trId: string,
    readonly count: number,
    readonly width: number,
    readonly payload: string,
    readonly starts: readonly number[],
  ) {}

  get records(): string[][] {
    return (this.#records ??= splitRecords(this.payload, this.starts, this.count, this.width));
  }

  toJSON(): Omit<KisWsDataFrame, 'payload' | 'starts'> {
    return { kind: this.kind, encrypted: this.encrypted, trId: this.trId, count: this.count, width: this.width, records: this.records };
  }
}
