import { WebSocket } from 'ws';
import type { UnixMillis } from '../../../core/brand.ts';
import type { Clock, TimerHandle } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { ExecutionNotice, MarketStatusUpdate, QuoteBook, TradeTick } from '../../../model/market-data.ts';
import { decodeDataFrame } from './decode.ts';
import { KisWsFrameError, parseKisWsFrame, type KisAesKey, type KisWsControl } from './frames.ts';

/**
 * KIS real-time WebSocket client (kis-protocol.md §5): approval key, one session, subscriptions with a
 * registration budget, PINGPONG echo, AES keys per TR, reconnect with backoff and resubscription from
 * the stored arguments, liveness and data-delay checks. Everything time-based runs on the injected clock.
 */

/** Subscription priority: holdings are registered first, then the execution notice, then the watchlist. */
export type SubscriptionPriority = 'HOLDING' | 'NOTICE' | 'WATCH';
const PRIORITY_RANK: Record<SubscriptionPriority, number> = { HOLDING: 0, NOTICE: 1, WATCH: 2 };

export type SubscriptionState = 'PENDING' | 'ACTIVE' | 'FAILED' | 'OVER_BUDGET' | 'REFUSED';

/** A desired subscription, stored by its original arguments (never parsed back from topic strings). */
export interface SubscriptionInfo {
  readonly trId: string;
  readonly trKey: string;
  readonly priority: SubscriptionPriority;
  state: SubscriptionState;
  attempts: number;
  lastMsgCd: string;
}

export type WsClientState = 'IDLE' | 'CONNECTING' | 'OPEN' | 'RECONNECTING' | 'SLEEPING' | 'STOPPED';

export type KisRealtimeEvent = TradeTick | QuoteBook | MarketStatusUpdate | ExecutionNotice;

/** Lifecycle and health signals for the monitor / notifier. */
export type WsClientSignal =
  | { type: 'connected'; attempt: number }
  | { type: 'disconnected'; code: number; reason: string }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number }
  | { type: 'resubscribed'; count: number }
  | { type: 'sleeping'; failures: number }
  | { type: 'session-in-use'; message: string }
  | { type: 'subscription-skipped'; trId: string; trKey: string; reason: 'OVER_BUDGET' | 'REFUSED' | 'FAILED'; msgCd: string }
  | { type: 'malformed-frame'; message: string; raw: string }
  | { type: 'stale'; silentMs: number }
  | { type: 'data-delay'; level: 'warning' | 'alert'; delayMs: number; trId: string; trKey: string };

export interface KisWsClientOptions {
  /** `ws://host:port[/path]`; KIS: `ws://ops.koreainvestment.com:21000/tryitout`. */
  readonly url: string;
  /** Returns a valid approval key (issued via POST /oauth2/Approval). Called on every (re)connect. */
  readonly approvalKey: () => Promise<string>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onEvent: (event: KisRealtimeEvent) => void;
  readonly onSignal?: (signal: WsClientSignal) => void;
  /** Account-sync hook, awaited after every successful reconnect and resubscription. */
  readonly onReconnected?: () => Promise<void> | void;
  /** Registration budget per session (KIS: 41). */
  readonly maxRegistrations?: number;
  /** Pause between subscribe messages (ms). */
  readonly subscribePacingMs?: number;
  /** Time to wait for an ack before retrying (ms). */
  readonly ackTimeoutMs?: number;
  /** Retries of a failed subscription before it is skipped. */
  readonly subscribeRetries?: number;
  /** Reconnect delays (ms); after the last one fails the client sleeps. Default 1, 2, 4, 8, 16 s. */
  readonly reconnectDelaysMs?: readonly number[];
  /** No frame for this long while `isMarketHours()` → reconnect. 0 disables. */
  readonly livenessTimeoutMs?: number;
  readonly isMarketHours?: () => boolean;
  /** Exchange time vs receipt: warn above, alert above (ms). */
  readonly delayWarnMs?: number;
  readonly delayAlertMs?: number;
  readonly custtype?: 'P' | 'B';
}

const DEFAULTS = {
  maxRegistrations: 41,
  subscribePacingMs: 50,
  ackTimeoutMs: 5_000,
  subscribeRetries: 3,
  reconnectDelaysMs: [1_000, 2_000, 4_000, 8_000, 16_000],
  livenessTimeoutMs: 60_000,
  delayWarnMs: 1_000,
  delayAlertMs: 5_000,
};

