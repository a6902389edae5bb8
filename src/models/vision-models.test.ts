// The vision families' behaviour beyond the fixtures: Auto classes, save/load both ways (state-dict
// keys as transformers names them), heads, towers, BatchNorm modes, and transformers' errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, randn, tensor, tidy, loadSafetensors, disposeAll, type Tensor } from '../torch/index';
import { sharedPath, hasShared } from '../../test/support/shared';
import {
  AutoConfig, AutoModel, AutoModelForImageClassification, AutoModelForZeroShotImageClassification, MODEL_CLASSES,
  DeiTForImageClassification, DeiTForImageClassificationWithTeacher, ResNetForImageClassification, ResNetModel, SwinModel, SwinForImageClassification,
  ConvNextForImageClassification, BeitForImageClassification, CLIPModel, CLIPTextModel, CLIPVisionModel, CLIPVisionModelWithProjection,
  CLIPTextModelWithProjection, CLIPConfig, CLIPTextConfig, decayParameterGroups, modalityOf, type PreTrainedModel, type ModelOutput,
} from './index';

const tmp = () => mkdtempSync(join(tmpdir(), 'hubtune-vision-'));
const px = (b: number, size: number) => randn([b, 3, size, size]);

export const TINY_VISION_CONFIGS: Record<string, Record<string, unknown>> = {
  deit: { model_type: 'deit', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, image_size: 32, patch_size: 8 },
  beit: { model_type: 'beit', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 24, image_size: 32, patch_size: 8, use_relative_position_bias: true },
  swin: { model_type: 'swin', embed_dim: 8, depths: [2, 2], num_heads: [2, 2], window_size: 4, image_size: 32, patch_size: 4 },
  convnext: { model_type: 'convnext', hidden_sizes: [8, 16], depths: [1, 1], num_stages: 2, image_size: 32 },
  resnet: { model_type: 'resnet', embedding_size: 8, hidden_sizes: [8, 16], depths: [1, 1], layer_type: 'basic' },
};

test('the vision families are registered with their Auto classes and modality', () => {
  for (const t of ['deit', 'beit', 'swin', 'convnext', 'resnet']) {
    assert.equal(modalityOf(t), 'vision');
    assert.ok(AutoModelForImageClassification.supportedModelTypes.includes(t), t);
    assert.ok(AutoModel.supportedModelTypes.includes(t), t);
  }
  assert.equal(modalityOf('clip'), 'multimodal');
  assert.equal(modalityOf('clip_text_model'), 'text');
  assert.equal(modalityOf('clip_vision_model'), 'vision');
  assert.deepEqual(AutoModelForZeroShotImageClassification.supportedModelTypes, ['clip']);
  for (const n of ['DeiTForImageClassificationWithTeacher', 'CLIPVisionModelWithProjection', 'CLIPTextModelWithProjection', 'CLIPTextModel', 'CLIPVisionModel']) assert.ok(MODEL_CLASSES[n], n);
});

