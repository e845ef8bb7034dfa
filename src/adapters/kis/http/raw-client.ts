import type { z } from 'zod';
import type { KisConfig } from '../config.ts';
import type { KisCredentials } from '../common/credentials.ts';
import { KisError, type CallKind } from '../common/errors.ts';
import { isEmptyRow, isSentinelBarRow } from '../common/parse.ts';
import type { TrOperation } from '../common/tr-ids.ts';
import type { KisPathKey } from '../common/urls.ts';
import { validate } from './envelope.ts';
import {
  AskingPriceResponse,
  BalanceResponse,
  DailyBarRow,
  DailyCcldResponse,
  DailyCcldRow,
  DailyChartResponse,
  HolidayResponse,
  InquirePriceResponse,
  MinuteBarRow,
  MinuteChartResponse,
  OrderResponse,
  PsblOrderResponse,
  PsblRvsecnclResponse,
  PsblRvsecnclRow,
  type HolidayRow,
} from './schemas.ts';
import type { CallResult, KisTransport } from './transport.ts';

/**
 * Raw KIS client: one method per endpoint (kis-protocol.md §3), KIS field names and string values in,
 * validated KIS shapes out. Adds the account fields (`CANO`, `ACNT_PRDT_CD`) itself. Paging TRs return
 * every page (bounded by `config.maxPages`). No domain types here; `kis-client.ts` maps.
 */

/** Quote selector (§3): `J` KRX, `NX` NXT, `UN` unified. */
export type MrktDivCode = 'J' | 'NX' | 'UN';

export interface InquirePriceParams {
  readonly FID_COND_MRKT_DIV_CODE: MrktDivCode;
  readonly FID_INPUT_ISCD: string;
}
export interface InquireTimeItemchartpriceParams extends InquirePriceParams {
  /** HHMMSS: bars ending at or before this time (newest first, 30 rows, today only). */
  readonly FID_INPUT_HOUR_1: string;
  readonly FID_PW_DATA_INCU_YN: 'Y' | 'N';
  readonly FID_ETC_CLS_CODE: '';
}
export interface InquireTimeDailychartpriceParams extends InquirePriceParams {
  readonly FID_INPUT_HOUR_1: string;
  /** YYYYMMDD. */
  readonly FID_INPUT_DATE_1: string;
  readonly FID_PW_DATA_INCU_YN: 'Y' | 'N';
  readonly FID_FAKE_TICK_INCU_YN: '';
}
export interface InquireDailyItemchartpriceParams extends InquirePriceParams {
  readonly FID_INPUT_DATE_1: string;
  readonly FID_INPUT_DATE_2: string;
  readonly FID_PERIOD_DIV_CODE: 'D' | 'W' | 'M' | 'Y';
  /** 0 수정주가 (adjusted), 1 원주가. */
  readonly FID_ORG_ADJ_PRC: '0' | '1';
}
export interface InquireBalanceParams {
  readonly AFHR_FLPR_YN: 'N' | 'Y' | 'X';
  readonly OFL_YN: '';
  readonly INQR_DVSN: '01' | '02';
  readonly UNPR_DVSN: '01';
  readonly FUND_STTL_ICLD_YN: 'N' | 'Y';
  readonly FNCG_AMT_AUTO_RDPT_YN: 'N';
  readonly PRCS_DVSN: '00' | '01';
}
export interface InquirePsblOrderParams {
  readonly PDNO: string;
  readonly ORD_UNPR: string;
  readonly ORD_DVSN: string;
  readonly CMA_EVLU_AMT_ICLD_YN: 'N' | 'Y';
  readonly OVRS_ICLD_YN: 'N' | 'Y';
}
/** order-cash body without the account (§3.8). Keys UPPER-CASE, values strings. */
export interface OrderCashBody {
  readonly PDNO: string;
  readonly ORD_DVSN: string;
  readonly ORD_QTY: string;
  readonly ORD_UNPR: string;
  readonly EXCG_ID_DVSN_CD: 'KRX' | 'NXT' | 'SOR';
  readonly SLL_TYPE?: '01';
}
/** order-rvsecncl body without the account (§3.9). */
export interface OrderRvsecnclBody {
  readonly KRX_FWDG_ORD_ORGNO: string;
  readonly ORGN_ODNO: string;
  readonly ORD_DVSN: string;
  /** 01 정정 (modify), 02 취소 (cancel). */
  readonly RVSE_CNCL_DVSN_CD: '01' | '02';
  readonly ORD_QTY: string;
  readonly ORD_UNPR: string;
  readonly QTY_ALL_ORD_YN: 'Y' | 'N';
  readonly EXCG_ID_DVSN_CD: 'KRX' | 'NXT' | 'SOR';
}
export interface InquirePsblRvsecnclParams {
  readonly INQR_DVSN_1: '0' | '1';
  readonly INQR_DVSN_2: '0' | '1' | '2';
}
export interface InquireDailyCcldParams {
  readonly INQR_STRT_DT: string;
  readonly INQR_END_DT: string;
  readonly SLL_BUY_DVSN_CD: '00' | '01' | '02';
  readonly INQR_DVSN: '00' | '01';
  readonly PDNO: string;
  /** 00 all, 01 filled, 02 unfilled. */
  readonly CCLD_DVSN: '00' | '01' | '02';
  readonly ORD_GNO_BRNO: string;
  readonly ODNO: string;
  readonly INQR_DVSN_3: '00';
  readonly INQR_DVSN_1: '';
  readonly EXCG_ID_DVSN_CD: 'KRX' | 'NXT' | 'SOR' | 'ALL';
}