function subKey(trId: string, trKey: string): string {
  return `${trId}|${trKey}`;
}

export class KisWsClient {
  private readonly o: KisWsClientOptions & typeof DEFAULTS;
  private ws: WebSocket | undefined;
  private state: WsClientState = 'IDLE';
  private readonly subs = new Map<string, SubscriptionInfo>();
  private readonly keys = new Map<string, KisAesKey>();
  private readonly ackWaiters = new Map<string, { resolve: (c: KisWsControl | undefined) => void; timer: TimerHandle }>();
  private failures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private livenessTimer: TimerHandle | undefined;
  private lastFrameAt: UnixMillis | undefined;
  private connectedOnce = false;
  private subscribing: Promise<void> = Promise.resolve();
  private generation = 0;
  private lastDelayLevel: 'ok' | 'warning' | 'alert' = 'ok';
  private lastDelayReportAt = -Infinity;

  constructor(options: KisWsClientOptions) {
    this.o = { ...DEFAULTS, ...options } as KisWsClientOptions & typeof DEFAULTS;
  }

  /** Current state, subscriptions and the time of the last frame. */
  status(): { state: WsClientState; subscriptions: SubscriptionInfo[]; lastFrameAt: UnixMillis | undefined; failures: number } {
    return {
      state: this.state,
      subscriptions: [...this.subs.values()].map((s) => ({ ...s })),
      lastFrameAt: this.lastFrameAt,
      failures: this.failures,
    };
  }

  /** Connects (resolves once the socket is open and the first subscription pass has run). */
  async start(): Promise<void> {
    if (this.state !== 'IDLE' && this.state !== 'STOPPED') return;
    await this.connect();
  }

