import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { openBroker } from '../../node/broker.ts';
import { formatRunReport, readJsonArg, runStrategyOnce } from '../../node/strategy-node.ts';
import { configFrom, loggerFor, output, type GlobalOptions } from '../session.ts';

interface StrategyRunFlags {
  strategy: string;
  config?: string;
  universe?: string;
  dryRun?: boolean;
  runner?: string;
  at?: string;
}

/** `hantu strategy run`: one strategy run against the broker session (the twin by default). */
export function registerStrategy(program: Command): void {
  const strategy = program.command('strategy').description('run the built-in strategies (dca, rebalance, stop-take, vwap-atr-bands)');
  strategy
    .command('run')
    .description('run a strategy once against the broker (the twin by default): decide, risk-check, order, confirm fills, print the report')
    .requiredOption('--strategy <name>', 'dca, rebalance, stop-take or vwap-atr-bands')
    .option('--config <json>', "the strategy's configuration: inline JSON or a file")
    .option('--universe <codes>', 'comma-separated codes for the default configuration (equal-weight rebalance, daily DCA)')
    .option('--dry-run', 'run every read and check, send nothing, write nothing; print what would be sent and why')
    .option('--runner <json>', 'runner settings, e.g. {"staleOrderAgeMs":600000,"fillPollAttempts":3}')
    .option('--at <HH:MM>', 'in-process twin only: the simulated KST time to start at (default sim.at)')
    .action(async (f: StrategyRunFlags) => {
      const universe = f.universe === undefined ? undefined : f.universe.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
      for (const c of universe ?? []) if (!/^[0-9A-Z]{6}$/.test(c)) throw new InputError(`--universe: "${c}" is not a 6-character code`);
      if (f.config === undefined && universe === undefined) throw new InputError('pass --config <json> or --universe <codes>');
      if (f.at !== undefined && !/^\d{2}:\d{2}$/.test(f.at)) throw new InputError(`--at must be HH:MM, was "${f.at}"`);
      const g = program.opts<GlobalOptions>();
      const config = configFrom(program, f.at === undefined ? {} : { sim: { at: f.at } });
      const logger = loggerFor(config);
      const session = await openBroker({ config, logger, sim: Boolean(g.sim), env: process.env, envFile: g.envFile });
      if (!g.json) console.error(`[${session.env}] ${session.description} · account ${session.account}`);
      try {
        if (session.env === 'real' && !f.dryRun) throw new InputError('`hantu strategy run` against a REAL account: run with --dry-run first; live runs belong to the daemon');
        const report = await runStrategyOnce({
          session,
          config,
          logger,
          strategy: f.strategy,
          ...(f.config === undefined ? {} : { strategyConfig: readJsonArg(f.config) }),
          ...(universe === undefined ? {} : { universe }),
          dryRun: Boolean(f.dryRun),
          env: process.env,
          ...(f.runner === undefined ? {} : { runner: readJsonArg(f.runner, '--runner') }),
        });
        output(program, report, () => formatRunReport(report));
        if (report.aborted) process.exitCode = 1;
      } finally {
        await session.close();
      }
    });
}
