/**
 * The twin's SYNTHETIC order book. The replay has prints only, no book, so the twin invents one around
 * the last price on the tick grid: the best ask is the first grid price strictly above the last print,
 * the best bid the first grid price strictly below it (a last price on the grid therefore sits in the
 * middle of a two-tick spread; a half-tick print sits between two adjacent ticks). Levels beyond the
 * daily limits are empty (price 0, quantity 0) as on KIS. Quantities are a deterministic made-up shape
 * scaled by the day's volume: they carry no information and nothing is matched against them.
 */
import { dailyPriceLimits, type PriceLimits } from '../model/price-limits.ts';
import { addTicks, isOnTick, roundToTick } from '../model/tick.ts';
import type { SimInstrument } from './market-source.ts';

/** One book level: price in won (0 = empty level), quantity in shares. */
export interface SyntheticBookLevel {
  readonly price: number;
  readonly quantity: number;
}

/** Ten levels per side, best first. */
export interface SyntheticBook {
  readonly asks: readonly SyntheticBookLevel[];
  readonly bids: readonly SyntheticBookLevel[];
}

/** Number of levels per side (KIS inquire-asking-price-exp-ccn / H0STASP0). */
export const SYNTHETIC_BOOK_DEPTH = 10;

/** Daily limits of an instrument (from its base price and kind). */
export function limitsOf(inst: SimInstrument): PriceLimits {
  return dailyPriceLimits(inst.basePrice, inst.kind);
}

/** First grid price strictly above `p` (won). */
export function gridAbove(p: number, inst: SimInstrument): number {
  if (isOnTick(p, inst.kind)) return addTicks(roundToTick(p, 'down', inst.kind), 1, inst.kind);
  return roundToTick(p, 'up', inst.kind);
}

/** First grid price strictly below `p` (won), or 0 when there is none. */
export function gridBelow(p: number, inst: SimInstrument): number {
  if (isOnTick(p, inst.kind)) {
    const below = addTicks(roundToTick(p, 'down', inst.kind), -1, inst.kind);
    return below < p ? below : 0;
  }
  return p >= 1 ? roundToTick(p, 'down', inst.kind) : 0;
}

/**
 * Best synthetic ask for a last price: the first grid price above `last`, or the upper limit when that
 * is beyond it (an order at the upper limit is the best a buyer can pay).
 */
export function syntheticBestAsk(inst: SimInstrument, last: number): number {
  const l = limitsOf(inst);
  return Math.min(gridAbove(last, inst), l.upper);
}

/** Best synthetic bid: the first grid price below `last`, or the lower limit when that is beyond it. */
export function syntheticBestBid(inst: SimInstrument, last: number): number {
  const l = limitsOf(inst);
  const b = gridBelow(last, inst);
  return b === 0 ? l.lower : Math.max(b, l.lower);
}

/** Made-up resting quantity at a level (1-based): unit × (5 + level), unit = max(1, day volume / 2000). */
export function syntheticDepth(inst: SimInstrument, level: number): number {
  const unit = Math.max(1, Math.floor(inst.daily.volume / 2000));
  return unit * (5 + level);
}

/** The synthetic 10-level book around `last` (won). */
export function syntheticBook(inst: SimInstrument, last: number): SyntheticBook {
  const l = limitsOf(inst);
  const asks: SyntheticBookLevel[] = [];
  const bids: SyntheticBookLevel[] = [];
  let a = gridAbove(last, inst);
  let b = gridBelow(last, inst);
  for (let i = 1; i <= SYNTHETIC_BOOK_DEPTH; i++) {
    if (a > 0 && a <= l.upper) {
      asks.push({ price: a, quantity: syntheticDepth(inst, i) });
      a = addTicks(roundToTick(a, 'down', inst.kind), 1, inst.kind);
    } else {
      asks.push({ price: 0, quantity: 0 });
      a = 0;
    }
    if (b > 0 && b >= l.lower) {
      bids.push({ price: b, quantity: syntheticDepth(inst, i) });
      const nb = addTicks(roundToTick(b, 'down', inst.kind), -1, inst.kind);
      b = nb < b ? nb : 0;
    } else {
      bids.push({ price: 0, quantity: 0 });
      b = 0;
    }
  }
  return { asks, bids };
}
