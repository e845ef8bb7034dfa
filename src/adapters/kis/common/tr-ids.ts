import type { KisEnv } from './urls.ts';

/**
 * The one TR_ID table (kis-protocol.md §3). Every TR id the adapter sends comes from here.
 *
 * - `real` / `paper`: the ids to send today. `paper: null` means "모의투자 미지원" (not offered on paper);
 *   calling such an operation on a paper account fails locally with `KIS_UNSUPPORTED`.
 * - `oldReal` / `oldPaper`: ids KIS replaced ("구TR은 사전고지 없이 막힐 수 있으므로 반드시 신TR로 변경이용",
 *   [WB:주식주문(현금)]). We never send them; they are listed so the twin and log readers can map them.
 * - Paper ids are the real id with the first letter replaced by `V` when it starts with T, J or C
 *   ([OTA] `examples_user/kis_auth.py` `_url_fetch`, [WB] "모의 TR_ID"); quote TRs (`FHK…`) are identical
 *   on both. `tr-ids.test.ts` checks every row against that rule.
 * - The `sim` environment (our twin) uses the real ids; the twin accepts old and paper ids as well.
 */
export interface TrIdRow {
  readonly real: string;
  readonly paper: string | null;
  readonly oldReal?: string;
  readonly oldPaper?: string;
}

export const TR_IDS = {
  // [WB:주식현재가 시세] §3.1
  inquirePrice: { real: 'FHKST01010100', paper: 'FHKST01010100' },
  // [WB:주식당일분봉조회] §3.2
  inquireTimeItemchartprice: { real: 'FHKST03010200', paper: 'FHKST03010200' },
  // [WB:주식일별분봉조회] §3.3 — real only
  inquireTimeDailychartprice: { real: 'FHKST03010230', paper: null },
  // [WB:국내주식기간별시세(일/주/월/년)] §3.4
  inquireDailyItemchartprice: { real: 'FHKST03010100', paper: 'FHKST03010100' },
  // [WB:주식현재가 호가/예상체결] §3.5
  inquireAskingPriceExpCcn: { real: 'FHKST01010200', paper: 'FHKST01010200' },
  // [WB:주식잔고조회] §3.6
  inquireBalance: { real: 'TTTC8434R', paper: 'VTTC8434R' },
  // [WB:매수가능조회] §3.7
  inquirePsblOrder: { real: 'TTTC8908R', paper: 'VTTC8908R' },
  // [WB:주식주문(현금)] §3.8 — buy; old ids from the same sheet's tr_id description
  orderCashBuy: { real: 'TTTC0012U', paper: 'VTTC0012U', oldReal: 'TTTC0802U', oldPaper: 'VTTC0802U' },
  // [WB:주식주문(현금)] §3.8 — sell
  orderCashSell: { real: 'TTTC0011U', paper: 'VTTC0011U', oldReal: 'TTTC0801U', oldPaper: 'VTTC0801U' },
  // [WB:주식주문(정정취소)] §3.9
  orderRvsecncl: { real: 'TTTC0013U', paper: 'VTTC0013U', oldReal: 'TTTC0803U', oldPaper: 'VTTC0803U' },
  // [WB:주식정정취소가능주문조회] §3.10 — real only (paper: use inquireDailyCcld with CCLD_DVSN=02)
  inquirePsblRvsecncl: { real: 'TTTC0084R', paper: null, oldReal: 'TTTC8036R' },
  // [WB:주식일별주문체결조회] §3.11 — orders of the last 3 months
  inquireDailyCcld: { real: 'TTTC0081R', paper: 'VTTC0081R', oldReal: 'TTTC8001R', oldPaper: 'VTTC8001R' },
  // [WB:주식일별주문체결조회] §3.11 — orders older than 3 months (slow during market hours; not used yet)
  inquireDailyCcldBefore3m: { real: 'CTSC9215R', paper: 'VTSC9215R', oldReal: 'CTSC9115R', oldPaper: 'VTSC9115R' },
  // [WB:국내휴장일조회] §3.13 — real only, ~1 call a day
  chkHoliday: { real: 'CTCA0903R', paper: null },
} as const satisfies Record<string, TrIdRow>;

export type TrOperation = keyof typeof TR_IDS;

/**
 * The paper TR id for a real one by the documented rule: first letter T/J/C → V; others unchanged.
 * Used by the table test; the table itself is the source of truth.
 */
export function paperTrIdOf(realTrId: string): string {
  return /^[TJC]/.test(realTrId) ? `V${realTrId.slice(1)}` : realTrId;
}

/**
 * The TR id to send for an operation in an environment, or `null` when the operation is not offered
 * there (paper "미지원"). `real` and `sim` use the real id.
 */
export function trIdFor(op: TrOperation, env: KisEnv): string | null {
  const row: TrIdRow = TR_IDS[op];
  return env === 'paper' ? row.paper : row.real;
}
