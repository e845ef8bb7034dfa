import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { loadConfig } from './load.ts';

describe('loadConfig', () => {
  it('applies defaults, then file, then env, then overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ sim: { speed: 10, seed: 7 }, fees: { sellTaxBps: 18 } }));
    const cfg = loadConfig({ env: { HANTU__SIM__SPEED: '60', HANTU_DATA_DIR: '/tmp/x' }, file, overrides: { sim: { at: '10:00' } } });
    expect(cfg.sim).toMatchObject({ speed: 60, seed: 7, at: '10:00' });
    expect(cfg.fees).toEqual({ commissionBps: 1.40527, sellTaxBps: 18 });
    expect(cfg.dataDir).toBe('/tmp/x');
    expect(Object.isFrozen(cfg.sim)).toBe(true);
  });
  it('names every wrong key with its path', () => {
    let err: unknown;
    try {
      loadConfig({ env: { HANTU__SIM__SPEED: '-1', HANTU__SIM__AT: '25:00', HANTU__SIM__BOGUS: 'x', HANTU__FEES__SELL_TAX_BPS: 'lots' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['fees.sellTaxBps', 'sim.at', 'sim.bogus', 'sim.speed']);
    expect((err as ConfigError).message).toContain('sim.bogus');
  });
  it('a monitor key from the environment keeps the default exit rule; a bad value is named with its path', () => {
    const cfg = loadConfig({ env: { HANTU__MONITOR__EXIT_WRITE_AHEAD: 'ledger' } });
    expect(cfg.monitor.exitWriteAhead).toBe('ledger');
    expect(cfg.monitor.default.thresholds).toEqual({ type: 'percent', stopLossPct: 3, takeProfitPct: 5 });
    expect(loadConfig({ env: {} }).monitor.exitWriteAhead).toBe('intent-log');
    let err: unknown;
    try {
      loadConfig({ env: { HANTU__MONITOR__EXIT_WRITE_AHEAD: 'never' } });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['monitor.exitWriteAhead']);
    expect(loadConfig({ env: { HANTU__MONITOR__EXIT_INTENT_FLUSH: 'after-send' } }).monitor.exitIntentFlush).toBe('after-send');
    expect(() => loadConfig({ env: { HANTU__MONITOR__EXIT_INTENT_FLUSH: 'later' } })).toThrow(/monitor\.exitIntentFlush/);
  });
});
