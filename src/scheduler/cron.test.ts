import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { kstInstant, kstParts } from '../core/kst.ts';
import { KrxCalendar } from '../model/calendar.ts';
import { compileCron, cronProblem, nextFireTime, nextSessionEdge, type FireFilter } from './cron.ts';

const calendar = new KrxCalendar();

function kst(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const p = kstParts(ms);
  return `${p.date} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}:${String(p.second).padStart(2, '0')}`;
}

const SESSION: FireFilter = { calendar: 'trading-days', window: 'session' };
const TRADING: FireFilter = { calendar: 'trading-days', window: 'any' };
const ALWAYS: FireFilter = { calendar: 'always', window: 'any' };

describe('cron patterns', () => {
  it('validates patterns with croner and reads them in Asia/Seoul', () => {
    expect(cronProblem('0 8 * * 1-5')).toBeUndefined();
    expect(cronProblem('@daily')).toBeUndefined();
    expect(cronProblem('bad')).toMatch(/invalid cron pattern "bad"/);
    expect(cronProblem('0 0 31 4 *')).toMatch(/never fires/); // April has 30 days
    expect(() => compileCron('* * *')).toThrow(InputError);
    // 08:00 KST is 23:00 UTC the day before, whatever the host's time zone.
    expect(nextFireTime(compileCron('0 8 * * *'), ALWAYS, calendar, Date.UTC(2026, 2, 3, 0, 0))).toBe(Date.UTC(2026, 2, 3, 23, 0));
  });
});

describe('nextFireTime', () => {
  const every5 = compileCron('*/5 * * * *');

  it('is strictly after `after`', () => {
    const t = kstInstant('2026-03-03', '10:00');
    expect(kst(nextFireTime(every5, ALWAYS, calendar, t - 1))).toBe('2026-03-03 10:00:00');
    expect(kst(nextFireTime(every5, ALWAYS, calendar, t))).toBe('2026-03-03 10:05:00');
  });

  it('session window: open included, close excluded, then the next trading day', () => {
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2026-03-03', '08:59')))).toBe('2026-03-03 09:00:00');
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2026-03-03', '15:25')))).toBe('2026-03-04 09:00:00');
    // Friday 2026-02-13 after the close → Thursday 2026-02-19 (weekend + Seollal)
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2026-02-13', '15:25')))).toBe('2026-02-19 09:00:00');
    // late open on the first trading day
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2025-12-30', '15:29')))).toBe('2026-01-02 10:00:00');
    // CSAT: 16:25 is inside, 16:30 is the close
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2026-11-19', '16:20')))).toBe('2026-11-19 16:25:00');
    expect(kst(nextFireTime(every5, SESSION, calendar, kstInstant('2026-11-19', '16:25')))).toBe('2026-11-20 09:00:00');
  });

  it('trading-days: any hour of a trading day, no closures', () => {
    const at8 = compileCron('0 8 * * *');
    expect(kst(nextFireTime(at8, TRADING, calendar, kstInstant('2025-12-30', '09:00')))).toBe('2026-01-02 08:00:00');
    expect(kst(nextFireTime(at8, ALWAYS, calendar, kstInstant('2025-12-30', '09:00')))).toBe('2025-12-31 08:00:00');
  });

  it('jumps over closures instead of walking them (every second across Seollal)', () => {
    const everySecond = compileCron('* * * * * *');
    expect(kst(nextFireTime(everySecond, SESSION, calendar, kstInstant('2026-02-13', '15:30')))).toBe('2026-02-19 09:00:00');
    expect(kst(nextFireTime(everySecond, TRADING, calendar, kstInstant('2026-02-13', '23:59:59')))).toBe('2026-02-19 00:00:00');
  });

  it('gives up after the search horizon, and surfaces calendar range errors', () => {
    expect(nextFireTime(compileCron('0 20 * * *'), SESSION, calendar, kstInstant('2026-03-03', '12:00'))).toBeUndefined();
    expect(() => nextFireTime(every5, SESSION, calendar, kstInstant('2027-12-30', '16:00'))).toThrow(InputError);
  });
});

describe('nextSessionEdge', () => {
  it('finds the next open and close, with late opens and CSAT hours', () => {
    expect(kst(nextSessionEdge(calendar, 'open', kstInstant('2025-12-30', '09:00')))).toBe('2026-01-02 10:00:00');
    expect(kst(nextSessionEdge(calendar, 'close', kstInstant('2025-12-30', '09:00')))).toBe('2025-12-30 15:30:00');
    expect(kst(nextSessionEdge(calendar, 'close', kstInstant('2026-11-19', '15:30')))).toBe('2026-11-19 16:30:00');
    expect(kst(nextSessionEdge(calendar, 'open', kstInstant('2026-02-13', '08:00')))).toBe('2026-02-13 09:00:00');
    expect(kst(nextSessionEdge(calendar, 'open', kstInstant('2026-02-13', '09:00')))).toBe('2026-02-19 09:00:00');
  });
});
