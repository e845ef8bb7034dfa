/**
 * The end-of-day comparison of `hantu chaos` and `hantu run --days`: the ledger (what hantu believes)
 * against the twin's engine state (what the venue did), after the node's final sync. Pure: the caller
 * collects both sides (campaign-node.ts `collectLedgerSide` / `collectTwinSide` / `collectExitOwners`).
 *
 * What is counted:
 * - `lost_fill`: a fill the twin executed for the account whose shares the ledger never recorded (per
 *   venue order, the twin's fills in sequence beyond the ledger's recorded quantity; a fill only partly
 *   covered counts as lost);
 * - `duplicate_order`: a venue order of ours that is the second (third…) venue order for one intent —
 *   a ledger order or an exit attempt — or that no intent owns at all and that is not one of
 *   `externalOrders` (trades placed outside hantu on purpose). Modify orders belong to their original;
 *   an order never acknowledged (outcome unknown) is attributed by its terms (instrument, side,
 *   quantity, placed within 10 minutes after the intent);
 * - `divergence`: any other difference — positions (quantity; cost basis beyond the sync's tolerance of
 *   1 won per share), D+2 cash, deposit, a venue order with more (or other) fills in the ledger than at
 *   the twin, an order open on one side and not the other, a ledger order's filled quantity.
 * Money in whole won, quantities in shares, instants in epoch ms.
 */
import type { OrderStatus } from '../model/order-types.ts';

/** The ledger's side for one account and session. */
export interface LedgerSide {
  /** Positions with quantity > 0; `costBasis` in won, fees excluded. */
  readonly positions: readonly { readonly code: string; readonly quantity: number; readonly costBasis: number }[];
  /** Cash row (won); undefined when the ledger has none. */
  readonly cash: { readonly deposit: number; readonly settlementD1: number; readonly settlementD2: number } | undefined;
  /** Fills recorded for the session. */
  readonly fills: readonly { readonly venueOrderId: string; readonly tradeId: string; readonly quantity: number; readonly price: number; readonly source: string }[];
  /** Orders created in the session, plus every order still open whatever its day. */
  readonly orders: readonly LedgerOrderSide[];
}

export interface LedgerOrderSide {
  readonly clientOrderId: string;
  readonly status: OrderStatus;
  readonly code: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly filledQty: number;
  /** Original and modify venue numbers, oldest first. */
  readonly venueOrderIds: readonly string[];
  /** Epoch ms. */
  readonly createdAt: number;
  /** True when created in an earlier session (only open ones are listed). */
  readonly earlier?: boolean;
}

/** The twin's side: the engine's account and orders after the close. */
export interface TwinSide {
  /** Holdings with quantity > 0; `costBasis` in won (pchs_amt). */
  readonly holdings: readonly { readonly code: string; readonly quantity: number; readonly costBasis: number }[];
  /** Deposit at the start of the session and D+2 cash now (won). */
  readonly cash: { readonly opening: number; readonly settlementD2: number };
  readonly orders: readonly TwinOrderSide[];
  /** Every fill of the account's orders, as executed. */
  readonly fills: readonly { readonly odno: string; readonly fillSeq: number; readonly quantity: number; readonly price: number; readonly ts: number }[];
}

export interface TwinOrderSide {
  readonly odno: string;
  /** '' for a NEW order. */
  readonly origOdno: string;
  readonly kind: 'NEW' | 'MODIFY' | 'CANCEL';
  readonly side: 'BUY' | 'SELL';
  readonly code: string;
  readonly ordQty: number;
  readonly filledQty: number;
  readonly status: 'OPEN' | 'FILLED' | 'CANCELED' | 'REPLACED' | 'EXPIRED' | 'DONE';
  /** Acceptance instant (epoch ms). */
  readonly ts: number;
}

/** An intent that may own venue orders besides ledger orders: one attempt of a monitor exit. */
export interface ExitOwner {
  readonly clientOrderId: string;
  readonly code: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  /** When the submit was sent (epoch ms). */
  readonly submittedAt: number;
  readonly venueOrderId?: string | undefined;
}

export interface CompareInput {
  readonly ledger: LedgerSide;
  readonly twin: TwinSide;
  readonly exits: readonly ExitOwner[];
  /** Venue orders placed outside hantu on purpose (adopted external trades): not duplicates. */
  readonly externalOrders?: ReadonlySet<string>;
}

