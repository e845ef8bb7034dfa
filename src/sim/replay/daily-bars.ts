/**
 * Real daily bars for the replay: loaders for the three file formats the project reads, and an
 * indexed, immutable set of bars (`DailyBarSet`).
 *
 * Formats (detected from the first line, see `detectFormat`):
 * - **marcap** (`FinanceData/marcap`, KRX data): one row per listing per day, every KRX listing. Two
 *   header variants (2024 `Code,Name,Close,Dept,ChangeCode,Changes,ChagesRatio,Volume,Amount,…` with
 *   quoted strings and `79600.0` floats; 2026 `Code,Name,Market,Dept,Close,…,ChangesRatio,…` plain).
 *   Columns are read by header name, never by position. `prevClose = Close − Changes`: this is the
 *   day's base price (기준가), which differs from the previous row's close after splits, rights issues
 *   and half-tick closes (a 2,072.5 close becomes a 2,075 base price).
 * - **rltrader v1** (`quantylab/rltrader` `data/v1/`): no header, UTF-8 BOM, `date,open,high,low,close,volume`
 *   with numbers quoted with thousands separators (`"6,511"`); comma- or tab-separated. The code comes
 *   from the file name (`v1_005930.csv`) or `opts.code`; `prevClose` is the previous row's close;
 *   `value` is not in the file and is estimated (`valueEstimated: true`). Also accepted: the same with a
 *   header (`date,open,high,low,close,volume,…`, `YYYYMMDD` dates, the v3 files).
 * - **compact** (the project's shipped `data/daily/*.csv`, written by `formatCompactCsv`): header
 *   `date,code,name,market,open,high,low,close,volume,value,prev_close`; `prev_close` may be empty.
 *
 * Plain or gzip files are accepted (gzip detected by its magic bytes 1f 8b, not by the file name).
 * Prices and values in won, volumes in shares, all integers.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../core/errors.ts';
import { kstDate, type KstDate } from '../../core/kst.ts';
import { isInstrumentId, type InstrumentKind, type Market } from '../../model/instrument.ts';

/** One instrument's real daily bar. Prices and `value` in won, `volume` in shares; all integers >= 0. */
export interface DailyBar {
  readonly date: KstDate;
  /** 6-character alphanumeric KRX short code (`005930`, `0000D0`). */
  readonly code: string;
  readonly name: string;
  readonly market: Market;
  /** Product kind, inferred from the name (`inferKind`); marcap lists stocks only, so STOCK in practice. */
  readonly kind: InstrumentKind;
  /** Day's open, high, low and close (won). 0 for open/high/low on a day without trades in marcap. */
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Shares traded. */
  readonly volume: number;
  /** Traded value (won): the file's value, or an estimate when `valueEstimated` (rltrader). */
  readonly value: number;
  /** True when `value` is `volume × (high + low + close) / 3` rounded, not a real figure. */
  readonly valueEstimated?: boolean;
  /**
   * Base price of the day (won): marcap `Close − Changes`; rltrader the previous row's close; compact
   * the `prev_close` column. Undefined when unknown (first row of an rltrader file).
   */
  readonly prevClose?: number;
  /** False for a day without trades (volume 0 or open 0): such bars are kept, flagged, and replay as no prints. */
  readonly traded: boolean;
}

/** File formats `loadDailyBars` reads. */
export type DailyBarFormat = 'marcap' | 'rltrader' | 'compact';

/** One skipped malformed line (with `onMalformed: 'skip'`). */
export interface DailyBarWarning {
  readonly file: string;
  /** 1-based physical line number. */
  readonly line: number;
  readonly message: string;
}

