/**
 * Consecutive replayed sessions with the account carried over (issue 5: "the daemon, left running over
 * replayed days"; issue 4 §4: the chaos campaign). Used by `hantu run --days N` (this file, no faults)
 * and by `hantu chaos` (chaos-node.ts, the node in a child process).
 *
 * Each day D:
 *  1. a twin is started over D (synthetic-intraday prints of D's real daily bars) by THIS process, its
 *     one account seeded with the holdings (quantity, cost basis) and the D+2 cash the twin's account
 *     ended day D−1 with. DELIBERATE SIMPLIFICATION: D−1's D+2 cash is D's deposit (settlement is
 *     immediate across days); the ledger adopts the moved deposit / D+1 figures at the startup
 *     reconciliation, so each morning's startup is CORRECTED (deposit/D+1 adopted), never DIVERGED;
 *  2. the day runs on that twin (`startTradingDay` with `external`), against ONE ledger database and ONE
 *     ledger account id for the whole campaign, so the ledger carries over and each morning's startup
 *     reconciliation compares the carried ledger with the new twin's seeded account;
 *  3. after the close (the node's final sync), the ledger is compared with the twin's engine state
 *     (chaos-compare.ts): positions, cash, fills, open orders, duplicate venue orders.
 * Money in whole won, quantities in shares, instants in epoch ms; KST only in display.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../core/clock.ts';
import { InputError } from '../core/errors.ts';
import { kstDateOf, kstInstant, kstParts, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { AppConfig } from '../config/schema.ts';
import { ORDER_STATUSES } from '../model/order-types.ts';
import { bps } from '../model/money.ts';
import { JsonFileExitIntentStore } from '../monitor/intent-store.ts';
import { Ledger, openDatabase, OPEN_STATUSES, type Db } from '../persistence/index.ts';
import { accountKeyOf, type SimHoldingSpec } from '../sim/account-spec.ts';
import { loadDailyBars } from '../sim/replay/daily-bars.ts';
import { ReplayClock } from '../sim/replay/replay-clock.ts';
import { listShippedDailyData } from '../sim/replay/replay-market.ts';
import { compareDay, type CompareResult, type ExitOwner, type LedgerSide, type TwinSide } from './chaos-compare.ts';
import { demoHoldings } from './demo.ts';
import { startTradingDay, type RunningDay, type RunOptions, type RunReport } from './run-node.ts';
import { clockOfTwin, launchTwin, sessionOf, type LaunchedTwin, type TwinEndpoint } from './twin-node.ts';

// ------------------------------------------------------------------------------------------------
// Sessions

/** The sessions of a campaign and the daily-bar file they come from. */
export interface CampaignSessions {
  readonly dataFile: string;
  readonly days: readonly KstDate[];
}

/**
 * Picks `days` consecutive sessions of one daily-bar file: from `from` on (the shipped file holding it,
 * or `data`), else the latest `days` sessions of `data` or of the latest shipped file.
 * @throws InputError when the file holds fewer sessions than asked, or `from` is not in it
 */
export function campaignSessions(o: { readonly days: number; readonly from?: string | undefined; readonly data?: string | undefined }): CampaignSessions {
  if (!Number.isInteger(o.days) || o.days < 1) throw new InputError(`--days must be a whole number >= 1, was ${o.days}`);
  let dataFile: string;
  if (o.data) {
    if (!existsSync(o.data)) throw new InputError(`--data file not found: ${o.data}`);
    dataFile = o.data;
  } else {
    const files = listShippedDailyData();
    if (files.length === 0) throw new InputError('no shipped daily data in data/daily; pass --data <file>');
    const f = o.from ? files.find((x) => x.firstDate <= o.from! && o.from! <= x.lastDate) : files[files.length - 1];
    if (!f) throw new InputError(`no shipped data covers ${o.from}; shipped: ${files.map((x) => `${x.firstDate}..${x.lastDate}`).join(', ')} (or pass --data)`);
    dataFile = f.path;
  }
  const dates = loadDailyBars(dataFile, { onMalformed: 'skip' }).dates();
  let days: readonly KstDate[];
  if (o.from) {
    const i = dates.indexOf(o.from);
    if (i < 0) throw new InputError(`--from ${o.from} is not a session of ${dataFile} (${dates[0] ?? '?'}..${dates[dates.length - 1] ?? '?'})`);
    days = dates.slice(i, i + o.days);
  } else days = dates.slice(Math.max(0, dates.length - o.days));
  if (days.length < o.days) {
    throw new InputError(`${dataFile} holds ${days.length} session(s)${o.from ? ` from ${o.from}` : ''} (${dates[0] ?? '?'}..${dates[dates.length - 1] ?? '?'}), fewer than --days ${o.days}`);
  }
  return { dataFile, days };
}

