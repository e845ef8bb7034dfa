import { unixMillis, type UnixMillis } from '../../src/core/brand.ts';
import { kstInstant, type KstDate } from '../../src/core/kst.ts';
import { instrumentId } from '../../src/model/instrument.ts';
import type { MarketSource, SimInstrument, SimSnapshot, SimTrade } from '../../src/sim/market-source.ts';

/**
 * SYNTHETIC market for tests: scripted prints, not market data. Each instrument gets the prints the
 * test gives it; snapshots are cumulated from them.
 */
export interface SyntheticInstrumentSpec {
  code: string;
  name?: string;
  basePrice: number;
  /** [seconds after the open, price, volume] */
  prints: [number, number, number][];
}

export function syntheticMarket(date: KstDate, specs: SyntheticInstrumentSpec[]): MarketSource & { sessionOpen: UnixMillis } {
  const open = kstInstant(date, '09:00');
  const closingAuctionStart = kstInstant(date, '15:20');
  const close = kstInstant(date, '15:30');
  const insts = new Map<string, SimInstrument>();
  const prints = new Map<string, SimTrade[]>();
  for (const s of specs) {
    const trades = s.prints.map(([sec, price, volume]) => ({ ts: unixMillis(open + sec * 1000), price, volume }));
    const ps = trades.map((t) => t.price);
    insts.set(s.code, {
      id: instrumentId(s.code),
      name: s.name ?? `SYNTH${s.code}`,
      market: 'KOSPI',
      kind: 'STOCK',
      basePrice: s.basePrice,
      daily: {
        open: ps[0] ?? s.basePrice,
        high: Math.max(...ps, s.basePrice),
        low: Math.min(...ps, s.basePrice),
        close: ps[ps.length - 1] ?? s.basePrice,
        volume: trades.reduce((a, t) => a + t.volume, 0),
      },
    });
    prints.set(s.code, trades);
  }
  return {
    sessionDate: date,
    open,
    closingAuctionStart,
    close,
    sessionOpen: open,
    instruments: () => [...insts.values()],
    instrument: (code) => insts.get(code),
    snapshot(code, ts): SimSnapshot | undefined {
      const inst = insts.get(code);
      if (!inst) return undefined;
      const upTo = (prints.get(code) ?? []).filter((t) => t.ts <= ts);
      if (upTo.length === 0) return { last: inst.basePrice, open: 0, high: 0, low: 0, volume: 0, value: 0, lastTs: undefined };
      return {
        last: upTo[upTo.length - 1]!.price,
        open: upTo[0]!.price,
        high: Math.max(...upTo.map((t) => t.price)),
        low: Math.min(...upTo.map((t) => t.price)),
        volume: upTo.reduce((a, t) => a + t.volume, 0),
        value: upTo.reduce((a, t) => a + t.volume * t.price, 0),
        lastTs: upTo[upTo.length - 1]!.ts,
      };
    },
    tradesBetween: (code, from, to) => (prints.get(code) ?? []).filter((t) => t.ts > from && t.ts <= to),
  };
}
