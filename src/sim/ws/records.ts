import { kstHhmmss, kstDateOf, toYyyymmdd } from '../../core/kst.ts';
import { tickSize } from '../../model/tick.ts';
import type { SimInstrument, SimSnapshot, SimTrade } from '../market-source.ts';

/**
 * The twin's real-time record builders: KIS positional layouts (kis-protocol.md §5.6), values as
 * strings joined by `^`. Built independently of the client's decoder so the two check each other.
 */

/** Width of H0STCNT0 records: 46 (2026-05 layout) or 47 (with MARKET_CLS_CODE, from 2026-09-14). */
export type TradeWidth = 46 | 47;
/** Width of H0STCNI0 / H0STCNI9 notices: 23 (old) or 26 (since NXT). */
export type NoticeWidth = 23 | 26;

function sign(change: number): string {
  return change > 0 ? '2' : change < 0 ? '5' : '3';
}

/** Synthetic best ask / bid around a print: the print's tick grid, one tick apart. */
export function syntheticTouch(last: number, kind: SimInstrument['kind']): { ask: number; bid: number } {
  const t = tickSize(last, kind);
  const down = Math.floor(last / t) * t;
  if (down === last) return { ask: last + t, bid: last };
  return { ask: down + t, bid: down }; // a half-tick print sits between bid and ask
}

/**
 * One H0STCNT0 record for a print. `snap` is the instrument's cumulative state including this print.
 * `prevSide` decides the aggressor when the price does not move.
 */
export function tradeRecord(
  inst: SimInstrument,
  trade: SimTrade,
  snap: SimSnapshot,
  opts: { width: TradeWidth; aggressor: 'BUY' | 'SELL'; halted?: boolean; hourClass?: string; extraFields?: number },
): string {
  const base = inst.basePrice;
  const change = trade.price - base;
  const pct = base > 0 ? ((change / base) * 100).toFixed(2) : '0.00';
  const vwap = snap.volume > 0 ? (snap.value / snap.volume).toFixed(2) : String(trade.price);
  const { ask, bid } = syntheticTouch(trade.price, inst.kind);
  const hhmmss = kstHhmmss(trade.ts);
  const date = toYyyymmdd(kstDateOf(trade.ts));
  const f: string[] = [
    inst.id, // 0 MKSC_SHRN_ISCD
    hhmmss, // 1 STCK_CNTG_HOUR
    String(trade.price), // 2 STCK_PRPR
    sign(change), // 3 PRDY_VRSS_SIGN
    String(change), // 4 PRDY_VRSS
    pct, // 5 PRDY_CTRT
    vwap, // 6 WGHN_AVRG_STCK_PRC
    String(snap.open), // 7
    String(snap.high), // 8
    String(snap.low), // 9
    String(ask), // 10 ASKP1
    String(bid), // 11 BIDP1
    String(trade.volume), // 12 CNTG_VOL
    String(snap.volume), // 13 ACML_VOL
    String(snap.value), // 14 ACML_TR_PBMN
    '0', '0', '0', // 15-17 counts (not modelled)
    '100.00', // 18 CTTR
    '0', '0', // 19-20
    opts.aggressor === 'BUY' ? '1' : '5', // 21 CCLD_DVSN
    '0.00', '0.00', // 22-23
    '090000', sign(snap.last - snap.open), String(snap.last - snap.open), // 24-26
    '090000', sign(snap.last - snap.high), String(snap.last - snap.high), // 27-29
    '090000', sign(snap.last - snap.low), String(snap.last - snap.low), // 30-32
    date, // 33 BSOP_DATE
    '20', // 34 NEW_MKOP_CLS_CODE: 2 = 장중, 0 = 보통
    opts.halted ? 'Y' : 'N', // 35 TRHT_YN
    '0', '0', '0', '0', '0.00', '0', '0.00', // 36-42
    opts.hourClass ?? '0', // 43 HOUR_CLS_CODE
    '', // 44 MRKT_TRTM_CLS_CODE
    String(base), // 45 VI_STND_PRC
  ];
  if (opts.width === 47) f.push('2'); // 46 MARKET_CLS_CODE: 2 = 정규
  for (let i = 0; i < (opts.extraFields ?? 0); i++) f.push(`X${i}`);
  return f.join('^');
}

