// The pipeline object: callable (`await pipe(inputs, opts)`, which is `pipe.call(inputs, opts)`,
// also spelled `pipe.run(inputs, opts)`), with the task, model, preprocessor and device as fields.
import { CallableBase } from '../preprocessing/tokenizers/callable';
import { yieldToEventLoop, type Tensor } from '../torch/index';
import { isFloating, type DType } from '../torch/dtype';
import type { PreTrainedTokenizer } from '../preprocessing/tokenization-base';
import type { ViTImageProcessor } from '../preprocessing/image-processing';

/** What a pipeline needs from a model (hubtune's PreTrainedModel fits). */
export interface PipelineModel {
  config: { id2label: Record<number, string>; numLabels: number; problemType?: string | null; modelType: string; architectures?: string[] | null; nameOrPath?: string };
  forward(inputs: Record<string, unknown>): any;
  eval(): unknown;
  to(device: string): unknown;
  parameters(): Tensor[];
}

export interface PipelineInit {
  task: string;
  model: PipelineModel;
  tokenizer?: PreTrainedTokenizer | null;
  imageProcessor?: ViTImageProcessor | null;
  device: string;
  batchSize?: number;
  /** Worker threads that preprocess inputs while the model runs (image pipelines; 0: none). */
  numWorkers?: number;
  /** Where the model came from (Hub id or folder). */
  modelId: string;
}

export interface Pipeline<I = unknown, O = unknown, Opts = Record<string, unknown>> {
  (inputs: I, options?: Opts): Promise<O>;
}

export abstract class Pipeline<I = unknown, O = unknown, Opts = Record<string, unknown>> extends CallableBase {
  readonly task: string;
  readonly model: PipelineModel;
  readonly tokenizer: PreTrainedTokenizer | null;
  readonly imageProcessor: ViTImageProcessor | null;
  readonly device: string;
  readonly modelId: string;
  /** Inputs per forward pass (default 8). */
  batchSize: number;
  /** Worker threads that preprocess inputs while the model runs (image pipelines; default 0: none). */
  readonly numWorkers: number;
  /** Call-time defaults set by pipeline(task, {topK, functionToApply, ...}). */
  defaults: Partial<Opts> = {};

