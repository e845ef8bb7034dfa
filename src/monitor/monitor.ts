import { loadIndicators } from '../core/indicators.ts';
import { unixMillis, type UnixMillis } from '../core/brand.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { InvariantError } from '../core/errors.ts';
import { kstDateOf, kstHhmmss, toYyyymmdd, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { KrxCalendar } from '../model/calendar.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import type { ExecutionNotice, MarketStatusUpdate, TradeTick } from '../model/market-data.ts';
import { krw, price, quantity, type Krw } from '../model/money.ts';
import { dailyPriceLimits, type PriceLimits } from '../model/price-limits.ts';
import type { BarReport, OrderStatusReport, PositionStatusReport } from '../model/reports.ts';
import {
  createNotification,
  type DaySummaryPosition,
  type DaySummaryTrade,
  type DeferReason,
  type ExitTrigger,
  type NotificationFields,
  type NotificationType,
  type PauseReason,
} from '../notify/notifications.ts';
import type { Notifier } from '../notify/notifier.ts';
import { attemptFill, TERMINAL_INTENT_STATES, type ExitIntent, type ExitOrderAttempt } from './intent.ts';
import type { ExitIntentStore } from './intent-store.ts';
import { estimateExitPnl, type ExitCostRates } from './pnl.ts';
import type { DailyBarSource, ExitOrderCommand, ExitOrderPort } from './ports.ts';
import {
  atrPeriodsOf,
  dailyAtr,
  evaluateExit,
  exitLevels,
  exitLimitPrice,
  resolveExitRule,
  type ExitDecision,
  type ExitLevels,
  type ExitRule,
  type MonitorConfig,
} from './rules.ts';

/** Dependencies and settings of {@link PositionMonitor}. */
export interface PositionMonitorOptions {
  readonly config: MonitorConfig;
  readonly orders: ExitOrderPort;
  readonly store: ExitIntentStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly calendar: KrxCalendar;
  /** Rates for the PnL estimate of the day summary. */
  readonly costRates: ExitCostRates;
  /** Fetches daily bars for ATR rules when a position appears (optional). */
  readonly dailyBars?: DailyBarSource;
  /** Product kind of an instrument (ETF/ETN/ELW use a flat 5-won tick); default STOCK. */
  readonly kindOf?: (id: InstrumentId) => InstrumentKind;
  /** Id generator for new intents (default `EX<yyyymmdd><hhmmss>-<code>-<SL|TP|TS>-<n>`). */
  readonly newClientOrderId?: (ctx: { readonly instrumentId: InstrumentId; readonly trigger: ExitTrigger; readonly now: UnixMillis }) => string;
  /**
   * Tag put before the sequence number of default ids (`…-SL-<tag><n>`), so ids stay unique in a ledger
   * shared by several nodes or replays of the same day. Default none.
   */
  readonly idTag?: string;
}

/** A watched position as `status()` shows it. */
export interface WatchedPositionStatus {
  readonly instrumentId: InstrumentId;
  readonly name: string;
  /** Shares held and sellable (as last reported). */
  readonly quantity: number;
  readonly sellableQuantity: number;
  /** Average purchase price (won). */
  readonly averagePrice: number;
  /** Last trade price seen (won), 0 when none. */
  readonly lastPrice: number;
  /** Highest trade price since the position was first seen (won). */
  readonly highWaterMark: number;
  /** Current exit levels (won). */
  readonly levels: ExitLevels;
  /** A trigger fired but is held back (halt, VI, market phase). */
  readonly deferredTrigger?: ExitTrigger;
}

/** Snapshot for the CLI and the API. */
export interface MonitorStatus {
  readonly positions: readonly WatchedPositionStatus[];
  readonly pausedInstruments: readonly { readonly instrumentId: InstrumentId; readonly reasons: readonly PauseReason[] }[];
  /** Intents of today plus every unresolved one (copies). */
  readonly intents: readonly ExitIntent[];
  /** When the last trade tick was received (epoch ms). */
  readonly lastTickAt?: UnixMillis;
}

/** The day summary `daySummary()` returns and `endOfDay()` sends. */
export interface MonitorDaySummary {
  readonly date: KstDate;
  readonly trades: readonly DaySummaryTrade[];
  /** Sum of the trades' realised PnL (won). */
  readonly realizedPnl: Krw;
  /** Wins / trades, 0..1; undefined without trades. */
  readonly winRate?: number;
  readonly openPositions: readonly DaySummaryPosition[];
  readonly unresolvedIntents: number;
}

type Draft<T> = { -readonly [K in keyof T]: T[K] };
type MutableAttempt = Draft<ExitOrderAttempt>;
type MutableIntent = Omit<Draft<ExitIntent>, 'attempts'> & { attempts: MutableAttempt[] };

interface Watch {
  highWaterMark: number;
  queued?: { decision: ExitDecision; reason: DeferReason };
  atrMissingAlerted: boolean;
  nothingSellableAlerted: boolean;
  barsRequested: boolean;
}

interface PauseState {
  halt: boolean;
  vi: boolean;
  haltSince: number;
  viSince: number;
}

interface IntentTimers {
  reprice?: TimerHandle;
  confirm?: TimerHandle;
  recheck?: TimerHandle;
}

/** How often a cancelled order is re-queried until the venue shows it closed, and how many times. */
const CANCEL_RECHECK_MS = 1_000;
const CANCEL_RECHECKS = 5;
/** Venue order times may lag ours slightly; orders this much older than our submit still match. */
const ORDER_SEARCH_SKEW_MS = 60_000;
/**
 * Unmatched execution notices are kept this long (and at most this many), waiting for the submit answer
 * or the order search that names their order. Fills they miss are still learnt from status queries.
 */
const UNMATCHED_NOTICE_TTL_MS = 600_000;
const UNMATCHED_NOTICE_MAX = 1_000;

const TRIGGER_TAG: Readonly<Record<ExitTrigger, string>> = { STOP_LOSS: 'SL', TAKE_PROFIT: 'TP', TRAILING_STOP: 'TS' };

function dispositionOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'disposition' in err) {
    const d = (err as { disposition: unknown }).disposition;
    return typeof d === 'string' ? d : undefined;
  }
  return undefined;
}

function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c = (err as { code: unknown }).code;
    if (typeof c === 'string') return c;
  }
  return 'UNKNOWN_ERROR';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Real-time position monitor: watches held positions, fires stop-loss / take-profit / trailing-stop
 * exits and drives each exit order to an outcome. It decides; the execution client (behind
 * `ExitOrderPort`) sends.
 *
 * Safety rules, in order of importance:
 * 1. At most one active exit per instrument; an intent is persisted before its order is sent; after a
 *    restart a persisted intent is resumed, never re-decided or re-sent. After an exit ends (filled,
 *    rejected, exhausted) the same position (same average price) is not exited again the same session.
 * 2. Sell quantity = min(held, sellable) shares at the decision; a reprice sells only what is left
 *    after the previous order was confirmed closed by a REST query, capped by the latest holding.
 * 3. A submit whose outcome is unknown is never resent: the intent becomes UNKNOWN, a REST search
 *    after the confirm timeout adopts the order if exactly one matches, else a human is alerted.
 * 4. Orders go out only in continuous trading (and in the closing auction if configured), and never
 *    for an instrument paused by a halt or a VI; triggers meanwhile are queued and re-checked on
 *    resumption.
 *
 * Inputs are plain method calls from the data and execution clients; all timing uses the injected
 * clock. Event handlers never throw: internal failures are logged and raised as `SystemAlert`s.
 */
