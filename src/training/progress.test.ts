import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { CallbackHandler, DefaultFlowCallback, TrainerControl } from './callbacks';
import { LiveDisplay, ProgressCallback, fitBar, formatLogLine } from './progress';
import { TrainingArguments } from './training-args';
import { TrainerState } from './trainer-state';

class Capture extends Writable {
  chunks: string[] = [];
  isTTY?: boolean;
  columns: number;
  constructor(tty: boolean, columns = 100) { super(); this.isTTY = tty; this.columns = columns; }
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.chunks.push(chunk.toString()); cb(); }
  text() { return this.chunks.join(''); }
}

/** What a terminal shows: plays the output (CR, LF, cursor up, clear to end of screen; autowrap at `cols`). */
function screen(text: string, cols: number): string[] {
  const rows: string[] = [''];
  let r = 0, c = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(text.slice(i))!;
      if (m[2] === 'A') r = Math.max(0, r - Number(m[1] || 1));
      else if (m[2] === 'J') { rows[r] = rows[r]!.slice(0, c); rows.length = r + 1; }
      else if (m[2] === 'K') rows[r] = rows[r]!.slice(0, c);
      else throw new Error(`unexpected escape ${JSON.stringify(m[0])}`);
      i += m[0].length - 1;
      continue;
    }
    if (ch === '\r') { c = 0; continue; }
    if (ch === '\n') { r++; c = 0; rows[r] ??= ''; continue; }
    if (c === cols) { r++; c = 0; rows[r] ??= ''; }
    const row = rows[r]!;
    rows[r] = row.slice(0, c).padEnd(c) + ch + row.slice(c + 1);
    c++;
  }
  return rows;
}

async function run(stream: Capture, tty: boolean, o: { eval?: boolean } = {}) {
  const args = new TrainingArguments({ loggingSteps: 2 });
  const state = new TrainerState({ maxSteps: 4, numTrainEpochs: 1 });
  let t = 0;
  const handler = new CallbackHandler([new DefaultFlowCallback(), new ProgressCallback({ stream, tty, now: () => (t += 500), minRedrawMs: 0 })], { warn: () => {} });
  const control = new TrainerControl();
  await handler.onTrainBegin(args, state, control);
  for (let s = 1; s <= 4; s++) {
    state.globalStep = s;
    state.epoch = s / 4;
    await handler.onStepEnd(args, state, control);
    if (s % 2 === 0) await handler.onLog(args, state, control, { loss: s === 2 ? 0.6931 : 0.5, grad_norm: 1.0, learning_rate: s === 2 ? 3.616352201257862e-5 : 1e-5, epoch: state.epoch });
    if (o.eval && s === 2) {
      for (let b = 0; b < 3; b++) await handler.onPredictionStep(args, state, control, { evalDataloader: { length: 3 } });
      await handler.onEvaluate(args, state, control, { eval_loss: 0.25 });
      await handler.onLog(args, state, control, { eval_loss: 0.25, eval_accuracy: 1, eval_runtime: 0.1, eval_samples_per_second: 90.5, eval_steps_per_second: 30.1, epoch: 0.5 });
    }
  }
  await handler.onLog(args, state, control, { train_runtime: 2.5, train_samples_per_second: 12.8, train_steps_per_second: 1.6, total_flos: 1234, train_loss: 0.59655, epoch: 1 });
  await handler.onTrainEnd(args, state, control);
}

test('off a TTY: one Python-dict line per log, total_flos dropped, no escape sequences', async () => {
  const out = new Capture(false);
  await run(out, false, { eval: true });
  assert.equal(out.text(),
    "{'loss': 0.6931, 'grad_norm': 1.0, 'learning_rate': 3.616352201257862e-05, 'epoch': 0.5}\n" +
    "{'eval_loss': 0.25, 'eval_accuracy': 1.0, 'eval_runtime': 0.1, 'eval_samples_per_second': 90.5, 'eval_steps_per_second': 30.1, 'epoch': 0.5}\n" +
    "{'loss': 0.5, 'grad_norm': 1.0, 'learning_rate': 1e-05, 'epoch': 1.0}\n" +
    "{'train_runtime': 2.5, 'train_samples_per_second': 12.8, 'train_steps_per_second': 1.6, 'train_loss': 0.59655, 'epoch': 1.0}\n");
});

