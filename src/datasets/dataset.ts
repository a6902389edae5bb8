// Dataset: columnar, lazily read rows with Python `datasets` semantics (map/filter/select/shuffle/
// trainTestSplit/withTransform...). Storage values stay encoded (images as {bytes, path}); they are
// decoded per access, and transforms run on access, never stored.
import { existsSync, mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { replaceFile, writeFileAtomicSync } from '../util/atomic-file';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ArrayColumn, TakeColumn, type Column } from './columns';
import {
  ClassLabel, Features, Image, Sequence, Value, decodeColumn, encodeColumnAsync, encodeValue, featureRepr, inferFeature, isFeatureDict,
  needsDecode, valuesFit, type FeatureType,
} from './features';
import { openArrow, writeArrowFileStreaming } from './arrow';
import { writeParquet } from './parquet';
import { hashParts, randomFingerprint, updateFingerprint } from './fingerprint';
import { pyRepr } from './pyrepr';
import { defaultRng, type Generator } from './rng';
import { DatasetDict } from './dataset-dict';
import { IterableDataset } from './iterable-dataset';

/** A row, as Python's dict of mixed values (values typed `any`, like Python's). */
export type Row = Record<string, any>;
/** A batch: a dict of columns, one value per row. */
export type Batch = Record<string, any[]>;
/**
 * A withTransform/setTransform function: a batch (dict of columns) in, a dict of columns out. A column
 * may be a list (one value per row) or one batched tensor/array whose first dimension is the rows, as
 * `processor(images, {returnTensors: 'pt'})` gives: rows read from the dataset then get one slice each.
 */
export type TransformFn = (batch: Batch) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface DatasetInfo {
  description?: string;
  citation?: string;
  homepage?: string;
  license?: string;
  builderName?: string | null;
  configName?: string | null;
  datasetName?: string | null;
  [key: string]: unknown;
}

interface Transform { fn: TransformFn; columns: string[] | null; outputAllColumns: boolean }

export interface DatasetInit {
  columns: Map<string, Column>;
  numRows: number;
  features: Features;
  info?: DatasetInfo;
  split?: string | null;
  fingerprint?: string;
  /** Folder for map cache files (null: no caching, like in-memory datasets in Python). */
  cacheDir?: string | null;
  transform?: Transform | null;
  skippedRows?: number[];
}

export interface MapOptions {
  batched?: boolean;
  /** Rows per batch (default 1000); <= 0 means the whole dataset in one batch. */
  batchSize?: number | null;
  withIndices?: boolean;
  removeColumns?: string | string[];
  /** Pass only these columns (as separate arguments, like Python's input_columns). */
  inputColumns?: string | string[];
  /** Features of the output columns (otherwise inferred, keeping existing features that still fit). */
  features?: Features;
  loadFromCacheFile?: boolean;
  newFingerprint?: string;
  /** Skip rows whose stored data fails to decode (e.g. corrupt images) instead of failing; see `skippedRows`. */
  skipDecodeErrors?: boolean;
  desc?: string;
  /** Rows per Arrow record batch in the cache file (default 1000). */
  writerBatchSize?: number;
}

export interface FilterOptions { batched?: boolean; batchSize?: number | null; withIndices?: boolean; inputColumns?: string | string[] }

function asList(x: string | string[] | undefined | null): string[] {
  return x === undefined || x === null ? [] : typeof x === 'string' ? [x] : x;
}

const ROWS_PER_READ = 1000;

export class Dataset {
  private readonly _columns: Map<string, Column>;
  private readonly _numRows: number;
  private readonly _features: Features;
  private _transform: Transform | null;
  readonly info: DatasetInfo;
  readonly split: string | null;
  readonly fingerprint: string;
  readonly cacheDir: string | null;
  /** Rows (positions in the input of the last map with skipDecodeErrors) that were skipped. */
  readonly skippedRows: number[];

  constructor(init: DatasetInit) {
    this._columns = init.columns;
    this._numRows = init.numRows;
    this._features = init.features;
    this._transform = init.transform ?? null;
    this.info = init.info ?? {};
    this.split = init.split ?? null;
    this.fingerprint = init.fingerprint ?? randomFingerprint();
    this.cacheDir = init.cacheDir ?? null;
    this.skippedRows = init.skippedRows ?? [];
    for (const name of this._features.keys()) {
      if (!this._columns.has(name)) throw new Error(`internal: feature '${name}' has no column`);
    }
    return new Proxy(this, rowAccess);
  }

  // ------------------------------------------------------------------ construction

  /** Python's Dataset.from_dict: columns of equal length; values are checked against `features`. */
  static fromDict(mapping: Record<string, ArrayLike<unknown>>, params: { features?: Features; info?: DatasetInfo; split?: string | null } = {}): Dataset {
    const names = params.features ? [...params.features.keys()] : Object.keys(mapping);
    const lengths = new Set(Object.values(mapping).map((v) => v.length));
    if (lengths.size > 1) {
      throw new Error(`fromDict: columns have different lengths (${Object.entries(mapping).map(([k, v]) => `${k}: ${v.length}`).join(', ')}); give every column the same number of rows`);
    }
    const numRows = lengths.size ? [...lengths][0] : 0;
    const features = new Features();
    const columns = new Map<string, Column>();
    for (const name of names) {
      const vals = mapping[name];
      if (!vals) throw new Error(`fromDict: column '${name}' is in features but not in the data`);
      const arr = Array.from(vals);
      const f = params.features?.get(name) ?? inferFeature(arr, name);
      features.set(name, f);
      columns.set(name, new ArrayColumn(arr.map((v, i) => encodeValue(f, v, `column '${name}' row ${i}`))));
    }
    return new Dataset({ columns, numRows, features, info: params.info, split: params.split ?? null, fingerprint: hashParts('fromDict', mapping) });
  }

