// feature-extraction: transformers' FeatureExtractionPipeline (the encoder's last hidden state), with
// optional pooling to one vector per text.
import { noGrad, tidy } from '../torch/index';
import { Pipeline } from './base';
import { asBatch, isTextItem, textPair, type TextInputItem } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';

export type Pooling = 'none' | 'mean' | 'cls';
export interface FeatureExtractionOptions {
  /**
   * 'none' (default, like transformers): token vectors, [1][tokens][hidden] per text.
   * 'mean': the attention-masked mean of the token vectors; 'cls': the first token's vector ([hidden] per text).
   */
  pooling?: Pooling;
  /** L2-normalise pooled vectors (default false). */
  normalize?: boolean;
}
export type FeatureExtractionOutput = number[][][] | number[] | (number[][][] | number[])[];

export class FeatureExtractionPipeline extends Pipeline<TextInputItem | TextInputItem[], FeatureExtractionOutput, FeatureExtractionOptions> {
  async call(inputs: TextInputItem | TextInputItem[], options: FeatureExtractionOptions = {}): Promise<FeatureExtractionOutput> {
    const o = { ...this.defaults, ...options };
    const pooling = o.pooling ?? 'none';
    if (!['none', 'mean', 'cls'].includes(pooling)) throw new Error(`pooling must be 'none', 'mean' or 'cls' (got '${pooling}')`);
    const { items, single } = asBatch<TextInputItem>(inputs, isTextItem, 'text');
    const pairs = items.map((x, i) => textPair(x, i));
    const tok = this.tokenizer!;
    const results: (number[][][] | number[])[] = [];
    for (const chunk of this.chunks(pairs)) {
      const texts = chunk.map((p) => p[0]);
      const opts = { padding: true as const, truncation: true as const, returnTensors: 'pt' as const };
      const enc = chunk.some((p) => p[1] !== null) ? tok(texts, chunk.map((p) => p[1] ?? ''), opts) : tok(texts, opts);
      const mask = (enc.attention_mask as any).toArray() as number[][];
      const hidden: number[][][] = tidy(() => noGrad(() => {
        const out = this.model.forward(modelInputs(enc, this.model, this.device));
        return (out.lastHiddenState ?? out.logits).float().cpu().toArray() as number[][][];
      }));
      disposeEncoding(enc);
      hidden.forEach((tokens, i) => {
        const len = mask[i].reduce((a, b) => a + b, 0);
        const kept = tokens.filter((_, j) => mask[i][j] === 1);
        if (pooling === 'none') { results.push([kept.slice(0, len)]); return; }
        let v = pooling === 'cls' ? [...kept[0]] : kept[0].map((_, d) => kept.reduce((s, t) => s + t[d], 0) / kept.length);
        if (o.normalize) { const n = Math.hypot(...v) || 1; v = v.map((x) => x / n); }
        results.push(v);
      });
    }
    return single ? results[0] : results;
  }
}

export const featureExtractionTask: TaskDefinition = {
  task: 'feature-extraction', inputs: 'text', autoClass: 'AutoModel',
  defaultModel: ['distilbert/distilbert-base-cased', '6ea8117'],
  description: 'hidden states of a text encoder (token vectors, or pooled: mean / cls)',
  create: (init) => new FeatureExtractionPipeline(init),
};
