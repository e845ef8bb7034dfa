/**
 * Account and order endpoints of the twin (kis-protocol §3.6–§3.11). Row layouts use exactly the keys
 * of the official examples (kis_official_doc_examples.json). Paging: `tr_cont` F/M/D/E in the response
 * header and fixed-width `ctx_area_fk100` / `ctx_area_nk100` in the body; the next page is asked with
 * request header `tr_cont: N` and `CTX_AREA_NK100` = the previous answer's `ctx_area_nk100`, which the
 * twin fills with the key of the first row of the next page (a code for balances, an order number for
 * orders), so a resumed query stays correct when rows are added in between.
 */
import { kstHhmmss, toYyyymmdd } from '../../core/kst.ts';
import { roundToTick } from '../../model/tick.ts';
import type { SimEnv } from '../account-spec.ts';
import { orderCashSide } from '../endpoints.ts';
import { remainingOf, type SimCommandResult, type SimOrder, type SimOrdDvsn } from '../engine.ts';
import { kisMessage, type SimCodeKey } from '../kis-codes.ts';
import {
  b, fail, fixed, isContinuation, num, ok, padCtx, pageCode, pageTrCont, pct, q,
  type KisReply, type SimRestContext,
} from './wire.ts';

/** Rows per page of inquire-balance (kis-protocol §3.6). */
export const BALANCE_PAGE: Readonly<Record<SimEnv, number>> = { real: 50, paper: 20 };
/** Rows per page of inquire-daily-ccld (§3.11). */
export const DAILY_CCLD_PAGE: Readonly<Record<SimEnv, number>> = { real: 100, paper: 15 };
/** Rows per page of inquire-psbl-rvsecncl (§3.10, real only). */
export const PSBL_RVSECNCL_PAGE = 50;

/** ORD_DVSN codes python-kis lists as real-only (05–07, 11–16): refused on paper with 90000000. */
const REAL_ONLY_ORD_DVSN = new Set(['05', '06', '07', '11', '12', '13', '14', '15', '16']);

function accountMismatch(ctx: SimRestContext, cano: string, prdt: string): KisReply | undefined {
  if (cano !== ctx.account.cano || prdt !== ctx.account.acntPrdtCd) return fail('ACCOUNT_INVALID', ctx.env);
  return undefined;
}

function queryAccount(ctx: SimRestContext): KisReply | undefined {
  return accountMismatch(ctx, q(ctx, 'CANO'), q(ctx, 'ACNT_PRDT_CD'));
}

function bodyAccount(ctx: SimRestContext): KisReply | undefined {
  return accountMismatch(ctx, b(ctx, 'CANO'), b(ctx, 'ACNT_PRDT_CD'));
}

/** Current price of a code for valuation: last print, else the average price given. */
function lastPrice(ctx: SimRestContext, code: string, fallback: number): number {
  return ctx.market.snapshot(code, ctx.now)?.last ?? fallback;
}

/** Page of `rows` starting at `start` (an index), with the key of the next page's first row. */
function page<T>(rows: readonly T[], start: number, size: number, keyOf: (r: T) => string): { rows: T[]; hasMore: boolean; nextKey: string } {
  const slice = rows.slice(start, start + size);
  const next = rows[start + size];
  return { rows: slice, hasMore: next !== undefined, nextKey: next !== undefined ? keyOf(next) : '' };
}

/** Resume index: the row whose key is `key`, else the first row past it in the list's order. */
function resumeAt<T>(rows: readonly T[], key: string, keyOf: (r: T) => string, ascending: boolean): number {
  const i = rows.findIndex((r) => (ascending ? keyOf(r) >= key : keyOf(r) <= key));
  return i < 0 ? rows.length : i;
}

// ----------------------------------------------------------------------------- inquire-balance

/**
 * GET inquire-balance (TTTC8434R / VTTC8434R): output1 = holdings (sorted by code; sold-out positions
 * stay with hldg_qty 0), output2 = one cash summary (repeated on every page). 50 rows a page on real,
 * 20 on paper. Settlement is simplified (account.ts): dnca_tot_amt and nxdy_excc_amt = opening cash,
 * prvs_rcdl_excc_amt = D+2 cash after today's fills.
 */
