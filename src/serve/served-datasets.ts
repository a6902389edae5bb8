// The dataset viewer's data: which datasets `hubtune serve` offers (save_to_disk folders, folders of
// data files or images, single data files, and the datasets of the Hub cache), loaded once each
// through src/datasets' loaders, and the JSON the viewer reads: splits, features (ClassLabel names),
// pages of rows, rows matching a search on a column, the distribution of a label column, and
// thumbnails of image cells. Requests name a dataset by id only; no part of a request is a path.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../datasets/load';
import type { Dataset } from '../datasets/dataset';
import type { DatasetDict } from '../datasets/dataset-dict';
import { ClassLabel, Image, Sequence, Value, featureToJSON, type FeatureType } from '../datasets/features';
import { decodeImage, isDecodedImage } from '../datasets/image';

export interface ServedDataset {
  id: string;
  /** A folder (save_to_disk, data files, image folder) or one data file. */
  path: string;
  source: 'folder' | 'file' | 'hub-cache';
  /** The served root it was found under (a path given to serve, or its Hub cache repo): no file outside it is read. */
  root?: string;
}

const DATA_EXT = new Set(['.parquet', '.csv', '.tsv', '.json', '.jsonl', '.arrow']);
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp', '.tif', '.tiff']);
const SPLIT_DIRS = /^(train|training|test|testing|eval|evaluation|valid|validation|dev|data)$/i;
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const isFile = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };
const isDataFile = (p: string) => DATA_EXT.has(extname(p).toLowerCase()) && isFile(p);

/** A folder `loadDataset(folder)` reads: save_to_disk output, data files, or split folders (data files or images). */
export function isDatasetFolder(dir: string): boolean {
  if (!isDir(dir)) return false;
  if (existsSync(join(dir, 'dataset_dict.json')) || existsSync(join(dir, 'state.json'))) return true;
  // Models, training runs and their checkpoints hold JSON files too: never datasets.
  if (existsSync(join(dir, 'config.json')) || existsSync(join(dir, 'trainer_state.json')) || existsSync(join(dir, 'log_history.jsonl'))) return false;
  let names: string[];
  try { names = readdirSync(dir); } catch { return false; }
  if (names.some((n) => isDataFile(join(dir, n)) && !/^(dataset_info|trainer_state|eval_predictions|hubtune_run|.*results)\.json$/.test(n))) return true;
  return names.some((n) => SPLIT_DIRS.test(n) && isDir(join(dir, n)) && hasDataOrImages(join(dir, n), 2));
}

function hasDataOrImages(dir: string, depth: number): boolean {
  let names: string[];
  try { names = readdirSync(dir); } catch { return false; }
  for (const n of names) {
    const p = join(dir, n);
    const ext = extname(n).toLowerCase();
    if ((DATA_EXT.has(ext) || IMAGE_EXT.has(ext)) && isFile(p)) return true;
    if (depth > 0 && isDir(p) && hasDataOrImages(p, depth - 1)) return true;
  }
  return false;
}

/** Datasets among the given paths: each path that is one, else its sub-folders and files that are. */
export function datasetsInPaths(paths: string[]): ServedDataset[] {
  const out: ServedDataset[] = [];
  for (const given of paths) {
    const p = resolve(given);
    let root: string;
    try { root = realpathSync(p); } catch { continue; }
    if (isDataFile(p)) { out.push({ id: basename(p, extname(p)), path: p, source: 'file', root }); continue; }
    if (!isDir(p)) continue;
    const names = readdirSync(p).sort();
    // A folder holding datasets (or models) is a folder of datasets, even with data files of its own beside them.
    const holdsDatasets = names.some((n) => isDatasetFolder(join(p, n)) || existsSync(join(p, n, 'config.json')));
    if (!holdsDatasets && isDatasetFolder(p)) { out.push({ id: basename(p), path: p, source: 'folder', root }); continue; }
    for (const name of names) {
      const sub = join(p, name);
      if (isDatasetFolder(sub)) out.push({ id: name, path: sub, source: 'folder', root });
      else if (isDataFile(sub) && !/^(trainer_state|eval_predictions|hubtune_run|.*results|config|.*_config|tokenizer.*|vocab|training_args|dataset_info)\.json$/.test(name)) out.push({ id: basename(name, extname(name)), path: sub, source: 'file', root });
    }
  }
  return out;
}

