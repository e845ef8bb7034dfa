import { unixMillis } from '../core/brand.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { kstDateOf, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import { tradeCosts, type TradeCostRates } from '../model/fees.ts';
import type { InstrumentId } from '../model/instrument.ts';
import { instrumentId as toInstrumentId } from '../model/instrument.ts';
import type { ExecutionNotice } from '../model/market-data.ts';
import { krw, notional, price as toPrice, quantity as toQuantity } from '../model/money.ts';
import type { CostRates, Ledger, ReconciliationKind, ReconciliationStatus, StoredOrder, StoredReconciliationReport } from '../persistence/index.ts';
import type { SyncAlert, VenueAccountPort } from './ports.ts';
import { reconcile, type Correction, type LedgerView, type ReconcileResult, type VenueSnapshot } from './reconciler.ts';

/** Whether the node may trade: HALTED after an unexplained startup difference (fail closed). */
export type TradingState = 'ACTIVE' | 'HALTED';

/** What one sync did. */
export interface SyncOutcome {
  readonly kind: ReconciliationKind;
  readonly status: ReconciliationStatus;
  /** The stored report (every sync writes one); `undefined` only when even that write failed. */
  readonly report: StoredReconciliationReport | undefined;
  /** The reconciliation, when the venue could be queried. */
  readonly result: ReconcileResult | undefined;
  /** Why the sync failed (status FAILED). */
  readonly error?: string;
  /** The trading state after the sync. */
  readonly state: TradingState;
}

/** What `onNotice` did with a notice. */
export type NoticeOutcome =
  /** A new fill: recorded, position and cash moved in one transaction. */
  | 'APPLIED'
  /** The same fill again (duplicated notice): nothing changed. */
  | 'DUPLICATE'
  /** A fill already counted by a REST correction of its order (a late notice): nothing changed. */
  | 'COVERED'
  /** An acknowledgement that moved one of our orders. */
  | 'ORDER_UPDATED'
  /** Nothing to do: an acknowledgement of an order not in the ledger, or another account's notice. */
  | 'IGNORED'
  /** The ledger refused it (logged, alerted; the post-fill check reconciles). */
  | 'FAILED';

export interface AccountSyncOptions {
  readonly ledger: Ledger;
  /** The ledger's account id (registered in `accounts`). */
  readonly accountId: string;
  readonly venue: VenueAccountPort;
  /** Every timer (post-fill check, periodic sync) runs on this clock. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Commission / tax rates (the same the ledger uses). */
  readonly rates: CostRates;
  /** True during the session: the periodic sync runs only then. */
  readonly isMarketHours: () => boolean;
  /** The session date to reconcile (KST); default the clock's date. */
  readonly today?: () => KstDate;
  /** Whether a notice's account (10 digits, CANO + product code) is this account; default: every notice. */
  readonly isOurAccount?: (account: string) => boolean;
  readonly onAlert?: (alert: SyncAlert) => void;
  /** Called after every sync, with its outcome. */
  readonly onSync?: (outcome: SyncOutcome) => void;
  /** Delay of the post-fill check after a fill or an acceptance (ms, default 3,000). */
  readonly postFillDelayMs?: number;
  /** Period of the full balance sync during market hours (ms, default 60,000). */
  readonly periodicMs?: number;
  /** Window (ms) within which a streamed fill may be missing from a REST snapshot (default 5,000). */
  readonly recentWindowMs?: number;
  /**
   * While the ledger holds working orders of ours, the venue's order list is checked this often (ms,
   * default 3,000; 0 = never) and a full sync (kind POST_FILL) runs when it shows fills the ledger
   * lacks: a fill whose notice was lost is then recorded within seconds even on an order that rested
   * longer than the post-fill delay. One order query per check; nothing while no order is open.
   */
  readonly openOrderCheckMs?: number;
  /** The close of the session being reconciled (epoch ms): a sync at or after it expires what day orders left. */
  readonly sessionClose?: () => number | undefined;
  /** Consecutive venue misses after which an order is lost (default 3). */
  readonly lostAfterMisses?: number;
  /** Attempts at a consistent snapshot (balance → orders → balance agree) before going on without (default 3). */
  readonly snapshotAttempts?: number;
  /**
   * Awaited before each notice is applied and before each sync reads the ledger (after it read the
   * venue): resolves when every order of ours that may be at the venue is in the ledger. Orders sent
   * ahead of their ledger journal (the order executor's write-ahead mode, `OrderExecutor.whenJournaled`)
   * need it, or their first notice or a sync would find a venue order the ledger lacks and book its
   * fills as an outside trade. Its failure is logged and the work goes on.
   */
  readonly beforeLedgerRead?: () => Promise<void>;
}

