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
    // Each call ends by letting the event loop turn once. The tasks dispose their tensors (tidy), but
    // the small N-API shell of each handle is released by a finalizer Node runs from setImmediate,
    // which a loop of `await pipe(x)` over synchronous work never reaches: RSS grew linearly.
    const call = this.call;
    this.call = async (inputs: I, options?: Opts): Promise<O> => {
      try {
        return await call.call(this, inputs, options);
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

  /** Frees the model's tensors; the pipeline cannot be used afterwards. */
  dispose(): void {
    for (const p of this.model.parameters()) p.dispose();
  }

  /** Splits `items` into chunks of batchSize. */
  protected *chunks<T>(items: T[]): Generator<T[]> {
    for (let i = 0; i < items.length; i += this.batchSize) yield items.slice(i, i + this.batchSize);
  }
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
