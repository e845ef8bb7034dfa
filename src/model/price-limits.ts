import { InvariantError } from '../core/errors.ts';
import type { InstrumentKind } from './instrument.ts';
import { price, type Price } from './money.ts';
import { tickSize } from './tick.ts';

/** Daily price limit band: the prices an order may carry on a day. */
export interface PriceLimits {
  /** 기준가: normally the previous close (won). */
  readonly base: Price;
  /** 상한가 (won). */
  readonly upper: Price;
  /** 하한가 (won). */
  readonly lower: Price;
  /** 제한폭 (won). */
  readonly width: number;
}

/** KRX daily limit rate: ±30 % of the base price, in basis points. */
export const DAILY_LIMIT_BPS = 3_000;

/**
 * Daily price limits (kis-protocol.md §6.1): width = floor_to_tick(base × 0.30, tick(base)),
 * upper = base + width, lower = base − width; then each is put on the tick grid of its own band
 * (upper rounded down, lower rounded up), since an order can only carry an on-grid price (base 199,900
 * → raw upper 259,800 lies in the 500-won band → 259,500). Reproduces base 128,500 → 167,000 / 90,000
 * (current table) and, with the pre-2023 table, 111,000 → 144,000 / 78,000. The rounding of a
 * band-crossing limit is UNCONFIRMED by a primary source: prefer the venue's stck_mxpr/stck_llam.
 * @param base 기준가 in won
 * @param tick tick function to use (defaults to the table since 2023-01-25)
 * Throws `InvariantError(PRICE_INVALID)` when base is not a positive integer.
 */
export function dailyPriceLimits(
  base: number,
  kind: InstrumentKind = 'STOCK',
  tick: (p: number, kind: InstrumentKind) => number = tickSize,
): PriceLimits {
  if (!Number.isSafeInteger(base) || base <= 0) throw new InvariantError('PRICE_INVALID', `base price must be a positive integer, was ${base}`);
  const t = tick(base, kind);
  const raw = Math.floor((base * DAILY_LIMIT_BPS) / 10_000);
  const width = Math.floor(raw / t) * t;
  const rawUpper = base + width;
  const rawLower = Math.max(base - width, 1);
  const tu = tick(rawUpper, kind);
  const tl = tick(rawLower, kind);
  // A base off its own grid (not a real KRX base) can round past it: never cross the base.
  const upper = Math.max(Math.floor(rawUpper / tu) * tu, base);
  const lower = Math.min(Math.ceil(rawLower / tl) * tl, base);
  return { base: price(base), upper: price(upper), lower: price(lower), width };
}

/** True when `p` lies inside the band (inclusive). */
export function withinLimits(p: number, limits: PriceLimits): boolean {
  return p >= limits.lower && p <= limits.upper;
}

/**
 * Tick table before 2023-01-25 (KOSPI): <1,000 → 1; <5,000 → 5; <10,000 → 10; <50,000 → 50;
 * <100,000 → 100; <500,000 → 500; else 1,000. Kept to reproduce historical examples.
 */
export function tickSizePre2023(p: number, kind: InstrumentKind = 'STOCK'): number {
  if (kind !== 'STOCK') return 5;
  if (p < 1_000) return 1;
  if (p < 5_000) return 5;
  if (p < 10_000) return 10;
  if (p < 50_000) return 50;
  if (p < 100_000) return 100;
  if (p < 500_000) return 500;
  return 1_000;
}
