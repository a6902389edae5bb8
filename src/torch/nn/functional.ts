// Functional forms of the neural-network ops (torch.nn.functional), all computed by libtorch.
import { native as N } from '../native';
import { Tensor, reductionCode, type Reduction } from '../tensor';
import { tidy } from '../scope';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(N.linear(x._h, weight._h, bias ? bias._h : null));
}
export interface Conv2dOptions { stride?: number | number[]; padding?: number | number[]; dilation?: number | number[]; groups?: number }
const pair = (v: number | number[] | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  return new Tensor(N.conv2d(x._h, weight._h, bias ? bias._h : null, pair(o.stride, 1), pair(o.padding, 0), pair(o.dilation, 1), o.groups ?? 1));
}
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  return new Tensor(N.embedding(weight._h, indices._h, paddingIdx ?? -1));
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(N.layerNorm(x._h, normalizedShape, weight ? weight._h : null, bias ? bias._h : null, eps));
}
/**
 * RMS normalisation as transformers' LlamaRMSNorm computes it: the mean of squares in float32,
 * x · rsqrt(mean + eps), cast to the weight's dtype when it is float16/bfloat16, times the weight.
 * One native call doing the same ATen ops in the same order (a decoding step of a 30-layer model makes
 * 61 of them); float16 tensors take the op-by-op path, where each op may need the CPU's float32 fallback.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const castToWeight = weight.dtype === 'float16' || weight.dtype === 'bfloat16';
  if (x.dtype !== 'float16' && weight.dtype !== 'float16') return new Tensor(N.rmsNorm(x._h, weight._h, eps, castToWeight));
  return tidy(() => {
    const y = x.mul(x.to('float32').pow(2).mean(-1, true).add(eps).rsqrt());
    return weight.mul(castToWeight ? y.to(weight.dtype) : y);
  });
}

/** [-x2, x1] of the two halves of the last dim (transformers' rotate_half). */
export function rotateHalf(x: Tensor): Tensor {
  return tidy(() => {
    const half = x.shape[x.ndim - 1]! / 2;
    return new Tensor(N.cat([x.narrow(-1, half, half).neg()._h, x.narrow(-1, 0, half)._h], -1));
  });
}

