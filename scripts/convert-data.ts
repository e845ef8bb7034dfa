/**
 * Builds the shipped daily-bar files `data/daily/krx-*.csv` (compact format, see
 * `src/sim/replay/daily-bars.ts`) and `data/README.md` from the marcap files in the shared reference
 * data. Deterministic: the same inputs give byte-identical outputs.
 *
 *   node bin/run-ts.js scripts/convert-data.ts [shared-data-dir]
 *
 * `shared-data-dir` defaults to `../shared/data` next to the repository (the `daily/marcap/` folder
 * inside it is read). Selection per file: the five required codes, then the KOSPI listings with the
 * largest traded value over the file's period up to 32 KOSPI codes, then the 8 KOSDAQ listings
 * (KOSDAQ GLOBAL included) with the largest traded value; only codes with a bar on every session of
 * the file qualify. Ties on value break by code. Bars are written unchanged (prev_close = Close − Changes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCompactCsv, loadDailyBars, type DailyBar, type DailyBarSet } from '../src/sim/replay/daily-bars.ts';

const REQUIRED = ['005930', '000660', '005380', '035420', '051910'] as const;
const KOSPI_COUNT = 32;
const KOSDAQ_COUNT = 8;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(process.argv[2] ?? join(repo, '..', 'shared', 'data'));

interface Job {
  readonly source: string;
  readonly out: string;
}
const JOBS: readonly Job[] = [
  { source: 'daily/marcap/marcap-2024-0102_0213.csv.gz', out: 'krx-2024-0102_0213.csv' },
  { source: 'daily/marcap/marcap-2026-0102_0220.converted.csv.gz', out: 'krx-2026-0102_0220.csv' },
];

interface Picked {
  readonly code: string;
  readonly name: string;
  /** Market for the table (with any move inside the period). */
  readonly market: string;
  readonly lastMarket: string;
  readonly value: number;
  readonly why: 'required' | 'top KOSPI value' | 'top KOSDAQ value';
}

/** Chooses the codes of one file (see the module comment). Throws when a required code is missing. */
function select(set: DailyBarSet): Picked[] {
  const sessions = set.dates().length;
  const total = (bars: readonly DailyBar[]): number => bars.reduce((s, b) => s + b.value, 0);
  const eligible = set
    .codes()
    .map((code) => ({ code, bars: set.barsOf(code) }))
    .filter((c) => c.bars.length === sessions)
    .map((c) => {
      const last = c.bars[c.bars.length - 1]!;
      // A listing that changed market inside the period (066970 moved KOSDAQ → KOSPI on 2024-01-29)
      // counts under its last market; the rows keep the market of their own day.
      const moves = c.bars.filter((b, i) => i > 0 && b.market !== c.bars[i - 1]!.market).map((b) => `${b.market} from ${b.date}`);
      const firstMarket = c.bars[0]!.market;
      const market = moves.length === 0 ? last.market : `${last.market} (${firstMarket} until the move; ${moves.join(', ')})`;
      return { code: c.code, name: last.name, market, lastMarket: last.market, value: total(c.bars) };
    })
    .sort((a, b) => b.value - a.value || (a.code < b.code ? -1 : 1));
  const picked: Picked[] = [];
  const has = new Set<string>();
  for (const code of REQUIRED) {
    const e = eligible.find((x) => x.code === code);
    if (!e) throw new Error(`${set.source}: required code ${code} is not listed on every session`);
    picked.push({ ...e, why: 'required' });
    has.add(code);
  }
  for (const e of eligible) {
    if (picked.filter((p) => p.lastMarket === 'KOSPI').length >= KOSPI_COUNT) break;
    if (e.lastMarket === 'KOSPI' && !has.has(e.code)) {
      picked.push({ ...e, why: 'top KOSPI value' });
      has.add(e.code);
    }
  }
  let kosdaq = 0;
  for (const e of eligible) {
    if (kosdaq >= KOSDAQ_COUNT) break;
    if (e.lastMarket === 'KOSDAQ' && !has.has(e.code)) {
      picked.push({ ...e, why: 'top KOSDAQ value' });
      has.add(e.code);
      kosdaq++;
    }
  }
  return picked;
}

const fmtWon = (v: number): string => `${(v / 1e12).toFixed(2)} T`;

