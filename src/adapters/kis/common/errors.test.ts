import { describe, expect, it } from 'vitest';
import { AppError } from '../../../core/errors.ts';
import { bareOutcome, classifyMsgCd, envelopeOutcome, KisError, MSG_CD_TABLE } from './errors.ts';

describe('msg_cd classification (one exact table)', () => {
  it.each([
    ['EGW00201', 'rate-limited'],
    ['EGW00215', 'rate-limited'],
    ['EGW00123', 'auth-expired'],
    ['EGW00121', 'token-invalid'],
    ['EGW00122', 'token-invalid'],
    ['EGW00133', 'token-throttled'],
    ['EGW00103', 'credentials'],
    ['EGW00105', 'credentials'],
    ['EGW02004', 'credentials'],
    ['OPSQ2000', 'rejected'],
    ['MCA05918', 'rejected'],
    ['APBK0919', 'rejected'],
    ['APBK1943', 'rejected'],
    ['APBK9999', 'rejected'], // the APBK family rule
    ['EGW00301', 'check-previous'],
    ['EGW00002', 'transient'],
    ['OPSQ0002', 'request-invalid'],
    ['ZZZZ0000', 'unknown'],
    ['', 'unknown'],
  ])('%s → %s', (code, cls) => expect(classifyMsgCd(code)).toBe(cls));

  it('every table entry is a well-formed code', () => {
    for (const k of Object.keys(MSG_CD_TABLE)) expect(k).toMatch(/^[A-Z]{3,4}\d{4,5}$/);
  });
});

describe('dispositions depend on the call kind', () => {
  it('query: transient kinds are retryable', () => {
    expect(envelopeOutcome('rate-limited', 'query')).toMatchObject({ code: 'KIS_RATE_LIMITED', disposition: 'retryable' });
    expect(envelopeOutcome('transient', 'query').disposition).toBe('retryable');
    expect(envelopeOutcome('check-previous', 'query').disposition).toBe('retryable');
    expect(bareOutcome('KIS_TIMEOUT', 'query').disposition).toBe('retryable');
    expect(bareOutcome('KIS_TRANSPORT', 'query').disposition).toBe('retryable');
    expect(bareOutcome('KIS_HTTP', 'query', 500).disposition).toBe('retryable');
    expect(bareOutcome('KIS_HTTP', 'query', 404).disposition).toBe('fatal');
    expect(bareOutcome('KIS_CIRCUIT_OPEN', 'query').disposition).toBe('retryable');
  });

  it('command: only a known business refusal is rejected; everything uncertain is outcome-unknown', () => {
    expect(envelopeOutcome('rejected', 'command')).toEqual({ code: 'KIS_REJECTED', disposition: 'rejected', notPlaced: true });
    expect(envelopeOutcome('rate-limited', 'command')).toMatchObject({ disposition: 'outcome-unknown', notPlaced: false });
    expect(envelopeOutcome('unknown', 'command')).toMatchObject({ disposition: 'outcome-unknown', notPlaced: false });
    expect(envelopeOutcome('transient', 'command').disposition).toBe('outcome-unknown');
    expect(envelopeOutcome('check-previous', 'command').disposition).toBe('outcome-unknown');
    for (const c of ['KIS_TIMEOUT', 'KIS_TRANSPORT', 'KIS_HTTP', 'KIS_PAYLOAD_INVALID'] as const) {
      expect(bareOutcome(c, 'command', 500)).toEqual({ disposition: 'outcome-unknown', notPlaced: false });
    }
    expect(bareOutcome('KIS_HTTP', 'command', 404).disposition).toBe('outcome-unknown');
  });

  it('command: never-sent failures are rejected with notPlaced', () => {
    expect(bareOutcome('KIS_CIRCUIT_OPEN', 'command')).toEqual({ disposition: 'rejected', notPlaced: true });
    expect(bareOutcome('KIS_UNSUPPORTED', 'command')).toEqual({ disposition: 'rejected', notPlaced: true });
  });

  it('credential and request errors are fatal on both kinds', () => {
    for (const k of ['query', 'command'] as const) {
      expect(envelopeOutcome('credentials', k)).toMatchObject({ code: 'KIS_AUTH_INVALID', disposition: 'fatal' });
      expect(envelopeOutcome('request-invalid', k)).toMatchObject({ code: 'KIS_REQUEST_INVALID', disposition: 'fatal' });
      expect(envelopeOutcome('auth-expired', k)).toMatchObject({ code: 'KIS_AUTH_EXPIRED', disposition: 'fatal' });
    }
  });
});

describe('KisError', () => {
  it('is an AppError carrying the KIS fields; notPlaced only for commands', () => {
    const e = new KisError({
      code: 'KIS_REJECTED',
      disposition: 'rejected',
      kind: 'query',
      endpoint: 'inquirePrice',
      trId: 'FHKST01010100',
      httpStatus: 200,
      msgCd: 'MCA05918',
      msg1: '종목코드 오류입니다.',
      notPlaced: true,
      detail: 'rejected',
    });
    expect(e).toBeInstanceOf(AppError);
    expect(e.name).toBe('KisError');
    expect(e.notPlaced).toBe(false);
    expect(e.message).toContain('msg_cd=MCA05918');
    expect(e.message).toContain('trId=FHKST01010100');
    expect(e.context).toMatchObject({ msgCd: 'MCA05918', endpoint: 'inquirePrice', httpStatus: 200 });
  });
});
