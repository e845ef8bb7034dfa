import type { UnixMillis } from '../core/brand.ts';
import type { InstrumentId } from './instrument.ts';
import type { OrderSide } from './order-types.ts';

/**
 * Real-time market data and account notices as domain events (what the KIS WebSocket frames become
 * inside the adapter). Prices in won (trade prints may sit on a half tick), sizes in shares,
 * instants in epoch ms.
 */

/** Which book a print or quote comes from: KRX, NXT, or the unified (통합) feed. */
export type FeedVenue = 'KRX' | 'NXT' | 'UNIFIED';

/** Trading session of a print, from the venue's session code. */
export type SessionPhase = 'PRE_OPEN' | 'REGULAR' | 'AFTER_HOURS' | 'EXTENDED' | 'UNKNOWN';

/** One trade print (H0STCNT0 and variants). */
export interface TradeTick {
  readonly type: 'TradeTick';
  readonly instrumentId: InstrumentId;
  readonly venue: FeedVenue;
  readonly price: number;
  readonly size: number;
  /** Aggressor side: BUY for 매수(+) prints, SELL for 매도(-), NONE for auction prints. */
  readonly aggressor: OrderSide | 'NONE';
  readonly bestAsk: number;
  readonly bestBid: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  /** Volume-weighted average price of the day (won, fractional). */
  readonly vwap: number;
  readonly cumulativeVolume: number;
  /** Cumulative traded value (won). */
  readonly cumulativeValue: number;
  /** Change vs previous close (won, signed). */
  readonly change: number;
  readonly session: SessionPhase;
  /** Venue's raw session code (NEW_MKOP_CLS_CODE), kept for diagnostics. */
  readonly sessionCode: string;
  /** HOUR_CLS_CODE: '0' regular; 'C' after 09:00 = VI single-price; A/B/D expected-price phases. */
  readonly hourClass: string;
  /** The instrument is halted (TRHT_YN = Y). */
  readonly halted: boolean;
  /** Static VI trigger base price (won), 0 when none. */
  readonly viBasePrice: number;
  /** Exchange time of the print. */
  readonly tsEvent: UnixMillis;
  /** When we received it. */
  readonly tsInit: UnixMillis;
}

/** A level of the order book. */
export interface BookLevel {
  readonly price: number;
  readonly quantity: number;
}

/** Order-book snapshot, 10 levels per side, best first (H0STASP0 and variants). */
export interface QuoteBook {
  readonly type: 'QuoteBook';
  readonly instrumentId: InstrumentId;
  readonly venue: FeedVenue;
  readonly asks: readonly BookLevel[];
  readonly bids: readonly BookLevel[];
  readonly totalAskQuantity: number;
  readonly totalBidQuantity: number;
  /** Expected auction price (0 outside auctions). */
  readonly expectedPrice: number;
  readonly hourClass: string;
  readonly tsEvent: UnixMillis;
  readonly tsInit: UnixMillis;
}

/** Market operation change for an instrument: halt, VI, session transitions (H0STMKO0 and variants). */
export interface MarketStatusUpdate {
  readonly type: 'MarketStatusUpdate';
  readonly instrumentId: InstrumentId;
  readonly venue: FeedVenue;
  readonly halted: boolean;
  readonly haltReason: string;
  /** Venue operation code (MKOP_CLS_CODE), e.g. 112 open, 129 close, 164 temporary halt. */
  readonly operationCode: string;
  readonly expectedOperationCode: string;
  /** VI currently applied (VI_CLS_CODE = Y). */
  readonly viActive: boolean;
  readonly statusCode: string;
  readonly tsInit: UnixMillis;
}

/**
 * An account execution notice (H0STCNI0 real / H0STCNI9 paper). `ACKNOWLEDGED` notices
 * (CNTG_YN = 1) confirm an order, modify, cancel or rejection; `FILLED` notices (CNTG_YN = 2) report
 * one fill. For acknowledgements, `quantity`/`price` are the order's; for fills, `fillQuantity` and
 * `fillPrice` are the fill's and `quantity` the order quantity.
 */
export interface ExecutionNotice {
  readonly type: 'ExecutionNotice';
  readonly kind: 'ACKNOWLEDGED' | 'FILLED';
  /** Account number as sent (10 digits: CANO + product code). */
  readonly account: string;
  readonly venueOrderId: string;
  readonly originalVenueOrderId: string;
  readonly branch: string;
  readonly side: OrderSide;
  /** NEW, MODIFY or CANCEL (RCTF_CLS 0/1/2). */
  readonly action: 'NEW' | 'MODIFY' | 'CANCEL';
  /** The venue refused the order (RFUS_YN = 1). */
  readonly rejected: boolean;
  /** ACPT_YN: 1 accepted, 2 confirmed, 3 cancelled (IOC/FOK remainder). */
  readonly acceptanceCode: string;
  readonly instrumentId: InstrumentId;
  readonly name: string;
  /** Order quantity (shares). */
  readonly quantity: number;
  /** Order price (won, 0 for market orders); from ODER_PRC when present, else from the ack's price field. */
  readonly price: number;
  readonly fillQuantity: number;
  readonly fillPrice: number;
  readonly orderKindCode: string;
  readonly tsEvent: UnixMillis;
  readonly tsInit: UnixMillis;
}

export type MarketDataEvent = TradeTick | QuoteBook | MarketStatusUpdate;
