import { Bench } from 'tinybench';
import { unixMillis } from '../src/core/brand.ts';
import { parseKisWsFrame, type KisWsDataFrame } from '../src/adapters/kis/ws/frames.ts';
import { decodeDataFrame } from '../src/adapters/kis/ws/decode.ts';

// A real H0STCNT0 record (KIS documentation example, 2023-06-12; kis-protocol.md A.8).
const REC46 =
  '005930^093354^71900^5^-100^-0.14^72023.83^72100^72400^71700^71900^71800^1^3052507^219853241700^5105^6937^1832^84.90^1366314^1159996^1^0.39^20.28^090020^5^-200^090820^5^-500^092619^2^200^20230612^20^N^65945^216924^1118750^2199206^0.05^2424142^125.92^0^^72100';
const REC47 = `${REC46}^2`;

/** Decode throughput (records/s) for 46- and 47-field H0STCNT0, single and 4-record frames. */
export async function benchDecode(): Promise<Record<string, { recordsPerSecond: number; framesPerSecond: number }>> {
  const frames = {
    'H0STCNT0 46 fields x1': `0|H0STCNT0|001|${REC46}`,
    'H0STCNT0 46 fields x4': `0|H0STCNT0|004|${[REC46, REC46, REC46, REC46].join('^')}`,
    'H0STCNT0 47 fields x1': `0|H0STCNT0|001|${REC47}`,
    'H0STCNT0 47 fields x4': `0|H0STCNT0|004|${[REC47, REC47, REC47, REC47].join('^')}`,
  };
  const ts = unixMillis(Date.now());
  // Steady state of a long-running daemon: 1 s of warm-up per case (with 200 ms the first case measured
  // the JIT still compiling the parser), then 2 s of measurement.
  const bench = new Bench({ time: 2_000, warmupTime: 1_000 });
  let sink = 0;
  for (const [name, raw] of Object.entries(frames)) {
    bench.add(name, () => {
      const f = parseKisWsFrame(raw) as KisWsDataFrame;
      sink += decodeDataFrame(f, ts, raw).length;
    });
  }
  await bench.run();
  if (sink === 0) throw new Error('decode produced nothing');
  const out: Record<string, { recordsPerSecond: number; framesPerSecond: number }> = {};
  for (const t of bench.tasks) {
    const hz = t.result?.throughput?.mean ?? (t.result as { hz?: number } | undefined)?.hz ?? 0;
    const records = t.name.endsWith('x4') ? 4 : 1;
    out[t.name] = { framesPerSecond: Math.round(hz), recordsPerSecond: Math.round(hz * records) };
  }
  return out;
}