/** x · cos + rotate_half(x) · sin (transformers' apply_rotary_pos_emb, for one of q and k), in one native call except for float16. */
export function rotaryEmbedding(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  if (x.dtype !== 'float16' && cos.dtype !== 'float16') return new Tensor(N.rotary(x._h, cos._h, sin._h));
  return tidy(() => x.mul(cos).add(rotateHalf(x).mul(sin)));
}
/** [B, L, H·D] -> [B, H, L, D] (a view), as `x.view(b, l, h, d).transpose(1, 2)` in one call. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  return new Tensor(N.splitHeads(x._h, heads));
}
/** [B, H, L, D] -> [B, L, H·D], as `x.transpose(1, 2).reshape(b, l, h·d)` in one call. */
export function mergeHeads(x: Tensor): Tensor {
  return new Tensor(N.mergeHeads(x._h));
}
/** [B, KV, L, D] -> [B, KV·rep, L, D], each key/value head repeated for its group of query heads (transformers' repeat_kv). */
export function repeatKv(x: Tensor, rep: number): Tensor {
  return rep === 1 ? x : new Tensor(N.repeatKv(x._h, rep));
}
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new Error(`dropout probability must be between 0 and 1, got ${p}`);
  if (!training || p === 0) return x.view(x.shape);
  return new Tensor(N.dropout(x._h, p, training));
}
export const relu = (x: Tensor) => x.relu();
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none') => x.gelu(approximate);
export const silu = (x: Tensor) => x.silu();
export const tanh = (x: Tensor) => x.tanh();
export const sigmoid = (x: Tensor) => x.sigmoid();
export const softmax = (x: Tensor, dim: number) => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number) => x.logSoftmax(dim);
export function avgPool2d(x: Tensor, kernel: number | number[], stride?: number | number[]): Tensor {
  return new Tensor(N.avgPool2d(x._h, pair(kernel, 1), pair(stride ?? kernel, 1)));
}
export interface Pool2dOptions { padding?: number | number[]; dilation?: number | number[]; ceilMode?: boolean }
export function maxPool2d(x: Tensor, kernel: number | number[], stride?: number | number[], o: Pool2dOptions = {}): Tensor {
  if (o.padding === undefined && o.dilation === undefined && !o.ceilMode) return new Tensor(N.maxPool2d(x._h, pair(kernel, 1), pair(stride ?? kernel, 1)));
  return new Tensor(N.maxPool2dPadded(x._h, pair(kernel, 1), pair(stride ?? kernel, 1), pair(o.padding, 0), pair(o.dilation, 1), !!o.ceilMode));
}
/**
 * torch.nn.functional.batch_norm: normalises over every dim but 1 (channels). In training mode it
 * uses the batch statistics and updates runningMean/runningVar in place with `momentum`; in eval
 * mode it uses the running statistics.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number } = {}): Tensor {
  const training = o.training ?? false;
  if (training) {
    // PyTorch's _verify_batch_size: one value per channel has no variance
    const perChannel = x.shape.reduce((a, b, i) => (i === 1 ? a : a * b), 1);
    if (perChannel === 1) throw new Error(`Expected more than 1 value per channel when training, got input size torch.Size([${x.shape.join(', ')}]): use a batch size above 1, or put the model (or its BatchNorm layers) in eval mode`);
  }
  return new Tensor(N.batchNorm(x._h, o.weight ? o.weight._h : null, o.bias ? o.bias._h : null, runningMean ? runningMean._h : null, runningVar ? runningVar._h : null,
    training, o.momentum ?? 0.1, o.eps ?? 1e-5));
}
/** torch.nn.functional.pad, constant mode: `pad` lists (before, after) pairs from the last dim backwards. */
export function pad(x: Tensor, padding: number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) throw new Error(`pad: padding must have an even length of at most 2 * ${x.ndim} values, got [${padding.join(', ')}]`);
  return new Tensor(N.constantPad(x._h, padding, value));
}
export function adaptiveAvgPool2d(x: Tensor, size: number | number[]): Tensor {
  return new Tensor(N.adaptiveAvgPool2d(x._h, pair(size, 1)));
}

/** Runs `fn` and frees the intermediates it lists (the result survives). */
function composed(fn: (tmp: <T extends Tensor>(t: T) => T) => Tensor): Tensor {
  const tmps: Tensor[] = [];
  try {
    return fn((t) => { tmps.push(t); return t; });
  } finally {
    for (const t of tmps) t.dispose();
  }
}
/** transformers' NewGELUActivation, op for op: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluNew(x: Tensor): Tensor {
  return composed((tmp) => {
    const inner = tmp(tmp(tmp(x.pow(3.0)).mul(0.044715)).add(x));
    const t = tmp(tmp(inner.mul(Math.sqrt(2.0 / Math.PI))).tanh()).add(1.0);
    return tmp(x.mul(0.5)).mul(tmp(t));
  });
}
/** transformers' FastGELUActivation: 0.5·x·(1 + tanh(x·0.7978845608·(1 + 0.044715·x·x))). */
export function geluFast(x: Tensor): Tensor {
  return composed((tmp) => {
    const poly = tmp(tmp(tmp(x.mul(0.044715)).mul(x)).add(1.0));
    const t = tmp(tmp(tmp(x.mul(0.7978845608)).mul(poly)).tanh()).add(1.0);
    return tmp(x.mul(0.5)).mul(tmp(t));
  });
}

