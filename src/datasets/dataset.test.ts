import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ClassLabel, Dataset, DatasetDict, Features, Image, Value, loadDataset, loadFromDisk, isDecodedImage, type DecodedImage } from './index';
import { makeImage, tempDir } from '../../test/support/dataset-fixtures';

function small(): Dataset {
  return Dataset.fromDict(
    { text: ['a', 'bb', 'ccc', 'dddd', 'eeeee'], label: [0, 1, 0, 1, 1] },
    { features: new Features({ text: new Value('string'), label: new ClassLabel({ names: ['neg', 'pos'] }) }) },
  );
}

test('basic properties, get, negative index, slice, column, iteration', async () => {
  const ds = small();
  assert.equal(ds.numRows, 5);
  assert.deepEqual(ds.columnNames, ['text', 'label']);
  assert.deepEqual(ds.shape, [5, 2]);
  assert.deepEqual(await ds.get(2), { text: 'ccc', label: 0 });
  assert.deepEqual(await ds.get(-1), { text: 'eeeee', label: 1 });
  await assert.rejects(ds.get(5), /row index 5 is out of range for a dataset of 5 rows/);
  assert.deepEqual(await ds.slice(0, 2), { text: ['a', 'bb'], label: [0, 1] });
  assert.deepEqual(await ds.slice(-2), { text: ['dddd', 'eeeee'], label: [1, 1] });
  assert.deepEqual(await ds.slice(3, 100), { text: ['dddd', 'eeeee'], label: [1, 1] });
  assert.deepEqual(await ds.column('label'), [0, 1, 0, 1, 1]);
  const rows = [];
  for await (const r of ds) rows.push(r);
  assert.equal(rows.length, 5);
  assert.deepEqual(rows[1], { text: 'bb', label: 1 });
  assert.deepEqual(await ds.getBatch([4, 0]), { text: ['eeeee', 'a'], label: [1, 0] });
  assert.equal(ds.features.classLabel('label').int2str((await ds.get(1)).label as number), 'pos');
});

test('Python reprs of Dataset and DatasetDict (String and util.inspect)', () => {
  const ds = small();
  assert.equal(String(ds), "Dataset({\n    features: ['text', 'label'],\n    num_rows: 5\n})");
  const dd = new DatasetDict({ train: ds, validation: ds.select([0, 1]) });
  const expected = "DatasetDict({\n    train: Dataset({\n        features: ['text', 'label'],\n        num_rows: 5\n    })\n    validation: Dataset({\n        features: ['text', 'label'],\n        num_rows: 2\n    })\n})";
  assert.equal(String(dd), expected);
  assert.equal(inspect(dd), expected);
  assert.deepEqual(dd.numRows, { train: 5, validation: 2 });
  assert.throws(() => dd.get('test'), /Unknown split "test". Should be one of \['train', 'validation'\]/);
});

test('map: batched, non-batched, async, withIndices, removeColumns, row-count change', async () => {
  const ds = small();
  const m1 = await ds.map((ex: { text: string }) => ({ len: ex.text.length }));
  assert.deepEqual(m1.columnNames, ['text', 'label', 'len']);
  assert.deepEqual(await m1.column('len'), [1, 2, 3, 4, 5]);
  assert.equal(String(m1.features.get('len')), "Value(dtype='int64', id=None)");
  assert.equal(String(m1.features.get('label')), "ClassLabel(names=['neg', 'pos'], id=None)", 'untouched ClassLabel kept');

  const m2 = await ds.map(async (b: { text: string[] }, idx: number[]) => ({ text: b.text.map((t) => t.toUpperCase()), i: idx }), { batched: true, batchSize: 2, withIndices: true });
  assert.deepEqual(m2.columnNames, ['text', 'label', 'i'], 'updated columns keep their position');
  assert.deepEqual(await m2.column('text'), ['A', 'BB', 'CCC', 'DDDD', 'EEEEE']);
  assert.deepEqual(await m2.column('i'), [0, 1, 2, 3, 4]);

  const m3 = await ds.map((b: { label: number[] }) => ({ label: b.label.map((l) => 1 - l) }), { batched: true });
  assert.equal(String(m3.features.get('label')), "ClassLabel(names=['neg', 'pos'], id=None)", 'ints in a ClassLabel column keep the ClassLabel');

  const m4 = await ds.map((b: { text: string[] }) => ({ ch: b.text.flatMap((t) => t.split('')) }), { batched: true, removeColumns: ['text', 'label'] });
  assert.equal(m4.numRows, 15);
  await assert.rejects(ds.map((b: { text: string[] }) => ({ ch: b.text.flatMap((t) => t.split('')) }), { batched: true }), /changed the number of rows \(5 -> 15\) but columns \['text', 'label'\] would be kept/);
  await assert.rejects(ds.map(() => ({}), { removeColumns: ['nope'] }), /column \['nope'\] not in the dataset/);
  const bad = await ds.map((ex: { label: number }) => ({ label: ex.label + 5 }));
  assert.equal(String(bad.features.get('label')), "Value(dtype='int64', id=None)", 'values that no longer fit the ClassLabel get an inferred feature');
});

