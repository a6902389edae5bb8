// Optimizers and schedules against torch 1.13 + transformers get_scheduler (../shared/fixtures/hf-reference/optim).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsShared, sharedPath } from '../../../test/support/shared';
import { loadSafetensors } from '../serialization';
import { AdamW, SGD, clipGradNorm, type Optimizer } from './index';
import { LRScheduler } from '../lr-scheduler';
import { Tensor, tensor, zeros } from '../tensor';

function maxRelDiff(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray() as Float32Array, y = b.toTypedArray() as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(y[i]!), 1e-6));
  return m;
}

test('optimizers reproduce every torch 1.13 case (parameters within 1e-6 relative, lr per step)', needsShared, () => {
  const dir = sharedPath('fixtures/hf-reference/optim');
  const cases = JSON.parse(readFileSync(`${dir}/cases.json`, 'utf8'));
  const { tensors } = loadSafetensors(`${dir}/tensors.safetensors`);
  const names = Object.keys(cases.params);
  for (const c of cases.cases) {
    const params = new Map(names.map((n) => [n, tensors.get(`init.${n}`)!.clone().requiresGrad_(true)]));
    const decay = names.filter((n) => !(c.no_decay ?? []).includes(n));
    const noDecay = names.filter((n) => (c.no_decay ?? []).includes(n));
    let opt: Optimizer;
    if (c.optimizer === 'AdamW') {
      const groups = [{ params: decay.map((n) => params.get(n)!), weightDecay: c.weight_decay }];
      if (noDecay.length) groups.push({ params: noDecay.map((n) => params.get(n)!), weightDecay: 0 });
      opt = new AdamW(groups, { lr: c.lr, betas: c.betas, eps: c.eps });
    } else {
      opt = new SGD(names.map((n) => params.get(n)!), { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weight_decay });
    }
    const sched = LRScheduler.fromSchedule({
      name: c.schedule, numWarmupSteps: c.warmup_steps, numTrainingSteps: cases.steps, baseLr: c.lr,
      baseLrs: opt.paramGroups.map((g) => g.lr), setLr: (i, lr) => { opt.paramGroups[i]!.lr = lr; },
    });
    for (let k = 1; k <= cases.steps; k++) {
      for (const n of names) params.get(n)!.grad = tensors.get(`grad${k}.${n}`)!.clone();
      if (c.clip !== null) {
        const norm = clipGradNorm([...params.values()], c.clip);
        assert.ok(Math.abs(norm - c.grad_norm_before_clip[k - 1]) <= 1e-5 * c.grad_norm_before_clip[k - 1], `${c.name} step ${k}: grad norm ${norm}`);
      }
      assert.deepEqual(opt.paramGroups.map((g) => g.lr), c.lr_used_per_step[k - 1], `${c.name} step ${k}: lr`);
      opt.step();
      sched.step();
      for (const n of names) {
        const want = tensors.get(`${c.name}.step${k}.${n}`)!;
        const d = maxRelDiff(params.get(n)!, want);
        assert.ok(d <= 1e-6, `${c.name} step ${k} ${n}: max relative difference ${d}`);
      }
    }
  }
});

test('optimizer state dict round trip resumes to identical parameters', () => {
  const mk = () => tensor([[0.5, -1.0], [2.0, 0.25]]).requiresGrad_(true);
  const g = tensor([[0.1, 0.2], [-0.3, 0.4]]);
  const a = mk();
  const optA = new AdamW([a], { lr: 0.1, weightDecay: 0.01 });
  for (let i = 0; i < 2; i++) { a.grad = g.clone(); optA.step(); }
  const b = a.detach().clone().requiresGrad_(true);
  const optB = new AdamW([b], { lr: 0.1, weightDecay: 0.01 });
  optB.loadStateDict(optA.stateDict());
  for (let i = 0; i < 3; i++) { a.grad = g.clone(); optA.step(); b.grad = g.clone(); optB.step(); }
  assert.ok(a.equal(b));
  assert.equal(optB.stateDict().state[0]!.step, 5);
});

test('optimizer input errors are clear', () => {
  assert.throws(() => new AdamW([], { lr: 1 }), /empty parameter list/);
  const p = zeros([2]).requiresGrad_(true);
  assert.throws(() => new AdamW([{ params: [p] }, { params: [p] }]), /more than one parameter group/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /nesterov/);
  assert.throws(() => new AdamW([p], { betas: [1.5, 0.9] }), /invalid betas/);
});

test('clipGradNorm follows torch semantics: total norm returned, scale min(1, max/(total+1e-6))', () => {
  const p1 = zeros([2]).requiresGrad_(true), p2 = zeros([1]).requiresGrad_(true);
  p1.grad = tensor([3, 0], { dtype: 'float32' }); p2.grad = tensor([4], { dtype: 'float32' });
  const total = clipGradNorm([p1, p2], 1);
  assert.ok(Math.abs(total - 5) < 1e-6);
  const g1 = p1.grad!.toArray() as number[];
  assert.ok(Math.abs(g1[0]! - 3 / (5 + 1e-6)) < 1e-6);
  p1.grad = tensor([0.3, 0]); p2.grad = tensor([0.4]);
  clipGradNorm([p1, p2], 1);
  assert.ok(Math.abs((p1.grad!.toArray() as number[])[0]! - 0.3) < 1e-7, 'no scaling below max norm');
});
