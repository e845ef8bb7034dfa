import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchDecode } from './decode.ts';
import { benchRest } from './rest.ts';
import { benchRealtime } from './realtime.ts';

/**
 * `npm run bench`: runs every benchmark and writes `.reports/bench.json` (and prints it).
 * Select sections with `npm run bench -- decode rest` (default: all).
 */
const sections: Record<string, () => Promise<unknown>> = {
  decode: benchDecode,
  rest: benchRest,
  realtime: benchRealtime,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const report: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem() },
};
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const t0 = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  report[name] = await run();
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
report['finishedAt'] = new Date().toISOString();
mkdirSync('.reports', { recursive: true });
writeFileSync('.reports/bench.json', `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
