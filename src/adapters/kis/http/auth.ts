import type { UnixMillis } from '../../../core/brand.ts';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import { KisError } from '../common/errors.ts';
import { Secret, type KisCredentials } from '../common/credentials.ts';
import { parseTokenExpiry, TokenFileStore, type AccessToken } from '../common/token-store.ts';
import { KIS_PATHS } from '../common/urls.ts';
import { errorOf, interpret, validate } from './envelope.ts';
import type { TokenBucketLimiter } from './rate-limiter.ts';
import { ApprovalResponse, HashkeyResponse, TokenResponse } from './schemas.ts';
import type { CallContext, HttpSender } from './sender.ts';

/** Process-wide single flight per token file: concurrent callers, even of different clients, share one issue. */
const inflightIssues = new Map<string, Promise<AccessToken>>();

export interface KisAuthDeps {
  readonly sender: HttpSender;
  readonly limiter: TokenBucketLimiter;
  readonly credentials: KisCredentials;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly refreshMarginMs: number;
  readonly throttleWaitMs: number;
}

/**
 * Access-token lifecycle, approval key and hashkey (kis-protocol.md §2.1–§2.4).
 *
 * - The token is persisted (`TokenFileStore`, mode 0600) and reused while valid, across restarts and
 *   across clients, because each issue on a real account notifies the owner and issues are limited to
 *   one a minute.
 * - Validity comes from `access_token_token_expired` (absolute KST). From `refreshMarginMs` before
 *   that instant we try to re-issue; if the re-issue fails while the old token is still valid, we keep
 *   using the old one. KIS returns the SAME token when re-issued within 6 h; a re-issue that does not
 *   extend the expiry is remembered so we do not re-issue on every call.
 * - Single flight: concurrent callers share one issue (process-wide, keyed by the token file).
 * - Before issuing, the file is read again: another process may have issued already.
 * - EGW00133 (HTTP 403, `error_code`): wait `throttleWaitMs` (one minute) on the injected clock, then
 *   retry once.
 */
export class KisAuth {
  private readonly store: TokenFileStore;
  private current: AccessToken | undefined;
  private loading: Promise<void> | undefined;
  /** A token the gateway refused (EGW00123/121/122): never adopted again from the file. */
  private rejected: Secret | undefined;
  /** Expiry for which a re-issue did not extend validity (6-hour same-token rule). */
  private noExtensionFor: number | undefined;
  private nextRefreshAttemptAt = 0;

  constructor(private readonly d: KisAuthDeps) {
    this.store = new TokenFileStore(d.dataDir, d.credentials.appKeyFingerprint);
  }

  /** Path of the token file. */
  get tokenFilePath(): string {
    return this.store.path;
  }

  /**
   * A valid access token, issuing one if needed.
   * @throws KisError KIS_TOKEN_RATE_LIMITED (retryable), KIS_AUTH_INVALID (fatal), KIS_TIMEOUT /
   *   KIS_TRANSPORT / KIS_HTTP (retryable), KIS_PAYLOAD_INVALID (fatal)
   */
  async getToken(): Promise<Secret> {
    this.loading ??= this.loadFile().then((t) => {
      if (t && !this.current) this.current = t;
    });
    await this.loading;
    const now = this.d.clock.now();
    const cur = this.current;
    if (cur && now < cur.expiresAt - this.d.refreshMarginMs) return cur.token;
    if (cur && now < cur.expiresAt) {
      if (cur.expiresAt === this.noExtensionFor || now < this.nextRefreshAttemptAt) return cur.token;
      try {
        return (await this.issueShared(false)).token;
      } catch (err) {
        this.nextRefreshAttemptAt = now + this.d.throttleWaitMs;
        this.d.logger.warn(
          { appKeyFingerprint: this.d.credentials.appKeyFingerprint, code: (err as KisError).code, expiresAt: new Date(cur.expiresAt).toISOString() },
          'kis token refresh failed; the current token is still valid and stays in use',
        );
        return cur.token;
      }
    }
    return (await this.issueShared(true)).token;
  }

  /**
   * Called when the gateway refused `failed` (EGW00123 expired, EGW00121/00122 invalid): the next
   * `getToken` issues a new token unless another caller already replaced it.
   */
  invalidate(failed: Secret): void {
    this.rejected = failed;
    if (this.current?.token.equals(failed)) this.current = undefined;
  }

  /**
   * POST /oauth2/Approval → WebSocket approval key (§2.3; body field `secretkey` = the app secret).
   * @returns the key as a `Secret`
   */
  async issueApprovalKey(): Promise<Secret> {
    const ctx: CallContext = { kind: 'query', endpoint: 'approval' };
    const body = await this.postOauth(
      KIS_PATHS.approval,
      { 'content-type': 'application/json; utf-8' },
      { grant_type: 'client_credentials', appkey: this.d.credentials.appKey.reveal(), secretkey: this.d.credentials.appSecret.reveal() },
      ctx,
    );
    const parsed = validate(ApprovalResponse, body, ctx);
    this.d.logger.info({ appKeyFingerprint: this.d.credentials.appKeyFingerprint }, 'kis approval key issued');
    return new Secret(parsed.approval_key);
  }

