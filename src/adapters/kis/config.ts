import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../core/errors.ts';
import { DEFAULT_REST_URLS, DEFAULT_WS_URLS, type KisEnv } from './common/urls.ts';

/**
 * KIS adapter configuration (style-anchors §4.7): a strict zod schema (unknown keys are errors),
 * defaults only here, every issue reported with its path. Secrets are NOT part of this object: they
 * live in `KisCredentials` (`common/credentials.ts`).
 */

/** Per-second REST budget per app key (kis-protocol.md §4.1: real 18/s, paper 1/s since 2026-04-20). */
export const DEFAULT_RATE_PER_SECOND: Readonly<Record<KisEnv, number>> = { real: 18, paper: 1, sim: 18 };

const RateLimitSchema = z.strictObject({
  /** Requests per second per app key. Default by env: real 18, paper 1, sim 18. */
  perSecond: z.number().positive().max(1000).optional(),
  /**
   * Bucket size (requests that may go back to back). Default 1: requests are spaced 1/perSecond apart,
   * so no 1-second window — sliding or fixed — ever holds more than `perSecond` calls. A larger burst
   * lets `burst + perSecond` calls fall in one second, which KIS answers with EGW00201.
   */
  burst: z.number().int().min(1).max(1000).default(1),
  /**
   * Pace this many percent below `perSecond`. Requests leave evenly spaced but reach the gateway
   * bunched by scheduling and network jitter; at exactly 18/s the twin's one-second window refused
   * an order with EGW00201 within 60 orders (npm run bench). Default 10 % (16.2/s for real).
   */
  headroomPct: z.number().min(0).max(90).default(10),
  /** Waits (ms) before each retry of a QUERY answered with EGW00201/EGW00215; commands are never retried. */
  retryBackoffMs: z.array(z.number().int().min(0).max(60_000)).max(10).default([250, 500, 1_000, 2_000]),
});

const TimeoutsSchema = z.strictObject({
  /** TCP/TLS connect timeout (ms). */
  connectMs: z.number().int().positive().max(120_000).default(5_000),
  /** Time to the response headers and between body chunks (ms). */
  readMs: z.number().int().positive().max(120_000).default(5_000),
});

const CircuitBreakerSchema = z.strictObject({
  /** Number of most recent calls the failure rate is computed over (cockatiel `CountBreaker.size`). */
  windowSize: z.number().int().min(1).max(1000).default(10),
  /** Opens when MORE than this fraction of the window failed (cockatiel semantics), 0 < x < 1. */
  failureThreshold: z.number().gt(0).lt(1).default(0.5),
  /** How long the circuit stays open before a trial call is let through (ms). */
  openMs: z.number().int().positive().max(3_600_000).default(30_000),
  /** Trial calls after opening: the first is cockatiel's half-open call, any failure among them re-opens. */
  halfOpenTrials: z.number().int().min(1).max(100).default(5),
});

const TokenSchema = z.strictObject({
  /** Re-issue the access token this long before `access_token_token_expired` (ms). Default 1 h. */
  refreshMarginMs: z.number().int().min(0).max(86_400_000).default(3_600_000),
  /** Wait after EGW00133 (one token issue per minute, kis-protocol.md §2.1) before the single retry (ms). */
  throttleWaitMs: z.number().int().min(0).max(600_000).default(60_000),
});

export const KisConfigSchema = z.strictObject({
  /** `paper` by default; `real` trades real money; `sim` is the loopback twin (URLs required). */
  env: z.enum(['real', 'paper', 'sim']).default('paper'),
  /** REST base URL (origin, optional path prefix). Default by env (kis-protocol.md §1); required for `sim`. */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** WebSocket URL. Default by env (kis-protocol.md §1); required for `sim`. */
  wsUrl: z.url({ protocol: /^wss?$/ }).optional(),
  rateLimit: RateLimitSchema.prefault({}),
  timeouts: TimeoutsSchema.prefault({}),
  circuitBreaker: CircuitBreakerSchema.prefault({}),
  token: TokenSchema.prefault({}),
  /** Send a `hashkey` header on orders (POST /uapi/hashkey first). Optional per KIS (§2.4). */
  useHashkey: z.boolean().default(false),
  /** Upper bound on pages fetched by one paged query (tr_cont F/M); exceeding it is an error, never a silent cut. */
  maxPages: z.number().int().min(1).max(1000).default(50),
});

