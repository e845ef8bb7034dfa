/**
 * The backtest report: a self-contained HTML page (inline SVG equity and drawdown chart, no script,
 * no external resource), the JSON of the whole result, and a console summary.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BacktestResult } from './backtest-node.ts';

const W = 900;
const H_EQ = 260;
const H_DD = 120;
const PAD = { l: 90, r: 20, t: 20, b: 30 };

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
function won(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
function pct(x: number | null, digits = 2): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(digits)} %`;
}

/** Points `x,y` of a series scaled into a box. */
function scale(values: readonly number[], lo: number, hi: number, h: number): string[] {
  const n = values.length;
  const innerW = W - PAD.l - PAD.r;
  const innerH = h - PAD.t - PAD.b;
  const span = hi - lo || 1;
  return values.map((v, i) => {
    const x = PAD.l + (n <= 1 ? innerW / 2 : (i * innerW) / (n - 1));
    const y = PAD.t + innerH - ((v - lo) / span) * innerH;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
}

/** The equity curve (with the starting cash as the first point) and the drawdown, as two inline SVGs. */
export function equitySvg(r: BacktestResult): string {
  const eq = [r.meta.cash, ...r.days.map((d) => d.equity)];
  const labels = ['start', ...r.days.map((d) => d.date)];
  const lo = Math.min(...eq);
  const hi = Math.max(...eq);
  const pts = scale(eq, lo, hi, H_EQ);
  const dd = [0, ...r.days.map((d) => -d.drawdown)];
  const ddLo = Math.min(...dd, -0.0001);
  const ddPts = scale(dd, ddLo, 0, H_DD);
  const baseY = (H_DD - PAD.b).toFixed(1);
  const first = ddPts[0]?.split(',')[0] ?? String(PAD.l);
  const lastX = ddPts[ddPts.length - 1]?.split(',')[0] ?? String(W - PAD.r);
  const xLabel = (i: number, h: number) => {
    const [x] = (scale(eq, lo, hi, h)[i] ?? '0,0').split(',');
    return `<text x="${x}" y="${h - 8}" font-size="11" text-anchor="middle">${esc(labels[i])}</text>`;
  };
  const ticks = [0, Math.floor((eq.length - 1) / 2), eq.length - 1].filter((v, i, a) => a.indexOf(v) === i);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H_EQ}" viewBox="0 0 ${W} ${H_EQ}" role="img" aria-label="equity curve">
  <rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H_EQ - PAD.t - PAD.b}" fill="#fafafa" stroke="#ccc"/>
  <text x="${PAD.l - 6}" y="${PAD.t + 10}" font-size="11" text-anchor="end">${won(hi)}</text>
  <text x="${PAD.l - 6}" y="${H_EQ - PAD.b}" font-size="11" text-anchor="end">${won(lo)}</text>
  ${ticks.map((i) => xLabel(i, H_EQ)).join('\n  ')}
  <path id="equity" d="M${pts.join(' L')}" fill="none" stroke="#1f6feb" stroke-width="2"/>
</svg>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H_DD}" viewBox="0 0 ${W} ${H_DD}" role="img" aria-label="drawdown">
  <rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H_DD - PAD.t - PAD.b}" fill="#fafafa" stroke="#ccc"/>
  <text x="${PAD.l - 6}" y="${PAD.t + 10}" font-size="11" text-anchor="end">0 %</text>
  <text x="${PAD.l - 6}" y="${H_DD - PAD.b}" font-size="11" text-anchor="end">${pct(ddLo)}</text>
  <path id="drawdown" d="M${first},${PAD.t} L${ddPts.join(' L')} L${lastX},${PAD.t} Z" fill="#f8514933" stroke="#cf222e" stroke-width="1.5"/>
  <line x1="${PAD.l}" y1="${baseY}" x2="${W - PAD.r}" y2="${baseY}" stroke="none"/>
