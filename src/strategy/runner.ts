/**
 * The strategy runner: one pass of the issue-5 flow, through ports only.
 *
 *   1. reconcile the orders this runner placed earlier (client ids kept in the state store): fills
 *      recorded, outcome-unknown submits looked up at the venue;
 *   2. cancel OUR open orders older than `staleOrderAgeMs` (default 30 min), first, before anything else;
 *   3. fetch the balance, then the per-asset settings;
 *   4. each strategy decides (quotes, minute bars and its persisted state fetched for it);
 *   5. order decisions run SELLS FIRST, then buys. Each passes the runner's checks (settings, phase,
 *      halt, open/unknown orders on the instrument, tick grid and daily limits, minimum order, sellable
 *      quantity, cash), then the risk check, then is submitted;
 *   6. fills are confirmed by polling `requestOrders` a bounded number of times on the injected clock
 *      (after the sells, so buys are funded only by sell proceeds actually received; then after the buys);
 *   7. orders and fills are recorded, strategy states and signals persisted.
 *
 * Order safety:
 * - a submit that fails with `disposition: 'rejected'` is reported as REJECTED; any other failure is
 *   OUTCOME_UNKNOWN: never resent, reported, kept as UNKNOWN in the runner's order book, and its
 *   instrument gets no new order until a later run finds it at the venue (same instrument, side,
 *   quantity, price, submitted after it) or its session is over and the venue has no such order;
 * - a `fatal` submit error stops every further submit of the run;
 * - one order per instrument per run; none while any order (ours or not) is open on the instrument;
 * - the order record is saved as SUBMITTING before the submit, so a crash mid-submit is seen as
 *   outcome-unknown by the next run, never as "not sent".
 *
 * Dry run (`runOnce({ dryRun: true })`): every read and every check, including the risk check, runs;
 * `submitOrder` and `cancelOrder` are never called and nothing is written (no state, no order book, no
 * signal, no transaction). The report says what would have been sent and why; buys are then funded as
 * if the sells filled at their limit prices.
 */
import { loadIndicators } from '../core/indicators.ts';
import { z } from 'zod';
import { unixMillis, type UnixMillis } from '../core/brand.ts';
import type { Clock } from '../core/clock.ts';
import { AppError, ConfigError, type Disposition } from '../core/errors.ts';
import { addDays, kstDateOf, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { MinuteBar } from '../data/bars.ts';
import type { MarketPhase } from '../model/calendar.ts';
import { tradeCosts, type TradeCostRates } from '../model/fees.ts';
import { instrumentId, type InstrumentId } from '../model/instrument.ts';
import { krw, quantity } from '../model/money.ts';
import type { AccountBalanceReport, OrderStatusReport, PositionStatusReport, QuoteReport } from '../model/reports.ts';
import { isOnTick } from '../model/tick.ts';
import type {
  AssetSettingsProvider,
  BrokerPort,
  MinuteBarSource,
  OrderExecutionPort,
  OrderIntent,
  PhaseSource,
  PlacedOrderHandle,
  RiskCheck,
  RiskResult,
  StrategyStateStore,
  TransactionRecorder,
} from './ports.ts';
import { buyCost, fmt, worstCasePrice } from './pricing.ts';
import { describeOrder, type ErrorEntry, type ErrorInfo, type FillEntry, type RunReport } from './run-report.ts';
import type {
  AssetSettings,
  BoundStrategy,
  DecisionOutcome,
  DecisionResult,
  OrderDecision,
  RunContext,
  StrategyDecision,
  StrategyQuote,
} from './strategy.ts';

/** Every market phase (for the `allowedPhases` option). */
const MARKET_PHASES = ['CLOSED', 'PRE_OPEN', 'CONTINUOUS', 'CLOSING_AUCTION', 'AFTER_CLOSE'] as const satisfies readonly MarketPhase[];

/** Runner configuration. Defaults live only here. */
export const StrategyRunnerConfigSchema = z.strictObject({
  /** Names this runner's keys in the state store and its client order ids. */
  runnerId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, at most 32')
    .default('runner'),
  /** Our open orders older than this (ms since we submitted them) are cancelled first. */
  staleOrderAgeMs: z.number().int().min(0).default(30 * 60_000),
  /** Status queries after submitting (the first one without waiting). 0 = do not confirm fills. */
  fillPollAttempts: z.number().int().min(0).max(60).default(5),
  /** Wait between two status queries (ms, on the injected clock). */
  fillPollIntervalMs: z.number().int().min(0).max(60_000).default(2_000),
  /** Market phases in which orders may be sent (decisions are still made and reported outside them). */
  allowedPhases: z.array(z.enum(MARKET_PHASES)).min(1).default(['CONTINUOUS']),
  /** An outcome-unknown order matches a venue order accepted at most this long before our submit (clock skew, ms). */
  unknownMatchSkewMs: z.number().int().min(0).default(60_000),
});
export type StrategyRunnerConfig = z.infer<typeof StrategyRunnerConfigSchema>;

/** What the runner is built from. */
export interface StrategyRunnerDeps {
  readonly broker: BrokerPort;
  readonly risk: RiskCheck;
  readonly settings: AssetSettingsProvider;
  readonly state: StrategyStateStore;
  readonly recorder: TransactionRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly calendar: PhaseSource;
  /** Needed only by strategies with `needsMinuteBars`. */
  readonly minuteBars?: MinuteBarSource;
  /**
   * The order executor (journal-first submits, timeouts and re-prices). Without it orders go through
   * `broker.submitOrder` and fills are confirmed by polling.
   */
  readonly executor?: OrderExecutionPort;
  /** Commission and sell-tax rates (bps) from the configuration. */
  readonly costs: TradeCostRates;
  readonly strategies: readonly BoundStrategy[];
  /** Raw runner configuration (parsed with `StrategyRunnerConfigSchema`). */
  readonly config?: unknown;
  /**
   * Tag of this runner instance in run ids and client order ids (default: 4 random hex digits), so
   * ids stay unique in a ledger shared by several nodes or replays of the same day.
   */
  readonly instanceTag?: string;
}

const TrackedOrderSchema = z.strictObject({
  clientOrderId: z.string(),
  strategyId: z.string(),
  instrumentId: z.string(),
  side: z.enum(['BUY', 'SELL']),
  orderType: z.enum(['LIMIT', 'MARKET']),
  quantity: z.number().int().positive(),
  price: z.number().int().positive().optional(),
  kind: z.enum(['ENTRY', 'EXIT', 'REBALANCE', 'DCA']),
  submittedAt: z.number().int(),
  sessionDate: z.string(),
  /** SUBMITTING: record saved, submit in progress (found at start: treated as UNKNOWN). */
  status: z.enum(['SUBMITTING', 'WORKING', 'UNKNOWN', 'CANCEL_REQUESTED']),
  venueOrderId: z.string().optional(),
  branch: z.string().optional(),
  filledQuantity: z.number().int().min(0),
  filledValue: z.number().min(0),
  /** Shares and value (won) filled on earlier venue numbers of the order (before re-prices by the executor). */
  priorFilledQuantity: z.number().int().min(0).optional(),
  priorFilledValue: z.number().min(0).optional(),
});
type TrackedOrder = z.infer<typeof TrackedOrderSchema>;
const TrackedOrdersSchema = z.array(TrackedOrderSchema);

/** An order decision with where it came from, while the run processes it. */
interface Pending {
  readonly strategy: BoundStrategy;
  readonly index: number;
  readonly decision: OrderDecision;
  readonly entry: number;
  outcome: DecisionOutcome;
  clientOrderId?: string;
  tracked?: TrackedOrder;
  /** The executor's handle (when the runner has an executor). */
  placed?: PlacedOrderHandle;
  filledQuantity: number;
  filledValue: number;
}

/** Why an instrument takes no new order in this run. */
interface Block {
  readonly code: string;
  readonly reason: string;
}

class RunAbort extends Error {
  constructor(readonly entry: ErrorEntry) {
    super(entry.message);
  }
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof AppError) return { code: e.code, disposition: e.disposition, message: e.message };
  const d = (e as { disposition?: unknown } | null)?.disposition;
  const code = (e as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : 'UNEXPECTED_ERROR',
    disposition: d === 'fatal' || d === 'retryable' || d === 'outcome-unknown' || d === 'rejected' ? (d as Disposition) : 'unknown',
    message: e instanceof Error ? e.message : String(e),
  };
}

