// image-feature-extraction: transformers' ImageFeatureExtractionPipeline: the backbone's first
// output (last hidden state: [1][patches][hidden] for ViT-like models, [1][channels][h][w] for
// ConvNeXt/ResNet maps) or, with `pool`, its pooler output. A CLIP checkpoint runs its vision tower.
import { noGrad, tensor, tidy } from '../torch/index';
import { Pipeline } from './base';
import { PipelineInputError, asBatch, isDecodedImage, loadImage, type ImageInputItem } from './inputs';
import type { TaskDefinition } from './tasks';

export interface ImageFeatureExtractionOptions {
  /** The pooled output (the model's pooler_output) instead of the per-patch states (default false). */
  pool?: boolean;
}
/** Nested arrays as torch's tolist() gives them, batch dimension (1) first. */
export type ImageFeatures = number[][] | number[][][] | number[][][][];
export type ImageFeatureExtractionOutput = ImageFeatures | ImageFeatures[];

const isImageItem = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array || isDecodedImage(v);

export class ImageFeatureExtractionPipeline extends Pipeline<ImageInputItem | ImageInputItem[], ImageFeatureExtractionOutput, ImageFeatureExtractionOptions> {
  async call(inputs: ImageInputItem | ImageInputItem[], options: ImageFeatureExtractionOptions = {}): Promise<ImageFeatureExtractionOutput> {
    const o = { ...this.defaults, ...options };
    const pool = o.pool ?? false;
    if (typeof pool !== 'boolean') throw new PipelineInputError(`pool must be true or false (got ${String(pool)})`);
    const { items, single } = asBatch<ImageInputItem>(inputs, isImageItem, 'image');
    const results: ImageFeatures[] = [];
    for (const chunk of this.chunks(items)) {
      const images = await Promise.all(chunk.map((x, i) => loadImage(x, results.length + i)));
      const pv = this.imageProcessor!.preprocessSync(images).pixel_values;
      const rows = tidy(() => noGrad(() => {
        const px = this.modelFloat(tensor(pv.data, { shape: pv.shape }));
        const out = this.model.forward({ pixelValues: px });
        let t = out.lastHiddenState ?? out.logits;
        if (pool) {
          if (!out.poolerOutput) throw new PipelineInputError(`No pooled output was returned by ${this.model.constructor.name}: make sure the model has a pooler layer when using the pool option`);
          t = out.poolerOutput;
        }
        return t.float().cpu().toArray() as ImageFeatures;
      }));
      // one entry per image, keeping transformers' batch dimension of 1
      for (const r of rows as unknown[]) results.push([r] as ImageFeatures);
    }
    return single ? results[0]! : results;
  }
}

export const imageFeatureExtractionTask: TaskDefinition = {
  task: 'image-feature-extraction', inputs: 'image', autoClass: 'AutoModel',
  defaultModel: ['google/vit-base-patch16-224', '3f49326'],
  description: "hidden states of an image backbone (per patch, or pooled with {pool: true})",
  create: (init) => new ImageFeatureExtractionPipeline(init),
};
