import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';

/**
 * Pre-trade risk limits. Defaults live only here (chosen for a small retail account; set them for
 * yours):
 *
 * | key                     | env                        | default      | meaning |
 * | ----------------------- | -------------------------- | ------------ | ------- |
 * | `maxOrderValueKrw`      | `MAX_ORDER_VALUE_KRW`      | 10,000,000   | one order's value, won |
 * | `slippageBps`           | `SLIPPAGE_BPS`             | 100 (1 %)    | how far a limit price may be worse than the reference price, basis points |
 * | `maxDailyOrders`        | `MAX_DAILY_ORDERS`         | 100          | orders per KST trading day, both sides |
 * | `maxDailyOrderValueKrw` | `MAX_DAILY_ORDER_VALUE_KRW`| 50,000,000   | order value per KST trading day, both sides, won |
 * | `maxPositionWeightBps`  | `MAX_POSITION_WEIGHT_BPS`  | 2,000 (20 %) | one position's value after a buy, basis points of portfolio value |
 * | `maxRetry`              | `MAX_RETRY`                | 3            | re-submissions of one intent after the first (attempt 0..3 pass) |
 */
export const RiskConfigSchema = z
  .object({
    maxOrderValueKrw: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(10_000_000),
    slippageBps: z.number().int().min(0).max(3_000).default(100),
    maxDailyOrders: z.number().int().positive().max(1_000_000).default(100),
    maxDailyOrderValueKrw: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(50_000_000),
    maxPositionWeightBps: z.number().int().min(1).max(10_000).default(2_000),
    maxRetry: z.number().int().min(0).max(100).default(3),
  })
  .strict();

export type RiskConfig = z.infer<typeof RiskConfigSchema>;

/** Environment variable → config key. */
export const RISK_ENV: Readonly<Record<string, keyof RiskConfig>> = {
  MAX_ORDER_VALUE_KRW: 'maxOrderValueKrw',
  SLIPPAGE_BPS: 'slippageBps',
  MAX_DAILY_ORDERS: 'maxDailyOrders',
  MAX_DAILY_ORDER_VALUE_KRW: 'maxDailyOrderValueKrw',
  MAX_POSITION_WEIGHT_BPS: 'maxPositionWeightBps',
  MAX_RETRY: 'maxRetry',
};

/** `10_000_000` and `10000000` are numbers; anything else stays a string for zod to report. */
function coerceNumber(v: string): unknown {
  const s = v.trim().replaceAll('_', '');
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : v;
}

/**
 * Reads the risk limits from the environment (names in {@link RISK_ENV}); unset variables take the
 * schema defaults, other variables are ignored. Digits may be grouped with `_` (`10_000_000`).
 * @throws ConfigError listing every invalid variable by name (e.g. path `MAX_RETRY`).
 */
export function riskConfigFromEnv(env: Readonly<Record<string, string | undefined>>): RiskConfig {
  const raw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(RISK_ENV)) {
    const v = env[name];
    if (v !== undefined) raw[key] = coerceNumber(v);
  }
  const r = RiskConfigSchema.safeParse(raw);
  if (!r.success) {
    const nameOf = (key: PropertyKey | undefined): string => Object.entries(RISK_ENV).find(([, k]) => k === key)?.[0] ?? String(key);
    throw new ConfigError(r.error.issues.map((i): ConfigIssue => ({ path: nameOf(i.path[0]), message: i.message })));
  }
  return r.data;
}
