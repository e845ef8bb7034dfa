/**
 * Composition of the order executor: its journal over the ledger (orders, order events, audit log).
 */
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Market } from '../model/instrument.ts';
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
