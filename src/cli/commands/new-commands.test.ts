/**
 * The commands of issue 5 through commander, as `hantu` parses them (`buildProgram` registers them).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearSharedLimiters } from '../../adapters/kis/http/rate-limiter.ts';
import { buildProgram } from '../main.ts';

async function hantu(...args: string[]): Promise<string> {
  const program = buildProgram();
  program.exitOverride();
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await program.parseAsync(['node', 'hantu', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out.join('\n');
}

afterEach(() => clearSharedLimiters());

describe('hantu backtest / jobs / halt / resume / strategy run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hantu-cli-'));
  const data = new URL('../../../data/daily/krx-2026-0102_0220.csv', import.meta.url).pathname;

  it('backtest writes the HTML and JSON report into <dataDir>/reports and prints the summary', async () => {
    const text = await hantu('--data-dir', dataDir, 'backtest', '--strategy', 'rebalance', '--data', data, '--from', '2026-02-02', '--to', '2026-02-06', '--universe', '005930,000660,035420,005380,000270', '--cash', '50000000');
    expect(text).toMatch(/total return/);
    const html = text.match(/report: (\S+\.html)/)?.[1];
    expect(html && existsSync(html)).toBeTruthy();
    expect(readFileSync(html!, 'utf8')).toContain('<path id="equity"');
  });

  it('backtest --json prints the statistics', async () => {
    const json = JSON.parse(await hantu('--data-dir', dataDir, '--json', 'backtest', '--strategy', 'dca', '--data', data, '--from', '2026-02-02', '--to', '2026-02-03', '--universe', '005930'));
    expect(json.sessions).toBe(2);
    expect(json.report.json).toMatch(/reports\/backtest-dca-2026-02-02_2026-02-03-/);
  });

  it('jobs prints every job with its next runs', async () => {
    const text = await hantu('jobs', '--at', '2026-02-13T16:00+09:00', '--count', '2');
    expect(text).toMatch(/balance\s+0 8 \* \* 1-5.*2026-02-19 08:00/); // 16-18 Feb: Lunar New Year
    expect(text).toMatch(/session-open/);
  });

  it('halt then resume through the in-process twin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-cli-halt-'));
    expect(await hantu('--data-dir', dir, '--sim', 'halt', '--reason', 'cli test')).toMatch(/ACTIVE -> HALTED[\s\S]*no open orders to cancel/);
    expect(JSON.parse(readFileSync(join(dir, 'trading-state.json'), 'utf8')).state).toBe('HALTED');
    clearSharedLimiters();
    expect(await hantu('--data-dir', dir, 'resume')).toMatch(/HALTED -> ACTIVE/);
  });

  it('strategy run --dry-run prints what would be sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hantu-cli-strat-'));
    const text = await hantu('--data-dir', dir, '--sim', 'strategy', 'run', '--strategy', 'dca', '--universe', '005930', '--config', '{"period":"DAY","instruments":[{"code":"005930","amountKrw":1000000}]}', '--dry-run');
    expect(text).toMatch(/^DRY RUN .*1 order\(s\) would be sent/);
  });
});
