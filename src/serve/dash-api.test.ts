// The dataset viewer's and training dashboard's JSON routes of `hubtune serve`: datasets from a
// save_to_disk folder, a CSV file, an image folder and the Hub cache (splits, features, pages,
// search, label distribution, thumbnails); runs fed live by a Trainer with reportTo: ['hubtune']
// (server-sent events while it trains, confusion matrix from its eval predictions) and runs of
// another writer followed through their files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Dataset, DatasetDict, Features, ClassLabel, Value } from '../datasets/index';
import { Trainer, TrainingArguments, setSeed } from '../training/index';
import { runFeed } from '../training/dashboard';
import { tinyRoberta, tinyTextDataset, padCollator } from '../../test/support/tiny-models';
import { serve, type RunningServer } from './server';

process.env.HUBTUNE_QUIET_TRAINER = '1';
const root = mkdtempSync(join(tmpdir(), 'hubtune-dash-'));
let server: RunningServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const NAMES = ['neg', 'pos', 'neutral'];
async function start(): Promise<RunningServer> {
  if (server) return server;
  const served = join(root, 'served');
  mkdirSync(served);
  mkdirSync(join(root, 'runs'));
  // save_to_disk: a DatasetDict with a ClassLabel column.
  const features = new Features({ text: new Value('string'), label: new ClassLabel({ names: NAMES }) });
  const mk = (n: number, off: number) => Dataset.fromDict({ text: Array.from({ length: n }, (_, i) => `review number ${i + off} ${i % 7 === 0 ? 'great' : 'meh'}`), label: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 2 : i % 2)) }, { features });
  await new DatasetDict({ train: mk(45, 0), test: mk(10, 100) }).saveToDisk(join(served, 'reviews'));
  // A data file.
  writeFileSync(join(served, 'scores.csv'), 'name,score\n' + Array.from({ length: 12 }, (_, i) => `row${i},${i * 1.5}`).join('\n') + '\n');
  // An image folder: train/<label>/*.png.
  for (const [label, colour] of [['red', { r: 255, g: 0, b: 0 }], ['blue', { r: 0, g: 0, b: 255 }]] as const) {
    mkdirSync(join(served, 'shapes', 'train', label), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(served, 'shapes', 'train', label, `${i}.png`), await sharp({ create: { width: 40 + i, height: 20, channels: 3, background: colour } }).png().toBuffer());
  }
  // An image folder whose one image is a link to a file outside the served folder.
  mkdirSync(join(served, 'leaky', 'train', 'a'), { recursive: true });
  writeFileSync(join(served, 'leaky', 'train', 'a', '0.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer());
  writeFileSync(join(root, 'secret.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer());
  symlinkSync(join(root, 'secret.png'), join(served, 'leaky', 'train', 'a', '1.png'));
  // The Hub cache: datasets--org--name with refs/main and its snapshot.
  const cache = join(root, 'hub-cache');
  const commit = 'a'.repeat(40);
  const snap = join(cache, 'datasets--org--tiny', 'snapshots', commit, 'data');
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(cache, 'datasets--org--tiny', 'refs'));
  writeFileSync(join(cache, 'datasets--org--tiny', 'refs', 'main'), commit);
  writeFileSync(join(snap, 'train.jsonl'), [{ q: 'a' }, { q: 'b' }, { q: 'c' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
  server = await serve({ paths: [served, join(root, 'runs')], port: 0, hubCache: cache });
  return server;
}
const get = async (path: string) => { const r = await fetch(`${server!.url}${path}`); return { status: r.status, body: await r.json() as any }; };

test('datasets: listed from save_to_disk folders, data files, image folders and the Hub cache, with splits and features', async () => {
  await start();
  const list = (await get('/api/datasets')).body as { id: string; source: string }[];
  assert.deepEqual(list.map((d) => `${d.id}:${d.source}`).sort(), ['leaky:folder', 'org/tiny:hub-cache', 'reviews:folder', 'scores:file', 'shapes:folder']);
  const info = (await get('/api/datasets/reviews')).body;
  assert.deepEqual(info.splits, [{ name: 'train', num_rows: 45 }, { name: 'test', num_rows: 10 }]);
  assert.deepEqual(info.features.label, { names: NAMES, _type: 'ClassLabel' });
  assert.deepEqual(info.label_columns, ['label']);
  const shapes = (await get('/api/datasets/shapes')).body;
  assert.deepEqual(shapes.image_columns, ['image']);
  assert.deepEqual(shapes.features.label.names, ['blue', 'red']);
  assert.equal((await get('/api/datasets/org/tiny')).body.splits[0].num_rows, 3);
  assert.equal((await get('/api/datasets/scores')).body.features.score._type, 'Value');
});

test('datasets: pages of rows, search on a column, label distribution', async () => {
  await start();
  let r = await get('/api/datasets/reviews/rows?split=train&offset=40&length=10');
  assert.equal(r.status, 200);
  assert.equal(r.body.num_rows_total, 45);
  assert.deepEqual(r.body.rows.map((x: any) => x.row_idx), [40, 41, 42, 43, 44]);
  assert.deepEqual(r.body.rows[0].row, { text: 'review number 40 meh', label: 2 });
  // search: a substring of the text column, a ClassLabel's name, and its id
  r = await get('/api/datasets/reviews/rows?split=train&column=text&query=GREAT&length=3');
  assert.equal(r.body.num_rows_matched, 7);
  assert.deepEqual(r.body.rows.map((x: any) => x.row_idx), [0, 7, 14]);
  r = await get('/api/datasets/reviews/rows?split=train&column=label&query=neutral&offset=2&length=100');
  assert.equal(r.body.num_rows_matched, 9);
  assert.deepEqual(r.body.rows.map((x: any) => x.row_idx), [10, 15, 20, 25, 30, 35, 40]);
  assert.equal((await get('/api/datasets/reviews/rows?split=train&column=label&query=2')).body.num_rows_matched, 9);
  // the same search on another split answers that split's rows (not the cached ones of the first)
  r = await get('/api/datasets/reviews/rows?split=test&column=text&query=great');
  assert.deepEqual([r.body.num_rows_matched, r.body.rows.map((x: any) => x.row_idx)], [2, [0, 7]]);
  const none = await get('/api/datasets/reviews/rows?split=test&column=text&query=nowhere');
  assert.equal(none.status, 200, JSON.stringify(none.body));
  assert.deepEqual([none.body.num_rows_matched, none.body.rows], [0, []]);
  const d = (await get('/api/datasets/reviews/distribution?split=test')).body;
  assert.deepEqual(d.labels, [{ id: 0, name: 'neg', count: 4 }, { id: 1, name: 'pos', count: 4 }, { id: 2, name: 'neutral', count: 2 }]);
  const s = (await get('/api/datasets/scores/distribution?column=name')).body;
  assert.equal(s.distinct, 12);
  assert.equal((await get('/api/datasets/org/tiny/rows')).body.rows[2].row.q, 'c');
});

test('datasets: image cells are thumbnail URLs answering PNGs', async () => {
  await start();
  const r = await get('/api/datasets/shapes/rows?length=6');
  assert.equal(r.body.rows.length, 6);
  const cell = r.body.rows[4].row.image;
  assert.equal(cell._type, 'Image');
  const png = await fetch(`${server!.url}${cell.src}&size=16`);
  assert.equal(png.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
  assert.equal(meta.width, 16);
  assert.ok(meta.height! <= 9, `height ${meta.height}`);
  assert.equal((await fetch(`${server!.url}/api/datasets/leaky/image?row=0&column=image`)).status, 200, 'an image inside the folder is shown');
  const { data } = await sharp(Buffer.from(await (await fetch(`${server!.url}${cell.src}`)).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
  const redRow = r.body.rows[4].row.label === 1;
  assert.equal(data[0], redRow ? 255 : 0, 'the thumbnail shows the row\'s image');
});

test('datasets: bad requests are JSON errors naming what to fix', async () => {
  await start();
  const cases: [string, number, RegExp][] = [
    ['/api/datasets/nope', 404, /nope is not served here/],
    ['/api/datasets/reviews/rows?split=validation', 404, /no split 'validation': its splits are train, test/],
    ['/api/datasets/reviews/rows?offset=-1', 400, /offset must be an integer/],
    ['/api/datasets/reviews/rows?length=1000', 400, /length must be an integer from 1 to 100/],
    ['/api/datasets/reviews/rows?query=x', 400, /add column=<name>/],
    ['/api/datasets/reviews/rows?column=nope&query=x', 400, /column 'nope' is not in dataset reviews/],
    ['/api/datasets/shapes/rows?column=image&query=x', 400, /holds images/],
    ['/api/datasets/scores/distribution', 400, /no ClassLabel column/],
    ['/api/datasets/reviews/image?row=0&column=text', 400, /not an Image column/],
    ['/api/datasets/shapes/image?row=99&column=image', 400, /row must be an integer from 0 to 5/],
    ['/api/datasets/leaky/image?row=1&column=image', 403, /row 1's image of dataset leaky links outside the served folder/],
    ['/api/datasets/../../etc/passwd', 404, /not served here|Not found/],
    ['/api/datasets/%2e%2e%2f%2e%2e%2fetc/rows', 404, /not served here/],
  ];
  for (const [path, status, re] of cases) {
    const r = await get(path);
    assert.equal(r.status, status, path);
    assert.match(r.body.error, re, path);
  }
});

test('pages: the dataset viewer and dashboard HTML and their two assets, nothing else from that folder', async () => {
  const s = await start();
  for (const [path, type, text] of [['/datasets/reviews', 'text/html', 'Dataset viewer'], ['/datasets/org/tiny', 'text/html', 'Dataset viewer'], ['/runs', 'text/html', 'Training dashboard'], ['/runs/foreign', 'text/html', 'EventSource'], ['/dash-assets/dash.css', 'text/css', '.chart'], ['/dash-assets/dash-common.js', 'text/javascript', 'function lineChart']] as const) {
    const r = await fetch(`${s.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.ok(r.headers.get('content-type')!.startsWith(type), path);
    assert.ok((await r.text()).includes(text), path);
  }
  for (const path of ['/dash-assets/__proto__', '/dash-assets/dataset.html', '/dash-assets/..%2f..%2fpackage.json', '/dash-assets/%2e%2e/%2e%2e/package.json']) assert.equal((await fetch(`${s.url}${path}`)).status, 404, path);
});

interface Sse { event: string; data: any }
/** Reads server-sent events until `until` says stop. */
async function readEvents(url: string, until: (events: Sse[]) => boolean, onOpen?: () => void): Promise<Sse[]> {
  const ac = new AbortController();
  const r = await fetch(url, { signal: ac.signal });
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  onOpen?.();
  const events: Sse[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      }
      if (until(events)) break;
    }
  } finally {
    ac.abort();
  }
  return events;
}

test("runs: a Trainer with reportTo: ['hubtune'] streams its logs, progress and confusion matrix while it trains", async () => {
  const s = await start();
  setSeed(0);
  const outputDir = join(root, 'runs', 'live-run');
  let streaming: Promise<Sse[]> | null = null;
  let opened: () => void = () => {};
  const open = new Promise<void>((r) => { opened = r; });
  const trainer = new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 8, loggingSteps: 1, evalStrategy: 'steps', evalSteps: 4, saveStrategy: 'no', reportTo: ['hubtune'], disableTqdm: true }),
    trainDataset: tinyTextDataset(32, { seed: 1 }),
    evalDataset: tinyTextDataset(12, { seed: 2 }),
    dataCollator: padCollator,
    callbacks: [{
      // The dashboard opens mid-run: its snapshot has the first steps, events bring the rest.
      onStepEnd: async (_a, state) => {
        if (state.globalStep !== 2) return;
        streaming = readEvents(`${s.url}/api/runs/live-run/events`, (ev) => ev.some((e) => e.event === 'progress' && e.data.status === 'finished'), opened);
        await open;
        await new Promise((r) => setTimeout(r, 50));
      },
    }],
  });
  assert.deepEqual(trainer.args.reportTo, ['hubtune']);
  await trainer.train();
  const events = await streaming!;
  assert.equal(events[0]!.event, 'snapshot');
  const snap = events[0]!.data;
  assert.equal(snap.live, true);
  assert.equal(snap.status, 'running');
  assert.deepEqual(snap.log_history.map((e: any) => e.step), [1]);
  assert.equal(snap.hyperparameters.learning_rate, 1e-3);
  assert.equal(snap.max_steps, 8);
  const logs = events.filter((e) => e.event === 'log').map((e) => e.data);
  const trainSteps = logs.filter((e) => typeof e.loss === 'number').map((e) => e.step);
  assert.deepEqual(trainSteps, [2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(logs.filter((e) => typeof e.eval_loss === 'number').map((e) => e.step), [4, 8]);
  assert.ok(logs.every((e) => typeof e.loss !== 'number' || typeof e.learning_rate === 'number'));
  const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
  assert.ok(progress.some((p) => p.status === 'running' && p.global_step === 5 && typeof p.eta_seconds === 'number'));
  assert.equal(progress.at(-1)!.global_step, 8);
  const cms = events.filter((e) => e.event === 'confusion_matrix').map((e) => e.data);
  assert.deepEqual(cms.map((c) => c.step), [4, 8]);
  const cm = cms[1]!;
  assert.deepEqual(cm.labels, ['LABEL_0', 'LABEL_1']);
  assert.equal(cm.matrix.flat().reduce((a: number, b: number) => a + b, 0), 12);
  const truth = await tinyTextDataset(12, { seed: 2 }).column('label');
  assert.deepEqual(cm.matrix.map((row: number[]) => row.reduce((a, b) => a + b, 0)), [truth.filter((x) => x === 0).length, truth.filter((x) => x === 1).length]);
  const evalAcc = logs.filter((e) => typeof e.eval_loss === 'number').at(-1);
  assert.ok(evalAcc);
  // The run is listed, finished; its folder has what another server process would read.
  const list = (await get('/api/runs')).body as any[];
  assert.deepEqual(list.find((r) => r.id === 'live-run'), { id: 'live-run', status: 'finished', live: true, global_step: 8, max_steps: 8, last_loss: logs.filter((e) => typeof e.loss === 'number').at(-1).loss });
  runFeed.runs.delete(outputDir);
  const fromFiles = (await get('/api/runs/live-run')).body;
  assert.equal(fromFiles.status, 'finished');
  assert.equal(fromFiles.live, false);
  assert.deepEqual(fromFiles.confusion_matrix, cm);
  assert.equal(fromFiles.log_history.length, snap.log_history.length + logs.length);
});

test("runs: a run resumed in the same process starts from its checkpoint's log, each step once", async () => {
  const s = await start();
  const outputDir = join(root, 'runs', 'resumed');
  const make = (maxSteps: number) => new Trainer({
    model: tinyRoberta({ seed: 0 }),
    args: new TrainingArguments({ outputDir, perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps, loggingSteps: 1, saveSteps: 2, reportTo: ['hubtune'], disableTqdm: true }),
    trainDataset: tinyTextDataset(32, { seed: 1 }), dataCollator: padCollator,
  });
  setSeed(0);
  await make(4).train();
  // as if the run had stopped after checkpoint-2: resumed from it, with a longer max_steps
  rmSync(join(outputDir, 'checkpoint-4'), { recursive: true, force: true });
  await make(6).train({ resumeFromCheckpoint: true });
  const snap = (await get('/api/runs/resumed')).body;
  assert.equal(snap.live, true);
  assert.deepEqual(snap.log_history.filter((e: any) => typeof e.loss === 'number').map((e: any) => e.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([snap.status, snap.global_step, snap.max_steps], ['finished', 6, 6]);
});

test("runs: another process's run is followed through its files (log_history.jsonl, trainer_state.json)", async () => {
  const s = await start();
  const dir = join(root, 'runs', 'foreign');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 0, max_steps: 6, log_history: [] }));
  appendFileSync(join(dir, 'log_history.jsonl'), '{"loss": 2.0, "learning_rate": 0.001, "epoch": 0.1, "step": 1}\n');
  let step = 1;
  const writer = setInterval(() => {
    step++;
    if (step <= 6) appendFileSync(join(dir, 'log_history.jsonl'), `{"loss": ${2 - step * 0.1}, "learning_rate": 0.001, "epoch": ${step / 10}, "step": ${step}}\n`);
    if (step === 6) writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 6, max_steps: 6, log_history: [] }));
  }, 150);
  try {
    const events = await readEvents(`${s.url}/api/runs/foreign/events`, (ev) => ev.filter((e) => e.event === 'log').length >= 5 && ev.some((e) => e.event === 'progress' && e.data.status === 'finished'));
    assert.equal(events[0]!.event, 'snapshot');
    const first = events[0]!.data;
    assert.equal(first.live, false);
    assert.equal(first.confusion_matrix, null);
    assert.match(first.confusion_matrix_note, /no evaluation predictions saved for this run: train with reportTo: \['hubtune'\]/);
    const steps = [...first.log_history, ...events.filter((e) => e.event === 'log').map((e) => e.data)].map((e: any) => e.step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
  } finally {
    clearInterval(writer);
  }
  assert.equal((await get('/api/runs/nope')).status, 404);
  // A run of Python's Trainer: only checkpoints' trainer_state.json (NaN allowed), no log_history.jsonl.
  const py = join(root, 'runs', 'python-run');
  mkdirSync(join(py, 'checkpoint-4'), { recursive: true });
  mkdirSync(join(py, 'checkpoint-8'));
  const state = (n: number) => `{"global_step": ${n}, "max_steps": 10, "epoch": ${n / 10}, "log_history": [${Array.from({ length: n / 2 }, (_, i) => `{"loss": ${i === 0 ? 'NaN' : 1 - i / 10}, "step": ${2 * i + 2}}`).join(', ')}]}`;
  writeFileSync(join(py, 'checkpoint-4', 'trainer_state.json'), state(4));
  writeFileSync(join(py, 'checkpoint-8', 'trainer_state.json'), state(8));
  const run = (await get('/api/runs/python-run')).body;
  assert.deepEqual([run.status, run.global_step, run.max_steps, run.log_history.map((e: any) => e.step), run.log_history[0].loss], ['unknown', 8, 10, [2, 4, 6, 8], null]);
  assert.equal(run.hyperparameters, null);
  assert.ok((await get('/api/runs')).body.some((r: any) => r.id === 'python-run'));
});
