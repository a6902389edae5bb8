// bfloat16 inference Linear layers on oneDNN directly (native/dnnl_gemm.cc): one input row (a
// decoding step at batch 1) on its bf16 gemv, checked against exact arithmetic and at::linear; more
// rows on its matmul primitive, the kernel at::linear reaches, so the same bits; and the cases that
// stay on at::linear (gradients, a strided weight, a bias libtorch adds after the product, autocast).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, F, manualSeed, noGrad, autocast, type Tensor } from './index';
import { native as N } from './native';
import { profileOps } from './profiler';

const on = N.bf16Linear() as { gemv: boolean; matmul: boolean };
const noGemv = !on.gemv && 'oneDNN\'s bf16 gemm is not in this libtorch (one-row bf16 Linear stays on at::linear)';
const noMatmul = !on.matmul && 'built without oneDNN\'s headers (libdnnl-dev): bf16 Linear stays on at::linear';

const values = (t: Tensor): Float32Array => tidy(() => t.to('float32').contiguous().flatten().toTypedArray() as Float32Array);
/** Runs fn with bf16 Linear on oneDNN directly or on at::linear. */
function withOnednn<T>(onednn: boolean, fn: () => T): T {
  const prev = N.setBf16Linear(onednn) as boolean;
  try { return fn(); } finally { N.setBf16Linear(prev); }
}
const calls = (fn: () => void): { gemv: number; matmul: number } => {
  const ops = profileOps(fn).ops;
  const count = (name: string) => ops.filter((o) => o.name === name).reduce((n, o) => n + o.count, 0);
  return { gemv: count('hubtune::onednn_bf16_gemv'), matmul: count('hubtune::onednn_bf16_matmul') };
};

test('one bf16 row: exact product rounded once, at::linear\'s bits but for rare last-place ties', { skip: noGemv }, () => {
  manualSeed(5);
  let same = 0, total = 0;
  const cases = [[576, 1536, false, [1], false], [1536, 576, true, [1, 1], false], [64, 4096, true, [1], false], [64, 4096, false, [], false],
    [7, 3, false, [1, 1, 1], false], [768, 2304, true, [1, 1], true], [3072, 768, false, [1], true]] as const;
  for (const [k, n, bias, lead, transposed] of cases) {
    noGrad(() => tidy(() => {
      // transposed: a view of a stored [k, n] weight, as GPT-2's Conv1D passes it
      const x = randn([...lead, k]).to('bfloat16'), w = (transposed ? randn([k, n]).t() : randn([n, k])).mul(0.05).to('bfloat16');
      assert.equal(w.isContiguous(), !transposed);
      const b = bias ? randn([n]).to('bfloat16') : undefined;
      let y!: Float32Array, ref!: Float32Array;
      assert.deepEqual(calls(() => { y = values(withOnednn(true, () => F.linear(x, w, b))); }), { gemv: 1, matmul: 0 }, `${k}x${n}`);
      assert.deepEqual(calls(() => { ref = values(withOnednn(false, () => F.linear(x, w, b))); }), { gemv: 0, matmul: 0 });
      assert.deepEqual(F.linear(x, w, b).shape, [...lead, n]);
      const xs = values(x), ws = values(w.contiguous()), bs = b ? values(b) : undefined;
      for (let j = 0; j < n; j++) {
        let exact = bs ? bs[j]! : 0, mag = Math.abs(exact);
        for (let i = 0; i < k; i++) { exact += xs[i]! * ws[j * k + i]!; mag += Math.abs(xs[i]! * ws[j * k + i]!); }
        // one bfloat16 rounding of the result, plus float32 rounding along the sum
        const bound = 2 ** -8 * Math.abs(exact) + 2 ** -20 * mag;
        assert.ok(Math.abs(y[j]! - exact) <= bound, `${k}x${n} output ${j}: ${y[j]} against exact ${exact}`);
        // where at::linear differs, it is by one bfloat16 step
        const step = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(ref[j]!), 1e-30))) - 7);
        assert.ok(Math.abs(y[j]! - ref[j]!) <= step * 1.0001, `${k}x${n} output ${j}: ${y[j]} against at::linear ${ref[j]}`);
        if (y[j] === ref[j]) same++;
        total++;
      }
    }));
  }
  assert.ok(same >= total * 0.99, `${same} of ${total} outputs equal at::linear's`);
});

