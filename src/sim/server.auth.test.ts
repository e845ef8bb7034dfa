import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { flush } from '../core/clock.ts';
import { defaultSimAccount } from './account-spec.ts';
import { startTwin, type TwinFixture } from './testing/fixture.ts';

const PRICE = '/uapi/domestic-stock/v1/quotations/inquire-price';
const BALANCE = '/uapi/domestic-stock/v1/trading/inquire-balance';
const ORDER = '/uapi/domestic-stock/v1/trading/order-cash';
const HOLIDAY = '/uapi/domestic-stock/v1/quotations/chk-holiday';
const RVSECNCL_Q = '/uapi/domestic-stock/v1/trading/inquire-psbl-rvsecncl';
const Q = { FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: '005930' };

const REAL = defaultSimAccount({ env: 'real' });
const PAPER = defaultSimAccount({ env: 'paper', rateLimitPerSecond: 100 });

let twin: TwinFixture | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

async function start(): Promise<TwinFixture> {
  twin = await startTwin({ accounts: [REAL, PAPER] });
  return twin;
}

describe('POST /oauth2/tokenP', () => {
  it('issues a token with exactly the Appendix A.1 fields (expiry in KST, expires_in a number)', async () => {
    const t = await start();
    const c = t.client(REAL);
    const r = await c.issueToken();
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['access_token', 'access_token_token_expired', 'token_type', 'expires_in']);
    expect(r.body.token_type).toBe('Bearer');
    expect(r.body.expires_in).toBe(86_400);
    expect(r.body.access_token_token_expired).toBe('2026-01-08 09:30:00');
    expect(r.body.access_token.length).toBeLessThanOrEqual(350);
    expect(r.body.access_token.split('.')).toHaveLength(3);
  });

  it('a second issue within 60 s is HTTP 403 EGW00133 in the error_code envelope; later, the same token within 6 h', async () => {
    const t = await start();
    const c = t.client(REAL);
    const first = await c.issueToken();
    t.clock.advance(59_999);
    const again = await c.issueToken();
    expect(again.status).toBe(403);
    expect(again.body).toEqual({ error_description: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)', error_code: 'EGW00133' });
    t.clock.advance(1);
    const same = await c.issueToken();
    expect(same.status).toBe(200);
    expect(same.body.access_token).toBe(first.body.access_token);
    expect(same.body.access_token_token_expired).toBe(first.body.access_token_token_expired);
    expect(same.body.expires_in).toBe(86_400 - 60);
    t.clock.advance(6 * 3600_000 - 60_000 - 1); // 1 ms before 6 h after the first issue
    expect((await c.issueToken()).body.access_token).toBe(first.body.access_token);
  });

  it('after 6 h a new token is issued and the old one stays valid until its own expiry', async () => {
    const t = await start();
    const c = t.client(REAL);
    const first = (await c.issueToken()).body.access_token;
    t.clock.advance(6 * 3600_000);
    const second = (await c.issueToken()).body.access_token;
    expect(second).not.toBe(first);
    expect((await c.get(PRICE, 'FHKST01010100', Q, { token: first })).body.rt_cd).toBe('0');
  });

  it('an expired token is HTTP 500 EGW00123; an unknown one EGW00121', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t.clock.advance(24 * 3600_000 - 1);
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
    t.clock.advance(1);
    const expired = await c.get(PRICE, 'FHKST01010100', Q);
    expect(expired.status).toBe(500);
    expect(expired.body).toEqual({ rt_cd: '1', msg_cd: 'EGW00123', msg1: '기간이 만료된 token 입니다.' });
    const unknown = await c.get(PRICE, 'FHKST01010100', Q, { token: 'nope' });
    expect([unknown.status, unknown.body.msg_cd]).toEqual([500, 'EGW00121']);
  });

  it('wrong app key / secret / grant type are refused with HTTP 403 and the error_code envelope', async () => {
    const t = await start();
    const c = t.client(REAL);
    const post = (b: object) => c.raw('POST', '/oauth2/tokenP', JSON.stringify(b), { 'content-type': 'application/json' });
    const badKey = await post({ grant_type: 'client_credentials', appkey: 'x'.repeat(36), appsecret: REAL.appSecret });
    expect([badKey.status, badKey.body.error_code]).toEqual([403, 'EGW00103']);
    const badSecret = await post({ grant_type: 'client_credentials', appkey: REAL.appKey, appsecret: 'y' });
    expect([badSecret.status, badSecret.body.error_code]).toEqual([403, 'EGW00105']);
    const badGrant = await post({ grant_type: 'password', appkey: REAL.appKey, appsecret: REAL.appSecret });
    expect([badGrant.status, badGrant.body.error_code]).toEqual([403, 'EGW00116']);
    expect(Object.keys(badKey.body)).toEqual(['error_description', 'error_code']);
  });

  it('a token of one app key does not work with another app key', async () => {
    const t = await start();
    const real = t.client(REAL);
    await real.issueToken();
    const paper = t.client(PAPER);
    const r = await paper.get(PRICE, 'FHKST01010100', Q, { token: real.token });
    expect(r.body.msg_cd).toBe('EGW00121');
  });
});