test('filter, select, shuffle (seeded), trainTestSplit (sizes, stratified)', async () => {
  const ds = small();
  const f = await ds.filter((ex: { label: number }) => ex.label === 1);
  assert.deepEqual(await f.column('text'), ['bb', 'dddd', 'eeeee']);
  const fb = await ds.filter((b: { text: string[] }) => b.text.map((t) => t.length > 2), { batched: true });
  assert.equal(fb.numRows, 3);
  const sel = ds.select([4, 0, 2]);
  assert.deepEqual(await sel.column('text'), ['eeeee', 'a', 'ccc']);
  assert.deepEqual(await sel.select([1]).column('text'), ['a'], 'selections compose');
  assert.throws(() => ds.select([7]), /select: index 7 is out of range/);
  const s1 = await ds.shuffle({ seed: 42 }).column('text');
  const s2 = await ds.shuffle({ seed: 42 }).column('text');
  assert.deepEqual(s1, s2);
  assert.deepEqual([...s1].sort(), ['a', 'bb', 'ccc', 'dddd', 'eeeee']);

  const big = Dataset.fromDict({ x: Array.from({ length: 100 }, (_, i) => i), y: Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1)) },
    { features: new Features({ x: new Value('int64'), y: new ClassLabel({ names: ['a', 'b'] }) }) });
  const sp = await big.trainTestSplit({ testSize: 0.1, seed: 0 });
  assert.deepEqual(sp.numRows, { train: 90, test: 10 });
  const all = [...await sp.get('train').column('x'), ...await sp.get('test').column('x')].sort((a, b) => (a as number) - (b as number));
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual((await big.trainTestSplit({ testSize: 0.1, seed: 0 })).get('test').fingerprint, sp.get('test').fingerprint);
  assert.deepEqual((await big.trainTestSplit({ testSize: 0.333 })).numRows, { train: 66, test: 34 }, 'test size rounds up like Python');
  const st = await big.trainTestSplit({ testSize: 0.2, seed: 1, stratifyByColumn: 'y' });
  const testLabels = await st.get('test').column('y') as number[];
  assert.equal(testLabels.filter((l) => l === 1).length, 4, 'class proportions are kept');
  await assert.rejects(big.trainTestSplit({ testSize: 0.2, stratifyByColumn: 'x' }), /only supported for ClassLabel columns/);
  await assert.rejects(big.trainTestSplit({ testSize: 1.5 }), /testSize=1.5 should be either positive/);
  const ns = await big.trainTestSplit({ testSize: 10, shuffle: false });
  assert.deepEqual(await ns.get('test').column('x'), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
});

test('withTransform / setTransform: applied on access to a batch dict, never stored', async () => {
  const ds = small();
  let calls = 0;
  const t = ds.withTransform((b) => { calls++; return { text: (b.text as string[]).map((s) => `<${s}>`), n: (b.label as number[]).map((l) => l * 10) }; });
  assert.deepEqual(await t.get(1), { text: '<bb>', n: 10 });
  assert.deepEqual(await t.slice(0, 2), { text: ['<a>', '<bb>'], n: [0, 10] });
  assert.deepEqual(await t.getBatch([3, 4]), { text: ['<dddd>', '<eeeee>'], n: [10, 10] });
  assert.equal(calls, 3);
  assert.deepEqual(await ds.get(1), { text: 'bb', label: 1 }, 'the original is untouched');
  assert.deepEqual(t.columnNames, ['text', 'label'], 'the stored columns are unchanged');
  const only = ds.withTransform((b) => ({ up: (b.text as string[]).map((s) => s.toUpperCase()) }), { columns: ['text'], outputAllColumns: true });
  assert.deepEqual(await only.get(0), { up: 'A', label: 0 });
  ds.setTransform((b) => ({ label: b.label }));
  assert.deepEqual(await ds.get(0), { label: 0 });
  ds.resetFormat();
  assert.deepEqual(await ds.get(0), { text: 'a', label: 0 });
  const broken = ds.withTransform(() => ({ x: 5 as unknown as unknown[] }));
  await assert.rejects(broken.get(0), /the transform must return a dict of lists/);
});

