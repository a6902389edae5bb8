// float32 Linear layers on oneDNN's sgemm (native/dnnl_gemm.cc) against at::linear on OpenBLAS:
// the same values and gradients (to float32 rounding), for every shape and layout a model passes.
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
