// The Trainer's data loader (torch DataLoader + the samplers transformers uses): batches of row
// indices (sequential, seeded random, or length-grouped), rows read through the dataset's
// getBatch (which applies its transform), turned into tensors by the collator, and prepared
// `prefetch` batches ahead so the next batch is being built while the current step runs.
//
// Data order: epoch e of a shuffled loader uses torch.randperm(n) drawn from a Generator seeded with
// `seed + e` (accelerate's SeedableRandomSampler, which transformers uses), so the order depends
// only on (seed, epoch): a resumed run gets the same order without replaying earlier epochs, and
// model-init randomness (the global generator) is not touched.
import { Generator, randperm, type Tensor } from '../torch/index';
import { disposeAll } from '../torch/index';

/** What the loader needs from a dataset (src/datasets Dataset fits). */
export interface DatasetLike {
  readonly numRows: number;
  /** Rows at `indices` as a dict of columns, transform applied. */
  getBatch(indices: ArrayLike<number>): Promise<Record<string, unknown[]>>;
  readonly columnNames?: string[];
  column?(name: string): Promise<unknown[]>;
}

export type Feature = Record<string, unknown>;
export type Collator = (features: Feature[]) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface DataLoaderOptions {
  dataset: DatasetLike;
  batchSize: number;
  /** Builds a batch from rows (default: the caller must pass one; the Trainer passes defaultDataCollator). */
  collateFn: Collator;
  /** Seeded random order per epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the data order (TrainingArguments.dataSeed ?? seed). */
  seed?: number;
  dropLast?: boolean;
  /** LengthGroupedSampler: megabatches of 50 x batchSize sorted by length (needs `lengths`). */
  groupByLength?: boolean;
  /** Length of each row (for groupByLength). */
  lengths?: number[];
  /** Batches prepared ahead of the one being consumed (default 2; 0 = prepare on demand). */
  prefetch?: number;
  /**
   * This process's share in data-parallel training (accelerate's BatchSamplerShard with
   * even_batches): of the epoch's batches, rank r takes batches r, r + worldSize, ...; the last round
   * is completed from the start of the epoch's order so every rank gets as many full batches.
   */
  shard?: { rank: number; worldSize: number };
}

/** transformers' get_length_grouped_indices, with a seeded generator. */
export function lengthGroupedIndices(lengths: number[], batchSize: number, generator: Generator, megaBatchMult?: number): number[] {
  const perm = randperm(lengths.length, { generator });
  const indices = perm.tolist1d();
  perm.dispose();
  let mult = megaBatchMult ?? Math.min(Math.floor(lengths.length / (batchSize * 4)), 50);
  if (mult === 0) mult = 1;
  const size = mult * batchSize;
  const megabatches: number[][] = [];
  for (let i = 0; i < indices.length; i += size) {
    megabatches.push(indices.slice(i, i + size).sort((a, b) => lengths[b]! - lengths[a]!));
  }
  // The longest element first, so an out-of-memory error shows up at once.
  const maxima = megabatches.map((m) => lengths[m[0]!]!);
  let maxIdx = 0;
  for (let i = 1; i < maxima.length; i++) if (maxima[i]! > maxima[maxIdx]!) maxIdx = i;
  if (megabatches.length) {
    const a = megabatches[0]!, b = megabatches[maxIdx]!;
    [a[0], b[0]] = [b[0]!, a[0]!];
  }
  return megabatches.flat();
}

/** Rows of a column batch: {a: [1, 2], b: [3, 4]} -> [{a: 1, b: 3}, {a: 2, b: 4}]. */
export function batchToRows(batch: Record<string, unknown[]>): Feature[] {
  const keys = Object.keys(batch);
  const n = keys.length ? (batch[keys[0]!]?.length ?? 0) : 0;
  const rows: Feature[] = [];
  for (let i = 0; i < n; i++) {
    const r: Feature = {};
    for (const k of keys) r[k] = batch[k]![i];
    rows.push(r);
  }
  return rows;
}

export class DataLoader {
  readonly dataset: DatasetLike;
  readonly batchSize: number;
  readonly collateFn: Collator;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly groupByLength: boolean;
  readonly prefetch: number;
  readonly shard: { rank: number; worldSize: number } | undefined;
  private readonly lengths: number[] | undefined;

