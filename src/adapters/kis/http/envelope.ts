import type { z } from 'zod';
import { bareOutcome, classifyMsgCd, envelopeOutcome, KisError, type MsgClass } from '../common/errors.ts';
import { lowerKeys } from '../common/parse.ts';
import type { CallContext, RawResponse } from './sender.ts';

/**
 * Reading a KIS answer (kis-protocol.md §2.6): JSON body with `rt_cd` ("0" = success), `msg_cd`,
 * `msg1`; the OAuth endpoints answer errors as `error_code` / `error_description` instead (§2.1).
 * Keys are lower-cased recursively first. The HTTP status is secondary: EGW00201 comes with 500 or
 * 200, business refusals with 200 or 500 — classify by code, never by status alone (§4.2).
 */
export type Interpreted =
  | { readonly ok: true; readonly body: Record<string, unknown>; readonly msgCd: string; readonly msg1: string }
  | { readonly ok: false; readonly type: 'envelope'; readonly cls: MsgClass | 'unknown'; readonly msgCd: string; readonly msg1: string }
  | { readonly ok: false; readonly type: 'http'; readonly detail: string }
  | { readonly ok: false; readonly type: 'payload'; readonly detail: string };

/** `rt`: TR endpoints (need `rt_cd`). `oauth`: token/approval/hashkey (no `rt_cd` on success). */
export type EnvelopeStyle = 'rt' | 'oauth';

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
}

/** Interprets a raw response. Pure; never throws. */
export function interpret(res: RawResponse, style: EnvelopeStyle): Interpreted {
  const ok2xx = res.status >= 200 && res.status < 300;
  let json: unknown;
  try {
    json = res.text === '' ? undefined : JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  const body = json !== null && typeof json === 'object' && !Array.isArray(json) ? (lowerKeys(json) as Record<string, unknown>) : undefined;
  if (!body) {
    return ok2xx
      ? { ok: false, type: 'payload', detail: `HTTP ${res.status} without a JSON object body` }
      : { ok: false, type: 'http', detail: `HTTP ${res.status} without a KIS envelope` };
  }
  const errorCode = str(body['error_code']);
  if (errorCode !== '') {
    return { ok: false, type: 'envelope', cls: classifyMsgCd(errorCode), msgCd: errorCode, msg1: str(body['error_description']) };
  }
  if ('rt_cd' in body) {
    const rt = str(body['rt_cd']);
    const msgCd = str(body['msg_cd']);
    const msg1 = str(body['msg1']);
    if (rt !== '0') return { ok: false, type: 'envelope', cls: classifyMsgCd(msgCd), msgCd, msg1 };
    if (!ok2xx) return { ok: false, type: 'http', detail: `HTTP ${res.status} with rt_cd "0"` };
    return { ok: true, body, msgCd, msg1 };
  }
  if (style === 'oauth' && ok2xx) return { ok: true, body, msgCd: '', msg1: '' };
  return ok2xx
    ? { ok: false, type: 'payload', detail: 'answer without rt_cd' }
    : { ok: false, type: 'http', detail: `HTTP ${res.status} without a KIS envelope` };
}

/** The `KisError` for a failed interpretation. */
export function errorOf(i: Exclude<Interpreted, { ok: true }>, status: number, ctx: CallContext): KisError {
  const base = { kind: ctx.kind, endpoint: ctx.endpoint, trId: ctx.trId, httpStatus: status };
  if (i.type === 'envelope') {
    const o = envelopeOutcome(i.cls, ctx.kind);
    const detail =
      i.cls === 'unknown'
        ? ctx.kind === 'command'
          ? 'unknown msg_cd on a command; the order may have reached the venue'
          : 'unknown msg_cd'
        : o.disposition === 'outcome-unknown'
          ? `${i.cls}; the order may have reached the venue`
          : i.cls;
    return new KisError({ ...base, ...o, msgCd: i.msgCd, msg1: i.msg1, detail });
  }
  const code = i.type === 'http' ? 'KIS_HTTP' : 'KIS_PAYLOAD_INVALID';
  const o = bareOutcome(code, ctx.kind, status);
  const suffix = ctx.kind === 'command' ? '; the order may have reached the venue' : '';
  return new KisError({ ...base, code, ...o, detail: `${i.detail}${suffix}` });
}

/**
 * Validates a (lower-cased) body with a schema. A failure is `KIS_PAYLOAD_INVALID` naming every
 * offending field path (no values: they may be account data).
 * @param pathPrefix prefix for the reported paths (e.g. `output2[3]`)
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, ctx: CallContext, status = 200, pathPrefix = ''): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = r.error.issues
    .slice(0, 10)
    .map((i) => {
      const p = [pathPrefix, ...i.path.map((k) => (typeof k === 'number' ? `[${k}]` : String(k)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
      return `${p || '(body)'}: ${i.message}`;
    })
    .join('; ');
  const o = bareOutcome('KIS_PAYLOAD_INVALID', ctx.kind);
  throw new KisError({
    code: 'KIS_PAYLOAD_INVALID',
    ...o,
    kind: ctx.kind,
    endpoint: ctx.endpoint,
    trId: ctx.trId,
    httpStatus: status,
    detail: `unexpected payload: ${fields}${ctx.kind === 'command' ? '; the order was accepted but cannot be identified' : ''}`,
  });
}
