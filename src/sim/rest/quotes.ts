/**
 * Quote endpoints of the twin (kis-protocol §3.1–§3.5, §3.13). Everything is computed from the
 * MarketSource as of the request instant; fields the twin has no data for are "0" (numbers), "" (text,
 * dates) or "N" (flags), the same way in every answer.
 *
 * Market selector FID_COND_MRKT_DIV_CODE: J, NX and UN are all answered from the one replayed KRX
 * market (the twin has no NXT book); anything else is OPSQ2001.
 */
import { addDays, fromYyyymmdd, kstHhmmss, kstInstant, toYyyymmdd, weekdayOf, type KstDate } from '../../core/kst.ts';
import { tickSize } from '../../model/tick.ts';
import { limitsOf, syntheticBestAsk, syntheticBestBid, syntheticBook } from '../book.ts';
import type { SimInstrument, SimSnapshot } from '../market-source.ts';
import { changeSign, fail, fixed, isContinuation, num, ok, pct, q, padCtx, type KisReply, type SimRestContext } from './wire.ts';

/** Resolves FID_COND_MRKT_DIV_CODE + FID_INPUT_ISCD (ETN `Q…` prefix stripped) to an instrument and its snapshot. */
function resolve(ctx: SimRestContext): { inst: SimInstrument; snap: SimSnapshot } | KisReply {
  const div = q(ctx, 'FID_COND_MRKT_DIV_CODE').toUpperCase();
  if (div !== 'J' && div !== 'NX' && div !== 'UN') return fail('MARKET_DIV_INVALID', ctx.env);
  let code = q(ctx, 'FID_INPUT_ISCD').toUpperCase();
  if (code.length === 7 && code.startsWith('Q')) code = code.slice(1);
  const inst = ctx.market.instrument(code);
  const snap = inst ? ctx.market.snapshot(code, ctx.now) : undefined;
  if (!inst || !snap) return fail('CODE_UNKNOWN', ctx.env);
  return { inst, snap };
}

function isReply(x: unknown): x is KisReply {
  return typeof x === 'object' && x !== null && 'status' in x;
}

/** Change fields shared by several outputs. */
function change(inst: SimInstrument, last: number): { prdy_vrss: string; prdy_vrss_sign: string; prdy_ctrt: string } {
  const l = limitsOf(inst);
  return { prdy_vrss: num(last - inst.basePrice), prdy_vrss_sign: changeSign(last, inst.basePrice, l.upper, l.lower), prdy_ctrt: pct(last - inst.basePrice, inst.basePrice) };
}

/** Open/high/low as strings; "0" before the first print. */
function ohl(snap: SimSnapshot): { o: string; h: string; l: string } {
  if (snap.volume === 0) return { o: '0', h: '0', l: '0' };
  return { o: num(snap.open), h: num(snap.high), l: num(snap.low) };
}

/** GET inquire-price (FHKST01010100): the 79 keys of the official example, in its order. */
export function inquirePrice(ctx: SimRestContext): KisReply {
  const r = resolve(ctx);
  if (isReply(r)) return r;
  const { inst, snap } = r;
  const l = limitsOf(inst);
  const c = change(inst, snap.last);
  const p = ohl(snap);
  const output: Record<string, string> = {
    iscd_stat_cls_code: '00',
    marg_rate: '0',
    rprs_mrkt_kor_name: inst.market,
    bstp_kor_isnm: '',
    temp_stop_yn: 'N',
    oprc_rang_cont_yn: 'N',
    clpr_rang_cont_yn: 'N',
    crdt_able_yn: 'N',
    grmn_rate_cls_code: '',
    elw_pblc_yn: 'N',
    stck_prpr: num(snap.last),
    prdy_vrss: c.prdy_vrss,
    prdy_vrss_sign: c.prdy_vrss_sign,
    prdy_ctrt: c.prdy_ctrt,
    acml_tr_pbmn: num(snap.value),
    acml_vol: num(snap.volume),
    prdy_vrss_vol_rate: '0',
    stck_oprc: p.o,
    stck_hgpr: p.h,
    stck_lwpr: p.l,
    stck_mxpr: num(l.upper),
    stck_llam: num(l.lower),
    stck_sdpr: num(inst.basePrice),
    wghn_avrg_stck_prc: snap.volume > 0 ? fixed(snap.value / snap.volume, 2) : '0',
    hts_frgn_ehrt: '0',
    frgn_ntby_qty: '0',
    pgtr_ntby_qty: '0',
    pvt_scnd_dmrs_prc: '0',
    pvt_frst_dmrs_prc: '0',
    pvt_pont_val: '0',
    pvt_frst_dmsp_prc: '0',
    pvt_scnd_dmsp_prc: '0',
    dmrs_val: '0',
    dmsp_val: '0',
    cpfn: '0',
    rstc_wdth_prc: num(l.width),
    stck_fcam: '0',
    stck_sspr: '0',
    aspr_unit: num(tickSize(snap.last, inst.kind)),
    hts_deal_qty_unit_val: '1',
    lstn_stcn: '0',
    hts_avls: '0',
    per: '0',
    pbr: '0',
    stac_month: '',
    vol_tnrt: '0',
    eps: '0',
    bps: '0',
    d250_hgpr: '0',
    d250_hgpr_date: '',
    d250_hgpr_vrss_prpr_rate: '0',
    d250_lwpr: '0',
    d250_lwpr_date: '',
    d250_lwpr_vrss_prpr_rate: '0',
    stck_dryy_hgpr: '0',
    dryy_hgpr_vrss_prpr_rate: '0',
    dryy_hgpr_date: '',
    stck_dryy_lwpr: '0',
    dryy_lwpr_vrss_prpr_rate: '0',
    dryy_lwpr_date: '',
    w52_hgpr: '0',
    w52_hgpr_vrss_prpr_ctrt: '0',
    w52_hgpr_date: '',
    w52_lwpr: '0',
    w52_lwpr_vrss_prpr_ctrt: '0',
    w52_lwpr_date: '',
    whol_loan_rmnd_rate: '0',
    ssts_yn: 'N',
    stck_shrn_iscd: inst.id,
    fcam_cnnm: '',
    cpfn_cnnm: '',
    frgn_hldn_qty: '0',
    vi_cls_code: 'N',
    ovtm_vi_cls_code: 'N',
    last_ssts_cntg_qty: '0',
    invt_caful_yn: 'N',
    mrkt_warn_cls_code: '00',
    short_over_yn: 'N',
    sltr_yn: 'N',
  };
  return ok('OK_QUOTE', ctx.env, { output });
}

