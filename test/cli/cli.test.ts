// The `hubtune` CLI as a subprocess: --help on every command, predict, train (flags and recipe
// files), eval, demo (quick), and one-line errors with a non-zero exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fixtures } from '../pipelines/fixtures';
import { listTasks } from '../../src/pipelines/tasks';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const BIN = join(ROOT, 'bin/hubtune.mjs');

function hubtune(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 180_000,
    env: { ...process.env, HF_HUB_OFFLINE: '1', HUBTUNE_QUIET: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help on every command shows an example', () => {
  const top = hubtune(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['train', 'eval', 'predict', 'demo']) assert.match(top.stdout, new RegExp(`\\n  ${c}\\b`));
  for (const c of ['train', 'eval', 'predict', 'demo']) {
    const r = hubtune([c, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Examples?:\n\s+\$ hubtune /, c);
  }
});

test('predict: labels and scores, --json, --top-k, task inferred from the config', async () => {
  const fx = await fixtures();
  const r = hubtune(['predict', fx.vit, fx.imageFiles[0], fx.imageFiles[1], '--top-k', '2']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 6);
  assert.equal(lines[0], fx.imageFiles[0]);
  assert.match(lines[1], /^ {2}(angular_leaf_spot|bean_rust|healthy)\s+0\.\d{4}$/);
  const j = hubtune(['predict', fx.vit, fx.imageFiles[2], '--json']);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  assert.equal(out[0].input, fx.imageFiles[2]);
  assert.equal(out[0].result.length, 3);
  assert.ok(out[0].result[0].score >= out[0].result[1].score);
  const t = hubtune(['predict', fx.robertaCls, 'Lena paid the panel.', '--text-pair', 'The panel was paid by Lena.', '--json']);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(JSON.parse(t.stdout)[0].result.length, 1);
  const fm = hubtune(['predict', fx.robertaMlm, 'Lena paid the <mask>.', '--top-k', '3']);
  assert.equal(fm.code, 0, fm.stderr);
  assert.equal(fm.stdout.trim().split('\n').length, 4);
  const fe = hubtune(['predict', fx.robertaBase, 'Lena paid the panel.']);
  assert.equal(fe.code, 0, fe.stderr);
  assert.match(fe.stdout, /mean-pooled vector \(16 values\)/);
});

test('predict: errors are one line with a non-zero exit code', async () => {
  const fx = await fixtures();
  const cases: [string[], RegExp][] = [
    [['predict', fx.vit, '/no/such.png'], /^error: image file not found: \/no\/such\.png\n$/],
    [['predict', fx.vit, join(fx.paraphrase.dir, 'dataset_info.json')], /^error: .*decode.*\n$/i],
    [['predict', fx.vit, 'x.png', '--task', 'image-segmentation'], new RegExp(`^error: Unknown task 'image-segmentation'.*available tasks are ${listTasks().join(', ')}\\n$`)],
    [['predict', fx.vit, 'some text', '--task', 'text-classification'], /^error: .*is a vit model, which does not fit the task 'text-classification'.*\n$/],
    [['predict', './no/such/model', 'a.png'], /^error: .*no\/such\/model.*\n$/],
  ];
  for (const [args, re] of cases) {
    const r = hubtune(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
  }
  const v = hubtune(['--verbose', 'predict', fx.vit, '/no/such.png']);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /PipelineInputError: image file not found[\s\S]*\n\s+at /);
});

test('train from a YAML recipe, then eval and predict the saved model', async () => {
  const fx = await fixtures();
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-cli-train-'));
  const recipe = join(dir, 'recipe.yaml');
  writeFileSync(recipe, [
    `model: ${fx.vit}`, 'dataset: imagefolder', `data_dir: ${fx.images}`, 'label_column: label',
    'training_args:', `  output_dir: ${join(dir, 'out')}`, '  max_steps: 3', '  per_device_train_batch_size: 4',
    '  eval_strategy: steps', '  eval_steps: 3', '  logging_steps: 1', '  save_strategy: "no"', '  learning_rate: 1e-3',
  ].join('\n'));
  const r = hubtune(['train', '--recipe', recipe]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\*\*\*\*\* train metrics \*\*\*\*\*\n {2}epoch\s+=/);
  assert.match(r.stdout, /\*\*\*\*\* eval metrics \*\*\*\*\*[\s\S]*eval_accuracy\s+=/);
  assert.match(r.stdout, /\*\*\*\*\* test metrics \*\*\*\*\*[\s\S]*test_accuracy\s+=/);
  assert.ok(existsSync(join(dir, 'out', 'model.safetensors')));
  assert.ok(existsSync(join(dir, 'out', 'preprocessor_config.json')));
  const e = hubtune(['eval', join(dir, 'out'), '-d', 'imagefolder', '--data-dir', fx.images, '--split', 'test', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const m = JSON.parse(e.stdout);
  assert.equal(typeof m.test_accuracy, 'number');
  const p = hubtune(['predict', join(dir, 'out'), fx.imageFiles[0]]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /angular_leaf_spot|bean_rust|healthy/);
});

test('train a text classifier from flags (camelCase JSON recipe + flag overrides)', async () => {
  const fx = await fixtures();
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-cli-text-'));
  const recipe = join(dir, 'recipe.json');
  writeFileSync(recipe, JSON.stringify({ model: fx.robertaMlm, dataset: 'json', dataFiles: fx.paraphrase.files, textColumns: ['sentence1', 'sentence2'], trainingArgs: { maxSteps: 2, perDeviceTrainBatchSize: 4, saveStrategy: 'no' } }));
  const r = hubtune(['train', '-r', recipe, '-o', join(dir, 'out'), '--learning-rate', '1e-3', '--set', 'logging_steps=1', '--eval-split', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\*\*\*\*\* train metrics \*\*\*\*\*/);
  assert.match(r.stdout, /test_f1\s+=/);
  const cfg = JSON.parse(readFileSync(join(dir, 'out', 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['RobertaForSequenceClassification']);
  assert.equal(cfg.training_args, undefined);
});

test('recipe validation: unknown keys are named with the closest valid key', async () => {
  const fx = await fixtures();
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-cli-recipe-'));
  const bad = (name: string, text: string, re: RegExp) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    const r = hubtune(['train', '--recipe', f]);
    assert.equal(r.code, 1, name);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  bad('a.yaml', `model: ${fx.vit}\ndataset: imagefolder\nlabel_colum: label\n`, /unknown key 'label_colum' \(did you mean 'label_column'\?\)/);
  bad('b.yaml', `model: ${fx.vit}\ndataset: imagefolder\nlearnig_rate: 1e-3\n`, /unknown key 'learnig_rate' \(did you mean 'learning_rate'\?\)/);
  bad('c.yaml', `model: ${fx.vit}\ndataset: imagefolder\ntraining_args:\n  num_train_epoch: 2\n`, /unknown key 'training_args.num_train_epoch' \(did you mean 'num_train_epochs'\?\)/);
  bad('d.json', `{"model": "${fx.vit}", "dataset": "imagefolder", "imageColum": "image"}`, /unknown key 'imageColum' \(did you mean 'imageColumn'\?\)/);
  bad('e.yaml', 'dataset: imagefolder\n', /'model' is required/);
  bad('f.yaml', 'model: [unclosed\n', /is not valid YAML/);
  const r = hubtune(['train', '--recipe', join(dir, 'missing.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: recipe file not found: .*missing\.yaml\n$/);
});

test('demo --quick runs end to end offline and saves the model, card and plots', () => {
  const out = mkdtempSync(join(tmpdir(), 'hubtune-cli-demo-'));
  const r = hubtune(['demo', '--quick', '--output-dir', out, '--data-dir', join(out, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pretrained \(shapes\) \+ fine-tuned/);
  assert.match(r.stdout, /same ViT from scratch/);
  assert.match(r.stdout, /pipeline\('image-classification'/);
  for (const f of ['vit-tiny-beans-like/model.safetensors', 'vit-tiny-beans-like/README.md', 'vit-tiny-beans-like/preprocessor_config.json', 'loss.svg', 'accuracy.svg', 'confusion-matrix.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const bad = hubtune(['demo', 'audio']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: unknown demo 'audio': use 'image' or 'text'\n$/);
});

test('demo text --quick: RoBERTa fine-tuning vs from scratch, accuracy and F1', () => {
  const out = mkdtempSync(join(tmpdir(), 'hubtune-cli-demo-text-'));
  const r = hubtune(['demo', 'text', '--quick', '--output-dir', out, '--data-dir', join(out, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pretrained \(MLM\) \+ fine-tuned\s+\d+\.\d%\s+\d+\.\d%/);
  assert.match(r.stdout, /same RoBERTa from scratch/);
  assert.match(r.stdout, /-> (equivalent|not_equivalent) 0\.\d{3}/);
  for (const f of ['roberta-tiny-paraphrase/model.safetensors', 'roberta-tiny-paraphrase/tokenizer.json', 'roberta-tiny-paraphrase/README.md', 'loss.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
});
