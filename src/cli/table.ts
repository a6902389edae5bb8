// Plain-text tables for people, like huggingface_hub's tabulate: a header row, a row of dashes,
// columns padded to their widest cell (numbers right-aligned), one space between columns.
export type Cell = string | number;

export function formatTable(headers: string[], rows: Cell[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const fmt = (r: Cell[]) =>
    r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c ?? '').padEnd(widths[i]))).join(' ').trimEnd();
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** JSON for scripts: Dates as ISO strings, two-space indent. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v instanceof Date ? v.toISOString() : v), 2);
}