export function inquireBalance(ctx: SimRestContext): KisReply {
  const bad = queryAccount(ctx);
  if (bad) return bad;
  const ledger = ctx.engine.ledger(ctx.account.accountKey);
  if (!ledger) return fail('ACCOUNT_INVALID', ctx.env);
  const key = ctx.account.accountKey;
  let scts = 0;
  let pchsSum = 0;
  let openingValue = ledger.openingCash;
  const offered = ctx.engine.openSellQtyByCode(key);
  const rows = ledger.holdings().map((h) => {
    const inst = ctx.market.instrument(h.code);
    const avg = h.qty > 0 ? h.costBasis / h.qty : 0;
    const prpr = lastPrice(ctx, h.code, avg);
    const base = inst?.basePrice ?? prpr;
    const evlu = Math.round(prpr * h.qty);
    scts += evlu;
    pchsSum += h.costBasis;
    openingValue += h.openingQty * base;
    return {
      pdno: h.code,
      prdt_name: inst?.name ?? h.code,
      trad_dvsn_name: '현금',
      bfdy_buy_qty: '0',
      bfdy_sll_qty: '0',
      thdt_buyqty: num(h.todayBuyQty),
      thdt_sll_qty: num(h.todaySellQty),
      hldg_qty: num(h.qty),
      ord_psbl_qty: num(Math.max(0, h.qty - (offered.get(h.code) ?? 0))),
      pchs_avg_pric: fixed(avg, 4),
      pchs_amt: num(h.costBasis),
      prpr: num(prpr),
      evlu_amt: num(evlu),
      evlu_pfls_amt: num(evlu - h.costBasis),
      evlu_pfls_rt: pct(evlu - h.costBasis, h.costBasis),
      evlu_erng_rt: '0.00000000',
      loan_dt: '',
      loan_amt: '0',
      stln_slng_chgs: '0',
      expd_dt: '',
      fltt_rt: pct(prpr - base, base, 8),
      bfdy_cprs_icdc: num(prpr - base),
      item_mgna_rt_name: '',
      grta_rt_name: '',
      sbst_pric: '0',
      stck_loan_unpr: '0.0000',
    };
  });
  const totEvlu = ledger.cash + scts;
  const output2 = [{
    dnca_tot_amt: num(ledger.openingCash),
    nxdy_excc_amt: num(ledger.openingCash),
    prvs_rcdl_excc_amt: num(ledger.cash),
    cma_evlu_amt: '0',
    bfdy_buy_amt: '0',
    thdt_buy_amt: num(ledger.todayBuyValue),
    nxdy_auto_rdpt_amt: '0',
    bfdy_sll_amt: '0',
    thdt_sll_amt: num(ledger.todaySellValue),
    d2_auto_rdpt_amt: '0',
    bfdy_tlex_amt: '0',
    thdt_tlex_amt: num(ledger.todayCosts),
    tot_loan_amt: '0',
    scts_evlu_amt: num(scts),
    tot_evlu_amt: num(totEvlu),
    nass_amt: num(totEvlu),
    fncg_gld_auto_rdpt_yn: '',
    pchs_amt_smtl_amt: num(pchsSum),
    evlu_amt_smtl_amt: num(scts),
    evlu_pfls_smtl_amt: num(scts - pchsSum),
    tot_stln_slng_chgs: '0',
    bfdy_tot_asst_evlu_amt: num(Math.round(openingValue)),
    asst_icdc_amt: num(Math.round(totEvlu - openingValue)),
    asst_icdc_erng_rt: '0.00000000',
  }];
  const cont = isContinuation(ctx, 'CTX_AREA_NK100');
  const start = cont ? resumeAt(rows, q(ctx, 'CTX_AREA_NK100'), (r) => r.pdno, true) : 0;
  const pg = page(rows, start, BALANCE_PAGE[ctx.env], (r) => r.pdno);
  const fk = `${ctx.account.cano}^${ctx.account.acntPrdtCd}^${q(ctx, 'AFHR_FLPR_YN') || 'N'}^${q(ctx, 'OFL_YN') || 'N'}^${q(ctx, 'INQR_DVSN')}^${q(ctx, 'UNPR_DVSN')}^${q(ctx, 'FUND_STTL_ICLD_YN') || 'N'}^`;
  return ok(pageCode(cont, pg.hasMore), ctx.env, {
    ctx_area_fk100: padCtx(fk),
    ctx_area_nk100: padCtx(pg.nextKey),
    output1: pg.rows,
    output2,
  }, pageTrCont(cont, pg.hasMore));
}

