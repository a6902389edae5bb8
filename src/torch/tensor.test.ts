import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, zeros, ones, full, arange, linspace, randn, rand, randint, normal, cat, stack, Generator, manualSeed,
  tidy, noGrad, memoryStats, cuda, F, keep, Tensor, empty,
} from './index';

const close = (a: number[], b: number[], tol = 1e-6) => a.every((x, i) => Math.abs(x - b[i]!) <= tol);

test('creation: dtypes, shapes, typed arrays copied by default', () => {
  for (const dt of ['float32', 'float16', 'bfloat16', 'int64', 'int32', 'bool', 'uint8'] as const) {
    const t = zeros([2, 3], { dtype: dt });
    assert.equal(t.dtype, dt);
    assert.deepEqual(t.shape, [2, 3]);
  }
  const src = new Float32Array([1, 2, 3, 4]);
  const t = tensor(src, { shape: [2, 2] });
  src[0] = 99;
  assert.deepEqual(t.toArray(), [[1, 2], [3, 4]], 'copied, not aliased');
  assert.equal(tensor(new BigInt64Array([5n])).dtype, 'int64');
  assert.equal(tensor([true, false]).dtype, 'bool');
  // torch.tensor's inference: integers int64, any fraction float32, empty float32
  assert.equal(tensor([1, 0, 2]).dtype, 'int64');
  assert.equal(tensor([[1, 2], [3, 4.5]]).dtype, 'float32');
  assert.equal(tensor([true, 2]).dtype, 'int64');
  assert.equal(tensor([NaN, 1]).dtype, 'float32');
  assert.equal(tensor([]).dtype, 'float32');
  assert.equal(tensor(3).dtype, 'int64');
  assert.deepEqual(tensor([1, 0, 2]).toArray(), [1, 0, 2]);
  assert.deepEqual(tensor([[1, 2]], { dtype: 'int64' }).toArray(), [[1, 2]]);
  assert.deepEqual(arange(4).toArray(), [0, 1, 2, 3]);
  assert.equal(arange(4).dtype, 'int64');
  assert.deepEqual(arange(0, 1, 0.5).toArray(), [0, 0.5]);
  assert.deepEqual(linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
  assert.deepEqual(full([2], 7).toArray(), [7, 7]);
  assert.deepEqual(ones([1]).toArray(), [1]);
  assert.equal(tensor(3.5).item(), 3.5);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor(new Float32Array(3), { shape: [2, 2] }), /bytes but the shape/);
});

test('seeded random numbers match PyTorch (torch.manual_seed(0); torch.randn(3))', () => {
  manualSeed(0);
  assert.ok(close(randn([3]).toArray(), [1.5410, -0.2934, -2.1788], 1e-4));
  const g1 = new Generator(42), g2 = new Generator(42);
  assert.deepEqual(rand([5], { generator: g1 }).toArray(), rand([5], { generator: g2 }).toArray());
  const r = randint(0, 3, [100], { generator: g1 }).toArray() as number[];
  assert.ok(r.every((x) => x >= 0 && x < 3));
  const n = normal(5, 0.01, [1000], { generator: g1 });
  assert.ok(Math.abs(n.mean().item() - 5) < 0.01);
  const state = g1.getState();
  const a = rand([3], { generator: g1 }).toArray();
  g1.setState(state);
  assert.deepEqual(rand([3], { generator: g1 }).toArray(), a);
});

