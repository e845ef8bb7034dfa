import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { CHAOS_FAULT_KINDS, type ChaosFaultKind } from '../../node/chaos-plan.ts';
import { runChaos, STRATEGY_NAMES } from '../../node/chaos-node.ts';
import { configFrom, loggerFor } from '../session.ts';

interface ChaosFlags {
  days?: string;
  seed?: string;
  from?: string;
  speed?: string;
  strategy?: string;
  strategyConfig?: string;
  faults?: string;
  faultsPerDay?: string;
  killChance?: string;
  killMode?: string;
  killWindow?: string;
}

function int(v: string | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new InputError(`${what} must be a whole number >= ${min}, was "${v}"`);
  return n;
}

/**
 * `hantu chaos --days N --seed S` (issue 4 §4): N replayed sessions on the twin with seeded random faults
 * (disconnects, refused reconnects, lost / duplicated / delayed notices, 5xx and EGW00201 bursts, lost
 * order answers, token expiry, kill -9 and restart of the node) while the node trades; each day ends with
 * the ledger compared with the twin's account. Prints per day the faults injected and the differences
 * found, then `days=N faults=F divergences=D duplicate_orders=K lost_fills=L`; exit code 1 when any of
 * the last three is not zero.
 */
export function registerChaos(program: Command): void {
  program
    .command('chaos')
    .description('replay N sessions on the twin with seeded faults (kill -9 included) and compare the ledger with the twin each day')
    .requiredOption('--days <n>', 'number of consecutive replayed sessions')
    .option('--seed <n>', 'seed of the fault plan: the same seed gives the same plan', '1')
    .option('--from <date>', 'first session (default: the latest N sessions of the shipped data)')
    .option('--speed <n>', 'simulated seconds per real second (default 1000: a 6.5-hour session in ~25 s)')
    .option('--strategy <name>', 'the built-in strategy the node trades besides its stop-loss / take-profit exits, or none', 'dca')
    .option('--strategy-config <json|file>', 'configuration of --strategy')
    .option('--faults <kinds>', `comma-separated fault kinds to draw from (default all): ${CHAOS_FAULT_KINDS.filter((k) => k !== 'kill-9').join(',')}`)
    .option('--faults-per-day <min-max>', 'faults per day besides kills (default 3-6)')
    .option('--kill-chance <p>', 'chance of a kill -9 on a day, 0..1 (default 0.5; a campaign always has at least one)')
    .option('--kill-mode <mode>', 'timed (at a random instant), next-order (inside the next order the node sends), mixed (timed or next-order) or next-modify (inside the next re-price the node sends)', 'mixed')
    .option('--kill-window <min-max>', 'minutes after the open within which a kill is armed (default: timed 10 .. close − 90, next order 2 .. close − 120); 0-1 arms next-order kills for the exits at the open')
    .action(async (f: ChaosFlags) => {
      const days = int(f.days, '--days', 1)!;
      const seed = int(f.seed, '--seed', 0)!;
      if (seed > 0xffff_ffff) throw new InputError(`--seed must be < 2^32, was ${seed}`);
      const speed = f.speed === undefined ? 1000 : Number(f.speed);
      if (!Number.isFinite(speed) || speed <= 0) throw new InputError(`--speed must be a positive number, was "${f.speed}"`);
      let kinds: Exclude<ChaosFaultKind, 'kill-9'>[] | undefined;
      if (f.faults !== undefined) {
        kinds = [];
        for (const k of f.faults.split(',').map((s) => s.trim()).filter(Boolean)) {
          if (k === 'kill-9') throw new InputError('--faults: kill-9 is governed by --kill-chance');
          if (!(CHAOS_FAULT_KINDS as readonly string[]).includes(k)) throw new InputError(`--faults: unknown fault "${k}" (known: ${CHAOS_FAULT_KINDS.join(', ')})`);
          kinds.push(k as Exclude<ChaosFaultKind, 'kill-9'>);
        }
      }
      let faultsPerDay: { min: number; max: number } | undefined;
      if (f.faultsPerDay !== undefined) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(f.faultsPerDay);
        if (!m) throw new InputError(`--faults-per-day must be N or MIN-MAX, was "${f.faultsPerDay}"`);
        faultsPerDay = { min: Number(m[1]), max: Number(m[2] ?? m[1]) };
        if (faultsPerDay.max < faultsPerDay.min) throw new InputError('--faults-per-day: MAX must be >= MIN');
      }
      let killWindowMin: [number, number] | undefined;
      if (f.killWindow !== undefined) {
        const m = /^(\d+)-(\d+)$/.exec(f.killWindow);
        if (!m || Number(m[2]) < Number(m[1]) || Number(m[2]) > 390) throw new InputError(`--kill-window must be MIN-MAX minutes after the open (0..390, MIN <= MAX), was "${f.killWindow}"`);
        killWindowMin = [Number(m[1]), Number(m[2])];
      }
      const killChance = f.killChance === undefined ? undefined : Number(f.killChance);
      if (killChance !== undefined && !(killChance >= 0 && killChance <= 1)) throw new InputError(`--kill-chance must be within 0..1, was "${f.killChance}"`);
      const strategy = f.strategy === 'none' ? undefined : f.strategy;
      const killMode = f.killMode ?? 'mixed';
      if (killMode !== 'timed' && killMode !== 'next-order' && killMode !== 'next-modify' && killMode !== 'mixed') throw new InputError(`--kill-mode must be timed, next-order, next-modify or mixed, was "${killMode}"`);
      if (f.strategyConfig !== undefined && !strategy) throw new InputError('--strategy-config goes with --strategy');
      if (strategy !== undefined && !(STRATEGY_NAMES as readonly string[]).includes(strategy)) throw new InputError(`--strategy: unknown strategy "${strategy}" (known: ${STRATEGY_NAMES.join(', ')}, or none)`);
      const quiet = program.opts<{ logLevel?: string }>().logLevel === undefined && !process.env['LOG_LEVEL'] ? { logLevel: 'error' } : {};
      const config = configFrom(program, { ...quiet });
      const logger = loggerFor(config);
      const r = await runChaos({
        config,
        logger,
        days,
        seed,
        from: f.from,
        speed,
        databaseUrl: process.env['DATABASE_URL'] || undefined,
        strategy,
        strategyConfig: f.strategyConfig,
        plan: { killMode, ...(kinds ? { kinds } : {}), ...(faultsPerDay ? { faultsPerDay } : {}), ...(killChance !== undefined ? { killChance } : {}), ...(killWindowMin ? { killWindowMin } : {}) },
      });
      if (r.divergences + r.duplicateOrders + r.lostFills > 0) process.exitCode = 1;
    });
}
