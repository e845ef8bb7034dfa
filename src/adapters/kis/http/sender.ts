import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
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
  /** Response headers as node:http gives them: names lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}
/** Identifies a call in errors and logs. */
export interface CallContext {
  readonly kind: CallKind;
  readonly endpoint: string;
  readonly trId?: string | undefined;
}

/** Sockets per origin, as many as the undici `Pool` had `connections`. */
const MAX_SOCKETS = 16;
/**
 * How long an idle keep-alive socket is kept. Node's agent shortens it to 1 s before the server's
 * `Keep-Alive: timeout=N` when that is sooner, so a request is not written on a socket the server is
 * about to close (undici's default keep-alive timeout was 4 s too).
 */
const IDLE_SOCKET_MS = 4_000;

/** Failure of our own timers (the `cause` of a `KIS_TIMEOUT`). */
function timeoutError(code: 'CONNECT_TIMEOUT' | 'READ_TIMEOUT' | 'DEADLINE', message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The whole body as UTF-8 text, a leading byte order mark dropped (as undici's `body.text()` did). */
function utf8Text(chunks: readonly Buffer[]): string {
  const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', start);
}

/**
 * Sends requests to one origin over `node:http` / `node:https` (by the base URL's protocol) with a
 * keep-alive `Agent` of up to 16 sockets. Node's own HTTP client is used for memory: importing undici
 * cost ~22 MB RSS and its WASM HTTP parser (llhttp) another ~30 MB once V8 tiers it up, while
 * `node:http` runs the native llhttp already in the binary.
 *
 * Timeouts (all end in `KIS_TIMEOUT`):
 * - connect: a new socket must be connected (TLS handshake included) within `connectMs`;
 * - read: once connected, the socket may stay idle at most `readMs` (waiting for the headers, then
 *   between chunks of the body);
 * - deadline: the whole exchange (queueing for a socket included) is bounded by `connectMs + readMs`
 *   on the injected clock, so tests trigger timeouts with `TestClock`. On any timeout the request is
 *   destroyed (its socket closed, never reused).
 * Any other failure (refused, reset, socket hang up, invalid header…) is `KIS_TRANSPORT`; both carry
 * the disposition of `bareOutcome` for `ctx.kind`.
 *
 * Never retries: node:http does not replay a request (not even one written on a reused keep-alive
 * socket the server had just closed), and neither do we — a POST may be an order.
 */
export class HttpSender {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: number | undefined;
  private readonly prefix: string;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    baseUrl: string,
    private readonly timeouts: { readonly connectMs: number; readonly readMs: number },
    private readonly clock: Clock,
  ) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`HttpSender: unsupported protocol ${u.protocol} in ${u.origin}`);
    this.secure = u.protocol === 'https:';
    this.hostname = u.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals without brackets
    this.port = u.port === '' ? undefined : Number(u.port);
    this.prefix = u.pathname.replace(/\/+$/, '');
    const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS };
    this.agent = this.secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = this.secure ? https.request : http.request;
  }

  /** Requests on the wire right now (diagnostics, and tests that step a simulated clock). */
  inFlight = 0;

  /** Sends one request and reads the whole body as text. Never throws anything but `KisError`. */
  async send(req: RawRequest, ctx: CallContext): Promise<RawResponse> {
    this.inFlight++;
    const p = this.sendOnce(req, ctx);
    this.pending.add(p);
    try {
      return await p;
    } finally {
      this.pending.delete(p);
      this.inFlight--;
    }
  }

  private async sendOnce(req: RawRequest, ctx: CallContext): Promise<RawResponse> {
    const deadlineMs = this.timeouts.connectMs + this.timeouts.readMs;
    let timedOut = false;
    let onDeadline: (() => void) | undefined;
    const deadline = this.clock.setTimer(deadlineMs, () => onDeadline?.());
    try {
      if (this.closed) throw Object.assign(new Error('HttpSender is closed'), { code: 'SENDER_CLOSED' });
      return await new Promise<RawResponse>((resolve, reject) => {
        let settled = false;
        let connectTimer: NodeJS.Timeout | undefined;
        let answered = false;
        const fail = (err: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(connectTimer);
          request.destroy(err); // no-op when node:http already destroyed it
          reject(err);
        };
        const timeout = (err: Error): void => {
          if (settled) return;
          timedOut = true;
          fail(err);
        };

        const request = this.request({
          agent: this.agent,
          hostname: this.hostname,
          port: this.port,
          method: req.method,
          path: `${this.prefix}${req.path}`,
          headers: req.headers,
        });
        onDeadline = () => timeout(timeoutError('DEADLINE', `deadline of ${deadlineMs} ms`));
        request.on('error', fail);
        // Idle limit once connected (node:http applies it at 'connect' on a new socket, at once on a reused one).
        request.setTimeout(this.timeouts.readMs, () => timeout(timeoutError('READ_TIMEOUT', `socket idle for ${this.timeouts.readMs} ms`)));
        request.once('socket', (socket: Socket) => {
          if (!socket.connecting) return; // a reused keep-alive socket
          socket.setTimeout(0); // the agent's idle limit of free sockets does not bound connecting: connectMs does
          connectTimer = setTimeout(() => timeout(timeoutError('CONNECT_TIMEOUT', `not connected within ${this.timeouts.connectMs} ms`)), this.timeouts.connectMs);
          socket.once(this.secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        });
        request.once('close', () => {
          if (!answered) fail(Object.assign(new Error('request closed without a response'), { code: 'ECONNRESET' }));
        });
        request.once('response', (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.once('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(connectTimer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: chunks.length === 0 ? '' : utf8Text(chunks) });
          });
          res.once('close', () => fail(Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' })));
        });
        request.end(req.body);
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const kisCode = timedOut ? 'KIS_TIMEOUT' : 'KIS_TRANSPORT';
      const o = bareOutcome(kisCode, ctx.kind);
      throw new KisError({
        code: kisCode,
        disposition: o.disposition,
        notPlaced: o.notPlaced,
        kind: ctx.kind,
        endpoint: ctx.endpoint,
        trId: ctx.trId,
        detail: timedOut
          ? `no complete answer within ${deadlineMs} ms${ctx.kind === 'command' ? '; the order may have reached the venue' : ''}`
          : `transport failure (${code || (err as Error).name})${ctx.kind === 'command' ? '; the order may have reached the venue' : ''}`,
        cause: err,
      });
    } finally {
      deadline.cancel();
    }
  }

  /** Refuses new requests, waits for the in-flight ones to finish, then closes every socket. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    this.agent.destroy();
  }
}