export type FindingCategory = 'divergence' | 'duplicate_order' | 'lost_fill';

export interface Finding {
  readonly category: FindingCategory;
  /** POSITION, COST_BASIS, CASH_D2, DEPOSIT, FILLS_EXTRA, FILLS_UNKNOWN_ORDER, LOST_FILL, ORDER_OPEN_IN_LEDGER, ORDER_OPEN_AT_VENUE, ORDER_FILLED_QTY, DUPLICATE_ORDER, UNOWNED_ORDER. */
  readonly what: string;
  readonly ref: string;
  readonly ledger: unknown;
  readonly twin: unknown;
  readonly detail: string;
}

export interface CompareResult {
  readonly findings: readonly Finding[];
  readonly divergences: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
  /** What was compared (counts), for the report. */
  readonly compared: { readonly positions: number; readonly twinOrders: number; readonly twinFills: number; readonly ledgerFills: number; readonly ledgerOrders: number; readonly exitAttempts: number };
}

const OPEN: ReadonlySet<OrderStatus> = new Set(['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_UPDATE']);
/** How long after an intent a venue order with its terms may appear (outcome unknown, found later). */
const ATTRIBUTION_WINDOW_MS = 10 * 60_000;

interface Owner {
  readonly id: string;
  readonly code: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly at: number;
  readonly venueIds: Set<string>;
  readonly roots: Set<string>;
}

