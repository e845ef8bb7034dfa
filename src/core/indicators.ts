/**
 * The technical-indicator library (`trading-signals`), loaded on first need. Importing it costs the
 * process ~7 MB of memory (measured with the daemon's module graph, issue 3), which a daemon whose exit
 * rules are percentages and whose strategies use no indicator never pays. Whoever computes an
 * indicator awaits `loadIndicators()` first, once (the monitor at start when a rule uses the ATR, the
 * strategy runner before a strategy with `needsIndicators`); the computations themselves stay
 * synchronous.
 */
import type * as TradingSignals from 'trading-signals';
import { InvariantError } from './errors.ts';

let lib: typeof TradingSignals | undefined;

/** Loads the library (idempotent, cheap after the first call). */
export async function loadIndicators(): Promise<void> {
  lib ??= await import('trading-signals');
}

/**
 * The loaded library.
 * @throws InvariantError(INDICATORS_NOT_LOADED) before `loadIndicators()` resolved (a wiring bug)
 */
export function indicatorLibrary(): typeof TradingSignals {
  if (lib === undefined) throw new InvariantError('INDICATORS_NOT_LOADED', 'the indicator library is not loaded: await loadIndicators() before computing an indicator');
  return lib;
}
