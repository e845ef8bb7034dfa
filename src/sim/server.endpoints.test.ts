import { afterEach, describe, expect, it } from 'vitest';
import { feeOf } from '../model/money.ts';
import { defaultSimAccount, type SimAccountSpec, type SimHoldingSpec } from './account-spec.ts';
import { SIM_CODES, type SimCodeEntry } from './kis-codes.ts';
import { exampleFor, loadOfficialExamples, OFFICIAL_EXAMPLES_PATH, sectionKeys, topKeys } from './testing/official-examples.ts';
import { startTwin, type TwinFixture } from './testing/fixture.ts';
import type { SimTestClient } from './testing/sim-client.ts';

const V1 = '/uapi/domestic-stock/v1';
const P = {
  price: `${V1}/quotations/inquire-price`,
  minute: `${V1}/quotations/inquire-time-itemchartprice`,
  daily: `${V1}/quotations/inquire-daily-itemchartprice`,
  book: `${V1}/quotations/inquire-asking-price-exp-ccn`,
  holiday: `${V1}/quotations/chk-holiday`,
  balance: `${V1}/trading/inquire-balance`,
  psblOrder: `${V1}/trading/inquire-psbl-order`,
  order: `${V1}/trading/order-cash`,
  amend: `${V1}/trading/order-rvsecncl`,
  psblAmend: `${V1}/trading/inquire-psbl-rvsecncl`,
  ccld: `${V1}/trading/inquire-daily-ccld`,
};
const Q = { FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: '005930' };
const HOLD: SimHoldingSpec[] = [{ code: '005930', quantity: 10, avgPrice: 65_000 }];

let twin: TwinFixture | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function ready(accounts: SimAccountSpec[], start = '09:30'): Promise<{ t: TwinFixture; c: SimTestClient[] }> {
  twin = await startTwin({ accounts, start });
  const t = twin;
  const c = accounts.map((a) => t.client(a));
  for (const x of c) await x.issueToken();
  return { t, c };
}

function balanceQuery(a: SimAccountSpec, nk = '', fk = ''): Record<string, string> {
  return {
    CANO: a.cano, ACNT_PRDT_CD: a.acntPrdtCd, AFHR_FLPR_YN: 'N', OFL_YN: '', INQR_DVSN: '02', UNPR_DVSN: '01',
    FUND_STTL_ICLD_YN: 'N', FNCG_AMT_AUTO_RDPT_YN: 'N', PRCS_DVSN: '00', CTX_AREA_FK100: fk, CTX_AREA_NK100: nk,
  };
}

function ccldQuery(a: SimAccountSpec, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CANO: a.cano, ACNT_PRDT_CD: a.acntPrdtCd, INQR_STRT_DT: '20260107', INQR_END_DT: '20260107', SLL_BUY_DVSN_CD: '00',
    INQR_DVSN: '00', PDNO: '', CCLD_DVSN: '00', ORD_GNO_BRNO: '', ODNO: '', INQR_DVSN_3: '00', INQR_DVSN_1: '',
    CTX_AREA_FK100: '', CTX_AREA_NK100: '', ...extra,
  };
}

function orderBody(a: SimAccountSpec, o: Record<string, string> = {}): Record<string, string> {
  return { CANO: a.cano, ACNT_PRDT_CD: a.acntPrdtCd, PDNO: '005930', ORD_DVSN: '00', ORD_QTY: '1', ORD_UNPR: '69000', ...o };
}

const examples = loadOfficialExamples();

