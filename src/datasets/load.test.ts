import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, DatasetDict, Image, loadDataset, parseSplitSpec, type DecodedImage } from './index';
import { absoluteBounds, globToRegExp, inferSplits } from './load';
import { BEANS_LABELS, tempDir, writeBeansRepo, writeGlueRepo, writeImagefolder, writeText } from '../../test/support/dataset-fixtures';

test('a beans-like repo folder: data/{split}-*.parquet, features from parquet metadata or README', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeBeansRepo(join(dir, 'beans'));
    const dd = await loadDataset(join(dir, 'beans'), { cacheDir: join(dir, 'c') }) as DatasetDict;
    assert.equal(String(dd), "DatasetDict({\n    train: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 6\n    })\n    validation: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 3\n    })\n    test: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 3\n    })\n})");
    const train = dd.get('train');
    const row = await train.get(4);
    assert.equal(train.features.classLabel('labels').int2str(row.labels as number), BEANS_LABELS[1]);
    assert.equal((row.image as DecodedImage).mode, 'RGB');
    assert.equal((row.image as DecodedImage).width, 10);
    assert.equal(String(train.features.get('labels')), "ClassLabel(names=['angular_leaf_spot', 'bean_rust', 'healthy'], id=None)");

    await writeBeansRepo(join(dir, 'beans2'), { withParquetMetadata: false });
    const fromReadme = await loadDataset(join(dir, 'beans2'), { split: 'validation' }) as Dataset;
    assert.equal(String(fromReadme.features.get('labels')), "ClassLabel(names=['angular_leaf_spot', 'bean_rust', 'healthy'], id=None)", 'README dataset_info gives the ClassLabel');
    assert.equal(String(fromReadme.features.get('image')), 'Image(mode=None, decode=True, id=None)');

    await assert.rejects(loadDataset(join(dir, 'beans'), { split: 'dev' }), /Unknown split "dev". Should be one of \['train', 'validation', 'test'\]/);
    const tr = await loadDataset(join(dir, 'beans'), { split: 'train[:50%]+test[-1:]' }) as Dataset;
    assert.equal(tr.numRows, 4);
  } finally { cleanup(); }
});

test('a glue-like repo: config folders and README configs; unknown config lists the available ones', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeGlueRepo(join(dir, 'glue'));
    const mrpc = await loadDataset(join(dir, 'glue'), 'mrpc') as DatasetDict;
    assert.deepEqual(mrpc.splits, ['train', 'validation', 'test']);
    assert.deepEqual(mrpc.numRows, { train: 8, validation: 4, test: 4 });
    const r = await mrpc.get('train').get(0);
    assert.match(r.sentence1 as string, /^Amrozi accused/);
    assert.equal(mrpc.get('train').features.classLabel('label').int2str(r.label as number), 'equivalent');
    assert.equal(String(mrpc.get('train').features.get('idx')), "Value(dtype='int32', id=None)");
    assert.deepEqual(await mrpc.get('test').column('label'), [-1, -1, -1, -1]);
    await assert.rejects(loadDataset(join(dir, 'glue'), 'sst9'), /BuilderConfig 'sst9' not found for .*\. Available: \['cola', 'mrpc'\]/);
    await assert.rejects(loadDataset(join(dir, 'glue')), /Config name is missing .* Please pick one among the available configs: \['cola', 'mrpc'\]/);
    writeGlueRepo(join(dir, 'glue2'), { configsInReadme: false });
    const viaFolder = await loadDataset(join(dir, 'glue2'), 'mrpc', { split: 'validation' }) as Dataset;
    assert.equal(viaFolder.numRows, 4);
  } finally { cleanup(); }
});

