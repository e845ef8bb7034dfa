import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { flush } from '../../../core/clock.ts';

/**
 * A scripted KIS peer for tests: a node:http server on 127.0.0.1 (port 0) that answers each path
 * with a handler, records every request, and can hang or reset on demand. Test support only.
 */
export interface PeerRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An answer: JSON body (objects are serialised), HTTP status (default 200) and extra headers. */
export interface PeerAnswer {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}
/** `hang`: never answer; `reset`: destroy the socket after reading the request. */
export type PeerReply = PeerAnswer | 'hang' | 'reset';
/** Handler for one path; `n` is the 1-based count of requests seen on that path so far. */
export type PeerHandler = (req: PeerRequest, n: number) => PeerReply | Promise<PeerReply>;

export class ScriptedPeer {
  readonly requests: PeerRequest[] = [];
  private readonly handlers = new Map<string, PeerHandler>();
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a peer on 127.0.0.1 with a free port. */
  static async start(): Promise<ScriptedPeer> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    const peer = new ScriptedPeer(server, `http://127.0.0.1:${addr.port}`);
    server.on('connection', (s: Socket) => {
      peer.sockets.add(s);
      s.on('close', () => peer.sockets.delete(s));
    });
    server.on('request', (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const pr: PeerRequest = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body };
        peer.requests.push(pr);
        void peer.answer(pr, res);
      });
    });
    return peer;
  }

  /** Sets the handler of a path (replacing any previous one). */
  on(path: string, handler: PeerHandler): this {
    this.handlers.set(path, handler);
    return this;
  }

  /** Requests received on a path. */
  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  /** Requests received on a path, in order. */
  requestsTo(path: string): PeerRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async answer(req: PeerRequest, res: ServerResponse): Promise<void> {
    const h = this.handlers.get(req.path);
    const reply: PeerReply = h ? await h(req, this.count(req.path)) : { status: 404, body: 'no handler' };
    if (reply === 'hang') return;
    if (reply === 'reset') {
      res.socket?.destroy();
      return;
    }
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
    res.end(body);
  }
}

/**
 * Resolves once `cond()` is true, letting I/O and promise callbacks run in between (no sleeping on
 * timers). Fails after `maxMs` of real time so a broken test cannot hang.
 */
export async function waitFor(cond: () => boolean, what: string, maxMs = 5_000): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > maxMs) throw new Error(`timed out waiting for ${what}`);
    await flush();
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file is src/adapters/kis/testing/). */
export const REPO_ROOT = resolve(here, '../../../..');

/** Reads a JSON fixture from `test/fixtures/kis/`. */
export function kisFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(REPO_ROOT, 'test/fixtures/kis', name), 'utf8')) as T;
}
