/**
 * Credentials of the twin: access tokens (POST /oauth2/tokenP), approval keys for the WebSocket side
 * (POST /oauth2/Approval) and token revocation (POST /oauth2/revokeP), by the KIS rules of
 * kis-protocol §2.1–§2.3:
 * - a token lives `tokenTtlMs` (24 h);
 * - asking again within 6 h of the current token's issue returns the SAME token (and expiry);
 * - a second issue within 60 s of the previous one is refused (HTTP 403 EGW00133);
 * - older tokens stay valid until their own expiry unless revoked.
 * Tokens and approval keys are deterministic (hash of app key, instant and a counter), never secret.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { kstParts } from '../core/kst.ts';
import type { ResolvedAccount, SimEnv } from './account-spec.ts';
import type { SimCodeKey } from './kis-codes.ts';

/** Re-issue window that returns the same token (ms). */
export const SAME_TOKEN_WINDOW_MS = 6 * 3600 * 1000;
/** Minimum spacing between two token issues of one app key (ms). */
export const TOKEN_ISSUE_SPACING_MS = 60 * 1000;
/** Approval-key lifetime (ms). */
export const APPROVAL_TTL_MS = 24 * 3600 * 1000;

/** An issued access token. Instants in epoch ms. */
export interface SimToken {
  readonly token: string;
  readonly appKey: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  revoked: boolean;
}

/** What the WebSocket side needs to know about an approval key. */
export interface SimApproval {
  readonly approvalKey: string;
  readonly appKey: string;
  readonly env: SimEnv;
  readonly accountKey: string;
  readonly cano: string;
  readonly acntPrdtCd: string;
  readonly htsId: string;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Outcome of a credential check or issue: the value, or the code of the refusal. */
export type SimAuthResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: SimCodeKey };

