import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { kstParts } from '../../core/kst.ts';
import { listScheduledJobs } from '../../node/jobs-node.ts';
import { table } from '../format.ts';
import { output } from '../session.ts';

function kst(ms: number): string {
  const p = kstParts(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.date} ${two(p.hour)}:${two(p.minute)}`;
}

/** `hantu jobs`: the scheduled jobs (SCHEDULE_*_CRON or the defaults) and their next runs on the KRX calendar. */
export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('list the scheduled jobs (SCHEDULE_*_CRON, defaults otherwise) with their next run times (KST, KRX calendar)')
    .option('--count <n>', 'next run times per job', '3')
    .option('--at <iso>', 'compute from this instant instead of now (ISO 8601, e.g. 2026-12-30T16:00+09:00)')
    .action((opts: { count: string; at?: string }) => {
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1 || count > 100) throw new InputError(`--count must be 1..100, was "${opts.count}"`);
      const now = opts.at === undefined ? Date.now() : Date.parse(opts.at);
      if (!Number.isFinite(now)) throw new InputError(`--at: not an ISO 8601 instant: "${opts.at}"`);
      const jobs = listScheduledJobs({ env: process.env, now, count });
      output(
        program,
        jobs.map((j) => ({ ...j, nextRunsKst: j.nextRuns.map(kst) })),
        () =>
          table(
            ['job', 'schedule', 'calendar', 'window', 'from', 'next runs (KST)'],
            jobs.map((j) => [j.name, j.cron ?? j.kind, j.calendar, j.window, j.source, j.nextRuns.length > 0 ? j.nextRuns.map(kst).join(', ') : (j.note ?? '-')]),
          ) + `\n\ntimes from ${kst(now)} KST; set SCHEDULE_BALANCE_CRON / SCHEDULE_STRATEGY_CRON / SCHEDULE_PRICE_UPDATE_CRON (or "off") to change them`,
      );
    });
}