/** transformers' GELUActivation(use_gelu_python=True): x·0.5·(1 + erf(x/√2)). */
export function geluPython(x: Tensor): Tensor {
  return composed((tmp) => tmp(x.mul(0.5)).mul(tmp(tmp(tmp(x.div(Math.sqrt(2.0))).erf()).add(1.0))));
}
/** transformers' GELUTanh(use_gelu_tanh_python=True): x·0.5·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluPythonTanh(x: Tensor): Tensor {
  return composed((tmp) => {
    const inner = tmp(tmp(tmp(x.pow(3.0)).mul(0.044715)).add(x));
    const t = tmp(tmp(inner.mul(Math.sqrt(2.0 / Math.PI))).tanh()).add(1.0);
    return tmp(x.mul(0.5)).mul(tmp(t));
  });
}
/** transformers' LaplaceActivation (MEGA): 0.5·(1 + erf((x − μ)/(σ·√2))), μ = 0.707107, σ = 0.282095. */
export function laplace(x: Tensor, mu = 0.707107, sigma = 0.282095): Tensor {
  return composed((tmp) => tmp(tmp(tmp(tmp(x.sub(mu)).div(sigma * Math.sqrt(2.0))).erf()).add(1.0)).mul(0.5));
}
/** torch.nn.functional.mish, as ATen computes it: x·tanh(log1p(exp(x))). */
export function mish(x: Tensor): Tensor {
  return composed((tmp) => x.mul(tmp(tmp(tmp(x.exp()).log1p()).tanh())));
}
/** torch.nn.functional.leaky_relu: x where x > 0, else negativeSlope·x (default 0.01, nn.LeakyReLU's). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return composed((tmp) => x.where(tmp(x.gt(0)), tmp(x.mul(negativeSlope))));
}

/**
 * Activation functions by the names transformers' configs use (`hidden_act`): every entry of
 * transformers' ACT2FN (activations.py) with its exact formula, except the two with learnable
 * parameters (prelu, xielu), which a function table cannot hold.
 */
export const ACT2FN: Record<string, (x: Tensor) => Tensor> = {
  gelu: (x) => x.gelu(),
  gelu_10: (x) => composed((tmp) => tmp(x.gelu()).clamp(-10, 10)),
  gelu_fast: geluFast,
  gelu_new: geluNew,
  gelu_python: geluPython,
  gelu_pytorch_tanh: (x) => x.gelu('tanh'),
  gelu_python_tanh: geluPythonTanh,
  gelu_accurate: geluNew, // AccurateGELUActivation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), NewGELU's ops
  laplace: (x) => laplace(x),
  leaky_relu: (x) => leakyRelu(x),
  linear: (x) => x.clone(),
  mish,
  quick_gelu: (x) => { const s = x.mul(1.702); const g = s.sigmoid(); s.dispose(); const r = x.mul(g); g.dispose(); return r; },
  relu: (x) => x.relu(),
  relu2: (x) => composed((tmp) => tmp(x.relu()).square()),
  relu6: (x) => x.clamp(0, 6),
  sigmoid: (x) => x.sigmoid(),
  silu: (x) => x.silu(),
  swish: (x) => x.silu(),
  tanh: (x) => x.tanh(),
};
/** ACT2FN names hubtune leaves out, with the reason. */
export const UNSUPPORTED_ACTIVATIONS: Record<string, string> = {
  prelu: 'nn.PReLU has a learnable weight',
  xielu: 'XIELUActivation has learnable alpha_p/alpha_n',
};
/** The one-line error for an activation name that ACT2FN lacks. */
export function unknownActivation(name: unknown): string {
  const why = typeof name === 'string' && Object.hasOwn(UNSUPPORTED_ACTIVATIONS, name) ? UNSUPPORTED_ACTIVATIONS[name] : null;
  return why
    ? `activation '${name}' is not available in hubtune (${why}): use one of ${Object.keys(ACT2FN).join(', ')}`
    : `unknown activation '${String(name)}': use one of ${Object.keys(ACT2FN).join(', ')}`;
}
export function getActivation(name: string): (x: Tensor) => Tensor {
  const f = Object.hasOwn(ACT2FN, name) ? ACT2FN[name] : undefined;
  if (!f) throw new Error(unknownActivation(name));
  return f;
}