/** `YYYY-MM-DD HH:MM:SS` in KST (access_token_token_expired). */
export function kstDateTime(ms: number): string {
  const p = kstParts(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.date} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Token store and approval keys of the twin. */
export class SimAuth {
  private readonly byAppKey = new Map<string, ResolvedAccount>();
  private readonly tokens = new Map<string, SimToken>();
  private readonly current = new Map<string, SimToken>();
  private readonly lastIssue = new Map<string, number>();
  private readonly approvals = new Map<string, SimApproval>();
  private counter = 0;

  constructor(
    accounts: readonly ResolvedAccount[],
    private readonly clock: Clock,
  ) {
    for (const a of accounts) this.byAppKey.set(a.appKey, a);
  }

  /** The account an app key belongs to. */
  accountByAppKey(appKey: string): ResolvedAccount | undefined {
    return this.byAppKey.get(appKey);
  }

  /** Checks an app key / secret pair (EGW00102 / EGW00103 / EGW00105 codes for the REST gateway). */
  checkAppCredentials(appKey: string | undefined, appSecret: string | undefined): SimAuthResult<ResolvedAccount> {
    if (!appKey) return { ok: false, code: 'APPKEY_REQUIRED' };
    const acct = this.byAppKey.get(appKey);
    if (!acct) return { ok: false, code: 'APPKEY_INVALID' };
    if (appSecret !== acct.appSecret) return { ok: false, code: 'APPSECRET_INVALID' };
    return { ok: true, value: acct };
  }

  /**
   * POST /oauth2/tokenP. Returns the token record to answer with (same one within 6 h), or the refusal:
   * TOKEN_BAD_GRANT, TOKEN_BAD_APPKEY, TOKEN_BAD_APPSECRET, TOKEN_TOO_OFTEN.
   */
  issueToken(grantType: unknown, appKey: unknown, appSecret: unknown): SimAuthResult<SimToken> {
    if (grantType !== 'client_credentials') return { ok: false, code: 'TOKEN_BAD_GRANT' };
    const acct = typeof appKey === 'string' ? this.byAppKey.get(appKey) : undefined;
    if (!acct) return { ok: false, code: 'TOKEN_BAD_APPKEY' };
    if (appSecret !== acct.appSecret) return { ok: false, code: 'TOKEN_BAD_APPSECRET' };
    const now = this.clock.now();
    const last = this.lastIssue.get(acct.appKey);
    if (last !== undefined && now - last < TOKEN_ISSUE_SPACING_MS) return { ok: false, code: 'TOKEN_TOO_OFTEN' };
    this.lastIssue.set(acct.appKey, now);
    const cur = this.current.get(acct.appKey);
    if (cur && !cur.revoked && now - cur.issuedAt < SAME_TOKEN_WINDOW_MS && now < cur.expiresAt) return { ok: true, value: cur };
    const t = this.mint(acct, now);
    this.tokens.set(t.token, t);
    this.current.set(acct.appKey, t);
    return { ok: true, value: t };
  }

  private mint(acct: ResolvedAccount, now: number): SimToken {
    const n = this.counter++;
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + acct.tokenTtlMs) / 1000);
    const jti = createHash('sha256').update(`${acct.appKey}:${now}:${n}`).digest('base64url').slice(0, 40);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS512' }));
    const payload = b64url(JSON.stringify({ sub: 'token', aud: acct.accountKey, iss: 'hantu-sim', exp, iat, jti }));
    const sig = createHash('sha512').update(`${header}.${payload}`).digest('base64url');
    return { token: `${header}.${payload}.${sig}`, appKey: acct.appKey, issuedAt: now, expiresAt: now + acct.tokenTtlMs, revoked: false };
  }

  /** Checks a bearer token for an app key at the clock's now: TOKEN_INVALID (unknown, revoked, other key) or TOKEN_EXPIRED. */
  checkToken(appKey: string, token: string): SimAuthResult<SimToken> {
    const t = this.tokens.get(token);
    if (!t || t.revoked || t.appKey !== appKey) return { ok: false, code: 'TOKEN_INVALID' };
    if (this.clock.now() >= t.expiresAt) return { ok: false, code: 'TOKEN_EXPIRED' };
    return { ok: true, value: t };
  }

  /** POST /oauth2/revokeP: revokes `token` of the app key (REVOKE_BAD_TOKEN when unknown). */
  revokeToken(appKey: unknown, appSecret: unknown, token: unknown): SimAuthResult<SimToken> {
    const acct = typeof appKey === 'string' ? this.byAppKey.get(appKey) : undefined;
    if (!acct) return { ok: false, code: 'TOKEN_BAD_APPKEY' };
    if (appSecret !== acct.appSecret) return { ok: false, code: 'TOKEN_BAD_APPSECRET' };
    const t = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!t || t.appKey !== acct.appKey || t.revoked) return { ok: false, code: 'REVOKE_BAD_TOKEN' };
    t.revoked = true;
    if (this.current.get(acct.appKey) === t) this.current.delete(acct.appKey);
    return { ok: true, value: t };
  }

  /** POST /oauth2/Approval (body field `secretkey` = the app secret): a new 36-character approval key. */
  issueApproval(grantType: unknown, appKey: unknown, secretKey: unknown): SimAuthResult<SimApproval> {
    if (grantType !== 'client_credentials') return { ok: false, code: 'TOKEN_BAD_GRANT' };
    const acct = typeof appKey === 'string' ? this.byAppKey.get(appKey) : undefined;
    if (!acct) return { ok: false, code: 'TOKEN_BAD_APPKEY' };
    if (secretKey !== acct.appSecret) return { ok: false, code: 'TOKEN_BAD_APPSECRET' };
    const now = this.clock.now();
    const h = createHash('sha256').update(`approval:${acct.appKey}:${now}:${this.counter++}`).digest('hex');
    const approvalKey = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    const a: SimApproval = {
      approvalKey, appKey: acct.appKey, env: acct.env, accountKey: acct.accountKey, cano: acct.cano, acntPrdtCd: acct.acntPrdtCd,
      htsId: acct.htsId, issuedAt: now, expiresAt: now + APPROVAL_TTL_MS,
    };
    this.approvals.set(approvalKey, a);
    return { ok: true, value: a };
  }

  /**
   * The approval key's record, for the WebSocket side to authenticate a session; undefined when unknown
   * or expired at the clock's now (KIS checks the key only at connect/subscribe time).
   */
  lookupApproval(approvalKey: string): SimApproval | undefined {
    const a = this.approvals.get(approvalKey);
    if (!a || this.clock.now() >= a.expiresAt) return undefined;
    return a;
  }
}
