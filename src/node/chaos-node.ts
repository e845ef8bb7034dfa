/**
 * `hantu chaos --days N --seed S` (issue 4 §4): N consecutive replayed sessions on the twin with seeded
 * random faults, while the node trades (monitor exits, and a strategy when `strategy` is given), and at
 * the end of each day the ledger compared with the twin's account.
 *
 * Processes: the twin lives in THIS process (it must outlive node restarts); the node is `hantu run
 * --twin <sim.json> --ledger-account <id>` in a CHILD process, so a kill -9 is a real SIGKILL, after
 * which the node is restarted against the same twin, the same database and the same ledger account id.
 *
 * Time: each twin runs on a replay clock over the wall clock. The clock is PAUSED while a node process
 * boots (Node + TypeScript loading + opening the ledger take seconds of wall time, hours of simulated
 * time at 1,000x): the node announces that it waits for the endpoint file, the campaign then writes the
 * file with the clock's anchor and resumes the clock. So a kill's downtime is the planned `downMs` (the
 * market runs on, the node is dead) plus the node's start-up after the ledger is open, not the speed
 * times Node's boot time. Everything else runs live.
 *
 * Faults (chaos-plan.ts) are injected on the twin's clock at the planned instants; what was injected,
 * when (simulated) and what it did (notices dropped, REST answers replaced, pids) is recorded per day.
 * Counts: divergences, duplicate orders, lost fills (chaos-compare.ts). A day whose node could not
 * finish (crashed, hung, startup failed) adds a divergence `NODE_RUN`; a node run that started with
 * trading HALTED by its startup reconciliation adds a divergence `NODE_HALTED`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock } from '../core/clock.ts';
import { kstInstant, type KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { AppConfig } from '../config/schema.ts';
import { openDatabase, type Db } from '../persistence/index.ts';
import { ReplayClock } from '../sim/replay/replay-clock.ts';
import type { SimFaultHandle } from '../sim/faults.ts';
import type { SimWsFaults } from '../sim/ws/ws-server.ts';
import {
  campaignSessions,
  carryFromTwin,
  compareWithTwin,
  hms,
  ledgerOver,
  recordTwinFills,
  startTimeFor,
  tokenFiles,
  twinAccountKey,
  type CarriedAccount,
} from './campaign-node.ts';
import { formatFinding, type CompareResult, type Finding } from './chaos-compare.ts';
import { describeFault, planChaos, type ChaosFault, type ChaosPlanOptions, type DayPlan, type PlannedFault } from './chaos-plan.ts';
import { demoHoldings } from './demo.ts';
import { launchTwin, sessionOf, writeTwinDiscovery, type LaunchedTwin } from './twin-node.ts';

export interface ChaosOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly days: number;
  readonly seed: number;
  /** First session (default: the latest `days` sessions of the shipped data). */
  readonly from?: string | undefined;
  /** Simulated seconds per wall second (default `config.sim.speed`). */
  readonly speed?: number;
  /** PostgreSQL URL of the ledger (the node gets it as DATABASE_URL); default PGlite in the campaign folder. */
  readonly databaseUrl?: string | undefined;
  /** A strategy for the node to trade (`hantu run --strategy`), besides the monitor's exits. */
  readonly strategy?: string | undefined;
  /** Its configuration (JSON text passed to `--strategy-config`). */
  readonly strategyConfig?: string | undefined;
  /** Plan knobs (faults per day, kill chance, kinds). */
  readonly plan?: Omit<ChaosPlanOptions, 'seed' | 'days' | 'sessionOf'>;
  /** Campaign folder (default `<dataDir>/chaos/<stamp>-s<seed>`): node data, ledger (PGlite), logs, report. */
  readonly dir?: string;
  /** Where lines go (default stdout). */
  readonly write?: (line: string) => void;
  /** The node's command (default: this Node binary with bin/hantu.js). */
  readonly nodeCommand?: readonly string[];
  /** Wall ms a node may take past the close before it is declared hung (default 120,000). */
  readonly closeGraceMs?: number;
}

