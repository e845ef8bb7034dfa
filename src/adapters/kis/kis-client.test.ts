import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { InputError } from '../../core/errors.ts';
import { kstInstant } from '../../core/kst.ts';
import { createLogger } from '../../core/logger.ts';
import { resolveKisConfig, type KisConfigInput } from './config.ts';
import { KisCredentials } from './common/credentials.ts';
import { KisError } from './common/errors.ts';
import { KIS_PATHS } from './common/urls.ts';
import { clearSharedLimiters } from './http/rate-limiter.ts';
import { KisClient } from './kis-client.ts';
import { kisFixture, ScriptedPeer, waitFor, type PeerAnswer, type PeerRequest } from './testing/scripted-peer.ts';

/**
 * (b) Behaviour against a scripted KIS peer on 127.0.0.1, answering with the official example bodies
 * (test/fixtures/kis) and the error bodies of kis-protocol Appendix A.10. Time moves only on TestClock.
 */

const P = KIS_PATHS;
const APP_SECRET = 'SECRETsecretSECRET-0123456789-must-never-appear-in-logs-abcdefghijklmnopqrstuvwxyz';
const TOKEN_BODY = kisFixture<{ access_token: string; access_token_token_expired: string }>('http_post_oauth2-tokenP.json');
const TOKEN = TOKEN_BODY.access_token;
/** A second token for re-issue tests: the official one with a suffix (SYNTHETIC). */
const TOKEN2 = `${TOKEN}SYNTHETIC2`;
const APPROVAL = kisFixture<{ approval_key: string }>('http_post_oauth2-Approval.json').approval_key;
const ERR = kisFixture<Record<string, { status: number; body: unknown }>>('http_errors_appendix-a10.json');
const err = (code: string): PeerAnswer => ({ status: ERR[code]!.status, body: ERR[code]!.body });
/** The official token expires 2023-12-22 08:16:59 KST: start the clock the day before. */
const START = kstInstant('2023-12-21', '09:00');
/** A business refusal: code and text from kis-protocol §4.4 in the standard envelope (SYNTHETIC assembly). */
const SYNTHETIC_REJECTION = { rt_cd: '1', msg_cd: 'APBK1943', msg1: '시장가호가불가로 주문이 불가합니다.' };
const SYNTHETIC_UNKNOWN_CODE = { rt_cd: '1', msg_cd: 'ZZZZ9999', msg1: 'SYNTHETIC unknown code' };

let peer: ScriptedPeer;
let clock: TestClock;
let dataDir: string;
let logs: string[];
let appKey: string;
let clients: KisClient[];
let keySeq = 0;

function defaultHandlers(p: ScriptedPeer): void {
  p.on(P.tokenP, () => ({ body: kisFixture('http_post_oauth2-tokenP.json') }))
    .on(P.approval, () => ({ body: kisFixture('http_post_oauth2-Approval.json') }))
    .on(P.inquirePrice, () => ({ body: kisFixture('http_get_inquire-price.json') }))
    .on(P.inquireTimeItemchartprice, () => ({ body: kisFixture('http_get_inquire-time-itemchartprice.json') }))
    .on(P.inquireTimeDailychartprice, () => ({ body: kisFixture('http_get_inquire-time-dailychartprice.json') }))
    .on(P.inquireBalance, () => ({ body: kisFixture('http_get_inquire-balance.json'), headers: { tr_cont: 'D' } }))
    .on(P.inquirePsblOrder, () => ({ body: kisFixture('http_get_inquire-psbl-order.json') }))
    .on(P.orderCash, () => ({ body: kisFixture('http_post_order-cash.json') }))
    .on(P.orderRvsecncl, () => ({ body: kisFixture('http_post_order-rvsecncl.json') }))
    .on(P.inquirePsblRvsecncl, () => ({ body: kisFixture('http_get_inquire-psbl-rvsecncl.json'), headers: { tr_cont: 'D' } }))
    .on(P.inquireDailyCcld, () => ({ body: kisFixture('http_get_inquire-daily-ccld.json'), headers: { tr_cont: 'D' } }))
    .on(P.chkHoliday, () => ({ body: kisFixture('http_get_chk-holiday.json') }));
}

function credentials(): KisCredentials {
  return new KisCredentials({ appKey, appSecret: APP_SECRET, account: { cano: '81012345', productCode: '01' } });
}

function makeClient(over: KisConfigInput = {}): KisClient {
  const config = resolveKisConfig({
    env: 'sim',
    baseUrl: peer.url,
    wsUrl: 'ws://127.0.0.1:9',
    rateLimit: { perSecond: 1_000, burst: 1_000 },
    ...over,
  })!;
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(s) } });
  const c = new KisClient({ config, credentials: credentials(), clock, logger, dataDir });
  clients.push(c);
  return c;
}

