// Dataset.push_to_hub / DatasetDict.push_to_hub as Python `datasets` does it: parquet shards
// `<data_dir>/<split>-0000K-of-0000N.parquet` (data_dir `data` for the default config, else the
// config name) with the features in the parquet `huggingface` metadata, and a README.md whose YAML
// has `dataset_info` (features, splits with num_bytes/num_examples, download_size, dataset_size)
// and `configs` (data_files per split), merged into the repo's existing card. One commit, which
// also deletes the split's old shards.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Dataset } from '../datasets/dataset';
import type { DatasetDict } from '../datasets/dataset-dict';
import { ClassLabel, Features, Image, Sequence, Value, isFeatureDict, type FeatureType } from '../datasets/features';
import { writeParquet } from '../datasets/parquet';
import { hfHubDownload, type UploadFileSource } from '../hub/index';
import { commitChanges, listRepoFiles } from './commit';
import { ensureRepo, PushToHubError, type PushResult } from './push';

export interface PushDatasetOptions {
  /** Config name (default `default`; `data` is reserved). */
  configName?: string;
  /** Split name for a single Dataset. Default: its split, else `train`. */
  split?: string;
  /** Folder in the repo. Default `data` for the default config, else the config name. */
  dataDir?: string;
  /** Create the repo private (only when it does not exist yet). */
  private?: boolean;
  token?: string;
  /** Default "Upload dataset". */
  commitMessage?: string;
  commitDescription?: string;
  revision?: string;
  createPr?: boolean;
  /** Largest shard (bytes of Arrow data), a number or "500MB"/"1GiB". Default 500MB. */
  maxShardSize?: number | string;
  /** Exact number of shards per split (instead of maxShardSize). */
  numShards?: number;
  endpoint?: string;
}

const SPLIT_RE = /^\w+(\.\w+)*$/;
const MAX_SHARD_SIZE = 500_000_000;

