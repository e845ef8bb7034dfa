/**
 * `ReplayMarket`: the twin's `MarketSource` for one session of real daily bars, with
 * synthetic-intraday prints generated lazily per instrument (on first use) and cached.
 * Also: where the shipped data lives (`data/daily/*.csv`) and what it covers.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unixMillis, type UnixMillis } from '../../core/brand.ts';
import { InputError } from '../../core/errors.ts';
import type { KstDate } from '../../core/kst.ts';
import { instrumentId } from '../../model/instrument.ts';
import type { MarketSource, SimInstrument, SimSnapshot, SimTrade } from '../market-source.ts';
import { loadDailyBars, type DailyBar, type DailyBarSet } from './daily-bars.ts';
import { generateSyntheticIntraday, SYNTHETIC_INTRADAY, type SessionInstants, type SyntheticIntradayPath } from './intraday.ts';

/** A replayed instrument: the `SimInstrument` plus what the replay knows about its day. */
export interface ReplayInstrument extends SimInstrument {
  /** False when the instrument did not trade that day (suspended, …): it has no prints. */
  readonly traded: boolean;
  /** Where `basePrice` came from: the bar's previous close / base price, or (no previous close known) its open or close. */
  readonly basePriceSource: 'prevClose' | 'open' | 'close';
  /** The day's real traded value (won), from the file. */
  readonly value: number;
}

/** Options of `ReplayMarket`. Instants in epoch ms. */
export interface ReplayMarketOptions extends SessionInstants {
  /** KST date of the session to replay; must be a date of the set. */
  readonly date: KstDate;
  /** Seed of the synthetic-intraday paths (default 0). */
  readonly seed?: number;
  /** Replay only these codes (codes without a bar that day are ignored and listed in `missingCodes`). */
  readonly codes?: readonly string[];
  /** Cap on continuous prints per instrument (see `SyntheticIntradayOptions`). */
  readonly maxContinuousPrints?: number;
}

/**
 * One session of a `DailyBarSet` as a `MarketSource`. Base price (기준가) = the bar's `prevClose`; when
 * the file has none (first row of an rltrader or compact file) the day's open is used (the close for a
 * day without trades). Instruments and their prints are fixed at construction (the set is immutable);
 * prints are generated on the first `snapshot`/`tradesBetween` of a code and cached.
 */
export class ReplayMarket implements MarketSource {
  readonly sessionDate: KstDate;
  readonly open: UnixMillis;
  readonly closingAuctionStart: UnixMillis;
  readonly close: UnixMillis;
  readonly seed: number;
  /** The intraday price model: prints are synthetic, only the daily bars are real. */
  readonly intraday = SYNTHETIC_INTRADAY;
  /** Requested codes without a bar on the session date. */
  readonly missingCodes: readonly string[];
  private readonly list: readonly ReplayInstrument[];
  private readonly byCode = new Map<string, { inst: ReplayInstrument; bar: DailyBar }>();
  private readonly paths = new Map<string, SyntheticIntradayPath>();
  private readonly maxContinuousPrints: number | undefined;

  /**
   * Throws `InputError` when the set has no bar on `opts.date`, and `RangeError` when the instants are
   * not ordered open < closingAuctionStart <= close.
   */
  constructor(
    readonly bars: DailyBarSet,
    opts: ReplayMarketOptions,
  ) {
    if (!(opts.open < opts.closingAuctionStart && opts.closingAuctionStart <= opts.close)) {
      throw new RangeError(`session instants must satisfy open < closingAuctionStart <= close, were ${opts.open}, ${opts.closingAuctionStart}, ${opts.close}`);
    }
    const session = bars.session(opts.date);
    if (session.length === 0) {
      const r = bars.range();
      throw new InputError(`no bars on ${opts.date} in ${bars.source}${r ? ` (sessions ${r.first} … ${r.last})` : ' (empty)'}`, {
        date: opts.date,
        source: bars.source,
      });
    }
    this.sessionDate = opts.date;
    this.open = unixMillis(opts.open);
    this.closingAuctionStart = unixMillis(opts.closingAuctionStart);
    this.close = unixMillis(opts.close);
    this.seed = opts.seed ?? 0;
    this.maxContinuousPrints = opts.maxContinuousPrints;
    const wanted = opts.codes ? new Set(opts.codes.map((c) => c.toUpperCase())) : undefined;
    const list: ReplayInstrument[] = [];
    for (const bar of session) {
      if (wanted && !wanted.has(bar.code)) continue;
      const inst = toInstrument(bar);
      list.push(inst);
      this.byCode.set(bar.code, { inst, bar });
    }
    this.list = list;
    this.missingCodes = wanted ? [...wanted].filter((c) => !this.byCode.has(c)).sort() : [];
  }

