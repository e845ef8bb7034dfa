import type { Clock } from '../../core/clock.ts';
import { InputError } from '../../core/errors.ts';
import { addDays, kstDate, kstDateOf, kstHhmmss, toYyyymmdd, type KstDate } from '../../core/kst.ts';
import type { Logger } from '../../core/logger.ts';
import { instrumentId as toInstrumentId, type InstrumentId, type InstrumentKind } from '../../model/instrument.ts';
import { ORDER_SIDES, ORDER_TYPES, type OrderSide, type OrderType, type Venue } from '../../model/order-types.ts';
import type {
  AccountBalanceReport,
  BarReport,
  BuyingPowerReport,
  HolidayReport,
  OrderAck,
  OrderBookReport,
  OrderStatusReport,
  QuoteReport,
  VenueOrderRef,
} from '../../model/reports.ts';
import { isOnTick, tickSize } from '../../model/tick.ts';
import type { KisConfig } from './config.ts';
import type { KisCredentials, Secret } from './common/credentials.ts';
import { KisError } from './common/errors.ts';
import { KisAuth } from './http/auth.ts';
import {
  mapBalance,
  mapBuyingPower,
  mapDailyBars,
  mapDailyCcld,
  mapHoliday,
  mapMinuteBars,
  mapOrderAck,
  mapOrderBook,
  mapPsblRvsecncl,
  mapQuote,
} from './http/parse.ts';
import { getSharedLimiter } from './http/rate-limiter.ts';
import { KisRawClient, type MinuteChart } from './http/raw-client.ts';
import type { DailyBarRow, MinuteBarRow } from './http/schemas.ts';
import { HttpSender } from './http/sender.ts';
import { KisTransport, type BreakerGroup } from './http/transport.ts';

/** What `KisClient` needs. `dataDir` holds the persisted access token (mode 0600). */
export interface KisClientDeps {
  readonly config: KisConfig;
  readonly credentials: KisCredentials;
  readonly clock: Clock;
  /**
   * Clock of the network deadlines (connect/read timeouts, the token wait of a command). Default
   * `clock`. A replay clock running faster than real time must not shrink network timeouts: pass the
   * wall clock here.
   */
  readonly timeoutClock?: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
}

/** A new order. `price` is required for LIMIT and forbidden for MARKET. */
export interface SubmitOrderParams {
  readonly instrumentId: InstrumentId | string;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  /** Whole shares, > 0. */
  readonly quantity: number;
  /** Won, on the tick grid of `instrumentKind` (checked locally; an off-grid order is never sent). */
  readonly price?: number | undefined;
  /** Routing (EXCG_ID_DVSN_CD). Default KRX; paper accounts support KRX only; NXT has no market orders. */
  readonly venue?: Venue | undefined;
  /** Tick table to check `price` against. Default STOCK (ETF/ETN/ELW: 5 won). */
  readonly instrumentKind?: InstrumentKind | undefined;
  /**
   * Twin only (`env: 'sim'`): send a whole-won limit price even when it is off the tick grid, so the
   * twin's KIS-style rejection can be seen. Refused with `InputError` for real and paper accounts.
   */
  readonly skipTickCheck?: boolean | undefined;
}

/** Period of `requestDailyBars`. */
export type BarPeriod = 'day' | 'week' | 'month' | 'year';

const HOLIDAY_CACHE_MS = 24 * 3600 * 1000;
const PERIOD_CODE = { day: 'D', week: 'W', month: 'M', year: 'Y' } as const;

/**
 * The KIS REST client the rest of the application uses. Domain types in, domain types out; no KIS
 * field name or TR id leaves this class. Errors: `InputError` (invalid arguments, checked locally
 * before anything is sent) and `KisError` (see `common/errors.ts` for codes and dispositions).
 *
 * Commands (`submitOrder`, `cancelOrder`, `modifyOrder`) are sent at most once, except for the single
 * resend after a token refusal, which is safe because the gateway refuses the token before routing
 * (see `http/transport.ts`). On `outcome-unknown` the order may be live: reconcile, never resend.
 */
export class KisClient {
  private readonly config: KisConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sender: HttpSender;
  private readonly auth: KisAuth;
  private readonly transport: KisTransport;
  private readonly raw: KisRawClient;
  private readonly holidays = new Map<KstDate, { report: HolidayReport; fetchedAt: number }>();
  private closed = false;

