/**
 * The ONE table of every result code the twin answers with: success codes, gateway errors and
 * business rejections, each with its HTTP status and `msg1` text, and where the text comes from.
 *
 * Source marks (see kis-protocol.md §0):
 * - `KIS`   — verbatim from an official KIS document or sample (workbook examples, open-trading-api).
 * - `3P`    — observed on the live KIS servers by third parties (captured responses in public repos);
 *             real, but not from KIS itself.
 * - `TWIN`  — chosen by the twin: the real code and/or text is **UNCONFIRMED**. Clients must classify
 *             business rejections by `rt_cd` (and HTTP status), never by these codes.
 *
 * HTTP status policy (kis-protocol §4.4 says business rejections arrive with 200 or 500 depending on
 * the source): the twin answers business rejections (orders, unknown codes) with **HTTP 200 and
 * `rt_cd` "1"**, gateway / query-server errors (EGW…, OPSQ…) with **HTTP 500**, and the token endpoint's
 * own errors with **HTTP 403** and the `error_code`/`error_description` envelope (as EGW00133 is
 * documented). Query success texts (KIOK…) are right-padded to 80 display columns like the examples.
 */
import type { SimEnv } from './account-spec.ts';

/** Which body shape an entry is answered with. */
export type SimEnvelope = 'kis' | 'oauth';

/** One code of the table. `paper` overrides the code/text for paper (모의투자) app keys. */
export interface SimCodeEntry {
  readonly status: number;
  readonly msgCd: string;
  readonly msg1: string;
  readonly paper?: { readonly msgCd: string; readonly msg1: string; readonly source: 'KIS' | '3P' | 'TWIN' };
  /** `oauth` = `{"error_description","error_code"}` (tokenP / revokeP / Approval errors). */
  readonly envelope: SimEnvelope;
  readonly source: 'KIS' | '3P' | 'TWIN';
  /** Whether `msg1` is right-padded to 80 display columns (KIOK… query messages). */
  readonly pad?: boolean;
  readonly note?: string;
}