  /** One line for logs and the CLI, e.g. `2026-02-20 from data/daily/krx-….csv: 40 instruments, synthetic-intraday prints (seed 0)`. */
  describe(): string {
    return `${this.sessionDate} from ${this.bars.source}: ${this.list.length} instruments, ${SYNTHETIC_INTRADAY} prints (seed ${this.seed})`;
  }
  /** The session instants. */
  get session(): SessionInstants {
    return { open: this.open, closingAuctionStart: this.closingAuctionStart, close: this.close };
  }
  /** Instruments of the session, by ascending code. */
  instruments(): readonly ReplayInstrument[] {
    return this.list;
  }
  /** The instrument, or undefined when the code is not replayed. */
  instrument(code: string): ReplayInstrument | undefined {
    return this.byCode.get(code)?.inst;
  }
  /** The day's real bar of a replayed code. */
  dailyBar(code: string): DailyBar | undefined {
    return this.byCode.get(code)?.bar;
  }
  /** The synthetic-intraday prints of a code (generated now if not yet), or undefined when unknown. */
  path(code: string): SyntheticIntradayPath | undefined {
    const cached = this.paths.get(code);
    if (cached) return cached;
    const e = this.byCode.get(code);
    if (!e) return undefined;
    const p = generateSyntheticIntraday(e.bar, this.session, {
      seed: this.seed,
      ...(this.maxContinuousPrints === undefined ? {} : { maxContinuousPrints: this.maxContinuousPrints }),
    });
    this.paths.set(code, p);
    return p;
  }
  /** True when the prints of `code` have been generated already. */
  isGenerated(code: string): boolean {
    return this.paths.has(code);
  }
  /**
   * Cumulative state of `code` as of `ts` (epoch ms; prints with ts <= `ts`). Before the first print:
   * last = base price, open = high = low = 0, volume = value = 0. Undefined for an unknown code.
   */
  snapshot(code: string, ts: number): SimSnapshot | undefined {
    const e = this.byCode.get(code);
    if (!e) return undefined;
    return this.path(code)!.snapshot(ts, e.inst.basePrice);
  }
  /** Prints of `code` with from < ts <= to (epoch ms), in time order; empty for an unknown code. */
  tradesBetween(code: string, from: number, to: number): readonly SimTrade[] {
    return this.path(code)?.tradesBetween(from, to) ?? [];
  }

  /** The last session date of a set (throws `InputError` when the set is empty). */
  static latestDate(set: DailyBarSet): KstDate {
    const r = set.range();
    if (!r) throw new InputError(`no bars in ${set.source}`, { source: set.source });
    return r.last;
  }
}

function toInstrument(bar: DailyBar): ReplayInstrument {
  const basePriceSource: ReplayInstrument['basePriceSource'] = bar.prevClose !== undefined ? 'prevClose' : bar.traded ? 'open' : 'close';
  const basePrice = bar.prevClose ?? (bar.traded ? bar.open : bar.close);
  return {
    id: instrumentId(bar.code),
    name: bar.name,
    market: bar.market,
    kind: bar.kind,
    basePrice,
    basePriceSource,
    daily: { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume },
    traded: bar.traded,
    value: bar.value,
  };
}

// ---------------------------------------------------------------------------------------------
// Shipped data

/** The repository's `data/daily/` folder, resolved relative to this source file. */
export function shippedDataDir(): string {
  return fileURLToPath(new URL('../../../data/daily/', import.meta.url));
}

/** One shipped daily-bar file and what it covers. */
export interface ShippedDataFile {
  /** Absolute path. */
  readonly path: string;
  /** File name (`krx-2026-0102_0220.csv`). */
  readonly file: string;
  readonly firstDate: KstDate;
  readonly lastDate: KstDate;
  /** Number of sessions (dates). */
  readonly sessions: number;
  /** Number of distinct codes. */
  readonly codes: number;
}

/**
 * Lists the shipped daily-bar files (`*.csv` in `dir`, default `shippedDataDir()`) with their date
 * ranges, by ascending last date then name. Reads each file (they are small). Files without bars are
 * left out. Throws `DailyBarsError` for a malformed file and the `fs` error when `dir` cannot be read.
 */
export function listShippedDailyData(dir: string = shippedDataDir()): ShippedDataFile[] {
  const out: ShippedDataFile[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort()) {
    const path = join(dir, file);
    const set = loadDailyBars(path);
    const r = set.range();
    if (!r) continue;
    out.push({ path, file, firstDate: r.first, lastDate: r.last, sessions: set.dates().length, codes: set.codes().length });
  }
  return out.sort((a, b) => (a.lastDate < b.lastDate ? -1 : a.lastDate > b.lastDate ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * The latest session in the shipped data: the file holding it and the date (what the CLI replays by
 * default). Throws `InputError` when there is no shipped data.
 */
export function latestShippedSession(dir: string = shippedDataDir()): { path: string; date: KstDate } {
  const files = listShippedDailyData(dir);
  const last = files[files.length - 1];
  if (!last) throw new InputError(`no daily-bar files in ${dir}`, { dir });
  return { path: last.path, date: last.lastDate };
}
