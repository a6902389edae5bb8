// Streaming datasets against Python `datasets`' semantics. The shuffled orders below were computed with
// numpy 2.4 (np.random.default_rng) following datasets 3.6's algorithm: the shard order is
// default_rng(seed).shuffle(list(range(num_shards))), the buffer picks default_rng(seed).integers(0,
// buffer_size, size=1000) and shuffles what is left; at epoch e > 0 the seed is
// default_rng(seed).integers(0, 2**63) - e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IterableDataset, IterableDatasetDict, splitDatasetByNode } from './iterable-dataset';
import { Dataset } from './dataset';
import { Features, Value, ClassLabel } from './features';
import { loadDataset } from './load';
import { writeParquet } from './parquet';
import { DatasetError } from './errors';

/** 4 shards of 3 examples: shard s holds s*100 + 0..2. */
function shardsDs(nShards = 4, perShard = 3): IterableDataset {
  return IterableDataset.fromGenerator(function* ({ shard }: { shard: number[] }) {
    for (const s of shard) for (let i = 0; i < perShard; i++) yield { x: s * (perShard > 100 ? 10000 : 100) + i };
  }, { genKwargs: { shard: Array.from({ length: nShards }, (_v, i) => i) } });
}
const xs = async (ds: IterableDataset): Promise<number[]> => (await ds.toList()).map((r) => r.x as number);

test('iteration goes shard by shard; numShards, repr', async () => {
  const ds = shardsDs();
  assert.equal(ds.numShards, 4);
  assert.deepEqual(await xs(ds), [0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302]);
  assert.equal(String(ds), 'IterableDataset({\n    features: Unknown,\n    num_shards: 4\n})');
  const typed = IterableDataset.fromGenerator(function* () { yield { a: 1 }; }, { features: new Features([['a', new Value('int64')]]) });
  assert.equal(String(typed), "IterableDataset({\n    features: ['a'],\n    num_shards: 1\n})");
});

test('shuffle: shard order and buffer picks as datasets (numpy default_rng)', async () => {
  assert.deepEqual(await xs(shardsDs().shuffle({ seed: 42, bufferSize: 5 })), [300, 200, 100, 302, 102, 201, 202, 101, 301, 2, 1, 0]);
  assert.deepEqual(await xs(shardsDs().shuffle({ seed: 7, bufferSize: 2 })), [1, 2, 200, 201, 202, 100, 101, 0, 300, 301, 102, 302]);
  // the same order on a second pass (the generator is copied per iteration)
  const sh = shardsDs().shuffle({ seed: 42, bufferSize: 5 });
  assert.deepEqual(await xs(sh), await xs(sh));
  // setEpoch: a new order derived from the seed
  sh.setEpoch(1);
  assert.deepEqual(await xs(sh), [200, 301, 0, 202, 1, 100, 2, 300, 101, 201, 302, 102]);
  // more than 1000 buffer picks (a second batch of random indices)
  const big = (await xs(shardsDs(2, 1500).shuffle({ seed: 3, bufferSize: 10 })));
  assert.equal(big.length, 3000);
  assert.deepEqual([...big.slice(0, 20), ...big.slice(-5)], [10008, 10000, 10001, 10002, 10012, 10010, 10015, 10005, 10011, 10018, 10003, 10004, 10006, 10021, 10013, 10014, 10022, 10007, 10019, 10025, 1497, 1492, 1498, 1494, 1499]);
  assert.throws(() => shardsDs().shuffle({ seed: 1, bufferSize: 0 }), /bufferSize must be a positive integer/);
});

