import { unixMillis } from '../core/brand.ts';
import { InputError } from '../core/errors.ts';
import { parseKisWsFrame, KisWsFrameError } from '../adapters/kis/ws/frames.ts';
import { decodeDataFrame } from '../adapters/kis/ws/decode.ts';
import { TRADE_COLUMNS, BOOK_COLUMNS, NOTICE_COLUMNS_23, NOTICE_COLUMNS_26, MARKET_STATUS_COLUMNS, REALTIME_TRS } from '../adapters/kis/ws/columns.ts';

/** Result of decoding one KIS WebSocket frame for a person (`hantu decode`). */
export interface DecodedFrame {
  readonly kind: 'data' | 'pingpong' | 'control';
  readonly trId?: string;
  readonly encrypted?: boolean;
  readonly count?: number;
  readonly width?: number;
  /** Per record: the named fields (verbatim KIS names), unknown trailing fields as `EXTRA_n`. */
  readonly records?: Record<string, string>[];
  /** Per record: the domain event the daemon would see. */
  readonly events?: unknown[];
  readonly control?: unknown;
}

function columnsFor(trId: string, width: number): readonly string[] {
  const kind = REALTIME_TRS[trId]?.kind;
  if (kind === 'trade') return width >= 47 ? [...TRADE_COLUMNS, 'MARKET_CLS_CODE'] : TRADE_COLUMNS;
  if (kind === 'book') return BOOK_COLUMNS;
  if (kind === 'notice') return width >= 26 ? NOTICE_COLUMNS_26 : NOTICE_COLUMNS_23;
  if (kind === 'status') return MARKET_STATUS_COLUMNS;
  return [];
}

/**
 * Decodes a raw KIS WebSocket frame with the daemon's own parser. `key`/`iv` decrypt `1|…` frames.
 * Throws `InputError` with the parser's reason when the frame is malformed.
 */
export function decodeFrame(raw: string, aes?: { key: string; iv: string }, now = Date.now()): DecodedFrame {
  try {
    const frame = parseKisWsFrame(raw.trim(), () => aes);
    if (frame.kind !== 'data') return { kind: frame.kind, control: frame };
    const cols = columnsFor(frame.trId, frame.width);
    const records = frame.records.map((rec) => {
      const o: Record<string, string> = {};
      rec.forEach((v, i) => {
        o[cols[i] ?? `EXTRA_${i - cols.length + 1}`] = v;
      });
      return o;
    });
    let events: unknown[] = [];
    if (REALTIME_TRS[frame.trId]) events = decodeDataFrame(frame, unixMillis(now), raw);
    return { kind: 'data', trId: frame.trId, encrypted: frame.encrypted, count: frame.count, width: frame.width, records, events };
  } catch (e) {
    if (e instanceof KisWsFrameError) throw new InputError(`malformed frame: ${e.message}`);
    throw e;
  }
}