const logged = (msg: string): number => logs.filter((l) => (JSON.parse(l) as { msg: string }).msg === msg).length;

async function kisError(p: Promise<unknown>): Promise<KisError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KisError) return e;
    throw e;
  }
  throw new Error('expected a KisError');
}

beforeEach(async () => {
  clearSharedLimiters();
  peer = await ScriptedPeer.start();
  defaultHandlers(peer);
  clock = new TestClock(START);
  dataDir = mkdtempSync(join(tmpdir(), 'kis-client-'));
  logs = [];
  clients = [];
  appKey = `PSAPPKEY${String(++keySeq).padStart(4, '0')}abcdefghijklmnopqrstuvw`;
});

afterEach(async () => {
  for (const c of clients) await c.close();
  await peer.close();
});

describe('token lifecycle', () => {
  it('persists the token with mode 0600 and reuses it from a new client', async () => {
    const a = makeClient();
    await a.requestQuote('000660');
    expect(peer.count(P.tokenP)).toBe(1);
    expect(statSync(a.tokenFilePath).mode & 0o777).toBe(0o600);
    expect(a.tokenFilePath).toMatch(/kis-token-[0-9a-f]{12}\.json$/);
    const b = makeClient();
    await b.requestQuote('000660');
    expect(peer.count(P.tokenP)).toBe(1);
    expect(peer.requestsTo(P.inquirePrice)[1]!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    const tokenReq = JSON.parse(peer.requestsTo(P.tokenP)[0]!.body) as Record<string, string>;
    expect(tokenReq).toEqual({ grant_type: 'client_credentials', appkey: appKey, appsecret: APP_SECRET });
  });

  it('single flight: 10 concurrent calls cause exactly one token issue', async () => {
    const c = makeClient();
    await Promise.all(Array.from({ length: 10 }, () => c.requestQuote('000660')));
    expect(peer.count(P.tokenP)).toBe(1);
    expect(peer.count(P.inquirePrice)).toBe(10);
  });

  it('single flight holds across two clients of the same app key', async () => {
    const a = makeClient();
    const b = makeClient();
    await Promise.all([a.requestQuote('000660'), b.requestQuote('000660'), a.requestQuote('000660')]);
    expect(peer.count(P.tokenP)).toBe(1);
  });

  it('EGW00133 (HTTP 403, error_code): waits one minute on the clock, then retries once', async () => {
    peer.on(P.tokenP, (_r, n) => (n === 1 ? err('EGW00133') : { body: kisFixture('http_post_oauth2-tokenP.json') }));
    const c = makeClient();
    const q = c.requestQuote('000660');
    await waitFor(() => logged('kis token issue throttled (one a minute); waiting, then retrying once') === 1, 'throttle wait');
    await clock.advanceAsync(59_999);
    expect(peer.count(P.tokenP)).toBe(1);
    await clock.advanceAsync(1);
    await expect(q).resolves.toMatchObject({ last: 128_500 });
    expect(peer.count(P.tokenP)).toBe(2);
  });

  it('EGW00133 twice: KIS_TOKEN_RATE_LIMITED, retryable, no third issue', async () => {
    peer.on(P.tokenP, () => err('EGW00133'));
    const c = makeClient();
    const q = kisError(c.requestQuote('000660'));
    await waitFor(() => logged('kis token issue throttled (one a minute); waiting, then retrying once') === 1, 'throttle wait');
    await clock.advanceAsync(60_000);
    const e = await q;
    expect(e).toMatchObject({ code: 'KIS_TOKEN_RATE_LIMITED', disposition: 'retryable', msgCd: 'EGW00133', httpStatus: 403 });
    expect(peer.count(P.tokenP)).toBe(2);
    expect(peer.count(P.inquirePrice)).toBe(0);
  });

  it('EGW00123 on a query: one re-issue, one retry with the new token', async () => {
    peer.on(P.tokenP, (_r, n) => ({ body: { ...TOKEN_BODY, access_token: n === 1 ? TOKEN : TOKEN2 } }));
    peer.on(P.inquirePrice, (_r, n) => (n === 1 ? err('EGW00123') : { body: kisFixture('http_get_inquire-price.json') }));
    const c = makeClient();
    await expect(c.requestQuote('000660')).resolves.toMatchObject({ last: 128_500 });
    expect(peer.count(P.tokenP)).toBe(2);
    expect(peer.count(P.inquirePrice)).toBe(2);
    expect(peer.requestsTo(P.inquirePrice)[1]!.headers['authorization']).toBe(`Bearer ${TOKEN2}`);
    expect(JSON.parse(readFileSync(c.tokenFilePath, 'utf8')).accessToken).toBe(TOKEN2);
  });

  it('EGW00123 twice: fatal KIS_AUTH_EXPIRED, no third attempt', async () => {
    peer.on(P.inquirePrice, () => err('EGW00123'));
    const c = makeClient();
    const e = await kisError(c.requestQuote('000660'));
    expect(e).toMatchObject({ code: 'KIS_AUTH_EXPIRED', disposition: 'fatal', msgCd: 'EGW00123' });
    expect(peer.count(P.inquirePrice)).toBe(2);
    expect(peer.count(P.tokenP)).toBe(2);
  });

  it('EGW00123 on order-cash: the order was not accepted, so it is re-sent exactly once after re-issue', async () => {
    peer.on(P.tokenP, (_r, n) => ({ body: { ...TOKEN_BODY, access_token: n === 1 ? TOKEN : TOKEN2 } }));
    peer.on(P.orderCash, (_r, n) => (n === 1 ? err('EGW00123') : { body: kisFixture('http_post_order-cash.json') }));
    const c = makeClient();
    const ack = await c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_000 });
    expect(ack.venueOrderId).toBe('0001569157');
    expect(peer.count(P.orderCash)).toBe(2);
    expect(peer.requestsTo(P.orderCash)[1]!.headers['authorization']).toBe(`Bearer ${TOKEN2}`);
  });

  it('an order does not wait out EGW00133: no token within 10 s → rejected, notPlaced, nothing sent', async () => {
    peer.on(P.tokenP, (_r, n) => (n === 1 ? err('EGW00133') : { body: kisFixture('http_post_oauth2-tokenP.json') }));
    const c = makeClient();
    const p = kisError(c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 150_000 }));
    await waitFor(() => logged('kis token issue throttled (one a minute); waiting, then retrying once') === 1, 'throttle wait');
    await clock.advanceAsync(10_000);
    const e = await p;
    expect(e).toMatchObject({ code: 'KIS_TIMEOUT', disposition: 'rejected', notPlaced: true, kind: 'command' });
    expect(peer.count(P.orderCash)).toBe(0);
    await clock.advanceAsync(50_000); // the issue completes in the background for later calls
    await waitFor(() => peer.count(P.tokenP) === 2, 'background issue');
    await c.requestQuote('000660');
    expect(peer.count(P.tokenP)).toBe(2);
    expect(peer.count(P.orderCash)).toBe(0);
  });

  it('refreshes within the margin; a re-issue that does not extend expiry is not repeated', async () => {
    const c = makeClient();
    await c.requestQuote('000660');
    clock.set(kstInstant('2023-12-22', '07:30')); // 47 min before expiry, inside the 1 h margin
    await c.requestQuote('000660');
    expect(peer.count(P.tokenP)).toBe(2); // KIS answered with the same expiry (same-token rule)
    await c.requestQuote('000660');
    expect(peer.count(P.tokenP)).toBe(2);
  });

  it('a failed refresh inside the margin keeps the still-valid token and does not wait', async () => {
    peer.on(P.tokenP, (_r, n) => (n === 1 ? { body: kisFixture('http_post_oauth2-tokenP.json') } : err('EGW00133')));
    const c = makeClient();
    await c.requestQuote('000660');
    clock.set(kstInstant('2023-12-22', '07:30'));
    await expect(c.requestQuote('000660')).resolves.toMatchObject({ last: 128_500 });
    expect(peer.count(P.tokenP)).toBe(2);
    expect(peer.requestsTo(P.inquirePrice)[1]!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
  });

  it('issues an approval key (body field secretkey) and keeps it secret', async () => {
    const c = makeClient();
    const key = await c.issueApprovalKey();
    expect(key.reveal()).toBe(APPROVAL);
    expect(String(key)).toBe('[redacted]');
    expect(JSON.parse(peer.requestsTo(P.approval)[0]!.body)).toEqual({ grant_type: 'client_credentials', appkey: appKey, secretkey: APP_SECRET });
  });
});