/** Every code the twin can answer with. */
export const SIM_CODES = {
  // ---------------------------------------------------------------- success
  OK_QUOTE: { status: 200, msgCd: 'MCA00000', msg1: '정상처리 되었습니다!', envelope: 'kis', source: 'KIS', note: 'quote TRs ([WB:주식현재가 시세] example)' },
  OK_QUERY: { status: 200, msgCd: 'KIOK0510', msg1: '조회가 완료되었습니다', envelope: 'kis', source: 'KIS', pad: true, note: 'single-page account query' },
  OK_QUERY_MORE: {
    status: 200, msgCd: 'KIOK0500', msg1: '조회가 계속됩니다..다음버튼을 Click 하십시오.', envelope: 'kis', source: 'KIS', pad: true,
    note: 'text KIS (chk-holiday example); using it for every page that has a next page is a TWIN choice',
  },
  OK_QUERY_LAST: {
    status: 200, msgCd: 'KIOK0460', msg1: '조회 되었습니다. (마지막 자료)', envelope: 'kis', source: 'KIS', pad: true,
    note: 'text KIS (workbook examples); using it for the last page of a continued query is a TWIN choice',
  },
  OK_ORDER: { status: 200, msgCd: 'APBK0013', msg1: '주문 전송 완료 되었습니다.', envelope: 'kis', source: 'KIS', note: 'order-cash / order-rvsecncl examples' },

  // ---------------------------------------------------------------- token endpoint (HTTP 403, oauth envelope)
  TOKEN_TOO_OFTEN: { status: 403, msgCd: 'EGW00133', msg1: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)', envelope: 'oauth', source: '3P', note: 'many captures; HTTP 403' },
  TOKEN_BAD_GRANT: { status: 403, msgCd: 'EGW00116', msg1: 'grant_type이 유효하지 않습니다.', envelope: 'oauth', source: 'TWIN', note: 'code from the [3P] EGW table (00116 grant_type 미지원); text and 403 UNCONFIRMED' },
  TOKEN_BAD_APPKEY: { status: 403, msgCd: 'EGW00103', msg1: '유효하지 않은 AppKey입니다.', envelope: 'oauth', source: 'TWIN', note: 'code from the [3P] EGW table; text and status UNCONFIRMED' },
  TOKEN_BAD_APPSECRET: { status: 403, msgCd: 'EGW00105', msg1: '유효하지 않은 AppSecret입니다.', envelope: 'oauth', source: 'TWIN', note: 'code from the [3P] EGW table; text and status UNCONFIRMED' },
  REVOKE_BAD_TOKEN: { status: 403, msgCd: 'EGW00121', msg1: '유효하지 않은 token 입니다.', envelope: 'oauth', source: 'TWIN', note: 'revokeP of an unknown token; status UNCONFIRMED' },

  // ---------------------------------------------------------------- gateway (HTTP 500)
  APPKEY_REQUIRED: { status: 500, msgCd: 'EGW00102', msg1: 'AppKey는 필수입니다.', envelope: 'kis', source: 'TWIN', note: 'code [3P] table; text UNCONFIRMED' },
  APPKEY_INVALID: { status: 500, msgCd: 'EGW00103', msg1: '유효하지 않은 AppKey입니다.', envelope: 'kis', source: 'TWIN', note: 'code [3P] table; text UNCONFIRMED' },
  APPSECRET_INVALID: { status: 500, msgCd: 'EGW00105', msg1: '유효하지 않은 AppSecret입니다.', envelope: 'kis', source: 'TWIN', note: 'code [3P] table; text UNCONFIRMED' },
  AUTH_NOT_BEARER: { status: 500, msgCd: 'EGW00205', msg1: 'credentials_type이 유효하지 않습니다.(Bearer)', envelope: 'kis', source: 'TWIN', note: 'code [3P] table; text UNCONFIRMED' },
  TOKEN_INVALID: { status: 500, msgCd: 'EGW00121', msg1: '유효하지 않은 token 입니다.', envelope: 'kis', source: '3P', note: 'text [3P] (kis-protocol §4.3); HTTP 500 as for EGW00123' },
  TOKEN_EXPIRED: { status: 500, msgCd: 'EGW00123', msg1: '기간이 만료된 token 입니다.', envelope: 'kis', source: '3P', note: 'kis-protocol A.10' },
  RATE_LIMITED: { status: 500, msgCd: 'EGW00201', msg1: '초당 거래건수를 초과하였습니다.', envelope: 'kis', source: '3P', note: 'kis-protocol A.10 / §4.2' },
  SERVER_ERROR: { status: 500, msgCd: 'EGW00002', msg1: '서버 에러가 발생했습니다.', envelope: 'kis', source: 'TWIN', note: 'fault injection only; code [3P] table (00002 서버 에러), text UNCONFIRMED' },
  PAPER_KEY_ON_REAL_TR: {
    status: 500, msgCd: 'EGW02004', msg1: '실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.', envelope: 'kis', source: '3P',
    note: 'paper app key + a real (T/C…) TR id. Live KIS sends this for a paper key on the real host; a real TR on the paper host gets EGW02006 there. The twin has one port and decides by app key.',
  },
  REAL_KEY_ON_PAPER_TR: { status: 500, msgCd: 'EGW02007', msg1: '해당 앱키는 모의투자용 앱키가 아닙니다', envelope: 'kis', source: '3P', note: 'real app key + a paper (V…) TR id; one third-party capture' },
  NOT_A_PAPER_TR: {
    status: 500, msgCd: 'EGW02006', msg1: '모의투자 TR 이 아닙니다.', envelope: 'kis', source: '3P',
    note: 'the twin\'s "모의투자 미지원" answer: a paper app key on an endpoint paper does not serve (inquire-psbl-rvsecncl, chk-holiday); captured live for CTCA0903R and TTTC8036R',
  },

  // ---------------------------------------------------------------- query server (HTTP 500)
  SERVICE_NOT_FOUND: { status: 404, msgCd: 'MCA00124', msg1: '해당 서비스를 찾을수 없습니다.', envelope: 'kis', source: '3P', note: 'text from open-trading-api issue #17; HTTP 404 is a TWIN choice' },
  TR_ID_INVALID: { status: 500, msgCd: 'OPSQ0002', msg1: '없는 서비스 코드 입니다', envelope: 'kis', source: 'TWIN', note: 'TR id missing or not served on this path; code [3P] table, text UNCONFIRMED' },
  BAD_JSON: { status: 500, msgCd: 'OPSQ9999', msg1: 'JSON PARSING ERROR : invalid json format', envelope: 'kis', source: 'TWIN', note: 'code range [3P] table; exact number and text UNCONFIRMED' },
  BAD_VALUE_TYPE: {
    status: 500, msgCd: 'OPSQ9997', msg1: 'JSON PARSING ERROR : body keys must be UPPER-CASE and values strings', envelope: 'kis', source: 'TWIN',
    note: 'POST body key not UPPER-CASE string→string; strictness is a TWIN choice (KIS documents string values and upper-case keys)',
  },
  ACCOUNT_INVALID: { status: 500, msgCd: 'OPSQ2000', msg1: 'ERROR : INPUT INVALID_CHECK_ACNO', envelope: 'kis', source: 'TWIN', note: 'CANO/ACNT_PRDT_CD not the app key\'s account; code and wording from the [3P] table' },
  MARKET_DIV_INVALID: { status: 500, msgCd: 'OPSQ2001', msg1: 'ERROR : INPUT INVALID_CHECK_MRKT_DIV_CODE', envelope: 'kis', source: 'TWIN', note: 'code and wording from the [3P] table' },
  FIELD_INVALID: { status: 500, msgCd: 'OPSQ2002', msg1: 'ERROR : INPUT INVALID_CHECK_FIELD_LENGTH', envelope: 'kis', source: 'TWIN', note: 'malformed date / required field missing; code and wording from the [3P] table' },

  // ---------------------------------------------------------------- business rejections (HTTP 200, rt_cd "1")
  CODE_UNKNOWN: { status: 200, msgCd: 'MCA05918', msg1: '종목코드 오류입니다.', envelope: 'kis', source: 'KIS', note: 'open-trading-api psearch_result.py; also used for orders (live KIS may answer APBK0656 there)' },
  MARKET_NOT_OPEN: {
    status: 200, msgCd: 'APBK0918', msg1: '장운영시간이 아닙니다.(주문불가)', envelope: 'kis', source: '3P',
    paper: { msgCd: '40570000', msg1: '모의투자 장시작전 입니다.', source: '3P' },
    note: 'order before the session open (the twin has no opening auction: orders before `open` are refused)',
  },
  MARKET_CLOSED: {
    status: 200, msgCd: 'APBK0918', msg1: '장운영시간이 아닙니다.(주문불가)', envelope: 'kis', source: '3P',
    paper: { msgCd: '40580000', msg1: '모의투자 장종료 입니다.', source: '3P' },
    note: 'order / modify / cancel at or after the close',
  },
  CASH_INSUFFICIENT: { status: 200, msgCd: 'APBK0952', msg1: '주문가능금액을 초과 했습니다', envelope: 'kis', source: '3P', note: 'text seen in several projects; the code in one — UNCONFIRMED' },
  HOLDINGS_INSUFFICIENT: { status: 200, msgCd: 'APBK0400', msg1: '주문수량이 일반매도가능수량을 초과하였습니다', envelope: 'kis', source: 'TWIN', note: 'text [3P] (one capture); code UNCONFIRMED' },
  PRICE_OFF_TICK: { status: 200, msgCd: 'APBK0506', msg1: '주문단가가 호가단위에 맞지 않습니다.', envelope: 'kis', source: 'TWIN', note: 'UNCONFIRMED' },
  PRICE_OUT_OF_LIMIT: { status: 200, msgCd: 'APBK0507', msg1: '주문단가가 상/하한가 범위를 벗어났습니다.', envelope: 'kis', source: 'TWIN', note: 'UNCONFIRMED' },
  QUANTITY_INVALID: { status: 200, msgCd: 'APBK0508', msg1: '주문수량을 확인하여 주십시오.', envelope: 'kis', source: 'TWIN', note: 'ORD_QTY not a whole number >= 1; UNCONFIRMED' },
  ORD_DVSN_UNSUPPORTED: {
    status: 200, msgCd: 'APBK0509', msg1: '지원하지 않는 주문구분입니다.', envelope: 'kis', source: 'TWIN',
    note: 'the twin matches only 00 지정가 and 01 시장가; other ORD_DVSN codes are refused (a twin limitation, UNCONFIRMED text)',
  },
  PAPER_UNSUPPORTED: {
    status: 200, msgCd: '90000000', msg1: '모의투자에서는 해당업무가 제공되지 않습니다.', envelope: 'kis', source: '3P',
    note: 'paper: EXCG_ID_DVSN_CD NXT/SOR, and ORD_DVSN 05–07/11–16 (real-only per python-kis). Text captured for an overseas paper order; use here UNCONFIRMED',
  },
  VENUE_UNSUPPORTED: { status: 200, msgCd: 'APBK0511', msg1: 'NXT 주문이 불가한 종목입니다.', envelope: 'kis', source: 'TWIN', note: 'real: EXCG_ID_DVSN_CD NXT (the twin has no NXT market); SOR is routed to KRX. UNCONFIRMED' },
  ORDER_NOT_FOUND: { status: 200, msgCd: 'APBK0634', msg1: '원주문번호가 존재하지 않습니다.', envelope: 'kis', source: 'TWIN', note: 'ORGN_ODNO unknown for the account (or a cancel record); UNCONFIRMED' },
  NOTHING_TO_MODIFY: { status: 200, msgCd: 'APBK0635', msg1: '정정/취소할 수 있는 잔량이 없습니다.', envelope: 'kis', source: 'TWIN', note: 'original filled, canceled, replaced or expired; UNCONFIRMED' },
  MODIFY_QTY_EXCEEDS: { status: 200, msgCd: 'APBK1359', msg1: '정정취소수량이 주문수량보다 많습니다', envelope: 'kis', source: '3P', note: 'captured (rt_cd 7) on an overseas modify; used for ORD_QTY > remaining' },
  RVSE_CNCL_INVALID: { status: 200, msgCd: 'APBK0636', msg1: '정정취소구분코드를 확인하여 주십시오.', envelope: 'kis', source: 'TWIN', note: 'RVSE_CNCL_DVSN_CD not 01/02; UNCONFIRMED' },
} as const satisfies Record<string, SimCodeEntry>;