// ----------------------------------------------------------------------------- inquire-psbl-order

/** Largest quantity whose value plus commission fits in `cash` at `price` (won). */
function maxBuyQty(ctx: SimRestContext, cash: number, price: number): number {
  if (price <= 0 || cash <= 0) return 0;
  let qn = Math.floor(cash / price);
  while (qn > 0 && ctx.engine.buyCost(qn * price) > cash) qn--;
  return qn;
}

/**
 * GET inquire-psbl-order (TTTC8908R / VTTC8908R). ord_psbl_cash = D+2 cash minus what open buys
 * reserve. The quantity is computed at ORD_UNPR when given, else (market ORD_DVSN 01, or blank price)
 * at the current price rounded up to the tick — as KIS does, so a market buy of that quantity may be
 * refused because order-cash provisions market orders at the upper limit. The twin has no margin
 * (미수): nrcvb_* and max_* are the same cash-only figures. Blank PDNO → amounts only (quantity 0).
 */
export function inquirePsblOrder(ctx: SimRestContext): KisReply {
  const bad = queryAccount(ctx);
  if (bad) return bad;
  const avail = Math.max(0, ctx.engine.availableCash(ctx.account.accountKey));
  let code = q(ctx, 'PDNO').toUpperCase();
  if (code.length === 7 && code.startsWith('Q')) code = code.slice(1);
  let calc = 0;
  if (code !== '') {
    const inst = ctx.market.instrument(code);
    const snap = inst ? ctx.market.snapshot(code, ctx.now) : undefined;
    if (!inst || !snap) return fail('CODE_UNKNOWN', ctx.env);
    const unpr = /^\d+$/.test(q(ctx, 'ORD_UNPR')) ? Number(q(ctx, 'ORD_UNPR')) : 0;
    calc = unpr > 0 && q(ctx, 'ORD_DVSN') !== '01' ? unpr : roundToTick(snap.last, 'up', inst.kind);
  }
  const qty = maxBuyQty(ctx, avail, calc);
  const output = {
    ord_psbl_cash: num(avail),
    ord_psbl_sbst: '0',
    ruse_psbl_amt: '0',
    fund_rpch_chgs: '0',
    psbl_qty_calc_unpr: num(calc),
    nrcvb_buy_amt: num(avail),
    nrcvb_buy_qty: num(qty),
    max_buy_amt: num(avail),
    max_buy_qty: num(qty),
    cma_evlu_amt: '0',
    ovrs_re_use_amt_wcrc: '0',
    ord_psbl_frcr_amt_wcrc: '0',
  };
  return ok('OK_QUERY', ctx.env, { output });
}

// ----------------------------------------------------------------------------- orders

/** EXCG_ID_DVSN_CD: '' / KRX accepted; SOR routed to KRX on real; NXT refused; paper accepts KRX only. */
function checkVenue(ctx: SimRestContext): KisReply | undefined {
  const v = b(ctx, 'EXCG_ID_DVSN_CD').toUpperCase();
  if (v === '' || v === 'KRX') return undefined;
  if (v === 'NXT' || v === 'SOR') {
    if (ctx.env === 'paper') return fail('PAPER_UNSUPPORTED', ctx.env);
    return v === 'NXT' ? fail('VENUE_UNSUPPORTED', ctx.env) : undefined;
  }
  return fail('FIELD_INVALID', ctx.env);
}

/** ORD_DVSN: 00 / 01 matched; real-only kinds on paper → 90000000; anything else refused. */
function checkOrdDvsn(ctx: SimRestContext, v: string): SimOrdDvsn | KisReply {
  if (v === '00' || v === '01') return v;
  if (ctx.env === 'paper' && REAL_ONLY_ORD_DVSN.has(v)) return fail('PAPER_UNSUPPORTED', ctx.env);
  return fail('ORD_DVSN_UNSUPPORTED', ctx.env);
}