  /** Python's Dataset.from_list: a list of row objects. */
  static fromList(rows: Row[], params: { features?: Features; info?: DatasetInfo; split?: string | null } = {}): Dataset {
    const names = params.features ? [...params.features.keys()] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const mapping: Record<string, unknown[]> = {};
    for (const n of names) mapping[n] = rows.map((r) => r[n] ?? null);
    return Dataset.fromDict(mapping, params);
  }

  // ------------------------------------------------------------------ properties

  get numRows(): number { return this._numRows; }
  get numColumns(): number { return this._features.size; }
  get columnNames(): string[] { return [...this._features.keys()]; }
  get shape(): [number, number] { return [this._numRows, this._features.size]; }
  get features(): Features { return this._features.copy(); }
  /** The active transform (set by withTransform/setTransform), or null. */
  get format(): { type: 'custom' | null; columns: string[]; outputAllColumns: boolean; transform: TransformFn | null } {
    return { type: this._transform ? 'custom' : null, columns: this._transform?.columns ?? this.columnNames, outputAllColumns: this._transform?.outputAllColumns ?? false, transform: this._transform?.fn ?? null };
  }

  private derive(changes: Partial<DatasetInit>): Dataset {
    return new Dataset({
      columns: this._columns, numRows: this._numRows, features: this._features, info: this.info, split: this.split,
      fingerprint: this.fingerprint, cacheDir: this.cacheDir, transform: this._transform, ...changes,
    });
  }

  /** @internal The storage column (used by concatenateDatasets). */
  storageColumn(name: string): Column {
    this.checkColumns([name], 'storageColumn');
    return this._columns.get(name)!;
  }

  private where(): string { return this.split ? `${this.split} ` : ''; }

  private checkColumns(cols: string[], op: string): void {
    const missing = cols.filter((c) => !this._features.has(c));
    if (missing.length) throw new Error(`${op}: column ${pyRepr(missing)} not in the dataset; current columns: ${pyRepr(this.columnNames)}`);
  }

  // ------------------------------------------------------------------ reading

  private normIndex(i: number): number {
    if (!Number.isInteger(i)) throw new TypeError(`row index must be an integer, got ${i}`);
    const j = i < 0 ? this._numRows + i : i;
    if (j < 0 || j >= this._numRows) {
      throw new RangeError(`row index ${i} is out of range for a dataset of ${this._numRows} rows (use 0..${this._numRows - 1}, or negative from the end)`);
    }
    return j;
  }

  /** Storage values of `cols` at positions (or a [start, end) range). */
  private async readStorage(cols: string[], rows: ArrayLike<number> | { start: number; end: number }): Promise<Batch> {
    const out: Batch = {};
    await Promise.all(cols.map(async (c) => {
      const col = this._columns.get(c)!;
      out[c] = 'start' in rows ? await col.range(rows.start, rows.end) : await col.take(rows);
    }));
    return out;
  }

  /** Decoded values (images decoded) of `cols` at the rows. */
  private async readDecoded(cols: string[], rows: ArrayLike<number> | { start: number; end: number }): Promise<Batch> {
    const raw = await this.readStorage(cols, rows);
    const rowAt = (k: number): number => ('start' in rows ? rows.start + k : rows[k]);
    for (const c of cols) {
      const f = this._features.get(c)!;
      if (needsDecode(f)) raw[c] = await decodeColumn(f, raw[c], (k) => `${this.where()}row ${rowAt(k)}, column '${c}'`);
    }
    return raw;
  }

  /** A batch as the user sees it: decoded, then through the transform if one is set. */
  private async readFormatted(rows: ArrayLike<number> | { start: number; end: number }, perRow = true): Promise<Batch> {
    const t = this._transform;
    if (!t) return this.readDecoded(this.columnNames, rows);
    const cols = t.columns ?? this.columnNames;
    const batch = await this.readDecoded(cols, rows);
    const out = await t.fn(batch);
    if (!out || typeof out !== 'object') throw new Error('withTransform: the transform must return a dict of columns (lists), got ' + typeof out);
    if (t.outputAllColumns) {
      const rest = this.columnNames.filter((c) => !cols.includes(c) && !(c in out));
      if (rest.length) Object.assign(out, await this.readDecoded(rest, rows));
    }
    if (perRow) {
      const n = 'start' in rows ? rows.end - rows.start : rows.length;
      for (const [k, v] of Object.entries(out)) out[k] = splitBatchedColumn(v, n, k);
    }
    return out as Batch;
  }

  /** One row (Python's `ds[i]`); negative indices count from the end. Applies the transform. */
  async get(i: number): Promise<Row> {
    const j = this.normIndex(i);
    const batch = await this.readFormatted([j]);
    return unbatchRow(batch, !!this._transform);
  }

  /** Rows at `indices` as a dict of columns, transform applied (what a data loader needs). */
  async getBatch(indices: ArrayLike<number>): Promise<Batch> {
    const idx = new Uint32Array(indices.length);
    for (let k = 0; k < indices.length; k++) idx[k] = this.normIndex(indices[k]);
    return this.readFormatted(idx);
  }

  /**
   * Python's `ds[start:end]`: a dict of columns (Python slice semantics: negative and out-of-range bounds
   * clamp). With a transform, its output as returned (a batched tensor stays one tensor).
   */
  async slice(start?: number | null, end?: number | null): Promise<Batch> {
    const [s, e] = sliceBounds(this._numRows, start, end);
    return this.readFormatted({ start: s, end: Math.max(s, e) }, false);
  }

  /** Python's `ds["column"]`: every value of a column, decoded (no transform). */
  async column(name: string): Promise<any[]> {
    this.checkColumns([name], 'column');
    return (await this.readDecoded([name], { start: 0, end: this._numRows }))[name];
  }

