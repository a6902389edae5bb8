// The Trainer fine-tunes every vision family (ViT, DeiT, BEiT, Swin, ConvNeXt, ResNet) from a
// backbone checkpoint with a new head, CLIP on image-text pairs with its contrastive loss
// (return_loss), and respects freezeBackbone and frozen BatchNorm; BatchNorm's batch-of-one error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, setSeed } from '../../src/training/index';
import { tensor, stack, noGrad, tidy, type Tensor } from '../../src/torch/index';
import { AutoModelForImageClassification, CLIPModel, ResNetForImageClassification, type PreTrainedModel } from '../../src/models/index';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { tinyImageDataset } from '../support/tiny-models';
import { VISION_FAMILIES, saveTinyVisionRepo, saveTinyClipRepo } from '../support/tiny-vision';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const work = mkdtempSync(join(tmpdir(), 'hubtune-vistrain-'));
after(() => rmSync(work, { recursive: true, force: true }));
const quiet = { disableTqdm: true };
const collate = (rows: any[]) => ({ pixel_values: stack(rows.map((r) => tensor(r.pixel_values))), labels: tensor(rows.map((r) => r.label), { dtype: 'int64' }) });
const snapshot = (m: PreTrainedModel) => new Map([...m.stateDict()].map(([k, t]) => [k, t.clone()]));
const changed = (a: Map<string, Tensor>, m: PreTrainedModel) => [...m.stateDict()].filter(([k, t]) => !t.equal(a.get(k)!)).map(([k]) => k);

const bases: Record<string, string> = {};
before(async () => {
  for (const f of VISION_FAMILIES) bases[f] = await saveTinyVisionRepo(join(work, `${f}-base`), f, { seed: 1 });
});

async function evalLoss(model: PreTrainedModel, rows: any[]): Promise<number> {
  model.eval();
  return tidy(() => noGrad(() => (model.forward(collate(rows)) as { loss: Tensor }).loss.item()));
}

for (const f of VISION_FAMILIES) {
  test(`${f}: Trainer fine-tunes a new head on the backbone; the loss goes down, every weight trains, the checkpoint reloads`, async () => {
    setSeed(0);
    const model = await AutoModelForImageClassification.fromPretrained(bases[f]!, { numLabels: 3, quiet: true });
    const ds = tinyImageDataset(24, { seed: 3 });
    const rows = await ds.toList();
    const before = await evalLoss(model, rows);
    const start = snapshot(model);
    const out = join(work, `${f}-out`);
    const t = new Trainer({
      model, dataCollator: collate, trainDataset: ds,
      args: { outputDir: out, perDeviceTrainBatchSize: 8, maxSteps: 9, learningRate: 5e-3, loggingSteps: 3, removeUnusedColumns: false, saveStrategy: 'no', seed: 1, ...quiet },
    });
    const r = await t.train();
    assert.equal(r.globalStep, 9);
    assert.ok(Number.isFinite(r.trainingLoss));
    const afterLoss = await evalLoss(model, rows);
    assert.ok(afterLoss < before, `${f}: eval loss ${before} -> ${afterLoss}`);
    // gradients reached every trainable tensor (BatchNorm running statistics are buffers and change too)
    const moved = new Set(changed(start, model));
    const still = model.namedParameters().filter(([n, p]) => p.requiresGrad && !moved.has(n)).map(([n]) => n);
    assert.deepEqual(still, [], `${f}: parameters that did not train`);
    await t.saveModel();
    assert.ok(existsSync(join(out, 'model.safetensors')));
    const back = await AutoModelForImageClassification.fromPretrained(out, { quiet: true });
    assert.equal(back.constructor, model.constructor);
    const x = collate(rows.slice(0, 4)).pixel_values;
    model.eval(); back.eval();
    assert.ok(tidy(() => noGrad(() => (back.forward({ pixelValues: x }) as any).logits.equal((model.forward({ pixelValues: x }) as any).logits))), `${f}: reloaded logits`);
    back.dispose(); model.dispose();
  });
}

