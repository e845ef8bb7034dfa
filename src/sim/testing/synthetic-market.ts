/**
 * A SYNTHETIC MarketSource for the twin's tests: hand-written prints, not market data. Real replays
 * come from src/sim/replay; this exists so engine and server tests state their prints explicitly.
 */
import { unixMillis, type UnixMillis } from '../../core/brand.ts';
import { kstInstant, type KstDate } from '../../core/kst.ts';
import { instrumentId, type InstrumentKind, type Market } from '../../model/instrument.ts';
import type { MarketSource, SimInstrument, SimSnapshot, SimTrade } from '../market-source.ts';

/** One synthetic print: KST wall-clock time `HH:MM:SS` on the session date, price (won), volume (shares). */
export interface SyntheticPrint {
  readonly at: string;
  readonly price: number;
  readonly volume: number;
}

export interface SyntheticInstrumentSpec {
  readonly code: string;
  readonly name?: string;
  readonly market?: Market;
  readonly kind?: InstrumentKind;
  /** 기준가 (won). */
  readonly basePrice: number;
  readonly prints: readonly SyntheticPrint[];
  /** Daily volume override (default: the sum of the prints) — the cap of the engine's immediate fills. */
  readonly dailyVolume?: number;
}

export interface SyntheticMarketOptions {
  /** Default '2026-01-07' (a Wednesday). */
  readonly sessionDate?: KstDate;
  /** KST `HH:MM[:SS]`; defaults 09:00, 15:20, 15:30. */
  readonly open?: string;
  readonly closingAuctionStart?: string;
  readonly close?: string;
  readonly instruments: readonly SyntheticInstrumentSpec[];
}

/** A MarketSource over hand-written prints (synthetic). Prints are sorted by time. */
export function syntheticMarket(opts: SyntheticMarketOptions): MarketSource & { at(hhmmss: string): UnixMillis } {
  const sessionDate = opts.sessionDate ?? '2026-01-07';
  const at = (t: string): UnixMillis => kstInstant(sessionDate, t);
  const insts = new Map<string, SimInstrument>();
  const prints = new Map<string, SimTrade[]>();
  for (const s of opts.instruments) {
    const trades = s.prints.map((p) => ({ ts: at(p.at), price: p.price, volume: p.volume })).sort((a, b) => a.ts - b.ts);
    const vol = trades.reduce((x, t) => x + t.volume, 0);
    const first = trades[0];
    const last = trades[trades.length - 1];
    const daily = first && last
      ? { open: first.price, high: Math.max(...trades.map((t) => t.price)), low: Math.min(...trades.map((t) => t.price)), close: last.price, volume: s.dailyVolume ?? vol }
      : { open: 0, high: 0, low: 0, close: 0, volume: s.dailyVolume ?? 0 };
    insts.set(s.code, {
      id: instrumentId(s.code),
      name: s.name ?? `SYNTH${s.code}`,
      market: s.market ?? 'KOSPI',
      kind: s.kind ?? 'STOCK',
      basePrice: s.basePrice,
      daily,
    });
    prints.set(s.code, trades);
  }
  return {
    sessionDate,
    open: at(opts.open ?? '09:00'),
    closingAuctionStart: at(opts.closingAuctionStart ?? '15:20'),
    close: at(opts.close ?? '15:30'),
    at,
    instruments: () => [...insts.values()],
    instrument: (code) => insts.get(code),
    snapshot(code, ts): SimSnapshot | undefined {
      const inst = insts.get(code);
      if (!inst) return undefined;
      const upTo = (prints.get(code) ?? []).filter((t) => t.ts <= ts);
      const lastT = upTo[upTo.length - 1];
      if (!lastT) return { last: inst.basePrice, open: inst.basePrice, high: inst.basePrice, low: inst.basePrice, volume: 0, value: 0, lastTs: undefined };
      return {
        last: lastT.price,
        open: upTo[0]?.price ?? lastT.price,
        high: Math.max(...upTo.map((t) => t.price)),
        low: Math.min(...upTo.map((t) => t.price)),
        volume: upTo.reduce((x, t) => x + t.volume, 0),
        value: Math.round(upTo.reduce((x, t) => x + t.price * t.volume, 0)),
        lastTs: unixMillis(lastT.ts),
      };
    },
    tradesBetween: (code, from, to) => (prints.get(code) ?? []).filter((t) => t.ts > from && t.ts <= to),
  };
}
