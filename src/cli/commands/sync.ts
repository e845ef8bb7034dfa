import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { recentReports, syncOnce } from '../../node/sync-node.ts';
import { table } from '../format.ts';
import { configFrom, loggerFor, output, withBroker } from '../session.ts';

const when = (ms: number): string => new Date(ms + 9 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);

/** `hantu sync` (reconcile the ledger with the broker now) and `hantu reports` (recent reconciliation reports). */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('reconcile the ledger with the broker now (holdings, cash, orders, fills) and print the report')
    .action(() =>
      withBroker(program, async (s, config) => {
        const r = await syncOnce(s, { config, logger: loggerFor(config), databaseUrl: process.env['DATABASE_URL'] });
        output(program, { accountId: r.accountId, ledger: r.ledger, status: r.status, report: r.report, error: r.error }, () => {
          const lines = [`ledger ${r.ledger} · account ${r.accountId}`, `${r.report?.summary ?? r.error ?? r.status}`];
          for (const d of r.result?.differences ?? []) lines.push(`  ${d.resolution.padEnd(11)} ${d.what} ${d.ref}: ${d.reason}`);
          if (r.report) lines.push(`report #${r.report.id} (${r.report.kind}, ${when(r.report.finishedAt)} KST)`);
          return lines.join('\n');
        });
        if (r.status === 'DIVERGED' || r.status === 'FAILED') process.exitCode = 1;
      }),
    );

  program
    .command('reports')
    .description('list recent reconciliation reports from the ledger')
    .option('--account <id>', 'only this ledger account')
    .option('--limit <n>', 'how many (default 20)')
    .action(async (opts: { account?: string; limit?: string }) => {
      const limit = opts.limit === undefined ? 20 : Number(opts.limit);
      if (!Number.isSafeInteger(limit) || limit <= 0) throw new InputError(`--limit must be a whole number > 0, was "${opts.limit}"`);
      const config = configFrom(program);
      const { ledger, reports } = await recentReports({ config, logger: loggerFor(config), databaseUrl: process.env['DATABASE_URL'] }, { ...(opts.account ? { accountId: opts.account } : {}), limit });
      output(program, reports, () =>
        reports.length === 0
          ? `(no reconciliation reports in ${ledger})`
          : table(
              ['#', 'finished (KST)', 'account', 'kind', 'status', 'summary'],
              reports.map((r) => [String(r.id), when(r.finishedAt), r.accountId, r.kind, r.status, r.summary.length > 100 ? `${r.summary.slice(0, 99)}…` : r.summary]),
            ),
      );
    });
}
