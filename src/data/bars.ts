/**
 * Minute bars from trade prints, and the two session indicators the strategies read from them: the
 * session VWAP and the Average True Range over minute bars.
 *
 * Time: a bar covers one KST minute `[start, start + 60 s)`. KST is UTC+09:00 with no daylight saving,
 * so KST minute boundaries are exactly the epoch-millisecond multiples of 60,000; no time zone
 * arithmetic is needed. Prices are won and may sit on a half tick (KRX midpoint orders since
 * 2025-02-05): prints are taken as they come, never rounded. `value` is Σ price × size in won; it is
 * fractional only when a half-tick print has an odd size. These are market-data numbers, not ledger
 * amounts: nothing here reaches an order or the ledger without being rounded onto the tick grid first.
 */
import { indicatorLibrary } from '../core/indicators.ts';
import type { UnixMillis } from '../core/brand.ts';
import { InvariantError } from '../core/errors.ts';
import { kstHhmmss } from '../core/kst.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { TradeTick } from '../model/market-data.ts';

/** Length of a minute bar (ms). */
export const MINUTE_MS = 60_000;

/** One completed (or, from `MinuteBarBuilder.current`, still open) 1-minute bar. */
export interface MinuteBar {
  readonly instrumentId: InstrumentId;
  /** First instant of the minute (epoch ms, a multiple of 60,000 = a KST minute boundary). */
  readonly start: UnixMillis;
  /** First instant after the minute (`start + 60,000`, exclusive). */
  readonly end: UnixMillis;
  /** KST `HHMMSS` of `start` (seconds always `00`), for display and for matching venue bars. */
  readonly time: string;
  /** First, highest, lowest and last print of the minute (won; may be half-tick). */
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Shares traded in the minute (> 0: a minute without prints has no bar). */
  readonly volume: number;
  /** Σ price × size of the minute's prints (won; fractional only with half-tick prints). */
  readonly value: number;
  /** Number of prints. */
  readonly trades: number;
}

/** A print in the shape of the twin's `SimTrade`: instant (epoch ms), price (won), size (shares). */
export interface TradeLike {
  readonly ts: number;
  readonly price: number;
  readonly volume: number;
}

/** What a builder did with the prints it was given. */
export interface MinuteBarStats {
  /** Prints that went into a bar. */
  readonly accepted: number;
  /** Prints dropped because their minute was already closed (out of order, or after `flush`). */
  readonly late: number;
  /** Prints dropped because the price was not > 0 or the size not a positive whole number. */
  readonly invalid: number;
}

/** Start of the KST minute holding instant `ts` (epoch ms). */
export function minuteStart(ts: number): number {
  return Math.floor(ts / MINUTE_MS) * MINUTE_MS;
}

interface OpenBar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  value: number;
  trades: number;
}

/**
 * Builds 1-minute bars of ONE instrument from its prints, in arrival order.
 *
 * - A bar opens on the first print of a minute and closes when a print of a LATER minute arrives
 *   (`addTrade`/`addTick` then return the closed bar) or when `flush(now)` is called with `now` at or
 *   after the bar's end. Minutes without prints produce no bar.
 * - Prints of a minute that is already closed (out of order, or behind a flush) are dropped and counted
 *   in `stats.late`: a closed bar is never reopened. Prints with a non-positive price or a size that is
 *   not a positive whole number are dropped and counted in `stats.invalid`.
 * - Half-tick prices are accepted as they are.
 */
export class MinuteBarBuilder {
  private bar: OpenBar | undefined;
  /** Every print before this instant belongs to a closed minute. */
  private closedUntil = -Infinity;
  private counts = { accepted: 0, late: 0, invalid: 0 };

  constructor(readonly instrumentId: InstrumentId) {}

  /** Counters of accepted and dropped prints. */
  get stats(): MinuteBarStats {
    return { ...this.counts };
  }

  /** The bar being built (not yet closed), or undefined. */
  get current(): MinuteBar | undefined {
    return this.bar === undefined ? undefined : this.toBar(this.bar);
  }

  /**
   * Adds one print of the stream (the instrument must match).
   * @returns the bar this print closed (the previous minute's), or undefined
   * @throws InvariantError(INSTRUMENT_MISMATCH) when the tick is for another instrument (a wiring bug)
   */
  addTick(tick: TradeTick): MinuteBar | undefined {
    if (tick.instrumentId !== this.instrumentId) {
      throw new InvariantError('INSTRUMENT_MISMATCH', `tick for instrumentId=${tick.instrumentId} was given to the bar builder of ${this.instrumentId}`);
    }
    return this.addTrade(tick.tsEvent, tick.price, tick.size);
  }

