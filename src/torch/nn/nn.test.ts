import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, ModuleList, Linear, Embedding, LayerNorm, Conv2d, Dropout, Sequential, ReLU, init } from './index';
import { tensor, ones, randn, manualSeed, Generator, zeros, empty, saveSafetensors, loadSafetensors, type Tensor } from '../index';

class Block extends Module {
  dense = this.registerModule('dense', new Linear(4, 4));
  LayerNorm = this.registerModule('LayerNorm', new LayerNorm(4, 1e-12));
  forward(x: Tensor): Tensor { return this.LayerNorm.forward(this.dense.forward(x)); }
}
class Net extends Module {
  embeddings = this.registerModule('embeddings', new Embedding(10, 4, 0));
  layer = this.registerModule('layer', new ModuleList([new Block(), new Block()]));
  classifier = this.registerModule('classifier', new Linear(4, 2));
  constructor() {
    super();
    this.registerBuffer('position_ids', tensor([[0, 1, 2]], { dtype: 'int64' }), false);
  }
}

test('parameter names follow PyTorch (dotted paths, ModuleList indices)', () => {
  const net = new Net();
  const names = net.namedParameters().map(([n]) => n);
  assert.deepEqual(names, [
    'embeddings.weight', 'layer.0.dense.weight', 'layer.0.dense.bias', 'layer.0.LayerNorm.weight', 'layer.0.LayerNorm.bias',
    'layer.1.dense.weight', 'layer.1.dense.bias', 'layer.1.LayerNorm.weight', 'layer.1.LayerNorm.bias', 'classifier.weight', 'classifier.bias',
  ]);
  assert.equal(net.numParameters(), 40 + 2 * (16 + 4 + 4 + 4) + 8 + 2);
  assert.ok(!net.stateDict().has('position_ids'), 'non-persistent buffers are not saved');
  assert.deepEqual(net.embeddings.weight.at(0).toArray(), [0, 0, 0, 0], 'padding row zeroed');
});

test('loadStateDict: copies by name, reports missing/unexpected, strict mode, shape errors', () => {
  const a = new Net(), b = new Net();
  const sd = a.stateDict();
  const r = b.loadStateDict(sd, { strict: true });
  assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  assert.ok(b.classifier.weight.equal(a.classifier.weight));
  const partial = new Map(sd);
  partial.delete('classifier.bias');
  partial.set('pooler.dense.weight', zeros([2]));
  const r2 = b.loadStateDict(partial);
  assert.deepEqual(r2.missingKeys, ['classifier.bias']);
  assert.deepEqual(r2.unexpectedKeys, ['pooler.dense.weight']);
  assert.throws(() => b.loadStateDict(partial, { strict: true }), /missing keys \[classifier.bias\]/);
  const bad = new Map(sd);
  bad.set('classifier.weight', zeros([3, 4]));
  assert.throws(() => b.loadStateDict(bad), /size mismatch for classifier.weight: the checkpoint has shape \[3, 4\], the model expects \[2, 4\]/);
  assert.deepEqual(b.loadStateDict(bad, { ignoreMismatchedSizes: true }).mismatchedKeys, [{ key: 'classifier.weight', expected: [2, 4], got: [3, 4] }]);
});

test('train/eval switches dropout; to(dtype) converts in place; requiresGrad_ freezes', () => {
  const seq = new Sequential(new Linear(8, 8), new ReLU(), new Dropout(0.5));
  const x = ones([4, 8]);
  seq.eval();
  assert.ok(seq.forward(x).equal(seq.forward(x)), 'deterministic in eval');
  seq.train();
  assert.ok(!seq.forward(x).equal(seq.forward(x)), 'dropout active in train');
  const lin = new Linear(2, 2);
  const w = lin.weight;
  lin.to('float64');
  assert.equal(w.dtype, 'float64', 'the same Tensor object now holds float64');
  assert.equal(lin.forward(ones([1, 2], { dtype: 'float64' })).dtype, 'float64');
  lin.requiresGrad_(false);
  assert.equal(lin.numParameters({ onlyTrainable: true }), 0);
  let count = 0;
  seq.apply(() => count++);
  assert.equal(count, 4);
});

test('init functions are seeded and follow torch formulas', () => {
  const g1 = new Generator(7), g2 = new Generator(7);
  const a = init.truncNormal_(empty([1000]), 0, 0.02, -2, 2, g1);
  const b = init.truncNormal_(empty([1000]), 0, 0.02, -2, 2, g2);
  assert.ok(a.equal(b));
  assert.ok(Math.abs(a.std().item() - 0.02) < 0.003);
  const t = init.truncNormal_(empty([5000]), 0, 1, -0.5, 0.5, g1);
  assert.ok(t.abs().max().item() <= 0.5);
  const x = init.xavierUniform_(empty([100, 200]), 1, g1);
  assert.ok(x.abs().max().item() <= Math.sqrt(6 / 300));
  const k = init.kaimingNormal_(empty([256, 512]), { nonlinearity: 'relu', generator: g1 });
  assert.ok(Math.abs(k.std().item() - Math.sqrt(2 / 512)) < 0.005);
  manualSeed(3);
  const c1 = new Conv2d(3, 4, 2).weight.clone();
  manualSeed(3);
  assert.ok(new Conv2d(3, 4, 2).weight.equal(c1), 'layer init follows the global seed');
});

test('safetensors round trip through the engine keeps tensors, dtypes and metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-st-'));
  const path = join(dir, 'm.safetensors');
  const ts = { a: randn([3, 2]), b: tensor([1, 2, 3], { dtype: 'int64' }), c: tensor([1.5], { dtype: 'bfloat16' }), d: tensor([true, false]) };
  saveSafetensors(path, ts, { format: 'pt' });
  const headerLen = Number(readFileSync(path).readBigUInt64LE(0));
  assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
  const back = loadSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt' });
  for (const [k, t] of Object.entries(ts)) {
    const u = back.tensors.get(k)!;
    assert.equal(u.dtype, t.dtype);
    assert.ok(u.equal(t), k);
  }
});
