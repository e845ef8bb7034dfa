/**
 * Wire helpers shared by the twin's REST handlers: the handler context, reply shapes and the string
 * formatting KIS uses (every value a string, fixed-width context keys).
 */
import type { KstDate } from '../../core/kst.ts';
import type { ResolvedAccount, SimEnv } from '../account-spec.ts';
import type { SimEngine } from '../engine.ts';
import { kisError, kisMessage, type SimCodeKey } from '../kis-codes.ts';
import type { MarketSource } from '../market-source.ts';

/** What a handler answers: HTTP status, JSON body and the response `tr_cont` header ('' when not paging). */
export interface KisReply {
  readonly status: number;
  readonly body: unknown;
  readonly trCont?: string;
}

/** Calendar hooks for chk-holiday (see SimServerOptions). */
export interface SimCalendarHooks {
  readonly isTradingDay?: (date: KstDate) => boolean;
  readonly isBusinessDay?: (date: KstDate) => boolean;
}

/** Everything a handler may read. Query keys are upper-cased; POST body keys are as sent (UPPER-CASE on KIS). */
export interface SimRestContext {
  readonly engine: SimEngine;
  readonly market: MarketSource;
  readonly account: ResolvedAccount;
  readonly env: SimEnv;
  readonly trId: string;
  /** Request header tr_cont ('' or 'N'). */
  readonly trCont: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, string>>;
  /** Epoch ms of the request (the twin's clock). */
  readonly now: number;
  readonly calendar: SimCalendarHooks;
}

export type SimRestHandler = (ctx: SimRestContext) => KisReply;

/** An error reply for a code of the table (kis-codes.ts). */
export function fail(key: SimCodeKey, env: SimEnv): KisReply {
  const e = kisError(key, env);
  return { status: e.status, body: e.body };
}

/** A success reply: `payload` fields first (as in the KIS examples), then rt_cd/msg_cd/msg1. */
export function ok(key: SimCodeKey, env: SimEnv, payload: Record<string, unknown>, trCont = ''): KisReply {
  return { status: 200, body: { ...payload, ...kisMessage(key, env) }, trCont };
}

/** A number as KIS writes it: integers plainly, fractions as they are (half-tick prints). */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(4)));
}

/** Fixed decimals (`n.toFixed(d)`), "0.00"-style for 0. */
export function fixed(n: number, d: number): string {
  return Number.isFinite(n) ? n.toFixed(d) : (0).toFixed(d);
}

/** (a / b) × 100 with `d` decimals; 0 when b is 0. */
export function pct(a: number, b: number, d = 2): string {
  return b === 0 ? (0).toFixed(d) : ((a / b) * 100).toFixed(d);
}

/** Right-pads a context key (ctx_area_fk100 / nk100 …) with spaces to `width` characters. */
export function padCtx(s: string, width = 100): string {
  return s.length >= width ? s.slice(0, width) : s.padEnd(width, ' ');
}

/** Query value by upper-case key ('' when absent). */
export function q(ctx: SimRestContext, key: string): string {
  return (ctx.query[key] ?? '').trim();
}

/** Body value by key ('' when absent). */
export function b(ctx: SimRestContext, key: string): string {
  return (ctx.body[key] ?? '').trim();
}

/** True when the request asks for the next page (header tr_cont N with a context key). */
export function isContinuation(ctx: SimRestContext, nkKey: string): boolean {
  return ctx.trCont.trim().toUpperCase() === 'N' && q(ctx, nkKey) !== '';
}

/**
 * Response tr_cont for a page (twin choice, matching what clients test): first page with more → F,
 * later page with more → M, only page → D, last page of a continuation → E. F/M mean "more data".
 */
export function pageTrCont(continuation: boolean, hasMore: boolean): string {
  if (hasMore) return continuation ? 'M' : 'F';
  return continuation ? 'E' : 'D';
}

/** Message code for a page: more → KIOK0500, last of several → KIOK0460, single → KIOK0510. */
export function pageCode(continuation: boolean, hasMore: boolean): SimCodeKey {
  if (hasMore) return 'OK_QUERY_MORE';
  return continuation ? 'OK_QUERY_LAST' : 'OK_QUERY';
}

/** PRDY_VRSS_SIGN: 1 상한, 2 상승, 3 보합, 4 하한, 5 하락. */
export function changeSign(last: number, base: number, upper: number, lower: number): string {
  if (last >= upper) return '1';
  if (last <= lower) return '4';
  if (last > base) return '2';
  if (last < base) return '5';
  return '3';
}
