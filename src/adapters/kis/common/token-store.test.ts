import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unixMillis } from '../../../core/brand.ts';
import { kstInstant } from '../../../core/kst.ts';
import { Secret } from './credentials.ts';
import { parseTokenExpiry, TokenFileStore } from './token-store.ts';

describe('parseTokenExpiry', () => {
  it('reads access_token_token_expired as KST (Appendix A.1: "2023-12-22 08:16:59")', () => {
    expect(parseTokenExpiry('2023-12-22 08:16:59')).toBe(Date.UTC(2023, 11, 21, 23, 16, 59));
    expect(parseTokenExpiry('2023-12-22 08:16:59')).toBe(kstInstant('2023-12-22', '08:16:59'));
  });
  it('rejects malformed values', () => {
    expect(() => parseTokenExpiry('2023-12-22T08:16:59')).toThrow(RangeError);
    expect(() => parseTokenExpiry('')).toThrow(RangeError);
  });
});

describe('TokenFileStore', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'kis-token-'));
  const tok = { token: new Secret('tok-abc'), expiresAt: unixMillis(2_000_000), issuedAt: unixMillis(1_000_000), baseUrl: 'http://127.0.0.1:1' };

  it('names the file by the app-key fingerprint and writes it with mode 0600, atomically', async () => {
    const d = join(dir(), 'nested');
    const s = new TokenFileStore(d, 'abcdef012345');
    expect(s.path).toBe(join(d, 'kis-token-abcdef012345.json'));
    await s.save(tok);
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(readdirSync(d)).toEqual(['kis-token-abcdef012345.json']); // no temp file left behind
    const back = await s.load();
    expect(back?.token.reveal()).toBe('tok-abc');
    expect(back).toMatchObject({ expiresAt: 2_000_000, issuedAt: 1_000_000, baseUrl: 'http://127.0.0.1:1' });
    await s.save({ ...tok, token: new Secret('tok-def') });
    expect((await s.load())?.token.reveal()).toBe('tok-def');
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
  });

  it('reads a missing, corrupt or foreign file as "no token"', async () => {
    const d = dir();
    const s = new TokenFileStore(d, 'abcdef012345');
    expect(await s.load()).toBeUndefined();
    writeFileSync(s.path, '{not json');
    const problems: string[] = [];
    expect(await s.load((p) => problems.push(p))).toBeUndefined();
    writeFileSync(s.path, JSON.stringify({ version: 1, appKeyFingerprint: 'other', accessToken: 'x', baseUrl: '', expiresAt: 1, issuedAt: 1 }));
    expect(await s.load((p) => problems.push(p))).toBeUndefined();
    expect(problems).toHaveLength(2);
    await s.remove();
    await s.remove();
  });
});
