// fromPretrained through the Hub client against the local test Hub (no internet).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../torch/index';
import { startHubServer, type HubServer } from '../../test/support/hub-server';
import { AutoModelForSequenceClassification, AutoConfig, DistilBertForSequenceClassification } from './index';

let server: HubServer;
let dir: string;
before(async () => {
  process.env.HUBTUNE_QUIET = '1';
  server = await startHubServer();
  dir = mkdtempSync(join(tmpdir(), 'hubtune-models-hub-'));
  manualSeed(7);
  const m = DistilBertForSequenceClassification.fromConfig({ vocab_size: 40, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 20, max_position_embeddings: 16, id2label: { 0: 'a', 1: 'b', 2: 'c' } });
  const saved = join(dir, 'saved');
  m.savePretrained(saved, { maxShardSize: '8KB' });
  m.dispose();
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(saved)) files[f] = readFileSync(join(saved, f));
  server.addRepo({ id: 'hubtune-test/tiny-distilbert', files });
  server.addRepo({ id: 'hubtune-test/bin-only', files: { 'config.json': files['config.json']!, 'pytorch_model.bin': 'not really', 'pytorch_model.bin.index.json': '{"weight_map": {}}' } });
});
after(async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); });

test('AutoModel and AutoConfig load a sharded checkpoint from a Hub repo id', async () => {
  const o = { cacheDir: join(dir, 'cache'), endpoint: server.url };
  const config = await AutoConfig.fromPretrained('hubtune-test/tiny-distilbert', o);
  assert.deepEqual(config.id2label, { 0: 'a', 1: 'b', 2: 'c' });
  const { model, loadingInfo } = await AutoModelForSequenceClassification.fromPretrained('hubtune-test/tiny-distilbert', { ...o, outputLoadingInfo: true });
  assert.ok(model instanceof DistilBertForSequenceClassification);
  assert.deepEqual(loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  assert.equal(model.config.numLabels, 3);
  model.dispose();
});

test('a repo with only pytorch_model.bin says that safetensors weights are needed', async () => {
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained('hubtune-test/bin-only', { cacheDir: join(dir, 'cache'), endpoint: server.url }),
    /Hub repo hubtune-test\/bin-only has only non-safetensors weights \(pytorch_model\.bin\.index\.json\): hubtune loads safetensors weights/);
});
