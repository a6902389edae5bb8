// The index and model pages in a real browser (Chromium through playwright-core): the index lists
// models with their task, datasets and runs; a model page shows its card (metadata, results table),
// config, files and snippet, hostile card content staying text; the pretrained tiny ViT's widget
// (assets/vit-tiny-shapes) classifies an image given by file upload, drag and drop and URL as the
// in-process pipeline does; a masked sentence typed into the tiny RoBERTa's page gets the pipeline's
// completions; a text-generation widget streams its tokens. Screenshots under test-output/screenshots/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, Features, ClassLabel, Value } from '../../src/datasets/index';
import { createModelCard } from '../../src/training/model-card';
import { readSafetensorsHeader } from '../../src/torch/safetensors';
import { pipeline } from '../../src/pipelines/pipeline';
import { serve, type RunningServer } from '../../src/serve/server';
import { renderShapeImage } from '../../src/demo/shapes';
import sharp from 'sharp';
import { fixtures } from '../pipelines/fixtures';
import { saveTinyGpt2Repo } from '../support/generation-repos';
import { openBrowser, screenshotDir, type OpenBrowser } from '../support/browser';

// Names of the browser's globals, for the functions that run in the page (the project's types have no DOM).
declare const document: any, window: any, DataTransfer: any, MutationObserver: any, File: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = mkdtempSync(join(tmpdir(), 'hubtune-model-browser-'));
const served = join(root, 'served');
let server: RunningServer | null = null;
let browser: OpenBrowser | string | null = null;
after(async () => {
  if (browser && typeof browser !== 'string') await browser.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const ASSETS = join(import.meta.dirname, '..', '..', 'assets');
const SHAPES = ['circle', 'triangle', 'square', 'pentagon', 'hexagon', 'star', 'cross', 'ring', 'crescent', 'bars'];
const shapePng = (seed: number, label: number) => sharp(Buffer.from(renderShapeImage(seed, label, 64)), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
/** Shape images the pretrained tiny ViT gets right (it is right on 43% of held-out images), found by trying seeds in order. */
const shapeImages: Record<string, string> = {};
const HOSTILE = '\n\n<img src=x onerror="window.__pwned=1"> [click me](javascript:window.__pwned=2) <script>window.__pwned=3</script>\n';

async function setUp(): Promise<{ s: RunningServer; b: OpenBrowser | string }> {
  if (!server) {
    const fx = await fixtures();
    const models = join(served, 'models');
    mkdirSync(models, { recursive: true });
    cpSync(fx.vit, join(models, 'tiny-vit-beans'), { recursive: true });
    const card = createModelCard({
      modelName: 'tiny-vit-beans', baseModel: 'google/vit-base-patch16-224-in21k', datasets: 'beans', task: 'image-classification', license: 'apache-2.0',
      logHistory: [{ loss: 1.02, epoch: 1, step: 6 }, { eval_loss: 0.91, eval_accuracy: 0.6667, epoch: 1, step: 6 }, { loss: 0.84, epoch: 2, step: 12 }, { eval_loss: 0.77, eval_accuracy: 0.8333, epoch: 2, step: 12 }, { train_runtime: 4.2, train_loss: 0.93, epoch: 2, step: 12 }],
      hyperparameters: { learning_rate: 0.002, train_batch_size: 4, seed: 42 }, frameworkVersions: { hubtune: '0.1.0', libtorch: '2.x' },
    });
    writeFileSync(join(models, 'tiny-vit-beans', 'README.md'), card + '\n![a leaf from the test split](sample.png)' + HOSTILE);
    writeFileSync(join(models, 'tiny-vit-beans', 'sample.png'), readFileSync(fx.imageFiles[1]!));
    // the pretrained tiny models of assets/, the shapes ViT's card with model-index results as a fine-tuned model's would have
    const shapes = join(models, 'vit-tiny-shapes');
    cpSync(join(ASSETS, 'vit-tiny-shapes'), shapes, { recursive: true });
    writeFileSync(join(shapes, 'README.md'), readFileSync(join(shapes, 'README.md'), 'utf8').replace(/\n---\n/, '\ndatasets:\n- shapes-synthetic\nmodel-index:\n- name: vit-tiny-shapes\n  results:\n  - task: {type: image-classification, name: Image Classification}\n    dataset: {type: shapes-synthetic, name: shapes (synthetic), split: held-out}\n    metrics:\n    - {type: accuracy, value: 0.427, name: Accuracy}\n---\n'));
    const classify = await pipeline('image-classification', { model: shapes });
    for (const [label, name] of [[5, 'star'], [7, 'ring'], [1, 'triangle']] as const) {
      for (let seed = 1; !shapeImages[name]; seed++) {
        const png = await shapePng(seed, label);
        if (((await classify(png)) as { label: string }[])[0]!.label === name) writeFileSync(shapeImages[name] = join(root, `${name}.png`), png);
      }
    }
    cpSync(shapeImages.ring!, join(shapes, 'ring.png'));
    cpSync(join(ASSETS, 'roberta-tiny-mlm'), join(models, 'roberta-tiny-mlm'), { recursive: true });
    await saveTinyGpt2Repo(join(models, 'tiny-gpt2'));
    cpSync(fx.vit, join(models, 'broken-vit'), { recursive: true });
    writeFileSync(join(models, 'broken-vit', 'config.json'), '{"model_type": "vit",');
    const features = new Features({ text: new Value('string'), label: new ClassLabel({ names: ['neg', 'pos'] }) });
    await Dataset.fromDict({ text: ['good', 'bad', 'fine'], label: [1, 0, 1] }, { features }).saveToDisk(join(served, 'reviews'));
    mkdirSync(join(served, 'runs', 'tiny-run'), { recursive: true });
    writeFileSync(join(served, 'runs', 'tiny-run', 'log_history.jsonl'), [0.7, 0.6, 0.5].map((loss, i) => JSON.stringify({ loss, learning_rate: 1e-3, step: i + 1 })).join('\n') + '\n');
    server = await serve({ paths: [models, served, join(served, 'runs')], port: 0, hubCache: false });
  }
  browser ??= await openBrowser({ width: 1280, height: 1000 });
  return { s: server, b: browser };
}

type Page = OpenBrowser['page'];
async function until(page: Page, selector: string, ok: (text: string) => boolean): Promise<string> {
  for (const end = Date.now() + 60_000; ;) {
    const t = (await page.textContent(selector).catch(() => null)) ?? '';
    if (ok(t)) return t;
    if (Date.now() > end) assert.fail(`timed out waiting for ${selector}: '${t}'`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Forgets the widget's last answer, so the next wait is for a new one. */
const fresh = (page: Page) => page.evaluate(() => { delete document.getElementById('widget-output')!.dataset.state; });
/** Waits for the widget's answer and returns its bars as [label, score]. */
async function predictions(page: Page): Promise<[string, number][]> {
  await page.waitForSelector('#widget-output[data-state=done], #widget-output[data-state=error]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#widget-output', 'data-state'), 'done', (await page.textContent('#widget-output')) ?? '');
  return page.$$eval('#predictions .bar', (bs) => bs.map((b) => [b.getAttribute('data-label')!, Number(b.getAttribute('data-score'))] as [string, number]));
}
const near = (got: [string, number][], want: { label?: string; token_str?: string; score: number }[]) => {
  assert.deepEqual(got.map((x) => x[0]), want.map((x) => (x.label ?? x.token_str!.trim()) || x.token_str));
  got.forEach(([, s], i) => assert.ok(Math.abs(s - want[i]!.score) < 1e-5, `${s} vs ${want[i]!.score}`));
};

test('index: served models with their task, datasets and runs, linked to their pages', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  await page.goto(`${s.url}/`);
  await page.waitForSelector('body[data-ready="1"]');
  const models = await page.$$eval('#models li', (ls) => ls.map((l) => `${l.getAttribute('data-id')} ${l.querySelector('.task-chip')!.textContent}`));
  assert.deepEqual(models, ['broken-vit cannot be read', 'roberta-tiny-mlm fill-mask', 'tiny-gpt2 text-generation', 'tiny-vit-beans image-classification', 'vit-tiny-shapes image-classification']);
  assert.deepEqual(await page.$$eval('#datasets li', (ls) => ls.map((l) => l.getAttribute('data-id'))), ['reviews']);
  assert.deepEqual(await page.$$eval('#runs li', (ls) => ls.map((l) => l.getAttribute('data-id'))), ['tiny-run']);
  assert.equal(await page.getAttribute('#datasets li a', 'href'), '/datasets/reviews');
  await page.screenshot({ path: join(screenshotDir(), 'index.png'), fullPage: true });
  await page.click('#models li[data-id="vit-tiny-shapes"] a');
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(new URL(page.url()).pathname, '/models/vit-tiny-shapes');
  assert.deepEqual(b.errors, []);
});

test('model page: the card (metadata, model-index and training results), config, files, snippet; hostile card content stays text', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  const dir = join(served, 'models', 'tiny-vit-beans');
  await page.goto(`${s.url}/models/tiny-vit-beans`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.textContent('#title'), 'tiny-vit-beans');
  assert.equal(await page.textContent('#task'), 'image-classification');
  const chips = await page.$$eval('#chips .chip', (cs) => cs.map((c) => c.textContent));
  for (const c of ['base modelgoogle/vit-base-patch16-224-in21k', 'datasetbeans', 'licenseapache-2.0', 'taggenerated_from_trainer']) assert.ok(chips.includes(c), `${c} in ${chips.join(' | ')}`);
  // model-index results and the card's training results table
  assert.deepEqual(await page.$$eval('#results tbody tr', (rs) => rs.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent).join(' | '))), ['Image Classification | beans | Accuracy | 0.8333']);
  assert.equal(await page.textContent('#card h1'), 'tiny-vit-beans');
  assert.deepEqual(await page.$$eval('#card table tbody tr', (rs) => rs.map((r) => r.querySelectorAll('td')[4]!.textContent!.trim())), ['0.6667', '0.8333']);
  assert.equal(await page.getAttribute('#card img', 'src'), '/models/tiny-vit-beans/resolve/main/sample.png');
  await page.waitForFunction(() => (document.querySelector('#card img') as unknown as { complete: boolean; naturalWidth: number }).complete);
  assert.equal(await page.$eval('#card img', (i) => (i as unknown as { naturalWidth: number }).naturalWidth), 32, 'the card image loaded from the model folder');
  // hostile card content is text: no script ran, no handler attached, the link went nowhere
  assert.match((await page.textContent('#card'))!, /<img src=x onerror="window.__pwned=1">/);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.$$eval('#card a', (as) => as.filter((a) => /^javascript:/i.test(a.getAttribute('href') ?? '')).length), 0);
  assert.equal(await page.$$eval('#card script, #card [onerror]', (x) => x.length), 0);
  // config: parameters counted from the safetensors header, the labels; files; snippet
  const params = [...readSafetensorsHeader(join(dir, 'model.safetensors')).tensors.values()].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  assert.equal(await page.textContent('#config tr[data-key=architecture] td:last-child'), 'ViTForImageClassification');
  assert.equal(await page.textContent('#config tr[data-key=parameters] td:last-child'), `${(params / 1e3).toFixed(1)}k`);
  assert.deepEqual(await page.$$eval('#label-list .chip', (cs) => cs.map((c) => c.textContent)), ['0angular_leaf_spot', '1bean_rust', '2healthy']);
  assert.deepEqual(await page.$$eval('#files tr[data-file]', (rs) => rs.map((r) => r.getAttribute('data-file'))), ['README.md', 'config.json', 'model.safetensors', 'preprocessor_config.json', 'sample.png']);
  assert.match((await page.textContent('#snippet'))!, /const pipe = await pipeline\('image-classification', \{ model: '.*tiny-vit-beans' \}\);/);
  assert.deepEqual(b.errors, []);
});

