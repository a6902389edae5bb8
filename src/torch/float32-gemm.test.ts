// float32 Linear layers on oneDNN's sgemm (native/dnnl_gemm.cc) against at::linear on OpenBLAS:
// the same values and gradients (to float32 rounding), for every shape and layout a model passes;
// and float32 attention, whose two batched products run on the same sgemm (Float32Attention).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, F, Tensor, manualSeed, autocast, setFloat32Gemm, float32Gemm } from './index';

const onednn = setFloat32Gemm('onednn') === 'onednn' || float32Gemm() === 'onednn';
const why = 'oneDNN\'s sgemm is not in this libtorch (float32 Linear stays on BLAS)';

/** Runs fn with the given backend, returns plain arrays of its tensors. */
function withGemm(backend: 'onednn' | 'blas', fn: () => Tensor[]): number[][] {
  const prev = setFloat32Gemm(backend);
  try {
    return tidy(() => fn().map((t) => Array.from(t.contiguous().flatten().toTypedArray() as Float32Array)));
  } finally {
    setFloat32Gemm(prev);
  }
}
function assertClose(a: number[][], b: number[][], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((xs, i) => {
    assert.equal(xs.length, b[i]!.length, `${what}[${i}] length`);
    let scale = 1, worst = 0;
    xs.forEach((x, j) => { scale = Math.max(scale, Math.abs(b[i]![j]!)); worst = Math.max(worst, Math.abs(x - b[i]![j]!)); });
    assert.ok(worst <= 2e-6 * scale * 64, `${what}[${i}]: max difference ${worst} (scale ${scale})`);
  });
}

test('float32 Linear on oneDNN is the default here', { skip: !onednn && why }, () => {
  if (!process.env.HUBTUNE_FP32_GEMM) assert.equal(float32Gemm(), 'onednn');
  assert.throws(() => setFloat32Gemm('mkl' as 'blas'), /must be 'onednn' or 'blas', got 'mkl'/);
});

test('forward and backward match at::linear for every shape and layout', { skip: !onednn && why }, () => {
  manualSeed(3);
  const cases: Array<{ name: string; x: () => Tensor; w: () => Tensor; bias: boolean }> = [
    { name: '2d + bias', x: () => randn([3, 5]), w: () => randn([7, 5]), bias: true },
    { name: '3d, no bias', x: () => randn([2, 4, 5]), w: () => randn([7, 5]), bias: false },
    { name: '4d + bias', x: () => randn([2, 3, 4, 6]), w: () => randn([5, 6]), bias: true },
    { name: '1d input', x: () => randn([5]), w: () => randn([7, 5]), bias: true },
    { name: 'transposed input', x: () => randn([5, 3]).t(), w: () => randn([7, 5]), bias: true },
    { name: 'transposed weight (tied)', x: () => randn([3, 5]), w: () => randn([5, 7]).t(), bias: false },
    { name: 'one output', x: () => randn([4, 9]), w: () => randn([1, 9]), bias: true },
    { name: 'BERT-size', x: () => randn([2, 197, 768]), w: () => randn([3072, 768]).mul(0.02), bias: true },
  ];
  for (const c of cases) {
    const xs = tidy(() => c.x().detach()), ws = tidy(() => c.w().detach());
    const n = ws.shape[0]!;
    const bs = randn([n]);
    const run = () => {
      const x = xs.clone().requiresGrad_(true), w = ws.clone().requiresGrad_(true), b = bs.clone().requiresGrad_(true);
      const y = F.linear(x, w, c.bias ? b : undefined);
      const gy = randn(y.shape);
      y.mul(gy).sum().backward();
      return [y, x.grad!, w.grad!, ...(c.bias ? [b.grad!] : [])];
    };
    manualSeed(11);
    const ref = withGemm('blas', run);
    manualSeed(11);
    const got = withGemm('onednn', run);
    assertClose(got, ref, c.name);
    xs.dispose(); ws.dispose(); bs.dispose();
  }
});

test('shapes and grad_fn as PyTorch prints them; empty batches; shape errors from ATen', { skip: !onednn && why }, () => {
  tidy(() => {
    const w = randn([4, 3]).requiresGrad_(true), b = randn([4]).requiresGrad_(true);
    assert.deepEqual(F.linear(randn([2, 5, 3]), w, b).shape, [2, 5, 4]);
    assert.equal(F.linear(randn([2, 3]), w, b).gradFn, 'AddmmBackward0');
    assert.equal(F.linear(randn([2, 3]), w).gradFn, 'MmBackward0');
    assert.equal(F.linear(randn([2, 5, 3]), w, b).gradFn, 'ViewBackward0');
    assert.deepEqual(F.linear(randn([0, 3]), w, b).shape, [0, 4]);
    assert.throws(() => F.linear(randn([2, 5]), w), /shapes cannot be multiplied|mat1 and mat2/);
  });
});

test('under bf16 autocast Linear still runs in bfloat16 (ATen\'s autocast, not the float32 path)', { skip: !onednn && why }, () => {
  tidy(() => {
    const y = autocast('cpu', { dtype: 'bfloat16' }, () => F.linear(randn([2, 8]), randn([3, 8]), randn([3])));
    assert.equal(y.dtype, 'bfloat16');
    assert.equal(F.linear(randn([2, 8]).to('float64'), randn([3, 8]).to('float64')).dtype, 'float64');
  });
});