  /**
   * POST /uapi/hashkey (§2.4, optional): the `HASH` of the exact JSON body about to be sent.
   * `kind` is the kind of the call the hash is for (errors carry it).
   */
  async hashkey(jsonBody: string, kind: 'query' | 'command'): Promise<string> {
    const ctx: CallContext = { kind, endpoint: 'hashkey' };
    const body = await this.postOauthRaw(
      KIS_PATHS.hashkey,
      {
        'content-type': 'application/json; charset=utf-8',
        appkey: this.d.credentials.appKey.reveal(),
        appsecret: this.d.credentials.appSecret.reveal(),
      },
      jsonBody,
      ctx,
    );
    return validate(HashkeyResponse, body, ctx).hash;
  }

  private async loadFile(): Promise<AccessToken | undefined> {
    const t = await this.store.load((reason) => this.d.logger.warn({ appKeyFingerprint: this.d.credentials.appKeyFingerprint }, `kis ${reason}; ignoring it`));
    if (!t || t.baseUrl !== this.d.baseUrl) return undefined;
    if (this.rejected?.equals(t.token)) return undefined;
    if (this.d.clock.now() >= t.expiresAt) return undefined;
    return t;
  }

  private issueShared(waitOnThrottle: boolean): Promise<AccessToken> {
    const key = this.store.path;
    let p = inflightIssues.get(key);
    if (!p) {
      p = this.issueOnce(waitOnThrottle).finally(() => inflightIssues.delete(key));
      inflightIssues.set(key, p);
    }
    return p.then((t) => {
      const prev = this.current;
      if (prev && t.expiresAt <= prev.expiresAt && !prev.token.equals(this.rejected)) this.noExtensionFor = t.expiresAt;
      this.current = t;
      return t;
    });
  }

  private async issueOnce(waitOnThrottle: boolean): Promise<AccessToken> {
    // Another process (or client) may have issued meanwhile: adopt a fresher token from the file.
    const fromFile = await this.loadFile();
    const now = this.d.clock.now();
    if (fromFile && now < fromFile.expiresAt - this.d.refreshMarginMs && (!this.current || fromFile.expiresAt > this.current.expiresAt)) {
      return fromFile;
    }
    let t: AccessToken;
    try {
      t = await this.postTokenP();
    } catch (err) {
      if (!(err instanceof KisError) || err.code !== 'KIS_TOKEN_RATE_LIMITED' || !waitOnThrottle) throw err;
      this.d.logger.warn(
        { appKeyFingerprint: this.d.credentials.appKeyFingerprint, waitMs: this.d.throttleWaitMs, msgCd: err.msgCd },
        'kis token issue throttled (one a minute); waiting, then retrying once',
      );
      await this.d.clock.sleep(this.d.throttleWaitMs);
      t = await this.postTokenP();
    }
    try {
      await this.store.save(t);
    } catch (err) {
      this.d.logger.error(
        { appKeyFingerprint: this.d.credentials.appKeyFingerprint, errno: (err as NodeJS.ErrnoException).code },
        'kis token could not be persisted; it stays in memory only',
      );
    }
    return t;
  }

  private async postTokenP(): Promise<AccessToken> {
    const ctx: CallContext = { kind: 'query', endpoint: 'tokenP' };
    const body = await this.postOauth(
      KIS_PATHS.tokenP,
      { 'content-type': 'application/json' },
      { grant_type: 'client_credentials', appkey: this.d.credentials.appKey.reveal(), appsecret: this.d.credentials.appSecret.reveal() },
      ctx,
    );
    const parsed = validate(TokenResponse, body, ctx);
    let expiresAt: UnixMillis;
    try {
      expiresAt = parseTokenExpiry(parsed.access_token_token_expired);
    } catch {
      throw new KisError({
        code: 'KIS_PAYLOAD_INVALID',
        disposition: 'fatal',
        kind: 'query',
        endpoint: 'tokenP',
        detail: 'unexpected payload: access_token_token_expired is not a valid KST time',
      });
    }
    const issuedAt = this.d.clock.now();
    this.d.logger.info(
      { appKeyFingerprint: this.d.credentials.appKeyFingerprint, expiresAt: new Date(expiresAt).toISOString() },
      'kis access token issued',
    );
    return { token: new Secret(parsed.access_token), expiresAt, issuedAt, baseUrl: this.d.baseUrl };
  }

  private postOauth(path: string, headers: Record<string, string>, body: Record<string, string>, ctx: CallContext): Promise<Record<string, unknown>> {
    return this.postOauthRaw(path, headers, JSON.stringify(body), ctx);
  }

  private async postOauthRaw(path: string, headers: Record<string, string>, body: string, ctx: CallContext): Promise<Record<string, unknown>> {
    await this.d.limiter.acquire();
    this.d.logger.debug({ endpoint: ctx.endpoint }, 'kis request');
    const res = await this.d.sender.send({ method: 'POST', path, headers, body }, ctx);
    const i = interpret(res, 'oauth');
    this.d.logger.debug(
      { endpoint: ctx.endpoint, status: res.status, msgCd: i.ok ? undefined : i.type === 'envelope' ? i.msgCd : undefined },
      'kis response',
    );
    if (!i.ok) throw errorOf(i, res.status, ctx);
    return i.body;
  }
}
