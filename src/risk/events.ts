import type { UnixMillis } from '../core/brand.ts';
import type { TradingState } from './trading-state.ts';

/**
 * Risk engine events for the notifier and the dashboard. Past tense, discriminated by `type`, instants
 * in epoch ms. (Order denials are not here: they are `OrderDenied` order events, built with
 * `orderDenied()` by whoever owns the order.)
 */

/** The trading state changed. */
export interface TradingStateChanged {
  readonly type: 'TradingStateChanged';
  readonly from: TradingState;
  readonly to: TradingState;
  readonly reason: string;
  readonly ts: UnixMillis;
}

/** The kill switch asked the venue to cancel every open order; `error` when the attempt itself failed. */
export interface OpenOrdersCanceled {
  readonly type: 'OpenOrdersCanceled';
  /** Cancels accepted. */
  readonly canceled: number;
  /** Cancels that failed (those orders may still be working at the venue). */
  readonly failed: number;
  /** Why the cancellation could not be carried out at all (canceller threw or is not configured). */
  readonly error?: string;
  readonly ts: UnixMillis;
}

/**
 * The trading state store failed. On `load` the engine starts HALTED (fail closed); on `save` the state
 * in memory holds but a restart may come back in the previously saved state.
 */
export interface TradingStateStoreFailed {
  readonly type: 'TradingStateStoreFailed';
  readonly operation: 'load' | 'save';
  /** The state in memory after the failure. */
  readonly state: TradingState;
  readonly error: string;
  readonly ts: UnixMillis;
}

/** Every risk engine event. */
export type RiskEvent = TradingStateChanged | OpenOrdersCanceled | TradingStateStoreFailed;
