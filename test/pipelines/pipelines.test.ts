import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, listTasks, checkTask, inferTask, ImageClassificationPipeline, type LabelScore, type FillMaskCandidate } from '../../src/pipelines/index';
import { decodeImage } from '../../src/preprocessing/image-decode';
import { fixtures } from './fixtures';

const sortedDesc = (r: LabelScore[]) => r.every((x, i) => i === 0 || r[i - 1].score >= x.score);

test('listTasks and checkTask: tasks, alias, unknown task lists the tasks', () => {
  const tasks = listTasks();
  assert.deepEqual(tasks, [...tasks].sort());
  for (const t of ['feature-extraction', 'fill-mask', 'image-classification', 'sentiment-analysis', 'text-classification']) assert.ok(tasks.includes(t), t);
  assert.equal(checkTask('sentiment-analysis').task, 'text-classification');
  assert.throws(() => checkTask('image-clasification'), /Unknown task 'image-clasification' \(did you mean 'image-classification'\?\): available tasks are feature-extraction, fill-mask, image-classification, .*sentiment-analysis, .*text-classification/);
  assert.equal(inferTask({ architectures: ['ViTForImageClassification'] }), 'image-classification');
  assert.equal(inferTask({ architectures: ['RobertaForMaskedLM'] }), 'fill-mask');
  assert.equal(inferTask({ architectures: ['BertForSequenceClassification'] }), 'text-classification');
  assert.equal(inferTask({ architectures: ['RobertaModel'], model_type: 'roberta' }), 'feature-extraction');
});

test('image-classification: paths, Buffers, decoded images, arrays; topK; callable and run()', async () => {
  const fx = await fixtures();
  const clf = await pipeline('image-classification', { model: fx.vit, device: 'cpu' });
  assert.ok(clf instanceof ImageClassificationPipeline);
  assert.equal(typeof clf, 'function');
  const one = await clf(fx.imageFiles[0]) as LabelScore[];
  assert.equal(one.length, 3); // topK default 5, capped at the number of labels
  assert.ok(sortedDesc(one));
  assert.ok(Math.abs(one.reduce((s, x) => s + x.score, 0) - 1) < 1e-6);
  assert.deepEqual(new Set(one.map((x) => x.label)), new Set(['angular_leaf_spot', 'bean_rust', 'healthy']));
  const fromBuffer = await clf(readFileSync(fx.imageFiles[0]), { topK: 1 }) as LabelScore[];
  assert.equal(fromBuffer.length, 1);
  assert.equal(fromBuffer[0].label, one[0].label);
  assert.ok(Math.abs(fromBuffer[0].score - one[0].score) < 1e-6);
  const decoded = await decodeImage(fx.imageFiles[1]);
  const many = await clf.run([fx.imageFiles[0], decoded, fx.imageFiles[2]], { topK: 2 }) as LabelScore[][];
  assert.equal(many.length, 3);
  assert.ok(many.every((r) => r.length === 2 && sortedDesc(r)));
  assert.deepEqual(many[0].map((x) => x.label), one.slice(0, 2).map((x) => x.label));
  many[0].forEach((x, i) => assert.ok(Math.abs(x.score - one[i].score) < 1e-5));
  const all = await clf(fx.imageFiles[0], { topK: null }) as LabelScore[];
  assert.equal(all.length, 3);
  const set = await pipeline('image-classification', { model: fx.vit, topK: 1, batchSize: 2 });
  assert.equal((await set(fx.imageFiles) as LabelScore[][]).every((r) => r.length === 1), true);
});

test('image-classification: bad inputs give one clear error', async () => {
  const fx = await fixtures();
  const clf = await pipeline('image-classification', { model: fx.vit });
  await assert.rejects(clf('/no/such/leaf.png'), /image file not found: \/no\/such\/leaf.png/);
  await assert.rejects(clf(Buffer.from('not an image')), /decode/i);
  await assert.rejects(clf([]), /no image given: pass one image or a non-empty array/);
  await assert.rejects(clf(42 as never), /image 0 is a number/);
  await assert.rejects(clf(fx.imageFiles[0], { topK: 0 }), /topK must be a positive integer or null/);
});

test('model/task mismatch, missing folder, unknown task', async () => {
  const fx = await fixtures();
  await assert.rejects(pipeline('text-classification', { model: fx.vit }), /is a vit model, which does not fit the task 'text-classification': it needs a text model/);
  await assert.rejects(pipeline('image-classification', { model: fx.robertaCls }), /is a roberta model, which does not fit the task 'image-classification'/);
  await assert.rejects(pipeline('image-classification', { model: './no/such/model' }), /model folder not found: \.\/no\/such\/model/);
  await assert.rejects(pipeline('speech-to-lobster', { model: fx.vit }), /Unknown task 'speech-to-lobster'.*available tasks are/);
});

