// Attention masks of decoders, as transformers 4.29 builds them: the causal mask (with cached
// positions and an optional sliding window) combined with the padding mask.
import { Tensor, tidy, full, arange, zeros, cat, type DType } from '../../torch/index';
import { finfoMin } from './attention';

/**
 * transformers' _make_causal_mask: [B, 1, L, past + L], 0 where position i may see key j
 * (j <= past + i, and within the sliding window when given), finfo.min elsewhere.
 */
export function causalMask(batch: number, tgtLen: number, pastLen: number, dtype: DType, slidingWindow: number | null = null): Tensor {
  return tidy(() => {
    const min = finfoMin(dtype);
    const mask = full([tgtLen, tgtLen], min, { dtype: 'float32' });
    const cond = arange(tgtLen);
    const allowed = cond.lt(cond.add(1).view(tgtLen, 1));
    let m = mask.maskedFill(allowed, 0).to(dtype);
    if (pastLen > 0) m = cat([zeros([tgtLen, pastLen], { dtype }), m], -1);
    if (slidingWindow !== null) {
      // key j is out of the window of query i (absolute position past + i) when j <= past + i - window
      const q = arange(pastLen, pastLen + tgtLen).view(tgtLen, 1);
      const k = arange(pastLen + tgtLen).view(1, -1);
      m = m.maskedFill(k.le(q.sub(slidingWindow)), min);
    }
    return m.unsqueeze(0).unsqueeze(0).expand(batch, 1, tgtLen, tgtLen + pastLen);
  });
}

/** transformers' _expand_mask: a [B, S] 0/1 mask -> [B, 1, L, S] additive (finfo.min at 0s). */
export function expandPaddingMask(mask: Tensor, dtype: DType, tgtLen: number): Tensor {
  return tidy(() => {
    const [b, s] = mask.shape as [number, number];
    const expanded = mask.unsqueeze(1).unsqueeze(1).expand(b, 1, tgtLen, s).to(dtype);
    const inverted = expanded.rsub(1);
    return inverted.maskedFill(inverted.to('bool'), finfoMin(dtype));
  });
}

/**
 * transformers' _prepare_decoder_attention_mask (Llama, BART, Mistral): the causal mask (only when
 * more than one new position) plus the padding mask over past + new keys.
 */
export function decoderAttentionMask(attentionMask: Tensor | null, batch: number, tgtLen: number, pastLen: number, dtype: DType, slidingWindow: number | null = null): Tensor | null {
  return tidy(() => {
    const needCausal = tgtLen > 1 || (slidingWindow !== null && pastLen + tgtLen > slidingWindow);
    const causal = needCausal ? causalMask(batch, tgtLen, pastLen, dtype, slidingWindow) : null;
    if (!attentionMask) return causal;
    const expanded = expandPaddingMask(attentionMask, dtype, tgtLen);
    return causal ? expanded.add(causal) : expanded;
  });
}

/** Position ids from a (left-padded) attention mask: cumsum - 1, 1 at padding (generate()'s). */
export function positionIdsFromMask(attentionMask: Tensor): Tensor {
  return tidy(() => {
    const m = attentionMask.to('int64');
    return m.cumsum(-1).sub(1).maskedFill(m.eq(0), 1);
  });
}