test('map (plain, withIndices, batched, row count changes), filter, take, skip, batch', async () => {
  const ds = shardsDs();
  assert.deepEqual(await xs(ds.map((r: { x: number }) => ({ x: r.x * 2 })).take(3)), [0, 2, 4]);
  assert.deepEqual((await ds.map((_r: unknown, i: number) => ({ i }), { withIndices: true }).skip(10).toList()), [{ x: 301, i: 10 }, { x: 302, i: 11 }]);
  // batched: batches of batchSize across shard boundaries; a map that duplicates rows needs removeColumns
  const seen: number[] = [];
  const dup = ds.map((b: { x: number[] }) => { seen.push(b.x.length); return { y: b.x.flatMap((v) => [v, v]) }; }, { batched: true, batchSize: 5, removeColumns: 'x' });
  assert.deepEqual((await dup.toList()).slice(0, 4), [{ y: 0 }, { y: 0 }, { y: 1 }, { y: 1 }]);
  assert.deepEqual(seen, [5, 5, 2]);
  await assert.rejects(ds.map((b: { x: number[] }) => ({ y: [...b.x, ...b.x] }), { batched: true }).toList(), /returned 24 rows for 12.*removeColumns: \['x'\]/);
  assert.deepEqual(await xs(ds.map((b: { x: number[] }) => b, { batched: true, batchSize: 5, dropLastBatch: true })), [0, 1, 2, 100, 101, 102, 200, 201, 202, 300]);
  // filter, plain and batched
  assert.deepEqual(await xs(ds.filter((r: { x: number }) => r.x % 100 === 1)), [1, 101, 201, 301]);
  assert.deepEqual(await xs(ds.filter((x: number[]) => x.map((v) => v >= 200), { batched: true, batchSize: 4, inputColumns: 'x' })), [200, 201, 202, 300, 301, 302]);
  // take / skip compose in order
  assert.deepEqual(await xs(ds.skip(2).take(3)), [2, 100, 101]);
  assert.deepEqual(await xs(ds.take(0)), []);
  // batch: each example is a dict of lists
  assert.deepEqual(await ds.batch(5).toList(), [{ x: [0, 1, 2, 100, 101] }, { x: [102, 200, 201, 202, 300] }, { x: [301, 302] }]);
  assert.deepEqual((await ds.batch({ batchSize: 5, dropLastBatch: true }).toList()).length, 2);
  // iter(batchSize)
  const sizes: number[] = [];
  for await (const b of ds.iter({ batchSize: 5 })) sizes.push(b.x!.length);
  assert.deepEqual(sizes, [5, 5, 2]);
});

test('skip and take freeze the shard order under shuffle (the buffer still shuffles)', async () => {
  const ds = shardsDs().skip(0).shuffle({ seed: 42, bufferSize: 1 });
  // buffer of 1: the stream order itself, and skip() kept the shards in place
  assert.deepEqual(await xs(ds), [0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302]);
});

test('splitDatasetByNode: whole shards when they divide evenly, else every worldSize-th example', async () => {
  const ds = shardsDs();
  assert.deepEqual(await xs(splitDatasetByNode(ds, { rank: 0, worldSize: 2 })), [0, 1, 2, 200, 201, 202]);
  assert.deepEqual(await xs(splitDatasetByNode(ds, { rank: 1, worldSize: 2 })), [100, 101, 102, 300, 301, 302]);
  assert.deepEqual(await xs(splitDatasetByNode(ds, { rank: 1, worldSize: 3 })), [1, 101, 201, 301]); // examples 1, 4, 7, 10
  // shuffled: the same shard order on every rank (seeded), then split, so the ranks are disjoint and cover all
  const sh = shardsDs().shuffle({ seed: 42, bufferSize: 1 });
  const r0 = await xs(splitDatasetByNode(sh, { rank: 0, worldSize: 2 }));
  const r1 = await xs(splitDatasetByNode(sh, { rank: 1, worldSize: 2 }));
  assert.deepEqual(r0, [300, 301, 302, 100, 101, 102]); // shard order [3, 2, 1, 0] -> rank 0 takes 3 and 1
  assert.deepEqual([...r0, ...r1].sort((a, b) => a - b), await xs(ds));
  // take() before the split is divided among the shards of each rank (datasets' split_when_sharding)
  assert.deepEqual(await xs(splitDatasetByNode(ds.take(4), { rank: 0, worldSize: 2 })), [0, 1]);
  // nested splits compose; bad ranks are one-line errors
  assert.deepEqual(await xs(splitDatasetByNode(splitDatasetByNode(ds, { rank: 1, worldSize: 2 }), { rank: 1, worldSize: 2 })), [300, 301, 302]); // rank 2*1+1 of 4
  assert.throws(() => splitDatasetByNode(ds, { rank: 2, worldSize: 2 }), /rank must be an integer in \[0, 1\], got 2/);
  // a map-style Dataset: contiguous blocks
  const plain = Dataset.fromDict({ x: [0, 1, 2, 3, 4] });
  assert.deepEqual(await splitDatasetByNode(plain, { rank: 1, worldSize: 2 }).column('x'), [3, 4]);
});

test('withFormat torch, columns ops, fromDataset', async () => {
  const ds = IterableDataset.fromDataset(Dataset.fromDict({ a: [1, 2, 3], b: ['p', 'q', 'r'], v: [[0.5, 1], [2, 3], [4, 5]] }), { numShards: 2 });
  assert.equal(ds.numShards, 2);
  assert.deepEqual(ds.columnNames, ['a', 'b', 'v']);
  const [row] = await ds.withFormat('torch').toList(1);
  assert.equal(row!.a.dtype, 'int64');
  assert.equal(row!.b, 'p');
  assert.deepEqual(row!.v.shape, [2]);
  assert.equal(row!.v.dtype, 'float32');
  assert.throws(() => ds.withFormat('numpy' as never), /unknown format 'numpy'; use null, 'python' or 'torch'/);
  assert.deepEqual(await ds.withFormat('torch').withFormat(null).toList(1), [{ a: 1, b: 'p', v: [0.5, 1] }]);
  assert.deepEqual(await ds.removeColumns('v').renameColumn('b', 'c').toList(1), [{ a: 1, c: 'p' }]);
  assert.deepEqual(ds.selectColumns(['b']).columnNames, ['b']);
  assert.throws(() => ds.removeColumns('zz'), /column \['zz'\] not in the dataset/);
  assert.equal(ds.map((r: unknown) => r).features, null);
  const viaDataset = Dataset.fromDict({ a: [1, 2, 3, 4, 5] }).toIterableDataset({ numShards: 2 });
  assert.equal(viaDataset.numShards, 2);
  assert.deepEqual((await splitDatasetByNode(viaDataset, { rank: 1, worldSize: 2 }).toList()).map((r) => r.a), [4, 5]);
});

