import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DailyBarSet,
  DailyBarsError,
  decodeFile,
  detectFormat,
  formatCompactCsv,
  inferKind,
  loadDailyBars,
  parseDailyBars,
  parseMarket,
  splitCsvLine,
  type DailyBar,
  type DailyBarWarning,
} from './daily-bars.ts';
import { HAS_SHARED, MARCAP_2024, MARCAP_2026, RLTRADER_DIR, SHIPPED_2024, SHIPPED_2026 } from './test-support.ts';

// Real rows copied from the marcap files (2024 and 2026 header variants).
const M2024 = [
  '"Code","Name","Close","Dept","ChangeCode","Changes","ChagesRatio","Volume","Amount","Open","High","Low","Marcap","Stocks","Market","MarketId","Rank","Date"',
  '"005930","삼성전자",79600.0,"",1,1100.0,1.4,17142847.0,1356958225913.0,78200.0,79800.0,78200.0,475194690980000.0,5969782550,"KOSPI","STK",1,"2024-01-02"',
  '"091990","셀트리온헬스케어",75900.0,"우량기업부",0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,12482872551600.0,164464724,"KOSDAQ GLOBAL","KSQ",31,"2024-01-02"',
].join('\n');
const M2026 = [
  'Code,Name,Market,Dept,Close,ChangeCode,Changes,ChangesRatio,Open,High,Low,Volume,Amount,Marcap,Stocks,MarketId,Rank,Date',
  '005930,삼성전자,KOSPI,,128500,1,8600,7.17,120200,128500,120200,30463279,3805940517494,760673472977000,5919637922,STK,1,2026-01-02',
  '373220,LG에너지솔루션,KOSPI,,361000,2,-7500,-2.04,368500,368500,358500,329529,119065453500,84474000000000,234000000,STK,3,2026-01-02',
].join('\n');
// Real rows of rltrader v1_005930.csv (BOM, quoted thousands), including its one day without trades.
const RL = '\uFEFF1987-01-03,"20,981","20,981","20,981","20,981","1,000"\n1987-01-05,"20,981","20,981","20,981","20,981","0"\n1987-01-06,"21,112","21,112","20,981","21,112","7,880"\n';

