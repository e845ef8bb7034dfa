/**
 * The report of one `StrategyRunner.runOnce`: plain JSON (numbers, strings, arrays), so it can be
 * printed, logged, stored and returned by the API unchanged. Money in won, quantities in shares,
 * instants in epoch ms.
 */
import type { Disposition } from '../core/errors.ts';
import type { MarketPhase } from '../model/calendar.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import { fmt } from './pricing.ts';
import type { DecisionOutcome, StrategyDecision } from './strategy.ts';

/** A stale open order the run cancelled (or, dry, would cancel). */
export interface CancelEntry {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly venueOrderId: string;
  readonly branch: string;
  readonly remainingQuantity: number;
  /** How long ago we submitted it (ms). */
  readonly ageMs: number;
  readonly status: 'WOULD_CANCEL' | 'CANCEL_REQUESTED' | 'CANCEL_FAILED';
  readonly error?: ErrorInfo;
}

/** One decision of one strategy, and what became of it (orders only). */
export interface DecisionEntry {
  readonly strategyId: string;
  /** Index in the strategy's `decide` output. */
  readonly index: number;
  readonly decision: StrategyDecision;
  readonly outcome?: DecisionOutcome;
  readonly clientOrderId?: string;
  /** `OK` passed the risk check, `DENIED` refused; absent when the runner stopped it earlier. */
  readonly risk?: 'OK' | 'DENIED';
}

/** Something not done: by the strategy (`STRATEGY`) or by the runner's own checks (`RUNNER`). */
export interface SkipEntry {
  readonly source: 'STRATEGY' | 'RUNNER';
  readonly strategyId: string;
  readonly instrumentId?: string;
  readonly code: string;
  readonly reason: string;
}

/** A risk-check refusal. */
export interface DenialEntry {
  readonly strategyId: string;
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly code: string;
  readonly detail: string;
}

/** An order sent (or, dry, that would be sent). */
export interface OrderEntry {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: number;
  readonly price?: number;
  readonly status: 'WOULD_SUBMIT' | 'SUBMITTED' | 'REJECTED' | 'OUTCOME_UNKNOWN';
  readonly venueOrderId?: string;
  readonly branch?: string;
  readonly reason: string;
  readonly error?: ErrorInfo;
}

/** Fill state of an order when the run last looked (cumulative). */
export interface FillEntry {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly venueOrderId: string;
  readonly filledQuantity: number;
  readonly filledValue: number;
  readonly averagePrice: number;
  readonly remainingQuantity: number;
  readonly status: 'FILLED' | 'PARTIALLY_FILLED' | 'WORKING' | 'CANCELED';
}

/** An order of an earlier run whose outcome was unknown, and what this run found. */
export interface UnresolvedEntry {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly submittedAt: number;
  /** `UNKNOWN` still unknown (its instrument is blocked), `RESOLVED` found at the venue, `NOT_FOUND` gone. */
  readonly status: 'UNKNOWN' | 'RESOLVED' | 'NOT_FOUND';
  readonly detail: string;
}

/** A classified error (code, disposition, message). */
export interface ErrorInfo {
  readonly code: string;
  readonly disposition: Disposition | 'unknown';
  readonly message: string;
}

/** An error of a stage that did not stop the run (or, in `aborted`, did). */
export interface ErrorEntry extends ErrorInfo {
  readonly stage: string;
  readonly strategyId?: string;
  readonly instrumentId?: string;
}

/** A signal produced (stored unless dry). */
export interface SignalEntry {
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly signal: string;
  readonly price: number;
  readonly values: Readonly<Record<string, number>>;
  readonly reason: string;
  readonly stored: boolean;
}

/** Everything one run did and why. */
export interface RunReport {
  readonly runId: string;
  readonly runnerId: string;
  readonly dryRun: boolean;
  readonly startedAt: number;
  finishedAt: number;
  readonly sessionDate: string;
  readonly phase: MarketPhase;
  /** Set when the run stopped early (no balance, no settings, a fatal submit error…). */
  aborted?: ErrorEntry;
  readonly cancels: CancelEntry[];
  readonly decisions: DecisionEntry[];
  readonly signals: SignalEntry[];
  readonly skips: SkipEntry[];
  readonly denials: DenialEntry[];
  readonly orders: OrderEntry[];
  readonly fills: FillEntry[];
  readonly unresolved: UnresolvedEntry[];
  readonly errors: ErrorEntry[];
  /** Human-readable account of the run, in order (what `--dry-run` prints). */
  readonly lines: string[];
}

/** The report as text: a header line, then `lines`. */
export function formatRunReport(r: RunReport): string {
  const head =
    `${r.dryRun ? 'DRY RUN ' : ''}${r.runId} ${r.sessionDate} phase=${r.phase}: ` +
    `${r.orders.length} order(s) ${r.dryRun ? 'would be sent' : 'sent'}, ${r.denials.length} denied, ${r.skips.length} skipped, ` +
    `${r.cancels.length} stale cancel(s), ${r.fills.length} fill report(s), ${r.errors.length} error(s)` +
    `${r.aborted ? `; ABORTED at ${r.aborted.stage}: ${r.aborted.code} ${r.aborted.message}` : ''}`;
  return [head, ...r.lines.map((l) => `  ${l}`)].join('\n');
}

/** `BUY 7 005930 LIMIT @ 128,500` */
export function describeOrder(o: { side: OrderSide; quantity: number; instrumentId: string; orderType: OrderType; price?: number | undefined }): string {
  return `${o.side} ${fmt(o.quantity)} ${o.instrumentId} ${o.orderType}${o.price === undefined ? '' : ` @ ${fmt(o.price)}`}`;
}
