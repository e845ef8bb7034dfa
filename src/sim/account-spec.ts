/**
 * Accounts the twin serves. Each account is reached through one app key; the app key also decides the
 * environment ('real' 실전 or 'paper' 모의), so one twin port serves both (kis-protocol §1: on KIS the
 * host decides).
 */
import { createHash } from 'node:crypto';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';

/** KIS environment of an app key. */
export type SimEnv = 'real' | 'paper';

/** A holding the account starts the session with (bought on earlier days). */
export interface SimHoldingSpec {
  /** 6-character short code. */
  readonly code: string;
  /** Shares (whole, > 0). */
  readonly quantity: number;
  /** Average purchase price (won per share, may be fractional as KIS reports it). */
  readonly avgPrice: number;
}

/** One account of the twin, as configured. */
export interface SimAccountSpec {
  /** 36 characters (KIS app key length). */
  readonly appKey: string;
  /** 180 characters (KIS app secret length). */
  readonly appSecret: string;
  readonly env: SimEnv;
  /** 8-digit account number (CANO). */
  readonly cano: string;
  /** 2-digit product code (ACNT_PRDT_CD), '01' for a stock account. */
  readonly acntPrdtCd: string;
  /** HTS login id: the tr_key of the execution-notice stream (WebSocket side). */
  readonly htsId: string;
  /** Account holder's name for notices (default '홍길동'). */
  readonly holderName?: string;
  /** Cash deposit at the start of the session (won, whole, >= 0). */
  readonly cash: number;
  readonly holdings: readonly SimHoldingSpec[];
  /** REST requests per sliding second for this app key (default real 18, paper 1 — kis-protocol §4.1). */
  readonly rateLimitPerSecond?: number;
  /** Access-token lifetime in ms (default 24 h). */
  readonly tokenTtlMs?: number;
}

/** A validated account spec with every default filled in. */
export interface ResolvedAccount extends SimAccountSpec {
  readonly rateLimitPerSecond: number;
  readonly tokenTtlMs: number;
  readonly holderName: string;
  /** CANO + ACNT_PRDT_CD (10 characters): the key the engine files the account under. */
  readonly accountKey: string;
}

/** Access-token lifetime: 24 hours (kis-protocol §2.1). */
export const SIM_TOKEN_TTL_MS = 24 * 3600 * 1000;
/** Default REST budget per app key per second (kis-protocol §4.1, 2026-04-20 notice). */
export const SIM_DEFAULT_RATE_LIMIT: Readonly<Record<SimEnv, number>> = { real: 18, paper: 1 };

/** CANO + ACNT_PRDT_CD. */
export function accountKeyOf(cano: string, acntPrdtCd: string): string {
  return `${cano}${acntPrdtCd}`;
}

/**
 * Checks lengths and uniqueness and fills defaults. Throws `ConfigError` listing every problem
 * (app key not 36 characters, secret not 180, CANO not 8 digits, duplicate app keys or accounts,
 * negative or fractional cash, malformed holdings).
 */