test('imagefolder: labels from folder names (sorted) into a ClassLabel, splits from folders', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeImagefolder(join(dir, 'imgs'), { train: { dog: 2, cat: 3 }, test: { cat: 1, dog: 1 } });
    const dd = await loadDataset('imagefolder', { dataDir: join(dir, 'imgs') }) as DatasetDict;
    assert.deepEqual(dd.splits, ['train', 'test']);
    const train = dd.get('train');
    assert.deepEqual(train.columnNames, ['image', 'label']);
    assert.equal(String(train.features.get('label')), "ClassLabel(names=['cat', 'dog'], id=None)");
    assert.deepEqual(await train.column('label'), [0, 0, 0, 1, 1]);
    const img = (await train.get(3)).image as DecodedImage;
    assert.match(img.path!, /dog_0\.png$/);
    assert.equal(img.width, 8);
    const same = await loadDataset(join(dir, 'imgs'), { split: 'test' }) as Dataset;
    assert.equal(same.numRows, 2);
    await writeImagefolder(join(dir, 'flat'), { train: { only: 2 } });
    const flat = await loadDataset('imagefolder', { dataDir: join(dir, 'flat'), split: 'train' }) as Dataset;
    assert.deepEqual(flat.columnNames, ['image'], 'a single label folder adds no label column (like datasets)');
    // a corrupt image is reported with the row and the file
    writeFileSync(join(dir, 'imgs', 'train', 'cat', 'cat_1.png'), 'not an image');
    const again = await loadDataset('imagefolder', { dataDir: join(dir, 'imgs'), split: 'train' }) as Dataset;
    await assert.rejects(again.get(1), /train row 1, column 'image' \(.*cat_1\.png\): cannot decode image/);
  } finally { cleanup(); }
});

test('csv, json, jsonl, parquet files, by path and through the packaged builders', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const csv = writeText(join(dir, 'train.csv'), 'text,label,score,flag\n"hello, world",1,0.5,True\nbye,0,,False\n');
    const c = await loadDataset('csv', { dataFiles: { train: csv }, split: 'train' }) as Dataset;
    assert.deepEqual(await c.get(0), { text: 'hello, world', label: 1, score: 0.5, flag: true });
    assert.deepEqual(await c.get(1), { text: 'bye', label: 0, score: null, flag: false });
    assert.equal(String(c.features), "{'text': Value(dtype='string', id=None), 'label': Value(dtype='int64', id=None), 'score': Value(dtype='float64', id=None), 'flag': Value(dtype='bool', id=None)}");
    const byPath = await loadDataset(csv) as DatasetDict;
    assert.deepEqual(byPath.splits, ['train']);

    const jl = writeText(join(dir, 'd.jsonl'), '{"a": 1, "b": [1, 2]}\n\n{"a": 2.5, "b": [], "c": {"x": "y"}}\n');
    const j = await loadDataset('json', { dataFiles: jl, split: 'train' }) as Dataset;
    assert.equal(String(j.features.get('a')), "Value(dtype='float64', id=None)", 'ints and floats merge to float64 like pyarrow');
    assert.deepEqual(await j.get(1), { a: 2.5, b: [], c: { x: 'y' } });
    assert.deepEqual((await j.get(0)).c, null);

    const arr = writeText(join(dir, 'list.json'), JSON.stringify([{ q: 'x' }, { q: 'y' }]));
    assert.equal((await loadDataset(arr, { split: 'train' }) as Dataset).numRows, 2);
    const nested = writeText(join(dir, 'nested.json'), JSON.stringify({ version: 1, data: [{ q: 'x' }] }));
    assert.equal((await loadDataset('json', { dataFiles: nested, field: 'data', split: 'train' }) as Dataset).numRows, 1);

    const glob = await loadDataset('csv', { dataFiles: join(dir, '*.csv') }) as DatasetDict;
    assert.equal(glob.get('train').numRows, 2);
    const sliced = await loadDataset('csv', { dataFiles: csv, split: ['train[:1]', 'train[1:]'] }) as Dataset[];
    assert.deepEqual(sliced.map((d) => d.numRows), [1, 1]);
  } finally { cleanup(); }
});

