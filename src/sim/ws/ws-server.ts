import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { kstParts } from '../../core/kst.ts';
import type { Logger } from '../../core/logger.ts';
import { tickSize } from '../../model/tick.ts';
import type { MarketSource } from '../market-source.ts';
import { bookRecord, noticeRecord, tradeRecord, type NoticeInput, type NoticeWidth, type TradeWidth } from './records.ts';

/**
 * The twin's WebSocket side (kis-protocol.md §5, Appendix B): sessions authenticated by approval key,
 * one session per app key (a second → OPSP8996), 41 registrations (42nd → OPSP0008), acks with a
 * per-session AES key/iv, PINGPONG at an interval (a session that does not answer is dropped),
 * H0STCNT0/H0STASP0 from the replay, encrypted execution notices H0STCNI0 (real) / H0STCNI9 (paper),
 * H0STMKO0 for halts, and scriptable faults.
 */

/** Who an approval key belongs to (resolved by the REST side, which issues the keys). */
export interface SimWsIdentity {
  readonly appKey: string;
  readonly env: 'real' | 'paper';
  /** HTS IDs whose execution notices this app key may subscribe to. */
  readonly htsIds: readonly string[];
}

export interface SimWsOptions {
  readonly clock: Clock;
  readonly market: MarketSource;
  readonly logger: Logger;
  readonly resolveApprovalKey: (key: string) => SimWsIdentity | undefined;
  readonly host?: string;
  readonly port?: number;
  /** Registrations per session (KIS: 41). */
  readonly maxRegistrations?: number;
  /** PINGPONG interval and answer timeout, clock ms. */
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  /** How often the feed pushes the prints since the last push, clock ms. */
  readonly pumpIntervalMs?: number;
  /** Called at every push before prints go out (the REST side advances its matching engine here). */
  readonly onPump?: (now: number) => void;
  /** Record widths (default 46 / 26); `perAppKey` overrides them for one client. */
  readonly tradeWidth?: TradeWidth;
  readonly noticeWidth?: NoticeWidth;
  readonly perAppKey?: Readonly<Record<string, { tradeWidth?: TradeWidth; noticeWidth?: NoticeWidth }>>;
  /** Maximum records bundled in one frame. */
  readonly maxRecordsPerFrame?: number;
}

/** Scriptable faults, also reachable from `hantu sim --faults`. */
export interface SimWsFaults {
  /** Refuse the next N upgrade requests with HTTP 503. */
  refuseConnections: number;
  /** Drop / duplicate the next N execution notices. */
  dropNotices: number;
  duplicateNotices: number;
  /** Drop / duplicate the next N fill notices only (CNTG_YN = 2); acknowledgements pass. */
  dropFillNotices: number;
  duplicateFillNotices: number;
  /** Hold every notice back by this many clock ms. */
  delayNoticesMs: number;
  /** Stop sending anything (PINGPONG and data) while true. */
  silent: boolean;
  /** Do not send PINGPONG while true (data still flows). */
  noPingPong: boolean;
  /** Send N garbage frames / N truncated trade frames on the next push. */
  garbageFrames: number;
  truncatedFrames: number;
  /** Append this many unknown fields to every trade record. */
  extraTradeFields: number;
  /** Print the next N trades on a half tick (midpoint of bid and ask). */
  halfTickTrades: number;
  /** Halted instruments (trade records carry TRHT_YN=Y; an H0STMKO0 frame is sent on change). */
  halted: Set<string>;
}

interface Session {
  readonly ws: WebSocket;
  identity: SimWsIdentity | undefined;
  readonly regs: Map<string, { trId: string; trKey: string }>;
  readonly aes: Map<string, { key: string; iv: string }>;
  awaitingPong: boolean;
  pingTimer: TimerHandle | undefined;
  pongDeadline: TimerHandle | undefined;
}

const TRADE_TRS = new Set(['H0STCNT0', 'H0UNCNT0', 'H0NXCNT0']);
const BOOK_TRS = new Set(['H0STASP0', 'H0UNASP0', 'H0NXASP0']);
const STATUS_TRS = new Set(['H0STMKO0', 'H0UNMKO0', 'H0NXMKO0']);
const NOTICE_TRS: Record<string, 'real' | 'paper'> = { H0STCNI0: 'real', H0STCNI9: 'paper' };
const PAPER_TRS = new Set(['H0STCNT0', 'H0STASP0', 'H0STCNI9']);

