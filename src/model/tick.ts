import { InvariantError } from '../core/errors.ts';
import type { InstrumentKind } from './instrument.ts';
import { price, type Price } from './money.ts';

/**
 * KRX tick size (호가가격단위) in won for a price, table in force since 2023-01-25 for KOSPI, KOSDAQ and
 * KONEX (kis-protocol.md §6.3): <2,000 → 1; <5,000 → 5; <20,000 → 10; <50,000 → 50; <200,000 → 100;
 * <500,000 → 500; else 1,000. ETF, ETN and ELW: 5 won at any price.
 */
export function tickSize(p: number, kind: InstrumentKind = 'STOCK'): number {
  if (kind !== 'STOCK') return 5;
  if (p < 2_000) return 1;
  if (p < 5_000) return 5;
  if (p < 20_000) return 10;
  if (p < 50_000) return 50;
  if (p < 200_000) return 100;
  if (p < 500_000) return 500;
  return 1_000;
}

/** True when `p` is a whole-won price on the tick grid of its own band. */
export function isOnTick(p: number, kind: InstrumentKind = 'STOCK'): boolean {
  return Number.isSafeInteger(p) && p > 0 && p % tickSize(p, kind) === 0;
}

/** Rounding direction: `down` for a buy limit that must not pay more, `up` for a sell that must not get less. */
export type RoundDirection = 'up' | 'down' | 'nearest';

/**
 * Rounds a price (may be fractional or off-grid) onto the KRX tick grid. Band edges are handled: a
 * price just under 2,000 rounding up lands on 2,000 (which is on both grids). `nearest` ties go up.
 * Throws `InvariantError(PRICE_INVALID)` for a non-finite or non-positive input.
 * @returns a price on the grid, >= 1
 */
export function roundToTick(p: number, direction: RoundDirection, kind: InstrumentKind = 'STOCK'): Price {
  if (!Number.isFinite(p) || p <= 0) throw new InvariantError('PRICE_INVALID', `cannot round price ${p} to a tick`);
  const t = tickSize(p, kind);
  const down = Math.floor(p / t) * t;
  const up = Math.ceil(p / t) * t;
  let r: number;
  if (direction === 'down') r = down;
  else if (direction === 'up') r = up;
  else r = p - down < up - p ? down : up;
  if (r <= 0) r = t;
  // `up` can cross into a band with a coarser tick; the band's lower edge is on both grids.
  if (!isOnTick(r, kind)) r = direction === 'down' ? Math.floor(r / tickSize(r, kind)) * tickSize(r, kind) : Math.ceil(r / tickSize(r, kind)) * tickSize(r, kind);
  return price(r);
}

/** The price `n` ticks away from `p` (`n` may be negative), stepping band by band. `p` must be on the grid. */
export function addTicks(p: Price, n: number, kind: InstrumentKind = 'STOCK'): Price {
  if (!isOnTick(p, kind)) throw new InvariantError('PRICE_OFF_TICK', `price ${p} is not on the tick grid`);
  let cur: number = p;
  for (let i = 0; i < Math.abs(n); i++) {
    if (n > 0) cur += tickSize(cur, kind);
    else {
      const below = cur - 1;
      if (below <= 0) break;
      cur -= tickSize(below, kind);
    }
  }
  return price(cur);
}