export class PositionMonitor {
  readonly #config: MonitorConfig;
  /** Each instrument's exit rule and its ATR periods, resolved once (the configuration does not change). */
  readonly #rules = new Map<InstrumentId, { rule: ExitRule; atrPeriods: number[] }>();
  readonly #orders: ExitOrderPort;
  readonly #store: ExitIntentStore;
  readonly #notifier: Notifier;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #calendar: KrxCalendar;
  readonly #rates: ExitCostRates;
  readonly #dailyBars: DailyBarSource | undefined;
  readonly #kindOf: (id: InstrumentId) => InstrumentKind;
  readonly #newId: (ctx: { instrumentId: InstrumentId; trigger: ExitTrigger; now: UnixMillis }) => string;
  readonly #idTag: string;

  #positions = new Map<InstrumentId, PositionStatusReport>();
  readonly #watch = new Map<InstrumentId, Watch>();
  readonly #lastTicks = new Map<InstrumentId, TradeTick>();
  readonly #limits = new Map<InstrumentId, PriceLimits>();
  readonly #atr = new Map<InstrumentId, Record<number, number>>();
  readonly #bars = new Map<InstrumentId, BarReport[]>();
  readonly #pause = new Map<InstrumentId, PauseState>();
  readonly #intents = new Map<string, MutableIntent>();
  readonly #byVenueOrderId = new Map<string, { intent: MutableIntent; attempt: MutableAttempt }>();
  readonly #unmatched = new Map<string, { at: number; notices: ExecutionNotice[] }>();
  readonly #timers = new Map<string, IntentTimers>();
  readonly #chains = new Map<string, Promise<void>>();
  /** Intents whose reprice or resubmission waits for trading to resume (or for a price). */
  readonly #due = new Set<string>();
  readonly #saveBlockedUntil = new Map<InstrumentId, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #lastTickAt: UnixMillis | undefined;
  #startedAt = 0;
  #dataDelayedAlerted = false;
  #watchdog: TimerHandle | undefined;
  #seq = 0;
  #started = false;
  /** Persisted intents are loaded: until then nothing is evaluated (a trigger could duplicate one). */
  #loaded = false;
  #stopped = false;

  constructor(opts: PositionMonitorOptions) {
    this.#config = opts.config;
    this.#orders = opts.orders;
    this.#store = opts.store;
    this.#notifier = opts.notifier;
    this.#clock = opts.clock;
    this.#log = opts.logger;
    this.#calendar = opts.calendar;
    this.#rates = opts.costRates;
    this.#dailyBars = opts.dailyBars;
    this.#kindOf = opts.kindOf ?? (() => 'STOCK');
    this.#newId = opts.newClientOrderId ?? ((ctx) => this.#defaultId(ctx));
    this.#idTag = opts.idTag ?? '';
  }

  // -------------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------------