function control(trId: string, trKey: string, rtCd: string, msgCd: string, msg1: string, extra: Record<string, unknown> = {}, encrypt = 'N'): string {
  return JSON.stringify({ header: { tr_id: trId, tr_key: trKey, encrypt }, body: { rt_cd: rtCd, msg_cd: msgCd, msg1, ...extra } });
}

function randomAscii(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const b = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(b[i] as number) % alphabet.length];
  return s;
}

/** AES-256-CBC + PKCS#7 + base64, as KIS encrypts notices (kis-protocol.md §5.5). */
export function encryptPayload(plain: string, key: string, iv: string): string {
  const c = createCipheriv('aes-256-cbc', Buffer.from(key, 'utf8'), Buffer.from(iv, 'utf8'));
  return Buffer.concat([c.update(plain, 'utf8'), c.final()]).toString('base64');
}

export class SimWsServer {
  readonly faults: SimWsFaults = {
    refuseConnections: 0,
    dropNotices: 0,
    duplicateNotices: 0,
    dropFillNotices: 0,
    duplicateFillNotices: 0,
    delayNoticesMs: 0,
    silent: false,
    noPingPong: false,
    garbageFrames: 0,
    truncatedFrames: 0,
    extraTradeFields: 0,
    halfTickTrades: 0,
    halted: new Set(),
  };
  /** Counters for tests and the CLI. */
  readonly stats = { connections: 0, refused: 0, framesSent: 0, noticesSent: 0, sessionsDropped: 0 };
  private readonly o: Required<Omit<SimWsOptions, 'onPump' | 'perAppKey'>> & Pick<SimWsOptions, 'onPump' | 'perAppKey'>;
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sessions = new Set<Session>();
  private readonly byAppKey = new Map<string, Session>();
  private pumpTimer: TimerHandle | undefined;
  private lastPump: number;
  private readonly lastPrice = new Map<string, number>();
  private readonly aggressor = new Map<string, 'BUY' | 'SELL'>();
  private readonly haltedSent = new Set<string>();
  private port = 0;

  constructor(opts: SimWsOptions) {
    this.o = {
      host: '127.0.0.1',
      port: 0,
      maxRegistrations: 41,
      pingIntervalMs: 30_000,
      pingTimeoutMs: 60_000,
      pumpIntervalMs: 1_000,
      tradeWidth: 46,
      noticeWidth: 26,
      maxRecordsPerFrame: 10,
      ...opts,
    };
    this.lastPump = this.o.clock.now();
  }

  /** `ws://127.0.0.1:<port>` (any path is accepted; KIS clients use `/tryitout`). */
  get url(): string {
    return `ws://${this.o.host}:${this.port}`;
  }

