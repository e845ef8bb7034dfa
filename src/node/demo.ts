import type { SimHoldingSpec } from '../sim/account-spec.ts';
import type { ReplayMarket } from '../sim/replay/replay-market.ts';

/**
 * Holdings of the demo account, "bought the day before": for the `count` most traded instruments of
 * the replayed day, about `perPositionKrw` won each at the day's base price (the previous close).
 */
export function demoHoldings(market: ReplayMarket, count = 5, perPositionKrw: number = 10_000_000): SimHoldingSpec[] {
  return [...market.instruments()]
    .filter((i) => i.daily.volume > 0 && i.basePrice > 0)
    .sort((a, b) => b.daily.volume * b.daily.close - a.daily.volume * a.daily.close)
    .slice(0, count)
    .map((i) => ({ code: i.id, quantity: Math.max(1, Math.floor(perPositionKrw / i.basePrice)), avgPrice: i.basePrice }));
}
