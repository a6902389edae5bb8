// pipeline(task, {dtype}): bfloat16 / float16 / 'auto' models end to end (inputs cast to the
// model's dtype, scores back in float32), and one-line errors for dtypes a pipeline cannot run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type LabelScore } from '../../src/pipelines/index';
import { AutoModelForImageClassification } from '../../src/models/index';
import { fixtures } from './fixtures';

const byLabel = (r: LabelScore[]) => Object.fromEntries(r.map((x) => [x.label, x.score]));
function close(a: LabelScore[][], b: LabelScore[][], tol: number, what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((r, i) => {
    const x = byLabel(r), y = byLabel(b[i]);
    for (const k of Object.keys(y)) assert.ok(Math.abs(x[k] - y[k]) < tol, `${what}: item ${i} ${k} ${x[k]} vs ${y[k]}`);
  });
}

test('image-classification in bfloat16 and float16: weights in that dtype, float32 scores near the float32 ones', async () => {
  const fx = await fixtures();
  const ref = await pipeline('image-classification', { model: fx.vit, topK: null });
  assert.equal(ref.dtype, 'float32');
  const want = await ref(fx.imageFiles) as LabelScore[][];
  for (const dtype of ['bfloat16', 'float16'] as const) {
    const pipe = await pipeline('image-classification', { model: fx.vit, topK: null, dtype });
    assert.equal(pipe.dtype, dtype);
    assert.deepEqual([...new Set(pipe.model.parameters().map((p) => p.dtype))], [dtype]);
    const got = await pipe(fx.imageFiles) as LabelScore[][];
    got.forEach((r) => assert.ok(Math.abs(r.reduce((s, x) => s + x.score, 0) - 1) < 1e-6, 'scores are float32 probabilities'));
    close(got, want, dtype === 'bfloat16' ? 3e-2 : 5e-3, dtype);
  }
});

test("text-classification in bf16; dtype 'auto' reads the checkpoint's torch_dtype; a model object is cast", async () => {
  const fx = await fixtures();
  const texts = ['the cat sat on the mat', 'a quick brown fox'];
  const ref = await (await pipeline('text-classification', { model: fx.robertaCls, topK: null }))(texts) as LabelScore[][];
  const bf = await pipeline('text-classification', { model: fx.robertaCls, topK: null, torchDtype: 'bf16' });
  assert.equal(bf.dtype, 'bfloat16');
  close(await bf(texts) as LabelScore[][], ref, 3e-2, 'bf16 text');
  assert.equal((await pipeline('text-classification', { model: fx.robertaCls, dtype: 'auto' })).dtype, 'float32');

  const dir = mkdtempSync(join(tmpdir(), 'hubtune-prec-'));
  try {
    const m = await AutoModelForImageClassification.fromPretrained(fx.vit, { dtype: 'bfloat16', quiet: true });
    m.savePretrained(dir);
    const auto = await pipeline('image-classification', { model: dir, imageProcessor: fx.vit, dtype: 'auto' });
    assert.equal(auto.dtype, 'bfloat16');
    assert.equal((await auto(fx.imageFiles[0]) as LabelScore[]).length, 3);
    const f32 = await AutoModelForImageClassification.fromPretrained(fx.vit, { quiet: true });
    const obj = await pipeline('image-classification', { model: f32, imageProcessor: auto.imageProcessor!, dtype: 'float16' });
    assert.equal(obj.dtype, 'float16');
    assert.equal((await obj(fx.imageFiles[0]) as LabelScore[]).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dtypes a pipeline cannot run: one-line errors before anything loads', async () => {
  const fx = await fixtures();
  await assert.rejects(pipeline('image-classification', { model: fx.vit, dtype: 'int8' }), /dtype 'int8' is not a floating-point dtype: for int8 inference pass \{quantize: 'int8'\}/);
  await assert.rejects(pipeline('image-classification', { model: fx.vit, dtype: 'int64' }), /dtype 'int64' is not a floating-point dtype/);
  await assert.rejects(pipeline('image-classification', { model: fx.vit, dtype: 'bf17' }), /unknown dtype 'bf17': use 'float32', 'bfloat16', 'float16' or 'auto'/);
  await assert.rejects(pipeline('image-classification', { model: fx.vit, dtype: 'bfloat16', torchDtype: 'float16' }), /disagree/);
});
