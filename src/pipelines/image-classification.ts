// image-classification: transformers' ImageClassificationPipeline.
import { noGrad, tensor, tidy } from '../torch/index';
import { Pipeline, checkTopK, sigmoid, softmaxRows, topLabels } from './base';
import { asBatch, isDecodedImage, loadImage, type ImageInputItem } from './inputs';
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

export class ImageClassificationPipeline extends Pipeline<ImageClassificationInput, ImageClassificationOutput, ImageClassificationOptions> {
  /** One image gives [{label, score}, ...]; an array of images gives one such list per image. */
  async call(inputs: ImageClassificationInput, options: ImageClassificationOptions = {}): Promise<ImageClassificationOutput> {
    const o = { ...this.defaults, ...options };
    const { items, single } = asBatch<ImageInputItem>(inputs as ImageInputItem | ImageInputItem[], isImageItem, 'image');
    const cfg = this.model.config;
    const topK = o.topK === undefined ? Math.min(5, cfg.numLabels) : checkTopK(o.topK);
    const fn = o.functionToApply ?? (cfg.problemType === 'multi_label_classification' || cfg.numLabels === 1 ? 'sigmoid' : 'softmax');
    const results: LabelScore[][] = [];
    for (const chunk of this.chunks(items)) {
      const images = await Promise.all(chunk.map((x, i) => loadImage(x, results.length + i)));
      const pv = this.imageProcessor!.preprocessSync(images).pixel_values;
      const logits: number[][] = tidy(() => noGrad(() => {
        const px = this.modelFloat(tensor(pv.data, { shape: pv.shape }));
        const out = this.model.forward({ pixelValues: px });
        return out.logits.float().cpu().toArray() as number[][];
      }));
      const scores = fn === 'softmax' ? softmaxRows(logits) : fn === 'sigmoid' ? logits.map((r) => r.map(sigmoid)) : logits;
      for (const s of scores) results.push(topLabels(s, cfg.id2label, topK, true));
    }
    return single ? results[0] : results;
  }
}

export const imageClassificationTask: TaskDefinition = {
  task: 'image-classification', inputs: 'image', autoClass: 'AutoModelForImageClassification',
  defaultModel: ['google/vit-base-patch16-224', '3f49326'], inferFrom: /ForImageClassification$/,
  description: 'labels and scores for images (paths, URLs, Buffers, decoded images)',
  create: (init) => new ImageClassificationPipeline(init),
};
