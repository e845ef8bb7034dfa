import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { Instrument } from '../model/instrument.ts';

/**
 * What the twin's matching engine and quote endpoints read: one trading day of one replay, per
 * instrument. Implemented by the replay (synthetic-intraday paths through real daily bars).
 */
export interface SimInstrument extends Instrument {
  /** 기준가 for the day: the previous session's close (won). */
  readonly basePrice: number;
  /** The day's real daily bar (won, shares) from the data file. */
  readonly daily: { open: number; high: number; low: number; close: number; volume: number };
}

/** One synthetic print (trade) of the replay. `price` may sit on a half tick; `volume` in shares (> 0). */
export interface SimTrade {
  readonly ts: UnixMillis;
  readonly price: number;
  readonly volume: number;
}

/** State of an instrument at an instant: cumulative values from the session start up to and including `ts`. */
export interface SimSnapshot {
  readonly last: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  /** Cumulative shares. */
  readonly volume: number;
  /** Cumulative traded value (won). */
  readonly value: number;
  /** Time of the last print, or undefined before the first. */
  readonly lastTs: UnixMillis | undefined;
}

export interface MarketSource {
  /** KST date of the replayed session. */
  readonly sessionDate: KstDate;
  /** Instants of the session: continuous trading from `open` until `closingAuctionStart`, then the close print at `close`. */
  readonly open: UnixMillis;
  readonly closingAuctionStart: UnixMillis;
  readonly close: UnixMillis;
  instruments(): readonly SimInstrument[];
  instrument(code: string): SimInstrument | undefined;
  /** Snapshot as of `ts` (undefined when the code is unknown). Before the first print: last = base price, volume 0. */
  snapshot(code: string, ts: number): SimSnapshot | undefined;
  /** Prints with from < ts <= to, in time order. */
  tradesBetween(code: string, from: number, to: number): readonly SimTrade[];
}