function sameRef(a: { venueOrderId?: string | undefined; branch?: string | undefined }, b: { venueOrderId: string; branch: string }): boolean {
  return a.venueOrderId !== undefined && a.venueOrderId === b.venueOrderId && (a.branch === undefined || a.branch === b.branch);
}

/** True when a venue order has nothing left to fill. */
function isFinished(o: OrderStatusReport): boolean {
  return o.canceled || o.remainingQuantity === 0 || o.filledQuantity >= o.quantity;
}

function toStrategyQuote(q: QuoteReport, book: { bid: number; ask: number }): StrategyQuote {
  return {
    instrumentId: q.instrumentId,
    last: q.last,
    bestBid: book.bid,
    bestAsk: book.ask,
    upperLimit: q.upperLimit,
    lowerLimit: q.lowerLimit,
    basePrice: q.basePrice,
    tick: q.tick,
    halted: q.halted,
    tsInit: q.tsInit,
  };
}

/**
 * Runs the strategies against the broker through ports; see the module comment for the flow and the
 * order-safety rules.
 */
export class StrategyRunner {
  readonly config: StrategyRunnerConfig;
  private readonly deps: StrategyRunnerDeps;
  private runSeq = 0;
  private readonly instanceTag: string;

  /** @throws ConfigError for an invalid runner config or two strategies with the same id */
  constructor(deps: StrategyRunnerDeps) {
    this.instanceTag = deps.instanceTag ?? Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
    const parsed = StrategyRunnerConfigSchema.safeParse(deps.config ?? {});
    if (!parsed.success) {
      throw new ConfigError(parsed.error.issues.map((i) => ({ path: ['runner', ...i.path.map(String)].join('.'), message: i.message })));
    }
    const seen = new Set<string>();
    for (const s of deps.strategies) {
      if (seen.has(s.id)) throw new ConfigError([{ path: `strategies.${s.id}`, message: 'two strategies share this id' }]);
      seen.add(s.id);
    }
    this.config = parsed.data;
    this.deps = deps;
  }

  /** Key of the runner's order book in the state store. */
  get ordersKey(): string {
    return `runner/${this.config.runnerId}/orders`;
  }

  /** Key of a strategy's state in the state store. */
  stateKey(strategyId: string): string {
    return `strategy/${this.config.runnerId}/${strategyId}`;
  }

  /**
   * One pass of the flow. Never throws for a business outcome or a port failure: those are in the
   * report (`aborted` when the run had to stop early). Throws only for a bug (`InvariantError`).
   */
  async runOnce(opts: { dryRun: boolean }): Promise<RunReport> {
    const now = this.deps.clock.now();
    const run = new Run(this, this.deps, now, opts.dryRun, `${this.config.runnerId}-${now}-${this.instanceTag}${++this.runSeq}`);
    try {
      await run.execute();
    } catch (e) {
      if (!(e instanceof RunAbort)) throw e;
      run.report.aborted = e.entry;
      run.line(`ABORTED at ${e.entry.stage}: ${e.entry.code} ${e.entry.message}`);
      this.deps.logger.error({ runId: run.report.runId, ...e.entry }, 'strategy run aborted');
    }
    run.report.finishedAt = this.deps.clock.now();
    return run.report;
  }
}

/** The state of one `runOnce`. */
class Run {
  readonly report: RunReport;
  private readonly cfg: StrategyRunnerConfig;
  private readonly log: Logger;
  private readonly today: KstDate;
  private tracked: TrackedOrder[] = [];
  private openOrders: OrderStatusReport[] = [];
  private balance: AccountBalanceReport | undefined;
  private readonly blocks = new Map<string, Block>();
  private readonly quotes = new Map<InstrumentId, StrategyQuote>();
  private readonly quoteErrors = new Set<InstrumentId>();
  private settings = new Map<InstrumentId, AssetSettings>();
  private cashLeft = 0;
  private confirmedSellProceeds = 0;
  private readonly soldThisRun = new Map<string, number>();
  private readonly orderedThisRun = new Set<string>();
  private submitsStopped: ErrorEntry | undefined;
  private orderSeq = 0;

