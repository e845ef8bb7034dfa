import type { UnixMillis } from '../core/brand.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { AppError, InputError } from '../core/errors.ts';
import { kstDateOf } from '../core/kst.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import type { KrxCalendar, TradingSession } from '../model/calendar.ts';
import {
  compileCron,
  nextFireTime,
  nextSessionEdge,
  type CompiledCron,
  type JobCalendar,
  type JobWindow,
  type SessionEdge,
} from './cron.ts';
import type { JobSkipReason, SchedulerEvent } from './events.ts';

/** What a run is told about itself. */
export interface JobContext {
  readonly job: string;
  /** The fire time this run belongs to, epoch ms. */
  readonly scheduledAt: UnixMillis;
  /** When the run started (the injected clock), epoch ms. */
  readonly startedAt: UnixMillis;
  /** The day's session: set for session hooks and for jobs with window `session`, else undefined. */
  readonly session: TradingSession | undefined;
}

/** A cron job. */
export interface JobSpec {
  /** Unique name (shown by `hantu jobs`, in logs and events). */
  readonly name: string;
  /** Cron pattern read in Asia/Seoul: 5 fields, or 6 with seconds first; croner syntax. */
  readonly cron: string;
  /** Days the job may fire on. */
  readonly calendar: JobCalendar;
  /** Hours the job may fire in; `session` implies trading days. */
  readonly window: JobWindow;
  /** The work. Errors are caught, logged and counted; a run still in flight makes the next one skip. */
  readonly run: (ctx: JobContext) => Promise<void>;
}

/** What kind of entry a job is. */
export type JobKind = 'cron' | 'session-open' | 'session-close';

/** A job's next fire time, as shown by `hantu jobs`. */
export interface JobNextRun {
  readonly name: string;
  readonly kind: JobKind;
  /** The pattern (cron jobs only). */
  readonly cron?: string;
  readonly calendar: JobCalendar;
  readonly window: JobWindow;
  /** Next fire time, epoch ms; undefined when there is none (see `unscheduledReason`). */
  readonly nextRunAt: UnixMillis | undefined;
  /** Why there is no next fire time. */
  readonly unscheduledReason?: string;
}

/** Counters of one job since the scheduler was created. */
export interface JobStats {
  readonly name: string;
  /** Runs started. */
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Due runs skipped because the previous run was still in flight. */
  readonly skippedOverlap: number;
  /** Due runs skipped because the timer woke later than the misfire grace. */
  readonly skippedMisfire: number;
  /** True while a run is in flight. */
  readonly running: boolean;
  readonly lastStartedAt?: UnixMillis;
  readonly lastFinishedAt?: UnixMillis;
  /** Message of the last failure. */
  readonly lastError?: string;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Time source and timers; tests pass a TestClock. */
  readonly clock: Clock;
  readonly calendar: KrxCalendar;
  readonly logger?: Logger;
  /** Receives skip / failure / unscheduled events (for the notifier). Its errors are logged, never thrown. */
  readonly onEvent?: (event: SchedulerEvent) => void;
  /**
   * A due run whose timer wakes more than this many ms after the fire time is skipped (MISFIRE)
   * instead of running late, e.g. after the machine slept through it. Default 60,000 ms.
   */
  readonly misfireGraceMs?: number;
}

/** Default misfire grace, ms. */
export const DEFAULT_MISFIRE_GRACE_MS = 60_000;

/**
 * Longest single timer, ms. A fire time further away is reached in steps: every step re-reads the
 * clock, which also keeps Node's 2^31−1 ms setTimeout limit out of the way.
 */
export const MAX_TIMER_STEP_MS = 3_600_000;

interface MutableStats {
  started: number;
  succeeded: number;
  failed: number;
  skippedOverlap: number;
  skippedMisfire: number;
  lastStartedAt?: UnixMillis;
  lastFinishedAt?: UnixMillis;
  lastError?: string;
}

