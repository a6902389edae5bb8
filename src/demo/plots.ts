// Dependency-free SVG charts for the demo (loss/accuracy curves, confusion matrices), and PNG
// export through sharp (librsvg; uses the system's fonts, DejaVu Sans or any sans-serif).
import { rename, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';

/** `group`: series of one group (e.g. one run's train and eval curves) share a colour; tell them apart with `dashed`. */
export interface Series { name: string; points: [number, number][]; color?: string; dashed?: boolean; group?: string }

export interface LineChartParams {
  title: string;
  series: Series[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Fix the y range (e.g. [0, 1] for accuracy); default: from the data, padded. */
  yRange?: [number, number];
  /** Draw a marker on every point (default: when a series has at most 30 points). */
  markers?: boolean;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" tick values covering [lo, hi] (1-2-5 steps), about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const raw = (hi - lo) / Math.max(1, target - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

const LEGEND_ROW = 18;
const legendItemWidth = (name: string) => name.length * 7 + 44;

/** One colour per group (a series without `group` is its own group), in order of first appearance. */
export function seriesColors(series: Series[]): string[] {
  const groups = new Map<string, number>();
  return series.map((s, k) => {
    if (s.color) return s.color;
    const g = s.group ?? `\u0000${k}`;
    if (!groups.has(g)) groups.set(g, groups.size);
    return PALETTE[groups.get(g)! % PALETTE.length];
  });
}

/**
 * A line chart (one polyline per series) with axes, ticks, grid, axis labels and a legend below the plot
 * (never over the curves). Points are drawn inside a padded area of the frame, so end points and markers at
 * the range's edges are not clipped. The frame is `class="plot-area"`, the legend box `class="legend"`.
 */
export function lineChartSVG(params: LineChartParams): string {
  const W = params.width ?? 640, baseH = params.height ?? 400;
  const m = { left: 68, right: 20, top: 44, bottom: 56 };
  const pw = W - m.left - m.right, ph = baseH - m.top - m.bottom;
  // legend layout: items flow left to right in rows below the x-axis label
  const colors = seriesColors(params.series);
  const items: { x: number; row: number }[] = [];
  let cx = 0, row = 0;
  const legendW = W - 2 * 12;
  for (const s of params.series) {
    const w = Math.min(legendItemWidth(s.name), legendW);
    if (cx > 0 && cx + w > legendW) { cx = 0; row++; }
    items.push({ x: cx, row }); cx += w;
  }
  const legendH = params.series.length ? (row + 1) * LEGEND_ROW + 10 : 0;
  const H = baseH + (legendH ? legendH + 8 : 0);
  const pad = 8; // points live in the frame inset by this many pixels (markers have r=3, strokes 2)
  const all = params.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (!all.length) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (params.yRange) [y0, y1] = params.yRange;
  else { const p = (y1 - y0) * 0.05 || Math.abs(y0) * 0.1 || 1; y0 -= p; y1 += p; }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  const xt = niceTicks(x0, x1), yt = niceTicks(y0, y1);
  if (xt.length > 1) { // extend the x range to the next tick when the data stops just short of it
    const step = xt[1] - xt[0], up = Math.ceil(x1 / step - 1e-9) * step;
    if (up - x1 < step * 0.5) { x1 = up; if (xt[xt.length - 1] < up - step * 1e-9) xt.push(up); }
  }
  if (!params.yRange && yt.length) { y0 = Math.min(y0, yt[0]); y1 = Math.max(y1, yt[yt.length - 1]); }
  const sx = (x: number) => m.left + pad + ((x - x0) / (x1 - x0)) * (pw - 2 * pad);
  const sy = (y: number) => m.top + ph - pad - ((y - y0) / (y1 - y0)) * (ph - 2 * pad);
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${escapeXml(params.title)}</text>`);
  // grid and ticks
  for (const t of yt) {
    if (t < y0 - 1e-12 || t > y1 + 1e-12) continue;
    const y = sy(t).toFixed(1);
    o.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5" stroke-width="1"/>`);
    o.push(`<line x1="${m.left - 5}" y1="${y}" x2="${m.left}" y2="${y}" stroke="#333"/>`);
    o.push(`<text x="${m.left - 8}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#333">${fmt(t)}</text>`);
  }
  for (const t of xt) {
    if (t < x0 - 1e-12 || t > x1 + 1e-12) continue;
    const x = sx(t).toFixed(1);
    o.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#f0f0f0" stroke-width="1"/>`);
    o.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    o.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle" font-size="11" fill="#333">${fmt(t)}</text>`);
  }
  o.push(`<rect class="plot-area" x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333" stroke-width="1"/>`);
  if (params.xLabel) o.push(`<text x="${m.left + pw / 2}" y="${baseH - 14}" text-anchor="middle" font-size="13" fill="#222">${escapeXml(params.xLabel)}</text>`);
  if (params.yLabel) o.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13" fill="#222">${escapeXml(params.yLabel)}</text>`);
  // series
  o.push(`<defs><clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  params.series.forEach((s, k) => {
    const col = colors[k];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    o.push(`<path d="${d}" fill="none" stroke="${col}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''} clip-path="url(#plot)"/>`);
    if (params.markers ?? pts.length <= 30) {
      for (const [x, y] of pts) o.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${col}" clip-path="url(#plot)"/>`);
    }
  });
  // legend: below the plot and its x-axis label, outside the curves
  if (params.series.length) {
    const lx = 12, ly = baseH;
    o.push(`<rect class="legend" x="${lx}" y="${ly}" width="${legendW}" height="${legendH}" fill="#ffffff" stroke="#bbb"/>`);
    params.series.forEach((s, k) => {
      const x = lx + 8 + items[k].x, y = ly + 18 + items[k].row * LEGEND_ROW;
      o.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${colors[k]}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      o.push(`<text x="${x + 30}" y="${y}" font-size="12" fill="#222">${escapeXml(s.name)}</text>`);
    });
  }
  o.push('</svg>');
  return o.join('\n');
}

export interface ConfusionMatrixParams {
  labels: string[];
  /** matrix[true][predicted] = count. */
  matrix: number[][];
  title?: string;
  /** Cell size in pixels (default 90). */
  cell?: number;
}

/** A confusion matrix: rows = true label, columns = predicted; shade = row-normalised rate; counts written. */
export function confusionMatrixSVG(params: ConfusionMatrixParams): string {
  const { labels, matrix } = params;
  const n = labels.length;
  if (matrix.length !== n || matrix.some((r) => r.length !== n)) throw new Error(`confusionMatrixSVG: matrix must be ${n}x${n} to match labels (got ${matrix.length}x${matrix[0]?.length ?? 0})`);
  const c = params.cell ?? 90;
  const maxLabel = Math.max(...labels.map((l) => l.length));
  const left = Math.max(90, maxLabel * 7 + 50), top = 60, bottom = Math.max(60, maxLabel * 4 + 40), right = 20;
  const W = left + n * c + right, H = top + n * c + bottom;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${escapeXml(params.title ?? 'Confusion matrix')}</text>`);
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((a, r, i) => a + r[i], 0);
  o.push(`<text x="${W / 2}" y="46" text-anchor="middle" font-size="12" fill="#555">accuracy ${total ? ((100 * correct) / total).toFixed(1) : '0.0'}% (${correct}/${total})</text>`);
  for (let i = 0; i < n; i++) {
    const rowSum = matrix[i].reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) {
      const v = matrix[i][j];
      const t = rowSum ? v / rowSum : 0;
      // white -> deep blue
      const r = Math.round(255 - t * (255 - 8)), g = Math.round(255 - t * (255 - 69)), b = Math.round(255 - t * (255 - 148));
      const x = left + j * c, y = top + i * c;
      o.push(`<rect x="${x}" y="${y}" width="${c}" height="${c}" fill="rgb(${r},${g},${b})" stroke="#ffffff" stroke-width="2"/>`);
      const fill = t > 0.5 ? '#ffffff' : '#222222';
      o.push(`<text x="${x + c / 2}" y="${y + c / 2}" dy="2" text-anchor="middle" font-size="${Math.round(c / 4.5)}" font-weight="bold" fill="${fill}">${v}</text>`);
      o.push(`<text x="${x + c / 2}" y="${y + c / 2 + c / 5}" text-anchor="middle" font-size="${Math.round(c / 8)}" fill="${fill}">${(100 * t).toFixed(0)}%</text>`);
    }
    o.push(`<text x="${left - 8}" y="${top + i * c + c / 2 + 4}" text-anchor="end" font-size="12" fill="#222">${escapeXml(labels[i])}</text>`);
    const lx = left + i * c + c / 2, ly = top + n * c + 10;
    o.push(`<text transform="translate(${lx} ${ly}) rotate(-25)" text-anchor="end" font-size="12" fill="#222">${escapeXml(labels[i])}</text>`);
  }
  o.push(`<rect x="${left}" y="${top}" width="${n * c}" height="${n * c}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${left + (n * c) / 2}" y="${H - 10}" text-anchor="middle" font-size="13" font-weight="bold" fill="#222">Predicted label</text>`);
  o.push(`<text transform="translate(16 ${top + (n * c) / 2}) rotate(-90)" text-anchor="middle" font-size="13" font-weight="bold" fill="#222">True label</text>`);
  o.push('</svg>');
  return o.join('\n');
}

/** Writes an SVG string to a file atomically. */
export async function writeSvg(svg: string, path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, svg);
  await rename(tmp, path);
  return path;
}

/** Renders an SVG string to a PNG file through sharp/librsvg (atomically). density 144 = 2x. */
export async function svgToPng(svg: string, path: string, opts: { density?: number } = {}): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}.png`;
  await sharp(Buffer.from(svg), { density: opts.density ?? 144 }).png().toFile(tmp);
  await rename(tmp, path);
  return path;
}

/** Writes `<base>.svg` and tries `<base>.png`; if rendering fails, keeps the SVG and reports why. */
export async function saveChart(svg: string, base: string): Promise<{ svg: string; png: string | null; error?: string }> {
  const svgPath = await writeSvg(svg, `${base}.svg`);
  try {
    return { svg: svgPath, png: await svgToPng(svg, `${base}.png`) };
  } catch (e) {
    return { svg: svgPath, png: null, error: `could not render ${base}.png (${(e as Error).message}); open ${svgPath} instead` };
  }
}