  /** Iterates rows (decoded, transform applied), reading `batchSize` rows at a time. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Row> {
    for await (const batch of this.iter({ batchSize: ROWS_PER_READ })) {
      const n = batchLength(batch);
      for (let k = 0; k < n; k++) {
        const row: Row = {};
        for (const key of Object.keys(batch)) row[key] = batch[key][k];
        yield row;
      }
    }
  }

  /** Python's `ds.iter(batch_size)`: batches (dicts of columns). */
  async *iter(params: { batchSize: number; dropLastBatch?: boolean }): AsyncGenerator<Batch> {
    const bs = params.batchSize;
    if (!(bs > 0)) throw new Error(`iter: batchSize must be positive, got ${bs}`);
    for (let s = 0; s < this._numRows; s += bs) {
      const e = Math.min(this._numRows, s + bs);
      if (params.dropLastBatch && e - s < bs) break;
      yield await this.readFormatted({ start: s, end: e });
    }
  }

  /** All rows as objects (decoded). Mind the memory on big datasets. */
  async toList(): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const r of this) rows.push(r);
    return rows;
  }

  /** All columns (decoded). */
  async toDict(): Promise<Batch> { return this.slice(0, this._numRows); }

  // ------------------------------------------------------------------ transforms (new datasets)

  /** Python's with_transform: a new dataset whose rows pass through `transform` (a batch -> batch function) on access. */
  withTransform(transform: TransformFn | null, params: { columns?: string[] | null; outputAllColumns?: boolean } = {}): Dataset {
    if (params.columns) this.checkColumns(params.columns, 'withTransform');
    return this.derive({ transform: transform ? { fn: transform, columns: params.columns ?? null, outputAllColumns: params.outputAllColumns ?? false } : null });
  }

  /** Python's set_transform: like withTransform, but changes this dataset in place. */
  setTransform(transform: TransformFn | null, params: { columns?: string[] | null; outputAllColumns?: boolean } = {}): void {
    if (params.columns) this.checkColumns(params.columns, 'setTransform');
    this._transform = transform ? { fn: transform, columns: params.columns ?? null, outputAllColumns: params.outputAllColumns ?? false } : null;
  }

  resetFormat(): void { this._transform = null; }

  /** Python's select: rows at `indices`, in that order (no data copied). */
  select(indices: Iterable<number> | ArrayLike<number>): Dataset {
    const arr = Uint32Array.from(indices as Iterable<number>, (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= this._numRows) {
        throw new RangeError(`select: index ${i} is out of range for a dataset of ${this._numRows} rows`);
      }
      return i;
    });
    return this.take(arr, updateFingerprint(this.fingerprint, 'select', hashParts(arr)));
  }

  private take(indices: Uint32Array, fingerprint: string): Dataset {
    const columns = new Map<string, Column>();
    for (const [k, c] of this._columns) if (this._features.has(k)) columns.set(k, new TakeColumn(c, indices));
    return this.derive({ columns, numRows: indices.length, fingerprint });
  }

  /** Python's shuffle: a seeded permutation of the rows (same seed, same order). */
  shuffle(params: { seed?: number | null; generator?: Generator } = {}): Dataset {
    const gen = params.generator ?? defaultRng(params.seed);
    const perm = gen.permutation(this._numRows);
    return this.take(perm, updateFingerprint(this.fingerprint, 'shuffle', params.seed ?? hashParts(perm)));
  }

  /** Python's train_test_split (sizes, rounding, shuffle and stratification as in `datasets`). */
  async trainTestSplit(params: { testSize?: number | null; trainSize?: number | null; shuffle?: boolean; seed?: number | null; stratifyByColumn?: string | null; generator?: Generator } = {}): Promise<DatasetDict> {
    const n = this._numRows;
    if (n === 0) return new DatasetDict({ train: this, test: this });
    let { testSize = null, trainSize = null } = params;
    if (testSize === null && trainSize === null) testSize = 0.25;
    const isFloat = (x: number | null): boolean => x !== null && !Number.isInteger(x);
    const bad = (x: number | null): boolean => x !== null && (isFloat(x) ? x <= 0 || x >= 1 : x <= 0 || x >= n);
    if (bad(testSize)) throw new Error(`trainTestSplit: testSize=${testSize} should be either positive and smaller than the number of samples ${n} or a float in the (0, 1) range`);
    if (bad(trainSize)) throw new Error(`trainTestSplit: trainSize=${trainSize} should be either positive and smaller than the number of samples ${n} or a float in the (0, 1) range`);
    if (isFloat(testSize) && isFloat(trainSize) && testSize! + trainSize! > 1) throw new Error(`trainTestSplit: testSize + trainSize = ${testSize! + trainSize!} must be at most 1; reduce one of them`);
    let nTest = testSize === null ? NaN : isFloat(testSize) ? Math.ceil(testSize * n) : testSize;
    let nTrain = trainSize === null ? NaN : isFloat(trainSize) ? Math.floor(trainSize * n) : trainSize;
    if (trainSize === null) nTrain = n - nTest;
    else if (testSize === null) nTest = n - nTrain;
    if (nTrain + nTest > n) throw new Error(`trainTestSplit: trainSize + testSize = ${nTrain + nTest} rows, more than the ${n} rows available; reduce one of them`);
    if (nTrain === 0) throw new Error(`trainTestSplit: with ${n} rows and testSize=${testSize}, the train split would be empty; lower testSize`);
    const shuffle = params.shuffle ?? true;
    let trainIdx: Uint32Array; let testIdx: Uint32Array;
    if (!shuffle) {
      if (params.stratifyByColumn) throw new Error('trainTestSplit: stratified split is not implemented for shuffle=false');
      trainIdx = Uint32Array.from({ length: nTrain }, (_, i) => i);
      testIdx = Uint32Array.from({ length: nTest }, (_, i) => nTrain + i);
    } else {
      const gen = params.generator ?? defaultRng(params.seed);
      if (params.stratifyByColumn) {
        const col = params.stratifyByColumn;
        this.checkColumns([col], 'trainTestSplit');
        const f = this._features.get(col)!;
        if (!(f instanceof ClassLabel)) {
          throw new Error(`trainTestSplit: stratifying by column is only supported for ClassLabel columns, and column '${col}' is ${featureRepr(f)}; castColumn it to a ClassLabel first`);
        }
        const labels = await this._columns.get(col)!.range(0, n) as number[];
        [trainIdx, testIdx] = stratifiedSplit(labels, nTrain, nTest, gen);
      } else {
        const perm = gen.permutation(n);
        testIdx = perm.slice(0, nTest);
        trainIdx = perm.slice(nTest, nTest + nTrain);
      }
    }
    const fp = updateFingerprint(this.fingerprint, 'trainTestSplit', { testSize, trainSize, shuffle, seed: params.seed ?? null, s: params.stratifyByColumn ?? null });
    return new DatasetDict({
      train: this.take(trainIdx, fp + 'tr').derive({ split: this.split }),
      test: this.take(testIdx, fp + 'te').derive({ split: this.split }),
    });
  }

  /** Python's filter: keeps the rows where `fn` returns true (a boolean per row, or a list per batch). */
  async filter(fn: (...args: any[]) => unknown, params: FilterOptions = {}): Promise<Dataset> {
    const batched = params.batched ?? false;
    const bs = batchSizeOf(params.batchSize, this._numRows, batched);
    const input = asList(params.inputColumns);
    if (input.length) this.checkColumns(input, 'filter');
    const keep: number[] = [];
    for (let s = 0; s < this._numRows; s += bs) {
      const e = Math.min(this._numRows, s + bs);
      const batch = await this.inputBatch(input, { start: s, end: e });
      if (batched) {
        const idx = Array.from({ length: e - s }, (_, k) => s + k);
        const res = await fn(...callArgs(batch, input, idx, params.withIndices));
        const arr = Array.from(res as ArrayLike<unknown>);
        if (arr.length !== e - s) throw new Error(`filter: the function returned ${arr.length} values for a batch of ${e - s} rows; return one boolean per row`);
        arr.forEach((v, k) => { if (v) keep.push(s + k); });
      } else {
        for (let k = 0; k < e - s; k++) {
          const row = input.length ? input.map((c) => batch[c][k]) : [rowOf(batch, k)];
          if (await fn(...row, ...(params.withIndices ? [s + k] : []))) keep.push(s + k);
        }
      }
    }
    return this.take(Uint32Array.from(keep), updateFingerprint(this.fingerprint, 'filter', { fn, params }));
  }

  /** Input of map/filter: decoded rows through the transform, or just the inputColumns. */
  private async inputBatch(input: string[], rows: { start: number; end: number } | ArrayLike<number>): Promise<Batch> {
    if (input.length) return this.readDecoded(input, rows);
    return this.readFormatted(rows);
  }

  /**
   * Python's map: `fn(row[, index])` or, batched, `fn(batch[, indices])` returns new/updated columns
   * (or a Promise of them). Results are cached in `cacheDir` by a fingerprint of the data and fn source.
   */
  async map(fn: (...args: any[]) => unknown, params: MapOptions = {}): Promise<Dataset> {
    const batched = params.batched ?? false;
    const remove = asList(params.removeColumns);
    this.checkColumns(remove, 'map removeColumns');
    const input = asList(params.inputColumns);
    this.checkColumns(input, 'map inputColumns');
    const bs = batchSizeOf(params.batchSize, this._numRows, batched);
    const fingerprint = params.newFingerprint ?? updateFingerprint(this.fingerprint, 'map', {
      fn, batched, bs, withIndices: params.withIndices ?? false, remove, input, features: params.features?.toJSON() ?? null,
      transform: this._transform ? { fn: this._transform.fn, c: this._transform.columns } : null, skip: params.skipDecodeErrors ?? false,
    });
    const cacheFile = this.cacheDir ? join(this.cacheDir, `cache-${fingerprint}.arrow`) : null;
    if (cacheFile && (params.loadFromCacheFile ?? true) && existsSync(cacheFile)) {
      try { return this.fromMapCache(cacheFile, fingerprint, remove); } catch { /* stale or corrupt: recompute */ }
    }

    const outCols = new Map<string, unknown[]>();
    const order: string[] = [];
    let outRows = 0;
    let sameRows = true;
    const kept: number[] = [];
    const skipped: number[] = [];
    let sawOutput = false;
    const addOutput = (res: Record<string, unknown>, rows: number, atRow: number): void => {
      for (const [k, v] of Object.entries(res)) {
        if (!outCols.has(k)) {
          if (outRows > 0 && !sawOutput) throw new Error(`map: column '${k}' first appears at row ${atRow}; return the same columns for every row`);
          outCols.set(k, new Array(outRows).fill(null)); order.push(k);
        }
        const col = outCols.get(k)!;
        if (batched) {
          const arr = v as ArrayLike<unknown>;
          if (!arr || typeof arr !== 'object' || typeof arr.length !== 'number') throw new Error(`map: batched function must return lists, but column '${k}' is ${typeof v} (batch at row ${atRow})`);
          for (let i = 0; i < arr.length; i++) col.push(arr[i]);
        } else col.push(v);
      }
      outRows += rows;
      sawOutput = true;
      for (const [k, col] of outCols) if (col.length < outRows) throw new Error(`map: column '${k}' is missing from the output at row ${atRow}; return the same columns for every row`);
    };

    for (let s = 0; s < this._numRows; s += bs) {
      const e = Math.min(this._numRows, s + bs);
      let idx = Array.from({ length: e - s }, (_, k) => s + k);
      let batch: Batch;
      try {
        batch = await this.inputBatch(input, { start: s, end: e });
      } catch (err) {
        if (!params.skipDecodeErrors) throw err;
        const good: number[] = [];
        for (const i of idx) {
          try { await this.inputBatch(input, [i]); good.push(i); } catch { skipped.push(i); }
        }
        idx = good;
        batch = await this.inputBatch(input, Uint32Array.from(good));
      }
      if (batched) {
        if (!idx.length) continue;
        let res: Record<string, unknown> | null | undefined;
        try {
          res = await fn(...callArgs(batch, input, idx, params.withIndices)) as Record<string, unknown> | null | undefined;
        } catch (err) {
          // the function names rows within its batch: say where the batch is (the error stays the same object)
          if (err instanceof Error && s > 0 && /\brow \d+/.test(err.message)) err.message = `map, batch of rows ${s}-${e - 1}: ${err.message}`;
          throw err;
        }
        if (res === null || res === undefined) { addOutput({}, idx.length, s); kept.push(...idx); continue; }
        if (typeof res !== 'object' || Array.isArray(res)) throw new Error(`map: a batched function must return a dict of lists (or nothing), got ${Array.isArray(res) ? 'a list' : typeof res} for the batch at row ${s}`);
        const lens = new Set(Object.values(res).map((v) => (v as ArrayLike<unknown>)?.length));
        if (lens.size > 1) throw new Error(`map: the output columns of the batch at row ${s} have different lengths (${Object.entries(res).map(([k, v]) => `${k}: ${(v as unknown[])?.length}`).join(', ')}); return lists of equal length`);
        const rows = lens.size ? [...lens][0] as number : idx.length;
        if (rows !== idx.length) sameRows = false;
        addOutput(res, rows, s);
        kept.push(...idx);
      } else {
        for (let k = 0; k < idx.length; k++) {
          const args = input.length ? input.map((c) => batch[c][k]) : [rowOf(batch, k)];
          const res = await fn(...args, ...(params.withIndices ? [idx[k]] : [])) as Record<string, unknown> | null | undefined;
          if (res !== null && res !== undefined && (typeof res !== 'object' || Array.isArray(res))) {
            throw new Error(`map: the function must return an object of columns (or nothing), got ${Array.isArray(res) ? 'a list' : typeof res} at row ${idx[k]}`);
          }
          addOutput(res ?? {}, 1, idx[k]);
          kept.push(idx[k]);
        }
      }
    }
    if (skipped.length) {
      process.stderr.write(`map: skipped ${skipped.length} row(s) whose data failed to decode (rows ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', ...' : ''})\n`);
    }

    // Which input columns survive: all but removed and overridden ones.
    const keptInput = this.columnNames.filter((c) => !remove.includes(c) && !outCols.has(c));
    if (!sameRows && keptInput.length) {
      throw new Error(`map: the function changed the number of rows (${this._numRows} -> ${outRows}) but columns ${pyRepr(keptInput)} would be kept; pass removeColumns: ${pyRepr(keptInput)} (or return them too)`);
    }
    // Features of the output columns
    const features = new Features();
    const encoded: Record<string, unknown[]> = {};
    for (const k of order) {
      const vals = outCols.get(k)!;
      const prev = this._features.get(k);
      const f = params.features?.get(k) ?? (prev && valuesFit(prev, vals) ? prev : inferFeature(vals, k, (i) => `output row ${i}`));
      features.set(k, f);
      encoded[k] = await encodeColumnAsync(f, vals, (i) => `map output column '${k}' row ${i}`);
    }
    if (cacheFile) {
      try {
        mkdirSync(this.cacheDir!, { recursive: true });
        await writeArrowFileStreaming(cacheFile, features, outRows, async (s, e) => Object.fromEntries(order.map((k) => [k, encoded[k].slice(s, e)])), params.writerBatchSize);
        if (!sameRows || kept.length !== this._numRows) {
          writeFileSync(cacheFile + '.rows.json', JSON.stringify({ kept: kept.length === this._numRows ? null : kept }));
        }
      } catch { /* caching is best effort */ }
    }
    return this.assembleMapResult(features, new Map(order.map((k) => [k, new ArrayColumn(encoded[k]) as Column])), outRows, remove, fingerprint, kept.length === this._numRows ? null : kept, skipped);
  }

  private assembleMapResult(newFeatures: Features, newCols: Map<string, Column>, outRows: number, remove: string[], fingerprint: string, kept: number[] | null, skipped: number[] = []): Dataset {
    const features = new Features();
    const columns = new Map<string, Column>();
    const keepIdx = kept ? Uint32Array.from(kept) : null;
    for (const c of this.columnNames) {
      if (remove.includes(c) && !newFeatures.has(c)) continue;
      if (newFeatures.has(c)) { features.set(c, newFeatures.get(c)!); columns.set(c, newCols.get(c)!); continue; }
      features.set(c, this._features.get(c)!);
      const col = this._columns.get(c)!;
      columns.set(c, keepIdx ? new TakeColumn(col, keepIdx) : col);
    }
    for (const [c, f] of newFeatures) {
      if (!features.has(c)) { features.set(c, f); columns.set(c, newCols.get(c)!); }
    }
    let transform = this._transform;
    if (transform?.columns) {
      const cols = transform.columns.filter((c) => features.has(c));
      transform = cols.length ? { ...transform, columns: cols } : null;
    }
    return new Dataset({ columns, numRows: outRows, features, info: this.info, split: this.split, fingerprint, cacheDir: this.cacheDir, transform, skippedRows: skipped });
  }

  private fromMapCache(file: string, fingerprint: string, remove: string[]): Dataset {
    const t = openArrow(file);
    let kept: number[] | null = null;
    if (existsSync(file + '.rows.json')) kept = JSON.parse(readFileSync(file + '.rows.json', 'utf8')).kept;
    const keptInput = this.columnNames.filter((c) => !remove.includes(c) && !t.features.has(c));
    if (t.numRows !== (kept ? kept.length : this._numRows) && keptInput.length) throw new Error('stale cache');
    return this.assembleMapResult(t.features, t.columns, t.numRows, remove, fingerprint, kept);
  }

  renameColumn(original: string | { originalColumnName: string; newColumnName: string }, newName?: string): Dataset {
    const [from, to] = typeof original === 'string' ? [original, newName!] : [original.originalColumnName, original.newColumnName];
    return this.renameColumns({ [from]: to });
  }

  renameColumns(mapping: Record<string, string>): Dataset {
    this.checkColumns(Object.keys(mapping), 'renameColumns');
    const features = new Features();
    const columns = new Map<string, Column>();
    for (const [c, f] of this._features) {
      const to = mapping[c] ?? c;
      if (!to) throw new Error(`renameColumns: new name for column '${c}' is empty`);
      if (features.has(to)) throw new Error(`renameColumns: column '${to}' already exists; choose another name`);
      features.set(to, f); columns.set(to, this._columns.get(c)!);
    }
    let transform = this._transform;
    if (transform?.columns) transform = { ...transform, columns: transform.columns.map((c) => mapping[c] ?? c) };
    return this.derive({ columns, features, transform, fingerprint: updateFingerprint(this.fingerprint, 'rename', mapping) });
  }

  removeColumns(columnNames: string | string[]): Dataset {
    const cols = asList(columnNames);
    this.checkColumns(cols, 'removeColumns');
    return this.selectColumns(this.columnNames.filter((c) => !cols.includes(c)));
  }

  selectColumns(columnNames: string | string[]): Dataset {
    const cols = asList(columnNames);
    this.checkColumns(cols, 'selectColumns');
    const features = new Features(cols.map((c) => [c, this._features.get(c)!] as const));
    const columns = new Map(cols.map((c) => [c, this._columns.get(c)!] as const));
    let transform = this._transform;
    if (transform?.columns) {
      const kept = transform.columns.filter((c) => features.has(c));
      transform = kept.length ? { ...transform, columns: kept } : null;
    }
    return this.derive({ columns, features, transform, fingerprint: updateFingerprint(this.fingerprint, 'selectColumns', cols) });
  }

  /** Adds a column of values (one per row). */
  addColumn(params: { name: string; column: ArrayLike<unknown>; feature?: FeatureType }): Dataset {
    if (this._features.has(params.name)) throw new Error(`addColumn: column '${params.name}' already exists; rename or remove it first`);
    if (params.column.length !== this._numRows) throw new Error(`addColumn: column '${params.name}' has ${params.column.length} values for ${this._numRows} rows`);
    const vals = Array.from(params.column);
    const f = params.feature ?? inferFeature(vals, params.name);
    const features = this._features.copy(); features.set(params.name, f);
    const columns = new Map(this._columns); columns.set(params.name, new ArrayColumn(vals.map((v, i) => encodeValue(f, v, `column '${params.name}' row ${i}`))));
    return this.derive({ columns, features, fingerprint: updateFingerprint(this.fingerprint, 'addColumn', { n: params.name, v: vals }) });
  }

  /**
   * Python's cast_column. Changes that keep the storage (Image decode on/off, ClassLabel names of an
   * int column) are instant; others convert the column's values (errors name the row).
   */
  async castColumn(params: { column: string; feature: FeatureType }): Promise<Dataset> {
    const { column, feature } = params;
    this.checkColumns([column], 'castColumn');
    const from = this._features.get(column)!;
    const features = this._features.copy(); features.set(column, feature);
    const fingerprint = updateFingerprint(this.fingerprint, 'castColumn', { column, f: String(feature) });
    const sameStorage = (from instanceof Image && feature instanceof Image)
      || (from instanceof Value && feature instanceof Value && from.dtype === feature.dtype);
    if (sameStorage) return this.derive({ features, fingerprint });
    const vals = await this._columns.get(column)!.range(0, this._numRows);
    const out = vals.map((v, i) => castValue(from, feature, v, `${this.where()}row ${i}, column '${column}'`));
    const columns = new Map(this._columns); columns.set(column, new ArrayColumn(out));
    return this.derive({ columns, features, fingerprint });
  }

  /** Python's cast: casts every column to the given features (same column names). */
  async cast(features: Features): Promise<Dataset> {
    const names = [...features.keys()];
    if (names.length !== this.numColumns || names.some((n) => !this._features.has(n))) {
      throw new Error(`cast: the features' columns ${pyRepr(names)} must match the dataset's columns ${pyRepr(this.columnNames)}`);
    }
    let ds: Dataset = this;
    for (const [c, f] of features) if (String(f) !== String(this._features.get(c))) ds = await ds.castColumn({ column: c, feature: f });
    return ds.selectColumns(names);
  }

  /** Python's unique: the distinct stored values of a column, in order of first appearance. */
  async unique(column: string): Promise<unknown[]> {
    this.checkColumns([column], 'unique');
    const seen = new Set<unknown>();
    const out: unknown[] = [];
    const col = this._columns.get(column)!;
    for (let s = 0; s < this._numRows; s += 10_000) {
      for (const v of await col.range(s, Math.min(this._numRows, s + 10_000))) {
        const key = v !== null && typeof v === 'object' ? hashParts(v) : v;
        if (!seen.has(key)) { seen.add(key); out.push(v); }
      }
    }
    return out;
  }

  /** Python's flatten_indices: materialises a selected/shuffled view into contiguous columns. */
  async flattenIndices(): Promise<Dataset> {
    const raw = await this.readStorage(this.columnNames, { start: 0, end: this._numRows });
    const columns = new Map(this.columnNames.map((c) => [c, new ArrayColumn(raw[c]) as Column] as const));
    return this.derive({ columns, fingerprint: updateFingerprint(this.fingerprint, 'flatten', null) });
  }

  // ------------------------------------------------------------------ export

  /** JSON Lines (Python's to_json default: one object per line); bytes as base64. */
  async toJSON(path: string, params: { lines?: boolean; batchSize?: number } = {}): Promise<void> {
    const lines = params.lines ?? true;
    await this.writeText(path, (rows, first, last) => {
      const parts = rows.map((r) => JSON.stringify(r, jsonReplacer));
      if (lines) return parts.map((p) => p + '\n').join('');
      return (first ? '[' : '') + (first ? '' : parts.length ? ',' : '') + parts.join(',') + (last ? ']' : '');
    }, params.batchSize);
  }

  /** CSV with a header (Python's to_csv: no index column; floats keep their '.0'; lists as Python reprs). */
  async toCSV(path: string, params: { sep?: string; batchSize?: number } = {}): Promise<void> {
    const sep = params.sep ?? ',';
    const cols = this.columnNames;
    await this.writeText(path, (rows, first) => {
      let out = first ? cols.map((c) => csvField(c, sep)).join(sep) + '\n' : '';
      for (const r of rows) out += cols.map((c) => csvField(csvValue(this._features.get(c)!, r[c]), sep)).join(sep) + '\n';
      return out;
    }, params.batchSize);
  }

  private async writeText(path: string, chunk: (rows: Row[], first: boolean, last: boolean) => string, batchSize = 10_000): Promise<void> {
    await replaceFile(path, async (tmp) => {
      const fd = openSync(tmp, 'w');
      try {
        if (this._numRows === 0) writeSync(fd, chunk([], true, true));
        for (let s = 0; s < this._numRows; s += batchSize) {
          const e = Math.min(this._numRows, s + batchSize);
          const b = await this.readStorage(this.columnNames, { start: s, end: e });
          const rows = Array.from({ length: e - s }, (_, k) => rowOf(b, k));
          writeSync(fd, chunk(rows, s === 0, e === this._numRows));
        }
      } finally { closeSync(fd); }
    });
  }

  /** Parquet with the features in the `huggingface` metadata (readable by Python `datasets`). */
  async toParquet(path: string, params: { rowGroupSize?: number } = {}): Promise<void> {
    const raw = await this.readStorage(this.columnNames, { start: 0, end: this._numRows });
    await replaceFile(path, (tmp) => writeParquet(tmp, this._features, raw, { rowGroupSize: params.rowGroupSize }));
  }

  /**
   * Python's save_to_disk for one dataset: `data-0000N-of-0000M.arrow` (Arrow stream),
   * `dataset_info.json` and `state.json`, readable by Python's load_from_disk.
   */
  /** Writes parquet shards and a README with dataset_info to a Hub dataset repo (datasets' push_to_hub). */
  pushToHub(repoId: string, opts: import('../sharing/dataset-push').PushDatasetOptions = {}) {
    return import('../sharing/dataset-push').then((m) => m.pushDatasetToHub(this, repoId, opts));
  }

  async saveToDisk(dir: string, params: { numShards?: number; maxShardSize?: number } = {}): Promise<void> {
    mkdirSync(dir, { recursive: true });
    let numShards = params.numShards ?? 1;
    if (!params.numShards && params.maxShardSize) {
      const sample = await this.readStorage(this.columnNames, { start: 0, end: Math.min(this._numRows, 100) });
      const perRow = Buffer.byteLength(JSON.stringify(sample, jsonReplacer)) / Math.max(1, Math.min(this._numRows, 100));
      numShards = Math.max(1, Math.ceil(perRow * this._numRows / params.maxShardSize));
    }
    numShards = Math.max(1, Math.min(numShards, Math.max(1, this._numRows)));
    const files: { filename: string }[] = [];
    const pad = (x: number): string => String(x).padStart(5, '0');
    for (let k = 0; k < numShards; k++) {
      // contiguous shards, sizes as numpy.array_split
      const base = Math.floor(this._numRows / numShards); const extra = this._numRows % numShards;
      const s = k * base + Math.min(k, extra); const e = s + base + (k < extra ? 1 : 0);
      const filename = `data-${pad(k)}-of-${pad(numShards)}.arrow`;
      await writeArrowFileStreaming(join(dir, filename), this._features, e - s, (a, b) => this.readStorage(this.columnNames, { start: s + a, end: s + b }));
      files.push({ filename });
    }
    const info = {
      citation: this.info.citation ?? '', description: this.info.description ?? '', features: this._features.toJSON(),
      homepage: this.info.homepage ?? '', license: this.info.license ?? '',
      ...(this.info.builderName ? { builder_name: this.info.builderName } : {}),
      ...(this.info.configName ? { config_name: this.info.configName } : {}),
      ...(this.info.datasetName ? { dataset_name: this.info.datasetName } : {}),
    };
    const state = {
      _data_files: files, _fingerprint: this.fingerprint, _format_columns: null, _format_kwargs: {}, _format_type: null,
      _output_all_columns: false, _split: this.split,
    };
    writeJSONAtomic(join(dir, 'dataset_info.json'), info);
    writeJSONAtomic(join(dir, 'state.json'), state);
  }

  /** Python's to_iterable_dataset(num_shards): this dataset as a stream (contiguous row ranges as shards). */
  toIterableDataset(params: { numShards?: number } = {}): IterableDataset { return IterableDataset.fromDataset(this, params); }

  // ------------------------------------------------------------------ repr

  toString(): string {
    return `Dataset({\n    features: ${pyRepr(this.columnNames)},\n    num_rows: ${this._numRows}\n})`;
  }
  [inspect.custom](): string { return this.toString(); }
}

