// c10d through hubtune: 2 processes over loopback with Gloo (the "2 processes on one machine").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, runRanks } from './ranks';

test('every collective gives torch.distributed results on 2 ranks (env:// rendezvous)', async () => {
  const port = await freePort();
  const res = await runRanks('collectives', 2, { MASTER_PORT: String(port) });
  for (const r of res) {
    assert.equal(r.code, 0, `rank ${r.rank} failed: ${r.stderr.slice(-2000)} ${r.stdout}`);
    const j = r.json;
    assert.equal(j.rank, r.rank);
    assert.equal(j.worldSize, 2);
    assert.equal(j.initialized, true);
    assert.equal(j.repr, `<ProcessGroup backend='gloo' rank=${r.rank} world_size=2>`);
    assert.deepEqual(j.sum, [4, -3]);
    assert.deepEqual(j.avg, [2, -1.5]);
    assert.deepEqual(j.max, [2.5, -0.5]);
    assert.deepEqual(j.min, [1.5, -2.5]);
    assert.deepEqual(j.product, [3.75, 1.25]);
    assert.equal(j.asyncBeforeWait, true);
    assert.equal(j.asyncDone, true);
    assert.deepEqual(j.big, [3, 3]);
    assert.deepEqual(j.broadcast, [10.25, 1]);
    assert.deepEqual(j.allGather, [[0.5, 0.5], [1.5, 1.5]]);
    assert.deepEqual(j.reduceScatter, [200 * r.rank + 2, 2 * r.rank]);
    assert.deepEqual(j.reduceScatterAvg, [r.rank + 1, 1]);
    assert.match(j.badOp, /^allReduce: unknown op 'mean': use sum, avg, max, min, product$/);
    assert.match(j.nonContiguous, /must be contiguous/);
    assert.equal(j.afterDestroy, false);
  }
});

test('the event loop keeps ticking while a collective waits for a late rank (file:// rendezvous)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-dist-'));
  try {
    const res = await runRanks('ticks', 2, { TEST_INIT_METHOD: pathToFileURL(join(dir, 'store')).href });
    for (const r of res) assert.equal(r.code, 0, `rank ${r.rank} failed: ${r.stderr.slice(-2000)} ${r.stdout}`);
    assert.deepEqual(res[0]!.json.value, [4]);
    assert.deepEqual(res[1]!.json.value, [4]);
    // Rank 0 waited ~400 ms for rank 1 with a 5 ms interval running: a blocked loop counts 0.
    assert.ok(res[0]!.json.ticksDuring >= 3, `only ${res[0]!.json.ticksDuring} timer ticks while the all-reduce waited`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rank that exits mid-job makes the other rank\'s collective fail, not hang', async () => {
  const port = await freePort();
  const res = await runRanks('die', 2, { MASTER_PORT: String(port), TEST_TIMEOUT_MS: '15000' });
  assert.equal(res[1]!.code, 3);
  assert.equal(res[0]!.code, 0, res[0]!.stderr.slice(-2000));
  assert.equal(res[0]!.json.unexpected, undefined);
  assert.match(res[0]!.json.error, /^allReduce: .+/);
  assert.ok(!res[0]!.json.error.includes('\n'));
});
