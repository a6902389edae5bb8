// Training from a streaming dataset (an IterableDataset): transformers' rules without a dataset length.
// maxSteps is required (the same message as transformers); "epochs" are passes over the stream (each
// pass calls setEpoch, so a shuffled stream takes a new order, as datasets + transformers do); the
// position in the stream (epoch and batches consumed) is a stateful callback, saved in the checkpoint's
// trainer_state.json, and a resume skips exactly those batches of that pass.
import type { CallbackStateJson } from './trainer-state';
import type { StatefulCallback } from './callbacks';
import type { Collator, Feature } from './data-loader';
import { disposeAll } from '../torch/index';

/** What the Trainer needs of a streaming dataset (src/datasets IterableDataset fits). */
export interface IterableDatasetLike {
  readonly isIterable: true;
  setEpoch(epoch: number): void;
  [Symbol.asyncIterator](): AsyncIterator<Record<string, unknown>>;
  readonly columnNames?: string[] | null;
  /** This epoch's stream without its first n examples (IterableDataset skips them at the source where it can). */
  iterSkipping?(n: number): AsyncIterable<Record<string, unknown>>;
}

export function isIterableDatasetLike(x: unknown): x is IterableDatasetLike {
  return !!x && typeof x === 'object' && (x as { isIterable?: unknown }).isIterable === true && typeof (x as { setEpoch?: unknown }).setEpoch === 'function';
}

/** transformers' check: a dataset without a length needs maxSteps. */
export function streamingMaxSteps(maxSteps: number): number {
  if (!(maxSteps > 0)) throw new Error(`args.max_steps must be set to a positive value if dataloader does not have a length, was ${maxSteps}: a streaming (Iterable) dataset has no length, so give TrainingArguments maxSteps`);
  return maxSteps;
}

/** transformers' RemoveColumnsCollator: each example keeps only the columns the model's forward takes. */
export function removeColumnsCollator(collate: Collator, keep: Set<string>): Collator {
  return (features) => collate(features.map((f) => Object.fromEntries(Object.entries(f).filter(([k]) => keep.has(k)))));
}

/** The stream position, saved under stateful_callbacks in trainer_state.json. */
export class StreamPositionCallback implements StatefulCallback {
  /** The pass over the stream (setEpoch value). */
  epoch = 0;
  /** Batches of that pass consumed by training steps. */
  batches = 0;
  /** Examples of that pass consumed. */
  examples = 0;
  onTrainBegin(): void { /* the loader moves the position */ }
  state(): CallbackStateJson {
    return { args: {}, attributes: { epoch: this.epoch, batches: this.batches, examples: this.examples } };
  }
}

/** The Trainer's loader over a stream: batches of `batchSize` examples collated as they arrive, prepared `prefetch` ahead. */
export class IterableDataLoader {
  readonly isIterable = true;
  /**
   * `shard`: accelerate's IterableDatasetShard for data parallelism: every rank reads the stream, takes
   * global batches of batchSize x worldSize examples and keeps its slice [rank x batchSize, (rank + 1) x
   * batchSize); a short last global batch is completed from the first one (or dropped with dropLast).
   */
  constructor(readonly dataset: IterableDatasetLike, readonly batchSize: number, readonly collateFn: Collator,
    readonly dropLast: boolean, readonly position: StreamPositionCallback, readonly prefetch = 2,
    readonly shard: { rank: number; worldSize: number } | null = null) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    if (shard && !(Number.isInteger(shard.worldSize) && shard.worldSize >= 1 && Number.isInteger(shard.rank) && shard.rank >= 0 && shard.rank < shard.worldSize)) {
      throw new Error(`IterableDataLoader: need 0 <= rank < worldSize, got rank ${shard.rank}, worldSize ${shard.worldSize}`);
    }
  }

  /** Raw example batches of pass `epoch`, the first `skipBatches` read and dropped (never collated). */
  private async *rowBatches(epoch: number, skipBatches: number): AsyncGenerator<{ rows: Feature[]; first: number }> {
    this.dataset.setEpoch(epoch);
    const ws = this.shard?.worldSize ?? 1; const rank = this.shard?.rank ?? 0;
    const global = this.batchSize * ws;
    const mine = (batch: Feature[]): Feature[] => batch.slice(rank * this.batchSize, (rank + 1) * this.batchSize);
    let rows: Feature[] = [];
    let firstBatch: Feature[] | null = null;
    let n = 0; let batchIndex = 0;
    let source = this.dataset as AsyncIterable<Feature>;
    if (skipBatches > 0 && this.dataset.iterSkipping) {
      // a resume: the consumed examples are skipped by the dataset (unread where it can)
      source = this.dataset.iterSkipping(skipBatches * global) as AsyncIterable<Feature>;
      n = skipBatches * global; batchIndex = skipBatches;
    }
    for await (const r of source) {
      n++;
      if (batchIndex < skipBatches) {
        if (n % global === 0) batchIndex++;
        continue;
      }
      rows.push(r);
      if (rows.length === global) {
        firstBatch ??= rows;
        yield { rows: mine(rows), first: n - global + rank * this.batchSize };
        rows = []; batchIndex++;
      }
    }
    if (!rows.length || this.dropLast) return;
    if (ws === 1) { yield { rows, first: n - rows.length }; return; }
    // accelerate: the last global batch is completed with examples from the first one
    const first = n - rows.length + rank * this.batchSize;
    const fill = firstBatch ?? rows.slice();
    while (rows.length < global) rows.push(...fill.slice(0, global - rows.length));
    yield { rows: mine(rows), first };
  }

  /** Batches of pass `epoch` as {batch, indices (example positions in the pass), index (batch number)}. */
  async *iterate(params: { epoch?: number; skipBatches?: number } = {}): AsyncGenerator<{ batch: Record<string, unknown>; indices: number[]; index: number }> {
    const epoch = params.epoch ?? 0; const skip = params.skipBatches ?? 0;
    const src = this.rowBatches(epoch, skip);
    const queue: { index: number; indices: number[]; p: Promise<Record<string, unknown>> }[] = [];
    let index = skip; let done = false;
    const fill = async (): Promise<void> => {
      while (!done && queue.length < Math.max(1, this.prefetch + 1)) {
        const next = await src.next();
        if (next.done) { done = true; break; }
        const { rows, first } = next.value;
        const p = Promise.resolve(this.collateFn(rows));
        p.catch(() => {}); // surfaced when awaited
        queue.push({ index: index++, indices: rows.map((_r, k) => first + k), p });
      }
    };
    this.position.epoch = epoch;
    this.position.batches = skip;
    this.position.examples = skip * this.batchSize;
    try {
      await fill();
      while (queue.length) {
        const head = queue.shift()!;
        const batch = await head.p;
        this.position.batches = head.index + 1;
        this.position.examples = head.indices[head.indices.length - 1]! + 1;
        yield { batch, indices: head.indices, index: head.index };
        await fill();
      }
    } finally {
      for (const q of queue.splice(0)) q.p.then((b) => disposeAll(b), () => {});
      await src.return(undefined);
    }
  }
}
