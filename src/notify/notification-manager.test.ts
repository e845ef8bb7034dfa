import { describe, expect, it } from 'vitest';
import { unixMillis } from '../core/brand.ts';
import { TestClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { instrumentId } from '../model/instrument.ts';
import { NotificationManager } from './notification-manager.ts';
import { createNotification, type Notification, type Priority } from './notifications.ts';
import type { NotificationChannel } from './notifier.ts';

const SAMSUNG = instrumentId('005930');

/** A channel that records what it was given, like a chat API that accepts everything. */
function recordingChannel(name: string, opts: { batch?: boolean; minPriority?: Priority } = {}) {
  const sent: Notification[] = [];
  const batches: Notification[][] = [];
  const channel: NotificationChannel & { sent: Notification[]; batches: Notification[][] } = {
    name,
    sent,
    batches,
    send: (n) => {
      sent.push(n);
      return Promise.resolve();
    },
    ...(opts.batch
      ? {
          sendBatch: (b: readonly Notification[]) => {
            batches.push([...b]);
            return Promise.resolve();
          },
        }
      : {}),
    ...(opts.minPriority ? { minPriority: opts.minPriority } : {}),
  };
  return channel;
}

function alert(clock: TestClock, priority: Priority, code = 'TEST'): Notification {
  return createNotification('SystemAlert', clock.now(), { code, message: `alert ${priority}`, priority });
}

describe('NotificationManager', () => {
  it('delivers emergency and high at once, and batches normal and low per priority on the clock', async () => {
    const clock = new TestClock();
    const ch = recordingChannel('rec');
    const mgr = new NotificationManager({ channels: [ch], clock, logger: silentLogger(), batchWindowMs: { normal: 30_000, low: 300_000 } });

    mgr.notify(alert(clock, 'normal', 'N1'));
    mgr.notify(alert(clock, 'low', 'L1'));
    mgr.notify(alert(clock, 'emergency', 'E1'));
    mgr.notify(alert(clock, 'high', 'H1'));
    await mgr.idle();
    expect(ch.sent.map((n) => (n.type === 'SystemAlert' ? n.code : n.type))).toEqual(['E1', 'H1']);
    expect(mgr.pending()).toEqual({ normal: 1, low: 1 });

    await clock.advanceAsync(10_000);
    mgr.notify(alert(clock, 'normal', 'N2'));
    await clock.advanceAsync(19_999);
    await mgr.idle();
    expect(ch.sent).toHaveLength(2); // the normal window started at the first normal (t=0): not over yet

    await clock.advanceAsync(1);
    await mgr.idle();
    expect(ch.sent.map((n) => (n.type === 'SystemAlert' ? n.code : n.type))).toEqual(['E1', 'H1', 'N1', 'N2']);
    expect(mgr.pending()).toEqual({ normal: 0, low: 1 });

    await clock.advanceAsync(270_000);
    await mgr.idle();
    expect(ch.sent.map((n) => (n.type === 'SystemAlert' ? n.code : n.type))).toEqual(['E1', 'H1', 'N1', 'N2', 'L1']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives a batch to sendBatch when the channel has it, and flushes early when the batch is full', async () => {
    const clock = new TestClock();
    const ch = recordingChannel('rec', { batch: true });
    const mgr = new NotificationManager({ channels: [ch], clock, logger: silentLogger(), maxBatchSize: 3 });
    mgr.notify(alert(clock, 'normal', 'A'));
    mgr.notify(alert(clock, 'normal', 'B'));
    await mgr.idle();
    expect(ch.batches).toHaveLength(0);
    mgr.notify(alert(clock, 'normal', 'C'));
    await mgr.idle();
    expect(ch.batches).toHaveLength(1);
    expect(ch.batches[0]?.map((n) => (n.type === 'SystemAlert' ? n.code : ''))).toEqual(['A', 'B', 'C']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('flush() delivers every queued batch now', async () => {
    const clock = new TestClock();
    const ch = recordingChannel('rec');
    const mgr = new NotificationManager({ channels: [ch], clock, logger: silentLogger() });
    mgr.notify(alert(clock, 'low'));
    mgr.notify(alert(clock, 'normal'));
    await mgr.flush();
    expect(ch.sent.map((n) => n.priority)).toEqual(['normal', 'low']);
    expect(mgr.pending()).toEqual({ normal: 0, low: 0 });
  });

  it('a channel that throws or rejects does not block the others, and is counted', async () => {
    const clock = new TestClock();
    const good = recordingChannel('good');
    const throwing: NotificationChannel = {
      name: 'throws',
      send: () => {
        throw new Error('telegram is down');
      },
    };
    const rejecting: NotificationChannel = { name: 'rejects', send: () => Promise.reject(new Error('slack 500')) };
    const releases: (() => void)[] = [];
    const hanging: NotificationChannel = { name: 'hangs', send: () => new Promise<void>((r) => releases.push(r)) };
    const mgr = new NotificationManager({ channels: [throwing, rejecting, hanging, good], clock, logger: silentLogger() });

    expect(() => mgr.notify(alert(clock, 'emergency', 'E1'))).not.toThrow();
    mgr.notify(alert(clock, 'high', 'H1'));
    await clock.advanceAsync(0);
    expect(good.sent.map((n) => (n.type === 'SystemAlert' ? n.code : ''))).toEqual(['E1', 'H1']);
    expect(mgr.failures().get('throws')).toBe(2);
    expect(mgr.failures().get('rejects')).toBe(2);
    expect(releases).toHaveLength(2); // the hanging channel got both, and held nobody up
    for (const r of releases) r();
    await mgr.idle();
  });

  it('respects a channel minimum priority', async () => {
    const clock = new TestClock();
    const pager = recordingChannel('pager', { minPriority: 'high' });
    const all = recordingChannel('all');
    const mgr = new NotificationManager({ channels: [pager, all], clock, logger: silentLogger() });
    mgr.notify(alert(clock, 'normal'));
    mgr.notify(alert(clock, 'high'));
    mgr.notify(alert(clock, 'emergency'));
    await mgr.flush();
    expect(pager.sent.map((n) => n.priority)).toEqual(['high', 'emergency']);
    expect(all.sent.map((n) => n.priority)).toEqual(['high', 'emergency', 'normal']);
  });

  it('uses the default priority of each kind unless the producer overrides it', () => {
    const ts = unixMillis(0);
    expect(createNotification('ExitFillUnconfirmed', ts, { instrumentId: SAMSUNG, clientOrderId: 'X', quantity: 1, filledQuantity: 0, reason: 'r' }).priority).toBe('emergency');
    expect(createNotification('MonitorSleeping', ts, { reason: 'closed' }).priority).toBe('low');
    expect(createNotification('TradingResumed', ts, { instrumentId: SAMSUNG, reason: 'VI', pausedMs: 120_000 }).priority).toBe('normal');
    expect(createNotification('DataDelayed', ts, { delayMs: 1, priority: 'normal' }).priority).toBe('normal');
  });
});
