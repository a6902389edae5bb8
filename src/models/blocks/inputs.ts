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
/** What an extractive question-answering head returns: span start and end logits [B, L]. */
export interface QuestionAnsweringModelOutput {
  loss?: Tensor;
  startLogits: Tensor;
  endLogits: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}
/** Outputs of two-tower (contrastive) models like CLIP: similarity logits both ways, the loss with returnLoss. */
export interface ContrastiveModelOutput {
  loss?: Tensor;
  logitsPerImage: Tensor;
  logitsPerText: Tensor;
}
/** What any model's forward returns (heads fill logits or span logits, backbones lastHiddenState, CLIP logitsPerImage). */
export type AnyModelOutput = ModelOutput | BaseModelOutput | QuestionAnsweringModelOutput | ContrastiveModelOutput;
/** A model with a task head: forward gives logits (and a loss when labels are passed). The head's forward
 * comes first so that `model.forward(batch).logits` type-checks. */
export type PreTrainedModelWithHead = { forward(batch: ModelInputs): ModelOutput } & PreTrainedModel;
/** A model with a span head: forward gives startLogits/endLogits (and a loss with start/end positions). */
export type PreTrainedModelForQuestionAnswering = { forward(batch: ModelInputs): QuestionAnsweringModelOutput } & PreTrainedModel;
/** forward's inputs after normalizeInputs: camelCase keys, arrays turned into tensors, flags resolved. */
export interface NormalizedInputs {
  inputIds?: Tensor; attentionMask?: Tensor; tokenTypeIds?: Tensor; positionIds?: Tensor; pixelValues?: Tensor; labels?: Tensor;
  outputHiddenStates: boolean; outputAttentions: boolean;
  /** Any other input a model declares in forwardArgNames (startPositions, decoderInputIds, pastKeyValues, ...). */
  [camelCase: string]: unknown;
}

const snakeOf = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelOf = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** Inputs that hold real numbers (nested arrays become float32); every other array becomes int64 ids. */
const FLOAT_INPUTS = new Set(['pixel_values', 'pixel_mask', 'inputs_embeds', 'decoder_inputs_embeds', 'head_mask']);
/** Inputs that are counts, kept as numbers. */
const COUNT_INPUTS = new Set(['logits_to_keep']);

/**
 * Maps camelCase and snake_case keys to one shape (camelCase), checks them against the model's
 * argument names in snake_case (an unknown key throws, like Python's unexpected keyword argument),
 * turns nested arrays into tensors and booleans into flags. Other values (caches) pass through.
 */
export function normalizeInputs(batch: ModelInputs, accepted: readonly string[], modelName: string, config: PretrainedConfig): NormalizedInputs {
  if (!batch || typeof batch !== 'object') throw new TypeError(`${modelName}.forward takes one object, e.g. { inputIds, attentionMask, labels }`);
  const out: NormalizedInputs = { outputHiddenStates: config.outputHiddenStates, outputAttentions: config.outputAttentions };
  for (const [k, v] of Object.entries(batch)) {
    if (v === undefined || v === null) continue;
    const snake = k === 'label' ? 'labels' : snakeOf(k);
    if (!accepted.includes(snake)) {
      throw new TypeError(`${modelName}.forward got an unexpected input '${k}': it takes ${accepted.join(', ')} (camelCase or snake_case)`);
    }
    const key = camelOf(snake);
    if (typeof v === 'boolean') { out[key] = v; continue; }
    if (COUNT_INPUTS.has(snake) && typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`${modelName}.forward: ${k} must be a whole number >= 0, got ${v}`);
      out[key] = v;
      continue;
    }
    if (isTensor(v)) out[key] = v;
    else if (Array.isArray(v) || typeof v === 'number') {
      const floaty = FLOAT_INPUTS.has(snake) || (snake === 'labels' && JSON.stringify(v).includes('.'));
      out[key] = tensor(v, { dtype: floaty ? 'float32' : 'int64' });
    } else if (typeof v === 'object') out[key] = v;
    else throw new TypeError(`${modelName}.forward: input '${k}' must be a Tensor or a nested array of numbers`);
  }
  return out;
}

/** Integer ids as int64 (embedding lookups and losses need it). */
export function asLong(t: Tensor): Tensor {
  return t.dtype === 'int64' ? t : t.to('int64');
}