test('bad input: one-line errors naming the file, line, row or column', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const badCsv = writeText(join(dir, 'bad.csv'), 'a,b\n1,2\n3,4,5\n');
    await assert.rejects(loadDataset(badCsv), (e: Error) => /bad\.csv line 3: expected 2 fields, saw 3/.test(e.message) && !e.message.includes('\n'));
    const unclosed = writeText(join(dir, 'q.csv'), 'a\n"open\n');
    await assert.rejects(loadDataset(unclosed), /q\.csv line 2: a quoted field is never closed/);
    const badJsonl = writeText(join(dir, 'bad.jsonl'), '{"a": 1}\n{"a": 2\n');
    await assert.rejects(loadDataset(badJsonl), /bad\.jsonl line 2: invalid JSON/);
    const mixed = writeText(join(dir, 'mixed.jsonl'), '{"a": 1}\n{"a": "x"}\n');
    await assert.rejects(loadDataset(mixed), /column 'a' mixes number and string values \(first conflict at .*mixed\.jsonl line 2\)/);
    const badPq = writeText(join(dir, 'bad.parquet'), 'PAR1 this is not parquet');
    await assert.rejects(loadDataset(badPq), /bad\.parquet: not a readable parquet file/);
    await assert.rejects(loadDataset(join(dir, 'nope.csv')), /nope\.csv does not exist/);
    await assert.rejects(loadDataset('csv', { dataFiles: join(dir, 'zzz*.csv') }), /Unable to find files matching/);
    const { ClassLabel, Features } = await import('./features');
    const labelled = writeText(join(dir, 'l.csv'), 'label\ncat\nbird\n');
    await assert.rejects(loadDataset('csv', { dataFiles: labelled, features: new Features({ label: new ClassLabel({ names: ['cat', 'dog'] }) }) }), /row 1, column 'label': Invalid string class label 'bird'/);
    await assert.rejects(loadDataset('csv', {}), /give dataFiles \(files or globs\) or dataDir/);
  } finally { cleanup(); }
});

test('split syntax: percent rounding (half to even, like Python), negatives, concatenation', () => {
  assert.deepEqual(parseSplitSpec('train[:10%]'), [{ split: 'train', from: null, to: 10, pct: true, rounding: 'closest' }]);
  assert.deepEqual(parseSplitSpec('train[100:200]+test')[1], { split: 'test', from: null, to: null, pct: false, rounding: 'closest' });
  assert.deepEqual(absoluteBounds(parseSplitSpec('train[:10%]')[0], 1034), [0, 103]);
  assert.deepEqual(absoluteBounds(parseSplitSpec('train[:25%]')[0], 10), [0, 2], '2.5 rounds to 2');
  assert.deepEqual(absoluteBounds(parseSplitSpec('train[:35%]')[0], 10), [0, 4], '3.5 rounds to 4');
  assert.deepEqual(absoluteBounds(parseSplitSpec('train[-10:]')[0], 50), [40, 50]);
  assert.deepEqual(absoluteBounds(parseSplitSpec('train[100:200]')[0], 150), [100, 150]);
  assert.throws(() => parseSplitSpec('train[a:b]'), /Unrecognized split format: 'train\[a:b\]'/);
});

test('default data-file patterns and globs', () => {
  assert.deepEqual(Object.keys(inferSplits(['data/test-00000-of-00001.parquet', 'data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet', 'data/validation-00000-of-00001.parquet'])), ['train', 'validation', 'test']);
  assert.deepEqual(inferSplits(['train/a.csv', 'dev/b.csv']), { train: ['train/a.csv'], validation: ['dev/b.csv'] });
  assert.deepEqual(inferSplits(['my_train.csv', 'my-test.csv']), { train: ['my_train.csv'], test: ['my-test.csv'] });
  assert.deepEqual(inferSplits(['a.csv', 'b.csv']), { train: ['a.csv', 'b.csv'] });
  assert.ok(globToRegExp('mrpc/train-*').test('mrpc/train-00000-of-00001.parquet'));
  assert.ok(!globToRegExp('*.parquet').test('a/b.parquet'));
  assert.ok(globToRegExp('**/*.parquet').test('a/b.parquet'));
  assert.ok(globToRegExp('**/*.parquet').test('b.parquet'));
});

test('Image feature cast on a loaded dataset', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeBeansRepo(join(dir, 'b'), { rows: { train: 2 } });
    const ds = await loadDataset(join(dir, 'b'), { split: 'train' }) as Dataset;
    const raw = await ds.castColumn({ column: 'image', feature: new Image({ decode: false }) });
    const r = await raw.get(0) as { image: { bytes: Uint8Array; path: string } };
    assert.ok(r.image.bytes instanceof Uint8Array);
    assert.equal(r.image.path, 'bean_train_0.jpg');
  } finally { cleanup(); }
});
