import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingArguments } from './training-args';

test('defaults are transformers\' defaults', () => {
  const a = new TrainingArguments();
  assert.equal(a.outputDir, 'trainer_output');
  assert.equal(a.perDeviceTrainBatchSize, 8);
  assert.equal(a.numTrainEpochs, 3);
  assert.equal(a.maxSteps, -1);
  assert.equal(a.learningRate, 5e-5);
  assert.equal(a.lrSchedulerType, 'linear');
  assert.equal(a.adamEpsilon, 1e-8);
  assert.equal(a.loggingSteps, 500);
  assert.equal(a.evalStrategy, 'no');
  assert.equal(a.saveStrategy, 'steps');
  assert.equal(a.seed, 42);
  assert.equal(a.removeUnusedColumns, true);
  assert.equal(a.hubStrategy, 'every_save');
  assert.equal(a.metricForBestModel, null);
  assert.equal(a.runName, 'trainer_output');
  assert.match(a.loggingDir!, /^trainer_output[/\\]runs[/\\]\w{3}\d{2}_\d{2}-\d{2}-\d{2}_/);
  assert.equal(a.trainBatchSize, 8);
  assert.equal(a.evalBatchSize, 8);
});

test('fromObject takes snake_case keys and CLI strings; evaluation_strategy is an alias', () => {
  const a = TrainingArguments.fromObject({
    output_dir: 'out', learning_rate: '2e-4', per_device_train_batch_size: '16', remove_unused_columns: 'false',
    evaluation_strategy: 'epoch', save_strategy: 'epoch', load_best_model_at_end: true, report_to: 'none',
  });
  assert.equal(a.learningRate, 2e-4);
  assert.equal(a.perDeviceTrainBatchSize, 16);
  assert.equal(a.removeUnusedColumns, false);
  assert.equal(a.evalStrategy, 'epoch');
  assert.equal(a.doEval, true);
  assert.equal(a.metricForBestModel, 'loss');
  assert.equal(a.greaterIsBetter, false);
  assert.deepEqual(a.reportTo, []);
});

test('unknown keys name the closest valid key in the same style', () => {
  assert.throws(() => TrainingArguments.fromObject({ learning_rat: 1 }), /unknown training argument 'learning_rat': did you mean 'learning_rate'\?/);
  assert.throws(() => new TrainingArguments({ numEpochs: 3 } as never), /unknown training argument 'numEpochs': did you mean 'numTrainEpochs'\?/);
});

test('bad values: enums list valid values, batch sizes, types', () => {
  assert.throws(() => new TrainingArguments({ evalStrategy: 'sometimes' as never }), /evalStrategy must be one of 'no', 'steps', 'epoch', got 'sometimes'/);
  assert.throws(() => TrainingArguments.fromObject({ lr_scheduler_type: 'cosin' }), /lr_scheduler_type must be one of 'linear', 'cosine'/);
  assert.throws(() => new TrainingArguments({ perDeviceTrainBatchSize: 0 }), /perDeviceTrainBatchSize must be a positive integer, got 0/);
  assert.throws(() => new TrainingArguments({ perDeviceEvalBatchSize: -2 }), /perDeviceEvalBatchSize must be a positive integer/);
  assert.throws(() => TrainingArguments.fromObject({ seed: 'abc' }), /seed must be a number/);
  assert.throws(() => TrainingArguments.fromObject({ seed: 1.5 }), /seed must be an integer/);
  assert.throws(() => new TrainingArguments({ warmupRatio: 1.5 }), /warmupRatio must lie in range \[0,1\]/);
  assert.throws(() => new TrainingArguments({ loggingSteps: 10.5 }), /loggingSteps must be an integer if bigger than 1/);
  assert.throws(() => TrainingArguments.fromObject({ eval_strategy: 'steps', evaluation_strategy: 'epoch' }), /set the same option with different values/);
});

