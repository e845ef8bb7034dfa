/**
 * KIS hosts and REST paths (kis-protocol.md §1 and §3). Config overrides (`baseUrl`, `wsUrl`) fall back
 * to these defaults; the `sim` environment (our loopback twin) has no default and must be configured.
 */

/** Where the adapter talks to: KIS real (실전), KIS paper (모의, "VTS"), or the `hantu sim` twin. */
export type KisEnv = 'real' | 'paper' | 'sim';

/**
 * Default REST base URLs (HTTPS) per environment — kis-protocol.md §1, from [OTA] `kis_devlp.yaml`
 * (`prod`, `vps`) and every [WB] sheet's "실전/모의 Domain". Tokens and approval keys are issued on the
 * REST host of the same environment.
 */
export const DEFAULT_REST_URLS: Readonly<Record<Exclude<KisEnv, 'sim'>, string>> = {
  real: 'https://openapi.koreainvestment.com:9443',
  paper: 'https://openapivts.koreainvestment.com:29443',
};

/** Default WebSocket URLs (plain `ws://`) per environment — kis-protocol.md §1, [OTA] `kis_devlp.yaml` (`ops`, `vops`). */
export const DEFAULT_WS_URLS: Readonly<Record<Exclude<KisEnv, 'sim'>, string>> = {
  real: 'ws://ops.koreainvestment.com:21000',
  paper: 'ws://ops.koreainvestment.com:31000',
};

const STOCK = '/uapi/domestic-stock/v1';

/**
 * REST paths, keyed by operation. The same keys index `TR_IDS` in `tr-ids.ts`
 * (kis-protocol.md §2.1–§2.4 for the OAuth paths, §3 for the rest).
 */
export const KIS_PATHS = {
  tokenP: '/oauth2/tokenP',
  approval: '/oauth2/Approval',
  hashkey: '/uapi/hashkey',
  inquirePrice: `${STOCK}/quotations/inquire-price`,
  inquireTimeItemchartprice: `${STOCK}/quotations/inquire-time-itemchartprice`,
  inquireTimeDailychartprice: `${STOCK}/quotations/inquire-time-dailychartprice`,
  inquireDailyItemchartprice: `${STOCK}/quotations/inquire-daily-itemchartprice`,
  inquireAskingPriceExpCcn: `${STOCK}/quotations/inquire-asking-price-exp-ccn`,
  chkHoliday: `${STOCK}/quotations/chk-holiday`,
  inquireBalance: `${STOCK}/trading/inquire-balance`,
  inquirePsblOrder: `${STOCK}/trading/inquire-psbl-order`,
  orderCash: `${STOCK}/trading/order-cash`,
  orderRvsecncl: `${STOCK}/trading/order-rvsecncl`,
  inquirePsblRvsecncl: `${STOCK}/trading/inquire-psbl-rvsecncl`,
  inquireDailyCcld: `${STOCK}/trading/inquire-daily-ccld`,
} as const;

export type KisPathKey = keyof typeof KIS_PATHS;