test('on a TTY (200 columns): the bar with steps, times, rate, loss, lr and epoch; log lines above it, whole', async () => {
  const out = new Capture(true, 200);
  await run(out, true);
  assert.ok(!out.text().includes('\x1b[?7l'), 'line wrapping is never turned off');
  const rows = screen(out.text(), 200);
  assert.deepEqual(rows.slice(0, 3), [
    "{'loss': 0.6931, 'grad_norm': 1.0, 'learning_rate': 3.616352201257862e-05, 'epoch': 0.5}",
    "{'loss': 0.5, 'grad_norm': 1.0, 'learning_rate': 1e-05, 'epoch': 1.0}",
    "{'train_runtime': 2.5, 'train_samples_per_second': 12.8, 'train_steps_per_second': 1.6, 'train_loss': 0.59655, 'epoch': 1.0}",
  ]);
  assert.match(rows[3]!, /^100%\|█{40}\| 4\/4 \[\d\d:\d\d<00:00, \d+\.\d+(it\/s|s\/it)\] \| loss 0\.5000 \| lr 1e-05 \| epoch 1\.00\/1$/);
  assert.equal(rows[4], '');
});

test('on a narrow TTY (40 columns): log lines wrap (nothing clipped), the bar drops fields from the right', async () => {
  const out = new Capture(true, 40);
  await run(out, true);
  const rows = screen(out.text(), 40);
  const joined = rows.join('');
  assert.ok(joined.includes("{'loss': 0.6931, 'grad_norm': 1.0, 'learning_rate': 3.616352201257862e-05, 'epoch': 0.5}"));
  const bar = rows.find((r) => r.startsWith('100%'))!;
  assert.ok(bar.length <= 39, bar);
  assert.match(bar, /^100%\|█{10,}\| 4\/4$/);
  assert.ok(!bar.includes('epoch'));
});

test('the evaluation bar shows while evaluating and goes away after, during training', async () => {
  const out = new Capture(true, 120);
  await run(out, true, { eval: true });
  const text = out.text();
  assert.match(text, /eval 100%\|█+\| 3\/3 \[/);
  const rows = screen(text, 120);
  assert.ok(!rows.some((r) => r.startsWith('eval ')), 'no evaluation bar left on screen');
  assert.ok(rows.some((r) => r.startsWith("{'eval_loss': 0.25")));
});

test('fitBar: the bar takes the room, fields dropped from the right, never wider than asked', () => {
  const o = { value: 592, total: 1590, fields: ['[02:03<03:28, 4.79it/s]', 'loss 0.6931', 'lr 3.6e-05', 'epoch 1.12/3'] };
  assert.equal(fitBar(79, o), ' 37%|█████        | 592/1590 [02:03<03:28, 4.79it/s] | loss 0.6931 | lr 3.6e-05');
  assert.equal(fitBar(199, o), ' 37%|███████████████                         | 592/1590 [02:03<03:28, 4.79it/s] | loss 0.6931 | lr 3.6e-05 | epoch 1.12/3');
  assert.equal(fitBar(50, o), ' 37%|████       | 592/1590 [02:03<03:28, 4.79it/s]');
  assert.equal(fitBar(30, o), ' 37%|██████         | 592/1590');
  for (const w of [10, 20, 30, 50, 79, 120]) assert.ok(fitBar(w, o).length <= w, String(w));
});

test('LiveDisplay redraws on resize at the new width', () => {
  const out = new Capture(true, 100);
  const d = new LiveDisplay(out);
  d.setStatus([(w) => fitBar(w, { value: 1, total: 2, fields: ['loss 0.5000', 'lr 1e-05', 'epoch 0.50/1'] })]);
  assert.match(screen(out.text(), 100).at(-1)!, /epoch 0\.50\/1$/);
  out.columns = 40;
  out.emit('resize');
  const last = screen(out.text(), 40).filter((r) => r).at(-1)!;
  assert.ok(last.length <= 39 && !last.includes('epoch'), last);
  d.close();
  assert.equal(out.listenerCount('resize'), 0);
});

test('formatLogLine', () => {
  assert.equal(formatLogLine({ eval_loss: 0.25, eval_accuracy: 1, eval_runtime: 0.1, epoch: 2 }), "{'eval_loss': 0.25, 'eval_accuracy': 1.0, 'eval_runtime': 0.1, 'epoch': 2.0}");
});
