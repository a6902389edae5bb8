// image-classification: transformers' ImageClassificationPipeline. Over a list or a stream of
// images, decoding and preprocessing run ahead of the model (in numWorkers worker threads when
// asked, so they overlap the forward pass), and an image that fails is reported with its index
// while the others are classified.
import { existsSync } from 'node:fs';
import { noGrad, tensor, tidy } from '../torch/index';
import { ImagePreprocessPool } from '../preprocessing/image-worker-pool';
import type { PixelValues } from '../preprocessing/image-processing';
import { Pipeline, PipelineBatchError, PipelineItemError, batchesOf, checkTopK, sigmoid, softmaxRows, topLabels } from './base';
import { asBatch, isDecodedImage, loadImage, PipelineInputError, type ImageInputItem } from './inputs';
import type { TaskDefinition } from './tasks';

export interface ImageClassificationOptions {
  /** How many labels per image (default 5, at most the number of labels); null: all. */
  topK?: number | null;
  /** 'softmax' (default for single-label models), 'sigmoid' (multi-label) or 'none'. */
  functionToApply?: 'softmax' | 'sigmoid' | 'none';
}
export interface LabelScore { score: number; label: string }
export type ImageClassificationInput = ImageInputItem | ImageInputItem[];
export type ImageClassificationOutput = LabelScore[] | LabelScore[][];

const isImageItem = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array || isDecodedImage(v);
const isUrl = (s: string) => /^https?:\/\//i.test(s);
/** A datasets Image value that was not decoded ({bytes, path}) -> bytes or path. */
function undecoded(v: unknown): unknown {
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !isDecodedImage(v) && ('bytes' in v || 'path' in v)) {
    const o = v as { bytes?: Uint8Array | null; path?: string | null };
    return o.bytes ?? o.path ?? v;
  }
  return v;
}

export class ImageClassificationPipeline extends Pipeline<ImageClassificationInput, ImageClassificationOutput, ImageClassificationOptions> {
  private pool: ImagePreprocessPool | null = null;

  /** One image gives [{label, score}, ...]; an array of images gives one such list per image. */
  async call(inputs: ImageClassificationInput, options: ImageClassificationOptions = {}): Promise<ImageClassificationOutput> {
    const { items, single } = asBatch<ImageInputItem>(inputs as ImageInputItem | ImageInputItem[], isImageItem, 'image');
    const outs: (LabelScore[] | PipelineItemError)[] = [];
    for await (const r of this.stream<LabelScore[]>(items, options)) outs.push(r);
    const failures = outs.filter((r): r is PipelineItemError => r instanceof PipelineItemError);
    if (failures.length) {
      if (single) throw failures[0].cause;
      throw new PipelineBatchError(outs.map((r) => (r instanceof PipelineItemError ? null : r)), failures);
    }
    return single ? outs[0] as LabelScore[] : outs as LabelScore[][];
  }

