import { kstParts } from '../core/kst.ts';
import { REDACT_KEYS } from '../core/logger.ts';
import { assertNever } from '../core/errors.ts';
import type { Notification } from './notifications.ts';

const REDACTED = new Set<string>(REDACT_KEYS.map((k) => k.toLowerCase()));

function kv(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (REDACTED.has(key.toLowerCase())) return `${key}=[redacted]`;
  const s = typeof value === 'number' ? formatNumber(value) : String(value);
  return /\s/.test(s) ? `${key}="${s}"` : `${key}=${s}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function pairs(entries: readonly (readonly [string, unknown])[]): string {
  return entries
    .map(([k, v]) => kv(k, v))
    .filter((s): s is string => s !== undefined)
    .join(' ');
}

/** `YYYY-MM-DD HH:MM:SS KST` of an instant (display only). */
export function kstTimestamp(ms: number): string {
  const p = kstParts(ms);
  const t = [p.hour, p.minute, p.second].map((x) => String(x).padStart(2, '0')).join(':');
  return `${p.date} ${t} KST`;
}

/**
 * The key=value body of a notification (no time, no priority): identifiers first, then numbers.
 * Values of keys named like secrets (see `REDACT_KEYS`) are replaced by `[redacted]`.
 */
export function notificationBody(n: Notification): string {
  switch (n.type) {
    case 'ExitTriggered':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['name', n.name],
        ['trigger', n.trigger],
        ['reference', n.reference],
        ['threshold', n.threshold],
        ['averagePrice', n.averagePrice],
        ['quantity', n.quantity],
        ['clientOrderId', n.clientOrderId],
        ['deferredBy', n.deferredBy],
      ]);
    case 'ExitOrderSubmitted':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['clientOrderId', n.clientOrderId],
        ['orderClientOrderId', n.orderClientOrderId === n.clientOrderId ? undefined : n.orderClientOrderId],
        ['venueOrderId', n.venueOrderId],
        ['orderType', n.orderType],
        ['price', n.price],
        ['quantity', n.quantity],
        ['attempt', n.attempt],
      ]);
    case 'ExitFilled':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['clientOrderId', n.clientOrderId],
        ['trigger', n.trigger],
        ['quantity', n.quantity],
        ['averageFillPrice', n.averageFillPrice],
        ['realizedPnl', n.realizedPnl],
        ['confirmedByQuery', n.confirmedByQuery ? true : undefined],
      ]);
    case 'ExitFillUnconfirmed':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['clientOrderId', n.clientOrderId],
        ['venueOrderId', n.venueOrderId],
        ['quantity', n.quantity],
        ['filledQuantity', n.filledQuantity],
        ['reason', n.reason],
      ]);
    case 'TradingPaused':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['reason', n.reason],
      ]);
    case 'TradingResumed':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['reason', n.reason],
        ['pausedMs', n.pausedMs],
      ]);
    case 'ConnectionLost':
      return pairs([
        ['connection', n.connection],
        ['detail', n.detail],
      ]);
    case 'ConnectionRestored':
      return pairs([
        ['connection', n.connection],
        ['downtimeMs', n.downtimeMs],
      ]);
    case 'MonitorSleeping':
      return pairs([
        ['reason', n.reason],
        ['until', n.until === undefined ? undefined : kstTimestamp(n.until)],
      ]);
    case 'DataDelayed':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['lastDataAt', n.lastDataAt === undefined ? undefined : kstTimestamp(n.lastDataAt)],
        ['delayMs', n.delayMs],
      ]);
    case 'SubscriptionSkipped':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['reason', n.reason],
      ]);
    case 'DaySummary':
      return pairs([
        ['date', n.date],
        ['trades', n.trades.length],
        ['realizedPnl', n.realizedPnl],
        ['winRate', n.winRate === undefined ? undefined : `${Math.round(n.winRate * 1000) / 10}%`],
        ['openPositions', n.openPositions.length],
        ['unresolvedIntents', n.unresolvedIntents],
        ...n.trades.map(
          (t, i) =>
            [`trade${i + 1}`, `${t.instrumentId}:${t.trigger}:${t.quantity}@${formatNumber(t.averageFillPrice)}:pnl=${t.realizedPnl}`] as const,
        ),
      ]);
    case 'OrderRejected':
      return pairs([
        ['instrumentId', n.instrumentId],
        ['clientOrderId', n.clientOrderId],
        ['code', n.code],
        ['reason', n.reason],
      ]);
    case 'SystemAlert':
      return pairs([
        ['code', n.code],
        ['message', n.message],
        ['instrumentId', n.instrumentId],
        ['clientOrderId', n.clientOrderId],
        ...Object.entries(n.context ?? {}),
      ]);
    default:
      return assertNever(n, 'notification');
  }
}

/**
 * One readable line: `2026-01-05 10:00:03 KST HIGH ExitTriggered instrumentId=005930 trigger=STOP_LOSS …`.
 * No emoji, no markup; values with spaces are quoted.
 */
export function formatNotification(n: Notification): string {
  return `${kstTimestamp(n.ts)} ${n.priority.toUpperCase()} ${n.type} ${notificationBody(n)}`.trimEnd();
}
