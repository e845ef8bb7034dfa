import type { UnixMillis } from '../../../core/brand.ts';
import { fromYyyymmdd, kstInstant, parseKstHhmmss, type KstDate } from '../../../core/kst.ts';
import { isInstrumentId, type InstrumentId } from '../../../model/instrument.ts';
import { krw, quantity, type Krw, type Quantity } from '../../../model/money.ts';
import type { OrderSide, OrderType, Venue } from '../../../model/order-types.ts';
import type {
  AccountBalanceReport,
  BarReport,
  BuyingPowerReport,
  CashReport,
  HolidayReport,
  OrderAck,
  OrderBookReport,
  OrderStatusReport,
  PositionStatusReport,
  QuoteReport,
} from '../../../model/reports.ts';
import { KisError, type CallKind } from '../common/errors.ts';
import { toDec, toInt } from '../common/parse.ts';
import type {
  AskingPriceResponse,
  BalanceResponse,
  DailyBarRow,
  DailyCcldRow,
  HolidayRow,
  InquirePriceResponse,
  MinuteBarRow,
  OrderResponse,
  PsblOrderResponse,
  PsblRvsecnclRow,
} from './schemas.ts';

/**
 * Venue payloads (validated, lower-cased) → domain reports (`model/reports.ts`). Pure functions.
 * Enum hardening (style-anchors §4.4): order side and venue are strict — an unmodelled value is
 * `KIS_PAYLOAD_INVALID`; the order kind falls back to `OTHER` with the verbatim code kept.
 */

function bad(endpoint: string, detail: string, kind: CallKind = 'query'): KisError {
  return new KisError({
    code: 'KIS_PAYLOAD_INVALID',
    disposition: kind === 'query' ? 'fatal' : 'outcome-unknown',
    kind,
    endpoint,
    detail: `unexpected payload: ${detail}`,
  });
}

/** `005930` → id; ETN wire codes `Q500001` drop the `Q` (DESIGN.md §4). */
export function instrumentOf(pdno: string, endpoint: string, field = 'pdno'): InstrumentId {
  const c = pdno.trim().toUpperCase();
  const code = /^Q[0-9A-Z]{6}$/.test(c) ? c.slice(1) : c;
  if (!isInstrumentId(code)) throw bad(endpoint, `${field}: not a 6-character stock code`);
  return code as InstrumentId;
}

const int = (s: string): number => toInt(s);
const won = (s: string, endpoint: string, field: string): Krw => {
  try {
    return krw(toInt(s));
  } catch {
    throw bad(endpoint, `${field}: not a whole number of won`);
  }
};
const qty = (s: string, endpoint: string, field: string): Quantity => {
  try {
    return quantity(toInt(s));
  } catch {
    throw bad(endpoint, `${field}: not a share count >= 0`);
  }
};

function dateOf(yyyymmdd: string, endpoint: string, field: string): KstDate {
  try {
    return fromYyyymmdd(yyyymmdd);
  } catch {
    throw bad(endpoint, `${field}: not a date`);
  }
}
function instantOf(date: KstDate, hhmmss: string, endpoint: string, field: string): UnixMillis {
  try {
    return parseKstHhmmss(date, hhmmss);
  } catch {
    throw bad(endpoint, `${field}: not a time`);
  }
}

/** sll_buy_dvsn_cd: 01 sell, 02 buy (§3.10). Strict. */
export function sideOf(code: string, endpoint: string): OrderSide {
  if (code === '01') return 'SELL';
  if (code === '02') return 'BUY';
  throw bad(endpoint, `sll_buy_dvsn_cd: unknown side code "${code}"`);
}

/** ORD_DVSN 00 → LIMIT, 01 → MARKET, anything else OTHER (code kept). */
export function orderTypeOf(code: string): OrderType | 'OTHER' {
  return code === '00' ? 'LIMIT' : code === '01' ? 'MARKET' : 'OTHER';
}

