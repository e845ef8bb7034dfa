/**
 * Error taxonomy (DESIGN.md §5). Business outcomes are events, not exceptions; every thrown error
 * carries a stable `code` (UPPER_SNAKE) and a `disposition` telling the caller what to do:
 * - `fatal`: stop trading and alert a human (bad config, invalid credentials, broken invariant).
 * - `retryable`: safe to retry with bounded backoff (queries, token refresh).
 * - `outcome-unknown`: a command may have reached the venue; never resend, reconcile instead.
 * - `rejected`: the venue definitively refused.
 */
export type Disposition = 'fatal' | 'retryable' | 'outcome-unknown' | 'rejected';

export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly disposition: Disposition;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Readonly<Record<string, unknown>> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** A broken internal invariant: a bug. Codes such as `ORDER_INVALID_TRANSITION`, `ASSERTION_FAILED`. */
export class InvariantError extends AppError {
  readonly disposition = 'fatal' as const;
  constructor(
    readonly code: string,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, context);
  }
}

/** One problem of a configuration, with the dotted path of the offending key. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Invalid configuration, raised before any network call. Lists every wrong key. */
export class ConfigError extends AppError {
  readonly code = 'CONFIG_INVALID';
  readonly disposition = 'fatal' as const;
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      { issues },
    );
  }
}

/** Invalid user input at an entry point (CLI argument, API request). */
export class InputError extends AppError {
  readonly code = 'INPUT_INVALID';
  readonly disposition = 'rejected' as const;
}

/** Throws `InvariantError(ASSERTION_FAILED)` when `cond` is false. */
export function assert(cond: unknown, message: string, context?: Record<string, unknown>): asserts cond {
  if (!cond) throw new InvariantError('ASSERTION_FAILED', message, context);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new InvariantError('ASSERTION_FAILED', `unexpected ${what}: ${JSON.stringify(x)}`);
}