test('freezeBackbone: the Trainer updates the head only; frozen BatchNorm keeps its running statistics', async () => {
  setSeed(0);
  const ds = tinyImageDataset(16, { seed: 4 });
  const args = { perDeviceTrainBatchSize: 8, maxSteps: 3, learningRate: 1e-2, weightDecay: 0.1, removeUnusedColumns: false, saveStrategy: 'no' as const, ...quiet };
  const m = await AutoModelForImageClassification.fromPretrained(bases.convnext!, { numLabels: 3, quiet: true });
  m.freezeBackbone();
  const s0 = snapshot(m);
  await new Trainer({ model: m, dataCollator: collate, trainDataset: ds, args: { outputDir: join(work, 'frozen'), ...args } }).train();
  assert.deepEqual(changed(s0, m).sort(), ['classifier.bias', 'classifier.weight']);

  const r = await ResNetForImageClassification.fromPretrained(bases.resnet!, { numLabels: 3, quiet: true });
  r.freezeBatchNorm();
  const s1 = snapshot(r);
  await new Trainer({ model: r, dataCollator: collate, trainDataset: ds, args: { outputDir: join(work, 'bn'), ...args } }).train();
  const moved = changed(s1, r);
  assert.ok(moved.some((k) => k.endsWith('convolution.weight')), 'the convolutions train');
  assert.deepEqual(moved.filter((k) => k.includes('normalization')), [], 'BatchNorm weights, biases and statistics stay');
  // not frozen: the statistics follow the batches
  const r2 = await ResNetForImageClassification.fromPretrained(bases.resnet!, { numLabels: 3, quiet: true });
  const s2 = snapshot(r2);
  await new Trainer({ model: r2, dataCollator: collate, trainDataset: ds, args: { outputDir: join(work, 'bn2'), ...args } }).train();
  const moved2 = changed(s2, r2);
  for (const suffix of ['running_mean', 'running_var', 'num_batches_tracked']) assert.ok(moved2.some((k) => k.endsWith(suffix)), suffix);
});

test('BatchNorm with a batch of one in train mode: PyTorch\'s one-line error from the Trainer', async () => {
  setSeed(0);
  const r = await ResNetForImageClassification.fromPretrained(bases.resnet!, { numLabels: 3, quiet: true });
  // 8x8 inputs reach the last stage as 1x1 maps: one value per channel
  const small = (rows: any[]) => ({ pixel_values: stack(rows.map(() => tensor(Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => new Array(8).fill(0.1)))))), labels: tensor(rows.map((x) => x.label), { dtype: 'int64' }) });
  const t = new Trainer({ model: r, dataCollator: small, trainDataset: tinyImageDataset(3), args: { outputDir: join(work, 'bn1'), perDeviceTrainBatchSize: 1, maxSteps: 1, removeUnusedColumns: false, saveStrategy: 'no', ...quiet } });
  await assert.rejects(t.train(), (e: Error) => /^Expected more than 1 value per channel when training, got input size torch\.Size\(\[1, 16, 1, 1\]\)/.test(e.message) && !e.message.includes('\n'));
});

test('CLIP fine-tunes on image-text pairs with its contrastive loss (return_loss); towers, projections and logit_scale train', async () => {
  const dir = await saveTinyClipRepo(join(work, 'clip'));
  const tok = await AutoTokenizer.fromPretrained(dir);
  setSeed(0);
  const model = await CLIPModel.fromPretrained(dir, { quiet: true });
  const names = ['red', 'green', 'blue'];
  const ds = await tinyImageDataset(24, { seed: 6 }).map((r: any) => ({ caption: `a photo of the ${names[r.label]} leaf` }) as never);
  // run_clip.py's collate_fn: pixel_values, input_ids, attention_mask, return_loss=True
  const clipCollate = (rows: any[]) => {
    const enc = tok(rows.map((r) => r.caption), { padding: true, returnTensors: 'pt' }) as any;
    return { pixel_values: stack(rows.map((r) => tensor(r.pixel_values))), input_ids: enc.input_ids, attention_mask: enc.attention_mask, return_loss: true };
  };
  const evalRows = (await ds.toList()).slice(0, 6);
  const lossOf = () => { model.eval(); return tidy(() => noGrad(() => model.forward(clipCollate(evalRows)).loss!.item())); };
  const before = lossOf();
  const s0 = snapshot(model);
  const t = new Trainer({
    model, dataCollator: clipCollate, trainDataset: ds as any, evalDataset: ds as any,
    args: { outputDir: join(work, 'clip-out'), perDeviceTrainBatchSize: 6, perDeviceEvalBatchSize: 6, maxSteps: 12, learningRate: 5e-3, removeUnusedColumns: false, saveStrategy: 'no', ...quiet },
  });
  const out = await t.train();
  assert.ok(Number.isFinite(out.trainingLoss));
  assert.ok(lossOf() < before, `contrastive loss ${before} -> ${lossOf()}`);
  const moved = changed(s0, model);
  for (const k of ['logit_scale', 'visual_projection.weight', 'text_projection.weight', 'text_model.embeddings.token_embedding.weight', 'vision_model.embeddings.patch_embedding.weight']) assert.ok(moved.includes(k), k);
  const ev = await t.evaluate();
  assert.ok(Number.isFinite(ev.eval_loss), 'eval_loss from return_loss');
  // without return_loss the Trainer says what is missing
  const noLoss = new Trainer({ model, dataCollator: (rows: any[]) => { const b: any = clipCollate(rows); delete b.return_loss; return b; }, trainDataset: ds as any, args: { outputDir: join(work, 'clip-x'), maxSteps: 1, removeUnusedColumns: false, saveStrategy: 'no', ...quiet } });
  await assert.rejects(noLoss.train(), /did not return a loss/);
});
