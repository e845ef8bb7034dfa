import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import type { KrxCalendar } from '../model/calendar.ts';
import { compileCron, cronProblem, nextFireTime } from './cron.ts';
import type { JobContext, JobSpec } from './scheduler.ts';

/**
 * Scheduler configuration: the three built-in jobs, each a cron pattern (Asia/Seoul) plus its calendar
 * filter. Defaults live only here:
 *
 * | job          | cron                     | calendar       | window    |
 * | ------------ | ------------------------ | -------------- | --------- |
 * | balance      | `0 8 * * 1-5` (08:00)    | `trading-days` | `any`     |
 * | strategy     | `*\/10 * * * *`          | `trading-days` | `session` |
 * | priceUpdate  | `*\/5 * * * *`           | `trading-days` | `session` |
 *
 * So no job fires on a KRX holiday, and the strategy and price jobs fire only inside `[open, close)`
 * of the day's session (10:00 on late-open and CSAT days) unless configured otherwise.
 * A cron value of `off` disables the job (`cron: null`).
 */
const cronField = z
  .string()
  .trim()
  .superRefine((p, ctx) => {
    if (p === 'off') return;
    if (p === '') {
      ctx.addIssue({ code: 'custom', message: 'empty cron pattern: unset the variable for the default, or set "off" to disable the job' });
      return;
    }
    const problem = cronProblem(p);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((p) => (p === 'off' ? null : p));

function jobSchema(cron: string, window: 'session' | 'any') {
  return z
    .object({
      /** Cron pattern (Asia/Seoul), or null when the job is disabled. */
      cron: cronField.default(cron),
      calendar: z.enum(['trading-days', 'always']).default('trading-days'),
      window: z.enum(['session', 'any']).default(window),
    })
    .strict()
    .prefault({});
}

export const SchedulerConfigSchema = z
  .object({
    /** Balance / account sync: weekdays 08:00 KST, trading days only. */
    balance: jobSchema('0 8 * * 1-5', 'any'),
    /** Strategy runs: every 10 minutes inside the session. */
    strategy: jobSchema('*/10 * * * *', 'session'),
    /** Price updates: every 5 minutes inside the session. */
    priceUpdate: jobSchema('*/5 * * * *', 'session'),
  })
  .strict();

export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;
export type ScheduledJobName = keyof SchedulerConfig;

/** Environment variable → config path. The `*_CRON` names are the documented ones; the others refine the filter. */
export const SCHEDULER_ENV: Readonly<Record<string, readonly [ScheduledJobName, 'cron' | 'calendar' | 'window']>> = {
  SCHEDULE_BALANCE_CRON: ['balance', 'cron'],
  SCHEDULE_BALANCE_CALENDAR: ['balance', 'calendar'],
  SCHEDULE_BALANCE_WINDOW: ['balance', 'window'],
  SCHEDULE_STRATEGY_CRON: ['strategy', 'cron'],
  SCHEDULE_STRATEGY_CALENDAR: ['strategy', 'calendar'],
  SCHEDULE_STRATEGY_WINDOW: ['strategy', 'window'],
  SCHEDULE_PRICE_UPDATE_CRON: ['priceUpdate', 'cron'],
  SCHEDULE_PRICE_UPDATE_CALENDAR: ['priceUpdate', 'calendar'],
  SCHEDULE_PRICE_UPDATE_WINDOW: ['priceUpdate', 'window'],
};

function envNameOf(path: readonly PropertyKey[]): string {
  const [job, key] = path;
  for (const [name, p] of Object.entries(SCHEDULER_ENV)) if (p[0] === job && p[1] === key) return name;
  return path.map(String).join('.');
}

/**
 * Reads the scheduler configuration from environment variables (`SCHEDULE_*`, see
 * {@link SCHEDULER_ENV}); unset variables take the schema defaults. Other variables are ignored.
 * @throws ConfigError listing every invalid variable by name (e.g. path `SCHEDULE_STRATEGY_CRON`,
 *   message `invalid cron pattern "…": …`).
 */
export function schedulerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): SchedulerConfig {
  const raw: Record<string, Record<string, string>> = {};
  for (const [name, [job, key]] of Object.entries(SCHEDULER_ENV)) {
    const v = env[name];
    if (v === undefined) continue;
    (raw[job] ??= {})[key] = v;
  }
  const r = SchedulerConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i): ConfigIssue => ({ path: envNameOf(i.path), message: i.message })));
  }
  return r.data;
}

/** Days a session-window job must fire within, for {@link checkScheduleFitsSessions}. */
const FIT_HORIZON_MS = 31 * 24 * 3600 * 1000;

/**
 * Second-pass check (style anchors §4.7: "scheduled jobs must fall inside KRX sessions"): every enabled
 * job must fire at least once within 31 days of `now` (epoch ms) under its filter, so a pattern such as
 * `0 20 * * *` with window `session` is reported instead of silently never firing.
 * Dates the calendar cannot answer for are not held against the job.
 * @throws ConfigError naming the variable of each job that would never fire.
 */
export function checkScheduleFitsSessions(config: SchedulerConfig, calendar: KrxCalendar, now: number): void {
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(config) as ScheduledJobName[]) {
    const job = config[name];
    if (job.cron === null) continue;
    let at: number | undefined;
    try {
      at = nextFireTime(compileCron(job.cron), job, calendar, now);
    } catch {
      continue;
    }
    if (at === undefined || at > now + FIT_HORIZON_MS) {
      issues.push({
        path: envNameOf([name, 'cron']),
        message: `"${job.cron}" never fires inside its filter (calendar=${job.calendar}, window=${job.window}) in the next 31 days`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The work behind each built-in job. */
export type ScheduledJobRunners = Readonly<Record<ScheduledJobName, (ctx: JobContext) => Promise<void>>>;

/** Built-in job names as shown by `hantu jobs`. */
export const SCHEDULED_JOB_NAMES: Readonly<Record<ScheduledJobName, string>> = {
  balance: 'balance',
  strategy: 'strategy',
  priceUpdate: 'price-update',
};

/** The job specs of the enabled built-in jobs (disabled ones, `cron: null`, are left out). */
export function jobSpecsFromConfig(config: SchedulerConfig, runners: ScheduledJobRunners): JobSpec[] {
  const specs: JobSpec[] = [];
  for (const name of Object.keys(SCHEDULED_JOB_NAMES) as ScheduledJobName[]) {
    const job = config[name];
    if (job.cron === null) continue;
    specs.push({ name: SCHEDULED_JOB_NAMES[name], cron: job.cron, calendar: job.calendar, window: job.window, run: runners[name] });
  }
  return specs;
}
