// Streaming from the local test Hub: splits from the repo's file list and card, each shard downloaded only
// when the iteration reaches it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { BEANS_REPO, GLUE_REPO, addFixtureRepos } from '../../test/support/hub-fixtures';
import { IterableDataset, IterableDatasetDict, loadDataset, type DecodedImage } from './index';

process.env.HUBTUNE_HUB_RETRY_BASE_MS = '5';
delete process.env.HF_HUB_OFFLINE;
delete process.env.HF_TOKEN;

let server: HubServer;
let home: string;
before(async () => {
  server = await startHubServer();
  await addFixtureRepos(server);
  home = mkdtempSync(join(tmpdir(), 'hubtune-stream-hub-'));
  process.env.HF_ENDPOINT = server.url;
  process.env.HF_HOME = home;
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

/** The parquet files whose download started (the resolve request; the bytes then come from the CDN). */
const shardGets = () => [...new Set(server.requests.filter((r) => /\/resolve\/.*\.parquet/.test(r.url)).map((r) => r.url.replace(/^.*\/resolve\/[^/]+\//, '')))];

test('glue/mrpc streamed from the Hub: IterableDatasetDict with the card features, shards fetched lazily', async () => {
  const cacheDir = join(home, 'c1');
  server.reset();
  const dd = await loadDataset(GLUE_REPO, 'mrpc', { cacheDir, streaming: true });
  assert.ok(dd instanceof IterableDatasetDict);
  assert.deepEqual(dd.splits, ['train', 'validation', 'test']);
  assert.equal(String(dd.validation.features!.get('label')), "ClassLabel(names=['not_equivalent', 'equivalent'], id=None)");
  assert.deepEqual(shardGets(), [], 'nothing downloaded before iterating');
  assert.deepEqual(dd.train.info, { builderName: 'parquet', configName: 'mrpc', datasetName: GLUE_REPO });
  const first = await dd.validation.take(2).toList();
  assert.equal(first.length, 2);
  assert.deepEqual(Object.keys(first[0]!), ['sentence1', 'sentence2', 'label', 'idx']);
  const got = shardGets();
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.match(got[0]!, /mrpc\/validation-00000-of-00001\.parquet$/);
  // the same rows as the non-streaming load
  const full = await loadDataset(GLUE_REPO, 'mrpc', { cacheDir, split: 'validation' });
  assert.deepEqual(await dd.validation.toList(), await full.toList());
  const one = await loadDataset(GLUE_REPO, 'mrpc', { cacheDir, split: 'train', streaming: true });
  assert.ok(one instanceof IterableDataset);
  assert.equal((await one.toList()).length, 8);
});

test('beans streamed: Image features decoded per example, ClassLabel kept, map over images', async () => {
  const ds = await loadDataset(BEANS_REPO, { cacheDir: join(home, 'c2'), split: 'train', streaming: true });
  assert.deepEqual(ds.columnNames, ['image_file_path', 'image', 'labels']);
  const [row] = await ds.skip(4).toList(1);
  assert.equal((row!.image as DecodedImage).width, 8);
  assert.equal(ds.features!.classLabel('labels').int2str(row!.labels as number), 'bean_rust');
  const sizes = await ds.map((r: { image: DecodedImage }) => ({ n: r.image.data.length }), { removeColumns: ['image'] }).toList();
  assert.deepEqual(sizes.map((r) => r.n), [192, 192, 192, 192, 192, 192]);
});
