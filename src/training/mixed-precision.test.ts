// The Trainer's bf16/fp16 and gradient checkpointing options, as transformers' Trainer uses them:
// bf16 trains under CPU autocast with float32 master weights and optimizer state, checkpoints
// resume bit for bit in every mode, fp16 needs CUDA, an overflowed fp16 step is skipped and logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments, setSeed } from './index';
import { optimizerStep, skippedStepMessage, saveScaler, loadScaler } from './mixed-precision';
import { GradScaler, optim, tensor, isAutocastEnabled, getAutocastDtype, type Tensor } from '../torch/index';
import { LRScheduler } from '../torch/lr-scheduler';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const tmp = () => mkdtempSync(join(tmpdir(), 'hubtune-amp-'));

function weights(model: { stateDict(): Map<string, Tensor> }): Map<string, Buffer> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, Buffer.from(t.toTypedArray().buffer as ArrayBuffer)]));
}
const same = (a: Map<string, Buffer>, b: Map<string, Buffer>) => a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v));
const losses = (t: Trainer) => t.state.logHistory.filter((e) => 'loss' in e).map((e) => [e.step, e.loss]);

function trainer(outputDir: string, extra: Record<string, unknown> = {}, seed = 0) {
  setSeed(0);
  const model = tinyRoberta({ seed });
  return new Trainer({
    model,
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 8, learningRate: 1e-3, maxSteps: 6, loggingSteps: 2, saveSteps: 3, seed: 7, disableTqdm: true, ...extra }),
    trainDataset: tinyTextDataset(40, { seed: 1 }),
    evalDataset: tinyTextDataset(12, { seed: 2 }),
    dataCollator: padCollator,
  });
}

test('bf16: the forward runs under CPU autocast, weights, gradients and AdamW state stay float32, eval too', async () => {
  const t = trainer(tmp(), { bf16: true });
  assert.deepEqual({ backend: t.mixedPrecision.backend, dtype: t.mixedPrecision.dtype, scaler: t.mixedPrecision.scaler }, { backend: 'cpu_amp', dtype: 'bfloat16', scaler: null });
  const seen: string[] = [];
  const model = t.model as unknown as { forward: (b: Record<string, unknown>) => { logits: Tensor } };
  const fwd = model.forward.bind(model);
  model.forward = (b) => { const out = fwd(b); seen.push(`${isAutocastEnabled('cpu')}:${getAutocastDtype('cpu')}:${out.logits.dtype}`); return out; };
  const out = await t.train();
  assert.ok(Number.isFinite(out.trainingLoss));
  assert.ok(seen.length >= 6 && seen.every((s) => s === 'true:bfloat16:bfloat16'), seen.join(' '));
  for (const [n, p] of t.model.namedParameters()) assert.equal(p.dtype, 'float32', n);
  for (const st of t.optimizer!.state.values()) for (const v of Object.values(st)) if (typeof v !== 'number') assert.equal(v.dtype, 'float32');
  seen.length = 0;
  const ev = await t.evaluate();
  assert.ok(Number.isFinite(ev.eval_loss!));
  assert.ok(seen.length > 0 && seen.every((s) => s.startsWith('true:bfloat16')), 'evaluation under autocast too');
  assert.equal(isAutocastEnabled('cpu'), false, 'nothing left enabled');
});

test('checkpoints resume bit for bit under bf16 + gradient checkpointing (and match a run without checkpointing)', async () => {
  const args = { bf16: true, gradientCheckpointing: true, gradientCheckpointingKwargs: { use_reentrant: false } };
  const a = trainer(tmp(), args);
  await a.train();
  assert.equal((a.model as unknown as { isGradientCheckpointing: boolean }).isGradientCheckpointing, true);
  const plain = trainer(tmp(), { bf16: true });
  await plain.train();
  assert.deepEqual(losses(plain), losses(a), 'gradient checkpointing changes nothing');
  assert.ok(same(weights(plain.model as never), weights(a.model as never)));
  const dir = tmp();
  cpSync(join(a.args.outputDir, 'checkpoint-3'), join(dir, 'checkpoint-3'), { recursive: true });
  const c = trainer(dir, args, 99);
  await c.train({ resumeFromCheckpoint: true });
  assert.ok(same(weights(a.model as never), weights(c.model as never)), 'resumed weights differ');
  assert.deepEqual(losses(c), losses(a));
  assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint-6', 'training_args.json'), 'utf8')).bf16, true);
  assert.ok(!existsSync(join(dir, 'checkpoint-6', 'scaler.json')), 'bf16 needs no loss scaler');
});