/** A dataset is indexable by row like Python's: `await ds[400]` is `ds.get(400)`. */
export interface Dataset { readonly [row: number]: Promise<Row> }

const rowAccess: ProxyHandler<Dataset> = {
  get(target, prop, receiver) {
    if (typeof prop === 'string' && prop.length) {
      const c = prop.charCodeAt(0);
      if (((c >= 48 && c <= 57) || c === 45) && /^-?\d+$/.test(prop)) return target.get(Number(prop));
    }
    return Reflect.get(target, prop, receiver);
  },
};

// -------------------------------------------------------------------- helpers

/**
 * A transform's column split into one value per row, as datasets indexes what a transform returns:
 * lists stay, a batched tensor (`shape[0]` rows) becomes its row slices, a {data, shape} array its row views.
 */
function splitBatchedColumn(v: unknown, n: number, name: string): unknown {
  if (Array.isArray(v) || !v || typeof v !== 'object') return v;
  const t = v as { shape?: unknown; select?: unknown; data?: unknown; dispose?: unknown };
  if (!Array.isArray(t.shape)) return v;
  const shape = t.shape as number[];
  if (shape.length === 0 || shape[0] !== n) {
    throw new Error(`withTransform: column '${name}' has shape [${shape.join(', ')}] but the batch has ${n} rows; return one value per row (a list, or a tensor whose first dimension is the rows)`);
  }
  if (typeof t.select === 'function') {
    const tt = v as { select(dim: number, i: number): unknown; dispose(): void };
    const out = Array.from({ length: n }, (_x, i) => tt.select(0, i));
    tt.dispose();
    return out;
  }
  const data = t.data as { subarray?: (a: number, b: number) => unknown; length: number } | undefined;
  if (data && typeof data.subarray === 'function') {
    const per = n ? data.length / n : 0;
    return Array.from({ length: n }, (_x, i) => ({ data: data.subarray!(i * per, (i + 1) * per), shape: shape.slice(1) }));
  }
  return v;
}

