import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { CallbackHandler, DefaultFlowCallback, TrainerControl } from './callbacks';
import { ProgressCallback, formatLogLine } from './progress';
import { TrainingArguments } from './training-args';
import { TrainerState } from './trainer-state';

class Capture extends Writable {
  chunks: string[] = [];
  isTTY?: boolean;
  columns = 100;
  constructor(tty: boolean) { super(); this.isTTY = tty; }
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.chunks.push(chunk.toString()); cb(); }
  text() { return this.chunks.join(''); }
  // readline.cursorTo/clearLine call these on TTY streams
  cursorTo(_x: number, _y?: number, cb?: () => void) { cb?.(); return true; }
  clearLine(_d: number, cb?: () => void) { cb?.(); return true; }
  moveCursor(_dx: number, _dy: number, cb?: () => void) { cb?.(); return true; }
}

async function run(stream: Capture, tty: boolean) {
  const args = new TrainingArguments({ loggingSteps: 2 });
  const state = new TrainerState({ maxSteps: 4, numTrainEpochs: 1 });
  let t = 0;
  const handler = new CallbackHandler([new DefaultFlowCallback(), new ProgressCallback({ stream, tty, now: () => (t += 500) })], { warn: () => {} });
  const control = new TrainerControl();
  await handler.onTrainBegin(args, state, control);
  for (let s = 1; s <= 4; s++) {
    state.globalStep = s;
    state.epoch = s / 4;
    await handler.onStepEnd(args, state, control);
    if (s % 2 === 0) await handler.onLog(args, state, control, { loss: s === 2 ? 0.6931 : 0.5, grad_norm: 1.0, learning_rate: s === 2 ? 4.5e-5 : 1e-5, epoch: state.epoch });
  }
  await handler.onLog(args, state, control, { train_runtime: 2.5, train_samples_per_second: 12.8, train_steps_per_second: 1.6, total_flos: 1234, train_loss: 0.59655, epoch: 1 });
  await handler.onTrainEnd(args, state, control);
}

test('off a TTY: one Python-dict line per log, total_flos dropped', async () => {
  const out = new Capture(false);
  await run(out, false);
  assert.equal(out.text(),
    "{'loss': 0.6931, 'grad_norm': 1.0, 'learning_rate': 4.5e-05, 'epoch': 0.5}\n" +
    "{'loss': 0.5, 'grad_norm': 1.0, 'learning_rate': 1e-05, 'epoch': 1.0}\n" +
    "{'train_runtime': 2.5, 'train_samples_per_second': 12.8, 'train_steps_per_second': 1.6, 'train_loss': 0.59655, 'epoch': 1.0}\n");
});

test('on a TTY: a live bar with epoch, steps, loss, lr, it/s and time left; logs still printed', async () => {
  const out = new Capture(true);
  await run(out, true);
  const text = out.text();
  assert.match(text, /epoch 1\.00\/1 \|.*\| 4\/4 steps \| loss 0\.5000 \| lr 1e-05 \| \d+\.\d+(it\/s|s\/it) \| \d\d:\d\d<\d\d:\d\d/);
  assert.match(text, /\{'loss': 0\.6931, 'grad_norm': 1\.0, 'learning_rate': 4\.5e-05, 'epoch': 0\.5\}/);
  assert.match(text, /'train_loss': 0\.59655/);
});

test('formatLogLine', () => {
  assert.equal(formatLogLine({ eval_loss: 0.25, eval_accuracy: 1, eval_runtime: 0.1, epoch: 2 }), "{'eval_loss': 0.25, 'eval_accuracy': 1.0, 'eval_runtime': 0.1, 'epoch': 2.0}");
});