describe('splitCsvLine', () => {
  it('splits plain, quoted, escaped and tab-separated fields', () => {
    expect(splitCsvLine('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(splitCsvLine('"6,511","x""y",3\r')).toEqual(['6,511', 'x"y', '3']);
    expect(splitCsvLine('2015-11-04\t"2,054"\t"2,056"', '\t')).toEqual(['2015-11-04', '2,054', '2,056']);
    expect(splitCsvLine('"a",')).toEqual(['a', '']);
    expect(() => splitCsvLine('"abc')).toThrow(SyntaxError);
  });
});

describe('detectFormat / parseMarket / inferKind', () => {
  it('recognises the headers and header-less rltrader files', () => {
    expect(detectFormat(M2024.split('\n')[0]!)).toBe('marcap');
    expect(detectFormat(M2026.split('\n')[0]!)).toBe('marcap');
    expect(detectFormat('date,code,name,market,open,high,low,close,volume,value,prev_close')).toBe('compact');
    expect(detectFormat('\uFEFF1985-01-04,"6,511","6,511","6,473","6,473","2,232"')).toBe('rltrader');
    expect(detectFormat('date,open,high,low,close,volume,per,pbr')).toBe('rltrader');
    expect(detectFormat('hello,world')).toBeUndefined();
  });
  it('maps marcap markets; KOSDAQ GLOBAL is KOSDAQ', () => {
    expect(parseMarket('KOSPI')).toBe('KOSPI');
    expect(parseMarket('KOSDAQ GLOBAL')).toBe('KOSDAQ');
    expect(parseMarket('KONEX')).toBe('KONEX');
    expect(parseMarket('KSQ')).toBe('KOSDAQ');
    expect(parseMarket('NYSE')).toBeUndefined();
  });
  it('infers ETF/ETN from names, STOCK otherwise (no false positives on look-alike stock names)', () => {
    expect(inferKind('KODEX 200')).toBe('ETF');
    expect(inferKind('TIGER 미국S&P500')).toBe('ETF');
    expect(inferKind('신한 레버리지 WTI원유 선물 ETN')).toBe('ETN');
    expect(inferKind('삼성전자')).toBe('STOCK');
    expect(inferKind('파워로직스')).toBe('STOCK');
    expect(inferKind('BNK금융지주')).toBe('STOCK');
  });
});

describe('marcap parsing', () => {
  it('reads the 2024 variant (quoted, floats) by header name', () => {
    const set = parseDailyBars(M2024, 'm2024.csv');
    expect(set.size).toBe(2);
    expect(set.bar('2024-01-02', '005930')).toMatchObject({
      name: '삼성전자',
      market: 'KOSPI',
      kind: 'STOCK',
      open: 78200,
      high: 79800,
      low: 78200,
      close: 79600,
      volume: 17142847,
      value: 1356958225913,
      prevClose: 78500, // Close − Changes
      traded: true,
    });
    // A day without trades is kept and flagged; KOSDAQ GLOBAL maps to KOSDAQ.
    expect(set.bar('2024-01-02', '091990')).toMatchObject({ market: 'KOSDAQ', traded: false, volume: 0, open: 0, close: 75900, prevClose: 75900 });
  });

  it('reads the 2026 variant, and the column order does not matter', () => {
    const set = parseDailyBars(M2026, 'm2026.csv');
    expect(set.bar('2026-01-02', '373220')).toMatchObject({ open: 368500, close: 361000, prevClose: 368500, volume: 329529, value: 119065453500 });
    // Reverse every column: header and rows together.
    const reversed = M2026.split('\n')
      .map((l) => l.split(',').reverse().join(','))
      .join('\n');
    const again = parseDailyBars(reversed, 'reversed.csv');
    expect(again.session('2026-01-02')).toEqual(set.session('2026-01-02'));
  });

  it('names the file and line of a malformed row', () => {
    const bad = `${M2026}\n000660,SK하이닉스,KOSPI,,677000,1,26000,3.99,651000,679000,647000,abc,2778983677000,492857601105000,728002365,STK,2,2026-01-02`;
    expect(() => parseDailyBars(bad, 'bad.csv')).toThrow(DailyBarsError);
    expect(() => parseDailyBars(bad, 'bad.csv')).toThrow(/^bad\.csv:4: Volume must be a whole number/);
    const shortRow = `${M2026}\n000660,SK하이닉스`;
    expect(() => parseDailyBars(shortRow, 'short.csv')).toThrow('short.csv:4: expected 18 fields, found 2');
    const inconsistent = M2026.replace('120200,128500,120200', '120200,119000,118000'); // open above high
    expect(() => parseDailyBars(inconsistent, 'x.csv')).toThrow(/x\.csv:2: open 120200 outside low\.\.high/);
    const dup = `${M2026}\n${M2026.split('\n')[1]!}`;
    expect(() => parseDailyBars(dup, 'dup.csv')).toThrow('dup.csv:4: duplicate bar for 005930 on 2026-01-02');
    expect(() => parseDailyBars('Code,Name,Close,Changes,Date,Open\n', 'h.csv')).toThrow(/h\.csv:1: header has no Market\/MarketId column/);
    expect(() => parseDailyBars('Code,Name,Close\n', 'h.csv', { format: 'marcap' })).toThrow(/h\.csv:1: header has no Market\/MarketId column/);
    expect(() => parseDailyBars('nonsense\n', 'n.csv')).toThrow(/n\.csv:1: unknown daily-bar format/);
    expect(() => parseDailyBars('\n\n', 'e.csv')).toThrow('e.csv: empty file');
  });

  it('skips malformed rows with warnings when asked', () => {
    const seen: DailyBarWarning[] = [];
    const bad = `${M2026}\n000660,SK하이닉스,KOSPI,,677000,1,26000,3.99,651000,679000,647000,abc,1,1,1,STK,2,2026-01-02\nXYZ,bad,KOSPI,,1,0,0,0,1,1,1,1,1,1,1,STK,2,2026-01-02`;
    const set = parseDailyBars(bad, 'bulk.csv', { onMalformed: 'skip', onWarning: (w) => seen.push(w) });
    expect(set.size).toBe(2);
    expect(set.warnings.map((w) => w.line)).toEqual([4, 5]);
    expect(set.warnings[1]!.message).toMatch(/bad code "XYZ"/);
    expect(seen).toEqual(set.warnings);
  });

  it('filters by code and date range', () => {
    const set = parseDailyBars(M2026, 'm.csv', { codes: ['005930'] });
    expect(set.codes()).toEqual(['005930']);
    expect(parseDailyBars(M2026, 'm.csv', { from: '2026-01-03' }).size).toBe(0);
  });
});

describe('rltrader parsing', () => {
  it('reads BOM, quoted thousands, code from the file name, previous close from the previous row', () => {
    const set = parseDailyBars(RL, '/x/v1_005930.csv');
    expect(set.codes()).toEqual(['005930']);
    const [a, b, c] = set.barsOf('005930');
    expect(a).toMatchObject({ date: '1987-01-03', open: 20981, volume: 1000, traded: true, market: 'KOSPI', name: '005930', valueEstimated: true });
    expect(a!.prevClose).toBeUndefined();
    expect(b).toMatchObject({ traded: false, volume: 0, prevClose: 20981 });
    expect(c).toMatchObject({ close: 21112, prevClose: 20981, value: Math.round((7880 * (21112 + 20981 + 21112)) / 3) });
  });
  it('needs a code when the file name has none; takes one from the options', () => {
    expect(() => parseDailyBars(RL, 'v1_kospi.csv')).toThrow(/cannot tell the stock code.*v1_kospi\.csv/);
    const set = parseDailyBars(RL, 'v1_kospi.csv', { code: '0000D0', name: 'test', market: 'KOSDAQ' });
    expect(set.barsOf('0000D0')[0]).toMatchObject({ name: 'test', market: 'KOSDAQ' });
  });
  it('rejects dates out of order and bad numbers with file and line', () => {
    expect(() => parseDailyBars(`${RL}1987-01-06,"1","1","1","1","1"\n`, 'v1_005930.csv')).toThrow('v1_005930.csv:4: date 1987-01-06 not after 1987-01-06');
    expect(() => parseDailyBars('1987-01-03,"1","x","1","1","1"\n', 'v1_005930.csv')).toThrow(/v1_005930\.csv:1: high must be/);
  });
});

describe('compact format', () => {
  it('round-trips through formatCompactCsv', () => {
    const set = parseDailyBars(M2024, 'm.csv');
    const text = formatCompactCsv(set.session('2024-01-02'));
    expect(text.split('\n')[0]).toBe('date,code,name,market,open,high,low,close,volume,value,prev_close');
    const again = parseDailyBars(text, 'c.csv');
    expect(again.session('2024-01-02')).toEqual(set.session('2024-01-02'));
    // An unknown previous close is an empty field, and comes back undefined.
    const rl = parseDailyBars(RL, 'v1_005930.csv');
    const first = parseDailyBars(formatCompactCsv(rl.barsOf('005930')), 'c.csv').barsOf('005930')[0]!;
    expect(first.prevClose).toBeUndefined();
    // Names with commas or quotes are quoted.
    const odd: DailyBar = { ...set.bar('2024-01-02', '005930')!, name: 'A, "B"' };
    expect(parseDailyBars(formatCompactCsv([odd]), 'c.csv').bar('2024-01-02', '005930')!.name).toBe('A, "B"');
  });
});

describe('files: gzip detection by magic bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hantu-bars-'));
  it('reads gzip content whatever the name, and plain content named .gz', () => {
    writeFileSync(join(dir, 'plain-named.csv'), gzipSync(Buffer.from(M2026)));
    writeFileSync(join(dir, 'gz-named.csv.gz'), M2026);
    expect(loadDailyBars(join(dir, 'plain-named.csv')).size).toBe(2);
    expect(loadDailyBars(join(dir, 'gz-named.csv.gz')).size).toBe(2);
    expect(decodeFile(Buffer.from('\uFEFFabc'))).toBe('abc');
  });
  it('names the path in errors', () => {
    const p = join(dir, 'broken.csv');
    writeFileSync(p, `${M2026}\n005930,x`);
    expect(() => loadDailyBars(p)).toThrow(`${p}:4: expected 18 fields, found 2`);
  });
});

