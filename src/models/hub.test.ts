// fromPretrained through the Hub client against the local test Hub (no internet): sharded
// safetensors, pytorch_model.bin-only repos (single and sharded), the Hub's safetensors
// conversion pull request (taken only from the bot, only on top of main), offline from the cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, tidy, tensorToWrite } from '../torch/index';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { torchSaveRecords } from '../../test/support/torch-save';
import { AutoModelForSequenceClassification, AutoConfig, DistilBertForSequenceClassification, type PreTrainedModel } from './index';

let server: HubServer;
let dir: string;
let reference: PreTrainedModel;
let other: PreTrainedModel;
let safetensorsFiles: Record<string, Buffer>;
let binFile: Uint8Array;
const cfg = { vocab_size: 40, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 20, max_position_embeddings: 16, id2label: { 0: 'a', 1: 'b', 2: 'c' } };

function filesOf(m: PreTrainedModel, sub: string, o: { maxShardSize?: string } = {}): Record<string, Buffer> {
  const saved = join(dir, sub);
  m.savePretrained(saved, o);
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(saved)) files[f] = readFileSync(join(saved, f));
  return files;
}

function sameWeights(a: PreTrainedModel, b: PreTrainedModel): boolean {
  const sb = b.stateDict();
  return [...a.stateDict()].every(([k, t]) => tidy(() => t.equal(sb.get(k)!)));
}

before(async () => {
  process.env.HUBTUNE_QUIET = '1';
  server = await startHubServer();
  dir = mkdtempSync(join(tmpdir(), 'hubtune-models-hub-'));
  manualSeed(7);
  reference = DistilBertForSequenceClassification.fromConfig(cfg);
  other = DistilBertForSequenceClassification.fromConfig(cfg);
  server.addRepo({ id: 'hubtune-test/tiny-distilbert', files: filesOf(reference, 'sharded', { maxShardSize: '8KB' }) });
  safetensorsFiles = filesOf(reference, 'single');
  binFile = torchSaveRecords(new Map([...reference.stateDictForSave()].map(([k, t]) => [k, tensorToWrite(t)])), { archiveName: 'pytorch_model' });
  const config = safetensorsFiles['config.json']!;
  server.addRepo({ id: 'hubtune-test/bin-only', files: { 'config.json': config, 'pytorch_model.bin': binFile } });
  // A sharded .bin checkpoint: two shards and the index transformers writes.
  const sd = [...reference.stateDictForSave()].map(([k, t]) => [k, tensorToWrite(t)] as const);
  const half = Math.ceil(sd.length / 2);
  const shards = [sd.slice(0, half), sd.slice(half)].map((part) => torchSaveRecords(new Map(part)));
  const weightMap = Object.fromEntries(sd.map(([k], i) => [k, `pytorch_model-0000${i < half ? 1 : 2}-of-00002.bin`]));
  server.addRepo({
    id: 'hubtune-test/bin-sharded',
    files: {
      'config.json': config, 'pytorch_model-00001-of-00002.bin': shards[0]!, 'pytorch_model-00002-of-00002.bin': shards[1]!,
      'pytorch_model.bin.index.json': JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    },
  });
  // .bin on main and conversion PRs: the bot's (weights of `other`, so we can tell which loaded), someone else's, a stale one.
  const otherSt = filesOf(other, 'other')['model.safetensors']!;
  for (const [id, author, stale] of [['hubtune-test/converted', 'SFconvertbot', false], ['hubtune-test/not-the-bot', 'mallory', false], ['hubtune-test/stale-pr', 'SFconvertbot', true]] as const) {
    server.addRepo({ id, files: { 'config.json': config, 'pytorch_model.bin': binFile } });
    server.openPullRequest({ id, title: 'Adding `safetensors` variant of this model', author, files: { 'model.safetensors': otherSt } });
    if (stale) server.commitFiles({ id, files: { 'README.md': 'moved on' } });
  }
});
after(async () => {
  reference.dispose();
  other.dispose();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ cacheDir: join(dir, 'cache'), endpoint: server.url });

test('AutoModel and AutoConfig load a sharded checkpoint from a Hub repo id', async () => {
  const config = await AutoConfig.fromPretrained('hubtune-test/tiny-distilbert', opts());
  assert.deepEqual(config.id2label, { 0: 'a', 1: 'b', 2: 'c' });
  const { model, loadingInfo } = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/tiny-distilbert', { ...opts(), outputLoadingInfo: true });
  assert.ok(model instanceof DistilBertForSequenceClassification);
  assert.deepEqual(loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  assert.equal(model.config.numLabels, 3);
  assert.ok(sameWeights(model, reference));
  model.dispose();
});

test('a repo with only pytorch_model.bin loads it (after looking for a conversion PR)', async () => {
  server.reset();
  const { model, loadingInfo } = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/bin-only', { ...opts(), outputLoadingInfo: true });
  assert.deepEqual(loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  assert.ok(sameWeights(model, reference));
  model.dispose();
  const paths = server.requests.filter((r) => r.server === 'hub').map((r) => `${r.method} ${r.url.split('?')[0]}`);
  assert.ok(paths.indexOf('HEAD /hubtune-test/bin-only/resolve/main/model.safetensors') < paths.indexOf('GET /api/models/hubtune-test/bin-only/discussions'));
  assert.ok(paths.indexOf('GET /api/models/hubtune-test/bin-only/discussions') < paths.indexOf('HEAD /hubtune-test/bin-only/resolve/main/pytorch_model.bin'));
});

test('a sharded pytorch_model.bin.index.json repo loads every shard', async () => {
  const model = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/bin-sharded', opts());
  assert.ok(sameWeights(model, reference));
  model.dispose();
});

test("the conversion bot's open PR on top of main is loaded instead of the .bin", async () => {
  server.reset();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    const model = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/converted', opts());
    assert.ok(sameWeights(model, other), 'weights come from refs/pr/1');
    model.dispose();
  } finally {
    console.warn = warn;
  }
  assert.match(warnings.join('\n'), /loading model\.safetensors from its conversion pull request refs\/pr\/1 \(opened by SFconvertbot\)/);
  const urls = server.requests.map((r) => r.url);
  assert.ok(urls.some((u) => u.includes('/resolve/refs%2Fpr%2F1/model.safetensors')));
  assert.ok(!urls.some((u) => u.includes('pytorch_model.bin')), 'the pickle is never fetched');
});

test('a PR by someone else, or one that main has moved past, is ignored: the .bin loads', async () => {
  for (const id of ['hubtune-test/not-the-bot', 'hubtune-test/stale-pr']) {
    server.reset();
    const model = await AutoModelForSequenceClassification.fromPretrained(id, opts());
    assert.ok(sameWeights(model, reference), id);
    model.dispose();
    assert.ok(!server.requests.some((r) => r.url.includes('/resolve/refs%2Fpr')), `${id}: nothing read from the PR`);
  }
});

test('offline, a cached .bin-only model loads without any request', async () => {
  server.reset();
  process.env.HF_HUB_OFFLINE = '1';
  try {
    const model = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/bin-only', opts());
    assert.ok(sameWeights(model, reference));
    model.dispose();
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained('hubtune-test/never-downloaded', opts()), /offline/i);
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
  assert.equal(server.requests.length, 0);
});
