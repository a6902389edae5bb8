// The shapes of course code that hubtune accepts as written: split and row indexing, the callable
// image processor, transforms returning batched tensors, transformers 4.2x's deprecated training
// arguments, report_to values without an integration, Python-like printing, pipeline key order.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Dataset, DatasetDict } from '../../src/datasets/index';
import { ViTImageProcessor, ViTFeatureExtractor } from '../../src/preprocessing/image-processing';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { DataCollatorWithPadding } from '../../src/preprocessing/collators';
import { DataLoader } from '../../src/training/data-loader';
import { TrainingArguments, setDeprecationWarner } from '../../src/training/training-args';
import { evalPrediction } from '../../src/training/trainer';
import { ViTConfig } from '../../src/models/index';
import { nn, stack, tensor, type Tensor } from '../../src/torch/index';
import { topLabels } from '../../src/pipelines/base';
import { saveTinyRobertaRepo, tinyVit } from '../support/tiny-models';

const work = mkdtempSync(join(tmpdir(), 'hubtune-course-shapes-'));
after(() => rmSync(work, { recursive: true, force: true }));

function rgb(h: number, w: number, v: number) {
  return { width: w, height: h, channels: 3, mode: 'RGB' as const, data: new Uint8Array(h * w * 3).fill(v) };
}