  constructor(
    private readonly runner: StrategyRunner,
    private readonly deps: StrategyRunnerDeps,
    private readonly now: UnixMillis,
    private readonly dryRun: boolean,
    runId: string,
  ) {
    this.cfg = runner.config;
    this.log = deps.logger.child({ component: 'strategy-runner', runId, dryRun });
    this.today = kstDateOf(now);
    const phase = deps.calendar.phaseAt(now).phase;
    this.report = {
      runId,
      runnerId: this.cfg.runnerId,
      dryRun,
      startedAt: now,
      finishedAt: now,
      sessionDate: this.today,
      phase,
      cancels: [],
      decisions: [],
      signals: [],
      skips: [],
      denials: [],
      orders: [],
      fills: [],
      unresolved: [],
      errors: [],
      lines: [],
    };
  }

  line(s: string): void {
    this.report.lines.push(s);
  }

  private error(stage: string, e: unknown, extra: { strategyId?: string; instrumentId?: string } = {}): ErrorEntry {
    const entry: ErrorEntry = { stage, ...extra, ...errorInfo(e) };
    this.report.errors.push(entry);
    this.line(`error at ${stage}${extra.instrumentId ? ` (${extra.instrumentId})` : ''}: ${entry.code} ${entry.message}`);
    this.log.warn(entry, 'strategy run error');
    return entry;
  }

  private abort(stage: string, e: unknown): never {
    throw new RunAbort({ stage, ...errorInfo(e) });
  }

  async execute(): Promise<void> {
    const { phase } = this.report;
    this.line(`${this.dryRun ? 'dry run' : 'run'} at ${new Date(this.now).toISOString()} (session ${this.today}, phase ${phase})`);
    await this.loadTracked();
    try {
      this.openOrders = await this.deps.broker.requestOpenOrders();
    } catch (e) {
      this.abort('requestOpenOrders', e);
    }
    await this.reconcileTracked();
    await this.cancelStale();
    await this.saveTracked();

    try {
      this.balance = await this.deps.broker.requestBalance();
    } catch (e) {
      this.abort('requestBalance', e);
    }
    try {
      const list = await this.deps.settings.requestAssetSettings();
      this.settings = new Map(list.map((s) => [s.instrumentId, s]));
    } catch (e) {
      this.abort('requestAssetSettings', e);
    }
    this.cashLeft = this.availableCash(this.balance);

    const pending: Pending[] = [];
    const perStrategy: { strategy: BoundStrategy; ctx: RunContext; state: unknown; decisions: StrategyDecision[] }[] = [];
    for (const strategy of this.deps.strategies) {
      const r = await this.decide(strategy, this.balance);
      if (r === undefined) continue;
      perStrategy.push({ strategy, ...r });
      r.decisions.forEach((d, index) => {
        const entry = this.report.decisions.push({ strategyId: strategy.id, index, decision: d }) - 1;
        if (d.type === 'ORDER') pending.push({ strategy, index, decision: d, entry, outcome: 'SKIPPED', filledQuantity: 0, filledValue: 0 });
        else if (d.type === 'SKIP') {
          this.report.skips.push({ source: 'STRATEGY', strategyId: strategy.id, ...(d.instrumentId ? { instrumentId: d.instrumentId } : {}), code: d.code, reason: d.reason });
          this.line(`[${strategy.id}] skip ${d.instrumentId ?? ''} ${d.code}: ${d.reason}`);
        } else {
          this.report.signals.push({
            strategyId: strategy.id,
            instrumentId: d.instrumentId,
            signal: d.signal,
            price: d.price,
            values: d.values,
            reason: d.reason,
            stored: !this.dryRun,
          });
          this.line(`[${strategy.id}] signal ${d.signal} ${d.instrumentId} at ${fmt(d.price)}: ${d.reason}`);
        }
      });
    }

    // Sells first, then buys (stable within a side).
    const sells = pending.filter((p) => p.decision.side === 'SELL');
    const buys = pending.filter((p) => p.decision.side === 'BUY');
    for (const p of sells) await this.process(p);
    await this.confirmFills(sells);
    if (sells.some((p) => p.outcome === 'DRY_RUN')) this.line('dry run: buys below are funded as if the sells above filled at their limit prices');
    for (const p of buys) await this.process(p);
    await this.confirmFills(buys);

    for (const p of pending) {
      const e = this.report.decisions[p.entry];
      if (e !== undefined) this.report.decisions[p.entry] = { ...e, outcome: p.outcome, ...(p.clientOrderId ? { clientOrderId: p.clientOrderId } : {}) };
    }
    await this.persist(perStrategy, pending);
    await this.saveTracked();
  }

  // ------------------------------------------------------------------------------------------
  // 1. The runner's order book

