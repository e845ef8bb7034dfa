/**
 * The kill switch on the command line (`hantu halt` / `hantu resume`): the risk engine's trading state
 * persisted in `<dataDir>/trading-state.json`, and the cancellation of every open order through the
 * broker session, reported order by order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { KrxCalendar } from '../model/calendar.ts';
import type { BrokerClient } from '../app/ports.ts';
import { riskConfigFromEnv } from '../risk/config.ts';
import { RiskEngine, type HaltResult, type TransitionResult } from '../risk/risk-engine.ts';
import type { OpenOrderCanceller, TradingStateRecord, TradingStateStore } from '../risk/trading-state.ts';
import { writeJsonAtomic } from './json-file.ts';

/** File name of the persisted trading state inside the data folder. */
export const TRADING_STATE_FILE = 'trading-state.json';

/**
 * A `TradingStateStore` in a JSON file (mode 0600, atomic writes). `load` resolves undefined when the
 * file does not exist and rejects when it cannot be read or parsed (the risk engine then starts
 * HALTED: fail closed).
 */
export class FileTradingStateStore implements TradingStateStore {
  constructor(readonly path: string) {}
  async load(): Promise<TradingStateRecord | undefined> {
    if (!existsSync(this.path)) return undefined;
    return JSON.parse(readFileSync(this.path, 'utf8')) as TradingStateRecord;
  }
  async save(record: TradingStateRecord): Promise<void> {
    writeJsonAtomic(this.path, record);
  }
}

/** The risk engine over `<dataDir>/trading-state.json`, with the limits from the environment. */
export async function createRiskEngine(o: {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly canceller?: OpenOrderCanceller;
}): Promise<RiskEngine> {
  return RiskEngine.create({
    config: riskConfigFromEnv(o.env),
    clock: o.clock,
    calendar: new KrxCalendar(),
    store: new FileTradingStateStore(join(o.dataDir, TRADING_STATE_FILE)),
    logger: o.logger,
    ...(o.canceller ? { canceller: o.canceller } : {}),
  });
}

/** One open order the kill switch tried to cancel. */
export interface CancelOutcome {
  readonly venueOrderId: string;
  readonly instrumentId: string;
  readonly side: string;
  /** Shares left open when the cancel was sent. */
  readonly remainingQuantity: number;
  readonly price: number;
  readonly ok: boolean;
  /** Why the cancel failed (code and message). */
  readonly error?: string;
}

/** What `hantu halt` did. */
export interface HaltReport {
  readonly transition: HaltResult;
  readonly stateFile: string;
  readonly cancelled: readonly CancelOutcome[];
  readonly failed: readonly CancelOutcome[];
  /** Set when the open orders could not even be listed. */
  readonly listError?: string;
}

/** A canceller that lists the open orders and cancels each, remembering every outcome. */
export function recordingCanceller(client: Pick<BrokerClient, 'requestOpenOrders' | 'cancelOrder'>): OpenOrderCanceller & { readonly outcomes: CancelOutcome[] } {
  const outcomes: CancelOutcome[] = [];
  return {
    outcomes,
    async cancelAll() {
      const open = await client.requestOpenOrders();
      for (const o of open) {
        if (o.canceled || o.remainingQuantity <= 0) continue;
        const base = { venueOrderId: o.venueOrderId, instrumentId: o.instrumentId, side: o.side, remainingQuantity: o.remainingQuantity, price: o.price };
        try {
          await client.cancelOrder({ venueOrderId: o.venueOrderId, branch: o.branch });
          outcomes.push({ ...base, ok: true });
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          outcomes.push({ ...base, ok: false, error: `${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message}` });
        }
      }
      return { canceled: outcomes.filter((x) => x.ok).length, failed: outcomes.filter((x) => !x.ok).length };
    },
  };
}

/**
 * Kill switch: HALTED at once and saved to `<dataDir>/trading-state.json`, then every open order of the
 * account cancelled through `client`. Never throws for a failed cancel or save: the report says what
 * failed (the state stays HALTED in memory and, when the save worked, on disk).
 */
export async function haltTrading(o: {
  readonly client: Pick<BrokerClient, 'requestOpenOrders' | 'cancelOrder'>;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly reason: string;
}): Promise<HaltReport> {
  const canceller = recordingCanceller(o.client);
  const engine = await createRiskEngine({ ...o, canceller });
  const transition = await engine.halt(o.reason, { cancelOpenOrders: true });
  const error = transition.cancellation?.error;
  return {
    transition,
    stateFile: join(o.dataDir, TRADING_STATE_FILE),
    cancelled: canceller.outcomes.filter((x) => x.ok),
    failed: canceller.outcomes.filter((x) => !x.ok),
    ...(error === undefined ? {} : { listError: error }),
  };
}

/** Leaves HALTED (or REDUCING) for ACTIVE, or for REDUCING (exits only), and saves it. */
export async function resumeTrading(o: {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly reason: string;
  readonly to?: 'ACTIVE' | 'REDUCING';
}): Promise<TransitionResult & { readonly stateFile: string; readonly record: TradingStateRecord }> {
  const engine = await createRiskEngine(o);
  const r = await engine.resume(o.reason, o.to === undefined ? {} : { to: o.to });
  return { ...r, stateFile: join(o.dataDir, TRADING_STATE_FILE), record: engine.stateRecord };
}

/** The saved trading state, or undefined when none was ever saved. Throws when the file is unreadable. */
export function readTradingState(dataDir: string): TradingStateRecord | undefined {
  const p = join(dataDir, TRADING_STATE_FILE);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as TradingStateRecord) : undefined;
}