describe('DailyBarSet', () => {
  it('indexes by date and code and refuses duplicates', () => {
    const set = parseDailyBars(`${M2026}\n${M2026.split('\n')[1]!.replaceAll('2026-01-02', '2026-01-05')}`, 'm.csv');
    expect(set.dates()).toEqual(['2026-01-02', '2026-01-05']);
    expect(set.codes()).toEqual(['005930', '373220']);
    expect(set.barsOf('005930').map((b) => b.date)).toEqual(['2026-01-02', '2026-01-05']);
    expect(set.session('2026-01-02').map((b) => b.code)).toEqual(['005930', '373220']);
    expect(set.session('2026-01-03')).toEqual([]);
    expect(set.bar('2026-01-05', '373220')).toBeUndefined();
    expect(set.range()).toEqual({ first: '2026-01-02', last: '2026-01-05' });
    const b = set.bar('2026-01-02', '005930')!;
    expect(() => new DailyBarSet([b, b], 'mem')).toThrow(DailyBarsError);
    expect(new DailyBarSet([]).range()).toBeUndefined();
  });
});

describe('shipped compact files (always present)', () => {
  const REQUIRED = ['005930', '000660', '005380', '035420', '051910'];
  for (const [path, sessions, first, last] of [
    [SHIPPED_2024, 29, '2024-01-02', '2024-02-13'],
    [SHIPPED_2026, 33, '2026-01-02', '2026-02-20'],
  ] as const) {
    it(`${path.split('/').pop()}: 40 codes on every one of ${sessions} sessions, required codes present`, () => {
      const set = loadDailyBars(path);
      expect(set.dates().length).toBe(sessions);
      expect(set.range()).toEqual({ first, last });
      expect(set.codes().length).toBe(40);
      expect(set.size).toBe(40 * sessions);
      for (const c of REQUIRED) expect(set.barsOf(c).length).toBe(sessions);
      expect(set.session(last).filter((b) => b.market === 'KOSDAQ').length).toBe(8);
      for (const b of set.session(last)) {
        expect(b.traded).toBe(true);
        expect(b.prevClose).toBeGreaterThan(0);
        expect(b.kind).toBe('STOCK');
      }
      expect(readFileSync(path).length).toBeLessThan(200_000);
      // Trading halts of selected codes are kept (2026: 090710 on 01-20 and 01-22, 319400 on 01-22).
      const halted = set.dates().flatMap((d) => set.session(d).filter((b) => !b.traded).map((b) => `${b.code}@${d}`));
      expect(halted).toEqual(sessions === 33 ? ['090710@2026-01-20', '090710@2026-01-22', '319400@2026-01-22'] : []);
    });
  }
});

