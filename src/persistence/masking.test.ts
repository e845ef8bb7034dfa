import { describe, expect, it } from 'vitest';
import { AccountMasker, maskAccountNumber } from './masking.ts';

describe('maskAccountNumber', () => {
  it('keeps the first 4 digits of the CANO', () => {
    expect(maskAccountNumber('12345678-01')).toBe('1234****-01');
    expect(maskAccountNumber('1234567801')).toBe('1234****01');
    expect(maskAccountNumber(' 12345678 ')).toBe('1234****');
    expect(maskAccountNumber('SIM-0001')).toBe('SIM-0001');
  });
});

describe('AccountMasker', () => {
  const m = new AccountMasker(['12345678-01']);
  it('masks a known account in every form, and any NNNNNNNN-NN', () => {
    expect(m.maskText('acct 12345678-01 / 1234567801 / 12345678 / other 87654321-02')).toBe('acct 1234****-01 / 1234****01 / 1234**** / other 8765****-02');
  });
  it('masks JSON deeply, keys and numbers included, and leaves other numbers alone', () => {
    expect(
      m.maskJson({
        account: '99998888',
        cano: 12345678,
        list: [1234567801, '12345678-01', { acnt_no: '55556666' }],
        'key 12345678': 'v',
        venueOrderId: '0001569157',
        amount: 70_000_000,
        skipped: undefined,
      }),
    ).toEqual({
      account: '9999****',
      cano: '1234****',
      list: ['1234****01', '1234****-01', { acnt_no: '5555****' }],
      'key 1234****': 'v',
      venueOrderId: '0001569157',
      amount: 70_000_000,
    });
  });
});
