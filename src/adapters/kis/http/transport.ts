import { BrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import type { z } from 'zod';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { KisConfig } from '../config.ts';
import type { KisCredentials, Secret } from '../common/credentials.ts';
import { bareOutcome, KisError, type CallKind } from '../common/errors.ts';
import { trIdFor, type TrOperation } from '../common/tr-ids.ts';
import { KIS_PATHS, type KisPathKey } from '../common/urls.ts';
import type { KisAuth } from './auth.ts';
import { createBreaker } from './breaker.ts';
import { errorOf, interpret, validate, type Interpreted } from './envelope.ts';
import type { TokenBucketLimiter } from './rate-limiter.ts';
import type { CallContext, HttpSender, RawResponse } from './sender.ts';

/** One TR call. Field names and values are KIS's (UPPER-CASE keys, string values, §2.5). */
export interface CallSpec<S extends z.ZodType> {
  /** TR operation (row of `TR_IDS`). */
  readonly op: TrOperation;
  /** Path key in `KIS_PATHS`. */
  readonly path: KisPathKey;
  readonly method: 'GET' | 'POST';
  readonly kind: CallKind;
  /** Query parameters for GET. */
  readonly query?: Readonly<Record<string, string>>;
  /** JSON body for POST (keys UPPER-CASE, values strings). */
  readonly body?: Readonly<Record<string, string>>;
  /** `''` for the first page, `'N'` for the next ones (§2.6). */
  readonly trCont?: '' | 'N';
  /** Validates the lower-cased success body. */
  readonly schema: S;
}

/** A validated answer plus the paging header. */
export interface CallResult<T> {
  readonly data: T;
  /** Response header `tr_cont`: F/M = more pages, D/E = last (§2.6); '' when absent. */
  readonly trCont: string;
  readonly msgCd: string;
  readonly msg1: string;
}

export interface KisTransportDeps {
  readonly config: KisConfig;
  readonly credentials: KisCredentials;
  readonly clock: Clock;
  /** Clock of network deadlines (see `KisClientDeps.timeoutClock`). */
  readonly timeoutClock?: Clock;
  readonly logger: Logger;
  readonly sender: HttpSender;
  readonly limiter: TokenBucketLimiter;
  readonly auth: KisAuth;
}

/** Breaker scope: quotation server vs trading (orders and account queries) server. */
export type BreakerGroup = 'quote' | 'trading';

/**
 * Runs TR calls: token → (hashkey) → rate limiter → circuit breaker → one HTTP exchange → envelope
 * classification → schema validation.
 *
 * Retry rules (DESIGN.md §5):
 * - QUERY answered with EGW00201/EGW00215: wait `rateLimit.retryBackoffMs[i]` on the clock and send
 *   again (bounded); then `KIS_RATE_LIMITED` retryable.
 * - ANY call answered with EGW00123 (expired) or EGW00121/00122 (invalid token): invalidate the token,
 *   get a new one, and send the call ONE more time. This is the only resend of a COMMAND, and it is
 *   safe: the gateway checks the token before it routes the call, so a token refusal means the order
 *   never reached the order server (kis-protocol.md §4.3). A second refusal is fatal.
 * - Nothing else is ever resent: a command that timed out, lost its socket, got a 5xx, EGW00201 or an
 *   unknown msg_cd is `outcome-unknown`.
 * Everything that fails BEFORE a command is written to the wire (unsupported, token, hashkey, circuit
 * open) is reported with `notPlaced: true` and disposition `rejected` (or `fatal` when fatal).
 */
export class KisTransport {
  private readonly breakers: Record<BreakerGroup, CircuitBreakerPolicy>;

  constructor(private readonly d: KisTransportDeps) {
    this.breakers = {
      quote: createBreaker(d.config.circuitBreaker, d.clock),
      trading: createBreaker(d.config.circuitBreaker, d.clock),
    };
  }

  /** The breaker of a group (exposed for health reporting and tests). */
  breaker(group: BreakerGroup): CircuitBreakerPolicy {
    return this.breakers[group];
  }

  /** Performs one TR call. Throws only `KisError`. */
  async call<S extends z.ZodType>(spec: CallSpec<S>): Promise<CallResult<z.infer<S>>> {
    const trId = trIdFor(spec.op, this.d.config.env);
    const ctx: CallContext = { kind: spec.kind, endpoint: spec.op, trId: trId ?? undefined };
    if (trId === null) {
      throw new KisError({
        code: 'KIS_UNSUPPORTED',
        ...bareOutcome('KIS_UNSUPPORTED', spec.kind),
        kind: spec.kind,
        endpoint: spec.op,
        detail: `${spec.op} is not offered on ${this.d.config.env} accounts (모의투자 미지원); nothing was sent`,
      });
    }
    const group: BreakerGroup = KIS_PATHS[spec.path].includes('/trading/') ? 'trading' : 'quote';
    const bodyJson = spec.body ? JSON.stringify(spec.body) : undefined;
    const qs = spec.query ? `?${new URLSearchParams(spec.query as Record<string, string>).toString()}` : '';
    const path = `${KIS_PATHS[spec.path]}${qs}`;

    let token = await this.beforeSend(ctx, () => this.tokenFor(ctx));
    const hash =
      this.d.config.useHashkey && spec.method === 'POST' && bodyJson !== undefined
        ? await this.beforeSend(ctx, () => this.d.auth.hashkey(bodyJson, spec.kind))
        : undefined;

    let authRetried = false;
    let rateRetries = 0;
    for (let attempt = 1; ; attempt++) {
      await this.d.limiter.acquire();
      const headers = this.headers(token, trId, spec.trCont ?? '', hash);
      this.d.logger.debug({ endpoint: spec.op, trId, kind: spec.kind, attempt, trCont: spec.trCont ?? '' }, 'kis request');
      const started = this.d.clock.now();
      let res: RawResponse;
      let i: Interpreted;
      try {
        [res, i] = await this.breakers[group].execute(async () => {
          const r = await this.d.sender.send({ method: spec.method, path, headers, body: bodyJson }, ctx);
          const ii = interpret(r, 'rt');
          // Server trouble counts against the breaker; business answers do not.
          if (!ii.ok && (ii.type === 'http' || (ii.type === 'envelope' && (ii.cls === 'transient' || ii.cls === 'check-previous')))) {
            this.logResponse(spec, trId, r, ii, started);
            throw errorOf(ii, r.status, ctx);
          }
          return [r, ii] as const;
        });
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          throw new KisError({
            code: 'KIS_CIRCUIT_OPEN',
            ...bareOutcome('KIS_CIRCUIT_OPEN', spec.kind),
            kind: spec.kind,
            endpoint: spec.op,
            trId,
            detail: `circuit breaker for ${group} endpoints is open; nothing was sent${spec.kind === 'command' ? ' (the order did not reach the venue)' : ''}`,
          });
        }
        throw err;
      }
      this.logResponse(spec, trId, res, i, started);
      if (i.ok) {
        const data = validate(spec.schema, i.body, ctx, res.status);
        return { data, trCont: headerOf(res, 'tr_cont'), msgCd: i.msgCd, msg1: i.msg1 };
      }
      if (i.type === 'envelope' && (i.cls === 'auth-expired' || i.cls === 'token-invalid') && !authRetried) {
        authRetried = true;
        this.d.logger.warn({ endpoint: spec.op, trId, msgCd: i.msgCd }, 'kis token refused by the gateway; re-issuing and sending the call once more');
        this.d.auth.invalidate(token);
        token = await this.beforeSend(ctx, () => this.tokenFor(ctx));
        continue;
      }
      if (i.type === 'envelope' && i.cls === 'rate-limited' && spec.kind === 'query' && rateRetries < this.d.config.rateLimit.retryBackoffMs.length) {
        const wait = this.d.config.rateLimit.retryBackoffMs[rateRetries++]!;
        this.d.logger.warn({ endpoint: spec.op, trId, msgCd: i.msgCd, waitMs: wait, retry: rateRetries }, 'kis rate limit answer on a query; backing off');
        await this.d.clock.sleep(wait);
        continue;
      }
      if (i.type === 'envelope' && i.cls === 'unknown') {
        this.d.logger.warn({ endpoint: spec.op, trId, msgCd: i.msgCd, kind: spec.kind }, 'kis answered with an unknown msg_cd');
      }
      throw errorOf(i, res.status, ctx);
    }
  }

  /**
   * The access token for a call. A command does not wait longer than `connectMs + readMs` for it
   * (a token issue may sit out EGW00133's minute): an order sent a minute late is not the order the
   * caller meant, so it fails instead — `KIS_TIMEOUT`, `rejected`, `notPlaced` — and the issue goes on
   * in the background for later calls.
   */
  private async tokenFor(ctx: CallContext): Promise<Secret> {
    if (ctx.kind === 'query') return this.d.auth.getToken();
    const limitMs = this.d.config.timeouts.connectMs + this.d.config.timeouts.readMs;
    const ac = new AbortController();
    const deadline = (this.d.timeoutClock ?? this.d.clock).sleep(limitMs, ac.signal).then(
      (): never => {
        throw new KisError({
          code: 'KIS_TIMEOUT',
          disposition: 'rejected',
          notPlaced: true,
          kind: 'command',
          endpoint: ctx.endpoint,
          trId: ctx.trId,
          detail: `no access token within ${limitMs} ms; the order was not sent`,
        });
      },
      (): never => new Promise<never>(() => undefined) as never,
    );
    try {
      return await Promise.race([this.d.auth.getToken(), deadline]);
    } finally {
      ac.abort();
    }
  }

  /**
   * Runs a step that precedes sending (token, hashkey). For a command, a failure here means the order
   * was never sent: rethrown as `notPlaced` with disposition `rejected` (or `fatal` if it was fatal).
   */
  private async beforeSend<T>(ctx: CallContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (ctx.kind !== 'command') throw err;
      const e = err instanceof KisError ? err : undefined;
      throw new KisError({
        code: e?.code ?? 'KIS_TRANSPORT',
        disposition: e?.disposition === 'fatal' ? 'fatal' : 'rejected',
        notPlaced: true,
        kind: 'command',
        endpoint: ctx.endpoint,
        trId: ctx.trId,
        httpStatus: e?.httpStatus,
        msgCd: e?.msgCd,
        msg1: e?.msg1,
        detail: `order not sent: ${e ? `${e.endpoint} failed with ${e.code}` : 'preparation failed'}`,
        cause: err,
      });
    }
  }

  /** Request headers of kis-protocol.md §2.5 (custtype P: individual). */
  private headers(token: Secret, trId: string, trCont: string, hash: string | undefined): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${token.reveal()}`,
      appkey: this.d.credentials.appKey.reveal(),
      appsecret: this.d.credentials.appSecret.reveal(),
      tr_id: trId,
      tr_cont: trCont,
      custtype: 'P',
    };
    if (hash !== undefined) h['hashkey'] = hash;
    return h;
  }

  private logResponse(spec: CallSpec<z.ZodType>, trId: string, res: RawResponse, i: Interpreted, started: number): void {
    this.d.logger.debug(
      {
        endpoint: spec.op,
        trId,
        status: res.status,
        msgCd: i.ok || i.type === 'envelope' ? i.msgCd : undefined,
        trCont: headerOf(res, 'tr_cont'),
        durationMs: this.d.clock.now() - started,
      },
      'kis response',
    );
  }
}

function headerOf(res: RawResponse, name: string): string {
  const v = res.headers[name];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
}
