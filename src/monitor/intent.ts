import { z } from 'zod';
import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { OrderType } from '../model/order-types.ts';
import type { ExitTrigger } from '../notify/notifications.ts';

/**
 * An exit intent: the monitor's decision to sell a position, persisted BEFORE any order is sent and
 * after every change, so a restart resumes it instead of deciding (and sending) again. It holds what we
 * decided (trigger, quantity) apart from what the venue reported (venue order refs, fills).
 *
 * States:
 * - `PENDING_SUBMIT`: saved, the first order is being sent. Found at start-up it means the process died
 *   mid-submit: the outcome is unknown and it is treated as `UNKNOWN`;
 * - `WORKING`: the current order is at the venue (venue ref known), waiting for fills;
 * - `REPRICING`: a reprice is cancelling the current order's remainder, or the remainder waits to be
 *   resubmitted (trading paused, no price yet);
 * - `UNKNOWN`: a submit's outcome is unknown (timeout, socket error…): never resent; a REST query
 *   after the confirm timeout looks for the order;
 * - `UNCONFIRMED`: the REST check could not settle it either; a human must check (the intent keeps
 *   blocking new exits of the instrument until `abandonIntent`);
 * - terminal: `FILLED` (all sold), `REJECTED` (the venue refused), `EXHAUSTED` (reprices used up,
 *   shares left), `EXPIRED` (the order ended with shares left outside trading hours or on a past day),
 *   `ABANDONED` (a human closed it).
 */
export const EXIT_INTENT_STATES = [
  'PENDING_SUBMIT',
  'WORKING',
  'REPRICING',
  'UNKNOWN',
  'UNCONFIRMED',
  'FILLED',
  'REJECTED',
  'EXHAUSTED',
  'EXPIRED',
  'ABANDONED',
] as const;
export type ExitIntentState = (typeof EXIT_INTENT_STATES)[number];

/** States after which the monitor does nothing more with an intent. */
export const TERMINAL_INTENT_STATES: ReadonlySet<ExitIntentState> = new Set(['FILLED', 'REJECTED', 'EXHAUSTED', 'EXPIRED', 'ABANDONED']);

/**
 * One venue order of an intent (the first, then one per reprice).
 * - `SUBMITTING`: being sent; `WORKING`: acknowledged (ref known); `CANCEL_REQUESTED`: cancel sent;
 * - `DONE`: no longer open at the venue (filled, cancelled, expired); `UNKNOWN`: submit outcome unknown;
 *   `REJECTED`: refused by the venue.
 */
export const EXIT_ORDER_STATUSES = ['SUBMITTING', 'WORKING', 'CANCEL_REQUESTED', 'DONE', 'UNKNOWN', 'REJECTED'] as const;
export type ExitOrderStatus = (typeof EXIT_ORDER_STATUSES)[number];

/** One order of an exit. Money in won, quantities in shares, instants in epoch ms. */
export interface ExitOrderAttempt {
  /** This order's id: the intent's `clientOrderId` for the first, `<id>-R<n>` for the n-th reprice. */
  readonly clientOrderId: string;
  readonly orderType: OrderType;
  /** Limit price (won, on the tick grid); absent for market orders. */
  readonly price?: number;
  /** Shares ordered. */
  readonly quantity: number;
  /** When the submit was sent. */
  readonly submittedAt: number;
  readonly status: ExitOrderStatus;
  /** Venue order number (ODNO) and branch, once acknowledged or found by a query. */
  readonly venueOrderId?: string;
  readonly branch?: string;
  /** Fills counted from execution notices (shares, won). */
  readonly noticeFilledQuantity: number;
  readonly noticeFilledValue: number;
  /** Cumulative fills from the latest REST status report (shares, won). */
  readonly reportFilledQuantity: number;
  readonly reportFilledValue: number;
}

/** A persisted exit decision and its orders. */
export interface ExitIntent {
  /** Schema version of the persisted record. */
  readonly version: 1;
  /** The intent's id; also the first order's client order id. */
  readonly clientOrderId: string;
  readonly instrumentId: InstrumentId;
  readonly name: string;
  /** KST date of the session the exit was decided in. */
  readonly sessionDate: KstDate;
  readonly trigger: ExitTrigger;
  /** Trade price that crossed the threshold (won). */
  readonly reference: number;
  /** Level crossed (won, may be fractional). */
  readonly threshold: number;
  /** Average purchase price at the decision (won, as reported). */
  readonly averagePrice: number;
  /** Shares held at the decision. */
  readonly positionQuantity: number;
  /** Shares to sell (≤ held; whole shares). */
  readonly quantity: number;
  readonly state: ExitIntentState;
  readonly attempts: readonly ExitOrderAttempt[];
  /** Shares sold so far over all attempts (best of notices and reports per attempt). */
  readonly filledQuantity: number;
  /** Value sold so far (won). */
  readonly filledValue: number;
  /** True once the "reprices exhausted" alert was sent. */
  readonly repricesExhausted: boolean;
  /** Last explanation of the state, key=value style. */
  readonly note?: string;
  readonly createdAt: UnixMillis;
  readonly updatedAt: UnixMillis;
}

const nonNegInt = z.number().int().min(0);
const nonNeg = z.number().min(0);

/** Shape check of a persisted attempt. */
export const ExitOrderAttemptSchema = z
  .object({
    clientOrderId: z.string().min(1),
    orderType: z.enum(['LIMIT', 'MARKET']),
    price: z.number().int().positive().optional(),
    quantity: z.number().int().positive(),
    submittedAt: nonNegInt,
    status: z.enum(EXIT_ORDER_STATUSES),
    venueOrderId: z.string().min(1).optional(),
    branch: z.string().optional(),
    noticeFilledQuantity: nonNegInt,
    noticeFilledValue: nonNeg,
    reportFilledQuantity: nonNegInt,
    reportFilledValue: nonNeg,
  })
  .strict();

/** Shape check of a persisted intent (loading fails closed on any mismatch). */
export const ExitIntentSchema = z
  .object({
    version: z.literal(1),
    clientOrderId: z.string().min(1),
    instrumentId: z.string().regex(/^[0-9A-Z]{6}$/),
    name: z.string(),
    sessionDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    trigger: z.enum(['STOP_LOSS', 'TAKE_PROFIT', 'TRAILING_STOP']),
    reference: nonNeg,
    threshold: z.number(),
    averagePrice: nonNeg,
    positionQuantity: nonNegInt,
    quantity: z.number().int().positive(),
    state: z.enum(EXIT_INTENT_STATES),
    attempts: z.array(ExitOrderAttemptSchema),
    filledQuantity: nonNegInt,
    filledValue: nonNeg,
    repricesExhausted: z.boolean(),
    note: z.string().optional(),
    createdAt: nonNegInt,
    updatedAt: nonNegInt,
  })
  .strict();

/** Filled shares and value (won) of one attempt: the larger of what notices and reports say. */
export function attemptFill(a: ExitOrderAttempt): { quantity: number; value: number } {
  return a.reportFilledQuantity > a.noticeFilledQuantity
    ? { quantity: a.reportFilledQuantity, value: a.reportFilledValue }
    : { quantity: a.noticeFilledQuantity, value: a.noticeFilledValue };
}