test('image-classification widget: an uploaded, a dropped and a linked image get the labels of the in-process pipeline', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  const dir = join(served, 'models', 'vit-tiny-shapes');
  await page.goto(`${s.url}/models/vit-tiny-shapes`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.deepEqual(await page.$$eval('#results tbody tr', (rs) => rs.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent).join(' | '))), ['Image Classification | shapes (synthetic) (held-out) | Accuracy | 0.427']);
  assert.deepEqual(await page.$$eval('#label-list .chip', (cs) => cs.map((c) => c.textContent!.replace(/^\d+/, ''))), SHAPES);
  const pipe = await pipeline('image-classification', { model: dir });
  const want = async (f: string) => await pipe(readFileSync(f)) as { label: string; score: number }[];
  // file upload
  await page.setInputFiles('#widget-file', shapeImages.star!);
  const got = await predictions(page);
  near(got, await want(shapeImages.star!));
  assert.equal(got[0]![0], 'star');
  assert.equal(got.length, 5);
  assert.equal(await page.$eval('#widget-image', (i) => (i as unknown as { naturalWidth: number }).naturalWidth), 64);
  await page.screenshot({ path: join(screenshotDir(), 'model-page.png'), fullPage: true });
  await (await page.$('#widget-box'))!.screenshot({ path: join(screenshotDir(), 'widget-image-classification.png') });
  // drag and drop
  const dt = await page.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const d = new DataTransfer();
    d.items.add(new File([bytes], 'triangle.png', { type: 'image/png' }));
    return d;
  }, readFileSync(shapeImages.triangle!).toString('base64'));
  await fresh(page);
  await page.dispatchEvent('#widget-drop', 'drop', { dataTransfer: dt });
  near(await predictions(page), await want(shapeImages.triangle!));
  // a URL (an image file of the model folder)
  await page.fill('#widget-url', `${s.url}/models/vit-tiny-shapes/resolve/main/ring.png`);
  await fresh(page);
  await page.click('#widget-url-load');
  const ring = await predictions(page);
  near(ring, await want(shapeImages.ring!));
  assert.equal(ring[0]![0], 'ring');
  assert.deepEqual(b.errors, []);
});