test('loadDataset(streaming): local parquet row group by row group, jsonl, csv; splits; bad split', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-'));
  try {
    const features = new Features([['text', new Value('string')], ['label', new ClassLabel({ names: ['neg', 'pos'] })]]);
    writeParquet(join(dir, 'train-00000-of-00002.parquet'), features, { text: ['a', 'b', 'c'], label: [0, 1, 0] }, { rowGroupSize: 2 });
    writeParquet(join(dir, 'train-00001-of-00002.parquet'), features, { text: ['d'], label: [1] });
    writeParquet(join(dir, 'test-00000-of-00001.parquet'), features, { text: ['t'], label: [1] });
    const dd = await loadDataset(dir, { streaming: true });
    assert.ok(dd instanceof IterableDatasetDict);
    assert.deepEqual(dd.splits, ['train', 'test']);
    assert.equal(dd.train.numShards, 2);
    assert.equal(String(dd.train.features), String(features));
    assert.deepEqual(await dd.train.toList(), [{ text: 'a', label: 0 }, { text: 'b', label: 1 }, { text: 'c', label: 0 }, { text: 'd', label: 1 }]);
    const one = await loadDataset(dir, { streaming: true, split: 'test' });
    assert.deepEqual(await one.toList(), [{ text: 't', label: 1 }]);
    await assert.rejects(loadDataset(dir, { streaming: true, split: 'train[:10]' }), /Bad split: train\[:10\]\. Available splits: \['train', 'test'\] \(a streaming dataset cannot be sliced/);

    writeFileSync(join(dir, 'a.jsonl'), '{"x": 1, "s": "p"}\n\n{"x": 2, "s": "q"}\n');
    writeFileSync(join(dir, 'b.csv'), 'x,s\n3,r\n4,t\n');
    const js = await loadDataset('json', { dataFiles: join(dir, 'a.jsonl'), streaming: true, split: 'train' });
    assert.equal(js.features, null);
    assert.deepEqual(await js.toList(), [{ x: 1, s: 'p' }, { x: 2, s: 'q' }]);
    const csv = await loadDataset('csv', { dataFiles: join(dir, 'b.csv'), streaming: true, split: 'train' });
    assert.deepEqual(await csv.toList(), [{ x: 3, s: 'r' }, { x: 4, s: 't' }]);
    // dict of splits with the operations applied to each
    const mapped = dd.map((r: { text: string }) => ({ n: r.text.length }));
    assert.deepEqual(await mapped.test.toList(), [{ text: 't', label: 1, n: 1 }]);
    assert.throws(() => dd.validation, /Unknown split "validation"/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a corrupt shard mid-stream: one-line error naming the file and the row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-bad-'));
  try {
    writeFileSync(join(dir, 'part-0.jsonl'), '{"x": 1}\n{"x": 2}\n');
    writeFileSync(join(dir, 'part-1.jsonl'), '{"x": 3}\n{"x": 4\n{"x": 5}\n');
    const ds = await loadDataset('json', { dataFiles: [join(dir, 'part-0.jsonl'), join(dir, 'part-1.jsonl')], streaming: true, split: 'train' });
    const got: number[] = [];
    await assert.rejects(async () => { for await (const r of ds) got.push(r.x); }, (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.match(e.message, /part-1\.jsonl line 2: invalid JSON/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.deepEqual(got, [1, 2, 3]);
    // parquet: a page overwritten with garbage in the second file
    const f = new Features([['v', new Value('string')]]);
    const texts = Array.from({ length: 50 }, (_v, i) => `row number ${i} `.repeat(4));
    writeParquet(join(dir, 'p0.parquet'), f, { v: texts });
    writeParquet(join(dir, 'p1.parquet'), f, { v: texts });
    const buf = readFileSync(join(dir, 'p1.parquet'));
    for (let i = 40; i < 400; i++) buf[i] = (i * 7919) & 0xff;
    writeFileSync(join(dir, 'p1.parquet'), buf);
    const pq = await loadDataset('parquet', { dataFiles: [join(dir, 'p0.parquet'), join(dir, 'p1.parquet')], streaming: true, split: 'train' });
    let n = 0;
    await assert.rejects(async () => { for await (const _r of pq) n++; }, (e: Error) => {
      assert.ok(e instanceof DatasetError, String(e));
      assert.match(e.message, /p1\.parquet.*rows? 0/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.equal(n, 50);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('iterSkipping (a resume): whole parquet files and row groups skipped unread through plain maps; exact fallback otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-skip-'));
  try {
    const f = new Features([['v', new Value('int64')]]);
    for (let s = 0; s < 3; s++) writeParquet(join(dir, `p${s}.parquet`), f, { v: Array.from({ length: 10 }, (_v, i) => s * 10 + i) }, { rowGroupSize: 4 });
    const files = [0, 1, 2].map((s) => join(dir, `p${s}.parquet`));
    const ds = await loadDataset('parquet', { dataFiles: files, streaming: true, split: 'train' });
    let calls = 0;
    const mapped = ds.map((r: { v: number }) => { calls++; return { w: r.v * 2 }; }).renameColumn('w', 'x');
    const all = await mapped.toList();
    calls = 0;
    const rest: unknown[] = [];
    for await (const r of mapped.iterSkipping(13)) rest.push(r);
    assert.deepEqual(rest, all.slice(13));
    assert.equal(calls, 17); // the map never saw the 13 skipped examples (file 0 and a row group of file 1 unread)
    // a filter in the chain: read and dropped, same result
    const filtered = ds.filter((r: { v: number }) => r.v % 3 === 0);
    const fAll = await filtered.toList();
    const fRest: unknown[] = [];
    for await (const r of filtered.iterSkipping(4)) fRest.push(r);
    assert.deepEqual(fRest, fAll.slice(4));
    // a batched map with indices cannot skip at the source either
    const idx = ds.map((_b: unknown, i: number[]) => ({ i }), { batched: true, batchSize: 4, withIndices: true });
    const iRest: unknown[] = [];
    for await (const r of idx.iterSkipping(25)) iRest.push(r);
    assert.deepEqual(iRest, (await idx.toList()).slice(25));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('CSV streams in chunks of 10,000 records: quoted newlines, the same rows as a full load, line numbers in errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-csv-'));
  try {
    const lines = ['id,text'];
    for (let i = 0; i < 25_000; i++) lines.push(i === 9_999 ? `${i},"two\nlines, quoted ""x"""` : `${i},t${i}`);
    writeFileSync(join(dir, 'a.csv'), lines.join('\n') + '\n');
    const streamed = await (await loadDataset('csv', { dataFiles: join(dir, 'a.csv'), streaming: true, split: 'train' })).toList();
    const full = await (await loadDataset('csv', { dataFiles: join(dir, 'a.csv'), split: 'train', cacheDir: join(dir, 'cache') })).toList();
    assert.equal(streamed.length, 25_000);
    assert.deepEqual(streamed[9_999], { id: 9_999, text: 'two\nlines, quoted "x"' });
    assert.deepEqual(streamed, full);
    // a bad record in the third chunk: its line in the file (the quoted newline moved later lines by one)
    lines[22_000] = '21999,too,many';
    writeFileSync(join(dir, 'b.csv'), lines.join('\n') + '\n');
    const bad = await loadDataset('csv', { dataFiles: join(dir, 'b.csv'), streaming: true, split: 'train' });
    let n = 0;
    await assert.rejects(async () => { for await (const _r of bad) n++; }, /b\.csv line 22002: expected 2 fields, saw 3/);
    assert.equal(n, 20_000);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('Arrow files stream record batch by record batch; a save_to_disk folder streams too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-stream-arrow-'));
  try {
    const ds = Dataset.fromDict({ a: Array.from({ length: 2500 }, (_v, i) => i), s: Array.from({ length: 2500 }, (_v, i) => `r${i}`) });
    await ds.saveToDisk(join(dir, 'saved'), { numShards: 2 });
    const arrows = readdirSync(join(dir, 'saved')).filter((f) => f.endsWith('.arrow')).map((f) => join(dir, 'saved', f)).sort();
    assert.equal(arrows.length, 2);
    const st = await loadDataset('arrow', { dataFiles: arrows, streaming: true, split: 'train' });
    assert.equal(st.numShards, 2);
    assert.deepEqual(st.columnNames, ['a', 's']);
    const rows = await st.toList();
    assert.deepEqual(rows, await ds.toList());
    const rest: unknown[] = [];
    for await (const r of st.iterSkipping(2400)) rest.push(r);
    assert.deepEqual(rest, rows.slice(2400));
    const fromDisk = await loadDataset(join(dir, 'saved'), { streaming: true, split: 'train' });
    assert.deepEqual((await fromDisk.take(3).toList()).map((r) => r.a), [0, 1, 2]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
