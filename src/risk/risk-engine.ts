import type { Clock } from '../core/clock.ts';
import { InputError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import type { KrxCalendar } from '../model/calendar.ts';
import { evaluateOrder, type PhaseReading } from './checks.ts';
import type { RiskConfig } from './config.ts';
import type { RiskEvent } from './events.ts';
import type { OrderIntent, RiskCheckResult, RiskContext } from './order-intent.ts';
import {
  TRADING_STATES,
  type OpenOrderCanceller,
  type TradingState,
  type TradingStateRecord,
  type TradingStateStore,
} from './trading-state.ts';

/** Options of {@link RiskEngine.create}. */
export interface RiskEngineOptions {
  /** Limits (deep-frozen config, see `RiskConfigSchema`). */
  readonly config: RiskConfig;
  /** Time of the calendar phase check and of state changes. */
  readonly clock: Clock;
  readonly calendar: KrxCalendar;
  readonly store: TradingStateStore;
  /** Used by `halt(…, { cancelOpenOrders: true })`. */
  readonly canceller?: OpenOrderCanceller;
  readonly logger?: Logger;
  /** Receives state changes, cancellation reports and store failures. Its errors are logged, never thrown. */
  readonly onEvent?: (event: RiskEvent) => void;
}

/** What a state transition did. */
export interface TransitionResult {
  readonly from: TradingState;
  readonly to: TradingState;
  /** False when the engine was already in `to` (nothing changed). */
  readonly changed: boolean;
  /** True when the store holds the new state (always true when nothing needed saving). */
  readonly persisted: boolean;
  /** Why the save failed. */
  readonly persistError?: string;
}

/** What the kill switch did. */
export interface HaltResult extends TransitionResult {
  /** Present when cancellation was requested. */
  readonly cancellation?: { readonly canceled: number; readonly failed: number; readonly error?: string };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isRecord(r: unknown): r is TradingStateRecord {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return TRADING_STATES.includes(o['state'] as TradingState) && typeof o['reason'] === 'string' && Number.isSafeInteger(o['since']);
}

/**
 * Pre-trade risk engine and trading state (ACTIVE / REDUCING / HALTED) with a kill switch.
 *
 * `check` is synchronous and pure apart from reading the state and the clock: it never throws for bad
 * input; a malformed intent or context is denied (fail closed). State changes take effect in memory
 * at once (a `halt` denies the very next check, before any I/O), then are saved through the
 * {@link TradingStateStore} in call order. Create with {@link RiskEngine.create}, which loads the
 * saved state; an unreadable store starts the engine HALTED.
 */
export class RiskEngine {
  readonly #config: RiskConfig;
  readonly #clock: Clock;
  readonly #calendar: KrxCalendar;
  readonly #store: TradingStateStore;
  readonly #canceller: OpenOrderCanceller | undefined;
  readonly #log: Logger;
  readonly #onEvent: ((event: RiskEvent) => void) | undefined;
  #record: TradingStateRecord;
  #saves: Promise<unknown> = Promise.resolve();

  private constructor(opts: RiskEngineOptions, record: TradingStateRecord) {
    this.#config = opts.config;
    this.#clock = opts.clock;
    this.#calendar = opts.calendar;
    this.#store = opts.store;
    this.#canceller = opts.canceller;
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'risk' });
    this.#onEvent = opts.onEvent;
    this.#record = record;
  }

  /**
   * Loads the saved trading state (ACTIVE when nothing was ever saved) and returns the engine. When
   * the store rejects or holds something unreadable, the engine starts HALTED (fail closed), logs an
   * error and emits `TradingStateStoreFailed`; it never throws for that.
   */
  static async create(opts: RiskEngineOptions): Promise<RiskEngine> {
    const now = opts.clock.now();
    let record: TradingStateRecord;
    let failure: string | undefined;
    try {
      const loaded = await opts.store.load();
      if (loaded === undefined) record = { state: 'ACTIVE', reason: 'no saved trading state', since: now };
      else if (isRecord(loaded)) record = loaded;
      else {
        failure = `saved trading state is unreadable: ${JSON.stringify(loaded)}`;
        record = { state: 'HALTED', reason: failure, since: now };
      }
    } catch (e) {
      failure = `trading state could not be loaded: ${message(e)}`;
      record = { state: 'HALTED', reason: failure, since: now };
    }
    const engine = new RiskEngine(opts, Object.freeze({ ...record }));
    if (failure !== undefined) {
      engine.#log.error({ error: failure }, 'trading state store failed on load; starting HALTED');
      engine.#emit({ type: 'TradingStateStoreFailed', operation: 'load', state: 'HALTED', error: failure, ts: now });
    } else {
      engine.#log.info({ state: record.state, reason: record.reason, since: record.since }, 'trading state loaded');
    }
    return engine;
  }

  /** Current trading state. */
  get state(): TradingState {
    return this.#record.state;
  }

  /** Current trading state with its reason and start time. */
  get stateRecord(): TradingStateRecord {
    return this.#record;
  }

  /** The limits in force. */
  get config(): RiskConfig {
    return this.#config;
  }

  /**
   * Pre-trade check of one order (see `evaluateOrder` for the checks and their order). The market
   * phase comes from the calendar at the engine's clock (and, when given, `ctx.venuePhase` must allow
   * trading too). Never throws: a denial carries `{ code, detail }` for an `OrderDenied` event.
   */
  check(intent: OrderIntent, ctx: RiskContext): RiskCheckResult {
    let phase: PhaseReading;
    try {
      phase = { phase: this.#calendar.phaseAt(this.#clock.now()).phase };
    } catch (e) {
      phase = { error: message(e) };
    }
    let result: RiskCheckResult;
    try {
      result = evaluateOrder(intent, ctx, this.#config, this.#record.state, phase);
    } catch (e) {
      // Only malformed input beyond the validated fields can get here; deny rather than throw.
      result = { ok: false, denial: { code: 'CONTEXT_INVALID', detail: `error=${JSON.stringify(message(e))}` } };
    }
    if (!result.ok) {
      this.#log.info(
        { clientOrderId: intent.clientOrderId, instrumentId: intent.instrumentId, side: intent.side, code: result.denial.code, detail: result.denial.detail },
        'order denied',
      );
    }
    return result;
  }

  /**
   * ACTIVE → REDUCING: from now on only sells not exceeding the shares held pass. No-op in REDUCING.
   * @throws InputError from HALTED (loosening a halt goes through `resume({ to: 'REDUCING' })`).
   */
  async reduceOnly(reason: string): Promise<TransitionResult> {
    if (this.#record.state === 'HALTED') {
      throw new InputError('trading is HALTED: use resume with to=REDUCING to allow exits', { state: 'HALTED' });
    }
    return this.#transition('REDUCING', reason, false);
  }

  /**
   * Kill switch: HALTED at once (every later check is denied, whatever happens next), then saved;
   * with `cancelOpenOrders`, every open order is canceled through the {@link OpenOrderCanceller}.
   * The engine stays HALTED even when cancellation or saving fails; the result and the
   * `OpenOrdersCanceled` / `TradingStateStoreFailed` events report what failed. Calling it again
   * while HALTED saves again and cancels again (idempotent). Never throws.
   * @param reason why (shown to humans and saved)
   */
  async halt(reason: string, opts: { cancelOpenOrders: boolean } = { cancelOpenOrders: true }): Promise<HaltResult> {
    const saving = this.#transition('HALTED', reason, true);
    if (!opts.cancelOpenOrders) return saving;
    const [transition, cancellation] = await Promise.all([saving, this.#cancelAll()]);
    return { ...transition, cancellation };
  }

  /**
   * Leaves HALTED or REDUCING: to ACTIVE (default) or to REDUCING (exits only). No-op when already
   * there. Saved like every transition; if the save fails the engine runs in the new state but a
   * restart comes back in the saved (more restrictive) one.
   */
  async resume(reason: string, opts: { to?: 'ACTIVE' | 'REDUCING' } = {}): Promise<TransitionResult> {
    const to = opts.to ?? 'ACTIVE';
    if (to !== 'ACTIVE' && to !== 'REDUCING') throw new InputError(`resume: to must be ACTIVE or REDUCING, was ${String(to)}`);
    return this.#transition(to, reason, false);
  }

  async #transition(to: TradingState, reason: string, saveEvenIfUnchanged: boolean): Promise<TransitionResult> {
    const from = this.#record.state;
    const changed = from !== to;
    if (changed) {
      const ts = this.#clock.now();
      this.#record = Object.freeze({ state: to, reason, since: ts });
      const level = to === 'HALTED' ? 'error' : 'warn';
      this.#log[level]({ from, to, reason }, 'trading state changed');
      this.#emit({ type: 'TradingStateChanged', from, to, reason, ts });
    }
    if (!changed && !saveEvenIfUnchanged) return { from, to, changed, persisted: true };
    const persistError = await this.#save(this.#record);
    return { from, to, changed, persisted: persistError === undefined, ...(persistError === undefined ? {} : { persistError }) };
  }

  /** Saves in call order; resolves the error message, or undefined on success. */
  #save(record: TradingStateRecord): Promise<string | undefined> {
    const done = this.#saves.then(() => this.#store.save(record));
    this.#saves = done.catch(() => undefined);
    return done.then(
      () => undefined,
      (e: unknown) => {
        const error = message(e);
        this.#log.error({ state: record.state, error }, 'trading state could not be saved');
        this.#emit({ type: 'TradingStateStoreFailed', operation: 'save', state: this.#record.state, error, ts: this.#clock.now() });
        return error;
      },
    );
  }

  async #cancelAll(): Promise<{ canceled: number; failed: number; error?: string }> {
    let result: { canceled: number; failed: number; error?: string };
    if (!this.#canceller) {
      result = { canceled: 0, failed: 0, error: 'no OpenOrderCanceller configured' };
    } else {
      try {
        const r = await this.#canceller.cancelAll();
        result = { canceled: r.canceled, failed: r.failed };
      } catch (e) {
        result = { canceled: 0, failed: 0, error: message(e) };
      }
    }
    const bad = result.error !== undefined || result.failed > 0;
    this.#log[bad ? 'error' : 'warn'](result, 'kill switch: open orders canceled');
    this.#emit({ type: 'OpenOrdersCanceled', ...result, ts: this.#clock.now() });
    return result;
  }

  #emit(event: RiskEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch (e) {
      this.#log.error({ err: e, eventType: event.type }, 'risk event listener threw');
    }
  }
}
