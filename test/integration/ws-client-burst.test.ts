/**
 * A burst of frames in one socket read must not hold back the continuations of work a frame started
 * (an exit's intent save and send run in promise continuations): the client hands frames over one
 * microtask at a time. A plain `ws` server on 127.0.0.1 writes 400 copies of a real H0STCNT0 frame
 * (KIS documentation example, kis-protocol.md A.8) in one go; the first tick starts a chain of 10
 * awaits, as an order path does. Under the old handling (every frame of a read in one go) the chain
 * ended only after all 400 ticks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { KisWsClient, type KisRealtimeEvent } from '../../src/adapters/kis/ws/client.ts';

const FRAMES = new URL('../../../shared/data/kis/kis_ws_frames.json', import.meta.url);
const haveShared = existsSync(FRAMES);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe.skipIf(!haveShared)('KIS WebSocket client under a burst of frames', () => {
  it('lets promise continuations started by one frame run before the rest of the burst, and keeps every frame in order', async () => {
    const doc = (JSON.parse(readFileSync(FRAMES, 'utf8')) as { frames: { id: string; frame: string }[] }).frames.find((f) => f.id === 'doc-H0STCNT0-20230612')!;
    const N = 400;
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    // As KIS does, data comes only once the session is up (here: once the client is open).
    let burst!: () => void;
    server.on('connection', (socket) => {
      burst = () => {
        for (let i = 0; i < N; i++) socket.send(doc.frame);
      };
    });
    const port = (server.address() as { port: number }).port;
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));

    let ticks = 0;
    let ticksWhenChainEnded: number | undefined;
    const chain = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
      ticksWhenChainEnded = ticks;
    };
    const events: KisRealtimeEvent[] = [];
    const client = new KisWsClient({
      url: `ws://127.0.0.1:${port}/tryitout`,
      approvalKey: async () => 'approval-1',
      clock: new TestClock(kstInstant('2023-06-12', '09:33')),
      logger: silentLogger(),
      onEvent: (e) => {
        events.push(e);
        if (e.type !== 'TradeTick') return;
        ticks++;
        if (ticks === 1) void chain();
      },
    });
    cleanup.push(() => client.close());
    await client.start();
    burst();
    for (let i = 0; i < 500 && ticks < N; i++) await new Promise((r) => setTimeout(r, 5));
    expect(ticks).toBe(N);
    expect(events.every((e) => e.type === 'TradeTick' && e.instrumentId === '005930' && e.price === 71_900)).toBe(true);
    // The chain of 10 continuations interleaved with at most one frame per step.
    expect(ticksWhenChainEnded).toBeDefined();
    expect(ticksWhenChainEnded!).toBeLessThanOrEqual(12);
  });
});
