import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileOps, formatOps } from './profiler';
import { randn, tidy } from './index';

test('profileOps counts each ATen op and autograd node with self time inside total, by input dtype and shape on request', () => {
  const a = randn([16, 32]).requiresGrad_(true), b = randn([32, 8]);
  const { result, ops } = profileOps(() => tidy(() => { const y = a.matmul(b).relu().sum(); y.backward(); return y.item(); }));
  assert.equal(typeof result, 'number');
  const by = new Map(ops.map((o) => [o.name, o]));
  assert.equal(by.get('aten::mm')?.count, 2, formatOps(ops)); // forward and the gradient of a
  assert.equal(by.get('aten::relu')?.count, 1);
  assert.ok(by.has('MmBackward0') && by.has('ReluBackward0'), formatOps(ops));
  for (const o of ops) assert.ok(o.selfMs <= o.totalMs + 1e-9 && o.count >= 1, o.name);
  assert.ok((by.get('aten::matmul')!.totalMs) >= by.get('aten::matmul')!.selfMs);
  const shaped = profileOps(() => a.matmul(b).dispose(), { recordShapes: true }).ops;
  assert.ok(shaped.some((o) => o.name === 'aten::mm float[16, 32]; float[32, 8]'), formatOps(shaped));
  a.dispose(); b.dispose();
  assert.match(formatOps(ops, 3), /^name +calls +self ms +total ms\n/);
});

test('profileOps ends the profile when fn throws, so the next one starts', () => {
  assert.throws(() => profileOps(() => { throw new Error('boom'); }), /boom/);
  assert.equal(profileOps(() => 1).result, 1);
});
