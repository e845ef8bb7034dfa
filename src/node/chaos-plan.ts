/**
 * The seeded fault plan of `hantu chaos` (issue 4 §4): for each replayed session, which faults are
 * injected into the twin and the node, and at which simulated instant. Pure and deterministic: the same
 * seed and the same sessions always give the same plan (a failing campaign is replayed by its seed).
 * Instants are epoch ms of the replayed session (KST only in display); durations in simulated ms.
 */
import type { KstDate } from '../core/kst.ts';

/** Every fault `hantu chaos` can inject. */
export const CHAOS_FAULT_KINDS = [
  'disconnect',
  'refuse-reconnects',
  'drop-notices',
  'drop-fill-notices',
  'dup-notices',
  'dup-fill-notices',
  'delay-notices',
  'http-5xx',
  'rate-limit',
  'order-answer-lost',
  'token-expiry',
  'kill-9',
] as const;
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

/**
 * One fault with its parameters:
 * - `disconnect`: the twin drops every WebSocket session;
 * - `refuse-reconnects`: the next `count` WebSocket upgrades are refused (HTTP 503), then a disconnect;
 * - `drop-notices` / `drop-fill-notices`: the next `count` execution notices (all / fills only) are lost;
 * - `dup-notices` / `dup-fill-notices`: the next `count` notices (all / fills only) are sent twice;
 * - `delay-notices`: every notice is held back `delayMs` during `windowMs` (simulated ms);
 * - `http-5xx` / `rate-limit`: the next `count` REST calls are answered HTTP 500 (EGW00002) / EGW00201
 *   before they take effect;
 * - `order-answer-lost`: the next order is PLACED, then its answer is replaced by HTTP 500 (`http-500`)
 *   or the socket is destroyed (`drop`): the client's outcome is unknown;
 * - `token-expiry`: the node's access token is revoked at the twin (the gateway refuses it from then on);
 * - `kill-9`: SIGKILL of the node's process; it is restarted `downMs` later (simulated) against the same
 *   twin, database and ledger account. `onSubmit`: the kill is armed at the planned instant and fires
 *   at the next order the twin accepts from the node, INSIDE the order request (the order is placed,
 *   the node dies before the answer reaches it: a kill mid-submit); not fired when no order comes.
 *   `onModify` (with `onSubmit`): it fires at the next MODIFY (a re-price) the twin accepts from the
 *   node instead, inside that request (the modify is booked, the node dies before its answer).
 */
export type ChaosFault =
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'refuse-reconnects'; readonly count: number }
  | { readonly kind: 'drop-notices' | 'drop-fill-notices' | 'dup-notices' | 'dup-fill-notices'; readonly count: number }
  | { readonly kind: 'delay-notices'; readonly delayMs: number; readonly windowMs: number }
  | { readonly kind: 'http-5xx' | 'rate-limit'; readonly count: number }
  | { readonly kind: 'order-answer-lost'; readonly mode: 'http-500' | 'drop' }
  | { readonly kind: 'token-expiry' }
  | { readonly kind: 'kill-9'; readonly downMs: number; readonly onSubmit: boolean; readonly onModify?: boolean };

/** A fault at an instant of the replayed session (epoch ms). */
export interface PlannedFault {
  readonly at: number;
  readonly fault: ChaosFault;
}

/** The plan of one session, faults in time order. */
export interface DayPlan {
  readonly day: KstDate;
  readonly faults: readonly PlannedFault[];
}

/** Session instants of a day (epoch ms). */
export interface SessionTimes {
  readonly open: number;
  readonly close: number;
}

export interface ChaosPlanOptions {
  readonly seed: number;
  /** Sessions of the campaign, in order. */
  readonly days: readonly KstDate[];
  readonly sessionOf: (day: KstDate) => SessionTimes;
  /** Faults per day besides kills (inclusive range, default 3..6). */
  readonly faultsPerDay?: { readonly min: number; readonly max: number };
  /** Chance of a kill -9 on a day (default 0.5). */
  readonly killChance?: number;
  /** At least this many kills over the campaign (default 1: a campaign always restarts the node once). */
  readonly minKills?: number;
  /** The kinds to draw from (default every kind but `kill-9`, which `killChance` governs). */
  readonly kinds?: readonly Exclude<ChaosFaultKind, 'kill-9'>[];
  /**
   * Timed kills, kills at the next order, or both (default `mixed`: half and half); `next-modify`: every
   * kill inside the next modify (re-price) the node sends (not part of `mixed`, so that a seed's plan
   * does not change).
   */
  readonly killMode?: 'timed' | 'next-order' | 'next-modify' | 'mixed';
  /** Window of a kill in minutes after the open (default: timed 10 .. close − 90 min; next order 2 .. close − 120 min). */
  readonly killWindowMin?: readonly [number, number];
}

/** Simulated minutes. */
const MIN = 60_000;

