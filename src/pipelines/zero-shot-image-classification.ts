// zero-shot-image-classification: transformers' ZeroShotImageClassificationPipeline (CLIP): each
// image against "This is a photo of {}." for every candidate label, softmax over the labels.
import { noGrad, tensor, tidy } from '../torch/index';
import { Pipeline, softmaxRows } from './base';
import { PipelineInputError, asBatch, isDecodedImage, loadImage, type ImageInputItem } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';

export interface ZeroShotImageClassificationOptions {
  /** The labels to score each image against (required, at least one). */
  candidateLabels?: string[];
  /** Turns a label into the text CLIP reads; `{}` is replaced by the label (default "This is a photo of {}."). */
  hypothesisTemplate?: string;
  /** Tokenizer options over the default {padding: true} (transformers' tokenizer_kwargs), e.g. {truncation: true}. */
  tokenizerKwargs?: Record<string, unknown>;
}
/** One label's score, keys in transformers' order. */
export interface ZeroShotLabelScore { score: number; label: string }
export type ZeroShotImageClassificationOutput = ZeroShotLabelScore[] | ZeroShotLabelScore[][];

const isImageItem = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array || isDecodedImage(v);

/** Python's str.format with one positional field: each `{}` (and `{0}`) becomes the label, `{{`/`}}` are braces. */
export function formatHypothesis(template: string, label: string): string {
  return template.replace(/\{\{|\}\}|\{0?\}/g, (m) => (m === '{{' ? '{' : m === '}}' ? '}' : label));
}

function checkLabels(labels: unknown): string[] {
  const list = typeof labels === 'string' ? [labels] : labels;
  if (list === undefined || list === null) throw new PipelineInputError("zero-shot-image-classification needs candidateLabels: pass {candidateLabels: ['cat', 'dog', ...]}");
  if (!Array.isArray(list) || list.some((l) => typeof l !== 'string')) throw new PipelineInputError('candidateLabels must be an array of strings');
  if (list.length === 0) throw new PipelineInputError("candidateLabels is empty: pass at least one label, e.g. {candidateLabels: ['cat', 'dog']}");
  return list;
}

export class ZeroShotImageClassificationPipeline extends Pipeline<ImageInputItem | ImageInputItem[], ZeroShotImageClassificationOutput, ZeroShotImageClassificationOptions> {
  /** One image gives [{score, label}, ...] sorted by score; an array of images gives one such list per image. */
  async call(inputs: ImageInputItem | ImageInputItem[], options: ZeroShotImageClassificationOptions = {}): Promise<ZeroShotImageClassificationOutput> {
    const o = { ...this.defaults, ...options } as ZeroShotImageClassificationOptions & { candidate_labels?: string[]; hypothesis_template?: string };
    const labels = checkLabels(o.candidateLabels ?? o.candidate_labels);
    const template = o.hypothesisTemplate ?? o.hypothesis_template ?? 'This is a photo of {}.';
    if (typeof template !== 'string') throw new PipelineInputError('hypothesisTemplate must be a string like "This is a photo of {}."');
    const { items, single } = asBatch<ImageInputItem>(inputs, isImageItem, 'image');
    // as transformers: padded, not truncated (a hypothesis longer than the model's positions is the model's error)
    const tokOpts = { padding: true, ...(o.tokenizerKwargs ?? (o as { tokenizer_kwargs?: Record<string, unknown> }).tokenizer_kwargs ?? {}), returnTensors: 'pt' };
    const enc = this.tokenizer!(labels.map((l) => formatHypothesis(template, l)), tokOpts as never) as unknown as Record<string, unknown>;
    const results: ZeroShotLabelScore[][] = [];
    const text = modelInputs(enc, this.model, this.device);
    try {
      for (const chunk of this.chunks(items)) {
        const images = await Promise.all(chunk.map((x, i) => loadImage(x, results.length + i)));
        const pv = this.imageProcessor!.preprocessSync(images).pixel_values;
        const logits: number[][] = tidy(() => noGrad(() => {
          const px = this.modelFloat(tensor(pv.data, { shape: pv.shape }));
          return this.model.forward({ ...text, pixelValues: px }).logitsPerImage.float().cpu().toArray() as number[][];
        }));
        for (const probs of softmaxRows(logits)) {
          const scored = probs.map((score, i) => ({ score, label: labels[i]! }));
          // Python's sorted(key=-score) is stable: ties keep the candidate order
          scored.sort((a, b) => b.score - a.score);
          results.push(scored);
        }
      }
    } finally {
      disposeEncoding(text);
      disposeEncoding(enc);
    }
    return single ? results[0]! : results;
  }
}

export const zeroShotImageClassificationTask: TaskDefinition = {
  task: 'zero-shot-image-classification', inputs: 'multimodal', autoClass: 'AutoModelForZeroShotImageClassification',
  defaultModel: ['openai/clip-vit-base-patch32', '3d74acf'], inferFrom: /^CLIPModel$/,
  description: 'scores for images against labels you name (candidateLabels), with a text-image model like CLIP',
  create: (init) => new ZeroShotImageClassificationPipeline(init),
};
