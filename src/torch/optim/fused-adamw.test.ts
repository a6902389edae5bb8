// The fused AdamW update (native/fused_optim.cc) against the op-by-op one (torch 1.13's single-tensor
// arithmetic): bit-identical parameters and state over several steps, sizes with vector tails, weight
// decay and no-decay groups, large and tiny gradients; what it cannot fuse falls back op by op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, adamwFusedAvailable } from './index';
import { Tensor, randn, manualSeed, tensor } from '../index';

const fusedOrSkip = adamwFusedAvailable() ? {} : { skip: 'this CPU has no AVX2+FMA: AdamW runs op by op only' };

function sameBits(a: Tensor, b: Tensor, what: string): void {
  const x = new Uint32Array((a.toTypedArray() as Float32Array).buffer.slice(0)), y = new Uint32Array((b.toTypedArray() as Float32Array).buffer.slice(0));
  assert.equal(x.length, y.length, what);
  let diff = 0, first = -1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { diff++; if (first < 0) first = i; }
  assert.equal(diff, 0, `${what}: ${diff} of ${x.length} elements differ (first at ${first}: ${a.toTypedArray()[first]} vs ${b.toTypedArray()[first]})`);
}

test('fused AdamW gives the op-by-op update bit for bit (5 steps, two groups, tails, wide gradient range)', fusedOrSkip, () => {
  manualSeed(3);
  const shapes = [[37, 29], [1], [7], [8], [1000, 3], [65537]];
  const init = shapes.map((s) => randn(s));
  const grads = [1, 2, 3, 4, 5].map((k) => shapes.map((s, i) => randn(s).mul(i === 3 ? 1e-6 : k === 2 ? 300 : 0.01 * k)));
  const run = (fused: boolean) => {
    const ps = init.map((t) => t.clone().requiresGrad_(true));
    const opt = new AdamW([{ params: ps.slice(0, 3), weightDecay: 0.01 }, { params: ps.slice(3), weightDecay: 0 }], { lr: 5e-3, eps: 1e-8, fused });
    assert.equal(opt.fused, fused);
    for (let k = 0; k < 5; k++) {
      ps.forEach((p, i) => { if (!(k === 1 && i === 4)) p.grad = grads[k]![i]!.clone(); }); // parameter 4 skips step 2 (its own step count)
      opt.step();
      opt.zeroGrad();
      if (k === 2) opt.paramGroups[0]!.lr = 1e-3;
    }
    return { ps, opt };
  };
  const a = run(true), b = run(false);
  a.ps.forEach((p, i) => {
    sameBits(p, b.ps[i]!, `parameter ${i}`);
    const sa = a.opt.state.get(p)!, sb = b.opt.state.get(b.ps[i]!)!;
    assert.equal(sa.step, sb.step);
    sameBits(sa.exp_avg as Tensor, sb.exp_avg as Tensor, `exp_avg ${i}`);
    sameBits(sa.exp_avg_sq as Tensor, sb.exp_avg_sq as Tensor, `exp_avg_sq ${i}`);
  });
  assert.equal(a.opt.state.get(a.ps[4]!)!.step, 4);
});

test('fused AdamW falls back op by op for what it cannot fuse (non-contiguous, float64, amsgrad)', fusedOrSkip, () => {
  const mk = () => [tensor([[0.5, -1.0, 2.0], [2.0, 0.25, -3.0]]).t().requiresGrad_(true), tensor([1.5, -0.5], { dtype: 'float64' }).requiresGrad_(true)];
  const gs = [tensor([[0.1, 0.2, 0.3], [-0.3, 0.4, 0.5]]).t(), tensor([0.3, -0.2], { dtype: 'float64' })];
  for (const amsgrad of [false, true]) {
    const a = mk(), b = mk();
    const oa = new AdamW(a, { lr: 0.1, amsgrad, fused: true }), ob = new AdamW(b, { lr: 0.1, amsgrad, fused: false });
    for (let k = 0; k < 3; k++) {
      a.forEach((p, i) => { p.grad = gs[i]!.clone(); }); b.forEach((p, i) => { p.grad = gs[i]!.clone(); });
      oa.step(); ob.step();
    }
    assert.deepEqual(a[0]!.toArray(), b[0]!.toArray());
    assert.deepEqual(a[1]!.toArray(), b[1]!.toArray());
    assert.notDeepEqual(a[0]!.toArray(), [[0.5, 2.0], [-1.0, 0.25], [2.0, -3.0]]);
  }
});