export interface AttentionOptions {
  /** Additive float mask broadcastable to [B, H, Lq, Lk] (0 keeps, a large negative value masks) or a bool mask (true keeps). */
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** Also return the attention probabilities (forces the composed path). */
  needWeights?: boolean;
}
/** libtorch 1.x: its scaled_dot_product_attention is a composed kernel (q·(1/√d), matmul, add_ mask, softmax), not a fused one. */
const COMPOSED_SDPA = Number(String(N.versions().torch).split('.')[0]) < 2;
/**
 * Where libtorch's kernel is not the faster one. libtorch 2.x fuses attention (flash/memory-efficient
 * kernels) for every dtype: always taken. libtorch 1.13's kernel composes the ops: for float32 and under
 * autocast it is the fastest path (the mask is added in place, so bf16 scores stay bf16 where a separate
 * `+ mask` promotes them to float32 and doubles the softmax and its backward: 4x slower measured at
 * ViT-base size); for a model cast to bf16/fp16 (no autocast) both paths cost the same, and the composed
 * order below (matmul, / √d, + mask) rounds like PyTorch's and transformers', whose bf16 logits it then
 * reproduces bit for bit (the kernel rounds the scaled queries once more).
 */
function kernelIsBest(q: Tensor): boolean {
  if (!COMPOSED_SDPA) return true;
  const dt = q.dtype;
  if (dt !== 'bfloat16' && dt !== 'float16') return true;
  const s = N.autocastState();
  return q.device.startsWith('cuda') ? s.cuda : s.cpu;
}
/**
 * softmax(q kᵀ / √d + mask) v. Uses libtorch's kernel when no weights are needed (and it is the best path
 * for this libtorch and dtype, see kernelIsBest), the composed form otherwise; both give the same numbers
 * within float rounding.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): { output: Tensor; weights: Tensor | null } {
  const p = o.dropoutP ?? 0;
  if (!o.needWeights && !(o.attnMask && o.attnMask.dtype === 'bool')) {
    const mask = o.attnMask ? o.attnMask._h : null;
    if (kernelIsBest(q)) return { output: new Tensor(N.sdpa(q._h, k._h, v._h, mask, p, !!o.isCausal)), weights: null };
    // the steps below in one call (float16 op by op: its ops may each need the CPU's float32 fallback)
    if (!o.isCausal && q.dtype !== 'float16') return { output: new Tensor(N.composedAttention(q._h, k._h, v._h, mask, p)), weights: null };
  }
  const d = q.shape[q.ndim - 1]!;
  const kt = k.transpose(-1, -2);
  const raw = q.matmul(kt);
  kt.dispose();
  let scores = raw.div(Math.sqrt(d));
  raw.dispose();
  if (o.isCausal) {
    const [lq, lk] = [q.shape[q.ndim - 2]!, k.shape[k.ndim - 2]!];
    const causal = new Tensor(N.ones([lq, lk], 5, null));
    const tri = causal.tril();
    const inv = tri.logicalNot();
    const s2 = scores.maskedFill(inv, -Infinity);
    [causal, tri, inv, scores].forEach((t) => t.dispose());
    scores = s2;
  }
  if (o.attnMask) {
    let s2: Tensor;
    if (o.attnMask.dtype === 'bool') { const inv = o.attnMask.logicalNot(); s2 = scores.maskedFill(inv, -Infinity); inv.dispose(); }
    else s2 = scores.add(o.attnMask);
    scores.dispose();
    scores = s2;
  }
  const probs = scores.softmax(-1);
  scores.dispose();
  const dropped = p > 0 ? dropout(probs, p, true) : probs;
  const output = dropped.matmul(v);
  if (dropped !== probs) dropped.dispose();
  if (!o.needWeights) { probs.dispose(); return { output, weights: null }; }
  return { output, weights: probs };
}

export interface CrossEntropyOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }
/** torch.nn.functional.cross_entropy over logits [N, C] (or [N, C, d...]) and class indices. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(N.crossEntropy(logits._h, target._h, o.weight ? o.weight._h : null, reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100, o.labelSmoothing ?? 0));
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.nllLoss(logProbs._h, target._h, o.weight ? o.weight._h : null, reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100));
}
export function binaryCrossEntropyWithLogits(x: Tensor, y: Tensor, o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.bceWithLogits(x._h, y._h, o.weight ? o.weight._h : null, o.posWeight ? o.posWeight._h : null, reductionCode(o.reduction ?? 'mean')));
}
export function mseLoss(x: Tensor, y: Tensor, o: { reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.mseLoss(x._h, y._h, reductionCode(o.reduction ?? 'mean')));
}
