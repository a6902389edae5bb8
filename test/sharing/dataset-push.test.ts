// Dataset / DatasetDict pushToHub: parquet shards + README (dataset_info, configs), read back with loadDataset.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parse } from 'yaml';
import { startHubServer, WRITE_TOKEN, type HubServer } from '../support/hub-server';
import { BEANS_REPO, addFixtureRepos } from '../support/hub-fixtures';
import { ClassLabel, Dataset, DatasetDict, Features, Sequence, Value, loadDataset } from '../../src/datasets/index';
import { featuresToYamlList, parseFileSize, pushDatasetDictToHub, pushDatasetToHub, PushToHubError } from '../../src/sharing/index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_TOKEN;
delete process.env.HF_HUB_OFFLINE;
process.env.HF_HOME = mkdtempSync(join(tmpdir(), 'hubtune-dsh-home-'));

let server: HubServer;
before(async () => {
  server = await startHubServer();
  await addFixtureRepos(server);
  process.env.HF_ENDPOINT = server.url;
});
after(() => server.close());
beforeEach(() => server.reset());

const opts = () => ({ token: WRITE_TOKEN, endpoint: server.url });
const cache = () => mkdtempSync(join(tmpdir(), 'hubtune-dsh-cache-'));

function repoFile(id: string, path: string): Buffer | undefined {
  const repo = server.getRepo('dataset', id)!;
  return repo.commits.get(repo.branches.get('main')!)!.files.get(path)?.content;
}
function repoFiles(id: string): string[] {
  const repo = server.getRepo('dataset', id)!;
  return [...repo.commits.get(repo.branches.get('main')!)!.files.keys()].sort();
}
function card(id: string): Record<string, any> {
  const text = repoFile(id, 'README.md')!.toString();
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text)!;
  return parse(m[1]) as Record<string, any>;
}

const FEATURES = new Features({
  text: new Value('string'),
  label: new ClassLabel({ names: ['neg', 'pos'] }),
  score: new Value('float32'),
  ids: new Sequence({ feature: new Value('int32') }),
});
function makeSplit(n: number, offset = 0): Dataset {
  return Dataset.fromDict({
    text: Array.from({ length: n }, (_, i) => `row ${i + offset}: "quoted" # ünïcode`),
    label: Array.from({ length: n }, (_, i) => (i + offset) % 2),
    score: Array.from({ length: n }, (_, i) => (i + offset) / 4),
    ids: Array.from({ length: n }, (_, i) => [i, i + 1, i + 2].slice(0, (i % 3) + 1)),
  }, { features: FEATURES });
}

describe('features YAML (datasets _to_yaml_list)', () => {
  test('Value, ClassLabel (string ids), Sequence, Image, nested', () => {
    assert.deepEqual(featuresToYamlList(FEATURES), [
      { name: 'text', dtype: 'string' },
      { name: 'label', dtype: { class_label: { names: { '0': 'neg', '1': 'pos' } } } },
      { name: 'score', dtype: 'float32' },
      { name: 'ids', sequence: 'int32' },
    ]);
    assert.equal(parseFileSize('500MB'), 500e6);
    assert.equal(parseFileSize('1GiB'), 2 ** 30);
    assert.equal(parseFileSize('8Mb'), 1e6);
    assert.throws(() => parseFileSize('lots'), /not a size/);
  });
});

