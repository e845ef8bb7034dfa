import { Command, Option } from 'commander';
import { AppError, ConfigError, InputError } from '../core/errors.ts';
import { registerCalendar } from './commands/calendar.ts';
import { registerDecode } from './commands/decode.ts';
import { registerBrokerCommands } from './commands/broker.ts';
import { registerSim } from './commands/sim.ts';
import { registerRun } from './commands/run.ts';
import { registerBacktest } from './commands/backtest.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerHalt } from './commands/halt.ts';
import { registerStrategy } from './commands/strategy.ts';
import { registerSync } from './commands/sync.ts';
import { registerChaos } from './commands/chaos.ts';

/**
 * The `hantu` command line. Each command lives in `commands/<name>.ts`; errors are printed as one
 * clear message (no stack) with exit code 2 for bad input/config and 1 for everything else.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hantu')
    .description('Automated trading for Korean equities on the KIS Open API, with a KIS twin for testing')
    .showHelpAfterError()
    .addOption(new Option('--data-dir <dir>', 'folder for tokens, the ledger and reports').env('HANTU_DATA_DIR'))
    .option('--json', 'print machine-readable JSON instead of tables')
    .option('--sim', 'use the KIS twin: a running `hantu sim`, else one started for this command')
    .option('--env-file <path>', 'read KIS_* settings from this file (default .env when present)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default warn)');
  registerRun(program);
  registerSim(program);
  registerBrokerCommands(program);
  registerStrategy(program);
  registerBacktest(program);
  registerJobs(program);
  registerHalt(program);
  registerSync(program);
  registerChaos(program);
  registerCalendar(program);
  registerDecode(program);
  return program;
}

/** Runs the CLI with `argv` (as in `process.argv`). Never throws: sets `process.exitCode`. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

/** Prints an error for a person and returns the exit code. */
export function reportError(e: unknown): number {
  const err = e as { code?: string; exitCode?: number };
  if (typeof err?.code === 'string' && err.code.startsWith('commander.')) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : (err.exitCode ?? 2);
  }
  if (e instanceof ConfigError || e instanceof InputError) {
    console.error(`hantu: ${e.message}`);
    return 2;
  }
  if (e instanceof AppError) {
    const f = e as unknown as Record<string, unknown>;
    const msg1 = typeof f['msg1'] === 'string' && f['msg1'] ? String(f['msg1']).trim() : '';
    const tags = [
      f['msgCd'] ? `msg_cd=${String(f['msgCd'])}` : '',
      f['trId'] ? `tr_id=${String(f['trId'])}` : '',
      f['endpoint'] ? `endpoint=${String(f['endpoint'])}` : '',
      `code=${e.code}`,
    ].filter(Boolean);
    const what: Record<string, string> = {
      rejected: 'refused',
      'outcome-unknown': 'OUTCOME UNKNOWN: the command may have reached the venue; check `hantu orders` before sending it again',
      retryable: 'temporary failure, try again',
      fatal: 'failed',
    };
    console.error(`hantu: ${what[e.disposition] ?? e.disposition}: ${msg1 || e.message} [${tags.join(' ')}]`);
    return 1;
  }
  console.error(`hantu: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return 1;
}