describe.skipIf(!examples)(`response keys equal the official examples (${OFFICIAL_EXAMPLES_PATH})`, () => {
  const ex = (path: string): string => {
    const e = examples && exampleFor(examples, path);
    if (!e) throw new Error(`no example for ${path}`);
    return e;
  };
  const same = (ours: object, theirs: string[]): void => expect(Object.keys(ours).sort()).toEqual([...theirs].sort());

  it('every served endpoint with an example', async () => {
    const REAL = defaultSimAccount({ env: 'real', holdings: HOLD });
    const { c: [c] } = await ready([REAL]);
    if (!c) throw new Error('no client');

    const price = (await c.get(P.price, 'FHKST01010100', Q)).body;
    same(price, topKeys(ex(P.price)));
    same(price.output, sectionKeys(ex(P.price), 'output'));
    expect(Object.keys(price.output)).toHaveLength(79);

    const minute = (await c.get(P.minute, 'FHKST03010200', { ...Q, FID_ETC_CLS_CODE: '', FID_INPUT_HOUR_1: '100000', FID_PW_DATA_INCU_YN: 'Y' })).body;
    same(minute, topKeys(ex(P.minute)));
    same(minute.output1, sectionKeys(ex(P.minute), 'output1'));
    same(minute.output2[0], sectionKeys(ex(P.minute), 'output2'));

    const order = (await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '2' }))).body;
    same(order, topKeys(ex(P.order)));
    same(order.output, sectionKeys(ex(P.order), 'output'));
    await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_UNPR: '70500' })); // fills at once

    const amend = (await c.post(P.amend, 'TTTC0013U', {
      CANO: REAL.cano, ACNT_PRDT_CD: '01', KRX_FWDG_ORD_ORGNO: '', ORGN_ODNO: order.output.ODNO, ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '01', ORD_QTY: '1', ORD_UNPR: '68000', QTY_ALL_ORD_YN: 'N',
    })).body;
    same(amend, topKeys(ex(P.amend)));
    same(amend.output, sectionKeys(ex(P.amend), 'output'));

    const bal = (await c.get(P.balance, 'TTTC8434R', balanceQuery(REAL))).body;
    same(bal, topKeys(ex(P.balance)));
    same(bal.output1[0], sectionKeys(ex(P.balance), 'output1'));
    same(bal.output2[0], sectionKeys(ex(P.balance), 'output2'));

    const psbl = (await c.get(P.psblOrder, 'TTTC8908R', { CANO: REAL.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_UNPR: '0', ORD_DVSN: '01', CMA_EVLU_AMT_ICLD_YN: 'N', OVRS_ICLD_YN: 'N' })).body;
    same(psbl, topKeys(ex(P.psblOrder)));
    same(psbl.output, sectionKeys(ex(P.psblOrder), 'output'));

    const open = (await c.get(P.psblAmend, 'TTTC0084R', { CANO: REAL.cano, ACNT_PRDT_CD: '01', CTX_AREA_FK100: '', CTX_AREA_NK100: '', INQR_DVSN_1: '0', INQR_DVSN_2: '0' })).body;
    same(open, topKeys(ex(P.psblAmend)));
    expect(open.output.length).toBeGreaterThan(0);
    same(open.output[0], sectionKeys(ex(P.psblAmend), 'output'));

    const ccld = (await c.get(P.ccld, 'TTTC0081R', ccldQuery(REAL))).body;
    same(ccld, topKeys(ex(P.ccld)));
    same(ccld.output1[0], sectionKeys(ex(P.ccld), 'output1'));
    same(ccld.output2, sectionKeys(ex(P.ccld), 'output2'));

    const hol = (await c.get(P.holiday, 'CTCA0903R', { BASS_DT: '20260107', CTX_AREA_NK: '', CTX_AREA_FK: '' })).body;
    same(hol, topKeys(ex(P.holiday)));
    same(hol.output[0], sectionKeys(ex(P.holiday), 'output'));
  });

  it('every value of every served body is a string', async () => {
    const REAL = defaultSimAccount({ env: 'real', holdings: HOLD });
    const { c: [c] } = await ready([REAL]);
    if (!c) throw new Error('no client');
    const bodies = [
      (await c.get(P.price, 'FHKST01010100', Q)).body,
      (await c.get(P.minute, 'FHKST03010200', { ...Q, FID_INPUT_HOUR_1: '093000', FID_PW_DATA_INCU_YN: 'Y', FID_ETC_CLS_CODE: '' })).body,
      (await c.get(P.balance, 'TTTC8434R', balanceQuery(REAL))).body,
      (await c.get(P.book, 'FHKST01010200', Q)).body,
    ];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
      else expect(typeof v).toBe('string');
    };
    bodies.forEach(walk);
  });
});

describe('endpoints without an example in the examples file use the layout keys', () => {
  it('inquire-daily-itemchartprice and inquire-asking-price-exp-ccn', async () => {
    const REAL = defaultSimAccount({ env: 'real' });
    const { c: [c] } = await ready([REAL]);
    if (!c) throw new Error('no client');
    const daily = (await c.get(P.daily, 'FHKST03010100', { ...Q, FID_INPUT_DATE_1: '20260101', FID_INPUT_DATE_2: '20260131', FID_PERIOD_DIV_CODE: 'D', FID_ORG_ADJ_PRC: '0' })).body;
    expect(Object.keys(daily.output1)).toHaveLength(30);
    expect(Object.keys(daily.output2[0]).sort()).toEqual(
      ['stck_bsop_date', 'stck_clpr', 'stck_oprc', 'stck_hgpr', 'stck_lwpr', 'acml_vol', 'acml_tr_pbmn', 'flng_cls_code', 'prtt_rate', 'mod_yn', 'prdy_vrss_sign', 'prdy_vrss', 'revl_issu_reas'].sort(),
    );
    const book = (await c.get(P.book, 'FHKST01010200', Q)).body;
    expect(Object.keys(book.output1)).toHaveLength(1 + 60 + 10);
    expect(Object.keys(book.output2).sort()).toEqual(
      ['antc_mkop_cls_code', 'stck_prpr', 'stck_oprc', 'stck_hgpr', 'stck_lwpr', 'stck_sdpr', 'antc_cnpr', 'antc_cntg_vrss_sign', 'antc_cntg_vrss', 'antc_cntg_prdy_ctrt', 'antc_vol', 'stck_shrn_iscd', 'vi_cls_code'].sort(),
    );
  });
});