/** Options of `loadDailyBars` / `parseDailyBars`. */
export interface LoadDailyBarsOptions {
  /** Format; detected from the first line when omitted. */
  readonly format?: DailyBarFormat;
  /** rltrader: the code, when the file name does not carry one (`v1_kospi.csv`). */
  readonly code?: string;
  /** rltrader: the name (default: the code). */
  readonly name?: string;
  /** rltrader: the market (default `KOSPI`: every rltrader stock file is a KOSPI listing). */
  readonly market?: Market;
  /** `throw` (default): the first malformed line throws `DailyBarsError`. `skip`: skip it and record a warning. */
  readonly onMalformed?: 'throw' | 'skip';
  /** Called for every skipped line (with `onMalformed: 'skip'`). */
  readonly onWarning?: (w: DailyBarWarning) => void;
  /** Keep only these codes. */
  readonly codes?: readonly string[];
  /** Keep only dates >= from and <= to (inclusive, `YYYY-MM-DD`). */
  readonly from?: KstDate;
  readonly to?: KstDate;
}

/** A daily-bar file that cannot be read: unknown format or a malformed line. Names the file and the line. */
export class DailyBarsError extends AppError {
  readonly code = 'DAILY_BARS_MALFORMED';
  readonly disposition = 'fatal' as const;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, { file, line });
  }
}

// ---------------------------------------------------------------------------------------------
// Kind and market inference

const ETF_BRANDS =
  /^(KODEX|TIGER|KBSTAR|RISE|ARIRANG|HANARO|KOSEF|KINDEX|ACE|PLUS|SOL|TIMEFOLIO|WOORI|FOCUS|TREX|KIWOOM|KoAct|TRUSTON|UNICORN|BNK|WON|1Q|ITF|VITA|마이다스|파워|히어로즈|에셋플러스)(?: |$)/;

/**
 * Infers the product kind from a listing name, because marcap has no kind column. Rules: a name
 * containing `ETN` → ETN; a name starting with an ETF brand followed by a space (`KODEX 200`,
 * `TIGER 미국S&P500`) → ETF; anything else → STOCK. marcap lists stocks only (common and preferred
 * shares, REITs, SPACs, foreign companies), so on marcap files everything is STOCK; the rules matter
 * for files that add ETF/ETN rows. ELWs are never inferred.
 */
export function inferKind(name: string): InstrumentKind {
  if (/ETN/i.test(name)) return 'ETN';
  if (ETF_BRANDS.test(name)) return 'ETF';
  return 'STOCK';
}

/**
 * Maps a marcap market name (or market id) to a `Market`: KOSPI/STK → KOSPI, KOSDAQ, `KOSDAQ GLOBAL`
 * and KSQ → KOSDAQ, KONEX/KNX → KONEX. Returns undefined for anything else.
 */