/** excg_id_dvsn_cd: KRX/NXT/SOR; absent or blank (older layouts) → KRX. Strict otherwise. */
export function venueOf(code: string | undefined, endpoint: string): Venue {
  const c = (code ?? '').trim().toUpperCase();
  if (c === '') return 'KRX';
  if (c === 'KRX' || c === 'NXT' || c === 'SOR') return c;
  throw bad(endpoint, `excg_id_dvsn_cd: unknown venue "${c}"`);
}

/** inquire-price `output` → QuoteReport (§3.1). `name` is '' when KIS omits `hts_kor_isnm` (it usually does). */
export function mapQuote(r: InquirePriceResponse, id: InstrumentId, tsInit: UnixMillis): QuoteReport {
  const o = r.output;
  return {
    instrumentId: id,
    name: o.hts_kor_isnm ?? '',
    last: int(o.stck_prpr),
    change: int(o.prdy_vrss),
    changePercent: toDec(o.prdy_ctrt),
    open: int(o.stck_oprc),
    high: int(o.stck_hgpr),
    low: int(o.stck_lwpr),
    volume: int(o.acml_vol),
    tradedValue: int(o.acml_tr_pbmn),
    upperLimit: int(o.stck_mxpr),
    lowerLimit: int(o.stck_llam),
    basePrice: int(o.stck_sdpr),
    tick: int(o.aspr_unit),
    halted: o.temp_stop_yn === 'Y' || o.iscd_stat_cls_code === '58',
    tsInit,
  };
}

/**
 * Minute rows (newest first, sentinels already removed) → bars oldest first. `time` is KIS's
 * `stck_cntg_hour`; `ts` that time on `stck_bsop_date` in KST. `value` is KIS's cumulative
 * `acml_tr_pbmn`. Duplicate (date, time) rows keep the first (newest) one.
 */
