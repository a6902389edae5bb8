// Batching in pipelines: batchSize over lists, iterables and dataset columns (stream/keyDataset),
// image preprocessing in worker threads ahead of the model, and a corrupt input among a batch:
// that input fails with its index, the others succeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pipeline, keyDataset, PipelineBatchError, PipelineItemError, type LabelScore } from '../../src/pipelines/index';
import { fixtures } from './fixtures';

const near = (a: LabelScore[], b: LabelScore[]) => a.length === b.length && a.every((x, i) => x.label === b[i].label && Math.abs(x.score - b[i].score) < 1e-5);

test('image-classification over a list with a corrupt image: that one fails with its index, the others succeed (main thread and 2 workers)', async () => {
  const fx = await fixtures();
  const [a, b, c] = fx.imageFiles;
  const inputs = [a, readFileSync(b), Buffer.from('not an image at all'), c, a];
  for (const numWorkers of [0, 2]) {
    const clf = await pipeline('image-classification', { model: fx.vit, batchSize: 2, numWorkers, topK: null });
    const single = await clf(a) as LabelScore[];
    const err = await clf(inputs).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof PipelineBatchError, `numWorkers ${numWorkers}: ${String(err)}`);
    assert.match(err.message, /^1 of 5 inputs failed \(input 2: .*decode.*\); the other 4 succeeded: they are in error\.results$/i);
    assert.doesNotMatch(err.message, /\n/);
    assert.deepEqual(err.failures.map((f) => f.index), [2]);
    assert.equal(err.results[2], null);
    assert.ok(near(err.results[0] as LabelScore[], single) && near(err.results[4] as LabelScore[], single), 'the others are classified as alone');
    assert.ok((err.results as (LabelScore[] | null)[]).filter((r) => r !== null).length === 4);
    // without the corrupt one: plain results, the same in every batch position
    const ok = await clf([a, b, c, a]) as LabelScore[][];
    assert.ok(near(ok[0], single) && near(ok[3], single));
    await assert.rejects(clf(['/no/such/leaf.png']), /1 of 1 inputs failed \(input 0: image file not found: \/no\/such\/leaf\.png\)/);
    await (clf as unknown as { closeWorkers(): Promise<void> }).closeWorkers();
  }
});

test('stream(): an async iterable of dataset rows (keyDataset) in order, errors in place, workers give the same scores', async () => {
  const fx = await fixtures();
  const rows = fx.imageFiles.concat(fx.imageFiles).map((path, i) => ({ image: i === 3 ? { bytes: new Uint8Array([1, 2, 3]), path: null } : { bytes: null, path }, label: i }));
  async function* source() { for (const r of rows) yield r; }
  const seen: Record<number, (LabelScore[] | PipelineItemError)[]> = {};
  for (const numWorkers of [0, 2]) {
    const clf = await pipeline('image-classification', { model: fx.vit, batchSize: 4, numWorkers, topK: 2 });
    seen[numWorkers] = [];
    for await (const out of clf.stream<LabelScore[]>(keyDataset(source(), 'image'))) seen[numWorkers].push(out);
    await (clf as unknown as { closeWorkers(): Promise<void> }).closeWorkers();
  }
  for (const outs of Object.values(seen)) {
    assert.equal(outs.length, 6);
    assert.ok(outs[3] instanceof PipelineItemError);
    assert.equal((outs[3] as PipelineItemError).index, 3);
    assert.match((outs[3] as PipelineItemError).message, /^input 3: /);
    assert.ok(near(outs[1] as LabelScore[], outs[4] as LabelScore[]) && near(outs[2] as LabelScore[], outs[5] as LabelScore[]), 'the same image in another batch gives the same scores');
  }
  seen[0].forEach((r, i) => { if (!(r instanceof PipelineItemError)) assert.ok(near(r, seen[2][i] as LabelScore[]), `worker and main-thread scores differ at ${i}`); });
  const clf = await pipeline('image-classification', { model: fx.vit });
  await assert.rejects(async () => { for await (const _ of clf.stream(keyDataset([{ img: 1 }], 'image'))) void _; }, /keyDataset: row 0 has no column 'image' \(columns: img\)/);
});

test('text-classification stream over a generator: batchSize inputs per forward, a bad input yields its error, the rest match call()', async () => {
  const fx = await fixtures();
  const clf = await pipeline('text-classification', { model: fx.robertaCls, batchSize: 2 });
  const texts = ['the cat sat', 'a quick brown fox jumps', 'over the lazy dog', 'and then it rained'];
  const want = await clf(texts) as unknown as LabelScore[];
  function* gen() { yield texts[0]; yield texts[1]; yield 42; yield texts[2]; yield texts[3]; }
  const outs: unknown[] = [];
  for await (const out of clf.stream(gen())) outs.push(out);
  assert.equal(outs.length, 5);
  assert.ok(outs[2] instanceof PipelineItemError);
  assert.equal((outs[2] as PipelineItemError).index, 2);
  assert.match((outs[2] as PipelineItemError).message, /^input 2: text 0 is a number/);
  const rest = [outs[0], outs[1], outs[3], outs[4]] as LabelScore[];
  rest.forEach((r, i) => assert.ok(r.label === want[i].label && Math.abs(r.score - want[i].score) < 1e-5, `text ${i}`));
  await assert.rejects(async () => { for await (const _ of clf.stream(42 as never)) void _; }, /inputs must be an array, an iterable or an async iterable/);
});