interface Job {
  readonly name: string;
  readonly kind: JobKind;
  readonly cron?: string;
  readonly calendar: JobCalendar;
  readonly window: JobWindow;
  /** Next fire time strictly after `after` (epoch ms); may throw (calendar range). */
  readonly next: (after: number) => UnixMillis | undefined;
  readonly sessionOf: (at: number) => TradingSession | undefined;
  readonly run: (ctx: JobContext) => Promise<void>;
  timer: TimerHandle | undefined;
  nextRunAt: UnixMillis | undefined;
  unscheduledReason: string | undefined;
  running: { readonly startedAt: UnixMillis; readonly done: Promise<void> } | undefined;
  readonly stats: MutableStats;
}

function errorInfo(e: unknown): { name: string; message: string; code?: string } {
  if (e instanceof AppError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'NonError', message: String(e) };
}

/**
 * Runs jobs on the KRX calendar with an injected Clock. croner only computes fire times (in
 * Asia/Seoul); the timers are the clock's, so tests drive everything with TestClock.
 *
 * Rules:
 * - at most one run per job: a fire time that comes while the previous run is in flight is skipped
 *   (warn log, `skippedOverlap` counter, `JobSkipped{reason: OVERLAP}` event);
 * - a run's error is caught, logged, counted and reported (`JobFailed`); the job keeps its schedule;
 * - the next fire time is armed before a run starts, so the schedule never depends on the run;
 * - no catch-up: after a long pause, one late wake-up is skipped as MISFIRE (beyond the grace) and the
 *   schedule continues from the current time;
 * - calendar `trading-days` skips KRX closures (weekends, holidays, the year-end closure); window
 *   `session` keeps fire times inside `[open, close)` of the day's session, honouring late opens and
 *   CSAT hours;
 * - session hooks fire at every trading day's open and close instants.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #calendar: KrxCalendar;
  readonly #log: Logger;
  readonly #onEvent: ((event: SchedulerEvent) => void) | undefined;
  readonly #misfireGraceMs: number;
  readonly #jobs = new Map<string, Job>();
  #started = false;

  constructor(opts: SchedulerOptions) {
    this.#clock = opts.clock;
    this.#calendar = opts.calendar;
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'scheduler' });
    this.#onEvent = opts.onEvent;
    const grace = opts.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS;
    if (!Number.isSafeInteger(grace) || grace < 0) throw new InputError(`misfireGraceMs must be a whole number of ms >= 0, was ${grace}`);
    this.#misfireGraceMs = grace;
  }

  /**
   * Adds a cron job (armed at once when the scheduler is started).
   * @throws InputError when the name is empty or taken, or the pattern is invalid or never fires.
   */
  add(spec: JobSpec): void {
    const cron: CompiledCron = compileCron(spec.cron);
    const filter = { calendar: spec.calendar, window: spec.window };
    if (spec.calendar !== 'trading-days' && spec.calendar !== 'always') throw new InputError(`job ${spec.name}: unknown calendar ${String(spec.calendar)}`);
    if (spec.window !== 'session' && spec.window !== 'any') throw new InputError(`job ${spec.name}: unknown window ${String(spec.window)}`);
    this.#register({
      name: spec.name,
      kind: 'cron',
      cron: spec.cron,
      calendar: spec.calendar,
      window: spec.window,
      next: (after) => nextFireTime(cron, filter, this.#calendar, after),
      sessionOf: (at) => (spec.window === 'session' ? this.#calendar.session(kstDateOf(at)) : undefined),
      run: spec.run,
    });
  }

  /**
   * Adds a hook fired at every trading day's session open (continuous trading starts: 09:00 on a
   * regular day, 10:00 on the first trading day of the year and on CSAT day).
   * @throws InputError when the name is empty or taken.
   */
  onSessionOpen(name: string, fn: (session: TradingSession, ctx: JobContext) => Promise<void>): void {
    this.#addHook(name, 'open', fn);
  }

  /**
   * Adds a hook fired at every trading day's session close (end of the closing auction: 15:30 on a
   * regular day, 16:30 on CSAT day).
   * @throws InputError when the name is empty or taken.
   */
  onSessionClose(name: string, fn: (session: TradingSession, ctx: JobContext) => Promise<void>): void {
    this.#addHook(name, 'close', fn);
  }

  /** Arms every job from the current time. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const now = this.#clock.now();
    for (const job of this.#jobs.values()) this.#arm(job, now);
    this.#log.info({ jobs: [...this.#jobs.keys()] }, 'scheduler started');
  }

  /** Cancels every timer and resolves when the runs in flight have finished. Jobs can be started again. */
  async stop(): Promise<void> {
    this.#started = false;
    const inFlight: Promise<void>[] = [];
    for (const job of this.#jobs.values()) {
      job.timer?.cancel();
      job.timer = undefined;
      job.nextRunAt = undefined;
      if (job.running) inFlight.push(job.running.done);
    }
    await Promise.all(inFlight);
    this.#log.info('scheduler stopped');
  }

  /**
   * Each job's next fire time (epoch ms), honouring its calendar filter. When started, the armed time;
   * otherwise computed from the clock's current time (what `hantu jobs` shows without a daemon).
   */
  nextRuns(): JobNextRun[] {
    const now = this.#clock.now();
    return [...this.#jobs.values()].map((job) => {
      let nextRunAt = job.nextRunAt;
      let unscheduledReason = job.unscheduledReason;
      if (!this.#started) {
        const r = this.#computeNext(job, now);
        nextRunAt = r.at;
        unscheduledReason = r.reason;
      }
      return {
        name: job.name,
        kind: job.kind,
        ...(job.cron === undefined ? {} : { cron: job.cron }),
        calendar: job.calendar,
        window: job.window,
        nextRunAt,
        ...(unscheduledReason === undefined ? {} : { unscheduledReason }),
      };
    });
  }

  /** Counters of every job. */
  stats(): JobStats[] {
    return [...this.#jobs.values()].map((job) => ({ name: job.name, ...job.stats, running: job.running !== undefined }));
  }

  #addHook(name: string, edge: SessionEdge, fn: (session: TradingSession, ctx: JobContext) => Promise<void>): void {
    const sessionOf = (at: number): TradingSession | undefined => this.#calendar.session(kstDateOf(at));
    this.#register({
      name,
      kind: edge === 'open' ? 'session-open' : 'session-close',
      calendar: 'trading-days',
      window: 'any',
      next: (after) => nextSessionEdge(this.#calendar, edge, after),
      sessionOf,
      run: async (ctx) => {
        if (ctx.session === undefined) throw new InputError(`no session on ${kstDateOf(ctx.scheduledAt)} for hook ${name}`);
        await fn(ctx.session, ctx);
      },
    });
  }

  #register(def: Omit<Job, 'timer' | 'nextRunAt' | 'unscheduledReason' | 'running' | 'stats'>): void {
    if (typeof def.name !== 'string' || def.name.trim() === '') throw new InputError('a job needs a non-empty name');
    if (this.#jobs.has(def.name)) throw new InputError(`a job named ${def.name} already exists`, { job: def.name });
    const job: Job = {
      ...def,
      timer: undefined,
      nextRunAt: undefined,
      unscheduledReason: undefined,
      running: undefined,
      stats: { started: 0, succeeded: 0, failed: 0, skippedOverlap: 0, skippedMisfire: 0 },
    };
    this.#jobs.set(def.name, job);
    if (this.#started) this.#arm(job, this.#clock.now());
  }

  #computeNext(job: Job, after: number): { at: UnixMillis | undefined; reason: string | undefined } {
    try {
      const at = job.next(after);
      return at === undefined ? { at, reason: 'no fire time inside the calendar filter within 400 days' } : { at, reason: undefined };
    } catch (e) {
      return { at: undefined, reason: errorInfo(e).message };
    }
  }

  #arm(job: Job, after: number): void {
    const { at, reason } = this.#computeNext(job, after);
    job.nextRunAt = at;
    job.unscheduledReason = reason;
    if (at === undefined) {
      this.#log.error({ job: job.name, reason }, 'job has no next fire time and will not run again');
      this.#emit({ type: 'JobUnscheduled', job: job.name, reason: reason ?? 'unknown', ts: this.#clock.now() });
      return;
    }
    this.#setWake(job, at);
  }

  #setWake(job: Job, at: UnixMillis): void {
    const delay = Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_STEP_MS);
    job.timer = this.#clock.setTimer(delay, () => {
      job.timer = undefined;
      if (!this.#started) return;
      if (this.#clock.now() < at) this.#setWake(job, at);
      else this.#fire(job, at);
    });
  }

  #fire(job: Job, scheduledAt: UnixMillis): void {
    const now = this.#clock.now();
    // The next fire time first, from now at the earliest: no catch-up bursts, and the schedule
    // survives whatever this run does.
    this.#arm(job, Math.max(scheduledAt, now));
    if (now - scheduledAt > this.#misfireGraceMs) {
      this.#skip(job, scheduledAt, 'MISFIRE');
      return;
    }
    if (job.running) {
      this.#skip(job, scheduledAt, 'OVERLAP', job.running.startedAt);
      return;
    }
    this.#execute(job, scheduledAt);
  }

  #skip(job: Job, scheduledAt: UnixMillis, reason: JobSkipReason, runningSince?: UnixMillis): void {
    if (reason === 'OVERLAP') job.stats.skippedOverlap++;
    else job.stats.skippedMisfire++;
    const lateMs = this.#clock.now() - scheduledAt;
    this.#log.warn({ job: job.name, scheduledAt, reason, runningSince, lateMs }, 'job run skipped');
    this.#emit({
      type: 'JobSkipped',
      job: job.name,
      scheduledAt,
      reason,
      ...(runningSince === undefined ? {} : { runningSince }),
      ts: this.#clock.now(),
    });
  }

  #execute(job: Job, scheduledAt: UnixMillis): void {
    const startedAt = this.#clock.now();
    job.stats.started++;
    job.stats.lastStartedAt = startedAt;
    let session: TradingSession | undefined;
    try {
      session = job.sessionOf(scheduledAt);
    } catch {
      session = undefined;
    }
    const ctx: JobContext = { job: job.name, scheduledAt, startedAt, session };
    this.#log.debug({ job: job.name, scheduledAt }, 'job run started');
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const running = { startedAt, done };
    job.running = running;
    // The body runs synchronously up to the job's first await, so a job's own timers (clock.sleep)
    // are registered in the same tick as the fire. The promise never rejects: errors end here.
    void (async (): Promise<void> => {
      try {
        await job.run(ctx);
        job.stats.succeeded++;
        this.#log.debug({ job: job.name, scheduledAt, durationMs: this.#clock.now() - startedAt }, 'job run finished');
      } catch (e) {
        const error = errorInfo(e);
        const durationMs = this.#clock.now() - startedAt;
        job.stats.failed++;
        job.stats.lastError = error.message;
        this.#log.error({ job: job.name, scheduledAt, durationMs, err: e }, 'job run failed');
        this.#emit({ type: 'JobFailed', job: job.name, scheduledAt, error, durationMs, ts: this.#clock.now() });
      } finally {
        job.stats.lastFinishedAt = this.#clock.now();
        if (job.running === running) job.running = undefined;
        finish();
      }
    })();
  }

  #emit(event: SchedulerEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch (e) {
      this.#log.error({ err: e, eventType: event.type }, 'scheduler event listener threw');
    }
  }
}
