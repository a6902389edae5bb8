// loadDataset / loadFromDisk: Hub dataset repos (parquet, csv, json, arrow, images), local folders and
// files, imagefolder, and save_to_disk folders; split names and slicing like `train[:10%]`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep as pathSep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ArrayColumn, ConcatColumn, type Column } from './columns';
import { Dataset, type DatasetInfo } from './dataset';
import { DatasetDict } from './dataset-dict';
import { IterableDataset, IterableDatasetDict, streamingSplit } from './iterable-dataset';
import { ClassLabel, Features, Image, Value, encodeValue, inferFeature, type FeatureType } from './features';
import { fingerprintFiles } from './fingerprint';
import { openArrow } from './arrow';
import { openParquet, type OpenedTable } from './parquet';
import { DatasetError, datasetErrorIn } from './errors';
import { readJsonFile } from '../util/safe-json';
import { pyRepr } from './pyrepr';
import { readCsv, readJson } from './text-formats';
import { isArchiveFile } from './archives';
import { IMAGE_EXTENSIONS, imagefolderColumns, imagefolderTables, type Table } from './imagefolder';
import { PARQUET_EXPORT_REVISION, parquetExportLayout, pickExportConfig } from './parquet-export';

export type DataFiles = string | string[] | Record<string, string | string[]>;

export interface LoadDatasetOptions {
  /** A split name, a slice like 'train[:10%]' or 'train[100:200]+test', or a list of them. */
  split?: string | string[] | null;
  dataFiles?: DataFiles;
  dataDir?: string;
  revision?: string;
  cacheDir?: string;
  token?: string;
  features?: Features;
  /**
   * An IterableDataset (IterableDatasetDict without a split) read shard by shard as it is iterated,
   * never loaded whole (parquet, Arrow, JSON Lines, CSV; local or Hub).
   */
  streaming?: boolean;
  /** Hub only: never contact the network; use the local Hub cache. */
  localFilesOnly?: boolean;
  /** csv: field separator (default ','). */
  delimiter?: string;
  sep?: string;
  /** json: the key of the list of rows inside a JSON object. */
  field?: string;
  /** imagefolder: don't add the `label` column from folder names. */
  dropLabels?: boolean;
  /** Config name (same as the second positional argument). */
  name?: string;
}

type Builder = 'parquet' | 'csv' | 'json' | 'arrow' | 'imagefolder';
const PACKAGED: Record<string, Builder> = { parquet: 'parquet', csv: 'csv', json: 'json', arrow: 'arrow', imagefolder: 'imagefolder' };

export { IMAGE_EXTENSIONS };
const EXT_BUILDER: Record<string, Builder> = { '.parquet': 'parquet', '.csv': 'csv', '.tsv': 'csv', '.json': 'json', '.jsonl': 'json', '.ndjson': 'json', '.arrow': 'arrow' };

function builderOfFile(f: string): Builder | null {
  const ext = extname(f).toLowerCase();
  // Archives (zip, tar, tar.gz) are read as image folders, as `datasets` infers from their contents.
  return EXT_BUILDER[ext] ?? (IMAGE_EXTENSIONS.has(ext) || isArchiveFile(f) ? 'imagefolder' : null);
}

// ---------------------------------------------------------------------------------------------
// Split names and slices

interface SliceSpec { split: string; from: number | null; to: number | null; pct: boolean; rounding: 'closest' | 'pct1_dropremainder' }
const SUB_SPEC = /^\s*([\w.-]+)\s*(?:\[\s*(?:(-?\d+)\s*(%)?)?\s*:\s*(?:(-?\d+)\s*(%)?)?\s*\])?\s*(?:\((closest|pct1_dropremainder)\))?\s*$/;

