/**
 * Composition of the order executor: its journal over the ledger (orders, order events, audit log).
 */
import { unixMillis } from '../core/brand.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Market } from '../model/instrument.ts';
import { price, quantity } from '../model/money.ts';
import type { ExitIntent } from '../monitor/intent.ts';
import { OrderExecutor } from '../execution/executor.ts';
import type { ExecutionVenue, JournaledOrder, OrderJournal } from '../execution/ports.ts';
import type { Ledger } from '../persistence/index.ts';

/**
 * The executor's journal in the ledger of `accountId`: `open` inserts the order with its
 * OrderInitialized and OrderSubmitted events in one transaction (durable on commit); `record` appends
 * an event under the order's row lock when `when` still holds; the audit goes to `audit_log` (masked).
 */
export function ledgerJournal(ledger: Ledger, accountId: string): OrderJournal {
  return {
    async open(init, submitted, meta) {
      await ledger.orders.insertIntent({ accountId, init, submitted, reason: meta.reason });
    },
    async record(event, when) {
      const before = await ledger.orders.get(event.clientOrderId);
      if (before === undefined) return false;
      const after = await ledger.orders.applyEventWhen(event, (o) => (when ? when({ status: o.status, venueOrderIds: o.venueOrderIds }) : true));
      return after.order.events.length > before.order.events.length;
    },
    async has(clientOrderId) {
      return (await ledger.orders.get(clientOrderId)) !== undefined;
    },
    async openOrders(): Promise<JournaledOrder[]> {
      return (await ledger.orders.findOpen(accountId)).map((s) => ({
        clientOrderId: s.order.clientOrderId,
        instrumentId: s.order.instrumentId,
        side: s.order.side,
        orderType: s.order.orderType,
        quantity: s.order.quantity,
        ...(s.order.price === undefined ? {} : { price: s.order.price }),
        ...(s.order.venueOrderId === undefined ? {} : { venueOrderId: s.order.venueOrderId }),
        ...(s.order.branch === undefined ? {} : { branch: s.order.branch }),
        venueOrderIds: s.order.venueOrderIds,
        status: s.order.status,
        createdAt: s.createdAt,
      }));
    },
    async audit(entry) {
      await ledger.audit.append({ ...entry, target: entry.target ?? accountId });
    },
  };
}

/** An executor over `venue` journaling into the ledger account `accountId`. @throws ConfigError for a bad `config` */
export function ledgerExecutor(o: {
  readonly venue: ExecutionVenue;
  readonly ledger: Ledger;
  readonly accountId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config?: unknown;
  readonly marketOf?: (id: string) => Market | undefined;
}): OrderExecutor {
  return new OrderExecutor({
    venue: o.venue,
    journal: ledgerJournal(o.ledger, o.accountId),
    clock: o.clock,
    logger: o.logger,
    ...(o.config === undefined ? {} : { config: o.config }),
    ...(o.marketOf ? { marketOf: o.marketOf } : {}),
  });
}

/** What {@link recoverExitOrders} did. */
export interface ExitOrderRecovery {
  /** Client order ids copied from the exit-intent log into the ledger. */
  readonly recovered: readonly string[];
}

/**
 * Copies into the ledger every order of the monitor's exit intents that the ledger lacks, before the
 * startup reconciliation. An exit order leaves once its intent is durable in the intent log (the order
 * executor's write-ahead mode) and its ledger journal follows the send, so a crash in between leaves
 * an order the venue may hold and only the intent log knows. Each such order is written as SUBMITTED
 * with the time it was sent (`createdAt` = the attempt's `submittedAt`, epoch ms), so the startup
 * reconciliation resolves it as it resolves any order in flight: adopted with its fills when the venue
 * has it, LOST after repeated misses when it never left. An attempt the intent log knows as accepted
 * also gets its venue number; one the venue refused is closed as OrderRejected. Each copy is audited
 * (`order.recover`).
 * @throws the ledger's errors (the caller must not trade when this fails: the startup reconciliation
 *   would book such an order's fills as an outside trade)
 */
export async function recoverExitOrders(o: {
  readonly ledger: Ledger;
  readonly accountId: string;
  readonly intents: readonly ExitIntent[];
  readonly clock: Clock;
  readonly logger: Logger;
}): Promise<ExitOrderRecovery> {
  const recovered: string[] = [];
  const now = unixMillis(o.clock.now());
  for (const intent of o.intents) {
    for (const a of intent.attempts) {
      if ((await o.ledger.orders.get(a.clientOrderId)) !== undefined) continue;
      const at = unixMillis(a.submittedAt);
      const base = { clientOrderId: a.clientOrderId, instrumentId: intent.instrumentId, tsEvent: at, tsInit: now };
      await o.ledger.orders.insertIntent({
        accountId: o.accountId,
        init: {
          ...base,
          type: 'OrderInitialized',
          side: 'SELL',
          orderType: a.orderType,
          quantity: quantity(a.quantity),
          ...(a.orderType === 'LIMIT' && a.price !== undefined ? { price: price(a.price) } : {}),
          tag: 'monitor',
        },
        submitted: { ...base, type: 'OrderSubmitted' },
        reason: `exit ${intent.clientOrderId} (recovered from the exit-intent log)`,
        createdAt: at,
      });
      if (a.venueOrderId !== undefined) {
        await o.ledger.orders.applyEvent({ ...base, type: 'OrderAccepted', venueOrderId: a.venueOrderId, branch: a.branch ?? '' });
      } else if (a.status === 'REJECTED') {
        await o.ledger.orders.applyEvent({ ...base, type: 'OrderRejected', reason: 'refused by the venue (recovered from the exit-intent log)', messageCode: 'HANTU_RECOVERED' });
      }
      await o.ledger.audit.append({
        actor: 'monitor',
        action: 'order.recover',
        target: a.clientOrderId,
        result: 'OK',
        detail: { intent: intent.clientOrderId, instrumentId: intent.instrumentId, status: a.status, quantity: a.quantity, price: a.price, submittedAt: a.submittedAt, venueOrderId: a.venueOrderId },
      });
      o.logger.warn({ clientOrderId: a.clientOrderId, intent: intent.clientOrderId, status: a.status }, 'exit order missing from the ledger: copied in from the exit-intent log');
      recovered.push(a.clientOrderId);
    }
  }
  return { recovered };
}