/** A fault as injected. */
export interface InjectedFault {
  readonly plannedAt: number;
  /** When it was injected (simulated epoch ms; a kill at the next order: when it was armed, its effect says when it fired). */
  readonly at: number;
  readonly fault: ChaosFault;
  /** What it did (filled in at the end of the day for counters). */
  effect: string;
}

/** One node process of a day. */
export interface NodeRun {
  readonly pid: number;
  readonly log: string;
  /** Simulated instant its twin clock was resumed (0 when it never got that far). */
  startedAt: number;
  exit?: { code: number | null; signal: string | null };
  startup?: string;
  close?: string;
  halted: boolean;
}

export interface ChaosDay {
  readonly day: KstDate;
  readonly plan: DayPlan;
  readonly injected: readonly InjectedFault[];
  readonly runs: readonly NodeRun[];
  readonly comparison: CompareResult;
  /** Findings about the node's runs (crash, hang, failed start), counted as divergences. */
  readonly runFindings: readonly Finding[];
  readonly opening: { readonly cash: number; readonly holdings: number };
  readonly wallMs: number;
}

export interface ChaosResult {
  readonly seed: number;
  readonly accountId: string;
  readonly ledger: string;
  readonly dir: string;
  readonly days: readonly ChaosDay[];
  readonly faults: number;
  readonly divergences: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
  readonly reportPath: string;
}

const WS_COUNTERS = {
  'refuse-reconnects': 'refuseConnections',
  'drop-notices': 'dropNotices',
  'drop-fill-notices': 'dropFillNotices',
  'dup-notices': 'duplicateNotices',
  'dup-fill-notices': 'duplicateFillNotices',
} as const satisfies Partial<Record<ChaosFault['kind'], keyof SimWsFaults>>;
type CounterKind = keyof typeof WS_COUNTERS;

/** Names of the built-in strategies (for `--strategy` checks before anything starts). */
export { STRATEGY_NAMES } from '../strategy/registry.ts';

const HANTU_BIN = fileURLToPath(new URL('../../bin/hantu.js', import.meta.url));
const WAITING_MARK = /waiting for the twin endpoint/;

/** The line the campaign ends with: `days=N faults=F divergences=D duplicate_orders=K lost_fills=L`. */
export function totalsLine(r: Pick<ChaosResult, 'faults' | 'divergences' | 'duplicateOrders' | 'lostFills'> & { days: readonly unknown[] }): string {
  return `days=${r.days.length} faults=${r.faults} divergences=${r.divergences} duplicate_orders=${r.duplicateOrders} lost_fills=${r.lostFills}`;
}

