/**
 * `hantu run --days N` end to end (issue 5: the daemon left running over replayed days): two consecutive
 * real sessions replayed on the twin in this process, the account carried from day to day (holdings at
 * their cost basis, D+2 cash as the next deposit), ONE ledger database and ONE ledger account for both
 * days. The twin runs on a replay clock over the wall clock at 3,000x (a session in ~8 s). Loopback only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { campaignSessions, runCampaign } from '../../src/node/campaign-node.ts';

describe('hantu run --days (consecutive replayed sessions, the account and the ledger carried over)', () => {
  it('picks the latest N sessions, or N sessions from --from, of one data file', () => {
    const latest = campaignSessions({ days: 3 });
    expect(latest.days).toEqual(['2026-02-13', '2026-02-19', '2026-02-20']); // 16-18 Feb: Lunar New Year
    expect(campaignSessions({ days: 2, from: '2024-01-30' }).days).toEqual(['2024-01-30', '2024-01-31']);
    expect(() => campaignSessions({ days: 2, from: '2026-02-20' })).toThrow(/fewer than --days 2/);
    expect(() => campaignSessions({ days: 1, from: '2026-02-15' })).toThrow(/not a session/);
  });

  it('runs two days: day 2 starts from day 1’s closing account, its startup reconciliation adopts only the settled cash, and the ledger matches the twin each day', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-campaign-'));
    const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'error', sim: { speed: 3_000 } } });
    const lines: string[] = [];
    const r = await runCampaign({ config, logger: silentLogger(), days: 2, databaseUrl: process.env['DATABASE_URL'] || undefined, write: (l) => lines.push(l), control: false });
    const text = lines.join('\n');
    expect(r.days.map((d) => d.day)).toEqual(['2026-02-19', '2026-02-20']);
    const [d1, d2] = r.days as [(typeof r.days)[0], (typeof r.days)[0]];
    // One ledger account for the campaign.
    expect(d1.report.reconciliation?.accountId).toBe(r.accountId);
    expect(d2.report.reconciliation?.accountId).toBe(r.accountId);
    // Day 2's twin was seeded with day 1's closing account.
    expect(d2.opening).toEqual({ cash: d1.carried.cash, holdings: d1.carried.holdings.length });
    expect(d1.report.finalBalance?.cash.settlementD2).toBe(d1.carried.cash);
    // Day 1 adopts the fresh account; day 2 carries the ledger: nothing unexplained, trading ACTIVE, and no
    // holding had to be adopted (the deposit / D+1 move at settlement and are adopted, expected).
    expect(d1.report.reconciliation).toMatchObject({ state: 'ACTIVE', startup: { status: 'CORRECTED' } });
    expect(d2.report.reconciliation?.state, text).toBe('ACTIVE');
    expect(['MATCHED', 'CORRECTED'], text).toContain(d2.report.reconciliation?.startup.status);
    expect(d2.report.reconciliation?.startup.summary, text).not.toMatch(/POSITION|UNEXPLAINED|initial adoption/);
    for (const d of r.days) expect(d.report.reconciliation?.final?.status, text).toBe('MATCHED');
    // The ledger agrees with the twin after each day's final sync.
    for (const d of r.days) expect(d.comparison.findings, text).toEqual([]);
    expect([r.divergences, r.duplicateOrders, r.lostFills]).toEqual([0, 0, 0]);
  });
});