  /** Starts listening and pumping. */
  async listen(): Promise<void> {
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain' });
      res.end('upgrade required');
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      if (this.faults.refuseConnections > 0) {
        this.faults.refuseConnections--;
        this.stats.refused++;
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
    await new Promise<void>((resolve) => this.http!.listen(this.o.port, this.o.host, resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.lastPump = this.o.clock.now();
    this.schedulePump();
  }

  /** Stops pumping, closes every session and the listener. */
  async close(): Promise<void> {
    this.pumpTimer?.cancel();
    for (const s of this.sessions) this.dropSession(s, 1001, 'server closing');
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections?.();
  }

  /** Drops every open session (the connection-loss fault). */
  dropConnections(): void {
    for (const s of [...this.sessions]) this.dropSession(s, 1006, 'dropped by fault');
  }

  /** Number of open sessions. */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Registrations of the session holding an app key. */
  registrations(appKey: string): { trId: string; trKey: string }[] {
    return [...(this.byAppKey.get(appKey)?.regs.values() ?? [])];
  }

  private dropSession(s: Session, code: number, reason: string): void {
    s.pingTimer?.cancel();
    s.pongDeadline?.cancel();
    this.sessions.delete(s);
    if (s.identity && this.byAppKey.get(s.identity.appKey) === s) this.byAppKey.delete(s.identity.appKey);
    this.stats.sessionsDropped++;
    try {
      if (code === 1006) s.ws.terminate();
      else s.ws.close(code, reason);
    } catch {
      s.ws.terminate();
    }
  }

  private onConnection(ws: WebSocket): void {
    this.stats.connections++;
    const s: Session = { ws, identity: undefined, regs: new Map(), aes: new Map(), awaitingPong: false, pingTimer: undefined, pongDeadline: undefined };
    this.sessions.add(s);
    ws.on('message', (data) => this.onMessage(s, data.toString()));
    ws.on('pong', () => this.onPong(s));
    ws.on('close', () => {
      s.pingTimer?.cancel();
      s.pongDeadline?.cancel();
      this.sessions.delete(s);
      if (s.identity && this.byAppKey.get(s.identity.appKey) === s) this.byAppKey.delete(s.identity.appKey);
    });
    ws.on('error', () => undefined);
    this.schedulePing(s);
  }

  private send(s: Session, text: string): void {
    if (this.faults.silent) return;
    if (s.ws.readyState !== s.ws.OPEN) return;
    s.ws.send(text);
    this.stats.framesSent++;
  }

  private schedulePing(s: Session): void {
    s.pingTimer = this.o.clock.setTimer(this.o.pingIntervalMs, () => {
      if (!this.sessions.has(s)) return;
      if (!this.faults.noPingPong && !this.faults.silent) {
        const p = kstParts(this.o.clock.now());
        const dt = `${p.date.replaceAll('-', '')}${String(p.hour).padStart(2, '0')}${String(p.minute).padStart(2, '0')}${String(p.second).padStart(2, '0')}`;
        this.send(s, JSON.stringify({ header: { tr_id: 'PINGPONG', datetime: dt } }));
        if (!s.awaitingPong) {
          s.awaitingPong = true;
          s.pongDeadline = this.o.clock.setTimer(this.o.pingTimeoutMs, () => {
            if (s.awaitingPong && this.sessions.has(s)) {
              this.o.logger.info({ appKeyTail: s.identity?.appKey.slice(-4) }, 'sim ws: session did not answer PINGPONG; dropped');
              this.dropSession(s, 1006, 'no PINGPONG answer');
            }
          });
        }
      }
      this.schedulePing(s);
    });
  }

  private onPong(s: Session): void {
    s.awaitingPong = false;
    s.pongDeadline?.cancel();
  }

  private onMessage(s: Session, raw: string): void {
    let msg: { header?: Record<string, unknown>; body?: { input?: Record<string, unknown> } };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      this.send(s, control('(null)', '', '9', 'OPSP9999', 'JSON PARSING ERROR : invalid json format'));
      return;
    }
    const header = msg.header;
    if (!header || typeof header !== 'object') {
      this.send(s, control('(null)', '', '9', 'OPSP9998', 'header not found'));
      return;
    }
    if (header['tr_id'] === 'PINGPONG') {
      this.onPong(s);
      return;
    }
    const input = msg.body?.input;
    if (!input || typeof input !== 'object') {
      this.send(s, control('(null)', '', '9', 'OPSP9991', 'input not found'));
      return;
    }
    const trId = String(input['tr_id'] ?? '');
    const trKey = String(input['tr_key'] ?? '');
    const trType = String(header['tr_type'] ?? '');
    const identity = this.o.resolveApprovalKey(String(header['approval_key'] ?? ''));
    if (!identity) {
      this.send(s, control(trId, trKey, '1', 'OPSP0011', 'invalid approval : NOT FOUND'));
      return;
    }
    if (!s.identity) {
      const holder = this.byAppKey.get(identity.appKey);
      if (holder && holder !== s && this.sessions.has(holder)) {
        this.send(s, control(trId, trKey, '1', 'OPSP8996', 'ALREADY IN USE appkey'));
        return;
      }
      s.identity = identity;
      this.byAppKey.set(identity.appKey, s);
    } else if (s.identity.appKey !== identity.appKey) {
      this.send(s, control(trId, trKey, '1', 'OPSP8996', 'ALREADY IN USE appkey'));
      return;
    }
    if (trType !== '1' && trType !== '2') {
      this.send(s, control(trId, trKey, '1', 'OPSP8997', 'invalid tr_type'));
      return;
    }
    const known = TRADE_TRS.has(trId) || BOOK_TRS.has(trId) || STATUS_TRS.has(trId) || trId in NOTICE_TRS;
    if (!known) {
      this.send(s, control(trId, trKey, '1', 'OPSP8991', 'invalid tr_id'));
      return;
    }
    if (identity.env === 'paper' && !PAPER_TRS.has(trId)) {
      this.send(s, control(trId, trKey, '1', 'OPSP8991', 'invalid tr_id : 모의투자 미지원 TR'));
      return;
    }
    const noticeEnv = NOTICE_TRS[trId];
    if (noticeEnv) {
      if (noticeEnv !== identity.env || !identity.htsIds.includes(trKey)) {
        this.send(s, control(trId, trKey, '1', 'OPSP8992', 'invalid tr_key'));
        return;
      }
    } else if (!this.o.market.instrument(trKey)) {
      this.send(s, control(trId, trKey, '1', 'OPSP8992', 'invalid tr_key'));
      return;
    }
    const k = `${trId}|${trKey}`;
    if (trType === '2') {
      if (!s.regs.delete(k)) this.send(s, control(trId, trKey, '1', 'OPSP0003', 'UNSUBSCRIBE ERROR(not found!)'));
      else this.send(s, control(trId, trKey, '0', 'OPSP0001', 'UNSUBSCRIBE SUCCESS'));
      return;
    }
    if (s.regs.has(k)) {
      this.send(s, control(trId, trKey, '0', 'OPSP0002', 'ALREADY IN SUBSCRIBE'));
      return;
    }
    if (s.regs.size >= this.o.maxRegistrations) {
      this.send(s, control(trId, trKey, '1', 'OPSP0008', 'MAX SUBSCRIBE OVER'));
      return;
    }
    s.regs.set(k, { trId, trKey });
    let aes = s.aes.get(trId);
    if (!aes) {
      aes = { key: randomAscii(32), iv: randomAscii(16) };
      s.aes.set(trId, aes);
    }
    this.send(s, control(trId, trKey, '0', 'OPSP0000', 'SUBSCRIBE SUCCESS', { output: { iv: aes.iv, key: aes.key } }, noticeEnv ? 'Y' : 'N'));
  }

  private schedulePump(): void {
    this.pumpTimer = this.o.clock.setTimer(this.o.pumpIntervalMs, () => {
      try {
        this.pump();
      } catch (e) {
        this.o.logger.error({ err: (e as Error).message }, 'sim ws: pump failed');
      }
      this.schedulePump();
    });
  }

  private widths(s: Session): { trade: TradeWidth; notice: NoticeWidth } {
    const per = s.identity ? this.o.perAppKey?.[s.identity.appKey] : undefined;
    return { trade: per?.tradeWidth ?? this.o.tradeWidth, notice: per?.noticeWidth ?? this.o.noticeWidth };
  }

  /** Pushes the prints since the last push to every subscriber (also callable directly by tests). */
  pump(): void {
    const now = this.o.clock.now();
    this.o.onPump?.(now);
    const from = this.lastPump;
    this.lastPump = now;
    if (this.faults.silent) return;
    // Which codes anyone wants, per TR kind.
    const tradeCodes = new Set<string>();
    const bookCodes = new Set<string>();
    const statusCodes = new Set<string>();
    for (const s of this.sessions) {
      for (const r of s.regs.values()) {
        if (TRADE_TRS.has(r.trId)) tradeCodes.add(r.trKey);
        else if (BOOK_TRS.has(r.trId)) bookCodes.add(r.trKey);
        else if (STATUS_TRS.has(r.trId)) statusCodes.add(r.trKey);
      }
    }
    for (const s of this.sessions) {
      for (let i = 0; i < this.faults.garbageFrames; i++) this.send(s, `garbage-frame-${i}\u0000|||^^^`);
    }
    this.faults.garbageFrames = 0;
    this.pushHalts(statusCodes);
    const tradeRecords = new Map<string, { w46: string[]; w47: string[] }>();
    for (const code of tradeCodes) {
      const inst = this.o.market.instrument(code);
      if (!inst) continue;
      const trades = this.o.market.tradesBetween(code, from, now);
      if (trades.length === 0) continue;
      const recs = { w46: [] as string[], w47: [] as string[] };
      for (const t of trades) {
        let trade = t;
        if (this.faults.halfTickTrades > 0) {
          this.faults.halfTickTrades--;
          // A KRX midpoint execution: half-way between the synthetic bid and ask.
          const tick = tickSize(t.price, inst.kind);
          trade = { ...t, price: Math.floor(t.price / tick) * tick + tick / 2 };
        }
        const snap = this.o.market.snapshot(code, t.ts);
        if (!snap) continue;
        const prev = this.lastPrice.get(code);
        const side = prev === undefined || trade.price === prev ? (this.aggressor.get(code) ?? 'BUY') : trade.price > prev ? 'BUY' : 'SELL';
        this.aggressor.set(code, side);
        this.lastPrice.set(code, trade.price);
        const opts = { aggressor: side, halted: this.faults.halted.has(code), extraFields: this.faults.extraTradeFields } as const;
        recs.w46.push(tradeRecord(inst, trade, snap, { ...opts, width: 46 }));
        recs.w47.push(tradeRecord(inst, trade, snap, { ...opts, width: 47 }));
      }
      tradeRecords.set(code, recs);
    }
    for (const s of this.sessions) {
      const { trade: width } = this.widths(s);
      for (const r of s.regs.values()) {
        if (TRADE_TRS.has(r.trId)) {
          const recs = tradeRecords.get(r.trKey);
          if (!recs) continue;
          const list = width === 47 ? recs.w47 : recs.w46;
          for (let i = 0; i < list.length; i += this.o.maxRecordsPerFrame) {
            const chunk = list.slice(i, i + this.o.maxRecordsPerFrame);
            this.send(s, `0|${r.trId}|${String(chunk.length).padStart(3, '0')}|${chunk.join('^')}`);
          }
          if (this.faults.truncatedFrames > 0 && list.length > 0) {
            this.faults.truncatedFrames--;
            const whole = `0|${r.trId}|004|${list[0]}^${list[0]}`;
            this.send(s, whole.slice(0, Math.floor(whole.length * 0.75)));
          }
        } else if (BOOK_TRS.has(r.trId) && tradeRecords.has(r.trKey)) {
          const inst = this.o.market.instrument(r.trKey);
          const snap = this.o.market.snapshot(r.trKey, now);
          if (inst && snap) this.send(s, `0|${r.trId}|001|${bookRecord(inst, snap.last, now, snap.volume)}`);
        }
      }
    }
  }

  private pushHalts(statusCodes: Set<string>): void {
    for (const code of new Set([...this.faults.halted, ...this.haltedSent])) {
      const halted = this.faults.halted.has(code);
      if (halted === this.haltedSent.has(code)) continue;
      if (halted) this.haltedSent.add(code);
      else this.haltedSent.delete(code);
      if (!statusCodes.has(code)) continue;
      const rec = [code, halted ? 'Y' : 'N', halted ? '시장조치' : '(null)', halted ? '164' : '112', '', '', '', halted ? '58' : '00', 'N', 'N', ''].join('^');
      for (const s of this.sessions) {
        for (const r of s.regs.values()) if (STATUS_TRS.has(r.trId) && r.trKey === code) this.send(s, `0|${r.trId}|001|${rec}`);
      }
    }
  }

  /**
   * Sends an execution notice (acknowledgement or fill) to the session subscribed to the order's HTS
   * ID on the matching notice TR, encrypted with that session's key. Honours the notice faults.
   */
  publishNotice(n: NoticeInput, env: 'real' | 'paper'): void {
    if (this.faults.dropNotices > 0) {
      this.faults.dropNotices--;
      return;
    }
    if (n.fill && this.faults.dropFillNotices > 0) {
      this.faults.dropFillNotices--;
      return;
    }
    let copies = 1;
    if (this.faults.duplicateNotices > 0) {
      this.faults.duplicateNotices--;
      copies = 2;
    } else if (n.fill && this.faults.duplicateFillNotices > 0) {
      this.faults.duplicateFillNotices--;
      copies = 2;
    }
    const deliver = (): void => {
      const trId = env === 'real' ? 'H0STCNI0' : 'H0STCNI9';
      for (const s of this.sessions) {
        if (!s.regs.has(`${trId}|${n.htsId}`)) continue;
        const aes = s.aes.get(trId);
        if (!aes) continue;
        const plain = noticeRecord(n, this.widths(s).notice);
        for (let i = 0; i < copies; i++) {
          this.send(s, `1|${trId}|001|${encryptPayload(plain, aes.key, aes.iv)}`);
          this.stats.noticesSent++;
        }
      }
    };
    if (this.faults.delayNoticesMs > 0) this.o.clock.setTimer(this.faults.delayNoticesMs, deliver);
    else deliver();
  }
}