function unbatchRow(batch: Batch, transformed: boolean): Row {
  const row: Row = {};
  for (const [k, v] of Object.entries(batch)) {
    if (transformed && (!v || typeof (v as ArrayLike<unknown>).length !== 'number' || typeof v === 'string')) {
      throw new Error(`withTransform: the transform must return a dict of lists (one value per row), but '${k}' is ${typeof v}`);
    }
    row[k] = (v as ArrayLike<unknown>)[0];
  }
  return row;
}

function rowOf(batch: Batch, k: number): Row {
  const row: Row = {};
  for (const key of Object.keys(batch)) row[key] = batch[key][k];
  return row;
}

function batchLength(batch: Batch): number {
  for (const v of Object.values(batch)) return (v as ArrayLike<unknown>).length;
  return 0;
}

function callArgs(batch: Batch, input: string[], idx: number[], withIndices?: boolean): unknown[] {
  const args: unknown[] = input.length ? input.map((c) => batch[c]) : [batch];
  if (withIndices) args.push(idx);
  return args;
}

function batchSizeOf(bs: number | null | undefined, n: number, batched: boolean): number {
  if (!batched) return ROWS_PER_READ;
  if (bs === null || (bs !== undefined && bs <= 0)) return Math.max(1, n);
  return bs ?? 1000;
}

