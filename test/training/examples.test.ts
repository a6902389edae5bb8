// The course's two projects in their long form (examples/advanced/beans-vit.ts, mrpc-distilroberta.ts) run end to end
// against the local Hub server, with tiny stand-ins uploaded under the real (canonical) repo ids
// and the ids the course types redirected to them (307) as the Hub does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { saveTinyVitRepo, saveTinyRobertaRepo, saveTinyBeansDataset, saveTinyMrpcDataset, addFolderRepo } from '../support/tiny-models';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-examples-'));

before(async () => {
  testHub = await useTestHub(work, { resolveCache: true });
  hub = testHub.hub;
  addFolderRepo(hub, 'model', 'google/vit-base-patch16-224-in21k', await saveTinyVitRepo(join(work, 'vit')));
  addFolderRepo(hub, 'model', 'distilbert/distilroberta-base', await saveTinyRobertaRepo(join(work, 'roberta')));
  hub.renameRepo('model', 'distilroberta-base', 'distilbert/distilroberta-base');
  const beans = await saveTinyBeansDataset(join(work, 'beans'));
  rmSync(join(beans, 'hubtune_demo_manifest.json'), { force: true });
  addFolderRepo(hub, 'dataset', 'AI-Lab-Makerere/beans', beans);
  hub.renameRepo('dataset', 'beans', 'AI-Lab-Makerere/beans');
  const mrpc = await saveTinyMrpcDataset(join(work, 'mrpc-src'));
  rmSync(join(mrpc, 'dataset_info.json'), { force: true });
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(mrpc)) files[`mrpc/${f}`] = readFileSync(join(mrpc, f));
  hub.addRepo({ type: 'dataset', id: 'nyu-mll/glue', files });
  hub.renameRepo('dataset', 'glue', 'nyu-mll/glue');
});

after(async () => {
  await testHub?.close();
});

test('beans-vit example: trains the (tiny) ViT from the Hub, saves, evaluates on test', async () => {
  const { main } = await import('../../examples/advanced/beans-vit');
  const out = join(work, 'vit-out');
  const r = await main({ outputDir: out, maxSteps: 6, batchSize: 8, evalSteps: 3, loggingSteps: 2, workers: 2, device: 'cpu' });
  assert.equal(r.interrupted, false);
  for (const k of ['train_runtime', 'train_loss', 'epoch']) assert.ok(k in r.train, k);
  for (const k of ['eval_loss', 'eval_accuracy', 'eval_runtime']) assert.ok(k in r.test, k);
  for (const f of ['model.safetensors', 'config.json', 'preprocessor_config.json', 'train_results.json', 'eval_results.json', 'all_results.json', 'trainer_state.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(Object.values(cfg.id2label), ['angular_leaf_spot', 'bean_rust', 'healthy']);
  const ckpts = readdirSync(out).filter((n) => n.startsWith('checkpoint-'));
  assert.ok(ckpts.length >= 1 && ckpts.length <= 2, `saveTotalLimit 2: ${ckpts}`);
});

test('mrpc-distilroberta example: tokenizes glue/mrpc, trains with padding collator, accuracy + F1', async () => {
  const { main } = await import('../../examples/advanced/mrpc-distilroberta');
  const out = join(work, 'mrpc-out');
  const r = await main({ outputDir: out, maxSteps: 8, batchSize: 8, device: 'cpu' });
  assert.equal(r.interrupted, false);
  for (const k of ['eval_loss', 'eval_accuracy', 'eval_f1', 'epoch']) assert.ok(k in r.eval, k);
  for (const f of ['model.safetensors', 'config.json', 'tokenizer_config.json', 'eval_results.json']) assert.ok(existsSync(join(out, f)), f);
});