</svg>`;
}

/** Key figures as label/value pairs (HTML and console). */
export function summaryRows(r: BacktestResult): [string, string][] {
  const s = r.stats;
  return [
    ['strategy', r.meta.strategy],
    ['data', r.meta.dataFile],
    ['sessions', `${s.sessions} (${r.meta.from} .. ${r.meta.to}), run at ${r.meta.at} KST`],
    ['universe', `${r.meta.universe} codes`],
    ['initial equity', `${won(s.initialEquity)} won`],
    ['final equity', `${won(s.finalEquity)} won (cash ${won(r.final.cash)}, holdings ${won(r.final.equity - r.final.cash)})`],
    ['total return', pct(s.totalReturn)],
    ['CAGR (252 sessions/yr)', pct(s.cagr)],
    ['max drawdown', pct(s.maxDrawdown)],
    ['volatility (annualised)', pct(s.volatility)],
    ['Sharpe (rf 0)', s.sharpe === null ? 'n/a' : s.sharpe.toFixed(2)],
    ['trades (fills) / orders', `${s.trades} / ${s.orders}`],
    ['risk denials', String(s.denials)],
    ['bought / sold', `${won(s.buyValue)} / ${won(s.sellValue)} won`],
    ['commission / tax', `${won(s.commission)} / ${won(s.tax)} won`],
    ['turnover', `${s.turnover.toFixed(3)}× average equity`],
    ['wall time', `${(r.meta.wallMs / 1000).toFixed(2)} s, peak RSS ${(r.meta.peakRssBytes / 1048576).toFixed(0)} MiB`],
  ];
}

/** Most trade rows the HTML page lists (the JSON has them all). */
export const HTML_TRADE_ROWS = 2_000;

/** The self-contained HTML report. */
export function renderBacktestHtml(r: BacktestResult): string {
  const rows = (cells: readonly unknown[][]) => cells.map((c) => `<tr>${c.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('\n');
  const trades = r.trades.slice(0, HTML_TRADE_ROWS);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hantu backtest ${esc(r.meta.strategy)} ${esc(r.meta.from)}..${esc(r.meta.to)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}
td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px}td{text-align:right}td:first-child{text-align:left}th{background:#f3f3f3}
.note{color:#666;font-size:12px}
</style></head><body>
<h1>Backtest: ${esc(r.meta.strategy)}</h1>
<p class="note">The strategy ran through the KIS client against the KIS twin, one session per day of real daily bars (intraday prints ${esc(r.meta.intraday)}, seed ${esc(r.meta.seed)}); holdings marked at the real close.</p>
<h2>Equity and drawdown</h2>
${equitySvg(r)}
<h2>Summary</h2>
<table>${rows(summaryRows(r))}</table>
<h2>Days</h2>
<table><tr><th>date</th><th>cash</th><th>holdings</th><th>equity</th><th>drawdown</th><th>fills</th><th>orders</th><th>denials</th><th>commission</th><th>tax</th><th>reconciled</th></tr>
${rows(r.days.map((d) => [d.date, won(d.cash), won(d.holdingsValue), won(d.equity), pct(d.drawdown), d.trades, d.orders, d.denials, won(d.commission), won(d.tax), d.reconciled ? 'yes' : 'NO']))}</table>
<h2>Trades${r.trades.length > trades.length ? ` (first ${trades.length} of ${r.trades.length}; all in the JSON)` : ''}</h2>
<table><tr><th>date</th><th>code</th><th>name</th><th>side</th><th>qty</th><th>price</th><th>value</th><th>commission</th><th>tax</th></tr>
${rows(trades.map((t) => [t.date, t.code, t.name, t.side, t.quantity, won(t.price), won(t.value), won(t.commission), won(t.tax)]))}</table>
<h2>Final holdings</h2>
<table><tr><th>code</th><th>qty</th><th>cost basis</th><th>close</th><th>value</th></tr>
${rows(r.final.holdings.map((h) => [h.code, h.quantity, won(h.costBasis), won(h.close), won(h.value)]))}</table>
<h2>Configuration</h2>
<pre>${esc(JSON.stringify({ strategyConfig: r.meta.strategyConfig, fees: r.meta.fees, risk: r.meta.risk }, null, 2))}</pre>
</body></html>
`;
}

/** Writes `<dataDir>/reports/backtest-<strategy>-<from>_<to>-<stamp>.html|.json`; returns both paths. */
export function writeBacktestReport(dataDir: string, r: BacktestResult, stamp: string = new Date().toISOString().replace(/[:.]/g, '-')): { html: string; json: string } {
  const dir = join(dataDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `backtest-${r.meta.strategy}-${r.meta.from}_${r.meta.to}-${stamp}`);
  writeFileSync(`${base}.html`, renderBacktestHtml(r));
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  return { html: `${base}.html`, json: `${base}.json` };
}

/** The console summary. */
export function formatBacktestSummary(r: BacktestResult): string {
  const w = Math.max(...summaryRows(r).map(([k]) => k.length));
  const lines = summaryRows(r).map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  const unreconciled = r.days.filter((d) => !d.reconciled).map((d) => d.date);
  if (unreconciled.length > 0) lines.push(`WARNING: cash did not reconcile with the twin on ${unreconciled.join(', ')}`);
  const aborted = r.days.filter((d) => d.run.aborted);
  for (const d of aborted) lines.push(`run aborted on ${d.date}: ${d.run.aborted}`);
  if (r.stats.denials > 0) {
    const codes = new Map<string, number>();
    for (const d of r.days) for (const c of d.run.denialCodes) codes.set(c.split(' ')[1] ?? c, (codes.get(c.split(' ')[1] ?? c) ?? 0) + 1);
    lines.push(`risk denials by code: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')} (limits: --risk '{"maxPositionWeightBps":…}' or MAX_* variables)`);
  }
  return lines.join('\n');
}