/** Runs the campaign (see the module comment). Never throws for what it finds; throws `InputError` for bad inputs. */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const write = o.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const speed = o.speed ?? o.config.sim.speed;
  const sessions = campaignSessions({ days: o.days, from: o.from, data: o.config.sim.data });
  const plans = planChaos({ ...o.plan, seed: o.seed, days: sessions.days, sessionOf: (d) => sessionOf(d) });
  const dir = o.dir ?? join(o.config.dataDir, 'chaos', `${new Date().toISOString().replace(/[:.]/g, '-')}-s${o.seed}`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const accountId = `chaos.s${o.seed.toString(36)}.r${randomBytes(3).toString('hex')}x`;
  const usePg = Boolean(o.databaseUrl);
  // PostgreSQL: one connection for the comparisons, the node has its own. PGlite: one process at a
  // time, so the campaign opens the folder only between the node's runs.
  const pg: Db | undefined = usePg ? await openDatabase({ url: o.databaseUrl!, logger: o.logger }) : undefined;
  const ledgerLocation = pg?.location ?? `pglite:${join(dir, 'ledger')}`;
  write(`hantu chaos: ${sessions.days.length} day(s) ${sessions.days[0]}..${sessions.days[sessions.days.length - 1]} · seed ${o.seed} · ${speed}x · ledger ${ledgerLocation} account ${accountId}${o.strategy ? ` · strategy ${o.strategy}` : ''}`);
  write(`  folder ${dir}`);
  const days: ChaosDay[] = [];
  let carried: CarriedAccount | undefined;
  // The first day's holdings stay watched all campaign long: a strategy's default universe (holdings +
  // watchlist) survives the exits that sell a holding out.
  let watch: readonly string[] | undefined;
  try {
    for (const [i, plan] of plans.entries()) {
      const d = await runChaosDay({ o, plan, index: i, total: plans.length, speed, dir, accountId, carried, pg, write, watch });
      days.push(d.day);
      carried = d.carried;
      watch ??= d.universe;
      if (!carried) break;
    }
  } finally {
    await pg?.close().catch(() => undefined);
  }
  const sum = (f: (d: ChaosDay) => number): number => days.reduce((a, d) => a + f(d), 0);
  const result = {
    seed: o.seed,
    accountId,
    ledger: ledgerLocation,
    dir,
    days,
    faults: sum((d) => d.injected.length),
    divergences: sum((d) => d.comparison.divergences + d.runFindings.length),
    duplicateOrders: sum((d) => d.comparison.duplicateOrders),
    lostFills: sum((d) => d.comparison.lostFills),
    reportPath: join(dir, 'chaos-report.json'),
  };
  writeFileSync(result.reportPath, `${JSON.stringify({ ...result, speed, sessions: sessions.days, dataFile: sessions.dataFile }, null, 2)}\n`);
  write(`report: ${result.reportPath}`);
  write(totalsLine(result));
  return result;
}

interface DayContext {
  readonly o: ChaosOptions;
  readonly plan: DayPlan;
  readonly index: number;
  readonly total: number;
  readonly speed: number;
  readonly dir: string;
  readonly accountId: string;
  readonly carried: CarriedAccount | undefined;
  readonly pg: Db | undefined;
  readonly write: (line: string) => void;
  /** Codes the node watches besides its holdings (default: this day's opening holdings). */
  readonly watch: readonly string[] | undefined;
}