describe('quotes', () => {
  it('inquire-price values: last, change, limits, tick, volume', async () => {
    const REAL = defaultSimAccount({ env: 'real' });
    const { c: [c], t } = await ready([REAL], '09:30:20');
    if (!c) throw new Error('no client');
    const o = (await c.get(P.price, 'FHKST01010100', Q)).body;
    expect(o).toMatchObject({ rt_cd: '0', msg_cd: 'MCA00000', msg1: '정상처리 되었습니다!' });
    const snap = t.market.snapshot('005930', t.at('09:30:20'))!;
    expect(o.output).toMatchObject({
      stck_prpr: String(snap.last), prdy_vrss: String(snap.last - 70_000), prdy_vrss_sign: snap.last > 70_000 ? '2' : '3',
      stck_mxpr: '91000', stck_llam: '49000', stck_sdpr: '70000', rstc_wdth_prc: '21000', aspr_unit: '100',
      acml_vol: String(snap.volume), acml_tr_pbmn: String(snap.value), stck_shrn_iscd: '005930', temp_stop_yn: 'N', stck_oprc: '70000',
    });
    const k = (await c.get(P.price, 'FHKST01010100', { FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: '000660' })).body.output;
    expect([k.stck_mxpr, k.stck_llam, k.rstc_wdth_prc, k.aspr_unit]).toEqual(['167000', '90000', '38500', '100']);
    const unknown = await c.get(P.price, 'FHKST01010100', { FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: '999999' });
    expect([unknown.status, unknown.body.rt_cd, unknown.body.msg_cd, unknown.body.msg1]).toEqual([200, '1', 'MCA05918', '종목코드 오류입니다.']);
    const badDiv = await c.get(P.price, 'FHKST01010100', { FID_COND_MRKT_DIV_CODE: 'X', FID_INPUT_ISCD: '005930' });
    expect(badDiv.body.msg_cd).toBe('OPSQ2001');
  });

  it('minute bars: 30 per call, newest first, FID_INPUT_HOUR_1 is the newest bar label, future = now', async () => {
    const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100 });
    const { c: [c], t } = await ready([REAL], '10:30');
    if (!c) throw new Error('no client');
    const get = async (h: string) => (await c.get(P.minute, 'FHKST03010200', { ...Q, FID_ETC_CLS_CODE: '', FID_INPUT_HOUR_1: h, FID_PW_DATA_INCU_YN: 'Y' })).body;
    const a = await get('100000');
    expect(a.output2).toHaveLength(30);
    expect(a.output2[0].stck_cntg_hour).toBe('100000');
    expect(a.output2[29].stck_cntg_hour).toBe('093100');
    expect(a.output2[0].stck_bsop_date).toBe('20260107');
    // bar 09:31: prints 09:31:10 70,100 ×100 and 09:31:40 70,100 ×50
    expect(a.output2[29]).toMatchObject({ stck_oprc: '70100', stck_hgpr: '70100', stck_lwpr: '70100', stck_prpr: '70100', cntg_vol: '150' });
    const b = await get('093000');
    expect(b.output2.map((r: { stck_cntg_hour: string }) => r.stck_cntg_hour).slice(0, 2)).toEqual(['093000', '092900']);
    expect(b.output2.at(-1).stck_cntg_hour).toBe('090100');
    const early = await get('090030');
    expect(early.output2.map((r: { stck_cntg_hour: string }) => r.stck_cntg_hour)).toEqual(['090000']);
    // a future FID_INPUT_HOUR_1 means now: a fresh twin whose clock is at 09:45:30
    await t.close();
    twin = undefined;
    const { c: [c2] } = await ready([REAL], '09:45:30');
    const f = (await c2!.get(P.minute, 'FHKST03010200', { ...Q, FID_ETC_CLS_CODE: '', FID_INPUT_HOUR_1: '235959', FID_PW_DATA_INCU_YN: 'Y' })).body;
    expect(f.output2[0].stck_cntg_hour).toBe('094500');
    expect(f.output2[0].cntg_vol).toBe('100'); // only the 09:45:10 print so far
    expect(f.output1).toMatchObject({ hts_kor_isnm: '삼성전자', stck_prdy_clpr: '70000' });
  });

  it('daily bar: the session so far, only inside the asked range', async () => {
    const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100 });
    const { c: [c], t } = await ready([REAL], '16:00');
    if (!c) throw new Error('no client');
    const r = (await c.get(P.daily, 'FHKST03010100', { ...Q, FID_INPUT_DATE_1: '20260101', FID_INPUT_DATE_2: '20260107', FID_PERIOD_DIV_CODE: 'D', FID_ORG_ADJ_PRC: '0' })).body;
    const snap = t.market.snapshot('005930', t.at('16:00'))!;
    expect(r.output2).toEqual([expect.objectContaining({ stck_bsop_date: '20260107', stck_clpr: '70200', acml_vol: String(snap.volume), stck_oprc: '70000' })]);
    const out = (await c.get(P.daily, 'FHKST03010100', { ...Q, FID_INPUT_DATE_1: '20260108', FID_INPUT_DATE_2: '20260131', FID_PERIOD_DIV_CODE: 'D', FID_ORG_ADJ_PRC: '0' })).body;
    expect(out.output2).toEqual([]);
  });

  it('synthetic book: ten grid levels each side around the last price', async () => {
    const REAL = defaultSimAccount({ env: 'real' });
    const { c: [c], t } = await ready([REAL], '09:30:20');
    if (!c) throw new Error('no client');
    const last = t.market.snapshot('005930', t.at('09:30:20'))!.last;
    const o = (await c.get(P.book, 'FHKST01010200', Q)).body.output1;
    expect(Number(o.askp1)).toBe(last + 100);
    expect(Number(o.bidp1)).toBe(last - 100);
    expect(Number(o.askp10)).toBe(last + 1000);
    expect(Number(o.bidp10)).toBe(last - 1000);
    expect(Number(o.total_askp_rsqn)).toBeGreaterThan(0);
  });

  it('chk-holiday: 24 days, weekday rule or the injected calendar', async () => {
    const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100 });
    twin = await startTwin({ accounts: [REAL], server: { isTradingDay: (d) => d !== '2026-01-09' && ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()) } });
    const c = twin.client(REAL);
    await c.issueToken();
    const r = await c.get(P.holiday, 'CTCA0903R', { BASS_DT: '20260107', CTX_AREA_NK: '', CTX_AREA_FK: '' });
    expect(r.headers.get('tr_cont')).toBe('F');
    expect(r.body).toMatchObject({ rt_cd: '0', msg_cd: 'KIOK0500', ctx_area_fk: '20260107            ', ctx_area_nk: '20260130            ' });
    expect(r.body.output).toHaveLength(24);
    expect(r.body.output.slice(0, 5)).toEqual([
      { bass_dt: '20260107', wday_dvsn_cd: '04', bzdy_yn: 'Y', tr_day_yn: 'Y', opnd_yn: 'Y', sttl_day_yn: 'Y' },
      { bass_dt: '20260108', wday_dvsn_cd: '05', bzdy_yn: 'Y', tr_day_yn: 'Y', opnd_yn: 'Y', sttl_day_yn: 'Y' },
      { bass_dt: '20260109', wday_dvsn_cd: '06', bzdy_yn: 'N', tr_day_yn: 'Y', opnd_yn: 'N', sttl_day_yn: 'N' },
      { bass_dt: '20260110', wday_dvsn_cd: '07', bzdy_yn: 'N', tr_day_yn: 'Y', opnd_yn: 'N', sttl_day_yn: 'N' },
      { bass_dt: '20260111', wday_dvsn_cd: '01', bzdy_yn: 'N', tr_day_yn: 'Y', opnd_yn: 'N', sttl_day_yn: 'N' },
    ]);
    const next = await c.get(P.holiday, 'CTCA0903R', { BASS_DT: '20260107', CTX_AREA_NK: r.body.ctx_area_nk, CTX_AREA_FK: r.body.ctx_area_fk }, { trCont: 'N' });
    expect(next.headers.get('tr_cont')).toBe('M');
    expect(next.body.output[0].bass_dt).toBe('20260131');
  });
});

