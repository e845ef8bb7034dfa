/**
 * `hantu sim` REST side: a loopback HTTP server that speaks the KIS REST protocol (kis-protocol §2–§4)
 * over the twin's matching engine, so the real client code runs against it with no account and no
 * market hours.
 *
 * Every request goes through one pipeline, in this order:
 *  1. the engine advances lazily to `clock.now()` (prints replayed, orders filled, close expiry);
 *  2. fault table, phase `before` (state.faults);
 *  3. `/oauth2/*` and `/uapi/hashkey` are answered by their own rules; other paths must be a served
 *     endpoint (else 404 MCA00124);
 *  4. app key → app secret → `authorization: Bearer <token>` (EGW00102/00103/00105/00205/00121/00123);
 *  5. per-app-key rate limit, sliding one-second window (HTTP 500 EGW00201);
 *  6. TR id against the path and the app key's environment (EGW02006 / EGW02004 / EGW02007 / OPSQ0002);
 *  7. POST bodies: a JSON object with UPPER-CASE keys and string values (OPSQ9999 / OPSQ9997);
 *  8. the endpoint handler; then fault phase `after`.
 * Responses: JSON, header names sent capitalised as KIS does (`Content-Type`) plus `tr_id`, `tr_cont`
 * and `gt_uid`; every /uapi body carries `rt_cd`, `msg_cd`, `msg1`. The environment (real / paper) is
 * decided by the app key, so one port serves both.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import { resolveAccounts, type ResolvedAccount, type SimAccountSpec, type SimEnv } from './account-spec.ts';
import { kstDateTime, SimAuth, type SimApproval } from './auth.ts';
import { checkTrId, findEndpoint, type SimEndpointId } from './endpoints.ts';
import { SimEngine, type SimFees } from './engine.ts';
import { SimFaultTable, type SimFaultAction, type SimRequestInfo } from './faults.ts';
import { kisError, type SimCodeKey } from './kis-codes.ts';
import type { MarketSource } from './market-source.ts';
import { SlidingWindowRateLimiter } from './rate-limit.ts';
import { chkHoliday, inquireAskingPrice, inquireDailyItemChartPrice, inquirePrice, inquireTimeItemChartPrice } from './rest/quotes.ts';
import { inquireBalance, inquireDailyCcld, inquirePsblOrder, inquirePsblRvsecncl, orderCash, orderRvsecncl } from './rest/trading.ts';
import type { KisReply, SimRestContext, SimRestHandler } from './rest/wire.ts';

/** Options of {@link createSimServer}. */
export interface SimServerOptions {
  readonly market: MarketSource;
  readonly clock: Clock;
  readonly accounts: readonly SimAccountSpec[];
  /** Interface to listen on (default '127.0.0.1'; the twin is a loopback server). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Commission (both sides) and sell tax, in basis points. */
  readonly fees: SimFees;
  readonly logger?: Logger;
  /** chk-holiday: trading-day rule (default Mon–Fri). The KRX calendar is passed here by the caller. */
  readonly isTradingDay?: (date: KstDate) => boolean;
  /** chk-holiday: business-day rule for bzdy_yn (default: the trading-day rule). */
  readonly isBusinessDay?: (date: KstDate) => boolean;
  /** Branch number on orders (default '06010'). */
  readonly branch?: string;
  /** First order number (default 1). */
  readonly firstOrderNo?: number;
}

/** One served request, for tests and diagnostics. */
export interface SimRequestRecord {
  /** Epoch ms (twin clock). */
  readonly ts: number;
  readonly method: string;
  readonly path: string;
  readonly trId: string;
  readonly status: number;
  /** msg_cd / error_code of the answer ('' when none, e.g. a dropped socket). */
  readonly msgCd: string;
}

/** Live state of a running twin, for tests and for the WebSocket side. */
export interface SimServerState {
  readonly engine: SimEngine;
  readonly auth: SimAuth;
  readonly faults: SimFaultTable;
  readonly rateLimiter: SlidingWindowRateLimiter;
  readonly accounts: readonly ResolvedAccount[];
  /** The approval key's record (issued by POST /oauth2/Approval and not expired), or undefined. */
  lookupApproval(approvalKey: string): SimApproval | undefined;
  /** The most recent requests (at most 1000), oldest first. */
  readonly requests: readonly SimRequestRecord[];
}

/** A running twin. */
export interface SimServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly state: SimServerState;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const HANDLERS: Readonly<Record<SimEndpointId, SimRestHandler>> = {
  'inquire-price': inquirePrice,
  'inquire-time-itemchartprice': inquireTimeItemChartPrice,
  'inquire-daily-itemchartprice': inquireDailyItemChartPrice,
  'inquire-asking-price-exp-ccn': inquireAskingPrice,
  'chk-holiday': chkHoliday,
  'inquire-balance': inquireBalance,
  'inquire-psbl-order': inquirePsblOrder,
  'order-cash': orderCash,
  'order-rvsecncl': orderRvsecncl,
  'inquire-psbl-rvsecncl': inquirePsblRvsecncl,
  'inquire-daily-ccld': inquireDailyCcld,
};

