import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { kstInstant, kstParts } from '../core/kst.ts';
import { kstDate } from '../core/kst.ts';
import { listScheduledJobs } from './jobs-node.ts';

const hhmm = (ms: number) => {
  const p = kstParts(ms);
  return `${p.date} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

describe('listScheduledJobs (hantu jobs)', () => {
  it('defaults across the year-end closure and the late open of the first trading day', () => {
    const now = kstInstant(kstDate('2025-12-30'), '16:00'); // after the last session of 2025
    const jobs = listScheduledJobs({ env: {}, now, count: 2 });
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect([...byName.keys()].sort()).toEqual(['balance', 'price-update', 'session-close', 'session-open', 'strategy']);
    // 12-31 is the KRX year-end closure, 2026-01-01 a holiday; 2026-01-02 opens at 10:00
    expect(byName.get('balance')!.nextRuns.map(hhmm)).toEqual(['2026-01-02 08:00', '2026-01-05 08:00']);
    expect(byName.get('strategy')!.nextRuns.map(hhmm)).toEqual(['2026-01-02 10:00', '2026-01-02 10:10']);
    expect(byName.get('session-open')!.nextRuns.map(hhmm)).toEqual(['2026-01-02 10:00', '2026-01-05 09:00']);
    expect(byName.get('session-close')!.nextRuns.map(hhmm)).toEqual(['2026-01-02 15:30', '2026-01-05 15:30']);
    expect(byName.get('strategy')!.source).toBe('default');
  });

  it('reads SCHEDULE_*_CRON; "off" disables a job; a bad pattern names its variable', () => {
    const now = kstInstant(kstDate('2026-02-10'), '09:01');
    const jobs = listScheduledJobs({ env: { SCHEDULE_STRATEGY_CRON: '30 14 * * *', SCHEDULE_PRICE_UPDATE_CRON: 'off' }, now, count: 2 });
    const s = jobs.find((j) => j.name === 'strategy')!;
    expect(s.source).toBe('SCHEDULE_STRATEGY_CRON');
    expect(s.nextRuns.map(hhmm)).toEqual(['2026-02-10 14:30', '2026-02-11 14:30']);
    expect(jobs.find((j) => j.name === 'price-update')!.note).toMatch(/disabled/);
    expect(() => listScheduledJobs({ env: { SCHEDULE_BALANCE_CRON: 'every day' }, now })).toThrow(ConfigError);
    try {
      listScheduledJobs({ env: { SCHEDULE_BALANCE_CRON: 'every day' }, now });
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['SCHEDULE_BALANCE_CRON']);
    }
  });
});