describe('paging', () => {
  const many = (n: number): SimHoldingSpec[] => Array.from({ length: n }, (_, i) => ({ code: String(100_000 + i), quantity: 1 + i, avgPrice: 1_000 }));

  async function allPages(c: SimTestClient, trId: string, path: string, q: Record<string, string>, rowsKey: string, advance: () => void) {
    const pages: { trCont: string | null; rows: { [k: string]: string }[]; msgCd: string; nk: string }[] = [];
    let r = await c.get(path, trId, q);
    for (;;) {
      pages.push({ trCont: r.headers.get('tr_cont'), rows: r.body[rowsKey], msgCd: r.body.msg_cd, nk: r.body.ctx_area_nk100 });
      if (!['F', 'M'].includes(r.headers.get('tr_cont') ?? '')) break;
      advance();
      r = await c.get(path, trId, { ...q, CTX_AREA_FK100: r.body.ctx_area_fk100, CTX_AREA_NK100: r.body.ctx_area_nk100 }, { trCont: 'N' });
    }
    return pages;
  }

  it('inquire-balance: 50 rows a page on real, 20 on paper (at the paper budget of 1/s), tr_cont F…E and ctx keys', async () => {
    const REAL = defaultSimAccount({ env: 'real', holdings: many(60) });
    const PAPER = defaultSimAccount({ env: 'paper', holdings: many(45) });
    const { t, c: [real, paper] } = await ready([REAL, PAPER]);
    if (!real || !paper) throw new Error('no client');
    const rp = await allPages(real, 'TTTC8434R', P.balance, balanceQuery(REAL), 'output1', () => undefined);
    expect(rp.map((p) => [p.trCont, p.rows.length, p.msgCd])).toEqual([['F', 50, 'KIOK0500'], ['E', 10, 'KIOK0460']]);
    expect(rp[0]?.nk.trimEnd()).toBe('100050');
    expect(rp[0]?.nk).toHaveLength(100);
    expect(rp.flatMap((p) => p.rows.map((r) => r['pdno']))).toEqual(many(60).map((h) => h.code));
    t.clock.advance(1000);
    const pp = await allPages(paper, 'VTTC8434R', P.balance, balanceQuery(PAPER), 'output1', () => t.clock.advance(1000));
    expect(pp.map((p) => [p.trCont, p.rows.length])).toEqual([['F', 20], ['M', 20], ['E', 5]]);
    expect(new Set(pp.flatMap((p) => p.rows.map((r) => r['pdno']))).size).toBe(45);
  });

  it('inquire-balance single page: tr_cont D, KIOK0510 padded to 80 columns', async () => {
    const REAL = defaultSimAccount({ env: 'real', holdings: HOLD });
    const { c: [c] } = await ready([REAL]);
    const r = await c!.get(P.balance, 'TTTC8434R', balanceQuery(REAL));
    expect(r.headers.get('tr_cont')).toBe('D');
    expect(r.body.msg_cd).toBe('KIOK0510');
    expect(r.body.msg1).toBe('조회가 완료되었습니다                                                           ');
    expect(r.body.ctx_area_fk100).toBe('50000001^01^N^N^02^01^N^'.padEnd(100));
  });

  it('inquire-daily-ccld: 100 rows a page on real, 15 on paper, newest first, totals over all rows', async () => {
    const REAL = defaultSimAccount({ env: 'real' });
    const PAPER = defaultSimAccount({ env: 'paper' });
    const { t, c: [real, paper] } = await ready([REAL, PAPER]);
    if (!real || !paper) throw new Error('no client');
    const eng = t.server.state.engine;
    for (let i = 0; i < 130; i++) expect(eng.submit({ accountKey: `${REAL.cano}01`, side: 'BUY', code: '005930', ordDvsn: '00', qty: 1, price: 60_000 }, t.clock.now()).ok).toBe(true);
    for (let i = 0; i < 20; i++) expect(eng.submit({ accountKey: `${PAPER.cano}01`, side: 'BUY', code: '005930', ordDvsn: '00', qty: 2, price: 60_000 }, t.clock.now()).ok).toBe(true);
    const rp = await allPages(real, 'TTTC0081R', P.ccld, ccldQuery(REAL), 'output1', () => undefined);
    expect(rp.map((p) => [p.trCont, p.rows.length])).toEqual([['F', 100], ['E', 30]]);
    const odnos = rp.flatMap((p) => p.rows.map((r) => r['odno']));
    expect(new Set(odnos).size).toBe(130);
    expect([...odnos].sort().reverse()).toEqual(odnos);
    const pp = await allPages(paper, 'VTTC0081R', P.ccld, ccldQuery(PAPER), 'output1', () => t.clock.advance(1000));
    expect(pp.map((p) => [p.trCont, p.rows.length])).toEqual([['F', 15], ['E', 5]]);
    t.clock.advance(1000);
    const first = await paper.get(P.ccld, 'VTTC0081R', ccldQuery(PAPER, { INQR_DVSN: '01' }));
    expect(first.body.output1[0].odno < first.body.output1[1].odno).toBe(true);
    expect(first.body.output2).toMatchObject({ tot_ord_qty: '40', tot_ccld_qty: '0', tot_ccld_amt: '0' });
  });
});