export function resolveAccounts(specs: readonly SimAccountSpec[]): ResolvedAccount[] {
  const issues: ConfigIssue[] = [];
  const keys = new Set<string>();
  const accounts = new Set<string>();
  specs.forEach((s, i) => {
    const at = `accounts[${i}]`;
    if (s.appKey.length !== 36) issues.push({ path: `${at}.appKey`, message: `must be 36 characters, is ${s.appKey.length}` });
    if (s.appSecret.length !== 180) issues.push({ path: `${at}.appSecret`, message: `must be 180 characters, is ${s.appSecret.length}` });
    if (s.env !== 'real' && s.env !== 'paper') issues.push({ path: `${at}.env`, message: `must be 'real' or 'paper'` });
    if (!/^\d{8}$/.test(s.cano)) issues.push({ path: `${at}.cano`, message: 'must be 8 digits' });
    if (!/^\d{2}$/.test(s.acntPrdtCd)) issues.push({ path: `${at}.acntPrdtCd`, message: 'must be 2 digits' });
    if (!s.htsId) issues.push({ path: `${at}.htsId`, message: 'must not be empty' });
    if (!Number.isSafeInteger(s.cash) || s.cash < 0) issues.push({ path: `${at}.cash`, message: 'must be a whole number of won >= 0' });
    if (s.rateLimitPerSecond !== undefined && (!Number.isInteger(s.rateLimitPerSecond) || s.rateLimitPerSecond < 1)) {
      issues.push({ path: `${at}.rateLimitPerSecond`, message: 'must be an integer >= 1' });
    }
    if (s.tokenTtlMs !== undefined && (!Number.isSafeInteger(s.tokenTtlMs) || s.tokenTtlMs < 1)) issues.push({ path: `${at}.tokenTtlMs`, message: 'must be >= 1 ms' });
    s.holdings.forEach((h, j) => {
      if (!/^[0-9A-Z]{6}$/.test(h.code)) issues.push({ path: `${at}.holdings[${j}].code`, message: 'must be 6 alphanumeric characters' });
      if (!Number.isSafeInteger(h.quantity) || h.quantity <= 0) issues.push({ path: `${at}.holdings[${j}].quantity`, message: 'must be a whole number > 0' });
      if (!Number.isFinite(h.avgPrice) || h.avgPrice <= 0) issues.push({ path: `${at}.holdings[${j}].avgPrice`, message: 'must be > 0' });
    });
    if (keys.has(s.appKey)) issues.push({ path: `${at}.appKey`, message: 'duplicate app key' });
    keys.add(s.appKey);
    const k = accountKeyOf(s.cano, s.acntPrdtCd);
    if (accounts.has(k)) issues.push({ path: `${at}.cano`, message: 'duplicate account' });
    accounts.add(k);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return specs.map((s) => ({
    ...s,
    rateLimitPerSecond: s.rateLimitPerSecond ?? SIM_DEFAULT_RATE_LIMIT[s.env],
    tokenTtlMs: s.tokenTtlMs ?? SIM_TOKEN_TTL_MS,
    holderName: s.holderName ?? '홍길동',
    accountKey: accountKeyOf(s.cano, s.acntPrdtCd),
  }));
}

/** Options of {@link defaultSimAccount}. */
export interface DefaultSimAccountOptions {
  /** Environment (default 'real', i.e. the 18/s budget; 'paper' gets 1/s and different keys). */
  readonly env?: SimEnv;
  /** Distinguishes several generated accounts of one environment (default 0). */
  readonly index?: number;
  /** Starting cash in won (default 10,000,000). */
  readonly cash?: number;
  readonly holdings?: readonly SimHoldingSpec[];
  readonly rateLimitPerSecond?: number;
}

/**
 * A ready-made twin account with deterministic, clearly fake credentials of the right lengths — safe to
 * print for a user (`SIMFAKE-REAL-APPKEY-…`, CANO `50000001` real / `60000001` paper, HTS id
 * `simreal1` / `simpaper1`). The same options always give the same values.
 */
export function defaultSimAccount(opts: DefaultSimAccountOptions = {}): SimAccountSpec {
  const env = opts.env ?? 'real';
  const index = opts.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index > 9_999_998) throw new RangeError(`index must be 0..9999998, was ${index}`);
  const tag = env === 'real' ? 'REAL' : 'PAPER';
  const n = String(index + 1);
  const appKey = `SIMFAKE-${tag}-APPKEY-`.padEnd(36 - n.length, '0') + n;
  let filler = '';
  for (let i = 0; filler.length < 180; i++) filler += createHash('sha256').update(`hantu-sim:${env}:${index}:${i}`).digest('base64url');
  const prefix = `SIMFAKE-${tag}-APPSECRET-${n}-`;
  const appSecret = (prefix + filler).slice(0, 180);
  return {
    appKey,
    appSecret,
    env,
    cano: (env === 'real' ? '5' : '6') + n.padStart(7, '0'),
    acntPrdtCd: '01',
    htsId: `sim${env}${n}`,
    holderName: '홍길동',
    cash: opts.cash ?? 10_000_000,
    holdings: opts.holdings ?? [],
    ...(opts.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: opts.rateLimitPerSecond } : {}),
  };
}
