// IterableDataset: Python `datasets`' streaming datasets. Examples are read shard by shard (a shard is a
// data file; parquet row group by row group, Arrow record batch by record batch, JSON Lines line by
// line), so memory follows one chunk, not the dataset. The operations build a chain of example
// iterables as `datasets` does: shuffling permutes the shard order and draws from a buffer
// (np.random.default_rng semantics, so a seed gives Python's order), skip/take freeze the shard order,
// splitDatasetByNode gives each rank whole shards when they divide evenly, else every worldSize-th example.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { extname } from 'node:path';
import { inspect } from 'node:util';
import type { ChunkedColumn, Column } from './columns';
import { Features, decodeValue, encodeValue, inferFeature, needsDecode, type FeatureType } from './features';
import { openArrow } from './arrow';
import { openParquet } from './parquet';
import { parseCsvText, readJson } from './text-formats';
import { DatasetError, datasetErrorIn } from './errors';
import { pyRepr } from './pyrepr';
import { defaultRng } from './rng';
import type { Dataset, DatasetInfo, Row, Batch } from './dataset';

type Seed = number | bigint;

/** One link of the chain (datasets' _BaseExamplesIterable). */
abstract class ExIterable {
  abstract readonly numShards: number;
  abstract iter(): AsyncGenerator<Row>;
  /** Shuffles the shard order (and the shuffle buffers) with `seed`; skip/take keep theirs. */
  abstract shuffleDataSources(seed: Seed): ExIterable;
  /** Keeps shard `index` of `numShards` (contiguous blocks, or every numShards-th shard). */
  abstract shardDataSources(numShards: number, index: number, contiguous: boolean): ExIterable;
  /**
   * The same stream without its first `n` examples, skipped at the source (whole shards and row groups
   * unread) when every link maps one example to one example; null when it cannot (a filter, a buffer...).
   */
  fastSkip(_n: number): ExIterable | null { return null; }
}

/** Rows a reader still has to drop before yielding (readers that know their counts skip whole files and chunks). */
export interface SkipCounter { n: number }

/** datasets' split_shard_indices_by_worker. */
function shardIndices(total: number, numShards: number, index: number, contiguous: boolean): number[] {
  const out: number[] = [];
  if (contiguous) {
    const div = Math.floor(total / numShards); const mod = total % numShards;
    const start = div * index + Math.min(index, mod);
    const end = start + div + (index < mod ? 1 : 0);
    for (let i = start; i < end; i++) out.push(i);
  } else {
    for (let i = index; i < total; i += numShards) out.push(i);
  }
  return out;
}

/** Shards read by `read`; with a seed, their order is np.random.default_rng(seed).shuffle(range(n)). */
class ShardSource<S> extends ExIterable {
  constructor(readonly shards: S[], readonly read: (shard: S, skip?: SkipCounter) => AsyncGenerator<Row>, readonly seed: Seed | null = null, readonly skip = 0) { super(); }
  get numShards(): number { return this.shards.length; }
  async *iter(): AsyncGenerator<Row> {
    const order = this.shards.map((_s, i) => i);
    if (this.seed !== null) defaultRng(this.seed).shuffle(order);
    const skip: SkipCounter = { n: this.skip };
    for (const i of order) {
      if (skip.n === 0) { yield* this.read(this.shards[i]!); continue; }
      for await (const r of this.read(this.shards[i]!, skip)) {
        if (skip.n > 0) { skip.n--; continue; }
        yield r;
      }
    }
  }
  override fastSkip(n: number): ExIterable { return new ShardSource(this.shards, this.read, this.seed, this.skip + n); }
  shuffleDataSources(seed: Seed): ExIterable { return new ShardSource(this.shards, this.read, seed); }
  shardDataSources(numShards: number, index: number, contiguous: boolean): ExIterable {
    // a shuffled source is shuffled first, then split (every rank sees the same shard order)
    const order = this.shards.map((_s, i) => i);
    if (this.seed !== null) defaultRng(this.seed).shuffle(order);
    if (this.skip) throw new Error('internal: shard a stream before skipping in it');
    return new ShardSource(shardIndices(order.length, numShards, index, contiguous).map((i) => this.shards[order[i]!]!), this.read, null);
  }
}

/** A link over one inner iterable that passes shuffling and sharding through. */
abstract class Wrapper extends ExIterable {
  constructor(readonly inner: ExIterable) { super(); }
  get numShards(): number { return this.inner.numShards; }
  abstract with(inner: ExIterable): ExIterable;
  shuffleDataSources(seed: Seed): ExIterable { return this.with(this.inner.shuffleDataSources(seed)); }
  shardDataSources(n: number, i: number, contiguous: boolean): ExIterable { return this.with(this.inner.shardDataSources(n, i, contiguous)); }
}

