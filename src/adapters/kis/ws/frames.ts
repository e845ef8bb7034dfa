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

/** Real-time data: `records[i]` are the fields of record i; `width` = fields per record. */
export interface KisWsDataFrame {
  readonly kind: 'data';
  readonly encrypted: boolean;
  readonly trId: string;
  readonly count: number;
  readonly width: number;
  readonly records: readonly (readonly string[])[];
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
  const trId = raw.slice(p1 + 1, p2);
  const countText = raw.slice(p2 + 1, p3);
  if (!REALTIME_TRS[trId] && !/^[A-Z0-9]{4,16}$/.test(trId)) throw new KisWsFrameError(`bad TR id "${trId}"`, raw);
  const count = threeDigits(countText);
  if (count < 0) throw new KisWsFrameError(`bad record count "${countText}"`, raw);
  if (count < 1) throw new KisWsFrameError('record count is zero', raw);
  let payload = raw.slice(p3 + 1);
  if (encrypted) {
    const aes = keyOf(trId);
    if (!aes) throw new KisWsFrameError(`encrypted ${trId} frame arrived before its key`, raw);
    payload = decryptPayload(payload, aes);
  }
  const fields = payload.split('^');
  if (fields.length % count !== 0) {
    throw new KisWsFrameError(`${trId}: ${fields.length} fields do not divide into ${count} records`, raw);
  }
  const width = fields.length / count;
  const minWidth = REALTIME_TRS[trId]?.minWidth ?? 1;
  if (width < minWidth) throw new KisWsFrameError(`${trId}: records of ${width} fields, layout needs at least ${minWidth}`, raw);
  const records: string[][] = count === 1 ? [fields] : [];
  for (let i = 0; count > 1 && i < count; i++) records.push(fields.slice(i * width, (i + 1) * width));
  return { kind: 'data', encrypted, trId, count, width, records };
}
