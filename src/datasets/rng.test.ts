// Golden values printed by numpy 2.4 (np.random.default_rng(seed).permutation(n) / .integers(0, 10)):
// hubtune's shuffle gives Python datasets' order for the same seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRng } from './rng';
import { Dataset } from './index';

test('defaultRng reproduces numpy default_rng permutations and integers', () => {
  assert.deepEqual([...defaultRng(42).permutation(10)], [5, 6, 0, 7, 3, 2, 4, 9, 1, 8]);
  assert.deepEqual([...defaultRng(0).permutation(20)], [4, 19, 6, 2, 13, 16, 3, 11, 10, 8, 0, 12, 7, 5, 18, 17, 14, 9, 1, 15]);
  const g = defaultRng(5);
  assert.deepEqual(Array.from({ length: 10 }, () => g.integers(0, 10)), [6, 8, 0, 8, 4, 5, 6, 2, 9, 0]);
  const big = defaultRng(2 ** 40 + 7).permutation(100000);
  assert.equal(new Set(big).size, 100000);
});

test('Dataset.shuffle({seed}) orders rows as datasets does', async () => {
  const ds = Dataset.fromDict({ x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
  assert.deepEqual((await ds.shuffle({ seed: 42 }).slice()).x, [5, 6, 0, 7, 3, 2, 4, 9, 1, 8]);
});
