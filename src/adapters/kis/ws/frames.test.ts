import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { unixMillis } from '../../../core/brand.ts';
import { kstInstant } from '../../../core/kst.ts';
import { decryptPayload, KisWsFrameError, parseKisWsFrame, type KisWsDataFrame } from './frames.ts';
import { decodeDataFrame, decodeNotice } from './decode.ts';
import type { ExecutionNotice, QuoteBook, TradeTick } from '../../../model/market-data.ts';

const FRAMES = new URL('../../../../../shared/data/kis/kis_ws_frames.json', import.meta.url);
const haveShared = existsSync(FRAMES);
const tsInit = unixMillis(Date.UTC(2025, 6, 30, 0, 47, 52));

// kis-protocol.md Appendix A.9 (key/iv are the official ack example's placeholder values)
const A9 = {
  key: 'abcdefghijklmnopabcdefghijklmnop',
  iv: '0123456789abcdef',
  plaintext:
    'myhtsid^1234567801^0000012345^^02^0^00^0^005930^0000000003^000070000^153001^0^2^2^06010^000000005^홍길동^^1^N^^^^삼성전자^000070000',
  ciphertext:
    'E3SF1qGt5S2QgNu9hOPZniknSkngkhl+ey60DbLMBckXw/FjbU/ETJKNDeiWG9ldu4OvuxvAOFPlIuUmPGq1DkNyokgJTzuHjikO3vlK0pM3A/tyG8lSN0Pi3MnkrgTi4XPUywtmIBScpJl11D0I1ho6wSnNx0jNfz0DHtKeAolxIuLAP53cUYc0dn9RdexW',
};
const A9b = {
  key: '0123456789abcdef0123456789abcdef',
  iv: 'abcdef9876543210',
  ciphertext:
    'lt/2OVlwH03tstNbVo8JvqAP7Q1H5VofgPR5/ydyGcdKlJQBvUZ6T4kWyk9po2coCEzfjguWetOkVvj+eoPBDZrMWbSaY1zRXr26GyJ9HyYtOR5Sv9PWuFljujIdH6WgSYWsXbWclyTYGhdEbeQila4ZXE9CEs+k3grrpKBqVLE=',
  plaintext: 'myhtsid^12345678-01^0000012345^^02^1^00^^005930^3^70000^153001^N^2^Y^91234^5^TEST ACCOUNT^0^KRX^Y^^^^20260604^70000',
};

describe('AES-256-CBC (kis-protocol.md A.9)', () => {
  it('decrypts both published vectors', () => {
    expect(decryptPayload(A9.ciphertext, A9)).toBe(A9.plaintext);
    expect(decryptPayload(A9b.ciphertext, A9b)).toBe(A9b.plaintext);
  });
  it('an encrypted notice frame decodes into a fill', () => {
    const f = parseKisWsFrame(`1|H0STCNI0|001|${A9.ciphertext}`, () => A9) as KisWsDataFrame;
    expect(f.width).toBe(26);
    const n = decodeNotice(f.records[0]!, unixMillis(kstInstant('2026-06-04', '15:30:02')));
    expect(n).toMatchObject({ kind: 'FILLED', side: 'BUY', venueOrderId: '0000012345', fillQuantity: 3, fillPrice: 70_000, quantity: 5, price: 70_000, name: '삼성전자', branch: '06010' });
    expect(n.tsEvent).toBe(kstInstant('2026-06-04', '15:30:01'));
  });
  it('rejects an encrypted frame that arrives before its key, and a wrong key', () => {
    expect(() => parseKisWsFrame(`1|H0STCNI0|001|${A9.ciphertext}`)).toThrow(KisWsFrameError);
    expect(() => parseKisWsFrame(`1|H0STCNI0|001|${A9.ciphertext}`, () => A9b)).toThrow(KisWsFrameError);
  });
});

