// A bfloat16 Linear layer on one input row (a decoding step at batch 1) runs on oneDNN's bf16 gemm
// (native/dnnl_gemm.cc): its values against exact arithmetic and against at::linear, and the cases
// that stay on at::linear (gradients, several rows, a strided weight, autocast).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, F, manualSeed, noGrad, autocast, type Tensor } from './index';
import { native as N } from './native';
import { profileOps } from './profiler';

const found = N.bf16Gemv() as boolean;
const why = 'oneDNN\'s bf16 gemm is not in this libtorch (bf16 Linear stays on at::linear)';

const values = (t: Tensor): Float32Array => tidy(() => t.to('float32').contiguous().flatten().toTypedArray() as Float32Array);
/** Runs fn with the gemv on or off. */
function withGemv<T>(on: boolean, fn: () => T): T {
  const prev = N.setBf16Gemv(on) as boolean;
  try { return fn(); } finally { N.setBf16Gemv(prev); }
}
const gemvCalls = (fn: () => void): number =>
  profileOps(fn).ops.filter((o) => o.name === 'hubtune::onednn_bf16_gemv').reduce((n, o) => n + o.count, 0);

test('one bf16 row: exact product rounded once, at::linear\'s bits but for rare last-place ties', { skip: !found && why }, () => {
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
      assert.equal(gemvCalls(() => { y = values(withGemv(true, () => F.linear(x, w, b))); }), 1, `${k}x${n}: one gemv call`);
      assert.equal(gemvCalls(() => { ref = values(withGemv(false, () => F.linear(x, w, b))); }), 0);
      assert.deepEqual(withGemv(true, () => F.linear(x, w, b)).shape, [...lead, n]);
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

test('gradients, several rows, a strided weight, a bias after the product and autocast stay on at::linear', { skip: !found && why }, () => {
  manualSeed(6);
  tidy(() => {
    const w = randn([8, 16]).to('bfloat16'), x = randn([1, 16]).to('bfloat16');
    const xg = x.clone().requiresGrad_(true);
    assert.equal(gemvCalls(() => { F.linear(xg, w).sum().backward(); }), 0, 'an input that needs a gradient');
    const xr = x.clone().requiresGrad_(true);
    withGemv(false, () => F.linear(xr, w).sum().backward());
    assert.deepEqual(values(xg.grad!), values(xr.grad!));
    // a bias after the product in at::linear (a 1-d or 4-d input): two roundings there, so at::linear
    const b = randn([8]).to('bfloat16');
    for (const shape of [[16], [1, 1, 1, 16]]) {
      assert.equal(gemvCalls(() => noGrad(() => F.linear(x.reshape(shape), w, b).dispose())), 0, `input ${shape} with a bias`);
    }
    assert.equal(gemvCalls(() => noGrad(() => F.linear(randn([2, 16]).to('bfloat16'), w).dispose())), 0, 'two rows');
    const wt = randn([8, 32]).to('bfloat16').slice(1, 0, 32, 2);
    let y!: Float32Array, ref!: Float32Array;
    assert.equal(gemvCalls(() => noGrad(() => { y = values(F.linear(x, wt)); })), 0, 'a weight read with a step');
    ref = values(withGemv(false, () => noGrad(() => F.linear(x, wt))));
    assert.deepEqual(y, ref);
    assert.equal(gemvCalls(() => noGrad(() => autocast('cpu', { dtype: 'bfloat16' }, () => F.linear(x, w).dispose()))), 0, 'autocast');
    assert.equal(gemvCalls(() => noGrad(() => F.linear(x.to('float32'), w.to('float32')).dispose())), 0, 'float32');
  });
});

test('HUBTUNE_BF16_GEMV=aten goes back to at::linear at start; other values are refused', { skip: !found && why }, async () => {
  const { spawnSync } = await import('node:child_process');
  const code = "import('./src/torch/native.ts').then(async (n) => { await import('./src/torch/index.ts'); console.log(n.native.bf16Gemv()); })";
  const run = (v: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, HUBTUNE_BF16_GEMV: v }, encoding: 'utf8' });
  assert.equal(run('aten').stdout.trim(), 'false');
  assert.equal(run('onednn').stdout.trim(), 'true');
  const bad = run('fast');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /HUBTUNE_BF16_GEMV=fast is not a bfloat16 single-row product backend: use onednn or aten/);
});
