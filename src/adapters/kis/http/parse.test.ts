import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { unixMillis } from '../../../core/brand.ts';
import { kstInstant } from '../../../core/kst.ts';
import { instrumentId } from '../../../model/instrument.ts';
import { KisError } from '../common/errors.ts';
import { KIS_PATHS } from '../common/urls.ts';
import { kisFixture, REPO_ROOT } from '../testing/scripted-peer.ts';
import { interpret, validate } from './envelope.ts';
import {
  mapBalance,
  mapBuyingPower,
  mapDailyBars,
  mapDailyCcld,
  mapHoliday,
  mapMinuteBars,
  mapOrderAck,
  mapOrderBook,
  mapPsblRvsecncl,
  mapQuote,
} from './parse.ts';
import { minuteRows, rowsOf } from './raw-client.ts';
import {
  AskingPriceResponse,
  BalanceResponse,
  DailyBarRow,
  DailyCcldResponse,
  DailyCcldRow,
  DailyChartResponse,
  HolidayResponse,
  InquirePriceResponse,
  MinuteChartResponse,
  OrderResponse,
  PsblOrderResponse,
  PsblRvsecnclResponse,
  PsblRvsecnclRow,
} from './schemas.ts';
import { isEmptyRow } from '../common/parse.ts';

/**
 * (a) Every official KIS example for the endpoints this adapter calls goes through the adapter's own
 * response path: `interpret` (envelope, case-insensitive keys) → schema → domain mapper.
 */
