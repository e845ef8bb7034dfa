/**
 * Ports of the strategy runner. The strategy layer imports no adapter, store or risk engine: the
 * composition root (`src/node`) wires these to the KIS or sim client, the persistence layer and the
 * risk engine. Shapes come from `model/reports.ts`; money in whole won, quantities in whole shares,
 * instants in epoch ms.
 *
 * Errors follow DESIGN.md §5: every error a port throws should carry a `disposition`. On `submitOrder`
 * only `rejected` means "not placed"; anything else (including a missing disposition) is treated as
 * outcome-unknown: the order may be live and is never sent again.
 */
import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { MinuteBar } from '../data/bars.ts';
import type { MarketPhase } from '../model/calendar.ts';
import type { InstrumentId, InstrumentKind } from '../model/instrument.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type { AccountBalanceReport, OrderAck, OrderBookReport, OrderStatusReport, QuoteReport, VenueOrderRef } from '../model/reports.ts';
import type { AssetSettings, DecisionKind, SignalType, StrategyQuote } from './strategy.ts';
import type { ExecutionRequest, PlacedOrder, WorkResult } from '../execution/executor.ts';

/** A new cash order. Structurally the KIS client's `SubmitOrderParams`. */
export interface SubmitOrderRequest {
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  /** Whole shares, > 0. */
  readonly quantity: number;
  /** Won on the tick grid; LIMIT only. */
  readonly price?: number;
  /** Tick table the price is on. */
  readonly instrumentKind?: InstrumentKind;
}

/**
 * What the runner needs of the broker (KIS or the twin). Queries may be retried by the port; commands
 * (`submitOrder`, `cancelOrder`) never are.
 */
export interface BrokerPort {
  /** Holdings (all pages) and cash. */
  requestBalance(): Promise<AccountBalanceReport>;
  /** Last price, daily limits, tick, halt flag. */
  requestQuote(id: InstrumentId): Promise<QuoteReport>;
  /** Best bid and ask (optional; without it limit prices are taken from the last trade). */
  requestOrderBook?(id: InstrumentId): Promise<OrderBookReport>;
  /** Today's open (unfilled or partly filled) orders. */
  requestOpenOrders(): Promise<OrderStatusReport[]>;
  /** Orders and fills of the KST dates `from`..`to` (inclusive). */
  requestOrders(range: { from: KstDate; to: KstDate }): Promise<OrderStatusReport[]>;
  /** Sends a new order; resolves with the venue's acknowledgement (order number + branch). */
  submitOrder(req: SubmitOrderRequest): Promise<OrderAck>;
  /** Cancels all the remaining quantity of an order. */
  cancelOrder(ref: VenueOrderRef): Promise<OrderAck>;
}

/** Session minute bars (optional port; needed by strategies with `needsMinuteBars`). */
export interface MinuteBarSource {
  /** The minute bars of `id` on `date` so far, oldest first (completed minutes only). */
  requestMinuteBars(id: InstrumentId, date: KstDate): Promise<readonly MinuteBar[]>;
}

/** The market phase at an instant. `KrxCalendar` satisfies it. */
export interface PhaseSource {
  phaseAt(ms: number): { phase: MarketPhase };
}

/** An order the runner is about to place, as the risk check sees it. */
export interface OrderIntent {
  readonly clientOrderId: string;
  /** Strategy instance id. */
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: number;
  /** Limit price (won); absent for MARKET. */
  readonly price?: number;
  /** Worst-case value (won): quantity × limit, or × the upper limit for a MARKET buy. */
  readonly notional: number;
  readonly kind: DecisionKind;
  readonly reason: string;
}

/** What the risk check may look at. */
export interface RiskContext {
  readonly now: UnixMillis;
  readonly phase: MarketPhase;
  readonly balance: AccountBalanceReport;
  readonly quote: StrategyQuote;
  readonly openOrders: readonly OrderStatusReport[];
  readonly dryRun: boolean;
}

