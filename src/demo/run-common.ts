// Shared pieces of the demo runners: where data is cached, charts from the Trainer's log history,
// console helpers.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { lineChartSVG, confusionMatrixSVG, saveChart, type Series } from './plots';
import { versions } from '../torch/index';
import type { LogEntry } from '../training/trainer-state';

/** Where generated demo datasets are cached: $HUBTUNE_CACHE, else ~/.cache/hubtune/demo. */
export function demoCacheDir(): string {
  return process.env.HUBTUNE_CACHE ? join(process.env.HUBTUNE_CACHE, 'demo') : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hubtune', 'demo');
}

/** The shipped assets folder (assets/ at the repository root). */
export function assetsDir(): string {
  return new URL('../../assets', import.meta.url).pathname;
}

export function frameworkVersions(): { hubtune: string; libtorch: string } {
  return { hubtune: '0.1.0', libtorch: versions().torch };
}

export interface RunLog { name: string; logHistory: LogEntry[] }

function points(h: LogEntry[], key: string): [number, number][] {
  return h.filter((e) => typeof e[key] === 'number' && typeof e.step === 'number').map((e) => [e.step as number, e[key] as number]);
}

/** loss.svg/png (train and validation loss of each run) and <metric>.svg/png (validation metric per step). */
export async function saveCurves(dir: string, runs: RunLog[], metric: string, log: (l: string) => void): Promise<string[]> {
  const files: string[] = [];
  const lossSeries: Series[] = [];
  const metricSeries: Series[] = [];
  runs.forEach((r) => {
    lossSeries.push({ name: `${r.name}: train loss`, points: points(r.logHistory, 'loss'), group: r.name });
    lossSeries.push({ name: `${r.name}: validation loss`, points: points(r.logHistory, 'eval_loss'), dashed: true, group: r.name });
    metricSeries.push({ name: r.name, points: points(r.logHistory, `eval_${metric}`), group: r.name });
  });
  const charts: [string, string][] = [
    [lineChartSVG({ title: 'Loss', series: lossSeries.filter((s) => s.points.length), xLabel: 'step', yLabel: 'loss' }), join(dir, 'loss')],
    [lineChartSVG({ title: `Validation ${metric}`, series: metricSeries.filter((s) => s.points.length), xLabel: 'step', yLabel: metric, yRange: [0, 1] }), join(dir, metric)],
  ];
  for (const [svg, base] of charts) {
    const r = await saveChart(svg, base);
    files.push(r.png ?? r.svg);
    if (r.error) log(`note: ${r.error}`);
  }
  return files;
}

export async function saveConfusion(base: string, labels: string[], yTrue: number[], yPred: number[], title: string, log: (l: string) => void): Promise<string> {
  const m = labels.map(() => labels.map(() => 0));
  yTrue.forEach((t, i) => { m[t][yPred[i]]++; });
  const r = await saveChart(confusionMatrixSVG({ labels, matrix: m, title }), base);
  if (r.error) log(`note: ${r.error}`);
  return r.png ?? r.svg;
}

export const argmaxRows = (rows: number[][]): number[] => rows.map((r) => r.indexOf(Math.max(...r)));

export function elapsed(t0: number): string {
  const s = (performance.now() - t0) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
