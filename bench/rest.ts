import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../src/core/clock.ts';
import { kstInstant } from '../src/core/kst.ts';
import { silentLogger } from '../src/core/logger.ts';
import { clientForTwin } from '../src/node/broker.ts';
import { launchTwin } from '../src/node/twin-node.ts';
import { ReplayClock } from '../src/sim/replay/replay-clock.ts';
import { roundToTick } from '../src/model/tick.ts';
import { clearSharedLimiters } from '../src/adapters/kis/http/rate-limiter.ts';
import { LatencyRecorder, nowMs } from './support.ts';

async function withTwin<T>(rate: number, fn: (c: ReturnType<typeof clientForTwin>) => Promise<T>): Promise<T> {
  clearSharedLimiters(); // each run uses the twin's same fake app key with another rate and clock
  const day = '2026-02-20';
  const clock = new ReplayClock(new SystemClock(), { simStart: kstInstant(day, '10:00'), speed: 1 });
  const twin = await launchTwin({
    sim: { day, at: '10:00', speed: 1, seed: 1, port: 0, cash: 100_000_000_000 },
    fees: { commissionBps: 1.40527, sellTaxBps: 20 },
    logger: silentLogger(),
    clock,
    rateLimitPerSecond: Math.max(rate, 18),
  });
  const client = clientForTwin(twin.endpoint, { clock, logger: silentLogger(), dataDir: mkdtempSync(join(tmpdir(), 'hantu-bench-')), rateLimitPerSecond: rate });
  try {
    await client.requestQuote('005930'); // token
    return await fn(client);
  } finally {
    await client.close();
    await twin.close();
  }
}

async function throughput(rate: number, calls: number, concurrency: number): Promise<{ callsPerSecond: number; calls: number; concurrency: number; limitPerSecond: number }> {
  return withTwin(rate, async (client) => {
    let next = 0;
    const t0 = nowMs();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          next++;
          await client.requestQuote('005930');
        }
      }),
    );
    const s = (nowMs() - t0) / 1000;
    return { callsPerSecond: Math.round((calls / s) * 10) / 10, calls, concurrency, limitPerSecond: rate };
  });
}

async function orderLatency(rate: number, orders: number): Promise<ReturnType<LatencyRecorder['summary']> & { limitPerSecond: number }> {
  return withTwin(rate, async (client) => {
    const q = await client.requestQuote('005930');
    const passive = roundToTick(q.last * 0.8, 'down');
    const rec = new LatencyRecorder();
    for (let i = 0; i < orders; i++) {
      const t0 = nowMs();
      await client.submitOrder({ instrumentId: '005930', side: 'BUY', orderType: 'LIMIT', quantity: 1, price: passive });
      rec.record(nowMs() - t0);
    }
    return { ...rec.summary(), limitPerSecond: rate };
  });
}

/**
 * KIS client + twin round trips on loopback: quote calls per second under the KIS real limit
 * (18/s per app key) and with the limiter opened up (the stack's own capacity), and the latency of
 * order-cash (p50/p99) with and without the limiter's spacing.
 */
export async function benchRest(): Promise<unknown> {
  return {
    quoteRoundTripsUnderLimiter: await throughput(18, 90, 4),
    quoteRoundTripsUnthrottled: await throughput(1_000, 2_000, 8),
    orderCashLatencyUnderLimiter: await orderLatency(18, 60),
    orderCashLatencyUnthrottled: await orderLatency(1_000, 1_000),
  };
}
