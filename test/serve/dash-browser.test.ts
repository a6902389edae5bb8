// The dataset viewer and the training dashboard in a real browser (Chromium through playwright-core):
// page through a dataset's rows and search a column; watch the dashboard's loss curve grow while a
// tiny training reporting to 'hubtune' runs, then its confusion matrix. Screenshots under test-output/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Dataset, DatasetDict, Features, ClassLabel, Value } from '../../src/datasets/index';
import { Trainer, TrainingArguments, setSeed } from '../../src/training/index';
import { serve, type RunningServer } from '../../src/serve/server';
import { tinyRoberta, tinyTextDataset, padCollator } from '../support/tiny-models';
import { openBrowser, screenshotDir, type OpenBrowser } from '../support/browser';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const root = mkdtempSync(join(tmpdir(), 'hubtune-dash-browser-'));
let server: RunningServer | null = null;
let browser: OpenBrowser | string | null = null;
after(async () => {
  if (browser && typeof browser !== 'string') await browser.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function setUp(): Promise<{ s: RunningServer; b: OpenBrowser | string }> {
  if (!server) {
    const served = join(root, 'served');
    mkdirSync(join(served, 'runs'), { recursive: true });
    const features = new Features({ sentence: new Value('string'), label: new ClassLabel({ names: ['negative', 'positive'] }) });
    const words = ['great', 'awful', 'fine', 'boring', 'lovely'];
    await new DatasetDict({
      train: Dataset.fromDict({ sentence: Array.from({ length: 47 }, (_, i) => `a ${words[i % 5]} film, number ${i}`), label: Array.from({ length: 47 }, (_, i) => (i % 5 === 0 || i % 5 === 4 ? 1 : 0)) }, { features }),
      validation: Dataset.fromDict({ sentence: ['a great film', 'an awful film'], label: [1, 0] }, { features }),
    }).saveToDisk(join(served, 'reviews'));
    const colours = { circle: { r: 230, g: 80, b: 40 }, square: { r: 40, g: 110, b: 230 } };
    for (const [label, bg] of Object.entries(colours)) {
      mkdirSync(join(served, 'shapes', 'train', label), { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(join(served, 'shapes', 'train', label, `${i}.png`), await sharp({ create: { width: 48 + 8 * i, height: 40, channels: 3, background: bg } }).png().toBuffer());
    }
    server = await serve({ paths: [served, join(served, 'runs')], port: 0, hubCache: false });
  }
  browser ??= await openBrowser();
  return { s: server, b: browser };
}

const info = (b: OpenBrowser) => b.page.textContent('#page-info');
type Page = OpenBrowser['page'];
/** Polls `ok` every 50 ms, failing after 30 s with `what`. */
async function poll(ok: () => Promise<boolean>, what: () => Promise<string>): Promise<void> {
  for (const end = Date.now() + 30_000; !(await ok());) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${await what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Waits until the text of `selector` satisfies `ok`. */
const until = (page: Page, selector: string, ok: (text: string) => boolean) =>
  poll(async () => ok((await page.textContent(selector)) ?? ''), async () => `${selector}: '${await page.textContent(selector)}'`);

test('dataset viewer: splits, features, label distribution, paging through rows, search on a column, thumbnails', async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  await page.goto(`${s.url}/datasets/reviews`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.deepEqual(await page.$$eval('#splits button', (bs) => bs.map((x) => x.textContent)), ['train · 47 rows', 'validation · 2 rows']);
  assert.match((await page.textContent('#features'))!, /0: negative, 1: positive/);
  assert.deepEqual(await page.$$eval('#distribution .bar', (bs) => bs.map((x) => x.getAttribute('data-label') + ' ' + x.lastElementChild!.textContent)), ['negative 28 (59.6%)', 'positive 19 (40.4%)']);
  assert.equal(await info(b), 'rows 1–20 of 47');
  assert.equal(await page.$$eval('#rows tbody tr', (r) => r.length), 20);
  await page.screenshot({ path: join(screenshotDir(), 'dataset-viewer.png'), fullPage: true });
  await page.click('#next');
  await until(page, '#page-info', (t) => t === 'rows 21–40 of 47');
  await page.click('#next');
  await until(page, '#page-info', (t) => t === 'rows 41–47 of 47');
  assert.deepEqual(await page.$$eval('#rows tbody tr', (r) => r.map((x) => x.getAttribute('data-row'))), ['40', '41', '42', '43', '44', '45', '46']);
  assert.equal(await page.isDisabled('#next'), true);
  await page.click('#prev');
  await until(page, '#page-info', (t) => t === 'rows 21–40 of 47');
  // search: sentences with "lovely"
  await page.selectOption('#search-column', 'sentence');
  await page.fill('#search-query', 'lovely');
  await page.click('#search button[type=submit]');
  await until(page, '#page-info', (t) => /matching/.test(t));
  assert.equal(await info(b), 'rows 1–9 of 9 matching “lovely” in sentence (47 in all)');
  assert.ok((await page.$$eval('#rows tbody tr', (r) => r.map((x) => x.textContent!))).every((x) => x.includes('lovely') && x.includes('positive (1)')));
  await page.click('#splits button[data-split=validation]');
  await until(page, '#page-info', (t) => /^no row matches “lovely” in sentence/.test(t));
  await page.click('#search-clear');
  await until(page, '#page-info', (t) => t === 'rows 1–2 of 2');
  // image thumbnails
  await page.goto(`${s.url}/datasets/shapes`);
  await page.waitForSelector('body[data-ready="1"]');
  const widths = () => page.$$eval('#rows img', (imgs) => imgs.map((i) => ((i as unknown as { complete: boolean }).complete ? (i as unknown as { naturalWidth: number }).naturalWidth : -1)));
  await poll(async () => (await widths()).join() === '48,56,64,72,48,56,64,72', async () => `thumbnail widths ${(await widths()).join()}`);
  await page.screenshot({ path: join(screenshotDir(), 'dataset-viewer-images.png'), fullPage: true });
  assert.deepEqual(b.errors, []);
});

test("training dashboard: the loss curve grows live while a run reporting to 'hubtune' trains; eval metrics, confusion matrix, comparison", async (t) => {
  const { s, b } = await setUp();
  if (typeof b === 'string') { t.skip(b); return; }
  const { page } = b;
  setSeed(0);
  const seen: number[] = [];
  const evalSet = tinyTextDataset(16, { seed: 2 });
  const trainer = new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir: join(root, 'served', 'runs', 'tiny-roberta'), perDeviceTrainBatchSize: 4, learningRate: 2e-3, maxSteps: 24, loggingSteps: 1, evalStrategy: 'steps', evalSteps: 8, saveStrategy: 'no', reportTo: ['hubtune'], disableTqdm: true }),
    trainDataset: tinyTextDataset(64, { seed: 1 }), evalDataset: evalSet, dataCollator: padCollator,
    computeMetrics: (p) => { const pred = (p.predictions as number[][]).map((r) => (r[1]! > r[0]! ? 1 : 0)); const lab = p.labelIds as number[]; return { accuracy: pred.filter((x, i) => x === lab[i]).length / lab.length }; },
    callbacks: [{
      onStepBegin: async (_a, state) => {
        if (state.globalStep === 2) {
          await page.goto(`${s.url}/runs/tiny-roberta`);
          await page.waitForSelector('body[data-ready="1"]');
        }
        if (state.globalStep >= 3) {
          // Each step's log reaches the page by server-sent events: wait for the point, then read it.
          const n = state.globalStep;
          await poll(async () => Number(await page.getAttribute('#chart-loss path[data-name=loss]', 'data-n').catch(() => 0)) >= n, async () => `loss points on the page at step ${n}`);
          seen.push(Number(await page.getAttribute('#chart-loss path[data-name=loss]', 'data-n')));
          if (n === 12) await page.screenshot({ path: join(screenshotDir(), 'training-dashboard-live.png'), fullPage: true });
        }
      },
    }],
  });
  await trainer.train();
  await until(page, '#status', (t) => t === 'finished');
  assert.deepEqual(seen, Array.from({ length: 21 }, (_, i) => i + 3), 'one more loss point on the page after every step');
  assert.equal(await page.getAttribute('#chart-loss path[data-name=loss]', 'data-n'), '24');
  assert.equal(await page.getAttribute('#chart-loss path[data-name=eval_loss]', 'data-n'), '3');
  assert.equal(await page.getAttribute('#chart-eval path[data-name=eval_accuracy]', 'data-n'), '3');
  assert.equal(await page.getAttribute('#chart-lr path[data-name=learning_rate]', 'data-n'), '24');
  assert.match((await page.textContent('#progress-text'))!, /^step 24 \/ 24 \(100%\)/);
  // confusion matrix of the last evaluation: every eval row counted once, its accuracy the logged one
  const cells = await page.$$eval('#cm tr', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td')].map((c) => Number(c.textContent))));
  const labels = await evalSet.column('label');
  assert.deepEqual(cells.map((r) => r.reduce((a, x) => a + x, 0)), [0, 1].map((k) => labels.filter((x) => x === k).length));
  const acc = trainer.state.logHistory.filter((e) => 'eval_accuracy' in e).at(-1)!.eval_accuracy as number;
  assert.match((await page.textContent('#cm-box .chart-title'))!, new RegExp(`accuracy ${(100 * acc).toFixed(1)}%`));
  assert.match((await page.textContent('#hparams'))!, /learning_rate\s*0\.002/);
  await page.screenshot({ path: join(screenshotDir(), 'training-dashboard.png'), fullPage: true });
  // a second run (another writer's files) compared with the first on one chart
  const other = join(root, 'served', 'runs', 'other-run');
  mkdirSync(other);
  writeFileSync(join(other, 'log_history.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ loss: 0.7 - i * 0.01, learning_rate: 1e-3, step: 2 * (i + 1) })).join('\n') + '\n');
  await page.goto(`${s.url}/runs`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.deepEqual(await page.$$eval('#runs tr[data-run]', (r) => r.map((x) => x.getAttribute('data-run'))), ['other-run', 'tiny-roberta']);
  assert.equal(await page.getAttribute('#compare-loss svg', 'data-series'), 'other-run loss|tiny-roberta loss|other-run eval_loss|tiny-roberta eval_loss');
  assert.equal(await page.getAttribute('#compare-loss svg', 'data-points'), String(12 + 24 + 0 + 3));
  await page.screenshot({ path: join(screenshotDir(), 'training-runs-compared.png'), fullPage: true });
  assert.deepEqual(b.errors, []);
});