/**
 * The simulated start time of a day (`HH:MM:SS` KST): early enough before the open that the node's
 * start-up (token, balance, startup reconciliation, subscriptions: about `startupWallMs` of wall time,
 * i.e. `startupWallMs × speed` simulated) is done at the open; at least 3 minutes before it.
 */
export function startTimeFor(day: KstDate, speed: number, startupWallMs = 1_500): string {
  const open = sessionOf(day).open;
  const lead = Math.max(3 * 60_000, startupWallMs * speed);
  const at = Math.max(kstInstant(day, '00:00'), open - lead);
  return hms(at);
}

/** `HH:MM:SS` KST of an instant. */
export function hms(ms: number): string {
  const p = kstParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}:${String(p.second).padStart(2, '0')}`;
}

// ------------------------------------------------------------------------------------------------
// The twin of a day and the carried account

/** What one day hands to the next: the twin account's holdings and D+2 cash at the close. */
export interface CarriedAccount {
  /** D+2 cash (won), the next day's deposit. */
  readonly cash: number;
  /** Holdings with quantity > 0; `avgPrice` = cost basis / quantity (may be fractional, as KIS reports it). */
  readonly holdings: readonly SimHoldingSpec[];
}

/** The account key (CANO + product code) of a launched twin's account. */
export function twinAccountKey(t: LaunchedTwin): string {
  return accountKeyOf(t.account.cano, t.account.acntPrdtCd);
}

/**
 * The twin account's holdings and D+2 cash now. Throws `InputError` when the D+2 cash is negative
 * (미수: the next twin cannot be seeded with it).
 */
export function carryFromTwin(t: LaunchedTwin): CarriedAccount {
  const engine = t.twin.rest.state.engine;
  engine.advanceTo(t.clock.now());
  const acct = engine.ledger(twinAccountKey(t));
  if (!acct) throw new InputError('the twin has no account to carry over');
  if (acct.cash < 0) throw new InputError(`the twin account ended ${t.day} with negative D+2 cash (${acct.cash} won): cannot seed the next day`);
  return {
    cash: acct.cash,
    holdings: acct.holdings().filter((h) => h.qty > 0).map((h) => ({ code: h.code, quantity: h.qty, avgPrice: h.costBasis / h.qty })),
  };
}

/** Starts recording every fill the twin's engine executes for the account (call before any order). */
export function recordTwinFills(t: LaunchedTwin): TwinSide['fills'] {
  const key = twinAccountKey(t);
  const fills: { odno: string; fillSeq: number; quantity: number; price: number; ts: number }[] = [];
  t.twin.rest.state.engine.onEvent((e) => {
    if (e.kind === 'filled' && `${e.cano}${e.acntPrdtCd}` === key) fills.push({ odno: e.odno, fillSeq: e.fillSeq, quantity: e.fillQty, price: e.fillPrice, ts: e.ts });
  });
  return fills;
}

/** The twin's side of the comparison: the engine's account and orders (advanced to the clock's now). */
export function collectTwinSide(t: LaunchedTwin, fills: TwinSide['fills']): TwinSide {
  const engine = t.twin.rest.state.engine;
  engine.advanceTo(t.clock.now());
  const key = twinAccountKey(t);
  const acct = engine.ledger(key);
  return {
    holdings: (acct?.holdings() ?? []).filter((h) => h.qty > 0).map((h) => ({ code: h.code, quantity: h.qty, costBasis: h.costBasis })),
    cash: { opening: acct?.openingCash ?? 0, settlementD2: acct?.cash ?? 0 },
    orders: engine.ordersOf(key).map((o) => ({ odno: o.odno, origOdno: o.origOdno, kind: o.kind, side: o.side, code: o.code, ordQty: o.ordQty, filledQty: o.filledQty, status: o.status, ts: o.ts })),
    fills: [...fills],
  };
}

/** The ledger's side of the comparison for `accountId` and session `day`. */
export async function collectLedgerSide(ledger: Ledger, accountId: string, day: KstDate): Promise<LedgerSide> {
  const [positions, cash, fills, orders] = await Promise.all([
    ledger.positions.list(accountId),
    ledger.cash.get(accountId),
    ledger.fills.list(accountId, { tradeDate: day }),
    ledger.orders.findByStatus(ORDER_STATUSES, accountId),
  ]);
  const open = new Set<string>(OPEN_STATUSES);
  return {
    positions: positions.map((p) => ({ code: p.instrumentId, quantity: p.quantity, costBasis: p.costBasis })),
    cash: cash ? { deposit: cash.deposit, settlementD1: cash.settlementD1, settlementD2: cash.settlementD2 } : undefined,
    fills: fills.map((f) => ({ venueOrderId: f.venueOrderId, tradeId: f.tradeId, quantity: f.quantity, price: f.price, source: f.source })),
    orders: orders
      .filter((s) => kstDateOf(s.createdAt) === day || (kstDateOf(s.createdAt) < day && open.has(s.order.status)))
      .map((s) => ({
        clientOrderId: s.order.clientOrderId,
        status: s.order.status,
        code: s.order.instrumentId,
        side: s.order.side,
        quantity: s.order.quantity,
        filledQty: s.order.filledQty,
        venueOrderIds: [...s.order.venueOrderIds],
        createdAt: s.createdAt,
        ...(kstDateOf(s.createdAt) < day ? { earlier: true } : {}),
      })),
  };
}

/** The monitor's exit-intent file of a ledger account and day (the naming of run-node.ts). */
export function exitIntentPath(dataDir: string, accountId: string, day: KstDate): string {
  return join(dataDir, 'run', `exit-intents-${accountId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${day}.json`);
}

/** Every order attempt of the day's monitor exits (the intents that own exit orders). */
export async function collectExitOwners(dataDir: string, accountId: string, day: KstDate): Promise<ExitOwner[]> {
  const intents = await new JsonFileExitIntentStore(exitIntentPath(dataDir, accountId, day)).load();
  return intents.flatMap((i) =>
    i.attempts.map((a) => ({ clientOrderId: a.clientOrderId, code: i.instrumentId, side: 'SELL' as const, quantity: a.quantity, submittedAt: a.submittedAt, venueOrderId: a.venueOrderId })),
  );
}

/** Compares the ledger with the twin after a day (see chaos-compare.ts). */
export async function compareWithTwin(o: { ledger: Ledger; accountId: string; twin: LaunchedTwin; fills: TwinSide['fills']; dataDir: string; externalOrders?: ReadonlySet<string> }): Promise<CompareResult> {
  const [ledgerSide, exits] = await Promise.all([collectLedgerSide(o.ledger, o.accountId, o.twin.day), collectExitOwners(o.dataDir, o.accountId, o.twin.day)]);
  return compareDay({ ledger: ledgerSide, twin: collectTwinSide(o.twin, o.fills), exits, ...(o.externalOrders ? { externalOrders: o.externalOrders } : {}) });
}

/** A ledger over `db` with the configuration's rates (for reading and comparing). */
export function ledgerOver(db: Db, config: AppConfig, clock?: Clock): Ledger {
  return new Ledger(db, { rates: { commissionBps: bps(config.fees.commissionBps), sellTaxBps: bps(config.fees.sellTaxBps) }, ...(clock ? { clock } : {}) });
}

// ------------------------------------------------------------------------------------------------
// A day on a twin described by an endpoint file (the node side of `hantu chaos`)

/** Reads a twin endpoint file (`sim.json`); undefined when absent or not an endpoint. */
export function readTwinEndpointFile(path: string): TwinEndpoint | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as TwinEndpoint;
    return typeof v.restUrl === 'string' && typeof v.wsUrl === 'string' && typeof v.appKey === 'string' && typeof v.day === 'string' && typeof v.clock?.speed === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface ExternalDayOptions extends Omit<RunOptions, 'external' | 'database' | 'databaseUrl' | 'clock'> {
  /** The twin's endpoint file (written by `hantu sim` or `hantu chaos`). */
  readonly twinFile: string;
  readonly databaseUrl?: string | undefined;
  /** Called once the ledger is open and the endpoint file is awaited (it is absent). */
  readonly onWaiting?: () => void;
  /** How long to wait for the endpoint file (wall ms, default 120,000). */
  readonly waitMs?: number;
}

/**
 * `hantu run --twin <file>`: opens the ledger FIRST, then waits for the endpoint file when it does not
 * exist yet (announcing it through `onWaiting`; `hantu chaos` writes the file and starts the twin's
 * clock when it sees that), then runs the day on that twin on the twin's time base. The returned
 * `done` resolves after the day and the ledger's close.
 * @throws InputError when the file does not appear within `waitMs` or is not a twin endpoint
 */
export async function startDayOnTwinFile(o: ExternalDayOptions): Promise<{ running: RunningDay; done: Promise<RunReport> }> {
  const db = await openDatabase(o.databaseUrl ? { url: o.databaseUrl, logger: o.logger } : { dataDir: o.config.dataDir, logger: o.logger });
  try {
    let endpoint = readTwinEndpointFile(o.twinFile);
    if (!endpoint) {
      o.onWaiting?.();
      const deadline = Date.now() + (o.waitMs ?? 120_000);
      while (!endpoint) {
        if (Date.now() > deadline) throw new InputError(`no twin endpoint appeared in ${o.twinFile} within ${Math.round((o.waitMs ?? 120_000) / 1000)} s`);
        await new Promise((r) => setTimeout(r, 10));
        endpoint = existsSync(o.twinFile) ? readTwinEndpointFile(o.twinFile) : undefined;
      }
    }
    const clock = clockOfTwin(endpoint);
    const config: AppConfig = { ...o.config, sim: { ...o.config.sim, day: endpoint.day, speed: endpoint.clock.speed } };
    const { twinFile: _f, onWaiting: _w, waitMs: _m, databaseUrl: _u, ...rest } = o;
    const running = await startTradingDay({ ...rest, config, external: { endpoint, clock }, database: db });
    const done = running.done.finally(() => db.close().catch(() => undefined));
    return { running, done };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// `hantu run --days N`

export interface CampaignOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Number of consecutive sessions. */
  readonly days: number;
  /** First session (default: the latest `days` sessions of the data). */
  readonly from?: string | undefined;
  /** Simulated start time of each day (`HH:MM[:SS]`; default `startTimeFor` the day and speed). */
  readonly at?: string | undefined;
  /** PostgreSQL URL of the ledger; default PGlite in `<dataDir>/ledger`. */
  readonly databaseUrl?: string | undefined;
  /** Ledger account id for the whole campaign (default `campaign.<first day>.r<hex>x`). */
  readonly ledgerAccountId?: string;
  readonly watchlist?: readonly string[];
  readonly trading?: RunOptions['trading'];
  /** Holdings of the first day (default: five demo holdings bought the day before). */
  readonly holdings?: readonly SimHoldingSpec[];
  /** Timeline lines (default stdout). */
  readonly write?: (line: string) => void;
  /** Start the control endpoint each day (default true). */
  readonly control?: boolean;
  /** Called after each day. */
  readonly onDay?: (d: CampaignDay, index: number, total: number) => void;
}

/** One day of a campaign. */
export interface CampaignDay {
  readonly day: KstDate;
  readonly report: RunReport;
  readonly comparison: CompareResult;
  /** What the next day starts with. */
  readonly carried: CarriedAccount;
  /** Holdings / cash the day started with. */
  readonly opening: { readonly cash: number; readonly holdings: number };
  readonly wallMs: number;
}

export interface CampaignResult {
  readonly accountId: string;
  readonly ledger: string;
  readonly days: readonly CampaignDay[];
  readonly divergences: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
}

/**
 * Runs `days` consecutive sessions in this process (see the module comment), each ending with the
 * comparison of the ledger with the twin. The day's `RunReport`s are returned; nothing is written.
 * @throws InputError for bad sessions; a day that fails to start ends the campaign with its error
 */
export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const sessions = campaignSessions({ days: o.days, from: o.from, data: o.config.sim.data });
  const db = await openDatabase(o.databaseUrl ? { url: o.databaseUrl, logger: o.logger } : { dataDir: o.config.dataDir, logger: o.logger });
  const accountId = o.ledgerAccountId ?? `campaign.${sessions.days[0]}.r${randomBytes(3).toString('hex')}x`;
  const results: CampaignDay[] = [];
  try {
    let carried: CarriedAccount | undefined;
    // One clock for the whole campaign, as for a daemon left running: it jumps from one day's close to
    // the next day's start (the KIS client's rate limiter is shared per app key and bound to its clock).
    let clock: ReplayClock | undefined;
    // The first day's holdings stay watched all campaign long (with the watchlist given): a strategy's
    // default universe (holdings + watchlist) survives the exits that sell a holding out.
    let watchlist: readonly string[] | undefined;
    for (const [i, day] of sessions.days.entries()) {
      const started = performance.now();
      const speed = o.config.sim.speed;
      // The first day also warms up the process (module loading, the first token): a longer lead.
      const at = o.at ?? startTimeFor(day, speed, i === 0 ? 3_000 : 1_500);
      const cash = carried?.cash ?? o.config.sim.cash;
      const config: AppConfig = { ...o.config, sim: { ...o.config.sim, day, at, data: sessions.dataFile, cash } };
      // Paused while the twin loads the day's data (wall time that would otherwise eat the morning).
      if (clock === undefined) clock = new ReplayClock(new SystemClock(), { simStart: kstInstant(day, at), speed, paused: true });
      else {
        clock.pause();
        clock.jumpTo(Math.max(clock.now(), kstInstant(day, at)));
      }
      const dayClock = clock;
      const twin = await launchTwin({ sim: config.sim, fees: config.fees, logger: o.logger, clock: dayClock, holdings: carried?.holdings ?? o.holdings ?? ((m) => demoHoldings(m)) }).finally(() => dayClock.resume());
      const fills = recordTwinFills(twin);
      watchlist ??= [...new Set([...(o.watchlist ?? []), ...twin.account.holdings.map((h) => h.code)])];
      try {
        const endpoint: TwinEndpoint = { ...twin.endpoint, clock: { simAt: dayClock.now(), wallAt: Date.now(), speed } };
        const running = await startTradingDay({
          config,
          logger: o.logger,
          external: { endpoint, clock: dayClock },
          database: db,
          ledgerAccountId: accountId,
          watchlist,
          ...(o.trading ? { trading: o.trading } : {}),
          ...(o.write ? { write: o.write } : {}),
          ...(o.control !== undefined ? { control: o.control } : {}),
        });
        const report = await running.done;
        const comparison = await compareWithTwin({ ledger: ledgerOver(db, o.config), accountId, twin, fills, dataDir: o.config.dataDir });
        carried = carryFromTwin(twin);
        const d: CampaignDay = { day, report, comparison, carried, opening: { cash, holdings: twin.account.holdings.length }, wallMs: performance.now() - started };
        results.push(d);
        o.onDay?.(d, i, sessions.days.length);
      } finally {
        await twin.close().catch(() => undefined);
      }
    }
  } finally {
    await db.close().catch(() => undefined);
  }
  return {
    accountId,
    ledger: db.location,
    days: results,
    divergences: results.reduce((a, d) => a + d.comparison.divergences, 0),
    duplicateOrders: results.reduce((a, d) => a + d.comparison.duplicateOrders, 0),
    lostFills: results.reduce((a, d) => a + d.comparison.lostFills, 0),
  };
}

/** Lists `kis-token-*.json` files in a folder (the node's token cache). */
export function tokenFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^kis-token-.*\.json$/.test(f))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
