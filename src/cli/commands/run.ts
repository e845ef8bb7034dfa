import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { existsSync } from 'node:fs';
import { formatRunSummary, kisSessionFromEnv, readRunControl, startTradingDay, writeRunReport } from '../../node/run-node.ts';
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
}

/** `hantu run`: the main job — a trading day watched and traded end to end. */
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
    .action(async (f: RunFlags) => {
      if (f.paper && f.live) throw new InputError('give --paper or --live, not both');
      if (f.live && !f.confirmLive) throw new InputError('--live sends REAL orders: add --confirm-live to proceed');
      const speed = f.speed === undefined ? 390 : Number(f.speed);
      if (!Number.isFinite(speed) || speed <= 0) throw new InputError(`--speed must be a positive number, was "${f.speed}"`);
      const watchlist = (f.watch ?? '').split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
      for (const c of watchlist) if (!/^[0-9A-Z]{6}$/.test(c)) throw new InputError(`--watch: "${c}" is not a 6-character code`);
      // Flags win over HANTU__SIM__* variables; the run's own defaults (390x, 08:57) apply only when
      // neither is given, so a malformed variable is still reported by the config loader.
      const sim: Record<string, unknown> = {};
      if (f.speed !== undefined || process.env['HANTU__SIM__SPEED'] === undefined) sim['speed'] = speed;
      if (f.at !== undefined || process.env['HANTU__SIM__AT'] === undefined) sim['at'] = f.at ?? '08:57';
      if (f.day) sim['day'] = f.day;
      if (f.data) sim['data'] = f.data;
      // The timeline is the console output; the log carries only errors unless asked for more.
      const quiet = program.opts<{ logLevel?: string }>().logLevel === undefined && !process.env['LOG_LEVEL'] ? { logLevel: 'error' } : {};
      const config = configFrom(program, { sim, ...quiet });
      const logger = loggerFor(config);
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
      const day = await startTradingDay({ config, logger, watchlist, databaseUrl: process.env['DATABASE_URL'], ...(kis ? { kis } : {}) });
      const onSignal = (): void => void day.stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const report = await day.done;
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
