import { AppError, type Disposition } from '../../../core/errors.ts';

/**
 * KIS error taxonomy (DESIGN.md §5, style-anchors §4.6, kis-protocol.md §4).
 *
 * Every failure of a KIS call is a `KisError` with a stable `code` and a `disposition` that depends on
 * the kind of call:
 * - a **query** (quotes, balances, order lists): transient failures are `retryable`;
 * - a **command** (order-cash, order-rvsecncl): only a structured business refusal (`rt_cd != 0` with a
 *   code in the table below) is `rejected`. A timeout, a socket error, a 5xx without a known business
 *   code, `EGW00201`, and any msg_cd we do not know are `outcome-unknown`: the order may be live at the
 *   venue, it is never resent, and reconciliation settles it.
 * `notPlaced` is true when the order is known NOT to be live at the venue: it never left this process
 * (circuit open, unsupported, token could not be obtained) or the gateway refused it before routing
 * (authentication) or the venue refused it (business rejection).
 */
export type KisErrorCode =
  | 'KIS_REJECTED'
  | 'KIS_RATE_LIMITED'
  | 'KIS_AUTH_EXPIRED'
  | 'KIS_AUTH_INVALID'
  | 'KIS_TOKEN_RATE_LIMITED'
  | 'KIS_REQUEST_INVALID'
  | 'KIS_TIMEOUT'
  | 'KIS_TRANSPORT'
  | 'KIS_HTTP'
  | 'KIS_PAYLOAD_INVALID'
  | 'KIS_CIRCUIT_OPEN'
  | 'KIS_UNSUPPORTED';

/** `query`: reads, safe to repeat. `command`: order-cash / order-rvsecncl, never repeated blindly. */
export type CallKind = 'query' | 'command';

export interface KisErrorFields {
  readonly code: KisErrorCode;
  readonly disposition: Disposition;
  readonly kind: CallKind;
  /** Operation key (e.g. `orderCash`) or path. */
  readonly endpoint: string;
  readonly trId?: string | undefined;
  readonly httpStatus?: number | undefined;
  /** KIS `msg_cd` (or `error_code` on the OAuth endpoints), verbatim. */
  readonly msgCd?: string | undefined;
  /** KIS `msg1` (or `error_description`), trimmed. */
  readonly msg1?: string | undefined;
  readonly notPlaced?: boolean | undefined;
  /** What happened, in words, without any secret. */
  readonly detail: string;
  readonly cause?: unknown;
}

/** A classified failure of a KIS call. Never carries a secret (no headers, no token, no app key). */
export class KisError extends AppError {
  readonly code: KisErrorCode;
  readonly disposition: Disposition;
  readonly kind: CallKind;
  readonly endpoint: string;
  readonly trId: string | undefined;
  readonly httpStatus: number | undefined;
  readonly msgCd: string | undefined;
  readonly msg1: string | undefined;
  /** True when the order is known not to be live at the venue (see module doc). Always false for queries. */
  readonly notPlaced: boolean;

  constructor(f: KisErrorFields) {
    const parts = [`endpoint=${f.endpoint}`];
    if (f.trId) parts.push(`trId=${f.trId}`);
    if (f.httpStatus !== undefined) parts.push(`http=${f.httpStatus}`);
    if (f.msgCd) parts.push(`msg_cd=${f.msgCd}`);
    if (f.msg1) parts.push(`msg1="${f.msg1}"`);
    parts.push(`disposition=${f.disposition}`);
    super(
      `${f.code}: ${f.detail} (${parts.join(', ')})`,
      {
        endpoint: f.endpoint,
        trId: f.trId,
        httpStatus: f.httpStatus,
        msgCd: f.msgCd,
        msg1: f.msg1,
        kind: f.kind,
        notPlaced: f.kind === 'command' && f.notPlaced === true,
      },
      f.cause === undefined ? undefined : { cause: f.cause },
    );
    this.code = f.code;
    this.disposition = f.disposition;
    this.kind = f.kind;
    this.endpoint = f.endpoint;
    this.trId = f.trId;
    this.httpStatus = f.httpStatus;
    this.msgCd = f.msgCd;
    this.msg1 = f.msg1;
    this.notPlaced = f.kind === 'command' && f.notPlaced === true;
  }
}

/**
 * How a `msg_cd` is handled:
 * - `rate-limited`: per-second budget exceeded (query: backoff and retry; command: outcome-unknown).
 * - `auth-expired` / `token-invalid`: the gateway refused the token before routing the call: invalidate,
 *   re-issue once, repeat the call once (commands included — see `transport.ts`).
 * - `token-throttled`: a second token issue within a minute (only from /oauth2/tokenP).
 * - `credentials`: app key/secret/account/environment wrong: fatal, before routing.
 * - `request-invalid`: the gateway could not parse or route our request (bad TR id, header, JSON): a bug.
 * - `rejected`: the venue or order server answered with a business refusal.
 * - `transient`: gateway/server trouble with no business meaning (query: retryable; command: unknown).
 * - `check-previous`: "직전 거래 확인" timeouts — the call may have executed (command: outcome-unknown).
 */