test('bf16FullEval casts the model to bfloat16 for evaluation outside training, as transformers does', async () => {
  const t = trainer(tmp(), { bf16FullEval: true });
  const ev = await t.evaluate();
  assert.ok(Number.isFinite(ev.eval_loss!));
  assert.ok(t.model.parameters().every((p) => p.dtype === 'bfloat16'));
  const pred = await t.predict(tinyTextDataset(5, { seed: 3 }));
  assert.deepEqual(pred.predictionsShape, [5, 2]);
});

test('fp16 without CUDA, apex, both precisions: one-line errors that say what to do', () => {
  assert.throws(() => new TrainingArguments({ fp16: true, device: 'cpu' }), /can only be used on CUDA devices.*use bf16 instead/);
  assert.throws(() => trainer(tmp(), { fp16: true }), /can only be used on CUDA devices.*use bf16 instead/);
  assert.throws(() => trainer(tmp(), { fp16FullEval: true }), /can only be used on CUDA devices/);
  assert.throws(() => new TrainingArguments({ fp16: true, bf16: true }), /At most one of fp16 and bf16/);
  assert.throws(() => new TrainingArguments({ halfPrecisionBackend: 'apex', bf16: true }), /'apex'.*not available in hubtune/);
  assert.throws(() => trainer(tmp(), { bf16: true, halfPrecisionBackend: 'cuda_amp' }), /'cuda_amp' needs CUDA/);
  assert.throws(() => trainer(tmp(), { tf32: true }), /tf32 requires an Ampere/);
  assert.throws(() => new TrainingArguments({ half_precision_backend: 'fast' } as never), /must be one of 'auto', 'cuda_amp', 'cpu_amp', 'apex'/);
  const a = TrainingArguments.fromObject({ bf16: 'true', gradient_checkpointing: 'true', gradient_checkpointing_kwargs: '{"use_reentrant": false}', tf32: 'false' });
  assert.deepEqual([a.bf16, a.gradientCheckpointing, a.gradientCheckpointingKwargs, a.tf32], [true, true, { use_reentrant: false }, false]);
});

test('fp16 loss scaling in the training loop: an overflowed step is skipped (schedule held), logged, then training goes on', () => {
  const p = tensor([1, -1], { dtype: 'float32' }).requiresGrad_(true);
  const opt = new optim.AdamW([p], { lr: 0.1 });
  const sched = LRScheduler.fromSchedule({ name: 'linear', numWarmupSteps: 0, numTrainingSteps: 10, baseLr: 0.1, setLr: (i, lr) => { opt.paramGroups[i]!.lr = lr; } });
  const scaler = new GradScaler({ initScale: 256 });
  p.grad = tensor([Infinity, 1]);
  const r = optimizerStep({ optimizer: opt, scheduler: sched, params: [p], maxGradNorm: 1, scaler });
  assert.equal(r.stepped, false);
  assert.deepEqual(p.toArray(), [1, -1], 'weights untouched');
  assert.equal(sched.getLastLr()[0], 0.1, 'the schedule did not advance');
  assert.equal(skippedStepMessage(5, r), 'fp16: inf/NaN gradients at step 5: optimizer step skipped, loss scale 256 -> 128');
  scaler.scale(p.sum()).backward();
  assert.deepEqual(p.grad!.toArray(), [128, 128]);
  const r2 = optimizerStep({ optimizer: opt, scheduler: sched, params: [p], maxGradNorm: 1, scaler });
  assert.equal(r2.stepped, true);
  assert.ok(Math.abs(r2.gradNorm! - Math.SQRT2) < 1e-6, 'clipped on the unscaled gradients');
  assert.notDeepEqual(p.toArray(), [1, -1]);
  assert.ok(sched.getLastLr()[0]! < 0.1);
  const dir = tmp();
  saveScaler(dir, scaler);
  const back = new GradScaler();
  loadScaler(dir, back);
  assert.deepEqual(back.stateDict(), scaler.stateDict());
});
