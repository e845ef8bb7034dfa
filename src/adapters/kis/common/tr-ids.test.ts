import { describe, expect, it } from 'vitest';
import { paperTrIdOf, TR_IDS, trIdFor, type TrIdRow } from './tr-ids.ts';

describe('TR_IDS table (kis-protocol §3)', () => {
  const rows = Object.entries(TR_IDS) as [string, TrIdRow][];

  it.each(rows)('%s: paper id follows the T/J/C → V rule, or is null (미지원)', (_op, row) => {
    if (row.paper !== null) expect(row.paper).toBe(paperTrIdOf(row.real));
    if (row.oldReal && row.oldPaper) expect(row.oldPaper).toBe(paperTrIdOf(row.oldReal));
  });

  it('quote TRs are identical on real and paper', () => {
    for (const [, row] of rows.filter(([, r]) => r.real.startsWith('FHK') && r.paper !== null)) expect(row.paper).toBe(row.real);
  });

  it('uses the NEW order TR ids (TTTC0012U buy, TTTC0011U sell, TTTC0013U, TTTC0084R, TTTC0081R)', () => {
    expect(trIdFor('orderCashBuy', 'real')).toBe('TTTC0012U');
    expect(trIdFor('orderCashSell', 'real')).toBe('TTTC0011U');
    expect(trIdFor('orderCashBuy', 'paper')).toBe('VTTC0012U');
    expect(trIdFor('orderRvsecncl', 'paper')).toBe('VTTC0013U');
    expect(trIdFor('inquirePsblRvsecncl', 'real')).toBe('TTTC0084R');
    expect(trIdFor('inquireDailyCcld', 'paper')).toBe('VTTC0081R');
    expect(trIdFor('inquireDailyCcldBefore3m', 'paper')).toBe('VTSC9215R');
  });

  it('real-only TRs have no paper id; sim uses the real ids', () => {
    expect(trIdFor('inquirePsblRvsecncl', 'paper')).toBeNull();
    expect(trIdFor('inquireTimeDailychartprice', 'paper')).toBeNull();
    expect(trIdFor('chkHoliday', 'paper')).toBeNull();
    expect(trIdFor('chkHoliday', 'sim')).toBe('CTCA0903R');
  });

  it('paperTrIdOf only rewrites T/J/C ids', () => {
    expect(paperTrIdOf('CTSC9215R')).toBe('VTSC9215R');
    expect(paperTrIdOf('JTCE0001R')).toBe('VTCE0001R');
    expect(paperTrIdOf('FHKST01010100')).toBe('FHKST01010100');
  });
});