describe('orders over HTTP', () => {
  it('order → open orders → modify (new ODNO) → fill on a later print → cancel → daily-ccld → balance', async () => {
    const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100 });
    const { t, c: [c] } = await ready([REAL], '09:30:00');
    if (!c) throw new Error('no client');
    const a = await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '10', ORD_UNPR: '69000' }));
    expect(a.body).toMatchObject({ rt_cd: '0', msg_cd: 'APBK0013', msg1: '주문 전송 완료 되었습니다.', output: { KRX_FWDG_ORD_ORGNO: '06010', ORD_TMD: '093000' } });
    expect(a.body.output.ODNO).toMatch(/^\d{10}$/);
    const b = await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '3', ORD_UNPR: '60000' }));
    const open = (await c.get(P.psblAmend, 'TTTC0084R', { CANO: REAL.cano, ACNT_PRDT_CD: '01', CTX_AREA_FK100: '', CTX_AREA_NK100: '', INQR_DVSN_1: '0', INQR_DVSN_2: '0' })).body;
    expect(open.output.map((o: { odno: string; psbl_qty: string }) => [o.odno, o.psbl_qty])).toEqual([[a.body.output.ODNO, '10'], [b.body.output.ODNO, '3']]);
    // modify 10 @ 69,000 → 70,000: the 09:31:10 print at 70,100 does not fill a buy at 70,000; 09:35:10 at 70,000 does
    const m = await c.post(P.amend, 'TTTC0013U', {
      CANO: REAL.cano, ACNT_PRDT_CD: '01', KRX_FWDG_ORD_ORGNO: '06010', ORGN_ODNO: a.body.output.ODNO, ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '01', ORD_QTY: '0', ORD_UNPR: '70000', QTY_ALL_ORD_YN: 'Y',
    });
    expect(m.body.msg_cd).toBe('APBK0013');
    expect(m.body.output.ODNO).not.toBe(a.body.output.ODNO);
    t.setTime('09:35:30');
    const cancel = await c.post(P.amend, 'TTTC0013U', {
      CANO: REAL.cano, ACNT_PRDT_CD: '01', KRX_FWDG_ORD_ORGNO: '', ORGN_ODNO: b.body.output.ODNO, ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '02', ORD_QTY: '0', ORD_UNPR: '0', QTY_ALL_ORD_YN: 'Y',
    });
    expect(cancel.body.msg_cd).toBe('APBK0013');
    const rows = (await c.get(P.ccld, 'TTTC0081R', ccldQuery(REAL, { INQR_DVSN: '01' }))).body.output1;
    expect(rows.map((r: Record<string, string>) => [r['odno'], r['orgn_odno'], r['ord_qty'], r['tot_ccld_qty'], r['rmn_qty'], r['cncl_yn'], r['cncl_cfrm_qty']])).toEqual([
      [a.body.output.ODNO, '', '10', '0', '0', '', '10'],
      [b.body.output.ODNO, '', '3', '0', '0', '', '3'],
      [m.body.output.ODNO, a.body.output.ODNO, '10', '10', '0', '', '0'],
      [cancel.body.output.ODNO, b.body.output.ODNO, '3', '0', '0', 'Y', '3'],
    ]);
    const filled = (await c.get(P.ccld, 'TTTC0081R', ccldQuery(REAL, { CCLD_DVSN: '01' }))).body;
    expect(filled.output1).toHaveLength(1);
    expect(filled.output1[0]).toMatchObject({ avg_prvs: '70000', tot_ccld_amt: '700000' });
    expect(filled.output2).toMatchObject({ tot_ccld_qty: '10', tot_ccld_amt: '700000', prsm_tlex_smtl: String(feeOf(700_000, 15)), pchs_avg_pric: '70000.0000' });
    const bal = (await c.get(P.balance, 'TTTC8434R', balanceQuery(REAL))).body;
    expect(bal.output1[0]).toMatchObject({ pdno: '005930', hldg_qty: '10', ord_psbl_qty: '10', thdt_buyqty: '10', pchs_avg_pric: '70000.0000', pchs_amt: '700000' });
    const cash = 10_000_000 - 700_000 - feeOf(700_000, 15);
    expect(bal.output2[0]).toMatchObject({ dnca_tot_amt: '10000000', prvs_rcdl_excc_amt: String(cash), thdt_buy_amt: '700000', thdt_tlex_amt: String(feeOf(700_000, 15)) });
    const psbl = (await c.get(P.psblOrder, 'TTTC8908R', { CANO: REAL.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_UNPR: '70000', ORD_DVSN: '00', CMA_EVLU_AMT_ICLD_YN: 'N', OVRS_ICLD_YN: 'N' })).body.output;
    const maxQty = Math.floor(cash / 70_000);
    expect(psbl).toMatchObject({ ord_psbl_cash: String(cash), psbl_qty_calc_unpr: '70000', nrcvb_buy_qty: String(70_000 * maxQty + feeOf(70_000 * maxQty, 15) <= cash ? maxQty : maxQty - 1) });
  });

  it('a resting order fills lazily when the clock passes a print, and expires at the close', async () => {
    const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100 });
    const { t, c: [c] } = await ready([REAL], '09:30:00');
    if (!c) throw new Error('no client');
    const events: string[] = [];
    t.server.state.engine.onEvent((e) => events.push(`${e.kind}:${e.fillQty}`));
    await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '5', ORD_UNPR: '70000' }));
    await c.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '5', ORD_UNPR: '50000' }));
    t.setTime('09:35:15'); // print 09:35:10 at 70,000
    await c.get(P.price, 'FHKST01010100', Q);
    expect(events).toEqual(['accepted:0', 'accepted:0', 'filled:5']);
    t.setTime('15:31:00');
    const rows = (await c.get(P.psblAmend, 'TTTC0084R', { CANO: REAL.cano, ACNT_PRDT_CD: '01', CTX_AREA_FK100: '', CTX_AREA_NK100: '', INQR_DVSN_1: '0', INQR_DVSN_2: '0' })).body.output;
    expect(rows).toEqual([]);
    expect(events.at(-1)).toBe('expired:0');
  });
});

