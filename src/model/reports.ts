import type { UnixMillis } from '../core/brand.ts';
import type { KstDate } from '../core/kst.ts';
import type { InstrumentId } from './instrument.ts';
import type { Krw, Quantity } from './money.ts';
import type { OrderSide, OrderType, Venue } from './order-types.ts';

/**
 * Venue snapshots, mapped from KIS payloads by the adapter and consumed by the engines and
 * reconciliation. Names end in `Report` (style anchors §4.5). All money in whole won, quantities in
 * shares, instants in epoch ms.
 */

/** Identifies a venue order: KIS needs both the branch (KRX_FWDG_ORD_ORGNO) and the order number (ODNO). */
export interface VenueOrderRef {
  /** 10-digit order number (ODNO), kept as the venue's string. */
  readonly venueOrderId: string;
  /** 5-digit branch/organisation number (KRX_FWDG_ORD_ORGNO / ord_gno_brno). */
  readonly branch: string;
}

/** Answer to a submitted, modified or cancelled order. */
export interface OrderAck extends VenueOrderRef {
  /** Venue acceptance time (ORD_TMD on the session date), epoch ms. */
  readonly tsEvent: UnixMillis;
  readonly messageCode: string;
  readonly message: string;
}

/** Status of one venue order as of a query (inquire-daily-ccld / inquire-psbl-rvsecncl). */
export interface OrderStatusReport extends VenueOrderRef {
  /** Original order number for modify/cancel orders, else ''. */
  readonly originalVenueOrderId: string;
  readonly instrumentId: InstrumentId;
  readonly name: string;
  readonly side: OrderSide;
  readonly orderType: OrderType | 'OTHER';
  /** The venue's order-kind code (ORD_DVSN), verbatim, for kinds we do not model. */
  readonly orderTypeCode: string;
  readonly quantity: Quantity;
  /** 0 for market orders. */
  readonly price: number;
  readonly filledQuantity: Quantity;
  /** Sum of fill values (won). */
  readonly filledValue: Krw;
  /** Average fill price (won, may be fractional on the wire: rounded to won). */
  readonly averageFillPrice: number;
  readonly remainingQuantity: Quantity;
  readonly rejectedQuantity: Quantity;
  readonly canceled: boolean;
  /** True when a cancel/modify order (RVSE_CNCL) rather than a new order. */
  readonly isModifyOrCancel: boolean;
  readonly orderDate: KstDate;
  readonly tsEvent: UnixMillis;
  readonly venue: Venue;
}

/** One holding as reported by the venue (inquire-balance output1). */
export interface PositionStatusReport {
  readonly instrumentId: InstrumentId;
  readonly name: string;
  /** hldg_qty. */
  readonly quantity: Quantity;
  /** ord_psbl_qty: what can be sold now. */
  readonly sellableQuantity: Quantity;
  /** pchs_avg_pric (won, fractional on the wire; kept as reported, rounded only for display). */
  readonly averagePrice: number;
  /** pchs_amt. */
  readonly purchaseAmount: Krw;
  /** prpr. */
  readonly lastPrice: number;
  /** evlu_amt. */
  readonly marketValue: Krw;
  /** evlu_pfls_amt. */
  readonly unrealizedPnl: Krw;
}

/** Account cash summary (inquire-balance output2). */
export interface CashReport {
  /** dnca_tot_amt 예수금 (won). */
  readonly deposit: Krw;
  /** prvs_rcdl_excc_amt D+2 settlement cash (won). */
  readonly settlementD2: Krw;
  /** nxdy_excc_amt D+1 (won). */
  readonly settlementD1: Krw;
  /** scts_evlu_amt securities value (won). */
  readonly securitiesValue: Krw;
  /** tot_evlu_amt total value (won). */
  readonly totalValue: Krw;
}

/** A full balance snapshot: every holding (all pages) plus cash. */
export interface AccountBalanceReport {
  readonly positions: readonly PositionStatusReport[];
  readonly cash: CashReport;
  readonly tsInit: UnixMillis;
}

/** Buying power (inquire-psbl-order). */
export interface BuyingPowerReport {
  /** ord_psbl_cash (won). */
  readonly orderableCash: Krw;
  /** nrcvb_buy_amt: cash-only buyable amount (won). */
  readonly cashBuyAmount: Krw;
  /** nrcvb_buy_qty: cash-only buyable quantity (shares). */
  readonly cashBuyQuantity: Quantity;
  /** max_buy_amt / max_buy_qty: with margin (미수). */
  readonly maxBuyAmount: Krw;
  readonly maxBuyQuantity: Quantity;
  /** psbl_qty_calc_unpr: price the quantity was computed at. */
  readonly calcPrice: number;
}

/** A quote snapshot (inquire-price). */
export interface QuoteReport {
  readonly instrumentId: InstrumentId;
  readonly name: string;
  /** stck_prpr: last trade price (won; may be a half tick). */
  readonly last: number;
  /** prdy_vrss signed change vs previous close (won). */
  readonly change: number;
  /** prdy_ctrt in percent, as reported. */
  readonly changePercent: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  /** acml_vol shares. */
  readonly volume: number;
  /** acml_tr_pbmn won. */
  readonly tradedValue: number;
  /** stck_mxpr / stck_llam / stck_sdpr. */
  readonly upperLimit: number;
  readonly lowerLimit: number;
  readonly basePrice: number;
  /** aspr_unit: tick at the current price. */
  readonly tick: number;
  /** temp_stop_yn === 'Y' or iscd_stat_cls_code 58. */
  readonly halted: boolean;
  readonly tsInit: UnixMillis;
}

/** One bar (minute or daily). `ts` is the bar's end (minute bars) or the session date at 15:30 KST (daily). */
export interface BarReport {
  readonly instrumentId: InstrumentId;
  readonly date: KstDate;
  /** HHMMSS for minute bars, '' for daily. */
  readonly time: string;
  readonly ts: UnixMillis;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Traded value (won): per bar for daily, cumulative (acml_tr_pbmn) for minute bars as KIS sends it. */
  readonly value: number;
}

/** Order book snapshot (inquire-asking-price-exp-ccn): 10 levels each side, best first. */
export interface OrderBookReport {
  readonly instrumentId: InstrumentId;
  readonly asks: readonly { price: number; quantity: number }[];
  readonly bids: readonly { price: number; quantity: number }[];
  readonly time: string;
  readonly tsInit: UnixMillis;
}

/** chk-holiday answer for one date. */
export interface HolidayReport {
  readonly date: KstDate;
  /** opnd_yn: the market opens that day. */
  readonly marketOpen: boolean;
  /** bzdy_yn business day, tr_day_yn transaction day, sttl_day_yn settlement day. */
  readonly businessDay: boolean;
  readonly tradingDay: boolean;
  readonly settlementDay: boolean;
}
