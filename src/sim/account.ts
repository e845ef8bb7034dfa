/**
 * The twin's account ledger: cash and holdings of one account, changed by fills only (the engine owns
 * orders and reservations).
 *
 * Simplifications (documented, deliberate):
 * - Settlement: KRX settles on T+2. The twin keeps `openingCash` (예수금 dnca_tot_amt, and D+1
 *   nxdy_excc_amt, unchanged all session since nothing settles on D+1 within one replayed day) and
 *   `cash` = the D+2 figure (prvs_rcdl_excc_amt) that every fill moves at once. Buying power is computed
 *   from the D+2 figure, as KIS's 주문가능현금 reflects today's trades.
 * - Average price (pchs_avg_pric) follows the KIS convention: purchase cost excluding fees. Buys add
 *   price × quantity to the cost basis; sells keep the average and reduce the basis pro rata
 *   (rounded to the won); a position sold out has basis 0.
 * - Holdings sold out today stay listed with quantity 0 (KIS shows them until D+2).
 */
import { InvariantError } from '../core/errors.ts';
import type { ResolvedAccount } from './account-spec.ts';

/** One position of the ledger. Quantities in shares, amounts in won. */
export interface SimHolding {
  readonly code: string;
  /** Quantity held at the start of the session (전일 보유). */
  readonly openingQty: number;
  /** Quantity held now (hldg_qty). */
  qty: number;
  /** Purchase cost of `qty`, fees excluded (pchs_amt). */
  costBasis: number;
  /** Today's bought / sold quantities and values (thdt_buyqty, thdt_sll_qty). */
  todayBuyQty: number;
  todaySellQty: number;
  todayBuyValue: number;
  todaySellValue: number;
}

/** Ledger of one account. */
export class SimAccountLedger {
  readonly spec: ResolvedAccount;
  /** Deposit at the start of the session (won). */
  readonly openingCash: number;
  /** D+2 cash: opening cash moved by every fill (won). */
  cash: number;
  /** Today's totals (won): buy value, sell value, fees + tax (thdt_buy_amt, thdt_sll_amt, thdt_tlex_amt). */
  todayBuyValue = 0;
  todaySellValue = 0;
  todayCosts = 0;
  private readonly positions = new Map<string, SimHolding>();

  constructor(spec: ResolvedAccount) {
    this.spec = spec;
    this.openingCash = spec.cash;
    this.cash = spec.cash;
    for (const h of spec.holdings) {
      const prev = this.positions.get(h.code);
      const basis = Math.round(h.avgPrice * h.quantity);
      if (prev) {
        prev.qty += h.quantity;
        prev.costBasis += basis;
        (prev as { openingQty: number }).openingQty += h.quantity;
      } else {
        this.positions.set(h.code, { code: h.code, openingQty: h.quantity, qty: h.quantity, costBasis: basis, todayBuyQty: 0, todaySellQty: 0, todayBuyValue: 0, todaySellValue: 0 });
      }
    }
  }

  /** The account key (CANO + ACNT_PRDT_CD). */
  get key(): string {
    return this.spec.accountKey;
  }

  /** Holding of a code, if the account ever held or traded it this session. */
  holding(code: string): SimHolding | undefined {
    return this.positions.get(code);
  }

  /** Every listed holding (held now, or held / traded earlier today), sorted by code. */
  holdings(): SimHolding[] {
    return [...this.positions.values()].filter((h) => h.qty > 0 || h.openingQty > 0 || h.todayBuyQty > 0 || h.todaySellQty > 0).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }

  /** Quantity held now (shares). */
  heldQty(code: string): number {
    return this.positions.get(code)?.qty ?? 0;
  }

  /**
   * Books a buy fill: cash −= value + commission; quantity and cost basis grow by the fill.
   * @param value price × quantity (won) @param commission (won)
   */
  applyBuy(code: string, qty: number, value: number, commission: number): void {
    let h = this.positions.get(code);
    if (!h) {
      h = { code, openingQty: 0, qty: 0, costBasis: 0, todayBuyQty: 0, todaySellQty: 0, todayBuyValue: 0, todaySellValue: 0 };
      this.positions.set(code, h);
    }
    h.qty += qty;
    h.costBasis += value;
    h.todayBuyQty += qty;
    h.todayBuyValue += value;
    this.cash -= value + commission;
    this.todayBuyValue += value;
    this.todayCosts += commission;
  }

  /**
   * Books a sell fill: cash += value − commission − tax; the cost basis shrinks pro rata (average kept).
   * Throws `InvariantError(SIM_OVERSOLD)` when selling more than held (the engine prevents it).
   */
  applySell(code: string, qty: number, value: number, commission: number, tax: number): void {
    const h = this.positions.get(code);
    if (!h || h.qty < qty) throw new InvariantError('SIM_OVERSOLD', `sell of ${qty} ${code} exceeds holding ${h?.qty ?? 0}`);
    const remaining = h.qty - qty;
    h.costBasis = remaining === 0 ? 0 : Math.round((h.costBasis * remaining) / h.qty);
    h.qty = remaining;
    h.todaySellQty += qty;
    h.todaySellValue += value;
    this.cash += value - commission - tax;
    this.todaySellValue += value;
    this.todayCosts += commission + tax;
  }
}