test("DatasetDict: ds['train'] and ds.train are the split; an unknown split is an error naming the splits", () => {
  const train = Dataset.fromDict({ x: [1, 2, 3] });
  const ds = new DatasetDict({ train, validation: Dataset.fromDict({ x: [4] }) });
  assert.equal(ds['train'], train);
  assert.equal(ds.train, train);
  assert.equal(ds.get('train'), train);
  assert.equal(ds.validation.numRows, 1);
  assert.ok('train' in ds);
  assert.throws(() => ds['tset'], /Unknown split "tset"\. Should be one of \['train', 'validation'\]/);
  assert.deepEqual(ds.splits, ['train', 'validation']);
  assert.equal(ds.size, 2);
  assert.deepEqual([...ds.keys()], ['train', 'validation']);
  // await and JSON probe `then` / `toJSON`: no error, no split
  assert.equal((ds as unknown as { then?: unknown }).then, undefined);
  assert.match(String(ds), /^DatasetDict\(\{\n    train: Dataset\(\{/);
  assert.equal(ds.shuffle({ seed: 1 }).train.numRows, 3);
});

test('Dataset: await ds[i] is row i (negative from the end)', async () => {
  const ds = Dataset.fromDict({ x: [10, 20, 30], y: ['a', 'b', 'c'] });
  assert.deepEqual(await ds[1], { x: 20, y: 'b' });
  assert.deepEqual(await ds[-1], { x: 30, y: 'c' });
  await assert.rejects(async () => ds[7], /out of range|index/i);
  assert.equal(ds.numRows, 3);
});

test("the image processor is callable like the tokenizer, prints like Python's, ViTFeatureExtractor as itself", async () => {
  const fe = new ViTImageProcessor({ size: { height: 8, width: 8 } });
  const out = await fe([rgb(12, 10, 200), rgb(8, 8, 10)], { returnTensors: 'pt' });
  assert.deepEqual(out.pixel_values.shape, [2, 3, 8, 8]);
  out.labels = [0, 1]; // the course adds its labels to the processor's output
  assert.deepEqual(out.labels, [0, 1]);
  const one = await fe(rgb(8, 8, 0));
  assert.deepEqual(one.pixel_values.shape, [1, 3, 8, 8]);
  assert.match(String(fe), /^ViTImageProcessor \{\n  "do_normalize": true,/);
  assert.match(inspect(fe), /"image_processor_type": "ViTImageProcessor"/);
  const legacy = new ViTFeatureExtractor({});
  assert.match(String(legacy), /^ViTFeatureExtractor \{/);
  assert.match(String(legacy), /"image_processor_type": "ViTFeatureExtractor"/);
});

test('a transform returning batched tensors (one per column) is split into rows, as datasets does', async () => {
  const fe = new ViTImageProcessor({ size: { height: 4, width: 4 } });
  const images = [rgb(4, 4, 0), rgb(4, 4, 100), rgb(4, 4, 255)].map((im) => ({ ...im }));
  const ds = Dataset.fromList(images.map((im, i) => ({ v: im.data[0], labels: i })));
  const transform = async (batch: Record<string, unknown[]>) => {
    const inputs = await fe((batch.v as number[]).map((v) => rgb(4, 4, v)), { returnTensors: 'pt' });
    inputs['labels'] = batch['labels'];
    return inputs;
  };
  const prepared = ds.withTransform(transform);
  const row = await prepared[2];
  assert.deepEqual((row.pixel_values as Tensor).shape, [3, 4, 4]);
  assert.equal(row.labels, 2);
  const collate = (batch: Record<string, any>[]) => ({
    pixel_values: stack(batch.map((x) => x['pixel_values'])),
    labels: tensor(batch.map((x) => x['labels'])),
  });
  const loader = new DataLoader({ dataset: prepared, batchSize: 2, collateFn: collate });
  const b = await loader.load([0, 2]) as { pixel_values: Tensor; labels: Tensor };
  assert.deepEqual(b.pixel_values.shape, [2, 3, 4, 4]);
  assert.equal(b.labels.dtype, 'int64');
  assert.deepEqual(b.labels.tolist1d(), [0, 2]);
  // row 2 (white) normalises to +1, row 0 (black) to -1
  assert.ok(Math.abs(b.pixel_values.tolist1d()[3 * 16]! - 1) < 1e-6);
  const bad = ds.withTransform(async (batch) => ({ x: tensor([[1, 2]]), labels: batch.labels }));
  await assert.rejects(bad.getBatch([0, 1]), /column 'x' has shape \[1, 2\] but the batch has 2 rows/);
  // a slice keeps the transform's batched output, like Python's ds[:2]
  const sl = await prepared.slice(0, 2);
  assert.deepEqual((sl.pixel_values as unknown as Tensor).shape, [2, 3, 4, 4]);
});

test("deprecated TrainingArguments of transformers 4.2x are accepted with transformers' warnings", () => {
  const warnings: string[] = [];
  setDeprecationWarner((m) => warnings.push(m));
  try {
    const a = new TrainingArguments({ outputDir: join(work, 'vit-base-beans'), pushToHubOrganization: 'my-org', pushToHubToken: 'hf_xyz', perGpuTrainBatchSize: 4, evaluationStrategy: 'epoch', saveStrategy: 'epoch' });
    assert.equal(a.hubModelId, 'my-org/vit-base-beans');
    assert.equal(a.hubToken, 'hf_xyz');
    assert.equal(a.perDeviceTrainBatchSize, 4);
    assert.equal(a.evalStrategy, 'epoch');
    assert.ok(warnings.some((w) => w.startsWith('The `--push_to_hub_organization` argument is deprecated') && w.includes('(in this case my-org/vit-base-beans)')));
    assert.ok(warnings.some((w) => w.includes('`--push_to_hub_token` argument is deprecated')));
    assert.ok(warnings.some((w) => w.includes('`--per_gpu_train_batch_size`')));
    assert.ok(warnings.some((w) => w.includes('`evaluation_strategy` is deprecated')));
    assert.ok(!inspect(a).includes('hf_xyz') && !JSON.stringify(a).includes('hf_xyz'), 'the token is never printed');
    const b = TrainingArguments.fromObject({ output_dir: join(work, 'x'), push_to_hub_model_id: 'beans-vit', push_to_hub_organization: 'org' });
    assert.equal(b.hubModelId, 'org/beans-vit');
    const c = new TrainingArguments({ outputDir: join(work, 'y'), noCuda: true });
    assert.equal(c.device, 'cpu');
  } finally {
    setDeprecationWarner(null);
  }
});

test('reportTo: none passes, all and tensorboard mean the TensorBoard writer, the other integrations say they are not available, unknown names list the known ones', () => {
  assert.deepEqual(new TrainingArguments({ outputDir: join(work, 'r'), reportTo: 'none' }).reportTo, []);
  assert.deepEqual(new TrainingArguments({ outputDir: join(work, 'r'), reportTo: 'all' }).reportTo, ['tensorboard']);
  assert.deepEqual(new TrainingArguments({ outputDir: join(work, 'r'), reportTo: ['tensorboard', 'all'] }).reportTo, ['tensorboard']);
  assert.throws(() => new TrainingArguments({ outputDir: join(work, 'r'), reportTo: 'wandb' }), /reportTo 'wandb' is not available in hubtune: use reportTo: 'tensorboard' or 'none'/);
  assert.throws(() => new TrainingArguments({ outputDir: join(work, 'r'), reportTo: 'tensorbaord' }), /reportTo 'tensorbaord' is not supported, only .*tensorboard/);
});

test("label2id with string values (the course's form) is read as class indices", () => {
  const labels = ['angular_leaf_spot', 'bean_rust', 'healthy'];
  const cfg = new ViTConfig({
    numLabels: labels.length,
    id2label: Object.fromEntries(labels.map((c, i) => [String(i), c])),
    label2id: Object.fromEntries(labels.map((c, i) => [c, String(i)])),
  });
  assert.deepEqual(cfg.label2id, { angular_leaf_spot: 0, bean_rust: 1, healthy: 2 });
  assert.match(String(cfg), /^ViTConfig \{\n  "attention_probs_dropout_prob"/);
});

test('EvalPrediction unpacks like a tuple: const [logits, labels] = evalPreds', () => {
  const [logits, labels] = evalPrediction({ predictions: [[0.1, 0.9]], labelIds: [1] });
  assert.deepEqual(logits, [[0.1, 0.9]]);
  assert.deepEqual(labels, [1]);
});

test('tokenizer, collator and model print like Python', async () => {
  const dir = await saveTinyRobertaRepo(join(work, 'roberta'));
  const tok = await AutoTokenizer.fromPretrained(dir);
  const text = String(tok);
  assert.match(text, /^RobertaTokenizerFast\(name_or_path='.*roberta', vocab_size=\d+, model_max_length=128, is_fast=True, padding_side='right', truncation_side='right', special_tokens=\{'bos_token': '<s>'/);
  assert.match(text, /\),  added_tokens_decoder=\{\n\t0: AddedToken\("<s>", rstrip=False, lstrip=False, single_word=False, normalized=/);
  assert.equal(inspect(tok), text);
  assert.ok(text.split('\n').length < 20, 'no internals');
  const collator = new DataCollatorWithPadding({ tokenizer: tok });
  assert.match(String(collator), /^DataCollatorWithPadding\(tokenizer=RobertaTokenizerFast\(.*padding=True, max_length=None, pad_to_multiple_of=None, return_tensors='pt'\)$/s);
  const model = tinyVit({ numLabels: 3 });
  const repr = inspect(model);
  assert.match(repr, /^ViTForImageClassification\(\n  \(vit\): ViTModel\(\n/);
  assert.match(repr, /\n  \(classifier\): Linear\(in_features=16, out_features=3, bias=True\)\n\)$/);
  assert.match(repr, /LayerNorm\(\(16,\), eps=1e-12, elementwise_affine=True\)/);
  assert.match(repr, /Dropout\(p=0\.0, inplace=False\)/);
  assert.equal(String(new nn.Linear(2, 3, { bias: false })), 'Linear(in_features=2, out_features=3, bias=False)');
});

test("image-classification results keep Python's key order ({score, label}); text-classification {label, score}", () => {
  assert.deepEqual(Object.keys(topLabels([0.2, 0.8], { 0: 'a', 1: 'b' }, 1, true)[0]!), ['score', 'label']);
  assert.deepEqual(Object.keys(topLabels([0.2, 0.8], { 0: 'a', 1: 'b' }, 1)[0]!), ['label', 'score']);
});