test('views, shape ops and indexing', () => {
  const t = arange(24).reshape(2, 3, 4);
  assert.deepEqual(t.permute(2, 0, 1).shape, [4, 2, 3]);
  assert.deepEqual(t.transpose(0, 2).contiguous().shape, [4, 3, 2]);
  assert.deepEqual(t.at(':', 0).toArray(), [[0, 1, 2, 3], [12, 13, 14, 15]]);
  assert.deepEqual(t.at(1, '1:3', -1).toArray(), [19, 23]);
  assert.deepEqual(t.at('...', 0).shape, [2, 3]);
  assert.deepEqual(t.at(null).shape, [1, 2, 3, 4]);
  assert.deepEqual(t.at(0, 0, tensor([0, 3], { dtype: 'int64' })).toArray(), [0, 3]);
  assert.deepEqual(t.unsqueeze(0).squeeze(0).shape, [2, 3, 4]);
  assert.deepEqual(t.flatten(1).shape, [2, 12]);
  assert.deepEqual(tensor([[1], [2]]).expand(2, 3).toArray(), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual(cat([ones([1, 2]), zeros([1, 2])]).toArray(), [[1, 1], [0, 0]]);
  assert.deepEqual(stack([ones([2]), zeros([2])], 1).toArray(), [[1, 0], [1, 0]]);
  assert.deepEqual(arange(5).split(2).map((x) => x.toArray()), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(arange(6).chunk(3).map((x) => x.numel), [2, 2, 2]);
  assert.deepEqual(tensor([[1, 2], [3, 4]]).gather(1, tensor([[1], [0]], { dtype: 'int64' })).toArray(), [[2], [3]]);
  assert.deepEqual(tensor([10, 20, 30]).indexSelect(0, tensor([2, 0], { dtype: 'int64' })).toArray(), [30, 10]);
});

test('arithmetic with broadcasting, comparisons, math functions', () => {
  const a = tensor([[1, 2], [3, 4]]), b = tensor([10, 20]);
  assert.deepEqual(a.add(b).toArray(), [[11, 22], [13, 24]]);
  assert.deepEqual(a.sub(1).toArray(), [[0, 1], [2, 3]]);
  assert.deepEqual(a.rsub(1).toArray(), [[0, -1], [-2, -3]]);
  assert.deepEqual(a.mul(b).div(10).toArray(), [[1, 4], [3, 8]]);
  assert.deepEqual(a.pow(2).toArray(), [[1, 4], [9, 16]]);
  assert.deepEqual(a.gt(2).toArray(), [[false, false], [true, true]]);
  assert.deepEqual(a.clamp(2, 3).toArray(), [[2, 2], [3, 3]]);
  assert.ok(close(tensor([0, 1]).exp().toArray(), [1, Math.E]));
  assert.ok(close(tensor([4]).sqrt().toArray(), [2]));
  assert.ok(close(tensor([0.5]).tanh().toArray(), [Math.tanh(0.5)]));
  assert.deepEqual(a.maskedFill(a.gt(2), 0).toArray(), [[1, 2], [0, 0]]);
  assert.deepEqual(a.where(a.lt(3), -1).toArray(), [[1, 2], [-1, -1]]);
  assert.ok(close(tensor([1], { dtype: 'float32' }).gelu().toArray(), [0.8413447], 1e-6));
  assert.ok(close(tensor([1], { dtype: 'float32' }).gelu('tanh').toArray(), [0.8411920], 1e-6));
  assert.ok(close(tensor([1], { dtype: 'float32' }).silu().toArray(), [0.7310586], 1e-6));
  assert.deepEqual(tensor([-1, 2]).relu().toArray(), [0, 2]);
});

test('reductions', () => {
  const a = tensor([[1, 5, 3], [4, 2, 6]], { dtype: 'float32' });
  assert.equal(a.sum().item(), 21);
  assert.deepEqual(a.sum(0).toArray(), [5, 7, 9]);
  assert.deepEqual(a.mean(1, true).shape, [2, 1]);
  assert.ok(Math.abs(a.var().item() - 3.5) < 1e-6);
  const { values, indices } = a.max(1);
  assert.deepEqual(values.toArray(), [5, 6]);
  assert.deepEqual(indices.toArray(), [1, 2]);
  assert.deepEqual(a.argmax(1).toArray(), [1, 2]);
  assert.deepEqual(a.topk(2).indices.toArray(), [[1, 2], [2, 0]]);
  assert.ok(close(a.softmax(1).sum(1).toArray(), [1, 1]));
  assert.ok(close(a.logSoftmax(1).exp().sum(1).toArray(), [1, 1]));
  assert.deepEqual(a.min().toArray(), 1);
});

test('nn functions: linear, conv2d, embedding, layer norm, dropout, attention, losses', () => {
  manualSeed(1);
  const x = randn([2, 3]), w = randn([4, 3]), b = randn([4]);
  assert.ok(F.linear(x, w, b).allclose(x.matmul(w.t()).add(b), 1e-5, 1e-6));
  assert.deepEqual(F.conv2d(randn([1, 3, 8, 8]), randn([5, 3, 4, 4]), null, { stride: 4 }).shape, [1, 5, 2, 2]);
  assert.deepEqual(F.embedding(tensor([[0, 2]], { dtype: 'int64' }), tensor([[1, 1], [2, 2], [3, 3]])).toArray(), [[[1, 1], [3, 3]]]);
  const ln = F.layerNorm(tensor([[1, 2, 3]], { dtype: 'float32' }), [3]);
  assert.ok(Math.abs(ln.mean().item()) < 1e-6);
  const d = F.dropout(ones([1000]), 0.5, true);
  const kept = (d.toArray() as number[]).filter((v) => v !== 0);
  assert.ok(kept.length > 400 && kept.length < 600 && kept.every((v) => v === 2));
  assert.deepEqual(F.dropout(ones([3]), 0.5, false).toArray(), [1, 1, 1]);
  const q = randn([2, 4, 5, 8]), k = randn([2, 4, 5, 8]), v = randn([2, 4, 5, 8]);
  const mask = zeros([2, 1, 1, 5]);
  mask.at(':', ':', ':', '3:').fill_(-3.4028234663852886e38);
  const fused = F.scaledDotProductAttention(q, k, v, { attnMask: mask });
  const composed = F.scaledDotProductAttention(q, k, v, { attnMask: mask, needWeights: true });
  assert.ok(fused.output.allclose(composed.output, 1e-5, 1e-6), 'fused and composed attention agree');
  assert.ok(composed.weights!.at(':', ':', ':', '3:').abs().max().item() === 0);
  const logits = tensor([[2, 1, 0], [0, 1, 2]], { dtype: 'float32' });
  const target = tensor([0, -100], { dtype: 'int64' });
  const ce = F.crossEntropy(logits, target);
  assert.ok(Math.abs(ce.item() - (-Math.log(Math.exp(2) / (Math.exp(2) + Math.exp(1) + 1)))) < 1e-6, 'ignore_index');
  assert.ok(F.crossEntropy(logits, tensor([0, 2], { dtype: 'int64' }), { labelSmoothing: 0.1 }).item() > F.crossEntropy(logits, tensor([0, 2], { dtype: 'int64' })).item());
  assert.deepEqual(F.crossEntropy(logits, tensor([0, 2], { dtype: 'int64' }), { reduction: 'none' }).shape, [2]);
  assert.ok(Math.abs(F.binaryCrossEntropyWithLogits(tensor([0], { dtype: 'float32' }), tensor([1], { dtype: 'float32' })).item() - Math.log(2)) < 1e-6);
  assert.equal(F.mseLoss(tensor([1, 3], { dtype: 'float32' }), tensor([1, 1], { dtype: 'float32' })).item(), 2);
});

test('autograd: backward, grad argument, noGrad, detach, requiresGrad', () => {
  const x = tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_();
  const y = x.mul(x).sum();
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  x.grad = null;
  const z = x.mul(2);
  z.backward(tensor([1, 0, 1], { dtype: 'float32' }));
  assert.deepEqual(x.grad!.toArray(), [2, 0, 2]);
  const w = noGrad(() => x.mul(3));
  assert.equal(w.requiresGrad, false);
  assert.equal(x.detach().requiresGrad, false);
  assert.equal(y.gradFn, 'SumBackward0');
  assert.throws(() => tensor([1, 2], { dtype: 'float32' }).sum().backward(), /does not require grad/);
});

test('errors: libtorch messages become JS errors without backtraces; the process keeps running', () => {
  assert.throws(() => zeros([2, 3]).matmul(zeros([2, 3])), (e: Error) => /cannot be multiplied/.test(e.message) && !/Exception raised from/.test(e.message));
  assert.throws(() => zeros([2]).add(zeros([3])), /size of tensor a \(2\) must match/);
  assert.throws(() => F.embedding(tensor([1.5]), zeros([3, 2])), /Expected tensor for argument|Long|Int/);
  assert.throws(() => zeros([2]).view(3), /invalid for input of size/);
  const t = zeros([2]);
  t.dispose();
  assert.throws(() => t.add(1), /tensor was disposed/);
  assert.throws(() => t.toArray(), /tensor was disposed/);
  if (!cuda.isAvailable()) assert.throws(() => zeros([1], { device: 'cuda' }), /CUDA is not available/);
  assert.throws(() => zeros([1], { dtype: 'complex' as never }), /unknown dtype 'complex'/);
  assert.equal(ones([1]).item(), 1, 'still alive');
});

test('tidy disposes intermediates, keeps returned tensors, and nests', () => {
  const before = memoryStats().liveTensors;
  const kept = tidy(() => {
    const a = randn([100]);
    const inner = tidy(() => { const b = a.mul(2); return { b, n: 1 }; });
    randn([10]);
    return [inner.b.add(1)];
  });
  assert.equal(memoryStats().liveTensors, before + 1);
  assert.equal(kept[0]!.shape[0], 100);
  kept[0]!.dispose();
  assert.equal(memoryStats().liveTensors, before);
  const k = tidy(() => { const p = keep(zeros([1])); randn([1]); return null; });
  assert.equal(k, null);
  assert.equal(memoryStats().liveTensors, before + 1);
  assert.throws(() => tidy(() => { randn([3]); throw new Error('boom'); }), /boom/);
  assert.equal(memoryStats().liveTensors, before + 1);
});

test('String(tensor) looks like PyTorch', () => {
  assert.equal(String(tensor([[1, 2], [3, 4]], { dtype: 'float32' })), 'tensor([[1., 2.],\n        [3., 4.]])');
  assert.equal(String(tensor([[1, 2], [3, 4]])), 'tensor([[1, 2],\n        [3, 4]])', 'integers infer int64 like torch.tensor');
  assert.equal(String(tensor([0.5, -1.25])), 'tensor([ 0.5000, -1.2500])');
  assert.equal(String(tensor([1, 2], { dtype: 'int64' })), 'tensor([1, 2])');
  assert.equal(String(tensor([1], { dtype: 'int32' })), 'tensor([1], dtype=torch.int32)');
  assert.equal(String(tensor([true])), 'tensor([True])');
  assert.match(String(tensor([1], { dtype: 'float32' }).requiresGrad_()), /requires_grad=True/);
  assert.match(String(arange(2000)), /tensor\(\[   0,    1,    2,  \.\.\., 1997, 1998, 1999\]\)/);
  assert.equal(String(empty([0])), 'tensor([])');
  assert.ok(tensor([1]) instanceof Tensor);
});