export type MsgClass =
  | 'rate-limited'
  | 'auth-expired'
  | 'token-invalid'
  | 'token-throttled'
  | 'credentials'
  | 'request-invalid'
  | 'rejected'
  | 'transient'
  | 'check-previous';

/**
 * THE msg_cd table (exact codes; kis-protocol.md §2.1, §4.2–§4.4). Sources: [3P] transcription of the
 * KIS error-code page (EGW/OPSQ), [PYKIS] and [OTA] for business codes. Only one family rule exists
 * besides it: any other `APBK…` code is a business refusal of the order server (see `classifyMsgCd`).
 */
export const MSG_CD_TABLE: Readonly<Record<string, { readonly cls: MsgClass; readonly text: string }>> = {
  // rate limits (§4.2)
  EGW00201: { cls: 'rate-limited', text: '초당 거래건수를 초과하였습니다.' },
  EGW00215: { cls: 'rate-limited', text: '원장에서 허용 가능한 초당 거래건수 초과' },
  // tokens (§4.3, §2.1)
  EGW00123: { cls: 'auth-expired', text: '기간이 만료된 token 입니다.' },
  EGW00121: { cls: 'token-invalid', text: '유효하지 않은 token 입니다.' },
  EGW00122: { cls: 'token-invalid', text: 'token을 찾을 수 없습니다.' },
  EGW00133: { cls: 'token-throttled', text: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)' },
  // credentials / environment (§4.4): fatal
  EGW00003: { cls: 'credentials', text: '접근 거부' },
  EGW00004: { cls: 'credentials', text: '권한 없는 고객' },
  EGW00102: { cls: 'credentials', text: 'AppKey 필수' },
  EGW00103: { cls: 'credentials', text: '유효하지 않은 AppKey' },
  EGW00104: { cls: 'credentials', text: 'AppSecret 필수' },
  EGW00105: { cls: 'credentials', text: '유효하지 않은 AppSecret' },
  EGW00206: { cls: 'credentials', text: 'API 사용 권한 없음' },
  EGW00207: { cls: 'credentials', text: 'IP 주소 없음/유효하지 않음' },
  EGW00210: { cls: 'credentials', text: '법인고객 모의투자 불가' },
  EGW02004: { cls: 'credentials', text: '실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.' },
  MCA00124: { cls: 'credentials', text: 'app key not linked to the account' },
  // malformed requests (§4.4): our bug, fatal
  EGW00101: { cls: 'request-invalid', text: '유효하지 않은 요청' },
  EGW00115: { cls: 'request-invalid', text: 'grant_type 필수' },
  EGW00116: { cls: 'request-invalid', text: 'grant_type 미지원' },
  EGW00131: { cls: 'request-invalid', text: '유효하지 않은 hashkey' },
  EGW00132: { cls: 'request-invalid', text: 'Content-Type 유효하지 않음' },
  EGW00205: { cls: 'request-invalid', text: 'credentials_type 유효하지 않음(Bearer)' },
  EGW00208: { cls: 'request-invalid', text: 'custtype 유효하지 않음' },
  EGW00209: { cls: 'request-invalid', text: 'seq_no 유효하지 않음' },
  EGW00304: { cls: 'request-invalid', text: '고객식별키 유효하지 않음' },
  OPSQ0002: { cls: 'request-invalid', text: '없는 서비스 코드' },
  OPSQ9995: { cls: 'request-invalid', text: 'JSON parsing error' },
  OPSQ9996: { cls: 'request-invalid', text: 'JSON parsing error' },
  OPSQ9997: { cls: 'request-invalid', text: 'JSON parsing error' },
  OPSQ9998: { cls: 'request-invalid', text: 'JSON parsing error' },
  OPSQ9999: { cls: 'request-invalid', text: 'JSON parsing error' },
  // gateway / server trouble without business meaning (§4.4)
  EGW00001: { cls: 'transient', text: '일시적 오류' },
  EGW00002: { cls: 'transient', text: '서버 에러' },
  EGW00202: { cls: 'transient', text: 'GW라우팅 오류' },
  EGW00203: { cls: 'transient', text: 'OPS라우팅 오류' },
  EGW00300: { cls: 'transient', text: '라우팅 오류' },
  OPSQ0001: { cls: 'transient', text: '호출 전처리 오류' },
  OPSQ1002: { cls: 'transient', text: '세션 연결 오류' },
  // the call may have executed (§4.4: "직전 거래 확인")
  EGW00301: { cls: 'check-previous', text: '연결 시간 초과(직전 거래 확인)' },
  EGW00302: { cls: 'check-previous', text: '거래시간 초과(직전 거래 확인)' },
  // business refusals (§4.4)
  OPSQ2000: { cls: 'rejected', text: 'INPUT INVALID_CHECK_ACNO' },
  OPSQ2001: { cls: 'rejected', text: 'INVALID_CHECK_MRKT_DIV_CODE' },
  OPSQ2002: { cls: 'rejected', text: 'INVALID_CHECK_FIELD_LENGTH' },
  MCA05918: { cls: 'rejected', text: '종목코드 오류입니다.' },
  APBK0656: { cls: 'rejected', text: '상품 없음' },
  APBK0918: { cls: 'rejected', text: '주문 거부 (read msg1)' },
  APBK0919: { cls: 'rejected', text: '주문 거부 (read msg1)' },
  APBK1664: { cls: 'rejected', text: '해외 장 마감' },
  APBK1943: { cls: 'rejected', text: '시장가호가불가로 주문이 불가합니다.' },
  APBK3013: { cls: 'rejected', text: '[애프터마켓]지정가 및 최유리/최우선지정가 주문만 가능합니다.' },
};