export function parseMarket(s: string): Market | undefined {
  switch (s.trim().toUpperCase()) {
    case 'KOSPI':
    case 'STK':
      return 'KOSPI';
    case 'KOSDAQ':
    case 'KOSDAQ GLOBAL':
    case 'KSQ':
      return 'KOSDAQ';
    case 'KONEX':
    case 'KNX':
      return 'KONEX';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The set

/** An immutable, indexed collection of daily bars (at most one per date and code). */
export class DailyBarSet {
  private readonly byDate = new Map<KstDate, Map<string, DailyBar>>();
  private readonly byCode = new Map<string, DailyBar[]>();
  private readonly sortedDates: readonly KstDate[];
  private readonly sortedCodes: readonly string[];
  private readonly sessions = new Map<KstDate, readonly DailyBar[]>();

  /**
   * @param bars the bars, in any order
   * @param source where they came from (a path, for messages)
   * @param warnings lines skipped while loading
   * Throws `DailyBarsError` when a (date, code) pair occurs twice.
   */
  constructor(
    bars: Iterable<DailyBar>,
    readonly source: string = '(memory)',
    readonly warnings: readonly DailyBarWarning[] = [],
  ) {
    let n = 0;
    for (const b of bars) {
      let day = this.byDate.get(b.date);
      if (!day) this.byDate.set(b.date, (day = new Map()));
      if (day.has(b.code)) throw new DailyBarsError(source, undefined, `two bars for ${b.code} on ${b.date}`);
      day.set(b.code, b);
      let list = this.byCode.get(b.code);
      if (!list) this.byCode.set(b.code, (list = []));
      list.push(b);
      n++;
    }
    this.size = n;
    for (const list of this.byCode.values()) {
      let sorted = true;
      for (let i = 1; i < list.length && sorted; i++) sorted = (list[i - 1] as DailyBar).date < (list[i] as DailyBar).date;
      if (!sorted) list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    }
    this.sortedDates = [...this.byDate.keys()].sort();
    this.sortedCodes = [...this.byCode.keys()].sort();
  }

  /** Number of bars. */
  readonly size: number;

  /** Dates with at least one bar, ascending. */
  dates(): readonly KstDate[] {
    return this.sortedDates;
  }
  /** Codes with at least one bar, ascending. */
  codes(): readonly string[] {
    return this.sortedCodes;
  }
  /** The bar of `code` on `date`, or undefined. */
  bar(date: KstDate, code: string): DailyBar | undefined {
    return this.byDate.get(date)?.get(code);
  }
  /** All bars of `code`, by ascending date (empty when unknown). */
  barsOf(code: string): readonly DailyBar[] {
    return this.byCode.get(code) ?? [];
  }
  /** All bars of `date`, by ascending code (empty when there is no such session). */
  session(date: KstDate): readonly DailyBar[] {
    let s = this.sessions.get(date);
    if (!s) {
      const day = this.byDate.get(date);
      if (!day) return [];
      s = [...day.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
      this.sessions.set(date, s);
    }
    return s;
  }
  /** First and last date, or undefined when empty. */
  range(): { first: KstDate; last: KstDate } | undefined {
    const first = this.sortedDates[0];
    const last = this.sortedDates[this.sortedDates.length - 1];
    return first === undefined || last === undefined ? undefined : { first, last };
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

/**
 * Reads a daily-bar file (plain or gzip, any supported format) into a `DailyBarSet`. Synchronous: the
 * files are small enough (the 95,412-row marcap file parses in well under a second).
 * Throws `DailyBarsError` for an unknown format or (with `onMalformed: 'throw'`) a malformed line, and
 * the `fs` error when the file cannot be read.
 */
export function loadDailyBars(path: string, opts: LoadDailyBarsOptions = {}): DailyBarSet {
  return parseDailyBars(decodeFile(readFileSync(path)), path, opts);
}

/** Bytes → text: gunzips when the bytes start with the gzip magic (1f 8b), strips a UTF-8 BOM. */
export function decodeFile(bytes: Uint8Array): string {
  const raw = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Detects the format from the first non-blank line, by column names in any order (case-insensitive):
 * `Code`, `Name`, `Close`, `Changes`, `Date` → marcap; `date`, `code`, `market`, `prev_close` → compact;
 * `date`, `open`, `high`, `low`, `close`, `volume` → rltrader with a header; a line starting with a date
 * → header-less rltrader. Returns undefined otherwise.
 */
export function detectFormat(firstLine: string): DailyBarFormat | undefined {
  const l = firstLine.replace(/^\uFEFF/, '').trim();
  if (/^"?\d{4}-?\d{2}-?\d{2}"?[,\t]/.test(l)) return 'rltrader';
  const cols = new Set(l.split(/[,\t]/).map((c) => c.replaceAll('"', '').trim().toLowerCase()));
  const has = (...names: string[]): boolean => names.every((n) => cols.has(n));
  if (has('code', 'name', 'close', 'changes', 'date')) return 'marcap';
  if (has('date', 'code', 'name', 'market', 'prev_close')) return 'compact';
  if (has('date', 'open', 'high', 'low', 'close', 'volume')) return 'rltrader';
  return undefined;
}

/**
 * Parses the text of a daily-bar file (see `loadDailyBars`). `file` names the source in errors and
 * is where the rltrader code is taken from (`v1_005930.csv` → `005930`).
 * Throws `DailyBarsError` as `loadDailyBars` does.
 */
export function parseDailyBars(text: string, file: string, opts: LoadDailyBarsOptions = {}): DailyBarSet {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && isBlank(lines[first] ?? '')) first++;
  if (first >= lines.length) throw new DailyBarsError(file, undefined, 'empty file');
  const format = opts.format ?? detectFormat(lines[first] ?? '');
  if (!format) throw new DailyBarsError(file, first + 1, `unknown daily-bar format (first line "${(lines[first] ?? '').slice(0, 80)}")`);

  const reader = format === 'marcap' ? marcapReader(lines, first, file) : format === 'compact' ? compactReader(lines, first, file) : rltraderReader(lines, first, file, opts);
  const codeFilter = opts.codes ? new Set(opts.codes.map((c) => c.toUpperCase())) : undefined;
  const warnings: DailyBarWarning[] = [];
  const bars: DailyBar[] = [];
  const seen = new Map<KstDate, Set<string>>();
  const throwOnMalformed = (opts.onMalformed ?? 'throw') === 'throw';
  const fail = (line: number, message: string): void => {
    if (throwOnMalformed) throw new DailyBarsError(file, line, message);
    const w = { file, line, message };
    warnings.push(w);
    opts.onWarning?.(w);
  };

  for (let n = reader.start; n < lines.length; n++) {
    const line = lines[n] ?? '';
    if (isBlank(line)) continue;
    let bar: DailyBar;
    try {
      const f = splitCsvLine(line, reader.delim);
      if (reader.fields !== undefined && f.length !== reader.fields) throw new RowError(`expected ${reader.fields} fields, found ${f.length}`);
      bar = reader.row(f);
    } catch (e) {
      if (e instanceof RowError || e instanceof SyntaxError) {
        fail(n + 1, e.message);
        continue;
      }
      throw e;
    }
    let day = seen.get(bar.date);
    if (!day) seen.set(bar.date, (day = new Set()));
    if (day.has(bar.code)) {
      // A second bar for the same day and code is malformed input too.
      fail(n + 1, `duplicate bar for ${bar.code} on ${bar.date}`);
      continue;
    }
    day.add(bar.code);
    reader.accepted?.(bar);
    if (codeFilter && !codeFilter.has(bar.code)) continue;
    if ((opts.from && bar.date < opts.from) || (opts.to && bar.date > opts.to)) continue;
    bars.push(bar);
  }
  return new DailyBarSet(bars, file, warnings);
}

/** How one format turns split lines into bars. `row` throws `RowError` for a malformed line. */
interface RowReader {
  /** Index of the first data line. */
  readonly start: number;
  readonly delim: string;
  /** Required number of fields, when fixed. */
  readonly fields: number | undefined;
  row(f: string[]): DailyBar;
  /** Called after a bar passed every check (rltrader chains the previous close through it). */
  accepted?(bar: DailyBar): void;
}

function isBlank(line: string): boolean {
  return line.length === 0 || line.trim().length === 0;
}

/** Splits one CSV line (RFC 4180 quoting, `""` escapes) on `delim`. Throws `SyntaxError` on an unterminated quote. */
export function splitCsvLine(line: string, delim = ','): string[] {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (!line.includes('"')) return line.split(delim);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cur = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw new SyntaxError('unterminated quote');
        cur += line.slice(j, q);
        if (line[q + 1] === '"') {
          cur += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      const d = line.indexOf(delim, j);
      cur += d < 0 ? line.slice(j) : line.slice(j, d);
      out.push(cur);
      if (d < 0) return out;
      i = d + 1;
    } else {
      const d = line.indexOf(delim, i);
      if (d < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, d));
      i = d + 1;
    }
  }
}

/** Quotes a CSV field when it needs it. */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A malformed line (caught by the parse loop and turned into `DailyBarsError` or a warning). */
class RowError extends Error {}

/** A whole, non-negative number of won or shares; accepts `79600.0` and `6,511`. */
function intField(s: string | undefined, what: string): number {
  if (s === undefined) throw new RowError(`missing ${what}`);
  let n = Number(s);
  if (Number.isNaN(n) && s.includes(',')) n = Number(s.replaceAll(',', ''));
  if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && s.trim() === '')) throw new RowError(`${what} must be a whole number >= 0, was "${s}"`);
  return n;
}

const dateCache = new Map<string, KstDate | null>();
function dateField(s: string | undefined): KstDate {
  const t = s ?? '';
  let d = dateCache.get(t);
  if (d === undefined) {
    const u = t.trim();
    try {
      d = kstDate(/^\d{8}$/.test(u) ? `${u.slice(0, 4)}-${u.slice(4, 6)}-${u.slice(6, 8)}` : u);
    } catch {
      d = null;
    }
    if (dateCache.size < 100_000) dateCache.set(t, d);
  }
  if (d === null) throw new RowError(`bad date "${t}"`);
  return d;
}

function codeField(s: string | undefined): string {
  const c = (s ?? '').trim().toUpperCase();
  if (!isInstrumentId(c)) throw new RowError(`bad code "${s ?? ''}" (6 alphanumeric characters)`);
  return c;
}

function nameField(s: string | undefined): string {
  const n = (s ?? '').trim();
  if (!n) throw new RowError('empty name');
  return n;
}

function marketField(s: string | undefined): Market {
  const m = parseMarket(s ?? '');
  if (!m) throw new RowError(`unknown market "${s ?? ''}"`);
  return m;
}

const kindCache = new Map<string, InstrumentKind>();
function kindOf(name: string): InstrumentKind {
  let k = kindCache.get(name);
  if (k === undefined) {
    k = inferKind(name);
    if (kindCache.size < 100_000) kindCache.set(name, k);
  }
  return k;
}

/**
 * Builds a bar (fixed object shape) and checks its consistency: a traded bar (volume > 0 and open > 0)
 * must have 0 < low <= open, close <= high. Throws `RowError`.
 */
function makeBar(
  date: KstDate,
  code: string,
  name: string,
  market: Market,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  value: number,
  valueEstimated: boolean,
  prevClose: number | undefined,
): DailyBar {
  const traded = volume > 0 && open > 0;
  if (traded) {
    if (!(low > 0 && low <= high)) throw new RowError(`low ${low} / high ${high} inconsistent`);
    if (open < low || open > high) throw new RowError(`open ${open} outside low..high ${low}..${high}`);
    if (close < low || close > high) throw new RowError(`close ${close} outside low..high ${low}..${high}`);
  }
  if (prevClose !== undefined && prevClose <= 0) throw new RowError(`previous close must be > 0, was ${prevClose}`);
  return { date, code, name, market, kind: kindOf(name), open, high, low, close, volume, value, valueEstimated, prevClose, traded };
}

/** Column positions by header name (case-insensitive; first matching alternative). Throws `DailyBarsError` when one is missing. */
function headerIndex(header: string[], names: readonly (readonly string[])[], file: string, line: number): number[] {
  const norm = header.map((h) => h.trim().toLowerCase());
  return names.map((alts) => {
    for (const a of alts) {
      const i = norm.indexOf(a.toLowerCase());
      if (i >= 0) return i;
    }
    throw new DailyBarsError(file, line, `header has no ${alts.join('/')} column`);
  });
}

type Idx11 = [number, number, number, number, number, number, number, number, number, number, number];

function marcapReader(lines: string[], first: number, file: string): RowReader {
  const header = splitCsvLine(lines[first] ?? '');
  // ChagesRatio (sic, 2024) / ChangesRatio (2026) are not needed: Changes has the same name in both.
  const [iCode, iName, iMarket, iOpen, iHigh, iLow, iClose, iVol, iAmt, iChg, iDate] = headerIndex(
    header,
    [['Code'], ['Name'], ['Market', 'MarketId'], ['Open'], ['High'], ['Low'], ['Close'], ['Volume'], ['Amount'], ['Changes'], ['Date']],
    file,
    first + 1,
  ) as Idx11;
  return {
    start: first + 1,
    delim: ',',
    fields: header.length,
    row(f) {
      const close = intField(f[iClose], 'Close');
      const chg = Number(f[iChg]);
      if (!Number.isSafeInteger(chg) || (f[iChg] ?? '').trim() === '') throw new RowError(`Changes must be a whole number, was "${f[iChg] ?? ''}"`);
      return makeBar(
        dateField(f[iDate]),
        codeField(f[iCode]),
        nameField(f[iName]),
        marketField(f[iMarket]),
        intField(f[iOpen], 'Open'),
        intField(f[iHigh], 'High'),
        intField(f[iLow], 'Low'),
        close,
        intField(f[iVol], 'Volume'),
        intField(f[iAmt], 'Amount'),
        false,
        close - chg,
      );
    },
  };
}

function compactReader(lines: string[], first: number, file: string): RowReader {
  const header = splitCsvLine(lines[first] ?? '');
  const [iDate, iCode, iName, iMarket, iOpen, iHigh, iLow, iClose, iVol, iVal, iPrev] = headerIndex(
    header,
    [['date'], ['code'], ['name'], ['market'], ['open'], ['high'], ['low'], ['close'], ['volume'], ['value'], ['prev_close']],
    file,
    first + 1,
  ) as Idx11;
  return {
    start: first + 1,
    delim: ',',
    fields: header.length,
    row(f) {
      const prev = (f[iPrev] ?? '').trim();
      return makeBar(
        dateField(f[iDate]),
        codeField(f[iCode]),
        nameField(f[iName]),
        marketField(f[iMarket]),
        intField(f[iOpen], 'open'),
        intField(f[iHigh], 'high'),
        intField(f[iLow], 'low'),
        intField(f[iClose], 'close'),
        intField(f[iVol], 'volume'),
        intField(f[iVal], 'value'),
        false,
        prev === '' ? undefined : intField(prev, 'prev_close'),
      );
    },
  };
}

function rltraderReader(lines: string[], first: number, file: string, opts: LoadDailyBarsOptions): RowReader {
  const fromName = /(?:^|_)([0-9A-Z]{6})(?:_[^/\\]*)?\.csv(?:\.gz)?$/i.exec(basename(file))?.[1];
  const codeRaw = opts.code ?? fromName;
  if (codeRaw === undefined || !isInstrumentId(codeRaw.toUpperCase())) {
    throw new DailyBarsError(file, undefined, `cannot tell the stock code of an rltrader file from its name "${basename(file)}"; pass opts.code`);
  }
  const code = codeRaw.toUpperCase();
  const name = opts.name ?? code;
  const market = opts.market ?? 'KOSPI';
  const headLine = (lines[first] ?? '').replace(/^\uFEFF/, '');
  const delim = headLine.includes('\t') ? '\t' : ',';
  const hasHeader = /^"?date/i.test(headLine);
  let prevClose: number | undefined;
  let prevDate: KstDate | undefined;
  return {
    start: hasHeader ? first + 1 : first,
    delim,
    fields: hasHeader ? undefined : 6,
    row(f) {
      if (f.length < 6) throw new RowError(`expected 6 fields (date,open,high,low,close,volume), found ${f.length}`);
      const date = dateField(f[0]);
      if (prevDate !== undefined && date <= prevDate) throw new RowError(`date ${date} not after ${prevDate}`);
      const open = intField(f[1], 'open');
      const high = intField(f[2], 'high');
      const low = intField(f[3], 'low');
      const close = intField(f[4], 'close');
      const volume = intField(f[5], 'volume');
      return makeBar(date, code, name, market, open, high, low, close, volume, Math.round((volume * (high + low + close)) / 3), true, prevClose);
    },
    accepted(bar) {
      prevClose = bar.close;
      prevDate = bar.date;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing the compact format

/** Header of the compact format. */
export const COMPACT_HEADER = 'date,code,name,market,open,high,low,close,volume,value,prev_close';

/**
 * Writes bars in the compact format (header + one line per bar, LF, trailing newline), in the order
 * given. Values are written unchanged; an undefined `prevClose` becomes an empty field.
 */
export function formatCompactCsv(bars: Iterable<DailyBar>): string {
  const out = [COMPACT_HEADER];
  for (const b of bars) {
    out.push(
      [b.date, b.code, csvField(b.name), b.market, b.open, b.high, b.low, b.close, b.volume, b.value, b.prevClose ?? ''].join(','),
    );
  }
  return `${out.join('\n')}\n`;
}