  /**
   * Loads persisted intents and resumes the unresolved ones without sending anything new: a working
   * order is watched again (notices, reprice and confirm timers); an intent caught mid-submit becomes
   * UNKNOWN and is searched by REST after the confirm timeout; an UNCONFIRMED one is checked again the
   * same way (and alerts again if still unresolved). Call once. Events fed before `start`
   * resolves are recorded (positions, prices, halts) but no exit is evaluated until the intents are
   * loaded; the positions are evaluated once right after.
   * @throws IntentStoreError(INTENT_STORE_CORRUPT) from the store: do not trade then
   * @throws InvariantError(MONITOR_ALREADY_STARTED) on a second call
   */
  async start(): Promise<void> {
    if (this.#started) throw new InvariantError('MONITOR_ALREADY_STARTED', 'PositionMonitor.start() was called twice');
    this.#started = true;
    this.#startedAt = this.#clock.now();
    // The ATR needs the indicator library: loaded only when some rule uses the ATR.
    const usesAtr = atrPeriodsOf(this.#config.default).length > 0 || Object.keys(this.#config.instruments).some((id) => this.#resolved(id as InstrumentId).atrPeriods.length > 0);
    if (usesAtr) await loadIndicators();
    const loaded = await this.#store.load();
    for (const raw of loaded) {
      const intent = raw as MutableIntent;
      this.#intents.set(intent.clientOrderId, intent);
      for (const a of intent.attempts) if (a.venueOrderId !== undefined) this.#byVenueOrderId.set(a.venueOrderId, { intent, attempt: a });
      const n = /-(\d+)$/.exec(intent.clientOrderId);
      if (n) this.#seq = Math.max(this.#seq, Number(n[1]));
    }
    for (const intent of this.#intents.values()) {
      if (!this.#isTerminal(intent)) this.#enqueue(intent, 'resume', () => this.#resume(intent));
    }
    this.#loaded = true;
    this.#armWatchdog();
    this.#log.info({ intents: loaded.length }, 'position monitor started');
    // Ticks seen before the intents were loaded were recorded but not evaluated: evaluate them now.
    for (const id of this.#positions.keys()) this.#guard('start', () => this.#consider(id));
  }

  /** Stops timers; later events are ignored. In-flight work finishes. */
  stop(): void {
    this.#stopped = true;
    this.#watchdog?.cancel();
    for (const t of this.#timers.values()) {
      t.reprice?.cancel();
      t.confirm?.cancel();
      t.recheck?.cancel();
    }
    this.#timers.clear();
  }

  /** Resolves when every piece of asynchronous work started so far has finished (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  // -------------------------------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------------------------------

  /**
   * Replaces the set of held positions (a full balance snapshot). Positions with quantity 0 are
   * ignored. A newly seen position starts its high-water mark at its reported last price; a position
   * that disappears stops being watched (its intents remain).
   */
  setPositions(reports: readonly PositionStatusReport[]): void {
    if (this.#stopped) return;
    const next = new Map<InstrumentId, PositionStatusReport>();
    for (const r of reports) if (r.quantity > 0) next.set(r.instrumentId, r);
    for (const id of [...this.#watch.keys()]) if (!next.has(id)) this.#watch.delete(id);
    for (const [id, r] of next) {
      if (!this.#watch.has(id)) {
        this.#watch.set(id, {
          highWaterMark: r.lastPrice > 0 ? r.lastPrice : 0,
          atrMissingAlerted: false,
          nothingSellableAlerted: false,
          barsRequested: false,
        });
      }
    }
    this.#positions = next;
    for (const id of next.keys()) this.#requestBarsIfNeeded(id);
  }

  /**
   * Completed daily bars of an instrument for ATR rules (any order; bars dated today or later are
   * ignored, since today's bar is not complete).
   */
  onDailyBars(instrumentId: InstrumentId, bars: readonly BarReport[]): void {
    if (this.#stopped) return;
    const today = this.#today();
    const done = bars.filter((b) => b.date < today).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    this.#bars.set(instrumentId, done);
    this.#recomputeAtr(instrumentId);
  }

  /** Explicit daily price limits (e.g. from a quote report); otherwise they are derived from ticks (price − change). */
  setPriceLimits(instrumentId: InstrumentId, limits: PriceLimits): void {
    this.#limits.set(instrumentId, limits);
  }

  /**
   * A trade print. Updates the last price and high-water mark, applies the halt / VI signal it
   * carries (`halted`, `hourClass === 'C'`), and evaluates the exit rule of a held position.
   */
  onTradeTick(t: TradeTick): void {
    if (this.#stopped) return;
    this.#guard('onTradeTick', () => {
      this.#lastTicks.set(t.instrumentId, t);
      this.#lastTickAt = this.#clock.now();
      this.#dataDelayedAlerted = false;
      const w = this.#watch.get(t.instrumentId);
      if (w && t.price > w.highWaterMark) w.highWaterMark = t.price;
      this.#applyPauseSignal(t.instrumentId, t.halted, t.hourClass === 'C');
      this.#consider(t.instrumentId);
    });
  }

  /** A market status change: `halted` or `viActive` pauses order submission for the instrument; both false resumes it. */
  onMarketStatus(u: MarketStatusUpdate): void {
    if (this.#stopped) return;
    this.#guard('onMarketStatus', () => this.#applyPauseSignal(u.instrumentId, u.halted, u.viActive));
  }

  /**
   * An execution notice. Fills of our orders (matched by venue order number) count toward the intent;
   * a notice that arrives before the submit answer is held until the answer names its order.
   */
  onExecutionNotice(n: ExecutionNotice): void {
    if (this.#stopped) return;
    this.#guard('onExecutionNotice', () => this.#applyNotice(n));
  }

  // -------------------------------------------------------------------------------------------------
  // Queries and commands for the CLI / app
  // -------------------------------------------------------------------------------------------------

  /** Current state for the CLI: watched positions with their levels, paused instruments, intents, last tick time. */
  status(): MonitorStatus {
    const today = this.#today();
    const positions: WatchedPositionStatus[] = [];
    for (const [id, p] of this.#positions) {
      const w = this.#watch.get(id);
      const rule = this.#ruleOf(id);
      const hwm = w?.highWaterMark ?? 0;
      positions.push({
        instrumentId: id,
        name: p.name,
        quantity: p.quantity,
        sellableQuantity: p.sellableQuantity,
        averagePrice: p.averagePrice,
        lastPrice: this.#lastTicks.get(id)?.price ?? p.lastPrice,
        highWaterMark: hwm,
        levels: exitLevels(p, { highWaterMark: hwm, atr: this.#atr.get(id) ?? {} }, rule),
        ...(w?.queued ? { deferredTrigger: w.queued.decision.trigger } : {}),
      });
    }
    const pausedInstruments = [...this.#pause.entries()]
      .filter(([, s]) => s.halt || s.vi)
      .map(([instrumentId, s]) => ({ instrumentId, reasons: [...(s.halt ? ['HALT' as const] : []), ...(s.vi ? ['VI' as const] : [])] }));
    const intents = [...this.#intents.values()]
      .filter((i) => i.sessionDate === today || !this.#isTerminal(i))
      .map((i) => structuredClone(i) as ExitIntent);
    return { positions, pausedInstruments, intents, ...(this.#lastTickAt !== undefined ? { lastTickAt: this.#lastTickAt } : {}) };
  }

  /**
   * Exits of a session with their estimated realised PnL: (fill value − average price × shares) −
   * sell commission − sell tax, each fee rounded by `feeOf` (the buy commission is not included: KIS
   * average prices exclude it). Partially filled exits count with the shares sold.
   * @param date KST session date (default: today)
   */
  daySummary(date: KstDate = this.#today()): MonitorDaySummary {
    const trades: DaySummaryTrade[] = [];
    for (const i of this.#intents.values()) {
      if (i.sessionDate !== date || i.filledQuantity <= 0) continue;
      const { commission, tax, realizedPnl } = estimateExitPnl(i, this.#rates);
      trades.push({
        instrumentId: i.instrumentId,
        clientOrderId: i.clientOrderId,
        trigger: i.trigger,
        quantity: i.filledQuantity,
        averageFillPrice: i.filledValue / i.filledQuantity,
        averagePrice: i.averagePrice,
        commission,
        tax,
        realizedPnl,
      });
    }
    const realizedPnl = krw(trades.reduce((s, t) => s + t.realizedPnl, 0));
    const wins = trades.filter((t) => t.realizedPnl > 0).length;
    const openPositions: DaySummaryPosition[] = [...this.#positions.values()].map((p) => ({
      instrumentId: p.instrumentId,
      name: p.name,
      quantity: p.quantity,
      averagePrice: p.averagePrice,
      lastPrice: this.#lastTicks.get(p.instrumentId)?.price ?? p.lastPrice,
    }));
    const unresolvedIntents = [...this.#intents.values()].filter((i) => !this.#isTerminal(i)).length;
    return {
      date,
      trades,
      realizedPnl,
      ...(trades.length > 0 ? { winRate: wins / trades.length } : {}),
      openPositions,
      unresolvedIntents,
    };
  }

  /**
   * Sends the `DaySummary` notification of today, then `MonitorSleeping` until the next session opens.
   * @returns the summary sent
   */
  endOfDay(): MonitorDaySummary {
    const s = this.daySummary();
    this.#notify('DaySummary', {
      date: s.date,
      trades: s.trades,
      realizedPnl: s.realizedPnl,
      ...(s.winRate !== undefined ? { winRate: s.winRate } : {}),
      openPositions: s.openPositions,
      unresolvedIntents: s.unresolvedIntents,
    });
    let until: UnixMillis | undefined;
    try {
      const next = this.#calendar.session(this.#calendar.nextTradingDay(s.date));
      until = next?.open;
    } catch (err) {
      this.#log.warn({ err }, 'cannot find the next session for the sleep notice');
    }
    this.#notify('MonitorSleeping', { reason: 'session ended', ...(until !== undefined ? { until } : {}) });
    return s;
  }

  /**
   * Closes an unresolved intent by hand (after a human checked the account): it becomes ABANDONED, its
   * timers stop, and it no longer blocks exits of the instrument (the same position may exit again
   * the same session). Any order still at the venue is NOT cancelled.
   * @returns false when no such unresolved intent exists
   */
  async abandonIntent(clientOrderId: string, reason: string): Promise<boolean> {
    const intent = this.#intents.get(clientOrderId);
    if (!intent || this.#isTerminal(intent)) return false;
    this.#clearTimers(intent);
    this.#due.delete(intent.clientOrderId);
    intent.state = 'ABANDONED';
    intent.note = `abandoned by operator: ${reason}`;
    await this.#persist(intent);
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Triggers
  // -------------------------------------------------------------------------------------------------

  #resolved(id: InstrumentId): { rule: ExitRule; atrPeriods: number[] } {
    let r = this.#rules.get(id);
    if (r === undefined) {
      const rule = resolveExitRule(this.#config, id);
      r = { rule, atrPeriods: atrPeriodsOf(rule) };
      this.#rules.set(id, r);
    }
    return r;
  }

  #ruleOf(id: InstrumentId): ExitRule {
    return this.#resolved(id).rule;
  }

  #consider(id: InstrumentId): void {
    if (!this.#loaded) return;
    this.#runDue(id);
    const pos = this.#positions.get(id);
    const w = this.#watch.get(id);
    const tick = this.#lastTicks.get(id);
    if (!pos || !w || !tick) return;
    if (this.#blocked(id, pos)) {
      w.queued = undefined;
      return;
    }
    const { rule, atrPeriods } = this.#resolved(id);
    const atr = this.#atr.get(id) ?? {};
    const missing = atrPeriods.length === 0 ? atrPeriods : atrPeriods.filter((p) => atr[p] === undefined);
    if (missing.length > 0 && !w.atrMissingAlerted) {
      w.atrMissingAlerted = true;
      this.#notify('SystemAlert', {
        code: 'ATR_UNAVAILABLE',
        message: 'no daily ATR for an ATR rule: those levels are inactive',
        instrumentId: id,
        context: { periods: missing.join(','), bars: this.#bars.get(id)?.length ?? 0 },
      });
    }
    const decision = evaluateExit(pos, tick, { highWaterMark: w.highWaterMark, atr }, rule);
    if (!decision) {
      if (w.queued) {
        this.#log.info({ instrumentId: id, trigger: w.queued.decision.trigger, price: tick.price }, 'deferred exit withdrawn: no longer valid');
        this.#notify('SystemAlert', {
          code: 'EXIT_TRIGGER_WITHDRAWN',
          message: 'a deferred exit is no longer valid and was dropped',
          instrumentId: id,
          priority: 'normal',
          context: { trigger: w.queued.decision.trigger, price: tick.price },
        });
        w.queued = undefined;
      }
      return;
    }
    const defer = this.#deferReason(id);
    if (defer) {
      if (!w.queued) {
        this.#notify('ExitTriggered', {
          instrumentId: id,
          name: pos.name,
          trigger: decision.trigger,
          reference: decision.reference,
          threshold: decision.threshold,
          averagePrice: pos.averagePrice,
          quantity: Math.min(pos.quantity, pos.sellableQuantity),
          deferredBy: defer,
        });
      }
      w.queued = { decision, reason: defer };
      return;
    }
    w.queued = undefined;
    this.#startExit(pos, w, tick, decision, rule);
  }

  /** True when no new exit may start for the instrument (see class doc, rule 1). */
  #blocked(id: InstrumentId, pos: PositionStatusReport): boolean {
    const today = this.#today();
    for (const i of this.#intents.values()) {
      if (i.instrumentId !== id) continue;
      if (!this.#isTerminal(i)) return true;
      // One automatic exit per position per session; a human's ABANDONED does not count.
      if (i.sessionDate === today && i.averagePrice === pos.averagePrice && i.state !== 'ABANDONED') return true;
    }
    return (this.#saveBlockedUntil.get(id) ?? 0) > this.#clock.now();
  }

  #startExit(pos: PositionStatusReport, w: Watch, tick: TradeTick, decision: ExitDecision, rule: ExitRule): void {
    const id = pos.instrumentId;
    const qty = Math.min(pos.quantity, pos.sellableQuantity);
    if (!(qty > 0)) {
      if (!w.nothingSellableAlerted) {
        w.nothingSellableAlerted = true;
        this.#notify('SystemAlert', {
          code: 'EXIT_NOTHING_SELLABLE',
          message: 'an exit fired but no shares are sellable',
          instrumentId: id,
          context: { trigger: decision.trigger, held: pos.quantity, sellable: pos.sellableQuantity },
        });
      }
      return;
    }
    if (qty < pos.quantity) this.#log.warn({ instrumentId: id, held: pos.quantity, sellable: pos.sellableQuantity }, 'selling only the sellable shares');
    const now = this.#clock.now();
    const clientOrderId = this.#newId({ instrumentId: id, trigger: decision.trigger, now });
    if (this.#intents.has(clientOrderId)) throw new InvariantError('CLIENT_ORDER_ID_DUPLICATE', `client order id ${clientOrderId} is already used`);
    const attempt = this.#newAttempt(clientOrderId, id, rule, tick, qty);
    const intent: MutableIntent = {
      version: 1,
      clientOrderId,
      instrumentId: id,
      name: pos.name,
      sessionDate: this.#today(),
      trigger: decision.trigger,
      reference: decision.reference,
      threshold: decision.threshold,
      averagePrice: pos.averagePrice,
      positionQuantity: pos.quantity,
      quantity: qty,
      state: 'PENDING_SUBMIT',
      attempts: [attempt],
      filledQuantity: 0,
      filledValue: 0,
      repricesExhausted: false,
      createdAt: now,
      updatedAt: now,
    };
    // Registered synchronously: every later tick of the storm sees it and is blocked.
    this.#intents.set(clientOrderId, intent);
    this.#log.warn({ instrumentId: id, clientOrderId, trigger: decision.trigger, reference: decision.reference, threshold: decision.threshold, quantity: qty }, 'exit triggered');
    this.#notify('ExitTriggered', {
      instrumentId: id,
      name: pos.name,
      trigger: decision.trigger,
      reference: decision.reference,
      threshold: decision.threshold,
      averagePrice: pos.averagePrice,
      quantity: qty,
      clientOrderId,
    });
    this.#enqueue(intent, 'submit', async () => {
      const saved = this.#store.save(this.#snapshot(intent));
      if (this.#orders.submitOrderWhenDurable) {
        // The port sends once the intent is durable (and, unless the intent is its write-ahead record,
        // once its own journal write is too); see ExitOrderPort.submitOrderWhenDurable.
        saved.catch(() => undefined);
        await this.#submit(intent, attempt, rule, saved);
        return;
      }
      try {
        await saved;
      } catch (err) {
        this.#intentNotSaved(intent, rule, err);
        return;
      }
      await this.#submit(intent, attempt, rule);
    });
  }

  /** The first save of an exit's intent failed: nothing was sent; a later tick may retry after a pause. */
  #intentNotSaved(intent: MutableIntent, rule: ExitRule, err: unknown): void {
    const id = intent.instrumentId;
    const clientOrderId = intent.clientOrderId;
    this.#intents.delete(clientOrderId);
    this.#saveBlockedUntil.set(id, this.#clock.now() + rule.repriceTimeoutMs);
    this.#log.error({ err, instrumentId: id, clientOrderId }, 'exit intent could not be saved; order not sent');
    this.#notify('SystemAlert', {
      code: 'INTENT_STORE_WRITE_FAILED',
      message: 'exit intent could not be saved; the exit order was NOT sent',
      instrumentId: id,
      clientOrderId,
      priority: 'emergency',
    });
  }