/** Minute-bar answer: sentinel rows removed, rows validated (newest first, as KIS sends them). */
export interface MinuteChart {
  readonly name: string | undefined;
  readonly rows: readonly MinuteBarRow[];
}

export class KisRawClient {
  constructor(
    private readonly t: KisTransport,
    private readonly config: KisConfig,
    private readonly credentials: KisCredentials,
  ) {}

  private get account(): { CANO: string; ACNT_PRDT_CD: string } {
    return { CANO: this.credentials.account.cano, ACNT_PRDT_CD: this.credentials.account.productCode };
  }

  private get<S extends z.ZodType>(op: TrOperation, path: KisPathKey, query: Record<string, string>, schema: S): Promise<CallResult<z.infer<S>>> {
    return this.t.call({ op, path, method: 'GET', kind: 'query', query, schema });
  }

  /** GET inquire-price (FHKST01010100, §3.1). */
  async inquirePrice(p: InquirePriceParams): Promise<InquirePriceResponse> {
    return (await this.get('inquirePrice', 'inquirePrice', { ...p }, InquirePriceResponse)).data;
  }

  /** GET inquire-time-itemchartprice (FHKST03010200, §3.2): today's minute bars, 30 per call. */
  async inquireTimeItemchartprice(p: InquireTimeItemchartpriceParams): Promise<MinuteChart> {
    const r = await this.get('inquireTimeItemchartprice', 'inquireTimeItemchartprice', { ...p }, MinuteChartResponse);
    return { name: r.data.output1?.hts_kor_isnm, rows: minuteRows(r.data.output2, 'inquireTimeItemchartprice') };
  }

  /** GET inquire-time-dailychartprice (FHKST03010230, §3.3): a past day's minute bars, 120 per call. Real only. */
  async inquireTimeDailychartprice(p: InquireTimeDailychartpriceParams): Promise<MinuteChart> {
    const r = await this.get('inquireTimeDailychartprice', 'inquireTimeDailychartprice', { ...p }, MinuteChartResponse);
    return { name: r.data.output1?.hts_kor_isnm, rows: minuteRows(r.data.output2, 'inquireTimeDailychartprice') };
  }

  /** GET inquire-daily-itemchartprice (FHKST03010100, §3.4): ≤100 period bars, newest first. */
  async inquireDailyItemchartprice(p: InquireDailyItemchartpriceParams): Promise<readonly DailyBarRow[]> {
    const r = await this.get('inquireDailyItemchartprice', 'inquireDailyItemchartprice', { ...p }, DailyChartResponse);
    return rowsOf(r.data.output2, DailyBarRow, 'inquireDailyItemchartprice', 'output2', isEmptyRow);
  }

  /** GET inquire-asking-price-exp-ccn (FHKST01010200, §3.5). */
  async inquireAskingPriceExpCcn(p: InquirePriceParams): Promise<AskingPriceResponse> {
    return (await this.get('inquireAskingPriceExpCcn', 'inquireAskingPriceExpCcn', { ...p }, AskingPriceResponse)).data;
  }

  /** GET inquire-balance (TTTC8434R/VTTC8434R, §3.6), every page. */
  async inquireBalance(p: InquireBalanceParams): Promise<readonly BalanceResponse[]> {
    return this.paged('inquireBalance', 'inquireBalance', { ...this.account, ...p }, BalanceResponse);
  }

  /** GET inquire-psbl-order (TTTC8908R/VTTC8908R, §3.7). */
  async inquirePsblOrder(p: InquirePsblOrderParams): Promise<PsblOrderResponse> {
    return (await this.get('inquirePsblOrder', 'inquirePsblOrder', { ...this.account, ...p }, PsblOrderResponse)).data;
  }

  /**
   * POST order-cash (buy TTTC0012U / sell TTTC0011U, §3.8). A COMMAND: sent at most once (see
   * `KisTransport`). Returns the order reference and the success message.
   */
  async orderCash(side: 'buy' | 'sell', body: OrderCashBody): Promise<CallResult<OrderResponse>> {
    return this.t.call({
      op: side === 'buy' ? 'orderCashBuy' : 'orderCashSell',
      path: 'orderCash',
      method: 'POST',
      kind: 'command',
      body: { ...this.account, ...body },
      schema: OrderResponse,
    });
  }