describe('order rejections over HTTP (HTTP 200, rt_cd 1 unless noted)', () => {
  const REAL = defaultSimAccount({ env: 'real', rateLimitPerSecond: 100, cash: 1_000_000, holdings: HOLD });
  const PAPER = defaultSimAccount({ env: 'paper', rateLimitPerSecond: 100, cash: 1_000_000, holdings: HOLD });

  it.each([
    ['off-tick price', 'real', { ORD_UNPR: '69950' }, 'TTTC0012U', 'PRICE_OFF_TICK'],
    ['above the upper limit', 'real', { ORD_UNPR: '91100' }, 'TTTC0012U', 'PRICE_OUT_OF_LIMIT'],
    ['insufficient cash', 'real', { ORD_QTY: '15' }, 'TTTC0012U', 'CASH_INSUFFICIENT'],
    ['market order reserved at the upper limit', 'real', { ORD_DVSN: '01', ORD_UNPR: '0', ORD_QTY: '11' }, 'TTTC0012U', 'CASH_INSUFFICIENT'],
    ['insufficient holdings', 'real', { ORD_QTY: '11' }, 'TTTC0011U', 'HOLDINGS_INSUFFICIENT'],
    ['unknown code', 'real', { PDNO: '999999' }, 'TTTC0012U', 'CODE_UNKNOWN'],
    ['quantity 0', 'real', { ORD_QTY: '0' }, 'TTTC0012U', 'QUANTITY_INVALID'],
    ['quantity not a number', 'real', { ORD_QTY: '-1' }, 'TTTC0012U', 'QUANTITY_INVALID'],
    ['ORD_DVSN unsupported by the twin', 'real', { ORD_DVSN: '03' }, 'TTTC0012U', 'ORD_DVSN_UNSUPPORTED'],
    ['real-only ORD_DVSN on paper', 'paper', { ORD_DVSN: '11' }, 'VTTC0012U', 'PAPER_UNSUPPORTED'],
    ['NXT on paper', 'paper', { EXCG_ID_DVSN_CD: 'NXT' }, 'VTTC0012U', 'PAPER_UNSUPPORTED'],
    ['SOR on paper', 'paper', { EXCG_ID_DVSN_CD: 'SOR' }, 'VTTC0012U', 'PAPER_UNSUPPORTED'],
    ['NXT on real', 'real', { EXCG_ID_DVSN_CD: 'NXT' }, 'TTTC0012U', 'VENUE_UNSUPPORTED'],
  ] as const)('%s', async (_name, env, over, trId, key) => {
    const acct = env === 'real' ? REAL : PAPER;
    const { c: [c] } = await ready([acct]);
    const r = await c!.post(P.order, trId, orderBody(acct, over));
    const code: SimCodeEntry = SIM_CODES[key];
    const expected = env === 'paper' && code.paper ? code.paper : code;
    expect([r.status, r.body.rt_cd, r.body.msg_cd, r.body.msg1]).toEqual([200, '1', expected.msgCd, expected.msg1]);
  });

  it('SOR on real is routed to KRX and accepted', async () => {
    const { c: [c] } = await ready([REAL]);
    expect((await c!.post(P.order, 'TTTC0012U', orderBody(REAL, { EXCG_ID_DVSN_CD: 'SOR' }))).body.msg_cd).toBe('APBK0013');
  });

  it('market closed: real APBK0918, paper 40570000 before the open and 40580000 after the close', async () => {
    {
      const { c: [r, p] } = await ready([REAL, PAPER], '08:59:59');
      expect((await r!.post(P.order, 'TTTC0012U', orderBody(REAL))).body).toMatchObject({ rt_cd: '1', msg_cd: 'APBK0918', msg1: '장운영시간이 아닙니다.(주문불가)' });
      expect((await p!.post(P.order, 'VTTC0012U', orderBody(PAPER))).body).toMatchObject({ rt_cd: '1', msg_cd: '40570000', msg1: '모의투자 장시작전 입니다.' });
      await twin?.close();
      twin = undefined;
    }
    const { c: [r, p] } = await ready([REAL, PAPER], '15:30:00');
    expect((await r!.post(P.order, 'TTTC0012U', orderBody(REAL))).body.msg_cd).toBe('APBK0918');
    expect((await p!.post(P.order, 'VTTC0012U', orderBody(PAPER))).body).toMatchObject({ rt_cd: '1', msg_cd: '40580000', msg1: '모의투자 장종료 입니다.' });
  });

  it('closing auction (15:20–15:30) accepts orders; they fill at the close print', async () => {
    const { t, c: [c] } = await ready([REAL], '15:25:00');
    const r = await c!.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '2', ORD_UNPR: '70500' }));
    expect(r.body.msg_cd).toBe('APBK0013');
    t.setTime('15:30:00');
    const rows = (await c!.get(P.ccld, 'TTTC0081R', ccldQuery(REAL))).body.output1;
    expect(rows[0]).toMatchObject({ tot_ccld_qty: '2', avg_prvs: '70200' });
  });

  it('wrong account, unknown original order, bad RVSE_CNCL_DVSN_CD, modify quantity above the remainder', async () => {
    const { c: [c] } = await ready([REAL]);
    const wrong = await c!.post(P.order, 'TTTC0012U', orderBody(REAL, { CANO: '12345678' }));
    expect([wrong.status, wrong.body.msg_cd]).toEqual([500, 'OPSQ2000']);
    const amend = (o: Record<string, string>) => c!.post(P.amend, 'TTTC0013U', {
      CANO: REAL.cano, ACNT_PRDT_CD: '01', KRX_FWDG_ORD_ORGNO: '', ORGN_ODNO: '0000009999', ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '02', ORD_QTY: '0', ORD_UNPR: '0', QTY_ALL_ORD_YN: 'Y', ...o,
    });
    expect((await amend({})).body.msg_cd).toBe('APBK0634');
    expect((await amend({ RVSE_CNCL_DVSN_CD: '03' })).body.msg_cd).toBe('APBK0636');
    const placed = await c!.post(P.order, 'TTTC0012U', orderBody(REAL, { ORD_QTY: '2' }));
    expect((await amend({ ORGN_ODNO: placed.body.output.ODNO, QTY_ALL_ORD_YN: 'N', ORD_QTY: '3' })).body.msg_cd).toBe('APBK1359');
    expect((await amend({ ORGN_ODNO: placed.body.output.ODNO, RVSE_CNCL_DVSN_CD: '01', ORD_UNPR: '69050' })).body.msg_cd).toBe('APBK0506');
    expect((await amend({ ORGN_ODNO: placed.body.output.ODNO })).body.msg_cd).toBe('APBK0013');
    expect((await amend({ ORGN_ODNO: placed.body.output.ODNO })).body.msg_cd).toBe('APBK0635');
  });
});