async function runChaosDay(c: DayContext): Promise<{ day: ChaosDay; carried: CarriedAccount | undefined; universe: readonly string[] }> {
  const { o, plan, speed, dir } = c;
  const started = performance.now();
  const day = plan.day;
  const session = sessionOf(day);
  const at = startTimeFor(day, speed, 1_000);
  const cash = c.carried?.cash ?? o.config.sim.cash;
  // Paused until the node waits for the endpoint (see the module comment).
  const clock = new ReplayClock(new SystemClock(), { simStart: kstInstant(day, at), speed, paused: true });
  const twin = await launchTwin({
    sim: { ...o.config.sim, day, at, speed, cash },
    fees: o.config.fees,
    logger: o.logger,
    clock,
    holdings: c.carried?.holdings ?? ((m) => demoHoldings(m)),
  });
  const fills = recordTwinFills(twin);
  const watch = c.watch ?? twin.account.holdings.map((h) => h.code);
  const injected: InjectedFault[] = [];
  const runs: NodeRun[] = [];
  const runFindings: Finding[] = [];
  const simFile = join(dir, 'sim.json');
  const counters: { kind: CounterKind; armed: number; fault: InjectedFault }[] = [];
  const restRules: { handle: SimFaultHandle; times: number; fault: InjectedFault }[] = [];
  let node: NodeProcess | undefined;
  let restarting: Promise<void> | undefined;
  let dayOver = false;
  // A kill armed for the next order (or modify): fired from inside the twin's order handling (see chaos-plan.ts).
  let killOnSubmit: { fault: InjectedFault; downMs: number; modify: boolean } | undefined;
  const accountKey = twinAccountKey(twin);
  twin.twin.rest.state.engine.onEvent((e) => {
    if (!killOnSubmit || `${e.cano}${e.acntPrdtCd}` !== accountKey) return;
    const k = killOnSubmit;
    if (k.modify ? e.kind !== 'replaced' : e.kind !== 'accepted' || e.origOdno !== '') return;
    killOnSubmit = undefined;
    kill(
      k.fault,
      k.downMs,
      k.modify
        ? ` at ${hms(clock.now())} mid-modify of order ${e.origOdno} (re-priced as ${e.odno}: ${e.side} ${e.code} ${e.ordQty} @ ${e.ordPrice}, booked; the node dies before the answer)`
        : ` at ${hms(clock.now())} mid-submit of order ${e.odno} (${e.side} ${e.code} ${e.ordQty}, placed; the node dies before the answer)`,
    );
  });

  const startNode = async (): Promise<void> => {
    clock.pause();
    rmSync(simFile, { force: true });
    const p = new NodeProcess({ o, dir, day, accountId: c.accountId, simFile, runIndex: runs.length, databaseUrl: o.databaseUrl, watch });
    node = p;
    runs.push(p.run);
    const waiting = await p.waiting;
    if (!waiting) {
      clock.resume();
      return;
    }
    // The anchor and the resume at the same wall instant: the node's clock is the twin's.
    clock.resume();
    writeTwinDiscovery(dir, { ...twin.endpoint, clock: { simAt: clock.now(), wallAt: Date.now(), speed } });
    p.run.startedAt = clock.now();
  };

  const kill = (f: InjectedFault, downMs: number, why = ''): void => {
    const p = node;
    if (!p || p.exited || restarting) {
      f.effect = 'no node process running: nothing killed';
      return;
    }
    p.killedOnPurpose = true;
    p.child.kill('SIGKILL');
    f.effect = `SIGKILL pid ${p.run.pid}${why}`;
    restarting = (async () => {
      await p.exit;
      await clock.sleep(downMs);
      if (dayOver) return;
      await startNode();
      f.effect += `; restarted at ${hms(clock.now())} pid ${node!.run.pid}`;
    })().finally(() => (restarting = undefined));
  };

  const inject = async (pf: PlannedFault): Promise<void> => {
    const f: InjectedFault = { plannedAt: pf.at, at: clock.now(), fault: pf.fault, effect: '' };
    injected.push(f);
    const ws = twin.twin.ws;
    const rest = twin.twin.rest.state.faults;
    const fault = pf.fault;
    switch (fault.kind) {
      case 'disconnect':
        f.effect = `${ws.sessionCount()} session(s) dropped`;
        ws.dropConnections();
        return;
      case 'refuse-reconnects':
      case 'drop-notices':
      case 'drop-fill-notices':
      case 'dup-notices':
      case 'dup-fill-notices': {
        const key = WS_COUNTERS[fault.kind];
        ws.faults[key] += fault.count;
        counters.push({ kind: fault.kind, armed: fault.count, fault: f });
        if (fault.kind === 'refuse-reconnects') ws.dropConnections();
        return;
      }
      case 'delay-notices': {
        ws.faults.delayNoticesMs = fault.delayMs;
        f.effect = `notices held back ${fault.delayMs / 1000}s until ${hms(clock.now() + fault.windowMs)}`;
        clock.setTimer(fault.windowMs, () => {
          if (ws.faults.delayNoticesMs === fault.delayMs) ws.faults.delayNoticesMs = 0;
        });
        return;
      }
      case 'http-5xx':
      case 'rate-limit': {
        const handle = rest.add({ path: /^\/uapi\//, action: { kind: fault.kind === 'http-5xx' ? 'http-500' : 'rate-limit' }, times: fault.count });
        restRules.push({ handle, times: fault.count, fault: f });
        return;
      }
      case 'order-answer-lost': {
        const handle = rest.add({ path: /\/trading\/order-cash$/, method: 'POST', action: fault.mode === 'drop' ? { kind: 'drop' } : { kind: 'http-500' }, phase: 'after', times: 1 });
        restRules.push({ handle, times: 1, fault: f });
        return;
      }
      case 'token-expiry':
        f.effect = await revokeNodeToken(twin, join(dir, 'sim'));
        return;
      case 'kill-9':
        if (fault.onSubmit) {
          killOnSubmit = { fault: f, downMs: fault.downMs, modify: fault.onModify === true };
          f.effect = fault.onModify ? 'armed for the next modify: no modify came before the close (not fired)' : 'armed for the next order: no order came before the close (not fired)';
        } else kill(f, fault.downMs);
        return;
    }
  };

  const timers = plan.faults.map((pf) => clock.setTimer(Math.max(0, pf.at - clock.now()), () => void inject(pf).catch((e: unknown) => injected.push({ plannedAt: pf.at, at: clock.now(), fault: pf.fault, effect: `injection failed: ${(e as Error).message}` }))));

  c.write('');
  c.write(`day ${c.index + 1}/${c.total} ${day}: ${twin.account.holdings.length} holdings, cash ${cash.toLocaleString('en-US')} won · ${plan.faults.length} fault(s) planned`);
  let carried: CarriedAccount | undefined;
  let comparison: CompareResult | undefined;
  try {
    await startNode();
    // Until the node of the day exits by itself (after the close), restarting it after kills and crashes.
    const closeGrace = o.closeGraceMs ?? 120_000;
    let crashes = 0;
    for (;;) {
      const p = node!;
      const exit = await raceWallDeadline(p.exit, () => clock.now() > session.close + 30 * 60_000, closeGrace);
      if (restarting) {
        await restarting;
        continue;
      }
      if (exit === 'hung') {
        runFindings.push(runFinding('NODE_HUNG', p.run, `node pid ${p.run.pid} still running ${Math.round(closeGrace / 1000)} s (wall) after the close: terminated`));
        p.child.kill('SIGKILL');
        await p.exit;
        break;
      }
      if (p.killedOnPurpose) continue; // restart in progress was awaited above
      if (exit.code === 0 && clock.now() >= session.close) break;
      runFindings.push(runFinding('NODE_RUN', p.run, `node pid ${p.run.pid} exited with ${exit.signal ?? `code ${exit.code}`} at ${hms(clock.now())}${p.lastError ? `: ${p.lastError}` : ''}`));
      if (clock.now() >= session.close || ++crashes > 2) break;
      await startNode();
    }
    dayOver = true;
    for (const t of timers) t.cancel();
    runFindings.push(...haltedRunFindings(runs));
    finishEffects(twin, counters, restRules);
    // Compare after the node's final sync (it has exited).
    const db = c.pg ?? (await openDatabase({ dataDir: dir, logger: o.logger }));
    try {
      comparison = await compareWithTwin({ ledger: ledgerOver(db, o.config), accountId: c.accountId, twin, fills, dataDir: dir });
    } finally {
      if (!c.pg) await db.close().catch(() => undefined);
    }
    carried = carryFromTwin(twin);
  } catch (e) {
    runFindings.push({ category: 'divergence', what: 'NODE_RUN', ref: day, ledger: null, twin: null, detail: `the day could not be run: ${(e as Error).message}` });
  } finally {
    dayOver = true;
    for (const t of timers) t.cancel();
    if (node && !node.exited) {
      node.child.kill('SIGKILL');
      await node.exit;
    }
    rmSync(simFile, { force: true });
    await twin.close().catch(() => undefined);
  }
  const result: ChaosDay = {
    day,
    plan,
    injected,
    runs,
    comparison: comparison ?? { findings: [], divergences: 0, duplicateOrders: 0, lostFills: 0, compared: { positions: 0, twinOrders: 0, twinFills: 0, ledgerFills: 0, ledgerOrders: 0, exitAttempts: 0 } },
    runFindings,
    opening: { cash, holdings: twin.account.holdings.length },
    wallMs: performance.now() - started,
  };
  for (const l of formatChaosDay(result, fills.length)) c.write(l);
  return { day: result, carried, universe: watch };

  function runFinding(what: string, run: NodeRun, detail: string): Finding {
    return { category: 'divergence', what, ref: `pid ${run.pid}`, ledger: null, twin: null, detail };
  }
}

/**
 * A node run that started HALTED (its startup reconciliation DIVERGED or FAILED: it sends no order, exit
 * or strategy, for the rest of the day) is a divergence `NODE_HALTED`: the periodic syncs of a halted
 * node still adopt what the venue says, so the end-of-day comparison alone would not show it.
 */
export function haltedRunFindings(runs: readonly Pick<NodeRun, 'pid' | 'halted' | 'startup'>[]): Finding[] {
  return runs
    .filter((r) => r.halted)
    .map((r) => ({
      category: 'divergence' as const,
      what: 'NODE_HALTED',
      ref: `pid ${r.pid}`,
      ledger: null,
      twin: null,
      detail: `node pid ${r.pid} started with trading HALTED (startup reconciliation ${r.startup ?? 'unknown'}): no order was sent after it`,
    }));
}

/** Resolves with the exit, or 'hung' when `pastClose()` has held for `graceMs` of wall time. */
async function raceWallDeadline<T>(p: Promise<T>, pastClose: () => boolean, graceMs: number): Promise<T | 'hung'> {
  let settled = false;
  let value: T | undefined;
  void p.then((v) => {
    settled = true;
    value = v;
  });
  let since: number | undefined;
  while (!settled) {
    await new Promise((r) => setTimeout(r, 50));
    if (settled) break;
    if (pastClose()) {
      since ??= Date.now();
      if (Date.now() - since > graceMs) return 'hung';
    }
  }
  return value as T;
}

/** Fills in what the counter and REST faults actually did (FIFO over each counter). */
function finishEffects(twin: LaunchedTwin, counters: { kind: CounterKind; armed: number; fault: InjectedFault }[], rules: { handle: SimFaultHandle; times: number; fault: InjectedFault }[]): void {
  const ws = twin.twin.ws;
  for (const kind of Object.keys(WS_COUNTERS) as CounterKind[]) {
    const list = counters.filter((x) => x.kind === kind);
    const armed = list.reduce((a, x) => a + x.armed, 0);
    let fired = Math.max(0, armed - ws.faults[WS_COUNTERS[kind]]);
    for (const x of list) {
      const n = Math.min(x.armed, fired);
      fired -= n;
      const what = kind === 'refuse-reconnects' ? 'reconnect(s) refused' : kind.startsWith('drop') ? 'notice(s) dropped' : 'notice(s) duplicated';
      x.fault.effect = `${n} of ${x.armed} ${what}${kind === 'refuse-reconnects' ? ' (after a disconnect)' : ''}`;
    }
    ws.faults[WS_COUNTERS[kind]] = 0;
  }
  for (const r of rules) {
    const fired = r.times - r.handle.remaining;
    r.fault.effect = r.fault.fault.kind === 'order-answer-lost' ? (fired > 0 ? 'an order was placed and its answer lost' : 'no order was sent after it: not fired') : `${fired} of ${r.times} REST call(s) answered with the fault`;
    r.handle.remove();
  }
}

/**
 * The token-expiry fault: revokes the node's current access token at the twin (POST /oauth2/revokeP with
 * the token from the node's token cache), so the gateway refuses it (EGW00121) from then on.
 */
async function revokeNodeToken(twin: LaunchedTwin, tokenDir: string): Promise<string> {
  for (const file of tokenFiles(tokenDir)) {
    let t: { accessToken?: string; baseUrl?: string };
    try {
      t = JSON.parse(readFileSync(file, 'utf8')) as typeof t;
    } catch {
      continue;
    }
    if (t.baseUrl !== twin.endpoint.restUrl || !t.accessToken) continue;
    const res = await fetch(`${twin.endpoint.restUrl}/oauth2/revokeP`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appkey: twin.endpoint.appKey, appsecret: twin.endpoint.appSecret, token: t.accessToken }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json().catch(() => ({}))) as { code?: unknown; error_code?: unknown; message?: unknown };
    return res.ok ? 'the node’s access token was revoked at the twin' : `revoke refused (${res.status} ${String(body.error_code ?? body.code ?? '')})`;
  }
  return 'no token of this twin in the node’s cache: nothing revoked';
}

/** A node (`hantu run --twin`) in a child process, its output in a log file. */
class NodeProcess {
  readonly child: ChildProcess;
  readonly run: NodeRun;
  /** Resolves true once the node waits for the endpoint file, false if it exited before. */
  readonly waiting: Promise<boolean>;
  readonly exit: Promise<{ code: number | null; signal: string | null }>;
  exited = false;
  killedOnPurpose = false;
  lastError: string | undefined;
  private readonly out: WriteStream;

  constructor(a: { o: ChaosOptions; dir: string; day: KstDate; accountId: string; simFile: string; runIndex: number; databaseUrl: string | undefined; watch: readonly string[] }) {
    const log = join(a.dir, 'logs', `${a.day}-run${a.runIndex + 1}.log`);
    this.out = createWriteStream(log);
    const [cmd, ...pre] = a.o.nodeCommand ?? [process.execPath, HANTU_BIN];
    const args = [...pre, '--data-dir', a.dir, 'run', '--twin', a.simFile, '--ledger-account', a.accountId];
    if (a.watch.length > 0) args.push('--watch', a.watch.join(','));
    if (a.o.strategy) args.push('--strategy', a.o.strategy);
    if (a.o.strategyConfig) args.push('--strategy-config', a.o.strategyConfig);
    const env: Record<string, string | undefined> = { ...process.env };
    if (a.databaseUrl) env['DATABASE_URL'] = a.databaseUrl;
    else delete env['DATABASE_URL'];
    this.child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.run = { pid: this.child.pid ?? -1, log, startedAt: 0, halted: false };
    let resolveWaiting!: (v: boolean) => void;
    this.waiting = new Promise((r) => (resolveWaiting = r));
    let buf = '';
    const onLine = (line: string): void => {
      if (WAITING_MARK.test(line)) resolveWaiting(true);
      const startup = /reconciliation \(startup\): (.*)$/.exec(line);
      if (startup) this.run.startup = startup[1]!;
      const close = /reconciliation \(close\): (.*)$/.exec(line);
      if (close) this.run.close = close[1]!;
      if (/TRADING HALTED/.test(line)) this.run.halted = true;
      if (/^hantu: /.test(line)) this.lastError = line;
    };
    const feed = (chunk: Buffer): void => {
      this.out.write(chunk);
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    this.child.stdout!.on('data', feed);
    this.child.stderr!.on('data', feed);
    this.exit = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.run.exit = { code, signal };
        resolveWaiting(false);
        // Let the pipes drain before the log is closed.
        setImmediate(() => {
          if (buf) onLine(buf);
          this.out.end();
          resolve({ code, signal });
        });
      });
    });
  }
}

