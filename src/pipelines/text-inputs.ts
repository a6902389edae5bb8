// Tokenizer output -> model inputs on the pipeline's device.
import type { Tensor } from '../torch/index';
import type { PipelineModel } from './base';

/** The encoding's tensors the model takes (DistilBERT has no token_type_ids), moved to `device`. */
export function modelInputs(enc: Record<string, unknown>, model: PipelineModel, device: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(enc)) {
    if (k === 'token_type_ids' && model.config.modelType === 'distilbert') continue;
    if (k !== 'input_ids' && k !== 'attention_mask' && k !== 'token_type_ids') continue;
    out[k] = (v as Tensor).to({ device });
  }
  return out;
}

export function disposeEncoding(enc: Record<string, unknown>): void {
  for (const v of Object.values(enc)) (v as { dispose?: () => void })?.dispose?.();
}
