// A training loop must never grow RSS without bound (engine-notes.md: without explicit disposal and
// the malloc-based allocator, RSS reached several GB). 2,000 steps each, synchronous, no GC help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, randn, randint, manualSeed, memoryStats, nn, optim, F, type Tensor } from './index';

class Block extends nn.Module {
  qkv = this.registerModule('qkv', new nn.Linear(32, 96));
  out = this.registerModule('out', new nn.Linear(32, 32));
  ln1 = this.registerModule('ln1', new nn.LayerNorm(32));
  ff1 = this.registerModule('ff1', new nn.Linear(32, 64));
  ff2 = this.registerModule('ff2', new nn.Linear(64, 32));
  ln2 = this.registerModule('ln2', new nn.LayerNorm(32));
  forward(x: Tensor): Tensor {
    const [b, l] = x.shape as [number, number, number];
    const [q, k, v] = this.qkv.forward(x).view(b, l, 3, 4, 8).permute(2, 0, 3, 1, 4).chunk(3, 0).map((t) => t.squeeze(0));
    const att = F.scaledDotProductAttention(q!, k!, v!).output.transpose(1, 2).reshape(b, l, 32);
    const h = this.ln1.forward(x.add(this.out.forward(att)));
    return this.ln2.forward(h.add(this.ff2.forward(this.ff1.forward(h).gelu())));
  }
}
class TinyTransformer extends nn.Module {
  emb = this.registerModule('emb', new nn.Embedding(50, 32));
  layers = this.registerModule('layers', new nn.ModuleList([new Block(), new Block()]));
  head = this.registerModule('head', new nn.Linear(32, 3));
  forward(ids: Tensor): Tensor {
    let h = this.emb.forward(ids);
    for (const l of this.layers) h = l.forward(h);
    return this.head.forward(h.mean(1));
  }
}

function run(model: nn.Module & { forward(x: Tensor): Tensor }, makeBatch: () => [Tensor, Tensor]): { rss100: number; rss2000: number; liveDelta: number } {
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
  let rss100 = 0;
  const live0 = memoryStats().liveTensors;
  for (let step = 1; step <= 2000; step++) {
    tidy(() => {
      const [x, y] = makeBatch();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      optim.clipGradNorm(model.parameters(), 1.0);
      opt.step();
      opt.zeroGrad();
    });
    if (step === 100) rss100 = process.memoryUsage.rss();
  }
  return { rss100, rss2000: process.memoryUsage.rss(), liveDelta: memoryStats().liveTensors - live0 };
}

test('2,000 steps of a small MLP keep RSS within 1.5x of step 100', () => {
  manualSeed(0);
  const mlp = new nn.Sequential(new nn.Linear(64, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const r = run(mlp, () => [randn([32, 64]), randint(0, 10, [32])]);
  assert.ok(r.rss2000 <= 1.5 * r.rss100, `RSS grew from ${r.rss100} to ${r.rss2000}`);
  // Only the optimizer state (2 tensors per parameter) outlives the steps.
  assert.equal(r.liveDelta, 2 * mlp.parameters().length);
});

test('2,000 steps of a 2-layer transformer keep RSS within 1.5x of step 100', () => {
  manualSeed(0);
  const model = new TinyTransformer();
  const r = run(model, () => [randint(0, 50, [8, 16]), randint(0, 3, [8])]);
  assert.ok(r.rss2000 <= 1.5 * r.rss100, `RSS grew from ${r.rss100} to ${r.rss2000}`);
  assert.equal(r.liveDelta, 2 * model.parameters().length);
});