test('several bf16 rows: oneDNN\'s matmul primitive, at::linear\'s very bits, any rows, bias and weight layout', { skip: noMatmul }, () => {
  manualSeed(7);
  const cases = [[[2, 576], 1536, false, false], [[1, 48, 576], 192, true, false], [[4, 197, 768], 768, true, false], [[3, 5], 2, true, false],
    [[2, 3, 4, 16], 24, false, false], [[1, 9, 768], 2304, true, true], [[6, 3072], 768, false, true]] as const;
  for (const [shape, n, bias, transposed] of cases) {
    noGrad(() => tidy(() => {
      const k = shape.at(-1)!;
      const x = randn([...shape]).to('bfloat16'), w = (transposed ? randn([k, n]).t() : randn([n, k])).mul(0.05).to('bfloat16');
      const b = bias ? randn([n]).to('bfloat16') : undefined;
      let y!: Tensor, ref!: Tensor;
      assert.deepEqual(calls(() => { y = withOnednn(true, () => F.linear(x, w, b)); }), { gemv: 0, matmul: 1 }, `${shape} -> ${n}`);
      assert.deepEqual(calls(() => { ref = withOnednn(false, () => F.linear(x, w, b)); }), { gemv: 0, matmul: 0 });
      assert.deepEqual(y.shape, [...shape.slice(0, -1), n]);
      assert.equal(y.dtype, 'bfloat16');
      assert.deepEqual(values(y), values(ref), `${shape} -> ${n}${bias ? ' + bias' : ''}${transposed ? ', transposed weight' : ''}`);
    }));
  }
});

test('gradients, a strided weight, a bias after the product, autocast and float32 stay on at::linear', () => {
  manualSeed(6);
  const none = { gemv: 0, matmul: 0 };
  tidy(() => {
    const w = randn([8, 16]).to('bfloat16');
    for (const rows of [1, 3]) {
      const x = randn([rows, 16]).to('bfloat16');
      const xg = x.clone().requiresGrad_(true);
      assert.deepEqual(calls(() => { F.linear(xg, w).sum().backward(); }), none, `${rows} rows with a gradient`);
      const xr = x.clone().requiresGrad_(true);
      withOnednn(false, () => F.linear(xr, w).sum().backward());
      assert.deepEqual(values(xg.grad!), values(xr.grad!));
      const wt = randn([8, 32]).to('bfloat16').slice(1, 0, 32, 2);
      let y!: Float32Array;
      assert.deepEqual(calls(() => noGrad(() => { y = values(F.linear(x, wt)); })), none, 'a weight read with a step');
      assert.deepEqual(y, values(withOnednn(false, () => noGrad(() => F.linear(x, wt)))));
      assert.deepEqual(calls(() => noGrad(() => autocast('cpu', { dtype: 'bfloat16' }, () => F.linear(x, w).dispose()))), none, 'autocast');
      assert.deepEqual(calls(() => noGrad(() => F.linear(x.to('float32'), w.to('float32')).dispose())), none, 'float32');
    }
    // at::linear adds the bias after the product for 1-d and 4-d inputs (two roundings): left to it
    const b = randn([8]).to('bfloat16');
    for (const shape of [[16], [1, 1, 1, 16], [2, 1, 3, 16]]) {
      assert.deepEqual(calls(() => noGrad(() => F.linear(randn(shape).to('bfloat16'), w, b).dispose())), none, `input ${shape} with a bias`);
    }
  });
});

test('HUBTUNE_BF16_LINEAR=aten goes back to at::linear at start; other values are refused', async () => {
  const { spawnSync } = await import('node:child_process');
  const code = "import('./src/torch/native.ts').then(async (n) => { await import('./src/torch/index.ts'); console.log(JSON.stringify(n.native.bf16Linear())); })";
  const run = (v: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_BF16_LINEAR: v }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(run('aten').stdout), { gemv: false, matmul: false });
  assert.deepEqual(JSON.parse(run('onednn').stdout), on);
  const bad = run('fast');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /HUBTUNE_BF16_LINEAR=fast is not a bfloat16 Linear backend: use onednn or aten/);
});
