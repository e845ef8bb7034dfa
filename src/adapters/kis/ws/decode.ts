import { unixMillis, type UnixMillis } from '../../../core/brand.ts';
import { fromYyyymmdd, kstDateOf, parseKstHhmmss, toYyyymmdd } from '../../../core/kst.ts';
import { instrumentId, type InstrumentId } from '../../../model/instrument.ts';
import type {
  BookLevel,
  ExecutionNotice,
  MarketStatusUpdate,
  QuoteBook,
  SessionPhase,
  TradeTick,
} from '../../../model/market-data.ts';
import { REALTIME_TRS } from './columns.ts';
import { KisWsFrameError, type KisWsDataFrame } from './frames.ts';

/**
 * Decoding of real-time records into domain events (kis-protocol.md §5.6). Column positions are the
 * documented ones; trailing fields beyond the documented layout are ignored here (the frame parser
 * already accepted them). A field that must be numeric and is not → `KisWsFrameError`.
 */

/**
 * One record's fields, read in place: field i of the record is field `base + i` of `payload`, which
 * spans `starts[base + i]` up to (excluding) `starts[base + i + 1] - 1` (the layout of
 * `KisWsDataFrame.payload`/`starts`). Fields at or beyond `width` read as ''.
 */
class Fields {
  constructor(
    readonly payload: string,
    readonly starts: readonly number[],
    readonly base: number,
    readonly width: number,
  ) {}

  /** Field i as sent ('' beyond the record). */
  raw(i: number): string {
    if (i >= this.width) return '';
    const k = this.base + i;
    return this.payload.slice(this.starts[k]!, this.starts[k + 1]! - 1);
  }

  /** Whether field i is exactly the one character with code `c` (no substring made). */
  is(i: number, c: number): boolean {
    if (i >= this.width) return false;
    const k = this.base + i;
    const at = this.starts[k]!;
    return this.starts[k + 1]! - 1 - at === 1 && this.payload.charCodeAt(at) === c;
  }