export function parseSplitSpec(spec: string): SliceSpec[] {
  return spec.split(/\s*\+\s*/).map((part) => {
    const m = SUB_SPEC.exec(part);
    if (!m) throw new Error(`Unrecognized split format: '${part}'; use a split name, optionally sliced like 'train[:10%]' or 'train[100:200]'`);
    return {
      split: m[1], from: m[2] !== undefined ? parseInt(m[2], 10) : null, to: m[4] !== undefined ? parseInt(m[4], 10) : null,
      pct: !!(m[3] || m[5]), rounding: (m[6] as SliceSpec['rounding']) ?? 'closest',
    };
  });
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function absoluteBounds(s: SliceSpec, n: number): [number, number] {
  const pct = (b: number): number => (s.rounding === 'closest' ? roundHalfEven((b * n) / 100) : b * Math.trunc(n / 100));
  let from = s.from; let to = s.to;
  if (s.pct) { from = from === null ? 0 : pct(from); to = to === null ? n : pct(to); } else { from ??= 0; to ??= n; }
  if (from < 0) from = Math.max(n + from, 0);
  if (to < 0) to = Math.max(n + to, 0);
  return [Math.min(from, n), Math.min(to, n)];
}

function applySplit(dd: DatasetDict, spec: string): Dataset {
  const parts = parseSplitSpec(spec).map((s) => {
    if (!dd.has(s.split)) throw new Error(`Unknown split "${s.split}". Should be one of ${pyRepr(dd.splits)}.`);
    const ds = dd.get(s.split);
    if (s.from === null && s.to === null) return ds;
    const [a, b] = absoluteBounds(s, ds.numRows);
    return ds.select(range(a, Math.max(a, b)));
  });
  if (parts.length === 1) return parts[0];
  return concatenateDatasets(parts, spec);
}

function* range(a: number, b: number): Generator<number> { for (let i = a; i < b; i++) yield i; }

/** Python's concatenate_datasets (axis 0): same columns and features required. */
export function concatenateDatasets(parts: Dataset[], split: string | null = null): Dataset {
  if (!parts.length) throw new Error('concatenateDatasets: give at least one dataset');
  const features = parts[0].features;
  for (const p of parts.slice(1)) {
    if (String(p.features) !== String(features)) {
      throw new Error(`concatenateDatasets: features differ (${p.features} vs ${features}); cast them to the same features first`);
    }
  }
  const columns = new Map<string, Column>();
  for (const c of features.keys()) {
    columns.set(c, new ConcatColumn(parts.map((p) => p.storageColumn(c))));
  }
  return new Dataset({
    columns, features, numRows: parts.reduce((n, p) => n + p.numRows, 0), info: parts[0].info, split,
    fingerprint: parts.map((p) => p.fingerprint).join('+'), cacheDir: parts[0].cacheDir,
  });
}

// ---------------------------------------------------------------------------------------------
// Data files

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('__')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(relative(root, p).split(pathSep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** fsspec-style glob: `**` crosses folders, `*` and `?` don't, `[...]` is a character class. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) { re += '\\['; continue; }
      let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/^\^?\]/, '\\]')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function matchFiles(files: string[], patterns: string | string[]): string[] {
  const res = (Array.isArray(patterns) ? patterns : [patterns]).map((p) => globToRegExp(p.replace(/^\.\//, '')));
  return files.filter((f) => res.some((r) => r.test(f)));
}

const SPLIT_KEYWORDS: Record<string, string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'valid', 'dev', 'val'],
  test: ['test', 'testing', 'eval', 'evaluation'],
};
const SEP = '[-._ 0-9]';

function splitOrder(a: string, b: string): number {
  const order = ['train', 'validation', 'test'];
  const ia = order.indexOf(a); const ib = order.indexOf(b);
  return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
}

/** The default data-files patterns of `datasets`: data/{split}-xxxxx-of-xxxxx*, split folders, split file names, else all train. */
export function inferSplits(files: string[]): Record<string, string[]> {
  const sharded = /^data\/([^/]+?)-\d{5}-of-\d{5}[^/]*\.[^/]*$/;
  const byShard: Record<string, string[]> = {};
  for (const f of files) { const m = sharded.exec(f); if (m) (byShard[m[1]] ??= []).push(f); }
  if (Object.keys(byShard).length) return sortSplits(byShard);
  const dirRe = (kw: string): RegExp => new RegExp(`(^|/)(?:[^/]*${SEP})?${kw}(?:${SEP}[^/]*)?/`);
  const fileRe = (kw: string): RegExp => new RegExp(`(^|/)(?:[^/]*${SEP})?${kw}${SEP}[^/]*$`);
  for (const mk of [dirRe, fileRe]) {
    const out: Record<string, string[]> = {};
    for (const [split, kws] of Object.entries(SPLIT_KEYWORDS)) {
      const res = kws.map(mk);
      const m = files.filter((f) => res.some((r) => r.test(mk === dirRe ? f : f)));
      if (m.length) out[split] = m;
    }
    if (Object.keys(out).length) return out;
  }
  return files.length ? { train: files } : {};
}

function sortSplits(o: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.keys(o).sort(splitOrder).map((k) => [k, o[k]]));
}

function normalizeDataFiles(dataFiles: DataFiles): Record<string, string[]> {
  if (typeof dataFiles === 'string') return { train: [dataFiles] };
  if (Array.isArray(dataFiles)) return { train: dataFiles };
  return Object.fromEntries(Object.entries(dataFiles).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}

/** Resolves user data files (paths or globs, relative to `base`) to absolute paths. */
function resolveDataFiles(dataFiles: DataFiles, base: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [split, pats] of Object.entries(normalizeDataFiles(dataFiles))) {
    const files: string[] = [];
    for (const p of pats) {
      const abs = resolve(base, p);
      if (/[*?[]/.test(p)) {
        const fixed = abs.split('/'); const idx = fixed.findIndex((s) => /[*?[]/.test(s));
        const root = fixed.slice(0, idx).join('/') || '/';
        const m = matchFiles(listFiles(root), fixed.slice(idx).join('/')).map((f) => join(root, f));
        if (!m.length) throw new Error(`Unable to find files matching '${p}' for split '${split}' (in ${root}); check the pattern`);
        files.push(...m);
      } else if (existsSync(abs) && statSync(abs).isDirectory()) {
        files.push(...listFiles(abs).map((f) => join(abs, f)));
      } else {
        if (!existsSync(abs)) throw new Error(`Unable to find '${p}' for split '${split}' (looked for ${abs}); check the path`);
        files.push(abs);
      }
    }
    out[split] = files;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// README (YAML front matter): configs and dataset_info

interface ReadmeMeta { configs: { name: string; dataFiles: Record<string, string[]> | null; dataDir?: string; default?: boolean }[]; infos: Map<string, Features> }

function readReadme(dir: string): ReadmeMeta {
  const out: ReadmeMeta = { configs: [], infos: new Map() };
  const p = join(dir, 'README.md');
  if (!existsSync(p)) return out;
  const text = readFileSync(p, 'utf8');
  const m = /^---\s*\n([\s\S]*?)\n---\s*(\n|$)/.exec(text);
  if (!m) return out;
  let meta: Record<string, unknown>;
  try { meta = parseYaml(m[1], { version: '1.1' }) ?? {}; } catch (e) {
    throw new Error(`${p}: invalid YAML front matter (${(e as Error).message.split('\n')[0]}); fix the README metadata`);
  }
  const configs = meta.configs as Record<string, unknown>[] | undefined;
  if (Array.isArray(configs)) {
    for (const c of configs) {
      let df: Record<string, string[]> | null = null;
      const raw = c.data_files;
      if (typeof raw === 'string') df = { train: [raw] };
      else if (Array.isArray(raw)) {
        if (raw.every((x) => typeof x === 'string')) df = { train: raw as string[] };
        else {
          df = {};
          for (const x of raw as { split?: string; path: string | string[] }[]) (df[x.split ?? 'train'] ??= []).push(...(Array.isArray(x.path) ? x.path : [x.path]));
        }
      } else if (raw && typeof raw === 'object') df = normalizeDataFiles(raw as Record<string, string | string[]>);
      out.configs.push({ name: String(c.config_name ?? 'default'), dataFiles: df, dataDir: c.data_dir as string | undefined, default: !!c.default });
    }
  }
  const infos = meta.dataset_info;
  for (const info of Array.isArray(infos) ? infos : infos ? [infos] : []) {
    const i = info as { config_name?: string; features?: unknown };
    if (i.features) out.infos.set(i.config_name ?? 'default', Features.fromYamlList(i.features, `${p} dataset_info${i.config_name ? `[${i.config_name}]` : ''}.features`));
  }
  return out;
}

/** Picks the config and its split -> files (relative to root). */
function resolveConfig(root: string, name: string | undefined, what: string, dataDir?: string, listing?: string[]): { config: string; splits: Record<string, string[]>; features: Features | null } {
  const readme = readReadme(root);
  const all = (listing ?? listFiles(root)).filter((f) => f !== 'README.md' && builderOfFile(f));
  if (readme.configs.length) {
    let cfg = name ? readme.configs.find((c) => c.name === name) : readme.configs.find((c) => c.default) ?? (readme.configs.length === 1 ? readme.configs[0] : undefined);
    if (!cfg && !name) {
      cfg = readme.configs.find((c) => c.name === 'default');
      if (!cfg) throw new Error(`Config name is missing for ${what}. Please pick one among the available configs: ${pyRepr(readme.configs.map((c) => c.name))}; e.g. loadDataset('${what}', '${readme.configs[0].name}')`);
    }
    if (!cfg) throw new Error(`BuilderConfig '${name}' not found for ${what}. Available: ${pyRepr(readme.configs.map((c) => c.name))}`);
    let files = all;
    if (cfg.dataDir) files = files.filter((f) => f.startsWith(cfg!.dataDir!.replace(/\/$/, '') + '/'));
    const splits = cfg.dataFiles
      ? Object.fromEntries(Object.entries(cfg.dataFiles).map(([s, pats]) => [s, matchFiles(files, cfg!.dataDir ? pats.map((p) => `${cfg!.dataDir}/${p}`) : pats)]))
      : relativeSplits(files, cfg.dataDir);
    for (const [s, f] of Object.entries(splits)) if (!f.length) throw new Error(`${what}: config '${cfg.name}' lists no existing files for split '${s}'`);
    return { config: cfg.name, splits, features: readme.infos.get(cfg.name) ?? null };
  }
  let files = all;
  let config = 'default';
  const sub = dataDir ?? name;
  if (sub) {
    const prefix = sub.replace(/\/$/, '') + '/';
    files = all.filter((f) => f.startsWith(prefix));
    if (!files.length) {
      if (dataDir) throw new Error(`${what}: no data files under data_dir '${dataDir}'`);
      const dirs = [...new Set(all.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))].filter((d) => d !== 'data');
      throw new Error(`BuilderConfig '${name}' not found for ${what}. Available: ${pyRepr(dirs.length ? dirs : ['default'])}`);
    }
    if (name) config = name;
  }
  return { config, splits: relativeSplits(files, sub), features: readme.infos.get(config) ?? null };
}

function relativeSplits(files: string[], sub?: string): Record<string, string[]> {
  if (!sub) return inferSplits(files);
  const prefix = sub.replace(/\/$/, '') + '/';
  const inner = inferSplits(files.map((f) => f.slice(prefix.length)));
  return Object.fromEntries(Object.entries(inner).map(([s, fs]) => [s, fs.map((f) => prefix + f)]));
}

// ---------------------------------------------------------------------------------------------
// Builders

function defaultCacheRoot(): string {
  return process.env.HF_DATASETS_CACHE ?? join(process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'datasets');
}

interface BuildContext { features?: Features | null; cacheDir?: string; datasetName: string; config: string; options: LoadDatasetOptions }

function chooseBuilder(files: string[], where: string): Builder {
  const counts = new Map<Builder, number>();
  for (const f of files) { const b = builderOfFile(f); if (b) counts.set(b, (counts.get(b) ?? 0) + 1); }
  if (!counts.size) throw new Error(`${where}: no supported data files found (parquet, csv, json, jsonl, arrow or images)`);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

async function buildSplits(builder: Builder, splits: Record<string, string[]>, ctx: BuildContext): Promise<AnyDict> {
  if (ctx.options.streaming) return buildStreamingSplits(builder, splits, ctx);
  const allFiles = Object.values(splits).flat();
  const fp = fingerprintFiles(allFiles, { builder, f: ctx.features?.toJSON() ?? null, o: { sep: ctx.options.sep ?? ctx.options.delimiter, field: ctx.options.field, drop: ctx.options.dropLabels } });
  const cacheDir = join(ctx.cacheDir ?? defaultCacheRoot(), ctx.datasetName.replace(/[^\w.-]+/g, '___'), ctx.config, fp);
  const info: DatasetInfo = { builderName: builder, configName: ctx.config, datasetName: ctx.datasetName };
  const dd = new DatasetDict();
  const images = builder === 'imagefolder'
    ? await imagefolderTables(splits, { features: ctx.features, dropLabels: ctx.options.dropLabels, extractDir: join(ctx.cacheDir ?? defaultCacheRoot(), 'downloads', 'extracted') })
    : null;
  for (const [split, files] of Object.entries(splits)) {
    const useFiles = files.filter((f) => builderOfFile(f) === builder);
    let table: Table;
    if (builder === 'parquet' || builder === 'arrow') {
      const opened: OpenedTable[] = [];
      for (const f of useFiles) opened.push(builder === 'parquet' ? await openParquet(f) : openArrow(f));
      table = concatTables(opened, useFiles);
    } else if (builder === 'csv' || builder === 'json') {
      table = textTable(builder, useFiles, ctx);
    } else {
      table = images!.tables[split];
    }
    if (ctx.features && !images?.usedFeatures) table = applyFeatures(table, ctx.features, `${ctx.datasetName} (${split})`);
    dd.set(split, new Dataset({ ...table, info, split, fingerprint: `${fp}-${split}`, cacheDir }));
  }
  return dd;
}

type AnyDict = DatasetDict | IterableDatasetDict;

async function buildStreamingSplits(builder: Builder, splits: Record<string, string[]>, ctx: BuildContext): Promise<IterableDatasetDict> {
  if (builder === 'imagefolder') throw new Error(`${ctx.datasetName}: streaming image folders and archives is not supported; load it without streaming: true`);
  const dd = new IterableDatasetDict();
  for (const [split, files] of Object.entries(splits)) {
    const useFiles = files.filter((f) => builderOfFile(f) === builder);
    dd.set(split, await streamingSplit(builder, useFiles, { features: ctx.features ?? null, sep: ctx.options.sep, delimiter: ctx.options.delimiter, field: ctx.options.field, split, info: { builderName: builder, configName: ctx.config, datasetName: ctx.datasetName } }));
  }
  return dd;
}

function concatTables(tables: OpenedTable[], files: string[]): { numRows: number; features: Features; columns: Map<string, Column> } {
  if (!tables.length) return { numRows: 0, features: new Features(), columns: new Map() };
  const features = tables[0].features;
  tables.forEach((t, i) => {
    const a = [...t.features.keys()].join(','); const b = [...features.keys()].join(',');
    if (a !== b) throw new Error(`${files[i]}: columns [${a}] differ from [${b}] in ${files[0]}; all files of a split must have the same columns`);
  });
  const columns = new Map<string, Column>();
  for (const c of features.keys()) columns.set(c, tables.length === 1 ? tables[0].columns.get(c)! : new ConcatColumn(tables.map((t) => t.columns.get(c)!)));
  return { numRows: tables.reduce((n, t) => n + t.numRows, 0), features, columns };
}

function textTable(builder: 'csv' | 'json', files: string[], ctx: BuildContext): { numRows: number; features: Features; columns: Map<string, Column> } {
  const parsed = files.map((f) => (builder === 'csv'
    ? readCsv(f, { sep: ctx.options.sep ?? ctx.options.delimiter ?? (extname(f).toLowerCase() === '.tsv' ? '\t' : ',') })
    : { ...readJson(f, { field: ctx.options.field }), floatColumns: new Set<string>() }));
  const names: string[] = [];
  for (const p of parsed) for (const k of Object.keys(p.columns)) if (!names.includes(k)) names.push(k);
  const numRows = parsed.reduce((n, p) => n + p.numRows, 0);
  const rowLabel = (i: number): string => {
    for (const p of parsed) { if (i < p.numRows) return p.rowLabel(i); i -= p.numRows; }
    return `row ${i}`;
  };
  const features = new Features();
  const columns = new Map<string, Column>();
  for (const n of names) {
    const vals: unknown[] = [];
    for (const p of parsed) { const c = p.columns[n]; for (let i = 0; i < p.numRows; i++) vals.push(c ? c[i] ?? null : null); }
    let f: FeatureType = ctx.features?.get(n) ?? inferFeature(vals, n, rowLabel);
    if (!ctx.features?.get(n) && parsed.some((p) => p.floatColumns.has(n)) && f instanceof Value && f.isInt) f = new Value('float64');
    features.set(n, f);
    columns.set(n, new ArrayColumn(ctx.features?.get(n) ? vals : vals.map((v, i) => encodeValue(f, v, `${rowLabel(i)}, column '${n}'`))));
  }
  return { numRows, features, columns };
}

function applyFeatures(table: { numRows: number; features: Features; columns: Map<string, Column> }, features: Features, where: string): { numRows: number; features: Features; columns: Map<string, Column> } {
  const missing = [...features.keys()].filter((k) => !table.features.has(k));
  if (missing.length) throw new Error(`${where}: features name columns ${pyRepr(missing)} that the data lacks (columns: ${pyRepr([...table.features.keys()])})`);
  const columns = new Map<string, Column>();
  for (const k of features.keys()) {
    const f = features.get(k)!; const col = table.columns.get(k)!;
    if (col instanceof ArrayColumn) columns.set(k, new ArrayColumn(col.values.map((v, i) => encodeValue(f, v, `${where} row ${i}, column '${k}'`))));
    else columns.set(k, col);
  }
  return { numRows: table.numRows, features: new Features(features), columns };
}

// ---------------------------------------------------------------------------------------------
// Hub

interface HubModule {
  datasetInfo?(p: { repoId: string; revision?: string; token?: string }): Promise<{ sha?: string; siblings?: { rfilename: string }[] }>;
  hfHubDownload?(p: { repoId: string; repoType: 'dataset'; filename: string; revision?: string; cacheDir?: string; token?: string; localFilesOnly?: boolean }): Promise<string>;
  snapshotDownload(p: { repoId: string; repoType: 'dataset'; revision?: string; allowPatterns?: string[]; ignorePatterns?: string[]; cacheDir?: string; token?: string; localFilesOnly?: boolean }): Promise<string>;
  RepositoryNotFoundError?: new (...a: never[]) => Error;
  RevisionNotFoundError?: new (...a: never[]) => Error;
  OfflineModeError?: new (...a: never[]) => Error;
}

async function loadHubModule(): Promise<HubModule> {
  const spec = '../hub/index';
  try {
    return await import(spec) as HubModule;
  } catch (e) {
    throw new Error(`the Hub client (src/hub) is not available (${(e as Error).message.split('\n')[0]}); load local files instead`);
  }
}

async function hubSnapshot(hub: HubModule, repoId: string, opts: LoadDatasetOptions, allowPatterns: string[]): Promise<string> {
  try {
    return await hub.snapshotDownload({ repoId, repoType: 'dataset', revision: opts.revision, allowPatterns, cacheDir: opts.cacheDir ? join(opts.cacheDir, 'hub') : undefined, token: opts.token, localFilesOnly: opts.localFilesOnly });
  } catch (e) {
    const err = e as Error;
    const is = (cls: unknown, name: string): boolean => (typeof cls === 'function' && err instanceof (cls as new () => Error)) || err.name === name || err.constructor?.name === name;
    if (is(hub.RepositoryNotFoundError, 'RepositoryNotFoundError')) {
      throw new Error(`Dataset '${repoId}' doesn't exist on the Hub or cannot be accessed; check the name (or pass a token for a private or gated dataset)`, { cause: e });
    }
    if (is(hub.RevisionNotFoundError, 'RevisionNotFoundError')) {
      throw new Error(`Revision '${opts.revision ?? 'main'}' doesn't exist for dataset '${repoId}' on the Hub; check the branch, tag or commit`, { cause: e });
    }
    if (is(hub.OfflineModeError, 'OfflineModeError')) {
      throw new Error(`Couldn't reach the Hub for dataset '${repoId}' (offline) and it is not in the local cache; connect to the network once to download it, or unset HF_HUB_OFFLINE`, { cause: e });
    }
    throw e;
  }
}

const ARCHIVE_PATTERNS = ['*.zip', '**/*.zip', '*.tar', '**/*.tar', '*.tar.gz', '**/*.tar.gz', '*.tgz', '**/*.tgz'];
const DATA_PATTERNS = [...ARCHIVE_PATTERNS, '*.parquet', '**/*.parquet', '*.csv', '**/*.csv', '*.tsv', '**/*.tsv', '*.json', '**/*.json', '*.jsonl', '**/*.jsonl', '*.arrow', '**/*.arrow',
  ...[...IMAGE_EXTENSIONS].flatMap((e) => [`*${e}`, `**/*${e}`])];

async function loadFromHub(repoId: string, name: string | undefined, opts: LoadDatasetOptions): Promise<AnyDict> {
  const hub = await loadHubModule();
  // A loading script is fetched only to notice it (it is never run).
  const script = `${repoId.split('/').pop()}.py`;
  const readmeDir = await hubSnapshot(hub, repoId, opts, ['README.md', script]);
  const readme = readReadme(readmeDir);
  // The Parquet export stands in when main cannot be read as stored: a loading script, no supported
  // files, or images whose card features an imagefolder cannot fill (like `datasets`, main only).
  const hasScript = existsSync(join(readmeDir, script));
  const mayUseExport = !opts.dataFiles && !opts.dataDir && (!opts.revision || opts.revision === 'main');
  if (hasScript && mayUseExport) {
    const exported = await loadParquetExport(hub, repoId, name, opts);
    if (exported) return exported;
    throw new Error(`Dataset '${repoId}' is defined by a loading script (${script}), which hubtune does not run (nor does datasets >= 4), and it has no Parquet export (${PARQUET_EXPORT_REVISION}); load its data files with dataFiles instead`);
  }
  if (opts.streaming && !opts.dataFiles && !hasScript) {
    const lazy = await streamHubLazily(hub, repoId, name, opts, readmeDir);
    if (lazy) return lazy;
  }
  let patterns = DATA_PATTERNS;
  if (opts.dataFiles) {
    patterns = Object.values(normalizeDataFiles(opts.dataFiles)).flat();
  } else if (readme.configs.length) {
    const cfg = name ? readme.configs.find((c) => c.name === name) : readme.configs.find((c) => c.default) ?? (readme.configs.length === 1 ? readme.configs[0] : readme.configs.find((c) => c.name === 'default'));
    if (!cfg && name) throw new Error(`BuilderConfig '${name}' not found for ${repoId}. Available: ${pyRepr(readme.configs.map((c) => c.name))}`);
    if (!cfg) throw new Error(`Config name is missing for ${repoId}. Please pick one among the available configs: ${pyRepr(readme.configs.map((c) => c.name))}; e.g. loadDataset('${repoId}', '${readme.configs[0].name}')`);
    if (cfg.dataFiles) patterns = Object.values(cfg.dataFiles).flat().map((p) => (cfg.dataDir ? `${cfg.dataDir}/${p}` : p));
    else if (cfg.dataDir) patterns = [`${cfg.dataDir}/**`];
  } else if (name || opts.dataDir) {
    patterns = [`${opts.dataDir ?? name}/**`];
  }
  const root = await hubSnapshot(hub, repoId, opts, ['README.md', script, ...patterns]);
  if (opts.dataFiles) {
    const splits = resolveDataFiles(opts.dataFiles, root);
    return buildSplits(chooseBuilder(Object.values(splits).flat(), repoId), splits, { features: opts.features ?? readme.infos.get(name ?? 'default') ?? null, cacheDir: opts.cacheDir, datasetName: repoId, config: name ?? 'default', options: opts });
  }
  if (mayUseExport && !mainReadable(root, name, repoId, opts)) {
    const exported = await loadParquetExport(hub, repoId, name, opts);
    if (exported) return exported;
  }
  return loadFolder(root, name, opts, repoId);
}

/**
 * Streaming from the Hub: the repo's file list decides the splits, and each shard is downloaded only
 * when the iteration reaches it (into the Hub cache). Null when the listing is unavailable (offline:
 * the cached snapshot is used) or the files are images (the Parquet export or an error decides).
 */
async function streamHubLazily(hub: HubModule, repoId: string, name: string | undefined, opts: LoadDatasetOptions, readmeDir: string): Promise<IterableDatasetDict | null> {
  if (!hub.datasetInfo || !hub.hfHubDownload || opts.localFilesOnly || process.env.HF_HUB_OFFLINE) return null;
  let info: { sha?: string; siblings?: { rfilename: string }[] };
  try { info = await hub.datasetInfo({ repoId, revision: opts.revision, token: opts.token }); } catch { return null; }
  const listing = (info.siblings ?? []).map((s) => s.rfilename);
  const { config, splits, features } = resolveConfig(readmeDir, name, repoId, opts.dataDir, listing);
  const files = Object.values(splits).flat();
  if (!files.length || chooseBuilder(files, repoId) === 'imagefolder') return null;
  const builder = chooseBuilder(files, repoId) as Exclude<Builder, 'imagefolder'>;
  const revision = info.sha ?? opts.revision;
  const download = hub.hfHubDownload.bind(hub);
  const fetchFile = (f: string): Promise<string> => download({ repoId, repoType: 'dataset', filename: f, revision, cacheDir: opts.cacheDir ? join(opts.cacheDir, 'hub') : undefined, token: opts.token });
  const dd = new IterableDatasetDict();
  for (const [split, fs] of Object.entries(splits)) {
    dd.set(split, await streamingSplit(builder, fs.filter((f) => builderOfFile(f) === builder), { features: opts.features ?? features, sep: opts.sep, delimiter: opts.delimiter, field: opts.field, split, fetchFile, info: { builderName: builder, configName: config, datasetName: repoId } }));
  }
  return dd;
}

/** True when main's files can be loaded as stored (some supported files, and card features that fit them). */
function mainReadable(root: string, name: string | undefined, repoId: string, opts: LoadDatasetOptions): boolean {
  let resolved: ReturnType<typeof resolveConfig>;
  try {
    resolved = resolveConfig(root, name, repoId, opts.dataDir);
  } catch {
    return true; // the error (unknown config...) is reported by the normal path
  }
  const files = Object.values(resolved.splits).flat();
  if (!files.length) return false;
  if (chooseBuilder(files, repoId) !== 'imagefolder') return true;
  const features = opts.features ?? resolved.features;
  return !features || imagefolderColumns(features) !== null;
}

/** Loads the `refs/convert/parquet` export, or returns null when the dataset has none. */
async function loadParquetExport(hub: HubModule, repoId: string, name: string | undefined, opts: LoadDatasetOptions): Promise<AnyDict | null> {
  let root: string;
  try {
    root = await hubSnapshot(hub, repoId, { ...opts, revision: PARQUET_EXPORT_REVISION }, ['*.parquet']);
  } catch (e) {
    if (/Revision '.*' doesn't exist/.test((e as Error).message)) return null;
    throw e;
  }
  const layout = parquetExportLayout(listFiles(root));
  if (!layout.size) return null;
  const config = pickExportConfig(layout, name, repoId);
  const splits = Object.fromEntries(Object.entries(layout.get(config)!).sort(([a], [b]) => splitOrder(a, b)).map(([s, fs]) => [s, fs.map((f) => join(root, f))]));
  return buildSplits('parquet', splits, { features: opts.features ?? null, cacheDir: opts.cacheDir, datasetName: repoId, config, options: opts });
}

async function loadFolder(root: string, name: string | undefined, opts: LoadDatasetOptions, what: string): Promise<AnyDict> {
  const { config, splits, features } = resolveConfig(root, name, what, opts.dataDir);
  if (!Object.keys(splits).length) throw new Error(`${what}: no data files found (looked for parquet, csv, json, jsonl, arrow and image files)`);
  const abs = Object.fromEntries(Object.entries(splits).map(([s, fs]) => [s, fs.map((f) => join(root, f))]));
  const builder = chooseBuilder(Object.values(abs).flat(), what);
  return buildSplits(builder, abs, { features: opts.features ?? features, cacheDir: opts.cacheDir, datasetName: what, config, options: opts });
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Python's load_dataset. `path` is a Hub dataset id (`beans`, `glue` with name `mrpc`), a local folder
 * or file, a folder written by saveToDisk, or a packaged builder (`csv`, `json`, `parquet`, `arrow`,
 * `imagefolder`) with `dataFiles`/`dataDir`. Returns a DatasetDict, or a Dataset when `split` is given.
 */
/** streaming: true with one `split`: an IterableDataset. */
export async function loadDataset(path: string, options: LoadDatasetOptions & { streaming: true; split: string }): Promise<IterableDataset>;
export async function loadDataset(path: string, name: string | null | undefined, options: LoadDatasetOptions & { streaming: true; split: string }): Promise<IterableDataset>;
/** streaming: true without a split: an IterableDatasetDict. */
export async function loadDataset(path: string, options: LoadDatasetOptions & { streaming: true; split?: null }): Promise<IterableDatasetDict>;
export async function loadDataset(path: string, name: string | null | undefined, options: LoadDatasetOptions & { streaming: true; split?: null }): Promise<IterableDatasetDict>;
/** With one `split`: that split, a Dataset. */
export async function loadDataset(path: string, options: LoadDatasetOptions & { split: string }): Promise<Dataset>;
export async function loadDataset(path: string, name: string | null | undefined, options: LoadDatasetOptions & { split: string }): Promise<Dataset>;
/** With a list of splits: one Dataset each. */
export async function loadDataset(path: string, options: LoadDatasetOptions & { split: string[] }): Promise<Dataset[]>;
export async function loadDataset(path: string, name: string | null | undefined, options: LoadDatasetOptions & { split: string[] }): Promise<Dataset[]>;
/** Without a split: every split, a DatasetDict (`ds.train`, `ds['validation']`). */
export async function loadDataset(path: string, name?: string | (LoadDatasetOptions & { split?: null }) | null, options?: LoadDatasetOptions & { split?: null }): Promise<DatasetDict>;
/** The split decided at run time: any of the three. */
export async function loadDataset(path: string, name?: string | LoadDatasetOptions | null, options?: LoadDatasetOptions): Promise<DatasetDict | Dataset | Dataset[]>;
export async function loadDataset(path: string, name?: string | LoadDatasetOptions | null, options: LoadDatasetOptions = {}): Promise<DatasetDict | Dataset | Dataset[] | IterableDataset | IterableDatasetDict | IterableDataset[]> {
  if (name && typeof name === 'object') { options = name; name = undefined; }
  const config = (name as string | undefined | null) ?? options.name ?? undefined;
  if (!path || typeof path !== 'string') throw new Error('loadDataset: give a dataset name, a folder or a file path');
  let dd: AnyDict;
  const packaged = PACKAGED[path];
  if (packaged) {
    if (!options.dataFiles && !options.dataDir) throw new Error(`loadDataset('${path}'): give dataFiles (files or globs) or dataDir`);
    if (options.dataFiles) {
      const splits = resolveDataFiles(options.dataFiles, options.dataDir ?? process.cwd());
      dd = await buildSplits(packaged, splits, { features: options.features, cacheDir: options.cacheDir, datasetName: packaged, config: config ?? 'default', options });
    } else {
      const dir = resolve(options.dataDir!);
      if (!existsSync(dir)) throw new Error(`loadDataset('${path}'): dataDir ${dir} does not exist`);
      const { splits } = resolveConfig(dir, undefined, dir);
      const abs = Object.fromEntries(Object.entries(splits).map(([s, fs]) => [s, fs.map((f) => join(dir, f))]));
      dd = await buildSplits(packaged, abs, { features: options.features, cacheDir: options.cacheDir, datasetName: packaged, config: config ?? 'default', options });
    }
  } else if (existsSync(path)) {
    const abs = resolve(path);
    if (statSync(abs).isDirectory()) {
      if (existsSync(join(abs, 'dataset_dict.json')) || existsSync(join(abs, 'state.json'))) {
        const loaded = await loadFromDisk(abs);
        dd = loaded instanceof Dataset ? new DatasetDict({ [loaded.split ?? 'train']: loaded }) : loaded;
        if (options.streaming) dd = new IterableDatasetDict(Object.fromEntries([...(dd as DatasetDict)].map(([k, d]) => [k, IterableDataset.fromDataset(d, { numShards: 1 })])));
      } else if (options.dataFiles) {
        const splits = resolveDataFiles(options.dataFiles, abs);
        dd = await buildSplits(chooseBuilder(Object.values(splits).flat(), abs), splits, { features: options.features, cacheDir: options.cacheDir, datasetName: basename(abs), config: config ?? 'default', options });
      } else {
        dd = await loadFolder(abs, config, options, abs);
      }
    } else {
      const b = builderOfFile(abs);
      if (!b || b === 'imagefolder') throw new Error(`loadDataset: cannot tell the format of ${abs}; use a .parquet, .csv, .json, .jsonl or .arrow file`);
      dd = await buildSplits(b, { train: [abs] }, { features: options.features, cacheDir: options.cacheDir, datasetName: basename(abs), config: 'default', options });
    }
  } else if (/^[.~/]/.test(path) || path.includes('\\') || /\.(parquet|csv|tsv|jsonl?|arrow)$/i.test(path)) {
    throw new Error(`loadDataset: ${path} does not exist; check the path`);
  } else {
    dd = await loadFromHub(path, config, options);
  }
  const split = options.split;
  if (split === undefined || split === null) return dd;
  if (dd instanceof IterableDatasetDict) {
    const pick = (s: string): IterableDataset => {
      if (!dd.has(s)) throw new Error(`Bad split: ${s}. Available splits: ${pyRepr(dd.splits)}${/[[+]/.test(s) ? ' (a streaming dataset cannot be sliced: use take() and skip())' : ''}`);
      return dd.get(s);
    };
    return Array.isArray(split) ? split.map(pick) : pick(split);
  }
  const d = dd as DatasetDict;
  if (Array.isArray(split)) return split.map((s) => applySplit(d, s));
  return applySplit(d, split);
}

/** loadDataset that always returns a DatasetDict (no `split`). */
export async function loadDatasetDict(path: string, name?: string | LoadDatasetOptions | null, options: LoadDatasetOptions = {}): Promise<DatasetDict> {
  const r = await loadDataset(path, name, { ...(typeof name === 'object' && name ? name : options), split: undefined, streaming: false });
  return r as DatasetDict;
}

/** loadDataset with a single `split`: always a Dataset. */
export async function loadDatasetSplit(path: string, name: string | null, options: LoadDatasetOptions & { split: string }): Promise<Dataset> {
  return await loadDataset(path, name, options) as Dataset;
}

/** Python's load_from_disk: a folder written by save_to_disk (Python's or ours). */
export async function loadFromDisk(path: string): Promise<Dataset | DatasetDict> {
  const dir = resolve(path);
  if (!existsSync(dir)) throw new Error(`loadFromDisk: ${dir} does not exist`);
  const ddFile = join(dir, 'dataset_dict.json');
  if (existsSync(ddFile)) {
    const splits = (readJsonFile(ddFile, DatasetError, { object: true }) as { splits?: unknown }).splits;
    if (!Array.isArray(splits) || !splits.every((s) => typeof s === 'string' && /^[\w.-]+$/.test(s) && s !== '.' && s !== '..')) {
      throw new DatasetError(`${ddFile}: expected {"splits": [names]}, got ${JSON.stringify(splits)?.slice(0, 60)}; re-save the dataset`);
    }
    const dd = new DatasetDict();
    for (const s of splits) dd.set(s, await loadFromDisk(join(dir, s)) as Dataset);
    return dd;
  }
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) {
    throw new Error(`loadFromDisk: ${dir} is neither a Dataset folder (state.json) nor a DatasetDict folder (dataset_dict.json); was it written by save_to_disk?`);
  }
  const readInfo = (f: string): Record<string, unknown> => readJsonFile(f, DatasetError, { object: true });
  const state = readInfo(stateFile) as { _data_files?: unknown; _fingerprint?: string; _split?: string | null };
  for (const k of ['_fingerprint', '_split'] as const) {
    if (state[k] !== undefined && state[k] !== null && typeof state[k] !== 'string') throw new DatasetError(`${stateFile}: ${k} must be a string, got ${JSON.stringify(state[k])?.slice(0, 60)}; re-save the dataset`);
  }
  const infoFile = join(dir, 'dataset_info.json');
  const info = existsSync(infoFile) ? readInfo(infoFile) : {};
  const dataFiles = state._data_files ?? [];
  if (!Array.isArray(dataFiles)) throw new DatasetError(`${stateFile}: _data_files must be a list of {"filename": ...}; re-save the dataset`);
  const files = dataFiles.map((d, i) => {
    const f = (d as { filename?: unknown })?.filename;
    // a data file is a plain name inside the folder: never a path out of it
    if (typeof f !== 'string' || !/^[^/\\\0]+$/.test(f) || f === '.' || f === '..') {
      throw new DatasetError(`${stateFile}: _data_files[${i}].filename must be a file name in the folder, got ${JSON.stringify(f)?.slice(0, 60)}; re-save the dataset`);
    }
    return join(dir, f);
  });
  if (!files.length) throw new DatasetError(`${stateFile}: lists no data files`);
  for (const f of files) if (!existsSync(f)) throw new DatasetError(`${f}: listed in state.json but missing; re-save the dataset`);
  const table = concatTables(files.map(openArrow), files);
  let features = table.features;
  if (info.features) {
    try {
      features = Features.fromJSON(info.features as Record<string, unknown>, `${infoFile} features`);
    } catch (e) {
      throw datasetErrorIn(`${infoFile} features`, e, 're-save the dataset');
    }
    const cols = [...table.features.keys()];
    if ([...features.keys()].join() !== cols.join()) throw new DatasetError(`${infoFile}: features ${pyRepr([...features.keys()])} don't match the Arrow columns ${pyRepr(cols)}; re-save the dataset`);
  }
  const dsInfo: DatasetInfo = {
    description: (info.description as string) ?? '', citation: (info.citation as string) ?? '', homepage: (info.homepage as string) ?? '', license: (info.license as string) ?? '',
    builderName: (info.builder_name as string) ?? null, configName: (info.config_name as string) ?? null, datasetName: (info.dataset_name as string) ?? null,
  };
  return new Dataset({ ...table, features, info: dsInfo, split: state._split ?? null, fingerprint: state._fingerprint, cacheDir: dir });
}