export interface IterableMapOptions {
  batched?: boolean;
  /** Rows per batch when batched (default 1000; <= 0 or null: one batch per shard chain, as datasets' None). */
  batchSize?: number | null;
  withIndices?: boolean;
  /** Pass only these columns (as separate arguments, like Python's input_columns). */
  inputColumns?: string | string[];
  removeColumns?: string | string[];
  dropLastBatch?: boolean;
  /** Features of the result (otherwise unknown after a map, as in datasets). */
  features?: Features;
}
export interface IterableFilterOptions { batched?: boolean; batchSize?: number | null; withIndices?: boolean; inputColumns?: string | string[] }

const asList = (x: string | string[] | undefined | null): string[] => (x === undefined || x === null ? [] : typeof x === 'string' ? [x] : x);

function batchOf(rows: Row[]): Batch {
  const out: Batch = {};
  for (const r of rows) for (const k of Object.keys(r)) out[k] ??= [];
  for (const k of Object.keys(out)) out[k] = rows.map((r) => r[k]);
  return out;
}
function rowsOf(batch: Record<string, unknown>, where: string): Row[] {
  const keys = Object.keys(batch);
  let n = -1;
  for (const k of keys) {
    const v = batch[k];
    if (!Array.isArray(v)) throw new Error(`${where}: a batched function must return lists, got ${typeof v} for column '${k}'; return one list per column`);
    if (n === -1) n = v.length;
    else if (v.length !== n) throw new Error(`${where}: the returned columns have different lengths (${keys.map((c) => `${c}: ${(batch[c] as unknown[]).length}`).join(', ')}); return the same number of rows in every column`);
  }
  const rows: Row[] = [];
  for (let i = 0; i < Math.max(n, 0); i++) { const r: Row = {}; for (const k of keys) r[k] = (batch[k] as unknown[])[i]; rows.push(r); }
  return rows;
}

/** Batches of `size` rows (the last one shorter unless dropLast); size <= 0: everything in one. */
async function* batches(it: AsyncIterable<Row>, size: number | null | undefined, dropLast: boolean): AsyncGenerator<Row[]> {
  const n = size === null || size === undefined ? 1000 : size;
  let buf: Row[] = [];
  for await (const r of it) {
    buf.push(r);
    if (n > 0 && buf.length === n) { yield buf; buf = []; }
  }
  if (buf.length && !(dropLast && n > 0 && buf.length < n)) yield buf;
}

class MapIterable extends Wrapper {
  constructor(inner: ExIterable, readonly fn: (...a: any[]) => unknown, readonly o: IterableMapOptions) { super(inner); }
  with(inner: ExIterable): ExIterable { return new MapIterable(inner, this.fn, this.o); }
  override fastSkip(n: number): ExIterable | null {
    if (this.o.batched || this.o.withIndices) return null; // batches and indices depend on where the stream starts
    const inner = this.inner.fastSkip(n);
    return inner && this.with(inner);
  }
  async *iter(): AsyncGenerator<Row> {
    const { fn, o } = this;
    const input = asList(o.inputColumns);
    const remove = asList(o.removeColumns);
    let idx = 0;
    const finish = (src: Row, out: unknown, where: string): Row => {
      if (out !== undefined && out !== null && (typeof out !== 'object' || Array.isArray(out))) throw new Error(`${where}: the map function must return an object of columns (or nothing), got ${Array.isArray(out) ? 'a list' : typeof out}`);
      const r: Row = input.length ? {} : { ...src };
      if (input.length) for (const [k, v] of Object.entries(src)) r[k] = v;
      for (const c of remove) delete r[c];
      return Object.assign(r, out ?? {});
    };
    if (!o.batched) {
      for await (const row of this.inner.iter()) {
        const args: unknown[] = input.length ? input.map((c) => row[c]) : [{ ...row }];
        if (o.withIndices) args.push(idx);
        const out = await fn(...args);
        yield finish(row, out, `map (example ${idx})`);
        idx++;
      }
      return;
    }
    for await (const rows of batches(this.inner.iter(), o.batchSize, !!o.dropLastBatch)) {
      const b = batchOf(rows);
      const args: unknown[] = input.length ? input.map((c) => b[c]) : [b];
      if (o.withIndices) args.push(rows.map((_r, k) => idx + k));
      const where = `map (examples ${idx}-${idx + rows.length - 1})`;
      const out = (await fn(...args)) as Record<string, unknown> | null | undefined;
      const outRows = out ? rowsOf(out, where) : rows.map(() => ({}));
      // a batched map may change the number of rows: then the input columns cannot be kept (datasets' rule)
      if (outRows.length !== rows.length) {
        const kept = Object.keys(b).filter((c) => !remove.includes(c) && !(out && c in out));
        if (kept.length) throw new Error(`${where}: the function returned ${outRows.length} rows for ${rows.length}, so the input columns ${pyRepr(kept)} cannot be kept; pass removeColumns: ${pyRepr(kept)}`);
        for (const r of outRows) yield r;
      } else {
        for (let k = 0; k < rows.length; k++) yield finish(rows[k]!, outRows[k], where);
      }
      idx += rows.length;
    }
  }
}

