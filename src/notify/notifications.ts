import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { OrderType } from '../model/order-types.ts';

/**
 * Notifications: typed messages to a human (console, log, later Telegram/Slack), one interface per
 * kind, discriminated by `type`. They carry identifiers (instrumentId, clientOrderId, venueOrderId)
 * and numbers, never secrets (no keys, tokens or full account numbers) and never channel markup:
 * each channel formats them itself.
 *
 * Money in whole won unless a field says otherwise (`reference`/`threshold` may be fractional won, since
 * they derive from an average price), quantities in shares, instants in epoch ms.
 */

/**
 * How urgently a human must see a notification:
 * - `emergency`: money may be at risk and nothing automatic will fix it (fill unconfirmed, intent store
 *   down); delivered immediately;
 * - `high`: a trading decision or refusal (exit triggered, filled, rejected, trading paused); immediate;
 * - `normal`: progress worth reading (order submitted, resumed, day summary); batched;
 * - `low`: background information (monitor sleeping); batched over a longer window.
 */
export type Priority = 'emergency' | 'high' | 'normal' | 'low';

/** Priorities from most to least urgent. */
export const PRIORITIES: readonly Priority[] = ['emergency', 'high', 'normal', 'low'];

/** Rank of a priority: 0 = emergency … 3 = low. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/** Which exit rule fired. */
export type ExitTrigger = 'STOP_LOSS' | 'TAKE_PROFIT' | 'TRAILING_STOP';

/** Why order submission is held back for an instrument: a trading halt (거래정지) or a VI (변동성완화장치). */
export type PauseReason = 'HALT' | 'VI';

/** Why a trigger could not be acted on at once. */
export type DeferReason = PauseReason | 'MARKET_PHASE';

interface Base {
  readonly priority: Priority;
  /** When the notification was created (our clock), epoch ms. */
  readonly ts: UnixMillis;
}

/** An exit rule fired for a held position. */
export interface ExitTriggered extends Base {
  readonly type: 'ExitTriggered';
  readonly instrumentId: InstrumentId;
  readonly name: string;
  readonly trigger: ExitTrigger;
  /** Price that crossed the threshold (last trade, won; may sit on a half tick). */
  readonly reference: number;
  /** The threshold crossed (won, may be fractional). */
  readonly threshold: number;
  /** Average purchase price of the position (won, as reported, may be fractional). */
  readonly averagePrice: number;
  /** Shares to sell. */
  readonly quantity: number;
  /** Present once an exit intent exists; absent when the exit is deferred. */
  readonly clientOrderId?: string;
  /** Set when the order is held back (halt, VI, market phase) and queued until trading allows it. */
  readonly deferredBy?: DeferReason;
}

/** An exit order (first or repriced) was accepted by the venue. */
export interface ExitOrderSubmitted extends Base {
  readonly type: 'ExitOrderSubmitted';
  readonly instrumentId: InstrumentId;
  /** The intent's identifier. */
  readonly clientOrderId: string;
  /** This order's identifier (equals `clientOrderId` for the first attempt). */
  readonly orderClientOrderId: string;
  readonly venueOrderId: string;
  readonly orderType: OrderType;
  /** Limit price (won); absent for market orders. */
  readonly price?: number;
  /** Shares in this order. */
  readonly quantity: number;
  /** 0 for the first order, n for the n-th reprice. */
  readonly attempt: number;
}

/** An exit is complete: every share of the intent was sold. */
export interface ExitFilled extends Base {
  readonly type: 'ExitFilled';
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: string;
  readonly trigger: ExitTrigger;
  /** Shares sold. */
  readonly quantity: number;
  /** Volume-weighted average fill price (won, may be fractional). */
  readonly averageFillPrice: number;
  /** Estimated realised PnL after sell commission and tax (won). */
  readonly realizedPnl: number;
  /** True when the fill was learnt from a REST query because no notice arrived. */
  readonly confirmedByQuery: boolean;
}

/**
 * The outcome of an exit order is not known and nothing automatic will resolve it: a human must check
 * the account. The order is never resent automatically.
 */
export interface ExitFillUnconfirmed extends Base {
  readonly type: 'ExitFillUnconfirmed';
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: string;
  /** Known venue order number, if any. */
  readonly venueOrderId?: string;
  /** Shares the exit meant to sell. */
  readonly quantity: number;
  /** Shares known to be filled. */
  readonly filledQuantity: number;
  /** What is unknown, in words with key=value details. */
  readonly reason: string;
}

/** Order submission for an instrument is held back (halt or VI); monitoring continues. */
export interface TradingPaused extends Base {
  readonly type: 'TradingPaused';
  readonly instrumentId: InstrumentId;
  readonly reason: PauseReason;
}

/** The halt or VI ended; held-back exits are re-checked and sent if still valid. */
export interface TradingResumed extends Base {
  readonly type: 'TradingResumed';
  readonly instrumentId: InstrumentId;
  /** The pause that ended. */
  readonly reason: PauseReason;
  /** How long submission was paused (ms). */
  readonly pausedMs: number;
}

/** A connection to the venue (WebSocket, REST) was lost. */
export interface ConnectionLost extends Base {
  readonly type: 'ConnectionLost';
  /** Which connection, e.g. `websocket`, `rest`. */
  readonly connection: string;
  readonly detail: string;
}

