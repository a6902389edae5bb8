// What every model's forward takes and returns: camelCase or snake_case inputs, normalised once.
import { Tensor, tensor, isTensor } from '../../torch/index';
import type { PretrainedConfig } from '../config';
import type { PreTrainedModel } from '../modeling-utils';

/** What `forward` takes. snake_case keys (`input_ids`, `pixel_values`, ...) from collators are accepted too. */
export interface ModelInputs {
  inputIds?: Tensor;
  attentionMask?: Tensor;
  tokenTypeIds?: Tensor;
  positionIds?: Tensor;
  pixelValues?: Tensor;
  labels?: Tensor;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
  [snakeCase: string]: unknown;
}
export interface BaseModelOutput {
  lastHiddenState: Tensor;
  poolerOutput?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}
export interface ModelOutput {
  loss?: Tensor;
  logits: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}
/** What any model's forward returns (heads fill logits, backbones lastHiddenState). */
export type AnyModelOutput = ModelOutput | BaseModelOutput;
/** A model with a task head: forward gives logits (and a loss when labels are passed). */
export type PreTrainedModelWithHead = PreTrainedModel & { forward(batch: ModelInputs): ModelOutput };
export interface NormalizedInputs {
  inputIds?: Tensor; attentionMask?: Tensor; tokenTypeIds?: Tensor; positionIds?: Tensor; pixelValues?: Tensor; labels?: Tensor;
  outputHiddenStates: boolean; outputAttentions: boolean;
}

const CAMEL: Record<string, keyof NormalizedInputs> = {
  input_ids: 'inputIds', inputIds: 'inputIds',
  attention_mask: 'attentionMask', attentionMask: 'attentionMask',
  token_type_ids: 'tokenTypeIds', tokenTypeIds: 'tokenTypeIds',
  position_ids: 'positionIds', positionIds: 'positionIds',
  pixel_values: 'pixelValues', pixelValues: 'pixelValues',
  labels: 'labels', label: 'labels',
  output_hidden_states: 'outputHiddenStates', outputHiddenStates: 'outputHiddenStates',
  output_attentions: 'outputAttentions', outputAttentions: 'outputAttentions',
};
const SNAKE: Record<string, string> = {
  inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: 'token_type_ids', positionIds: 'position_ids',
  pixelValues: 'pixel_values', labels: 'labels', outputHiddenStates: 'output_hidden_states', outputAttentions: 'output_attentions',
};

/**
 * Maps camelCase and snake_case keys to one shape, checks them against the model's argument names
 * (an unknown key throws, like Python's unexpected keyword argument), and turns nested arrays into tensors.
 */
export function normalizeInputs(batch: ModelInputs, accepted: readonly string[], modelName: string, config: PretrainedConfig): NormalizedInputs {
  if (!batch || typeof batch !== 'object') throw new TypeError(`${modelName}.forward takes one object, e.g. { inputIds, attentionMask, labels }`);
  const out: NormalizedInputs = { outputHiddenStates: config.outputHiddenStates, outputAttentions: config.outputAttentions };
  for (const [k, v] of Object.entries(batch)) {
    if (v === undefined || v === null) continue;
    const key = CAMEL[k];
    if (!key || !accepted.includes(SNAKE[key]!)) {
      throw new TypeError(`${modelName}.forward got an unexpected input '${k}': it takes ${accepted.join(', ')} (camelCase or snake_case)`);
    }
    if (key === 'outputHiddenStates' || key === 'outputAttentions') { out[key] = !!v; continue; }
    let t: Tensor;
    if (isTensor(v)) t = v;
    else if (Array.isArray(v) || typeof v === 'number') {
      const floaty = key === 'pixelValues' || (key === 'labels' && JSON.stringify(v).includes('.'));
      t = tensor(v, { dtype: floaty ? 'float32' : 'int64' });
    } else throw new TypeError(`${modelName}.forward: input '${k}' must be a Tensor or a nested array of numbers`);
    (out as any)[key] = t;
  }
  return out;
}

/** Integer ids as int64 (embedding lookups and losses need it). */
export function asLong(t: Tensor): Tensor {
  return t.dtype === 'int64' ? t : t.to('int64');
}

