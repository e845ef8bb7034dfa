import type { UnixMillis } from '../core/brand.ts';

/**
 * Scheduler events, for the notifier and the dashboard. Past tense, discriminated by `type`; instants
 * in epoch ms. They never carry secrets: only the job name, instants and the error's name/message/code.
 */

/** Why a due run did not start. */
export type JobSkipReason =
  /** The previous run of the same job was still in flight (at most one instance per job). */
  | 'OVERLAP'
  /** The timer woke more than the misfire grace after the fire time (process paused, machine asleep). */
  | 'MISFIRE';

/** A due run was skipped; the job keeps its schedule. */
export interface JobSkipped {
  readonly type: 'JobSkipped';
  readonly job: string;
  /** The fire time that was skipped, epoch ms. */
  readonly scheduledAt: UnixMillis;
  readonly reason: JobSkipReason;
  /** For OVERLAP: when the run still in flight started, epoch ms. */
  readonly runningSince?: UnixMillis;
  /** When the skip was decided, epoch ms. */
  readonly ts: UnixMillis;
}

/** A run threw or rejected. The error was caught and counted; the job keeps its schedule. */
export interface JobFailed {
  readonly type: 'JobFailed';
  readonly job: string;
  readonly scheduledAt: UnixMillis;
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
  /** How long the run took before it failed, ms. */
  readonly durationMs: number;
  readonly ts: UnixMillis;
}

/**
 * No next fire time could be computed: the pattern has no match inside its filter within the search
 * horizon, or the KRX calendar cannot answer for the dates searched (outside its supported years, or a
 * missing CSAT date). The job will not fire again until the scheduler is restarted.
 */
export interface JobUnscheduled {
  readonly type: 'JobUnscheduled';
  readonly job: string;
  readonly reason: string;
  readonly ts: UnixMillis;
}

/** Every scheduler event. */
export type SchedulerEvent = JobSkipped | JobFailed | JobUnscheduled;