function formatChaosDay(d: ChaosDay, twinFills: number): string[] {
  const lines: string[] = [];
  lines.push(`  faults injected: ${d.injected.length}`);
  for (const f of d.injected) lines.push(`    ${hms(f.at)} ${describeFault(f.fault)} → ${f.effect || 'done'}`);
  for (const [i, r] of d.runs.entries()) {
    lines.push(
      `  node run ${i + 1} pid ${r.pid}: startup ${r.startup ?? '(none)'}${r.halted ? ' · HALTED' : ''}${r.close ? ` · close ${r.close}` : ''} · ended ${r.exit ? (r.exit.signal ?? `code ${r.exit.code}`) : '?'}`,
    );
  }
  const c = d.comparison.compared;
  lines.push(`  compared: ${c.positions} position(s), ${c.twinOrders} twin order(s), ${twinFills} twin fill(s), ${c.ledgerFills} ledger fill(s), ${c.ledgerOrders} ledger order(s), ${c.exitAttempts} exit order attempt(s)`);
  const all = [...d.runFindings, ...d.comparison.findings];
  if (all.length === 0) lines.push('  differences: none');
  for (const f of all) lines.push(`  ${formatFinding(f)}`);
  lines.push(
    `  day ${d.day}: faults=${d.injected.length} divergences=${d.comparison.divergences + d.runFindings.length} duplicate_orders=${d.comparison.duplicateOrders} lost_fills=${d.comparison.lostFills} (${(d.wallMs / 1000).toFixed(1)} s)`,
  );
  return lines;
}