describe.skipIf(!haveShared)('real frames (shared/data/kis/kis_ws_frames.json)', () => {
  const frames = haveShared
    ? (JSON.parse(readFileSync(FRAMES, 'utf8')) as { frames: { id: string; tr_id: string; frame: string }[] }).frames
    : [];
  const byId = (id: string) => frames.find((f) => f.id === id)!.frame;

  it('parses every data frame except the documented truncated one', () => {
    let parsed = 0;
    for (const f of frames) {
      if (!/^[01]\|/.test(f.frame)) continue; // decrypted notice payloads: tested below
      if (f.id === 'u-20240904-005930-truncated') {
        expect(() => parseKisWsFrame(f.frame)).toThrow(/do not divide/);
        continue;
      }
      const frame = parseKisWsFrame(f.frame) as KisWsDataFrame;
      const events = decodeDataFrame(frame, tsInit, f.frame);
      expect(events.length).toBe(frame.count);
      parsed++;
    }
    expect(parsed).toBe(8);
  });

  it('splits the 3- and 4-record bundles and keeps the half-tick midpoint print', () => {
    const three = decodeDataFrame(parseKisWsFrame(byId('u-20250730-005930-x3')) as KisWsDataFrame, tsInit) as TradeTick[];
    expect(three.map((t) => [t.price, t.size, t.aggressor])).toEqual([
      [71_950, 1, 'SELL'],
      [71_900, 2, 'SELL'],
      [72_000, 75, 'BUY'],
    ]);
    expect(three[0]!.bestAsk).toBe(72_000);
    expect(three[0]!.bestBid).toBe(71_900);
    expect(three[0]!.tsEvent).toBe(kstInstant('2025-07-30', '09:47:51'));
    expect(three[0]!.session).toBe('REGULAR');
    const four = parseKisWsFrame(byId('u-20260127-005930-x4')) as KisWsDataFrame;
    expect([four.count, four.width]).toEqual([4, 46]);
  });

  it('decodes the 2023 documentation trade, the order book and the market-status frame', () => {
    const [t] = decodeDataFrame(parseKisWsFrame(byId('doc-H0STCNT0-20230612')) as KisWsDataFrame, tsInit) as TradeTick[];
    expect(t).toMatchObject({ instrumentId: '005930', price: 71_900, change: -100, cumulativeVolume: 3_052_507, halted: false, viBasePrice: 72_100 });
    const [b] = decodeDataFrame(parseKisWsFrame(byId('doc-H0STASP0')) as KisWsDataFrame, tsInit);
    expect(b).toMatchObject({ type: 'QuoteBook', totalAskQuantity: 1_159_362, totalBidQuantity: 2_095_167 });
    expect((b as QuoteBook).asks[0]!.price).toBe(71_900);
    const [m] = decodeDataFrame(parseKisWsFrame(byId('doc-H0STMKO0')) as KisWsDataFrame, tsInit);
    expect(m).toMatchObject({ type: 'MarketStatusUpdate', instrumentId: '396300', halted: false, haltReason: '', expectedOperationCode: '311', viActive: false });
  });

  it('decodes the 23-field documentation notices: acceptance carries order qty/price, fill carries fill qty/price', () => {
    const acc = decodeNotice(byId('doc-H0STCNI0-accept').split('^'), tsInit);
    expect(acc).toMatchObject<Partial<ExecutionNotice>>({ kind: 'ACKNOWLEDGED', side: 'BUY', instrumentId: '136480' as never, quantity: 1, fillQuantity: 0, action: 'NEW' });
    const fill = decodeNotice(byId('doc-H0STCNI0-fill').split('^'), tsInit);
    expect(fill).toMatchObject<Partial<ExecutionNotice>>({ kind: 'FILLED', fillQuantity: 1, fillPrice: 3_190, quantity: 1, venueOrderId: '0000002891' });
  });
});

