/**
 * Test fixture: a twin on 127.0.0.1:0 over a SYNTHETIC market, driven by a TestClock.
 */
import { TestClock } from '../../core/clock.ts';
import { kstInstant } from '../../core/kst.ts';
import { defaultSimAccount, type SimAccountSpec } from '../account-spec.ts';
import { createSimServer, type SimServer, type SimServerOptions } from '../server.ts';
import { SimTestClient } from './sim-client.ts';
import { syntheticMarket, type SyntheticInstrumentSpec, type SyntheticPrint } from './synthetic-market.ts';

/** Default synthetic prints of 005930 (base 70,000): every minute 09:00–10:00, then the close print. */
export function syntheticMinutePrints(): SyntheticPrint[] {
  const out: SyntheticPrint[] = [];
  for (let m = 0; m <= 60; m++) {
    const hh = String(9 + Math.floor(m / 60)).padStart(2, '0');
    const mm = String(m % 60).padStart(2, '0');
    out.push({ at: `${hh}:${mm}:10`, price: 70_000 + (m % 5) * 100, volume: 100 });
    out.push({ at: `${hh}:${mm}:40`, price: 70_000 + (m % 3) * 100, volume: 50 });
  }
  out.push({ at: '15:30:00', price: 70_200, volume: 5_000 });
  return out;
}

export interface TwinFixture {
  readonly server: SimServer;
  readonly clock: TestClock;
  readonly market: ReturnType<typeof syntheticMarket>;
  /** Instant of a KST time on the session date. */
  at(hhmmss: string): number;
  /** Moves the clock to a KST time on the session date. */
  setTime(hhmmss: string): void;
  client(account: SimAccountSpec): SimTestClient;
  close(): Promise<void>;
}

export const SESSION_DATE = '2026-01-07';

/** Starts a twin (default: one real and one paper account, 005930 + 000660, clock at 09:30 KST). */
export async function startTwin(o: {
  accounts?: SimAccountSpec[];
  instruments?: SyntheticInstrumentSpec[];
  start?: string;
  server?: Partial<SimServerOptions>;
} = {}): Promise<TwinFixture> {
  const clock = new TestClock(kstInstant(SESSION_DATE, o.start ?? '09:30'));
  const market = syntheticMarket({
    sessionDate: SESSION_DATE,
    instruments: o.instruments ?? [
      { code: '005930', name: '삼성전자', basePrice: 70_000, prints: syntheticMinutePrints(), dailyVolume: 1_000_000 },
      { code: '000660', name: 'SK하이닉스', basePrice: 128_500, prints: [{ at: '09:00:00', price: 128_500, volume: 10 }], dailyVolume: 1_000 },
    ],
  });
  const accounts = o.accounts ?? [defaultSimAccount({ env: 'real' }), defaultSimAccount({ env: 'paper' })];
  const server = await createSimServer({ market, clock, accounts, fees: { commissionBps: 15, sellTaxBps: 20 }, ...o.server });
  const at = (t: string): number => kstInstant(SESSION_DATE, t);
  return {
    server,
    clock,
    market,
    at,
    setTime: (t) => clock.set(at(t)),
    client: (a) => new SimTestClient(server.url, a),
    close: () => server.close(),
  };
}