test('renameColumn, removeColumns, castColumn, unique, addColumn', async () => {
  const ds = small();
  assert.deepEqual(ds.renameColumn('label', 'labels').columnNames, ['text', 'labels']);
  assert.deepEqual(ds.renameColumn({ originalColumnName: 'text', newColumnName: 'sentence' }).columnNames, ['sentence', 'label']);
  assert.throws(() => ds.renameColumn('label', 'text'), /column 'text' already exists/);
  assert.deepEqual(ds.removeColumns('text').columnNames, ['label']);
  assert.throws(() => ds.removeColumns(['zzz']), /removeColumns: column \['zzz'\] not in the dataset; current columns: \['text', 'label'\]/);
  assert.deepEqual(await ds.unique('label'), [0, 1]);
  const s = Dataset.fromDict({ lab: ['cat', 'dog', 'cat'], v: [1, 2, 3] });
  const c = await s.castColumn({ column: 'lab', feature: new ClassLabel({ names: ['cat', 'dog'] }) });
  assert.deepEqual(await c.column('lab'), [0, 1, 0]);
  await assert.rejects(s.castColumn({ column: 'lab', feature: new ClassLabel({ names: ['cat'] }) }), /row 1, column 'lab': Invalid string class label 'dog'/);
  const fl = await s.castColumn({ column: 'v', feature: new Value('float32') });
  assert.equal(String(fl.features.get('v')), "Value(dtype='float32', id=None)");
  const added = s.addColumn({ name: 'w', column: [true, false, true] });
  assert.deepEqual(added.columnNames, ['lab', 'v', 'w']);
});

test('fromDict checks labels against the ClassLabel and column lengths', () => {
  const feats = new Features({ label: new ClassLabel({ names: ['a', 'b'] }) });
  assert.throws(() => Dataset.fromDict({ label: [0, 3] }, { features: feats }), /column 'label' row 1: class label 3 is outside the ClassLabel range \[-1, 2\)/);
  assert.throws(() => Dataset.fromDict({ label: ['a', 'zz'] }, { features: feats }), /row 1: Invalid string class label 'zz'/);
  assert.deepEqual(Dataset.fromDict({ label: ['b', 'a'] }, { features: feats }).numRows, 2);
  assert.throws(() => Dataset.fromDict({ a: [1], b: [1, 2] }), /different lengths/);
});

test('images: decoded on access, Image({decode:false}), map skipping undecodable rows', async () => {
  const good = await makeImage({ width: 5, height: 4 });
  const ds = Dataset.fromDict({ image: [good, new Uint8Array([1, 2, 3]), good], label: [0, 1, 0] }, { features: new Features({ image: new Image(), label: new Value('int64') }) });
  const row = await ds.get(0);
  const img = row.image as DecodedImage;
  assert.ok(isDecodedImage(img));
  assert.equal(img.width, 5); assert.equal(img.height, 4); assert.equal(img.mode, 'RGB');
  assert.equal(img.data.length, 5 * 4 * 3);
  assert.match(inspect(img), /<PNG DecodedImage mode=RGB size=5x4>/);
  await assert.rejects(ds.get(1), /row 1, column 'image': cannot decode image/);
  const raw = await ds.castColumn({ column: 'image', feature: new Image({ decode: false }) });
  const r1 = await raw.get(1) as { image: { bytes: Uint8Array; path: null } };
  assert.deepEqual([...r1.image.bytes], [1, 2, 3]);
  await assert.rejects(ds.map((ex: { image: DecodedImage }) => ({ w: ex.image.width })), /cannot decode image/);
  const origWrite = process.stderr.write.bind(process.stderr);
  let warned = '';
  process.stderr.write = ((s: string) => { warned += s; return true; }) as typeof process.stderr.write;
  let skipped: Dataset;
  try {
    skipped = await ds.map((b: { image: DecodedImage[] }) => ({ w: b.image.map((i) => i.width) }), { batched: true, skipDecodeErrors: true });
  } finally { process.stderr.write = origWrite; }
  assert.equal(skipped.numRows, 2);
  assert.deepEqual(skipped.skippedRows, [1]);
  assert.deepEqual(await skipped.column('label'), [0, 0]);
  assert.match(warned, /skipped 1 row\(s\) whose data failed to decode \(rows 1\)/);
  const toGray = await ds.select([0]).castColumn({ column: 'image', feature: new Image({ mode: 'L' }) });
  assert.equal(((await toGray.get(0)).image as DecodedImage).mode, 'L');
});