describe('rate limiting', () => {
  it('EGW00201 on a query: backs off 250 ms, 500 ms on the clock, then succeeds', async () => {
    peer.on(P.inquirePrice, (_r, n) => (n <= 2 ? err('EGW00201') : { body: kisFixture('http_get_inquire-price.json') }));
    const c = makeClient();
    const q = c.requestQuote('000660');
    const backoff = 'kis rate limit answer on a query; backing off';
    await waitFor(() => logged(backoff) === 1, 'first backoff');
    await clock.advanceAsync(249);
    expect(peer.count(P.inquirePrice)).toBe(1);
    await clock.advanceAsync(1);
    await waitFor(() => logged(backoff) === 2, 'second backoff');
    expect(peer.count(P.inquirePrice)).toBe(2);
    await clock.advanceAsync(499);
    expect(peer.count(P.inquirePrice)).toBe(2);
    await clock.advanceAsync(1);
    await expect(q).resolves.toMatchObject({ last: 128_500 });
    expect(peer.count(P.inquirePrice)).toBe(3);
  });

  it('EGW00201 on a query that never clears: 1 + 4 tries, then KIS_RATE_LIMITED retryable', async () => {
    peer.on(P.inquirePrice, () => err('EGW00201'));
    const c = makeClient();
    const q = kisError(c.requestQuote('000660'));
    for (let i = 1; i <= 4; i++) {
      await waitFor(() => logged('kis rate limit answer on a query; backing off') === i, `backoff ${i}`);
      await clock.advanceAsync(2_000);
    }
    const e = await q;
    expect(e).toMatchObject({ code: 'KIS_RATE_LIMITED', disposition: 'retryable', msgCd: 'EGW00201', httpStatus: 500 });
    expect(peer.count(P.inquirePrice)).toBe(5);
  });

  it('paper budget 1/s (no headroom): a token issue and 3 quotes take 3 s of clock time, shared by two clients', async () => {
    const a = makeClient({ env: 'paper', rateLimit: { headroomPct: 0 } });
    const b = makeClient({ env: 'paper', rateLimit: { headroomPct: 0 } });
    const qs = [a.requestQuote('000660'), b.requestQuote('000660'), a.requestQuote('000660')];
    await waitFor(() => peer.count(P.tokenP) === 1 && clock.pendingTimers() === 3, 'three quotes waiting for the limiter');
    for (let i = 1; i <= 3; i++) {
      await clock.advanceAsync(999);
      expect(peer.count(P.inquirePrice)).toBe(i - 1);
      await clock.advanceAsync(1);
      await waitFor(() => peer.count(P.inquirePrice) === i, `quote ${i}`);
    }
    await Promise.all(qs);
    expect(peer.requestsTo(P.inquirePrice)[0]!.headers['tr_id']).toBe('FHKST01010100');
  });
});

