/**
 * synthetic-intraday: a seeded, reproducible sequence of prints (trades) through one real daily bar.
 *
 * Nothing here is real intraday data. Given a day's open, high, low, close and volume, the generator
 * draws a plausible session that agrees with the bar exactly:
 * - an opening-auction print at the session `open` instant at the day's open price;
 * - continuous prints strictly between `open` and `closingAuctionStart`, irregularly spaced (gaps drawn
 *   with a 1 : 21 spread, then time-warped so prints are about 4× denser right after the open and right
 *   before the closing auction than at midday); the number of continuous prints is about √volume
 *   (Samsung Electronics on a 30-million-share day: ~5,500 prints, one every ~4 s), capped;
 * - a closing-auction print at the `close` instant at the day's close price;
 * - the path's maximum is the day's high and its minimum the day's low, exactly, each reached at least
 *   once at a random continuous print (unless the open or close already is that price);
 * - prices follow Brownian bridges in tick space (open → the extremes in random order → close),
 *   reflected into [low, high], and are rounded onto the KRX tick grid of their price (`model/tick.ts`).
 *   The bar's own open/high/low/close are printed exactly as given, even off the grid: KRX midpoint
 *   orders (since 2025-02-05) leave half-tick highs and lows (and a few opens and closes) in the data.
 *   Every other print is on the grid;
 * - volumes are positive integers summing exactly to the day's volume; each auction print takes
 *   2–8 % of it (at least one share), the rest is spread over the continuous prints (at least one share
 *   each, exponential weights);
 * - a bar without trades (volume 0, or `traded: false`) yields no prints; a one-share bar yields the
 *   single opening print. Where the volume is too small for every required print (never in the real
 *   files: the only such bars are one-share bars with open = high = low = close), extremes are dropped.
 *
 * Reproducibility: the PRNG is mulberry32 (32-bit state, Tommy Ettinger's constants), seeded per
 * instrument from (seed, date, code) by FNV-1a + a murmur3 finaliser (`syntheticIntradaySeed`): each
 * instrument's path depends on nothing else, so adding or removing codes changes no other path.
 */
import type { UnixMillis } from '../../core/brand.ts';
import type { InstrumentKind } from '../../model/instrument.ts';
import type { SimSnapshot, SimTrade } from '../market-source.ts';

/** Instants of a session (epoch ms): open print at `open`, continuous prints until `closingAuctionStart`, close print at `close`. */
export interface SessionInstants {
  readonly open: number;
  readonly closingAuctionStart: number;
  readonly close: number;
}

/** What the generator needs of a daily bar (won, shares; integers). */
export interface IntradayBar {
  readonly date: string;
  readonly code: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** False for a day without trades: no prints. Default: volume > 0. */
  readonly traded?: boolean;
  /** Tick grid to use (ETF/ETN/ELW: 5 won). Default STOCK. */
  readonly kind?: InstrumentKind;
}

/** Options of `generateSyntheticIntraday`. */
export interface SyntheticIntradayOptions {
  /** Replay seed (any number; mixed with date and code, see `syntheticIntradaySeed`). */
  readonly seed: number;
  /** Upper bound on continuous prints per instrument (default 20,000: at least ~1.1 s apart on average over a 6 h 20 min session). */
  readonly maxContinuousPrints?: number;
}

/** Name of this price model, for logs, CLI output and anything else that shows replayed prints. */
export const SYNTHETIC_INTRADAY = 'synthetic-intraday';

const DEFAULT_MAX_PRINTS = 20_000;
/** Amplitude of the time warp: density at the edges / at midday = (1 + A) / (1 − A) = 4. */
const WARP_A = 0.6;
/** Bridge noise, as a fraction of the day's range in ticks over the whole session. */
const SIGMA_FACTOR = 0.5;
/** Auction share of the day's volume: uniform in [AUCTION_MIN, AUCTION_MIN + AUCTION_SPAN). */
const AUCTION_MIN = 0.02;
const AUCTION_SPAN = 0.06;

