// The NLP examples (examples/ner-conll.ts, qa-squad.ts, swag-multiple-choice.ts) train and evaluate
// end to end against the local Hub server, with tiny stand-ins under the repo ids they use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubServer } from '../support/hub-server';
import { useTestHub, type TestHubEnv } from '../support/test-hub-env';
import { addFolderRepo } from '../support/tiny-models';
import { saveTinyBertRepo, conllFiles, squadFiles, swagFiles } from '../support/nlp-repos';

let hub: HubServer;
let testHub: TestHubEnv;
const work = mkdtempSync(join(tmpdir(), 'hubtune-nlp-examples-'));

before(async () => {
  testHub = await useTestHub(work, { resolveCache: true, quiet: true });
  hub = testHub.hub;
  addFolderRepo(hub, 'model', 'google-bert/bert-base-cased', saveTinyBertRepo(join(work, 'bert-cased'), { cased: true }));
  addFolderRepo(hub, 'model', 'google-bert/bert-base-uncased', saveTinyBertRepo(join(work, 'bert-uncased'), { cased: false }));
  hub.addRepo({ type: 'dataset', id: 'eriktks/conll2003', files: conllFiles() });
  hub.addRepo({ type: 'dataset', id: 'rajpurkar/squad', files: squadFiles() });
  hub.addRepo({ type: 'dataset', id: 'allenai/swag', files: swagFiles() });
});

after(async () => {
  await testHub?.close();
  rmSync(work, { recursive: true, force: true });
});

test('ner-conll example: word labels aligned, BERT token classifier trained, seqeval scores, ner pipeline on the saved model', async () => {
  const { main } = await import('../../examples/ner-conll');
  const out = join(work, 'ner-out');
  const r = await main({ outputDir: out, epochs: 1, batchSize: 8, learningRate: 5e-3 });
  assert.deepEqual(r.labelNames, ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC']);
  for (const k of ['eval_loss', 'eval_precision', 'eval_recall', 'eval_f1', 'eval_accuracy']) assert.ok(Number.isFinite(r.eval[k] as number), k);
  assert.ok((r.eval.eval_accuracy as number) > 0 && (r.eval.eval_accuracy as number) <= 1);
  assert.ok('train_loss' in r.train);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForTokenClassification']);
  assert.equal(cfg.id2label['5'], 'B-LOC');
  for (const f of ['model.safetensors', 'vocab.txt', 'tokenizer_config.json']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(Array.isArray(r.entities) && r.entities.every((e: any) => 'entity_group' in e && e.start < e.end));
});

test('qa-squad example: strided train features, BERT span head trained, n-best answers from the context, squad exact match / F1, pipeline', async () => {
  const { main } = await import('../../examples/qa-squad');
  const out = join(work, 'qa-out');
  const r = await main({ outputDir: out, epochs: 2, batchSize: 8, maxLength: 48, docStride: 16, learningRate: 5e-3 });
  assert.ok('train_loss' in r.train);
  assert.deepEqual(Object.keys(r.scores), ['exact_match', 'f1']);
  assert.ok(r.scores.exact_match >= 0 && r.scores.exact_match <= 100 && r.scores.f1 >= r.scores.exact_match);
  const ids = Object.keys(r.answers);
  assert.equal(ids.length, 12);
  assert.ok(ids.every((id) => typeof r.answers[id] === 'string'));
  assert.deepEqual(Object.keys(r.answer), ['score', 'start', 'end', 'answer']);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForQuestionAnswering']);
});

test('swag-multiple-choice example: four (context, ending) pairs per example, choices collated, BERT multiple-choice head trained, accuracy', async () => {
  const { main } = await import('../../examples/swag-multiple-choice');
  const out = join(work, 'swag-out');
  const r = await main({ outputDir: out, epochs: 1, batchSize: 4, learningRate: 5e-3 });
  assert.ok('train_loss' in r.train && Number.isFinite(r.train.train_loss as number));
  for (const k of ['eval_loss', 'eval_accuracy']) assert.ok(Number.isFinite(r.eval[k] as number), k);
  // 12 validation examples: accuracy is a multiple of 1/12
  const acc = r.eval.eval_accuracy as number;
  assert.ok(Math.abs(acc * 12 - Math.round(acc * 12)) < 1e-9, String(acc));
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForMultipleChoice']);
});