for (const [type, cfg] of Object.entries(TINY_VISION_CONFIGS)) {
  test(`${type}: classifier from config, save, load back identical; loss, hidden states; backbone-only checkpoint into the head`, async () => {
    manualSeed(3);
    const m = AutoModelForImageClassification.fromConfig({ ...cfg, num_labels: 3 }).eval();
    const dir = tmp();
    m.savePretrained(dir);
    const back = await AutoModelForImageClassification.fromPretrained(dir, { quiet: true, outputLoadingInfo: true });
    assert.deepEqual(back.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
    assert.equal(back.model.constructor, m.constructor);
    const x = px(2, 32);
    const a = m.forward({ pixelValues: x, labels: tensor([0, 2], { dtype: 'int64' }), outputHiddenStates: true }) as ModelOutput;
    const b = back.model.forward({ pixel_values: x, labels: tensor([0, 2], { dtype: 'int64' }), output_hidden_states: true }) as ModelOutput;
    assert.deepEqual(a.logits.shape, [2, 3]);
    assert.ok(a.logits.equal(b.logits), 'reloaded model gives the same logits');
    assert.ok(a.loss && Number.isFinite(a.loss.item()) && a.loss.item() === b.loss!.item());
    assert.ok(a.hiddenStates && a.hiddenStates.length >= 2);
    // every saved key is one transformers' state_dict has (no hubtune-only names)
    const saved = [...loadSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    assert.ok(saved.every((k) => /^[a-z_0-9.]+$/.test(k)), saved.join());
    // a backbone checkpoint into the head class: only the classifier is new
    const base = tmp();
    (m as any)[(m.constructor as typeof PreTrainedModel).baseModelPrefix].savePretrained(base);
    const head = await AutoModelForImageClassification.fromPretrained(base, { quiet: true, numLabels: 3, outputLoadingInfo: true });
    assert.ok(head.loadingInfo.missingKeys.length > 0 && head.loadingInfo.missingKeys.every((k) => k.startsWith('classifier')), head.loadingInfo.missingKeys.join());
    assert.deepEqual(head.loadingInfo.unexpectedKeys, []);
    disposeAll([a, b]);
  });
}

test('freezeBackbone trains only the head; BatchNorm freezing keeps running statistics', () => {
  manualSeed(1);
  const m = ResNetForImageClassification.fromConfig({ ...TINY_VISION_CONFIGS.resnet, num_labels: 2 });
  m.freezeBackbone();
  assert.deepEqual(m.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n), ['classifier.1.weight', 'classifier.1.bias']);
  m.unfreezeBackbone().train();
  const bn = m.resnet.embedder.embedder.normalization;
  const before = bn.runningMean!.clone();
  m.forward({ pixelValues: px(2, 32) });
  assert.ok(!bn.runningMean!.equal(before), 'train mode updates the running statistics');
  assert.equal(bn.numBatchesTracked!.item(), 1);
  m.freezeBatchNorm();
  const frozen = bn.runningMean!.clone();
  m.forward({ pixelValues: px(2, 32) });
  assert.ok(bn.runningMean!.equal(frozen), 'frozen: running statistics fixed in train mode');
  assert.equal(bn.weight!.requiresGrad, false);
  assert.ok(m.namedParameters().some(([n, p]) => n.includes('convolution') && p.requiresGrad), 'the convolutions still train');
});

test('ResNet in train mode with batch 1: works while the maps have more than one pixel, fails like PyTorch at 1x1', () => {
  manualSeed(2);
  const m = ResNetModel.fromConfig(TINY_VISION_CONFIGS.resnet).train();
  assert.deepEqual(m.forward({ pixelValues: px(1, 32) }).lastHiddenState.shape, [1, 16, 4, 4]);
  assert.throws(() => m.forward({ pixelValues: px(1, 8) }), /^Error: Expected more than 1 value per channel when training, got input size torch\.Size\(\[1, 16, 1, 1\]\)/);
  m.eval();
  assert.deepEqual(m.forward({ pixelValues: px(1, 8) }).poolerOutput!.shape, [1, 16, 1, 1]);
});

test('ConvNeXt LayerNorm weights are decayed (not nn.LayerNorm), the final LayerNorm is not, as in the 4.29 Trainer', () => {
  const m = ConvNextForImageClassification.fromConfig({ ...TINY_VISION_CONFIGS.convnext, num_labels: 2 });
  const { decay, noDecay } = decayParameterGroups(m, 0.01);
  assert.ok(decay.some(([n]) => n === 'convnext.embeddings.layernorm.weight'));
  assert.ok(noDecay.some(([n]) => n === 'convnext.layernorm.weight'));
});

test('image size: ViT-like models need their size (one-line error), Swin pads, ConvNeXt and ResNet take any size', () => {
  manualSeed(4);
  const deit = DeiTForImageClassification.fromConfig(TINY_VISION_CONFIGS.deit);
  assert.throws(() => deit.forward({ pixelValues: px(1, 40) }), /^Error: input image size \(40\*40\) doesn't match the model \(32\*32\): resize the images with the model's image processor$/);
  const beit = BeitForImageClassification.fromConfig(TINY_VISION_CONFIGS.beit);
  assert.throws(() => beit.forward({ pixelValues: px(1, 24) }), /BeitForImageClassification: input image size \(24\*24\) doesn't match the model \(32\*32\)/);
  assert.throws(() => beit.forward({ pixelValues: randn([1, 1, 32, 32]) }), /has 1 channels|have 1 channels/);
  const swin = SwinForImageClassification.fromConfig(TINY_VISION_CONFIGS.swin).eval();
  const out = swin.forward({ pixelValues: randn([1, 3, 30, 37]), outputHiddenStates: true });
  assert.deepEqual(out.logits.shape, [1, 2]);
  assert.deepEqual(out.reshapedHiddenStates!.map((t) => t.shape), [[1, 8, 8, 10], [1, 16, 4, 5], [1, 16, 4, 5]]);
  assert.deepEqual(ConvNextForImageClassification.fromConfig(TINY_VISION_CONFIGS.convnext).forward({ pixelValues: px(1, 48) }).logits.shape, [1, 2]);
});

test('Swin: shifted windows change the result; attentions per stage are the last block\'s [B*windows, heads, ws², ws²]', () => {
  manualSeed(5);
  const m = SwinModel.fromConfig(TINY_VISION_CONFIGS.swin).eval();
  const x = px(2, 32);
  const out = m.forward({ pixelValues: x, outputAttentions: true });
  assert.deepEqual(out.attentions!.map((t) => t.shape), [[8, 2, 16, 16], [2, 2, 16, 16]]);
  assert.deepEqual(out.poolerOutput!.shape, [2, 16]);
  // the fused path (no probabilities) gives the same states as the composed one
  const fused = m.forward({ pixelValues: x });
  assert.ok(tidy(() => fused.lastHiddenState.sub(out.lastHiddenState).abs().max().item()) < 1e-5);
  // the shifted block sees other neighbours: shifting the image by one window changes the states
  const rolled = m.forward({ pixelValues: x.roll([16, 16], [2, 3]) });
  assert.ok(tidy(() => rolled.poolerOutput!.sub(fused.poolerOutput!).abs().max().item()) > 1e-4);
});

test('DeiT: the teacher class is picked when config.json names it, and is inference only', async () => {
  manualSeed(6);
  const t = DeiTForImageClassificationWithTeacher.fromConfig({ ...TINY_VISION_CONFIGS.deit, num_labels: 3 });
  const dir = tmp();
  t.savePretrained(dir);
  const m = await AutoModelForImageClassification.fromPretrained(dir, { quiet: true });
  assert.ok(m instanceof DeiTForImageClassificationWithTeacher);
  const out = (m as DeiTForImageClassificationWithTeacher).eval().forward({ pixelValues: px(2, 32) });
  assert.ok(tidy(() => out.clsLogits.add(out.distillationLogits).div(2).sub(out.logits).abs().max().item()) === 0);
  assert.throws(() => (m as DeiTForImageClassificationWithTeacher).forward({ pixelValues: px(1, 32), labels: tensor([0], { dtype: 'int64' }) }), /inference only.*DeiTForImageClassification/);
  // the plain classifier loads the same checkpoint with a new head
  const plain = await DeiTForImageClassification.fromPretrained(dir, { quiet: true, outputLoadingInfo: true });
  assert.deepEqual(plain.loadingInfo.missingKeys, ['classifier.bias', 'classifier.weight']);
});

const tinyClip = () => ({
  model_type: 'clip', projection_dim: 8,
  text_config: { vocab_size: 50, projection_dim: 8, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 12 },
  vision_config: { projection_dim: 8, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, image_size: 32, patch_size: 8 },
});

test('CLIP: config round trip, contrastive loss with returnLoss, towers and projections load from the composite checkpoint', async () => {
  manualSeed(7);
  const cfg = AutoConfig.fromDict(tinyClip()) as CLIPConfig;
  assert.ok(cfg instanceof CLIPConfig);
  assert.equal(cfg.textConfig.hiddenSize, 16);
  assert.equal(cfg.textConfig.eosTokenId, 2, 'CLIPTextConfig defaults');
  const m = CLIPModel.fromConfig(cfg).eval();
  const dir = tmp();
  m.savePretrained(dir);
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(json.text_config.model_type, 'clip_text_model');
  assert.equal(json.vision_config.patch_size, 8);
  const ids = tensor([[0, 5, 7, 49, 49], [0, 9, 49, 49, 49]], { dtype: 'int64' });
  const mask = tensor([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], { dtype: 'int64' });
  const pixels = px(2, 32);
  const out = m.forward({ inputIds: ids, attentionMask: mask, pixelValues: pixels, returnLoss: true });
  assert.deepEqual(out.logitsPerImage.shape, [2, 2]);
  assert.ok(out.logitsPerImage.equal(out.logitsPerText.t()));
  assert.ok(out.loss && out.loss.item() > 0);
  assert.equal(m.forward({ inputIds: ids, pixelValues: pixels }).loss, undefined);
  // the loss is the mean of both directions' cross-entropy
  const lp = out.logitsPerText.toArray() as number[][];
  const ce = (rows: number[][]) => rows.reduce((s, r, i) => s - (r[i]! - Math.log(r.reduce((a, v) => a + Math.exp(v), 0))), 0) / rows.length;
  const want = (ce(lp) + ce(lp[0]!.map((_, j) => lp.map((r) => r[j]!)))) / 2;
  assert.ok(Math.abs(out.loss.item() - want) < 1e-5);
  // towers from the composite checkpoint (transformers reads text_config / vision_config)
  const vis = await CLIPVisionModelWithProjection.fromPretrained(dir, { quiet: true, outputLoadingInfo: true });
  assert.deepEqual(vis.loadingInfo.missingKeys, []);
  const img = vis.model.eval().forward({ pixelValues: pixels }).imageEmbeds;
  const feats = m.getImageFeatures({ pixelValues: pixels });
  assert.ok(img.equal(feats));
  const txt = await CLIPTextModelWithProjection.fromPretrained(dir, { quiet: true });
  assert.ok(txt.eval().forward({ inputIds: ids, attentionMask: mask }).textEmbeds.equal(m.getTextFeatures({ inputIds: ids, attentionMask: mask })));
  const textOnly = await AutoModel.fromPretrained(join(dir), { quiet: true });
  assert.ok(textOnly instanceof CLIPModel);
  assert.ok((await CLIPTextModel.fromPretrained(dir, { quiet: true })).config instanceof CLIPTextConfig);
  assert.ok((await CLIPVisionModel.fromPretrained(dir, { quiet: true })) instanceof CLIPVisionModel);
  // too many tokens for the position table: one line saying what to do
  assert.throws(() => m.forward({ inputIds: tensor([new Array(13).fill(3)], { dtype: 'int64' }), pixelValues: px(1, 32) }), /at most max_position_embeddings=12: tokenize with truncation/);
  assert.throws(() => m.forward({ inputIds: ids, pixelValues: px(3, 32), returnLoss: true }), /as many texts as images/);
});

test('the fixture checkpoints name every tensor as transformers does (key sets equal)', { skip: !hasShared && '../shared is absent: Python reference fixture test skipped' }, async () => {
  for (const name of ['deit', 'beit', 'swin', 'convnext', 'resnet', 'clip']) {
    const dir = sharedPath('fixtures', 'hf-reference-2', 'models', name);
    const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const m = await (MODEL_CLASSES[exp.model_class] as any).fromPretrained(dir, { quiet: true }) as PreTrainedModel;
    const ours = [...m.stateDictForSave().keys()].filter((k) => !(k in exp.excluded_non_float_buffers)).sort();
    assert.deepEqual(ours, Object.keys(exp.state_dict_keys).sort(), name);
    // integer buffers are kept (saved as transformers saves them), except position_ids, which hubtune computes
    for (const k of Object.keys(exp.excluded_non_float_buffers)) if (!k.endsWith('position_ids')) assert.ok(m.stateDict().has(k), `${name}: ${k} is kept as a buffer`);
    m.dispose();
  }
});

export type { Tensor };
