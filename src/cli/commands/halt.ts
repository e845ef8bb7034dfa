import type { Command } from 'commander';
import { SystemClock } from '../../core/clock.ts';
import { haltTrading, readTradingState, resumeTrading } from '../../node/halt-node.ts';
import { won } from '../format.ts';
import { configFrom, loggerFor, output, withBroker } from '../session.ts';

/** `hantu halt [--reason R]` and `hantu resume [--reducing]`: the kill switch. */
export function registerHalt(program: Command): void {
  program
    .command('halt')
    .description('kill switch: set the trading state to HALTED (saved in <dataDir>/trading-state.json) and cancel every open order')
    .option('--reason <text>', 'why (saved with the state)', 'halted by hand (hantu halt)')
    .action((opts: { reason: string }) =>
      withBroker(program, async (s, config) => {
        const r = await haltTrading({ client: s.client, dataDir: config.dataDir, clock: s.clock, logger: loggerFor(config), env: process.env, reason: opts.reason });
        output(program, r, () => {
          const t = r.transition;
          const lines = [
            `trading state: ${t.from} -> ${t.to}${t.changed ? '' : ' (already halted)'} · reason: ${opts.reason}`,
            t.persisted ? `saved to ${r.stateFile}` : `NOT SAVED (${t.persistError}): a restart would not come back halted`,
          ];
          if (r.listError) lines.push(`open orders could not be listed: ${r.listError}`);
          else if (r.cancelled.length + r.failed.length === 0) lines.push('no open orders to cancel');
          for (const c of r.cancelled) lines.push(`  cancelled  no. ${c.venueOrderId}  ${c.side} ${c.instrumentId} ${won(c.remainingQuantity)} @ ${c.price ? won(c.price) : 'market'}`);
          for (const c of r.failed) lines.push(`  FAILED     no. ${c.venueOrderId}  ${c.side} ${c.instrumentId} ${won(c.remainingQuantity)}: ${c.error}`);
          if (r.cancelled.length + r.failed.length > 0) lines.push(`${r.cancelled.length} cancelled, ${r.failed.length} failed`);
          return lines.join('\n');
        });
        if (r.failed.length > 0 || r.listError || !r.transition.persisted) process.exitCode = 1;
      }),
    );

  program
    .command('resume')
    .description('leave HALTED: trading ACTIVE again (or --reducing: exits only)')
    .option('--reason <text>', 'why (saved with the state)', 'resumed by hand (hantu resume)')
    .option('--reducing', 'resume to REDUCING (sells of held shares only) instead of ACTIVE')
    .action(async (opts: { reason: string; reducing?: boolean }) => {
      const config = configFrom(program);
      const before = readTradingStateOrThrow(config.dataDir);
      const r = await resumeTrading({ dataDir: config.dataDir, clock: new SystemClock(), logger: loggerFor(config), env: process.env, reason: opts.reason, to: opts.reducing ? 'REDUCING' : 'ACTIVE' });
      output(program, { ...r, before }, () =>
        [
          `trading state: ${r.from} -> ${r.to}${r.changed ? '' : ' (no change)'} · reason: ${opts.reason}`,
          r.persisted ? `saved to ${r.stateFile}` : `NOT SAVED (${r.persistError})`,
        ].join('\n'),
      );
      if (!r.persisted) process.exitCode = 1;
    });
}

/** The saved state before the change (undefined when none, or unreadable: resume overwrites it). */
function readTradingStateOrThrow(dataDir: string): ReturnType<typeof readTradingState> {
  try {
    return readTradingState(dataDir);
  } catch {
    return undefined;
  }
}