function wholeNumber(s: string): number {
  return /^\d+$/.test(s) ? Number(s) : Number.NaN;
}

/** Order acknowledgement body: rt_cd first, upper-case output keys (as the order examples). */
function orderAck(ctx: SimRestContext, r: SimCommandResult): KisReply {
  if (!r.ok) return fail(r.reason === 'ACCOUNT_UNKNOWN' ? 'ACCOUNT_INVALID' : (r.reason satisfies SimCodeKey), ctx.env);
  return {
    status: 200,
    body: {
      ...kisMessage('OK_ORDER', ctx.env),
      output: { KRX_FWDG_ORD_ORGNO: r.order.branch, ODNO: r.order.odno, ORD_TMD: kstHhmmss(r.order.ts) },
    },
  };
}

/**
 * POST order-cash (buy TTTC0012U / TTTC0802U, sell TTTC0011U / TTTC0801U; paper V…). Checks, in order:
 * account, venue, ORD_DVSN, then the engine's (code, session, quantity, tick, limits, cash/holdings).
 * SLL_TYPE and CNDT_PRIC are accepted and ignored.
 */
export function orderCash(ctx: SimRestContext): KisReply {
  const bad = bodyAccount(ctx) ?? checkVenue(ctx);
  if (bad) return bad;
  const dv = checkOrdDvsn(ctx, b(ctx, 'ORD_DVSN'));
  if (typeof dv !== 'string') return dv;
  let code = b(ctx, 'PDNO').toUpperCase();
  if (code.length === 7 && code.startsWith('Q')) code = code.slice(1);
  const r = ctx.engine.submit(
    { accountKey: ctx.account.accountKey, side: orderCashSide(ctx.trId), code, ordDvsn: dv, qty: wholeNumber(b(ctx, 'ORD_QTY')), price: dv === '01' ? 0 : wholeNumber(b(ctx, 'ORD_UNPR')) },
    ctx.now,
  );
  return orderAck(ctx, r);
}

/**
 * POST order-rvsecncl (TTTC0013U / TTTC0803U; paper V…): RVSE_CNCL_DVSN_CD 01 modify (정정), 02 cancel
 * (취소); QTY_ALL_ORD_YN Y = the whole remainder, else ORD_QTY shares. Answers a NEW order number.
 */
export function orderRvsecncl(ctx: SimRestContext): KisReply {
  const bad = bodyAccount(ctx) ?? checkVenue(ctx);
  if (bad) return bad;
  const kind = b(ctx, 'RVSE_CNCL_DVSN_CD');
  if (kind !== '01' && kind !== '02') return fail('RVSE_CNCL_INVALID', ctx.env);
  let dv: SimOrdDvsn = '00';
  if (kind === '01') {
    const d = checkOrdDvsn(ctx, b(ctx, 'ORD_DVSN'));
    if (typeof d !== 'string') return d;
    dv = d;
  }
  const r = ctx.engine.amend(
    {
      accountKey: ctx.account.accountKey,
      origOdno: b(ctx, 'ORGN_ODNO'),
      branch: b(ctx, 'KRX_FWDG_ORD_ORGNO'),
      action: kind === '01' ? 'MODIFY' : 'CANCEL',
      allQty: b(ctx, 'QTY_ALL_ORD_YN').toUpperCase() === 'Y',
      qty: wholeNumber(b(ctx, 'ORD_QTY')),
      ordDvsn: dv,
      price: dv === '01' ? 0 : wholeNumber(b(ctx, 'ORD_UNPR')),
    },
    ctx.now,
  );
  return orderAck(ctx, r);
}

// ----------------------------------------------------------------------------- order queries

function ordDvsnName(o: SimOrder): string {
  return o.ordDvsn === '01' ? '시장가' : '지정가';
}

/** sll_buy_dvsn_cd_name / rvse_cncl_dvsn_name labels (HTS wording; UNCONFIRMED). */
function sideLabel(o: SimOrder): string {
  const s = o.side === 'BUY' ? '매수' : '매도';
  if (o.kind === 'MODIFY') return `${s}정정*`;
  if (o.kind === 'CANCEL') return `${s}취소*`;
  return `현금${s}`;
}