/** huggingface_hub's convert_file_size_to_int: "500MB" -> 500e6, "1GiB" -> 2^30, "5Gb" -> bits / 8. */
export function parseFileSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!(size > 0)) throw new PushToHubError(`maxShardSize must be a positive number of bytes, got ${size}`);
    return Math.floor(size);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?)?([Bb])?\s*$/.exec(size);
  if (!m) throw new PushToHubError(`maxShardSize "${size}" is not a size: use bytes or a string like "500MB" or "1GiB"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const mult: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, KI: 2 ** 10, MI: 2 ** 20, GI: 2 ** 30, TI: 2 ** 40 };
  const bytes = n * mult[unit];
  return Math.floor(m[3] === 'b' && unit ? bytes / 8 : bytes);
}

// ------------------------------------------------------------------------------------------------
// Features in the README YAML form (datasets' Features._to_yaml_list)

type Yaml = Record<string, unknown>;

function toYamlInner(f: FeatureType): Yaml {
  if (f instanceof Value) return { dtype: f.dtype };
  if (f instanceof ClassLabel) return { dtype: { class_label: { names: Object.fromEntries(f.names.map((n, i) => [String(i), n])) } } };
  if (f instanceof Image) {
    const o: Yaml = {};
    if (f.mode) o.mode = f.mode;
    if (!f.decode) o.decode = false;
    return Object.keys(o).length ? { dtype: { image: o } } : { dtype: 'image' };
  }
  if (f instanceof Sequence) {
    const inner = toYamlInner(f.feature);
    const keys = Object.keys(inner);
    const seq = keys.length === 1 && keys[0] === 'dtype' ? inner.dtype : keys.length === 1 && keys[0] === 'struct' ? inner.struct : inner;
    return f.length === -1 ? { sequence: seq } : { sequence: seq, length: f.length };
  }
  if (isFeatureDict(f)) return { struct: Object.entries(f).map(([name, v]) => ({ name, ...toYamlInner(v) })) };
  throw new PushToHubError(`cannot write feature ${String(f)} to the dataset card`);
}

/** The `dataset_info.features` list of a README (what Features.fromYamlList reads back). */
export function featuresToYamlList(features: Features): Yaml[] {
  return [...features].map(([name, f]) => ({ name, ...toYamlInner(f) }));
}

// ------------------------------------------------------------------------------------------------
// Arrow size estimate (datasets' _estimate_nbytes: the Arrow buffers of the table)

const WIDTH: Record<string, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, float16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8 };

function byteLen(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (v instanceof Uint8Array) return v.byteLength;
  return Buffer.byteLength(String(v));
}

function nbytes(f: FeatureType, values: unknown[]): number {
  const n = values.length;
  const validity = values.some((v) => v === null || v === undefined) ? Math.ceil(n / 8) : 0;
  if (f instanceof Value) {
    if (f.dtype === 'bool') return Math.ceil(n / 8) + validity;
    if (f.dtype === 'null') return 0;
    const w = WIDTH[f.dtype];
    if (w) return w * n + validity;
    const off = f.dtype.startsWith('large_') ? 8 : 4;
    if (f.isString || f.isBinary) return off * (n + 1) + values.reduce<number>((s, v) => s + byteLen(v), 0) + validity;
    return 8 * n + validity; // timestamps, dates, decimals
  }
  if (f instanceof ClassLabel) return 8 * n + validity;
  if (f instanceof Image) {
    const b = values.map((v) => (v as { bytes?: unknown } | null)?.bytes ?? null);
    const p = values.map((v) => (v as { path?: unknown } | null)?.path ?? null);
    return nbytes(new Value('binary'), b) + nbytes(new Value('string'), p) + validity;
  }
  if (f instanceof Sequence) {
    const flat = values.flatMap((v) => (Array.isArray(v) ? v : v && typeof v === 'object' && ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : []));
    return 4 * (n + 1) + nbytes(f.feature, flat) + validity;
  }
  if (isFeatureDict(f)) {
    return Object.entries(f).reduce((s, [k, sub]) => s + nbytes(sub, values.map((v) => (v as Record<string, unknown> | null)?.[k] ?? null)), validity);
  }
  return 0;
}

async function storageBatch(ds: Dataset, start: number, end: number): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const c of ds.columnNames) out[c] = await ds.storageColumn(c).range(start, end);
  return out;
}

const ROWS_PER_SIZE_READ = 10_000;

/** Estimated Arrow bytes of the dataset's storage (what `num_bytes`/`dataset_size` report). */
export async function estimateNbytes(ds: Dataset): Promise<number> {
  const features = ds.features;
  let total = 0;
  for (let s = 0; s < ds.numRows; s += ROWS_PER_SIZE_READ) {
    const e = Math.min(ds.numRows, s + ROWS_PER_SIZE_READ);
    const b = await storageBatch(ds, s, e);
    for (const [name, f] of features) total += nbytes(f, b[name]);
  }
  return total;
}

// ------------------------------------------------------------------------------------------------
// Shards

interface SplitUpload {
  split: string;
  files: UploadFileSource[];
  uploadedSize: number;
  nbytes: number;
  numExamples: number;
}

async function writeShards(ds: Dataset, split: string, dataDir: string, tmp: string, o: PushDatasetOptions): Promise<SplitUpload> {
  const dsBytes = await estimateNbytes(ds);
  let numShards: number;
  if (o.numShards !== undefined) {
    if (o.maxShardSize !== undefined) throw new PushToHubError('give maxShardSize or numShards, not both');
    if (!Number.isInteger(o.numShards) || o.numShards < 1) throw new PushToHubError(`numShards must be a positive integer, got ${o.numShards}`);
    numShards = o.numShards;
  } else {
    numShards = Math.floor(dsBytes / parseFileSize(o.maxShardSize ?? MAX_SHARD_SIZE)) + 1;
  }
  numShards = Math.max(1, Math.min(numShards, Math.max(1, ds.numRows)));
  const pad = (x: number) => String(x).padStart(5, '0');
  const files: UploadFileSource[] = [];
  let uploadedSize = 0;
  const features = ds.features;
  for (let k = 0; k < numShards; k++) {
    // contiguous shards (datasets' shard(contiguous=True))
    const base = Math.floor(ds.numRows / numShards);
    const extra = ds.numRows % numShards;
    const s = k * base + Math.min(k, extra);
    const e = s + base + (k < extra ? 1 : 0);
    const name = `${split}-${pad(k)}-of-${pad(numShards)}.parquet`;
    const local = join(tmp, `${dataDir.replace(/\//g, '__')}__${name}`);
    writeParquet(local, features, await storageBatch(ds, s, e));
    uploadedSize += statSync(local).size;
    files.push({ path: `${dataDir}/${name}`, localPath: local });
  }
  return { split, files, uploadedSize, nbytes: dsBytes, numExamples: ds.numRows };
}

// ------------------------------------------------------------------------------------------------
// README card data (DatasetInfosDict / MetadataConfigs .to_dataset_card_data)

interface SplitInfoYaml { name: string; num_bytes: number; num_examples: number }
interface InfoYaml { config_name?: string; features?: Yaml[]; splits?: SplitInfoYaml[]; download_size?: number; dataset_size?: number; [k: string]: unknown }

/** Splits a README into its parsed front matter (a plain object) and its body. */
export function parseCard(text: string): { data: Record<string, unknown>; body: string } {
  const m = /^---\s*\n([\s\S]*?)\n?---\s*(?:\n|$)/.exec(text);
  if (!m) return { data: {}, body: text };
  let data: unknown;
  try {
    data = parse(m[1], { version: '1.1' }) ?? {};
  } catch (e) {
    throw new PushToHubError(`the repo's README.md has invalid YAML front matter (${(e as Error).message.split('\n')[0]}): fix it on the Hub, then push again`);
  }
  if (typeof data !== 'object' || Array.isArray(data)) data = {};
  return { data: data as Record<string, unknown>, body: text.slice(m[0].length) };
}

/** YAML as PyYAML's yaml.dump(sort_keys=False) writes it (block style, unindented lists). */
export function dumpCardData(data: Record<string, unknown>): string {
  return stringify(data, { indentSeq: false, lineWidth: 0, singleQuote: true }).trimEnd();
}

function infosByConfig(data: Record<string, unknown>): Map<string, InfoYaml> {
  const raw = data.dataset_info;
  const m = new Map<string, InfoYaml>();
  if (Array.isArray(raw)) for (const i of raw as InfoYaml[]) m.set(String(i.config_name ?? 'default'), { ...i });
  else if (raw && typeof raw === 'object') m.set(String((raw as InfoYaml).config_name ?? 'default'), { ...(raw as InfoYaml) });
  return m;
}

function setInfos(data: Record<string, unknown>, infos: Map<string, InfoYaml>): void {
  const entries = [...infos].map(([name, i]) => {
    const { config_name: _drop, ...rest } = i;
    return [name, rest] as const;
  });
  if (entries.length === 1) {
    const [name, rest] = entries[0];
    data.dataset_info = name === 'default' ? rest : { config_name: name, ...rest };
  } else {
    data.dataset_info = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, rest]) => ({ config_name: name, ...rest }));
  }
}

