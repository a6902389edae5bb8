// Gradient checkpointing (model.gradientCheckpointingEnable()) for every family hubtune has a
// fixture model of: in train mode with dropout, the loss and every gradient equal those without
// checkpointing (to 1e-6; in practice bit for bit, dropout masks replayed), and the layer outputs
// really come from checkpointed segments. New families are covered as soon as their fixture's
// class is registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, tidy, manualSeed, disposeAll, autocast, memoryStats, resetPeakMemory, randn, randint } from '../torch/index';
import { hasShared, sharedPath, needsShared } from '../../test/support/shared';
import { MODEL_CLASSES, AutoConfig, AutoModelForSequenceClassification, AutoModelForImageClassification, PreTrainedModel, type ModelOutput } from './index';
import { relDiff, loadFixture, inputsOf } from './parity-support';

/** Models whose layer stacks are deliberately not checkpointed (gradients must still be right). */
const NOT_CHECKPOINTED: Record<string, string> = {
  ResNetForImageClassification: "BatchNorm's running statistics would be updated again by the recomputation; transformers' ResNet encoder never checkpoints either",
};

/** Whether any tensor in a (nested) model output came out of a checkpointed segment. */
function fromCheckpoint(v: unknown, depth = 0): boolean {
  if (v instanceof Tensor) return v.gradFn === 'CheckpointBackward';
  if (depth > 3 || !v || typeof v !== 'object') return false;
  return Object.values(v as Record<string, unknown>).some((x) => fromCheckpoint(x, depth + 1));
}

interface Case { dir: string; name: string; modelClass: string }
const cases: Case[] = [];
if (hasShared) {
  for (const set of ['hf-reference', 'hf-reference-2']) {
    const root = sharedPath('fixtures', set, 'models');
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const exp = join(root, name, 'expected.json');
      if (!existsSync(exp)) continue;
      cases.push({ dir: join(root, name), name: `${set}/${name}`, modelClass: JSON.parse(readFileSync(exp, 'utf8')).model_class });
    }
  }
}

/** Loss (or the sum of the main output) and every parameter gradient of one training-mode step. */
function step(m: PreTrainedModel, inputs: Record<string, unknown>, seed: number): { loss: number; grads: Map<string, Tensor>; checkpointed: boolean } {
  m.zeroGrad();
  manualSeed(seed);
  const r = tidy(() => {
    const out = m.forward({ ...inputs, outputHiddenStates: true }) as ModelOutput & { lastHiddenState?: Tensor; hiddenStates?: Tensor[] };
    const checkpointed = fromCheckpoint(out);
    const main = out.loss ?? (out.logits ?? out.lastHiddenState)!.float().sum();
    main.backward();
    return { loss: main.item(), checkpointed };
  });
  const grads = new Map<string, Tensor>();
  for (const [n, p] of m.namedParameters()) if (p.grad) grads.set(n, p.grad);
  return { ...r, grads };
}

for (const c of cases) {
  test(`gradient checkpointing: ${c.name} (${c.modelClass}) gives the same loss and gradients`, needsShared, async (t) => {
    const C = MODEL_CLASSES[c.modelClass];
    if (!C) { t.skip(`hubtune has no ${c.modelClass} yet`); return; }
    const f = loadFixture(c.dir, c.name);
    const m = await (C as any).fromPretrained(c.dir, { quiet: true }) as PreTrainedModel;
    const inputs: Record<string, unknown> = inputsOf(f);
    if (m.forwardArgNames.includes('return_loss')) inputs.returnLoss = true;
    m.train();
    const plain = step(m, inputs, 7);
    assert.ok(plain.grads.size > 0, 'no gradients at all');
    m.gradientCheckpointingEnable();
    assert.equal(m.isGradientCheckpointing, true);
    const ck = step(m, inputs, 7);
    if (NOT_CHECKPOINTED[c.modelClass]) t.diagnostic(`not checkpointed: ${NOT_CHECKPOINTED[c.modelClass]}`);
    else assert.ok(ck.checkpointed, `${c.modelClass}: no layer output came from a checkpointed segment: pass the layer modules to runLayers (blocks/layers.ts)`);
    assert.equal(ck.loss, plain.loss, 'same loss (same dropout masks)');
    assert.deepEqual([...ck.grads.keys()], [...plain.grads.keys()]);
    let worst = 0;
    for (const [n, g] of plain.grads) worst = Math.max(worst, relDiff(ck.grads.get(n)!, g));
    t.diagnostic(`largest gradient difference ${worst}`);
    assert.ok(worst <= 1e-6, `gradients differ by ${worst}`);
    m.gradientCheckpointingDisable();
    assert.equal(m.isGradientCheckpointing, false);
    disposeAll([...plain.grads.values(), ...ck.grads.values()]);
    m.dispose();
  });
}

