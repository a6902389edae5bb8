// Checkpoint integrity: checksums.json written with every checkpoint and verified on resume (fall
// back to the previous intact checkpoint with a warning, or a clear error), checkpoints without it
// load as before, a garbage rng_state.json is a one-line CheckpointError, and resuming a finished
// run trains nothing more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments, CheckpointError, setSeed, verifyCheckpoint, lastIntactCheckpoint, CHECKSUMS_NAME } from './index';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'hubtune-ckint-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function trainer(outputDir: string, extra: Record<string, unknown> = {}) {
  setSeed(0);
  return new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 6, loggingSteps: 1, saveSteps: 2, seed: 7, disableTqdm: true, ...extra }),
    trainDataset: tinyTextDataset(20, { seed: 1 }),
    dataCollator: padCollator,
  });
}
const modelBytes = (t: Trainer) => Buffer.concat([...(t.model as unknown as { stateDict(): Map<string, { toTypedArray(): Float32Array }> }).stateDict().values()].map((x) => Buffer.from(x.toTypedArray().buffer)));

async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => { warnings.push(a.join(' ')); };
  try { return { value: await fn(), warnings }; } finally { console.warn = orig; }
}

let base: { dir: string; finalWeights: Buffer } | null = null;
async function finishedRun() {
  if (!base) {
    const dir = tmp();
    const t = trainer(dir);
    await t.train();
    base = { dir, finalWeights: modelBytes(t) };
  }
  return base;
}
/** A copy of the finished run's output folder to damage. */
async function copyOfRun() {
  const { dir } = await finishedRun();
  const d = tmp();
  cpSync(dir, d, { recursive: true });
  return d;
}

test('every checkpoint records size and sha256 of each of its files, and verifies', async () => {
  const { dir } = await finishedRun();
  for (const step of [2, 4, 6]) {
    const ck = join(dir, `checkpoint-${step}`);
    const sums = JSON.parse(readFileSync(join(ck, CHECKSUMS_NAME), 'utf8'));
    assert.equal(sums.format, 'hubtune-checksums-1');
    const listed = Object.keys(sums.files).sort();
    assert.deepEqual(listed, readdirSync(ck).filter((n) => n !== CHECKSUMS_NAME).sort());
    assert.ok(listed.includes('model.safetensors') && listed.includes('optimizer.safetensors') && listed.includes('trainer_state.json'));
    assert.match(sums.files['model.safetensors'].sha256, /^[0-9a-f]{64}$/);
    assert.equal(verifyCheckpoint(ck), null);
  }
});

test('a flipped byte, a truncated or a deleted file in the latest checkpoint: resume falls back to the previous one with one warning', async () => {
  const damage: [string, (f: string) => void, RegExp][] = [
    ['model.safetensors', (f) => { const b = readFileSync(f); b[b.length - 3]! ^= 0x10; writeFileSync(f, b); }, /model\.safetensors does not match the sha256/],
    ['optimizer.safetensors', (f) => truncateSync(f, 200), /optimizer\.safetensors is 200 bytes, \d+ when saved/],
    ['scheduler.json', (f) => rmSync(f), /scheduler\.json is missing/],
  ];
  for (const [file, hurt, why] of damage) {
    const d = await copyOfRun();
    hurt(join(d, 'checkpoint-6', file));
    assert.match(verifyCheckpoint(join(d, 'checkpoint-6'))!, why);
    const t = trainer(d, { maxSteps: 6 });
    const { value: out, warnings } = await captureWarnings(() => t.train({ resumeFromCheckpoint: true }));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`checkpoint-6 is damaged \\(${why.source}[^)]*\\): resuming from checkpoint-4 instead`));
    assert.equal(out.globalStep, 6);
    // steps 5 and 6 retrained from checkpoint-4: the same weights as the uninterrupted run
    assert.ok(modelBytes(t).equals((await finishedRun()).finalWeights), `${file}: resumed weights differ`);
    assert.equal(verifyCheckpoint(join(d, 'checkpoint-6')), null, 'checkpoint-6 written again, intact');
  }
});

test('no intact checkpoint left: a clear error naming each; an explicit damaged checkpoint is refused', async () => {
  const d = await copyOfRun();
  for (const s of [2, 4, 6]) truncateSync(join(d, `checkpoint-${s}`, 'model.safetensors'), 10);
  assert.throws(() => lastIntactCheckpoint(d), (e: Error) => e instanceof CheckpointError
    && /^no intact checkpoint in .*: checkpoint-6 is damaged \(model\.safetensors is 10 bytes, \d+ when saved\); checkpoint-4 is damaged .*; checkpoint-2 is damaged .*; train without resumeFromCheckpoint to start over$/.test(e.message));
  await assert.rejects(trainer(d).train({ resumeFromCheckpoint: true }), /no intact checkpoint in/);
  await assert.rejects(trainer(tmp()).train({ resumeFromCheckpoint: join(d, 'checkpoint-4') }),
    /^CheckpointError: cannot load .*checkpoint-4: model\.safetensors is 10 bytes, \d+ when saved; the checkpoint is corrupt, resume from another checkpoint/);
});

