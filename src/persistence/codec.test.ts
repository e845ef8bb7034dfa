import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInt8, parseTimestamptz, tsParam } from './codec.ts';
import { mapDriverError, PersistenceError } from './errors.ts';

/** Formats an instant the way PostgreSQL prints a timestamptz at a given UTC offset (DateStyle ISO). */
function pgText(ms: number, offsetMinutes: number, micros = 0): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const frac = (ms % 1000 + 1000) % 1000 * 1000 + micros;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const off = `${sign}${pad(Math.floor(abs / 60))}${abs % 60 === 0 ? '' : `:${pad(abs % 60)}`}`;
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`}${off}`
  );
}

describe('parseTimestamptz', () => {
  it('reads PostgreSQL ISO output at any offset', () => {
    expect(parseTimestamptz('2026-01-05 00:30:00+00')).toBe(Date.UTC(2026, 0, 5, 0, 30));
    expect(parseTimestamptz('2026-01-05 09:30:00.123+09')).toBe(Date.UTC(2026, 0, 5, 0, 30, 0, 123));
    expect(parseTimestamptz('2026-01-04 19:00:00-05:30')).toBe(Date.UTC(2026, 0, 5, 0, 30));
    expect(parseTimestamptz('1969-12-31 23:59:59.999999+00')).toBe(-1); // truncated toward the past
    expect(parseTimestamptz('0099-03-01 00:00:00+00')).toBe(new Date('0099-03-01T00:00:00Z').getTime()); // no 19xx for 2-digit years
  });

  it('round-trips every instant through every offset (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }), fc.integer({ min: -15 * 60, max: 15 * 60 }), fc.integer({ min: 0, max: 999 }), (ms, off, us) => {
        expect(parseTimestamptz(pgText(ms, off, us))).toBe(ms);
      }),
    );
  });

  it('refuses infinity, BC dates and garbage', () => {
    for (const s of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', 'yesterday', '']) {
      expect(() => parseTimestamptz(s)).toThrow(PersistenceError);
    }
  });
});

describe('tsParam', () => {
  it('writes ISO UTC text and refuses what the engines cannot hold', () => {
    expect(tsParam(Date.UTC(2026, 0, 5, 0, 30, 0, 7))).toBe('2026-01-05T00:30:00.007Z');
    expect(() => tsParam(1.5)).toThrow(PersistenceError);
    expect(() => tsParam(Number.MAX_SAFE_INTEGER)).toThrow(PersistenceError);
  });
});

describe('parseInt8', () => {
  it('returns exact safe integers and refuses the rest', () => {
    expect(parseInt8('2147483648')).toBe(2 ** 31);
    expect(parseInt8('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInt8('-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
    for (const s of ['9007199254740992', '9007199254740993', '-9007199254740992', '9223372036854775807']) {
      expect(() => parseInt8(s)).toThrow(expect.objectContaining({ code: 'DB_VALUE' }));
    }
  });
});

describe('mapDriverError', () => {
  const sqlError = (code: string): Error => Object.assign(new Error(`sql ${code}`), { code });
  it('maps SQLSTATE classes and socket errors to codes and dispositions', () => {
    const cases: [unknown, string, string][] = [
      [sqlError('23505'), 'DB_CONSTRAINT', 'fatal'],
      [sqlError('23001'), 'DB_CONSTRAINT', 'fatal'],
      [sqlError('40001'), 'DB_CONFLICT', 'retryable'],
      [sqlError('40P01'), 'DB_CONFLICT', 'retryable'],
      [sqlError('08006'), 'DB_UNAVAILABLE', 'retryable'],
      [sqlError('57P01'), 'DB_UNAVAILABLE', 'retryable'],
      [sqlError('53300'), 'DB_UNAVAILABLE', 'retryable'],
      [sqlError('42601'), 'DB_QUERY', 'fatal'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'DB_UNAVAILABLE', 'retryable'],
      [new Error('Connection terminated unexpectedly'), 'DB_UNAVAILABLE', 'retryable'],
      [new Error('something else'), 'DB_QUERY', 'fatal'],
    ];
    for (const [err, code, disposition] of cases) {
      expect(mapDriverError(err, 'query'), String(err)).toMatchObject({ code, disposition });
    }
    const own = new PersistenceError('DB_VALUE', 'x');
    expect(mapDriverError(own, 'query')).toBe(own);
  });
});
