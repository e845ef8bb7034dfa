import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { bindStrategies } from './registry.ts';

describe('bindStrategies', () => {
  it('binds the built-in strategies by name, with instance ids', () => {
    const bound = bindStrategies([
      { strategy: 'dca', id: 'dca-weekly', config: { instruments: [{ code: '005930', amountKrw: 1_000_000 }] } },
      { strategy: 'rebalance', config: { targets: [{ code: '005930', weightBps: 9_000 }], cashWeightBps: 1_000 } },
      { strategy: 'stop-take', config: { stopLossPct: 5 } },
      { strategy: 'vwap-atr-bands', config: { instruments: [{ code: '005930', budgetKrw: 1_000_000 }] } },
    ]);
    expect(bound.map((b) => [b.id, b.name, b.needsMinuteBars])).toEqual([
      ['dca-weekly', 'dca', false],
      ['rebalance', 'rebalance', false],
      ['stop-take', 'stop-take', false],
      ['vwap-atr-bands', 'vwap-atr-bands', true],
    ]);
  });

  it('reports every problem at once, with paths', () => {
    try {
      bindStrategies([
        { strategy: 'martingale', config: {} },
        { strategy: 'dca', config: { instruments: [{ code: '5930', amountKrw: 1 }], periodd: 'WEEK' } },
        { strategy: 'dca', config: { instruments: [{ code: '005930', amountKrw: 1 }] } },
        { strategy: 'dca', config: { instruments: [{ code: '005930', amountKrw: 1 }] } },
      ]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toContain('strategies.0.strategy');
      expect(paths).toContain('strategies.dca.instruments.0.code');
      expect(paths).toContain('strategies.dca');
      expect(paths).toContain('strategies.2.id');
    }
  });
});
