// Trainer metrics, printed and saved as transformers does (trainer_pt_utils: metrics_format,
// log_metrics, save_metrics): "***** train metrics *****" with aligned "  key = value" lines, and
// {split}_results.json / all_results.json (indent 4, sorted keys, Python float format), atomically.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic';
import { defaultNumberKind, pyFloat, pyInt, pyJsonDumps, pyJsonParse, pyRound, type NumberKindFn } from './pyjson';

export type Metrics = Record<string, number | string>;

/** Python's str(datetime.timedelta(seconds=n)) for an integer n. */
export function timedeltaStr(totalSeconds: number): string {
  const days = Math.floor(totalSeconds / 86400);
  const rest = totalSeconds - days * 86400;
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  if (days === 0) return hms;
  return `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${hms}`;
}

/** transformers' _secs2timedelta: seconds -> "h:mm:ss.ff" (hundredths truncated). */
export function secs2timedelta(secs: number): string {
  const whole = Math.trunc(secs);
  const msec = Math.trunc(Math.abs(secs - whole) * 100);
  return `${timedeltaStr(whole)}.${String(msec).padStart(2, '0')}`;
}

/**
 * transformers' metrics_format: "*_mem_*" -> "<n>MB", "*_runtime*" -> h:mm:ss.ff, total_flos ->
 * "<n>GF", other floats rounded to 4 digits. Ints (by `numberKind`) stay as they are.
 */
export function metricsFormat(metrics: Metrics, numberKind: NumberKindFn = defaultNumberKind): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number') out[k] = v;
    else if (k.includes('_mem_')) out[k] = `${(BigInt(Math.trunc(v)) >> 20n).toString()}MB`;
    else if (k.includes('_runtime')) out[k] = secs2timedelta(v);
    else if (k === 'total_flos') out[k] = `${(BigInt(Math.trunc(v)) >> 30n).toString()}GF`;
    else if (numberKind(k, v) === 'float') out[k] = pyRound(v, 4);
    else out[k] = v;
  }
  return out;
}

export interface LogMetricsOptions {
  /** Where lines go (default console.log); false prints nothing (the lines are still returned). */
  print?: ((line: string) => void) | false;
  numberKind?: NumberKindFn;
}

/** Prints metrics like transformers' Trainer.log_metrics and returns the printed lines. */
export function logMetrics(split: string, metrics: Metrics, opts: LogMetricsOptions = {}): string[] {
  const numberKind = opts.numberKind ?? defaultNumberKind;
  const formatted = metricsFormat(metrics, numberKind);
  const str = (k: string, v: number | string): string =>
    typeof v === 'string' ? v : numberKind(k, v) === 'int' && Number.isInteger(v) ? pyInt(v) : pyFloat(v);
  const keys = Object.keys(formatted).sort();
  const kWidth = Math.max(0, ...keys.map((k) => k.length));
  const vWidth = Math.max(0, ...keys.map((k) => str(k, formatted[k]).length));
  const lines = [`***** ${split} metrics *****`];
  for (const k of keys) lines.push(`  ${k.padEnd(kWidth)} = ${str(k, formatted[k]).padStart(vWidth)}`);
  const print = opts.print === undefined ? (l: string) => console.log(l) : opts.print;
  if (print) for (const l of lines) print(l);
  return lines;
}

function readJsonObject(path: string): Metrics {
  let data: unknown;
  try {
    data = pyJsonParse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as Error).message}): fix or delete the file, then save the metrics again`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${path} does not hold a JSON object of metrics: fix or delete the file, then save the metrics again`);
  }
  return data as Metrics;
}

/** The text transformers writes for a metrics file: json.dump(metrics, indent=4, sort_keys=True), no newline. */
export function metricsJson(metrics: Metrics, numberKind: NumberKindFn = defaultNumberKind): string {
  return pyJsonDumps(metrics, { indent: 4, sortKeys: true, numberKind });
}

export interface SaveMetricsOptions {
  /** Also merge into all_results.json (default true). */
  combined?: boolean;
  numberKind?: NumberKindFn;
}

/** Writes `<outputDir>/<split>_results.json` and merges into `all_results.json`, atomically. Returns the paths written. */
export function saveMetrics(outputDir: string, split: string, metrics: Metrics, opts: SaveMetricsOptions = {}): string[] {
  const { combined = true, numberKind = defaultNumberKind } = opts;
  const written: string[] = [];
  const path = join(outputDir, `${split}_results.json`);
  writeFileAtomicSync(path, metricsJson(metrics, numberKind));
  written.push(path);
  if (combined) {
    const allPath = join(outputDir, 'all_results.json');
    const all = existsSync(allPath) ? readJsonObject(allPath) : {};
    Object.assign(all, metrics);
    writeFileAtomicSync(allPath, metricsJson(all, numberKind));
    written.push(allPath);
  }
  return written;
}