test('map results are cached on disk by fingerprint (data + function source)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const csv = join(dir, 'd.csv');
    (await import('node:fs')).writeFileSync(csv, 'text,label\nhello,1\nworld,0\n');
    const ds = await loadDataset('csv', { dataFiles: csv, cacheDir: join(dir, 'cache'), split: 'train' }) as Dataset;
    let calls = 0;
    const fn = (b: { text: string[] }): { n: number[] } => { calls++; return { n: b.text.map((t) => t.length) }; };
    const a = await ds.map(fn, { batched: true });
    const b = await ds.map(fn, { batched: true });
    assert.equal(calls, 1, 'second map loaded from the cache file');
    assert.equal(a.fingerprint, b.fingerprint);
    assert.deepEqual(await b.column('n'), [5, 5]);
    assert.ok(readdirSync(ds.cacheDir!).some((f) => /^cache-[0-9a-f]{16}\.arrow$/.test(f)));
    await ds.map(fn, { batched: true, loadFromCacheFile: false });
    assert.equal(calls, 2);
    await ds.map((x: { text: string[] }) => ({ n: x.text.map(() => 0) }), { batched: true });
    assert.equal(calls, 2, 'a different function is a different fingerprint');
  } finally { cleanup(); }
});

test('saveToDisk / loadFromDisk: Python layout, round trip, and toJSON/toCSV/toParquet', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const img = await makeImage();
    const ds = Dataset.fromDict({ image: [img, img], label: [1, 0], text: ['x, "quoted"', 'y'], score: [1, 2.5] },
      { features: new Features({ image: new Image(), label: new ClassLabel({ names: ['a', 'b'] }), text: new Value('string'), score: new Value('float64') }), split: 'train' });
    const dd = new DatasetDict({ train: ds, test: ds.select([1]) });
    await dd.saveToDisk(join(dir, 'saved'));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'saved', 'dataset_dict.json'), 'utf8')), { splits: ['train', 'test'] });
    assert.ok(existsSync(join(dir, 'saved', 'train', 'data-00000-of-00001.arrow')));
    const state = JSON.parse(readFileSync(join(dir, 'saved', 'train', 'state.json'), 'utf8'));
    assert.deepEqual(state._data_files, [{ filename: 'data-00000-of-00001.arrow' }]);
    assert.equal(state._split, 'train');
    const info = JSON.parse(readFileSync(join(dir, 'saved', 'train', 'dataset_info.json'), 'utf8'));
    assert.deepEqual(info.features.label, { names: ['a', 'b'], _type: 'ClassLabel' });
    const back = await loadFromDisk(join(dir, 'saved')) as DatasetDict;
    assert.equal(String(back), String(dd));
    const row = await back.get('train').get(0);
    assert.equal(row.label, 1); assert.equal(row.text, 'x, "quoted"');
    assert.equal((row.image as DecodedImage).width, 8);
    const viaLoad = await loadDataset(join(dir, 'saved'), { split: 'test' }) as Dataset;
    assert.equal(viaLoad.numRows, 1);
    await ds.saveToDisk(join(dir, 'sharded'), { numShards: 2 });
    assert.deepEqual(readdirSync(join(dir, 'sharded')).filter((f) => f.endsWith('.arrow')).sort(), ['data-00000-of-00002.arrow', 'data-00001-of-00002.arrow']);
    assert.equal((await loadFromDisk(join(dir, 'sharded')) as Dataset).numRows, 2);

    const plain = ds.removeColumns('image');
    await plain.toCSV(join(dir, 'o.csv'));
    assert.equal(readFileSync(join(dir, 'o.csv'), 'utf8'), 'label,text,score\n1,"x, ""quoted""",1.0\n0,y,2.5\n');
    await plain.toJSON(join(dir, 'o.jsonl'));
    assert.equal(readFileSync(join(dir, 'o.jsonl'), 'utf8'), '{"label":1,"text":"x, \\"quoted\\"","score":1}\n{"label":0,"text":"y","score":2.5}\n');
    await ds.toParquet(join(dir, 'o.parquet'));
    const pq = await loadDataset(join(dir, 'o.parquet'), { split: 'train' }) as Dataset;
    assert.equal(String(pq.features), String(ds.features), 'features travel in the parquet metadata');
    assert.equal(((await pq.get(1)).image as DecodedImage).height, 6);
    const csvBack = await loadDataset('csv', { dataFiles: join(dir, 'o.csv'), split: 'train' }) as Dataset;
    assert.deepEqual(await csvBack.get(0), { label: 1, text: 'x, "quoted"', score: 1 });
    assert.equal(String(csvBack.features.get('score')), "Value(dtype='float64', id=None)");
  } finally { cleanup(); }
});