  #newAttempt(clientOrderId: string, id: InstrumentId, rule: ExitRule, tick: TradeTick | undefined, qty: number): MutableAttempt {
    const base: MutableAttempt = {
      clientOrderId,
      orderType: 'MARKET',
      quantity: qty,
      submittedAt: this.#clock.now(),
      status: 'SUBMITTING',
      noticeFilledQuantity: 0,
      noticeFilledValue: 0,
      reportFilledQuantity: 0,
      reportFilledValue: 0,
    };
    if (rule.exitOrder.kind === 'market') return base;
    if (!tick) throw new InvariantError('EXIT_NO_PRICE', `no trade seen for ${id}: cannot price a limit exit`);
    const p = exitLimitPrice(tick.bestBid, tick.price, { ticksThroughBid: rule.exitOrder.ticksThroughBid, kind: this.#kindOf(id) }, this.#limitsOf(id, tick));
    return { ...base, orderType: 'LIMIT', price: p };
  }

  #limitsOf(id: InstrumentId, tick: TradeTick): PriceLimits | undefined {
    const explicit = this.#limits.get(id);
    if (explicit) return explicit;
    const base = tick.price - tick.change;
    if (!Number.isSafeInteger(base) || base <= 0) return undefined;
    return dailyPriceLimits(base, this.#kindOf(id));
  }

  // -------------------------------------------------------------------------------------------------
  // Submitting and following orders
  // -------------------------------------------------------------------------------------------------

  /**
   * Sends `attempt`. `durable` (the first attempt only): the intent save in progress, handed to the
   * port's `submitOrderWhenDurable`; when it fails nothing was sent and the exit is dropped for now.
   */
  async #submit(intent: MutableIntent, attempt: MutableAttempt, rule: ExitRule, durable?: Promise<void>): Promise<void> {
    const cmd: ExitOrderCommand = {
      instrumentId: intent.instrumentId,
      side: 'SELL',
      orderType: attempt.orderType,
      quantity: quantity(attempt.quantity),
      ...(attempt.price !== undefined ? { price: price(attempt.price) } : {}),
      clientOrderId: attempt.clientOrderId,
    };
    attempt.submittedAt = this.#clock.now();
    let ack;
    try {
      ack = durable && this.#orders.submitOrderWhenDurable ? await this.#orders.submitOrderWhenDurable(cmd, durable) : await this.#orders.submitOrder(cmd);
    } catch (err) {
      if (durable) {
        // The intent's first write settles before anything else is written for it. When it failed, the
        // port sent nothing (its contract), whatever else it reports.
        const saveError = await durable.then(
          () => undefined,
          (e: unknown) => ({ e }),
        );
        if (saveError !== undefined) {
          this.#intentNotSaved(intent, rule, saveError.e);
          return;
        }
      }
      const disposition = dispositionOf(err);
      if (disposition === 'rejected') {
        attempt.status = 'REJECTED';
        intent.state = 'REJECTED';
        intent.note = `rejected: code=${codeOf(err)} message=${messageOf(err)}`;
        this.#clearTimers(intent);
        this.#log.error({ err, instrumentId: intent.instrumentId, clientOrderId: attempt.clientOrderId }, 'exit order rejected');
        await this.#persist(intent);
        this.#notify('OrderRejected', { instrumentId: intent.instrumentId, clientOrderId: attempt.clientOrderId, code: codeOf(err), reason: messageOf(err) });
        return;
      }
      // outcome-unknown, or anything we cannot classify: the order may exist. Never resend.
      attempt.status = 'UNKNOWN';
      intent.state = 'UNKNOWN';
      intent.note = `submit outcome unknown: code=${codeOf(err)} disposition=${disposition ?? 'none'} message=${messageOf(err)}`;
      this.#log.error({ err, instrumentId: intent.instrumentId, clientOrderId: attempt.clientOrderId }, 'exit submit outcome unknown; will not resend');
      await this.#persist(intent);
      this.#notify('SystemAlert', {
        code: 'EXIT_SUBMIT_OUTCOME_UNKNOWN',
        message: 'exit order submit outcome unknown; it will not be resent and will be checked by query',
        instrumentId: intent.instrumentId,
        clientOrderId: attempt.clientOrderId,
        context: { errorCode: codeOf(err), quantity: attempt.quantity, checkAfterMs: rule.fillConfirmTimeoutMs },
      });
      this.#armConfirm(intent, rule);
      return;
    }
    attempt.venueOrderId = ack.venueOrderId;
    attempt.branch = ack.branch;
    if (attempt.status === 'SUBMITTING') attempt.status = 'WORKING';
    this.#byVenueOrderId.set(ack.venueOrderId, { intent, attempt });
    if (!this.#isTerminal(intent)) intent.state = 'WORKING';
    await this.#persist(intent);
    this.#notify('ExitOrderSubmitted', {
      instrumentId: intent.instrumentId,
      clientOrderId: intent.clientOrderId,
      orderClientOrderId: attempt.clientOrderId,
      venueOrderId: ack.venueOrderId,
      orderType: attempt.orderType,
      ...(attempt.price !== undefined ? { price: attempt.price } : {}),
      quantity: attempt.quantity,
      attempt: intent.attempts.indexOf(attempt),
    });
    this.#drainUnmatched(ack.venueOrderId);
    if (!this.#isTerminal(intent)) {
      this.#armReprice(intent, rule);
      this.#armConfirm(intent, rule);
    }
  }

  #applyNotice(n: ExecutionNotice): void {
    const direct = this.#byVenueOrderId.get(n.venueOrderId);
    const viaOriginal = n.action !== 'NEW' && n.originalVenueOrderId !== '' ? this.#byVenueOrderId.get(n.originalVenueOrderId) : undefined;
    const match = direct ?? viaOriginal;
    if (!match) {
      this.#bufferUnmatched(n);
      return;
    }
    const { intent, attempt } = match;
    if (n.kind === 'FILLED') {
      if (!direct) return;
      if (n.side !== 'SELL') {
        this.#log.error({ venueOrderId: n.venueOrderId, side: n.side }, 'fill notice of an exit order with side BUY ignored');
        return;
      }
      let q = n.fillQuantity;
      if (!(q > 0)) return;
      const room = attempt.quantity - attempt.noticeFilledQuantity;
      if (q > room) {
        this.#log.error({ clientOrderId: attempt.clientOrderId, venueOrderId: n.venueOrderId, fill: q, room }, 'fill notices exceed the order quantity; capped');
        q = Math.max(0, room);
      }
      attempt.noticeFilledQuantity += q;
      attempt.noticeFilledValue += q * n.fillPrice;
      this.#recomputeFill(intent);
      this.#log.info({ clientOrderId: attempt.clientOrderId, venueOrderId: n.venueOrderId, fillQuantity: q, fillPrice: n.fillPrice, filled: intent.filledQuantity, of: intent.quantity }, 'exit fill');
      if (intent.filledQuantity >= intent.quantity && !this.#isTerminal(intent)) {
        this.#enqueue(intent, 'complete', () => this.#complete(intent));
      } else {
        this.#spawn(this.#persist(intent));
      }
      return;
    }
    // Acknowledgement of our order, or of a cancel of it.
    if (n.rejected && direct && n.action === 'NEW' && !this.#isTerminal(intent) && attempt.status !== 'DONE') {
      attempt.status = 'REJECTED';
      intent.state = 'REJECTED';
      intent.note = 'rejected by the venue after submission (notice)';
      this.#clearTimers(intent);
      this.#spawn(this.#persist(intent));
      this.#notify('OrderRejected', { instrumentId: intent.instrumentId, clientOrderId: attempt.clientOrderId, code: 'VENUE_REFUSED', reason: `venue refused order ${n.venueOrderId}` });
      return;
    }
    this.#log.debug({ clientOrderId: attempt.clientOrderId, venueOrderId: n.venueOrderId, action: n.action, rejected: n.rejected }, 'exit order acknowledgement');
  }

  /** Every share is sold. `confirmedByQuery` when notices alone do not account for the fills. */
  async #complete(intent: MutableIntent): Promise<void> {
    if (this.#isTerminal(intent)) return;
    const confirmedByQuery = intent.attempts.reduce((s, a) => s + a.noticeFilledQuantity, 0) < intent.filledQuantity;
    intent.state = 'FILLED';
    for (const a of intent.attempts) if (a.status === 'WORKING' || a.status === 'CANCEL_REQUESTED') a.status = 'DONE';
    intent.note = confirmedByQuery ? 'filled; confirmed by query' : 'filled';
    this.#clearTimers(intent);
    this.#due.delete(intent.clientOrderId);
    await this.#persist(intent);
    const pnl = estimateExitPnl(intent, this.#rates).realizedPnl;
    this.#log.warn({ instrumentId: intent.instrumentId, clientOrderId: intent.clientOrderId, quantity: intent.filledQuantity, realizedPnl: pnl }, 'exit filled');
    this.#notify('ExitFilled', {
      instrumentId: intent.instrumentId,
      clientOrderId: intent.clientOrderId,
      trigger: intent.trigger,
      quantity: intent.filledQuantity,
      averageFillPrice: intent.filledValue / intent.filledQuantity,
      realizedPnl: pnl,
      confirmedByQuery,
    });
  }

  /** Reprice timer: cancel the remainder of the current order, confirm it closed, resubmit the rest. */
  async #reprice(intent: MutableIntent): Promise<void> {
    if (this.#isTerminal(intent) || intent.state !== 'WORKING') return;
    const rule = this.#ruleOf(intent.instrumentId);
    const attempt = this.#current(intent);
    if (attempt.status !== 'WORKING' || attempt.venueOrderId === undefined) return;
    if (attemptFill(attempt).quantity >= attempt.quantity) return;
    if (intent.attempts.length - 1 >= rule.maxReprices) {
      if (!intent.repricesExhausted) {
        intent.repricesExhausted = true;
        intent.note = `reprices exhausted: maxReprices=${rule.maxReprices}; last order left working`;
        await this.#persist(intent);
        this.#notify('SystemAlert', {
          code: 'EXIT_REPRICES_EXHAUSTED',
          message: 'exit not filled after the maximum number of reprices; the last order is left working',
          instrumentId: intent.instrumentId,
          clientOrderId: intent.clientOrderId,
          context: { maxReprices: rule.maxReprices, filled: intent.filledQuantity, quantity: intent.quantity, venueOrderId: attempt.venueOrderId },
        });
      }
      return;
    }
    if (this.#deferReason(intent.instrumentId)) {
      this.#due.add(intent.clientOrderId);
      return;
    }
    intent.state = 'REPRICING';
    attempt.status = 'CANCEL_REQUESTED';
    intent.note = `repricing: cancelling the remainder of ${attempt.venueOrderId}`;
    await this.#persist(intent);
    try {
      await this.#orders.cancelOrder({
        instrumentId: intent.instrumentId,
        ref: { venueOrderId: attempt.venueOrderId, branch: attempt.branch ?? '' },
        clientOrderId: attempt.clientOrderId,
      });
    } catch (err) {
      // Refused (maybe already filled) or unknown: the status query below decides.
      this.#log.warn({ err, clientOrderId: attempt.clientOrderId, venueOrderId: attempt.venueOrderId }, 'cancel of the exit remainder failed; checking the order');
    }
    await this.#settleAfterCancel(intent, 0);
  }

  /** After a cancel: query the order until it is closed, then resubmit what is left. */
  async #settleAfterCancel(intent: MutableIntent, checks: number): Promise<void> {
    if (this.#isTerminal(intent)) return;
    const rule = this.#ruleOf(intent.instrumentId);
    const attempt = this.#current(intent);
    const q = await this.#queryStatus(intent, attempt);
    if (this.#isTerminal(intent)) return;
    if (q.kind === 'error' || q.kind === 'unknown') {
      await this.#unconfirmed(intent, q.kind === 'error' ? `status query after cancel failed: ${q.message}` : 'the venue does not know the order being cancelled');
      return;
    }
    const report = q.report;
    if (intent.filledQuantity >= intent.quantity) {
      await this.#complete(intent);
      return;
    }
    if (report.remainingQuantity > 0 && !report.canceled) {
      if (checks < CANCEL_RECHECKS) {
        this.#armTimer(intent, 'recheck', CANCEL_RECHECK_MS, 'recheck', () => this.#settleAfterCancel(intent, checks + 1));
        return;
      }
      // The cancel did not take: the order is still working. Leave it and tell a human.
      attempt.status = 'WORKING';
      intent.state = 'WORKING';
      intent.repricesExhausted = true;
      intent.note = `cancel not confirmed after ${checks + 1} checks; order left working`;
      await this.#persist(intent);
      this.#notify('SystemAlert', {
        code: 'EXIT_CANCEL_NOT_CONFIRMED',
        message: 'the remainder of an exit order could not be cancelled for repricing; it is left working',
        instrumentId: intent.instrumentId,
        clientOrderId: attempt.clientOrderId,
        context: { venueOrderId: attempt.venueOrderId ?? '', remaining: report.remainingQuantity },
      });
      this.#armConfirm(intent, rule);
      return;
    }
    attempt.status = 'DONE';
    await this.#submitRemainder(intent);
  }

  /** The current order is closed with shares left: send a new order for them, if allowed. */
  async #submitRemainder(intent: MutableIntent): Promise<void> {
    if (this.#isTerminal(intent)) return;
    const rule = this.#ruleOf(intent.instrumentId);
    const id = intent.instrumentId;
    intent.state = 'REPRICING';
    let remaining = intent.quantity - intent.filledQuantity;
    const held = this.#positions.get(id)?.quantity ?? 0;
    if (remaining > held) {
      this.#log.warn({ instrumentId: id, clientOrderId: intent.clientOrderId, remaining, held }, 'remainder capped at the reported holding');
      remaining = held;
    }
    if (remaining <= 0) {
      await this.#finish(intent, 'EXHAUSTED', `no shares left to sell: filled=${intent.filledQuantity} held=${held}`, 'EXIT_POSITION_GONE');
      return;
    }
    if (intent.attempts.length - 1 >= rule.maxReprices) {
      await this.#finish(intent, 'EXHAUSTED', `reprices exhausted with shares left: remaining=${remaining} maxReprices=${rule.maxReprices}`, 'EXIT_REPRICES_EXHAUSTED');
      return;
    }
    if (intent.sessionDate !== this.#today()) {
      await this.#finish(intent, 'EXPIRED', `the order of session ${intent.sessionDate} ended with shares left: remaining=${remaining}`, 'EXIT_EXPIRED');
      return;
    }
    const defer = this.#deferReason(id);
    if (defer === 'MARKET_PHASE') {
      await this.#finish(intent, 'EXPIRED', `trading hours are over with shares left: remaining=${remaining}`, 'EXIT_EXPIRED');
      return;
    }
    const tick = this.#lastTicks.get(id);
    if (defer || (rule.exitOrder.kind !== 'market' && !tick)) {
      this.#due.add(intent.clientOrderId);
      intent.note = `resubmission waiting: ${defer ?? 'no price yet'}`;
      await this.#persist(intent);
      return;
    }
    this.#due.delete(intent.clientOrderId);
    const attempt = this.#newAttempt(`${intent.clientOrderId}-R${intent.attempts.length}`, id, rule, tick, remaining);
    intent.attempts.push(attempt);
    intent.note = `reprice ${intent.attempts.length - 1}: ${attempt.orderType} ${attempt.price ?? ''} x ${remaining}`.trim();
    try {
      await this.#store.save(this.#snapshot(intent));
    } catch (err) {
      intent.attempts.pop();
      this.#due.add(intent.clientOrderId);
      this.#log.error({ err, clientOrderId: intent.clientOrderId }, 'exit intent could not be saved; reprice not sent');
      this.#notify('SystemAlert', {
        code: 'INTENT_STORE_WRITE_FAILED',
        message: 'exit intent could not be saved; the reprice order was NOT sent',
        instrumentId: id,
        clientOrderId: intent.clientOrderId,
        priority: 'emergency',
      });
      return;
    }
    await this.#submit(intent, attempt, rule);
  }

  /** Confirm timer: no (complete) fill within the timeout. Check the order by REST. */
  async #confirm(intent: MutableIntent): Promise<void> {
    if (this.#isTerminal(intent)) return;
    const attempt = this.#current(intent);
    if (attempt.venueOrderId === undefined) {
      await this.#searchUnknown(intent, attempt);
      return;
    }
    const q = await this.#queryStatus(intent, attempt);
    if (this.#isTerminal(intent)) return;
    if (q.kind === 'error') {
      await this.#unconfirmed(intent, `no fill notice and the status query failed: ${q.message}`);
      return;
    }
    if (q.kind === 'unknown') {
      await this.#unconfirmed(intent, 'no fill notice and the venue does not know the order');
      return;
    }
    if (intent.filledQuantity >= intent.quantity) {
      await this.#complete(intent);
      return;
    }
    const report = q.report;
    if (report.remainingQuantity <= 0 || report.canceled) {
      // Closed at the venue with shares left (cancelled or expired without us): resubmit what is left.
      attempt.status = 'DONE';
      await this.#submitRemainder(intent);
      return;
    }
    await this.#persist(intent);
    if (intent.state === 'WORKING') {
      this.#notify('SystemAlert', {
        code: 'EXIT_NOT_FILLED',
        message: 'the exit order is working at the venue but not (fully) filled',
        instrumentId: intent.instrumentId,
        clientOrderId: attempt.clientOrderId,
        context: { venueOrderId: attempt.venueOrderId, filled: intent.filledQuantity, quantity: intent.quantity, remaining: report.remainingQuantity },
      });
    }
  }

  /** An UNKNOWN submit: look for the order among the instrument's sell orders since the submit. */
  async #searchUnknown(intent: MutableIntent, attempt: MutableAttempt): Promise<void> {
    let reports: OrderStatusReport[];
    try {
      reports = await this.#orders.requestOrders({ instrumentId: intent.instrumentId, side: 'SELL', since: unixMillis(Math.max(0, attempt.submittedAt - ORDER_SEARCH_SKEW_MS)) });
    } catch (err) {
      await this.#unconfirmed(intent, `submit outcome unknown and the order query failed: ${messageOf(err)}`);
      return;
    }
    if (this.#isTerminal(intent) || attempt.venueOrderId !== undefined) return;
    const known = new Set(this.#byVenueOrderId.keys());
    const candidates = reports.filter(
      (r) =>
        r.instrumentId === intent.instrumentId &&
        r.side === 'SELL' &&
        !r.isModifyOrCancel &&
        r.quantity === attempt.quantity &&
        (attempt.price === undefined || r.price === 0 || r.price === attempt.price) &&
        !known.has(r.venueOrderId) &&
        r.tsEvent >= attempt.submittedAt - ORDER_SEARCH_SKEW_MS,
    );
    if (candidates.length !== 1) {
      await this.#unconfirmed(
        intent,
        candidates.length === 0
          ? 'submit outcome unknown and no matching order was found; the order was NOT resent'
          : `submit outcome unknown and ${candidates.length} orders match; the order was NOT resent`,
      );
      return;
    }
    const r = candidates[0] as OrderStatusReport;
    attempt.venueOrderId = r.venueOrderId;
    attempt.branch = r.branch;
    attempt.status = 'WORKING';
    this.#byVenueOrderId.set(r.venueOrderId, { intent, attempt });
    this.#applyReport(intent, attempt, r);
    intent.state = 'WORKING';
    intent.note = `order found by query after an unknown submit: venueOrderId=${r.venueOrderId}`;
    this.#notify('SystemAlert', {
      code: 'EXIT_ORDER_FOUND',
      message: 'the exit order whose submit outcome was unknown was found at the venue',
      instrumentId: intent.instrumentId,
      clientOrderId: attempt.clientOrderId,
      priority: 'normal',
      context: { venueOrderId: r.venueOrderId, filled: r.filledQuantity, quantity: r.quantity },
    });
    this.#drainUnmatched(r.venueOrderId);
    if (intent.filledQuantity >= intent.quantity) {
      await this.#complete(intent);
      return;
    }
    if (r.remainingQuantity <= 0 || r.canceled) {
      attempt.status = 'DONE';
      await this.#submitRemainder(intent);
      return;
    }
    await this.#persist(intent);
    const rule = this.#ruleOf(intent.instrumentId);
    this.#armReprice(intent, rule);
    this.#armConfirm(intent, rule);
  }

  async #queryStatus(
    intent: MutableIntent,
    attempt: MutableAttempt,
  ): Promise<{ kind: 'report'; report: OrderStatusReport } | { kind: 'unknown' } | { kind: 'error'; message: string }> {
    if (attempt.venueOrderId === undefined) return { kind: 'unknown' };
    try {
      const report = await this.#orders.requestOrderStatus({
        venueOrderId: attempt.venueOrderId,
        branch: attempt.branch ?? '',
        instrumentId: intent.instrumentId,
        orderDate: kstDateOf(attempt.submittedAt),
      });
      if (!report) return { kind: 'unknown' };
      this.#applyReport(intent, attempt, report);
      return { kind: 'report', report };
    } catch (err) {
      this.#log.warn({ err, clientOrderId: attempt.clientOrderId, venueOrderId: attempt.venueOrderId }, 'exit order status query failed');
      return { kind: 'error', message: messageOf(err) };
    }
  }

  #applyReport(intent: MutableIntent, attempt: MutableAttempt, r: OrderStatusReport): void {
    const q = Math.min(r.filledQuantity, attempt.quantity);
    if (q >= attempt.reportFilledQuantity) {
      attempt.reportFilledQuantity = q;
      attempt.reportFilledValue = r.filledValue > 0 ? r.filledValue : q * r.averageFillPrice;
    }
    this.#recomputeFill(intent);
  }

  async #unconfirmed(intent: MutableIntent, reason: string): Promise<void> {
    const attempt = this.#current(intent);
    intent.state = 'UNCONFIRMED';
    intent.note = reason;
    this.#clearTimers(intent);
    this.#log.error({ instrumentId: intent.instrumentId, clientOrderId: attempt.clientOrderId, reason }, 'exit outcome unconfirmed');
    await this.#persist(intent);
    this.#notify('ExitFillUnconfirmed', {
      instrumentId: intent.instrumentId,
      clientOrderId: attempt.clientOrderId,
      ...(attempt.venueOrderId !== undefined ? { venueOrderId: attempt.venueOrderId } : {}),
      quantity: intent.quantity,
      filledQuantity: intent.filledQuantity,
      reason,
    });
  }

  async #finish(intent: MutableIntent, state: 'EXHAUSTED' | 'EXPIRED', note: string, code: string): Promise<void> {
    intent.state = state;
    intent.note = note;
    this.#clearTimers(intent);
    this.#due.delete(intent.clientOrderId);
    await this.#persist(intent);
    this.#notify('SystemAlert', {
      code,
      message: `exit ended with shares unsold (${state})`,
      instrumentId: intent.instrumentId,
      clientOrderId: intent.clientOrderId,
      context: { filled: intent.filledQuantity, quantity: intent.quantity },
    });
  }

  /** Resumes a persisted, unresolved intent after a restart. Never sends the same order again. */
  async #resume(intent: MutableIntent): Promise<void> {
    const rule = this.#ruleOf(intent.instrumentId);
    const attempt = this.#current(intent);
    this.#log.warn({ instrumentId: intent.instrumentId, clientOrderId: intent.clientOrderId, state: intent.state, attempt: attempt.status }, 'resuming exit intent');
    switch (attempt.status) {
      case 'SUBMITTING':
      case 'UNKNOWN':
        attempt.status = 'UNKNOWN';
        intent.state = 'UNKNOWN';
        intent.note = 'restarted with the submit outcome unknown; will not resend';
        await this.#persist(intent);
        this.#armConfirm(intent, rule);
        return;
      case 'WORKING':
        intent.state = 'WORKING';
        this.#armReprice(intent, rule);
        this.#armConfirm(intent, rule);
        return;
      case 'CANCEL_REQUESTED':
        intent.state = 'REPRICING';
        await this.#settleAfterCancel(intent, 0);
        return;
      case 'DONE':
        await this.#submitRemainder(intent);
        return;
      case 'REJECTED':
        intent.state = 'REJECTED';
        await this.#persist(intent);
        return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Halts, VI, market phase
  // -------------------------------------------------------------------------------------------------

  #applyPauseSignal(id: InstrumentId, halt: boolean, vi: boolean): void {
    const now = this.#clock.now();
    const s = this.#pause.get(id) ?? { halt: false, vi: false, haltSince: 0, viSince: 0 };
    const was = s.halt || s.vi;
    if (halt !== s.halt) {
      if (halt) {
        s.haltSince = now;
        this.#notify('TradingPaused', { instrumentId: id, reason: 'HALT' });
      } else this.#notify('TradingResumed', { instrumentId: id, reason: 'HALT', pausedMs: now - s.haltSince });
      s.halt = halt;
    }
    if (vi !== s.vi) {
      if (vi) {
        s.viSince = now;
        this.#notify('TradingPaused', { instrumentId: id, reason: 'VI' });
      } else this.#notify('TradingResumed', { instrumentId: id, reason: 'VI', pausedMs: now - s.viSince });
      s.vi = vi;
    }
    this.#pause.set(id, s);
    if (was && !(s.halt || s.vi)) {
      this.#log.info({ instrumentId: id }, 'trading resumed; re-checking deferred exits');
      this.#consider(id);
    }
  }

  /** Why an order for `id` cannot go out now, or undefined when it can. */
  #deferReason(id: InstrumentId): DeferReason | undefined {
    const s = this.#pause.get(id);
    if (s?.halt) return 'HALT';
    if (s?.vi) return 'VI';
    return this.#phaseAllows() ? undefined : 'MARKET_PHASE';
  }

  #phaseAllows(): boolean {
    try {
      const { phase } = this.#calendar.phaseAt(this.#clock.now());
      return phase === 'CONTINUOUS' || (phase === 'CLOSING_AUCTION' && this.#config.allowClosingAuction);
    } catch (err) {
      this.#log.error({ err }, 'market phase unknown; no orders');
      return false;
    }
  }

  /** Runs reprices / resubmissions that waited for trading to resume or for a price. */
  #runDue(id: InstrumentId): void {
    if (this.#due.size === 0 || this.#deferReason(id)) return;
    for (const cid of [...this.#due]) {
      const intent = this.#intents.get(cid);
      if (!intent || intent.instrumentId !== id) continue;
      this.#due.delete(cid);
      if (this.#isTerminal(intent)) continue;
      const attempt = this.#current(intent);
      if (attempt.status === 'DONE') this.#enqueue(intent, 'resubmit', () => this.#submitRemainder(intent));
      else this.#enqueue(intent, 'reprice', () => this.#reprice(intent));
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------------

  #current(intent: MutableIntent): MutableAttempt {
    const a = intent.attempts[intent.attempts.length - 1];
    if (!a) throw new InvariantError('EXIT_INTENT_WITHOUT_ORDER', `exit intent ${intent.clientOrderId} has no order`);
    return a;
  }

  #isTerminal(intent: MutableIntent): boolean {
    return TERMINAL_INTENT_STATES.has(intent.state);
  }

  #recomputeFill(intent: MutableIntent): void {
    let q = 0;
    let v = 0;
    for (const a of intent.attempts) {
      const f = attemptFill(a);
      q += f.quantity;
      v += f.value;
    }
    intent.filledQuantity = q;
    intent.filledValue = v;
  }

  #snapshot(intent: MutableIntent): ExitIntent {
    return structuredClone(intent) as ExitIntent;
  }

  async #persist(intent: MutableIntent): Promise<void> {
    intent.updatedAt = this.#clock.now();
    try {
      await this.#store.save(this.#snapshot(intent));
    } catch (err) {
      this.#log.error({ err, clientOrderId: intent.clientOrderId }, 'exit intent could not be saved');
      this.#notify('SystemAlert', {
        code: 'INTENT_STORE_WRITE_FAILED',
        message: 'exit intent state could not be saved; a restart may not know the latest state',
        instrumentId: intent.instrumentId,
        clientOrderId: intent.clientOrderId,
        priority: 'emergency',
        context: { state: intent.state },
      });
    }
  }

  #notify<T extends NotificationType>(type: T, fields: NotificationFields<T>): void {
    try {
      this.#notifier.notify(createNotification(type, this.#clock.now(), fields));
    } catch (err) {
      this.#log.error({ err, type }, 'notifier threw');
    }
  }

  #today(): KstDate {
    return kstDateOf(this.#clock.now());
  }

  #defaultId(ctx: { instrumentId: InstrumentId; trigger: ExitTrigger; now: UnixMillis }): string {
    let id: string;
    do {
      this.#seq += 1;
      id = `EX${toYyyymmdd(kstDateOf(ctx.now))}${kstHhmmss(ctx.now)}-${ctx.instrumentId}-${TRIGGER_TAG[ctx.trigger]}-${this.#idTag}${this.#seq}`;
    } while (this.#intents.has(id));
    return id;
  }

  #timersOf(intent: MutableIntent): IntentTimers {
    let t = this.#timers.get(intent.clientOrderId);
    if (!t) {
      t = {};
      this.#timers.set(intent.clientOrderId, t);
    }
    return t;
  }

  #armTimer(intent: MutableIntent, slot: keyof IntentTimers, ms: number, what: string, fn: () => Promise<void>): void {
    if (this.#stopped) return;
    const t = this.#timersOf(intent);
    t[slot]?.cancel();
    t[slot] = this.#clock.setTimer(ms, () => {
      delete t[slot];
      this.#enqueue(intent, what, fn);
    });
  }

  #armReprice(intent: MutableIntent, rule: ExitRule): void {
    this.#armTimer(intent, 'reprice', rule.repriceTimeoutMs, 'reprice', () => this.#reprice(intent));
  }

  #armConfirm(intent: MutableIntent, rule: ExitRule): void {
    this.#armTimer(intent, 'confirm', rule.fillConfirmTimeoutMs, 'confirm', () => this.#confirm(intent));
  }

  #clearTimers(intent: MutableIntent): void {
    const t = this.#timers.get(intent.clientOrderId);
    if (!t) return;
    t.reprice?.cancel();
    t.confirm?.cancel();
    t.recheck?.cancel();
    this.#timers.delete(intent.clientOrderId);
  }

  /** Runs `fn` after every earlier operation of the same intent (one operation at a time per intent). */
  #enqueue(intent: MutableIntent, what: string, fn: () => Promise<void>): void {
    const prev = this.#chains.get(intent.clientOrderId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => this.#internalError(err, what, intent));
    this.#chains.set(intent.clientOrderId, next);
    this.#spawn(next);
    void next.finally(() => {
      if (this.#chains.get(intent.clientOrderId) === next) this.#chains.delete(intent.clientOrderId);
    });
  }

  #spawn(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.#internalError(err, 'background task'));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  #internalError(err: unknown, what: string, intent?: MutableIntent): void {
    this.#log.error({ err, what, clientOrderId: intent?.clientOrderId }, 'position monitor internal error');
    this.#notify('SystemAlert', {
      code: 'MONITOR_INTERNAL_ERROR',
      message: `position monitor failed during ${what}: ${messageOf(err)}`,
      priority: 'emergency',
      ...(intent ? { instrumentId: intent.instrumentId, clientOrderId: intent.clientOrderId } : {}),
    });
  }

  #guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#internalError(err, what);
    }
  }

  #bufferUnmatched(n: ExecutionNotice): void {
    const now = this.#clock.now();
    for (const [k, v] of this.#unmatched) if (now - v.at > UNMATCHED_NOTICE_TTL_MS) this.#unmatched.delete(k);
    if (this.#unmatched.size >= UNMATCHED_NOTICE_MAX) {
      const oldest = this.#unmatched.keys().next();
      if (!oldest.done) this.#unmatched.delete(oldest.value);
    }
    const key = n.action === 'NEW' || n.originalVenueOrderId === '' ? n.venueOrderId : n.originalVenueOrderId;
    const e = this.#unmatched.get(key) ?? { at: now, notices: [] };
    e.notices.push(n);
    this.#unmatched.set(key, e);
  }

  #drainUnmatched(venueOrderId: string): void {
    const e = this.#unmatched.get(venueOrderId);
    if (!e) return;
    this.#unmatched.delete(venueOrderId);
    for (const n of e.notices) this.#applyNotice(n);
  }

  #requestBarsIfNeeded(id: InstrumentId): void {
    const w = this.#watch.get(id);
    if (!w || w.barsRequested || !this.#dailyBars) return;
    const periods = this.#resolved(id).atrPeriods;
    if (periods.length === 0 || this.#bars.has(id)) return;
    w.barsRequested = true;
    const source = this.#dailyBars;
    this.#spawn(
      (async () => {
        try {
          const bars = await source.requestDailyBars(id, Math.max(...periods) * 3 + 1);
          if (!this.#stopped) this.onDailyBars(id, bars);
        } catch (err) {
          this.#log.warn({ err, instrumentId: id }, 'daily bars for the ATR could not be fetched');
        }
      })(),
    );
  }

  #recomputeAtr(id: InstrumentId): void {
    const bars = this.#bars.get(id) ?? [];
    const periods = this.#resolved(id).atrPeriods;
    const out: Record<number, number> = {};
    for (const p of periods) {
      const v = dailyAtr(bars, p);
      if (v !== undefined) out[p] = v;
    }
    this.#atr.set(id, out);
    const w = this.#watch.get(id);
    if (w && periods.every((p) => out[p] !== undefined)) w.atrMissingAlerted = false;
    this.#log.info({ instrumentId: id, atr: out, bars: bars.length }, 'daily ATR updated');
  }

  #armWatchdog(): void {
    const every = this.#config.staleDataAlertMs;
    if (every <= 0 || this.#stopped) return;
    this.#watchdog = this.#clock.setTimer(every, () => {
      this.#checkStaleData(every);
      this.#armWatchdog();
    });
  }

  #checkStaleData(limit: number): void {
    if (this.#positions.size === 0 || this.#dataDelayedAlerted || !this.#phaseAllows()) return;
    const now = this.#clock.now();
    const since = this.#lastTickAt ?? this.#startedAt;
    if (now - since < limit) return;
    this.#dataDelayedAlerted = true;
    this.#notify('DataDelayed', { ...(this.#lastTickAt !== undefined ? { lastDataAt: this.#lastTickAt } : {}), delayMs: now - since });
  }
}