describe('DatasetDict.pushToHub / Dataset.pushToHub', () => {
  test('default config: data/<split>-00000-of-00001.parquet + README; loadDataset reads the same rows and features', async () => {
    const dd = new DatasetDict({ train: makeSplit(10), test: makeSplit(4, 100) });
    const r = await pushDatasetDictToHub(dd, 'my-data', opts());
    assert.equal(r.repoId, 'writer/my-data');
    const c = server.commits.at(-1)!;
    assert.equal(c.title, 'Upload dataset');
    assert.deepEqual([...c.added].sort(), ['README.md', 'data/test-00000-of-00001.parquet', 'data/train-00000-of-00001.parquet']);
    assert.deepEqual([...c.lfs].sort(), ['data/test-00000-of-00001.parquet', 'data/train-00000-of-00001.parquet']);

    const meta = parquetMetadata(new Uint8Array(repoFile('writer/my-data', 'data/train-00000-of-00001.parquet')!).buffer);
    assert.equal(Number(meta.num_rows), 10);
    const hf = JSON.parse(meta.key_value_metadata!.find((k) => k.key === 'huggingface')!.value!);
    assert.deepEqual(hf.info.features.label, { names: ['neg', 'pos'], _type: 'ClassLabel' });

    const y = card('writer/my-data');
    assert.deepEqual(Object.keys(y), ['dataset_info', 'configs']);
    assert.deepEqual(y.dataset_info.features, featuresToYamlList(FEATURES));
    assert.deepEqual(y.dataset_info.splits.map((s: any) => [s.name, s.num_examples]), [['train', 10], ['test', 4]]);
    assert.ok(y.dataset_info.splits.every((s: any) => s.num_bytes > 0));
    assert.equal(y.dataset_info.dataset_size, y.dataset_info.splits.reduce((a: number, s: any) => a + s.num_bytes, 0));
    const sizes = ['data/train-00000-of-00001.parquet', 'data/test-00000-of-00001.parquet'].map((p) => repoFile('writer/my-data', p)!.length);
    assert.equal(y.dataset_info.download_size, sizes[0] + sizes[1]);
    assert.deepEqual(y.configs, [{ config_name: 'default', data_files: [{ split: 'train', path: 'data/train-*' }, { split: 'test', path: 'data/test-*' }] }]);

    const back = await loadDataset('writer/my-data', { cacheDir: cache() }) as DatasetDict;
    assert.deepEqual(back.splits.sort(), ['test', 'train']);
    for (const split of ['train', 'test']) {
      assert.equal(String(back.get(split).features), String(FEATURES));
      assert.deepEqual(await back.get(split).toList(), await dd.get(split).toList());
    }
  });

  test('a named config goes to <config>/<split>-*; shards by maxShardSize; a re-push deletes stale shards', async () => {
    const big = makeSplit(300);
    await pushDatasetToHub(big, 'writer/cfg-data', { ...opts(), configName: 'mrpc', split: 'train', maxShardSize: 4000 });
    const first = repoFiles('writer/cfg-data').filter((f) => f.endsWith('.parquet'));
    assert.ok(first.length >= 3, `several shards: ${first}`);
    const n = first.length;
    first.forEach((f, k) => assert.equal(f, `mrpc/train-${String(k).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.parquet`));
    let y = card('writer/cfg-data');
    assert.equal(y.dataset_info.config_name, 'mrpc');
    assert.deepEqual(y.configs, [{ config_name: 'mrpc', data_files: [{ split: 'train', path: 'mrpc/train-*' }] }]);

    // add a validation split: the card keeps train and adds validation (sizes summed)
    await pushDatasetToHub(makeSplit(5, 7), 'writer/cfg-data', { ...opts(), configName: 'mrpc', split: 'validation' });
    y = card('writer/cfg-data');
    assert.deepEqual(y.dataset_info.splits.map((s: any) => [s.name, s.num_examples]), [['train', 300], ['validation', 5]]);
    assert.deepEqual(y.configs[0].data_files, [{ split: 'train', path: 'mrpc/train-*' }, { split: 'validation', path: 'mrpc/validation-*' }]);

    // re-push train in one shard: old shards deleted in the same commit
    await pushDatasetToHub(makeSplit(12), 'writer/cfg-data', { ...opts(), configName: 'mrpc', split: 'train' });
    const c = server.commits.at(-1)!;
    assert.equal(c.deleted.length, n);
    assert.deepEqual(repoFiles('writer/cfg-data').filter((f) => f.endsWith('.parquet')), ['mrpc/train-00000-of-00001.parquet', 'mrpc/validation-00000-of-00001.parquet']);
    y = card('writer/cfg-data');
    // (datasets pops the re-pushed split and appends it)
    assert.deepEqual(y.dataset_info.splits.map((s: any) => [s.name, s.num_examples]), [['validation', 5], ['train', 12]]);
    assert.deepEqual(y.configs[0].data_files.map((d: any) => d.split), ['train', 'validation']);

    const back = await loadDataset('writer/cfg-data', 'mrpc', { cacheDir: cache() }) as DatasetDict;
    assert.equal(back.get('train').numRows, 12);
    assert.deepEqual(await back.get('validation').toList(), await makeSplit(5, 7).toList());

    // a second config keeps the first one
    await pushDatasetToHub(makeSplit(3), 'writer/cfg-data', { ...opts(), configName: 'other' });
    y = card('writer/cfg-data');
    assert.deepEqual(y.dataset_info.map((i: any) => i.config_name), ['mrpc', 'other']);
    assert.deepEqual(y.configs.map((i: any) => i.config_name), ['mrpc', 'other']);
    assert.equal((await loadDataset('writer/cfg-data', 'other', { cacheDir: cache(), split: 'train' }) as Dataset).numRows, 3);
  });

  test('images round-trip (beans-like): bytes and ClassLabel preserved', async () => {
    const beans = await loadDataset(BEANS_REPO, { cacheDir: cache() }) as DatasetDict;
    await beans.pushToHub('writer/beans-copy', opts()); // the method on DatasetDict delegates to pushDatasetDictToHub
    const y = card('writer/beans-copy');
    assert.deepEqual(y.dataset_info.features[1], { name: 'image', dtype: 'image' });
    const back = await loadDataset('writer/beans-copy', { cacheDir: cache() }) as DatasetDict;
    assert.equal(String(back.get('train').features), String(beans.get('train').features));
    const a = await back.get('validation').storageColumn('image').range(0, 3);
    const b = await beans.get('validation').storageColumn('image').range(0, 3);
    assert.deepEqual(a, b);
    assert.deepEqual(await back.get('train').column('labels'), await beans.get('train').column('labels'));
  });

  test('bad input: reserved config name, bad split, features mismatch, no token', async () => {
    await assert.rejects(pushDatasetToHub(makeSplit(2), 'writer/x', { ...opts(), configName: 'data' }), /configName cannot be "data"/);
    await assert.rejects(pushDatasetToHub(makeSplit(2), 'writer/x', { ...opts(), split: 'train[:10]' }), /split name "train\[:10\]" should match/);
    const other = Dataset.fromDict({ text: ['a'] });
    await assert.rejects(pushDatasetToHub(other, 'writer/my-data', { ...opts(), split: 'extra' }), (e: Error) => e instanceof PushToHubError && /don't match those of the splits already in writer\/my-data/.test(e.message));
    await assert.rejects(pushDatasetToHub(makeSplit(2), 'writer/x', { endpoint: server.url }), /needs a token with write access/);
    await assert.rejects(pushDatasetToHub(makeSplit(2), 'writer/x..y', opts()), /invalid repo id "writer\/x\.\.y"/);
  });
});