  /**
   * Classifies a list, iterable or async iterable of images (e.g. keyDataset(ds, 'image')), one
   * output per image in order; preprocessing runs up to two batches ahead of the model.
   */
  override async *stream<T = LabelScore[]>(inputs: Iterable<unknown> | AsyncIterable<unknown>, options: ImageClassificationOptions = {}): AsyncGenerator<T | PipelineItemError> {
    const o = { ...this.defaults, ...options };
    const cfg = this.model.config;
    const topK = o.topK === undefined ? Math.min(5, cfg.numLabels) : checkTopK(o.topK);
    const fn = o.functionToApply ?? (cfg.problemType === 'multi_label_classification' || cfg.numLabels === 1 ? 'sigmoid' : 'softmax');
    if (!['softmax', 'sigmoid', 'none'].includes(fn)) throw new Error(`functionToApply must be 'softmax', 'sigmoid' or 'none' (got '${String(fn)}')`);
    const ahead: Promise<PixelValues>[][] = [];
    let index = 0;
    const it = batchesOf(inputs, this.batchSize)[Symbol.asyncIterator]();
    // one filler at a time; an error of the input iterable surfaces at the next batch
    let filling: Promise<void> | null = null;
    let failed: { error: unknown } | null = null;
    const fill = (): Promise<void> => (filling ??= (async () => {
      try {
        while (ahead.length < 2) {
          const next = await it.next();
          if (next.done) return;
          ahead.push(next.value.map((x) => {
            const p = this.prepare(undecoded(x), index++);
            p.catch(() => {}); // reported in order, as that input's PipelineItemError
            return p;
          }));
        }
      } catch (e) {
        failed = { error: e };
      } finally {
        filling = null;
      }
    })());
    let start = 0;
    for (;;) {
      await fill();
      if (failed) throw (failed as { error: unknown }).error;
      const batch = ahead.shift();
      if (!batch) return;
      // the following batch keeps preprocessing (in the workers) while this one runs
      void fill();
      const settled = await Promise.allSettled(batch);
      const ok = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [[i, s.value] as const] : []));
      const out: (LabelScore[] | PipelineItemError)[] = settled.map((s, i) => (s.status === 'rejected' ? new PipelineItemError(start + i, s.reason) : []));
      if (ok.length) {
        const per = ok[0][1].data.length;
        const shape = ok[0][1].shape;
        const data = new Float32Array(per * ok.length);
        ok.forEach(([i, pv], k) => {
          if (pv.data.length !== per) throw new PipelineInputError(`image ${start + i} came out [${pv.shape}] but image ${start + ok[0][0]} came out [${shape}]: the image processor must give one size`);
          data.set(pv.data, k * per);
        });
        const logits: number[][] = tidy(() => noGrad(() => {
          const px = this.modelFloat(tensor(data, { shape: [ok.length, ...shape] }));
          return this.model.forward({ pixelValues: px }).logits.float().cpu().toArray() as number[][];
        }));
        const scores = fn === 'softmax' ? softmaxRows(logits) : fn === 'sigmoid' ? logits.map((r) => r.map(sigmoid)) : logits;
        ok.forEach(([i], k) => { out[i] = topLabels(scores[k], cfg.id2label, topK, true); });
      }
      start += batch.length;
      yield* out as (T | PipelineItemError)[];
    }
  }

  /** Decodes and preprocesses one image: in the worker pool (files and bytes) when numWorkers > 0. */
  private async prepare(x: unknown, index: number): Promise<PixelValues> {
    if (this.numWorkers > 0 && ((typeof x === 'string' && !isUrl(x)) || x instanceof Uint8Array)) {
      if (typeof x === 'string' && !existsSync(x)) throw new PipelineInputError(`image file not found: ${x}`);
      this.pool ??= new ImagePreprocessPool({ processor: this.imageProcessor!, workers: this.numWorkers });
      try {
        return await this.pool.run(x, { index, name: typeof x === 'string' ? x : `image ${index} (bytes)` });
      } catch (e) {
        throw new PipelineInputError((e as Error).message);
      }
    }
    const img = await loadImage(x as ImageInputItem, index);
    return this.imageProcessor!.processImage(img, {}, `image ${index}`);
  }

  /** Frees the model and stops the preprocessing workers. */
  override dispose(): void {
    super.dispose();
    void this.pool?.close();
    this.pool = null;
  }

  /** Stops the preprocessing workers (started again when needed). */
  async closeWorkers(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    await p?.close();
  }
}

export const imageClassificationTask: TaskDefinition = {
  task: 'image-classification', inputs: 'image', autoClass: 'AutoModelForImageClassification',
  defaultModel: ['google/vit-base-patch16-224', '3f49326'], inferFrom: /ForImageClassification$/,
  description: 'labels and scores for images (paths, URLs, Buffers, decoded images)',
  create: (init) => new ImageClassificationPipeline(init),
};
