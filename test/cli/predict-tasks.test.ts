// `hubtune predict` for the tasks beyond classification: NER (grouped entities), extractive QA over
// --context, zero-shot text and image classification over --candidate-labels, generation with
// --max-new-tokens, image features; and each task-only flag refused with any other task.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { AutoConfig, AutoModelForTokenClassification, AutoModelForQuestionAnswering, AutoModelForSequenceClassification } from '../../src/models/index';
import { saveTinyBertRepo } from '../support/nlp-repos';
import { saveTinyGpt2Repo, saveTinyT5Repo } from '../support/generation-repos';
import { saveTinyClipRepo } from '../support/tiny-vision';
import { fixtures } from '../pipelines/fixtures';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const BIN = join(ROOT, 'bin/hubtune.mjs');
const work = mkdtempSync(join(tmpdir(), 'hubtune-predict-tasks-'));
const dirs: Record<string, string> = {};

function hubtune(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'predict', ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, HF_HUB_OFFLINE: '1', HUBTUNE_QUIET: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A tiny BERT with a task head and labels, over saveTinyBertRepo's WordPiece vocabulary. */
function bertWithHead(name: string, Auto: { fromConfig(c: unknown): { savePretrained(d: string): unknown; dispose(): void } }, arch: string, labels?: string[]): string {
  const dir = saveTinyBertRepo(join(work, name), { cased: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  manualSeed(3);
  const m = Auto.fromConfig(AutoConfig.fromDict({
    ...config, architectures: [arch],
    ...(labels ? { id2label: Object.fromEntries(labels.map((l, i) => [i, l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) } : {}),
  }));
  m.savePretrained(dir);
  m.dispose();
  return dir;
}

before(async () => {
  dirs.ner = bertWithHead('ner', AutoModelForTokenClassification, 'BertForTokenClassification', ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']);
  dirs.qa = bertWithHead('qa', AutoModelForQuestionAnswering, 'BertForQuestionAnswering');
  dirs.nli = bertWithHead('nli', AutoModelForSequenceClassification, 'BertForSequenceClassification', ['contradiction', 'neutral', 'entailment']);
  dirs.gpt2 = await saveTinyGpt2Repo(join(work, 'gpt2'));
  dirs.t5 = await saveTinyT5Repo(join(work, 't5'));
  dirs.clip = await saveTinyClipRepo(join(work, 'clip'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('predict ner: grouped entities with their spans (aggregation simple by default), --json as the pipeline gives', () => {
  const r = hubtune([dirs.ner!, 'Anna lives in Paris .', '--task', 'ner']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'Anna lives in Paris .');
  assert.ok(lines.length > 1);
  for (const l of lines.slice(1)) assert.match(l, /^ {2}(\(no entities\)|\S+ +\d\.\d{4} {2}".*" \[\d+:\d+\])$/);
  const j = JSON.parse(hubtune([dirs.ner!, 'Anna lives in Paris .', '--json', '--aggregation-strategy', 'none']).stdout);
  assert.equal(j[0].input, 'Anna lives in Paris .');
  assert.ok(j[0].result.length > 0 && j[0].result.every((e: { entity: string; index: number }) => typeof e.entity === 'string' && e.index >= 1), 'aggregation none: one entity per token');
  const bad = hubtune([dirs.ner!, 'x', '--aggregation-strategy', 'most']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: --aggregation-strategy must be none, simple, first, average or max, got 'most'\n$/);
});

test('predict question-answering: each input is a question about --context; the answer is a span of it', () => {
  const context = 'Anna lives in Paris and works at Acme .';
  const r = hubtune([dirs.qa!, 'Where does Anna live ?', 'Who works at Acme ?', '--context', context, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { input: { question: string }; result: { answer: string; start: number; end: number; score: number } }[];
  assert.deepEqual(j.map((x) => x.input.question), ['Where does Anna live ?', 'Who works at Acme ?']);
  for (const { result } of j) assert.equal(context.slice(result.start, result.end), result.answer);
  const text = hubtune([dirs.qa!, 'Where does Anna live ?', '--context', context]);
  assert.match(text.stdout, /^Where does Anna live \?\n {2}\d\.\d{4} {2}".+" \[\d+:\d+\]\n$/);
  const none = hubtune([dirs.qa!, 'Where ?']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: question-answering needs --context <text>/);
});

test('predict zero-shot-classification: every candidate label scored, scores summing to 1 (or each its own with --multi-label)', () => {
  const r = hubtune([dirs.nli!, 'Anna plays football .', '--task', 'zero-shot-classification', '--candidate-labels', 'sport, politics,food', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout)[0].result as { labels: string[]; scores: number[] };
  assert.deepEqual([...res.labels].sort(), ['food', 'politics', 'sport']);
  assert.ok(Math.abs(res.scores.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  const multi = JSON.parse(hubtune([dirs.nli!, 'Anna plays football .', '--task', 'zero-shot-classification', '--candidate-labels', 'sport,politics', '--multi-label', '--json']).stdout)[0].result;
  assert.ok(multi.scores.every((s: number) => s > 0 && s < 1));
  const missing = hubtune([dirs.nli!, 'x', '--task', 'zero-shot-classification']);
  assert.match(missing.stderr, /^error: zero-shot-classification needs --candidate-labels <a,b,c>/);
});

test('predict generation: text-generation and summarization with --max-new-tokens', () => {
  const g = hubtune([dirs.gpt2!, 'The cat', '--max-new-tokens', '3', '--json']);
  assert.equal(g.code, 0, g.stderr);
  const text = JSON.parse(g.stdout)[0].result[0].generated_text as string;
  assert.ok(text.startsWith('The cat') && text.length > 'The cat'.length, text);
  const s = hubtune([dirs.t5!, 'the cat sat on the mat', '--task', 'summarization', '--max-new-tokens', '4']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^the cat sat on the mat\n {2}.*\n$/);
  const bad = hubtune([dirs.gpt2!, 'x', '--max-new-tokens', '0']);
  assert.match(bad.stderr, /^error: --max-new-tokens must be an integer >= 1, got '0'\n$/);
});

test('predict zero-shot-image-classification and image-feature-extraction on images', async () => {
  const fx = await fixtures();
  const img = fx.imageFiles[0]!;
  const z = hubtune([dirs.clip!, img, '--task', 'zero-shot-image-classification', '--candidate-labels', 'a leaf,a cat', '--json']);
  assert.equal(z.code, 0, z.stderr);
  const labels = JSON.parse(z.stdout)[0].result as { label: string; score: number }[];
  assert.deepEqual(labels.map((x) => x.label).sort(), ['a cat', 'a leaf']);
  const f = hubtune([fx.vit, img, '--task', 'image-feature-extraction']);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /\n {2}features: \[1, \d+, \d+\]\n$/);
});

test('predict: a flag of another task is refused in one line', () => {
  const cases: [string[], RegExp][] = [
    [[dirs.ner!, 'x', '--context', 'y'], /^error: --context goes with the question-answering task, not token-classification\n$/],
    [[dirs.gpt2!, 'x', '--candidate-labels', 'a,b'], /^error: --candidate-labels goes with the zero-shot-classification or zero-shot-image-classification task, not text-generation\n$/],
    [[dirs.qa!, 'x', '--context', 'y', '--max-new-tokens', '2'], /^error: --max-new-tokens goes with the text-generation or text2text-generation or summarization or translation task, not question-answering\n$/],
  ];
  for (const [args, re] of cases) {
    const r = hubtune(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
  }
});
