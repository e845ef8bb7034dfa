/**
 * `hantu jobs`: the scheduled jobs as the daemon would run them — the cron jobs from `SCHEDULE_*` in the
 * environment (defaults in src/scheduler/config.ts) and the session-open / session-close hooks — each
 * with its next fire times on the KRX calendar (holidays, the year-end closure, late opens and CSAT
 * hours honoured).
 */
import { TestClock } from '../core/clock.ts';
import type { UnixMillis } from '../core/brand.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { jobSpecsFromConfig, schedulerConfigFromEnv, type ScheduledJobRunners } from '../scheduler/config.ts';
import { compileCron, nextFireTime, nextSessionEdge } from '../scheduler/cron.ts';
import { Scheduler, type JobKind } from '../scheduler/scheduler.ts';

/** One job and its upcoming fire times. */
export interface ScheduledJobListing {
  readonly name: string;
  readonly kind: JobKind;
  /** Cron pattern (cron jobs only), read in Asia/Seoul. */
  readonly cron?: string;
  readonly calendar: string;
  readonly window: string;
  /** Where the pattern came from: the environment variable, or `default`. */
  readonly source: string;
  /** Next fire times, epoch ms, ascending (fewer when the calendar's range ends). */
  readonly nextRuns: readonly UnixMillis[];
  /** Why there is no (further) fire time. */
  readonly note?: string;
}

const ENV_OF: Readonly<Record<string, string>> = { balance: 'SCHEDULE_BALANCE_CRON', strategy: 'SCHEDULE_STRATEGY_CRON', 'price-update': 'SCHEDULE_PRICE_UPDATE_CRON' };

/** Names of the session hooks the daemon registers. */
export const SESSION_HOOKS = { open: 'session-open', close: 'session-close' } as const;

/**
 * Every scheduled job with its next `count` fire times after `now` (epoch ms). Disabled jobs (`off`)
 * are listed with a note.
 * @throws ConfigError naming every invalid `SCHEDULE_*` variable
 */
export function listScheduledJobs(o: { readonly env: Readonly<Record<string, string | undefined>>; readonly now: number; readonly count?: number; readonly calendar?: KrxCalendar }): ScheduledJobListing[] {
  const calendar = o.calendar ?? new KrxCalendar();
  const count = o.count ?? 3;
  const config = schedulerConfigFromEnv(o.env);
  const noop = async (): Promise<void> => undefined;
  const runners: ScheduledJobRunners = { balance: noop, strategy: noop, priceUpdate: noop };
  // The scheduler's own view (next run, or why none) for the first fire time; later ones by stepping.
  const scheduler = new Scheduler({ clock: new TestClock(o.now), calendar });
  for (const spec of jobSpecsFromConfig(config, runners)) scheduler.add(spec);
  scheduler.onSessionOpen(SESSION_HOOKS.open, noop);
  scheduler.onSessionClose(SESSION_HOOKS.close, noop);
  const out: ScheduledJobListing[] = [];
  for (const j of scheduler.nextRuns()) {
    const runs: UnixMillis[] = [];
    let note = j.unscheduledReason;
    let at = j.nextRunAt;
    try {
      const step = j.cron !== undefined ? (after: number) => nextFireTime(compileCron(j.cron as string), j, calendar, after) : (after: number) => nextSessionEdge(calendar, j.kind === 'session-open' ? 'open' : 'close', after);
      while (at !== undefined && runs.length < count) {
        runs.push(at);
        if (runs.length < count) at = step(at);
      }
    } catch (e) {
      note = `no later fire time: ${(e as Error).message}`;
    }
    const envName = ENV_OF[j.name];
    out.push({
      name: j.name,
      kind: j.kind,
      ...(j.cron === undefined ? {} : { cron: j.cron }),
      calendar: j.calendar,
      window: j.window,
      source: envName === undefined ? 'session hook' : o.env[envName] !== undefined ? envName : 'default',
      nextRuns: runs,
      ...(note === undefined ? {} : { note }),
    });
  }
  for (const [name, envName] of Object.entries(ENV_OF)) {
    if (!out.some((j) => j.name === name)) out.push({ name, kind: 'cron', calendar: '-', window: '-', source: envName, nextRuns: [], note: `disabled (${envName}=off)` });
  }
  return out;
}
