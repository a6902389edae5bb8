// loadDataset against the local Hub server (beans-like and glue-like dataset repos).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { BEANS_REPO, GLUE_REPO, addFixtureRepos } from '../../test/support/hub-fixtures';
import { Dataset, DatasetDict, loadDataset, type DecodedImage } from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

let server: HubServer;
let home: string;

before(async () => {
  server = await startHubServer();
  await addFixtureRepos(server);
  home = mkdtempSync(join(tmpdir(), 'hubtune-dshub-'));
  process.env.HF_ENDPOINT = server.url;
  process.env.HF_HOME = home;
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

test('beans from the Hub: DatasetDict repr, ds["train"][i], int2str, lazy images, withTransform', async () => {
  const cacheDir = join(home, 'c1');
  const dd = await loadDataset(BEANS_REPO, { cacheDir }) as DatasetDict;
  assert.equal(String(dd), "DatasetDict({\n    train: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 6\n    })\n    validation: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 3\n    })\n    test: Dataset({\n        features: ['image_file_path', 'image', 'labels'],\n        num_rows: 3\n    })\n})");
  const train = dd.get('train');
  const row = await train.get(4);
  assert.equal(train.features.classLabel('labels').int2str(row.labels as number), 'bean_rust');
  assert.match(row.image_file_path as string, /bean_rust\/train\.4\.png$/);
  assert.equal((row.image as DecodedImage).width, 8);
  const t = train.withTransform((b) => ({ pixels: (b.image as DecodedImage[]).map((i) => i.data.length), labels: b.labels }));
  assert.deepEqual(await t.getBatch([0, 1]), { pixels: [192, 192], labels: [0, 1] });
});

test('glue/mrpc from the Hub: config folder, unknown config and split errors', async () => {
  const cacheDir = join(home, 'c2');
  server.reset();
  const mrpc = await loadDataset(GLUE_REPO, 'mrpc', { cacheDir }) as DatasetDict;
  assert.deepEqual(mrpc.numRows, { train: 8, validation: 4, test: 4 });
  assert.equal(String(mrpc.get('train').features.get('label')), "ClassLabel(names=['not_equivalent', 'equivalent'], id=None)");
  const tok = await mrpc.map((b: { sentence1: string[] }) => ({ n: b.sentence1.map((s) => s.split(' ').length) }), { batched: true });
  assert.deepEqual(tok.get('train').columnNames, ['sentence1', 'sentence2', 'label', 'idx', 'n']);
  const val = await loadDataset(GLUE_REPO, 'mrpc', { cacheDir, split: 'validation[:50%]' }) as Dataset;
  assert.equal(val.numRows, 2);
  await assert.rejects(loadDataset(GLUE_REPO, 'sst2', { cacheDir }), /BuilderConfig 'sst2' not found for hubtune-test\/glue. Available: \['mrpc'\]/);
  await assert.rejects(loadDataset(GLUE_REPO, 'mrpc', { cacheDir, split: 'dev' }), /Unknown split "dev". Should be one of \['train', 'validation', 'test'\]/);
});

test('unknown dataset versus offline and not cached; offline works from the cache', async () => {
  await assert.rejects(loadDataset('hubtune-test/no-such-dataset', { cacheDir: join(home, 'c3') }), /Dataset 'hubtune-test\/no-such-dataset' doesn't exist on the Hub or cannot be accessed/);
  const cacheDir = join(home, 'c4');
  await loadDataset(BEANS_REPO, { cacheDir, split: 'test' });
  process.env.HF_HUB_OFFLINE = '1';
  try {
    const again = await loadDataset(BEANS_REPO, { cacheDir, split: 'test' }) as Dataset;
    assert.equal(again.numRows, 3);
    await assert.rejects(loadDataset(GLUE_REPO, 'mrpc', { cacheDir }), /Couldn't reach the Hub for dataset 'hubtune-test\/glue' \(offline\) and it is not in the local cache/);
  } finally { delete process.env.HF_HUB_OFFLINE; }
});