describe.skipIf(!HAS_SHARED)('real reference files (skipped when ../shared/data is absent)', () => {
  it('marcap 2024: every listing of 29 sessions', () => {
    const set = loadDailyBars(MARCAP_2024);
    expect(set.size).toBe(80_828);
    expect(set.dates().length).toBe(29);
    expect(set.codes().length).toBe(2_800);
    expect(set.warnings).toEqual([]);
    let untraded = 0;
    const markets = new Map<string, number>();
    for (const d of set.dates())
      for (const b of set.session(d)) {
        if (!b.traded) untraded++;
        markets.set(b.market, (markets.get(b.market) ?? 0) + 1);
      }
    expect(untraded).toBe(3_294);
    expect(Object.fromEntries(markets)).toEqual({ KOSPI: 27_639, KOSDAQ: 48_040 + 1_390, KONEX: 3_759 });
    expect(set.bar('2024-01-03', '005930')).toMatchObject({ open: 78500, high: 78800, low: 77000, close: 77000, volume: 21753644, prevClose: 79600 });
    // The 066970 (L&F) listing moved from KOSDAQ to KOSPI inside the period.
    expect(set.bar('2024-01-26', '066970')!.market).toBe('KOSDAQ');
    expect(set.bar('2024-01-29', '066970')!.market).toBe('KOSPI');
  });

  it('marcap 2026: 33 sessions, alphanumeric codes, off-grid prints kept as they are', () => {
    const set = loadDailyBars(MARCAP_2026);
    expect(set.size).toBe(95_412);
    expect(set.dates().length).toBe(33);
    expect(set.codes().length).toBe(2_907);
    expect(set.codes().filter((c) => !/^\d{6}$/.test(c)).length).toBe(59);
    expect(set.bar('2026-01-02', '319400')).toMatchObject({ high: 24075, low: 18910 }); // 24,075: a half tick of the 50-won band
    expect(set.barsOf('005930')[0]).toMatchObject({ date: '2026-01-02', close: 128500, prevClose: 119900 });
  });

  it('the shipped files hold the source values unchanged', () => {
    for (const [src, shipped] of [
      [MARCAP_2024, SHIPPED_2024],
      [MARCAP_2026, SHIPPED_2026],
    ] as const) {
      const small = loadDailyBars(shipped);
      const big = loadDailyBars(src, { codes: small.codes() });
      expect(big.size).toBe(small.size);
      for (const d of small.dates()) expect(small.session(d)).toEqual(big.session(d));
    }
  });

  it('rltrader v1: 005930 with 8,826 rows, one day without trades', () => {
    const set = loadDailyBars(`${RLTRADER_DIR}/v1_005930.csv`);
    const bars = set.barsOf('005930');
    expect(bars.length).toBe(8_826);
    expect(bars[0]).toMatchObject({ date: '1985-01-04', open: 6511, high: 6511, low: 6473, close: 6473, volume: 2232 });
    expect(bars[bars.length - 1]).toMatchObject({ date: '2018-02-14', close: 2_450_000, prevClose: 2_377_000 });
    expect(bars.filter((b) => !b.traded).map((b) => b.date)).toEqual(['1987-01-05']);
  });

  it('rltrader: every v1 stock file loads; the KOSPI index file needs a code (tab-separated, trailing blank lines)', () => {
    for (const c of ['000660', '005380', '015760', '035420', '051910']) expect(loadDailyBars(`${RLTRADER_DIR}/v1_${c}.csv`).codes()).toEqual([c]);
    expect(() => loadDailyBars(`${RLTRADER_DIR}/v1_kospi.csv`)).toThrow(DailyBarsError);
    expect(loadDailyBars(`${RLTRADER_DIR}/v1_kospi.csv`, { code: 'KOSPI0' }).size).toBe(600);
    // v3 has a header and YYYYMMDD dates.
    expect(loadDailyBars(`${RLTRADER_DIR}/v3_005930.csv`).barsOf('005930')[0]).toMatchObject({ date: '2018-01-02', open: 51380, close: 51020 });
  });
});
