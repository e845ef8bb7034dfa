/**
 * Order vocabulary shared by every layer. Domain enums are `as const` string unions whose values are
 * UPPER_SNAKE so logs, the database and the API show the same word.
 */
export const ORDER_SIDES = ['BUY', 'SELL'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

/** LIMIT = 지정가 (ORD_DVSN 00); MARKET = 시장가 (01). Other KRX order kinds are not modelled yet. */
export const ORDER_TYPES = ['LIMIT', 'MARKET'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/**
 * Order states (NautilusTrader-style). INITIALIZED: created locally, not sent. SUBMITTED: sent, no
 * answer yet (also the state after an outcome-unknown submit). ACCEPTED: the venue acknowledged it.
 * PENDING_CANCEL / PENDING_UPDATE: a cancel / modify was sent. Terminal: DENIED (our risk engine),
 * REJECTED (venue), CANCELED, EXPIRED, FILLED.
 */
export const ORDER_STATUSES = [
  'INITIALIZED',
  'DENIED',
  'SUBMITTED',
  'ACCEPTED',
  'REJECTED',
  'PENDING_CANCEL',
  'PENDING_UPDATE',
  'PARTIALLY_FILLED',
  'CANCELED',
  'EXPIRED',
  'FILLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['DENIED', 'REJECTED', 'CANCELED', 'EXPIRED', 'FILLED']);

/** Where a venue order is routed (EXCG_ID_DVSN_CD). Paper accounts support KRX only. */
export type Venue = 'KRX' | 'NXT' | 'SOR';
