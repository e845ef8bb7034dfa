import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { existsSync } from 'node:fs';
import { runCampaign, startDayOnTwinFile } from '../../node/campaign-node.ts';
import { formatFinding } from '../../node/chaos-compare.ts';
import { formatRunSummary, kisSessionFromEnv, readRunControl, startTradingDay, writeRunReport, type RunningDay, type RunReport } from '../../node/run-node.ts';
import { readJsonArg } from '../../node/strategy-node.ts';
import { configFrom, loggerFor } from '../session.ts';

interface RunFlags {
  day?: string;
  data?: string;
  speed?: string;
  at?: string;
  watch?: string;
  paper?: boolean;
  live?: boolean;
  confirmLive?: boolean;
  days?: string;
  from?: string;
  twin?: string;
  ledgerAccount?: string;
  strategy?: string;
  strategyConfig?: string;
}

/** `hantu run`: the main job — a trading day watched and traded end to end (or N consecutive replayed days). */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('watch a trading day and sell on stop-loss / take-profit (default: the twin over a real day, ~1 minute)')
    .option('--day <date>', 'session to replay (default: the latest in the shipped data)')
    .option('--data <file>', 'daily bars to replay (marcap or rltrader CSV)')
    .option('--speed <n>', 'simulated seconds per real second (default 390: a 6.5-hour day in a minute)')
    .option('--at <HH:MM>', 'simulated KST start time (default 08:57: start-up takes about a simulated minute at 390x)')
    .option('--watch <codes>', 'comma-separated codes to watch besides the holdings')
    .option('--paper', 'run against a KIS paper account (KIS_* credentials)')
    .option('--live', 'run against a REAL KIS account (needs --confirm-live too)')
    .option('--confirm-live', 'confirms that real orders may be sent')
    .option('--days <n>', 'run N consecutive replayed sessions, the account and the ledger carried from day to day')
    .option('--from <date>', 'first session of --days (default: the latest N sessions of the data)')
    .option('--twin <sim.json>', 'run on a twin already running in another process, described by this endpoint file (waits for it to appear)')
    .option('--ledger-account <id>', 'ledger account id (default: one per twin run; a restart against the same twin passes the same id)')
    .option('--strategy <name>', 'also let a built-in strategy trade during the day (dca, rebalance, vwap-atr-bands, stop-take)')
    .option('--strategy-config <json|file>', 'configuration of --strategy (inline JSON or a JSON file)')
    .action(async (f: RunFlags) => {
      if (f.paper && f.live) throw new InputError('give --paper or --live, not both');
      if (f.live && !f.confirmLive) throw new InputError('--live sends REAL orders: add --confirm-live to proceed');
      const speed = f.speed === undefined ? 390 : Number(f.speed);
      if (!Number.isFinite(speed) || speed <= 0) throw new InputError(`--speed must be a positive number, was "${f.speed}"`);
      const watchlist = (f.watch ?? '').split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
      for (const c of watchlist) if (!/^[0-9A-Z]{6}$/.test(c)) throw new InputError(`--watch: "${c}" is not a 6-character code`);
      const days = f.days === undefined ? undefined : Number(f.days);
      if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new InputError(`--days must be a whole number >= 1, was "${f.days}"`);
      if (f.from !== undefined && days === undefined) throw new InputError('--from goes with --days (a single session is --day)');
      if (days !== undefined && (f.paper || f.live)) throw new InputError('--days replays sessions on the twin: not with --paper / --live');
      if (days !== undefined && f.day) throw new InputError('give --day (one session) or --days (consecutive sessions, with --from), not both');
      if (f.twin !== undefined && (f.paper || f.live || days !== undefined || f.day || f.data)) throw new InputError('--twin runs on that twin: not with --paper / --live / --days / --day / --data');
      if (f.strategyConfig !== undefined && !f.strategy) throw new InputError('--strategy-config goes with --strategy');
      const trading = f.strategy ? { strategy: f.strategy, ...(f.strategyConfig !== undefined ? { strategyConfig: readJsonArg(f.strategyConfig, '--strategy-config') } : {}) } : undefined;
      // Flags win over HANTU__SIM__* variables; the run's own defaults (390x, 08:57) apply only when
      // neither is given, so a malformed variable is still reported by the config loader. Over several
      // days the start time is chosen per day (before the open, by the speed) unless --at is given.
      const sim: Record<string, unknown> = {};
      if (f.speed !== undefined || process.env['HANTU__SIM__SPEED'] === undefined) sim['speed'] = speed;
      if (f.at !== undefined || (process.env['HANTU__SIM__AT'] === undefined && days === undefined)) sim['at'] = f.at ?? '08:57';
      if (f.day) sim['day'] = f.day;
      if (f.data) sim['data'] = f.data;
      // The timeline is the console output; the log carries only errors unless asked for more.
      const quiet = program.opts<{ logLevel?: string }>().logLevel === undefined && !process.env['LOG_LEVEL'] ? { logLevel: 'error' } : {};
      const config = configFrom(program, { sim, ...quiet });
      const logger = loggerFor(config);
      const databaseUrl = process.env['DATABASE_URL'] || undefined;
      const common = { config, logger, watchlist, ...(f.ledgerAccount ? { ledgerAccountId: f.ledgerAccount } : {}), ...(trading ? { trading } : {}) };

      if (days !== undefined) {
        const r = await runCampaign({
          ...common,
          days,
          from: f.from,
          at: f.at !== undefined || process.env['HANTU__SIM__AT'] !== undefined ? config.sim.at : undefined,
          databaseUrl,
          onDay: (d, i, n) => {
            const paths = writeRunReport(config.dataDir, d.report);
            const c = d.comparison;
            console.log(`\n${formatRunSummary(d.report)}\nreport: ${paths.json}`);
            for (const x of c.findings) console.log(`  ${formatFinding(x)}`);
            console.log(
              `day ${i + 1}/${n} ${d.day}: divergences=${c.divergences} duplicate_orders=${c.duplicateOrders} lost_fills=${c.lostFills} · carried to the next day: ${d.carried.holdings.length} holdings, cash ${d.carried.cash.toLocaleString('en-US')} won (D+2 cash as the next deposit) · ${(d.wallMs / 1000).toFixed(1)} s\n`,
            );
          },
        });
        console.log(`campaign: ledger ${r.ledger} · account ${r.accountId}`);
        console.log(`days=${r.days.length} divergences=${r.divergences} duplicate_orders=${r.duplicateOrders} lost_fills=${r.lostFills}`);
        if (r.divergences + r.duplicateOrders + r.lostFills > 0) process.exitCode = 1;
        return;
      }

      let day: RunningDay;
      let done: Promise<RunReport>;
      if (f.twin !== undefined) {
        const twinFile = f.twin;
        ({ running: day, done } = await startDayOnTwinFile({ ...common, twinFile, databaseUrl, onWaiting: () => console.log(`hantu run: waiting for the twin endpoint ${twinFile}`) }));
      } else {
        const kis =
          f.paper || f.live
            ? kisSessionFromEnv({
                mode: f.live ? 'real' : 'paper',
                env: process.env,
                envFile: program.opts<{ envFile?: string }>().envFile ?? (existsSync('.env') ? '.env' : undefined),
                dataDir: config.dataDir,
                logger,
              })
            : undefined;
        day = await startTradingDay({ ...common, databaseUrl, ...(kis ? { kis } : {}) });
        done = day.done;
      }
      const onSignal = (): void => void day.stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const report = await done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const paths = writeRunReport(config.dataDir, report);
      console.log(`\n${formatRunSummary(report)}\nreport: ${paths.json}\n        ${paths.text}`);
    });

  const monitor = program.command('monitor').description('control the running `hantu run` daemon through its local control endpoint');
  for (const [name, method, path, what] of [
    ['status', 'GET', '/status', 'state, subscriptions, positions, last tick time'],
    ['stop', 'POST', '/monitor/stop', 'unsubscribe and close the WebSocket (the daemon keeps running)'],
    ['start', 'POST', '/monitor/start', 'subscribe again after a stop'],
    ['restart', 'POST', '/monitor/restart', 'reconnect now (also leaves sleep mode)'],
  ] as const) {
    monitor
      .command(name)
      .description(what)
      .action(async () => {
        const config = configFrom(program);
        const c = readRunControl(config.dataDir);
        if (!c) throw new InputError(`no running \`hantu run\` found (${config.dataDir}/run.json is missing)`);
        let res: Response;
        try {
          res = await fetch(`${c.url}${path}`, { method, headers: { 'x-hantu-token': c.token }, signal: AbortSignal.timeout(5_000) });
        } catch (e) {
          throw new InputError(`the daemon at ${c.url} (pid ${c.pid}) does not answer: ${(e as Error).message}`);
        }
        const body = (await res.json()) as unknown;
        if (!res.ok) throw new InputError(`daemon answered ${res.status}: ${JSON.stringify(body)}`);
        console.log(JSON.stringify(body, null, 2));
      });
  }
}
