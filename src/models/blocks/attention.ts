// Attention shared by the encoder families: padding masks and the multi-head core (fused or eager).
import { Tensor, tidy, F, type DType } from '../../torch/index';

/** torch.finfo(dtype).min: what transformers 4.29 puts in masked attention positions. */
export function finfoMin(dtype: DType): number {
  switch (dtype) {
    case 'float16': return -65504;
    case 'bfloat16': return -3.3895313892515355e38;
    case 'float64': return -Number.MAX_VALUE;
    default: return -3.4028234663852886e38;
  }
}

/** The additive mask [B, 1, 1, L] of get_extended_attention_mask: 0 where attended, finfo.min at padding. */
export function extendedAttentionMask(mask: Tensor, dtype: DType): Tensor {
  return tidy(() => {
    const m = mask.unsqueeze(1).unsqueeze(1).to(dtype);
    return m.rsub(1).mul(finfoMin(dtype));
  });
}

/**
 * Multi-head attention core on projected q, k, v [B, L, H*D]: softmax(q kᵀ/√D + mask) v with heads
 * merged back to [B, L, H*D]. Uses libtorch's fused kernel unless the probabilities are wanted or
 * impl is 'eager'; the eager form is BertSelfAttention's (and ViT's) in transformers 4.29.2, op for
 * op: view + permute(0, 2, 1, 3), matmul(q, kᵀ), / math.sqrt(D) (a division, not a multiplication by
 * 1/√D: the two round differently), + the extended mask, softmax(-1), dropout, matmul(·, v),
 * permute back and merge (reshape here, contiguous().view() there: the same copy).
 */
export function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, numHeads: number, mask: Tensor | null, dropoutP: number, needWeights: boolean,
  impl: AttnImplementation = 'sdpa'): { context: Tensor; probs: Tensor | null } {
  return tidy(() => {
    const [b, l, hidden] = q.shape as [number, number, number];
    const split = (x: Tensor) => x.view(b, -1, numHeads, hidden / numHeads).transpose(1, 2);
    const { output, weights } = F.scaledDotProductAttention(split(q), split(k), split(v), { attnMask: mask, dropoutP, needWeights: needWeights || impl === 'eager' });
    const context = output.transpose(1, 2).reshape(b, l, hidden);
    return { context, probs: needWeights ? weights : null };
  });
}

/**
 * 'sdpa' (the default): libtorch's fused attention kernel unless probabilities are wanted. Fastest,
 * and as correct, but it rounds differently from transformers 4.29.2 (the fixtures' logits differ by
 * up to 5e-7, and gradients that are zero in exact arithmetic, like the attention key bias's, carry
 * other float noise, which AdamW turns into lr-sized updates).
 * 'eager': the composed ops exactly as transformers 4.29.2 writes them (see multiHeadAttention;
 * DistilBERT's own order in distilbert.ts). The same float operations in the same order as Python,
 * so with the same kernels and threads the outputs, the gradients (noise included) and the
 * parameters after AdamW steps equal Python's bit for bit: src/models/parity.test.ts checks that on
 * the fixtures (see parity-arithmetic.ts for the kernels and threads). Use it to reproduce a Python
 * run exactly; it costs the [B, H, L, L] score tensors.
 */
export type AttnImplementation = 'sdpa' | 'eager';

