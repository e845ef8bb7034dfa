import { describe, expect, it } from 'vitest';
import { checkTrId, findEndpoint, orderCashSide, SIM_ENDPOINTS } from './endpoints.ts';
import { displayWidth, kisError, kisMessage, SIM_CODES } from './kis-codes.ts';
import { SlidingWindowRateLimiter } from './rate-limit.ts';

describe('code table', () => {
  it('every code is 8 characters, marked with its source; TWIN entries explain themselves', () => {
    for (const [key, e] of Object.entries(SIM_CODES)) {
      expect(e.msgCd, key).toHaveLength(8);
      expect(['KIS', '3P', 'TWIN']).toContain(e.source);
      if (e.source === 'TWIN') expect(e.note, key).toBeTruthy();
    }
  });
  it('query messages are padded to 80 display columns; errors are not', () => {
    expect(displayWidth(kisMessage('OK_QUERY').msg1)).toBe(80);
    expect(kisMessage('OK_ORDER').msg1).toBe('주문 전송 완료 되었습니다.');
    expect(kisError('TOKEN_TOO_OFTEN')).toEqual({ status: 403, body: { error_description: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)', error_code: 'EGW00133' } });
    expect(kisError('MARKET_CLOSED', 'paper').body).toEqual({ rt_cd: '1', msg_cd: '40580000', msg1: '모의투자 장종료 입니다.' });
  });
});

describe('endpoint table', () => {
  it('TR ids by environment, old ids, paper-unsupported endpoints', () => {
    const order = findEndpoint('POST', '/uapi/domestic-stock/v1/trading/order-cash')!;
    expect(checkTrId(order, 'real', 'TTTC0012U')).toBeUndefined();
    expect(checkTrId(order, 'real', 'TTTC0801U')).toBeUndefined();
    expect(checkTrId(order, 'paper', 'VTTC0011U')).toBeUndefined();
    expect(checkTrId(order, 'paper', 'TTTC0012U')).toBe('PAPER_KEY_ON_REAL_TR');
    expect(checkTrId(order, 'real', 'VTTC0012U')).toBe('REAL_KEY_ON_PAPER_TR');
    expect(checkTrId(order, 'real', 'TTTC8434R')).toBe('TR_ID_INVALID');
    const hol = findEndpoint('GET', '/uapi/domestic-stock/v1/quotations/chk-holiday')!;
    expect(checkTrId(hol, 'paper', 'CTCA0903R')).toBe('NOT_A_PAPER_TR');
    expect(findEndpoint('GET', '/uapi/domestic-stock/v1/trading/order-cash')).toBeUndefined();
    expect([orderCashSide('TTTC0011U'), orderCashSide('VTTC0801U'), orderCashSide('TTTC0012U')]).toEqual(['SELL', 'SELL', 'BUY']);
    expect(SIM_ENDPOINTS).toHaveLength(11);
  });
});

describe('SlidingWindowRateLimiter', () => {
  it('admits `limit` requests per sliding second; refused requests do not count', () => {
    const l = new SlidingWindowRateLimiter();
    expect([l.tryAcquire('k', 2, 0), l.tryAcquire('k', 2, 400), l.tryAcquire('k', 2, 999)]).toEqual([true, true, false]);
    expect(l.tryAcquire('k', 2, 1000)).toBe(true); // the request at 0 left the window
    expect(l.tryAcquire('k', 2, 1399)).toBe(false);
    expect(l.tryAcquire('k', 2, 1400)).toBe(true);
    expect(l.tryAcquire('other', 1, 1400)).toBe(true);
  });
});
