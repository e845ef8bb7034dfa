import type { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';

/**
 * Drives a TestClock for end-to-end tests over real loopback sockets: simulated time moves in steps,
 * and before each step I/O gets turns of the event loop until the daemon's work has completed
 * (bounded), so a slow machine does not turn a 2 ms round trip into minutes of simulated time.
 * No wall-clock sleeps.
 */
export const simDriver = {
  /** HTTP requests the daemon has on the wire (time stands still while there are any). */
  inFlight: (): number => 0,
  /** Queued work that may itself wait on the simulated clock (given up to 200 turns per step). */
  busy: (): number => 0,
  reset(): void {
    simDriver.inFlight = () => 0;
    simDriver.busy = () => 0;
  },
};

let warmed: Promise<unknown> | undefined;
/**
 * The daemon imports the twin's servers and the database drivers lazily (memory); loading a module
 * takes wall time, during which the stepping clock would run on for simulated minutes. They are loaded
 * once, before simulated time first moves.
 */
function warmLazyModules(): Promise<unknown> {
  warmed ??= Promise.all([import('../../src/sim/twin.ts'), import('@electric-sql/pglite'), import('pg')]);
  return warmed;
}

async function turn(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** Advances simulated time in `stepMs` steps until `done()`; throws naming `what` after `maxSimMs`. */
export async function drive(clock: TestClock, done: () => boolean, what: string, maxSimMs = 3_600_000, stepMs = 250): Promise<void> {
  await warmLazyModules();
  const limit = clock.now() + maxSimMs;
  while (!done()) {
    if (clock.now() >= limit) throw new Error(`not reached within ${maxSimMs / 1000} simulated s: ${what}`);
    for (let i = 0; i < 4 || (simDriver.inFlight() > 0 && i < 20_000) || (simDriver.busy() > 0 && i < 200); i++) await turn();
    await clock.advanceAsync(stepMs);
  }
}

/** Drives the clock until the promise settles and returns its value (or throws its error). */
export async function settle<T>(clock: TestClock, p: Promise<T>, what: string): Promise<T> {
  let state: { ok: true; v: T } | { ok: false; e: unknown } | undefined;
  p.then(
    (v) => (state = { ok: true, v }),
    (e: unknown) => (state = { ok: false, e }),
  );
  await drive(clock, () => state !== undefined, what, 600_000, 100);
  if (!state!.ok) throw state!.e;
  return state!.v;
}

/**
 * Fails when a day started before the open (`at`, KST HH:MM[:SS] on `day`) has already reached it:
 * simulated time moves on while a start's I/O is in flight, and a fault or halt a test sets right
 * after the start would then miss the first ticks (a flaky test rather than a failing one).
 * @throws Error naming the simulated time the start ended at
 */
export function assertStartedBeforeOpen(clock: TestClock, day: string, at: string): void {
  const open = kstInstant(day, '09:00');
  if (kstInstant(day, at.slice(0, 5)) < open && clock.now() >= open) {
    throw new Error(`the start (from ${at}) ran past the 09:00 open (simulated ${new Date(clock.now()).toISOString()}): start earlier`);
  }
}
