// autocast on ATen's own autocast: PyTorch 1.13's CPU op lists (checked against torch.autocast on
// this libtorch: matmuls and convolutions in bf16, losses in float32, softmax/layer_norm follow
// their input, mixed inputs promoted), nesting, restoring on errors, PyTorch's disabling warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, tensor, cat, stack, F, autocast, isAutocastEnabled, getAutocastDtype, tidy } from '../index';

function warnings(fn: () => void): string[] {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (m: unknown) => { seen.push(String(m)); };
  try { fn(); } finally { console.warn = orig; }
  return seen;
}

test("autocast('cpu'): PyTorch's CPU op lists", () => {
  const x = randn([4, 8]);
  const w = randn([8, 8]).requiresGrad_(true);
  const img = randn([1, 3, 8, 8]);
  const bf = x.to('bfloat16');
  const labels = tensor([0, 1, 2, 3]);
  const dt = autocast('cpu', { dtype: 'bfloat16' }, () => tidy(() => ({
    linear: F.linear(x, w).dtype, matmul: x.matmul(w).dtype, mm: x.mm(w).dtype, bmm: x.unsqueeze(0).bmm(w.unsqueeze(0)).dtype,
    conv2d: F.conv2d(img, randn([2, 3, 2, 2])).dtype, sdpa: F.scaledDotProductAttention(x.view(1, 1, 4, 8), x.view(1, 1, 4, 8), x.view(1, 1, 4, 8)).output.dtype,
    softmax: x.softmax(-1).dtype, softmaxBf16: bf.softmax(-1).dtype, layerNorm: F.layerNorm(x, [8]).dtype, layerNormBf16: F.layerNorm(bf, [8]).dtype,
    crossEntropy: F.crossEntropy(bf, labels).dtype, nll: F.nllLoss(bf.logSoftmax(-1), labels).dtype, mse: F.mseLoss(bf, bf).dtype,
    bce: F.binaryCrossEntropyWithLogits(bf, bf.sigmoid()).dtype, addMixed: bf.add(x).dtype, cat: cat([x, bf]).dtype, stack: stack([x, bf]).dtype,
    embedding: F.embedding(tensor([1, 2]), w).dtype, gelu: bf.gelu().dtype, prod: bf.prod(1).dtype,
  })));
  assert.deepEqual(dt, {
    linear: 'bfloat16', matmul: 'bfloat16', mm: 'bfloat16', bmm: 'bfloat16', conv2d: 'bfloat16', sdpa: 'bfloat16',
    softmax: 'float32', softmaxBf16: 'bfloat16', layerNorm: 'float32', layerNormBf16: 'bfloat16',
    crossEntropy: 'float32', nll: 'float32', mse: 'float32', bce: 'float32', addMixed: 'float32', cat: 'float32', stack: 'float32',
    embedding: 'float32', gelu: 'bfloat16', prod: 'float32',
  });
  assert.equal(F.linear(x, w).dtype, 'float32', 'off again after the scope');
  // gradients reach the float32 weights in float32
  const loss = autocast('cpu', {}, () => F.crossEntropy(F.linear(x, w), labels));
  assert.equal(loss.dtype, 'float32');
  loss.backward();
  assert.equal(w.grad!.dtype, 'float32');
});

test('autocast: scopes nest and restore the enclosing state, also after an error', () => {
  const x = randn([2, 2]);
  assert.equal(isAutocastEnabled('cpu'), false);
  autocast('cpu', { dtype: 'bfloat16' }, () => {
    assert.equal(isAutocastEnabled('cpu'), true);
    assert.equal(getAutocastDtype('cpu'), 'bfloat16');
    autocast('cpu', { enabled: false }, () => {
      assert.equal(isAutocastEnabled('cpu'), false);
      assert.equal(x.matmul(x).dtype, 'float32');
    });
    assert.equal(x.matmul(x).dtype, 'bfloat16');
    assert.throws(() => autocast('cpu', { enabled: false }, () => { throw new Error('inner failure'); }), /inner failure/);
    assert.equal(isAutocastEnabled('cpu'), true, 'restored after the error');
  });
  assert.equal(isAutocastEnabled('cpu'), false);
  assert.equal(autocast('cpu', () => 42), 42);
  assert.throws(() => autocast('cpu', {}, (async () => 1) as never), /synchronous function/);
  assert.equal(isAutocastEnabled('cpu'), false);
});

test("autocast: PyTorch's checks (fp16 on CPU disabled with a warning, CUDA without a GPU disabled, bad device throws)", () => {
  const x = randn([2, 2]);
  const w = warnings(() => autocast('cpu', { dtype: 'float16' }, () => assert.equal(x.matmul(x).dtype, 'float32')));
  assert.match(w.join('\n'), /CPU autocast supports only bfloat16, got float16: autocast is disabled/);
  const w2 = warnings(() => autocast('cuda', () => assert.equal(isAutocastEnabled('cuda'), false)));
  assert.match(w2.join('\n'), /CUDA is not available: autocast is disabled/);
  assert.throws(() => autocast('tpu' as never, () => 1), /deviceType must be 'cpu' or 'cuda'/);
  assert.throws(() => autocast('cpu', { dtype: 'float17' }, () => 1), /unknown dtype 'float17'/);
  assert.equal(randint(0, 2, [1]).dtype, 'int64');
});
