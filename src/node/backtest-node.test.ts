/**
 * `hantu backtest` end to end: the rebalance strategy through the KIS client against the twin over five
 * real sessions of the shipped 2026 file (three codes), with the accounting checked against the twin.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kstDate } from '../core/kst.ts';
import { silentLogger } from '../core/logger.ts';
import { bps } from '../model/money.ts';
import { tradeCosts } from '../model/fees.ts';
import { krw } from '../model/money.ts';
import { loadDailyBars } from '../sim/replay/daily-bars.ts';
import { runBacktest, type BacktestResult } from './backtest-node.ts';
import { formatBacktestSummary, renderBacktestHtml, writeBacktestReport } from './backtest-report.ts';

const FILE = new URL('../../data/daily/krx-2026-0102_0220.csv', import.meta.url).pathname;
const CODES = ['005930', '000660', '035420'];
const FEES = { commissionBps: 1.40527, sellTaxBps: 20 };

describe('runBacktest: rebalance over 3 codes × 5 sessions of the shipped 2026 file', () => {
  let r: BacktestResult;
  beforeAll(async () => {
    r = await runBacktest({
      strategy: 'rebalance',
      strategyConfig: { targets: CODES.map((code) => ({ code, weightBps: 3_000 })), cashWeightBps: 1_000, bandBps: 200 },
      dataFile: FILE,
      from: kstDate('2026-01-02'),
      to: kstDate('2026-01-08'),
      universe: CODES,
      cash: 30_000_000,
      fees: FEES,
      risk: { maxPositionWeightBps: 4_000 },
      logger: silentLogger(),
    });
  });

  it('runs one twin session per trading day, at 10:00 KST (the late open of 2 January included)', () => {
    expect(r.days.map((d) => d.date)).toEqual(['2026-01-02', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08']);
    expect(r.days.every((d) => d.run.phase === 'CONTINUOUS' && d.run.aborted === undefined)).toBe(true);
    expect(r.days[0]!.orders).toBe(3); // the first day buys all three targets
    expect(r.stats.trades).toBeGreaterThanOrEqual(3);
  });

  it('accounting: final equity = cash + holdings at the real close; cash reconciles with the twin every day', () => {
    const bars = loadDailyBars(FILE, { codes: CODES });
    const holdingsAtClose = r.final.holdings.reduce((s, h) => s + h.quantity * bars.bar(r.meta.to, h.code)!.close, 0);
    expect(r.final.equity).toBe(r.final.cash + holdingsAtClose);
    expect(r.days.every((d) => d.reconciled)).toBe(true);
    // cash = initial − buys − commission + sells − tax, from the trade list alone
    const flow = r.trades.reduce((s, t) => s + (t.side === 'BUY' ? -(t.value + t.commission) : t.value - t.commission - t.tax), 0);
    expect(r.final.cash).toBe(30_000_000 + flow);
    // holdings = net shares traded
    for (const h of r.final.holdings) {
      const net = r.trades.filter((t) => t.code === h.code).reduce((s, t) => s + (t.side === 'BUY' ? t.quantity : -t.quantity), 0);
      expect(h.quantity).toBe(net);
    }
  });

  it('fees and tax: the totals are the sums of the trades, each by the one rounding function', () => {
    expect(r.stats.commission).toBe(r.trades.reduce((s, t) => s + t.commission, 0));
    expect(r.stats.tax).toBe(r.trades.reduce((s, t) => s + t.tax, 0));
    expect(r.stats.buyValue + r.stats.sellValue).toBe(r.trades.reduce((s, t) => s + t.value, 0));
    const rates = { commissionBps: bps(FEES.commissionBps), sellTaxBps: bps(FEES.sellTaxBps) };
    for (const t of r.trades) {
      const c = tradeCosts(krw(t.value), t.side, rates);
      expect([t.commission, t.tax]).toEqual([c.commission, c.tax]);
    }
  });

  it('statistics follow from the equity series', () => {
    const eq = [30_000_000, ...r.days.map((d) => d.equity)];
    expect(r.stats.totalReturn).toBeCloseTo(eq[eq.length - 1]! / eq[0]! - 1, 12);
    let peak = eq[0]!;
    let dd = 0;
    for (const e of eq) {
      peak = Math.max(peak, e);
      dd = Math.max(dd, 1 - e / peak);
    }
    expect(r.stats.maxDrawdown).toBeCloseTo(dd, 12);
    expect(r.stats.sessions).toBe(5);
    expect(r.stats.turnover).toBeGreaterThan(0);
  });

  it('writes a self-contained HTML page with the SVG paths, and the JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-bt-'));
    const p = writeBacktestReport(dir, r, 'test');
    expect(existsSync(p.html) && existsSync(p.json)).toBe(true);
    const html = readFileSync(p.html, 'utf8');
    expect(html).toMatch(/<svg[^>]*aria-label="equity curve"/);
    expect(html).toMatch(/<path id="equity" d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){5}"/); // start + 5 sessions
    expect(html).toContain('<path id="drawdown"');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(statSync(p.html).size).toBeGreaterThan(2_000);
    expect(JSON.parse(readFileSync(p.json, 'utf8')).stats.trades).toBe(r.stats.trades);
    expect(renderBacktestHtml(r)).toContain('005930');
    expect(formatBacktestSummary(r)).toMatch(/total return\s+-?\d+\.\d\d %/);
  });
});

describe('runBacktest: inputs', () => {
  it('refuses codes without bars and an empty date range before starting any twin', async () => {
    const base = { strategy: 'dca', dataFile: FILE, cash: 1_000_000, fees: FEES, logger: silentLogger() };
    await expect(runBacktest({ ...base, universe: ['999999'] })).rejects.toThrow(/no sessions|no bars/);
    await expect(runBacktest({ ...base, universe: ['005930'], from: kstDate('2030-01-01') })).rejects.toThrow(/no sessions/);
  });

  it('dca by default buys every session; the default risk limits deny what breaks the 20 % position cap', async () => {
    const base = { strategy: 'dca', dataFile: FILE, from: kstDate('2026-02-09'), to: kstDate('2026-02-13'), universe: ['005930'], cash: 5_000_000, fees: FEES, logger: silentLogger() };
    const capped = await runBacktest(base);
    expect(capped.days.map((d) => d.orders)).toEqual([1, 0, 0, 0, 0]);
    expect(capped.days[1]!.run.denialCodes).toEqual(['005930 POSITION_WEIGHT_CAP']);
    const r = await runBacktest({ ...base, risk: { maxPositionWeightBps: 10_000 } });
    expect(r.days.length).toBe(5);
    expect(r.days.map((d) => d.orders)).toEqual([1, 1, 1, 1, 1]); // 5,000,000 / 1 code / 5 sessions a day
    expect(r.trades.every((t) => t.side === 'BUY' && t.code === '005930')).toBe(true);
    expect(new Set(r.trades.map((t) => t.date)).size).toBe(r.days.filter((d) => d.trades > 0).length);
    expect(r.days.every((d) => d.reconciled)).toBe(true);
  });
});
