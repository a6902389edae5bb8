// `hubtune serve`'s Inference API for the tasks src/serve/server.test.ts does not cover, called by
// the real @huggingface/inference client (endpointUrl): token-classification, question-answering,
// zero-shot-classification, translation, zero-shot-image-classification and chat completion; each
// answer compared with the in-process pipeline on the same tiny model.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@huggingface/inference';
import { manualSeed } from '../torch/index';
import { AutoConfig, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification } from '../models/index';
import { saveTinyBertRepo } from '../../test/support/nlp-repos';
import { saveTinyChatLlamaRepo, saveTinyT5Repo } from '../../test/support/generation-repos';
import { saveTinyClipRepo } from '../../test/support/tiny-vision';
import { fixtures } from '../../test/pipelines/fixtures';
import { pipeline } from '../pipelines/pipeline';
import { serve, type RunningServer } from './server';

const root = mkdtempSync(join(tmpdir(), 'hubtune-serve-tasks-'));
let server: RunningServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});
const models = join(root, 'models');
const dir = (name: string) => join(models, name);

/** A tiny BERT folder (WordPiece vocabulary) with a task head in place of the bare encoder. */
function bertWithHead(name: string, make: (cfg: Record<string, unknown>) => { savePretrained(d: string): void; dispose(): void }): void {
  saveTinyBertRepo(dir(name), { cased: true });
  const cfg = JSON.parse(readFileSync(join(dir(name), 'config.json'), 'utf8')) as Record<string, unknown>;
  manualSeed(3);
  const m = make(cfg);
  m.savePretrained(dir(name));
  m.dispose();
}

