// text-classification (alias sentiment-analysis): transformers' TextClassificationPipeline, for
// single texts and sentence pairs ({text, text_pair}).
import { noGrad, tidy } from '../torch/index';
import { Pipeline, checkTopK, sigmoid, softmaxRows, topLabels } from './base';
import { asBatch, isTextItem, PipelineInputError, textPair, type TextInputItem } from './inputs';
import type { LabelScore } from './image-classification';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';

export interface TextClassificationOptions {
  /**
   * Labels per text. Left out: the best label only, transformers' legacy output (`[{label, score}]`
   * for one text, one `{label, score}` per text for an array). A number or null (all labels): a
   * sorted list per text.
   */
  topK?: number | null;
  functionToApply?: 'softmax' | 'sigmoid' | 'none';
  /** Longest tokenized input (default: the tokenizer's model_max_length). */
  maxLength?: number;
}
export type TextClassificationInput = TextInputItem | TextInputItem[];
export type TextClassificationOutput = LabelScore[] | LabelScore[][];

export class TextClassificationPipeline extends Pipeline<TextClassificationInput, TextClassificationOutput, TextClassificationOptions> {
  async call(inputs: TextClassificationInput, options: TextClassificationOptions = {}): Promise<TextClassificationOutput> {
    const o = { ...this.defaults, ...options };
    const { items, single } = asBatch<TextInputItem>(inputs, isTextItem, 'text');
    const pairs = items.map((x, i) => textPair(x, i));
    const cfg = this.model.config;
    const legacy = !('topK' in o) || o.topK === undefined;
    const topK = legacy ? 1 : checkTopK(o.topK);
    const given = typeof o.functionToApply === 'string' ? o.functionToApply.toLowerCase() : o.functionToApply;
    if (given !== undefined && !['softmax', 'sigmoid', 'none'].includes(given as string)) {
      throw new PipelineInputError(`functionToApply must be 'softmax', 'sigmoid' or 'none' (got ${JSON.stringify(o.functionToApply)})`);
    }
    const fn = given ?? (cfg.problemType === 'multi_label_classification' || cfg.numLabels === 1 ? 'sigmoid' : 'softmax');
    const tok = this.tokenizer!;
    const results: LabelScore[][] = [];
    for (const chunk of this.chunks(pairs)) {
      const texts = chunk.map((p) => p[0]);
      const hasPair = chunk.some((p) => p[1] !== null);
      if (hasPair && chunk.some((p) => p[1] === null)) throw new Error('mix of single texts and sentence pairs in one call: classify them separately');
      const opts = { padding: true as const, truncation: true as const, maxLength: o.maxLength, returnTensors: 'pt' as const };
      const enc = hasPair ? tok(texts, chunk.map((p) => p[1]!), opts) : tok(texts, opts);
      const logits: number[][] = tidy(() => noGrad(() => {
        return this.model.forward(modelInputs(enc, this.model, this.device)).logits.float().cpu().toArray() as number[][];
      }));
      disposeEncoding(enc);
      const scores = fn === 'softmax' ? softmaxRows(logits) : fn === 'sigmoid' ? logits.map((r) => r.map(sigmoid)) : logits;
      for (const s of scores) results.push(topLabels(s, cfg.id2label, topK));
    }
    if (legacy) return results.map((r) => r[0]);
    return single ? results[0] : results;
  }
}

export const textClassificationTask: TaskDefinition = {
  task: 'text-classification', aliases: ['sentiment-analysis'], inputs: 'text', autoClass: 'AutoModelForSequenceClassification',
  defaultModel: ['distilbert/distilbert-base-uncased-finetuned-sst-2-english', '714eb0f'], inferFrom: /ForSequenceClassification$/,
  description: 'labels and scores for texts or sentence pairs ({text, text_pair})',
  create: (init) => new TextClassificationPipeline(init),
};