  constructor(o: DataLoaderOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batch size must be a positive integer, got ${o.batchSize}`);
    if (!o.dataset || typeof o.dataset.getBatch !== 'function') throw new Error('DataLoader needs a dataset with numRows and getBatch(indices) (a hubtune Dataset)');
    this.dataset = o.dataset;
    this.batchSize = o.batchSize;
    this.collateFn = o.collateFn;
    this.shuffle = !!o.shuffle;
    this.seed = o.seed ?? 42;
    this.dropLast = !!o.dropLast;
    this.groupByLength = !!o.groupByLength;
    this.prefetch = o.prefetch ?? 2;
    this.lengths = o.lengths;
    this.shard = o.shard && o.shard.worldSize > 1 ? o.shard : undefined;
    if (this.shard && !(Number.isInteger(this.shard.rank) && this.shard.rank >= 0 && this.shard.rank < this.shard.worldSize)) {
      throw new Error(`DataLoader shard: rank ${this.shard.rank} is not in 0..${this.shard.worldSize - 1}`);
    }
    if (this.groupByLength && (!this.lengths || this.lengths.length !== this.dataset.numRows)) {
      throw new Error(`groupByLength needs one length per row (${this.dataset.numRows}), got ${this.lengths?.length ?? 'none'}`);
    }
  }

  /** Batches per epoch (len(dataloader)). */
  get length(): number {
    const n = this.dataset.numRows;
    const per = this.batchSize * (this.shard?.worldSize ?? 1);
    return this.dropLast ? Math.floor(n / per) : Math.ceil(n / per);
  }

  /** Row order of an epoch. */
  order(epoch = 0): number[] {
    const n = this.dataset.numRows;
    if (this.groupByLength) return lengthGroupedIndices(this.lengths!, this.batchSize, new Generator(this.seed + epoch));
    if (!this.shuffle) return Array.from({ length: n }, (_v, i) => i);
    const perm = randperm(n, { generator: new Generator(this.seed + epoch) });
    const out = perm.tolist1d();
    perm.dispose();
    return out;
  }

  /** Row indices of each batch of an epoch (this rank's, when sharded). */
  batches(epoch = 0): number[][] {
    const order = this.order(epoch);
    if (this.shard) {
      const { rank, worldSize } = this.shard;
      const per = this.batchSize * worldSize;
      const rounds = this.dropLast ? Math.floor(order.length / per) : Math.ceil(order.length / per);
      const out: number[][] = [];
      for (let k = 0; k < rounds; k++) {
        const start = k * per + rank * this.batchSize;
        out.push(Array.from({ length: this.batchSize }, (_v, j) => order[(start + j) % order.length]!));
      }
      return out;
    }
    const out: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) {
      const b = order.slice(i, i + this.batchSize);
      if (this.dropLast && b.length < this.batchSize) break;
      out.push(b);
    }
    return out;
  }

  /** Reads and collates one batch of rows. */
  async load(indices: number[]): Promise<Record<string, unknown>> {
    const cols = await this.dataset.getBatch(indices);
    const rows = batchToRows(cols);
    if (rows.length !== indices.length) {
      throw new Error(`the dataset returned ${rows.length} rows for a batch of ${indices.length} (rows ${indices.slice(0, 5).join(', ')}...): a transform must return one value per row in every column`);
    }
    return await this.collateFn(rows);
  }

  /**
   * Iterates the batches of `epoch`, skipping the first `skipBatches` (without reading them), with
   * up to `prefetch` batches being prepared ahead. Yields {batch, indices, index}. Batches not
   * consumed (loop left early) are disposed.
   */
  async *iterate(params: { epoch?: number; skipBatches?: number } = {}): AsyncGenerator<{ batch: Record<string, unknown>; indices: number[]; index: number }> {
    const all = this.batches(params.epoch ?? 0);
    const start = params.skipBatches ?? 0;
    const queue: { index: number; indices: number[]; p: Promise<Record<string, unknown>> }[] = [];
    let next = start;
    const fill = () => {
      while (next < all.length && queue.length < Math.max(1, this.prefetch + 1)) {
        const indices = all[next]!;
        const p = this.load(indices);
        p.catch(() => {}); // surfaced when awaited
        queue.push({ index: next, indices, p });
        next++;
      }
    };
    try {
      fill();
      while (queue.length) {
        const head = queue.shift()!;
        const batch = await head.p;
        fill(); // start preparing the following batches before the consumer's step runs
        yield { batch, indices: head.indices, index: head.index };
      }
    } finally {
      for (const q of queue.splice(0)) q.p.then((b) => disposeAll(b), () => {});
    }
  }
}

/** Per-row lengths for groupByLength: the `lengthColumn` column if present, else len(input_ids). */
export async function rowLengths(dataset: DatasetLike, lengthColumn = 'length', mainInput = 'input_ids'): Promise<number[]> {
  const cols = dataset.columnNames ?? [];
  if (typeof dataset.column !== 'function') throw new Error('groupByLength needs a dataset with columns (a hubtune Dataset)');
  if (cols.includes(lengthColumn)) return (await dataset.column(lengthColumn)).map(Number);
  if (!cols.includes(mainInput)) {
    throw new Error(`groupByLength needs a '${lengthColumn}' column or a '${mainInput}' column to measure rows: add one (lengthColumnName) or turn groupByLength off`);
  }
  return (await dataset.column(mainInput)).map((v) => (v as { length: number }).length);
}

export type { Tensor };
