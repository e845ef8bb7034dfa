import { unixMillis, type UnixMillis } from '../core/brand.ts';
import { SystemClock, type Clock } from '../core/clock.ts';
import { InvariantError } from '../core/errors.ts';
import { kstDateOf } from '../core/kst.ts';
import { tradeCosts, type TradeCostRates } from '../model/fees.ts';
import type { InstrumentId } from '../model/instrument.ts';
import { krw, notional, type Krw } from '../model/money.ts';
import type { OrderFilled } from '../model/order-events.ts';
import { applyFill, flatPosition } from '../model/position.ts';
import { tsParam, type DbRow } from './codec.ts';
import { AccountRepository } from './repositories/accounts.ts';
import { AuditLog } from './repositories/audit-log.ts';
import { CashRepository, toCash, type StoredCash } from './repositories/cash.ts';
import { ComponentStatusRepository } from './repositories/component-status.ts';
import { FillRepository, fillFromEvent, type FillInput, type FillSource, type StoredFill } from './repositories/fills.ts';
import { InstrumentRepository } from './repositories/instruments.ts';
import { appendOrderEvent, OrderRepository, type StoredOrder } from './repositories/orders.ts';
import { PositionRepository, type StoredPosition } from './repositories/positions.ts';
import { ReconciliationReportRepository } from './repositories/reconciliation-reports.ts';
import { SnapshotRepository } from './repositories/snapshots.ts';
import type { Db } from './types.ts';

/** Commission and tax rates: one set for every instrument, or per instrument (ETFs pay no sell tax). */
export type CostRates = TradeCostRates | ((instrumentId: InstrumentId) => TradeCostRates);

/**
 * A fill for the ledger. Commission and tax are computed by the ledger with `tradeCosts` and the
 * configured rates; when the caller passes them (an `OrderFilled` carries them), they must agree.
 */
export interface LedgerFill extends Omit<FillInput, 'commission' | 'tax'> {
  readonly commission?: Krw | undefined;
  readonly tax?: Krw | undefined;
  /** `tsInit` of the OrderFilled event appended to our order (default: the ledger clock's now). */
  readonly tsInit?: UnixMillis | undefined;
}

/** What `Ledger.applyFill` did. */
export type LedgerFillResult =
  | {
      /** The fill was already recorded: nothing changed. */
      readonly changed: false;
      /** The fill as recorded first. */
      readonly fill: StoredFill;
      /** True when the repeat disagrees with the first report on instrument, side, quantity or price. */
      readonly conflicting: boolean;
    }
  | {
      /** The fill was new: it is recorded and position, cash and (when ours) the order moved. */
      readonly changed: true;
      readonly fill: StoredFill;
      readonly position: StoredPosition;
      readonly cash: StoredCash;
      /** Our order after its OrderFilled event; `undefined` for a fill of an order placed outside hantu. */
      readonly order: StoredOrder | undefined;
      /** Realised PnL of this fill (won), from `applyFill`. */
      readonly realizedPnl: Krw;
    };

/**
 * The ledger facade: every repository over one `Db`, plus `applyFill`, the one path by which a fill
 * changes the books.
 */
export class Ledger {
  readonly accounts: AccountRepository;
  readonly instruments: InstrumentRepository;
  readonly orders: OrderRepository;
  readonly fills: FillRepository;
  readonly positions: PositionRepository;
  readonly cash: CashRepository;
  readonly snapshots: SnapshotRepository;
  readonly reports: ReconciliationReportRepository;
  readonly audit: AuditLog;
  readonly components: ComponentStatusRepository;
  private readonly clock: Clock;
  private readonly ratesOf: (id: InstrumentId) => TradeCostRates;

  /**
   * @param opts.rates commission / tax rates (from the configuration; none is built in)
   * @param opts.accounts full account numbers of this process, masked wherever they would be stored
   */
  constructor(
    readonly db: Db,
    opts: { rates: CostRates; clock?: Clock; accounts?: readonly string[] },
  ) {
    const clock = (this.clock = opts.clock ?? new SystemClock());
    const rates = opts.rates;
    this.ratesOf = typeof rates === 'function' ? rates : () => rates;
    this.accounts = new AccountRepository(db, clock);
    this.instruments = new InstrumentRepository(db, clock);
    this.orders = new OrderRepository(db, clock);
    this.fills = new FillRepository(db);
    this.positions = new PositionRepository(db, clock);
    this.cash = new CashRepository(db, clock);
    this.snapshots = new SnapshotRepository(db);
    this.reports = new ReconciliationReportRepository(db, { accounts: opts.accounts ?? [] });
    this.audit = new AuditLog(db, { clock, accounts: opts.accounts ?? [] });
    this.components = new ComponentStatusRepository(db, clock);
  }