/** Compares one session (see the module comment). Pure. */
export function compareDay(input: CompareInput): CompareResult {
  const { ledger, twin } = input;
  const findings: Finding[] = [];
  const add = (category: FindingCategory, what: string, ref: string, l: unknown, t: unknown, detail: string): void => {
    findings.push({ category, what, ref, ledger: l, twin: t, detail });
  };

  // --- positions and cash ----------------------------------------------------------------------
  const lp = new Map(ledger.positions.filter((p) => p.quantity > 0).map((p) => [p.code, p] as const));
  const tp = new Map(twin.holdings.filter((h) => h.quantity > 0).map((h) => [h.code, h] as const));
  const codes = [...new Set([...lp.keys(), ...tp.keys()])].sort();
  for (const code of codes) {
    const l = lp.get(code);
    const t = tp.get(code);
    const lq = l?.quantity ?? 0;
    const tq = t?.quantity ?? 0;
    if (lq !== tq) add('divergence', 'POSITION', code, lq, tq, `the ledger holds ${lq} shares, the twin ${tq}`);
    else if (l && t && Math.abs(l.costBasis - t.costBasis) > tq) {
      add('divergence', 'COST_BASIS', code, l.costBasis, t.costBasis, `cost basis differs by ${t.costBasis - l.costBasis} won (tolerance ${tq} won)`);
    }
  }
  if (ledger.cash === undefined) add('divergence', 'CASH_D2', 'cash', null, twin.cash.settlementD2, 'the ledger has no cash row');
  else {
    if (ledger.cash.settlementD2 !== twin.cash.settlementD2) {
      add('divergence', 'CASH_D2', 'settlementD2', ledger.cash.settlementD2, twin.cash.settlementD2, `D+2 cash differs by ${twin.cash.settlementD2 - ledger.cash.settlementD2} won`);
    }
    if (ledger.cash.deposit !== twin.cash.opening) add('divergence', 'DEPOSIT', 'deposit', ledger.cash.deposit, twin.cash.opening, `deposit differs by ${twin.cash.opening - ledger.cash.deposit} won`);
  }

  // --- fills per venue order ---------------------------------------------------------------------
  const twinOrders = new Map(twin.orders.map((o) => [o.odno, o] as const));
  const recorded = new Map<string, number>();
  for (const f of ledger.fills) recorded.set(f.venueOrderId, (recorded.get(f.venueOrderId) ?? 0) + f.quantity);
  const twinFills = new Map<string, TwinSide['fills'][number][]>();
  for (const f of twin.fills) {
    const list = twinFills.get(f.odno) ?? [];
    list.push(f);
    twinFills.set(f.odno, list);
  }
  for (const [odno, list] of twinFills) {
    list.sort((a, b) => a.fillSeq - b.fillSeq);
    const have = recorded.get(odno) ?? 0;
    let cum = 0;
    for (const f of list) {
      cum += f.quantity;
      if (cum > have) add('lost_fill', 'LOST_FILL', `${odno}#${f.fillSeq}`, have, { quantity: f.quantity, price: f.price, ts: f.ts }, `fill ${f.fillSeq} of order ${odno} (${f.quantity} @ ${f.price}) is not in the ledger (ledger has ${have} of ${cum} shares)`);
    }
    if (have > cum) add('divergence', 'FILLS_EXTRA', odno, have, cum, `the ledger recorded ${have} shares for order ${odno}, the twin filled ${cum}`);
  }
  for (const [vid, have] of recorded) {
    if (twinFills.has(vid)) continue;
    add('divergence', twinOrders.has(vid) ? 'FILLS_EXTRA' : 'FILLS_UNKNOWN_ORDER', vid, have, 0, `the ledger recorded ${have} shares for order ${vid}, which has no fill at the twin${twinOrders.has(vid) ? '' : ' (unknown order)'}`);
  }

  // --- ownership: every venue order of ours belongs to exactly one intent --------------------------
  const rootOf = (odno: string): string => {
    let o = twinOrders.get(odno);
    const seen = new Set<string>();
    while (o && o.kind !== 'NEW' && o.origOdno && !seen.has(o.odno)) {
      seen.add(o.odno);
      const parent = twinOrders.get(o.origOdno);
      if (!parent) return o.origOdno;
      o = parent;
    }
    return o?.odno ?? odno;
  };
  const owners: Owner[] = [];
  const byVenue = new Map<string, Owner>();
  const byId = new Map<string, Owner>();
  const claim = (owner: Owner, vid: string): void => {
    owner.venueIds.add(vid);
    byVenue.set(vid, owner);
    const root = rootOf(vid);
    if (twinOrders.get(root)?.kind === 'NEW') owner.roots.add(root);
  };
  const sessionOrders = ledger.orders.filter((o) => !o.earlier);
  for (const o of sessionOrders) {
    const owner: Owner = { id: o.clientOrderId, code: o.code, side: o.side, quantity: o.quantity, at: o.createdAt, venueIds: new Set(), roots: new Set() };
    owners.push(owner);
    byId.set(o.clientOrderId, owner);
    for (const v of o.venueOrderIds) claim(owner, v);
  }
  for (const e of input.exits) {
    const same = byId.get(e.clientOrderId) ?? (e.venueOrderId ? byVenue.get(e.venueOrderId) : undefined);
    if (same) {
      if (e.venueOrderId) claim(same, e.venueOrderId);
      continue;
    }
    const owner: Owner = { id: e.clientOrderId, code: e.code, side: e.side, quantity: e.quantity, at: e.submittedAt, venueIds: new Set(), roots: new Set() };
    owners.push(owner);
    byId.set(e.clientOrderId, owner);
    if (e.venueOrderId) claim(owner, e.venueOrderId);
  }
  const roots = twin.orders.filter((o) => o.kind === 'NEW').sort((a, b) => a.ts - b.ts);
  const ownedRoots = new Set<string>();
  for (const ow of owners) for (const r of ow.roots) ownedRoots.add(r);
  const attributed = new Map<string, Owner>();
  for (const r of roots) {
    if (ownedRoots.has(r.odno) || input.externalOrders?.has(r.odno)) continue;
    // An order never acknowledged: the intent with its terms that has no venue order yet, else any
    // intent with its terms (then it is a second venue order for that intent).
    const fits = owners.filter((ow) => ow.code === r.code && ow.side === r.side && ow.quantity === r.ordQty && r.ts >= ow.at - 2_000 && r.ts <= ow.at + ATTRIBUTION_WINDOW_MS);
    const owner = fits.find((ow) => ow.roots.size === 0) ?? fits[0];
    if (owner) {
      owner.roots.add(r.odno);
      attributed.set(r.odno, owner);
      ownedRoots.add(r.odno);
      continue;
    }
    add('duplicate_order', 'UNOWNED_ORDER', r.odno, null, { code: r.code, side: r.side, quantity: r.ordQty, ts: r.ts }, `venue order ${r.odno} (${r.side} ${r.code} ${r.ordQty}) is owned by no ledger order or exit intent`);
  }
  for (const ow of owners) {
    if (ow.roots.size <= 1) continue;
    const list = [...ow.roots].sort();
    add('duplicate_order', 'DUPLICATE_ORDER', ow.id, list.length, list, `intent ${ow.id} (${ow.side} ${ow.code} ${ow.quantity}) has ${list.length} venue orders: ${list.join(', ')}`);
  }

  // --- order states --------------------------------------------------------------------------------
  for (const o of ledger.orders) {
    // Its venue orders: those it names and every order in the chain of a root it owns (modifies); an
    // order of an earlier session names venue numbers of that session, which the twin never saw.
    const owner = o.earlier ? undefined : byId.get(o.clientOrderId);
    const venue = o.earlier
      ? []
      : twin.orders.filter((t) => t.kind !== 'CANCEL' && (o.venueOrderIds.includes(t.odno) || (owner !== undefined && owner.roots.has(rootOf(t.odno)))));
    const liveAtTwin = venue.some((v) => v.status === 'OPEN');
    const openInLedger = OPEN.has(o.status);
    if (openInLedger && !liveAtTwin) {
      const states = venue.map((v) => `${v.odno}:${v.status}`).join(', ') || (o.earlier ? 'an order of an earlier session (the day order lapsed at its close)' : 'unknown to the twin');
      add('divergence', 'ORDER_OPEN_IN_LEDGER', o.clientOrderId, o.status, states, `the ledger holds order ${o.clientOrderId} as ${o.status}; at the twin: ${states}`);
    } else if (!openInLedger && liveAtTwin) {
      add('divergence', 'ORDER_OPEN_AT_VENUE', o.clientOrderId, o.status, 'OPEN', `the twin still works order ${o.clientOrderId}, the ledger holds it as ${o.status}`);
    }
    if (!o.earlier && venue.length > 0) {
      const twinFilled = venue.reduce((a, v) => a + v.filledQty, 0);
      if (twinFilled !== o.filledQty) {
        // Venue orders of its chain the ledger order does not name (a modify whose answer and notice it never got).
        const unlinked = venue.filter((v) => v.filledQty > 0 && !o.venueOrderIds.includes(v.odno));
        const hint = unlinked.map((v) => `${v.odno}${v.kind === 'MODIFY' ? ` (modify of ${v.origOdno})` : ''} filled ${v.filledQty}`).join(', ');
        add(
          'divergence',
          'ORDER_FILLED_QTY',
          o.clientOrderId,
          o.filledQty,
          twinFilled,
          `order ${o.clientOrderId}: the ledger counts ${o.filledQty} shares filled, the twin ${twinFilled}${hint ? `; venue order ${hint}, not linked to the order in the ledger` : ''}`,
        );
      }
    }
  }
  for (const r of twin.orders) {
    if (r.status !== 'OPEN') continue;
    const owner = byVenue.get(r.odno) ?? byVenue.get(rootOf(r.odno)) ?? attributed.get(rootOf(r.odno));
    const ledgerOrder = owner ? ledger.orders.find((o) => o.clientOrderId === owner.id) : undefined;
    if (ledgerOrder) continue; // compared above
    if (owner === undefined) continue; // reported as UNOWNED_ORDER
    // An exit attempt's order still open after the close: the twin expires every day order at the close.
    add('divergence', 'ORDER_OPEN_AT_VENUE', r.odno, null, 'OPEN', `venue order ${r.odno} of exit ${owner.id} is still open at the twin`);
  }

  const count = (c: FindingCategory): number => findings.filter((f) => f.category === c).length;
  return {
    findings,
    divergences: count('divergence'),
    duplicateOrders: findings.filter((f) => f.category === 'duplicate_order').reduce((a, f) => a + (f.what === 'DUPLICATE_ORDER' ? (f.ledger as number) - 1 : 1), 0),
    lostFills: count('lost_fill'),
    compared: {
      positions: codes.length,
      twinOrders: twin.orders.length,
      twinFills: twin.fills.length,
      ledgerFills: ledger.fills.length,
      ledgerOrders: ledger.orders.length,
      exitAttempts: input.exits.length,
    },
  };
}

/** One line per finding: `divergence POSITION 005930: the ledger holds 10 shares, the twin 12`. */
export function formatFinding(f: Finding): string {
  return `${f.category} ${f.what} ${f.ref}: ${f.detail}`;
}
