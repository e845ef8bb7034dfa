import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../core/clock.ts';
import { InputError } from '../core/errors.ts';
import { kstInstant, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import { KrxCalendar } from '../model/calendar.ts';
import type { FeesConfig, SimConfig } from '../config/schema.ts';
import { defaultSimAccount, type SimAccountSpec, type SimHoldingSpec } from '../sim/account-spec.ts';
import { loadDailyBars, type DailyBarSet } from '../sim/replay/daily-bars.ts';
import { ReplayClock } from '../sim/replay/replay-clock.ts';
import { listShippedDailyData, ReplayMarket } from '../sim/replay/replay-market.ts';
// The twin's servers (fastify, the WebSocket server) load only when a twin is launched: `hantu run`
// against an external twin or KIS, and every other command, never pay for them (memory: issue 3).
import type { KisTwin } from '../sim/twin.ts';

/** What a client needs to talk to a running twin; written to `<dataDir>/sim.json` (mode 0600). */
export interface TwinEndpoint {
  readonly restUrl: string;
  readonly wsUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  /** `CANO-ACNT_PRDT_CD`. */
  readonly account: string;
  readonly htsId: string;
  readonly day: KstDate;
  readonly pid: number;
  /**
   * The twin's time base: simulated time = simAt + (wall time − wallAt) × speed (epoch ms). Clients of a
   * running twin run on the same clock, or its token expiry and "today" would be read in wall time.
   */
  readonly clock: { readonly simAt: number; readonly wallAt: number; readonly speed: number };
}

export interface LaunchedTwin {
  readonly twin: KisTwin;
  readonly clock: Clock;
  readonly market: ReplayMarket;
  readonly bars: DailyBarSet;
  readonly account: SimAccountSpec;
  readonly endpoint: TwinEndpoint;
  readonly day: KstDate;
  readonly dataFile: string;
  readonly session: { open: number; closingAuctionStart: number; close: number };
  close(): Promise<void>;
}

export interface LaunchTwinOptions {
  readonly sim: SimConfig;
  readonly fees: FeesConfig;
  readonly logger: Logger;
  /** Holdings of the demo account, bought before the replayed day (or computed from the day's market). */
  readonly holdings?: readonly SimHoldingSpec[] | ((market: ReplayMarket) => readonly SimHoldingSpec[]);
  /** Base clock (default the system clock); the twin runs on a replay clock over it. */
  readonly baseClock?: Clock;
  /** Use this clock as is instead of a replay clock (tests). */
  readonly clock?: Clock;
  /** Ports (default any free port). */
  readonly restPort?: number;
  readonly wsPort?: number;
  /** WebSocket push interval in simulated ms (default 1,000). */
  readonly pumpIntervalMs?: number;
  readonly pingIntervalMs?: number;
  /** Environment of the demo account (default 'real': real TR ids, 18/s; 'paper': V… TR ids, 1/s). */
  readonly accountEnv?: 'real' | 'paper';
  /** WebSocket registrations per session (KIS: 41; more only for benchmarks). */
  readonly maxRegistrations?: number;
  /** Per-app-key REST limit of the demo account (default: KIS real, 18/s). */
  readonly rateLimitPerSecond?: number;
}

/** Picks the daily-bar file: `--data`, else the shipped file holding `day`, else the latest shipped one. */
export function resolveDataFile(data: string | undefined, day: string | undefined): string {
  if (data) {
    if (!existsSync(data)) throw new InputError(`--data file not found: ${data}`);
    return data;
  }
  const files = listShippedDailyData();
  if (files.length === 0) throw new InputError('no shipped daily data in data/daily; pass --data <marcap or rltrader file>');
  if (day) {
    const f = files.find((x) => x.firstDate <= day && day <= x.lastDate);
    if (!f) throw new InputError(`no shipped data covers ${day}; shipped: ${files.map((x) => `${x.firstDate}..${x.lastDate}`).join(', ')} (or pass --data)`);
    return f.path;
  }
  return files[files.length - 1]!.path;
}

/**
 * Session instants of a replayed day: the KRX calendar's when it covers the date (late opens, CSAT
 * day), else regular hours 09:00 / 15:20 / 15:30 (older data).
 */
export function sessionOf(day: KstDate): { open: number; closingAuctionStart: number; close: number } {
  try {
    const s = new KrxCalendar().session(day);
    if (s) return { open: s.open, closingAuctionStart: s.closingAuctionStart, close: s.close };
  } catch {
    // outside the calendar's range: fall through to regular hours
  }
  return { open: kstInstant(day, '09:00'), closingAuctionStart: kstInstant(day, '15:20'), close: kstInstant(day, '15:30') };
}

/**
 * Starts the KIS twin over a real trading day: loads the daily bars, builds the synthetic-intraday
 * replay, runs a replay clock from `sim.at` at `sim.speed`, seeds one demo account, starts the REST and
 * WebSocket servers on loopback. Throws `InputError` for a missing file or a day not in the data.
 */
export async function launchTwin(o: LaunchTwinOptions): Promise<LaunchedTwin> {
  const dataFile = resolveDataFile(o.sim.data, o.sim.day);
  const bars = loadDailyBars(dataFile, { onMalformed: 'skip' });
  const dates = bars.dates();
  const day = o.sim.day ?? dates[dates.length - 1];
  if (!day || !dates.includes(day)) {
    throw new InputError(`${o.sim.day ?? 'the data'} is not a session of ${dataFile} (${dates[0] ?? '?'}..${dates[dates.length - 1] ?? '?'})`);
  }
  const session = sessionOf(day);
  const market = new ReplayMarket(bars, { date: day, ...session, seed: o.sim.seed });
  const base = o.baseClock ?? new SystemClock();
  const wallAt = base.now();
  const simAt = kstInstant(day, o.sim.at);
  const clock = o.clock ?? new ReplayClock(base, { simStart: simAt, speed: o.sim.speed });
  const holdings = typeof o.holdings === 'function' ? o.holdings(market) : (o.holdings ?? []);
  // The twin meters requests in simulated time. On a replay faster than real time the client's evenly
  // spaced requests arrive bunched (1 ms of wall latency is 0.39 s at 390x), so the KIS limit is
  // enforced per wall second instead: per simulated second it is the limit times the speed.
  const envLimit = (o.accountEnv ?? 'real') === 'paper' ? 1 : 18;
  const rateLimitPerSecond = o.rateLimitPerSecond ?? (o.sim.speed > 1 ? Math.round(envLimit * o.sim.speed) : undefined);
  const account = defaultSimAccount({ env: o.accountEnv ?? 'real', cash: o.sim.cash, holdings, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) });
  const calendar = new KrxCalendar();
  const { startKisTwin } = await import('../sim/twin.ts');
  const twin = await startKisTwin({
    market,
    clock,
    accounts: [account],
    fees: o.fees,
    logger: o.logger,
    restPort: o.restPort ?? o.sim.port,
    ...(o.wsPort !== undefined ? { wsPort: o.wsPort } : {}),
    isTradingDay: (d) => {
      try {
        return calendar.isTradingDay(d);
      } catch {
        const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
        return wd !== 0 && wd !== 6;
      }
    },
    ws: { pumpIntervalMs: o.pumpIntervalMs ?? 1_000, ...(o.maxRegistrations ? { maxRegistrations: o.maxRegistrations } : {}), ...(o.pingIntervalMs ? { pingIntervalMs: o.pingIntervalMs, pingTimeoutMs: o.pingIntervalMs * 3 } : {}) },
  });
  const endpoint = twinEndpoint(twin, account, day, { simAt, wallAt, speed: o.sim.speed });
  return { twin, clock, market, bars, account, endpoint, day, dataFile, session, close: () => twin.close() };
}

