/**
 * Helpers shared by the replay tests (not used by production code): where the reference data and the
 * shipped data live, and the session instants the tests replay with.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kstInstant, type KstDate } from '../../core/kst.ts';
import type { SessionInstants } from './intraday.ts';

/** The project's read-only reference data (`../shared/data` next to the repository), or `HANTU_SHARED_DATA`. */
export const SHARED_DATA = process.env['HANTU_SHARED_DATA'] ?? fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
/** True when the reference data is present (tests on it are skipped otherwise). */
export const HAS_SHARED = existsSync(`${SHARED_DATA}/daily/marcap`);
export const MARCAP_2024 = `${SHARED_DATA}/daily/marcap/marcap-2024-0102_0213.csv.gz`;
export const MARCAP_2026 = `${SHARED_DATA}/daily/marcap/marcap-2026-0102_0220.converted.csv.gz`;
export const RLTRADER_DIR = `${SHARED_DATA}/daily/rltrader`;

/** The shipped compact files. */
export const SHIPPED_2024 = fileURLToPath(new URL('../../../data/daily/krx-2024-0102_0213.csv', import.meta.url));
export const SHIPPED_2026 = fileURLToPath(new URL('../../../data/daily/krx-2026-0102_0220.csv', import.meta.url));

/**
 * Regular KRX session instants of a date for the tests: 09:00 open, 15:20 closing auction, 15:30 close;
 * the first session of a year opens at 10:00 (2024-01-02, 2026-01-02). Tests only: the real calendar
 * lives in `model/calendar.ts`.
 */
export function testSession(date: KstDate): SessionInstants {
  const late = date === '2024-01-02' || date === '2026-01-02';
  return { open: kstInstant(date, late ? '10:00' : '09:00'), closingAuctionStart: kstInstant(date, '15:20'), close: kstInstant(date, '15:30') };
}