/**
 * A small seeded PRNG (mulberry32 over a 32-bit seed): `next()` in [0, 1). Not cryptographic.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator seeded from several values (e.g. the campaign seed and a date): a string hash of them. */
  static of(...parts: readonly (string | number)[]): SeededRandom {
    let h = 0x811c9dc5;
    for (const ch of parts.join('\u0000')) {
      h ^= ch.codePointAt(0)!;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return new SeededRandom(h);
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('pick from an empty list');
    return list[Math.floor(this.next() * list.length)]!;
  }
}

const DRAWN_KINDS = CHAOS_FAULT_KINDS.filter((k): k is Exclude<ChaosFaultKind, 'kill-9'> => k !== 'kill-9');

function drawFault(r: SeededRandom, kind: Exclude<ChaosFaultKind, 'kill-9'>): ChaosFault {
  switch (kind) {
    case 'disconnect':
    case 'token-expiry':
      return { kind };
    case 'refuse-reconnects':
      return { kind, count: r.int(1, 3) };
    case 'drop-notices':
    case 'drop-fill-notices':
    case 'dup-notices':
    case 'dup-fill-notices':
      return { kind, count: r.int(1, 3) };
    case 'delay-notices':
      return { kind, delayMs: r.int(2, 20) * 1_000, windowMs: r.int(5, 30) * MIN };
    case 'http-5xx':
      return { kind, count: r.int(2, 6) };
    case 'rate-limit':
      return { kind, count: r.int(2, 8) };
    case 'order-answer-lost':
      return { kind, mode: r.next() < 0.5 ? 'http-500' : 'drop' };
  }
}

/**
 * The campaign's plan. Faults fall in [open + 2 min, close − 40 min]; a timed kill in [open + 10 min,
 * close − 90 min], so the restarted node trades again before the close; a kill at the next order
 * (`onSubmit`, half of the kills) is armed in [open + 2 min, close − 120 min]. One kill a day at most.
 * Throws `RangeError` for an empty kind list or a bad count range.
 */
export function planChaos(o: ChaosPlanOptions): DayPlan[] {
  const min = o.faultsPerDay?.min ?? 3;
  const max = o.faultsPerDay?.max ?? 6;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw new RangeError(`faultsPerDay must be whole numbers with 0 <= min <= max, was ${min}..${max}`);
  const kinds = o.kinds ?? DRAWN_KINDS;
  if (kinds.length === 0 && max > 0) throw new RangeError('no fault kinds to draw from');
  const killChance = o.killChance ?? 0.5;
  const plans = o.days.map((day) => {
    const r = SeededRandom.of(o.seed, day);
    const s = o.sessionOf(day);
    const faults: PlannedFault[] = [];
    const n = r.int(min, max);
    for (let i = 0; i < n; i++) {
      const fault = drawFault(r, r.pick(kinds));
      faults.push({ at: r.int(s.open + 2 * MIN, s.close - 40 * MIN), fault });
    }
    const kill = r.next() < killChance;
    const mixed = r.next() < 0.5;
    const onModify = o.killMode === 'next-modify';
    const onSubmit = onModify || o.killMode === 'next-order' || (o.killMode !== 'timed' && mixed);
    const window = o.killWindowMin ? [s.open + o.killWindowMin[0] * MIN, s.open + o.killWindowMin[1] * MIN] : onSubmit ? [s.open + 2 * MIN, s.close - 120 * MIN] : [s.open + 10 * MIN, s.close - 90 * MIN];
    const killAt = r.int(window[0]!, window[1]!);
    const downMs = r.int(10, 180) * 1_000;
    return { day, faults, kill, killFault: { at: killAt, fault: { kind: 'kill-9', downMs, onSubmit, ...(onModify ? { onModify } : {}) } } as PlannedFault };
  });
  // At least `minKills` kills: the days drawn by a generator of the campaign seed get one.
  const want = Math.min(o.minKills ?? 1, plans.length);
  const campaign = SeededRandom.of(o.seed, 'kills');
  let kills = plans.filter((p) => p.kill).length;
  while (kills < want) {
    const candidates = plans.filter((p) => !p.kill);
    campaign.pick(candidates).kill = true;
    kills++;
  }
  return plans.map((p) => ({
    day: p.day,
    faults: [...p.faults, ...(p.kill ? [p.killFault] : [])].sort((a, b) => a.at - b.at),
  }));
}

/** One line for a fault: `kill-9 down=45s`, `drop-fill-notices n=2`, … */
export function describeFault(f: ChaosFault): string {
  switch (f.kind) {
    case 'disconnect':
    case 'token-expiry':
      return f.kind;
    case 'refuse-reconnects':
    case 'drop-notices':
    case 'drop-fill-notices':
    case 'dup-notices':
    case 'dup-fill-notices':
    case 'http-5xx':
    case 'rate-limit':
      return `${f.kind} n=${f.count}`;
    case 'delay-notices':
      return `${f.kind} ${f.delayMs / 1000}s for ${Math.round(f.windowMs / MIN)}min`;
    case 'order-answer-lost':
      return `${f.kind} (${f.mode})`;
    case 'kill-9':
      return `${f.kind}${f.onModify ? ' at the next modify' : f.onSubmit ? ' at the next order' : ''} down=${Math.round(f.downMs / 1000)}s`;
  }
}