/** A refusal by the risk check: stable UPPER_SNAKE code plus `key=value` detail. */
export interface RiskDenial {
  readonly code: string;
  readonly detail: string;
}

export type RiskResult = { readonly ok: true } | { readonly ok: false; readonly denial: RiskDenial };

/** Pre-trade risk check (src/risk implements it). A throw counts as a denial (`RISK_CHECK_FAILED`). */
export interface RiskCheck {
  check(intent: OrderIntent, ctx: RiskContext): RiskResult | Promise<RiskResult>;
}

/** Per-asset settings (trading enabled, minimum order, order type, tick table). */
export interface AssetSettingsProvider {
  requestAssetSettings(): Promise<readonly AssetSettings[]>;
}

/** One stored signal. */
export interface SignalRecord {
  readonly runnerId: string;
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly signal: SignalType;
  /** Price the signal was taken on (won). */
  readonly price: number;
  readonly values: Readonly<Record<string, number>>;
  readonly reason: string;
  readonly ts: UnixMillis;
  readonly sessionDate: KstDate;
}

/**
 * Persisted strategy-local state, the runner's own order book (client ids of the orders it placed)
 * and the signal log. Values are JSON. Keys: `strategy/<runnerId>/<strategyId>` and
 * `runner/<runnerId>/orders`.
 */
export interface StrategyStateStore {
  /** The value stored under `key`, or undefined. */
  load(key: string): Promise<unknown>;
  save(key: string, value: unknown): Promise<void>;
  appendSignal(record: SignalRecord): Promise<void>;
}

/** An order the runner placed (or tried to), for the transaction log. */
export interface OrderRecord {
  readonly clientOrderId: string;
  readonly runId: string;
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: number;
  readonly price?: number;
  readonly kind: DecisionKind;
  readonly reason: string;
  /** SUBMITTED: acknowledged; REJECTED: refused by the venue; OUTCOME_UNKNOWN: may be live. */
  readonly status: 'SUBMITTED' | 'REJECTED' | 'OUTCOME_UNKNOWN';
  readonly venueOrderId?: string;
  readonly branch?: string;
  /** Error code and message when not SUBMITTED. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly ts: UnixMillis;
}

/** New fills of one order, seen by a status query (cumulative numbers from the venue, plus the delta). */
export interface FillRecord {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly venueOrderId: string;
  readonly branch: string;
  /** Shares and value (won) filled since the last record. */
  readonly quantity: number;
  readonly value: number;
  /** Cumulative shares and value (won) of the order. */
  readonly cumulativeQuantity: number;
  readonly cumulativeValue: number;
  readonly ts: UnixMillis;
}

/** An order for the executor (`src/execution`): the runner's decision plus who placed it and why. */
export type ExecutionOrderRequest = ExecutionRequest;
/** An order the executor placed (journaled, then acknowledged by the venue). */
export type PlacedOrderHandle = PlacedOrder;
/** Where an order stands after the executor worked it (timeouts, re-prices). Won and shares. */
export type ExecutionOutcome = WorkResult;

/**
 * The order executor as the runner uses it (optional: without it the runner submits through
 * `BrokerPort.submitOrder` and confirms fills by polling). `place` journals the order in the ledger
 * before sending it and throws like `submitOrder`; `work` watches a batch, re-pricing LIMIT orders
 * that time out within the slippage cap, and never throws.
 */
export interface OrderExecutionPort {
  place(req: ExecutionOrderRequest): Promise<PlacedOrderHandle>;
  work(placed: readonly PlacedOrderHandle[]): Promise<readonly ExecutionOutcome[]>;
}

/** Records the runner's orders and fills (the ledger; never called in a dry run). */
export interface TransactionRecorder {
  recordOrder(record: OrderRecord): Promise<void>;
  recordFill(record: FillRecord): Promise<void>;
}
