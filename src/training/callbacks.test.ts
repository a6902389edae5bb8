import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallbackHandler, DefaultFlowCallback, EarlyStoppingCallback, JsonlLogCallback, TrainerControl, type TrainerCallback } from './callbacks';
import { TrainingArguments, type TrainingArgumentsInit } from './training-args';
import { TrainerState } from './trainer-state';

const quiet = { warn: () => {} };

/** Runs the step/epoch part of transformers' training loop and records which steps log/evaluate/save. */
async function simulate(init: TrainingArgumentsInit, stepsPerEpoch: number, epochs: number) {
  const args = new TrainingArguments({ outputDir: 'unused', ...init });
  const state = new TrainerState();
  const maxSteps = args.maxSteps > 0 ? args.maxSteps : stepsPerEpoch * epochs;
  state.maxSteps = maxSteps;
  state.computeSteps(args, maxSteps);
  const handler = new CallbackHandler([DefaultFlowCallback], quiet);
  let control = new TrainerControl();
  const seen = { log: [] as number[], evaluate: [] as number[], save: [] as number[] };
  const record = (c: TrainerControl) => {
    if (c.shouldLog) seen.log.push(state.globalStep);
    if (c.shouldEvaluate) seen.evaluate.push(state.globalStep);
    if (c.shouldSave) seen.save.push(state.globalStep);
    c.shouldLog = c.shouldEvaluate = c.shouldSave = false;
  };
  control = await handler.onTrainBegin(args, state, control);
  outer: for (let e = 0; e < epochs; e++) {
    control = await handler.onEpochBegin(args, state, control);
    for (let s = 0; s < stepsPerEpoch; s++) {
      control = await handler.onStepBegin(args, state, control);
      state.globalStep += 1;
      state.epoch = e + (s + 1) / stepsPerEpoch;
      control = await handler.onStepEnd(args, state, control);
      record(control);
      if (control.shouldEpochStop || control.shouldTrainingStop) break;
    }
    control = await handler.onEpochEnd(args, state, control);
    record(control);
    if (control.shouldTrainingStop) break outer;
  }
  return seen;
}

test('DefaultFlowCallback: step strategies, first step, the final step save', async () => {
  const seen = await simulate({ loggingSteps: 4, loggingFirstStep: true, evalStrategy: 'steps', evalSteps: 5, saveSteps: 6 }, 5, 2);
  assert.deepEqual(seen.log, [1, 4, 8]);
  assert.deepEqual(seen.evaluate, [5, 10]);
  assert.deepEqual(seen.save, [6, 10]);
});

test('DefaultFlowCallback: epoch strategies, evalDelay, ratio logging steps, maxSteps stop', async () => {
  const seen = await simulate({ loggingStrategy: 'epoch', evalStrategy: 'epoch', saveStrategy: 'epoch', evalDelay: 2 }, 3, 3);
  assert.deepEqual(seen.log, [3, 6, 9]);
  assert.deepEqual(seen.evaluate, [6, 9]);
  assert.deepEqual(seen.save, [3, 6, 9]);
  const r = await simulate({ loggingSteps: 0.25, saveStrategy: 'no', maxSteps: 8 }, 5, 3);
  assert.deepEqual(r.log, [2, 4, 6, 8]);
  assert.deepEqual(r.save, []);
  const d = await simulate({ evalStrategy: 'steps', evalSteps: 2, evalDelay: 5 }, 10, 1);
  assert.deepEqual(d.evaluate, [6, 8, 10]);
});

test('CallbackHandler: order, returned controls, resets, add/pop/remove, warnings', async () => {
  const calls: string[] = [];
  const warnings: string[] = [];
  class A implements TrainerCallback {
    onLog(_a: unknown, _s: unknown, _c: unknown, extras: { logs?: unknown }) { calls.push(`A ${JSON.stringify(extras.logs)}`); }
    async onStepEnd() { calls.push('A step'); return new TrainerControl({ shouldEpochStop: true }); }
  }
  const b: TrainerCallback = { onStepEnd: (_a, _s, control) => { calls.push(`b ${control.shouldEpochStop}`); } };
  const handler = new CallbackHandler([A, b], { warn: (m) => warnings.push(m), model: 'M' });
  assert.match(warnings[0], /without a DefaultFlowCallback/);
  handler.addCallback(A);
  assert.match(warnings[1], /already one/);
  handler.removeCallback(A);
  assert.equal(handler.callbackList, 'Object, A');
  const args = new TrainingArguments();
  const state = new TrainerState();
  const control = await handler.onStepEnd(args, state, new TrainerControl());
  assert.equal(control.shouldEpochStop, true);
  assert.deepEqual(calls, ['b false', 'A step']);
  control.shouldLog = true;
  await handler.onLog(args, state, control, { loss: 1 });
  assert.equal(control.shouldLog, false);
  assert.equal(calls[2], 'A {"loss":1}');
  assert.ok(handler.popCallback(b) === b);
});

