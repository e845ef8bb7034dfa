import { z } from 'zod';
import { MonitorConfigSchema } from '../monitor/rules.ts';

/**
 * The application's own configuration (everything but KIS credentials, which the KIS adapter resolves
 * from the environment itself). Defaults live only here. Unknown keys are errors.
 */
/** The monitor's rule for every position without an override, unless configured: -3 % / +5 %. */
const DEFAULT_EXIT_RULE = { thresholds: { type: 'percent', stopLossPct: 3, takeProfitPct: 5 } } as const;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'expected HH:MM or HH:MM:SS (KST)');
const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const FeesConfigSchema = z
  .object({
    /** Broker commission in basis points on both sides (KIS online: 0.0140527 % = 1.40527 bp). */
    commissionBps: z.number().min(0).max(100).default(1.40527),
    /**
     * Securities transaction tax (incl. the rural special tax) on sells, basis points. 20 bp is the
     * 2026 rate for KOSPI and KOSDAQ listings; set it for other years.
     */
    sellTaxBps: z.number().min(0).max(100).default(20),
  })
  .strict();

export const SimConfigSchema = z
  .object({
    /** Session to replay (default: the latest session in the data). */
    day: ymd.optional(),
    /** Simulated KST time at which the replay starts. */
    at: hhmm.default('09:30'),
    /** Replay speed factor (simulated seconds per wall second). */
    speed: z.number().positive().max(100_000).default(1),
    /** Daily-bar file (marcap CSV(.gz), rltrader CSV or the shipped compact CSV); default: shipped data. */
    data: z.string().min(1).optional(),
    /** Seed of the synthetic intraday paths. */
    seed: z.number().int().min(0).default(1),
    /** Port for `hantu sim` (0 = any free port). */
    port: z.number().int().min(0).max(65_535).default(0),
    /** Starting cash of the twin's demo account (won). */
    cash: z.number().int().min(0).default(100_000_000),
  })
  .strict();

export const AppConfigSchema = z
  .object({
    /** Folder for the token cache, the twin discovery file, the ledger and reports. */
    dataDir: z.string().min(1).default('.data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
    fees: FeesConfigSchema.default(FeesConfigSchema.parse({})),
    sim: SimConfigSchema.default(SimConfigSchema.parse({})),
    /**
     * Stop-loss / take-profit rules of the real-time monitor (default rule: -3 % / +5 % of the average
     * price). A monitor section without `default` (e.g. only `HANTU__MONITOR__EXIT_WRITE_AHEAD`) keeps
     * that default rule.
     */
    monitor: z
      .preprocess((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('default' in v) ? { ...v, default: DEFAULT_EXIT_RULE } : v), MonitorConfigSchema)
      .default(MonitorConfigSchema.parse({ default: DEFAULT_EXIT_RULE })),
  })
  .strict();

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type SimConfig = z.infer<typeof SimConfigSchema>;
export type FeesConfig = z.infer<typeof FeesConfigSchema>;
