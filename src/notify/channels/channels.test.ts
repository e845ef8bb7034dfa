import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { unixMillis } from '../../core/brand.ts';
import { kstInstant } from '../../core/kst.ts';
import { instrumentId } from '../../model/instrument.ts';
import { formatNotification } from '../format.ts';
import { createNotification } from '../notifications.ts';
import { ConsoleNotifier } from './console-notifier.ts';
import { LogNotifier } from './log-notifier.ts';

const SAMSUNG = instrumentId('005930');
const AT = kstInstant('2026-01-05', '10:00:03');

describe('ConsoleNotifier', () => {
  it('writes one readable line per notification through the injected writer', async () => {
    const lines: string[] = [];
    const console = new ConsoleNotifier({ write: (l) => lines.push(l) });
    await console.send(
      createNotification('ExitTriggered', AT, {
        instrumentId: SAMSUNG,
        name: '삼성전자',
        trigger: 'STOP_LOSS',
        reference: 67_900,
        threshold: 67_900,
        averagePrice: 70_000,
        quantity: 10,
        clientOrderId: 'EX-1',
      }),
    );
    expect(lines).toEqual([
      '2026-01-05 10:00:03 KST HIGH ExitTriggered instrumentId=005930 name=삼성전자 trigger=STOP_LOSS reference=67900 threshold=67900 averagePrice=70000 quantity=10 clientOrderId=EX-1',
    ]);
  });

  it('quotes values with spaces, rounds fractions to 2 decimals and redacts secret-looking context keys', () => {
    const line = formatNotification(
      createNotification('SystemAlert', AT, {
        code: 'TOKEN_REFRESH_FAILED',
        message: 'could not refresh',
        context: { token: 'abc.def', ratio: 1 / 3 },
      }),
    );
    expect(line).toBe('2026-01-05 10:00:03 KST HIGH SystemAlert code=TOKEN_REFRESH_FAILED message="could not refresh" token=[redacted] ratio=0.33');
    expect(line).not.toContain('abc.def');
  });

  it('formats a day summary on one line', () => {
    const line = formatNotification(
      createNotification('DaySummary', AT, {
        date: '2026-01-05',
        trades: [
          { instrumentId: SAMSUNG, clientOrderId: 'EX-1', trigger: 'TAKE_PROFIT', quantity: 10, averageFillPrice: 77_000, averagePrice: 70_000, commission: 10, tax: 1_540, realizedPnl: 68_450 },
        ],
        realizedPnl: 68_450,
        winRate: 1,
        openPositions: [],
        unresolvedIntents: 0,
      }),
    );
    expect(line).toBe(
      '2026-01-05 10:00:03 KST NORMAL DaySummary date=2026-01-05 trades=1 realizedPnl=68450 winRate=100% openPositions=0 unresolvedIntents=0 trade1=005930:TAKE_PROFIT:10@77000:pnl=68450',
    );
  });
});

describe('LogNotifier', () => {
  it('logs at a level chosen by priority with the notification as structured fields', async () => {
    const records: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'debug', base: undefined }, sink);
    const ch = new LogNotifier(logger);
    await ch.send(createNotification('ExitFillUnconfirmed', unixMillis(AT), { instrumentId: SAMSUNG, clientOrderId: 'EX-1', quantity: 10, filledQuantity: 0, reason: 'no notice' }));
    await ch.send(createNotification('MonitorSleeping', unixMillis(AT), { reason: 'market closed' }));
    await new Promise((r) => setImmediate(r));
    expect(records.map((r) => r['level'])).toEqual([50, 20]); // error, debug
    expect((records[0]?.['notification'] as { clientOrderId: string }).clientOrderId).toBe('EX-1');
    expect(records[0]?.['msg']).toBe('ExitFillUnconfirmed instrumentId=005930 clientOrderId=EX-1 quantity=10 filledQuantity=0 reason="no notice"');
  });
});