  /**
   * Adds one print.
   * @param ts instant of the print (epoch ms)
   * @param price won (> 0; half ticks accepted)
   * @param size shares (positive whole number)
   * @returns the bar this print closed (the previous minute's), or undefined
   */
  addTrade(ts: number, price: number, size: number): MinuteBar | undefined {
    if (!Number.isFinite(ts) || !(Number.isFinite(price) && price > 0) || !(Number.isSafeInteger(size) && size > 0)) {
      this.counts.invalid++;
      return undefined;
    }
    if (ts < this.closedUntil) {
      this.counts.late++;
      return undefined;
    }
    const start = minuteStart(ts);
    let closed: MinuteBar | undefined;
    const b = this.bar;
    if (b !== undefined && start < b.start) {
      this.counts.late++;
      return undefined;
    }
    if (b !== undefined && start > b.start) closed = this.close();
    this.counts.accepted++;
    const cur = this.bar;
    if (cur === undefined) {
      this.bar = { start, open: price, high: price, low: price, close: price, volume: size, value: price * size, trades: 1 };
    } else {
      if (price > cur.high) cur.high = price;
      if (price < cur.low) cur.low = price;
      cur.close = price;
      cur.volume += size;
      cur.value += price * size;
      cur.trades++;
    }
    return closed;
  }

  /**
   * Closes the open bar when `now` (epoch ms) is at or after its end, e.g. from a timer a little after
   * each minute boundary so a quiet minute does not hold its bar open.
   * @returns the closed bar, or undefined when there was none or its minute is not over
   */
  flush(now: number): MinuteBar | undefined {
    const b = this.bar;
    if (b === undefined || now < b.start + MINUTE_MS) return undefined;
    return this.close();
  }

  private close(): MinuteBar {
    const b = this.bar;
    if (b === undefined) throw new InvariantError('ASSERTION_FAILED', 'no open bar to close');
    this.bar = undefined;
    this.closedUntil = b.start + MINUTE_MS;
    return this.toBar(b);
  }

  private toBar(b: OpenBar): MinuteBar {
    return Object.freeze({
      instrumentId: this.instrumentId,
      start: b.start as UnixMillis,
      end: (b.start + MINUTE_MS) as UnixMillis,
      time: kstHhmmss(b.start),
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
      volume: b.volume,
      value: b.value,
      trades: b.trades,
    });
  }
}

/**
 * Minute bars of a whole array of prints (the twin's `SimTrade[]`, a replay path), in time order.
 * @param until only bars whose minute has ended at or before this instant are returned (epoch ms;
 *   default: every bar, the last one included); a later print's bar is returned only when complete
 * @returns closed bars, oldest first; invalid and out-of-order prints are dropped as in `MinuteBarBuilder`
 */
export function buildMinuteBars(instrumentId: InstrumentId, trades: Iterable<TradeLike>, until: number = Infinity): MinuteBar[] {
  const builder = new MinuteBarBuilder(instrumentId);
  const out: MinuteBar[] = [];
  for (const t of trades) {
    if (t.ts >= until) break;
    const closed = builder.addTrade(t.ts, t.price, t.volume);
    if (closed !== undefined) out.push(closed);
  }
  const last = builder.flush(until);
  if (last !== undefined) out.push(last);
  return out;
}

/**
 * Session VWAP (won, fractional): Σ value / Σ volume over the bars given (pass the session's bars
 * from its first print). Undefined when no shares traded.
 */
export function sessionVwap(bars: readonly Pick<MinuteBar, 'volume' | 'value'>[]): number | undefined {
  let volume = 0;
  let value = 0;
  for (const b of bars) {
    volume += b.volume;
    value += b.value;
  }
  return volume > 0 ? value / volume : undefined;
}

/**
 * Average True Range (won, fractional) over minute bars, oldest first, with trading-signals' `ATR`:
 * true range = max(high − low, |high − previous close|, |low − previous close|), the first bar's is
 * high − low; Wilder smoothing seeded by the simple average of the first `period` true ranges
 * (ATR_n = ATR_{n−1} + (TR_n − ATR_{n−1}) / period).
 * @param period number of bars (positive integer)
 * @returns the ATR after the last bar, or undefined with fewer than `period` bars
 * @throws InvariantError(ATR_PERIOD_INVALID) when `period` is not a positive integer
 */
export function minuteAtr(bars: readonly Pick<MinuteBar, 'high' | 'low' | 'close'>[], period: number): number | undefined {
  if (!Number.isSafeInteger(period) || period < 1) throw new InvariantError('ATR_PERIOD_INVALID', `ATR period must be a positive integer, was ${period}`);
  const atr = new (indicatorLibrary().ATR)(period);
  for (const b of bars) atr.add({ high: b.high, low: b.low, close: b.close });
  return atr.isStable ? (atr.getResult() ?? undefined) : undefined;
}

/**
 * KIS appends sentinel rows to some minute-bar answers: `HHMMSS` (or date) `888888`, `999999` or
 * `666666` (seen after 15:32 in the FHKUP03500200 documentation example). They are summary rows, not
 * bars. The KIS adapter drops them already; these helpers guard any other bar source.
 */
export const KIS_SENTINEL_BAR_TIMES: ReadonlySet<string> = new Set(['888888', '999999', '666666']);

/** True when a bar's `time` (KST `HHMMSS`) is a KIS sentinel rather than a clock time. */
export function isSentinelBarTime(time: string): boolean {
  return KIS_SENTINEL_BAR_TIMES.has(time.trim());
}

/** The bars whose `time` is not a KIS sentinel, in the same order. */
export function withoutSentinelBars<T extends { readonly time: string }>(bars: readonly T[]): T[] {
  return bars.filter((b) => !isSentinelBarTime(b.time));
}
