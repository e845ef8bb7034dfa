import { describe, expect, it } from 'vitest';
import { kstInstant } from '../core/kst.ts';
import { CHAOS_FAULT_KINDS, describeFault, planChaos, SeededRandom, type ChaosPlanOptions } from './chaos-plan.ts';

const DAYS = ['2026-02-10', '2026-02-11', '2026-02-12', '2026-02-13', '2026-02-19', '2026-02-20'];
const sessionOf = (d: string) => ({ open: kstInstant(d, '09:00'), close: kstInstant(d, '15:30') });
const base: ChaosPlanOptions = { seed: 7, days: DAYS, sessionOf };

describe('planChaos (the seeded fault plan of hantu chaos)', () => {
  it('is deterministic: the same seed and sessions give the same plan', () => {
    expect(planChaos(base)).toEqual(planChaos({ ...base }));
    expect(JSON.stringify(planChaos({ ...base, seed: 123_456 }))).toBe(JSON.stringify(planChaos({ ...base, seed: 123_456 })));
  });

  it('differs with the seed', () => {
    expect(planChaos({ ...base, seed: 8 })).not.toEqual(planChaos(base));
  });

  it('a day depends on the seed and its date only, not on the other days of the campaign', () => {
    const whole = planChaos(base);
    const oneDay = planChaos({ ...base, days: ['2026-02-12'], minKills: 0 });
    expect(oneDay[0]!.faults.filter((f) => f.fault.kind !== 'kill-9')).toEqual(whole[2]!.faults.filter((f) => f.fault.kind !== 'kill-9'));
  });

  it('puts faults inside the session in time order, a kill early enough to trade again, at most one kill a day', () => {
    for (const seed of [1, 2, 3, 4, 5, 42, 2 ** 32 - 1]) {
      for (const p of planChaos({ ...base, seed })) {
        const s = sessionOf(p.day);
        const at = p.faults.map((f) => f.at);
        expect(at).toEqual([...at].sort((a, b) => a - b));
        for (const f of p.faults) {
          expect(f.at).toBeGreaterThanOrEqual(s.open);
          expect(f.at).toBeLessThanOrEqual(s.close - 40 * 60_000);
          if (f.fault.kind === 'kill-9') expect(f.at).toBeLessThanOrEqual(s.close - 90 * 60_000);
          if (f.fault.kind === 'kill-9' && !f.fault.onSubmit) expect(f.at).toBeGreaterThanOrEqual(s.open + 10 * 60_000);
        }
        expect(p.faults.filter((f) => f.fault.kind === 'kill-9').length).toBeLessThanOrEqual(1);
        const others = p.faults.filter((f) => f.fault.kind !== 'kill-9').length;
        expect(others).toBeGreaterThanOrEqual(3);
        expect(others).toBeLessThanOrEqual(6);
      }
    }
  });

  it('always kills the node at least once per campaign, even with a zero kill chance', () => {
    for (const seed of [1, 2, 3]) {
      const plan = planChaos({ ...base, seed, killChance: 0, days: DAYS.slice(0, 2) });
      expect(plan.flatMap((p) => p.faults).filter((f) => f.fault.kind === 'kill-9')).toHaveLength(1);
    }
    expect(planChaos({ ...base, killChance: 1 }).every((p) => p.faults.some((f) => f.fault.kind === 'kill-9'))).toBe(true);
    expect(planChaos({ ...base, killChance: 0, minKills: 0 }).flatMap((p) => p.faults).some((f) => f.fault.kind === 'kill-9')).toBe(false);
  });

  it('kills in the mode and window asked for', () => {
    const plan = planChaos({ ...base, killChance: 1, killMode: 'next-order', killWindowMin: [2, 5] });
    for (const p of plan) {
      const k = p.faults.find((f) => f.fault.kind === 'kill-9')!;
      expect(k.fault).toMatchObject({ kind: 'kill-9', onSubmit: true });
      expect(k.at - sessionOf(p.day).open).toBeGreaterThanOrEqual(2 * 60_000);
      expect(k.at - sessionOf(p.day).open).toBeLessThanOrEqual(5 * 60_000);
    }
    expect(planChaos({ ...base, killChance: 1, killMode: 'timed' }).every((p) => p.faults.some((f) => f.fault.kind === 'kill-9' && !f.fault.onSubmit))).toBe(true);
  });

  it('next-modify: every kill fires inside the next modify (re-price), the rest of the plan as in mixed mode', () => {
    const plan = planChaos({ ...base, killChance: 1, killMode: 'next-modify' });
    for (const p of plan) {
      const k = p.faults.find((f) => f.fault.kind === 'kill-9')!;
      expect(k.fault).toMatchObject({ kind: 'kill-9', onSubmit: true, onModify: true });
      expect(k.at - sessionOf(p.day).open).toBeGreaterThanOrEqual(2 * 60_000);
      expect(k.at).toBeLessThanOrEqual(sessionOf(p.day).close - 120 * 60_000);
    }
    // The mode draws nothing more: the other faults of a seed stay the same.
    const others = (ps: ReturnType<typeof planChaos>) => ps.map((p) => p.faults.filter((f) => f.fault.kind !== 'kill-9'));
    expect(others(plan)).toEqual(others(planChaos({ ...base, killChance: 1 })));
    // The other modes never kill at a modify.
    for (const killMode of ['timed', 'next-order', 'mixed'] as const) {
      expect(planChaos({ ...base, killChance: 1, killMode }).flatMap((p) => p.faults).some((f) => f.fault.kind === 'kill-9' && f.fault.onModify)).toBe(false);
    }
  });

  it('draws only the kinds asked for and honours the count range', () => {
    const plan = planChaos({ ...base, kinds: ['dup-notices', 'http-5xx'], faultsPerDay: { min: 2, max: 2 }, killChance: 0, minKills: 0 });
    for (const p of plan) {
      expect(p.faults).toHaveLength(2);
      for (const f of p.faults) expect(['dup-notices', 'http-5xx']).toContain(f.fault.kind);
    }
    expect(() => planChaos({ ...base, kinds: [] })).toThrow(RangeError);
    expect(() => planChaos({ ...base, faultsPerDay: { min: 3, max: 1 } })).toThrow(RangeError);
  });

  it('over many seeds draws every kind, and both timed kills and kills at the next order', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      for (const p of planChaos({ ...base, seed })) for (const f of p.faults) seen.add(f.fault.kind === 'kill-9' ? `kill-9/${f.fault.onSubmit}` : f.fault.kind);
    }
    expect([...seen].sort()).toEqual([...CHAOS_FAULT_KINDS.filter((k) => k !== 'kill-9'), 'kill-9/false', 'kill-9/true'].sort());
  });

  it('describes a fault in one line', () => {
    expect(describeFault({ kind: 'kill-9', downMs: 45_000, onSubmit: false })).toBe('kill-9 down=45s');
    expect(describeFault({ kind: 'kill-9', downMs: 45_000, onSubmit: true })).toBe('kill-9 at the next order down=45s');
    expect(describeFault({ kind: 'kill-9', downMs: 45_000, onSubmit: true, onModify: true })).toBe('kill-9 at the next modify down=45s');
    expect(describeFault({ kind: 'drop-fill-notices', count: 2 })).toBe('drop-fill-notices n=2');
    expect(describeFault({ kind: 'delay-notices', delayMs: 5_000, windowMs: 600_000 })).toBe('delay-notices 5s for 10min');
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = SeededRandom.of(7, '2026-02-20');
    const b = SeededRandom.of(7, '2026-02-20');
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
    const r = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(2, 5);
      expect(n >= 2 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
  });
});
