// examples/image-classification.ts (run_image_classification.py) fine-tunes each family's backbone,
// named by family, from the local Hub server: bare backbones (ViT) and 1000-class-style classifier
// checkpoints whose head is replaced (DeiT as distilled with-teacher, BEiT, Swin, ConvNeXt, ResNet), on a
// beans-like dataset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { pipeline, type LabelScore } from '../../src/pipelines/index';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { saveTinyBeansDataset, addFolderRepo } from '../support/tiny-models';
import { VISION_FAMILIES, saveTinyVisionRepo } from '../support/tiny-vision';
import { BACKBONES, main, parseArgs } from '../../examples/image-classification';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-imgcls-'));

before(async () => {
  testHub = await useTestHub(work);
  hub = testHub.hub;
  for (const f of VISION_FAMILIES) {
    // the Hub's ViT is a bare backbone; the others are ImageNet classifiers (here: 5 labels)
    const labels = f === 'vit' ? undefined : ['tench', 'goldfish', 'shark', 'ray', 'cock'];
    addFolderRepo(hub, 'model', BACKBONES[f]!, await saveTinyVisionRepo(join(work, `repo-${f}`), f, { labels, seed: 2, teacher: f === 'deit' }));
  }
  addFolderRepo(hub, 'dataset', 'beans', await saveTinyBeansDataset(join(work, 'beans'), { train: 12, validation: 6, test: 3 }));
});
after(async () => {
  await testHub?.close();
  rmSync(work, { recursive: true, force: true });
});

test('parseArgs takes the script\'s names (snake or kebab case) and refuses unknown ones', () => {
  assert.deepEqual(parseArgs(['--model_name_or_path', 'swin', '--num_train_epochs=2', '--per-device-train-batch-size', '4', '--color-jitter', '0.4,0.4,0.4,0.1']), {
    model: 'swin', epochs: 2, batchSize: 4, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
  });
  assert.throws(() => parseArgs(['--frobnicate', '1']), /unknown option --frobnicate: use --model/);
  assert.throws(() => parseArgs(['--epochs', 'x']), /--epochs needs a number/);
});

for (const f of VISION_FAMILIES) {
  test(`image-classification example fine-tunes ${f} (${BACKBONES[f]}) by family name from the Hub`, async () => {
    const out = join(work, `out-${f}`);
    const r = await main({ model: f, dataset: 'beans', outputDir: out, maxSteps: 3, batchSize: 4, evalSteps: 3, loggingSteps: 1, workers: 1, device: 'cpu', colorJitter: f === 'convnext' ? { brightness: 0.3, hue: 0.05 } : null });
    assert.equal(r.interrupted, false);
    assert.equal(r.modelType, f);
    assert.equal(r.modelId, BACKBONES[f]);
    assert.deepEqual(r.labels, ['angular_leaf_spot', 'bean_rust', 'healthy']);
    assert.ok(Number.isFinite(r.train.train_loss as number));
    for (const k of ['eval_loss', 'eval_accuracy']) assert.ok(Number.isFinite(r.eval[k] as number), k);
    for (const file of ['model.safetensors', 'config.json', 'preprocessor_config.json', 'train_results.json', 'eval_results.json', 'trainer_state.json']) assert.ok(existsSync(join(out, file)), file);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(cfg.model_type, f);
    assert.deepEqual(cfg.id2label, { 0: 'angular_leaf_spot', 1: 'bean_rust', 2: 'healthy' });
    assert.equal(cfg.finetuning_task, 'image-classification');
    if (f === 'deit') assert.deepEqual(cfg.architectures, ['DeiTForImageClassification'], 'the trainable class, not the teacher');
    // the saved folder serves the image-classification pipeline
    const clf = await pipeline('image-classification', { model: out, device: 'cpu' });
    const top = await clf(join(work, 'beans', 'test', 'healthy', readdirSync(join(work, 'beans', 'test', 'healthy'))[0]!)) as LabelScore[];
    assert.deepEqual(new Set(top.map((x) => x.label)), new Set(r.labels));
    clf.dispose();
  });
}

test('a text model is refused in one line', async () => {
  const bert = join(work, 'bert');
  mkdirSync(bert);
  writeFileSync(join(bert, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32 }));
  await assert.rejects(main({ model: bert, dataset: 'beans', outputDir: join(work, 'x'), maxSteps: 1 }), /is a bert model: pass an image backbone \(vit, deit, beit, swin, convnext, resnet, or a Hub id of one\)$/);
});
