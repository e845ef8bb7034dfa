/**
 * A bare-bones HTTP caller for the twin's own tests (NOT the KIS adapter: the twin is tested
 * independently of the client it exists to test). It sends what a KIS client sends — headers
 * `content-type`, `authorization: Bearer`, `appkey`, `appsecret`, `tr_id`, `tr_cont`, `custtype` — and
 * returns status, headers and parsed body.
 */
import type { SimAccountSpec } from '../account-spec.ts';

export interface SimHttpResult {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience: KIS bodies are ad hoc JSON
  readonly body: any;
}

export interface SimCallOptions {
  /** Request header tr_cont ('N' for the next page). */
  readonly trCont?: string;
  /** Overrides the stored token ('' sends no authorization header). */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

async function toResult(r: Response): Promise<SimHttpResult> {
  const text = await r.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: r.status, headers: r.headers, body };
}

/** Calls a running twin as one account. */
export class SimTestClient {
  token = '';

  constructor(
    readonly url: string,
    readonly account: SimAccountSpec,
  ) {}

  /** POST /oauth2/tokenP; stores the token on success. */
  async issueToken(): Promise<SimHttpResult> {
    const r = await this.raw('POST', '/oauth2/tokenP', JSON.stringify({ grant_type: 'client_credentials', appkey: this.account.appKey, appsecret: this.account.appSecret }), {
      'content-type': 'application/json',
    });
    if (r.status === 200) this.token = r.body.access_token;
    return r;
  }

  /** Any request, raw body. */
  async raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<SimHttpResult> {
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = body;
    return toResult(await fetch(this.url + path, init));
  }

  private headers(trId: string, o: SimCallOptions): Record<string, string> {
    const token = o.token ?? this.token;
    return {
      'content-type': 'application/json; charset=utf-8',
      ...(token !== '' ? { authorization: `Bearer ${token}` } : {}),
      appkey: this.account.appKey,
      appsecret: this.account.appSecret,
      tr_id: trId,
      tr_cont: o.trCont ?? '',
      custtype: 'P',
      ...o.headers,
    };
  }

  /** GET with query parameters. */
  async get(path: string, trId: string, query: Record<string, string>, o: SimCallOptions = {}): Promise<SimHttpResult> {
    const qs = new URLSearchParams(query).toString();
    return toResult(await fetch(`${this.url}${path}${qs ? `?${qs}` : ''}`, { method: 'GET', headers: this.headers(trId, o) }));
  }

  /** POST with a JSON body (sent as given: KIS wants UPPER-CASE keys and string values). */
  async post(path: string, trId: string, body: unknown, o: SimCallOptions = {}): Promise<SimHttpResult> {
    return toResult(await fetch(this.url + path, { method: 'POST', headers: this.headers(trId, o), body: JSON.stringify(body) }));
  }
}