test('eval steps default to logging steps; load-best-model checks as __post_init__', () => {
  const a = new TrainingArguments({ evalStrategy: 'steps', loggingSteps: 50, saveSteps: 100, loadBestModelAtEnd: true, metricForBestModel: 'accuracy' });
  assert.equal(a.evalSteps, 50);
  assert.equal(a.greaterIsBetter, true);
  assert.throws(() => new TrainingArguments({ evalStrategy: 'epoch', saveStrategy: 'steps', loadBestModelAtEnd: true }),
    /loadBestModelAtEnd requires the save and eval strategy to match, but found evalStrategy 'epoch' and saveStrategy 'steps'/);
  assert.throws(() => new TrainingArguments({ evalStrategy: 'steps', evalSteps: 30, saveSteps: 100, loadBestModelAtEnd: true }),
    /saving steps to be a round multiple of the evaluation steps, but found 100, which is not a round multiple of 30/);
  assert.throws(() => new TrainingArguments({ evalStrategy: 'steps', evalSteps: 0.1, saveSteps: 100, loadBestModelAtEnd: true }), /mixing ratio and absolute steps/);
  new TrainingArguments({ evalStrategy: 'steps', evalSteps: 0.1, saveSteps: 0.2, loadBestModelAtEnd: true });
  new TrainingArguments({ evalStrategy: 'epoch', saveStrategy: 'best', loadBestModelAtEnd: true });
  assert.equal(new TrainingArguments({ metricForBestModel: 'eval_loss' }).greaterIsBetter, false);
  assert.throws(() => new TrainingArguments({ dataloaderPrefetch: 2 }), /dataloaderPrefetchFactor can only be set .* dataloaderNumWorkers > 0/);
});

test('checkEvalDataset (the Trainer\'s eval-without-data check)', () => {
  assert.throws(() => new TrainingArguments({ evalStrategy: 'epoch' }).checkEvalDataset(false), /evalStrategy to 'epoch' but you didn't pass an evalDataset/);
  new TrainingArguments({ evalStrategy: 'epoch' }).checkEvalDataset(true);
  new TrainingArguments().checkEvalDataset(false);
});

test('getWarmupSteps: steps win, ratio otherwise, float steps below 1 are a ratio', () => {
  assert.equal(new TrainingArguments({ warmupSteps: 10, warmupRatio: 0.5 }).getWarmupSteps(100), 10);
  assert.equal(new TrainingArguments({ warmupRatio: 0.1 }).getWarmupSteps(95), 10);
  assert.equal(new TrainingArguments({ warmupSteps: 0.05 }).getWarmupSteps(101), 6);
  assert.equal(new TrainingArguments().getWarmupSteps(100), 0);
});

test('the hub token never shows: toJSON, JSON.stringify, toString, inspect, saved file', () => {
  const a = new TrainingArguments({ outputDir: 'o', hubToken: 'hf_secretsecret', pushToHub: true });
  assert.equal(a.hubToken, 'hf_secretsecret');
  assert.equal(a.toSnakeCaseDict().hub_token, '<HUB_TOKEN>');
  for (const s of [JSON.stringify(a), a.toString(), inspect(a), a.toJsonString(), JSON.stringify({ ...a }), String(a)]) {
    assert.ok(!s.includes('hf_secret'), s.slice(0, 80));
  }
  assert.match(a.toString(), /^TrainingArguments\(\nadam_beta1=0.9,\nadam_beta2=0.999,\nadam_epsilon=1e-08,\n/);
  assert.match(a.toString(), /\nhub_token=<HUB_TOKEN>,\n/);
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-args-'));
  try {
    a.saveJson(join(dir, 'training_args.json'));
    const text = readFileSync(join(dir, 'training_args.json'), 'utf8');
    assert.ok(!text.includes('hf_secret'));
    assert.match(text, /^\{\n  "output_dir": "o",\n  "overwrite_output_dir": false,/);
    assert.match(text, /"learning_rate": 5e-05,/);
    assert.match(text, /"num_train_epochs": 3.0,/);
    assert.match(text, /"weight_decay": 0.0,/);
    assert.match(text, /"logging_steps": 500,/);
    // The saved form loads back; the masked token is not taken as a token.
    const b = TrainingArguments.fromObject(JSON.parse(text));
    assert.equal(b.hubToken, null);
    assert.deepEqual({ ...b.toSnakeCaseDict(), logging_dir: null }, { ...a.toSnakeCaseDict(), logging_dir: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
