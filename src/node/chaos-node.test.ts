/**
 * The pure parts of the hantu chaos campaign: the totals line and the findings made from the node's
 * runs (a run that started with trading HALTED is a divergence: its day would otherwise compare clean).
 */
import { describe, expect, it } from 'vitest';
import { formatFinding } from './chaos-compare.ts';
import { haltedRunFindings, totalsLine } from './chaos-node.ts';

describe('haltedRunFindings', () => {
  it('a run whose startup reconciliation halted trading is a divergence; the others are not', () => {
    const findings = haltedRunFindings([
      { pid: 11, halted: false, startup: 'CORRECTED: 1 difference, 1 correction (CASH deposit/D+1: adopted)' },
      { pid: 12, halted: true, startup: 'DIVERGED: 3 differences, 2 corrections, 1 UNEXPLAINED (POSITION 090710: the venue holds 0 shares, the ledger 660, and no fill explains it)' },
      { pid: 13, halted: true },
    ]);
    expect(findings.map((f) => [f.category, f.what, f.ref])).toEqual([
      ['divergence', 'NODE_HALTED', 'pid 12'],
      ['divergence', 'NODE_HALTED', 'pid 13'],
    ]);
    expect(formatFinding(findings[0]!)).toBe(
      'divergence NODE_HALTED pid 12: node pid 12 started with trading HALTED (startup reconciliation DIVERGED: 3 differences, 2 corrections, 1 UNEXPLAINED (POSITION 090710: the venue holds 0 shares, the ledger 660, and no fill explains it)): no order was sent after it',
    );
    expect(findings[1]!.detail).toContain('startup reconciliation unknown');
  });

  it('finds nothing when no run halted', () => {
    expect(haltedRunFindings([])).toEqual([]);
    expect(haltedRunFindings([{ pid: 1, halted: false }])).toEqual([]);
  });
});

describe('totalsLine', () => {
  it('is the line `hantu chaos` ends with', () => {
    expect(totalsLine({ days: [1, 2, 3], faults: 14, divergences: 1, duplicateOrders: 0, lostFills: 2 })).toBe('days=3 faults=14 divergences=1 duplicate_orders=0 lost_fills=2');
  });
});