test('fill-mask page: a typed masked sentence gets the completions of the pipeline; a sentence without the mask is refused', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  await page.goto(`${s.url}/models/roberta-tiny-mlm`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.textContent('#mask-hint code'), '<mask>');
  assert.match((await page.inputValue('#widget-text')), /<mask>/, 'pre-filled with an example holding the mask token');
  const sentence = 'Lena paid the <mask>.';
  await page.fill('#widget-text', sentence);
  await fresh(page);
  await page.click('#widget-run');
  const want = await (await pipeline('fill-mask', { model: join(served, 'models', 'roberta-tiny-mlm') }))(sentence) as { token_str: string; score: number }[];
  near(await predictions(page), want);
  assert.equal(want.length, 5);
  await (await page.$('#widget-box'))!.screenshot({ path: join(screenshotDir(), 'widget-fill-mask.png') });
  await page.fill('#widget-text', 'no mask here');
  await page.click('#widget-run');
  await until(page, '#widget-output', (x) => /has no <mask>/.test(x));
  assert.deepEqual(b.errors, []);
});

test('text-generation page: the widget streams the tokens into the page, ending with the pipeline\'s text', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  await page.goto(`${s.url}/models/tiny-gpt2`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('#widget-text', 'the cat');
  await page.fill('#widget-max-tokens', '24');
  // the generated text's length each time the page changed
  await page.evaluate(() => {
    const w = window as unknown as { __lengths: number[] };
    w.__lengths = [];
    new MutationObserver(() => { w.__lengths.push(document.getElementById('generated')?.textContent?.length ?? -1); }).observe(document.getElementById('widget-output')!, { subtree: true, childList: true, characterData: true });
  });
  await page.click('#widget-run');
  await page.waitForSelector('#widget-output[data-state=done]', { timeout: 60_000 });
  const want = ((await (await pipeline('text-generation', { model: join(served, 'models', 'tiny-gpt2') }))('the cat', { maxNewTokens: 24, doSample: false, returnFullText: false })) as { generated_text: string }[])[0]!.generated_text;
  assert.equal(await page.textContent('#generated'), want);
  const tokens = Number(await page.getAttribute('#generated', 'data-tokens'));
  assert.equal(tokens, 24);
  const lengths = await page.evaluate(() => (window as unknown as { __lengths: number[] }).__lengths);
  assert.ok(lengths.some((n) => n > 0 && n < want.length), `the page showed part of the text before the end: ${lengths.join(',')}`);
  assert.deepEqual(b.errors, []);
});

test('a broken model folder: its page names the file that cannot be read, has no widget, and still lists its files', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  await page.goto(`${s.url}/models/broken-vit`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.deepEqual(await page.$$eval('#error .error', (es) => es.map((e) => e.textContent!.replace(/: cannot be read: .*/, ': cannot be read'))), ['config.json: cannot be read']);
  assert.match((await page.textContent('#widget'))!, /No widget: the model's task cannot be told \(config\.json cannot be read\)/);
  assert.deepEqual(await page.$$eval('#files tr[data-file]', (rs) => rs.map((r) => r.getAttribute('data-file'))), ['config.json', 'model.safetensors', 'preprocessor_config.json']);
  // the server goes on: another model's page and widget still work
  await page.goto(`${s.url}/models/roberta-tiny-mlm`);
  await page.waitForSelector('body[data-ready="1"]');
  await fresh(page);
  await page.click('#widget-run');
  assert.equal((await predictions(page)).length, 5);
  assert.deepEqual(b.errors, []);
});