/** Statuses an order can be canceled or expired from (the order model's). */
const OPEN_FOR_CLOSE: readonly string[] = ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_UPDATE'];

/** The notice-derived trade id: duplicates of one notice share it (KIS notices carry no fill sequence). */
export function noticeTradeId(n: ExecutionNotice): string {
  return `N${n.tsEvent}-${n.fillQuantity}-${n.fillPrice}`;
}

/**
 * The hybrid account sync of issue 4 §2 for one account:
 * - `onNotice`: an execution notice updates the ledger at once — a fill through `Ledger.applyFill` (fill,
 *   position and cash in one transaction; de-duplicated by (account, session date, venue order id,
 *   trade id)); an acknowledgement moves our order. Each fill or acceptance arms the post-fill check.
 * - post-fill check: `postFillDelayMs` after a fill or acceptance, a full reconciliation (kind POST_FILL);
 *   it records fills whose notice was lost.
 * - periodic: every `periodicMs` during market hours (kind PERIODIC); INFO log only when something changed.
 * - `onReconnect`: at once after a WebSocket reconnect (kind RECONNECT).
 * - `startup`: before any trading; an unexplained difference or a failed sync leaves the state HALTED
 *   (fail closed) with the report saying what differed.
 * Every sync writes a reconciliation report. Notices and syncs run one at a time (one queue), so a
 * sync's ledger view and its corrections never interleave with a notice.
 *
 * Notice fills vs REST fills: KIS notices carry no fill sequence, so a notice's trade id is derived from
 * its time, quantity and price (`noticeTradeId`): a duplicated notice lands once. Two distinct fills of
 * one order in the same second at the same quantity and price would share it; the second is then
 * missing and the next REST check records it (the quantity is never lost, only its notice). A fill the
 * reconciliation recorded from REST (`R<cumulative>`) may reappear later as a late notice: once a venue
 * order has a REST fill, each further notice of it is checked against a fresh venue query and applied
 * only while the ledger's total for the order stays within the venue's cumulative quantity. So the
 * ledger's filled quantity of an order never exceeds the venue's, and converges to it.
 */
export class AccountSync {
  private readonly o: AccountSyncOptions;
  private readonly log: Logger;
  private readonly ratesOf: (id: InstrumentId) => TradeCostRates;
  private queue: Promise<unknown> = Promise.resolve();
  private postFillTimer: TimerHandle | undefined;
  private periodicTimer: TimerHandle | undefined;
  private openCheckTimer: TimerHandle | undefined;
  /** The ledger held working orders of ours at the last look (a sync, an acceptance). */
  private openOrdersSeen = false;
  private checkingOpen = false;
  private stopped = false;
  private stateValue: TradingState = 'ACTIVE';
  private lastOutcome: SyncOutcome | undefined;
  private startupValue: SyncOutcome | undefined;
  private pending = 0;
  /** Counters for the run report. */
  readonly counters = { notices: 0, fillsApplied: 0, duplicates: 0, covered: 0, syncs: 0, corrected: 0, diverged: 0, failed: 0, restFills: 0 };

  constructor(opts: AccountSyncOptions) {
    this.o = opts;
    this.log = opts.logger.child({ component: 'sync', accountId: opts.accountId });
    const rates = opts.rates;
    this.ratesOf = typeof rates === 'function' ? rates : () => rates;
  }

  /** ACTIVE, or HALTED after a failed or diverged startup reconciliation. */
  get state(): TradingState {
    return this.stateValue;
  }

  /** The startup reconciliation's outcome, once it ran. */
  get startupOutcome(): SyncOutcome | undefined {
    return this.startupValue;
  }

  /** The last sync's outcome. */
  get last(): SyncOutcome | undefined {
    return this.lastOutcome;
  }

  private get today(): KstDate {
    return this.o.today?.() ?? kstDateOf(this.o.clock.now());
  }

  /** `beforeLedgerRead`, never throwing. */
  private async journaled(): Promise<void> {
    if (!this.o.beforeLedgerRead) return;
    try {
      await this.o.beforeLedgerRead();
    } catch (err) {
      this.log.warn({ err }, 'waiting for in-flight order journal writes failed; reading the ledger anyway');
    }
  }

