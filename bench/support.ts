import * as hdr from 'hdr-histogram-js';

/** Latency histogram in microseconds (hdr-histogram-js), summarised in milliseconds. */
export class LatencyRecorder {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }
  summary(): { count: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; meanMs: number } {
    const at = (p: number) => this.h.getValueAtPercentile(p) / 1000;
    return {
      count: this.h.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      maxMs: this.h.maxValue / 1000,
      meanMs: Math.round(this.h.mean) / 1000,
    };
  }
}

/** High-resolution wall time in ms. Benchmarks measure; tests never do. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
