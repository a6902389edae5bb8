// GradScaler: torch.cuda.amp.GradScaler's behaviour, run on CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, GradScaler, optim, zeros } from '../index';

function setup(initScale = 1024) {
  const p = tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_(true);
  const opt = new optim.SGD([p], { lr: 0.1 });
  return { p, opt, scaler: new GradScaler({ initScale, growthInterval: 2 }) };
}

test('GradScaler: scale, unscale_ before clipping, step, growth after growthInterval clean steps', () => {
  const { p, opt, scaler } = setup();
  const loss = p.mul(p).sum();
  const scaled = scaler.scale(loss);
  assert.equal(scaled.item(), 14 * 1024);
  scaled.backward();
  assert.deepEqual(p.grad!.toArray(), [2048, 4096, 6144]);
  scaler.unscale_(opt);
  assert.deepEqual(p.grad!.toArray(), [2, 4, 6], 'true gradients, ready for clipGradNorm');
  assert.throws(() => scaler.unscale_(opt), /unscale_\(\) has already been called/);
  assert.equal(scaler.step(opt), true);
  assert.throws(() => scaler.step(opt), /step\(\) has already been called/);
  assert.throws(() => scaler.unscale_(opt), /after step\(\)/);
  scaler.update();
  assert.deepEqual((p.toArray() as number[]).map((x) => Math.round(x * 1e5) / 1e5), [0.8, 1.6, 2.4]);
  assert.equal(scaler.getScale(), 1024, 'one clean step: not yet grown');
  opt.zeroGrad();
  scaler.scale(p.sum()).backward();
  scaler.step(opt); // unscales itself when unscale_ was not called
  scaler.update();
  assert.equal(scaler.getScale(), 2048, 'grown after growthInterval (2) clean steps');
  assert.equal(scaler.getGrowthTracker(), 0);
});

test('GradScaler: an inf/NaN gradient skips the step and backs the scale off', () => {
  const { p, opt, scaler } = setup();
  const before = p.toArray();
  p.grad = tensor([1, Infinity, 0]);
  assert.equal(scaler.step(opt), false, 'skipped');
  assert.deepEqual(p.toArray(), before, 'parameters untouched');
  assert.equal(scaler.foundInf(opt), true);
  scaler.update();
  assert.equal(scaler.getScale(), 512);
  p.grad = tensor([NaN, 0, 0]);
  scaler.step(opt);
  scaler.update();
  assert.equal(scaler.getScale(), 256);
  assert.throws(() => scaler.update(), /No inf checks were recorded prior to update/);
  scaler.update(4096);
  assert.equal(scaler.getScale(), 4096);
});

test('GradScaler: growth stops short of float32 overflow; state dict round trip; disabled is a pass-through', () => {
  const s = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
  const p = zeros([1]).requiresGrad_(true);
  const opt = new optim.SGD([p], { lr: 1 });
  p.grad = tensor([1], { dtype: 'float32' });
  s.step(opt);
  s.update();
  assert.equal(s.getScale(), 2 ** 127, '2^128 is not a float32: the scale stays');
  const sd = s.stateDict();
  assert.deepEqual(sd, { scale: 2 ** 127, growth_factor: 2, backoff_factor: 0.5, growth_interval: 1, _growth_tracker: 0 });
  const t = new GradScaler();
  t.loadStateDict(sd);
  assert.deepEqual(t.stateDict(), sd);
  assert.throws(() => t.loadStateDict({}), /source state dict is empty/);
  const off = new GradScaler({ enabled: false });
  const loss = tensor(3);
  assert.equal(off.scale(loss), loss);
  assert.equal(off.getScale(), 1);
  assert.deepEqual(off.stateDict(), {});
  assert.equal(off.step(opt), true);
  assert.throws(() => new GradScaler({ backoffFactor: 2 }), /backoffFactor must be between 0 and 1/);
});