  private async loadTracked(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.deps.state.load(this.runner.ordersKey);
    } catch (e) {
      this.abort('loadOrderBook', e);
    }
    if (raw === undefined) return;
    const r = TrackedOrdersSchema.safeParse(raw);
    if (!r.success) {
      this.abort('loadOrderBook', {
        code: 'ORDER_BOOK_INVALID',
        disposition: 'fatal',
        message: `stored order book ${this.runner.ordersKey} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      });
    }
    this.tracked = r.data.map((t) => (t.status === 'SUBMITTING' ? { ...t, status: 'UNKNOWN' as const } : t));
  }

  private async saveTracked(): Promise<void> {
    if (this.dryRun) return;
    try {
      await this.deps.state.save(this.runner.ordersKey, this.tracked);
    } catch (e) {
      this.error('saveOrderBook', e);
    }
  }

  private block(id: string, code: string, reason: string): void {
    if (!this.blocks.has(id)) this.blocks.set(id, { code, reason });
  }

  /** Settles earlier orders: fills recorded, finished orders dropped, unknown submits looked up. */
  private async reconcileTracked(): Promise<void> {
    const needLookup = this.tracked.filter((t) => t.venueOrderId === undefined || !this.openOrders.some((o) => sameRef(t, o)));
    let venue: OrderStatusReport[] | undefined;
    if (needLookup.length > 0) {
      const oldest = needLookup.reduce((m, t) => (t.sessionDate < m ? t.sessionDate : m), this.today);
      const from = oldest < addDays(this.today, -89) ? addDays(this.today, -89) : oldest;
      try {
        venue = await this.deps.broker.requestOrders({ from, to: this.today });
      } catch (e) {
        this.error('requestOrders (reconcile)', e);
      }
    }
    const keep: TrackedOrder[] = [];
    for (const t0 of this.tracked) {
      let t = t0;
      if (t.venueOrderId === undefined) {
        const found = this.lookupUnknown(t, venue);
        if (found === undefined) {
          if (venue !== undefined && t.sessionDate < this.today) {
            this.report.unresolved.push(this.unresolved(t, 'NOT_FOUND', `no matching order at the venue for session ${t.sessionDate}; treated as never placed`));
            continue;
          }
          keep.push(t);
          const why = venue === undefined ? 'the order query failed' : 'no single matching venue order yet';
          this.report.unresolved.push(this.unresolved(t, 'UNKNOWN', `submit outcome still unknown (${why}); no new order on ${t.instrumentId} until it is settled`));
          this.block(t.instrumentId, 'UNRESOLVED_ORDER', `order ${t.clientOrderId} (${describeOrder(t)}) has an unknown outcome`);
          continue;
        }
        t = { ...t, status: 'WORKING', venueOrderId: found.venueOrderId, branch: found.branch };
        this.report.unresolved.push(this.unresolved(t, 'RESOLVED', `found at the venue as order ${found.venueOrderId}`));
      }
      const open = this.openOrders.find((o) => sameRef(t, o));
      const status = open ?? venue?.find((o) => sameRef(t, o));
      if (status !== undefined) t = await this.recordFills(t, status);
      if (open !== undefined) {
        keep.push(t);
        continue;
      }
      if (status === undefined && venue === undefined) {
        keep.push(t); // cannot tell yet; look again next run
        continue;
      }
      // Not open any more: finished at the venue. Dropped from the book.
      if (status === undefined) this.line(`earlier order ${t.clientOrderId} (${describeOrder(t)}) is neither open nor listed by the venue; dropped from the order book`);
    }
    this.tracked = keep;
  }

  private unresolved(t: TrackedOrder, status: 'UNKNOWN' | 'RESOLVED' | 'NOT_FOUND', detail: string): RunReport['unresolved'][number] {
    this.line(`earlier order ${t.clientOrderId} (${describeOrder(t)}): ${status}: ${detail}`);
    return { clientOrderId: t.clientOrderId, instrumentId: t.instrumentId, side: t.side, quantity: t.quantity, submittedAt: t.submittedAt, status, detail };
  }

  /** The one venue order that can be an outcome-unknown submit, or undefined (none, or ambiguous). */
  private lookupUnknown(t: TrackedOrder, venue: readonly OrderStatusReport[] | undefined): OrderStatusReport | undefined {
    if (venue === undefined) return undefined;
    const candidates = venue.filter(
      (o) =>
        !o.isModifyOrCancel &&
        o.instrumentId === t.instrumentId &&
        o.side === t.side &&
        o.quantity === t.quantity &&
        (t.orderType === 'MARKET' || o.price === t.price) &&
        o.tsEvent >= t.submittedAt - this.cfg.unknownMatchSkewMs &&
        !this.tracked.some((x) => x !== t && sameRef(x, o)),
    );
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** Records the fills of `status` not yet recorded for `t`; returns the updated order. */
  private async recordFills(t: TrackedOrder, reported: OrderStatusReport): Promise<TrackedOrder> {
    // After a re-price by the executor, the venue's report of the latest number misses the fills of
    // the earlier numbers (`priorFilled*`, set once the executor's batch is recorded).
    const prior = t.priorFilledQuantity ?? 0;
    const status = prior > 0 ? { ...reported, filledQuantity: quantity(reported.filledQuantity + prior), filledValue: krw(reported.filledValue + (t.priorFilledValue ?? 0)) } : reported;
    if (status.filledQuantity <= t.filledQuantity) return t;
    const qty = status.filledQuantity - t.filledQuantity;
    const value = status.filledValue - t.filledValue;
    if (!this.dryRun && t.venueOrderId !== undefined) {
      try {
        await this.deps.recorder.recordFill({
          clientOrderId: t.clientOrderId,
          strategyId: t.strategyId,
          instrumentId: instrumentId(t.instrumentId),
          side: t.side,
          venueOrderId: t.venueOrderId,
          branch: t.branch ?? status.branch,
          quantity: qty,
          value,
          cumulativeQuantity: status.filledQuantity,
          cumulativeValue: status.filledValue,
          ts: this.deps.clock.now(),
        });
      } catch (e) {
        this.error('recordFill', e, { instrumentId: t.instrumentId });
      }
    }
    const fill: FillEntry = {
      clientOrderId: t.clientOrderId,
      instrumentId: t.instrumentId,
      side: t.side,
      venueOrderId: status.venueOrderId,
      filledQuantity: status.filledQuantity,
      filledValue: status.filledValue,
      averagePrice: status.averageFillPrice,
      remainingQuantity: status.remainingQuantity,
      status: status.filledQuantity >= status.quantity ? 'FILLED' : status.canceled ? 'CANCELED' : 'PARTIALLY_FILLED',
    };
    this.report.fills.push(fill);
    this.line(`fill ${t.clientOrderId} ${t.side} ${t.instrumentId}: +${fmt(qty)} shares, ${fmt(status.filledQuantity)}/${fmt(status.quantity)} at avg ${fmt(status.averageFillPrice)} won`);
    return { ...t, filledQuantity: status.filledQuantity, filledValue: status.filledValue };
  }

  // ------------------------------------------------------------------------------------------
  // 2. Stale cancels and open-order blocks

  private async cancelStale(): Promise<void> {
    for (const o of this.openOrders) {
      const t = this.tracked.find((x) => sameRef(x, o));
      const age = t === undefined ? 0 : this.now - t.submittedAt;
      if (t !== undefined && t.status === 'WORKING' && age >= this.cfg.staleOrderAgeMs) {
        const base = {
          clientOrderId: t.clientOrderId,
          instrumentId: t.instrumentId,
          side: t.side,
          venueOrderId: o.venueOrderId,
          branch: o.branch,
          remainingQuantity: o.remainingQuantity,
          ageMs: age,
        };
        const what = `stale order ${t.clientOrderId} (${describeOrder(t)}, ${fmt(o.remainingQuantity)} left, ${Math.round(age / 60_000)} min old)`;
        if (this.dryRun) {
          this.report.cancels.push({ ...base, status: 'WOULD_CANCEL' });
          this.line(`would cancel ${what}`);
          continue;
        }
        try {
          await this.deps.broker.cancelOrder({ venueOrderId: o.venueOrderId, branch: o.branch });
          t.status = 'CANCEL_REQUESTED';
          this.report.cancels.push({ ...base, status: 'CANCEL_REQUESTED' });
          this.line(`cancelled ${what}`);
          this.log.info({ clientOrderId: t.clientOrderId, venueOrderId: o.venueOrderId }, 'stale order cancel requested');
        } catch (e) {
          const err = this.error('cancelOrder', e, { instrumentId: t.instrumentId });
          this.report.cancels.push({ ...base, status: 'CANCEL_FAILED', error: err });
          this.block(t.instrumentId, 'CANCEL_FAILED', `cancel of stale order ${t.clientOrderId} failed: ${err.code}`);
        }
        continue;
      }
      // Any other open order (ours and fresh, ours with a cancel pending, or not ours) blocks its instrument.
      const whose = t === undefined ? 'an order not placed by this runner' : `order ${t.clientOrderId}`;
      this.block(o.instrumentId, 'OPEN_ORDER_PENDING', `${whose} (${describeOrder({ ...o, orderType: o.orderType === 'OTHER' ? 'LIMIT' : o.orderType })}, ${fmt(o.remainingQuantity)} left) is open`);
    }
  }

  /** D+2 cash minus what open buy orders (other than the ones cancelled in this run) still reserve. */
  private availableCash(balance: AccountBalanceReport): number {
    let reserved = 0;
    for (const o of this.openOrders) {
      if (o.side !== 'BUY' || o.remainingQuantity <= 0) continue;
      // Cancelled (or, dry, to be cancelled) in this run: its cash is free again.
      if (this.report.cancels.some((c) => c.venueOrderId === o.venueOrderId && c.branch === o.branch && c.status !== 'CANCEL_FAILED')) continue;
      if (o.price > 0) reserved += buyCost(o.price, o.remainingQuantity, this.deps.costs);
    }
    return Math.max(0, balance.cash.settlementD2 - reserved);
  }

  // ------------------------------------------------------------------------------------------
  // 4. Decisions

  private async quote(id: InstrumentId): Promise<void> {
    if (this.quotes.has(id) || this.quoteErrors.has(id)) return;
    try {
      const q = await this.deps.broker.requestQuote(id);
      let book = { bid: 0, ask: 0 };
      if (this.deps.broker.requestOrderBook !== undefined) {
        try {
          const b = await this.deps.broker.requestOrderBook(id);
          book = { bid: b.bids[0]?.price ?? 0, ask: b.asks[0]?.price ?? 0 };
        } catch (e) {
          this.error('requestOrderBook', e, { instrumentId: id });
        }
      }
      this.quotes.set(id, toStrategyQuote(q, book));
    } catch (e) {
      this.quoteErrors.add(id);
      this.error('requestQuote', e, { instrumentId: id });
    }
  }

  private async decide(
    strategy: BoundStrategy,
    balance: AccountBalanceReport,
  ): Promise<{ ctx: RunContext; state: unknown; decisions: StrategyDecision[] } | undefined> {
    let raw: unknown;
    try {
      raw = await this.deps.state.load(this.runner.stateKey(strategy.id));
    } catch (e) {
      this.error('loadState', e, { strategyId: strategy.id });
      return undefined;
    }
    const parsed = strategy.parseState(raw);
    if (!parsed.ok) {
      this.error(
        'loadState',
        { code: 'STRATEGY_STATE_INVALID', disposition: 'fatal', message: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') },
        { strategyId: strategy.id },
      );
      return undefined;
    }
    const held = balance.positions.filter((p) => p.quantity > 0 || p.sellableQuantity > 0);
    if (strategy.needsIndicators) await loadIndicators();
    const ids = [...new Set(strategy.instruments(held))];
    const bars = new Map<InstrumentId, readonly MinuteBar[]>();
    for (const id of ids) {
      await this.quote(id);
      if (strategy.needsMinuteBars) {
        if (this.deps.minuteBars === undefined) {
          this.error('requestMinuteBars', { code: 'NO_MINUTE_BAR_SOURCE', disposition: 'fatal', message: `${strategy.id} needs minute bars but the runner has no MinuteBarSource` }, { strategyId: strategy.id });
          return undefined;
        }
        try {
          bars.set(id, await this.deps.minuteBars.requestMinuteBars(id, this.today));
        } catch (e) {
          this.error('requestMinuteBars', e, { strategyId: strategy.id, instrumentId: id });
        }
      }
    }
    const quotes = new Map<InstrumentId, StrategyQuote>();
    for (const id of ids) {
      const q = this.quotes.get(id);
      if (q !== undefined) quotes.set(id, q);
    }
    const ctx: RunContext = {
      now: this.now,
      sessionDate: this.today,
      phase: this.report.phase,
      positions: new Map<InstrumentId, PositionStatusReport>(held.map((p) => [p.instrumentId, p])),
      cash: { available: krw(this.cashLeft), deposit: balance.cash.deposit, totalValue: balance.cash.totalValue },
      quotes,
      settings: this.settings,
      minuteBars: bars,
      costs: this.deps.costs,
    };
    try {
      return { ctx, state: parsed.state, decisions: strategy.decide(ctx, parsed.state) };
    } catch (e) {
      this.error('decide', e, { strategyId: strategy.id });
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // 5. Checks, risk, submit

  private runnerSkip(p: Pending, code: string, reason: string): void {
    p.outcome = 'SKIPPED';
    const d = p.decision;
    this.report.skips.push({ source: 'RUNNER', strategyId: p.strategy.id, instrumentId: d.instrumentId, code, reason });
    this.line(`[${p.strategy.id}] not sent: ${describeOrder({ ...d, price: d.limitPrice })}: ${code}: ${reason}`);
  }

  /** The runner's checks; returns the skip code and reason, or the values the order needs. */
  private check(p: Pending): { code: string; reason: string } | { quote: StrategyQuote; settings: AssetSettings; notional: number; cost: number } {
    const d = p.decision;
    const id = d.instrumentId;
    if (this.submitsStopped !== undefined) return { code: 'RUN_ABORTED', reason: `an earlier submit failed fatally (${this.submitsStopped.code})` };
    if (!this.cfg.allowedPhases.includes(this.report.phase)) return { code: 'MARKET_PHASE', reason: `phase ${this.report.phase} is not one of ${this.cfg.allowedPhases.join(', ')}` };
    const settings = this.settings.get(id);
    if (settings === undefined) return { code: 'NO_SETTINGS', reason: `no asset settings for ${id}` };
    if (!settings.tradingEnabled) return { code: 'TRADING_DISABLED', reason: `trading is disabled for ${id}` };
    const blocked = this.blocks.get(id);
    if (blocked !== undefined) return blocked;
    if (this.orderedThisRun.has(id)) return { code: 'ONE_ORDER_PER_INSTRUMENT', reason: `an order on ${id} was already placed in this run` };
    const quote = this.quotes.get(id);
    if (quote === undefined) return { code: 'NO_QUOTE', reason: `no quote for ${id}` };
    if (quote.halted) return { code: 'HALTED', reason: `${id} is halted` };
    if (!Number.isSafeInteger(d.quantity) || d.quantity <= 0) return { code: 'INVALID_DECISION', reason: `quantity ${d.quantity} is not a positive whole number of shares` };
    if (d.orderType !== settings.orderType) return { code: 'ORDER_TYPE_MISMATCH', reason: `${d.orderType} order, but ${id} is configured for ${settings.orderType}` };
    if (d.orderType === 'LIMIT') {
      const px = d.limitPrice;
      if (px === undefined || !isOnTick(px, settings.kind)) return { code: 'INVALID_PRICE', reason: `limit price ${px} is not on the ${settings.kind} tick grid` };
      if (px > quote.upperLimit || px < quote.lowerLimit) {
        return { code: 'INVALID_PRICE', reason: `limit price ${fmt(px)} is outside the daily limits [${fmt(quote.lowerLimit)}, ${fmt(quote.upperLimit)}]` };
      }
    } else if (d.limitPrice !== undefined) return { code: 'INVALID_DECISION', reason: 'a MARKET order takes no price' };
    const px = worstCasePrice(d.side, d.orderType, d.limitPrice, quote, settings.kind);
    const notional = px * d.quantity;
    const position = this.balance?.positions.find((x) => x.instrumentId === id);
    const closesPosition = d.side === 'SELL' && position !== undefined && d.quantity === position.quantity;
    if (notional < settings.minimumOrderKrw && !closesPosition) {
      return { code: 'BELOW_MINIMUM_ORDER', reason: `order value ${fmt(notional)} won is under the minimum ${fmt(settings.minimumOrderKrw)} won for ${id}` };
    }
    if (d.side === 'SELL') {
      const sellable = (position?.sellableQuantity ?? 0) - (this.soldThisRun.get(id) ?? 0);
      if (d.quantity > sellable) return { code: 'EXCEEDS_SELLABLE', reason: `sell of ${fmt(d.quantity)} ${id} exceeds the ${fmt(Math.max(0, sellable))} sellable` };
      return { quote, settings, notional, cost: 0 };
    }
    const cost = buyCost(px, d.quantity, this.deps.costs);
    const budget = this.cashLeft + this.confirmedSellProceeds;
    if (cost > budget) {
      return {
        code: 'INSUFFICIENT_CASH',
        reason: `buy costs ${fmt(cost)} won (${fmt(d.quantity)} × ${fmt(px)} + commission) but ${fmt(budget)} won is available (cash ${fmt(this.cashLeft)} + confirmed sells ${fmt(this.confirmedSellProceeds)})`,
      };
    }
    return { quote, settings, notional, cost };
  }

  private async process(p: Pending): Promise<void> {
    const d = p.decision;
    const checked = this.check(p);
    if ('code' in checked) return this.runnerSkip(p, checked.code, checked.reason);
    const { quote, settings, notional, cost } = checked;
    const clientOrderId = `${this.report.runId}-${++this.orderSeq}`;
    p.clientOrderId = clientOrderId;
    const intent: OrderIntent = {
      clientOrderId,
      strategyId: p.strategy.id,
      instrumentId: d.instrumentId,
      side: d.side,
      orderType: d.orderType,
      quantity: d.quantity,
      ...(d.limitPrice === undefined ? {} : { price: d.limitPrice }),
      notional,
      kind: d.kind,
      reason: d.reason,
    };
    const desc = describeOrder({ ...d, price: d.limitPrice });
    let risk: RiskResult;
    try {
      risk = await this.deps.risk.check(intent, { now: this.now, phase: this.report.phase, balance: this.balance as AccountBalanceReport, quote, openOrders: this.openOrders, dryRun: this.dryRun });
    } catch (e) {
      const info = errorInfo(e);
      risk = { ok: false, denial: { code: 'RISK_CHECK_FAILED', detail: `${info.code}: ${info.message}` } };
    }
    const entry = this.report.decisions[p.entry];
    if (!risk.ok) {
      p.outcome = 'DENIED';
      if (entry !== undefined) this.report.decisions[p.entry] = { ...entry, risk: 'DENIED' };
      this.report.denials.push({ strategyId: p.strategy.id, clientOrderId, instrumentId: d.instrumentId, code: risk.denial.code, detail: risk.denial.detail });
      this.line(`[${p.strategy.id}] DENIED ${desc}: ${risk.denial.code} ${risk.denial.detail}`);
      return;
    }
    if (entry !== undefined) this.report.decisions[p.entry] = { ...entry, risk: 'OK' };
    const order = {
      clientOrderId,
      strategyId: p.strategy.id,
      instrumentId: d.instrumentId,
      side: d.side,
      orderType: d.orderType,
      quantity: d.quantity,
      ...(d.limitPrice === undefined ? {} : { price: d.limitPrice }),
      reason: d.reason,
    };

    if (this.dryRun) {
      p.outcome = 'DRY_RUN';
      this.commit(p, cost, notional);
      this.report.orders.push({ ...order, status: 'WOULD_SUBMIT' });
      this.line(`[${p.strategy.id}] would submit ${desc} (risk check passed) because ${d.reason}`);
      return;
    }

    // Saved before the submit: a crash mid-submit must read as "outcome unknown", never "not sent".
    const tracked: TrackedOrder = {
      clientOrderId,
      strategyId: p.strategy.id,
      instrumentId: d.instrumentId,
      side: d.side,
      orderType: d.orderType,
      quantity: d.quantity,
      ...(d.limitPrice === undefined ? {} : { price: d.limitPrice }),
      kind: d.kind,
      submittedAt: this.now,
      sessionDate: this.today,
      status: 'SUBMITTING',
      filledQuantity: 0,
      filledValue: 0,
    };
    this.tracked.push(tracked);
    try {
      await this.deps.state.save(this.runner.ordersKey, this.tracked);
    } catch (e) {
      this.tracked.pop();
      this.error('saveOrderBook', e, { instrumentId: d.instrumentId });
      return this.runnerSkip(p, 'STATE_SAVE_FAILED', 'the order record could not be saved before the submit; not sent');
    }
    p.tracked = tracked;
    try {
      const req = {
        instrumentId: d.instrumentId,
        side: d.side,
        orderType: d.orderType,
        quantity: d.quantity,
        ...(d.limitPrice === undefined ? {} : { price: d.limitPrice }),
        instrumentKind: settings.kind,
      };
      let ack;
      if (this.deps.executor) {
        p.placed = await this.deps.executor.place({ ...req, clientOrderId, actor: `strategy:${p.strategy.id}`, strategyId: p.strategy.id, reference: quote.last, reason: d.reason });
        ack = p.placed.ack;
      } else ack = await this.deps.broker.submitOrder(req);
      tracked.status = 'WORKING';
      tracked.venueOrderId = ack.venueOrderId;
      tracked.branch = ack.branch;
      p.outcome = 'WORKING';
      this.commit(p, cost, notional);
      this.report.orders.push({ ...order, status: 'SUBMITTED', venueOrderId: ack.venueOrderId, branch: ack.branch });
      this.line(`[${p.strategy.id}] submitted ${desc} as venue order ${ack.venueOrderId} because ${d.reason}`);
      this.log.info({ clientOrderId, venueOrderId: ack.venueOrderId, instrumentId: d.instrumentId, side: d.side, quantity: d.quantity, price: d.limitPrice }, 'strategy order submitted');
      await this.recordOrder(p, 'SUBMITTED', { venueOrderId: ack.venueOrderId, branch: ack.branch });
    } catch (e) {
      const info = errorInfo(e);
      if (info.disposition === 'rejected') {
        this.tracked = this.tracked.filter((x) => x !== tracked);
        p.outcome = 'REJECTED';
        this.report.orders.push({ ...order, status: 'REJECTED', error: info });
        this.line(`[${p.strategy.id}] REJECTED by the venue: ${desc}: ${info.code} ${info.message}`);
        this.log.warn({ clientOrderId, ...info }, 'strategy order rejected');
        await this.recordOrder(p, 'REJECTED', { error: info });
      } else {
        // Outcome unknown: the order may be live. Never resent; its cash and shares count as used.
        tracked.status = 'UNKNOWN';
        p.outcome = 'OUTCOME_UNKNOWN';
        this.commit(p, cost, notional);
        this.block(d.instrumentId, 'UNRESOLVED_ORDER', `order ${clientOrderId} has an unknown outcome`);
        this.report.orders.push({ ...order, status: 'OUTCOME_UNKNOWN', error: info });
        this.line(`[${p.strategy.id}] OUTCOME UNKNOWN, not resent: ${desc}: ${info.code} ${info.message}`);
        this.log.error({ clientOrderId, ...info }, 'strategy order outcome unknown; not resent');
        await this.recordOrder(p, 'OUTCOME_UNKNOWN', { error: info });
        if (info.disposition === 'fatal') {
          this.submitsStopped = { stage: 'submitOrder', instrumentId: d.instrumentId, ...info };
          this.report.errors.push(this.submitsStopped);
        }
      }
    }
    await this.saveTracked();
  }

  /** Counts an order's cash and shares as used for the rest of the run. */
  private commit(p: Pending, cost: number, notional: number): void {
    const d = p.decision;
    this.orderedThisRun.add(d.instrumentId);
    if (d.side === 'BUY') {
      // Spend proceeds of confirmed sells last, so cash not tied to sells is used first.
      const fromCash = Math.min(cost, this.cashLeft);
      this.cashLeft -= fromCash;
      this.confirmedSellProceeds -= cost - fromCash;
    } else {
      this.soldThisRun.set(d.instrumentId, (this.soldThisRun.get(d.instrumentId) ?? 0) + d.quantity);
      if (p.outcome === 'DRY_RUN') {
        const c = tradeCosts(krw(notional), 'SELL', this.deps.costs);
        this.confirmedSellProceeds += notional - c.commission - c.tax;
      }
    }
  }

  private async recordOrder(
    p: Pending,
    status: 'SUBMITTED' | 'REJECTED' | 'OUTCOME_UNKNOWN',
    extra: { venueOrderId?: string; branch?: string; error?: ErrorInfo },
  ): Promise<void> {
    const d = p.decision;
    try {
      await this.deps.recorder.recordOrder({
        clientOrderId: p.clientOrderId as string,
        runId: this.report.runId,
        strategyId: p.strategy.id,
        instrumentId: d.instrumentId,
        side: d.side,
        orderType: d.orderType,
        quantity: d.quantity,
        ...(d.limitPrice === undefined ? {} : { price: d.limitPrice }),
        kind: d.kind,
        reason: d.reason,
        status,
        ...(extra.venueOrderId === undefined ? {} : { venueOrderId: extra.venueOrderId, branch: extra.branch ?? '' }),
        ...(extra.error === undefined ? {} : { error: { code: extra.error.code, message: extra.error.message } }),
        ts: this.deps.clock.now(),
      });
    } catch (e) {
      this.error('recordOrder', e, { instrumentId: d.instrumentId });
    }
  }

  // ------------------------------------------------------------------------------------------
  // 6. Fill confirmation

  /** Polls the venue for the orders placed in `batch` until each is finished or the attempts run out. */
  private async confirmFills(batch: readonly Pending[]): Promise<void> {
    if (this.deps.executor) return this.executeBatch(this.deps.executor, batch);
    const waiting = batch.filter((p) => p.outcome === 'WORKING' && p.tracked?.venueOrderId !== undefined);
    for (let attempt = 0; attempt < this.cfg.fillPollAttempts && waiting.length > 0; attempt++) {
      if (attempt > 0) await this.deps.clock.sleep(this.cfg.fillPollIntervalMs);
      let orders: OrderStatusReport[];
      try {
        orders = await this.deps.broker.requestOrders({ from: this.today, to: this.today });
      } catch (e) {
        this.error('requestOrders (fill confirmation)', e);
        continue;
      }
      for (let i = waiting.length - 1; i >= 0; i--) {
        const p = waiting[i] as Pending;
        const t = p.tracked as TrackedOrder;
        const status = orders.find((o) => sameRef(t, o));
        if (status === undefined) continue;
        const updated = await this.recordFills(t, status);
        Object.assign(t, updated);
        p.filledQuantity = t.filledQuantity;
        p.filledValue = t.filledValue;
        if (isFinished(status)) {
          waiting.splice(i, 1);
          this.tracked = this.tracked.filter((x) => x !== t);
          p.outcome = t.filledQuantity >= t.quantity ? 'FILLED' : t.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'CANCELED';
        } else if (t.filledQuantity > 0) p.outcome = 'PARTIALLY_FILLED';
      }
    }
    // Sell proceeds count for the buys only once confirmed, net of commission and tax.
    for (const p of batch) {
      if (p.decision.side !== 'SELL' || p.filledQuantity <= 0) continue;
      const c = tradeCosts(krw(Math.round(p.filledValue)), 'SELL', this.deps.costs);
      this.confirmedSellProceeds += Math.round(p.filledValue) - c.commission - c.tax;
    }
    if (this.cfg.fillPollAttempts > 0 && waiting.length > 0) {
      this.line(`${waiting.length} order(s) still working after ${this.cfg.fillPollAttempts} status queries; a later run settles them (and cancels them once stale)`);
    }
  }

  /**
   * The executor's variant of fill confirmation: it watches the batch (one order query per poll),
   * re-pricing LIMIT orders that time out within the slippage cap; the outcome and fills are then
   * recorded as by the polling variant.
   */
  private async executeBatch(executor: OrderExecutionPort, batch: readonly Pending[]): Promise<void> {
    const working = batch.filter((p) => p.outcome === 'WORKING' && p.placed !== undefined && p.tracked !== undefined);
    if (working.length > 0) {
      const results = await executor.work(working.map((p) => p.placed as PlacedOrderHandle));
      for (const p of working) {
        const r = results.find((x) => x.clientOrderId === p.clientOrderId);
        const t = p.tracked as TrackedOrder;
        if (r === undefined) continue;
        if (r.reprices > 0) this.line(`[${p.strategy.id}] ${t.clientOrderId} re-priced ${r.reprices}× to ${fmt(r.price ?? 0)} (venue order ${r.venueOrderId})`);
        if (r.note) this.line(`[${p.strategy.id}] ${t.clientOrderId}: ${r.note}`);
        t.venueOrderId = r.venueOrderId;
        t.branch = r.branch;
        const status: OrderStatusReport = {
          venueOrderId: r.venueOrderId,
          branch: r.branch,
          originalVenueOrderId: '',
          instrumentId: instrumentId(t.instrumentId),
          name: '',
          side: t.side,
          orderType: t.orderType,
          orderTypeCode: '',
          quantity: quantity(t.quantity),
          price: r.price ?? 0,
          filledQuantity: quantity(r.filledQuantity),
          filledValue: krw(r.filledValue),
          averageFillPrice: r.filledQuantity > 0 ? Math.round(r.filledValue / r.filledQuantity) : 0,
          remainingQuantity: quantity(r.status === 'CANCELED' || r.status === 'FILLED' ? 0 : t.quantity - r.filledQuantity),
          rejectedQuantity: quantity(0),
          canceled: r.status === 'CANCELED' || (r.status === 'PARTIALLY_FILLED' && r.note === 'the venue no longer works the remainder'),
          isModifyOrCancel: false,
          orderDate: this.today,
          tsEvent: unixMillis(this.deps.clock.now()),
          venue: 'KRX',
        };
        Object.assign(t, await this.recordFills(t, status));
        if (r.filledQuantity - r.latestFilledQuantity > 0) {
          t.priorFilledQuantity = r.filledQuantity - r.latestFilledQuantity;
          t.priorFilledValue = r.filledValue - r.latestFilledValue;
        }
        p.filledQuantity = t.filledQuantity;
        p.filledValue = t.filledValue;
        if (r.status === 'FILLED' || r.status === 'CANCELED' || status.canceled) {
          this.tracked = this.tracked.filter((x) => x !== t);
          p.outcome = t.filledQuantity >= t.quantity ? 'FILLED' : t.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'CANCELED';
        } else if (t.filledQuantity > 0) p.outcome = 'PARTIALLY_FILLED';
      }
      const left = working.filter((p) => p.outcome === 'WORKING' || p.outcome === 'PARTIALLY_FILLED').filter((p) => this.tracked.includes(p.tracked as TrackedOrder));
      if (left.length > 0) this.line(`${left.length} order(s) still working after the executor's time-outs and re-prices; a later run settles them (and cancels them once stale)`);
    }
    for (const p of batch) {
      if (p.decision.side !== 'SELL' || p.filledQuantity <= 0) continue;
      const c = tradeCosts(krw(Math.round(p.filledValue)), 'SELL', this.deps.costs);
      this.confirmedSellProceeds += Math.round(p.filledValue) - c.commission - c.tax;
    }
  }

  // ------------------------------------------------------------------------------------------
  // 7. Persist

  private async persist(
    perStrategy: readonly { strategy: BoundStrategy; ctx: RunContext; state: unknown; decisions: StrategyDecision[] }[],
    pending: readonly Pending[],
  ): Promise<void> {
    for (const { strategy, ctx, state, decisions } of perStrategy) {
      const results: DecisionResult[] = pending
        .filter((p) => p.strategy === strategy)
        .map((p) => ({
          index: p.index,
          decision: p.decision,
          outcome: p.outcome,
          filledQuantity: p.filledQuantity,
          ...(p.filledQuantity > 0 ? { averageFillPrice: p.filledValue / p.filledQuantity } : {}),
        }));
      if (this.dryRun) continue;
      for (const d of decisions) {
        if (d.type !== 'SIGNAL') continue;
        try {
          await this.deps.state.appendSignal({
            runnerId: this.cfg.runnerId,
            strategyId: strategy.id,
            instrumentId: d.instrumentId,
            signal: d.signal,
            price: d.price,
            values: d.values,
            reason: d.reason,
            ts: this.now,
            sessionDate: this.today,
          });
        } catch (e) {
          this.error('appendSignal', e, { strategyId: strategy.id, instrumentId: d.instrumentId });
        }
      }
      try {
        const next = strategy.nextState(ctx, state, decisions, results);
        await this.deps.state.save(this.runner.stateKey(strategy.id), next);
      } catch (e) {
        this.error('saveState', e, { strategyId: strategy.id });
      }
    }
  }
}