  /** Runs `fn` after everything queued before it (notices and syncs never interleave). */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(fn, fn).finally(() => this.pending--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Notices and syncs queued or running (tests hold simulated time still while it is > 0, as for HTTP). */
  get busy(): number {
    return this.pending;
  }

  /** Resolves when every queued notice and sync is done. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      if (q === this.queue) return;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // notices
  // ----------------------------------------------------------------------------------------------

  /** Applies one execution notice (see the class comment). Never throws. */
  onNotice(n: ExecutionNotice): Promise<NoticeOutcome> {
    return this.enqueue(async () => {
      this.counters.notices++;
      if (this.o.isOurAccount && !this.o.isOurAccount(n.account)) return 'IGNORED';
      await this.journaled();
      try {
        return n.kind === 'FILLED' ? await this.applyNoticeFill(n) : await this.applyAck(n);
      } catch (err) {
        this.log.error({ err, venueOrderId: n.venueOrderId, kind: n.kind }, 'execution notice not applied; the post-fill check will reconcile');
        this.alert({ code: 'NOTICE_NOT_APPLIED', message: `execution notice of order ${n.venueOrderId} (${n.instrumentId}) not applied: ${(err as Error).message}`, priority: 'high' });
        return 'FAILED';
      } finally {
        if (n.kind === 'FILLED' || !n.rejected) this.armPostFill();
      }
    });
  }

  private async applyNoticeFill(n: ExecutionNotice): Promise<NoticeOutcome> {
    const { ledger, accountId } = this.o;
    const tradeId = noticeTradeId(n);
    const day = kstDateOf(n.tsEvent);
    const recorded = await ledger.fills.forVenueOrder(accountId, day, n.venueOrderId);
    if (recorded.some((f) => f.tradeId === tradeId)) {
      this.counters.duplicates++;
      return 'DUPLICATE';
    }
    if (recorded.some((f) => f.source === 'REST')) {
      // A REST correction stood in for notices of this order: this one may be one of them.
      const orders = await this.o.venue.requestOrders({ from: day, to: day });
      const total = orders.find((r) => r.venueOrderId === n.venueOrderId)?.filledQuantity ?? 0;
      const have = recorded.reduce((a, f) => a + f.quantity, 0);
      if (have + n.fillQuantity > total) {
        this.counters.covered++;
        this.log.info({ venueOrderId: n.venueOrderId, tradeId, have, venueTotal: total, fillQuantity: n.fillQuantity }, 'late notice already counted by a REST correction');
        return 'COVERED';
      }
    }
    if (recorded.length === 0 && n.action === 'NEW' && (await ledger.orders.findByVenueOrderId(accountId, n.venueOrderId, { tradeDate: day })) === undefined) {
      // The fill overtook both the acceptance notice (lost, or still queued behind) and the REST
      // acknowledgement: link the venue number to our one in-flight order with these terms first, so
      // the fill is ours and not an outside trade.
      const mine = await this.inFlightMatch(n, day);
      if (mine) {
        await ledger.orders.applyEventWhen(
          { type: 'OrderAccepted', clientOrderId: mine.order.clientOrderId, instrumentId: mine.order.instrumentId, tsEvent: n.tsEvent, tsInit: unixMillis(this.o.clock.now()), venueOrderId: n.venueOrderId, branch: n.branch },
          (x) => x.status === 'SUBMITTED' && x.venueOrderId === undefined,
        );
      }
    }
    const result = await ledger.applyFill({
      accountId,
      venueOrderId: n.venueOrderId,
      tradeId,
      instrumentId: toInstrumentId(n.instrumentId),
      side: n.side,
      quantity: toQuantity(n.fillQuantity),
      price: toPrice(n.fillPrice),
      source: 'NOTICE',
      tsEvent: n.tsEvent,
      tsInit: n.tsInit,
    });
    if (!result.changed) {
      this.counters.duplicates++;
      if (result.conflicting) this.alert({ code: 'FILL_CONFLICT', message: `order ${n.venueOrderId}: a fill was reported twice with different facts`, priority: 'high' });
      return 'DUPLICATE';
    }
    this.counters.fillsApplied++;
    return 'APPLIED';
  }

  private async applyAck(n: ExecutionNotice): Promise<NoticeOutcome> {
    const { ledger, accountId } = this.o;
    const day = kstDateOf(n.tsEvent);
    const now = unixMillis(this.o.clock.now());
    const id = n.action === 'NEW' ? n.venueOrderId : n.originalVenueOrderId;
    const found = (await ledger.orders.findByVenueOrderId(accountId, id, { tradeDate: day })) ?? (n.action === 'NEW' ? await this.inFlightMatch(n, day) : undefined);
    if (!found) return 'IGNORED';
    const o = found.order;
    if (!n.rejected && n.action !== 'CANCEL') this.openOrdersSeen = true;
    const base = { clientOrderId: o.clientOrderId, instrumentId: o.instrumentId, tsEvent: n.tsEvent, tsInit: now };
    // Each event is applied under the order's row lock only if the order still waits for it: the order
    // executor records the same answers from the REST acknowledgement, whichever comes first wins.
    const applied = async (event: Parameters<typeof ledger.orders.applyEventWhen>[0], when: (x: typeof o) => boolean): Promise<NoticeOutcome> => {
      const after = await ledger.orders.applyEventWhen(event, when);
      return after.order.events.length > o.events.length || after.order.status !== o.status ? 'ORDER_UPDATED' : 'IGNORED';
    };
    if (n.rejected) {
      if (n.action === 'NEW' && o.status === 'SUBMITTED') {
        return applied({ ...base, type: 'OrderRejected', reason: 'refused by the venue (notice)', messageCode: 'NOTICE_RFUS' }, (x) => x.status === 'SUBMITTED');
      }
      if (n.action === 'CANCEL' && o.status === 'PENDING_CANCEL') {
        return applied({ ...base, type: 'OrderCancelRejected', reason: 'cancel refused by the venue (notice)', messageCode: 'NOTICE_RFUS' }, (x) => x.status === 'PENDING_CANCEL');
      }
      if (n.action === 'MODIFY' && o.status === 'PENDING_UPDATE') {
        return applied({ ...base, type: 'OrderModifyRejected', reason: 'modify refused by the venue (notice)', messageCode: 'NOTICE_RFUS' }, (x) => x.status === 'PENDING_UPDATE');
      }
      return 'IGNORED';
    }
    if (n.action === 'NEW' && o.status === 'SUBMITTED') {
      return applied({ ...base, type: 'OrderAccepted', venueOrderId: n.venueOrderId, branch: n.branch }, (x) => x.status === 'SUBMITTED' && x.venueOrderId === undefined);
    }
    if (n.action === 'MODIFY' && ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_UPDATE'].includes(o.status) && !o.venueOrderIds.includes(n.venueOrderId)) {
      // KIS books a modify as a new order number; fills of the remainder carry it. Link it before they come.
      // Our own modifies move the whole remainder (the total stays); one made elsewhere (HTS/MTS) sets
      // the remainder to the notice's quantity.
      const total = o.status === 'PENDING_UPDATE' ? o.quantity : o.filledQty + n.quantity;
      return applied(
        {
          ...base,
          type: 'OrderUpdated',
          venueOrderId: n.venueOrderId,
          branch: n.branch,
          quantity: toQuantity(Math.max(total, o.filledQty)),
          ...(o.orderType === 'LIMIT' && n.price > 0 ? { price: toPrice(n.price) } : {}),
        },
        (x) => !x.venueOrderIds.includes(n.venueOrderId) && ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_UPDATE'].includes(x.status),
      );
    }
    if (n.action === 'CANCEL' && ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_UPDATE'].includes(o.status)) {
      return applied({ ...base, type: 'OrderCanceled' }, (x) => ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_UPDATE'].includes(x.status));
    }
    return 'IGNORED';
  }

  /**
   * The acceptance notice of a new order that our ledger holds as SUBMITTED without a venue number yet
   * (the notice overtook the REST acknowledgement): the one in-flight order of ours with the notice's
   * instrument, side, quantity and price created that KST day. Two or more candidates: none is chosen
   * (the acknowledgement or the reconciliation links them).
   */
  private async inFlightMatch(n: ExecutionNotice, day: KstDate): Promise<StoredOrder | undefined> {
    const inflight = await this.o.ledger.orders.findByStatus(['SUBMITTED'], this.o.accountId);
    const candidates = inflight.filter(
      (s) =>
        s.order.venueOrderId === undefined &&
        kstDateOf(s.createdAt) === day &&
        s.order.instrumentId === n.instrumentId &&
        s.order.side === n.side &&
        s.order.quantity === n.quantity &&
        (s.order.orderType === 'MARKET' || s.order.price === n.price),
    );
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  // ----------------------------------------------------------------------------------------------
  // timers
  // ----------------------------------------------------------------------------------------------

  /** Arms the post-fill check unless one is already due (a burst of fills gets one check). */
  private armPostFill(): void {
    if (this.stopped || this.postFillTimer !== undefined) return;
    this.postFillTimer = this.o.clock.setTimer(this.o.postFillDelayMs ?? 3_000, () => {
      this.postFillTimer = undefined;
      void this.syncNow('POST_FILL');
    });
  }

  /** Starts the periodic sync (every `periodicMs`, only during market hours). */
  start(): void {
    this.stopped = false;
    const tick = (): void => {
      this.periodicTimer = this.o.clock.setTimer(this.o.periodicMs ?? 60_000, () => {
        if (this.stopped) return;
        if (this.o.isMarketHours()) void this.syncNow('PERIODIC');
        tick();
      });
    };
    this.periodicTimer?.cancel();
    tick();
    const every = this.o.openOrderCheckMs ?? 3_000;
    if (every > 0) {
      const openTick = (): void => {
        this.openCheckTimer = this.o.clock.setTimer(every, () => {
          if (this.stopped) return;
          if (this.openOrdersSeen && this.o.isMarketHours()) void this.checkOpenOrders();
          openTick();
        });
      };
      this.openCheckTimer?.cancel();
      openTick();
    }
  }

  /** Tells the sync that an order of ours was just placed (the open-order check watches it). */
  noteOrderPlaced(): void {
    this.openOrdersSeen = true;
  }

  /**
   * Compares the venue's fills of our working orders with the ledger's; a difference starts a full
   * sync (POST_FILL) at once. Never throws.
   */
  private async checkOpenOrders(): Promise<void> {
    if (this.checkingOpen) return;
    this.checkingOpen = true;
    try {
      const { ledger, accountId } = this.o;
      const open = await ledger.orders.findOpen(accountId);
      this.openOrdersSeen = open.length > 0;
      if (open.length === 0) return;
      const day = this.o.today?.() ?? kstDateOf(this.o.clock.now());
      const venue = await this.o.venue.requestOrders({ from: day, to: day });
      const filledAt = new Map(venue.map((r) => [r.venueOrderId, r] as const));
      const behind = open.some((s) => {
        if (s.order.venueOrderIds.length === 0) return false;
        let venueFilled = 0;
        let done = false;
        for (const v of s.order.venueOrderIds) {
          const r = filledAt.get(v);
          if (r === undefined) continue;
          venueFilled += r.filledQuantity;
          if (v === s.order.venueOrderId) done = r.canceled || r.remainingQuantity === 0;
        }
        return venueFilled > s.order.filledQty || (done && venueFilled < s.order.quantity && s.order.status !== 'PENDING_CANCEL');
      });
      if (behind) await this.syncNow('POST_FILL');
    } catch (err) {
      this.log.warn({ err }, 'open-order check failed; the next check or sync retries');
    } finally {
      this.checkingOpen = false;
    }
  }

  /** Cancels the timers; queued work still finishes (`whenIdle`). */
  stop(): void {
    this.stopped = true;
    this.periodicTimer?.cancel();
    this.postFillTimer?.cancel();
    this.openCheckTimer?.cancel();
    this.periodicTimer = undefined;
    this.postFillTimer = undefined;
    this.openCheckTimer = undefined;
  }

  /** The emergency sync after a WebSocket reconnect. */
  onReconnect(): Promise<SyncOutcome> {
    return this.syncNow('RECONNECT');
  }

  /**
   * The startup reconciliation: run it before any trading. DIVERGED or FAILED leaves the node HALTED
   * (fail closed) and alerts; the outcome carries the report.
   */
  async startup(): Promise<SyncOutcome> {
    const outcome = await this.syncNow('STARTUP');
    if (outcome.status === 'DIVERGED' || outcome.status === 'FAILED') {
      this.stateValue = 'HALTED';
      this.alert({ code: 'STARTUP_HALTED', message: `startup reconciliation ${outcome.status}: trading HALTED — ${outcome.report?.summary ?? outcome.error ?? ''}`, priority: 'emergency' });
    }
    const final = { ...outcome, state: this.stateValue };
    this.lastOutcome = final;
    this.startupValue = final;
    return final;
  }

  // ----------------------------------------------------------------------------------------------
  // the sync
  // ----------------------------------------------------------------------------------------------

  /** Runs one reconciliation now (after queued work) and writes its report. Never throws. */
  syncNow(kind: ReconciliationKind): Promise<SyncOutcome> {
    return this.enqueue(() => this.runSync(kind));
  }

  private async runSync(kind: ReconciliationKind): Promise<SyncOutcome> {
    const { ledger, accountId, clock } = this.o;
    const startedAt = unixMillis(clock.now());
    this.counters.syncs++;
    let result: ReconcileResult | undefined;
    try {
      const today = this.today;
      const venue = await this.snapshot(today);
      // Every order that can be in the venue's snapshot must be in the ledger view.
      await this.journaled();
      const view = await this.ledgerView(today);
      if (view.empty && !venue.consistent) throw new SyncError('SNAPSHOT_INCONSISTENT', 'the account kept changing during the queries; the initial adoption needs a quiet snapshot');
      if (kind === 'STARTUP' && !venue.consistent) throw new SyncError('SNAPSHOT_INCONSISTENT', 'the account kept changing during the startup queries');
      const r = reconcile(view, venue, {
        kind,
        initial: view.empty,
        adoptUnexplained: kind !== 'STARTUP',
        recentWindowMs: this.o.recentWindowMs ?? 5_000,
        lostAfterMisses: this.o.lostAfterMisses ?? 3,
        ...(this.o.sessionClose?.() !== undefined ? { sessionClose: this.o.sessionClose()! } : {}),
        costsOf: (id, side, value) => tradeCosts(value, side, this.ratesOf(id)),
      });
      result = r;
      const report = await ledger.db.transaction(async () => {
        await this.apply(r);
        return ledger.reports.insert({
          accountId,
          kind,
          startedAt,
          finishedAt: unixMillis(Math.max(startedAt, clock.now())),
          status: r.status,
          compared: r.compared,
          differences: r.differences,
          adopted: r.corrections,
          summary: r.summary,
        });
      });
      if (r.status === 'CORRECTED') this.counters.corrected++;
      if (r.status === 'DIVERGED') this.counters.diverged++;
      this.counters.restFills += r.corrections.filter((c) => c.type === 'RECORD_FILL' && c.applyToBooks).length;
      if (r.status === 'MATCHED') this.log.debug({ kind, reportId: report.id }, r.summary);
      else this.log.info({ kind, reportId: report.id }, r.summary);
      for (const c of r.corrections) {
        if (c.type === 'ORDER_LOST') this.alert({ code: 'ORDER_LOST', message: `order ${c.clientOrderId} is LOST: ${c.reason}`, priority: 'emergency' });
      }
      if (r.status === 'DIVERGED' && kind !== 'STARTUP') this.alert({ code: 'SYNC_DIVERGED', message: `${kind} sync: ${r.summary}`, priority: 'emergency' });
      const external = r.corrections.filter((c) => (c.type === 'RECORD_FILL' && c.fill.external && c.applyToBooks) || (c.type === 'ADOPT_POSITION' && c.external && !view.empty));
      if (external.length > 0) this.alert({ code: 'EXTERNAL_CHANGE_ADOPTED', message: `${kind} sync adopted ${external.length} change(s) made outside hantu: ${r.summary}`, priority: 'high' });
      return this.finish({ kind, status: r.status, report, result: r, state: this.stateValue });
    } catch (err) {
      this.counters.failed++;
      const message = (err as Error).message ?? String(err);
      this.log.warn({ err, kind }, `${kind} sync FAILED`);
      let report: StoredReconciliationReport | undefined;
      try {
        report = await ledger.reports.insert({
          accountId,
          kind,
          startedAt,
          finishedAt: unixMillis(Math.max(startedAt, clock.now())),
          status: 'FAILED',
          compared: result?.compared ?? {},
          differences: result?.differences ?? [],
          adopted: [],
          summary: `FAILED: ${message}`,
        });
      } catch (e2) {
        this.log.error({ err: e2 }, 'could not write the FAILED reconciliation report');
      }
      if (kind !== 'STARTUP') this.alert({ code: 'SYNC_FAILED', message: `${kind} sync failed: ${message}`, priority: 'high' });
      return this.finish({ kind, status: 'FAILED', report, result, error: message, state: this.stateValue });
    }
  }

  private finish(outcome: SyncOutcome): SyncOutcome {
    this.lastOutcome = outcome;
    try {
      this.o.onSync?.(outcome);
    } catch (err) {
      this.log.warn({ err }, 'onSync callback threw');
    }
    return outcome;
  }

  /** balance → orders → balance, until the two balances agree (no fill in between) or attempts run out. */
  private async snapshot(today: KstDate): Promise<VenueSnapshot> {
    const attempts = Math.max(1, this.o.snapshotAttempts ?? 3);
    let last: VenueSnapshot | undefined;
    for (let i = 0; i < attempts; i++) {
      const startedAt = unixMillis(this.o.clock.now());
      const before = await this.o.venue.requestBalance();
      const orders = await this.o.venue.requestOrders({ from: today, to: today });
      const after = await this.o.venue.requestBalance();
      const consistent = sameHoldings(before, after);
      last = { balance: after, orders, startedAt, consistent, today };
      if (consistent) return last;
    }
    return last!;
  }

  private async ledgerView(today: KstDate): Promise<LedgerView> {
    const { ledger, accountId } = this.o;
    const [positions, allPositions, cash, fills, anyFill, open] = await Promise.all([
      ledger.positions.list(accountId),
      ledger.positions.list(accountId, { includeFlat: true }),
      ledger.cash.get(accountId),
      ledger.fills.list(accountId, { tradeDate: today }),
      ledger.fills.list(accountId, { limit: 1 }),
      ledger.orders.findOpen(accountId),
    ]);
    this.openOrdersSeen = open.length > 0;
    return {
      empty: allPositions.length === 0 && cash === undefined && anyFill.length === 0,
      positions: positions.map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity, costBasis: p.costBasis, external: p.external })),
      cash,
      fillsToday: fills.map((f) => {
        const value = notional(f.price, f.quantity);
        return {
          venueOrderId: f.venueOrderId,
          tradeId: f.tradeId,
          clientOrderId: f.clientOrderId,
          instrumentId: f.instrumentId,
          side: f.side,
          quantity: f.quantity,
          price: f.price,
          source: f.source,
          tsEvent: f.tsEvent,
          cashEffect: f.side === 'BUY' ? -(value + f.commission) : value - f.commission - f.tax,
        };
      }),
      openOrders: open.map((s) => ({
        clientOrderId: s.order.clientOrderId,
        status: s.order.status,
        instrumentId: s.order.instrumentId,
        side: s.order.side,
        quantity: s.order.quantity,
        filledQty: s.order.filledQty,
        venueOrderIds: s.order.venueOrderIds,
        venueMisses: s.venue.misses,
        createdAt: s.createdAt,
      })),
    };
  }