/** Python slice bounds (clamped; negatives from the end). */
export function sliceBounds(n: number, start?: number | null, end?: number | null): [number, number] {
  const norm = (x: number | null | undefined, dflt: number): number => {
    if (x === null || x === undefined) return dflt;
    if (x < 0) return Math.max(0, n + x);
    return Math.min(x, n);
  };
  return [norm(start, 0), norm(end, n)];
}

function stratifiedSplit(labels: number[], nTrain: number, nTest: number, gen: Generator): [Uint32Array, Uint32Array] {
  // scikit-learn's StratifiedShuffleSplit allocation (approximate mode), then random picks per class
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  labels.forEach((l, i) => byClass.get(l)!.push(i));
  const counts = classes.map((c) => byClass.get(c)!.length);
  if (counts.some((c) => c < 2)) throw new Error('trainTestSplit: the least populated class in the stratify column has only 1 member; stratification needs at least 2 per class');
  if (nTrain < classes.length || nTest < classes.length) throw new Error(`trainTestSplit: train and test sizes must each be at least the number of classes (${classes.length}) to stratify`);
  const nTrainPer = approximateMode(counts, nTrain);
  const rest = counts.map((c, i) => c - nTrainPer[i]);
  const nTestPer = approximateMode(rest, nTest);
  const train: number[] = []; const test: number[] = [];
  classes.forEach((c, i) => {
    const members = byClass.get(c)!;
    const perm = gen.permutation(members.length);
    for (let k = 0; k < nTrainPer[i]; k++) train.push(members[perm[k]]);
    for (let k = nTrainPer[i]; k < nTrainPer[i] + nTestPer[i]; k++) test.push(members[perm[k]]);
  });
  const pt = gen.permutation(train.length); const pe = gen.permutation(test.length);
  return [Uint32Array.from(pt, (k) => train[k]), Uint32Array.from(pe, (k) => test[k])];
}