/** One H0STASP0 record (59 fields): a synthetic 10-level book around `last` on the tick grid. */
export function bookRecord(inst: SimInstrument, last: number, ts: number, cumVolume: number): string {
  const { ask, bid } = syntheticTouch(last, inst.kind);
  const asks: number[] = [];
  const bids: number[] = [];
  let a = ask;
  let b = bid;
  for (let i = 0; i < 10; i++) {
    asks.push(a);
    bids.push(b);
    a += tickSize(a, inst.kind);
    b = Math.max(1, b - tickSize(b - 1, inst.kind));
  }
  const qty = (i: number, side: number) => 1_000 + ((i * 7919 + side * 104_729 + Math.floor(last)) % 9_000);
  const askQ = asks.map((_, i) => qty(i, 1));
  const bidQ = bids.map((_, i) => qty(i, 2));
  const f = [
    inst.id,
    kstHhmmss(ts),
    '0',
    ...asks.map(String),
    ...bids.map(String),
    ...askQ.map(String),
    ...bidQ.map(String),
    String(askQ.reduce((x, y) => x + y, 0)),
    String(bidQ.reduce((x, y) => x + y, 0)),
    '0', '0', '0', '0', '0', '0', '0', '0',
    String(cumVolume),
    '0', '0', '0', '0', '0',
  ];
  return f.join('^');
}

/** What the notice stream needs to know about an order event. */
export interface NoticeInput {
  readonly htsId: string;
  /** CANO + ACNT_PRDT_CD, 10 digits. */
  readonly account: string;
  readonly odno: string;
  readonly orgOdno: string;
  readonly branch: string;
  readonly side: 'BUY' | 'SELL';
  readonly action: 'NEW' | 'MODIFY' | 'CANCEL';
  readonly rejected: boolean;
  /** CNTG_YN: 1 acknowledgement, 2 fill. */
  readonly fill: boolean;
  readonly ordDvsn: string;
  readonly code: string;
  readonly name: string;
  readonly ordQty: number;
  readonly ordPrice: number;
  readonly fillQty: number;
  readonly fillPrice: number;
  readonly ts: number;
  readonly acctName?: string;
}

const pad = (n: number, w: number) => String(Math.trunc(n)).padStart(w, '0');

/** One H0STCNI0/H0STCNI9 record (plaintext; encrypt before sending), 23 or 26 fields. */
export function noticeRecord(n: NoticeInput, width: NoticeWidth): string {
  const qty = n.fill ? n.fillQty : n.ordQty;
  const px = n.fill ? n.fillPrice : n.ordPrice;
  const head = [
    n.htsId,
    n.account,
    n.odno,
    n.orgOdno,
    n.side === 'SELL' ? '01' : '02',
    n.action === 'MODIFY' ? '1' : n.action === 'CANCEL' ? '2' : '0',
    n.ordDvsn,
    '0',
    n.code,
    pad(qty, 10),
    pad(px, 9),
    kstHhmmss(n.ts),
    n.rejected ? '1' : '0',
    n.fill ? '2' : '1',
    n.fill ? '2' : n.action === 'CANCEL' ? '3' : '1',
    n.branch,
    pad(n.ordQty, 9),
    n.acctName ?? '모의투자',
  ];
  const tail = width === 26 ? ['', '1', 'N', '', '', '', n.name, pad(n.ordPrice, 9)] : [n.name, '10', '', n.name, pad(n.ordPrice, 9)];
  return [...head, ...tail].join('^');
}