  /** Applies the corrections and notes, inside the caller's transaction. */
  private async apply(r: ReconcileResult): Promise<void> {
    const { ledger, accountId } = this.o;
    const now = unixMillis(this.o.clock.now());
    const eventBase = async (clientOrderId: string) => {
      const s = await ledger.orders.get(clientOrderId);
      if (!s) throw new SyncError('ORDER_UNKNOWN', `order ${clientOrderId} vanished during the sync`);
      return { clientOrderId, instrumentId: s.order.instrumentId, tsEvent: now, tsInit: now };
    };
    const fills = r.corrections.filter((c): c is Extract<Correction, { type: 'RECORD_FILL' }> => c.type === 'RECORD_FILL');
    // Buys before sells at the same time, so a sell never meets a holding its buy has not reached yet.
    fills.sort((a, b) => a.fill.tsEvent - b.fill.tsEvent || (a.fill.side === b.fill.side ? 0 : a.fill.side === 'BUY' ? -1 : 1));
    for (const c of r.corrections.filter((x) => x.type === 'ORDER_ACCEPTED')) {
      if (c.type !== 'ORDER_ACCEPTED') continue;
      await ledger.orders.applyEvent({ ...(await eventBase(c.clientOrderId)), tsEvent: c.tsEvent, type: 'OrderAccepted', venueOrderId: c.venueOrderId, branch: c.branch });
    }
    for (const c of r.corrections) {
      if (c.type !== 'ORDER_MODIFIED') continue;
      // The same event the modify notice writes (applyAck); whoever comes first records it.
      const s = await ledger.orders.get(c.clientOrderId);
      if (s === undefined) continue;
      await ledger.orders.applyEventWhen(
        {
          ...(await eventBase(c.clientOrderId)),
          tsEvent: c.tsEvent,
          type: 'OrderUpdated',
          venueOrderId: c.venueOrderId,
          branch: c.branch,
          quantity: s.order.quantity,
          ...(s.order.orderType === 'LIMIT' && c.price > 0 ? { price: toPrice(c.price) } : {}),
        },
        (x) => !x.venueOrderIds.includes(c.venueOrderId) && ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_UPDATE'].includes(x.status),
      );
    }
    for (const c of fills) {
      const f = c.fill;
      if (c.applyToBooks) {
        await ledger.applyFill({ accountId, venueOrderId: f.venueOrderId, tradeId: f.tradeId, instrumentId: f.instrumentId, side: f.side, quantity: f.quantity, price: f.price, source: 'REST', tsEvent: f.tsEvent });
      } else {
        const costs = tradeCosts(notional(f.price, f.quantity), f.side, this.ratesOf(f.instrumentId));
        await ledger.fills.recordFill({ accountId, venueOrderId: f.venueOrderId, tradeId: f.tradeId, instrumentId: f.instrumentId, side: f.side, quantity: f.quantity, price: f.price, source: 'REST', tsEvent: f.tsEvent, ...costs });
      }
    }
    for (const c of r.corrections) {
      switch (c.type) {
        case 'ORDER_ACCEPTED':
        case 'ORDER_MODIFIED':
        case 'RECORD_FILL':
          break;
        // Applied only while the order is still open: a notice or the executor may have closed it
        // between this sync's view and now (a stale view must not fail the whole sync).
        case 'ORDER_CANCELED':
          await ledger.orders.applyEventWhen({ ...(await eventBase(c.clientOrderId)), type: 'OrderCanceled' }, (x) => OPEN_FOR_CLOSE.includes(x.status));
          break;
        case 'ORDER_EXPIRED':
          await ledger.orders.applyEventWhen({ ...(await eventBase(c.clientOrderId)), type: 'OrderExpired' }, (x) => OPEN_FOR_CLOSE.includes(x.status));
          break;
        case 'ORDER_LOST':
          if (c.status === 'SUBMITTED') {
            await ledger.orders.applyEvent({ ...(await eventBase(c.clientOrderId)), type: 'OrderRejected', reason: `LOST: ${c.reason}`, messageCode: 'HANTU_LOST' });
          }
          await ledger.orders.recordVenueReport(c.clientOrderId, { status: 'LOST', reportedAt: now });
          break;
        case 'ADOPT_POSITION': {
          const held = await ledger.positions.get(accountId, c.instrumentId, { forUpdate: true });
          await ledger.positions.upsert(
            accountId,
            {
              instrumentId: c.instrumentId,
              quantity: c.quantity,
              costBasis: c.quantity === 0 ? krw(0) : c.costBasis,
              realizedPnl: held?.realizedPnl ?? krw(0),
              commissionPaid: held?.commissionPaid ?? krw(0),
              taxPaid: held?.taxPaid ?? krw(0),
            },
            { external: c.external },
          );
          break;
        }
        case 'ADOPT_CASH': {
          const held = await ledger.cash.get(accountId, { forUpdate: true });
          await ledger.cash.upsert(accountId, { deposit: c.deposit, settlementD1: c.settlementD1, settlementD2: c.settlementD2 ?? held?.settlementD2 ?? krw(0) });
          break;
        }
      }
    }
    for (const n of r.notes) {
      if (n.type === 'VENUE_REPORT') await ledger.orders.recordVenueReport(n.clientOrderId, { status: n.status, filledQty: n.filledQty, remainingQty: n.remainingQty, reportedAt: now });
      else if (!r.corrections.some((c) => c.type === 'ORDER_LOST' && c.clientOrderId === n.clientOrderId)) await ledger.orders.recordVenueMiss(n.clientOrderId, now);
    }
  }

  private alert(a: SyncAlert): void {
    try {
      this.o.onAlert?.(a);
    } catch (err) {
      this.log.warn({ err }, 'onAlert callback threw');
    }
  }
}

/** The two balances hold the same shares and the same D+2 cash. */
function sameHoldings(a: { positions: readonly { instrumentId: string; quantity: number }[]; cash: { settlementD2: number } }, b: typeof a): boolean {
  if (a.cash.settlementD2 !== b.cash.settlementD2) return false;
  const qa = new Map(a.positions.filter((p) => p.quantity > 0).map((p) => [p.instrumentId, p.quantity]));
  const qb = b.positions.filter((p) => p.quantity > 0);
  if (qa.size !== qb.length) return false;
  return qb.every((p) => qa.get(p.instrumentId) === p.quantity);
}

/** A sync that could not complete (reported FAILED). */
export class SyncError extends AppError {
  readonly disposition = 'retryable' as const;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