async function start(): Promise<RunningServer> {
  if (server) return server;
  mkdirSync(models);
  const labels = (names: string[]) => ({ id2label: Object.fromEntries(names.map((l, i) => [i, l])), label2id: Object.fromEntries(names.map((l, i) => [l, i])) });
  bertWithHead('ner', (c) => AutoModelForTokenClassification.fromConfig(AutoConfig.fromDict({ ...c, ...labels(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']), architectures: ['BertForTokenClassification'] })));
  bertWithHead('qa', (c) => AutoModelForQuestionAnswering.fromConfig(AutoConfig.fromDict({ ...c, architectures: ['BertForQuestionAnswering'] })));
  bertWithHead('nli', (c) => AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict({ ...c, ...labels(['contradiction', 'neutral', 'entailment']), architectures: ['BertForSequenceClassification'] })));
  await saveTinyT5Repo(dir('t5'));
  await saveTinyClipRepo(dir('clip'));
  await saveTinyChatLlamaRepo(dir('chat'));
  server = await serve({ paths: [models], port: 0, hubCache: join(root, 'empty-cache') });
  return server;
}
const client = new InferenceClient();
const endpoint = (id: string) => client.endpoint(`${server!.url}/models/${id}`);
const post = async (path: string, body: unknown) => (await fetch(`${server!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
const local = (task: string, name: string) => pipeline(task as 'ner', { model: dir(name), warn: () => {} }) as unknown as Promise<(x: unknown, o?: unknown) => Promise<unknown>>;

test('GET /api/models: each model with its task', async () => {
  const s = await start();
  const tags = Object.fromEntries(((await (await fetch(`${s.url}/api/models`)).json()) as { id: string; pipeline_tag: string }[]).map((m) => [m.id, m.pipeline_tag]));
  assert.deepEqual(tags, { chat: 'text-generation', clip: 'zero-shot-image-classification', ner: 'token-classification', nli: 'text-classification', qa: 'question-answering', t5: 'text2text-generation' });
});

test('token-classification: entity groups (aggregation simple) as the pipeline gives them', async () => {
  await start();
  const text = 'John Smith lives in Paris near Acme .';
  const out = await endpoint('ner').tokenClassification({ inputs: text });
  assert.deepEqual(out, await (await local('token-classification', 'ner'))(text, { aggregationStrategy: 'simple' }));
  for (const e of out) {
    assert.equal(typeof e.entity_group, 'string');
    assert.equal(text.slice(e.start, e.end).length, e.end - e.start);
  }
  // parameters travel in the API's snake_case (without aggregation the entries have `entity`, which the client does not take)
  const none = await post('/models/ner', { inputs: text, parameters: { aggregation_strategy: 'none', ignore_labels: [] } }) as { entity: string }[];
  assert.ok(none.length >= 7 && none.every((e) => typeof e.entity === 'string'), `one entry per token, got ${JSON.stringify(none).slice(0, 200)}`);
});

test('question-answering: the answer span and score of the pipeline', async () => {
  await start();
  const inputs = { question: 'where does John live ?', context: 'John lives in Paris . Mary works at Acme in Berlin .' };
  const out = await endpoint('qa').questionAnswering({ inputs });
  const mine = await (await local('question-answering', 'qa'))(inputs) as { answer: string; start: number; end: number; score: number };
  assert.deepEqual(out, mine);
  assert.equal(inputs.context.slice(out.start, out.end), out.answer);
  // With top_k the API answers a list, of which the client keeps the first.
  const top = await post('/models/qa', { inputs, parameters: { top_k: 3 } }) as { score: number }[];
  assert.equal(top.length, 3);
  assert.deepEqual(top[0], out);
  assert.ok(top[0]!.score >= top[1]!.score && top[1]!.score >= top[2]!.score);
});

test('zero-shot-classification: an NLI classifier given candidate labels, answered as {label, score}, multi_label too', async () => {
  await start();
  const text = 'John works at Acme in London .';
  const out = await endpoint('nli').zeroShotClassification({ inputs: text, parameters: { candidate_labels: ['sport', 'politics', 'food'] } });
  const mine = await (await local('zero-shot-classification', 'nli'))(text, { candidateLabels: ['sport', 'politics', 'food'] }) as { labels: string[]; scores: number[] };
  assert.deepEqual(out, mine.labels.map((label, i) => ({ label, score: mine.scores[i] })));
  assert.ok(Math.abs(out.reduce((a, x) => a + x.score, 0) - 1) < 1e-5, 'softmax over the labels');
  const multi = await endpoint('nli').zeroShotClassification({ inputs: text, parameters: { candidate_labels: ['sport', 'food'], multi_label: true } });
  assert.equal(multi.length, 2);
  const mineMulti = await (await local('zero-shot-classification', 'nli'))(text, { candidateLabels: ['sport', 'food'], multiLabel: true }) as { labels: string[]; scores: number[] };
  assert.deepEqual(multi, mineMulti.labels.map((label, i) => ({ label, score: mineMulti.scores[i] })));
});

test('translation through the pipeline route, as the client sends it', async () => {
  const s = await start();
  const out = await client.endpoint(`${s.url}/models/t5/pipeline/translation`).translation({ inputs: 'the cat sat', parameters: { max_new_tokens: 3 } as never });
  const mine = await (await local('translation', 't5'))('the cat sat', { maxNewTokens: 3 }) as { translation_text: string }[];
  assert.equal((out as { translation_text: string }).translation_text, mine[0]!.translation_text);
});

test('zero-shot-image-classification: an image (base64 in JSON) against candidate labels', async () => {
  await start();
  const fx = await fixtures();
  const bytes = readFileSync(fx.imageFiles[0]!);
  const out = await endpoint('clip').zeroShotImageClassification({ inputs: new Blob([bytes]), parameters: { candidate_labels: ['cat', 'dog'] } });
  const mine = await (await local('zero-shot-image-classification', 'clip'))(bytes, { candidateLabels: ['cat', 'dog'] }) as { label: string; score: number }[];
  assert.deepEqual(out.map((x) => x.label), mine.map((x) => x.label));
  out.forEach((x, i) => assert.ok(Math.abs(x.score - mine[i]!.score) < 1e-6));
});

test('chat completion (OpenAI-style route) with the chat template; temperature 0 is greedy', async () => {
  await start();
  const messages = [{ role: 'user', content: 'hello there' }];
  const out = await endpoint('chat').chatCompletion({ messages, max_tokens: 4, temperature: 0 } as never);
  assert.equal(out.choices[0]!.message.role, 'assistant');
  const mine = await (await local('text-generation', 'chat'))(messages, { maxNewTokens: 4, doSample: false }) as { generated_text: { content: string }[] }[];
  assert.equal(out.choices[0]!.message.content, mine[0]!.generated_text.at(-1)!.content);
});
