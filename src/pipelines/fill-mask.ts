// fill-mask: transformers' FillMaskPipeline (most likely tokens for each mask token).
import { noGrad, tidy } from '../torch/index';
import { Pipeline, checkTopK, softmaxRows } from './base';
import { asBatch, PipelineInputError } from './inputs';
import { disposeEncoding, modelInputs } from './text-inputs';
import type { TaskDefinition } from './tasks';

export interface FillMaskOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
}
export interface FillMaskCandidate { score: number; token: number; token_str: string; sequence: string }
/** One text with one mask: candidates; with several masks: candidates per mask; an array of texts: one result per text. */
export type FillMaskOutput = FillMaskCandidate[] | FillMaskCandidate[][] | (FillMaskCandidate[] | FillMaskCandidate[][])[];

export class FillMaskPipeline extends Pipeline<string | string[], FillMaskOutput, FillMaskOptions> {
  async call(inputs: string | string[], options: FillMaskOptions = {}): Promise<FillMaskOutput> {
    const o = { ...this.defaults, ...options };
    const topK = checkTopK(o.topK ?? 5) ?? 5;
    const { items, single } = asBatch<string>(inputs, (v) => typeof v === 'string', 'text');
    const tok = this.tokenizer!;
    const maskId = tok.maskTokenId;
    if (maskId === null) throw new Error(`the tokenizer of ${this.modelId} has no mask token: fill-mask needs a masked-LM tokenizer`);
    const padId = tok.padTokenId;
    const results: (FillMaskCandidate[] | FillMaskCandidate[][])[] = [];
    for (const chunk of this.chunks(items)) {
      chunk.forEach((t, i) => {
        if (typeof t !== 'string') throw new PipelineInputError(`text ${results.length + i} is not a string`);
      });
      const enc = tok(chunk, { padding: true, truncation: true, returnTensors: 'pt' });
      const ids = (enc.input_ids as any).toArray() as number[][];
      const positions = ids.map((row, i) => {
        const p = row.flatMap((id, j) => (id === maskId ? [j] : []));
        if (!p.length) throw new PipelineInputError(`No mask_token (${tok.maskToken}) found on the input: text ${results.length + i} ('${chunk[i].slice(0, 60)}')`);
        return p;
      });
      // logits at the mask positions only: [N][masks][vocab]
      const maskLogits: number[][][] = tidy(() => noGrad(() => {
        const logits = this.model.forward(modelInputs(enc, this.model, this.device)).logits.float().cpu();
        return positions.map((ps, i) => ps.map((j) => logits.select(0, i).select(0, j).toArray() as number[]));
      }));
      disposeEncoding(enc);
      maskLogits.forEach((perMask, i) => {
        const row = ids[i].filter((id) => id !== padId);
        const singleMask = perMask.length === 1;
        const out = softmaxRows(perMask).map((probs, m) => {
          const order = probs.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]).slice(0, topK);
          return order.map(([score, token]) => {
            const filled = [...row];
            filled[positions[i][m]] = token;
            return { score, token, token_str: tok.decode([token]), sequence: tok.decode(filled, { skipSpecialTokens: singleMask }) };
          });
        });
        results.push(singleMask ? out[0] : out);
      });
    }
    return single || results.length === 1 ? results[0] : results;
  }
}

export const fillMaskTask: TaskDefinition = {
  task: 'fill-mask', inputs: 'text', autoClass: 'AutoModelForMaskedLM',
  defaultModel: ['distilbert/distilroberta-base', 'fb53ab8'], inferFrom: /ForMaskedLM$/,
  description: 'the most likely tokens for the mask token of a text',
  create: (init) => new FillMaskPipeline(init),
};