class FilterIterable extends Wrapper {
  constructor(inner: ExIterable, readonly fn: (...a: any[]) => unknown, readonly o: IterableFilterOptions) { super(inner); }
  with(inner: ExIterable): ExIterable { return new FilterIterable(inner, this.fn, this.o); }
  async *iter(): AsyncGenerator<Row> {
    const { fn, o } = this;
    const input = asList(o.inputColumns);
    let idx = 0;
    if (!o.batched) {
      for await (const row of this.inner.iter()) {
        const args: unknown[] = input.length ? input.map((c) => row[c]) : [row];
        if (o.withIndices) args.push(idx);
        idx++;
        if (await fn(...args)) yield row;
      }
      return;
    }
    for await (const rows of batches(this.inner.iter(), o.batchSize, false)) {
      const b = batchOf(rows);
      const args: unknown[] = input.length ? input.map((c) => b[c]) : [b];
      if (o.withIndices) args.push(rows.map((_r, k) => idx + k));
      const keep = await fn(...args);
      if (!Array.isArray(keep) || keep.length !== rows.length) throw new Error(`filter (examples ${idx}-${idx + rows.length - 1}): a batched filter must return one boolean per example (${rows.length}), got ${Array.isArray(keep) ? keep.length : typeof keep}`);
      idx += rows.length;
      for (let k = 0; k < rows.length; k++) if (keep[k]) yield rows[k]!;
    }
  }
}

/** datasets' BufferShuffledExamplesIterable: a buffer of `bufferSize` examples, random picks refilled from the stream. */
class BufferShuffleIterable extends Wrapper {
  constructor(inner: ExIterable, readonly bufferSize: number, readonly seed: Seed) { super(inner); }
  with(inner: ExIterable): ExIterable { return new BufferShuffleIterable(inner, this.bufferSize, this.seed); }
  override shuffleDataSources(seed: Seed): ExIterable { return new BufferShuffleIterable(this.inner.shuffleDataSources(seed), this.bufferSize, seed); }
  async *iter(): AsyncGenerator<Row> {
    const rng = defaultRng(this.seed);
    const size = this.bufferSize;
    // indices come 1000 at a time (rng.integers(0, bufferSize, size=1000)), drawn only when needed
    let pending: number[] = [];
    const nextIndex = (): number => {
      if (!pending.length) { pending = new Array(1000); for (let k = 0; k < 1000; k++) pending[k] = rng.integers(0, size); pending.reverse(); }
      return pending.pop()!;
    };
    const buffer: Row[] = [];
    for await (const x of this.inner.iter()) {
      if (buffer.length === size) {
        const i = nextIndex();
        yield buffer[i]!;
        buffer[i] = x;
      } else buffer.push(x);
    }
    rng.shuffle(buffer);
    yield* buffer;
  }
}

/** skip(n) / take(n): the shard order is frozen; sharded (by split_dataset_by_node's caller or workers), n is split over the shards. */
class SkipTakeIterable extends Wrapper {
  constructor(inner: ExIterable, readonly kind: 'skip' | 'take', readonly n: number, readonly splitWhenSharding: boolean) { super(inner); }
  with(inner: ExIterable): ExIterable { return new SkipTakeIterable(inner, this.kind, this.n, this.splitWhenSharding); }
  override shuffleDataSources(): ExIterable { return this; }
  override shardDataSources(numShards: number, index: number, contiguous: boolean): ExIterable {
    if (!this.splitWhenSharding) return this;
    const q = Math.floor(this.n / numShards); const r = this.n % numShards;
    return new SkipTakeIterable(this.inner.shardDataSources(numShards, index, contiguous), this.kind, q + (index < r ? 1 : 0), true);
  }
  async *iter(): AsyncGenerator<Row> {
    let seen = 0;
    if (this.kind === 'take') {
      if (this.n <= 0) return;
      for await (const x of this.inner.iter()) { yield x; if (++seen >= this.n) return; }
      return;
    }
    for await (const x of this.inner.iter()) { if (seen < this.n) { seen++; continue; } yield x; }
  }
}

/** Every `step`-th example from `offset` (split_dataset_by_node when the shards don't divide evenly). */
class StepIterable extends Wrapper {
  constructor(inner: ExIterable, readonly step: number, readonly offset: number) { super(inner); }
  with(inner: ExIterable): ExIterable { return new StepIterable(inner, this.step, this.offset); }
  async *iter(): AsyncGenerator<Row> {
    let i = 0;
    for await (const x of this.inner.iter()) { if (i % this.step === this.offset) yield x; i++; }
  }
}

// ---------------------------------------------------------------------------------------------
// IterableDataset

export type IterableFormat = null | 'python' | 'torch';

interface IterableInit {
  ex: ExIterable;
  features: Features | null;
  split?: string | null;
  /** The seed of shuffle() (the epoch's shard order and buffers derive from it). */
  shuffling?: Seed | null;
  distributed?: { rank: number; worldSize: number } | null;
  format?: IterableFormat;
  epoch?: number;
  /** Builder, config and dataset name (model cards read them). */
  info?: DatasetInfo;
}

const VALID_FORMATS = new Set([null, 'python', 'torch', 'pt']);

