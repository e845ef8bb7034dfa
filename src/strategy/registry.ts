/**
 * The built-in strategies by name, and binding a list of configured instances (what the composition
 * root does with the `strategies` section of the configuration).
 */
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { dcaStrategy } from './strategies/dca/dca.ts';
import { rebalanceStrategy } from './strategies/rebalance/rebalance.ts';
import { createStopTakeStrategy, type ExitEvaluator } from './strategies/stop-take/stop-take.ts';
import { vwapAtrBandsStrategy } from './strategies/vwap-atr-bands/vwap-atr-bands.ts';
import { bindStrategy, type BoundStrategy } from './strategy.ts';

/** Names of the built-in strategies. */
export const STRATEGY_NAMES = ['dca', 'rebalance', 'stop-take', 'vwap-atr-bands'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** One configured strategy instance: which strategy, its instance id (default: the name) and its raw config. */
export interface StrategyInstanceConfig {
  readonly strategy: string;
  readonly id?: string;
  readonly config: unknown;
}

/**
 * Binds every instance, collecting every problem before failing.
 * @param opts.exitEvaluator the monitor's rule evaluation for `stop-take` (without it, the built-in percent rule)
 * @throws ConfigError listing unknown strategy names, duplicate ids and every invalid config key
 */
export function bindStrategies(instances: readonly StrategyInstanceConfig[], opts: { exitEvaluator?: ExitEvaluator } = {}): BoundStrategy[] {
  const issues: ConfigIssue[] = [];
  const out: BoundStrategy[] = [];
  const ids = new Set<string>();
  instances.forEach((inst, i) => {
    const id = inst.id ?? inst.strategy;
    if (ids.has(id)) issues.push({ path: `strategies.${i}.id`, message: `duplicate strategy id "${id}"` });
    ids.add(id);
    try {
      switch (inst.strategy) {
        case 'dca':
          out.push(bindStrategy(dcaStrategy, inst.config, id));
          break;
        case 'rebalance':
          out.push(bindStrategy(rebalanceStrategy, inst.config, id));
          break;
        case 'stop-take':
          out.push(bindStrategy(createStopTakeStrategy(opts.exitEvaluator === undefined ? {} : { evaluator: opts.exitEvaluator }), inst.config, id));
          break;
        case 'vwap-atr-bands':
          out.push(bindStrategy(vwapAtrBandsStrategy, inst.config, id));
          break;
        default:
          issues.push({ path: `strategies.${i}.strategy`, message: `unknown strategy "${inst.strategy}" (known: ${STRATEGY_NAMES.join(', ')})` });
      }
    } catch (e) {
      if (e instanceof ConfigError) issues.push(...e.issues);
      else throw e;
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}