type DataFilesYaml = Array<{ split: string; path: string | string[] }>;

function configsByName(data: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  if (Array.isArray(data.configs)) for (const c of data.configs as Record<string, unknown>[]) m.set(String(c.config_name ?? 'default'), { ...c });
  return m;
}

function dataFilesOf(cfg: Record<string, unknown> | undefined): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  const raw = cfg?.data_files;
  if (typeof raw === 'string') out.set('train', raw);
  else if (Array.isArray(raw)) {
    if (raw.every((x) => typeof x === 'string')) out.set('train', raw as string[]);
    else for (const x of raw as DataFilesYaml) out.set(x.split ?? 'train', x.path);
  } else if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) out.set(k, v as string | string[]);
  return out;
}

function setConfig(data: Record<string, unknown>, name: string, cfg: Record<string, unknown>): void {
  const all = configsByName(data);
  all.set(name, cfg);
  data.configs = [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, c]) => {
    const { config_name: _drop, ...rest } = c;
    return { config_name: n, ...rest };
  });
}

// ------------------------------------------------------------------------------------------------
// The push

function checkNames(configName: string, splits: string[]): void {
  if (configName === 'data') throw new PushToHubError('configName cannot be "data" (reserved for the default config folder): choose another config name');
  if (!/^[\w.-]+$/.test(configName)) throw new PushToHubError(`configName "${configName}" must use letters, digits, "_", "-" and "."`);
  for (const s of splits) if (!SPLIT_RE.test(s)) throw new PushToHubError(`split name "${s}" should match ${SPLIT_RE.source} (letters, digits and "_", dot-separated)`);
}