/**
 * GET inquire-psbl-rvsecncl (TTTC0084R / old TTTC8036R; real only — paper gets EGW02006): open orders
 * that can still be modified or cancelled. INQR_DVSN_1 0 = by order number, 1 = by code;
 * INQR_DVSN_2 0 all, 1 sell, 2 buy. 50 rows a page.
 */
export function inquirePsblRvsecncl(ctx: SimRestContext): KisReply {
  const bad = queryAccount(ctx);
  if (bad) return bad;
  const sideF = q(ctx, 'INQR_DVSN_2');
  let orders = ctx.engine
    .ordersOf(ctx.account.accountKey)
    .filter((o) => o.kind !== 'CANCEL' && o.status === 'OPEN' && remainingOf(o) > 0)
    .filter((o) => (sideF === '1' ? o.side === 'SELL' : sideF === '2' ? o.side === 'BUY' : true));
  if (q(ctx, 'INQR_DVSN_1') === '1') orders = [...orders].sort((x, y) => (x.code === y.code ? (x.odno < y.odno ? -1 : 1) : x.code < y.code ? -1 : 1));
  const rows = orders.map((o) => ({
    ord_gno_brno: o.branch,
    odno: o.odno,
    orgn_odno: o.origOdno,
    ord_dvsn_name: ordDvsnName(o),
    pdno: o.code,
    prdt_name: o.name,
    rvse_cncl_dvsn_name: o.kind === 'MODIFY' ? sideLabel(o) : '',
    ord_qty: num(o.ordQty),
    ord_unpr: num(o.ordPrice),
    ord_tmd: kstHhmmss(o.ts),
    tot_ccld_qty: num(o.filledQty),
    tot_ccld_amt: num(o.filledValue),
    psbl_qty: num(remainingOf(o)),
    sll_buy_dvsn_cd: o.side === 'SELL' ? '01' : '02',
    ord_dvsn_cd: o.ordDvsn,
    mgco_aptm_odno: '',
  }));
  const cont = isContinuation(ctx, 'CTX_AREA_NK100');
  const key = q(ctx, 'CTX_AREA_NK100');
  const exact = rows.findIndex((r) => r.odno === key);
  const start = !cont ? 0 : exact >= 0 ? exact : q(ctx, 'INQR_DVSN_1') === '1' ? 0 : resumeAt(rows, key, (r) => r.odno, true);
  const pg = page(rows, start, PSBL_RVSECNCL_PAGE, (r) => r.odno);
  return ok(pageCode(cont, pg.hasMore), ctx.env, {
    ctx_area_fk100: padCtx(`${ctx.account.cano}^${ctx.account.acntPrdtCd}^`),
    ctx_area_nk100: padCtx(pg.nextKey),
    output: pg.rows,
  }, pageTrCont(cont, pg.hasMore));
}

/**
 * GET inquire-daily-ccld (TTTC0081R / CTSC9215R, old TTTC8001R / CTSC9115R; paper V…): the session's
 * orders, one row per order including modify orders and cancel records (cncl_yn Y), when the session
 * date lies in [INQR_STRT_DT, INQR_END_DT]. The ≤3-month and older TRs answer alike (one session).
 * Filters: SLL_BUY_DVSN_CD (00/01 sell/02 buy), PDNO, ODNO, ORD_GNO_BRNO, CCLD_DVSN (00 all, 01 with
 * fills, 02 with an unfilled remainder). INQR_DVSN 00 newest first, 01 oldest first. 100 rows a page on
 * real, 15 on paper. rmn_qty keeps a day order's unfilled remainder after the close (UNCONFIRMED);
 * avg_prvs is the rounded average fill price. output2 totals cover every filtered row (all pages).
 */
