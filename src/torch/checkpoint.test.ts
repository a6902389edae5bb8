// torch.utils.checkpoint semantics: same outputs and gradients as without, dropout replayed,
// autocast replayed, errors from the recomputation and in-place changes surface as JS errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, checkpoint, autocast, manualSeed, noGrad, F, Tensor, tidy } from './index';

const layer = (w: Tensor, b: Tensor) => (h: Tensor | null) => [F.dropout(F.linear(h!, w, b).tanh(), 0.3, true).mul(2)];

test('checkpoint: same outputs and gradients as without, dropout masks replayed from the saved RNG state', () => {
  const w = randn([8, 8]).requiresGrad_(true);
  const b = randn([8]).requiresGrad_(true);
  const x = randn([5, 8]).requiresGrad_(true);
  const f = layer(w, b);
  manualSeed(3);
  const plain = f(x)[0]!;
  tidy(() => plain.mul(plain).sum().backward());
  const [gx, gw, gb] = [x.grad!, w.grad!, b.grad!];
  for (const p of [x, w, b]) p.grad = null;
  manualSeed(3);
  const ck = checkpoint(f, [x])[0]!;
  assert.equal(ck.gradFn, 'CheckpointBackward');
  assert.ok(ck.equal(plain), 'same forward values');
  manualSeed(99); // the recomputation must not depend on the generator's state at backward time
  tidy(() => ck.mul(ck).sum().backward());
  assert.ok(x.grad!.equal(gx) && w.grad!.equal(gw) && b.grad!.equal(gb), 'bitwise-equal gradients');
  // the forward pass consumed the generator exactly as the plain one did, and backward left it alone
  manualSeed(3); f(x); const after = randn([3]);
  manualSeed(3); checkpoint(f, [x]); const after2 = randn([3]);
  assert.ok(after.equal(after2));
});

test('checkpoint: no graph under noGrad; a segment whose inputs need no grad runs plainly unless requiresGrad', () => {
  const w = randn([4, 4]).requiresGrad_(true);
  const b = randn([4]);
  const x = randn([2, 4]);
  const g = noGrad(() => checkpoint(layer(w, b), [x.requiresGrad_(true)])[0]!);
  assert.equal(g.requiresGrad, false);
  x.requiresGrad_(false);
  const plain = checkpoint(layer(w, b), [x])[0]!;
  assert.notEqual(plain.gradFn, 'CheckpointBackward', 'not checkpointed (and, unlike torch, no gradient silently lost)');
  const forced = checkpoint(layer(w, b), [x], { requiresGrad: true })[0]!;
  assert.equal(forced.gradFn, 'CheckpointBackward');
  forced.sum().backward();
  assert.ok(w.grad, 'parameters of the segment get gradients');
  assert.equal(x.grad, null);
});

test('checkpoint: replays the autocast state; an error in the recomputation or an in-place change is a JS error', () => {
  const w = randn([6, 6]).requiresGrad_(true);
  const x = randn([3, 6]).requiresGrad_(true);
  const y = autocast('cpu', { dtype: 'bfloat16' }, () => checkpoint((h) => [F.linear(h!, w)], [x])[0]!);
  assert.equal(y.dtype, 'bfloat16');
  const ref = autocast('cpu', { dtype: 'bfloat16' }, () => F.linear(x, w));
  y.float().sum().backward();
  const gck = w.grad!;
  w.grad = null;
  ref.float().sum().backward();
  assert.ok(w.grad!.equal(gck), 'the recomputation ran under bf16 autocast again');
  assert.equal(gck.dtype, 'float32');

  let calls = 0;
  const boom = checkpoint((h) => { if (calls++ > 0) throw new Error('boom in recomputation'); return [h!.mul(2)]; }, [x])[0]!;
  assert.throws(() => boom.sum().backward(), /boom in recomputation/);

  const x2 = randn([3, 6]).requiresGrad_(true);
  const base = x2.mul(1);
  const z = checkpoint((h) => [h!.exp()], [base])[0]!;
  noGrad(() => base.add_(1));
  assert.throws(() => z.sum().backward(), /modified in place/);

  assert.throws(() => checkpoint((() => 3) as never, [x]), /must return an array/);
});

test('checkpoint: retainGraph allows a second backward; without it the saved inputs are freed', () => {
  const x = randn([4]).requiresGrad_(true);
  const y = checkpoint((h) => [h!.sin()], [x])[0]!;
  const s = y.sum();
  s.backward(null, { retainGraph: true });
  const g1 = x.grad!.clone();
  s.backward();
  assert.ok(x.grad!.equal(g1.mul(2)));
  assert.throws(() => s.backward(), /freed|second time|retain/i);
});