// ---------------------------------------------------------------------------------------------
// PRNG and seeds

/**
 * mulberry32: a small, fast 32-bit PRNG (Tommy Ettinger, public domain). Period 2^32, passes
 * gjrand/PractRand to a few GB: more than enough for price paths, not for cryptography.
 * @param seed taken modulo 2^32
 * @returns a function yielding uniform floats in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The per-instrument PRNG seed: FNV-1a (32-bit) of `"<seed>|<date>|<code>"`, finished with the
 * murmur3 `fmix32` avalanche. Depends on nothing but its three arguments.
 */
export function syntheticIntradaySeed(seed: number, date: string, code: string): number {
  const s = `${seed}|${date}|${code}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Tick space

/** Lower edge (won), tick (won) and index of the first tick of each KRX stock band (table since 2023-01-25). */
const BAND_LOW = [0, 2_000, 5_000, 20_000, 50_000, 200_000, 500_000] as const;
const BAND_TICK = [1, 5, 10, 50, 100, 500, 1_000] as const;
const BAND_IDX: readonly number[] = (() => {
  const out = [0];
  for (let b = 1; b < BAND_LOW.length; b++) out.push((out[b - 1] as number) + (BAND_LOW[b]! - BAND_LOW[b - 1]!) / BAND_TICK[b - 1]!);
  return out;
})();

/**
 * Continuous tick coordinate of a price (won): integer for a price on the grid, fractional between
 * grid prices (a half tick is `k + 0.5`). Monotone in the price. ETF/ETN/ELW: price / 5.
 */
export function tickCoordinate(p: number, kind: InstrumentKind = 'STOCK'): number {
  if (kind !== 'STOCK') return p / 5;
  let b = BAND_LOW.length - 1;
  while (b > 0 && p < BAND_LOW[b]!) b--;
  return BAND_IDX[b]! + (p - BAND_LOW[b]!) / BAND_TICK[b]!;
}

/** The grid price (won) at integer tick coordinate `i` (inverse of `tickCoordinate` on the grid). */
export function priceAtTick(i: number, kind: InstrumentKind = 'STOCK'): number {
  if (kind !== 'STOCK') return i * 5;
  let b = BAND_IDX.length - 1;
  while (b > 0 && i < BAND_IDX[b]!) b--;
  return BAND_LOW[b]! + (i - BAND_IDX[b]!) * BAND_TICK[b]!;
}

// ---------------------------------------------------------------------------------------------
// The path

/**
 * The prints of one instrument for one session, in time order, stored in typed arrays (about 56 bytes
 * a print), with running totals so `snapshot` and `tradesBetween` are binary searches.
 */
export class SyntheticIntradayPath {
  /** Cumulative shares up to and including print i. */
  private readonly cumVolume: Float64Array;
  /** Cumulative value (won) up to and including print i. */
  private readonly cumValue: Float64Array;
  private readonly runHigh: Float64Array;
  private readonly runLow: Float64Array;

  /**
   * @param code instrument code, @param date KST session date
   * @param tsArr print instants (epoch ms), strictly increasing
   * @param priceArr print prices (won)
   * @param volumeArr print sizes (shares, > 0)
   */
  constructor(
    readonly code: string,
    readonly date: string,
    private readonly tsArr: Float64Array,
    private readonly priceArr: Float64Array,
    private readonly volumeArr: Float64Array,
  ) {
    const n = tsArr.length;
    this.cumVolume = new Float64Array(n);
    this.cumValue = new Float64Array(n);
    this.runHigh = new Float64Array(n);
    this.runLow = new Float64Array(n);
    let v = 0;
    let val = 0;
    let hi = -Infinity;
    let lo = Infinity;
    for (let i = 0; i < n; i++) {
      const p = priceArr[i]!;
      v += volumeArr[i]!;
      val += p * volumeArr[i]!;
      if (p > hi) hi = p;
      if (p < lo) lo = p;
      this.cumVolume[i] = v;
      this.cumValue[i] = val;
      this.runHigh[i] = hi;
      this.runLow[i] = lo;
    }
  }

  /** Number of prints. */
  get length(): number {
    return this.tsArr.length;
  }
  /** Instant of print i (epoch ms). */
  ts(i: number): number {
    return this.tsArr[i]!;
  }
  /** Price of print i (won). */
  price(i: number): number {
    return this.priceArr[i]!;
  }
  /** Size of print i (shares). */
  volume(i: number): number {
    return this.volumeArr[i]!;
  }
  /** Print i as a `SimTrade`. */
  trade(i: number): SimTrade {
    return { ts: this.tsArr[i]! as UnixMillis, price: this.priceArr[i]!, volume: this.volumeArr[i]! };
  }
  /** All prints as `SimTrade` objects (allocates; prefer the accessors in hot loops). */
  trades(): SimTrade[] {
    const out: SimTrade[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.trade(i);
    return out;
  }
  /** Shares over the whole session. */
  get totalVolume(): number {
    return this.length === 0 ? 0 : this.cumVolume[this.length - 1]!;
  }
  /** Value over the whole session (won). */
  get totalValue(): number {
    return this.length === 0 ? 0 : this.cumValue[this.length - 1]!;
  }
  /** Number of prints with ts <= t (epoch ms). */
  countUntil(t: number): number {
    let lo = 0;
    let hi = this.tsArr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsArr[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /**
   * State as of `t` (epoch ms), prints with ts <= t included. Before the first print: last = `basePrice`,
   * open = high = low = 0 (no print yet), volume = value = 0, lastTs undefined.
   */
  snapshot(t: number, basePrice: number): SimSnapshot {
    const n = this.countUntil(t);
    if (n === 0) return { last: basePrice, open: 0, high: 0, low: 0, volume: 0, value: 0, lastTs: undefined };
    const i = n - 1;
    return {
      last: this.priceArr[i]!,
      open: this.priceArr[0]!,
      high: this.runHigh[i]!,
      low: this.runLow[i]!,
      volume: this.cumVolume[i]!,
      value: this.cumValue[i]!,
      lastTs: this.tsArr[i]! as UnixMillis,
    };
  }
  /** Prints with from < ts <= to (epoch ms), in time order. */
  tradesBetween(from: number, to: number): SimTrade[] {
    const a = this.countUntil(from);
    const b = this.countUntil(to);
    const out: SimTrade[] = [];
    for (let i = a; i < b; i++) out.push(this.trade(i));
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Generation

/**
 * Generates the synthetic-intraday prints of one instrument for one session (see the module comment
 * for every property the result has). Deterministic in (opts.seed, bar.date, bar.code, the bar, the session).
 * Throws `RangeError` when the session instants are not safe integers with open < closingAuctionStart <= close
 * (and at least 2 ms of continuous trading), when a traded bar is inconsistent (not 0 < low <= open,
 * close <= high, integer volume), or when `maxContinuousPrints` is not a whole number >= 0.
 */
export function generateSyntheticIntraday(bar: IntradayBar, session: SessionInstants, opts: SyntheticIntradayOptions): SyntheticIntradayPath {
  const { open: tOpen, closingAuctionStart: tCas, close: tClose } = session;
  if (![tOpen, tCas, tClose].every(Number.isSafeInteger) || !(tOpen < tCas && tCas <= tClose) || tCas - tOpen < 2) {
    throw new RangeError(`session instants must be integers with open < closingAuctionStart <= close, were ${tOpen}, ${tCas}, ${tClose}`);
  }
  const empty = (): SyntheticIntradayPath =>
    new SyntheticIntradayPath(bar.code, bar.date, new Float64Array(0), new Float64Array(0), new Float64Array(0));
  const V = bar.volume;
  if (!Number.isSafeInteger(V) || V < 0) throw new RangeError(`${bar.code} ${bar.date}: volume must be a whole number >= 0, was ${V}`);
  if (V === 0 || bar.traded === false || bar.open <= 0) return empty();
  const { open: O, high: H, low: L, close: C } = bar;
  if (!(L > 0 && L <= O && O <= H && L <= C && C <= H)) {
    throw new RangeError(`${bar.code} ${bar.date}: inconsistent bar O ${O} H ${H} L ${L} C ${C}`);
  }
  const kind = bar.kind ?? 'STOCK';
  const rand = mulberry32(syntheticIntradaySeed(opts.seed, bar.date, bar.code));

  if (V === 1) {
    return new SyntheticIntradayPath(bar.code, bar.date, Float64Array.of(tOpen), Float64Array.of(O), Float64Array.of(1));
  }

  // --- volumes of the auctions, number of continuous prints
  let needH = H !== O && H !== C;
  let needL = L !== O && L !== C;
  let Vo = Math.max(1, Math.round(V * (AUCTION_MIN + AUCTION_SPAN * rand())));
  let Vc = Math.max(1, Math.round(V * (AUCTION_MIN + AUCTION_SPAN * rand())));
  const anchors = (): number => Number(needH) + Number(needL);
  if (V - Vo - Vc < anchors()) {
    Vo = 1;
    Vc = 1;
  }
  const cap = opts.maxContinuousPrints ?? DEFAULT_MAX_PRINTS;
  if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError(`maxContinuousPrints must be a whole number >= 0, was ${cap}`);
  const maxPrints = Math.min(cap, tCas - tOpen - 1);
  let Vr = V - Vo - Vc;
  const N = Math.min(Vr, maxPrints, Math.max(anchors(), Math.round(Math.sqrt(V))));
  // Degenerate bars (too few shares, or a cap below 2): drop what cannot be printed.
  if (N < anchors()) needL = false;
  if (N < anchors()) needH = false;
  if (N === 0 && Vr > 0) {
    Vo += Vr;
    Vr = 0;
  }

  const M = N + 2;
  const ts = new Float64Array(M);
  const px = new Float64Array(M);
  const vol = new Float64Array(M);

  // --- times: opening print, N irregular continuous prints, closing print
  ts[0] = tOpen;
  ts[M - 1] = tClose;
  if (N > 0) {
    // N + 1 gaps in [0.05, 1.05): spread 1 : 21; the last gap separates the last print from the auction.
    let total = 0;
    for (let k = 0; k < N; k++) {
      const u = rand();
      total += 0.05 + u * u;
      ts[k + 1] = total; // provisional cumulative sums
    }
    const uLast = rand();
    total += 0.05 + uLast * uLast;
    const span = tCas - tOpen - 1;
    const twoPi = 2 * Math.PI;
    for (let k = 1; k <= N; k++) {
      const f = ts[k]! / total; // in (0, 1)
      const w = f - (WARP_A / twoPi) * Math.sin(twoPi * f); // monotone warp, denser at both edges
      let t = tOpen + 1 + Math.floor(w * span);
      if (t <= ts[k - 1]!) t = ts[k - 1]! + 1;
      ts[k] = t;
    }
    // Keep strictly increasing and below the closing auction (only matters when prints crowd a tiny span).
    let next = tCas;
    for (let k = N; k >= 1; k--) {
      if (ts[k]! >= next) ts[k] = next - 1;
      next = ts[k]!;
    }
  }

  // --- prices
  px[0] = O;
  px[M - 1] = C;
  if (H === L) {
    for (let k = 1; k <= N; k++) px[k] = O;
  } else {
    const xO = tickCoordinate(O, kind);
    const xH = tickCoordinate(H, kind);
    const xL = tickCoordinate(L, kind);
    const xC = tickCoordinate(C, kind);
    // Anchor positions (1..N) of the extremes, in random order.
    let iH = -1;
    let iL = -1;
    if (needH) iH = 1 + Math.floor(rand() * N);
    if (needL) {
      if (needH) {
        iL = 1 + Math.floor(rand() * (N - 1));
        if (iL >= iH) iL++;
      } else iL = 1 + Math.floor(rand() * N);
    }
    const anchorPos: number[] = [0];
    const anchorX: number[] = [xO];
    const extra = iH >= 0 && iL >= 0 ? (iH < iL ? [[iH, xH], [iL, xL]] : [[iL, xL], [iH, xH]]) : iH >= 0 ? [[iH, xH]] : iL >= 0 ? [[iL, xL]] : [];
    for (const [p, x] of extra) {
      anchorPos.push(p!);
      anchorX.push(x!);
    }
    anchorPos.push(M - 1);
    anchorX.push(xC);

    const sigma = (Math.max(xH - xL, 1) * SIGMA_FACTOR) / Math.sqrt(M - 1);
    let spare = NaN;
    const gauss = (): number => {
      if (!Number.isNaN(spare)) {
        const g = spare;
        spare = NaN;
        return g;
      }
      const u1 = 1 - rand(); // (0, 1]
      const u2 = rand();
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    };
    for (let s = 0; s + 1 < anchorPos.length; s++) {
      const a = anchorPos[s]!;
      const b = anchorPos[s + 1]!;
      const xa = anchorX[s]!;
      const xb = anchorX[s + 1]!;
      const n = b - a;
      if (n < 2) continue;
      // Random walk into px[a+1 .. b] (px[b] temporarily holds the walk's end), then pin it into a bridge.
      let w = 0;
      for (let k = 1; k <= n; k++) {
        w += sigma * gauss();
        if (k < n) px[a + k] = w;
      }
      const wEnd = w;
      for (let k = 1; k < n; k++) {
        const frac = k / n;
        let x = xa + px[a + k]! - frac * wEnd + frac * (xb - xa);
        // Reflect into [xL, xH] (a few times at most; clamp whatever is left).
        for (let r = 0; r < 4 && (x > xH || x < xL); r++) x = x > xH ? 2 * xH - x : 2 * xL - x;
        if (x > xH) x = xH;
        else if (x < xL) x = xL;
        px[a + k] = snapToGrid(x, xL, xH, L, H, kind);
      }
    }
    // The anchors themselves: the exact real extremes (possibly off the grid), and the auction prints.
    if (iH >= 0) px[iH] = H;
    if (iL >= 0) px[iL] = L;
    px[0] = O;
    px[M - 1] = C;
  }

  // --- volumes: auctions, then at least one share per continuous print plus exponential weights
  vol[0] = Vo;
  vol[M - 1] = Vc;
  if (N > 0) {
    const spare = Vr - N;
    // Weights into vol[1..N] temporarily, cumulative.
    let cum = 0;
    for (let k = 1; k <= N; k++) {
      cum += -Math.log(1 - rand());
      vol[k] = cum;
    }
    // Shares of prints 1..k = k + floor(spare × cumulative weight / total): monotone, exact at k = N.
    let prev = 0;
    for (let k = 1; k <= N; k++) {
      const upTo = k === N ? spare : Math.min(spare, Math.floor((spare * vol[k]!) / cum));
      vol[k] = 1 + Math.max(0, upTo - prev);
      prev = Math.max(prev, upTo);
    }
  }
  return new SyntheticIntradayPath(bar.code, bar.date, ts, px, vol);
}

/**
 * Rounds tick coordinate `x` (within [xL, xH]) to the nearest grid price inside [low, high]; when the
 * nearest grid price falls outside (the real extreme is off the grid), steps one tick inward, and when
 * no grid price lies inside at all, returns the nearer real extreme.
 */
function snapToGrid(x: number, xL: number, xH: number, low: number, high: number, kind: InstrumentKind): number {
  const i = Math.round(x);
  let p = priceAtTick(i, kind);
  if (p > high) p = priceAtTick(i - 1, kind);
  else if (p < low) p = priceAtTick(i + 1, kind);
  if (p > high || p < low) return x - xL < xH - x ? low : high;
  return p;
}

/** Convenience: the prints of `generateSyntheticIntraday` as `SimTrade` objects. Throws as it does. */
export function syntheticIntradayTrades(bar: IntradayBar, session: SessionInstants, opts: SyntheticIntradayOptions): SimTrade[] {
  return generateSyntheticIntraday(bar, session, opts).trades();
}