  /** Field i as YYYYMMDD → the number yyyymmdd, or -1 unless it is exactly 8 ASCII digits. */
  yyyymmdd(i: number): number {
    if (i >= this.width) return -1;
    const k = this.base + i;
    let at = this.starts[k]!;
    if (this.starts[k + 1]! - 1 - at !== 8) return -1;
    let n = 0;
    for (const end = at + 8; at < end; at++) {
      const d = this.payload.charCodeAt(at) - 48;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** Field i as HHMMSS (as `time` accepts it: 6 digits, MM and SS ≤ 59) → seconds since 00:00:00, else -1. */
  hhmmss(i: number): number {
    if (i >= this.width) return -1;
    const k = this.base + i;
    const at = this.starts[k]!;
    if (this.starts[k + 1]! - 1 - at !== 6) return -1;
    const p = this.payload;
    const h = digits2(p, at);
    const mi = digits2(p, at + 2);
    const se = digits2(p, at + 4);
    return h < 0 || mi < 0 || mi > 59 || se < 0 || se > 59 ? -1 : h * 3600 + mi * 60 + se;
  }

  /** Field i, with KIS's literal '(null)' read as ''. */
  str(i: number): string {
    const s = this.raw(i);
    return s === '(null)' ? '' : s;
  }

  /**
   * Field i as a number: '' and '(null)' → 0, otherwise `Number(field)`, which must be finite.
   * Plain `-?digits[.digits]` fields of at most 15 digits are parsed from the char codes without a
   * substring: the digits form an exact integer m < 2^53 and `m / 10^d` (d ≤ 15 fraction digits, 10^d
   * exact) is one correctly rounded division, i.e. the same double `Number()` returns. Anything else
   * (longer, exponent, sign '+', spaces, hex, …) goes through `Number()`.
   */
  num(i: number, name: string, frameRaw: string): number {
    if (i < this.width) {
      const k = this.base + i;
      const p = this.payload;
      let at = this.starts[k]!;
      const end = this.starts[k + 1]! - 1;
      if (at === end) return 0;
      const neg = p.charCodeAt(at) === 45; /* - */
      if (neg) at++;
      const from = at;
      let m = 0;
      for (; at < end; at++) {
        const d = p.charCodeAt(at) - 48;
        if (d < 0 || d > 9) break;
        m = m * 10 + d;
      }
      const intDigits = at - from;
      let fracDigits = 0;
      if (at < end && intDigits > 0 && p.charCodeAt(at) === 46 /* . */) {
        const dot = ++at;
        for (; at < end; at++) {
          const d = p.charCodeAt(at) - 48;
          if (d < 0 || d > 9) break;
          m = m * 10 + d;
        }
        fracDigits = at - dot;
        if (fracDigits === 0) at = -1; // "5." → Number()
      }
      if (at === end && intDigits > 0 && intDigits + fracDigits <= 15) {
        const v = fracDigits > 0 ? m / POW10[fracDigits]! : m;
        return neg ? -v : v;
      }
    }
    const s = this.raw(i);
    if (s === '' || s === '(null)') return 0;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new KisWsFrameError(`field ${name} is not a number: "${s}"`, frameRaw);
    return n;
  }
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** A record given as an array of fields, in the `Fields` layout (fields may contain '^'). */
function fieldsOf(rec: readonly string[]): Fields {
  const starts: number[] = [0];
  let at = 0;
  for (let i = 0; i < rec.length; i++) starts.push((at += (rec[i] ?? '').length + 1));
  return new Fields(rec.join('^'), starts, 0, rec.length);
}

// Hot path (thousands of records per second): validated codes and KST midnights are cached.
const codeCache = new Map<string, InstrumentId>();
function code(rec: Fields, i: number, raw: string): InstrumentId {
  const s = rec.raw(i);
  const hit = codeCache.get(s);
  if (hit) return hit;
  try {
    const id = instrumentId((s === '(null)' ? '' : s).replace(/^Q(?=[0-9A-Z]{6}$)/, ''));
    if (codeCache.size < 10_000) codeCache.set(s, id);
    return id;
  } catch {
    throw new KisWsFrameError(`bad stock code "${s}"`, raw);
  }
}

const midnightCache = new Map<string, number>();
function kstMidnight(yyyymmdd: string): number {
  let m = midnightCache.get(yyyymmdd);
  if (m === undefined) {
    m = parseKstHhmmss(fromYyyymmdd(yyyymmdd), '000000');
    if (midnightCache.size > 1_000) midnightCache.clear();
    midnightCache.set(yyyymmdd, m);
  }
  return m;
}

function digits2(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function time(dateField: string, hhmmss: string, tsInit: UnixMillis, raw: string): UnixMillis {
  try {
    const day = dateField.length === 8 && (midnightCache.has(dateField) || /^\d{8}$/.test(dateField)) ? dateField : toYyyymmdd(kstDateOf(tsInit));
    const h = hhmmss.length === 6 ? digits2(hhmmss, 0) : -1;
    const mi = digits2(hhmmss, 2);
    const se = digits2(hhmmss, 4);
    if (h < 0 || mi < 0 || mi > 59 || se < 0 || se > 59) throw new RangeError(`time must be HHMMSS, was "${hhmmss}"`);
    return unixMillis(kstMidnight(day) + (h * 3600 + mi * 60 + se) * 1000);
  } catch (e) {
    throw new KisWsFrameError(`bad time: ${(e as Error).message}`, raw);
  }
}

// The KST midnight of the last date field seen (yyyymmdd as a number; -1 = none): one trading day at a time.
let lastDay = -1;
let lastMidnight = 0;

/**
 * `time(field dateIdx, field timeIdx)` (dateIdx -1: no date field, tsInit's KST day) without substrings when
 * the date field is the same valid YYYYMMDD as last time and the time field is valid; anything else goes
 * through `time`, which also gives the errors.
 */
function timeOf(rec: Fields, dateIdx: number, timeIdx: number, tsInit: UnixMillis, raw: string): UnixMillis {
  const day = dateIdx >= 0 ? rec.yyyymmdd(dateIdx) : -1;
  const seconds = rec.hhmmss(timeIdx);
  if (day >= 0 && day === lastDay && seconds >= 0) return unixMillis(lastMidnight + seconds * 1000);
  const t = time(dateIdx >= 0 ? rec.str(dateIdx) : '', rec.str(timeIdx), tsInit, raw);
  if (day >= 0 && seconds >= 0) {
    lastDay = day;
    lastMidnight = t - seconds * 1000;
  }
  return t;
}

/** Session phase from NEW_MKOP_CLS_CODE's first character (kis-protocol.md §5.6). */
export function sessionOf(code: string): SessionPhase {
  switch (code.charAt(0)) {
    case '1':
      return 'PRE_OPEN';
    case '2':
      return 'REGULAR';
    case '3':
      return 'AFTER_HOURS';
    case '4':
      return 'EXTENDED';
    default:
      return 'UNKNOWN';
  }
}

/** H0STCNT0 / H0NXCNT0 / H0UNCNT0 record → TradeTick. */
export function decodeTrade(trId: string, rec: readonly string[], tsInit: UnixMillis, raw = ''): TradeTick {
  return tradeOf(trId, fieldsOf(rec), tsInit, raw);
}

function tradeOf(trId: string, rec: Fields, tsInit: UnixMillis, raw: string): TradeTick {
  const venue = REALTIME_TRS[trId]?.venue ?? 'KRX';
  const sessionCode = rec.str(34);
  const change = rec.num(4, 'PRDY_VRSS', raw);
  return {
    type: 'TradeTick',
    instrumentId: code(rec, 0, raw),
    venue,
    price: rec.num(2, 'STCK_PRPR', raw),
    size: rec.num(12, 'CNTG_VOL', raw),
    aggressor: rec.is(21, 49 /* 1 */) ? 'BUY' : rec.is(21, 53 /* 5 */) ? 'SELL' : 'NONE',
    bestAsk: rec.num(10, 'ASKP1', raw),
    bestBid: rec.num(11, 'BIDP1', raw),
    open: rec.num(7, 'STCK_OPRC', raw),
    high: rec.num(8, 'STCK_HGPR', raw),
    low: rec.num(9, 'STCK_LWPR', raw),
    vwap: rec.num(6, 'WGHN_AVRG_STCK_PRC', raw),
    cumulativeVolume: rec.num(13, 'ACML_VOL', raw),
    cumulativeValue: rec.num(14, 'ACML_TR_PBMN', raw),
    // PRDY_VRSS carries its sign already in captured frames; sign codes 4/5 (down) force it negative.
    change: (rec.is(3, 52 /* 4 */) || rec.is(3, 53 /* 5 */)) && change > 0 ? -change : change,
    session: sessionOf(sessionCode),
    sessionCode,
    hourClass: rec.str(43),
    halted: rec.is(35, 89 /* Y */),
    viBasePrice: rec.num(45, 'VI_STND_PRC', raw),
    tsEvent: timeOf(rec, 33, 1, tsInit, raw),
    tsInit,
  };
}

/** H0STASP0 / H0NXASP0 / H0UNASP0 record → QuoteBook. */
export function decodeBook(trId: string, rec: readonly string[], tsInit: UnixMillis, raw = ''): QuoteBook {
  return bookOf(trId, fieldsOf(rec), tsInit, raw);
}

function bookOf(trId: string, rec: Fields, tsInit: UnixMillis, raw: string): QuoteBook {
  const asks: BookLevel[] = [];
  const bids: BookLevel[] = [];
  for (let i = 0; i < 10; i++) {
    asks.push({ price: rec.num(3 + i, `ASKP${i + 1}`, raw), quantity: rec.num(23 + i, `ASKP_RSQN${i + 1}`, raw) });
    bids.push({ price: rec.num(13 + i, `BIDP${i + 1}`, raw), quantity: rec.num(33 + i, `BIDP_RSQN${i + 1}`, raw) });
  }
  return {
    type: 'QuoteBook',
    instrumentId: code(rec, 0, raw),
    venue: REALTIME_TRS[trId]?.venue ?? 'KRX',
    asks,
    bids,
    totalAskQuantity: rec.num(43, 'TOTAL_ASKP_RSQN', raw),
    totalBidQuantity: rec.num(44, 'TOTAL_BIDP_RSQN', raw),
    expectedPrice: rec.num(47, 'ANTC_CNPR', raw),
    hourClass: rec.str(2),
    tsEvent: timeOf(rec, -1, 1, tsInit, raw),
    tsInit,
  };
}

/** H0STMKO0 / H0NXMKO0 / H0UNMKO0 record → MarketStatusUpdate. */
export function decodeMarketStatus(trId: string, rec: readonly string[], tsInit: UnixMillis, raw = ''): MarketStatusUpdate {
  return marketStatusOf(trId, fieldsOf(rec), tsInit, raw);
}

function marketStatusOf(trId: string, rec: Fields, tsInit: UnixMillis, raw: string): MarketStatusUpdate {
  const statusCode = rec.str(7);
  return {
    type: 'MarketStatusUpdate',
    instrumentId: code(rec, 0, raw),
    venue: REALTIME_TRS[trId]?.venue ?? 'KRX',
    halted: rec.str(1) === 'Y' || statusCode === '58',
    haltReason: rec.str(2),
    operationCode: rec.str(3),
    expectedOperationCode: rec.str(4),
    viActive: rec.str(8) === 'Y',
    statusCode,
    tsInit,
  };
}

/**
 * H0STCNI0 / H0STCNI9 record (23 or 26 fields, or wider) → ExecutionNotice. The order price is
 * ODER_PRC (last documented column of either layout); for acknowledgements CNTG_QTY/CNTG_UNPR carry
 * the order quantity/price (kis-protocol.md §5.6).
 */
export function decodeNotice(rec: readonly string[], tsInit: UnixMillis, raw = ''): ExecutionNotice {
  return noticeOf(fieldsOf(rec), tsInit, raw);
}

function noticeOf(rec: Fields, tsInit: UnixMillis, raw: string): ExecutionNotice {
  const width = rec.width;
  const cntgYn = rec.str(13);
  if (cntgYn !== '1' && cntgYn !== '2') throw new KisWsFrameError(`CNTG_YN must be 1 or 2, was "${cntgYn}"`, raw);
  const sideCode = rec.str(4);
  if (sideCode !== '01' && sideCode !== '02') throw new KisWsFrameError(`SELN_BYOV_CLS must be 01 or 02, was "${sideCode}"`, raw);
  const rctf = rec.str(5);
  const action = rctf === '1' ? 'MODIFY' : rctf === '2' ? 'CANCEL' : rctf === '0' || rctf === '' ? 'NEW' : undefined;
  if (!action) throw new KisWsFrameError(`RCTF_CLS must be 0, 1 or 2, was "${rctf}"`, raw);
  const isFill = cntgYn === '2';
  const layout26 = width >= 26;
  const orderPriceIdx = layout26 ? 25 : 22;
  const qtyField = rec.num(9, 'CNTG_QTY', raw);
  const priceField = rec.num(10, 'CNTG_UNPR', raw);
  const orderPrice = rec.num(orderPriceIdx, 'ODER_PRC', raw);
  return {
    type: 'ExecutionNotice',
    kind: isFill ? 'FILLED' : 'ACKNOWLEDGED',
    account: rec.str(1),
    venueOrderId: rec.str(2),
    originalVenueOrderId: rec.str(3),
    branch: rec.str(15),
    side: sideCode === '01' ? 'SELL' : 'BUY',
    action,
    rejected: rec.str(12) === '1',
    acceptanceCode: rec.str(14),
    instrumentId: code(rec, 8, raw),
    name: rec.str(layout26 ? 24 : 21) || rec.str(18),
    quantity: isFill ? rec.num(16, 'ODER_QTY', raw) : qtyField || rec.num(16, 'ODER_QTY', raw),
    price: orderPrice || (isFill ? 0 : priceField),
    fillQuantity: isFill ? qtyField : 0,
    fillPrice: isFill ? priceField : 0,
    orderKindCode: rec.str(6),
    tsEvent: timeOf(rec, -1, 11, tsInit, raw),
    tsInit,
  };
}

/** Decodes every record of a data frame into domain events (unknown TR ids → error). */
export function decodeDataFrame(
  frame: KisWsDataFrame,
  tsInit: UnixMillis,
  raw = '',
): (TradeTick | QuoteBook | MarketStatusUpdate | ExecutionNotice)[] {
  const spec = REALTIME_TRS[frame.trId];
  if (!spec) throw new KisWsFrameError(`unknown real-time TR id ${frame.trId}`, raw);
  const { trId, payload, starts, count, width } = frame;
  const events: (TradeTick | QuoteBook | MarketStatusUpdate | ExecutionNotice)[] = [];
  for (let r = 0; r < count; r++) {
    const rec = new Fields(payload, starts, r * width, width);
    switch (spec.kind) {
      case 'trade':
        events.push(tradeOf(trId, rec, tsInit, raw));
        break;
      case 'book':
        events.push(bookOf(trId, rec, tsInit, raw));
        break;
      case 'status':
        events.push(marketStatusOf(trId, rec, tsInit, raw));
        break;
      case 'notice':
        events.push(noticeOf(rec, tsInit, raw));
        break;
    }
  }
  return events;
}