/** Rows per inquire-time-itemchartprice call. */
export const MINUTE_BARS_PER_CALL = 30;

/**
 * GET inquire-time-itemchartprice (FHKST03010200): 1-minute bars of the session built from the prints up
 * to now, 30 per call, newest first, bars labelled by their minute's start (HHMM00) and returned when
 * the label is <= FID_INPUT_HOUR_1 (a future hour means now). Minutes without a print have no bar (so the
 * closing-auction gap 15:20–15:29 is skipped and the close print forms the 153000 bar). `acml_tr_pbmn`
 * is the cumulative value at the bar's end, as KIS sends it. FID_PW_DATA_INCU_YN is accepted and
 * ignored (there is only today). Not reproduced: KIS's habit of showing the previous minute's volume
 * in the first row until the current minute trades.
 */
export function inquireTimeItemChartPrice(ctx: SimRestContext): KisReply {
  const r = resolve(ctx);
  if (isReply(r)) return r;
  const { inst, snap } = r;
  const hour = q(ctx, 'FID_INPUT_HOUR_1');
  if (!/^\d{6}$/.test(hour)) return fail('FIELD_INVALID', ctx.env);
  const date = ctx.market.sessionDate;
  const dayStart = kstInstant(date, 0);
  const trades = ctx.market.tradesBetween(inst.id, dayStart - 1, ctx.now);
  interface Bar { label: string; o: number; h: number; l: number; c: number; v: number; cumValue: number }
  const bars: Bar[] = [];
  let cum = 0;
  for (const t of trades) {
    cum += t.price * t.volume;
    const label = `${kstHhmmss(t.ts).slice(0, 4)}00`;
    const last = bars[bars.length - 1];
    if (last && last.label === label) {
      last.h = Math.max(last.h, t.price);
      last.l = Math.min(last.l, t.price);
      last.c = t.price;
      last.v += t.volume;
      last.cumValue = cum;
    } else {
      bars.push({ label, o: t.price, h: t.price, l: t.price, c: t.price, v: t.volume, cumValue: cum });
    }
  }
  const rows = bars
    .filter((x) => x.label <= hour)
    .reverse()
    .slice(0, MINUTE_BARS_PER_CALL)
    .map((x) => ({
      stck_bsop_date: toYyyymmdd(date),
      stck_cntg_hour: x.label,
      stck_prpr: num(x.c),
      stck_oprc: num(x.o),
      stck_hgpr: num(x.h),
      stck_lwpr: num(x.l),
      cntg_vol: num(x.v),
      acml_tr_pbmn: num(Math.round(x.cumValue)),
    }));
  const c = change(inst, snap.last);
  const output1 = {
    prdy_vrss: c.prdy_vrss,
    prdy_vrss_sign: c.prdy_vrss_sign,
    prdy_ctrt: c.prdy_ctrt,
    stck_prdy_clpr: num(inst.basePrice),
    acml_vol: num(snap.volume),
    acml_tr_pbmn: num(snap.value),
    hts_kor_isnm: inst.name,
    stck_prpr: num(snap.last),
  };
  return ok('OK_QUOTE', ctx.env, { output1, output2: rows });
}