  /** POST order-rvsecncl (TTTC0013U, §3.9): modify (01) or cancel (02). A COMMAND. Returns a NEW order number. */
  async orderRvsecncl(body: OrderRvsecnclBody): Promise<CallResult<OrderResponse>> {
    return this.t.call({ op: 'orderRvsecncl', path: 'orderRvsecncl', method: 'POST', kind: 'command', body: { ...this.account, ...body }, schema: OrderResponse });
  }

  /** GET inquire-psbl-rvsecncl (TTTC0084R, §3.10), every page. Real only. */
  async inquirePsblRvsecncl(p: InquirePsblRvsecnclParams): Promise<readonly PsblRvsecnclRow[]> {
    const pages = await this.paged('inquirePsblRvsecncl', 'inquirePsblRvsecncl', { ...this.account, ...p }, PsblRvsecnclResponse);
    return pages.flatMap((pg, n) => rowsOf(pg.output, PsblRvsecnclRow, 'inquirePsblRvsecncl', `page${n + 1}.output`, isEmptyRow));
  }

  /** GET inquire-daily-ccld (TTTC0081R/VTTC0081R: last 3 months, §3.11), every page. */
  async inquireDailyCcld(p: InquireDailyCcldParams): Promise<readonly DailyCcldRow[]> {
    const pages = await this.paged('inquireDailyCcld', 'inquireDailyCcld', { ...this.account, ...p }, DailyCcldResponse);
    return pages.flatMap((pg, n) => rowsOf(pg.output1, DailyCcldRow, 'inquireDailyCcld', `page${n + 1}.output1`, isEmptyRow));
  }

  /** GET chk-holiday (CTCA0903R, §3.13): rows from `BASS_DT` onward. Real only; ~1 call a day. */
  async chkHoliday(p: { readonly BASS_DT: string }): Promise<readonly HolidayRow[]> {
    return (await this.get('chkHoliday', 'chkHoliday', { BASS_DT: p.BASS_DT, CTX_AREA_NK: '', CTX_AREA_FK: '' }, HolidayResponse)).data.output;
  }

  /**
   * Fetches every page of a paging TR (§2.6): response header `tr_cont` F/M = more, D/E = last; the
   * next request carries header `tr_cont: N` and `CTX_AREA_FK100`/`CTX_AREA_NK100` from the previous
   * body, verbatim. More than `maxPages` pages is an error, never a silent cut.
   */
  private async paged<S extends z.ZodType<{ ctx_area_fk100?: string | undefined; ctx_area_nk100?: string | undefined }>>(
    op: TrOperation,
    path: KisPathKey,
    query: Record<string, string>,
    schema: S,
  ): Promise<z.infer<S>[]> {
    const pages: z.infer<S>[] = [];
    let q: Record<string, string> = { ...query, CTX_AREA_FK100: '', CTX_AREA_NK100: '' };
    let trCont: '' | 'N' = '';
    for (let n = 1; ; n++) {
      if (n > this.config.maxPages) {
        throw payloadError(op, 'query', `more than ${this.config.maxPages} pages (tr_cont still says more); raise maxPages or narrow the query`);
      }
      const r = await this.t.call({ op, path, method: 'GET', kind: 'query', query: q, trCont, schema });
      pages.push(r.data);
      if (r.trCont !== 'F' && r.trCont !== 'M') return pages;
      const fk = r.data.ctx_area_fk100;
      const nk = r.data.ctx_area_nk100;
      if (fk === undefined || nk === undefined) {
        throw payloadError(op, 'query', `page ${n} says more pages (tr_cont ${r.trCont}) but has no ctx_area_fk100/ctx_area_nk100`);
      }
      q = { ...q, CTX_AREA_FK100: fk, CTX_AREA_NK100: nk };
      trCont = 'N';
    }
  }
}

function payloadError(endpoint: string, kind: CallKind, detail: string): KisError {
  return new KisError({ code: 'KIS_PAYLOAD_INVALID', disposition: kind === 'query' ? 'fatal' : 'outcome-unknown', kind, endpoint, detail });
}

/** Validates array rows one by one (reporting the original index), after dropping rows `skip` selects. */
export function rowsOf<S extends z.ZodType>(rows: readonly unknown[], schema: S, endpoint: string, field: string, skip: (r: unknown) => boolean): z.infer<S>[] {
  const out: z.infer<S>[] = [];
  rows.forEach((row, i) => {
    if (skip(row)) return;
    out.push(validate(schema, row, { kind: 'query', endpoint }, 200, `${field}[${i}]`));
  });
  return out;
}

/** Minute rows: drop KIS sentinel rows (888888/999999/666666) and empty objects, validate the rest. */
export function minuteRows(rows: readonly unknown[], endpoint: string): MinuteBarRow[] {
  return rowsOf(rows, MinuteBarRow, endpoint, 'output2', (r) => isEmptyRow(r) || isSentinelBarRow(r));
}