const sections: string[] = [];
mkdirSync(join(repo, 'data', 'daily'), { recursive: true });
for (const job of JOBS) {
  const src = join(shared, job.source);
  const set = loadDailyBars(src);
  const picked = select(set);
  const codes = new Set(picked.map((p) => p.code));
  const bars: DailyBar[] = [];
  for (const d of set.dates()) for (const b of set.session(d)) if (codes.has(b.code)) bars.push(b);
  const text = formatCompactCsv(bars);
  const outPath = join(repo, 'data', 'daily', job.out);
  writeFileSync(outPath, text);
  const r = set.range()!;
  const halfTicks = bars.filter((b) => b.traded && [b.high, b.low, b.open, b.close].some((p) => !onGrid(p))).length;
  console.log(`${job.out}: ${bars.length} bars, ${codes.size} codes, ${set.dates().length} sessions ${r.first} … ${r.last}, ${Buffer.byteLength(text)} bytes, ${halfTicks} bars with off-grid prices`);
  sections.push(
    [
      `### \`daily/${job.out}\``,
      '',
      `From \`${basename(job.source)}\`: ${set.dates().length} sessions ${r.first} … ${r.last}, ${codes.size} codes, ${bars.length} bars` +
        (halfTicks > 0 ? ` (${halfTicks} bars have a high, low, open or close between ticks: KRX midpoint-order prints, kept as they are).` : '.'),
      '',
      '| code | name | market | traded value over the period (won) | why |',
      '| --- | --- | --- | ---: | --- |',
      ...picked.map((p) => `| ${p.code} | ${p.name} | ${p.market} | ${fmtWon(p.value)} | ${p.why} |`),
      '',
    ].join('\n'),
  );
}

/** On the KRX stock tick grid (table since 2023-01-25). */
function onGrid(p: number): boolean {
  const t = p < 2_000 ? 1 : p < 5_000 ? 5 : p < 20_000 ? 10 : p < 50_000 ? 50 : p < 200_000 ? 100 : p < 500_000 ? 500 : 1_000;
  return p % t === 0;
}

const readme = `# Shipped market data

Real KRX daily bars that \`hantu sim\` replays by default (the latest session of the newest file).
Generated by \`scripts/convert-data.ts\`; do not edit by hand. Rebuild with

    node bin/run-ts.js scripts/convert-data.ts [path/to/shared/data]

(the conversion is deterministic: same inputs, byte-identical outputs).

## Provenance and licence

| file | source | licence |
| --- | --- | --- |
${JOBS.map((j) => `| \`daily/${j.out}\` | \`FinanceData/marcap\` (KRX data), file \`${basename(j.source)}\` of the project's shared reference data | none stated |`).join('\n')}

The source repository states no licence. The project's reference data rule applies: where a source
states no licence, treat the file as a test fixture only. These files are a small extract kept for
tests and the offline demo.

## What was converted

- Rows: for each source file, about 40 liquid listings on every session of the file: the five codes
  the project's tests and examples use (005930, 000660, 005380, 035420, 051910), then the KOSPI
  listings with the largest traded value (\`Amount\`) summed over the period up to 32 KOSPI codes, then
  the 8 KOSDAQ listings (KOSDAQ GLOBAL counted as KOSDAQ) with the largest traded value. Only codes
  with a bar on every session qualify; ties break by code.
- Values are unchanged: open, high, low, close (won), volume (shares) and value (= \`Amount\`, won) are
  the source's numbers (the 2024 source writes them as \`79600.0\`; they are whole numbers).
  \`prev_close\` is \`Close − Changes\` of the same row, i.e. KRX's base price (기준가) for the day,
  which is not always the previous row's close (splits, rights issues, half-tick closes).
- \`market\` maps marcap's \`Market\`: KOSPI, KOSDAQ (\`KOSDAQ GLOBAL\` → KOSDAQ), KONEX.
- Rows are sorted by date, then code.

## Format (compact)

UTF-8, LF, one header line:

    date,code,name,market,open,high,low,close,volume,value,prev_close

\`date\` is the KST session date (YYYY-MM-DD); \`code\` the 6-character KRX short code; \`prev_close\` may
be empty when unknown. A day without trades has volume 0 (and, from marcap, open/high/low 0).
Read it with \`loadDailyBars\` (\`src/sim/replay/daily-bars.ts\`).

## Selection

${sections.join('\n')}`;
writeFileSync(join(repo, 'data', 'README.md'), readme);
console.log('data/README.md written');