  /** Leaves sleep mode (or a stopped state) and connects again with a fresh backoff schedule. */
  async restart(): Promise<void> {
    this.reconnectTimer?.cancel();
    this.failures = 0;
    this.teardownSocket();
    await this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  async close(): Promise<void> {
    this.state = 'STOPPED';
    this.reconnectTimer?.cancel();
    this.livenessTimer?.cancel();
    for (const w of this.ackWaiters.values()) {
      w.timer.cancel();
      w.resolve(undefined);
    }
    this.ackWaiters.clear();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'client closing');
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000);
        t.unref();
      });
    }
  }

  /**
   * Adds a subscription (tr_type 1). Within the budget it is registered now (when connected) and after
   * every reconnect; beyond the budget it is kept as OVER_BUDGET and reported. Higher priorities
   * displace lower ones on the next pass.
   */
  subscribe(trId: string, trKey: string, priority: SubscriptionPriority): void {
    const k = subKey(trId, trKey);
    if (!this.subs.has(k)) this.subs.set(k, { trId, trKey, priority, state: 'PENDING', attempts: 0, lastMsgCd: '' });
    if (this.state === 'OPEN') this.queueSubscriptionPass();
  }

  /** Removes a subscription (tr_type 2). */
  unsubscribe(trId: string, trKey: string): void {
    const k = subKey(trId, trKey);
    const s = this.subs.get(k);
    if (!s) return;
    this.subs.delete(k);
    if (s.state === 'ACTIVE' && this.ws?.readyState === WebSocket.OPEN) this.send(trId, trKey, '2');
    if (this.state === 'OPEN') this.queueSubscriptionPass();
  }

  /** Unsubscribes everything (end of day) without closing. */
  unsubscribeAll(): void {
    for (const s of [...this.subs.values()]) this.unsubscribe(s.trId, s.trKey);
  }

  private signal(s: WsClientSignal): void {
    try {
      this.o.onSignal?.(s);
    } catch (e) {
      this.o.logger.error({ err: e }, 'signal handler failed');
    }
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.state = this.connectedOnce ? 'RECONNECTING' : 'CONNECTING';
    let key: string;
    try {
      key = await this.o.approvalKey();
    } catch (e) {
      this.o.logger.warn({ err: (e as Error).message }, 'approval key request failed');
      this.onConnectFailure(gen);
      return;
    }
    const ws = new WebSocket(this.o.url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('error', (err) => {
        this.o.logger.warn({ url: this.o.url, err: err.message }, 'websocket connect failed');
        resolve(false);
      });
      ws.once('unexpected-response', (_req, res) => {
        this.o.logger.warn({ url: this.o.url, status: res.statusCode }, 'websocket upgrade refused');
        resolve(false);
      });
    });
    if (gen !== this.generation || (this.state as WsClientState) === 'STOPPED') {
      ws.terminate();
      return;
    }
    if (!opened) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      this.onConnectFailure(gen);
      return;
    }
    ws.on('message', (data, isBinary) => this.enqueueFrame(isBinary ? data.toString() : data.toString()));
    ws.on('close', (code, reason) => this.onClose(gen, code, reason.toString()));
    ws.on('error', (err) => this.o.logger.warn({ err: err.message }, 'websocket error'));
    const wasReconnect = this.connectedOnce;
    this.connectedOnce = true;
    this.state = 'OPEN';
    this.failures = 0;
    this.approvalKeyValue = key;
    this.lastFrameAt = this.o.clock.now();
    this.keys.clear();
    this.signal({ type: 'connected', attempt: this.failures });
    this.armLiveness();
    for (const s of this.subs.values()) {
      if (s.state !== 'REFUSED') {
        s.state = 'PENDING';
        s.attempts = 0;
      }
    }
    this.queueSubscriptionPass();
    await this.subscribing;
    if (wasReconnect) {
      this.signal({ type: 'resubscribed', count: [...this.subs.values()].filter((s) => s.state === 'ACTIVE').length });
      try {
        await this.o.onReconnected?.();
      } catch (e) {
        this.o.logger.error({ err: (e as Error).message }, 'account sync after reconnect failed');
      }
    }
  }

  private approvalKeyValue = '';

  private onConnectFailure(gen: number): void {
    if (gen !== this.generation || this.state === 'STOPPED') return;
    this.failures++;
    const delays = this.o.reconnectDelaysMs;
    if (this.failures > delays.length) {
      this.state = 'SLEEPING';
      this.signal({ type: 'sleeping', failures: this.failures - 1 });
      return;
    }
    const delayMs = delays[this.failures - 1] ?? delays[delays.length - 1] ?? 1_000;
    this.state = 'RECONNECTING';
    this.signal({ type: 'reconnect-scheduled', attempt: this.failures, delayMs });
    this.reconnectTimer = this.o.clock.setTimer(delayMs, () => {
      void this.connect();
    });
  }

  private onClose(gen: number, code: number, reason: string): void {
    if (gen !== this.generation) return;
    this.livenessTimer?.cancel();
    for (const w of this.ackWaiters.values()) {
      w.timer.cancel();
      w.resolve(undefined);
    }
    this.ackWaiters.clear();
    for (const s of this.subs.values()) if (s.state === 'ACTIVE') s.state = 'PENDING';
    if (this.state === 'STOPPED' || this.state === 'SLEEPING') return;
    this.signal({ type: 'disconnected', code, reason });
    this.o.logger.warn({ code, reason }, 'websocket closed; reconnecting');
    this.state = 'RECONNECTING';
    // First retry after delays[0]; the failure counter starts at this disconnect.
    this.onConnectFailure(gen);
  }

  private teardownSocket(): void {
    this.generation++;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }

  /** Forces a reconnect (used by the liveness check). */
  private forceReconnect(): void {
    const gen = this.generation;
    this.teardownSocket();
    this.livenessTimer?.cancel();
    for (const s of this.subs.values()) if (s.state === 'ACTIVE') s.state = 'PENDING';
    this.state = 'RECONNECTING';
    this.failures = 0;
    this.generation = gen + 1;
    this.onConnectFailure(this.generation);
  }

  private armLiveness(): void {
    this.livenessTimer?.cancel();
    const limit = this.o.livenessTimeoutMs;
    if (!limit) return;
    const check = (): void => {
      if (this.state !== 'OPEN') return;
      const silent = this.o.clock.now() - (this.lastFrameAt ?? this.o.clock.now());
      if (silent >= limit && (this.o.isMarketHours?.() ?? true)) {
        this.signal({ type: 'stale', silentMs: silent });
        this.o.logger.warn({ silentMs: silent }, 'no frame received within the liveness window; reconnecting');
        this.forceReconnect();
        return;
      }
      this.livenessTimer = this.o.clock.setTimer(Math.max(250, limit / 4), check);
    };
    this.livenessTimer = this.o.clock.setTimer(Math.max(250, limit / 4), check);
  }

  private send(trId: string, trKey: string, trType: '1' | '2'): void {
    const msg = {
      header: { approval_key: this.approvalKeyValue, custtype: this.o.custtype ?? 'P', tr_type: trType, 'content-type': 'utf-8' },
      body: { input: { tr_id: trId, tr_key: trKey } },
    };
    this.ws?.send(JSON.stringify(msg));
  }

  private queueSubscriptionPass(): void {
    this.subscribing = this.subscribing.then(() => this.subscriptionPass()).catch((e: unknown) => {
      this.o.logger.error({ err: (e as Error).message }, 'subscription pass failed');
    });
  }

  /** Registers what fits the budget in priority order; marks the rest OVER_BUDGET. */
  private async subscriptionPass(): Promise<void> {
    const ordered = [...this.subs.values()]
      .filter((s) => s.state !== 'REFUSED' && s.state !== 'FAILED')
      .sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
    let budget = this.o.maxRegistrations;
    for (const s of ordered) {
      if (this.state !== 'OPEN') return;
      if (budget <= 0) {
        if (s.state === 'ACTIVE' && this.ws?.readyState === WebSocket.OPEN) this.send(s.trId, s.trKey, '2');
        if (s.state !== 'OVER_BUDGET') {
          s.state = 'OVER_BUDGET';
          this.signal({ type: 'subscription-skipped', trId: s.trId, trKey: s.trKey, reason: 'OVER_BUDGET', msgCd: '' });
          this.o.logger.warn({ trId: s.trId, trKey: s.trKey }, 'subscription over the registration budget; skipped');
        }
        continue;
      }
      budget--;
      if (s.state === 'ACTIVE') continue;
      s.state = 'PENDING';
      await this.registerOne(s);
    }
  }

  private async registerOne(s: SubscriptionInfo): Promise<void> {
    const retries = this.o.subscribeRetries;
    while (this.state === 'OPEN' && this.subs.get(subKey(s.trId, s.trKey)) === s) {
      s.attempts++;
      const k = subKey(s.trId, s.trKey);
      const ack = new Promise<KisWsControl | undefined>((resolve) => {
        const timer = this.o.clock.setTimer(this.o.ackTimeoutMs, () => {
          this.ackWaiters.delete(k);
          resolve(undefined);
        });
        this.ackWaiters.set(k, { resolve, timer });
      });
      this.send(s.trId, s.trKey, '1');
      const pacing = this.o.clock.sleep(this.o.subscribePacingMs);
      const reply = await ack;
      await pacing;
      if (reply && (reply.msgCd === 'OPSP0000' || reply.msgCd === 'OPSP0002')) {
        s.state = 'ACTIVE';
        s.lastMsgCd = reply.msgCd;
        return;
      }
      s.lastMsgCd = reply?.msgCd ?? 'TIMEOUT';
      if (reply?.msgCd === 'OPSP0008') {
        s.state = 'OVER_BUDGET';
        this.signal({ type: 'subscription-skipped', trId: s.trId, trKey: s.trKey, reason: 'OVER_BUDGET', msgCd: reply.msgCd });
        this.o.logger.warn({ trId: s.trId, trKey: s.trKey, msgCd: reply.msgCd }, 'venue refused: registration limit; symbol skipped');
        return;
      }
      if (reply?.msgCd === 'OPSP8996') {
        // Another session holds this app key: nothing we resend will help.
        this.signal({ type: 'session-in-use', message: reply.msg1 });
        this.o.logger.error({ msgCd: reply.msgCd, msg1: reply.msg1 }, 'the app key is already in use by another WebSocket session; stopping');
        void this.close();
        return;
      }
      if (s.attempts > retries) {
        s.state = 'FAILED';
        this.signal({ type: 'subscription-skipped', trId: s.trId, trKey: s.trKey, reason: 'FAILED', msgCd: s.lastMsgCd });
        this.o.logger.warn({ trId: s.trId, trKey: s.trKey, msgCd: s.lastMsgCd, attempts: s.attempts }, 'subscription failed; skipped, monitoring goes on');
        return;
      }
    }
  }

  /** Frames received and not handled yet (see `enqueueFrame`), and the index of the next one. */
  private readonly frames: string[] = [];
  private frameHead = 0;
  private frameScheduled = false;

  /**
   * Hands frames over one microtask at a time instead of all in the socket read that carried them.
   * One read can hold hundreds of frames (the compressed open: 5,000+ ticks/s); handled in one go, an
   * exit triggered by the first would wait for all the others before its order's continuations (the
   * intent save, the send) could run. Each frame is handled in its own microtask, queued after the
   * work the previous one queued, so an order path interleaves with at most one frame per step.
   * Frames keep their order; nothing waits for I/O or a timer.
   */
  private enqueueFrame(raw: string): void {
    this.frames.push(raw);
    if (!this.frameScheduled) {
      this.frameScheduled = true;
      queueMicrotask(this.nextFrame);
    }
  }

  private readonly nextFrame = (): void => {
    if (this.frameHead >= this.frames.length) {
      this.frames.length = 0;
      this.frameHead = 0;
      this.frameScheduled = false;
      return;
    }
    const raw = this.frames[this.frameHead++]!;
    try {
      this.onMessage(raw);
    } catch (err) {
      this.o.logger.error({ err }, 'frame handling failed; frame skipped');
    } finally {
      if (this.frameHead < this.frames.length) queueMicrotask(this.nextFrame);
      else {
        this.frames.length = 0;
        this.frameHead = 0;
        this.frameScheduled = false;
      }
    }
  };

  private onMessage(raw: string): void {
    const now = this.o.clock.now();
    this.lastFrameAt = now;
    let frame;
    try {
      frame = parseKisWsFrame(raw, (trId) => this.keys.get(trId));
    } catch (e) {
      if (e instanceof KisWsFrameError) {
        this.o.logger.warn({ err: e.message, raw: e.context['raw'] }, 'malformed frame skipped');
        this.signal({ type: 'malformed-frame', message: e.message, raw });
        return;
      }
      throw e;
    }
    if (frame.kind === 'pingpong') {
      this.ws?.send(frame.raw);
      return;
    }
    if (frame.kind === 'control') {
      if (frame.key && frame.iv) this.keys.set(frame.trId, { key: frame.key, iv: frame.iv });
      if (frame.msgCd === 'OPSP8996') {
        this.signal({ type: 'session-in-use', message: frame.msg1 });
        this.o.logger.error({ msgCd: frame.msgCd, msg1: frame.msg1 }, 'the app key is already in use by another WebSocket session; stopping');
        void this.close();
        return;
      }
      const k = subKey(frame.trId, frame.trKey);
      const waiter = this.ackWaiters.get(k);
      if (waiter) {
        this.ackWaiters.delete(k);
        waiter.timer.cancel();
        waiter.resolve(frame);
      } else if (frame.rtCd !== '0' && frame.msgCd !== 'OPSP0001' && frame.msgCd !== 'OPSP0002') {
        this.o.logger.warn({ trId: frame.trId, trKey: frame.trKey, msgCd: frame.msgCd, msg1: frame.msg1 }, 'unsolicited control message');
      }
      return;
    }
    let events;
    try {
      events = decodeDataFrame(frame, now, raw);
    } catch (e) {
      if (e instanceof KisWsFrameError) {
        this.o.logger.warn({ err: e.message, raw: e.context['raw'] }, 'undecodable frame skipped');
        this.signal({ type: 'malformed-frame', message: e.message, raw });
        return;
      }
      throw e;
    }
    for (const ev of events) {
      if (ev.type === 'TradeTick') this.checkDelay(ev, frame.trId);
      try {
        this.o.onEvent(ev);
      } catch (e) {
        this.o.logger.error({ err: (e as Error).message, trId: frame.trId }, 'event handler failed');
      }
    }
  }

  private checkDelay(t: TradeTick, trId: string): void {
    const delay = t.tsInit - t.tsEvent;
    // HHMMSS has one-second resolution: a print stamped hh:mm:ss can arrive up to 999 ms later legitimately.
    const effective = delay - 999;
    const level = effective > this.o.delayAlertMs ? 'alert' : effective > this.o.delayWarnMs ? 'warning' : 'ok';
    const rank = { ok: 0, warning: 1, alert: 2 } as const;
    const now = this.o.clock.now();
    // Report an escalation at once; the same level again only after a minute (no flood on a noisy feed).
    if (level !== 'ok' && (rank[level] > rank[this.lastDelayLevel] || now - this.lastDelayReportAt >= 60_000)) {
      this.lastDelayReportAt = now;
      this.lastDelayLevel = level;
      this.signal({ type: 'data-delay', level, delayMs: delay, trId, trKey: t.instrumentId });
    } else if (level === 'ok' && now - this.lastDelayReportAt >= 60_000) {
      this.lastDelayLevel = 'ok';
    }
  }

}