function approximateMode(counts: number[], draws: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const cont = counts.map((c) => (c / total) * draws);
  const floored = cont.map(Math.floor);
  let need = draws - floored.reduce((a, b) => a + b, 0);
  const order = cont.map((v, i) => [v - floored[i], i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (need <= 0) break;
    if (floored[i] < counts[i]) { floored[i]++; need--; }
  }
  return floored;
}

function castValue(from: FeatureType, to: FeatureType, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  if (to instanceof ClassLabel) {
    if (from instanceof ClassLabel && typeof v === 'number') return to.encode(v, `${where}: `);
    return to.encode(typeof v === 'string' ? v : Number(v), `${where}: `);
  }
  if (to instanceof Value && to.isString) {
    if (from instanceof ClassLabel) return String(v);
    if (typeof v === 'object') return JSON.stringify(v, jsonReplacer);
    return typeof v === 'number' && from instanceof Value && from.isFloat && Number.isInteger(v) ? `${v}.0` : String(v);
  }
  if (to instanceof Image) {
    if (typeof v === 'string') return { bytes: null, path: v };
    if (v instanceof Uint8Array) return { bytes: v, path: null };
    return encodeValue(to, v, where);
  }
  if (to instanceof Sequence && !Array.isArray(v)) throw new Error(`${where}: cannot cast ${typeof v} to ${to.repr()}`);
  if (to instanceof Sequence) return (v as unknown[]).map((x, i) => castValue(from instanceof Sequence ? from.feature : from, to.feature, x, `${where}[${i}]`));
  if (isFeatureDict(to)) {
    const o = v as Record<string, unknown>;
    const fd = isFeatureDict(from) ? from : {};
    return Object.fromEntries(Object.entries(to).map(([k, f]) => [k, castValue(fd[k] ?? f, f, o[k], `${where}.${k}`)]));
  }
  return encodeValue(to, v, where);
}

export function jsonReplacer(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function csvValue(f: FeatureType, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return f instanceof Value && f.isFloat && Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

function csvField(s: string, sep: string): string {
  return s.includes(sep) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writeJSONAtomic(path: string, obj: unknown): void {
  writeFileAtomicSync(path, JSON.stringify(obj, null, 2));
}

