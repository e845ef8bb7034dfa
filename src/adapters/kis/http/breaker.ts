import {
  CircuitState,
  CountBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IBreaker,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import type { Clock } from '../../../core/clock.ts';
import { isBreakerFailure } from '../common/errors.ts';

/** Circuit-breaker settings (see `KisConfig.circuitBreaker`). */
export interface BreakerSettings {
  readonly windowSize: number;
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly halfOpenTrials: number;
}

/**
 * Half-open timing on the injected clock. cockatiel decides "may we try again?" with
 * `Date.now() - openedAt < backoff.duration`; this backoff's `duration` is 0 once `openMs` have passed
 * on OUR clock and +∞ before, so `Date.now()` no longer matters and tests drive it with `TestClock`.
 */
class ClockHalfOpenAfter implements IBackoffFactory<IHalfOpenAfterBackoffContext> {
  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}
  next(): IBackoff<IHalfOpenAfterBackoffContext> {
    const openedAt = this.clock.now();
    const clock = this.clock;
    const ms = this.ms;
    return {
      get duration(): number {
        return clock.now() - openedAt >= ms ? 0 : Number.POSITIVE_INFINITY;
      },
      next: () => this.next(),
    };
  }
}

/**
 * cockatiel's `CountBreaker` (a count-based sliding window: opens when more than `threshold` of the
 * last `size` calls failed, once `size` calls were seen) plus a probation of `halfOpenTrials` calls.
 * cockatiel lets exactly ONE trial call through in half-open and closes on its success; we keep the
 * circuit on probation for the next `halfOpenTrials - 1` calls and re-open on any failure among them,
 * which gives "N half-open trials" on top of what cockatiel offers.
 */
class ProbationCountBreaker implements IBreaker {
  private readonly inner: CountBreaker;
  private probation = 0;
  constructor(
    settings: BreakerSettings,
  ) {
    this.inner = new CountBreaker({ threshold: settings.failureThreshold, size: settings.windowSize, minimumNumberOfCalls: settings.windowSize });
    this.trials = settings.halfOpenTrials;
  }
  private readonly trials: number;
  get state(): unknown {
    return { inner: this.inner.state, probation: this.probation };
  }
  set state(value: unknown) {
    const v = value as { inner: unknown; probation: number };
    this.inner.state = v.inner;
    this.probation = v.probation;
  }
  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.probation = this.trials - 1;
    else if (this.probation > 0) this.probation--;
    this.inner.success(state);
  }
  failure(state: CircuitState): boolean {
    const open = this.inner.failure(state);
    if (state === CircuitState.HalfOpen) return true;
    if (this.probation > 0) {
      this.probation = 0;
      return true;
    }
    return open;
  }
}

/**
 * Builds one circuit breaker. Only transport-level failures count (`isBreakerFailure`: timeouts, socket
 * errors, HTTP errors without a business envelope, gateway "server trouble" codes); business refusals
 * and rate-limit answers do not. When open, `execute` throws cockatiel's `BrokenCircuitError`.
 */
export function createBreaker(settings: BreakerSettings, clock: Clock): CircuitBreakerPolicy {
  return circuitBreaker(
    handleWhen((err) => isBreakerFailure(err)),
    { halfOpenAfter: new ClockHalfOpenAfter(clock, settings.openMs), breaker: new ProbationCountBreaker(settings) },
  );
}