/** Datasets of a Hub cache folder (`datasets--org--name/snapshots/<refs/main>`). */
export function datasetsInHubCache(cacheDir: string): ServedDataset[] {
  if (!isDir(cacheDir)) return [];
  const out: ServedDataset[] = [];
  for (const name of readdirSync(cacheDir).sort()) {
    if (!name.startsWith('datasets--')) continue;
    let commit: string;
    try { commit = readFileSync(join(cacheDir, name, 'refs', 'main'), 'utf8').trim(); } catch { continue; }
    if (!/^[0-9a-f]{40}$/.test(commit)) continue;
    const dir = join(cacheDir, name, 'snapshots', commit);
    if (isDir(dir)) out.push({ id: name.slice('datasets--'.length).split('--').join('/'), path: dir, source: 'hub-cache', root: realpathSync(join(cacheDir, name)) });
  }
  return out;
}

/**
 * The first file under `path` (itself included) whose real path is outside `root`, relative to `path`
 * (a link, or a file in a linked folder); null when none. Images are left to the thumbnail route,
 * which refuses each one that is outside; any other file would be read into rows, so one outside
 * keeps the whole dataset from being served.
 */
export function linkOutOf(path: string, root: string, depth = 4): string | null {
  const within = (p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  let seen = 0;
  const check = (p: string, d: number): string | null => {
    if (++seen > 50_000) return null;
    let st;
    try { st = statSync(p); } catch { return null; } // a dangling link reads nothing
    if (st.isDirectory()) {
      if (d >= depth) return null;
      let names: string[];
      try { names = readdirSync(p); } catch { return null; }
      for (const n of names) { const hit = check(join(p, n), d + 1); if (hit) return hit; }
      return null;
    }
    if (IMAGE_EXT.has(extname(p).toLowerCase())) return null;
    try { return within(realpathSync(p)) ? null : p; } catch { return null; }
  };
  const hit = check(path, 0);
  return hit === null ? null : (hit === path ? basename(path) : hit.slice(path.length + 1));
}

export class DatasetRequestError extends Error {
  constructor(message: string, readonly status = 400) { super(message); this.name = 'DatasetRequestError'; }
}

/** A feature as the viewer shows it: featureToJSON's form (ClassLabel names included). */
export function featureJson(f: FeatureType): unknown { return featureToJSON(f); }

const MAX_PAGE = 100;
const MAX_STRING = 5000;

/** The datasets of a server, loaded on first use and kept. */
export class DatasetService {
  private loaded = new Map<string, Promise<DatasetDict>>();
  private searches = new Map<string, Promise<Uint32Array>>();
  constructor(readonly datasets: Map<string, ServedDataset>) {}

  list(): { id: string; source: string }[] {
    return [...this.datasets.values()].map((d) => ({ id: d.id, source: d.source }));
  }

  private async dict(id: string): Promise<DatasetDict> {
    const d = this.datasets.get(id);
    if (!d) throw new DatasetRequestError(`Dataset ${id} is not served here: see GET /api/datasets`, 404);
    let p = this.loaded.get(id);
    if (!p) {
      const out = d.root ? linkOutOf(d.path, d.root) : null;
      if (out) throw new DatasetRequestError(`Dataset ${id}: ${out} is a link out of the served folders, which hubtune serve does not follow: replace the link by the file, or serve the folder it points into`, 403);
      p = loadDataset(d.path) as Promise<DatasetDict>;
      this.loaded.set(id, p);
      // A dataset that failed to load is tried again on the next request (it may have been fixed).
      p.catch(() => this.loaded.delete(id));
    }
    return p;
  }

  /** The split (default the first) and its name (a Dataset's own `split` may be null). */
  private async split(id: string, split: string | null): Promise<[Dataset, string]> {
    const dd = await this.dict(id);
    const names = [...dd.keys()];
    const name = split ?? names[0];
    const ds = name !== undefined && names.includes(name) ? dd.get(name) : undefined;
    if (!ds) throw new DatasetRequestError(`Dataset ${id} has no split '${split}': its splits are ${names.join(', ')}`, 404);
    return [ds, name!];
  }

  /** Splits with their sizes, and the features (ClassLabel names, image columns). */
  async info(id: string): Promise<Record<string, unknown>> {
    const dd = await this.dict(id);
    const splits = [...dd.entries()].map(([name, ds]) => ({ name, num_rows: ds.numRows }));
    const first = [...dd.values()][0];
    const features: Record<string, unknown> = {};
    for (const [k, f] of first?.features ?? []) features[k] = featureJson(f);
    const cols = [...(first?.features ?? [])];
    return {
      id, source: this.datasets.get(id)!.source, splits, features,
      label_columns: cols.filter(([, f]) => f instanceof ClassLabel).map(([k]) => k),
      image_columns: cols.filter(([, f]) => f instanceof Image).map(([k]) => k),
    };
  }

  /**
   * A page of rows, optionally only those whose `column` matches `query` (a substring of a string, a
   * ClassLabel's name or id, a number equal to it; case-insensitive).
   */
  async rows(id: string, o: { split?: string | null; offset?: number; length?: number; column?: string | null; query?: string | null }): Promise<Record<string, unknown>> {
    const [ds, split] = await this.split(id, o.split ?? null);
    const offset = o.offset ?? 0;
    const length = o.length ?? 20;
    if (!Number.isInteger(offset) || offset < 0) throw new DatasetRequestError(`offset must be an integer >= 0, got ${o.offset}`);
    if (!Number.isInteger(length) || length < 1 || length > MAX_PAGE) throw new DatasetRequestError(`length must be an integer from 1 to ${MAX_PAGE}, got ${o.length}`);
    let indices: ArrayLike<number>;
    let matched = ds.numRows;
    if (o.query !== undefined && o.query !== null && o.query !== '') {
      const column = o.column ?? null;
      if (!column) throw new DatasetRequestError('a search needs the column to search in: add column=<name>');
      const all = await this.search(id, ds, split, column, o.query);
      matched = all.length;
      indices = all.subarray(offset, offset + length);
    } else {
      const end = Math.min(ds.numRows, offset + length);
      indices = Array.from({ length: Math.max(0, end - offset) }, (_, k) => offset + k);
    }
    const features = ds.features;
    const cols = ds.columnNames;
    const raw: Record<string, unknown[]> = {};
    await Promise.all(cols.map(async (c) => { raw[c] = indices.length ? await ds.storageColumn(c).take(indices) : []; }));
    const rows = Array.from(indices, (rowIdx, k) => {
      const row: Record<string, unknown> = {};
      for (const c of cols) row[c] = cellJson(features.get(c)!, raw[c]![k], { id, split, row: rowIdx, column: c });
      return { row_idx: rowIdx, row };
    });
    return { split, offset, length, num_rows_total: ds.numRows, num_rows_matched: matched, rows };
  }

  private search(id: string, ds: Dataset, split: string, column: string, query: string): Promise<Uint32Array> {
    const f = ds.features.get(column);
    if (!f) throw new DatasetRequestError(`column '${column}' is not in dataset ${id}: its columns are ${ds.columnNames.join(', ')}`);
    if (f instanceof Image) throw new DatasetRequestError(`column '${column}' holds images, which cannot be searched: pick a text, number or label column`);
    const key = JSON.stringify([id, split, column, query]);
    let p = this.searches.get(key);
    if (!p) {
      p = (async () => {
        const values = await ds.storageColumn(column).range(0, ds.numRows);
        const q = query.toLowerCase();
        const names = f instanceof ClassLabel ? f.names : null;
        const out: number[] = [];
        values.forEach((v, i) => {
          if (v === null || v === undefined) return;
          if (names) { if (String(v) === query || names[v as number]?.toLowerCase() === q) out.push(i); return; }
          if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') { if (String(v).toLowerCase() === q) out.push(i); return; }
          const s = typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? Number(x) : x);
          if (s?.toLowerCase().includes(q)) out.push(i);
        });
        return Uint32Array.from(out);
      })();
      if (this.searches.size > 64) this.searches.delete(this.searches.keys().next().value!);
      this.searches.set(key, p);
      p.catch(() => this.searches.delete(key));
    }
    return p;
  }

  /** Counts of each value of a label column (ClassLabel: every name, zero counts included); other columns: the 50 most frequent values. */
  async distribution(id: string, o: { split?: string | null; column?: string | null }): Promise<Record<string, unknown>> {
    const [ds, split] = await this.split(id, o.split ?? null);
    const features = ds.features;
    const column = o.column ?? [...features].find(([, f]) => f instanceof ClassLabel)?.[0];
    if (!column) throw new DatasetRequestError(`dataset ${id} has no ClassLabel column: add column=<name> to count another column's values`);
    const f = features.get(column);
    if (!f) throw new DatasetRequestError(`column '${column}' is not in dataset ${id}: its columns are ${ds.columnNames.join(', ')}`);
    if (f instanceof Image || f instanceof Sequence || !(f instanceof Value || f instanceof ClassLabel)) throw new DatasetRequestError(`column '${column}' is not a label, text or number column: its values cannot be counted`);
    const values = await ds.storageColumn(column).range(0, ds.numRows);
    if (f instanceof ClassLabel) {
      const counts = f.names.map(() => 0);
      let missing = 0;
      for (const v of values) { if (typeof v === 'number' && counts[v] !== undefined) counts[v]!++; else missing++; }
      return { split, column, num_rows: ds.numRows, labels: f.names.map((name, i) => ({ id: i, name, count: counts[i] })), missing };
    }
    const m = new Map<string, number>();
    for (const v of values) { const k = String(v); m.set(k, (m.get(k) ?? 0) + 1); }
    const top = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 50);
    return { split, column, num_rows: ds.numRows, values: top.map(([value, count]) => ({ value, count })), distinct: m.size };
  }

  /**
   * An image file is shown only from inside the served dataset's folder (its Hub-cache repo folder, whose
   * snapshot links point into blobs/): a link out of it is refused, like every path out of a served root.
   */
  private checkInside(id: string, file: string, row: number): void {
    const d = this.datasets.get(id)!;
    const root = d.source === 'hub-cache' ? dirname(dirname(d.path)) : d.source === 'file' ? dirname(d.path) : d.path;
    let real: string, realRoot: string;
    try { real = realpathSync(file); realRoot = realpathSync(root); } catch {
      throw new DatasetRequestError(`row ${row}'s image file of dataset ${id} cannot be read`, 404);
    }
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new DatasetRequestError(`row ${row}'s image of dataset ${id} links outside the served folder: not shown`, 403);
  }

  /** An image cell as a PNG at most `size` pixels on its longer side. */
  async thumbnail(id: string, o: { split?: string | null; row: number; column: string; size?: number }): Promise<Buffer> {
    const [ds, split] = await this.split(id, o.split ?? null);
    const f = ds.features.get(o.column);
    if (!(f instanceof Image)) throw new DatasetRequestError(`column '${o.column}' of dataset ${id} is not an Image column`);
    if (!Number.isInteger(o.row) || o.row < 0 || o.row >= ds.numRows) throw new DatasetRequestError(`row must be an integer from 0 to ${ds.numRows - 1}, got ${o.row}`);
    const size = o.size ?? 128;
    if (!Number.isInteger(size) || size < 8 || size > 512) throw new DatasetRequestError(`size must be an integer from 8 to 512, got ${o.size}`);
    const [cell] = await ds.storageColumn(o.column).take([o.row]);
    const file = (cell as { bytes?: unknown; path?: unknown } | null)?.bytes ? null : (cell as { path?: unknown } | null)?.path;
    if (typeof file === 'string') this.checkInside(id, file, o.row);
    const img = isDecodedImage(cell) ? cell : await decodeImage(cell as { bytes?: Uint8Array | null; path?: string | null }, { source: `${id} ${split} row ${o.row}, column '${o.column}'` });
    return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } })
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  }
}

function cellJson(f: FeatureType, v: unknown, where: { id: string; split: string; row: number; column: string }): unknown {
  if (v === null || v === undefined) return null;
  if (f instanceof Image) {
    const q = new URLSearchParams({ split: where.split, row: String(where.row), column: where.column });
    return { _type: 'Image', src: `/api/datasets/${where.id.split('/').map(encodeURIComponent).join('/')}/image?${q}` };
  }
  if (typeof v === 'string') return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map((x) => cellJson(f instanceof Sequence ? f.feature : f, x, where));
  if (typeof v === 'object') return JSON.parse(JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? `<${x.length} bytes>` : x));
  return v;
}

/** All served datasets by id; a later duplicate id gets a numeric suffix. */
export function servedDatasets(paths: string[], cacheDir: string | null): Map<string, ServedDataset> {
  const byId = new Map<string, ServedDataset>();
  for (const d of [...datasetsInPaths(paths), ...(cacheDir ? datasetsInHubCache(cacheDir) : [])]) {
    let id = d.id;
    for (let n = 2; byId.has(id); n++) id = `${d.id}-${n}`;
    byId.set(id, { ...d, id });
  }
  return byId;
}
