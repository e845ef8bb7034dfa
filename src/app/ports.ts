import type { KstDate } from '../core/kst.ts';
import type { InstrumentId } from '../model/instrument.ts';
import type { OrderSide, OrderType } from '../model/order-types.ts';
import type {
  AccountBalanceReport,
  BarReport,
  BuyingPowerReport,
  OrderAck,
  OrderBookReport,
  OrderStatusReport,
  QuoteReport,
  VenueOrderRef,
} from '../model/reports.ts';

/** A new order as the application sends it. Prices in won, quantities in shares. */
export interface SubmitOrderCommand {
  readonly instrumentId: InstrumentId | string;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: number;
  readonly price?: number | undefined;
  /** Twin only: let an off-grid limit price reach the venue so its rejection shows. */
  readonly skipTickCheck?: boolean | undefined;
}

/**
 * The broker as the application sees it (implemented by the KIS client; the twin is reached through the
 * same client). Errors: `InputError` for bad arguments (nothing sent), `AppError` with a disposition for
 * venue and transport failures.
 */
export interface BrokerClient {
  requestQuote(id: InstrumentId | string): Promise<QuoteReport>;
  requestOrderBook(id: InstrumentId | string): Promise<OrderBookReport>;
  requestMinuteBars(id: InstrumentId | string, opts?: { until?: string }): Promise<BarReport[]>;
  requestBalance(): Promise<AccountBalanceReport>;
  requestBuyingPower(opts?: { instrumentId?: InstrumentId | string; price?: number; orderType?: OrderType }): Promise<BuyingPowerReport>;
  submitOrder(cmd: SubmitOrderCommand): Promise<OrderAck>;
  cancelOrder(ref: VenueOrderRef): Promise<OrderAck>;
  requestOpenOrders(): Promise<OrderStatusReport[]>;
  requestOrders(range: { from: KstDate; to: KstDate }): Promise<OrderStatusReport[]>;
  close(): Promise<void>;
}

/** Which broker a session talks to, for display and for the real-money guard. */
export interface BrokerSession {
  readonly client: BrokerClient;
  /** 'sim' for the twin, else the KIS environment. */
  readonly env: 'sim' | 'paper' | 'real';
  /** Human description: the twin's URL and day, or the KIS host. */
  readonly description: string;
  /** The account, masked (`1234****-01`). */
  readonly account: string;
  /** Today's date at the venue (the twin's replayed day). */
  today(): KstDate;
  close(): Promise<void>;
}
