// The generation examples (examples/clm-gpt2.ts, lora-chat.ts, summarize-t5.ts) run end to end
// against the local Hub server with tiny stand-ins under the course's repo ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { addFolderRepo } from '../support/tiny-models';
import { saveTinyGpt2Repo, saveTinyChatLlamaRepo, saveTinyT5Repo, wikitextFiles, alpacaFiles, cnnFiles } from '../support/generation-repos';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-gen-examples-'));

before(async () => {
  testHub = await useTestHub(work, { resolveCache: true, quiet: true });
  hub = testHub.hub;
  addFolderRepo(hub, 'model', 'openai-community/gpt2', await saveTinyGpt2Repo(join(work, 'gpt2')));
  addFolderRepo(hub, 'model', 'HuggingFaceTB/SmolLM2-135M-Instruct', await saveTinyChatLlamaRepo(join(work, 'smollm')));
  addFolderRepo(hub, 'model', 'google-t5/t5-small', await saveTinyT5Repo(join(work, 't5')));
  hub.addRepo({ type: 'dataset', id: 'Salesforce/wikitext', files: wikitextFiles() });
  hub.addRepo({ type: 'dataset', id: 'tatsu-lab/alpaca', files: alpacaFiles() });
  hub.addRepo({ type: 'dataset', id: 'abisee/cnn_dailymail', files: cnnFiles() });
});

after(async () => {
  await testHub?.close();
});

test('clm-gpt2 example: packs wikitext into blocks, trains, reports perplexity, generates', async () => {
  const { main } = await import('../../examples/clm-gpt2');
  const out = join(work, 'clm-out');
  const r = await main({ outputDir: out, blockSize: 16, maxSteps: 4, batchSize: 4 });
  assert.ok(Number.isFinite(r.perplexity) && r.perplexity > 1);
  assert.ok('eval_loss' in r.eval && 'train_loss' in r.train);
  assert.ok(r.sample.startsWith('The'));
  for (const f of ['model.safetensors', 'config.json', 'generation_config.json']) assert.ok(existsSync(join(out, f)), f);
});

test('lora-chat example: chat-templated instructions, only the adapter trains, PEFT files, reloaded adapter answers', async () => {
  const { main } = await import('../../examples/lora-chat');
  const out = join(work, 'lora-out');
  const r = await main({ outputDir: out, maxSteps: 3, batchSize: 4, maxLength: 96 });
  assert.match(r.trainable, /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/);
  for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'README.md']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(out, 'model.safetensors')), 'only the adapter is saved');
  const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.deepEqual([cfg.peft_type, cfg.r, cfg.lora_alpha, cfg.task_type, cfg.base_model_name_or_path], ['LORA', 8, 16, 'CAUSAL_LM', 'HuggingFaceTB/SmolLM2-135M-Instruct']);
  assert.equal(typeof r.answer, 'string');
});

test('summarize-t5 example: text_target labels, Seq2SeqTrainer with predictWithGenerate, ROUGE', async () => {
  const { main } = await import('../../examples/summarize-t5');
  const out = join(work, 't5-out');
  const r = await main({ outputDir: out, maxSteps: 3, batchSize: 4 });
  for (const k of ['eval_loss', 'eval_rouge1', 'eval_rouge2', 'eval_rougeL', 'eval_rougeLsum']) assert.ok(k in r.eval, k);
  assert.equal(typeof r.summary, 'string');
  for (const f of ['model.safetensors', 'config.json', 'generation_config.json', 'tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
});