/**
 * GET inquire-daily-itemchartprice (FHKST03010100). The MarketSource holds one session, so output2 has
 * at most one row: the session's bar as of now (open/high/low/last/volume/value printed so far — the
 * real daily bar once the close has printed), when the session date lies in [FID_INPUT_DATE_1,
 * FID_INPUT_DATE_2] and at least one print happened. W/M/Y periods return the same single bar (no
 * earlier days exist). FID_ORG_ADJ_PRC is accepted and ignored. No official example of this endpoint is
 * in the examples file: the keys follow the layout (kis-protocol §3.4; output1 from the workbook layout
 * including its odd `itewhol_loan_rmnd_ratem` key — UNCONFIRMED spelling).
 */
export function inquireDailyItemChartPrice(ctx: SimRestContext): KisReply {
  const r = resolve(ctx);
  if (isReply(r)) return r;
  const { inst, snap } = r;
  const d1 = q(ctx, 'FID_INPUT_DATE_1');
  const d2 = q(ctx, 'FID_INPUT_DATE_2');
  const period = q(ctx, 'FID_PERIOD_DIV_CODE').toUpperCase() || 'D';
  if (!/^\d{8}$/.test(d1) || !/^\d{8}$/.test(d2) || !['D', 'W', 'M', 'Y'].includes(period)) return fail('FIELD_INVALID', ctx.env);
  const l = limitsOf(inst);
  const c = change(inst, snap.last);
  const p = ohl(snap);
  const output1 = {
    prdy_vrss: c.prdy_vrss,
    prdy_vrss_sign: c.prdy_vrss_sign,
    prdy_ctrt: c.prdy_ctrt,
    stck_prdy_clpr: num(inst.basePrice),
    acml_vol: num(snap.volume),
    acml_tr_pbmn: num(snap.value),
    hts_kor_isnm: inst.name,
    stck_prpr: num(snap.last),
    stck_shrn_iscd: inst.id,
    prdy_vol: '0',
    stck_mxpr: num(l.upper),
    stck_llam: num(l.lower),
    stck_oprc: p.o,
    stck_hgpr: p.h,
    stck_lwpr: p.l,
    stck_prdy_oprc: '0',
    stck_prdy_hgpr: '0',
    stck_prdy_lwpr: '0',
    askp: num(syntheticBestAsk(inst, snap.last)),
    bidp: num(syntheticBestBid(inst, snap.last)),
    prdy_vrss_vol: '0',
    vol_tnrt: '0',
    stck_fcam: '0',
    lstn_stcn: '0',
    cpfn: '0',
    hts_avls: '0',
    per: '0',
    eps: '0',
    pbr: '0',
    itewhol_loan_rmnd_ratem: '0',
  };
  const day = toYyyymmdd(ctx.market.sessionDate);
  const output2 =
    snap.volume > 0 && day >= d1 && day <= d2
      ? [{
          stck_bsop_date: day,
          stck_clpr: num(snap.last),
          stck_oprc: p.o,
          stck_hgpr: p.h,
          stck_lwpr: p.l,
          acml_vol: num(snap.volume),
          acml_tr_pbmn: num(snap.value),
          flng_cls_code: '00',
          prtt_rate: '0.00',
          mod_yn: 'N',
          prdy_vrss_sign: c.prdy_vrss_sign,
          prdy_vrss: c.prdy_vrss,
          revl_issu_reas: '',
        }]
      : [];
  return ok('OK_QUOTE', ctx.env, { output1, output2 });
}

/**
 * GET inquire-asking-price-exp-ccn (FHKST01010200): the SYNTHETIC 10-level book of book.ts around the
 * last price (not market data), with the layout keys of kis-protocol §3.5 (no official example in the
 * examples file). Increments (`*_icdc`) are 0. Expected-price fields carry the last price during the
 * closing auction, else 0.
 */
