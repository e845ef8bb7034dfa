import { InputError } from '../core/errors.ts';
import { isInstrumentId, instrumentId } from '../model/instrument.ts';
import type { OrderSide } from '../model/order-types.ts';
import type { AccountBalanceReport, OrderAck, OrderStatusReport, QuoteReport } from '../model/reports.ts';
import { isOnTick, roundToTick, tickSize } from '../model/tick.ts';
import type { BrokerSession } from './ports.ts';

/** Validates a stock code argument (6 alphanumeric characters). Throws `InputError`. */
export function parseCode(code: string): string {
  const c = code.trim().toUpperCase();
  if (!isInstrumentId(c)) throw new InputError(`stock code must be 6 letters or digits (e.g. 005930), was "${code}"`);
  return c;
}

/** Parses a whole positive number (commas and `_` allowed). Throws `InputError` naming `what`. */
export function parseWhole(value: string, what: string): number {
  const n = Number(value.replaceAll(',', '').replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError(`${what} must be a whole number > 0, was "${value}"`);
  return n;
}

export async function quote(s: BrokerSession, code: string): Promise<QuoteReport> {
  return s.client.requestQuote(instrumentId(parseCode(code)));
}

export async function balance(s: BrokerSession): Promise<AccountBalanceReport> {
  return s.client.requestBalance();
}

/** An order request from a person (CLI/API). `limit` absent ⇒ `market` must be set. */
export interface PlaceOrderRequest {
  readonly side: OrderSide;
  readonly code: string;
  readonly quantity: string | number;
  readonly limit?: string | number | undefined;
  readonly market?: boolean | undefined;
  /** Sends an off-grid price to the twin to see its rejection (twin only). */
  readonly unchecked?: boolean | undefined;
  /** Required for a real account (`KIS_ENV=real`). */
  readonly live?: boolean | undefined;
}

/**
 * Places one order after local checks: code, quantity, limit XOR market, price on the tick grid
 * (an off-grid price is refused with the two nearest valid prices), the real-money guard.
 * Throws `InputError`; venue outcomes come back as `AppError`s from the client.
 */
export async function placeOrder(s: BrokerSession, r: PlaceOrderRequest): Promise<OrderAck> {
  const code = parseCode(r.code);
  const qty = typeof r.quantity === 'number' ? r.quantity : parseWhole(r.quantity, 'quantity');
  if (!Number.isSafeInteger(qty) || qty <= 0) throw new InputError(`quantity must be a whole number > 0, was ${qty}`);
  if (s.env === 'real' && !r.live) {
    throw new InputError('this is a REAL KIS account: add --live to send a real order (or use --sim / KIS_ENV=paper)');
  }
  if (r.unchecked && s.env !== 'sim') throw new InputError('--unchecked is only for the twin (--sim)');
  if (r.market && r.limit !== undefined) throw new InputError('give either --limit <price> or --market, not both');
  if (!r.market && r.limit === undefined) throw new InputError('give --limit <price> or --market');
  let price: number | undefined;
  if (r.limit !== undefined) {
    price = typeof r.limit === 'number' ? r.limit : parseWhole(r.limit, 'limit price');
    if (!r.unchecked && !isOnTick(price)) {
      const down = roundToTick(price, 'down');
      const up = roundToTick(price, 'up');
      throw new InputError(
        `limit price ${price.toLocaleString('en-US')} is not on the KRX tick grid (tick ${tickSize(price)} won at this price); nearest valid prices: ${down.toLocaleString('en-US')} or ${up.toLocaleString('en-US')} (--unchecked sends it to the twin anyway)`,
      );
    }
  }
  return s.client.submitOrder({
    instrumentId: instrumentId(code),
    side: r.side,
    orderType: r.market ? 'MARKET' : 'LIMIT',
    quantity: qty,
    price,
    skipTickCheck: r.unchecked,
  });
}

/** Today's orders (or only the open ones), newest first. */
export async function orders(s: BrokerSession, opts: { open?: boolean } = {}): Promise<OrderStatusReport[]> {
  const list = opts.open ? await s.client.requestOpenOrders() : await s.client.requestOrders({ from: s.today(), to: s.today() });
  return [...list].sort((a, b) => b.tsEvent - a.tsEvent || b.venueOrderId.localeCompare(a.venueOrderId));
}

/** Cancels an open order by its order number (the branch is looked up among today's open orders). */
export async function cancel(s: BrokerSession, orderNo: string): Promise<OrderAck> {
  const no = orderNo.trim();
  if (!/^\d{1,10}$/.test(no)) throw new InputError(`order number must be digits, was "${orderNo}"`);
  const open = await s.client.requestOpenOrders();
  const target = open.find((o) => o.venueOrderId === no.padStart(10, '0') || Number(o.venueOrderId) === Number(no));
  if (!target) throw new InputError(`order ${no} is not among today's open orders (${open.map((o) => o.venueOrderId).join(', ') || 'none'})`);
  return s.client.cancelOrder({ venueOrderId: target.venueOrderId, branch: target.branch });
}
