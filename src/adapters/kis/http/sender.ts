import { Pool } from 'undici';
import type { Clock } from '../../../core/clock.ts';
import { bareOutcome, KisError, type CallKind } from '../common/errors.ts';

/** One HTTP exchange as the adapter sees it: no interpretation yet. */
export interface RawRequest {
  readonly method: 'GET' | 'POST';
  /** Path under the base URL, query string included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}
export interface RawResponse {
  readonly status: number;
  /** Response headers, names lower-cased by undici. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}
/** Identifies a call in errors and logs. */
export interface CallContext {
  readonly kind: CallKind;
  readonly endpoint: string;
  readonly trId?: string | undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Sends requests to one origin over an undici `Pool` (keep-alive, connect timeout `connectMs`,
 * headers/body timeouts `readMs`). On top of undici's own timers, the whole exchange is bounded by a
 * deadline of `connectMs + readMs` on the injected clock, so tests trigger timeouts with `TestClock`.
 * Never retries: undici does not replay a request here, and neither do we (a POST may be an order).
 * Failures become `KisError` `KIS_TIMEOUT` or `KIS_TRANSPORT` with the disposition for `ctx.kind`.
 */
export class HttpSender {
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(
    baseUrl: string,
    private readonly timeouts: { readonly connectMs: number; readonly readMs: number },
    private readonly clock: Clock,
  ) {
    const u = new URL(baseUrl);
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.pool = new Pool(u.origin, {
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.readMs,
      bodyTimeout: timeouts.readMs,
      connections: 16,
    });
  }

  /** Requests on the wire right now (diagnostics, and tests that step a simulated clock). */
  inFlight = 0;

  /** Sends one request and reads the whole body as text. Never throws anything but `KisError`. */
  async send(req: RawRequest, ctx: CallContext): Promise<RawResponse> {
    this.inFlight++;
    try {
      return await this.sendOnce(req, ctx);
    } finally {
      this.inFlight--;
    }
  }

  private async sendOnce(req: RawRequest, ctx: CallContext): Promise<RawResponse> {
    const ac = new AbortController();
    let timedOut = false;
    const deadline = this.clock.setTimer(this.timeouts.connectMs + this.timeouts.readMs, () => {
      timedOut = true;
      ac.abort(new Error('deadline'));
    });
    try {
      const res = await this.pool.request({
        method: req.method,
        path: `${this.prefix}${req.path}`,
        headers: req.headers,
        body: req.body,
        signal: ac.signal,
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const isTimeout = timedOut || TIMEOUT_CODES.has(code);
      const kisCode = isTimeout ? 'KIS_TIMEOUT' : 'KIS_TRANSPORT';
      const o = bareOutcome(kisCode, ctx.kind);
      throw new KisError({
        code: kisCode,
        disposition: o.disposition,
        notPlaced: o.notPlaced,
        kind: ctx.kind,
        endpoint: ctx.endpoint,
        trId: ctx.trId,
        detail: isTimeout
          ? `no complete answer within ${this.timeouts.connectMs + this.timeouts.readMs} ms${ctx.kind === 'command' ? '; the order may have reached the venue' : ''}`
          : `transport failure (${code || (err as Error).name})${ctx.kind === 'command' ? '; the order may have reached the venue' : ''}`,
        cause: err,
      });
    } finally {
      deadline.cancel();
    }
  }

  /** Closes the pool (waits for in-flight requests). */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