export function mapMinuteBars(rows: readonly MinuteBarRow[], id: InstrumentId, endpoint: string): BarReport[] {
  const seen = new Set<string>();
  const out: BarReport[] = [];
  for (const r of rows) {
    const key = `${r.stck_bsop_date}${r.stck_cntg_hour}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const date = dateOf(r.stck_bsop_date, endpoint, 'stck_bsop_date');
    out.push({
      instrumentId: id,
      date,
      time: r.stck_cntg_hour,
      ts: instantOf(date, r.stck_cntg_hour, endpoint, 'stck_cntg_hour'),
      open: toDec(r.stck_oprc),
      high: toDec(r.stck_hgpr),
      low: toDec(r.stck_lwpr),
      close: toDec(r.stck_prpr),
      volume: int(r.cntg_vol),
      value: int(r.acml_tr_pbmn),
    });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** Period rows → bars oldest first; `ts` is the session date at 15:30 KST (reports.ts). */
export function mapDailyBars(rows: readonly DailyBarRow[], id: InstrumentId, endpoint: string): BarReport[] {
  return rows
    .map((r) => {
      const date = dateOf(r.stck_bsop_date, endpoint, 'stck_bsop_date');
      return {
        instrumentId: id,
        date,
        time: '',
        ts: kstInstant(date, '15:30'),
        open: int(r.stck_oprc),
        high: int(r.stck_hgpr),
        low: int(r.stck_lwpr),
        close: int(r.stck_clpr),
        volume: int(r.acml_vol),
        value: int(r.acml_tr_pbmn),
      };
    })
    .sort((a, b) => a.ts - b.ts);
}

/** Order book: 10 levels a side, best first; empty levels (price 0) are left out. */
export function mapOrderBook(r: AskingPriceResponse, id: InstrumentId, tsInit: UnixMillis): OrderBookReport {
  const o = r.output1 as Record<string, string>;
  const side = (p: 'askp' | 'bidp'): { price: number; quantity: number }[] => {
    const levels: { price: number; quantity: number }[] = [];
    for (let i = 1; i <= 10; i++) {
      const price = int(o[`${p}${i}`]!);
      if (price > 0) levels.push({ price, quantity: int(o[`${p}_rsqn${i}`]!) });
    }
    return levels;
  };
  return { instrumentId: id, asks: side('askp'), bids: side('bidp'), time: r.output1.aspr_acpt_hour, tsInit };
}

/**
 * All balance pages → AccountBalanceReport. Rows of the same stock (e.g. 현금 and 자기융자 lines in
 * the official example) are merged into one position: quantities and amounts summed, `averagePrice`
 * weighted by `hldg_qty`. Rows with `hldg_qty` 0 (sold today, shown until D+2) are kept.
 * Cash comes from the last page's `output2[0]`.
 */
export function mapBalance(pages: readonly BalanceResponse[], tsInit: UnixMillis): AccountBalanceReport {
  const ep = 'inquireBalance';
  const byId = new Map<string, { p: PositionStatusReport; costWeighted: number }>();
  pages.forEach((pg, n) =>
    pg.output1.forEach((row, i) => {
      const f = (k: string): string => `page${n + 1}.output1[${i}].${k}`;
      const id = instrumentOf(row.pdno, ep, f('pdno'));
      const q = qty(row.hldg_qty, ep, f('hldg_qty'));
      const avg = toDec(row.pchs_avg_pric);
      const cur = byId.get(id);
      const next: PositionStatusReport = {
        instrumentId: id,
        name: cur?.p.name || row.prdt_name,
        quantity: quantity((cur?.p.quantity ?? 0) + q),
        sellableQuantity: quantity((cur?.p.sellableQuantity ?? 0) + qty(row.ord_psbl_qty, ep, f('ord_psbl_qty'))),
        averagePrice: 0,
        purchaseAmount: krw((cur?.p.purchaseAmount ?? 0) + won(row.pchs_amt, ep, f('pchs_amt'))),
        lastPrice: cur?.p.lastPrice || toDec(row.prpr),
        marketValue: krw((cur?.p.marketValue ?? 0) + won(row.evlu_amt, ep, f('evlu_amt'))),
        unrealizedPnl: krw((cur?.p.unrealizedPnl ?? 0) + won(row.evlu_pfls_amt, ep, f('evlu_pfls_amt'))),
      };
      const costWeighted = (cur?.costWeighted ?? 0) + avg * q;
      const averagePrice = next.quantity > 0 ? costWeighted / next.quantity : cur ? cur.p.averagePrice : avg;
      byId.set(id, { p: { ...next, averagePrice }, costWeighted });
    }),
  );
  const last = pages[pages.length - 1];
  const s = last?.output2[0];
  if (!s) throw bad(ep, 'output2: no cash summary');
  const cash: CashReport = {
    deposit: won(s.dnca_tot_amt, ep, 'output2[0].dnca_tot_amt'),
    settlementD2: won(s.prvs_rcdl_excc_amt, ep, 'output2[0].prvs_rcdl_excc_amt'),
    settlementD1: won(s.nxdy_excc_amt, ep, 'output2[0].nxdy_excc_amt'),
    securitiesValue: won(s.scts_evlu_amt, ep, 'output2[0].scts_evlu_amt'),
    totalValue: won(s.tot_evlu_amt, ep, 'output2[0].tot_evlu_amt'),
  };
  return { positions: [...byId.values()].map((v) => v.p), cash, tsInit };
}

/** inquire-psbl-order `output` → BuyingPowerReport (§3.7). */
export function mapBuyingPower(r: PsblOrderResponse): BuyingPowerReport {
  const o = r.output;
  const ep = 'inquirePsblOrder';
  return {
    orderableCash: won(o.ord_psbl_cash, ep, 'output.ord_psbl_cash'),
    cashBuyAmount: won(o.nrcvb_buy_amt, ep, 'output.nrcvb_buy_amt'),
    cashBuyQuantity: qty(o.nrcvb_buy_qty, ep, 'output.nrcvb_buy_qty'),
    maxBuyAmount: won(o.max_buy_amt, ep, 'output.max_buy_amt'),
    maxBuyQuantity: qty(o.max_buy_qty, ep, 'output.max_buy_qty'),
    calcPrice: int(o.psbl_qty_calc_unpr),
  };
}

/** order-cash / order-rvsecncl `output` → OrderAck; `ORD_TMD` is taken on `sessionDate` (KST). */
export function mapOrderAck(r: OrderResponse, msgCd: string, msg1: string, sessionDate: KstDate, endpoint: string): OrderAck {
  let tsEvent: UnixMillis;
  try {
    tsEvent = parseKstHhmmss(sessionDate, r.output.ord_tmd);
  } catch {
    throw bad(endpoint, 'output.ORD_TMD: not a time', 'command');
  }
  return { venueOrderId: r.output.odno, branch: r.output.krx_fwdg_ord_orgno, tsEvent, messageCode: msgCd, message: msg1 };
}

/** inquire-psbl-rvsecncl row → OrderStatusReport (open order of `today`). */
export function mapPsblRvsecncl(row: PsblRvsecnclRow, today: KstDate): OrderStatusReport {
  const ep = 'inquirePsblRvsecncl';
  const filledQuantity = qty(row.tot_ccld_qty, ep, 'tot_ccld_qty');
  const filledValue = won(row.tot_ccld_amt, ep, 'tot_ccld_amt');
  return {
    venueOrderId: row.odno,
    branch: row.ord_gno_brno,
    originalVenueOrderId: row.orgn_odno,
    instrumentId: instrumentOf(row.pdno, ep),
    name: row.prdt_name,
    side: sideOf(row.sll_buy_dvsn_cd, ep),
    orderType: orderTypeOf(row.ord_dvsn_cd),
    orderTypeCode: row.ord_dvsn_cd,
    quantity: qty(row.ord_qty, ep, 'ord_qty'),
    price: int(row.ord_unpr),
    filledQuantity,
    filledValue,
    averageFillPrice: filledQuantity > 0 ? Math.round(filledValue / filledQuantity) : 0,
    remainingQuantity: qty(row.psbl_qty, ep, 'psbl_qty'),
    rejectedQuantity: quantity(0),
    canceled: false,
    isModifyOrCancel: row.orgn_odno !== '',
    orderDate: today,
    tsEvent: instantOf(today, row.ord_tmd, ep, 'ord_tmd'),
    venue: venueOf(row.excg_id_dvsn_cd, ep),
  };
}

/** inquire-daily-ccld row → OrderStatusReport. */
export function mapDailyCcld(row: DailyCcldRow): OrderStatusReport {
  const ep = 'inquireDailyCcld';
  const orderDate = dateOf(row.ord_dt, ep, 'ord_dt');
  return {
    venueOrderId: row.odno,
    branch: row.ord_gno_brno,
    originalVenueOrderId: row.orgn_odno,
    instrumentId: instrumentOf(row.pdno, ep),
    name: row.prdt_name,
    side: sideOf(row.sll_buy_dvsn_cd, ep),
    orderType: orderTypeOf(row.ord_dvsn_cd),
    orderTypeCode: row.ord_dvsn_cd,
    quantity: qty(row.ord_qty, ep, 'ord_qty'),
    price: int(row.ord_unpr),
    filledQuantity: qty(row.tot_ccld_qty, ep, 'tot_ccld_qty'),
    filledValue: won(row.tot_ccld_amt, ep, 'tot_ccld_amt'),
    averageFillPrice: Math.round(toDec(row.avg_prvs)),
    remainingQuantity: qty(row.rmn_qty, ep, 'rmn_qty'),
    rejectedQuantity: qty(row.rjct_qty, ep, 'rjct_qty'),
    canceled: row.cncl_yn === 'Y',
    isModifyOrCancel: row.orgn_odno !== '',
    orderDate,
    tsEvent: instantOf(orderDate, row.ord_tmd, ep, 'ord_tmd'),
    venue: venueOf(row.excg_id_dvsn_cd, ep),
  };
}

/** chk-holiday row → HolidayReport (`opnd_yn` = market opens). */
export function mapHoliday(row: HolidayRow): HolidayReport {
  return {
    date: dateOf(row.bass_dt, 'chkHoliday', 'bass_dt'),
    marketOpen: row.opnd_yn === 'Y',
    businessDay: row.bzdy_yn === 'Y',
    tradingDay: row.tr_day_yn === 'Y',
    settlementDay: row.sttl_day_yn === 'Y',
  };
}