/** Key of {@link SIM_CODES}. */
export type SimCodeKey = keyof typeof SIM_CODES;

/** Display width used by KIS fixed-width text: Hangul and other non-ASCII characters take 2 columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) > 0x7f ? 2 : 1;
  return w;
}

/** Right-pads `s` with spaces to `width` display columns (KIS pads KIOK messages to 80). */
export function padDisplay(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}

/** `rt_cd`/`msg_cd`/`msg1` of a code for an environment. */
export function kisMessage(key: SimCodeKey, env: SimEnv = 'real'): { rt_cd: string; msg_cd: string; msg1: string } {
  const e: SimCodeEntry = SIM_CODES[key];
  const useP = env === 'paper' && e.paper !== undefined;
  const msgCd = useP && e.paper ? e.paper.msgCd : e.msgCd;
  const text = useP && e.paper ? e.paper.msg1 : e.msg1;
  const ok = key.startsWith('OK_');
  return { rt_cd: ok ? '0' : '1', msg_cd: msgCd, msg1: e.pad ? padDisplay(text, 80) : text };
}

/** A full error answer (status + body) for a code, in its envelope. */
export function kisError(key: SimCodeKey, env: SimEnv = 'real'): { status: number; body: Record<string, string> } {
  const e: SimCodeEntry = SIM_CODES[key];
  if (e.envelope === 'oauth') return { status: e.status, body: { error_description: e.msg1, error_code: e.msgCd } };
  return { status: e.status, body: kisMessage(key, env) };
}