describe('revokeP, Approval, hashkey', () => {
  it('revokeP answers the documented body and the token stops working', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    const r = await c.raw('POST', '/oauth2/revokeP', JSON.stringify({ appkey: REAL.appKey, appsecret: REAL.appSecret, token: c.token }), { 'content-type': 'application/json' });
    expect(r.body).toEqual({ code: 200, message: '접근토큰 폐기에 성공하였습니다' });
    expect((await c.get(PRICE, 'FHKST01010100', Q)).body.msg_cd).toBe('EGW00121');
  });

  it('Approval (secretkey field, "application/json; utf-8") issues a 36-character key the WebSocket side can look up', async () => {
    const t = await start();
    const c = t.client(PAPER);
    const r = await c.raw('POST', '/oauth2/Approval', JSON.stringify({ grant_type: 'client_credentials', appkey: PAPER.appKey, secretkey: PAPER.appSecret }), {
      'content-type': 'application/json; utf-8',
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['approval_key']);
    expect(r.body.approval_key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(t.server.state.lookupApproval(r.body.approval_key)).toMatchObject({ appKey: PAPER.appKey, env: 'paper', htsId: PAPER.htsId, cano: PAPER.cano });
    expect(t.server.state.lookupApproval('unknown')).toBeUndefined();
    t.clock.advance(24 * 3600_000);
    expect(t.server.state.lookupApproval(r.body.approval_key)).toBeUndefined();
    const bad = await c.raw('POST', '/oauth2/Approval', JSON.stringify({ grant_type: 'client_credentials', appkey: PAPER.appKey, appsecret: PAPER.appSecret }), {
      'content-type': 'application/json',
    });
    expect([bad.status, bad.body.error_code]).toEqual([403, 'EGW00105']);
  });

  it('hashkey returns HASH = sha256 hex of the body and echoes BODY', async () => {
    const t = await start();
    const c = t.client(REAL);
    const body = JSON.stringify({ CANO: REAL.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_DVSN: '00', ORD_QTY: '1', ORD_UNPR: '70000' });
    const r = await c.raw('POST', '/uapi/hashkey', body, { 'content-type': 'application/json', appkey: REAL.appKey, appsecret: REAL.appSecret });
    expect(r.status).toBe(200);
    expect(r.body.HASH).toBe(createHash('sha256').update(body).digest('hex'));
    expect(r.body.BODY).toEqual(JSON.parse(body));
  });
});

describe('gateway checks', () => {
  it('per-app-key rate limit: sliding one-second window, HTTP 500 EGW00201', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    for (let i = 0; i < 18; i++) expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
    const over = await c.get(PRICE, 'FHKST01010100', Q);
    expect(over.status).toBe(500);
    expect(over.body).toEqual({ rt_cd: '1', msg_cd: 'EGW00201', msg1: '초당 거래건수를 초과하였습니다.' });
    t.clock.advance(999);
    expect((await c.get(PRICE, 'FHKST01010100', Q)).body.msg_cd).toBe('EGW00201');
    t.clock.advance(1);
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
    // another app key has its own budget
    const p = t.client(PAPER);
    await p.issueToken();
    expect((await p.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
  });

  it('paper default budget is 1 request per second', async () => {
    const paper1 = defaultSimAccount({ env: 'paper', index: 3 });
    twin = await startTwin({ accounts: [paper1] });
    const c = twin.client(paper1);
    await c.issueToken();
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
    t500(await c.get(PRICE, 'FHKST01010100', Q), 'EGW00201');
    twin.clock.advance(1000);
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
  });

  it('environment and TR id rules', async () => {
    const t = await start();
    const real = t.client(REAL);
    const paper = t.client(PAPER);
    await real.issueToken();
    await paper.issueToken();
    const order = { CANO: PAPER.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_DVSN: '00', ORD_QTY: '1', ORD_UNPR: '70000' };
    const a = await paper.post(ORDER, 'TTTC0012U', order);
    expect([a.status, a.body]).toEqual([500, { rt_cd: '1', msg_cd: 'EGW02004', msg1: '실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.' }]);
    t500(await real.post(ORDER, 'VTTC0012U', { ...order, CANO: REAL.cano }), 'EGW02007');
    t500(await paper.get(HOLIDAY, 'CTCA0903R', { BASS_DT: '20260107', CTX_AREA_NK: '', CTX_AREA_FK: '' }), 'EGW02006');
    t500(await paper.get(RVSECNCL_Q, 'TTTC0084R', { CANO: PAPER.cano, ACNT_PRDT_CD: '01', INQR_DVSN_1: '0', INQR_DVSN_2: '0' }), 'EGW02006');
    t500(await real.get(BALANCE, 'FHKST01010100', { CANO: REAL.cano, ACNT_PRDT_CD: '01' }), 'OPSQ0002');
    t500(await real.get(PRICE, '', Q), 'OPSQ0002');
    const missing = await real.get('/uapi/domestic-stock/v1/quotations/no-such-thing', 'FHKST01010100', Q);
    expect([missing.status, missing.body.msg_cd]).toEqual([404, 'MCA00124']);
    // old TR ids are accepted
    expect((await real.post(ORDER, 'TTTC0802U', { ...order, CANO: REAL.cano })).body.msg_cd).toBe('APBK0013');
    expect((await paper.post(ORDER, 'VTTC0802U', order)).body.msg_cd).toBe('APBK0013');
  });

  it('app key, secret and bearer checks', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t500(await c.get(PRICE, 'FHKST01010100', Q, { headers: { appkey: '' } }), 'EGW00102');
    t500(await c.get(PRICE, 'FHKST01010100', Q, { headers: { appkey: 'z'.repeat(36) } }), 'EGW00103');
    t500(await c.get(PRICE, 'FHKST01010100', Q, { headers: { appsecret: 'wrong' } }), 'EGW00105');
    t500(await c.get(PRICE, 'FHKST01010100', Q, { headers: { authorization: c.token } }), 'EGW00205');
  });

  it('sends capitalised Content-Type and tr_cont / tr_id / gt_uid headers', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    const raw = await new Promise<string[]>((resolve, reject) => {
      const u = new URL(`${t.server.url}${PRICE}?fid_cond_mrkt_div_code=J&fid_input_iscd=005930`);
      const req = request(u, { method: 'GET', headers: { authorization: `Bearer ${c.token}`, appkey: REAL.appKey, appsecret: REAL.appSecret, tr_id: 'FHKST01010100', custtype: 'P' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.rawHeaders));
      });
      req.on('error', reject);
      req.end();
    });
    const names = raw.filter((_, i) => i % 2 === 0);
    expect(names).toContain('Content-Type');
    expect(names).toContain('tr_cont');
    expect(names).toContain('tr_id');
    expect(names).toContain('gt_uid');
    expect(raw[raw.indexOf('tr_id') + 1]).toBe('FHKST01010100');
  });

  it('POST bodies need UPPER-CASE keys and string values', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    const ok = { CANO: REAL.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_DVSN: '00', ORD_QTY: '1', ORD_UNPR: '70000' };
    t500(await c.post(ORDER, 'TTTC0012U', { ...ok, ORD_QTY: 1 }), 'OPSQ9997');
    t500(await c.post(ORDER, 'TTTC0012U', { cano: REAL.cano, acnt_prdt_cd: '01', pdno: '005930', ord_dvsn: '00', ord_qty: '1', ord_unpr: '70000' }), 'OPSQ9997');
    const bad = await c.raw('POST', ORDER, '{not json', { authorization: `Bearer ${c.token}`, appkey: REAL.appKey, appsecret: REAL.appSecret, tr_id: 'TTTC0012U', 'content-type': 'application/json' });
    expect(bad.body.msg_cd).toBe('OPSQ9999');
    expect((await c.post(ORDER, 'TTTC0012U', ok)).body.rt_cd).toBe('0');
  });

  it('query keys are accepted in either case', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    const lower = await c.get(PRICE, 'FHKST01010100', { fid_cond_mrkt_div_code: 'J', fid_input_iscd: '005930' });
    const upper = await c.get(PRICE, 'FHKST01010100', Q);
    expect(lower.body.output).toEqual(upper.body.output);
  });
});