export function inquireDailyCcld(ctx: SimRestContext): KisReply {
  const bad = queryAccount(ctx);
  if (bad) return bad;
  const from = q(ctx, 'INQR_STRT_DT');
  const to = q(ctx, 'INQR_END_DT');
  if (!/^\d{8}$/.test(from) || !/^\d{8}$/.test(to)) return fail('FIELD_INVALID', ctx.env);
  const day = toYyyymmdd(ctx.market.sessionDate);
  const sideF = q(ctx, 'SLL_BUY_DVSN_CD');
  const pdno = q(ctx, 'PDNO').toUpperCase();
  const odnoF = q(ctx, 'ODNO');
  const brno = q(ctx, 'ORD_GNO_BRNO');
  const ccld = q(ctx, 'CCLD_DVSN');
  const asc = q(ctx, 'INQR_DVSN') === '01';
  const inRange = day >= from && day <= to;
  let orders = (inRange ? ctx.engine.ordersOf(ctx.account.accountKey) : []).filter(
    (o) =>
      (sideF === '01' ? o.side === 'SELL' : sideF === '02' ? o.side === 'BUY' : true) &&
      (pdno === '' || o.code === pdno) &&
      (odnoF === '' || o.odno === odnoF.padStart(10, '0')) &&
      (brno === '' || o.branch === brno) &&
      (ccld === '01' ? o.filledQty > 0 : ccld === '02' ? remainingOf(o) > 0 : true),
  );
  orders = asc ? [...orders] : [...orders].reverse();
  const rows = orders.map((o) => ({
    ord_dt: day,
    ord_gno_brno: o.branch,
    odno: o.odno,
    orgn_odno: o.origOdno,
    ord_dvsn_name: ordDvsnName(o),
    sll_buy_dvsn_cd: o.side === 'SELL' ? '01' : '02',
    sll_buy_dvsn_cd_name: sideLabel(o),
    pdno: o.code,
    prdt_name: o.name,
    ord_qty: num(o.ordQty),
    ord_unpr: num(o.ordPrice),
    ord_tmd: kstHhmmss(o.ts),
    tot_ccld_qty: num(o.filledQty),
    avg_prvs: num(o.filledQty > 0 ? Math.round(o.filledValue / o.filledQty) : 0),
    cncl_yn: o.kind === 'CANCEL' ? 'Y' : '',
    tot_ccld_amt: num(o.filledValue),
    loan_dt: '',
    ordr_empno: '',
    ord_dvsn_cd: o.ordDvsn,
    cncl_cfrm_qty: num(o.kind === 'CANCEL' ? o.ordQty : o.canceledQty),
    rmn_qty: num(remainingOf(o)),
    rjct_qty: '0',
    ccld_cndt_name: '없음',
    inqr_ip_addr: '',
    cpbc_ordp_ord_rcit_dvsn_cd: '',
    cpbc_ordp_infm_mthd_dvsn_cd: '',
    infm_tmd: '',
    ctac_tlno: '',
    prdt_type_cd: '300',
    excg_dvsn_cd: '02',
    cpbc_ordp_mtrl_dvsn_cd: '',
    ord_orgno: '',
    rsvn_ord_end_dt: '',
  }));
  const real = orders.filter((o) => o.kind !== 'CANCEL');
  const totQty = real.reduce((s, o) => s + o.filledQty, 0);
  const totAmt = real.reduce((s, o) => s + o.filledValue, 0);
  const output2 = {
    tot_ord_qty: num(real.reduce((s, o) => s + o.ordQty, 0)),
    tot_ccld_qty: num(totQty),
    tot_ccld_amt: num(totAmt),
    prsm_tlex_smtl: num(real.reduce((s, o) => s + o.commission + o.tax, 0)),
    pchs_avg_pric: fixed(totQty > 0 ? totAmt / totQty : 0, 4),
  };
  const cont = isContinuation(ctx, 'CTX_AREA_NK100');
  const start = cont ? resumeAt(rows, q(ctx, 'CTX_AREA_NK100'), (r) => r.odno, asc) : 0;
  const pg = page(rows, start, DAILY_CCLD_PAGE[ctx.env], (r) => r.odno);
  const fk = `${ctx.account.cano}^${ctx.account.acntPrdtCd}^${from}^${to}^${sideF || ' '}^${ccld || '00'}^${q(ctx, 'INQR_DVSN') || '00'}^`;
  return ok(pageCode(cont, pg.hasMore), ctx.env, {
    ctx_area_fk100: padCtx(fk),
    ctx_area_nk100: padCtx(pg.nextKey),
    output1: pg.rows,
    output2,
  }, pageTrCont(cont, pg.hasMore));
}