test('EarlyStoppingCallback: patience, threshold, greater/lower is better, checks', () => {
  const args = new TrainingArguments({ evalStrategy: 'epoch', saveStrategy: 'epoch', loadBestModelAtEnd: true, metricForBestModel: 'accuracy' });
  const state = new TrainerState();
  const cb = new EarlyStoppingCallback({ earlyStoppingPatience: 2, earlyStoppingThreshold: 0.01, warn: () => {} });
  cb.onTrainBegin(args);
  const control = new TrainerControl();
  const evaluate = (acc: number) => {
    cb.onEvaluate(args, state, control, { metrics: { eval_accuracy: acc } });
    if (state.bestMetric === null || acc > state.bestMetric) state.bestMetric = acc; // what the Trainer does
  };
  evaluate(0.8);
  assert.equal(cb.earlyStoppingPatienceCounter, 0);
  evaluate(0.805); // improvement below the threshold
  assert.equal(cb.earlyStoppingPatienceCounter, 1);
  evaluate(0.9);
  assert.equal(cb.earlyStoppingPatienceCounter, 0);
  evaluate(0.85);
  evaluate(0.9);
  assert.equal(control.shouldTrainingStop, true);
  assert.deepEqual(cb.state(), { args: { early_stopping_patience: 2, early_stopping_threshold: 0.01 }, attributes: { early_stopping_patience_counter: 2 } });
  assert.equal(EarlyStoppingCallback.fromState(cb.state()).earlyStoppingPatienceCounter, 2);
  assert.throws(() => cb.onTrainBegin(new TrainingArguments()), /requires metricForBestModel/);
  assert.throws(() => cb.onTrainBegin(new TrainingArguments({ metricForBestModel: 'loss' })), /requires evalStrategy 'steps' or 'epoch'/);
  assert.throws(() => new EarlyStoppingCallback({ earlyStoppingPatience: 0 }), /earlyStoppingPatience must be an integer of 1 or more/);
  // lower is better for loss
  const lossArgs = new TrainingArguments({ evalStrategy: 'epoch', saveStrategy: 'epoch', loadBestModelAtEnd: true });
  const s2 = new TrainerState({ bestMetric: 0.5 });
  const cb2 = new EarlyStoppingCallback();
  const c2 = new TrainerControl();
  cb2.onEvaluate(lossArgs, s2, c2, { metrics: { eval_loss: 0.4 } });
  assert.equal(c2.shouldTrainingStop, false);
  cb2.onEvaluate(lossArgs, s2, c2, { metrics: { eval_loss: 0.6 } });
  assert.equal(c2.shouldTrainingStop, true);
});

test('JsonlLogCallback appends one JSON object per log and trims on resume', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-jsonl-'));
  try {
    const args = new TrainingArguments({ outputDir: join(dir, 'run') });
    const state = new TrainerState();
    const handler = new CallbackHandler([new DefaultFlowCallback(), new JsonlLogCallback()], quiet);
    const control = new TrainerControl();
    await handler.onTrainBegin(args, state, control);
    for (const [step, loss] of [[10, 0.6931], [20, 0.5]] as const) {
      state.globalStep = step;
      state.epoch = step / 30;
      await handler.onLog(args, state, control, { loss, learning_rate: 4.5e-5, epoch: Math.round(state.epoch * 100) / 100 });
    }
    const p = join(dir, 'run', 'log_history.jsonl');
    assert.equal(readFileSync(p, 'utf8'),
      '{"loss": 0.6931, "learning_rate": 4.5e-05, "epoch": 0.33, "step": 10}\n{"loss": 0.5, "learning_rate": 4.5e-05, "epoch": 0.67, "step": 20}\n');
    appendFileSync(p, '{"loss": 0.4, "ste'); // torn line from a crash
    const resumed = new TrainerState({ globalStep: 10 });
    await handler.onTrainBegin(args, resumed, control);
    assert.equal(readFileSync(p, 'utf8'), '{"loss": 0.6931, "learning_rate": 4.5e-05, "epoch": 0.33, "step": 10}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