const MAX_REQUEST_LOG = 1000;

function header(req: FastifyRequest, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** Parses a JSON body; undefined when it is not a JSON object. */
function parseObject(raw: string): Record<string, unknown> | undefined {
  if (raw.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the twin's REST server. Resolves once it listens.
 * @throws ConfigError when an account spec is invalid (lengths, duplicates; see resolveAccounts)
 */
export async function createSimServer(opts: SimServerOptions): Promise<SimServer> {
  const accounts = resolveAccounts(opts.accounts);
  const clock: Clock = opts.clock;
  const logger = opts.logger;
  const engine = new SimEngine({
    market: opts.market, fees: opts.fees, accounts,
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(opts.firstOrderNo !== undefined ? { firstOrderNo: opts.firstOrderNo } : {}),
    ...(logger !== undefined ? { logger } : {}),
  });
  const auth = new SimAuth(accounts, clock);
  const faults = new SimFaultTable();
  const limiter = new SlidingWindowRateLimiter(1000);
  const requests: SimRequestRecord[] = [];
  const calendar = {
    ...(opts.isTradingDay ? { isTradingDay: opts.isTradingDay } : {}),
    ...(opts.isBusinessDay ? { isBusinessDay: opts.isBusinessDay } : {}),
  };
  let gtSeq = 0;

  const state: SimServerState = {
    engine, auth, faults, rateLimiter: limiter, accounts, requests,
    lookupApproval: (k) => auth.lookupApproval(k),
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const kis = (key: SimCodeKey, env: SimEnv, extra: Record<string, string> = {}): Answer => {
    const e = kisError(key, env);
    return { status: e.status, body: e.body, headers: extra };
  };

  function oauth(method: string, path: string, raw: string): Answer {
    const body = parseObject(raw);
    if (method !== 'POST') return kis('SERVICE_NOT_FOUND', 'real');
    if (path === '/oauth2/tokenP') {
      if (!body) return kis('TOKEN_BAD_GRANT', 'real');
      const r = auth.issueToken(body['grant_type'], body['appkey'], body['appsecret']);
      if (!r.ok) return kis(r.code, 'real');
      const t = r.value;
      return {
        status: 200,
        headers: {},
        body: {
          access_token: t.token,
          access_token_token_expired: kstDateTime(t.expiresAt),
          token_type: 'Bearer',
          expires_in: Math.max(0, Math.floor((t.expiresAt - clock.now()) / 1000)),
        },
      };
    }
    if (path === '/oauth2/revokeP') {
      if (!body) return kis('TOKEN_BAD_APPKEY', 'real');
      const r = auth.revokeToken(body['appkey'], body['appsecret'], body['token']);
      if (!r.ok) return kis(r.code, 'real');
      return { status: 200, headers: {}, body: { code: 200, message: '접근토큰 폐기에 성공하였습니다' } };
    }
    if (path === '/oauth2/Approval') {
      if (!body) return kis('TOKEN_BAD_GRANT', 'real');
      const r = auth.issueApproval(body['grant_type'], body['appkey'], body['secretkey']);
      if (!r.ok) return kis(r.code, 'real');
      return { status: 200, headers: {}, body: { approval_key: r.value.approvalKey } };
    }
    return kis('SERVICE_NOT_FOUND', 'real');
  }

  function hashkey(req: FastifyRequest, raw: string, now: number): Answer {
    const cred = auth.checkAppCredentials(header(req, 'appkey') || undefined, header(req, 'appsecret') || undefined);
    if (!cred.ok) return kis(cred.code, 'real');
    if (!limiter.tryAcquire(cred.value.appKey, cred.value.rateLimitPerSecond, now)) return kis('RATE_LIMITED', cred.value.env);
    const body = parseObject(raw);
    if (!body) return kis('BAD_JSON', cred.value.env);
    // Real answer shape (kis-protocol §2.4, third-party): {"BODY": <the body>, "HASH": <hex>} — no rt_cd.
    return { status: 200, headers: {}, body: { BODY: body, HASH: createHash('sha256').update(raw, 'utf8').digest('hex') } };
  }

  function uapi(req: FastifyRequest, method: string, path: string, raw: string, now: number): Answer {
    const trId = header(req, 'tr_id');
    const ep = findEndpoint(method, path);
    if (!ep) return kis('SERVICE_NOT_FOUND', 'real');
    const cred = auth.checkAppCredentials(header(req, 'appkey') || undefined, header(req, 'appsecret') || undefined);
    if (!cred.ok) return kis(cred.code, 'real');
    const account = cred.value;
    const env = account.env;
    const m = /^Bearer\s+(\S+)\s*$/.exec(header(req, 'authorization'));
    if (!m || m[1] === undefined) return kis('AUTH_NOT_BEARER', env);
    const tok = auth.checkToken(account.appKey, m[1]);
    if (!tok.ok) return kis(tok.code, env);
    if (!limiter.tryAcquire(account.appKey, account.rateLimitPerSecond, now)) return kis('RATE_LIMITED', env);
    const trBad = checkTrId(ep, env, trId);
    if (trBad) return kis(trBad, env, { tr_id: trId });
    let body: Record<string, string> = {};
    if (method === 'POST') {
      const parsed = parseObject(raw);
      if (!parsed) return kis('BAD_JSON', env, { tr_id: trId });
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v !== 'string' || k !== k.toUpperCase()) return kis('BAD_VALUE_TYPE', env, { tr_id: trId });
      }
      body = parsed as Record<string, string>;
    }
    const query: Record<string, string> = {};
    const rawQuery = (req.query ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(rawQuery)) {
      const s = Array.isArray(v) ? v[0] : v;
      query[k.toUpperCase()] = typeof s === 'string' ? s : String(s ?? '');
    }
    const ctx: SimRestContext = {
      engine, market: opts.market, account, env, trId, trCont: header(req, 'tr_cont'), query, body, now, calendar,
    };
    const r: KisReply = HANDLERS[ep.id](ctx);
    return { status: r.status, body: r.body, headers: { tr_id: trId, tr_cont: r.trCont ?? '' } };
  }

  function send(reply: FastifyReply, req: FastifyRequest, a: Answer, isUapi: boolean, info: SimRequestInfo): void {
    const payload = JSON.stringify(a.body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
    };
    if (isUapi) {
      headers['tr_id'] = a.headers['tr_id'] ?? info.trId;
      headers['tr_cont'] = a.headers['tr_cont'] ?? '';
      headers['gt_uid'] = createHash('sha256').update(`gt:${gtSeq++}`).digest('hex').slice(0, 32);
    }
    record(info, a.status, a.body);
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(a.status, headers);
    res.end(payload);
    logger?.debug({ method: req.method, path: info.path, trId: info.trId, status: a.status }, 'sim request');
  }

  function record(info: SimRequestInfo, status: number, body: unknown): void {
    let msgCd = '';
    if (typeof body === 'object' && body !== null) {
      const o = body as Record<string, unknown>;
      const c = o['msg_cd'] ?? o['error_code'];
      if (typeof c === 'string') msgCd = c;
    }
    requests.push({ ts: clock.now(), method: info.method, path: info.path, trId: info.trId, status, msgCd });
    if (requests.length > MAX_REQUEST_LOG) requests.splice(0, requests.length - MAX_REQUEST_LOG);
  }

  /** Applies a fault; returns the answer to send, 'dropped', or undefined to carry on (a delay). */
  async function applyFault(f: SimFaultAction, req: FastifyRequest, reply: FastifyReply, info: SimRequestInfo, env: SimEnv): Promise<Answer | 'dropped' | undefined> {
    switch (f.kind) {
      case 'delay':
        await clock.sleep(f.ms);
        return undefined;
      case 'drop': {
        reply.hijack();
        record(info, 0, undefined);
        const raw: IncomingMessage = req.raw;
        raw.socket.destroy();
        return 'dropped';
      }
      case 'http-500':
        return kis('SERVER_ERROR', env);
      case 'rate-limit':
        return kis('RATE_LIMITED', env);
      case 'status':
        return { status: f.status, body: f.body ?? kisError('SERVER_ERROR', env).body, headers: {} };
    }
  }

  app.all('/*', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const method = req.method.toUpperCase();
    const raw = typeof req.body === 'string' ? req.body : '';
    const appKeyHeader = header(req, 'appkey');
    let appKey = appKeyHeader;
    if (!appKey && path.startsWith('/oauth2/')) {
      const b = parseObject(raw);
      if (b && typeof b['appkey'] === 'string') appKey = b['appkey'];
    }
    const info: SimRequestInfo = { method, path, trId: header(req, 'tr_id'), appKey };
    const env: SimEnv = auth.accountByAppKey(appKey)?.env ?? 'real';
    const isUapi = path.startsWith('/uapi/') && path !== '/uapi/hashkey';

    engine.advanceTo(clock.now());
    const before = faults.take(info, 'before');
    if (before) {
      const r = await applyFault(before, req, reply, info, env);
      if (r === 'dropped') return;
      if (r) return send(reply, req, r, isUapi, info);
    }
    const now = clock.now();
    engine.advanceTo(now);
    let answer: Answer;
    if (path.startsWith('/oauth2/')) answer = oauth(method, path, raw);
    else if (path === '/uapi/hashkey') answer = method === 'POST' ? hashkey(req, raw, now) : kis('SERVICE_NOT_FOUND', env);
    else answer = uapi(req, method, path, raw, now);

    const after = faults.take(info, 'after');
    if (after) {
      const r = await applyFault(after, req, reply, info, env);
      if (r === 'dropped') return;
      if (r) answer = { ...r, headers: { ...answer.headers, ...r.headers } };
    }
    send(reply, req, answer, isUapi, info);
  });

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (opts.port ?? 0);
  const host = opts.host ?? '127.0.0.1';
  logger?.info({ port, accounts: accounts.length }, 'hantu sim REST listening');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    state,
    close: async () => {
      await app.close();
    },
  };
}
