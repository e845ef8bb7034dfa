import type { Command } from 'commander';
import { tradingCalendar } from '../../app/calendar-service.ts';
import { table } from '../format.ts';

/** `hantu calendar --from YYYY-MM-DD --to YYYY-MM-DD`: KRX trading days with open/close (KST). */
export function registerCalendar(program: Command): void {
  program
    .command('calendar')
    .description('print KRX trading days with their session hours (KST)')
    .option('--from <date>', 'first date, YYYY-MM-DD', `${new Date().getUTCFullYear()}-01-01`)
    .option('--to <date>', 'last date, YYYY-MM-DD', `${new Date().getUTCFullYear()}-12-31`)
    .option('--closed', 'also list the weekdays the market is closed, with the reason')
    .action((opts: { from: string; to: string; closed?: boolean }) => {
      const json = program.opts<{ json?: boolean }>().json;
      const { sessions, closedWeekdays } = tradingCalendar(opts.from, opts.to);
      if (json) {
        console.log(JSON.stringify({ sessions, closedWeekdays }, null, 2));
        return;
      }
      console.log(
        table(
          ['date', 'day', 'kind', 'auction', 'open', 'close-auction', 'close', 'note'],
          sessions.map((s) => [s.date, s.weekday, s.kind, s.openingAuction, s.open, s.closingAuction, s.close, s.note]),
        ),
      );
      console.log(`\n${sessions.length} trading days from ${opts.from} to ${opts.to} (KST)`);
      if (opts.closed) {
        console.log(`\nclosed weekdays:\n${table(['date', 'reason'], closedWeekdays.map((c) => [c.date, c.reason]))}`);
      }
    });
}
