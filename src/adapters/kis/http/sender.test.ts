import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../core/clock.ts';
import { KisError } from '../common/errors.ts';
import { waitFor } from '../testing/scripted-peer.ts';
import { HttpSender, type CallContext } from './sender.ts';

/**
 * HttpSender against a local node:http server on 127.0.0.1 (port 0). The deadline runs on TestClock;
 * the only real waits are the sockets' own (connect, the short read timeout of one test).
 */

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;

interface TestServer {
  readonly url: string;
  readonly requests: Seen[];
  /** Server-side 'connection' events so far. */
  connections: number;
  /** Server-side sockets still open. */
  readonly open: Set<Socket>;
  handler: Handler;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const senders: HttpSender[] = [];

async function startServer(handler: Handler): Promise<TestServer> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  const t: TestServer = {
    url: `http://127.0.0.1:${addr.port}`,
    requests: [],
    connections: 0,
    open: new Set(),
    handler,
    async close() {
      for (const s of t.open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on('connection', (s: Socket) => {
    t.connections++;
    t.open.add(s);
    s.on('close', () => t.open.delete(s));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      t.requests.push(seen);
      t.handler(seen, res);
    });
  });
  servers.push(t);
  return t;
}

function sender(baseUrl: string, clock: TestClock, timeouts = { connectMs: 5_000, readMs: 60_000 }): HttpSender {
  const s = new HttpSender(baseUrl, timeouts, clock);
  senders.push(s);
  return s;
}

/** A port nobody listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  await new Promise<void>((r) => s.close(() => r()));
  return addr.port;
}

async function kisError(p: Promise<unknown>): Promise<KisError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KisError);
    return e as KisError;
  }
  throw new Error('expected a KisError');
}

const QUERY: CallContext = { kind: 'query', endpoint: 'inquirePrice', trId: 'FHKST01010100' };
const COMMAND: CallContext = { kind: 'command', endpoint: 'orderCash', trId: 'TTTC0012U' };
const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};

afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('HttpSender round trips', () => {
  it('returns status, lower-cased headers and the whole body as UTF-8 text (split multi-byte characters, BOM dropped)', async () => {
    const text = '{"msg1":"정상처리 되었습니다."}';
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const srv = await startServer((_req, res) => {
      res.writeHead(207, { 'Content-Type': 'application/json; charset=utf-8', TR_CONT: 'M', 'X-Many': ['a', 'b'] });
      // two writes, cut inside '정' (BOM 3 bytes + 9 ASCII bytes, then the first byte of a 3-byte character)
      res.write(bytes.subarray(0, 13));
      setImmediate(() => res.end(bytes.subarray(13)));
    });
    const s = sender(`${srv.url}/`, new TestClock());
    const r = await s.send({ method: 'GET', path: '/uapi/x?FID_INPUT_ISCD=005930', headers: { tr_id: 'FHKST01010100' } }, QUERY);
    expect(r.status).toBe(207);
    expect(r.headers['tr_cont']).toBe('M');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['x-many']).toBe('a, b');
    expect(r.text).toBe(text);
    expect(srv.requests).toEqual([expect.objectContaining({ method: 'GET', url: '/uapi/x?FID_INPUT_ISCD=005930', body: '' })]);
    expect(srv.requests[0]?.headers['tr_id']).toBe('FHKST01010100');
    expect(s.inFlight).toBe(0);
  });

  it('an empty body is the empty string', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const r = await sender(srv.url, new TestClock()).send({ method: 'GET', path: '/empty', headers: {} }, QUERY);
    expect(r).toMatchObject({ status: 204, text: '' });
  });

  it('a POST body arrives intact, with its byte length', async () => {
    const srv = await startServer((req, res) => json(res, 200, { echo: req.body }));
    const body = JSON.stringify({ CANO: '81012345', PDNO: '009150', ORD_QTY: '3', note: '매수 주문 ✓' });
    const r = await sender(srv.url, new TestClock()).send(
      { method: 'POST', path: '/uapi/domestic-stock/v1/trading/order-cash', headers: { 'content-type': 'application/json; charset=utf-8' }, body },
      COMMAND,
    );
    expect(JSON.parse(r.text)).toEqual({ echo: body });
    const seen = srv.requests[0]!;
    expect(seen).toMatchObject({ method: 'POST', url: '/uapi/domestic-stock/v1/trading/order-cash', body });
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen.headers['transfer-encoding']).toBeUndefined();
  });

  it('keeps the base URL path as a prefix', async () => {
    const srv = await startServer((_req, res) => json(res, 200, {}));
    await sender(`${srv.url}/base/v1/`, new TestClock()).send({ method: 'GET', path: '/oauth2/tokenP?a=1', headers: {} }, QUERY);
    expect(srv.requests[0]?.url).toBe('/base/v1/oauth2/tokenP?a=1');
  });

  it('two sequential requests reuse one TCP connection', async () => {
    const srv = await startServer((req, res) => json(res, 200, { url: req.url }));
    const s = sender(srv.url, new TestClock());
    const a = await s.send({ method: 'GET', path: '/a', headers: {} }, QUERY);
    const b = await s.send({ method: 'POST', path: '/b', headers: {}, body: '{}' }, QUERY);
    expect([JSON.parse(a.text), JSON.parse(b.text)]).toEqual([{ url: '/a' }, { url: '/b' }]);
    expect(srv.requests).toHaveLength(2);
    expect(srv.connections).toBe(1);
  });

  it('counts requests in flight', async () => {
    let answer: (() => void) | undefined;
    const srv = await startServer((_req, res) => {
      answer = () => json(res, 200, {});
    });
    const s = sender(srv.url, new TestClock());
    const p = s.send({ method: 'GET', path: '/slow', headers: {} }, QUERY);
    expect(s.inFlight).toBe(1);
    await waitFor(() => answer !== undefined, 'request received');
    answer!();
    await p;
    expect(s.inFlight).toBe(0);
  });
});

describe('HttpSender failures', () => {
  it('a server that never answers → KIS_TIMEOUT at connectMs + readMs on the injected clock; the request is aborted', async () => {
    const srv = await startServer(() => undefined);
    const clock = new TestClock();
    const s = sender(srv.url, clock, { connectMs: 5_000, readMs: 60_000 });
    let done = false;
    const p = kisError(s.send({ method: 'POST', path: '/order', headers: {}, body: '{"ORD_QTY":"1"}' }, COMMAND)).finally(() => (done = true));
    await waitFor(() => srv.requests.length === 1, 'request received');
    await clock.advanceAsync(64_999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    const e = await p;
    expect(e).toMatchObject({ code: 'KIS_TIMEOUT', disposition: 'outcome-unknown', notPlaced: false, kind: 'command', endpoint: 'orderCash', trId: 'TTTC0012U' });
    expect(e.message).toContain('no complete answer within 65000 ms; the order may have reached the venue');
    expect((e.cause as { code?: string }).code).toBe('DEADLINE');
    expect(s.inFlight).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await waitFor(() => srv.open.size === 0, 'the aborted socket closed');
    await clock.advanceAsync(120_000);
    expect(srv.requests).toHaveLength(1); // never replayed
  });

  it('a query that times out is retryable', async () => {
    const srv = await startServer(() => undefined);
    const clock = new TestClock();
    const s = sender(srv.url, clock);
    const p = kisError(s.send({ method: 'GET', path: '/q', headers: {} }, QUERY));
    await waitFor(() => srv.requests.length === 1, 'request received');
    await clock.advanceAsync(65_000);
    expect(await p).toMatchObject({ code: 'KIS_TIMEOUT', disposition: 'retryable', notPlaced: false });
  });

  it('a socket idle longer than readMs → KIS_TIMEOUT without the injected clock moving', async () => {
    const srv = await startServer(() => undefined);
    const clock = new TestClock();
    const s = sender(srv.url, clock, { connectMs: 5_000, readMs: 100 });
    const e = await kisError(s.send({ method: 'GET', path: '/idle', headers: {} }, QUERY));
    expect(e).toMatchObject({ code: 'KIS_TIMEOUT', disposition: 'retryable' });
    expect((e.cause as { code?: string }).code).toBe('READ_TIMEOUT');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a refused connection → KIS_TRANSPORT with the command disposition', async () => {
    const port = await closedPort();
    const s = sender(`http://127.0.0.1:${port}`, new TestClock());
    const e = await kisError(s.send({ method: 'POST', path: '/order', headers: {}, body: '{}' }, COMMAND));
    expect(e).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'outcome-unknown', notPlaced: false, kind: 'command', endpoint: 'orderCash' });
    expect(e.message).toContain('transport failure (ECONNREFUSED); the order may have reached the venue');
    expect(s.inFlight).toBe(0);
  });

  it('a refused connection on a query → KIS_TRANSPORT, retryable', async () => {
    const port = await closedPort();
    const e = await kisError(sender(`http://127.0.0.1:${port}`, new TestClock()).send({ method: 'GET', path: '/q', headers: {} }, QUERY));
    expect(e).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'retryable', notPlaced: false });
    expect(e.message).toContain('transport failure (ECONNREFUSED)');
  });

  it('a socket reset after the request → KIS_TRANSPORT, and the request is not replayed', async () => {
    const srv = await startServer((_req, res) => res.socket?.destroy());
    const clock = new TestClock();
    const s = sender(srv.url, clock);
    const e = await kisError(s.send({ method: 'POST', path: '/order', headers: {}, body: '{"ORD_QTY":"1"}' }, COMMAND));
    expect(e).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'outcome-unknown', notPlaced: false });
    expect(e.message).toContain('transport failure (ECONNRESET)');
    await clock.advanceAsync(120_000);
    expect(srv.requests).toHaveLength(1);
    expect(srv.connections).toBe(1);
  });

  it('a reset in the middle of the body → KIS_TRANSPORT', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"rt_cd":"0",');
      setImmediate(() => res.socket?.destroy());
    });
    const e = await kisError(sender(srv.url, new TestClock()).send({ method: 'GET', path: '/q', headers: {} }, QUERY));
    expect(e).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'retryable' });
  });

  it('an invalid header value → KIS_TRANSPORT, nothing sent', async () => {
    const srv = await startServer((_req, res) => json(res, 200, {}));
    const e = await kisError(sender(srv.url, new TestClock()).send({ method: 'GET', path: '/q', headers: { 'x-bad': 'a\r\nb' } }, QUERY));
    expect(e).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'retryable' });
    expect(srv.requests).toHaveLength(0);
  });
});

describe('HttpSender.close', () => {
  it('resolves and closes the idle keep-alive sockets', async () => {
    const srv = await startServer((_req, res) => json(res, 200, {}));
    const s = sender(srv.url, new TestClock());
    await s.send({ method: 'GET', path: '/a', headers: {} }, QUERY);
    expect(srv.open.size).toBe(1);
    await s.close();
    await waitFor(() => srv.open.size === 0, 'sockets closed');
  });

  it('waits for requests in flight, then refuses new ones', async () => {
    let answer: (() => void) | undefined;
    const srv = await startServer((_req, res) => {
      answer = () => json(res, 200, { ok: true });
    });
    const s = sender(srv.url, new TestClock());
    const p = s.send({ method: 'GET', path: '/slow', headers: {} }, QUERY);
    await waitFor(() => answer !== undefined, 'request received');
    let closed = false;
    const c = s.close().then(() => (closed = true));
    const refused = await kisError(s.send({ method: 'POST', path: '/late', headers: {}, body: '{}' }, COMMAND));
    expect(refused).toMatchObject({ code: 'KIS_TRANSPORT', disposition: 'outcome-unknown' });
    expect(closed).toBe(false);
    answer!();
    expect(JSON.parse((await p).text)).toEqual({ ok: true });
    await c;
    expect(closed).toBe(true);
    await waitFor(() => srv.open.size === 0, 'sockets closed');
    expect(srv.requests.map((r) => r.url)).toEqual(['/slow']);
  });
});
