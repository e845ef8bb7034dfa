import type { TestClock } from '../../src/core/clock.ts';

/**
 * Polls `cond` while letting I/O run (setImmediate turns, no wall-clock sleeps) and optionally moving a
 * TestClock forward by `stepMs` per turn. Throws with `what` when `cond` is still false after `turns`.
 */
export async function eventually(cond: () => boolean, what: string, opts: { clock?: TestClock; stepMs?: number; turns?: number } = {}): Promise<void> {
  const turns = opts.turns ?? 5_000;
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    if (opts.clock && opts.stepMs) await opts.clock.advanceAsync(opts.stepMs);
    else await new Promise((r) => setImmediate(r));
  }
  if (!cond()) throw new Error(`condition not reached: ${what}`);
}
