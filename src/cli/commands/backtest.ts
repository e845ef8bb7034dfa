import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { kstDate } from '../../core/kst.ts';
import { formatBacktestSummary, writeBacktestReport } from '../../node/backtest-report.ts';
import { runBacktest } from '../../node/backtest-node.ts';
import { readJsonArg } from '../../node/strategy-node.ts';
import { resolveDataFile } from '../../node/twin-node.ts';
import { configFrom, loggerFor, output } from '../session.ts';

interface BacktestFlags {
  strategy: string;
  data?: string;
  from?: string;
  to?: string;
  universe?: string;
  config?: string;
  cash?: string;
  at?: string;
  risk?: string;
  seed?: string;
}

function codesOf(raw: string): string[] | 'all' {
  if (raw.trim().toLowerCase() === 'all') return 'all';
  const codes = raw.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
  for (const c of codes) if (!/^[0-9A-Z]{6}$/.test(c)) throw new InputError(`--universe: "${c}" is not a 6-character code`);
  if (codes.length === 0) throw new InputError('--universe is empty');
  return codes;
}

/** `hantu backtest`: a strategy over real daily data through the twin, with an HTML + JSON report. */
export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('run a strategy day by day over real daily bars through the KIS twin; writes an HTML + JSON report')
    .requiredOption('--strategy <name>', 'dca or rebalance (any built-in strategy with --config)')
    .option('--data <file>', 'daily bars: marcap, rltrader or compact CSV, plain or gzip (default: the latest shipped file)')
    .option('--from <date>', 'first session, YYYY-MM-DD (default: the first in the data)')
    .option('--to <date>', 'last session, YYYY-MM-DD (default: the last in the data)')
    .option('--universe <codes>', 'comma-separated codes, or all (default: the codes of --config)')
    .option('--config <json>', "the strategy's configuration: inline JSON or a file (default: equal-weight rebalance / daily DCA over the universe)")
    .option('--cash <won>', 'starting cash in won (default: sim.cash, 100,000,000)')
    .option('--at <HH:MM>', 'when the strategy runs each day, KST', '10:00')
    .option('--risk <json>', 'risk limits over the MAX_* / SLIPPAGE_BPS environment, e.g. {"maxPositionWeightBps":5000}')
    .option('--seed <n>', 'seed of the synthetic intraday prints (default sim.seed)')
    .action(async (f: BacktestFlags) => {
      const quiet = program.opts<{ logLevel?: string }>().logLevel === undefined && !process.env['LOG_LEVEL'] ? { logLevel: 'error' } : {};
      const config = configFrom(program, quiet);
      const logger = loggerFor(config);
      const strategyConfig = f.config === undefined ? undefined : readJsonArg(f.config);
      let universe: string[] | 'all';
      if (f.universe !== undefined) universe = codesOf(f.universe);
      else {
        const o = (strategyConfig ?? {}) as { targets?: { code: string }[]; instruments?: { code: string }[] };
        const codes = [...(o.targets ?? []), ...(o.instruments ?? [])].map((x) => x.code);
        if (codes.length === 0) throw new InputError('pass --universe <codes|all> (or a --config naming its codes)');
        universe = codes;
      }
      const cash = f.cash === undefined ? config.sim.cash : Number(f.cash.replaceAll(',', '').replaceAll('_', ''));
      const seed = f.seed === undefined ? config.sim.seed : Number(f.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`--seed must be a whole number >= 0, was "${f.seed}"`);
      const dataFile = resolveDataFile(f.data, f.from);
      const json = program.opts<{ json?: boolean }>().json;
      const r = await runBacktest({
        strategy: f.strategy,
        ...(strategyConfig === undefined ? {} : { strategyConfig }),
        dataFile,
        ...(f.from ? { from: kstDate(f.from) } : {}),
        ...(f.to ? { to: kstDate(f.to) } : {}),
        universe,
        cash,
        ...(f.at ? { at: f.at } : {}),
        fees: config.fees,
        ...(f.risk === undefined ? {} : { risk: readJsonArg(f.risk, '--risk') as Record<string, number> }),
        env: process.env,
        seed,
        logger,
        onDay: json
          ? undefined
          : (d, i, n) => console.error(`  ${d.date}  equity ${Math.round(d.equity).toLocaleString('en-US')} won  fills ${d.trades}  denials ${d.denials}  (${i + 1}/${n})`),
      });
      const paths = writeBacktestReport(config.dataDir, r);
      output(program, { ...r.stats, report: paths }, () => `\n${formatBacktestSummary(r)}\nreport: ${paths.html}\n        ${paths.json}`);
    });
}
