import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { defaultSimAccount, resolveAccounts } from './account-spec.ts';

describe('defaultSimAccount', () => {
  it('has KIS lengths, clearly fake values, and is deterministic', () => {
    const a = defaultSimAccount();
    expect(a.appKey).toHaveLength(36);
    expect(a.appSecret).toHaveLength(180);
    expect(a.appKey.startsWith('SIMFAKE-REAL-APPKEY-')).toBe(true);
    expect(a.appSecret.startsWith('SIMFAKE-REAL-APPSECRET-')).toBe(true);
    expect([a.env, a.cano, a.acntPrdtCd, a.htsId, a.cash]).toEqual(['real', '50000001', '01', 'simreal1', 10_000_000]);
    expect(defaultSimAccount()).toEqual(a);
    const p = defaultSimAccount({ env: 'paper', index: 2 });
    expect([p.appKey.length, p.appSecret.length, p.cano, p.htsId]).toEqual([36, 180, '60000003', 'simpaper3']);
    expect(p.appKey).not.toBe(a.appKey);
    expect(p.appSecret).not.toBe(defaultSimAccount({ env: 'paper', index: 1 }).appSecret);
  });

  it('resolves defaults: 18/s real, 1/s paper, 24 h tokens', () => {
    const [r, p] = resolveAccounts([defaultSimAccount(), defaultSimAccount({ env: 'paper' })]);
    expect([r?.rateLimitPerSecond, p?.rateLimitPerSecond, r?.tokenTtlMs, r?.accountKey]).toEqual([18, 1, 86_400_000, '5000000101']);
  });

  it('lists every invalid field', () => {
    const a = defaultSimAccount();
    try {
      resolveAccounts([{ ...a, appKey: 'short', appSecret: 'x', cano: '123', cash: -1 }, a, a]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['accounts[0].appKey', 'accounts[0].appSecret', 'accounts[0].cano', 'accounts[0].cash', 'accounts[2].appKey', 'accounts[2].cano']));
    }
  });
});