/** Python's datasets.IterableDataset: iterate with `for await (const row of ds)`. */
export class IterableDataset {
  private readonly ex: ExIterable;
  private readonly _features: Features | null;
  readonly split: string | null;
  private readonly shuffling: Seed | null;
  private readonly distributed: { rank: number; worldSize: number } | null;
  private readonly format: IterableFormat;
  private _epoch: number;
  readonly info: DatasetInfo;
  /** Marks streaming datasets for code that takes both kinds (the Trainer). */
  readonly isIterable = true as const;

  constructor(init: IterableInit) {
    this.ex = init.ex;
    this._features = init.features;
    this.split = init.split ?? null;
    this.shuffling = init.shuffling ?? null;
    this.distributed = init.distributed ?? null;
    this.format = init.format ?? null;
    this._epoch = init.epoch ?? 0;
    this.info = init.info ?? {};
  }

  private derive(ex: ExIterable, changes: Partial<IterableInit> = {}): IterableDataset {
    return new IterableDataset({ ex, features: this._features, split: this.split, shuffling: this.shuffling, distributed: this.distributed, format: this.format, epoch: this._epoch, info: this.info, ...changes });
  }

  /** The features, or null when unknown (after a map without `features`, or JSON/CSV without a card). */
  get features(): Features | null { return this._features ? this._features.copy() : null; }
  get columnNames(): string[] | null { return this._features ? [...this._features.keys()] : null; }
  get numShards(): number { return this.ex.numShards; }
  get epoch(): number { return this._epoch; }
  /** Python's set_epoch: a shuffled dataset takes a new shard order and buffer seed each epoch. */
  setEpoch(epoch: number): void { this._epoch = epoch; }

  // ------------------------------------------------------------------ construction

  /** Python's IterableDataset.from_generator: `genKwargs` lists are the shards (one list length, split among shards). */
  static fromGenerator(generator: (kwargs: any) => AsyncIterable<Row> | Iterable<Row>, params: { genKwargs?: Record<string, unknown>; features?: Features } = {}): IterableDataset {
    const kw = params.genKwargs ?? {};
    const lists = Object.entries(kw).filter(([, v]) => Array.isArray(v)) as [string, unknown[]][];
    const n = lists.length ? lists[0]![1].length : 1;
    if (lists.some(([, v]) => v.length !== n)) throw new Error(`fromGenerator: the lists in genKwargs have different lengths (${lists.map(([k, v]) => `${k}: ${v.length}`).join(', ')}); give them one length (the number of shards)`);
    const shards = Array.from({ length: n }, (_v, i) => Object.fromEntries(Object.entries(kw).map(([k, v]) => [k, Array.isArray(v) ? [v[i]] : v])));
    const features = params.features ?? null;
    return new IterableDataset({
      ex: new ShardSource(shards, async function* (s) { for await (const r of generator(s)) yield features ? encodeRow(features, r, 'fromGenerator') : r; }),
      features,
    });
  }

  /** Python's Dataset.to_iterable_dataset(num_shards): contiguous row ranges as shards. */
  static fromDataset(ds: Dataset, params: { numShards?: number } = {}): IterableDataset {
    const n = Math.max(1, Math.min(params.numShards ?? 1, Math.max(ds.numRows, 1)));
    const shards = shardIndices(ds.numRows, 1, 0, true).length ? Array.from({ length: n }, (_v, i) => {
      const div = Math.floor(ds.numRows / n); const mod = ds.numRows % n;
      const start = div * i + Math.min(i, mod);
      return [start, start + div + (i < mod ? 1 : 0)] as const;
    }) : [[0, 0] as const];
    return new IterableDataset({
      ex: new ShardSource(shards, async function* ([a, b], skip) {
        if (skip) { const k = Math.min(skip.n, b - a); skip.n -= k; a += k; } // rows skipped unread
        for (let s = a; s < b; s += 1000) {
          const batch = await ds.slice(s, Math.min(b, s + 1000));
          yield* rowsOf(batch, 'toIterableDataset');
        }
      }),
      features: ds.features, split: ds.split, info: ds.info,
    });
  }

  // ------------------------------------------------------------------ iteration

  /** The chain for this epoch: the shuffled shard order and buffers, then this rank's part. */
  private prepared(): ExIterable {
    let ex = this.ex;
    if (this.shuffling !== null) ex = ex.shuffleDataSources(this.effectiveSeed());
    if (this.distributed) {
      const { rank, worldSize } = this.distributed;
      ex = ex.numShards % worldSize === 0 ? ex.shardDataSources(worldSize, rank, false) : new StepIterable(ex, worldSize, rank);
    }
    return ex;
  }