/**
 * Classifies a msg_cd: the exact table first, then the `APBK` family (order-server business messages;
 * `APBK0013` is the success code and never reaches here because it comes with `rt_cd = "0"`).
 * Returns `'unknown'` for anything else.
 */
export function classifyMsgCd(msgCd: string): MsgClass | 'unknown' {
  const hit = MSG_CD_TABLE[msgCd];
  if (hit) return hit.cls;
  if (/^APBK\d{4}$/.test(msgCd)) return 'rejected';
  return 'unknown';
}

/** Code, disposition and `notPlaced` for an error envelope of a given class on a given kind of call. */
export function envelopeOutcome(
  cls: MsgClass | 'unknown',
  kind: CallKind,
): { code: KisErrorCode; disposition: Disposition; notPlaced: boolean } {
  const q = kind === 'query';
  switch (cls) {
    case 'rate-limited':
      return { code: 'KIS_RATE_LIMITED', disposition: q ? 'retryable' : 'outcome-unknown', notPlaced: false };
    case 'auth-expired':
      // Thrown only after the one re-issue + retry failed too: the token machinery is broken.
      return { code: 'KIS_AUTH_EXPIRED', disposition: 'fatal', notPlaced: true };
    case 'token-invalid':
    case 'credentials':
      return { code: 'KIS_AUTH_INVALID', disposition: 'fatal', notPlaced: true };
    case 'token-throttled':
      return { code: 'KIS_TOKEN_RATE_LIMITED', disposition: q ? 'retryable' : 'rejected', notPlaced: true };
    case 'request-invalid':
      return { code: 'KIS_REQUEST_INVALID', disposition: 'fatal', notPlaced: true };
    case 'rejected':
      return { code: 'KIS_REJECTED', disposition: 'rejected', notPlaced: true };
    case 'transient':
      return { code: 'KIS_HTTP', disposition: q ? 'retryable' : 'outcome-unknown', notPlaced: false };
    case 'check-previous':
      return { code: 'KIS_TIMEOUT', disposition: q ? 'retryable' : 'outcome-unknown', notPlaced: false };
    case 'unknown':
      // An unmodelled refusal: a query does not loop on it; a command may have executed.
      return { code: 'KIS_REJECTED', disposition: q ? 'rejected' : 'outcome-unknown', notPlaced: false };
  }
}

/**
 * Disposition of failures that carry no KIS envelope:
 * - transport (`KIS_TIMEOUT`, `KIS_TRANSPORT`) and HTTP 5xx (`KIS_HTTP`): query retryable, command unknown;
 * - HTTP 4xx without envelope: query fatal (wrong URL/proxy), command unknown;
 * - `KIS_PAYLOAD_INVALID` (success envelope we cannot read): query fatal, command unknown (it was accepted
 *   but we cannot identify it);
 * - `KIS_CIRCUIT_OPEN`: query retryable; command `rejected` with `notPlaced` — it was never sent;
 * - `KIS_UNSUPPORTED`: `rejected`, never sent.
 */
export function bareOutcome(
  code: 'KIS_TIMEOUT' | 'KIS_TRANSPORT' | 'KIS_HTTP' | 'KIS_PAYLOAD_INVALID' | 'KIS_CIRCUIT_OPEN' | 'KIS_UNSUPPORTED',
  kind: CallKind,
  httpStatus?: number,
): { disposition: Disposition; notPlaced: boolean } {
  const q = kind === 'query';
  switch (code) {
    case 'KIS_TIMEOUT':
    case 'KIS_TRANSPORT':
      return { disposition: q ? 'retryable' : 'outcome-unknown', notPlaced: false };
    case 'KIS_HTTP':
      if (q) return { disposition: httpStatus !== undefined && httpStatus < 500 ? 'fatal' : 'retryable', notPlaced: false };
      return { disposition: 'outcome-unknown', notPlaced: false };
    case 'KIS_PAYLOAD_INVALID':
      return { disposition: q ? 'fatal' : 'outcome-unknown', notPlaced: false };
    case 'KIS_CIRCUIT_OPEN':
      return { disposition: q ? 'retryable' : 'rejected', notPlaced: true };
    case 'KIS_UNSUPPORTED':
      return { disposition: 'rejected', notPlaced: true };
  }
}

/** True for the errors that count against a circuit breaker: the server or the network is unwell. */
export function isBreakerFailure(err: unknown): boolean {
  return err instanceof KisError && (err.code === 'KIS_TIMEOUT' || err.code === 'KIS_TRANSPORT' || err.code === 'KIS_HTTP');
}
