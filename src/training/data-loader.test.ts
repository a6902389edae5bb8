// DataLoader: seeded order per epoch, dropLast, length grouping, prefetching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataLoader, lengthGroupedIndices } from './data-loader';
import { Generator, randperm } from '../torch/index';

function fakeDataset(n: number, log: string[] = [], delayMs = 0) {
  return {
    numRows: n,
    columnNames: ['x'],
    async getBatch(idx: ArrayLike<number>) {
      log.push(`load ${Array.from(idx).join(',')}`);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { x: Array.from(idx) };
    },
  };
}
const collate = (rows: Record<string, unknown>[]) => ({ x: rows.map((r) => r.x) });

test('shuffled order: torch.randperm from Generator(seed + epoch), reproducible, independent of the global generator', () => {
  const dl = new DataLoader({ dataset: fakeDataset(10), batchSize: 3, collateFn: collate, shuffle: true, seed: 42 });
  const want = randperm(10, { generator: new Generator(42) }).tolist1d();
  assert.deepEqual(dl.order(0), want);
  assert.deepEqual(dl.order(0), want);
  assert.notDeepEqual(dl.order(1), want);
  assert.equal(dl.length, 4);
  assert.deepEqual(dl.batches(0).map((b) => b.length), [3, 3, 3, 1]);
  const dropped = new DataLoader({ dataset: fakeDataset(10), batchSize: 3, collateFn: collate, dropLast: true });
  assert.equal(dropped.length, 3);
  assert.deepEqual(dropped.batches(0), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assert.throws(() => new DataLoader({ dataset: fakeDataset(3), batchSize: 0, collateFn: collate }), /batch size must be a positive integer/);
});

test('groupByLength: megabatches sorted by decreasing length, longest first', () => {
  const lengths = Array.from({ length: 40 }, (_v, i) => (i * 7) % 23 + 1);
  const order = lengthGroupedIndices(lengths, 2, new Generator(1));
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 40 }, (_v, i) => i));
  assert.equal(lengths[order[0]!], Math.max(...lengths));
  // mega_batch_mult = min(40 // (2*4), 50) = 5 -> megabatches of 10, each sorted descending (after the swap of the first)
  for (let m = 0; m < 4; m++) {
    const mb = order.slice(m * 10 + 1, m * 10 + 10).map((i) => lengths[i]!);
    assert.deepEqual(mb, [...mb].sort((a, b) => b - a));
  }
});

test('prefetch: the next batches are being loaded before the current one is consumed; skipBatches reads nothing skipped', async () => {
  const log: string[] = [];
  const dl = new DataLoader({ dataset: fakeDataset(8, log, 5), batchSize: 2, collateFn: collate, prefetch: 2 });
  const seen: number[][] = [];
  for await (const { batch } of dl.iterate({ skipBatches: 1 })) {
    seen.push(batch.x as number[]);
    if (seen.length === 1) assert.deepEqual(log, ['load 2,3', 'load 4,5', 'load 6,7'], 'batches 2 and 3 requested while batch 1 is consumed');
  }
  assert.deepEqual(seen, [[2, 3], [4, 5], [6, 7]]);
});

test('shard: rank r takes the epoch\'s batches r, r + worldSize, ...; the last round is completed from the start', () => {
  const ds = { numRows: 10, getBatch: async () => ({}) };
  const whole = new DataLoader({ dataset: ds, batchSize: 4, collateFn: (x) => x as never, shuffle: true, seed: 3 });
  const ranks = [0, 1].map((rank) => new DataLoader({ dataset: ds, batchSize: 2, collateFn: (x) => x as never, shuffle: true, seed: 3, shard: { rank, worldSize: 2 } }));
  const order = whole.order(1);
  assert.equal(ranks[0]!.length, 3);
  const [b0, b1] = ranks.map((l) => l.batches(1));
  // round k: rank 0 has order[4k..4k+2], rank 1 order[4k+2..4k+4]: together, the batch of 4 one process takes
  assert.deepEqual(b0!.slice(0, 2).map((b, k) => [...b, ...b1![k]!]), whole.batches(1).slice(0, 2));
  assert.deepEqual(b0![2], [order[8], order[9]]);
  assert.deepEqual(b1![2], [order[0], order[1]], 'wrapped to the start, as accelerate\'s even_batches');
  const dropped = new DataLoader({ dataset: ds, batchSize: 2, collateFn: (x) => x as never, shard: { rank: 1, worldSize: 2 }, dropLast: true });
  assert.equal(dropped.length, 2);
  assert.throws(() => new DataLoader({ dataset: ds, batchSize: 2, collateFn: (x) => x as never, shard: { rank: 2, worldSize: 2 } }), /rank 2 is not in 0\.\.1/);
});