  /** datasets' _effective_generator: the shuffle seed at epoch 0, then default_rng(seed).integers(0, 2**63) - epoch. */
  private effectiveSeed(): Seed {
    if (this._epoch === 0) return this.shuffling!;
    let s = defaultRng(this.shuffling!).integers63() - BigInt(this._epoch);
    if (s < 0n) s += 1n << 63n;
    return s;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Row> {
    const fmt = this.format === 'torch' ? await torchFormatter() : null;
    for await (const row of this.prepared().iter()) yield fmt ? fmt(row) : row;
  }

  /**
   * The stream of this epoch without its first `n` examples (a resume): skipped at the source, without
   * reading whole shards and row groups, when each step maps one example to one; else read and dropped.
   */
  async *iterSkipping(n: number): AsyncGenerator<Row> {
    const chain = this.prepared();
    const fast = n > 0 ? chain.fastSkip(n) : chain;
    const fmt = this.format === 'torch' ? await torchFormatter() : null;
    let dropped = fast ? n : 0;
    for await (const row of (fast ?? chain).iter()) {
      if (dropped < n) { dropped++; continue; }
      yield fmt ? fmt(row) : row;
    }
  }

  /** Python's `ds.iter(batch_size)`: batches (dicts of columns). */
  async *iter(params: { batchSize: number; dropLastBatch?: boolean }): AsyncGenerator<Batch> {
    if (!(params.batchSize > 0)) throw new Error(`iter: batchSize must be positive, got ${params.batchSize}`);
    for await (const rows of batches(this, params.batchSize, !!params.dropLastBatch)) yield batchOf(rows);
  }

  /** The first `n` examples as a list (Python's list(ds.take(n))). */
  async toList(n = Infinity): Promise<Row[]> {
    const out: Row[] = [];
    if (n <= 0) return out;
    for await (const r of this) { out.push(r); if (out.length >= n) break; }
    return out;
  }

  // ------------------------------------------------------------------ operations (new datasets)

  /** Python's map: applied on the fly as examples are read; batched maps may change the number of rows. */
  map(fn: (...args: any[]) => unknown, params: IterableMapOptions = {}): IterableDataset {
    if (typeof fn !== 'function') throw new TypeError('map: give a function');
    const remove = asList(params.removeColumns);
    if (this._features) {
      const missing = [...remove, ...asList(params.inputColumns)].filter((c) => !this._features!.has(c));
      if (missing.length) throw new Error(`map: column ${pyRepr(missing)} not in the dataset; current columns: ${pyRepr(this.columnNames)}`);
    }
    return this.derive(new MapIterable(this.ex, fn, params), { features: params.features ?? null });
  }

  filter(fn: (...args: any[]) => unknown, params: IterableFilterOptions = {}): IterableDataset {
    if (typeof fn !== 'function') throw new TypeError('filter: give a function');
    return this.derive(new FilterIterable(this.ex, fn, params));
  }

  /**
   * Python's shuffle(seed, buffer_size): the shard order is shuffled and examples come out of a buffer
   * of `bufferSize` (default 1000) random picks; with setEpoch(e) each epoch gets its own order.
   */
  shuffle(params: { seed?: number | null; bufferSize?: number } = {}): IterableDataset {
    const bufferSize = params.bufferSize ?? 1000;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new Error(`shuffle: bufferSize must be a positive integer, got ${bufferSize}`);
    const seed = params.seed ?? Math.floor(Math.random() * 2 ** 32);
    return this.derive(new BufferShuffleIterable(this.ex, bufferSize, seed), { shuffling: seed });
  }

  skip(n: number): IterableDataset { return this.derive(new SkipTakeIterable(this.ex, 'skip', checkCount(n, 'skip'), this.distributed === null)); }
  take(n: number): IterableDataset { return this.derive(new SkipTakeIterable(this.ex, 'take', checkCount(n, 'take'), this.distributed === null)); }

  /** Python's batch(batch_size, drop_last_batch): each example is a batch (a dict of lists). */
  batch(batchSize: number | { batchSize: number; dropLastBatch?: boolean }, dropLastBatch = false): IterableDataset {
    const o = typeof batchSize === 'object' ? batchSize : { batchSize, dropLastBatch };
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batch: batchSize must be a positive integer, got ${o.batchSize}`);
    // the features of the batches are unknown (datasets leaves them to inference)
    return this.map((b: Batch) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, [v]])), { batched: true, batchSize: o.batchSize, dropLastBatch: !!o.dropLastBatch });
  }

  /** Python's with_format: null/'python' (plain values) or 'torch' (numbers and numeric lists as tensors). */
  withFormat(type: IterableFormat | 'pt'): IterableDataset {
    if (!VALID_FORMATS.has(type)) throw new Error(`withFormat: unknown format ${pyRepr(type)}; use null, 'python' or 'torch' (JavaScript has no numpy, pandas or arrow formats)`);
    return this.derive(this.ex, { format: (type === 'pt' ? 'torch' : type) as IterableFormat });
  }

  removeColumns(columnNames: string | string[]): IterableDataset {
    const cols = asList(columnNames);
    this.checkColumns(cols, 'removeColumns');
    const features = this._features ? new Features([...this._features].filter(([k]) => !cols.includes(k))) : null;
    return this.derive(new MapIterable(this.ex, () => ({}), { removeColumns: cols }), { features });
  }

  selectColumns(columnNames: string | string[]): IterableDataset {
    const cols = asList(columnNames);
    this.checkColumns(cols, 'selectColumns');
    const features = this._features ? new Features(cols.map((k) => [k, this._features!.get(k)!] as const)) : null;
    return this.mapRows((r) => Object.fromEntries(cols.map((c) => [c, r[c]])), features);
  }

  renameColumn(original: string, newName: string): IterableDataset { return this.renameColumns({ [original]: newName }); }

  renameColumns(mapping: Record<string, string>): IterableDataset {
    this.checkColumns(Object.keys(mapping), 'renameColumns');
    const features = this._features ? new Features([...this._features].map(([k, f]) => [mapping[k] ?? k, f] as const)) : null;
    return this.mapRows((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [mapping[k] ?? k, v])), features);
  }

  private mapRows(fn: (r: Row) => Row, features: Features | null = this._features): IterableDataset {
    return this.derive(new RowFnIterable(this.ex, fn), { features });
  }

  private checkColumns(cols: string[], op: string): void {
    if (!this._features) return;
    const missing = cols.filter((c) => !this._features!.has(c));
    if (missing.length) throw new Error(`${op}: column ${pyRepr(missing)} not in the dataset; current columns: ${pyRepr(this.columnNames)}`);
  }

  /** @internal datasets.distributed.split_dataset_by_node. */
  splitByNode(rank: number, worldSize: number): IterableDataset {
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`splitDatasetByNode: worldSize must be a positive integer, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new Error(`splitDatasetByNode: rank must be an integer in [0, ${worldSize - 1}], got ${rank}`);
    const d = this.distributed ? { rank: worldSize * this.distributed.rank + rank, worldSize: worldSize * this.distributed.worldSize } : { rank, worldSize };
    return this.derive(this.ex, { distributed: d });
  }

  toString(): string {
    return `IterableDataset({\n    features: ${this._features ? pyRepr(this.columnNames) : 'Unknown'},\n    num_shards: ${this.numShards}\n})`;
  }
  [inspect.custom](): string { return this.toString(); }
}

/** A plain row -> row function (rename/select), passing shuffling and sharding through. */
class RowFnIterable extends Wrapper {
  constructor(inner: ExIterable, readonly fn: (r: Row) => Row) { super(inner); }
  override fastSkip(n: number): ExIterable | null { const inner = this.inner.fastSkip(n); return inner && this.with(inner); }
  with(inner: ExIterable): ExIterable { return new RowFnIterable(inner, this.fn); }
  async *iter(): AsyncGenerator<Row> { for await (const r of this.inner.iter()) yield this.fn(r); }
}

function checkCount(n: number, op: string): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${op}: n must be a non-negative integer, got ${n}`);
  return n;
}

/** datasets.distributed.split_dataset_by_node for an IterableDataset (or a Dataset: its rows split in contiguous blocks). */
export function splitDatasetByNode(dataset: IterableDataset, params: { rank: number; worldSize: number }): IterableDataset;
export function splitDatasetByNode(dataset: Dataset, params: { rank: number; worldSize: number }): Dataset;
export function splitDatasetByNode(dataset: IterableDataset | Dataset, params: { rank: number; worldSize: number }): IterableDataset | Dataset {
  if (dataset instanceof IterableDataset) return dataset.splitByNode(params.rank, params.worldSize);
  const { rank, worldSize } = params;
  if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new Error(`splitDatasetByNode: need 0 <= rank < worldSize (integers), got rank ${rank}, worldSize ${worldSize}`);
  }
  // datasets: dataset.shard(num_shards=world_size, index=rank, contiguous=True)
  const n = dataset.numRows; const div = Math.floor(n / worldSize); const mod = n % worldSize;
  const start = div * rank + Math.min(rank, mod);
  const end = start + div + (rank < mod ? 1 : 0);
  return dataset.select(Array.from({ length: end - start }, (_v, i) => start + i));
}

class IterableDatasetDictBase extends Map<string, IterableDataset> {
  constructor(splits?: Record<string, IterableDataset>) {
    super(splits ? Object.entries(splits) : undefined);
    return new Proxy(this, {
      get(target, prop) {
        if (typeof prop === 'string' && !(prop in target)) {
          const ds = Map.prototype.get.call(target, prop) as IterableDataset | undefined;
          if (ds) return ds;
          if (/^(then|catch|finally|toJSON|constructor|length|inspect|valueOf|asymmetricMatch|nodeType)$/.test(prop) || /^[_$@]/.test(prop)) return undefined;
          throw new Error(`Unknown split "${prop}". Should be one of ${pyRepr([...Map.prototype.keys.call(target)])}.`);
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
  override get(split: string): IterableDataset {
    const ds = super.get(split);
    if (!ds) throw new Error(`Unknown split "${split}". Should be one of ${pyRepr([...this.keys()])}.`);
    return ds;
  }
  get splits(): string[] { return [...this.keys()]; }
  private each(f: (d: IterableDataset) => IterableDataset): IterableDatasetDict {
    return new IterableDatasetDict(Object.fromEntries([...this].map(([k, d]) => [k, f(d)])));
  }
  map(fn: (...args: any[]) => unknown, params: IterableMapOptions = {}): IterableDatasetDict { return this.each((d) => d.map(fn, params)); }
  filter(fn: (...args: any[]) => unknown, params: IterableFilterOptions = {}): IterableDatasetDict { return this.each((d) => d.filter(fn, params)); }
  shuffle(params: { seed?: number | null; bufferSize?: number } = {}): IterableDatasetDict { return this.each((d) => d.shuffle(params)); }
  withFormat(type: IterableFormat | 'pt'): IterableDatasetDict { return this.each((d) => d.withFormat(type)); }
  removeColumns(c: string | string[]): IterableDatasetDict { return this.each((d) => d.removeColumns(c)); }
  renameColumn(a: string, b: string): IterableDatasetDict { return this.each((d) => d.renameColumn(a, b)); }
  renameColumns(m: Record<string, string>): IterableDatasetDict { return this.each((d) => d.renameColumns(m)); }
  selectColumns(c: string | string[]): IterableDatasetDict { return this.each((d) => d.selectColumns(c)); }
  override toString(): string {
    const body = [...this].map(([k, v]) => `${k}: ${v}`).join('\n').replace(/^/gm, '    ');
    return `IterableDatasetDict({\n${body}\n})`;
  }
  [inspect.custom](): string { return this.toString(); }
}

/** Python's IterableDatasetDict: split name -> IterableDataset (`dd.train`, `dd['test']`), the operations applied to every split. */
export type IterableDatasetDict = IterableDatasetDictBase & { readonly [split: string]: IterableDataset };
export const IterableDatasetDict = IterableDatasetDictBase as unknown as {
  new (splits?: Record<string, IterableDataset>): IterableDatasetDict;
  readonly prototype: IterableDatasetDict;
};

// ---------------------------------------------------------------------------------------------
// Files as shards

function encodeRow(features: Features, r: Row, where: string): Row {
  const out: Row = {};
  for (const [k, f] of features) out[k] = encodeValue(f, r[k] ?? null, `${where}, column '${k}'`);
  return out;
}

async function decodeRow(features: Features, decode: [string, FeatureType][], r: Row, where: string): Promise<Row> {
  for (const [k, f] of decode) r[k] = await decodeValue(f, r[k], `${where}, column '${k}'`);
  return r;
}

/** Rows of chunked (parquet row group / Arrow record batch) columns, one chunk at a time, read around the shared cache. */
async function* chunkRows(file: string, columns: Map<string, Column>, features: Features, skip?: SkipCounter): AsyncGenerator<Row> {
  const names = [...features.keys()];
  const cols = names.map((n) => columns.get(n) as ChunkedColumn);
  const decode = [...features].filter(([, f]) => needsDecode(f));
  const nChunks = cols.length ? cols[0]!.chunks.length : 0;
  let start = 0;
  for (let c = 0; c < nChunks; c++) {
    const rows = cols[0]!.chunks[c]!.rows;
    if (skip && skip.n >= rows) { skip.n -= rows; start += rows; continue; } // a whole row group never read
    const values = await Promise.all(cols.map((col) => col.chunks[c]!.load()));
    const from = skip ? skip.n : 0;
    if (skip) skip.n = 0;
    for (let i = from; i < rows; i++) {
      const r: Row = {};
      for (let k = 0; k < names.length; k++) r[names[k]!] = values[k]![i];
      yield decode.length ? await decodeRow(features, decode, r, `${file} row ${start + i}`) : r;
    }
    start += rows;
  }
}

export type StreamBuilder = 'parquet' | 'arrow' | 'csv' | 'json';

export interface StreamOptions {
  features?: Features | null; sep?: string; delimiter?: string; field?: string; split?: string | null;
  /** Makes a shard local before it is read (the Hub: downloaded when the iteration reaches it). */
  fetchFile?: (file: string) => Promise<string>;
  info?: DatasetInfo;
}

/** A streaming split over data files: each file is a shard. Parquet/Arrow footers are read once for the features. */
export async function streamingSplit(builder: StreamBuilder, files: string[], o: StreamOptions = {}): Promise<IterableDataset> {
  let features = o.features ?? null;
  let read: (file: string, skip?: SkipCounter) => AsyncGenerator<Row>;
  const local = async (f: string): Promise<string> => (o.fetchFile ? await o.fetchFile(f) : f);
  if (builder === 'parquet' || builder === 'arrow') {
    const open = async (f: string) => { const p = await local(f); return builder === 'parquet' ? await openParquet(p) : openArrow(p); };
    if (!features && files.length) features = (await open(files[0]!)).features;
    const want = features;
    read = async function* (file, skip) {
      const t = await open(file);
      if (skip && skip.n >= t.numRows) { skip.n -= t.numRows; return; } // the footer's count: the file is skipped unread
      if (want) {
        const missing = [...want.keys()].filter((k) => !t.features.has(k));
        if (missing.length) throw new DatasetError(`${file}: lacks the columns ${pyRepr(missing)} of the other shards (columns: ${pyRepr([...t.features.keys()])}); all files of a split must have the same columns`);
      }
      yield* chunkRows(file, t.columns, want ?? t.features, skip);
    };
  } else if (builder === 'csv') {
    read = async function* (file) {
      yield* csvRows(await local(file), features, o.sep ?? o.delimiter ?? (extname(file).toLowerCase() === '.tsv' ? '\t' : ','));
    };
  } else {
    read = async function* (file) { yield* jsonRows(await local(file), features, o.field); };
  }
  return new IterableDataset({ ex: new ShardSource(files, read), features, split: o.split ?? null, info: o.info ?? { builderName: builder } });
}

function* textRows(p: { columns: Record<string, unknown[]>; numRows: number; rowLabel: (i: number) => string }, features: Features | null, _file: string): Generator<Row> {
  const names = features ? [...features.keys()] : Object.keys(p.columns);
  for (let i = 0; i < p.numRows; i++) {
    const r: Row = {};
    for (const n of names) r[n] = p.columns[n]?.[i] ?? null;
    yield features ? encodeRow(features, r, p.rowLabel(i)) : r;
  }
}

/**
 * CSV read in chunks of 10,000 records (a record ends at a newline outside quotes), each chunk typed on
 * its own as pandas' read_csv(chunksize=10_000) does for datasets' streaming, then cast to the features.
 */
async function* csvRows(file: string, features: Features | null, sep: string, chunkRecords = 10_000): AsyncGenerator<Row> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: string[] | null = null;
  let lines: string[] = []; let records = 0; let quotes = 0; let ln = 0; let chunkLine = 1; let recordStart = 1;
  const flush = function* (): Generator<Row> {
    if (!lines.length) return;
    const text = lines.join('\n');
    lines = []; records = 0;
    if (!header) {
      const p = parseCsvText(text, file, { sep });
      header = Object.keys(p.columns);
      yield* textRows(p, features, file);
    } else {
      yield* textRows(parseCsvText(text, file, { sep, columnNames: header, firstLine: chunkLine }), features, file);
    }
  };
  try {
    for await (const line of rl) {
      ln++;
      if (!lines.length) chunkLine = ln;
      if (quotes % 2 === 0) recordStart = ln;
      lines.push(line);
      for (let i = line.indexOf('"'); i !== -1; i = line.indexOf('"', i + 1)) quotes++;
      if (quotes % 2 === 0) {
        records++;
        // the first chunk also holds the header row
        if (records >= chunkRecords + (header ? 0 : 1)) yield* flush();
      }
    }
    if (quotes % 2 !== 0) throw new DatasetError(`${file} line ${recordStart}: a quoted field is never closed (EOF inside quotes); fix the quoting in that row`);
    yield* flush();
  } finally { rl.close(); }
}

/** JSON Lines read line by line (a JSON document, or `field` inside one, is read whole: it is one shard). */
async function* jsonRows(file: string, features: Features | null, field: string | undefined): AsyncGenerator<Row> {
  const whole = (): Generator<Row> => textRows(readJson(file, { field }), features, file);
  if (field) { yield* whole(); return; }
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let ln = 0;
  try {
    for await (let line of rl) {
      ln++;
      if (ln === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      const s = line.trim();
      if (!s) continue;
      if (ln === 1 && s.startsWith('[')) { rl.close(); yield* whole(); return; }
      let obj: unknown;
      try { obj = JSON.parse(s); } catch (e) {
        if (ln === 1 && s.startsWith('{')) { rl.close(); yield* whole(); return; } // a pretty-printed JSON object
        throw new DatasetError(`${file} line ${ln}: invalid JSON (${(e as Error).message.slice(0, 120)}); fix or remove that line`);
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new DatasetError(`${file} line ${ln}: expected a JSON object per line`);
      yield features ? encodeRow(features, obj as Row, `${file} line ${ln}`) : obj as Row;
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw datasetErrorIn(`${file} line ${ln + 1}`, e, 'check the file');
  } finally { rl.close(); }
}

/** Features inferred from the first examples (datasets' _resolve_features), when the files don't say. */
export async function resolveFeatures(ds: IterableDataset, n = 100): Promise<Features> {
  const rows = await ds.take(n).toList();
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return new Features(names.map((c) => [c, inferFeature(rows.map((r) => r[c] ?? null), c)] as const));
}

// ---------------------------------------------------------------------------------------------
// torch format

async function torchFormatter(): Promise<(r: Row) => Row> {
  const { tensor } = await import('../torch/index') as { tensor: (d: unknown, o?: { dtype?: string }) => unknown };
  const numeric = (v: unknown): 'int' | 'float' | null => {
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    if (Array.isArray(v) && v.length) {
      let kind: 'int' | 'float' = 'int';
      for (const x of v) { const k = numeric(x); if (!k) return null; if (k === 'float') kind = 'float'; }
      return kind;
    }
    return null;
  };
  return (r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) {
      const kind = numeric(v);
      if (!kind) { out[k] = v; continue; }
      try { out[k] = tensor(v, { dtype: kind === 'int' ? 'int64' : 'float32' }); } catch { out[k] = v; } // ragged lists stay lists
    }
    return out;
  };
}