describe('frame parser robustness', () => {
  const trade46 = '005930^093354^71900^5^-100^-0.14^72023.83^72100^72400^71700^71900^71800^1^3052507^219853241700^5105^6937^1832^84.90^1366314^1159996^1^0.39^20.28^090020^5^-200^090820^5^-500^092619^2^200^20230612^20^N^65945^216924^1118750^2199206^0.05^2424142^125.92^0^^72100';
  it('accepts grown layouts (47-field trades) and keeps decoding by position', () => {
    const f = parseKisWsFrame(`0|H0STCNT0|002|${trade46}^2^${trade46}^2`) as KisWsDataFrame;
    expect([f.count, f.width]).toEqual([2, 47]);
    expect(decodeDataFrame(f, tsInit).length).toBe(2);
  });
  it('rejects frames narrower than the layout, bad counts and bad headers', () => {
    expect(() => parseKisWsFrame('0|H0STCNT0|001|005930^093354')).toThrow(/at least 46/);
    expect(() => parseKisWsFrame('0|H0STCNT0|000|x')).toThrow(KisWsFrameError);
    expect(() => parseKisWsFrame('0|H0STCNT0|1|x')).toThrow(KisWsFrameError);
    expect(() => parseKisWsFrame('0|H0STCNT0')).toThrow(KisWsFrameError);
    expect(() => parseKisWsFrame('garbage')).toThrow(KisWsFrameError);
  });
  it('parses PINGPONG and acks with their AES parameters', () => {
    expect(parseKisWsFrame('{"header":{"tr_id":"PINGPONG","datetime":"20260601143000"}}')).toMatchObject({ kind: 'pingpong', datetime: '20260601143000' });
    const ack = parseKisWsFrame(
      '{"header":{"tr_id":"H0STCNT0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS","output":{"iv":"0123456789abcdef","key":"abcdefghijklmnopabcdefghijklmnop"}}}',
    );
    expect(ack).toMatchObject({ kind: 'control', msgCd: 'OPSP0000', trKey: '005930', iv: '0123456789abcdef', key: 'abcdefghijklmnopabcdefghijklmnop' });
    expect(parseKisWsFrame('{"header":{"tr_id":"H0STCNT0","tr_key":"005930"},"body":{"rt_cd":"1","msg_cd":"OPSP0008","msg1":"MAX SUBSCRIBE OVER"}}')).toMatchObject({ msgCd: 'OPSP0008', rtCd: '1' });
  });
  it('fuzz: never throws anything but KisWsFrameError (parse + decode)', () => {
    const key = { key: A9.key, iv: A9.iv };
    const enc = (s: string) => {
      const c = createCipheriv('aes-256-cbc', Buffer.from(key.key), Buffer.from(key.iv));
      return Buffer.concat([c.update(s, 'utf8'), c.final()]).toString('base64');
    };
    const arbFrame = fc.oneof(
      fc.string(),
      fc.tuple(fc.constantFrom('0', '1', '2'), fc.constantFrom('H0STCNT0', 'H0STASP0', 'H0STCNI0', 'H0STMKO0', 'XX', 'H0UNCNT0'), fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 200 })).map(
        ([e, tr, n, fs]) => `${e}|${tr}|${n}|${fs.join('^')}`,
      ),
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom('005930', '1', '2', '01', '02', '', '(null)', 'x', '093354', '20230612', '0^1'), { minLength: 20, maxLength: 300 })).map(
        ([n, fs]) => `0|H0STCNT0|00${n}|${fs.join('^')}`,
      ),
      fc.array(fc.constantFrom('005930', '1', '2', '01', '02', '', '093354', '0000000001'), { minLength: 23, maxLength: 60 }).map((fs) => `1|H0STCNI0|001|${enc(fs.join('^'))}`),
      fc.json().map((j) => j),
    );
    fc.assert(
      fc.property(arbFrame, (raw) => {
        try {
          const f = parseKisWsFrame(raw, () => key);
          if (f.kind === 'data') decodeDataFrame(f, tsInit, raw);
        } catch (e) {
          if (!(e instanceof KisWsFrameError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