test('HUBTUNE_FP32_GEMM chooses the backend at start and rejects other values', { skip: !onednn && why }, async () => {
  const { spawnSync } = await import('node:child_process');
  const code = "import('./src/torch/index.ts').then((m) => console.log(m.float32Gemm()))";
  const run = (v: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_FP32_GEMM: v, HUBTUNE_NUM_THREADS: '', HUBTUNE_BLAS_THREADS: '', OMP_NUM_THREADS: '' }, encoding: 'utf8' });
  const blas = run('blas');
  assert.equal(blas.stdout.trim(), 'blas', blas.stderr);
  const bad = run('fast');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /HUBTUNE_FP32_GEMM=fast is not a float32 GEMM backend: use onednn or blas/);
});

test('float32 attention on oneDNN matches libtorch\'s kernel: values and gradients, views, masks, any batch', { skip: !onednn && why }, () => {
  manualSeed(5);
  // [B, L, H, D] projections viewed as [B, H, L, D], as the models pass them
  const heads = (b: number, l: number, h: number, d: number) => () => randn([b, l, h, d]).transpose(1, 2);
  const cases: Array<{ name: string; q: () => Tensor; k: () => Tensor; v: () => Tensor; mask?: () => Tensor }> = [
    { name: 'ViT-size, views', q: heads(1, 197, 12, 64), k: heads(1, 197, 12, 64), v: heads(1, 197, 12, 64) },
    { name: 'padding mask [B,1,1,S]', q: heads(2, 7, 4, 16), k: heads(2, 9, 4, 16), v: heads(2, 9, 4, 16), mask: () => randn([2, 1, 1, 9]).mul(4) },
    { name: 'full mask [B,H,L,S], contiguous', q: () => randn([2, 3, 5, 8]), k: () => randn([2, 3, 6, 8]), v: () => randn([2, 3, 6, 8]), mask: () => randn([2, 3, 5, 6]) },
    { name: '3-D, one head of batch', q: () => randn([3, 5, 8]), k: () => randn([3, 6, 8]), v: () => randn([3, 6, 8]) },
    { name: 'one query (decoding)', q: heads(2, 1, 4, 16), k: heads(2, 11, 4, 16), v: heads(2, 11, 4, 16) },
    { name: 'transposed key storage', q: () => randn([2, 5, 8]), k: () => randn([2, 8, 6]).transpose(1, 2), v: () => randn([2, 6, 8]) },
  ];
  for (const c of cases) {
    const [qs, ks, vs] = [c.q, c.k, c.v].map((f) => tidy(() => f().detach()));
    const ms = c.mask ? tidy(() => c.mask!()) : null;
    const run = () => {
      // the same strides as the inputs (clone() keeps them)
      const [q, k, v] = [qs!, ks!, vs!].map((t) => t.clone().requiresGrad_(true));
      const y = F.scaledDotProductAttention(q!, k!, v!, { attnMask: ms }).output;
      const gy = randn(y.shape);
      y.mul(gy).sum().backward();
      return [y, q!.grad!, k!.grad!, v!.grad!];
    };
    manualSeed(11);
    const ref = withGemm('blas', run);
    manualSeed(11);
    const got = withGemm('onednn', run);
    assertClose(got, ref, c.name);
    [qs, ks, vs, ms].forEach((t) => t?.dispose());
  }
  // the products really ran on oneDNN: autograd shows its function, not ATen's
  tidy(() => {
    const q = randn([1, 2, 4, 8]).requiresGrad_(true);
    const y = withGemmTensor('onednn', () => F.scaledDotProductAttention(q, randn([1, 2, 4, 8]), randn([1, 2, 4, 8])).output);
    assert.match(y.gradFn ?? '', /DnnlBatchedProduct/);
    const z = withGemmTensor('blas', () => F.scaledDotProductAttention(q, randn([1, 2, 4, 8]), randn([1, 2, 4, 8])).output);
    assert.doesNotMatch(z.gradFn ?? '', /DnnlBatchedProduct/);
  });
});

test('attention with dropout, under autocast, in float64, and its shape errors behave as libtorch\'s kernel', { skip: !onednn && why }, () => {
  tidy(() => {
    // dropout in training: a kept weight is scaled by 1 / (1 - p), as ATen's dropout does
    manualSeed(2);
    const q = randn([1, 1, 64, 8]).mul(0), k = randn([1, 1, 64, 8]), v = tidy(() => randn([1, 1, 64, 1]).mul(0).add(1));
    const y = withGemmTensor('onednn', () => F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).output);
    const mean = y.mean().item() as number;
    assert.ok(mean > 0.8 && mean < 1.2, `dropout kept the expectation: mean ${mean}`);
    const bf = autocast('cpu', { dtype: 'bfloat16' }, () => F.scaledDotProductAttention(randn([1, 2, 3, 4]), randn([1, 2, 3, 4]), randn([1, 2, 3, 4])).output);
    assert.equal(bf.dtype, 'bfloat16');
    assert.equal(F.scaledDotProductAttention(randn([1, 2, 3, 4]).to('float64'), randn([1, 2, 3, 4]).to('float64'), randn([1, 2, 3, 4]).to('float64')).output.dtype, 'float64');
    assert.throws(() => F.scaledDotProductAttention(randn([1, 2, 3, 4]), randn([1, 2, 3, 5]), randn([1, 2, 3, 5])));
  });
});

function withGemmTensor(backend: 'onednn' | 'blas', fn: () => Tensor): Tensor {
  const prev = setFloat32Gemm(backend);
  try { return fn(); } finally { setFloat32Gemm(prev); }
}
