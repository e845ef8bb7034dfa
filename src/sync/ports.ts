import type { KstDate } from '../core/kst.ts';
import type { AccountBalanceReport, OrderStatusReport } from '../model/reports.ts';

/**
 * What the sync needs from the venue (the KIS REST client implements it; the twin is reached through
 * the same client). Queries only: the sync never sends a command.
 */
export interface VenueAccountPort {
  /** Holdings (every page) and cash (KIS inquire-balance). `tsInit` is when the answer was mapped. */
  requestBalance(): Promise<AccountBalanceReport>;
  /** Orders with their cumulative filled quantity and value (KIS inquire-daily-ccld), every page. */
  requestOrders(range: { from: KstDate; to: KstDate }): Promise<OrderStatusReport[]>;
}

/** Something the operator must hear about (sent to the notification channels by the composition root). */
export interface SyncAlert {
  /** Stable code, e.g. `SYNC_DIVERGED`, `ORDER_LOST`, `SYNC_FAILED`, `FILL_CONFLICT`. */
  readonly code: string;
  readonly message: string;
  /** `emergency` for a HALT or a lost order, `high` otherwise. */
  readonly priority: 'high' | 'emergency';
}
