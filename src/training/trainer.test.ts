// Trainer with tiny models: train/evaluate/predict/save, determinism, resume, checkpoints, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments, EarlyStoppingCallback, getLastCheckpoint, argmax, TrainingDivergedError, CheckpointError, setSeed } from './index';
import { loadMetric } from '../metrics/index';
import { loadSafetensors, type Tensor } from '../torch/index';
import { RobertaForSequenceClassification } from '../models/index';
import { tinyRoberta, tinyVit, tinyTextDataset, tinyImageDataset, padCollator } from '../../test/support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const tmp = () => mkdtempSync(join(tmpdir(), 'hubtune-trainer-'));
const quiet = { disableTqdm: true };
const accuracy = loadMetric('accuracy');
const computeMetrics = (p: { predictions: number[][]; labelIds: number[] }) => accuracy.compute({ predictions: argmax(p.predictions), references: p.labelIds }) as Record<string, number>;

function weights(model: { stateDict(): Map<string, Tensor> }): Map<string, Buffer> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, Buffer.from((t.toTypedArray() as Float32Array).buffer)]));
}
function sameWeights(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}
const losses = (t: Trainer) => t.state.logHistory.filter((e) => 'loss' in e).map((e) => [e.step, e.loss]);

function textTrainer(outputDir: string, extra: Record<string, unknown> = {}, o: { seed?: number; n?: number; callbacks?: any[] } = {}) {
  setSeed(0);
  const model = tinyRoberta({ seed: o.seed ?? 0 });
  return new Trainer({
    model,
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 8, learningRate: 1e-3, maxSteps: 8, loggingSteps: 2, saveSteps: 4, seed: 7, ...quiet, ...extra }),
    trainDataset: tinyTextDataset(o.n ?? 40, { seed: 1 }),
    evalDataset: tinyTextDataset(12, { seed: 2 }),
    computeMetrics: computeMetrics as never,
    dataCollator: padCollator,
    callbacks: o.callbacks,
  });
}

test('trains a tiny model end to end: metrics, log history, checkpoints, saveModel loadable', async () => {
  const dir = tmp();
  const trainer = textTrainer(dir, { evalStrategy: 'steps', evalSteps: 4, weightDecay: 0.01 });
  const out = await trainer.train();
  assert.equal(out.globalStep, 8);
  for (const k of ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'train_loss', 'epoch', 'total_flos']) assert.ok(k in out.metrics, k);
  assert.ok(Number.isFinite(out.trainingLoss) && out.trainingLoss > 0);
  assert.equal(out.metrics.train_loss, out.trainingLoss);
  assert.equal(losses(trainer).length, 4);
  const evals = trainer.state.logHistory.filter((e) => 'eval_loss' in e);
  assert.equal(evals.length, 2);
  assert.deepEqual(Object.keys(evals[0]!), ['eval_loss', 'eval_accuracy', 'eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second', 'epoch', 'step']);
  // weight decay in parameter groups: none on biases and LayerNorm weights
  const groups = trainer.optimizer!.paramGroups;
  assert.equal(groups[0]!.weightDecay, 0.01);
  assert.equal(groups[1]!.weightDecay, 0);
  assert.ok(groups[1]!.params.length > 0);
  for (const step of [4, 8]) {
    const ck = join(dir, `checkpoint-${step}`);
    for (const f of ['model.safetensors', 'config.json', 'optimizer.safetensors', 'optimizer.json', 'scheduler.json', 'rng_state.json', 'trainer_state.json', 'training_args.json']) {
      assert.ok(existsSync(join(ck, f)), `${ck}/${f}`);
    }
  }
  const st = JSON.parse(readFileSync(join(dir, 'checkpoint-8', 'trainer_state.json'), 'utf8'));
  assert.equal(st.global_step, 8);
  assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint-8', 'training_args.json'), 'utf8')).hub_token, '<HUB_TOKEN>');
  assert.ok(existsSync(join(dir, 'log_history.jsonl')));
  // evaluate / predict
  const ev = await trainer.evaluate();
  for (const k of ['eval_loss', 'eval_accuracy', 'eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second', 'epoch']) assert.ok(k in ev, k);
  const pred = await trainer.predict(tinyTextDataset(10, { seed: 3 }));
  assert.deepEqual(pred.predictionsShape, [10, 2]);
  assert.equal(pred.predictions.length, 10);
  assert.equal(pred.labelIds.length, 10);
  assert.ok('test_loss' in pred.metrics && 'test_accuracy' in pred.metrics);
  // saveModel: loadable by fromPretrained with identical weights
  const saved = join(dir, 'final');
  await trainer.saveModel(saved);
  const re = await RobertaForSequenceClassification.fromPretrained(saved, { quiet: true } as never);
  assert.ok(sameWeights(weights(re as never), weights(trainer.model as never)));
  const lines = trainer.logMetrics('train', out.metrics, { print: false });
  assert.equal(lines[0], '***** train metrics *****');
  trainer.saveMetrics('train', out.metrics);
  trainer.saveState();
  assert.ok(existsSync(join(dir, 'train_results.json')) && existsSync(join(dir, 'all_results.json')) && existsSync(join(dir, 'trainer_state.json')));
});

