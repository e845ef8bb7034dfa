import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/core/clock.ts';
import { kstInstant } from '../../src/core/kst.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { KisWsClient, type KisRealtimeEvent, type WsClientSignal } from '../../src/adapters/kis/ws/client.ts';
import { SimWsServer } from '../../src/sim/ws/ws-server.ts';
import type { ExecutionNotice, TradeTick } from '../../src/model/market-data.ts';
import { syntheticMarket } from '../support/synthetic-market.ts';
import { eventually } from '../support/eventually.ts';

const DATE = '2026-02-20';

function setup(opts: { maxRegistrations?: number; noticeWidth?: 23 | 26; clientBudget?: number } = {}) {
  const clock = new TestClock(kstInstant(DATE, '09:00'));
  const market = syntheticMarket(DATE, [
    { code: '005930', basePrice: 70_000, prints: Array.from({ length: 120 }, (_, i) => [i + 1, 70_000 + (i % 5) * 100, 10 + i] as [number, number, number]) },
    { code: '000660', basePrice: 200_000, prints: [[2, 200_500, 3], [2, 201_000, 4], [3, 200_000, 1]] },
    { code: '035420', basePrice: 180_000, prints: [[5, 180_100, 1]] },
  ]);
  const server = new SimWsServer({
    clock,
    market,
    logger: silentLogger(),
    resolveApprovalKey: (k) => (k === 'approval-1' ? { appKey: 'APP1', env: 'real', htsIds: ['user1'] } : undefined),
    maxRegistrations: opts.maxRegistrations ?? 41,
    noticeWidth: opts.noticeWidth ?? 26,
    pingIntervalMs: 30_000,
    pingTimeoutMs: 45_000,
  });
  const events: KisRealtimeEvent[] = [];
  const signals: WsClientSignal[] = [];
  let syncs = 0;
  const mkClient = () =>
    new KisWsClient({
      url: '',
      approvalKey: async () => 'approval-1',
      clock,
      logger: silentLogger(),
      onEvent: (e) => events.push(e),
      onSignal: (s) => signals.push(s),
      onReconnected: () => {
        syncs++;
      },
      subscribePacingMs: 10,
      livenessTimeoutMs: 20_000,
      maxRegistrations: opts.clientBudget ?? 41,
    });
  return { clock, market, server, events, signals, mkClient, syncs: () => syncs };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function started(ctx: ReturnType<typeof setup>) {
  await ctx.server.listen();
  const client = ctx.mkClient();
  (client as unknown as { o: { url: string } }).o.url = `${ctx.server.url}/tryitout`;
  cleanup.push(() => ctx.server.close(), () => client.close());
  return client;
}

const active = (c: KisWsClient) => c.status().subscriptions.filter((s) => s.state === 'ACTIVE').length;

describe('KIS WebSocket client against the twin', () => {
  it('subscribes, receives multi-record trade frames and decrypts execution notices', async () => {
    const ctx = setup();
    const client = await started(ctx);
    client.subscribe('H0STCNT0', '005930', 'HOLDING');
    client.subscribe('H0STCNT0', '000660', 'WATCH');
    client.subscribe('H0STCNI0', 'user1', 'NOTICE');
    const start = client.start();
    await eventually(() => active(client) === 3, 'three active subscriptions', { clock: ctx.clock, stepMs: 5 });
    await start;
    await ctx.clock.advanceAsync(3_000);
    await eventually(() => ctx.events.filter((e) => e.type === 'TradeTick' && e.instrumentId === '000660').length === 3, '000660 prints', {});
    const hynix = ctx.events.filter((e): e is TradeTick => e.type === 'TradeTick' && e.instrumentId === '000660');
    expect(hynix.map((t) => [t.price, t.size])).toEqual([[200_500, 3], [201_000, 4], [200_000, 1]]);
    expect(hynix[0]!.tsEvent).toBe(kstInstant(DATE, '09:00:02'));
    ctx.server.publishNotice(
      { htsId: 'user1', account: '5000000101', odno: '0000000007', orgOdno: '', branch: '91252', side: 'SELL', action: 'NEW', rejected: false, fill: true, ordDvsn: '00', code: '005930', name: '삼성전자', ordQty: 10, ordPrice: 70_100, fillQty: 4, fillPrice: 70_100, ts: kstInstant(DATE, '09:00:03') },
      'real',
    );
    await eventually(() => ctx.events.some((e) => e.type === 'ExecutionNotice'), 'notice');
    const n = ctx.events.find((e): e is ExecutionNotice => e.type === 'ExecutionNotice')!;
    expect(n).toMatchObject({ kind: 'FILLED', side: 'SELL', venueOrderId: '0000000007', fillQuantity: 4, fillPrice: 70_100, quantity: 10, price: 70_100, name: '삼성전자' });
  });

  it('answers PINGPONG so the twin keeps the session; reconnects and resubscribes after a drop, then calls the sync hook', async () => {
    const ctx = setup();
    const client = await started(ctx);
    client.subscribe('H0STCNT0', '005930', 'HOLDING');
    client.subscribe('H0STCNI0', 'user1', 'NOTICE');
    void client.start();
    await eventually(() => active(client) === 2, 'subscribed', { clock: ctx.clock, stepMs: 5 });
    await ctx.clock.advanceAsync(100_000); // three PINGPONG rounds
    await eventually(() => true, 'settle');
    expect(ctx.server.sessionCount()).toBe(1);
    expect(ctx.server.stats.sessionsDropped).toBe(0);
    ctx.server.dropConnections();
    await eventually(() => ctx.signals.some((s) => s.type === 'disconnected'), 'disconnect seen');
    expect(ctx.signals.find((s) => s.type === 'reconnect-scheduled')).toMatchObject({ delayMs: 1_000 });
    await eventually(() => ctx.syncs() === 1 && active(client) === 2, 'resubscribed + synced', { clock: ctx.clock, stepMs: 100 });
    expect(ctx.server.registrations('APP1').length).toBe(2);
  });

  it('backs off 1-2-4-8-16 s, sleeps after 5 failures, and restarts on demand', async () => {
    const ctx = setup();
    const client = await started(ctx);
    client.subscribe('H0STCNT0', '005930', 'HOLDING');
    void client.start();
    await eventually(() => active(client) === 1, 'subscribed', { clock: ctx.clock, stepMs: 5 });
    ctx.server.faults.refuseConnections = 6;
    ctx.server.dropConnections();
    await eventually(() => client.status().state === 'SLEEPING', 'sleeping', { clock: ctx.clock, stepMs: 250 });
    const delays = ctx.signals.filter((s) => s.type === 'reconnect-scheduled').map((s) => (s as { delayMs: number }).delayMs);
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(ctx.signals.some((s) => s.type === 'sleeping')).toBe(true);
    expect(ctx.server.stats.refused).toBe(5);
    ctx.server.faults.refuseConnections = 0;
    const r = client.restart();
    await eventually(() => active(client) === 1, 'restarted', { clock: ctx.clock, stepMs: 5 });
    await r;
    expect(client.status().state).toBe('OPEN');
  });

  it('refuses a second session on the same app key (OPSP8996) and stops that client cleanly', async () => {
    const ctx = setup();
    const first = await started(ctx);
    first.subscribe('H0STCNT0', '005930', 'HOLDING');
    void first.start();
    await eventually(() => active(first) === 1, 'first subscribed', { clock: ctx.clock, stepMs: 5 });
    const second = ctx.mkClient();
    (second as unknown as { o: { url: string } }).o.url = ctx.server.url;
    cleanup.push(() => second.close());
    second.subscribe('H0STCNT0', '005930', 'HOLDING');
    void second.start();
    await eventually(() => second.status().state === 'STOPPED', 'second stopped', { clock: ctx.clock, stepMs: 5 });
    expect(ctx.signals.some((s) => s.type === 'session-in-use')).toBe(true);
    expect(first.status().state).toBe('OPEN');
  });

  it('manages the registration budget: the venue refuses the 42nd (OPSP0008) and the client skips it; priorities win', async () => {
    const ctx = setup({ maxRegistrations: 2 });
    const client = await started(ctx);
    client.subscribe('H0STCNT0', '035420', 'WATCH');
    client.subscribe('H0STCNT0', '005930', 'HOLDING');
    client.subscribe('H0STCNI0', 'user1', 'NOTICE');
    void client.start();
    await eventually(() => client.status().subscriptions.every((s) => s.state !== 'PENDING'), 'settled', { clock: ctx.clock, stepMs: 5 });
    const byKey = Object.fromEntries(client.status().subscriptions.map((s) => [s.trKey, s.state]));
    expect(byKey).toEqual({ '005930': 'ACTIVE', user1: 'ACTIVE', '035420': 'OVER_BUDGET' });
    expect(ctx.signals.find((s) => s.type === 'subscription-skipped')).toMatchObject({ trKey: '035420', msgCd: 'OPSP0008' });
  });

  it('skips garbage and truncated frames and keeps decoding; a silent server trips the liveness check', async () => {
    const ctx = setup();
    const client = await started(ctx);
    client.subscribe('H0STCNT0', '005930', 'HOLDING');
    void client.start();
    await eventually(() => active(client) === 1, 'subscribed', { clock: ctx.clock, stepMs: 5 });
    ctx.server.faults.garbageFrames = 2;
    ctx.server.faults.truncatedFrames = 1;
    ctx.server.faults.extraTradeFields = 3;
    await ctx.clock.advanceAsync(2_000);
    await eventually(() => ctx.signals.filter((s) => s.type === 'malformed-frame').length === 3, 'three malformed frames');
    const before = ctx.events.length;
    await ctx.clock.advanceAsync(2_000);
    await eventually(() => ctx.events.length > before, 'decoding continues with grown records');
    ctx.server.faults.silent = true;
    await eventually(() => ctx.signals.some((s) => s.type === 'stale'), 'stale detected', { clock: ctx.clock, stepMs: 1_000 });
    ctx.server.faults.silent = false;
    await eventually(() => active(client) === 1 && client.status().state === 'OPEN', 'reconnected', { clock: ctx.clock, stepMs: 100 });
  });
});
