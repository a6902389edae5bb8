import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterRepoPaths, fnmatch } from './fnmatch';

test('fnmatch follows Python: * crosses "/", ?, [seq], [!seq], case-sensitive', () => {
  assert.ok(fnmatch('data/train-0.parquet', '*.parquet'));
  assert.ok(fnmatch('a/b/c.json', 'a/*'));
  assert.ok(fnmatch('x1.bin', 'x?.bin'));
  assert.ok(fnmatch('x1.bin', 'x[0-9].bin'));
  assert.ok(!fnmatch('x1.bin', 'x[!0-9].bin'));
  assert.ok(!fnmatch('Config.json', 'config.json'));
  assert.ok(fnmatch('a+b(1).txt', 'a+b(1).txt'));
  assert.ok(fnmatch('[x', '[x'));
});

test('filterRepoPaths: allow then ignore; "dir/" means "dir/*"', () => {
  const files = ['README.md', 'data/a.parquet', 'data/b.csv', 'mrpc/train.parquet'];
  assert.deepEqual(filterRepoPaths(files, 'data/'), ['data/a.parquet', 'data/b.csv']);
  assert.deepEqual(filterRepoPaths(files, ['*.parquet'], ['mrpc/*']), ['data/a.parquet']);
  assert.deepEqual(filterRepoPaths(files, undefined, '*.md'), ['data/a.parquet', 'data/b.csv', 'mrpc/train.parquet']);
});
