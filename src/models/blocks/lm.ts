// Language-modelling pieces shared by the decoder and encoder-decoder families: the shifted
// causal-LM loss, the seq2seq loss and the decoder-input shift.
import { Tensor, tidy, F, full, cat } from '../../torch/index';
import { asLong, type BaseModelOutput, type ModelOutput } from './inputs';
import type { DynamicCache } from './kv-cache';

/** A decoder backbone's output: the hidden states, and the cache when useCache was set. */
export interface DecoderBaseOutput extends BaseModelOutput { pastKeyValues?: DynamicCache }
/** A causal LM's output (transformers' CausalLMOutputWithPast). */
export interface CausalLMOutput extends ModelOutput { pastKeyValues?: DynamicCache }
/** An encoder-decoder LM's output (transformers' Seq2SeqLMOutput). */
export interface Seq2SeqLMOutput extends ModelOutput {
  pastKeyValues?: DynamicCache;
  decoderHiddenStates?: Tensor[];
  decoderAttentions?: Tensor[];
  crossAttentions?: Tensor[];
  encoderLastHiddenState?: Tensor;
  encoderHiddenStates?: Tensor[];
  encoderAttentions?: Tensor[];
}

/**
 * transformers' `logits_to_keep`: the hidden states [B, L, H] the LM head reads. 0 (the default):
 * every position; n: the last n (generate() passes 1: only the next token's scores, which spares the
 * head's [B, L, vocab] product and memory on a long prompt); a 1-d tensor: those positions.
 */
export function keptPositions(hidden: Tensor, x: { logitsToKeep?: unknown; labels?: Tensor }, model: string): Tensor {
  const keep = x.logitsToKeep;
  if (keep === undefined || keep === 0) return hidden;
  if (x.labels) throw new TypeError(`${model}.forward: the loss needs every position's logits: pass labels or logitsToKeep, not both`);
  const l = hidden.shape[1]!;
  if (typeof keep === 'number') return keep >= l ? hidden : hidden.narrow(1, l - keep, keep);
  if (keep instanceof Tensor && keep.ndim === 1 && (keep.dtype === 'int64' || keep.dtype === 'int32')) return hidden.indexSelect(1, asLong(keep));
  throw new TypeError(`${model}.forward: logitsToKeep must be a whole number >= 0 (0 keeps every position) or a 1-d tensor of positions`);
}

/** Causal-LM loss: position t predicts label t+1 (labels are the input ids; -100 is ignored). */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  return tidy(() => {
    const [, l, v] = logits.shape as [number, number, number];
    const shiftLogits = logits.narrow(1, 0, l - 1).contiguous();
    const shiftLabels = asLong(labels).narrow(1, 1, l - 1).contiguous();
    return F.crossEntropy(shiftLogits.view(-1, v), shiftLabels.view(-1));
  });
}

/** Seq2seq loss: cross-entropy of the decoder logits against the labels (-100 ignored). */
export function seq2seqLmLoss(logits: Tensor, labels: Tensor): Tensor {
  return tidy(() => F.crossEntropy(logits.view(-1, logits.shape[logits.ndim - 1]!), asLong(labels).view(-1)));
}

/** transformers' shift_tokens_right / T5's _shift_right: [start, ids[:-1]] with -100 replaced by pad. */
export function shiftTokensRight(ids: Tensor, padTokenId: number | null, decoderStartTokenId: number | null, model = 'the model'): Tensor {
  if (decoderStartTokenId === null || decoderStartTokenId === undefined) {
    throw new Error(`config.decoder_start_token_id is not set for ${model}: set it (usually the pad token id for T5, eos for BART) to train with labels`);
  }
  if (padTokenId === null || padTokenId === undefined) throw new Error(`config.pad_token_id is not set for ${model}: set it to shift the labels into decoder inputs`);
  return tidy(() => {
    const x = asLong(ids);
    const [b, l] = x.shape as [number, number];
    const shifted = cat([full([b, 1], decoderStartTokenId, { dtype: 'int64' }), x.narrow(1, 0, l - 1)], 1);
    return shifted.maskedFill(shifted.eq(-100), padTokenId);
  });
}

/** generate()'s per-step inputs of an encoder-decoder: the decoder ids (only the last once cached) and the encoder output. */
export function seq2seqGenerationInputs(ids: Tensor, o: { pastKeyValues?: DynamicCache; attentionMask?: Tensor; encoderOutputs?: { lastHiddenState: Tensor }; useCache: boolean }): Record<string, unknown> {
  const past = o.pastKeyValues?.getSeqLength() ?? 0;
  return {
    decoderInputIds: past > 0 ? ids.narrow(1, ids.shape[1]! - 1, 1) : ids,
    encoderOutputs: o.encoderOutputs, attentionMask: o.attentionMask, pastKeyValues: o.pastKeyValues, useCache: o.useCache,
  };
}
