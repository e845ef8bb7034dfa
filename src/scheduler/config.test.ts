import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { kstInstant } from '../core/kst.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { checkScheduleFitsSessions, jobSpecsFromConfig, SchedulerConfigSchema, schedulerConfigFromEnv } from './config.ts';

const calendar = new KrxCalendar();

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('scheduler config from the environment', () => {
  it('has the documented defaults', () => {
    expect(schedulerConfigFromEnv({})).toEqual({
      balance: { cron: '0 8 * * 1-5', calendar: 'trading-days', window: 'any' },
      strategy: { cron: '*/10 * * * *', calendar: 'trading-days', window: 'session' },
      priceUpdate: { cron: '*/5 * * * *', calendar: 'trading-days', window: 'session' },
    });
    expect(SchedulerConfigSchema.parse({})).toEqual(schedulerConfigFromEnv({}));
  });

  it('reads SCHEDULE_* variables and ignores everything else', () => {
    const cfg = schedulerConfigFromEnv({
      SCHEDULE_BALANCE_CRON: ' 30 7 * * 1-5 ',
      SCHEDULE_BALANCE_CALENDAR: 'always',
      SCHEDULE_STRATEGY_CRON: '0 */15 * * * *', // six fields, seconds first
      SCHEDULE_PRICE_UPDATE_WINDOW: 'any',
      PATH: '/usr/bin',
    });
    expect(cfg.balance).toEqual({ cron: '30 7 * * 1-5', calendar: 'always', window: 'any' });
    expect(cfg.strategy.cron).toBe('0 */15 * * * *');
    expect(cfg.priceUpdate).toEqual({ cron: '*/5 * * * *', calendar: 'trading-days', window: 'any' });
  });

  it('names every invalid variable in one ConfigError', () => {
    const e = configError(() =>
      schedulerConfigFromEnv({
        SCHEDULE_STRATEGY_CRON: '*/10 * * *',
        SCHEDULE_PRICE_UPDATE_CRON: '99 * * * *',
        SCHEDULE_BALANCE_WINDOW: 'morning',
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.disposition).toBe('fatal');
    expect(e.issues.map((i) => i.path).sort()).toEqual(['SCHEDULE_BALANCE_WINDOW', 'SCHEDULE_PRICE_UPDATE_CRON', 'SCHEDULE_STRATEGY_CRON']);
    expect(e.issues.find((i) => i.path === 'SCHEDULE_STRATEGY_CRON')?.message).toMatch(/invalid cron pattern "\*\/10 \* \* \*"/);
    expect(e.message).toContain('SCHEDULE_PRICE_UPDATE_CRON');
  });

  it('rejects an empty value and a pattern that never fires', () => {
    expect(configError(() => schedulerConfigFromEnv({ SCHEDULE_BALANCE_CRON: '' })).issues[0]).toEqual({
      path: 'SCHEDULE_BALANCE_CRON',
      message: expect.stringMatching(/empty cron pattern/),
    });
    expect(configError(() => schedulerConfigFromEnv({ SCHEDULE_BALANCE_CRON: '0 0 30 2 *' })).issues[0]?.message).toMatch(/never fires/);
  });

  it('"off" disables a job, which then has no spec', () => {
    const cfg = schedulerConfigFromEnv({ SCHEDULE_PRICE_UPDATE_CRON: 'off' });
    expect(cfg.priceUpdate.cron).toBeNull();
    const run = async () => {};
    const specs = jobSpecsFromConfig(cfg, { balance: run, strategy: run, priceUpdate: run });
    expect(specs.map((s) => [s.name, s.cron, s.calendar, s.window])).toEqual([
      ['balance', '0 8 * * 1-5', 'trading-days', 'any'],
      ['strategy', '*/10 * * * *', 'trading-days', 'session'],
    ]);
  });
});

describe('checkScheduleFitsSessions', () => {
  const now = kstInstant('2026-03-03', '12:00');

  it('accepts the defaults', () => {
    expect(() => checkScheduleFitsSessions(schedulerConfigFromEnv({}), calendar, now)).not.toThrow();
  });

  it('reports a session-window job whose pattern never falls inside a session', () => {
    const cfg = schedulerConfigFromEnv({ SCHEDULE_STRATEGY_CRON: '0 20 * * *', SCHEDULE_BALANCE_CRON: '0 8 * * 0' });
    const e = configError(() => checkScheduleFitsSessions(cfg, calendar, now));
    expect(e.issues.map((i) => i.path)).toEqual(['SCHEDULE_BALANCE_CRON', 'SCHEDULE_STRATEGY_CRON']); // Sundays never trade
    expect(e.issues[1]?.message).toMatch(/never fires inside its filter \(calendar=trading-days, window=session\)/);
  });
});
