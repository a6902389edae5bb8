// pipeline() calls free what they allocate: tensors are disposed by the call, and every call lets the
// event loop turn once, so the N-API finalizers of the disposed handles run even in a loop of
// `await pipe(text)` (RSS over 10,000 calls: scripts/memory-soak.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../src/pipelines/index';
import { memoryStats } from '../../src/torch/index';
import { fixtures } from './fixtures';

test('a loop of await pipe(text) turns the event loop on every call and keeps no tensor', async () => {
  const fx = await fixtures();
  const clf = await pipeline('text-classification', { model: fx.robertaCls });
  await clf('warm up');
  const before = memoryStats();
  let immediates = 0;
  for (let i = 0; i < 20; i++) {
    setImmediate(() => { immediates++; });
    await clf(`text number ${i}`);
    assert.equal(immediates, i + 1, `call ${i} returned without letting queued finalizers run`);
  }
  const after = memoryStats();
  assert.ok(after.liveTensors <= before.liveTensors, `live tensors ${before.liveTensors} -> ${after.liveTensors}`);
  assert.ok(after.allocatedBytes <= before.allocatedBytes, `allocated bytes ${before.allocatedBytes} -> ${after.allocatedBytes}`);
  // a failing call turns it too
  setImmediate(() => { immediates++; });
  await assert.rejects(clf(42 as never), /text 0 is a number/);
  assert.equal(immediates, 21);
});
