// rmsNorm, rotaryEmbedding and the composed attention run transformers' steps in one native call: the same numbers and the same
// gradients as those steps taken op by op, in every dtype (float16 goes op by op on purpose).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functional as F } from './index';
import { randn, manualSeed, cat, tidy, noGrad, type Tensor } from '../index';

const bits = (t: Tensor) => {
  const a = t.to('float32').toTypedArray() as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};

/** LlamaRMSNorm.forward (4.29) op by op. */
function rmsNormSteps(h: Tensor, w: Tensor, eps: number): Tensor {
  const variance = h.to('float32').pow(2).mean(-1, true);
  let x = h.mul(variance.add(eps).rsqrt());
  if (w.dtype === 'float16' || w.dtype === 'bfloat16') x = x.to(w.dtype);
  return w.mul(x);
}
/** apply_rotary_pos_emb for one tensor, op by op. */
function rotarySteps(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = x.shape[x.ndim - 1]! / 2;
  const rot = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
  return x.mul(cos).add(rot.mul(sin));
}

for (const dtype of ['float32', 'bfloat16', 'float16'] as const) {
  test(`rmsNorm in ${dtype}: the same values and gradients as LlamaRMSNorm's steps`, () => {
    manualSeed(1);
    tidy(() => {
      const h0 = randn([2, 5, 24]).mul(3).to(dtype).requiresGrad_();
      const w0 = randn([24]).add(1).to(dtype).requiresGrad_();
      const h1 = h0.detach().requiresGrad_(), w1 = w0.detach().requiresGrad_();
      const fused = F.rmsNorm(h0, w0, 1e-5);
      const steps = rmsNormSteps(h1, w1, 1e-5);
      assert.equal(fused.dtype, steps.dtype);
      assert.deepEqual(bits(fused), bits(steps));
      const g = randn(fused.shape).to(fused.dtype);
      fused.backward(g);
      steps.backward(g);
      assert.deepEqual(bits(h0.grad!), bits(h1.grad!));
      assert.deepEqual(bits(w0.grad!), bits(w1.grad!));
      // a float32 weight keeps a bf16 input's result in float32, as transformers' promotion does
      if (dtype === 'bfloat16') noGrad(() => assert.equal(F.rmsNorm(h0, randn([24]), 1e-5).dtype, 'float32'));
    });
  });

  test(`rotaryEmbedding in ${dtype}: the same values and gradients as apply_rotary_pos_emb's steps`, () => {
    manualSeed(2);
    tidy(() => {
      const x0 = randn([2, 3, 7, 16]).to(dtype).requiresGrad_();
      const x1 = x0.detach().requiresGrad_();
      const cos = randn([2, 1, 7, 16]).to(dtype), sin = randn([2, 1, 7, 16]).to(dtype);
      const fused = F.rotaryEmbedding(x0, cos, sin);
      const steps = rotarySteps(x1, cos, sin);
      assert.deepEqual(fused.shape, [2, 3, 7, 16]);
      assert.deepEqual(bits(fused), bits(steps));
      const g = randn(fused.shape).to(fused.dtype);
      fused.backward(g);
      steps.backward(g);
      assert.deepEqual(bits(x0.grad!), bits(x1.grad!));
    });
  });
}

for (const dtype of ['bfloat16', 'float16'] as const) {
  test(`composed attention in ${dtype} (a model cast to it, no autocast): one native call, the same values and gradients as the op-by-op path`, () => {
    for (const [withMask, dropoutP] of [[false, 0], [true, 0], [true, 0.3]] as const) {
      tidy(() => {
        manualSeed(3);
        const make = () => randn([2, 3, 5, 8]).to(dtype);
        const q0 = make().requiresGrad_(), k0 = make().requiresGrad_(), v0 = make().requiresGrad_();
        const [q1, k1, v1] = [q0, k0, v0].map((t) => t.detach().requiresGrad_());
        const mask = withMask ? randn([2, 1, 5, 5]).lt(-0.5).to(dtype).mul(-1e4) : null;
        manualSeed(9);
        const fused = F.scaledDotProductAttention(q0, k0, v0, { attnMask: mask, dropoutP }).output;
        manualSeed(9);
        const steps = F.scaledDotProductAttention(q1!, k1!, v1!, { attnMask: mask, dropoutP, needWeights: true }).output;
        assert.deepEqual(bits(fused), bits(steps), `mask ${withMask}, dropout ${dropoutP}`);
        const g = randn(fused.shape).to(dtype);
        fused.backward(g);
        steps.backward(g);
        for (const [a, b] of [[q0, q1], [k0, k1], [v0, v1]] as const) assert.deepEqual(bits(a.grad!), bits(b!.grad!));
      });
    }
  });
}

test('splitHeads, mergeHeads and repeatKv: the view/transpose/reshape steps they replace, and shape errors', () => {
  manualSeed(5);
  tidy(() => {
    const x = randn([2, 7, 12]);
    const split = F.splitHeads(x, 3);
    const steps = x.view(2, 7, 3, 4).transpose(1, 2);
    assert.deepEqual(split.shape, [2, 3, 7, 4]);
    assert.deepEqual(split.strides, steps.strides);
    assert.deepEqual(bits(split), bits(steps));
    const merged = F.mergeHeads(split);
    assert.deepEqual(bits(merged), bits(x));
    assert.deepEqual(merged.shape, [2, 7, 12]);
    const rep = F.repeatKv(split, 2);
    assert.deepEqual(rep.shape, [2, 6, 7, 4]);
    assert.deepEqual(bits(rep), bits(split.unsqueeze(2).expand(2, 3, 2, 7, 4).reshape(2, 6, 7, 4)));
    assert.deepEqual(bits(rep.narrow(1, 2, 1)), bits(split.narrow(1, 1, 1)));
    assert.equal(F.repeatKv(split, 1), split);
    assert.throws(() => F.splitHeads(x, 5), /splitHeads: expected \[batch, length, 5·headDim\], got \[2, 7, 12\]/);
    assert.throws(() => F.mergeHeads(x), /mergeHeads: expected \[batch, heads, length, headDim\]/);
  });
});
