import type { Clock } from '../core/clock.ts';
import type { KstDate } from '../core/kst.ts';
import type { Logger } from '../core/logger.ts';
import type { SimAccountSpec } from './account-spec.ts';
import type { SimOrderEvent } from './engine.ts';
import type { MarketSource } from './market-source.ts';
import { createSimServer, type SimServer } from './server.ts';
import type { NoticeInput } from './ws/records.ts';
import { SimWsServer, type SimWsOptions } from './ws/ws-server.ts';

/**
 * The whole KIS twin: the REST server (orders, queries, tokens) and the WebSocket server (market
 * data and execution notices) over one market and one clock. The WebSocket feed drives the matching
 * engine forward at every push, and every engine event becomes an execution notice.
 */
export interface KisTwinOptions {
  readonly market: MarketSource;
  readonly clock: Clock;
  readonly accounts: readonly SimAccountSpec[];
  /** Commission (both sides) and sell tax in basis points. */
  readonly fees: { readonly commissionBps: number; readonly sellTaxBps: number };
  readonly logger: Logger;
  readonly host?: string;
  readonly restPort?: number;
  readonly wsPort?: number;
  readonly isTradingDay?: (date: KstDate) => boolean;
  /** WebSocket options (pacing, widths, ping interval…). */
  readonly ws?: Partial<Omit<SimWsOptions, 'clock' | 'market' | 'logger' | 'resolveApprovalKey' | 'onPump'>>;
}

export interface KisTwin {
  /** `http://127.0.0.1:<port>` (the REST base URL a KIS client takes). */
  readonly restUrl: string;
  /** `ws://127.0.0.1:<port>` (clients append `/tryitout`; any path works). */
  readonly wsUrl: string;
  readonly rest: SimServer;
  readonly ws: SimWsServer;
  close(): Promise<void>;
}

/** Maps an engine event to the notice the account's HTS ID stream receives (expiries send none). */
export function noticeOf(e: SimOrderEvent): NoticeInput | undefined {
  const common = {
    htsId: e.htsId,
    account: e.account,
    odno: e.odno,
    orgOdno: e.origOdno,
    branch: e.branch,
    side: e.side === 'SELL' ? 'SELL' : 'BUY',
    rejected: false,
    ordDvsn: e.ordDvsn,
    code: e.code,
    name: e.name,
    ordQty: e.ordQty,
    ordPrice: e.ordPrice,
    ts: e.ts,
  } as const;
  switch (e.kind) {
    case 'accepted':
      return { ...common, action: 'NEW', fill: false, fillQty: 0, fillPrice: 0 };
    case 'replaced':
      return { ...common, action: 'MODIFY', fill: false, fillQty: 0, fillPrice: 0 };
    case 'canceled':
      return { ...common, action: 'CANCEL', fill: false, fillQty: 0, fillPrice: 0 };
    case 'filled':
      return { ...common, action: 'NEW', fill: true, fillQty: e.fillQty, fillPrice: e.fillPrice };
    case 'expired':
      return undefined;
  }
}

/** Starts the REST and WebSocket servers on loopback and wires them together. */
export async function startKisTwin(o: KisTwinOptions): Promise<KisTwin> {
  const rest = await createSimServer({
    market: o.market,
    clock: o.clock,
    accounts: o.accounts,
    fees: o.fees,
    logger: o.logger,
    host: o.host ?? '127.0.0.1',
    port: o.restPort ?? 0,
    ...(o.isTradingDay ? { isTradingDay: o.isTradingDay } : {}),
  });
  const ws = new SimWsServer({
    ...o.ws,
    clock: o.clock,
    market: o.market,
    logger: o.logger,
    host: o.host ?? '127.0.0.1',
    port: o.wsPort ?? 0,
    resolveApprovalKey: (key) => {
      const a = rest.state.lookupApproval(key);
      return a ? { appKey: a.appKey, env: a.env, htsIds: [a.htsId] } : undefined;
    },
    onPump: (now) => rest.state.engine.advanceTo(now),
  });
  const unsubscribe = rest.state.engine.onEvent((e) => {
    const n = noticeOf(e);
    if (n) ws.publishNotice(n, e.env);
  });
  await ws.listen();
  return {
    restUrl: rest.url,
    wsUrl: ws.url,
    rest,
    ws,
    async close() {
      unsubscribe();
      await ws.close();
      await rest.close();
    },
  };
}
