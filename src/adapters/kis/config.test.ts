import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { resolveKisConfig } from './config.ts';
import { KisCredentials, loadKisFromEnv, Secret } from './common/credentials.ts';

const KEY = 'PSabcdefghijklmnopqrstuvwxyz01234567';
const SECRET = 'S3cr3t-value-that-must-never-be-printed-0123456789';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveKisConfig', () => {
  it('applies the defaults per env (kis-protocol §1, §4.1)', () => {
    const paper = resolveKisConfig({})!;
    expect(paper.env).toBe('paper');
    expect(paper.baseUrl).toBe('https://openapivts.koreainvestment.com:29443');
    expect(paper.wsUrl).toBe('ws://ops.koreainvestment.com:31000');
    expect(paper.rateLimit.perSecond).toBe(1);
    expect(paper.timeouts).toEqual({ connectMs: 5_000, readMs: 5_000 });
    expect(paper.circuitBreaker).toEqual({ windowSize: 10, failureThreshold: 0.5, openMs: 30_000, halfOpenTrials: 5 });
    expect(paper.token.refreshMarginMs).toBe(3_600_000);
    const real = resolveKisConfig({ env: 'real' })!;
    expect(real.baseUrl).toBe('https://openapi.koreainvestment.com:9443');
    expect(real.wsUrl).toBe('ws://ops.koreainvestment.com:21000');
    expect(real.rateLimit.perSecond).toBe(18);
    const sim = resolveKisConfig({ env: 'sim', baseUrl: 'http://127.0.0.1:1234', wsUrl: 'ws://127.0.0.1:1235' })!;
    expect(sim.rateLimit.perSecond).toBe(18);
    expect(Object.isFrozen(sim.rateLimit)).toBe(true);
  });

  it('lets URLs and limits be overridden', () => {
    const c = resolveKisConfig({ env: 'real', baseUrl: 'http://127.0.0.1:9/', rateLimit: { perSecond: 5 } })!;
    expect(c.baseUrl).toBe('http://127.0.0.1:9');
    expect(c.rateLimit.perSecond).toBe(5);
  });

  it('sim has no default URL: both are required', () => {
    const e = configError(() => resolveKisConfig({ env: 'sim' }));
    expect(e.issues.map((i) => i.path)).toEqual(['baseUrl', 'wsUrl']);
  });

  it('lists EVERY wrong key with its path, unknown keys included', () => {
    const e = configError(() =>
      resolveKisConfig({
        env: 'prod',
        baseUrl: 'ftp://x',
        rateLimit: { perSecond: -1, burst: 0, extra: 1 },
        timeouts: { connectMs: 'x' },
        circuitBreaker: { failureThreshold: 1.5 },
        bogus: true,
      }),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(
      ['baseUrl', 'bogus', 'circuitBreaker.failureThreshold', 'env', 'rateLimit.burst', 'rateLimit.extra', 'rateLimit.perSecond', 'timeouts.connectMs'].sort(),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.disposition).toBe('fatal');
  });
});

describe('loadKisFromEnv', () => {
  const base = { KIS_APP_KEY: KEY, KIS_APP_SECRET: SECRET, KIS_ACCOUNT: '12345678-01' };

  it('reads credentials and splits KIS_ACCOUNT into CANO + ACNT_PRDT_CD', () => {
    const { credentials, config } = loadKisFromEnv({ env: { ...base, KIS_HTS_ID: 'myhts', KIS_ENV: 'real' } });
    expect(credentials.account).toEqual({ cano: '12345678', productCode: '01' });
    expect(credentials.htsId).toBe('myhts');
    expect(credentials.appKey.reveal()).toBe(KEY);
    expect(config.env).toBe('real');
  });

  it('accepts KIS_CANO + KIS_ACNT_PRDT_CD', () => {
    const { credentials } = loadKisFromEnv({ env: { KIS_APP_KEY: KEY, KIS_APP_SECRET: SECRET, KIS_CANO: '87654321', KIS_ACNT_PRDT_CD: '22' } });
    expect(credentials.account).toEqual({ cano: '87654321', productCode: '22' });
  });

  it('reads a .env file with util.parseEnv, the environment wins, process.env untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kis-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, `KIS_APP_KEY=${KEY}\nKIS_APP_SECRET="${SECRET}"\nKIS_ACCOUNT=11112222-01\nKIS_ENV=real\nKIS_BASE_URL=http://127.0.0.1:1\n`);
    const before = { ...process.env };
    const { credentials, config } = loadKisFromEnv({ env: { KIS_ACCOUNT: '33334444-01' }, envFile: file });
    expect(credentials.appSecret.reveal()).toBe(SECRET);
    expect(credentials.account.cano).toBe('33334444');
    expect(config.baseUrl).toBe('http://127.0.0.1:1');
    expect(process.env).toEqual(before);
    expect(process.env['KIS_APP_KEY']).toBeUndefined();
  });

  it('reports every problem of credentials and config at once, by variable name, without values', () => {
    const e = configError(() =>
      loadKisFromEnv({
        env: { KIS_APP_SECRET: `has space ${SECRET}`, KIS_ACCOUNT: '1234-01', KIS_CANO: '123', KIS_ENV: 'prod', KIS_BASE_URL: 'nope' },
        config: { maxPages: 0, nope: 1 },
      }),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(
      ['KIS_ACCOUNT', 'KIS_ACNT_PRDT_CD', 'KIS_APP_KEY', 'KIS_APP_SECRET', 'KIS_BASE_URL (baseUrl)', 'KIS_CANO', 'KIS_ENV (env)', 'maxPages', 'nope'].sort(),
    );
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain('1234-01');
    expect(JSON.stringify(e.context)).not.toContain(SECRET);
  });

  it('a missing .env file is an issue, not silence', () => {
    const e = configError(() => loadKisFromEnv({ env: base, envFile: '/nonexistent/.env' }));
    expect(e.issues[0]!.path).toContain('envFile');
  });

  it('disagreeing account forms are an error', () => {
    const e = configError(() => loadKisFromEnv({ env: { ...base, KIS_CANO: '99999999', KIS_ACNT_PRDT_CD: '01' } }));
    expect(e.issues.map((i) => i.path)).toEqual(['KIS_ACCOUNT']);
  });
});

describe('secret redaction', () => {
  it('Secret and KisCredentials never print the secret', () => {
    const s = new Secret(SECRET);
    expect(String(s)).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect(s)).toBe('[redacted]');
    expect(`${s}`).not.toContain(SECRET);
    const c = new KisCredentials({ appKey: KEY, appSecret: SECRET, account: { cano: '12345678', productCode: '01' } });
    for (const text of [JSON.stringify(c), String(c), inspect(c), inspect({ nested: { c } }, { depth: 5 })]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('12345678');
    }
    expect(JSON.stringify(c)).toContain('1234****-01');
    expect(c.appKeyFingerprint).toMatch(/^[0-9a-f]{12}$/);
  });
});
