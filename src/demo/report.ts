// Plain-text tables for the demo's console report.

export interface ComparisonRow {
  name: string;
  accuracy: number;
  f1?: number;
  trainSeconds: number;
}

const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`);
const secs = (s: number): string => (!Number.isFinite(s) ? '-' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/**
 * An aligned table, one row per run (e.g. "pretrained + fine-tuned" vs "from scratch"):
 * accuracy and F1 as percentages, training time, and the accuracy gap to the best row.
 */
export function formatComparisonTable(rows: ComparisonRow[], opts: { title?: string } = {}): string {
  const hasF1 = rows.some((r) => r.f1 !== undefined);
  const best = Math.max(...rows.map((r) => r.accuracy));
  const header = ['model', 'accuracy', ...(hasF1 ? ['F1'] : []), 'train time', 'vs best'];
  const body = rows.map((r) => [
    r.name,
    pct(r.accuracy),
    ...(hasF1 ? [pct(r.f1)] : []),
    secs(r.trainSeconds),
    r.accuracy === best ? 'best' : `${((r.accuracy - best) * 100).toFixed(1)} pts`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out: string[] = [];
  if (opts.title) out.push(opts.title);
  out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line));
  return out.join('\n');
}