export function inquireAskingPrice(ctx: SimRestContext): KisReply {
  const r = resolve(ctx);
  if (isReply(r)) return r;
  const { inst, snap } = r;
  const book = syntheticBook(inst, snap.last);
  const phase = ctx.engine.phaseAt(ctx.now);
  const output1: Record<string, string> = { aspr_acpt_hour: kstHhmmss(snap.lastTs ?? ctx.now) };
  book.asks.forEach((a, i) => (output1[`askp${i + 1}`] = num(a.price)));
  book.bids.forEach((x, i) => (output1[`bidp${i + 1}`] = num(x.price)));
  book.asks.forEach((a, i) => (output1[`askp_rsqn${i + 1}`] = num(a.quantity)));
  book.bids.forEach((x, i) => (output1[`bidp_rsqn${i + 1}`] = num(x.quantity)));
  book.asks.forEach((_, i) => (output1[`askp_rsqn_icdc${i + 1}`] = '0'));
  book.bids.forEach((_, i) => (output1[`bidp_rsqn_icdc${i + 1}`] = '0'));
  const totA = book.asks.reduce((s, a) => s + a.quantity, 0);
  const totB = book.bids.reduce((s, x) => s + x.quantity, 0);
  Object.assign(output1, {
    total_askp_rsqn: num(totA),
    total_bidp_rsqn: num(totB),
    total_askp_rsqn_icdc: '0',
    total_bidp_rsqn_icdc: '0',
    ovtm_total_askp_icdc: '0',
    ovtm_total_bidp_icdc: '0',
    ovtm_total_askp_rsqn: '0',
    ovtm_total_bidp_rsqn: '0',
    ntby_aspr_rsqn: num(totB - totA),
    new_mkop_cls_code: phase === 'BEFORE_OPEN' ? '10' : phase === 'CLOSED' ? '30' : '20',
  });
  const auction = phase === 'CLOSING_AUCTION';
  const c = change(inst, snap.last);
  const p = ohl(snap);
  const output2 = {
    antc_mkop_cls_code: phase === 'BEFORE_OPEN' ? '311' : auction ? '121' : phase === 'CLOSED' ? '129' : '',
    stck_prpr: num(snap.last),
    stck_oprc: p.o,
    stck_hgpr: p.h,
    stck_lwpr: p.l,
    stck_sdpr: num(inst.basePrice),
    antc_cnpr: auction ? num(snap.last) : '0',
    antc_cntg_vrss_sign: auction ? c.prdy_vrss_sign : '3',
    antc_cntg_vrss: auction ? c.prdy_vrss : '0',
    antc_cntg_prdy_ctrt: auction ? c.prdy_ctrt : '0.00',
    antc_vol: '0',
    stck_shrn_iscd: inst.id,
    vi_cls_code: 'N',
  };
  return ok('OK_QUOTE', ctx.env, { output1, output2 });
}

/** Days per chk-holiday answer (the official example returns 24 consecutive days). */
export const HOLIDAY_ROWS_PER_CALL = 24;

/**
 * GET chk-holiday (CTCA0903R, real only): 24 consecutive days from BASS_DT (or from the day after
 * CTX_AREA_NK on a continuation, header tr_cont N). opnd_yn / sttl_day_yn = trading day: the injected
 * `isTradingDay` when given (an exception from it falls back to the weekday rule), else Mon–Fri.
 * bzdy_yn = weekday and (`isBusinessDay` when given, else the trading-day answer) — so without
 * `isBusinessDay` a KRX-only closure (e.g. the last weekday of the year) shows bzdy_yn N where KIS says
 * Y. tr_day_yn is always Y, as in the official example (weekends included). The calendar never ends:
 * every answer says "more" (tr_cont F then M, KIOK0500) like the example.
 */
export function chkHoliday(ctx: SimRestContext): KisReply {
  let start: KstDate;
  try {
    const cont = isContinuation(ctx, 'CTX_AREA_NK');
    start = cont ? addDays(fromYyyymmdd(q(ctx, 'CTX_AREA_NK')), 1) : fromYyyymmdd(q(ctx, 'BASS_DT'));
  } catch {
    return fail('FIELD_INVALID', ctx.env);
  }
  const cont = isContinuation(ctx, 'CTX_AREA_NK');
  const hooks = ctx.calendar;
  const rows = [];
  let d = start;
  for (let i = 0; i < HOLIDAY_ROWS_PER_CALL; i++, d = addDays(d, 1)) {
    const wd = weekdayOf(d);
    const weekday = wd >= 1 && wd <= 5;
    let trading = weekday;
    if (hooks.isTradingDay) {
      try {
        trading = hooks.isTradingDay(d);
      } catch {
        trading = weekday;
      }
    }
    let business = trading;
    if (hooks.isBusinessDay) {
      try {
        business = hooks.isBusinessDay(d);
      } catch {
        business = trading;
      }
    }
    rows.push({
      bass_dt: toYyyymmdd(d),
      wday_dvsn_cd: String(wd + 1).padStart(2, '0'),
      bzdy_yn: weekday && business ? 'Y' : 'N',
      tr_day_yn: 'Y',
      opnd_yn: trading ? 'Y' : 'N',
      sttl_day_yn: trading ? 'Y' : 'N',
    });
  }
  const lastRow = rows[rows.length - 1];
  return ok('OK_QUERY_MORE', ctx.env, {
    ctx_area_nk: padCtx(lastRow ? lastRow.bass_dt : '', 20),
    ctx_area_fk: padCtx(toYyyymmdd(start), 20),
    output: rows,
  }, cont ? 'M' : 'F');
}
