// bfloat16 and float16 tensors through every op (values against float32), toArray(), String() as
// PyTorch prints them, safetensors, and gradients into 16-bit leaves. libtorch 1.13 lacks most CPU
// float16 kernels and a few bfloat16 ones: those ops run widened to float32 (low-precision-fallback.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn, tensor, F, cat, stack, where, tidy, Tensor, loadSafetensors, saveSafetensors, type DType } from './index';

const OPS: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  neg: (a) => a.neg(), exp: (a) => a.exp(), log: (a) => a.abs().add(0.5).log(), sqrt: (a) => a.abs().sqrt(), rsqrt: (a) => a.abs().add(0.5).rsqrt(),
  tanh: (a) => a.tanh(), sigmoid: (a) => a.sigmoid(), relu: (a) => a.relu(), silu: (a) => a.silu(), gelu: (a) => a.gelu(), geluTanh: (a) => a.gelu('tanh'),
  sin: (a) => a.sin(), cos: (a) => a.cos(), erf: (a) => a.erf(), log1p: (a) => a.abs().log1p(), expm1: (a) => a.expm1(), floor: (a) => a.floor(), round: (a) => a.round(),
  add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b.abs().add(0.5)), pow: (a, b) => a.abs().add(0.5).pow(b),
  maximum: (a, b) => a.maximum(b), clamp: (a) => a.clamp(-0.5, 0.5), where: (a, b) => where(a.gt(0), a, b), addcmul_: (a, b) => a.clone().addcmul_(a, b, 0.5),
  addcdiv_: (a, b) => a.clone().addcdiv_(a, b.abs().add(1), 0.5), lerp_: (a, b) => a.clone().lerp_(b, 0.3), add_: (a, b) => a.clone().add_(b, 0.5),
  matmul: (a, b) => a.matmul(b), bmm: (a, b) => a.unsqueeze(0).bmm(b.unsqueeze(0)), linear: (a, b) => F.linear(a, b, b.select(0, 0)),
  conv2d: (a, b) => F.conv2d(a.view(1, 1, 4, 4), b.narrow(0, 0, 2).narrow(1, 0, 2).reshape(1, 1, 2, 2)),
  layerNorm: (a) => F.layerNorm(a, [4]), softmax: (a) => a.softmax(-1), logSoftmax: (a) => a.logSoftmax(-1), logsumexp: (a) => a.logsumexp(1),
  sum: (a) => a.sum(1), mean: (a) => a.mean(), prod: (a) => a.prod(1), var: (a) => a.var(), std: (a) => a.std(1), norm: (a) => a.norm(), cumsum: (a) => a.cumsum(1),
  max: (a) => a.max(1).values, topk: (a) => a.topk(2).values, sort: (a) => a.sort().values, avgPool2d: (a) => F.avgPool2d(a.view(1, 1, 4, 4), 2),
  maxPool2d: (a) => F.maxPool2d(a.view(1, 1, 4, 4), 2), sdpa: (a) => F.scaledDotProductAttention(a.view(1, 1, 4, 4), a.view(1, 1, 4, 4), a.view(1, 1, 4, 4)).output,
  crossEntropy: (a) => F.crossEntropy(a, tensor([0, 1, 2, 3])), mse: (a, b) => F.mseLoss(a, b), bce: (a, b) => F.binaryCrossEntropyWithLogits(a, b.sigmoid()),
  cat: (a, b) => cat([a, b]), stack: (a, b) => stack([a, b]), gather: (a) => a.gather(1, tensor([[0], [1], [2], [3]])), embedding: (a) => F.embedding(tensor([3, 0]), a),
};

for (const dtype of ['bfloat16', 'float16'] as DType[]) {
  test(`${dtype}: every op runs and matches float32 to ${dtype}'s precision, in ${dtype}`, () => {
    const a32 = randn([4, 4]).div(2), b32 = randn([4, 4]).div(2);
    const [a, b] = [a32.to(dtype), b32.to(dtype)];
    const eps = dtype === 'bfloat16' ? 2 ** -8 : 2 ** -11;
    for (const [name, op] of Object.entries(OPS)) {
      tidy(() => {
        const got = op(a, b);
        assert.equal(got.dtype, dtype, `${name} keeps ${dtype}`);
        const want = op(a.float(), b.float());
        const err = got.float().sub(want).abs().max().item();
        const scale = Math.max(1, want.abs().max().item());
        assert.ok(err <= 8 * eps * scale, `${name}: off by ${err} (scale ${scale})`);
      });
    }
  });
}

test('16-bit tensors: toArray, String as PyTorch prints them, safetensors round trip, gradients into 16-bit leaves', () => {
  const bf = tensor([1.5, -2], { dtype: 'bfloat16' });
  assert.deepEqual(bf.toArray(), [1.5, -2]);
  assert.equal(String(bf), 'tensor([ 1.5000, -2.0000], dtype=torch.bfloat16)');
  assert.equal(String(tensor(3.14159, { dtype: 'bfloat16' })), 'tensor(3.1406, dtype=torch.bfloat16)');
  const h = tensor([[0.1, 2e-5], [3, 4]], { dtype: 'float16' });
  assert.equal(String(h), 'tensor([[9.9976e-02, 2.0027e-05],\n        [3.0000e+00, 4.0000e+00]], dtype=torch.float16)');
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-lowp-'));
  saveSafetensors(join(dir, 't.safetensors'), { bf, h });
  const back = loadSafetensors(join(dir, 't.safetensors')).tensors;
  assert.equal(back.get('bf')!.dtype, 'bfloat16');
  assert.ok(back.get('bf')!.equal(bf) && back.get('h')!.equal(h));
  for (const dtype of ['bfloat16', 'float16'] as DType[]) {
    const w = randn([3, 3]).to(dtype).requiresGrad_(true);
    const x = randn([2, 3]).to(dtype);
    F.linear(x, w).tanh().sum().backward();
    assert.equal(w.grad!.dtype, dtype);
    assert.deepEqual(w.grad!.shape, [3, 3]);
  }
  // an in-place op without a float16 kernel writes into the float16 tensor itself
  const t = tensor([1, 2], { dtype: 'float16' });
  const same = t.addcmul_(tensor([1, 1], { dtype: 'float16' }), tensor([2, 3], { dtype: 'float16' }), 1);
  assert.equal(same, t);
  assert.deepEqual(t.toArray(), [3, 5]);
});