test('same seed, same loss curve and weights bit for bit; resume from a checkpoint reproduces the uninterrupted run', async () => {
  const a = textTrainer(tmp(), { gradientAccumulationSteps: 2, maxGradNorm: 0.5 });
  await a.train();
  const b = textTrainer(tmp(), { gradientAccumulationSteps: 2, maxGradNorm: 0.5 });
  await b.train();
  assert.deepEqual(losses(a), losses(b));
  assert.ok(sameWeights(weights(a.model as never), weights(b.model as never)));
  // resume from checkpoint-4 of run b in a fresh trainer (fresh model with another init)
  const dir = tmp();
  cpSync(join(b.args.outputDir, 'checkpoint-4'), join(dir, 'checkpoint-4'), { recursive: true });
  const c = textTrainer(dir, { gradientAccumulationSteps: 2, maxGradNorm: 0.5 }, { seed: 99 });
  const out = await c.train({ resumeFromCheckpoint: true });
  assert.equal(out.globalStep, 8);
  assert.ok(sameWeights(weights(a.model as never), weights(c.model as never)), 'resumed weights differ');
  assert.deepEqual(losses(c), losses(a));
  assert.equal(out.trainingLoss, a.state.logHistory.at(-1)!.train_loss);
});

test('a different seed changes the curve; dataSeed changes only the data order', async () => {
  const a = textTrainer(tmp());
  await a.train();
  const b = textTrainer(tmp(), { dataSeed: 123 });
  await b.train();
  assert.notDeepEqual(losses(a), losses(b));
});

test('removeUnusedColumns drops columns forward does not take; an all-unused dataset is an error', async () => {
  const ds = tinyTextDataset(8).addColumn({ name: 'idx', column: [0, 1, 2, 3, 4, 5, 6, 7] });
  const t = new Trainer({ model: tinyRoberta(), args: { outputDir: tmp(), ...quiet }, trainDataset: ds });
  assert.deepEqual(t.trainDataset!.columnNames!.sort(), ['attention_mask', 'input_ids', 'label']);
  const t2 = new Trainer({ model: tinyRoberta(), args: { outputDir: tmp(), removeUnusedColumns: false, ...quiet }, trainDataset: ds });
  assert.ok(t2.trainDataset!.columnNames!.includes('idx'));
  const bad = ds.removeColumns(['input_ids', 'attention_mask', 'label']);
  assert.throws(() => new Trainer({ model: tinyRoberta(), args: { outputDir: tmp(), ...quiet }, trainDataset: bad }), /No columns in the training dataset match/);
});