  constructor(init: PipelineInit) {
    super();
    this.task = init.task;
    this.model = init.model;
    this.tokenizer = init.tokenizer ?? null;
    this.imageProcessor = init.imageProcessor ?? null;
    this.device = init.device;
    this.modelId = init.modelId;
    this.batchSize = init.batchSize ?? 8;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${init.batchSize})`);
    this.numWorkers = init.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) throw new Error(`numWorkers must be a non-negative integer (got ${init.numWorkers})`);
    // Each call ends by letting the event loop turn once. The tasks dispose their tensors (tidy), but
    // the small N-API shell of each handle is released by a finalizer Node runs from setImmediate,
    // which a loop of `await pipe(x)` over synchronous work never reaches: RSS grew linearly.
    const call = this.call as (...args: unknown[]) => Promise<O>;
    // every argument goes through (zero-shot-classification takes (inputs, candidateLabels, options))
    this.call = async (inputs: I, options?: Opts, ...rest: unknown[]): Promise<O> => {
      try {
        return await call.call(this, inputs, options, ...rest);
      } finally {
        await yieldToEventLoop();
      }
    };
  }

  /** The dtype of the model's floating-point weights (inputs are cast to it; float32 when it has none). */
  get dtype(): DType {
    const p = this.model.parameters().find((t) => isFloating(t.dtype));
    return p ? p.dtype : 'float32';
  }

  /** A floating-point input (pixel values, embeddings) cast to the model's dtype and moved to its device. */
  protected modelFloat(t: Tensor): Tensor {
    const dtype = this.dtype;
    return t.to({ device: this.device, dtype: isFloating(t.dtype) && t.dtype !== dtype ? dtype : undefined });
  }

  /** Runs the pipeline on one input or an array of inputs. */
  abstract call(inputs: I, options?: Opts): Promise<O>;

  /** Same as calling the pipeline. */
  run(inputs: I, options?: Opts): Promise<O> {
    return this.call(inputs, options);
  }

  /**
   * Runs over a list, an iterable or an async iterable (a dataset column: see keyDataset), batchSize
   * inputs per forward pass, and yields one output per input in order, as transformers' pipelines do
   * over datasets. An input that fails yields a PipelineItemError (with its index) and the others go on.
   */
  async *stream<T = unknown>(inputs: Iterable<unknown> | AsyncIterable<unknown>, options?: Opts): AsyncGenerator<T | PipelineItemError> {
    let start = 0;
    for await (const chunk of batchesOf(inputs, this.batchSize)) {
      yield* (await this.runItems(chunk, start, options)) as (T | PipelineItemError)[];
      start += chunk.length;
    }
  }

  /** The outputs of one batch of inputs, a PipelineItemError in place of each input that fails. */
  protected async runItems(chunk: unknown[], start: number, options?: Opts): Promise<unknown[]> {
    try {
      return await this.call(chunk as I, options) as unknown[];
    } catch {
      // find the failing inputs: one at a time
      const out: unknown[] = [];
      for (let i = 0; i < chunk.length; i++) {
        try {
          out.push((await this.call([chunk[i]] as I, options) as unknown[])[0]);
        } catch (e) {
          out.push(new PipelineItemError(start + i, e));
        }
      }
      return out;
    }
  }

  /** Frees the model's tensors; the pipeline cannot be used afterwards. */
  dispose(): void {
    for (const p of this.model.parameters()) p.dispose();
  }

  /** Splits `items` into chunks of batchSize. */
  protected *chunks<T>(items: T[]): Generator<T[]> {
    for (let i = 0; i < items.length; i += this.batchSize) yield items.slice(i, i + this.batchSize);
  }
}

/** One input of a batch that failed; `cause` is the original error. */
export class PipelineItemError extends Error {
  override name = 'PipelineItemError';
  constructor(readonly index: number, override readonly cause: unknown) {
    super(`input ${index}: ${String((cause as Error)?.message ?? cause).split('\n')[0]}`);
  }
}

/** Some inputs of a list failed: `results` has every output (null where it failed), `failures` the errors. */
export class PipelineBatchError<T = unknown> extends Error {
  override name = 'PipelineBatchError';
  constructor(readonly results: (T | null)[], readonly failures: PipelineItemError[]) {
    const shown = failures.slice(0, 3).map((f) => f.message).join('; ');
    super(`${failures.length} of ${results.length} inputs failed (${shown}${failures.length > 3 ? '; ...' : ''}); the other ${results.length - failures.length} succeeded: they are in error.results`);
  }
}

/** Groups a list, iterable or async iterable into arrays of `size`. */
export async function* batchesOf<T>(inputs: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  if (inputs === null || typeof inputs !== 'object' || !(Symbol.iterator in inputs || Symbol.asyncIterator in inputs)) {
    throw new Error('stream(inputs): inputs must be an array, an iterable or an async iterable (e.g. keyDataset(dataset, "image"))');
  }
  let cur: T[] = [];
  for await (const x of inputs as AsyncIterable<T>) {
    cur.push(x);
    if (cur.length === size) { yield cur; cur = []; }
  }
  if (cur.length) yield cur;
}

/** Row-wise softmax of a [N, K] score matrix in float64. */
export function softmaxRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const m = Math.max(...r);
    const e = r.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Label for a class id: config.id2label, or LABEL_i. */
export function labelOf(id2label: Record<number, string>, i: number): string {
  return id2label[i] ?? `LABEL_${i}`;
}

/**
 * [{label, score}] sorted by score (descending), the first topK (null: all). Keys in transformers' order
 * for the task: text-classification gives {label, score}, image-classification {score, label} (`scoreFirst`).
 */
export function topLabels(scores: number[], id2label: Record<number, string>, topK: number | null, scoreFirst = false): { label: string; score: number }[] {
  const all = scores.map((score, i) => (scoreFirst ? { score, label: labelOf(id2label, i) } : { label: labelOf(id2label, i), score }));
  all.sort((a, b) => b.score - a.score);
  return topK === null ? all : all.slice(0, topK);
}

export function checkTopK(topK: unknown): number | null {
  if (topK === null) return null;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer or null (all labels), got ${String(topK)}`);
  return topK;
}
