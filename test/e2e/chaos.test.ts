/**
 * `hantu chaos` end to end, short (issue 4 §4: "CI runs a short campaign"): two real sessions replayed
 * on the twin in this process, the node (`hantu run --twin --strategy dca`) in a child process, a seeded plan of a few
 * faults including one kill -9 and restart; the ledger is compared with the twin after each day. The
 * twin runs on a replay clock over the wall clock (a child process cannot share a TestClock); the
 * campaign pauses it while a node process boots, so the outcome does not depend on the machine's speed
 * beyond the replay's own latency. Loopback only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { runChaos, totalsLine } from '../../src/node/chaos-node.ts';

describe('hantu chaos (2 replayed days, seeded faults, kill -9 of the node)', () => {
  it('injects the planned faults, restarts the killed node and ends with no divergence, duplicate order or lost fill', { timeout: 150_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hantu-chaos-'));
    const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'error' } });
    const lines: string[] = [];
    const r = await runChaos({
      config,
      logger: silentLogger(),
      days: 2,
      seed: 11,
      speed: 2_500,
      databaseUrl: process.env['DATABASE_URL'] || undefined,
      strategy: 'dca',
      write: (l) => lines.push(l),
      // One kill, armed a few minutes after the open and fired INSIDE the next order the node sends (the
      // strategy's first run or an exit): the order is placed, the node dies before the answer.
      plan: { faultsPerDay: { min: 2, max: 3 }, killChance: 0, minKills: 1, killMode: 'next-order', killWindowMin: [2, 5], kinds: ['drop-fill-notices', 'dup-notices', 'http-5xx', 'disconnect', 'rate-limit'] },
    });
    const text = lines.join('\n');
    // Faults were injected, one of them a real SIGKILL after which the node came back.
    expect(r.faults, text).toBeGreaterThanOrEqual(5);
    const kills = r.days.flatMap((d) => d.injected).filter((f) => f.fault.kind === 'kill-9');
    expect(kills, text).toHaveLength(1);
    expect(kills[0]!.effect, text).toMatch(/^SIGKILL pid \d+ at \d\d:\d\d:\d\d mid-submit of order \d{10} \((BUY|SELL) [0-9A-Z]{6} \d+, placed; the node dies before the answer\); restarted at \d\d:\d\d:\d\d pid \d+$/);
    const killDay = r.days.find((d) => d.injected.some((f) => f.fault.kind === 'kill-9'))!;
    expect(killDay.runs.length).toBeGreaterThanOrEqual(2);
    expect(killDay.runs[0]!.exit?.signal).toBe('SIGKILL');
    expect(killDay.runs[killDay.runs.length - 1]!.exit?.code, text).toBe(0);
    // Both days ran to their close with a startup reconciliation that did not halt trading.
    for (const d of r.days) for (const run of d.runs.filter((x) => x.exit?.code === 0)) expect(run.halted, text).toBe(false);
    expect(r.days.map((d) => d.day)).toHaveLength(2);
    // The promise of issue 4 §4.
    expect(lines[lines.length - 1], text).toBe(totalsLine(r));
    expect(lines[lines.length - 1], text).toBe(`days=2 faults=${r.faults} divergences=0 duplicate_orders=0 lost_fills=0`);
    const report = JSON.parse(readFileSync(r.reportPath, 'utf8')) as { days: { injected: unknown[] }[] };
    expect(report.days.flatMap((d) => d.injected)).toHaveLength(r.faults);
  });
});