  constructor(deps: KisClientDeps) {
    this.config = deps.config;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'kis', env: deps.config.env, appKeyFingerprint: deps.credentials.appKeyFingerprint });
    const { perSecond, headroomPct, burst } = deps.config.rateLimit;
    const limiter = getSharedLimiter(deps.credentials.appKey.reveal(), perSecond * (1 - headroomPct / 100), deps.clock, burst);
    this.sender = new HttpSender(deps.config.baseUrl, deps.config.timeouts, deps.timeoutClock ?? deps.clock);
    this.auth = new KisAuth({
      sender: this.sender,
      limiter,
      credentials: deps.credentials,
      clock: deps.clock,
      logger: this.logger,
      baseUrl: deps.config.baseUrl,
      dataDir: deps.dataDir,
      refreshMarginMs: deps.config.token.refreshMarginMs,
      throttleWaitMs: deps.config.token.throttleWaitMs,
    });
    this.transport = new KisTransport({
      config: deps.config,
      credentials: deps.credentials,
      clock: deps.clock,
      timeoutClock: deps.timeoutClock ?? deps.clock,
      logger: this.logger,
      sender: this.sender,
      limiter,
      auth: this.auth,
    });
    this.raw = new KisRawClient(this.transport, deps.config, deps.credentials);
  }

  /** Circuit breaker state of a group: 0 closed, 1 open, 2 half-open, 3 isolated (cockatiel `CircuitState`). */
  breakerState(group: BreakerGroup): number {
    return this.transport.breaker(group).state;
  }

  /** HTTP requests on the wire right now. */
  get requestsInFlight(): number {
    return this.sender.inFlight;
  }

  /** Path of the persisted token file. */
  get tokenFilePath(): string {
    return this.auth.tokenFilePath;
  }

  /** Current quote (inquire-price, §3.1). KRX market. */
  async requestQuote(id: InstrumentId | string): Promise<QuoteReport> {
    const iid = checkId(id);
    const r = await this.raw.inquirePrice({ FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: iid });
    return mapQuote(r, iid, this.clock.now());
  }

  /**
   * Today's 1-minute bars ending at or before `until` (KST `HH:MM[:SS]`, default now): at most 30
   * bars per KIS call, ONE call (walk back by asking again with an earlier `until`). Oldest first.
   * KIS sentinel rows (888888/999999/666666) are dropped (§3.2).
   */
  async requestMinuteBars(id: InstrumentId | string, opts: { until?: string } = {}): Promise<BarReport[]> {
    const iid = checkId(id);
    const until = opts.until === undefined ? kstHhmmss(this.clock.now()) : checkTime(opts.until, 'until');
    const chart = await this.raw.inquireTimeItemchartprice({
      FID_COND_MRKT_DIV_CODE: 'J',
      FID_INPUT_ISCD: iid,
      FID_INPUT_HOUR_1: until,
      FID_PW_DATA_INCU_YN: 'Y',
      FID_ETC_CLS_CODE: '',
    });
    return mapMinuteBars(chart.rows, iid, 'inquireTimeItemchartprice');
  }

  /**
   * All 1-minute bars of a past `date` ending at or before `until` (KST `HH:MM[:SS]`), oldest first
   * (inquire-time-dailychartprice, §3.3; 120 bars per call). Walks backwards call by call until a call
   * brings no earlier bar of that date (bounded by `maxPages`). Real accounts only: on paper this
   * throws `KisError` `KIS_UNSUPPORTED` without any network call.
   */
  async requestMinuteBarsOfDay(id: InstrumentId | string, date: KstDate, until: string): Promise<BarReport[]> {
    const iid = checkId(id);
    const day = checkDate(date, 'date');
    let hour = checkTime(until, 'until');
    const rows = new Map<string, MinuteBarRow>();
    for (let page = 1; page <= this.config.maxPages; page++) {
      const chart: MinuteChart = await this.raw.inquireTimeDailychartprice({
        FID_COND_MRKT_DIV_CODE: 'J',
        FID_INPUT_ISCD: iid,
        FID_INPUT_HOUR_1: hour,
        FID_INPUT_DATE_1: toYyyymmdd(day),
        FID_PW_DATA_INCU_YN: 'Y',
        FID_FAKE_TICK_INCU_YN: '',
      });
      const fresh = chart.rows.filter((r) => r.stck_bsop_date === toYyyymmdd(day) && r.stck_cntg_hour <= hour && !rows.has(r.stck_cntg_hour));
      if (fresh.length === 0) break;
      for (const r of fresh) rows.set(r.stck_cntg_hour, r);
      const earliest = fresh.reduce((m, r) => (r.stck_cntg_hour < m ? r.stck_cntg_hour : m), fresh[0]!.stck_cntg_hour);
      if (earliest === '000000') break;
      hour = previousSecond(earliest);
    }
    return mapMinuteBars([...rows.values()], iid, 'inquireTimeDailychartprice');
  }

  /**
   * Daily/weekly/monthly/yearly bars with `from <= date <= to` (inquire-daily-itemchartprice, §3.4;
   * 100 per call, walked backwards until the range is covered). `adjusted` true = 수정주가.
   * Oldest first.
   */
  async requestDailyBars(
    id: InstrumentId | string,
    from: KstDate,
    to: KstDate,
    opts: { period?: BarPeriod; adjusted?: boolean } = {},
  ): Promise<BarReport[]> {
    const iid = checkId(id);
    const f = checkDate(from, 'from');
    let t = checkDate(to, 'to');
    if (f > t) throw new InputError(`from (${f}) is after to (${t})`);
    const period = opts.period ?? 'day';
    if (!(period in PERIOD_CODE)) throw new InputError(`period must be one of ${Object.keys(PERIOD_CODE).join(', ')}`);
    const rows = new Map<string, DailyBarRow>();
    for (let page = 1; page <= this.config.maxPages; page++) {
      const got = await this.raw.inquireDailyItemchartprice({
        FID_COND_MRKT_DIV_CODE: 'J',
        FID_INPUT_ISCD: iid,
        FID_INPUT_DATE_1: toYyyymmdd(f),
        FID_INPUT_DATE_2: toYyyymmdd(t),
        FID_PERIOD_DIV_CODE: PERIOD_CODE[period],
        FID_ORG_ADJ_PRC: opts.adjusted === false ? '1' : '0',
      });
      const fresh = got.filter((r) => r.stck_bsop_date >= toYyyymmdd(f) && r.stck_bsop_date <= toYyyymmdd(t) && !rows.has(r.stck_bsop_date));
      if (fresh.length === 0) break;
      for (const r of fresh) rows.set(r.stck_bsop_date, r);
      const oldest = fresh.reduce((m, r) => (r.stck_bsop_date < m ? r.stck_bsop_date : m), fresh[0]!.stck_bsop_date);
      const next = addDays(`${oldest.slice(0, 4)}-${oldest.slice(4, 6)}-${oldest.slice(6, 8)}`, -1);
      if (next < f) break;
      t = next;
    }
    return mapDailyBars([...rows.values()], iid, 'inquireDailyItemchartprice');
  }

  /** Order book snapshot, 10 levels each side (inquire-asking-price-exp-ccn, §3.5). */
  async requestOrderBook(id: InstrumentId | string): Promise<OrderBookReport> {
    const iid = checkId(id);
    const r = await this.raw.inquireAskingPriceExpCcn({ FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: iid });
    return mapOrderBook(r, iid, this.clock.now());
  }

  /** Holdings (every page) and cash (inquire-balance, §3.6). */
  async requestBalance(): Promise<AccountBalanceReport> {
    const pages = await this.raw.inquireBalance({
      AFHR_FLPR_YN: 'N',
      OFL_YN: '',
      INQR_DVSN: '02',
      UNPR_DVSN: '01',
      FUND_STTL_ICLD_YN: 'N',
      FNCG_AMT_AUTO_RDPT_YN: 'N',
      PRCS_DVSN: '00',
    });
    return mapBalance(pages, this.clock.now());
  }

  /**
   * Buying power (inquire-psbl-order, §3.7). Without an instrument: amounts only. With one: the
   * buyable quantity at `price` (LIMIT) or at the market (default; ORD_DVSN 01 honours the stock's
   * margin rate).
   */
  async requestBuyingPower(opts: { instrumentId?: InstrumentId | string; price?: number; orderType?: OrderType } = {}): Promise<BuyingPowerReport> {
    const iid = opts.instrumentId === undefined ? undefined : checkId(opts.instrumentId);
    const type = opts.orderType ?? (opts.price === undefined ? 'MARKET' : 'LIMIT');
    if (!ORDER_TYPES.includes(type)) throw new InputError(`orderType must be one of ${ORDER_TYPES.join(', ')}`);
    if (type === 'LIMIT' && (opts.price === undefined || !Number.isSafeInteger(opts.price) || opts.price <= 0)) {
      throw new InputError('a LIMIT buying-power query needs a positive whole-won price');
    }
    if (type === 'MARKET' && opts.price !== undefined) throw new InputError('a MARKET buying-power query takes no price');
    const r = await this.raw.inquirePsblOrder({
      PDNO: iid ?? '',
      ORD_UNPR: iid === undefined ? '' : type === 'LIMIT' ? String(opts.price) : '0',
      ORD_DVSN: type === 'LIMIT' ? '00' : '01',
      CMA_EVLU_AMT_ICLD_YN: 'N',
      OVRS_ICLD_YN: 'N',
    });
    return mapBuyingPower(r);
  }

  /**
   * Submits a cash order (order-cash, §3.8). Validated locally first (`InputError`, nothing sent).
   * @returns the venue acknowledgement (order number + branch, both needed to modify/cancel)
   * @throws KisError `rejected` (refused by the venue, `notPlaced`), `outcome-unknown` (may be live:
   *   reconcile, never resend), `fatal`
   */
  async submitOrder(p: SubmitOrderParams): Promise<OrderAck> {
    const iid = checkId(p.instrumentId);
    if (!ORDER_SIDES.includes(p.side)) throw new InputError(`side must be one of ${ORDER_SIDES.join(', ')}`);
    if (!ORDER_TYPES.includes(p.orderType)) throw new InputError(`orderType must be one of ${ORDER_TYPES.join(', ')}`);
    checkQuantity(p.quantity, 'quantity');
    const venue = this.checkVenue(p.venue);
    let unpr = '0';
    if (p.skipTickCheck && this.config.env !== 'sim') throw new InputError('skipping the tick-grid check is allowed only against the twin (KIS_ENV=sim)');
    if (p.orderType === 'LIMIT' && p.skipTickCheck) {
      if (typeof p.price !== 'number' || !Number.isSafeInteger(p.price) || p.price <= 0) throw new InputError(`price must be a positive whole number of won, was ${String(p.price)}`);
      unpr = String(p.price);
    } else if (p.orderType === 'LIMIT') {
      unpr = String(checkPrice(p.price, p.instrumentKind ?? 'STOCK'));
    } else {
      if (p.price !== undefined) throw new InputError('a MARKET order takes no price');
      if (venue === 'NXT') throw new InputError('NXT accepts no market orders (ORD_DVSN 01)');
    }
    const r = await this.raw.orderCash(p.side === 'BUY' ? 'buy' : 'sell', {
      PDNO: iid,
      ORD_DVSN: p.orderType === 'LIMIT' ? '00' : '01',
      ORD_QTY: String(p.quantity),
      ORD_UNPR: unpr,
      EXCG_ID_DVSN_CD: venue,
      ...(p.side === 'SELL' ? { SLL_TYPE: '01' as const } : {}),
    });
    const ack = mapOrderAck(r.data, r.msgCd, r.msg1, kstDateOf(this.clock.now()), 'orderCash');
    this.logger.info(
      { instrumentId: iid, side: p.side, orderType: p.orderType, quantity: p.quantity, price: Number(unpr), venue, venueOrderId: ack.venueOrderId },
      'kis order accepted',
    );
    return ack;
  }

  /**
   * Cancels all remaining quantity of an order (order-rvsecncl RVSE_CNCL_DVSN_CD 02, §3.9).
   * @returns the acknowledgement of the cancel order (KIS gives it a NEW order number)
   */
  async cancelOrder(ref: VenueOrderRef, opts: { venue?: Venue } = {}): Promise<OrderAck> {
    checkRef(ref);
    const venue = this.checkVenue(opts.venue);
    const r = await this.raw.orderRvsecncl({
      KRX_FWDG_ORD_ORGNO: ref.branch,
      ORGN_ODNO: ref.venueOrderId,
      ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '02',
      ORD_QTY: '0',
      ORD_UNPR: '0',
      QTY_ALL_ORD_YN: 'Y',
      EXCG_ID_DVSN_CD: venue,
    });
    const ack = mapOrderAck(r.data, r.msgCd, r.msg1, kstDateOf(this.clock.now()), 'orderRvsecncl');
    this.logger.info({ venueOrderId: ref.venueOrderId, cancelOrderId: ack.venueOrderId }, 'kis cancel accepted');
    return ack;
  }

  /**
   * Changes the price (and optionally lowers the quantity) of an open LIMIT order (order-rvsecncl
   * RVSE_CNCL_DVSN_CD 01, §3.9). Without `quantity` the whole remaining quantity is modified.
   * @returns the acknowledgement of the modify order (a NEW order number)
   */
  async modifyOrder(
    ref: VenueOrderRef,
    p: { price: number; quantity?: number; venue?: Venue; instrumentKind?: InstrumentKind },
  ): Promise<OrderAck> {
    checkRef(ref);
    const px = checkPrice(p.price, p.instrumentKind ?? 'STOCK');
    if (p.quantity !== undefined) checkQuantity(p.quantity, 'quantity');
    const venue = this.checkVenue(p.venue);
    const r = await this.raw.orderRvsecncl({
      KRX_FWDG_ORD_ORGNO: ref.branch,
      ORGN_ODNO: ref.venueOrderId,
      ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '01',
      ORD_QTY: p.quantity === undefined ? '0' : String(p.quantity),
      ORD_UNPR: String(px),
      QTY_ALL_ORD_YN: p.quantity === undefined ? 'Y' : 'N',
      EXCG_ID_DVSN_CD: venue,
    });
    const ack = mapOrderAck(r.data, r.msgCd, r.msg1, kstDateOf(this.clock.now()), 'orderRvsecncl');
    this.logger.info({ venueOrderId: ref.venueOrderId, modifyOrderId: ack.venueOrderId, price: px }, 'kis modify accepted');
    return ack;
  }

  /**
   * Today's open orders. Real: inquire-psbl-rvsecncl (§3.10, every page). Paper (which lacks that
   * TR): inquire-daily-ccld for today with CCLD_DVSN 02 (unfilled).
   */
  async requestOpenOrders(): Promise<OrderStatusReport[]> {
    const today = kstDateOf(this.clock.now());
    if (this.config.env === 'paper') {
      const rows = await this.raw.inquireDailyCcld(this.dailyCcldParams(today, today, '02'));
      return rows.map(mapDailyCcld);
    }
    const rows = await this.raw.inquirePsblRvsecncl({ INQR_DVSN_1: '0', INQR_DVSN_2: '0' });
    return rows.map((r) => mapPsblRvsecncl(r, today));
  }

  /**
   * Orders and fills from `from` to `to` (inquire-daily-ccld TTTC0081R, every page). Only the last
   * 3 months are served by that TR: `from` must be within 89 days of today (`InputError` otherwise).
   */
  async requestOrders(range: { from: KstDate; to: KstDate }): Promise<OrderStatusReport[]> {
    const f = checkDate(range.from, 'from');
    const t = checkDate(range.to, 'to');
    if (f > t) throw new InputError(`from (${f}) is after to (${t})`);
    const today = kstDateOf(this.clock.now());
    if (f < addDays(today, -89)) throw new InputError(`from (${f}) is older than 3 months; only the last 89 days are supported`);
    const rows = await this.raw.inquireDailyCcld(this.dailyCcldParams(f, t, '00'));
    return rows.map(mapDailyCcld);
  }

  /**
   * Whether KRX opens on `date` (chk-holiday, §3.13). Real only (`KIS_UNSUPPORTED` on paper, no call).
   * Every date in an answer is cached for 24 h of clock time, so about one call a day is made.
   */
  async requestHoliday(date: KstDate): Promise<HolidayReport> {
    const d = checkDate(date, 'date');
    const now = this.clock.now();
    const hit = this.holidays.get(d);
    if (hit && now - hit.fetchedAt < HOLIDAY_CACHE_MS) return hit.report;
    const rows = await this.raw.chkHoliday({ BASS_DT: toYyyymmdd(d) });
    for (const row of rows) {
      const rep = mapHoliday(row);
      this.holidays.set(rep.date, { report: rep, fetchedAt: now });
    }
    const got = this.holidays.get(d);
    if (!got || got.fetchedAt !== now) {
      throw new KisError({
        code: 'KIS_PAYLOAD_INVALID',
        disposition: 'fatal',
        kind: 'query',
        endpoint: 'chkHoliday',
        detail: `unexpected payload: output has no row for bass_dt ${toYyyymmdd(d)}`,
      });
    }
    return got.report;
  }

  /** A WebSocket approval key (POST /oauth2/Approval, §2.3). Keep it secret; pass `reveal()` to the WS client. */
  issueApprovalKey(): Promise<Secret> {
    return this.auth.issueApprovalKey();
  }

  /** Closes the HTTP pool. The shared rate limiter and the token file stay for other clients. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sender.close();
  }

  private checkVenue(v: Venue | undefined): 'KRX' | 'NXT' | 'SOR' {
    const venue = v ?? 'KRX';
    if (venue !== 'KRX' && venue !== 'NXT' && venue !== 'SOR') throw new InputError('venue must be KRX, NXT or SOR');
    if (this.config.env === 'paper' && venue !== 'KRX') throw new InputError('paper accounts route to KRX only');
    return venue;
  }

  private dailyCcldParams(from: KstDate, to: KstDate, ccld: '00' | '02') {
    return {
      INQR_STRT_DT: toYyyymmdd(from),
      INQR_END_DT: toYyyymmdd(to),
      SLL_BUY_DVSN_CD: '00',
      INQR_DVSN: '00',
      PDNO: '',
      CCLD_DVSN: ccld,
      ORD_GNO_BRNO: '',
      ODNO: '',
      INQR_DVSN_3: '00',
      INQR_DVSN_1: '',
      EXCG_ID_DVSN_CD: this.config.env === 'paper' ? 'KRX' : 'ALL',
    } as const;
  }
}

function checkId(id: string): InstrumentId {
  try {
    return toInstrumentId(String(id));
  } catch {
    throw new InputError(`instrumentId must be 6 alphanumeric characters, was "${String(id)}"`);
  }
}

function checkQuantity(q: number, name: string): void {
  if (!Number.isSafeInteger(q) || q <= 0) throw new InputError(`${name} must be a positive whole number of shares, was ${q}`);
}

function checkPrice(p: number | undefined, kind: InstrumentKind): number {
  if (p === undefined) throw new InputError('a LIMIT order needs a price');
  if (!Number.isSafeInteger(p) || p <= 0) throw new InputError(`price must be a positive whole number of won, was ${p}`);
  if (!isOnTick(p, kind)) throw new InputError(`price ${p} is not on the ${kind} tick grid (tick ${tickSize(p, kind)} won); nothing was sent`);
  return p;
}

function checkRef(ref: VenueOrderRef): void {
  if (!ref || !/^\d{1,10}$/.test(ref.venueOrderId ?? '')) throw new InputError('venueOrderId must be the venue order number (digits)');
  if (!/^\d{1,5}$/.test(ref.branch ?? '')) throw new InputError('branch must be the KRX_FWDG_ORD_ORGNO (digits)');
}

function checkDate(d: string, name: string): KstDate {
  try {
    return kstDate(d);
  } catch {
    throw new InputError(`${name} must be a YYYY-MM-DD date, was "${d}"`);
  }
}

/** `HH:MM` or `HH:MM:SS` (KST wall clock) → `HHMMSS`. */
function checkTime(s: string, name: string): string {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) throw new InputError(`${name} must be HH:MM[:SS] (KST), was "${s}"`);
  return `${m[1]}${m[2]}${m[3] ?? '00'}`;
}

/** `HHMMSS` minus one second. */
function previousSecond(hhmmss: string): string {
  const t = Number(hhmmss.slice(0, 2)) * 3600 + Number(hhmmss.slice(2, 4)) * 60 + Number(hhmmss.slice(4, 6)) - 1;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(t / 3600))}${pad(Math.floor((t % 3600) / 60))}${pad(t % 60)}`;
}
