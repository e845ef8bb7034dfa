import type { UnixMillis } from '../core/brand.ts';

/**
 * Trading state of the node (NautilusTrader's TradingState):
 * - `ACTIVE`: every order the checks allow;
 * - `REDUCING`: exits only: sells not exceeding the shares held;
 * - `HALTED`: nothing (kill switch; also the state after a fatal error or an unreadable store).
 *
 * Transitions: ACTIVE → REDUCING (`reduceOnly`), ACTIVE | REDUCING → HALTED (`halt`), HALTED |
 * REDUCING → ACTIVE and HALTED → REDUCING (`resume`).
 */
export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** The persisted trading state. */
export interface TradingStateRecord {
  readonly state: TradingState;
  /** Why (operator text or the system's reason). */
  readonly reason: string;
  /** When the state was entered, epoch ms. */
  readonly since: UnixMillis;
}

/**
 * Port: where the trading state survives restarts (a file or a database row in production). `load`
 * resolves `undefined` when nothing was ever saved. Errors are reported by rejecting.
 */
export interface TradingStateStore {
  load(): Promise<TradingStateRecord | undefined>;
  save(record: TradingStateRecord): Promise<void>;
}

/** A store in memory (tests, and a node without persistence). */
export class InMemoryTradingStateStore implements TradingStateStore {
  #record: TradingStateRecord | undefined;
  /** Records saved, oldest first. */
  readonly saved: TradingStateRecord[] = [];

  constructor(initial?: TradingStateRecord) {
    this.#record = initial;
  }
  async load(): Promise<TradingStateRecord | undefined> {
    return this.#record;
  }
  async save(record: TradingStateRecord): Promise<void> {
    this.#record = record;
    this.saved.push(record);
  }
}

/** Port: cancels every open order of the account (the kill switch). */
export interface OpenOrderCanceller {
  /**
   * Requests cancellation of every open order. Resolves with how many cancels were accepted and how
   * many failed; rejects when it could not even try (e.g. the venue is unreachable).
   */
  cancelAll(): Promise<{ canceled: number; failed: number }>;
}