test('a checkpoint without checksums.json (as transformers writes them) resumes as before', async () => {
  const d = await copyOfRun();
  rmSync(join(d, 'checkpoint-6'), { recursive: true });
  for (const s of [2, 4]) rmSync(join(d, `checkpoint-${s}`, CHECKSUMS_NAME));
  assert.equal(verifyCheckpoint(join(d, 'checkpoint-4')), null);
  const t = trainer(d);
  const { value: out, warnings } = await captureWarnings(() => t.train({ resumeFromCheckpoint: true }));
  assert.deepEqual(warnings, []);
  assert.equal(out.globalStep, 6);
  assert.ok(modelBytes(t).equals((await finishedRun()).finalWeights));
});

test('resuming a finished run trains no further step and writes no further checkpoint', async () => {
  const d = await copyOfRun();
  // a constant schedule: one more step would change the weights
  const first = trainer(tmp(), { lrSchedulerType: 'constant' });
  await first.train();
  const out2 = first.args.outputDir;
  const before = readdirSync(out2).sort();
  const t = trainer(out2, { lrSchedulerType: 'constant' });
  const out = await t.train({ resumeFromCheckpoint: true });
  assert.equal(out.globalStep, 6);
  assert.deepEqual(readdirSync(out2).sort(), before);
  assert.ok(!existsSync(join(out2, 'checkpoint-7')));
  assert.ok(modelBytes(t).equals(modelBytes(first)), 'weights changed by resuming a finished run');
  assert.equal(t.state.logHistory.filter((e) => 'loss' in e).length, 6);
  // the same for a run whose max steps end inside an epoch (5 batches per epoch, 6 steps)
  const t2 = trainer(d);
  await t2.train({ resumeFromCheckpoint: true });
  assert.equal(t2.state.globalStep, 6);
  assert.ok(!existsSync(join(d, 'checkpoint-7')));
});

test('a garbage rng_state.json is a one-line CheckpointError naming the file and field, before any weight changes', async () => {
  const cases: [string, RegExp][] = [
    ['[1, 2]', /rng_state\.json: not a JSON object/],
    ['{"cpu": 5}', /rng_state\.json: field 'cpu' \(the generator state\) is missing or not a string/],
    ['{"cpu": "AAAA", "trainer": {}}', /rng_state\.json: field 'cpu' is not a libtorch CPU generator state/],
    ['not json', /RNG state .*rng_state\.json is not valid JSON/],
  ];
  const d = await copyOfRun();
  const ck = join(d, 'checkpoint-4');
  rmSync(join(ck, CHECKSUMS_NAME)); // as edited by hand: no checksums to catch it first
  const good = JSON.parse(readFileSync(join(ck, 'rng_state.json'), 'utf8'));
  cases.push([JSON.stringify({ ...good, trainer: { ...good.trainer, tr_loss: 'x' } }), /field 'trainer\.tr_loss' is "x", not a number/]);
  cases.push([JSON.stringify({ ...good, epoch: 'one' }), /field 'epoch' is "one", not a number/]);
  for (const [text, re] of cases) {
    writeFileSync(join(ck, 'rng_state.json'), text);
    const t = trainer(tmp());
    const before = modelBytes(t);
    await assert.rejects(t.train({ resumeFromCheckpoint: ck }), (e: Error) => e instanceof CheckpointError && re.test(e.message) && !e.message.includes('\n'));
    assert.ok(modelBytes(t).equals(before), 'weights changed by a failed resume');
  }
});

test('loadBestModelAtEnd never loads a damaged best checkpoint: one warning, the last weights kept', async () => {
  const dir = tmp();
  let lastWeights: Buffer | null = null;
  let t!: Trainer;
  const damageAll = {
    onSave: (_a: unknown, state: { globalStep: number }) => {
      if (state.globalStep !== 6) return;
      lastWeights = modelBytes(t);
      for (const n of readdirSync(dir).filter((x) => x.startsWith('checkpoint-'))) {
        const f = join(dir, n, 'model.safetensors');
        const b = readFileSync(f);
        b[b.length - 5]! ^= 0x01;
        writeFileSync(f, b);
      }
    },
  };
  setSeed(0);
  t = new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir: dir, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 6, saveSteps: 2, evalStrategy: 'steps', evalSteps: 2, loadBestModelAtEnd: true, metricForBestModel: 'loss', seed: 7, disableTqdm: true }),
    trainDataset: tinyTextDataset(20, { seed: 1 }),
    evalDataset: tinyTextDataset(8, { seed: 2 }),
    dataCollator: padCollator,
    callbacks: [damageAll as never],
  });
  const { warnings } = await captureWarnings(() => t.train());
  const best = t.state.bestModelCheckpoint!;
  assert.deepEqual(warnings.filter((w) => /best model/.test(w)), [`Warning: the best model's checkpoint ${best} is damaged (model.safetensors does not match the sha256 recorded when it was saved): keeping the last weights instead`]);
  assert.ok(modelBytes(t).equals(lastWeights!), 'weights from a damaged checkpoint were loaded');
});
