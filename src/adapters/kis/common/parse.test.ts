import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrumentId } from '../../../model/instrument.ts';
import { mapMinuteBars } from '../http/parse.ts';
import { minuteRows } from '../http/raw-client.ts';
import { REPO_ROOT } from '../testing/scripted-peer.ts';
import { isSentinelBarRow, lowerKeys } from './parse.ts';

describe('lowerKeys', () => {
  it('lower-cases keys recursively (UPPER-CASE order outputs, excg_id_dvsn_Cd)', () => {
    expect(lowerKeys({ RT_CD: '0', output: { KRX_FWDG_ORD_ORGNO: '06010', ODNO: '1' }, output1: [{ excg_id_dvsn_Cd: 'KRX' }] })).toEqual({
      rt_cd: '0',
      output: { krx_fwdg_ord_orgno: '06010', odno: '1' },
      output1: [{ excg_id_dvsn_cd: 'KRX' }],
    });
  });
});

const SENTINEL_CSV = resolve(REPO_ROOT, '../shared/data/kis/kis_doc_kosdaq_index_2min_20240126-20240129.csv');

describe.skipIf(!existsSync(SENTINEL_CSV))('sentinel rows (kis_doc_kosdaq_index_2min_20240126-20240129.csv; skipped without ../shared)', () => {
  // Converter, not invented data: the real FHKUP03500200 rows with their index columns renamed to
  // the stock minute-bar names (bstp_nmix_prpr → stck_prpr, …) so they pass the bar mapper.
  const csv = existsSync(SENTINEL_CSV) ? readFileSync(SENTINEL_CSV, 'utf8').trim().split(/\r?\n/) : ['x'];
  const header = csv[0]!.split(',');
  const rename: Record<string, string> = { bstp_nmix_prpr: 'stck_prpr', bstp_nmix_oprc: 'stck_oprc', bstp_nmix_hgpr: 'stck_hgpr', bstp_nmix_lwpr: 'stck_lwpr' };
  const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [rename[header[i]!] ?? header[i]!, v])));

  it('has 92 rows, two of them sentinels (888888, 999999)', () => {
    expect(rows).toHaveLength(92);
    expect(rows.filter(isSentinelBarRow).map((r) => r['stck_cntg_hour'])).toEqual(['888888', '999999']);
  });

  it('the bar path drops them and maps the 90 real bars, oldest first', () => {
    const bars = mapMinuteBars(minuteRows(rows, 'test'), instrumentId('000000'), 'test');
    expect(bars).toHaveLength(90);
    expect(bars.every((b) => b.time !== '888888' && b.time !== '999999')).toBe(true);
    expect(bars[0]).toMatchObject({ date: '2024-01-26', time: '140800', close: 835.1, open: 835.07, volume: 3639 });
    expect(bars.at(-1)!.date).toBe('2024-01-29');
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.ts).toBeGreaterThan(bars[i - 1]!.ts);
  });

  it('recognises 666666 and date sentinels too', () => {
    expect(isSentinelBarRow({ stck_bsop_date: '20240126', stck_cntg_hour: '666666' })).toBe(true);
    expect(isSentinelBarRow({ stck_bsop_date: '99999999', stck_cntg_hour: '153000' })).toBe(true);
    expect(isSentinelBarRow({ stck_bsop_date: '20240126', stck_cntg_hour: '153000' })).toBe(false);
  });
});