describe('order commands are never resent blindly', () => {
  const order = { instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_000 } as const;

  async function expectUnknown(c: KisClient, code: string): Promise<KisError> {
    const e = await kisError(c.submitOrder(order));
    expect(e).toMatchObject({ code, disposition: 'outcome-unknown', notPlaced: false, kind: 'command', trId: 'TTTC0012U' });
    await clock.advanceAsync(120_000); // no hidden retry on any timer
    expect(peer.count(P.orderCash)).toBe(1);
    return e;
  }

  it('EGW00201 on order-cash → outcome-unknown, exactly one request', async () => {
    peer.on(P.orderCash, () => err('EGW00201'));
    const e = await expectUnknown(makeClient(), 'KIS_RATE_LIMITED');
    expect(e.msgCd).toBe('EGW00201');
  });

  it('timeout on order-cash → outcome-unknown, exactly one request', async () => {
    peer.on(P.orderCash, () => 'hang');
    const c = makeClient();
    const p = kisError(c.submitOrder(order));
    await waitFor(() => peer.count(P.orderCash) === 1, 'order received');
    await clock.advanceAsync(9_999);
    await clock.advanceAsync(1); // connect 5 s + read 5 s
    const e = await p;
    expect(e).toMatchObject({ code: 'KIS_TIMEOUT', disposition: 'outcome-unknown', notPlaced: false });
    await clock.advanceAsync(120_000);
    expect(peer.count(P.orderCash)).toBe(1);
  });

  it('socket reset on order-cash → outcome-unknown, exactly one request', async () => {
    peer.on(P.orderCash, () => 'reset');
    await expectUnknown(makeClient(), 'KIS_TRANSPORT');
  });

  it('HTTP 500 without a business code on order-cash → outcome-unknown, exactly one request', async () => {
    peer.on(P.orderCash, () => ({ status: 500, body: 'Internal Server Error' }));
    const e = await expectUnknown(makeClient(), 'KIS_HTTP');
    expect(e.httpStatus).toBe(500);
  });

  it('an unknown msg_cd on order-cash → outcome-unknown, exactly one request', async () => {
    peer.on(P.orderCash, () => ({ body: SYNTHETIC_UNKNOWN_CODE }));
    await expectUnknown(makeClient(), 'KIS_REJECTED');
  });

  it('success envelope without an order number → outcome-unknown (accepted but unidentifiable)', async () => {
    peer.on(P.orderCash, () => ({ body: { rt_cd: '0', msg_cd: 'APBK0013', msg1: 'SYNTHETIC', output: { KRX_FWDG_ORD_ORGNO: '06010', ORD_TMD: '155211' } } }));
    const e = await expectUnknown(makeClient(), 'KIS_PAYLOAD_INVALID');
    expect(e.message).toContain('output.odno');
  });

  it('a business refusal (HTTP 200 or 500) → rejected, notPlaced, one request', async () => {
    for (const status of [200, 500]) {
      const p2 = await ScriptedPeer.start();
      defaultHandlers(p2);
      p2.on(P.orderCash, () => ({ status, body: SYNTHETIC_REJECTION }));
      const saved = peer;
      peer = p2;
      const e = await kisError(makeClient().submitOrder({ ...order, orderType: 'MARKET', price: undefined }));
      expect(e).toMatchObject({ code: 'KIS_REJECTED', disposition: 'rejected', notPlaced: true, msgCd: 'APBK1943', msg1: '시장가호가불가로 주문이 불가합니다.' });
      expect(p2.count(P.orderCash)).toBe(1);
      peer = saved;
      for (const c of clients.splice(0)) await c.close();
      await p2.close();
      clearSharedLimiters();
    }
  });

  it('sends the order as KIS documents it (§2.5 headers, §3.8 UPPER-CASE string body)', async () => {
    const c = makeClient();
    const ack = await c.submitOrder(order);
    expect(ack).toEqual({
      venueOrderId: '0001569157',
      branch: '06010',
      tsEvent: kstInstant('2023-12-21', '15:52:11'),
      messageCode: 'APBK0013',
      message: '주문 전송 완료 되었습니다.',
    });
    const r = peer.requestsTo(P.orderCash)[0]!;
    expect(r.method).toBe('POST');
    expect(JSON.parse(r.body)).toEqual({ CANO: '81012345', ACNT_PRDT_CD: '01', PDNO: '009150', ORD_DVSN: '00', ORD_QTY: '3', ORD_UNPR: '150000', EXCG_ID_DVSN_CD: 'KRX' });
    expect(r.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${TOKEN}`,
      appkey: appKey,
      appsecret: APP_SECRET,
      tr_id: 'TTTC0012U',
      tr_cont: '',
      custtype: 'P',
    });
    await c.submitOrder({ instrumentId: '009150', side: 'SELL', orderType: 'MARKET', quantity: 1 });
    const s = peer.requestsTo(P.orderCash)[1]!;
    expect(s.headers['tr_id']).toBe('TTTC0011U');
    expect(JSON.parse(s.body)).toMatchObject({ ORD_DVSN: '01', ORD_UNPR: '0', SLL_TYPE: '01' });
  });

  it('cancel and modify use order-rvsecncl (TTTC0013U) with the original branch and number', async () => {
    const c = makeClient();
    const ref = { venueOrderId: '0001566017', branch: '06010' };
    expect((await c.cancelOrder(ref)).venueOrderId).toBe('0001569139');
    await c.modifyOrder(ref, { price: 180_000, quantity: 1 });
    const [cancel, modify] = peer.requestsTo(P.orderRvsecncl).map((r) => JSON.parse(r.body) as Record<string, string>);
    expect(cancel).toEqual({
      CANO: '81012345',
      ACNT_PRDT_CD: '01',
      KRX_FWDG_ORD_ORGNO: '06010',
      ORGN_ODNO: '0001566017',
      ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '02',
      ORD_QTY: '0',
      ORD_UNPR: '0',
      QTY_ALL_ORD_YN: 'Y',
      EXCG_ID_DVSN_CD: 'KRX',
    });
    expect(modify).toMatchObject({ RVSE_CNCL_DVSN_CD: '01', ORD_QTY: '1', ORD_UNPR: '180000', QTY_ALL_ORD_YN: 'N' });
    expect(peer.requestsTo(P.orderRvsecncl)[0]!.headers['tr_id']).toBe('TTTC0013U');
  });

  it('with useHashkey, POSTs /uapi/hashkey with the exact body and sends the HASH header', async () => {
    peer.on(P.hashkey, (r) => ({ body: { BODY: JSON.parse(r.body), HASH: 'SYNTHETIC-HASH-0123' } }));
    const c = makeClient({ useHashkey: true });
    await c.submitOrder(order);
    expect(peer.requestsTo(P.hashkey)[0]!.body).toBe(peer.requestsTo(P.orderCash)[0]!.body);
    expect(peer.requestsTo(P.orderCash)[0]!.headers['hashkey']).toBe('SYNTHETIC-HASH-0123');
  });

  it('a failing hashkey call means the order was not sent: rejected + notPlaced', async () => {
    peer.on(P.hashkey, () => 'reset');
    const e = await kisError(makeClient({ useHashkey: true }).submitOrder(order));
    expect(e).toMatchObject({ disposition: 'rejected', notPlaced: true, kind: 'command' });
    expect(peer.count(P.orderCash)).toBe(0);
  });
});

describe('local input checks (nothing is sent)', () => {
  it.each([
    [{ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_050 }, /tick grid/],
    [{ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 71_950 }, /tick grid/],
    [{ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3 }, /needs a price/],
    [{ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 0, price: 150_000 }, /quantity/],
    [{ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 1.5, price: 150_000 }, /quantity/],
    [{ instrumentId: '9150', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 150_000 }, /6 alphanumeric/],
    [{ instrumentId: '009150', side: 'BUY', orderType: 'MARKET', quantity: 1, price: 150_000 }, /takes no price/],
    [{ instrumentId: '009150', side: 'HOLD', orderType: 'LIMIT', quantity: 1, price: 150_000 }, /side/],
  ])('%o → InputError', async (params, msg) => {
    const c = makeClient();
    await expect(c.submitOrder(params as never)).rejects.toThrow(InputError);
    await expect(c.submitOrder(params as never)).rejects.toThrow(msg);
    expect(peer.requests).toHaveLength(0);
  });

  it('ETF tick (5 won) is honoured when the kind is given', async () => {
    const c = makeClient();
    await c.submitOrder({ instrumentId: '069500', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 10_005, instrumentKind: 'ETF' });
    expect(peer.count(P.orderCash)).toBe(1);
  });

  it('paper routes to KRX only', async () => {
    const c = makeClient({ env: 'paper' });
    await expect(c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 150_000, venue: 'NXT' })).rejects.toThrow(/KRX only/);
    expect(peer.requests).toHaveLength(0);
  });
});

describe('paper environment', () => {
  it('real-only calls fail with KIS_UNSUPPORTED without any network call', async () => {
    const c = makeClient({ env: 'paper' });
    const e = await kisError(c.requestMinuteBarsOfDay('005930', '2024-11-08', '14:00'));
    expect(e).toMatchObject({ code: 'KIS_UNSUPPORTED', disposition: 'rejected' });
    expect((await kisError(c.requestHoliday('2022-12-27'))).code).toBe('KIS_UNSUPPORTED');
    expect(peer.requests).toHaveLength(0);
  });

  it('uses V… TR ids and lists open orders through daily-ccld CCLD_DVSN=02', async () => {
    const c = makeClient({ env: 'paper', rateLimit: { perSecond: 1_000, burst: 1_000 } });
    await c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_000 });
    expect(peer.requestsTo(P.orderCash)[0]!.headers['tr_id']).toBe('VTTC0012U');
    const open = await c.requestOpenOrders();
    expect(open).toHaveLength(2);
    const r = peer.requestsTo(P.inquireDailyCcld)[0]!;
    expect(r.headers['tr_id']).toBe('VTTC0081R');
    expect(r.query.get('CCLD_DVSN')).toBe('02');
    expect(r.query.get('EXCG_ID_DVSN_CD')).toBe('KRX');
    expect(r.query.get('INQR_STRT_DT')).toBe('20231221');
    expect(peer.count(P.inquirePsblRvsecncl)).toBe(0);
  });
});

describe('queries', () => {
  it('balance across 3 pages: tr_cont F/M → N with CTX_AREA_* from the previous body, D → last', async () => {
    const conts = ['F', 'M', 'D'];
    peer.on(P.inquireBalance, (_r, n) => ({ body: kisFixture('http_get_inquire-balance.json'), headers: { tr_cont: conts[n - 1]! } }));
    const c = makeClient();
    const b = await c.requestBalance();
    const reqs = peer.requestsTo(P.inquireBalance);
    expect(reqs).toHaveLength(3);
    const fk = kisFixture<{ ctx_area_fk100: string; ctx_area_nk100: string }>('http_get_inquire-balance.json');
    expect(reqs[0]!.headers['tr_cont']).toBe('');
    expect(reqs[0]!.query.get('CTX_AREA_FK100')).toBe('');
    for (const r of reqs.slice(1)) {
      expect(r.headers['tr_cont']).toBe('N');
      expect(r.query.get('CTX_AREA_FK100')).toBe(fk.ctx_area_fk100);
      expect(r.query.get('CTX_AREA_NK100')).toBe(fk.ctx_area_nk100);
    }
    expect(reqs[0]!.query.get('CANO')).toBe('81012345');
    expect(reqs[0]!.headers['tr_id']).toBe('TTTC8434R');
    // the same official page served three times: its two 009150 rows, three times, merge into one position
    expect(b.positions).toHaveLength(1);
    expect(b.positions[0]!.quantity).toBe(3 * 1_660);
    expect(b.cash.deposit).toBe(346_455);
  });

  it('a paging answer that never ends stops at maxPages with an error, not a silent cut', async () => {
    peer.on(P.inquireBalance, () => ({ body: kisFixture('http_get_inquire-balance.json'), headers: { tr_cont: 'M' } }));
    const e = await kisError(makeClient({ maxPages: 3 }).requestBalance());
    expect(e.code).toBe('KIS_PAYLOAD_INVALID');
    expect(peer.count(P.inquireBalance)).toBe(3);
  });

  it('open orders on real/sim come from inquire-psbl-rvsecncl', async () => {
    const open = await makeClient().requestOpenOrders();
    expect(open.map((o) => o.venueOrderId)).toEqual(['0001569139', '0001569138']);
    expect(peer.requestsTo(P.inquirePsblRvsecncl)[0]!.headers['tr_id']).toBe('TTTC0084R');
  });

  it('orders of a date range come from inquire-daily-ccld; more than 3 months back is refused locally', async () => {
    const c = makeClient();
    const orders = await c.requestOrders({ from: '2023-12-01', to: '2023-12-21' });
    expect(orders).toHaveLength(2);
    expect(peer.requestsTo(P.inquireDailyCcld)[0]!.query.get('EXCG_ID_DVSN_CD')).toBe('ALL');
    await expect(c.requestOrders({ from: '2023-01-01', to: '2023-12-21' })).rejects.toThrow(InputError);
  });

  it('buying power, minute bars (sentinel-free) and a past day walked backwards', async () => {
    const c = makeClient();
    expect((await c.requestBuyingPower({ instrumentId: '005930' })).maxBuyQuantity).toBe(21_176);
    expect(peer.requestsTo(P.inquirePsblOrder)[0]!.query.get('ORD_DVSN')).toBe('01');
    const today = await c.requestMinuteBars('000660', { until: '10:00' });
    expect(today.map((b) => b.time)).toEqual(['100000']);
    expect(peer.requestsTo(P.inquireTimeItemchartprice)[0]!.query.get('FID_INPUT_HOUR_1')).toBe('100000');
    const day = await c.requestMinuteBarsOfDay('005930', '2024-11-08', '14:00');
    expect(day.map((b) => b.time)).toEqual(['120100', '135900', '140000']);
    const calls = peer.requestsTo(P.inquireTimeDailychartprice);
    expect(calls.map((r) => r.query.get('FID_INPUT_HOUR_1'))).toEqual(['140000', '120059']);
    expect(calls[0]!.headers['tr_id']).toBe('FHKST03010230');
  });

  it('holiday answers are cached per date for a day', async () => {
    const c = makeClient();
    expect((await c.requestHoliday('2022-12-30')).marketOpen).toBe(false);
    expect((await c.requestHoliday('2022-12-27')).marketOpen).toBe(true);
    expect(peer.count(P.chkHoliday)).toBe(1);
    expect(peer.requestsTo(P.chkHoliday)[0]!.query.get('BASS_DT')).toBe('20221230');
    await clock.advanceAsync(24 * 3600 * 1000);
    await c.requestHoliday('2022-12-27');
    expect(peer.count(P.chkHoliday)).toBe(2);
  });

  it('a query business refusal is rejected (MCA05918-style) and not retried', async () => {
    peer.on(P.inquirePrice, () => ({ body: { rt_cd: '1', msg_cd: 'MCA05918', msg1: '종목코드 오류입니다.' } }));
    const e = await kisError(makeClient().requestQuote('000660'));
    expect(e).toMatchObject({ code: 'KIS_REJECTED', disposition: 'rejected', notPlaced: false });
    expect(peer.count(P.inquirePrice)).toBe(1);
  });

  it('EGW02004 (paper key on the real domain) is fatal', async () => {
    peer.on(P.inquirePrice, () => err('EGW02004'));
    const e = await kisError(makeClient().requestQuote('000660'));
    expect(e).toMatchObject({ code: 'KIS_AUTH_INVALID', disposition: 'fatal' });
  });
});

describe('circuit breakers', () => {
  it('quote breaker opens after the window fails; orders have their own breaker; half-open after 30 s', async () => {
    let healthy = false;
    peer.on(P.inquirePrice, () => (healthy ? { body: kisFixture('http_get_inquire-price.json') } : { status: 502, body: 'Bad Gateway' }));
    const c = makeClient();
    for (let i = 0; i < 10; i++) expect((await kisError(c.requestQuote('000660'))).code).toBe('KIS_HTTP');
    expect(c.breakerState('quote')).toBe(1);
    const open = await kisError(c.requestQuote('000660'));
    expect(open).toMatchObject({ code: 'KIS_CIRCUIT_OPEN', disposition: 'retryable' });
    expect(peer.count(P.inquirePrice)).toBe(10);
    // the trading breaker is separate
    await c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 150_000 });
    expect(c.breakerState('trading')).toBe(0);
    await clock.advanceAsync(29_999);
    expect((await kisError(c.requestQuote('000660'))).code).toBe('KIS_CIRCUIT_OPEN');
    await clock.advanceAsync(1);
    healthy = true;
    await c.requestQuote('000660'); // the half-open trial
    expect(c.breakerState('quote')).toBe(0);
    healthy = false; // a failure among the next 4 trial calls re-opens at once
    expect((await kisError(c.requestQuote('000660'))).code).toBe('KIS_HTTP');
    expect(c.breakerState('quote')).toBe(1);
  });

  it('trading breaker open: an order is not sent and is rejected with notPlaced', async () => {
    peer.on(P.inquireBalance, () => 'reset');
    const c = makeClient();
    for (let i = 0; i < 10; i++) expect((await kisError(c.requestBalance())).code).toBe('KIS_TRANSPORT');
    const e = await kisError(c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: 150_000 }));
    expect(e).toMatchObject({ code: 'KIS_CIRCUIT_OPEN', disposition: 'rejected', notPlaced: true, kind: 'command' });
    expect(peer.count(P.orderCash)).toBe(0);
  });

  it('business refusals and rate-limit answers do not open the breaker', async () => {
    peer.on(P.inquirePrice, () => ({ body: { rt_cd: '1', msg_cd: 'MCA05918', msg1: '종목코드 오류입니다.' } }));
    const c = makeClient();
    for (let i = 0; i < 12; i++) await kisError(c.requestQuote('000660'));
    expect(c.breakerState('quote')).toBe(0);
  });
});

describe('secrets never reach a log line or an error', () => {
  it('debug logs through token issue, re-issue, order, approval and failures hold no app key, secret, token or account', async () => {
    peer.on(P.tokenP, (_r, n) => ({ body: { ...TOKEN_BODY, access_token: n === 1 ? TOKEN : TOKEN2 } }));
    peer.on(P.orderCash, (_r: PeerRequest, n) => (n === 1 ? err('EGW00123') : n === 2 ? { body: kisFixture('http_post_order-cash.json') } : 'reset'));
    const c = makeClient();
    const errors: unknown[] = [];
    await c.requestQuote('000660');
    await c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_000 });
    errors.push(await kisError(c.submitOrder({ instrumentId: '009150', side: 'BUY', orderType: 'LIMIT', quantity: 3, price: 150_000 })));
    await c.issueApprovalKey();
    await c.requestBalance();
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.some((l) => l.includes('"level":20'))).toBe(true); // debug lines were written
    const text = logs.join('\n') + errors.map((e) => `${String(e)} ${JSON.stringify((e as KisError).context)}`).join('\n');
    for (const secret of [appKey, APP_SECRET, TOKEN, TOKEN2, APPROVAL, '81012345']) expect(text).not.toContain(secret);
    // the secrets were really used on the wire
    expect(peer.requestsTo(P.orderCash)[1]!.headers['appsecret']).toBe(APP_SECRET);
  });
});

describe('rate limiting headroom', () => {
  it('paces 10 % below the venue limit by default (paper 1/s → one call per 1.111 s)', async () => {
    const a = makeClient({ env: 'paper', rateLimit: {} });
    const qs = [a.requestQuote('000660'), a.requestQuote('000660')];
    await waitFor(() => peer.count(P.tokenP) === 1 && clock.pendingTimers() >= 2, 'two quotes waiting for the limiter');
    await clock.advanceAsync(1_110);
    expect(peer.count(P.inquirePrice)).toBe(0);
    await clock.advanceAsync(2);
    await waitFor(() => peer.count(P.inquirePrice) === 1, 'first quote');
    await clock.advanceAsync(1_110);
    expect(peer.count(P.inquirePrice)).toBe(1);
    await clock.advanceAsync(2);
    await waitFor(() => peer.count(P.inquirePrice) === 2, 'second quote');
    await Promise.all(qs);
  });
});
