/** Plain-text table for terminal output: right-aligns numeric columns. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? won(c) : c)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = headers.map((h, i) => Math.max(strWidth(h), ...cells.map((r) => strWidth(r[i] ?? ''))));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (numeric[i] ? padStart(c, widths[i] ?? 0) : padEnd(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Thousands separators for whole numbers; fractional numbers keep two decimals. */
export function won(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Display width: Hangul and other wide characters count as two columns. */
export function strWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}
function padEnd(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - strWidth(s)));
}
function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - strWidth(s))) + s;
}