test('image model: train with a custom collator, predict logits', async () => {
  const { tensor, stack } = await import('../torch/index');
  const collate = (rows: any[]) => ({
    pixel_values: stack(rows.map((r) => tensor(r.pixel_values))),
    labels: tensor(rows.map((r) => r.label), { dtype: 'int64' }),
  });
  const t = new Trainer({
    model: tinyVit(), dataCollator: collate,
    args: { outputDir: tmp(), perDeviceTrainBatchSize: 6, numTrainEpochs: 2, loggingSteps: 1, learningRate: 2e-3, removeUnusedColumns: false, saveStrategy: 'no', ...quiet },
    trainDataset: tinyImageDataset(18), evalDataset: tinyImageDataset(9, { seed: 5 }), computeMetrics: computeMetrics as never,
  });
  const out = await t.train();
  assert.equal(out.globalStep, 6);
  assert.equal(out.metrics.epoch, 2);
  const ev = await t.evaluate();
  assert.ok(ev.eval_accuracy !== undefined);
});

test('bad input: labels outside numLabels, empty dataset, batch size 0, NaN losses', async () => {
  const ds = tinyTextDataset(8);
  const bad = ds.map((r: any) => ({ label: r.label + 5 }) as never);
  const t = new Trainer({ model: tinyRoberta(), args: { outputDir: tmp(), maxSteps: 2, ...quiet }, trainDataset: await bad, dataCollator: padCollator });
  await assert.rejects(t.train(), /label [56] \(dataset row \d+\) is outside the model's 2 labels 0\.\.1/);
  const empty = new Trainer({ model: tinyRoberta(), args: { outputDir: tmp(), ...quiet }, trainDataset: ds.select([]), dataCollator: padCollator });
  await assert.rejects(empty.train(), /training dataset is empty/);
  assert.throws(() => new TrainingArguments({ perDeviceTrainBatchSize: 0 }), /perDeviceTrainBatchSize must be a positive integer/);

  const nanImages = (await tinyImageDataset(12).map(() => ({ pixel_values: Array.from({ length: 3 }, () => Array.from({ length: 32 }, () => new Array(32).fill(NaN))) }) as never));
  const nanTrainer = (filter: boolean) => new Trainer({
    model: tinyVit(), args: { outputDir: tmp(), perDeviceTrainBatchSize: 2, maxSteps: 20, loggingNanInfFilter: filter, saveStrategy: 'no', ...quiet },
    trainDataset: nanImages, maxNonFiniteSteps: 3,
  });
  await assert.rejects(nanTrainer(false).train(), (e: Error) => e instanceof TrainingDivergedError && /loss is NaN at global step 1 \(epoch 0, batch 0\)/.test(e.message));
  await assert.rejects(nanTrainer(true).train(), (e: Error) => e instanceof TrainingDivergedError && /NaN or infinite for 3 steps in a row, the last at global step 3/.test(e.message));
});

test('checkpoint from another model or corrupt: clear error, nothing overwritten', async () => {
  const a = textTrainer(tmp(), { maxSteps: 4 });
  await a.train();
  const ck = join(a.args.outputDir, 'checkpoint-4');
  const vit = new Trainer({ model: tinyVit(), args: { outputDir: tmp(), ...quiet }, trainDataset: tinyImageDataset(6), dataCollator: (() => ({})) as never });
  await assert.rejects(vit.train({ resumeFromCheckpoint: ck }), (e: Error) => e instanceof CheckpointError && /holds a 'roberta' model, but the Trainer's model is 'vit'/.test(e.message));
  const bigger = new Trainer({ model: tinyRoberta({ numLabels: 3 }), args: { outputDir: tmp(), ...quiet }, trainDataset: tinyTextDataset(8), dataCollator: padCollator });
  const before = weights(bigger.model as never);
  await assert.rejects(bigger.train({ resumeFromCheckpoint: ck }), /is from a different model: shape of classifier\.out_proj\.(weight|bias)/);
  assert.ok(sameWeights(before, weights(bigger.model as never)), 'weights changed by a failed resume');
  const corrupt = join(tmp(), 'checkpoint-4');
  cpSync(ck, corrupt, { recursive: true });
  writeFileSync(join(corrupt, 'model.safetensors'), readFileSync(join(ck, 'model.safetensors')).subarray(0, 100));
  const c = textTrainer(tmp());
  await assert.rejects(c.train({ resumeFromCheckpoint: corrupt }), /cannot load .*model\.safetensors.*corrupt/);
  await assert.rejects(textTrainer(tmp()).train({ resumeFromCheckpoint: true }), /No valid checkpoint found/);
});

test('a save that fails (disk full) leaves no checkpoint folder; the latest stays the previous one', async () => {
  class FullDiskTrainer extends Trainer {
    saves = 0;
    protected override async writeCheckpointFiles(dir: string): Promise<void> {
      if (++this.saves === 2) {
        writeFileSync(join(dir, 'model.safetensors'), 'partial');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return super.writeCheckpointFiles(dir);
    }
  }
  const dir = tmp();
  const t = new FullDiskTrainer({ model: tinyRoberta(), args: { outputDir: dir, maxSteps: 6, saveSteps: 2, perDeviceTrainBatchSize: 4, ...quiet }, trainDataset: tinyTextDataset(24), dataCollator: padCollator });
  await assert.rejects(t.train(), /saving checkpoint-4 failed \(ENOSPC.*free disk space, and training can resume from .*checkpoint-2/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('checkpoint')), ['checkpoint-2']);
  assert.equal(getLastCheckpoint(dir), join(dir, 'checkpoint-2'));
  // a leftover temp folder from a killed save is never the latest
  cpSync(join(dir, 'checkpoint-2'), join(dir, 'checkpoint-9.tmp-999999'), { recursive: true });
  assert.equal(getLastCheckpoint(dir), join(dir, 'checkpoint-2'));
});

test('saveTotalLimit keeps the newest and the best; loadBestModelAtEnd restores the best weights; early stopping', async () => {
  const dir = tmp();
  const t = textTrainer(dir, { maxSteps: 10, evalStrategy: 'steps', evalSteps: 2, saveSteps: 2, saveTotalLimit: 2, loadBestModelAtEnd: true, metricForBestModel: 'loss', learningRate: 5e-3 });
  await t.train();
  const best = t.state.bestModelCheckpoint!;
  assert.ok(best);
  const kept = readdirSync(dir).filter((n) => n.startsWith('checkpoint-')).sort();
  assert.ok(kept.includes(best.split('/').pop()!), `best ${best} kept (${kept})`);
  assert.ok(kept.includes('checkpoint-10'));
  assert.ok(kept.length <= 3);
  const bestWeights = loadSafetensors(join(best, 'model.safetensors')).tensors;
  const cur = (t.model as any).stateDict() as Map<string, Tensor>;
  for (const [k, v] of bestWeights) assert.ok(cur.get(k)!.equal(v), k);
  const evalLosses = t.state.logHistory.filter((e) => 'eval_loss' in e).map((e) => e.eval_loss as number);
  assert.equal(t.state.bestMetric, Math.min(...evalLosses));

  const es = new EarlyStoppingCallback({ earlyStoppingPatience: 1, earlyStoppingThreshold: 100, warn: () => {} });
  const s = textTrainer(tmp(), { maxSteps: 20, evalStrategy: 'steps', evalSteps: 2, saveSteps: 2, loadBestModelAtEnd: true }, { callbacks: [es] });
  const out = await s.train();
  assert.equal(out.globalStep, 4, 'stopped after the second evaluation without improvement');
});

test('logging_nan_inf_filter-free logs, epoch strategy, groupByLength and dropLast run', async () => {
  const t = textTrainer(tmp(), { maxSteps: -1, numTrainEpochs: 2, loggingStrategy: 'epoch', saveStrategy: 'epoch', evalStrategy: 'epoch', groupByLength: true, dataloaderDropLast: true }, { n: 18 });
  const out = await t.train();
  assert.equal(out.globalStep, 8); // 18 rows / 4 = 4 full batches per epoch
  assert.deepEqual(losses(t).map(([s]) => s), [4, 8]);
  assert.ok(existsSync(join(t.args.outputDir, 'checkpoint-4')) && existsSync(join(t.args.outputDir, 'checkpoint-8')));
  rmSync(t.args.outputDir, { recursive: true, force: true });
});
