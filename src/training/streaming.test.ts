// The Trainer on a streaming dataset: maxSteps required, passes over the stream with setEpoch, the stream
// position in the checkpoint, and a resume (also across the end of a pass) equal to the uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, TrainingArguments, setSeed } from './index';
import { IterableDataset } from '../datasets/iterable-dataset';
import type { Tensor } from '../torch/index';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';

process.env.HUBTUNE_QUIET_TRAINER = '1';

/** 40 rows in 2 shards, shuffled with a buffer of 8 (a new order per pass), and an unused text column. */
function stream(): IterableDataset {
  return IterableDataset.fromDataset(tinyTextDataset(40, { seed: 1 }), { numShards: 2 })
    .map((r: { label: number }) => ({ note: `row of label ${r.label}` }))
    .shuffle({ seed: 5, bufferSize: 8 });
}

function trainer(outputDir: string, extra: Record<string, unknown> = {}): Trainer {
  setSeed(0);
  return new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 14, loggingSteps: 1, saveSteps: 6, seed: 7, disableTqdm: true, ...extra }),
    trainDataset: stream(),
    dataCollator: padCollator,
  });
}
const weights = (t: Trainer): Map<string, Buffer> => new Map([...(t.model as unknown as { stateDict(): Map<string, Tensor> }).stateDict()].map(([k, v]) => [k, Buffer.from((v.toTypedArray() as Float32Array).buffer)]));
const losses = (t: Trainer) => t.state.logHistory.filter((e) => 'loss' in e).map((e) => [e.step, e.loss]);

test('a stream without maxSteps is refused as transformers does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-train-'));
  try {
    const t = trainer(dir, { maxSteps: -1, numTrainEpochs: 1 });
    await assert.rejects(t.train(), /args\.max_steps must be set to a positive value if dataloader does not have a length, was -1/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('trains from a stream over several passes; resume from the position in the checkpoint equals the uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-train-'));
  try {
    const full = trainer(join(dir, 'full'));
    const out = await full.train();
    assert.equal(out.globalStep, 14);
    // 10 batches per pass: steps 11-14 come from the second pass (epoch 1)
    const position = (c: string) => JSON.parse(readFileSync(join(dir, 'full', c, 'trainer_state.json'), 'utf8')).stateful_callbacks.StreamPositionCallback.attributes;
    assert.deepEqual(position('checkpoint-6'), { epoch: 0, batches: 6, examples: 24 });
    assert.deepEqual(position('checkpoint-12'), { epoch: 1, batches: 2, examples: 8 });
    assert.ok(full.state.epoch! > 1 && full.state.epoch! < 2, String(full.state.epoch));
    const want = weights(full);
    // checkpoint-12 is inside the second pass: skipping globalStep batches of a fresh pass (transformers' way) would be wrong
    for (const ckpt of ['checkpoint-6', 'checkpoint-12']) {
      const resumed = trainer(join(dir, 'full'));
      await resumed.train({ resumeFromCheckpoint: join(dir, 'full', ckpt) });
      assert.equal(resumed.state.globalStep, 14);
      assert.deepEqual(losses(resumed), losses(full), ckpt);
      for (const [k, v] of want) assert.ok(weights(resumed).get(k)!.equals(v), `${ckpt}: ${k} differs`);
    }
    // the second pass saw a different order than the first (setEpoch reshuffles)
    const p0 = await stream().toList(); const s = stream(); s.setEpoch(1); const p1 = await s.toList();
    assert.notDeepEqual(p0.map((r) => r.input_ids), p1.map((r) => r.input_ids));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resume of an unshuffled stream skips the consumed examples at the source (the map never sees them)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-train-'));
  try {
    let calls = 0;
    const plain = () => IterableDataset.fromDataset(tinyTextDataset(40, { seed: 1 }), { numShards: 2 }).map((r: { label: number }) => { calls++; return { label: r.label }; });
    const make = (out: string) => {
      setSeed(0);
      return new Trainer({
        model: tinyRoberta({ seed: 0 }),
        args: new TrainingArguments({ outputDir: out, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 8, loggingSteps: 1, saveSteps: 6, seed: 7, disableTqdm: true }),
        trainDataset: plain(), dataCollator: padCollator, handleSigint: false,
      });
    };
    const full = make(join(dir, 'a'));
    await full.train();
    calls = 0;
    const resumed = make(join(dir, 'a'));
    await resumed.train({ resumeFromCheckpoint: join(dir, 'a', 'checkpoint-6') });
    assert.deepEqual(losses(resumed), losses(full));
    const want = weights(full);
    for (const [k, v] of weights(resumed)) assert.ok(v.equals(want.get(k)!), k);
    // steps 7-8 need examples 24-31; the loader reads ahead by at most its prefetch (2 batches + 1)
    assert.ok(calls >= 8 && calls <= 16, `the map ran ${calls} times after the resume`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('IterableDataLoader shard: accelerate IterableDatasetShard slices of global batches, the last one completed from the first', async () => {
  const { IterableDataLoader, StreamPositionCallback } = await import('./streaming');
  const ds = IterableDataset.fromDataset((await import('../datasets/dataset')).Dataset.fromDict({ x: Array.from({ length: 10 }, (_v, i) => i) }));
  const run = async (rank: number, o: { dropLast?: boolean; skip?: number } = {}) => {
    const l = new IterableDataLoader(ds, 2, (rows) => ({ x: rows.map((r) => r.x) }), !!o.dropLast, new StreamPositionCallback(), 2, { rank, worldSize: 2 });
    const out: unknown[] = [];
    for await (const b of l.iterate({ skipBatches: o.skip ?? 0 })) out.push(b.batch.x);
    return out;
  };
  assert.deepEqual(await run(0), [[0, 1], [4, 5], [8, 9]]);
  assert.deepEqual(await run(1), [[2, 3], [6, 7], [0, 1]]);
  assert.deepEqual(await run(1, { dropLast: true }), [[2, 3], [6, 7]]);
  assert.deepEqual(await run(1, { skip: 1 }), [[6, 7], [4, 5]]); // resumed past the first global batch: completed from the first one read
  assert.throws(() => new IterableDataLoader(ds, 2, (r) => ({ r }), false, new StreamPositionCallback(), 2, { rank: 2, worldSize: 2 }), /need 0 <= rank < worldSize, got rank 2/);
});