const TINY_BERT = {
  model_type: 'bert', vocab_size: 100, hidden_size: 64, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 128,
  max_position_embeddings: 64, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, num_labels: 3,
};

test('gradient checkpointing: frozen embeddings still train the layers; bf16 autocast; eval and noGrad run plainly', () => {
  manualSeed(0);
  const m = AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict(TINY_BERT));
  const batch = { inputIds: randint(0, 100, [2, 16]), attentionMask: tidy(() => randint(0, 2, [2, 16]).maximum(randint(0, 1, [2, 16]).add(1)).clamp(0, 1)), labels: randint(0, 3, [2]) };
  m.train();
  (m as any).bert.embeddings.requiresGrad_(false);
  const run = () => {
    m.zeroGrad();
    manualSeed(1);
    const loss = autocast('cpu', { dtype: 'bfloat16' }, () => (m.forward(batch) as ModelOutput).loss!);
    loss.backward();
    const g = new Map(m.namedParameters().filter(([, p]) => p.grad).map(([n, p]) => [n, p.grad!]));
    return { loss: loss.item(), g };
  };
  const a = run();
  m.gradientCheckpointingEnable({ gradientCheckpointingKwargs: { use_reentrant: true } });
  const b = run();
  assert.equal(b.loss, a.loss);
  assert.ok(b.g.has('bert.encoder.layer.0.attention.self.query.weight'), 'layer 0 trains behind frozen embeddings');
  assert.ok(!b.g.has('bert.embeddings.word_embeddings.weight'));
  for (const [n, g] of a.g) assert.ok(relDiff(b.g.get(n)!, g) <= 1e-6, `${n} differs under bf16 autocast`);
  for (const [n, g] of b.g) assert.equal(g.dtype, 'float32', `${n}: fp32 master gradients`);
  m.eval();
  const out = m.forward({ inputIds: batch.inputIds, outputHiddenStates: true }) as ModelOutput;
  assert.ok(out.hiddenStates!.every((h) => h.gradFn !== 'CheckpointBackward'), 'eval mode is not checkpointed');
  assert.throws(() => m.gradientCheckpointingEnable({ gradientCheckpointingKwargs: { use_reentrnt: false } }), /unexpected key 'use_reentrnt'/);
  m.dispose();
});

test('gradient checkpointing keeps fewer activations alive until backward', () => {
  manualSeed(0);
  const m = AutoModelForImageClassification.fromConfig(AutoConfig.fromDict({
    model_type: 'vit', hidden_size: 64, num_hidden_layers: 6, num_attention_heads: 4, intermediate_size: 256, image_size: 64, patch_size: 8, num_labels: 2,
  }));
  m.train();
  const batch = { pixelValues: randn([8, 3, 64, 64]), labels: randint(0, 2, [8]) };
  const peak = () => {
    resetPeakMemory();
    const base = memoryStats().allocatedBytes;
    tidy(() => (m.forward(batch) as ModelOutput).loss!.backward());
    m.zeroGrad();
    return memoryStats().peakAllocatedBytes - base;
  };
  const without = peak();
  m.gradientCheckpointingEnable();
  const withCk = peak();
  assert.ok(withCk < 0.6 * without, `peak ${withCk} bytes with checkpointing vs ${without} without`);
  m.dispose();
});