test('text-classification: texts, sentence pairs, legacy and topK outputs, alias', async () => {
  const fx = await fixtures();
  const clf = await pipeline('sentiment-analysis', { model: fx.robertaCls });
  const one = await clf('Lena paid the panel in July.') as LabelScore[];
  assert.equal(one.length, 1);
  assert.ok(['NEGATIVE', 'POSITIVE'].includes(one[0].label));
  const two = await clf(['a first text', 'a second one']) as LabelScore[];
  assert.equal(two.length, 2);
  assert.ok(two.every((r) => typeof r.label === 'string' && r.score >= 0.5));
  const all = await clf('a text', { topK: null }) as LabelScore[];
  assert.equal(all.length, 2);
  assert.ok(Math.abs(all[0].score + all[1].score - 1) < 1e-6);
  assert.equal(all[0].label, one.length && (await clf('a text') as LabelScore[])[0].label);
  const pairs = await clf([{ text: 'Wen planted 7 trees.', text_pair: '7 trees were planted by Wen.' }, { text: 'x', text_pair: 'y' }], { topK: 2 }) as LabelScore[][];
  assert.equal(pairs.length, 2);
  assert.ok(pairs.every((r) => r.length === 2));
  const sig = await clf('a text', { topK: null, functionToApply: 'sigmoid' }) as LabelScore[];
  assert.ok(sig.every((x) => x.score > 0 && x.score < 1));
  await assert.rejects(clf([]), /no text given/);
  await assert.rejects(clf([['a', 'b']] as never), /pass a sentence pair as \{text, text_pair\}/);
});

test('fill-mask: candidates with score, token, token_str, sequence', async () => {
  const fx = await fixtures();
  const fm = await pipeline('fill-mask', { model: fx.robertaMlm });
  const r = await fm('Lena paid the <mask> in July.') as FillMaskCandidate[];
  assert.equal(r.length, 5);
  for (const c of r) {
    assert.deepEqual(Object.keys(c), ['score', 'token', 'token_str', 'sequence']);
    assert.ok(c.sequence.startsWith('Lena paid the'));
    assert.ok(c.sequence.includes(c.token_str.trim()));
  }
  assert.ok(r.every((c, i) => i === 0 || r[i - 1].score >= c.score));
  const two = await fm(['The <mask> sat.', 'A <mask> ran.'], { topK: 2 }) as FillMaskCandidate[][];
  assert.equal(two.length, 2);
  assert.ok(two.every((x) => x.length === 2));
  const multi = await fm('The <mask> saw the <mask>.', { topK: 3 }) as FillMaskCandidate[][];
  assert.equal(multi.length, 2);
  await assert.rejects(fm('no mask here'), /No mask_token \(<mask>\) found on the input/);
});

test('feature-extraction: token vectors like transformers, mean and cls pooling', async () => {
  const fx = await fixtures();
  const fe = await pipeline('feature-extraction', { model: fx.robertaBase });
  const tokens = await fe('Lena paid the panel.') as number[][][];
  assert.equal(tokens.length, 1);
  assert.ok(tokens[0].length > 3);
  assert.equal(tokens[0][0].length, 16);
  const mean = await fe(['Lena paid the panel.', 'A much longer sentence with quite a few more words in it.'], { pooling: 'mean' }) as number[][];
  assert.equal(mean.length, 2);
  assert.equal(mean[0].length, 16);
  // padding does not change a text's vectors
  const avg = tokens[0][0].map((_, d) => tokens[0].reduce((s, t) => s + t[d], 0) / tokens[0].length);
  avg.forEach((v, d) => assert.ok(Math.abs(v - mean[0][d]) < 1e-4));
  const cls = await pipeline('feature-extraction', { model: fx.robertaBase, pooling: 'cls' });
  const c = await cls('Lena paid the panel.') as number[];
  c.forEach((v, d) => assert.ok(Math.abs(v - tokens[0][0][d]) < 1e-4));
});

test('no model: transformers notice, and offline a clear error saying how to pass a local model', async () => {
  const saved = { ...process.env };
  process.env.HF_HUB_OFFLINE = '1';
  process.env.HF_HOME = mkdtempSync(join(tmpdir(), 'hubtune-empty-home-'));
  delete process.env.HF_HUB_CACHE;
  const notes: string[] = [];
  try {
    await assert.rejects(pipeline('image-classification', { warn: (m) => notes.push(m) }),
      /cannot load a model for 'image-classification': no model was given and the default google\/vit-base-patch16-224 is not in the cache and offline mode \(HF_HUB_OFFLINE=1\); pass a local model folder, e\.g\. pipeline\('image-classification', \{model: '\.\/my-model'\}\)/);
  } finally {
    process.env = saved;
  }
  assert.equal(notes[0], 'No model was supplied, defaulted to google/vit-base-patch16-224 and revision 3f49326.\nUsing a pipeline without specifying a model name and revision in production is not recommended.');
});
