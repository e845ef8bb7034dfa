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

function num(rec: readonly string[], i: number, name: string, raw: string): number {
  const s = rec[i] ?? '';
  if (s === '' || s === '(null)') return 0;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new KisWsFrameError(`field ${name} is not a number: "${s}"`, raw);
  return n;
}

function str(rec: readonly string[], i: number): string {
  const s = rec[i] ?? '';
  return s === '(null)' ? '' : s;
}

// Hot path (thousands of records per second): validated codes and KST midnights are cached.
const codeCache = new Map<string, InstrumentId>();
function code(rec: readonly string[], i: number, raw: string): InstrumentId {
  const s = rec[i] ?? '';
  const hit = codeCache.get(s);
  if (hit) return hit;
  try {
    const id = instrumentId(str(rec, i).replace(/^Q(?=[0-9A-Z]{6}$)/, ''));
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
  const venue = REALTIME_TRS[trId]?.venue ?? 'KRX';
  const ccld = str(rec, 21);
  const sessionCode = str(rec, 34);
  const sign = str(rec, 3);
  const change = num(rec, 4, 'PRDY_VRSS', raw);
  return {
    type: 'TradeTick',
    instrumentId: code(rec, 0, raw),
    venue,
    price: num(rec, 2, 'STCK_PRPR', raw),
    size: num(rec, 12, 'CNTG_VOL', raw),
    aggressor: ccld === '1' ? 'BUY' : ccld === '5' ? 'SELL' : 'NONE',
    bestAsk: num(rec, 10, 'ASKP1', raw),
    bestBid: num(rec, 11, 'BIDP1', raw),
    open: num(rec, 7, 'STCK_OPRC', raw),
    high: num(rec, 8, 'STCK_HGPR', raw),
    low: num(rec, 9, 'STCK_LWPR', raw),
    vwap: num(rec, 6, 'WGHN_AVRG_STCK_PRC', raw),
    cumulativeVolume: num(rec, 13, 'ACML_VOL', raw),
    cumulativeValue: num(rec, 14, 'ACML_TR_PBMN', raw),
    // PRDY_VRSS carries its sign already in captured frames; sign codes 4/5 (down) force it negative.
    change: (sign === '4' || sign === '5') && change > 0 ? -change : change,
    session: sessionOf(sessionCode),
    sessionCode,
    hourClass: str(rec, 43),
    halted: str(rec, 35) === 'Y',
    viBasePrice: num(rec, 45, 'VI_STND_PRC', raw),
    tsEvent: time(str(rec, 33), str(rec, 1), tsInit, raw),
    tsInit,
  };
}

/** H0STASP0 / H0NXASP0 / H0UNASP0 record → QuoteBook. */
export function decodeBook(trId: string, rec: readonly string[], tsInit: UnixMillis, raw = ''): QuoteBook {
  const asks: BookLevel[] = [];
  const bids: BookLevel[] = [];
  for (let i = 0; i < 10; i++) {
    asks.push({ price: num(rec, 3 + i, `ASKP${i + 1}`, raw), quantity: num(rec, 23 + i, `ASKP_RSQN${i + 1}`, raw) });
    bids.push({ price: num(rec, 13 + i, `BIDP${i + 1}`, raw), quantity: num(rec, 33 + i, `BIDP_RSQN${i + 1}`, raw) });
  }
  return {
    type: 'QuoteBook',
    instrumentId: code(rec, 0, raw),
    venue: REALTIME_TRS[trId]?.venue ?? 'KRX',
    asks,
    bids,
    totalAskQuantity: num(rec, 43, 'TOTAL_ASKP_RSQN', raw),
    totalBidQuantity: num(rec, 44, 'TOTAL_BIDP_RSQN', raw),
    expectedPrice: num(rec, 47, 'ANTC_CNPR', raw),
    hourClass: str(rec, 2),
    tsEvent: time('', str(rec, 1), tsInit, raw),
    tsInit,
  };
}

/** H0STMKO0 / H0NXMKO0 / H0UNMKO0 record → MarketStatusUpdate. */
export function decodeMarketStatus(trId: string, rec: readonly string[], tsInit: UnixMillis, raw = ''): MarketStatusUpdate {
  const statusCode = str(rec, 7);
  return {
    type: 'MarketStatusUpdate',
    instrumentId: code(rec, 0, raw),
    venue: REALTIME_TRS[trId]?.venue ?? 'KRX',
    halted: str(rec, 1) === 'Y' || statusCode === '58',
    haltReason: str(rec, 2),
    operationCode: str(rec, 3),
    expectedOperationCode: str(rec, 4),
    viActive: str(rec, 8) === 'Y',
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
  const width = rec.length;
  const cntgYn = str(rec, 13);
  if (cntgYn !== '1' && cntgYn !== '2') throw new KisWsFrameError(`CNTG_YN must be 1 or 2, was "${cntgYn}"`, raw);
  const sideCode = str(rec, 4);
  if (sideCode !== '01' && sideCode !== '02') throw new KisWsFrameError(`SELN_BYOV_CLS must be 01 or 02, was "${sideCode}"`, raw);
  const rctf = str(rec, 5);
  const action = rctf === '1' ? 'MODIFY' : rctf === '2' ? 'CANCEL' : rctf === '0' || rctf === '' ? 'NEW' : undefined;
  if (!action) throw new KisWsFrameError(`RCTF_CLS must be 0, 1 or 2, was "${rctf}"`, raw);
  const isFill = cntgYn === '2';
  const layout26 = width >= 26;
  const orderPriceIdx = layout26 ? 25 : 22;
  const qtyField = num(rec, 9, 'CNTG_QTY', raw);
  const priceField = num(rec, 10, 'CNTG_UNPR', raw);
  const orderPrice = num(rec, orderPriceIdx, 'ODER_PRC', raw);
  return {
    type: 'ExecutionNotice',
    kind: isFill ? 'FILLED' : 'ACKNOWLEDGED',
    account: str(rec, 1),
    venueOrderId: str(rec, 2),
    originalVenueOrderId: str(rec, 3),
    branch: str(rec, 15),
    side: sideCode === '01' ? 'SELL' : 'BUY',
    action,
    rejected: str(rec, 12) === '1',
    acceptanceCode: str(rec, 14),
    instrumentId: code(rec, 8, raw),
    name: str(rec, layout26 ? 24 : 21) || str(rec, 18),
    quantity: isFill ? num(rec, 16, 'ODER_QTY', raw) : qtyField || num(rec, 16, 'ODER_QTY', raw),
    price: orderPrice || (isFill ? 0 : priceField),
    fillQuantity: isFill ? qtyField : 0,
    fillPrice: isFill ? priceField : 0,
    orderKindCode: str(rec, 6),
    tsEvent: time('', str(rec, 11), tsInit, raw),
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
  return frame.records.map((rec) => {
    switch (spec.kind) {
      case 'trade':
        return decodeTrade(frame.trId, rec, tsInit, raw);
      case 'book':
        return decodeBook(frame.trId, rec, tsInit, raw);
      case 'status':
        return decodeMarketStatus(frame.trId, rec, tsInit, raw);
      case 'notice':
        return decodeNotice(rec, tsInit, raw);
    }
  });
}