/**
 * How a client reaches `twin` as `account` (the WebSocket on the `/tryitout` path, as KIS's), this
 * process's pid, and the twin's time base (`clock`: simulated = simAt + (wall − wallAt) × speed, ms).
 */
export function twinEndpoint(
  twin: Pick<KisTwin, 'restUrl' | 'wsUrl'>,
  account: Pick<SimAccountSpec, 'appKey' | 'appSecret' | 'cano' | 'acntPrdtCd' | 'htsId'>,
  day: KstDate,
  clock: TwinEndpoint['clock'],
): TwinEndpoint {
  return {
    restUrl: twin.restUrl,
    wsUrl: `${twin.wsUrl}/tryitout`,
    appKey: account.appKey,
    appSecret: account.appSecret,
    account: `${account.cano}-${account.acntPrdtCd}`,
    htsId: account.htsId,
    day,
    pid: process.pid,
    clock,
  };
}

const DISCOVERY = 'sim.json';

/** Writes the twin's address and (fake) credentials for other `hantu` processes (mode 0600, atomic). */
export function writeTwinDiscovery(dataDir: string, e: TwinEndpoint): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DISCOVERY);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(e, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

/** Removes the discovery file if it still describes this process's twin. */
export function removeTwinDiscovery(dataDir: string): void {
  const path = join(dataDir, DISCOVERY);
  const e = readTwinDiscovery(dataDir);
  if (e && e.pid === process.pid) rmSync(path, { force: true });
}

/** Reads the discovery file (undefined when absent or unreadable). */
export function readTwinDiscovery(dataDir: string): TwinEndpoint | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, DISCOVERY), 'utf8')) as TwinEndpoint;
    return typeof v.restUrl === 'string' && typeof v.appKey === 'string' && typeof v.clock?.speed === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A clock on a running twin's time base (see `TwinEndpoint.clock`). */
export function clockOfTwin(e: TwinEndpoint, base: Clock = new SystemClock()): Clock {
  return new ReplayClock(base, { simStart: e.clock.simAt + (base.now() - e.clock.wallAt) * e.clock.speed, speed: e.clock.speed });
}

/** True when a twin answers at `restUrl` (any HTTP answer counts), within `timeoutMs`. */
export async function twinAnswers(restUrl: string, timeoutMs = 500): Promise<boolean> {
  try {
    const res = await fetch(`${restUrl}/oauth2/health-probe`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
