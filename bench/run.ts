import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchDecode } from './decode.ts';
import { benchRest } from './rest.ts';
import { benchRealtime } from './realtime.ts';
import { benchBacktest } from './backtest.ts';
import { benchStrategy } from './strategy.ts';
import { benchSync } from './sync.ts';
import { benchChaos } from './chaos.ts';

/**
 * `npm run bench`: runs every benchmark and writes `.reports/bench.json` (and prints it).
 * Select sections with `npm run bench -- decode rest` (default: all).
 */
const sections: Record<string, () => Promise<unknown>> = {
  decode: benchDecode,
  rest: benchRest,
  realtime: benchRealtime,
  sync: benchSync,
  strategy: benchStrategy,
  backtest: benchBacktest,
  chaos: benchChaos,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) if (!(w in sections)) throw new Error(`no bench section "${w}" (sections: ${Object.keys(sections).join(', ')})`);
// Sections not run this time keep their last figures (each with the time it was measured).
const path = '.reports/bench.json';
const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
const report: Record<string, unknown> = {
  ...previous,
  startedAt: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem() },
};
const measuredAt = (report['measuredAt'] ?? {}) as Record<string, string>;
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const t0 = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  report[name] = await run();
  measuredAt[name] = new Date().toISOString();
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
report['measuredAt'] = measuredAt;
report['finishedAt'] = new Date().toISOString();
mkdirSync('.reports', { recursive: true });
writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(Object.fromEntries(Object.entries(report).filter(([k]) => wanted.length === 0 || wanted.includes(k))), null, 2));