/** What a config file / caller may provide (all optional, defaults applied by the schema). */
export type KisConfigInput = z.input<typeof KisConfigSchema>;

/** The resolved, frozen adapter config: env-dependent defaults filled in. */
export interface KisConfig {
  readonly env: KisEnv;
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number; readonly headroomPct: number; readonly retryBackoffMs: readonly number[] };
  readonly timeouts: { readonly connectMs: number; readonly readMs: number };
  readonly circuitBreaker: {
    readonly windowSize: number;
    readonly failureThreshold: number;
    readonly openMs: number;
    readonly halfOpenTrials: number;
  };
  readonly token: { readonly refreshMarginMs: number; readonly throttleWaitMs: number };
  readonly useHashkey: boolean;
  readonly maxPages: number;
}

/** Converts zod issues into `ConfigIssue`s, one per wrong key (unknown keys are listed one by one). */
export function zodIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const join = (parts: readonly PropertyKey[]): string =>
    [prefix, ...parts.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: join([...i.path, k]), message: 'unknown key' });
    } else {
      out.push({ path: join(i.path), message: i.message });
    }
  }
  return out;
}

/**
 * Validates and resolves the adapter config. Collects every problem (shape issues and the cross-field
 * rule "env sim needs baseUrl and wsUrl") before throwing one `ConfigError` listing them all.
 * @param input raw config (e.g. from a JSON file section), may be `undefined`
 * @param pathPrefix prefix for issue paths (e.g. `kis`)
 * @param issuesOut when given, issues are appended here instead of thrown (used to merge with
 *   credential issues); the return value is then `undefined` on failure
 */
export function resolveKisConfig(input: unknown, pathPrefix = '', issuesOut?: ConfigIssue[]): KisConfig | undefined {
  const issues: ConfigIssue[] = [];
  const parsed = KisConfigSchema.safeParse(input ?? {});
  if (!parsed.success) issues.push(...zodIssues(parsed.error.issues, pathPrefix));
  const raw = (input ?? {}) as Record<string, unknown>;
  if (raw['env'] === 'sim') {
    const p = (k: string): string => (pathPrefix ? `${pathPrefix}.${k}` : k);
    if (raw['baseUrl'] === undefined) issues.push({ path: p('baseUrl'), message: "required when env is 'sim' (the twin has no default URL)" });
    if (raw['wsUrl'] === undefined) issues.push({ path: p('wsUrl'), message: "required when env is 'sim' (the twin has no default URL)" });
  }
  if (issues.length > 0 || !parsed.success) {
    if (issuesOut) {
      issuesOut.push(...issues);
      return undefined;
    }
    throw new ConfigError(issues);
  }
  const c = parsed.data;
  const env = c.env;
  const resolved: KisConfig = {
    env,
    baseUrl: (c.baseUrl ?? (env === 'sim' ? '' : DEFAULT_REST_URLS[env])).replace(/\/+$/, ''),
    wsUrl: c.wsUrl ?? (env === 'sim' ? '' : DEFAULT_WS_URLS[env]),
    rateLimit: { ...c.rateLimit, perSecond: c.rateLimit.perSecond ?? DEFAULT_RATE_PER_SECOND[env] },
    timeouts: c.timeouts,
    circuitBreaker: c.circuitBreaker,
    token: c.token,
    useHashkey: c.useHashkey,
    maxPages: c.maxPages,
  };
  return deepFreeze(resolved);
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
