// A streaming dataset larger than the memory the test allows trains through: the child process runs
// under a V8 heap cap (--max-old-space-size=96) below the dataset's ~152 MB of text, reads all 16,000
// rows in one pass of training, and its RSS grows by less than the dataset's size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeParquet } from '../../src/datasets/parquet';
import { Features, Value, ClassLabel } from '../../src/datasets/index';

const root = resolve(import.meta.dirname, '../..');
// above what the child needs to start (tsx compiling the sources on a cold cache), below the data
const HEAP_CAP_MB = 96;

test('a streaming parquet dataset larger than the heap cap trains in a capped child with bounded RSS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-mem-'));
  try {
    const f = new Features([['text', new Value('string')], ['label', new ClassLabel({ names: ['a', 'b'] })]]);
    // 8 shards x 2,000 rows x 10,000 characters (compressible, so the files stay small on disk)
    for (let s = 0; s < 8; s++) {
      const text: string[] = []; const label: number[] = [];
      for (let i = 0; i < 2000; i++) { const id = s * 2000 + i; text.push(`${id} `.padEnd(16, 'x').repeat(625)); label.push(id % 2); }
      writeParquet(join(dir, `shard-${s}.parquet`), f, { text, label }, { rowGroupSize: 250 });
    }
    const onDisk = readdirSync(dir).reduce((n, x) => n + statSync(join(dir, x)).size, 0);
    const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', 'tsx', join(root, 'test/training/fixtures/stream-train.ts'), dir, join(dir, 'out'), '250'],
      { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, HUBTUNE_QUIET_TRAINER: '1' } });
    assert.equal(r.status, 0, `child failed (${r.signal ?? r.status}): ${r.stderr.slice(-2000)}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(JSON.stringify({ ...m, heapCapMB: HEAP_CAP_MB, onDiskMB: Math.round(onDisk / 2 ** 20) }));
    assert.equal(m.examples, 16000);
    assert.equal(m.steps, 250); // 16000 / 64: the whole stream in one pass
    assert.ok(m.textMB > HEAP_CAP_MB, `the dataset (${m.textMB} MB) must exceed the heap cap`);
    assert.ok(m.peakHeapMB <= HEAP_CAP_MB, JSON.stringify(m));
    assert.ok(m.peakRssMB - m.baselineRssMB < m.textMB, `RSS grew by ${m.peakRssMB - m.baselineRssMB} MB while streaming ${m.textMB} MB: ${JSON.stringify(m)}`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
