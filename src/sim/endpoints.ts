/**
 * The REST endpoints the twin serves, with the TR ids it accepts on each (kis-protocol §3): real and
 * paper (`V…`) ids, new and old order ids. `paper: null` marks an endpoint KIS does not offer on
 * paper (모의투자 미지원).
 */
import type { SimEnv } from './account-spec.ts';
import type { SimCodeKey } from './kis-codes.ts';

/** Identifier of a served endpoint. */
export type SimEndpointId =
  | 'inquire-price'
  | 'inquire-time-itemchartprice'
  | 'inquire-daily-itemchartprice'
  | 'inquire-asking-price-exp-ccn'
  | 'chk-holiday'
  | 'inquire-balance'
  | 'inquire-psbl-order'
  | 'order-cash'
  | 'order-rvsecncl'
  | 'inquire-psbl-rvsecncl'
  | 'inquire-daily-ccld';

export interface SimEndpoint {
  readonly id: SimEndpointId;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** TR ids accepted from a real app key (current id first, then older ones). */
  readonly real: readonly string[];
  /** TR ids accepted from a paper app key, or null when paper does not serve the endpoint. */
  readonly paper: readonly string[] | null;
}

const Q = '/uapi/domestic-stock/v1/quotations';
const T = '/uapi/domestic-stock/v1/trading';

/** Every endpoint of the twin's REST side. */
export const SIM_ENDPOINTS: readonly SimEndpoint[] = [
  { id: 'inquire-price', method: 'GET', path: `${Q}/inquire-price`, real: ['FHKST01010100'], paper: ['FHKST01010100'] },
  { id: 'inquire-time-itemchartprice', method: 'GET', path: `${Q}/inquire-time-itemchartprice`, real: ['FHKST03010200'], paper: ['FHKST03010200'] },
  { id: 'inquire-daily-itemchartprice', method: 'GET', path: `${Q}/inquire-daily-itemchartprice`, real: ['FHKST03010100'], paper: ['FHKST03010100'] },
  { id: 'inquire-asking-price-exp-ccn', method: 'GET', path: `${Q}/inquire-asking-price-exp-ccn`, real: ['FHKST01010200'], paper: ['FHKST01010200'] },
  { id: 'chk-holiday', method: 'GET', path: `${Q}/chk-holiday`, real: ['CTCA0903R'], paper: null },
  { id: 'inquire-balance', method: 'GET', path: `${T}/inquire-balance`, real: ['TTTC8434R'], paper: ['VTTC8434R'] },
  { id: 'inquire-psbl-order', method: 'GET', path: `${T}/inquire-psbl-order`, real: ['TTTC8908R'], paper: ['VTTC8908R'] },
  {
    id: 'order-cash',
    method: 'POST',
    path: `${T}/order-cash`,
    real: ['TTTC0012U', 'TTTC0011U', 'TTTC0802U', 'TTTC0801U'],
    paper: ['VTTC0012U', 'VTTC0011U', 'VTTC0802U', 'VTTC0801U'],
  },
  { id: 'order-rvsecncl', method: 'POST', path: `${T}/order-rvsecncl`, real: ['TTTC0013U', 'TTTC0803U'], paper: ['VTTC0013U', 'VTTC0803U'] },
  { id: 'inquire-psbl-rvsecncl', method: 'GET', path: `${T}/inquire-psbl-rvsecncl`, real: ['TTTC0084R', 'TTTC8036R'], paper: null },
  {
    id: 'inquire-daily-ccld',
    method: 'GET',
    path: `${T}/inquire-daily-ccld`,
    real: ['TTTC0081R', 'CTSC9215R', 'TTTC8001R', 'CTSC9115R'],
    paper: ['VTTC0081R', 'VTSC9215R', 'VTTC8001R', 'VTSC9115R'],
  },
];

const BY_PATH = new Map(SIM_ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e]));

/** The endpoint served at `method path` (path without query), or undefined. */
export function findEndpoint(method: string, path: string): SimEndpoint | undefined {
  return BY_PATH.get(`${method.toUpperCase()} ${path}`);
}

/** Side of an order-cash TR id: sell ids end in 0011U / 0801U, buy ids in 0012U / 0802U. */
export function orderCashSide(trId: string): 'BUY' | 'SELL' {
  return /(0011U|0801U)$/.test(trId) ? 'SELL' : 'BUY';
}

/**
 * Checks a TR id against the endpoint for the app key's environment. Returns undefined when accepted,
 * else the code of the refusal:
 * - paper key on an endpoint paper does not serve → `NOT_A_PAPER_TR` (EGW02006), whatever the TR id;
 * - a TR id of the other environment → `PAPER_KEY_ON_REAL_TR` (EGW02004) / `REAL_KEY_ON_PAPER_TR` (EGW02007);
 * - missing or foreign to the path → `TR_ID_INVALID` (OPSQ0002).
 */
export function checkTrId(ep: SimEndpoint, env: SimEnv, trId: string): SimCodeKey | undefined {
  if (env === 'paper' && ep.paper === null) return 'NOT_A_PAPER_TR';
  const own = env === 'real' ? ep.real : (ep.paper ?? []);
  if (own.includes(trId)) return undefined;
  const other = env === 'real' ? (ep.paper ?? []) : ep.real;
  if (trId !== '' && other.includes(trId)) return env === 'paper' ? 'PAPER_KEY_ON_REAL_TR' : 'REAL_KEY_ON_PAPER_TR';
  return 'TR_ID_INVALID';
}
