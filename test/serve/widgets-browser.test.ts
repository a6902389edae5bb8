// The model page's widget for each task the pipelines support beyond those of model-browser.test.ts,
// in a real browser (Chromium through playwright-core), each answer compared with the in-process
// pipeline on the same tiny model: text classification, token classification (entities marked in the
// text), question answering (the answer marked in the context), zero-shot classification, summarization
// and translation (tasks named by the card's pipeline_tag), text-to-text, feature extraction, zero-shot
// image classification and image feature extraction.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index';
import { AutoConfig, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification } from '../../src/models/index';
import { pipeline } from '../../src/pipelines/pipeline';
import { serve, type RunningServer } from '../../src/serve/server';
import { fixtures } from '../pipelines/fixtures';
import { saveTinyBertRepo } from '../support/nlp-repos';
import { saveTinyT5Repo } from '../support/generation-repos';
import { saveTinyClipRepo } from '../support/tiny-vision';
import { openBrowser, type OpenBrowser } from '../support/browser';

const root = mkdtempSync(join(tmpdir(), 'hubtune-widgets-browser-'));
const models = join(root, 'models');
const dir = (name: string) => join(models, name);
let server: RunningServer | null = null;
let browser: OpenBrowser | string | null = null;
after(async () => {
  if (browser && typeof browser !== 'string') await browser.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function bertWithHead(name: string, make: (cfg: Record<string, unknown>) => { savePretrained(d: string): void; dispose(): void }): void {
  saveTinyBertRepo(dir(name), { cased: true });
  const cfg = JSON.parse(readFileSync(join(dir(name), 'config.json'), 'utf8')) as Record<string, unknown>;
  manualSeed(3);
  const m = make(cfg);
  m.savePretrained(dir(name));
  m.dispose();
}
const card = (name: string, task: string) => writeFileSync(join(dir(name), 'README.md'), `---\npipeline_tag: ${task}\n---\n# ${name}\n`);

async function setUp(): Promise<{ s: RunningServer; b: OpenBrowser | string }> {
  if (!server) {
    mkdirSync(models);
    const fx = await fixtures();
    const labels = (names: string[]) => ({ id2label: Object.fromEntries(names.map((l, i) => [i, l])), label2id: Object.fromEntries(names.map((l, i) => [l, i])) });
    bertWithHead('ner', (c) => AutoModelForTokenClassification.fromConfig(AutoConfig.fromDict({ ...c, ...labels(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']), architectures: ['BertForTokenClassification'] })));
    bertWithHead('qa', (c) => AutoModelForQuestionAnswering.fromConfig(AutoConfig.fromDict({ ...c, architectures: ['BertForQuestionAnswering'] })));
    bertWithHead('nli', (c) => AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict({ ...c, ...labels(['contradiction', 'neutral', 'entailment']), architectures: ['BertForSequenceClassification'] })));
    card('nli', 'zero-shot-classification');
    await saveTinyT5Repo(dir('t5'));
    await saveTinyT5Repo(dir('t5-summarize'));
    card('t5-summarize', 'summarization');
    await saveTinyT5Repo(dir('t5-translate'));
    card('t5-translate', 'translation');
    await saveTinyClipRepo(dir('clip'));
    for (const [name, from] of [['cls', fx.robertaCls], ['encoder', fx.robertaBase], ['vit-features', fx.vit]] as const) cpSync(from, dir(name), { recursive: true });
    card('vit-features', 'image-feature-extraction');
    server = await serve({ paths: [models], port: 0, hubCache: false });
  }
  browser ??= await openBrowser();
  return { s: server, b: browser };
}

type Page = OpenBrowser['page'];
async function open(page: Page, s: RunningServer, id: string, task: string): Promise<void> {
  await page.goto(`${s.url}/models/${id}`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.getAttribute('#widget', 'data-task'), task);
}
async function compute(page: Page, text?: string): Promise<void> {
  if (text !== undefined) await page.fill('#widget-text', text);
  await page.evaluate('delete document.getElementById("widget-output").dataset.state');
  await page.click('#widget-run');
  await page.waitForSelector('#widget-output[data-state=done], #widget-output[data-state=error]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#widget-output', 'data-state'), 'done', (await page.textContent('#widget-output')) ?? '');
}
const bars = (page: Page) => page.$$eval('#predictions .bar', (bs) => bs.map((b) => [b.getAttribute('data-label')!, Number(b.getAttribute('data-score'))] as [string, number]));
function near(got: [string, number][], want: { label: string; score: number }[]): void {
  assert.deepEqual(got.map((x) => x[0]), want.map((x) => x.label));
  got.forEach(([, s], i) => assert.ok(Math.abs(s - want[i]!.score) < 1e-5, `${s} vs ${want[i]!.score}`));
}
const local = (task: string, name: string) => pipeline(task as 'ner', { model: dir(name), warn: () => {} }) as unknown as Promise<(x: unknown, o?: unknown) => Promise<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('text widgets: classification bars, entities, the answer in its context, zero-shot labels, summaries and text-to-text, vectors', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;

  await open(page, s, 'cls', 'text-classification');
  await compute(page, 'the cat sat on the mat');
  near(await bars(page), await (await local('text-classification', 'cls'))('the cat sat on the mat', { topK: null }));

  await open(page, s, 'ner', 'token-classification');
  const text = 'John Smith lives in Paris near Acme .';
  await compute(page, text);
  const ents = await (await local('token-classification', 'ner'))(text, { aggregationStrategy: 'simple' }) as { entity_group: string; start: number; end: number }[];
  assert.ok(ents.length > 0, 'the tiny NER model finds some entities');
  const marks = await page.$$eval('#entities mark', (ms) => ms.map((m) => [m.firstChild!.textContent, m.getAttribute('data-entity')]));
  assert.deepEqual(marks, ents.map((e) => [text.slice(e.start, e.end), e.entity_group]));
  assert.equal(await page.$eval('#entities', (el) => { const c = el.cloneNode(true) as typeof el; c.querySelectorAll('.tag').forEach((x: { remove(): void }) => x.remove()); return c.textContent; }), text, 'the whole text is shown, entities in place');

  await open(page, s, 'qa', 'question-answering');
  const context = 'John lives in Paris . Mary works at Acme in Berlin .';
  await page.fill('#widget-context', context);
  await compute(page, 'where does John live ?');
  const answer = await (await local('question-answering', 'qa'))({ question: 'where does John live ?', context }) as { answer: string; start: number; end: number };
  assert.equal(await page.textContent('#answer'), answer.answer);
  assert.equal(await page.textContent('#answer-context mark.answer'), context.slice(answer.start, answer.end));
  assert.equal(await page.textContent('#answer-context'), context);

  await open(page, s, 'nli', 'zero-shot-classification');
  await page.fill('#widget-labels', 'sport, politics, food');
  await compute(page, 'John works at Acme in London .');
  const zs = await (await local('zero-shot-classification', 'nli'))('John works at Acme in London .', { candidateLabels: ['sport', 'politics', 'food'] }) as { labels: string[]; scores: number[] };
  near(await bars(page), zs.labels.map((label, i) => ({ label, score: zs.scores[i]! })));

  await open(page, s, 't5-summarize', 'summarization');
  await compute(page, 'the cat sat on the mat and the dog sat on the rug');
  const sum = await (await local('summarization', 't5-summarize'))('the cat sat on the mat and the dog sat on the rug') as { summary_text: string }[];
  assert.equal(await page.textContent('#generated'), sum[0]!.summary_text);

  await open(page, s, 't5-translate', 'translation');
  await compute(page, 'the cat sat');
  const tr = await (await local('translation', 't5-translate'))('the cat sat') as { translation_text: string }[];
  assert.equal(await page.textContent('#generated'), tr[0]!.translation_text);

  await open(page, s, 't5', 'text2text-generation');
  await compute(page, 'translate English to German: the cat');
  const t2t = await (await local('text2text-generation', 't5'))('translate English to German: the cat') as { generated_text: string }[];
  assert.equal(await page.textContent('#generated'), t2t[0]!.generated_text);

  await open(page, s, 'encoder', 'feature-extraction');
  await compute(page, 'the cat');
  const feats = await (await local('feature-extraction', 'encoder'))('the cat') as number[][][];
  assert.equal(await page.textContent('#vector-shape'), `[${[feats.length, feats[0]!.length, feats[0]![0]!.length].join(', ')}]`);
  assert.deepEqual(b.errors, []);
});

test('image widgets: zero-shot image classification against typed labels, image feature extraction', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  const fx = await fixtures();
  const image = fx.imageFiles[0]!;

  await open(page, s, 'clip', 'zero-shot-image-classification');
  await page.fill('#widget-labels', 'a cat, a dog, a leaf');
  await page.evaluate('delete document.getElementById("widget-output").dataset.state');
  await page.setInputFiles('#widget-file', image);
  await page.waitForSelector('#widget-output[data-state=done], #widget-output[data-state=error]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#widget-output', 'data-state'), 'done', (await page.textContent('#widget-output')) ?? '');
  const want = await (await local('zero-shot-image-classification', 'clip'))(readFileSync(image), { candidateLabels: ['a cat', 'a dog', 'a leaf'] }) as { label: string; score: number }[];
  near(await bars(page), want);

  await open(page, s, 'vit-features', 'image-feature-extraction');
  await page.evaluate('delete document.getElementById("widget-output").dataset.state');
  await page.setInputFiles('#widget-file', image);
  await page.waitForSelector('#widget-output[data-state=done], #widget-output[data-state=error]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#widget-output', 'data-state'), 'done', (await page.textContent('#widget-output')) ?? '');
  const feats = await (await local('image-feature-extraction', 'vit-features'))(readFileSync(image)) as number[][][];
  const shape: number[] = [];
  for (let x: unknown = feats; Array.isArray(x); x = x[0]) shape.push(x.length);
  assert.equal(await page.textContent('#vector-shape'), `[${shape.join(', ')}]`);
  assert.deepEqual(b.errors, []);
});

test("a card's pipeline_tag is the model's task, as on the Hub: listed so, and POST /models/{id} answers it", async () => {
  const { s } = await setUp();
  const tags = Object.fromEntries(((await (await fetch(`${s.url}/api/models`)).json()) as { id: string; pipeline_tag: string }[]).map((m) => [m.id, m.pipeline_tag]));
  assert.deepEqual(tags, {
    clip: 'zero-shot-image-classification', cls: 'text-classification', encoder: 'feature-extraction', ner: 'token-classification', nli: 'zero-shot-classification',
    qa: 'question-answering', t5: 'text2text-generation', 't5-summarize': 'summarization', 't5-translate': 'translation', 'vit-features': 'image-feature-extraction',
  });
  const post = async (id: string, body: unknown) => (await fetch(`${s.url}/models/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>[]>;
  assert.equal(typeof (await post('t5-summarize', { inputs: 'the cat sat on the mat' }))[0]!.summary_text, 'string');
  assert.equal(typeof (await post('t5', { inputs: 'the cat sat on the mat' }))[0]!.generated_text, 'string');
  const zs = await post('nli', { inputs: 'John works at Acme .', parameters: { candidate_labels: ['sport', 'food'] } });
  assert.deepEqual(zs.map((x) => x.label).sort(), ['food', 'sport']);
});