  /**
   * Records a fill and applies it to the books in ONE transaction:
   * 1. locks the account's cash row (creating it at zero if missing), which serialises all fills of
   *    one account;
   * 2. resolves our order: `clientOrderId`, else the account's order carrying `venueOrderId` created
   *    on the fill's KST date; none → an external fill;
   * 3. `FillRepository.recordFill` — a fill seen before changes nothing (`changed: false`);
   * 4. position: `model/position.ts applyFill` (marked `external` for a fill of an order not ours);
   * 5. cash: D+2 settlement cash −(value + commission) on a buy, +(value − commission − tax) on a sell
   *    (deposit and D+1 move at settlement and are adopted from the venue by reconciliation);
   * 6. our order: an OrderFilled event appended and the order row rewritten.
   * Any error rolls all of it back, the fill record included, so the fill can be applied again later.
   * @throws InvariantError(FILL_COST_MISMATCH) when the given commission/tax differ from the rates'
   * @throws InvariantError(POSITION_OVERSOLD) when a sell exceeds the ledger's holding (adopt first)
   * @throws InvariantError(ORDER_UNKNOWN | FILL_ACCOUNT_MISMATCH | ORDER_OVERFILL | ORDER_EVENT_MISMATCH ...)
   */
  async applyFill(input: LedgerFill): Promise<LedgerFillResult> {
    const value = notional(input.price, input.quantity);
    const costs = tradeCosts(value, input.side, this.ratesOf(input.instrumentId));
    if ((input.commission !== undefined && input.commission !== costs.commission) || (input.tax !== undefined && input.tax !== costs.tax)) {
      throw new InvariantError(
        'FILL_COST_MISMATCH',
        `fill costs disagree with the configured rates: commission=${input.commission} (rates ${costs.commission}), tax=${input.tax} (rates ${costs.tax})`,
        { venueOrderId: input.venueOrderId, tradeId: input.tradeId, commission: input.commission, tax: input.tax, expected: costs },
      );
    }
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const orders = new OrderRepository(tx, this.clock);
      const fills = new FillRepository(tx);
      const positions = new PositionRepository(tx, this.clock);

      // 1. serialise the account's books: every fill of the account takes this row lock first, so
      //    lock order is always cash → fills → positions → orders (no deadlock between fills)
      await tx.query(
        `INSERT INTO cash (account_id, deposit, settlement_d1, settlement_d2, updated_at) VALUES ($1, 0, 0, 0, $2) ON CONFLICT (account_id) DO NOTHING`,
        [input.accountId, tsParam(now)],
      );
      const cashRow = (await tx.query('SELECT * FROM cash WHERE account_id = $1 FOR UPDATE', [input.accountId]))[0] as DbRow;
      const cashBefore = toCash(cashRow);

      // 2. whose fill is it?
      let clientOrderId = input.clientOrderId;
      if (clientOrderId !== undefined) {
        const row = (await tx.query('SELECT account_id FROM orders WHERE client_order_id = $1', [clientOrderId]))[0];
        if (row === undefined) throw new InvariantError('ORDER_UNKNOWN', `fill names an unknown order: clientOrderId=${clientOrderId}`, { clientOrderId });
        if (row['account_id'] !== input.accountId) {
          throw new InvariantError('FILL_ACCOUNT_MISMATCH', `fill of account ${input.accountId} names order ${clientOrderId} of account ${String(row['account_id'])}`, { clientOrderId });
        }
      } else {
        const found = await orders.findByVenueOrderId(input.accountId, input.venueOrderId, { tradeDate: kstDateOf(input.tsEvent) });
        clientOrderId = found?.order.clientOrderId;
      }

      // 3. the one de-duplication point
      const recorded = await fills.recordFill({ ...input, clientOrderId, commission: costs.commission, tax: costs.tax });
      if (!recorded.isNew) return { changed: false, fill: recorded.fill, conflicting: recorded.conflicting };

      // 4. position
      const held = await positions.get(input.accountId, input.instrumentId, { forUpdate: true });
      const result = applyFill(held ?? flatPosition(input.instrumentId), { instrumentId: input.instrumentId, side: input.side, lastQty: input.quantity, lastPx: input.price }, this.ratesOf(input.instrumentId));
      if (result.commission !== costs.commission || result.tax !== costs.tax) {
        throw new InvariantError('FILL_COST_MISMATCH', 'position costs differ from the recorded fill costs', { expected: costs, position: { commission: result.commission, tax: result.tax } });
      }
      const external = clientOrderId === undefined || ((held?.external ?? false) && result.position.quantity > 0);
      const position = await positions.upsert(input.accountId, result.position, { external });

      // 5. cash (D+2)
      const delta = input.side === 'BUY' ? -(value + costs.commission) : value - costs.commission - costs.tax;
      const cashRows = await tx.query('UPDATE cash SET settlement_d2 = $2, updated_at = $3 WHERE account_id = $1 RETURNING *', [
        input.accountId,
        krw(cashBefore.settlementD2 + delta),
        tsParam(now),
      ]);
      const cash = toCash(cashRows[0] as DbRow);

      // 6. our order
      let order: StoredOrder | undefined;
      if (clientOrderId !== undefined) {
        const event: OrderFilled = {
          type: 'OrderFilled',
          clientOrderId,
          instrumentId: input.instrumentId,
          tsEvent: input.tsEvent,
          tsInit: input.tsInit ?? unixMillis(now),
          venueOrderId: input.venueOrderId,
          tradeId: input.tradeId,
          side: input.side,
          lastQty: input.quantity,
          lastPx: input.price,
          commission: costs.commission,
          tax: costs.tax,
        };
        order = await appendOrderEvent(tx, event, now);
      }
      return { changed: true, fill: recorded.fill, position, cash, order, realizedPnl: result.realizedPnl };
    });
  }

  /** `applyFill` for an `OrderFilled` event of one of our orders (its costs are checked, its tsInit kept). */
  async applyOrderFilled(accountId: string, event: OrderFilled, source: FillSource): Promise<LedgerFillResult> {
    return this.applyFill({ ...fillFromEvent(accountId, event, source), tsInit: event.tsInit });
  }
}