async function readRepoCard(repoId: string, o: PushDatasetOptions, has: boolean): Promise<{ data: Record<string, unknown>; body: string } | null> {
  if (!has) return null;
  const cache = mkdtempSync(join(tmpdir(), 'hubtune-card-'));
  try {
    const p = await hfHubDownload({ repoId, repoType: 'dataset', filename: 'README.md', revision: o.revision, cacheDir: cache, token: o.token, endpoint: o.endpoint, forceDownload: true });
    return parseCard(readFileSync(p, 'utf8'));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function featuresKey(f: Yaml[] | undefined): string {
  return JSON.stringify(f ?? null);
}

async function pushSplits(datasets: Array<[string, Dataset]>, repoIdIn: string, o: PushDatasetOptions, mode: 'dataset' | 'dict'): Promise<PushResult> {
  const configName = o.configName ?? 'default';
  checkNames(configName, datasets.map(([s]) => s));
  if (datasets.length === 0) throw new PushToHubError(`nothing to push to ${repoIdIn}: the DatasetDict has no splits`);
  const featuresYaml = featuresToYamlList(datasets[0][1].features);
  for (const [s, d] of datasets.slice(1)) {
    if (featuresKey(featuresToYamlList(d.features)) !== featuresKey(featuresYaml)) {
      throw new PushToHubError(`split "${s}" has features ${d.features} but "${datasets[0][0]}" has ${datasets[0][1].features}: cast them to the same features before pushing`);
    }
  }
  const repo = await ensureRepo(repoIdIn, { token: o.token, endpoint: o.endpoint, private: o.private, repoType: 'dataset', what: 'the dataset' });
  const repoId = repo.repoId;
  const dataDir = o.dataDir ?? (configName === 'default' ? 'data' : configName);
  const tmp = mkdtempSync(join(tmpdir(), 'hubtune-dspush-'));
  try {
    const uploads: SplitUpload[] = [];
    for (const [split, ds] of datasets) uploads.push(await writeShards(ds, split, dataDir, tmp, o));
    const adding = new Set(uploads.flatMap((u) => u.files.map((f) => f.path)));

    let existing: Array<{ path: string; size: number }> = [];
    try {
      existing = await listRepoFiles({ repoId, repoType: 'dataset', revision: o.revision, token: o.token, endpoint: o.endpoint });
    } catch (err) {
      throw new PushToHubError(`could not list the files of dataset ${repoId}: ${(err as Error).message}`, { cause: err, status: (err as { status?: number }).status });
    }
    const prefixes = uploads.map((u) => `${dataDir}/${u.split}-`);
    const deletions = existing.filter((f) => prefixes.some((p) => f.path.startsWith(p)) && !adding.has(f.path));
    const deletedSize = deletions.reduce((s, f) => s + f.size, 0);
    const card = await readRepoCard(repoId, o, existing.some((f) => f.path === 'README.md'));
    const data = card?.data ?? {};

    // dataset_info for this config
    const uploaded = uploads.reduce((s, u) => s + u.uploadedSize, 0);
    const nbytesAll = uploads.reduce((s, u) => s + u.nbytes, 0);
    const infos = infosByConfig(data);
    const splitsYaml = (us: SplitUpload[]): SplitInfoYaml[] => us.map((u) => ({ name: u.split, num_bytes: u.nbytes, num_examples: u.numExamples }));
    let info: InfoYaml = { features: featuresYaml, splits: splitsYaml(uploads), download_size: uploaded, dataset_size: nbytesAll };
    const repoInfo = infos.get(configName);
    if (mode === 'dataset' && repoInfo && Array.isArray(repoInfo.splits) && !(repoInfo.splits.length === 1 && repoInfo.splits[0].name === uploads[0].split)) {
      if (featuresKey(repoInfo.features as Yaml[]) !== featuresKey(featuresYaml)) {
        throw new PushToHubError(`the features of split "${uploads[0].split}" (${datasets[0][1].features}) don't match those of the splits already in ${repoId} (config "${configName}"): cast them to the same features`);
      }
      const old = repoInfo.splits.find((s) => s.name === uploads[0].split);
      let download = (repoInfo.download_size ?? 0) - (old ? deletedSize : 0) + uploaded;
      let size = (repoInfo.dataset_size ?? 0) - (old?.num_bytes ?? 0) + nbytesAll;
      download = Math.max(0, download);
      size = Math.max(0, size);
      info = { ...repoInfo, splits: [...repoInfo.splits.filter((s) => s.name !== uploads[0].split), ...splitsYaml(uploads)], download_size: download, dataset_size: size };
      delete info.config_name;
    }
    infos.set(configName, info);

    // configs / data_files
    const configs = configsByName(data);
    // a repo pushed before metadata configs existed: describe its data/ shards first
    if (configs.size === 0) {
      const old = [...new Set(existing.map((f) => /^data\/([^/]+?)-\d{5}-of-\d{5}\.parquet$/.exec(f.path)?.[1]).filter((s): s is string => !!s))];
      if (old.length && !(configName === 'default')) setConfig(data, 'default', { data_files: old.map((s) => ({ split: s, path: `data/${s}-*` })) });
    }
    let files = new Map<string, string | string[]>();
    if (mode === 'dataset') files = dataFilesOf(configs.get(configName));
    // (an existing split keeps its place, as a Python dict assignment does)
    for (const u of uploads) files.set(u.split, `${dataDir}/${u.split}-*`);
    const cfg: Record<string, unknown> = { ...(configs.get(configName) ?? {}) };
    delete cfg.config_name;
    cfg.data_files = [...files].map(([split, path]) => ({ split, path: Array.isArray(path) && path.length === 1 ? path[0] : path }));

    // write: dataset_info first, then configs (datasets' order for a new card)
    setInfos(data, infos);
    setConfig(data, configName, cfg);
    const body = card?.body ?? '';
    const readme = `---\n${dumpCardData(data)}\n---\n${body}`;

    const add: UploadFileSource[] = [...uploads.flatMap((u) => u.files), { path: 'README.md', content: readme }];
    try {
      const c = await commitChanges({
        repoId, repoType: 'dataset', add, delete: deletions.map((f) => f.path),
        commitMessage: o.commitMessage ?? 'Upload dataset', commitDescription: o.commitDescription,
        revision: o.revision, createPr: o.createPr, token: o.token, endpoint: o.endpoint,
      });
      return { ...c, repoId, repoUrl: repo.repoUrl };
    } catch (err) {
      throw new PushToHubError(`could not push the dataset to ${repoId}: ${(err as Error).message}`, { cause: err, status: (err as { status?: number }).status });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `dataset.pushToHub(repoId, opts)`: one split as parquet shards + README.md, one commit. */
export function pushDatasetToHub(ds: Dataset, repoId: string, opts: PushDatasetOptions = {}): Promise<PushResult> {
  const split = opts.split ?? (ds.split ? String(ds.split) : 'train');
  return pushSplits([[split, ds]], repoId, opts, 'dataset');
}

/** `datasetDict.pushToHub(repoId, opts)`: every split as parquet shards + README.md, one commit. */
export function pushDatasetDictToHub(dd: DatasetDict, repoId: string, opts: Omit<PushDatasetOptions, 'split'> = {}): Promise<PushResult> {
  return pushSplits([...dd.entries()], repoId, opts, 'dict');
}
