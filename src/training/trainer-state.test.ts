import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainerControl } from './callbacks';
import { TrainerState } from './trainer-state';

// Produced by CPython: json.dumps(asdict(state), indent=2, sort_keys=True) + "\n" (transformers' save_to_json).
const EXPECTED = '{\n  "best_global_step": 10,\n  "best_metric": 0.61,\n  "best_model_checkpoint": "out/checkpoint-10",\n  "epoch": 2.0,\n  "eval_steps": 10,\n  "global_step": 20,\n  "is_hyper_param_search": false,\n  "is_local_process_zero": true,\n  "is_world_process_zero": true,\n  "log_history": [\n    {\n      "epoch": 0.5,\n      "grad_norm": 1.25,\n      "learning_rate": 4.5e-05,\n      "loss": 0.6931,\n      "step": 5\n    },\n    {\n      "epoch": 1.0,\n      "eval_accuracy": 0.75,\n      "eval_loss": 0.61,\n      "eval_runtime": 0.5,\n      "eval_samples_per_second": 40.0,\n      "eval_steps_per_second": 10.0,\n      "step": 10\n    }\n  ],\n  "logging_steps": 5,\n  "max_steps": 30,\n  "num_input_tokens_seen": 0,\n  "num_train_epochs": 3,\n  "save_steps": 10,\n  "stateful_callbacks": {\n    "TrainerControl": {\n      "args": {\n        "should_epoch_stop": false,\n        "should_evaluate": false,\n        "should_log": false,\n        "should_save": true,\n        "should_training_stop": false\n      },\n      "attributes": {}\n    }\n  },\n  "total_flos": 12345.0,\n  "train_batch_size": 8,\n  "trial_name": null,\n  "trial_params": null\n}\n';

function sample(): TrainerState {
  const s = new TrainerState({
    epoch: 2, globalStep: 20, maxSteps: 30, loggingSteps: 5, evalSteps: 10, saveSteps: 10, trainBatchSize: 8, numTrainEpochs: 3,
    totalFlos: 12345, bestMetric: 0.61, bestGlobalStep: 10, bestModelCheckpoint: 'out/checkpoint-10',
    logHistory: [
      { loss: 0.6931, grad_norm: 1.25, learning_rate: 4.5e-5, epoch: 0.5, step: 5 },
      { eval_loss: 0.61, eval_accuracy: 0.75, eval_runtime: 0.5, eval_samples_per_second: 40, eval_steps_per_second: 10, epoch: 1, step: 10 },
    ],
  });
  s.setStatefulCallbacks([new TrainerControl({ shouldSave: true })]);
  return s;
}

test('trainer_state.json is byte-identical to transformers\' save_to_json', () => {
  assert.equal(sample().toJsonString(), EXPECTED);
});

test('save/load round-trips and re-saves identically; Python-written files load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-state-'));
  try {
    const p = join(dir, 'trainer_state.json');
    sample().save(p);
    assert.equal(readFileSync(p, 'utf8'), EXPECTED);
    const s = TrainerState.load(p);
    assert.equal(s.globalStep, 20);
    assert.equal(s.bestModelCheckpoint, 'out/checkpoint-10');
    assert.equal(s.toJsonString(), EXPECTED);
    // An older transformers file (epoch null, no newer keys) loads with defaults.
    writeFileSync(p, JSON.stringify({ epoch: null, global_step: 0, max_steps: 0, log_history: [], total_flos: 0, best_metric: null, best_model_checkpoint: null, is_local_process_zero: true, is_world_process_zero: true, is_hyper_param_search: false, trial_name: null, trial_params: null }));
    assert.equal(TrainerState.load(p).epoch, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt or missing trainer_state.json gives an error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-state-'));
  try {
    const p = join(dir, 'trainer_state.json');
    writeFileSync(p, '{"global_step": 3, "log_hist');
    assert.throws(() => TrainerState.load(p), (e: Error) => e.message.includes(p) && /not valid JSON/.test(e.message));
    writeFileSync(p, '{"global_step": "three"}');
    assert.throws(() => TrainerState.load(p), /trainer_state\.json is corrupt: 'global_step' should be a number/);
    writeFileSync(p, '{"global_stp": 3}');
    assert.throws(() => TrainerState.load(p), /unknown key 'global_stp'/);
    writeFileSync(p, '[1]');
    assert.throws(() => TrainerState.load(p), /expected a JSON object/);
    assert.throws(() => TrainerState.load(join(dir, 'nope.json')), /cannot read trainer state .*nope\.json \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('computeSteps turns ratios into step counts (rounded up) like compute_steps', () => {
  const s = new TrainerState();
  s.computeSteps({ loggingSteps: 0.1, evalSteps: null, saveSteps: 0.25 }, 95);
  assert.deepEqual([s.loggingSteps, s.evalSteps, s.saveSteps], [10, 500, 24]);
});