interface Example {
  url: string;
  method: string;
  api_name: string;
  response_example: string;
  response_truncated_or_elided: boolean;
}
const EXAMPLES_FILE = resolve(REPO_ROOT, '../shared/data/kis/kis_official_doc_examples.json');
const haveShared = existsSync(EXAMPLES_FILE);
const examples = haveShared ? (JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8')) as { examples: Example[] }).examples : [];

/** Our endpoint paths (not the OAuth ones, whose examples the source file omits). */
const OUR_PATHS = Object.entries(KIS_PATHS).filter(([k]) => !['tokenP', 'approval', 'hashkey'].includes(k));

/** Strict JSON first; then the documented repair for elided examples (drop lines that are only dots). */
function parseExample(text: string): { body: unknown; how: 'verbatim' | 'elision-removed' } | undefined {
  try {
    return { body: JSON.parse(text), how: 'verbatim' };
  } catch {
    try {
      return { body: JSON.parse(text.split('\n').filter((l) => !/^\s*\.{3,}\s*$/.test(l)).join('\n')), how: 'elision-removed' };
    } catch {
      return undefined;
    }
  }
}

function decode<S extends z.ZodType>(body: unknown, schema: S, endpoint: string): z.infer<S> {
  const i = interpret({ status: 200, headers: {}, text: JSON.stringify(body) }, 'rt');
  if (!i.ok) throw new Error(`example did not read as a success envelope: ${JSON.stringify(i)}`);
  return validate(schema, i.body, { kind: 'query', endpoint });
}

const T = unixMillis(kstInstant('2024-11-08', '15:00'));
const byUrl = new Map<string, Example>();
for (const [, path] of OUR_PATHS) {
  const e = examples.find((x) => x.url.split(' ')[0] === path);
  if (e) byUrl.set(path, e);
}

describe('official KIS examples (kis_official_doc_examples.json)', () => {
  it.skipIf(!haveShared)('finds 10 examples for our 12 endpoints, parses 9, and knows which one is unparseable (needs ../shared)', () => {
    expect(byUrl.size).toBe(10);
    expect(byUrl.has(KIS_PATHS.inquireDailyItemchartprice)).toBe(false);
    expect(byUrl.has(KIS_PATHS.inquireAskingPriceExpCcn)).toBe(false);
    const parsed = [...byUrl.entries()].filter(([, e]) => parseExample(e.response_example) !== undefined).map(([p]) => p);
    expect(parsed).toHaveLength(9);
    expect([...byUrl.keys()].filter((p) => !parsed.includes(p))).toEqual([KIS_PATHS.inquireTimeItemchartprice]);
    expect(parseExample(byUrl.get(KIS_PATHS.inquireTimeDailychartprice)!.response_example)?.how).toBe('elision-removed');
  });

  // The official example from ../shared when present, else its verbatim copy in test/fixtures/kis
  // (the test below proves the copies equal the examples whenever ../shared is there).
  const FIXTURE_OF: Record<string, string> = {
    [KIS_PATHS.inquirePrice]: 'http_get_inquire-price.json',
    [KIS_PATHS.inquireTimeDailychartprice]: 'http_get_inquire-time-dailychartprice.json',
    [KIS_PATHS.inquireBalance]: 'http_get_inquire-balance.json',
    [KIS_PATHS.inquirePsblOrder]: 'http_get_inquire-psbl-order.json',
    [KIS_PATHS.orderCash]: 'http_post_order-cash.json',
    [KIS_PATHS.orderRvsecncl]: 'http_post_order-rvsecncl.json',
    [KIS_PATHS.inquirePsblRvsecncl]: 'http_get_inquire-psbl-rvsecncl.json',
    [KIS_PATHS.inquireDailyCcld]: 'http_get_inquire-daily-ccld.json',
    [KIS_PATHS.chkHoliday]: 'http_get_chk-holiday.json',
  };
  const ex = (path: string): unknown => (haveShared ? parseExample(byUrl.get(path)!.response_example)!.body : kisFixture(FIXTURE_OF[path]!));

  it.skipIf(!haveShared)('fixtures in test/fixtures/kis are the official examples (verbatim or elision-removed; needs ../shared)', () => {
    const files: [string, string][] = [
      ['http_get_inquire-price.json', KIS_PATHS.inquirePrice],
      ['http_get_inquire-time-dailychartprice.json', KIS_PATHS.inquireTimeDailychartprice],
      ['http_get_inquire-balance.json', KIS_PATHS.inquireBalance],
      ['http_get_inquire-psbl-order.json', KIS_PATHS.inquirePsblOrder],
      ['http_post_order-cash.json', KIS_PATHS.orderCash],
      ['http_post_order-rvsecncl.json', KIS_PATHS.orderRvsecncl],
      ['http_get_inquire-psbl-rvsecncl.json', KIS_PATHS.inquirePsblRvsecncl],
      ['http_get_inquire-daily-ccld.json', KIS_PATHS.inquireDailyCcld],
      ['http_get_chk-holiday.json', KIS_PATHS.chkHoliday],
    ];
    for (const [file, path] of files) expect(kisFixture(file)).toEqual(ex(path));
    const salvaged = kisFixture<{ output2: unknown[] }>('http_get_inquire-time-itemchartprice.json');
    expect(byUrl.get(KIS_PATHS.inquireTimeItemchartprice)!.response_example).toContain(JSON.stringify(salvaged.output2[0], null, 2).split('\n')[1]!.trim());
  });

  it('inquire-price → QuoteReport', () => {
    const q = mapQuote(decode(ex(KIS_PATHS.inquirePrice), InquirePriceResponse, 'inquirePrice'), instrumentId('000660'), T);
    expect(q).toEqual({
      instrumentId: '000660',
      name: '',
      last: 128_500,
      change: 0,
      changePercent: 0,
      open: 128_500,
      high: 130_000,
      low: 128_500,
      volume: 2_669_075,
      tradedValue: 344_570_137_500,
      upperLimit: 167_000,
      lowerLimit: 90_000,
      basePrice: 128_500,
      tick: 500,
      halted: false,
      tsInit: T,
    });
  });

  it('inquire-time-itemchartprice (salvaged fixture) → one bar', () => {
    const r = decode(kisFixture('http_get_inquire-time-itemchartprice.json'), MinuteChartResponse, 'x');
    const bars = mapMinuteBars(minuteRows(r.output2, 'x'), instrumentId('000660'), 'x');
    expect(bars).toEqual([
      {
        instrumentId: '000660',
        date: '2022-09-02',
        time: '100000',
        ts: kstInstant('2022-09-02', '10:00:00'),
        open: 92_400,
        high: 92_500,
        low: 92_400,
        close: 92_500,
        volume: 1_383,
        value: 55_858_827_400,
      },
    ]);
  });

  it('inquire-time-dailychartprice → 3 bars, oldest first', () => {
    const r = decode(ex(KIS_PATHS.inquireTimeDailychartprice), MinuteChartResponse, 'x');
    expect(r.output1?.hts_kor_isnm).toBe('삼성전자');
    const bars = mapMinuteBars(minuteRows(r.output2, 'x'), instrumentId('005930'), 'x');
    expect(bars.map((b) => b.time)).toEqual(['120100', '135900', '140000']);
    expect(bars[2]).toMatchObject({ date: '2024-11-08', open: 57_300, high: 57_400, low: 57_200, close: 57_300, volume: 59_047 });
  });

  it('inquire-balance → positions merged per stock + cash', () => {
    const page = decode(ex(KIS_PATHS.inquireBalance), BalanceResponse, 'inquireBalance');
    expect(page.output1).toHaveLength(2);
    expect(page.ctx_area_fk100).toBe('81055689^01^N^N^01^01^N^                                                                            ');
    const b = mapBalance([page], T);
    expect(b.positions).toHaveLength(1);
    const p = b.positions[0]!;
    expect(p).toMatchObject({ instrumentId: '009150', name: '삼성전기', quantity: 1_660, sellableQuantity: 1_614, purchaseAmount: 224_793_497, lastPrice: 0 });
    expect(p.averagePrice).toBeCloseTo((1_657 * 135_440.2517 + 3 * 123_000) / 1_660, 6);
    expect(b.cash).toEqual({ deposit: 346_455, settlementD2: 346_455, settlementD1: 346_455, securitiesValue: 1_759_600, totalValue: 2_106_055 });
  });

  it('inquire-psbl-order → BuyingPowerReport', () => {
    expect(mapBuyingPower(decode(ex(KIS_PATHS.inquirePsblOrder), PsblOrderResponse, 'x'))).toEqual({
      orderableCash: 741_191_178,
      cashBuyAmount: 107_177_377,
      cashBuyQuantity: 1_531,
      maxBuyAmount: 1_482_382_356,
      maxBuyQuantity: 21_176,
      calcPrice: 70_000,
    });
  });

  it('order-cash and order-rvsecncl (UPPER-CASE output) → OrderAck', () => {
    const cash = interpret({ status: 200, headers: {}, text: JSON.stringify(ex(KIS_PATHS.orderCash)) }, 'rt');
    if (!cash.ok) throw new Error('not ok');
    const ack = mapOrderAck(validate(OrderResponse, cash.body, { kind: 'command', endpoint: 'orderCash' }), cash.msgCd, cash.msg1, '2026-01-05', 'orderCash');
    expect(ack).toEqual({ venueOrderId: '0001569157', branch: '06010', tsEvent: kstInstant('2026-01-05', '15:52:11'), messageCode: 'APBK0013', message: '주문 전송 완료 되었습니다.' });
    const rv = decode(ex(KIS_PATHS.orderRvsecncl), OrderResponse, 'orderRvsecncl');
    expect(rv.output).toEqual({ krx_fwdg_ord_orgno: '06010', odno: '0001569139', ord_tmd: '131438' });
  });

  it('inquire-psbl-rvsecncl → open OrderStatusReports', () => {
    const page = decode(ex(KIS_PATHS.inquirePsblRvsecncl), PsblRvsecnclResponse, 'x');
    const rows = rowsOf(page.output, PsblRvsecnclRow, 'x', 'output', isEmptyRow);
    const reports = rows.map((r) => mapPsblRvsecncl(r, '2026-01-05'));
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({
      venueOrderId: '0001569139',
      branch: '06010',
      originalVenueOrderId: '0001569136',
      instrumentId: '009150',
      side: 'BUY',
      orderType: 'LIMIT',
      quantity: 1,
      price: 140_000,
      filledQuantity: 0,
      remainingQuantity: 1,
      isModifyOrCancel: true,
      venue: 'KRX',
      tsEvent: kstInstant('2026-01-05', '13:14:38'),
    });
    expect(reports[1]!.isModifyOrCancel).toBe(false);
  });

  it('inquire-daily-ccld → OrderStatusReports (rejected orders)', () => {
    const page = decode(ex(KIS_PATHS.inquireDailyCcld), DailyCcldResponse, 'x');
    const reports = rowsOf(page.output1, DailyCcldRow, 'x', 'output1', isEmptyRow).map(mapDailyCcld);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({
      venueOrderId: '0001568197',
      orderDate: '2022-01-03',
      side: 'BUY',
      quantity: 10,
      price: 150_000,
      filledQuantity: 0,
      rejectedQuantity: 10,
      remainingQuantity: 0,
      canceled: false,
      venue: 'KRX',
      tsEvent: kstInstant('2022-01-03', '17:01:00'),
    });
  });

  it('chk-holiday → HolidayReports (2022-12-30: business day, market closed)', () => {
    const rows = decode(ex(KIS_PATHS.chkHoliday), HolidayResponse, 'x').output.map(mapHoliday);
    expect(rows).toHaveLength(24);
    expect(rows.find((r) => r.date === '2022-12-30')).toEqual({ date: '2022-12-30', marketOpen: false, businessDay: true, tradingDay: true, settlementDay: false });
    expect(rows.find((r) => r.date === '2022-12-27')!.marketOpen).toBe(true);
  });
});

describe('strict on the fields we use', () => {
  it('a missing or garbled field is KIS_PAYLOAD_INVALID naming the field', () => {
    const body = structuredClone(kisFixture<{ output: Record<string, string> }>('http_get_inquire-price.json'));
    delete body.output['stck_prpr'];
    body.output['stck_mxpr'] = '16x000';
    let err: unknown;
    try {
      decode(body, InquirePriceResponse, 'inquirePrice');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KisError);
    expect((err as KisError).code).toBe('KIS_PAYLOAD_INVALID');
    expect((err as KisError).message).toContain('output.stck_prpr');
    expect((err as KisError).message).toContain('output.stck_mxpr');
  });

  it('an unknown order side fails loudly', () => {
    const page = kisFixture<{ output: Record<string, string>[] }>('http_get_inquire-psbl-rvsecncl.json');
    const row = { ...page.output[0]!, sll_buy_dvsn_cd: '07' };
    const parsed = rowsOf([row], PsblRvsecnclRow, 'x', 'output', isEmptyRow)[0]!;
    expect(() => mapPsblRvsecncl(parsed, '2026-01-05')).toThrow(/sll_buy_dvsn_cd/);
  });
});

describe('mappings without an official example (SYNTHETIC bodies, shaped per kis-protocol §3.4/§3.5)', () => {
  it('daily bars: empty padding rows are skipped, oldest first, ts at 15:30 KST', () => {
    const SYNTHETIC_DAILY = {
      rt_cd: '0',
      msg_cd: 'MCA00000',
      msg1: 'SYNTHETIC',
      output1: { hts_kor_isnm: 'SYNTHETIC' },
      output2: [
        { stck_bsop_date: '20240103', stck_clpr: '1010', stck_oprc: '1000', stck_hgpr: '1020', stck_lwpr: '990', acml_vol: '5', acml_tr_pbmn: '5050' },
        { stck_bsop_date: '20240102', stck_clpr: '1000', stck_oprc: '990', stck_hgpr: '1000', stck_lwpr: '980', acml_vol: '3', acml_tr_pbmn: '2990' },
        {},
      ],
    };
    const r = decode(SYNTHETIC_DAILY, DailyChartResponse, 'x');
    const bars = mapDailyBars(rowsOf(r.output2, DailyBarRow, 'x', 'output2', isEmptyRow), instrumentId('000001'), 'x');
    expect(bars.map((b) => b.date)).toEqual(['2024-01-02', '2024-01-03']);
    expect(bars[0]).toMatchObject({ time: '', ts: kstInstant('2024-01-02', '15:30'), open: 990, close: 1_000, volume: 3, value: 2_990 });
  });

  it('order book: 10 levels a side, empty levels left out', () => {
    const o: Record<string, string> = { aspr_acpt_hour: '093000' };
    for (let i = 1; i <= 10; i++) {
      o[`askp${i}`] = i <= 8 ? String(1000 + i) : '0';
      o[`bidp${i}`] = String(1000 - i);
      o[`askp_rsqn${i}`] = String(i);
      o[`bidp_rsqn${i}`] = String(10 * i);
    }
    const SYNTHETIC_BOOK = { rt_cd: '0', msg_cd: 'MCA00000', msg1: 'SYNTHETIC', output1: o, output2: {} };
    const b = mapOrderBook(decode(SYNTHETIC_BOOK, AskingPriceResponse, 'x'), instrumentId('000001'), T);
    expect(b.asks).toHaveLength(8);
    expect(b.bids).toHaveLength(10);
    expect(b.asks[0]).toEqual({ price: 1_001, quantity: 1 });
    expect(b.bids[9]).toEqual({ price: 990, quantity: 100 });
    expect(b.time).toBe('093000');
  });
});