describe('fault table', () => {
  it('the next N requests of a path get HTTP 500, then service resumes', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    const h = t.server.state.faults.add({ path: PRICE, times: 2, action: { kind: 'http-500' } });
    t500(await c.get(PRICE, 'FHKST01010100', Q), 'EGW00002');
    expect(h.remaining).toBe(1);
    t500(await c.get(PRICE, 'FHKST01010100', Q), 'EGW00002');
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
    expect(t.server.state.faults.fired).toHaveLength(2);
  });

  it('rate-limit and custom status faults', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t.server.state.faults.add({ trId: 'FHKST01010100', action: { kind: 'rate-limit' } });
    t500(await c.get(PRICE, 'FHKST01010100', Q), 'EGW00201');
    t.server.state.faults.add({ path: /inquire-price$/, action: { kind: 'status', status: 502, body: { oops: true } } });
    const r = await c.get(PRICE, 'FHKST01010100', Q);
    expect([r.status, r.body]).toEqual([502, { oops: true }]);
  });

  it('phase "after": the order is placed but the answer is an error (outcome unknown for the client)', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t.server.state.faults.add({ path: ORDER, phase: 'after', action: { kind: 'http-500' } });
    const r = await c.post(ORDER, 'TTTC0012U', { CANO: REAL.cano, ACNT_PRDT_CD: '01', PDNO: '005930', ORD_DVSN: '00', ORD_QTY: '1', ORD_UNPR: '60000' });
    expect(r.status).toBe(500);
    expect(t.server.state.engine.ordersOf(`${REAL.cano}01`)).toHaveLength(1);
  });

  it('drop destroys the socket without an answer', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t.server.state.faults.add({ path: PRICE, action: { kind: 'drop' } });
    await expect(c.get(PRICE, 'FHKST01010100', Q)).rejects.toThrow();
    expect((await c.get(PRICE, 'FHKST01010100', Q)).status).toBe(200);
  });

  it('delay holds the answer until the twin clock moves', async () => {
    const t = await start();
    const c = t.client(REAL);
    await c.issueToken();
    t.server.state.faults.add({ path: PRICE, action: { kind: 'delay', ms: 5_000 } });
    let done = false;
    const p = c.get(PRICE, 'FHKST01010100', Q).then((r) => {
      done = true;
      return r;
    });
    for (let i = 0; i < 1000 && t.clock.pendingTimers() === 0; i++) await flush();
    expect(t.clock.pendingTimers()).toBe(1);
    for (let i = 0; i < 20; i++) await flush();
    expect(done).toBe(false);
    t.clock.advance(5_000);
    const r = await p;
    expect(r.status).toBe(200);
  });
});

function t500(r: { status: number; body: { rt_cd?: string; msg_cd?: string } }, msgCd: string): void {
  expect([r.status, r.body.rt_cd, r.body.msg_cd]).toEqual([500, '1', msgCd]);
}