/** A lost connection is back. */
export interface ConnectionRestored extends Base {
  readonly type: 'ConnectionRestored';
  readonly connection: string;
  /** Time without the connection (ms). */
  readonly downtimeMs: number;
}

/** The monitor has nothing to do until a time (market closed). */
export interface MonitorSleeping extends Base {
  readonly type: 'MonitorSleeping';
  readonly reason: string;
  /** When it expects to act again (next session open), epoch ms. */
  readonly until?: UnixMillis;
}

/** No market data was received for a while during trading hours: exits may not fire. */
export interface DataDelayed extends Base {
  readonly type: 'DataDelayed';
  /** The instrument concerned, or absent for the whole feed. */
  readonly instrumentId?: InstrumentId;
  /** Last data received, epoch ms (absent when none was ever received). */
  readonly lastDataAt?: UnixMillis;
  /** Time without data (ms). */
  readonly delayMs: number;
}

/** A real-time subscription was not made (e.g. the KIS limit of 41 registrations was reached). */
export interface SubscriptionSkipped extends Base {
  readonly type: 'SubscriptionSkipped';
  readonly instrumentId: InstrumentId;
  readonly reason: string;
}

/** One exit executed today, for the day summary. */
export interface DaySummaryTrade {
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: string;
  readonly trigger: ExitTrigger;
  /** Shares sold. */
  readonly quantity: number;
  /** Volume-weighted average fill price (won, may be fractional). */
  readonly averageFillPrice: number;
  /** Average purchase price (won). */
  readonly averagePrice: number;
  /** Sell commission (won). */
  readonly commission: number;
  /** Sell-side transaction tax (won). */
  readonly tax: number;
  /** (fill value − average price × quantity) − commission − tax (won). */
  readonly realizedPnl: number;
}

/** A position still held at the end of the day. */
export interface DaySummaryPosition {
  readonly instrumentId: InstrumentId;
  readonly name: string;
  readonly quantity: number;
  readonly averagePrice: number;
  /** Last trade price seen (won), 0 when none. */
  readonly lastPrice: number;
}

/** End-of-day summary of the monitor's exits. */
export interface DaySummary extends Base {
  readonly type: 'DaySummary';
  /** KST session date. */
  readonly date: KstDate;
  readonly trades: readonly DaySummaryTrade[];
  /** Sum of the trades' realised PnL (won). */
  readonly realizedPnl: number;
  /** Share of trades with a positive realised PnL, 0..1; absent when there were no trades. */
  readonly winRate?: number;
  readonly openPositions: readonly DaySummaryPosition[];
  /** Exit intents still unresolved (working, unknown, unconfirmed). */
  readonly unresolvedIntents: number;
}

/** The venue refused an order (a definitive refusal, not an unknown outcome). */
export interface OrderRejected extends Base {
  readonly type: 'OrderRejected';
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: string;
  /** Stable error code (e.g. `KIS_REJECTED`). */
  readonly code: string;
  /** Venue message, as received. */
  readonly reason: string;
}

/** Anything else a human should know. Context values must not carry secrets. */
export interface SystemAlert extends Base {
  readonly type: 'SystemAlert';
  /** Stable UPPER_SNAKE code, usable in alert rules. */
  readonly code: string;
  readonly message: string;
  readonly instrumentId?: InstrumentId;
  readonly clientOrderId?: string;
  /** key=value details (identifiers and numbers only). */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
}

/** Every notification. */
export type Notification =
  | ExitTriggered
  | ExitOrderSubmitted
  | ExitFilled
  | ExitFillUnconfirmed
  | TradingPaused
  | TradingResumed
  | ConnectionLost
  | ConnectionRestored
  | MonitorSleeping
  | DataDelayed
  | SubscriptionSkipped
  | DaySummary
  | OrderRejected
  | SystemAlert;

/** The `type` of a notification. */
export type NotificationType = Notification['type'];

/** The notification interface of a given `type`. */
export type NotificationOf<T extends NotificationType> = Extract<Notification, { type: T }>;

/** Default priority of each kind; a producer may override it per message. */
export const DEFAULT_PRIORITY: { readonly [T in NotificationType]: Priority } = {
  ExitTriggered: 'high',
  ExitOrderSubmitted: 'normal',
  ExitFilled: 'high',
  ExitFillUnconfirmed: 'emergency',
  TradingPaused: 'high',
  TradingResumed: 'normal',
  ConnectionLost: 'high',
  ConnectionRestored: 'normal',
  MonitorSleeping: 'low',
  DataDelayed: 'high',
  SubscriptionSkipped: 'normal',
  DaySummary: 'normal',
  OrderRejected: 'high',
  SystemAlert: 'high',
};

/** Fields of a notification of type `T` as a producer gives them (`priority` optional). */
export type NotificationFields<T extends NotificationType> = Omit<NotificationOf<T>, 'type' | 'ts' | 'priority'> & {
  readonly priority?: Priority;
};

/**
 * Builds a notification of type `type` created at `ts` (epoch ms), with the kind's default priority
 * unless `fields.priority` is given. The result is frozen.
 */
export function createNotification<T extends NotificationType>(
  type: T,
  ts: UnixMillis,
  fields: NotificationFields<T>,
): NotificationOf<T> {
  return Object.freeze({ ...fields, type, ts, priority: fields.priority ?? DEFAULT_PRIORITY[type] }) as unknown as NotificationOf<T>;
}
