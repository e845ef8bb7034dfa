import { Command, Option } from 'commander';
import { AppError, ConfigError, InputError } from '../core/errors.ts';
import { registerCalendar } from './commands/calendar.ts';
import { registerDecode } from './commands/decode.ts';

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
    .option('--json', 'print machine-readable JSON instead of tables');
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
    const ctx = e.context as Record<string, unknown>;
    const detail = ['msgCd', 'msg1', 'trId', 'endpoint'].filter((k) => ctx[k] !== undefined && ctx[k] !== '').map((k) => `${k}=${String(ctx[k])}`);
    const own = e as unknown as Record<string, unknown>;
    for (const k of ['msgCd', 'msg1', 'trId', 'endpoint']) {
      if (!detail.some((d) => d.startsWith(`${k}=`)) && typeof own[k] === 'string' && own[k] !== '') detail.push(`${k}=${String(own[k])}`);
    }
    console.error(`hantu: ${e.message} [${e.code}, ${e.disposition}]${detail.length ? ` ${detail.join(' ')}` : ''}`);
    return 1;
  }
  console.error(`hantu: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return 1;
}
