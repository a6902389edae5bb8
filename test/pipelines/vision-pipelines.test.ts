// The vision pipelines over every family: image-classification (ViT, DeiT, BEiT, Swin, ConvNeXt,
// ResNet), zero-shot-image-classification (CLIP), image-feature-extraction (per patch / pooled, CLIP's
// vision tower) and feature-extraction on CLIP's text tower; bad inputs as transformers meets them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { pipeline, checkTask, inferTask, formatHypothesis, ZeroShotImageClassificationPipeline, ImageFeatureExtractionPipeline, type LabelScore, type ZeroShotLabelScore } from '../../src/pipelines/index';
import { tensor, tidy, noGrad } from '../../src/torch/index';
import { AutoModel, CLIPModel, CLIPTextModel } from '../../src/models/index';
import { AutoImageProcessor } from '../../src/preprocessing/image-processing';
import { AutoTokenizer } from '../../src/preprocessing/auto-tokenizer';
import { encodePNG } from '../../src/preprocessing/image-testing';
import { VISION_FAMILIES, saveTinyVisionRepo, saveTinyClipRepo, type VisionFamily } from '../support/tiny-vision';

const work = mkdtempSync(join(tmpdir(), 'hubtune-vispipe-'));
const LABELS = ['angular_leaf_spot', 'bean_rust', 'healthy'];
const repos: Partial<Record<VisionFamily, { cls: string; base: string }>> = {};
let clip = '';
const rgbPng = (w: number, h: number, k = 1) => encodePNG({ width: w, height: h, colorType: 2, bitDepth: 8, samples: Array.from({ length: w * h * 3 }, (_, i) => (i * (k + 5) + (i >> 4)) & 255) });
const gray8 = encodePNG({ width: 40, height: 30, colorType: 0, bitDepth: 8, samples: Array.from({ length: 1200 }, (_, i) => i & 255) });
const gray16 = encodePNG({ width: 40, height: 30, colorType: 0, bitDepth: 16, samples: Array.from({ length: 1200 }, (_, i) => (i * 53) & 65535) });
const tiny = rgbPng(10, 7, 3); // smaller than every crop

before(async () => {
  for (const f of VISION_FAMILIES) {
    repos[f] = { cls: await saveTinyVisionRepo(join(work, `${f}-cls`), f, { labels: LABELS }), base: await saveTinyVisionRepo(join(work, `${f}-base`), f) };
  }
  clip = await saveTinyClipRepo(join(work, 'clip'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the vision tasks are registered with transformers\' defaults; CLIPModel infers zero-shot', () => {
  assert.deepEqual(checkTask('zero-shot-image-classification').defaultModel, ['openai/clip-vit-base-patch32', '3d74acf']);
  assert.deepEqual(checkTask('image-feature-extraction').defaultModel, ['google/vit-base-patch16-224', '3f49326']);
  assert.equal(checkTask('image-feature-extraction').autoClass, 'AutoModel');
  assert.equal(inferTask({ architectures: ['CLIPModel'], model_type: 'clip' }), 'zero-shot-image-classification');
  assert.equal(inferTask({ architectures: ['SwinForImageClassification'] }), 'image-classification');
  assert.equal(formatHypothesis('This is a photo of {}.', 'cat'), 'This is a photo of cat.');
  assert.equal(formatHypothesis('{{x}} {0}', 'dog'), '{x} dog');
});

for (const f of VISION_FAMILIES) {
  test(`image-classification with ${f}: labels and scores like transformers, same as the model on the processor's pixels`, async () => {
    const clf = await pipeline('image-classification', { model: repos[f]!.cls, device: 'cpu' });
    const img = rgbPng(45, 37);
    const out = await clf(img) as LabelScore[];
    assert.deepEqual(out.map((x) => Object.keys(x)), [['score', 'label'], ['score', 'label'], ['score', 'label']]);
    assert.deepEqual(new Set(out.map((x) => x.label)), new Set(LABELS));
    assert.ok(out.every((x, i) => i === 0 || out[i - 1]!.score >= x.score));
    // the model itself on the image processor's pixel values
    const proc = await AutoImageProcessor.fromPretrained(repos[f]!.cls);
    const { pixel_values } = await proc.preprocess([img], { returnTensors: 'pt' });
    const logits = tidy(() => noGrad(() => (clf.model.forward({ pixelValues: pixel_values as never }).logits).toArray() as number[][]))[0]!;
    const best = logits.indexOf(Math.max(...logits));
    assert.equal(out[0]!.label, LABELS[best]);
    const batch = await clf([img, rgbPng(64, 20, 2), tiny], { topK: 1 }) as LabelScore[][];
    assert.equal(batch.length, 3);
    assert.ok(batch.every((r) => r.length === 1));
    assert.equal(batch[0]![0]!.label, out[0]!.label);
    clf.dispose();
  });
}

test('image-feature-extraction: per-patch states by default, pooled with {pool: true}, batch dimension 1 kept', async () => {
  const shapes: Record<string, [number[], number[]]> = {
    vit: [[1, 17, 16], [1, 16]], deit: [[1, 18, 16], [1, 16]], beit: [[1, 17, 16], [1, 16]], swin: [[1, 16, 16], [1, 16]],
    convnext: [[1, 16, 4, 4], [1, 16]], resnet: [[1, 16, 4, 4], [1, 16, 1, 1]],
  };
  const dims = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...dims(v[0])] : []);
  for (const f of VISION_FAMILIES) {
    const fe = await pipeline('image-feature-extraction', { model: repos[f]!.base });
    assert.ok(fe instanceof ImageFeatureExtractionPipeline);
    const img = rgbPng(40, 40);
    assert.deepEqual(dims(await fe(img)), shapes[f]![0], `${f} per patch`);
    assert.deepEqual(dims(await fe(img, { pool: true })), shapes[f]![1], `${f} pooled`);
    const two = await fe([img, rgbPng(33, 50)], { pool: true }) as unknown[];
    assert.equal(two.length, 2);
    fe.dispose();
  }
  const pooled = await pipeline('image-feature-extraction', { model: repos.vit!.base, pool: true });
  assert.deepEqual(dims(await pooled(rgbPng(32, 32))), [1, 16], 'pool as a pipeline() default');
  await assert.rejects(pooled(rgbPng(32, 32), { pool: 'yes' as never }), /pool must be true or false/);
});

test('zero-shot-image-classification (CLIP): {score, label} sorted, softmax over the labels, equal to CLIPModel on the same inputs', async () => {
  const zs = await pipeline('zero-shot-image-classification', { model: clip });
  assert.ok(zs instanceof ZeroShotImageClassificationPipeline);
  const labels = ['cat', 'dog', 'healthy leaf', 'bean rust'];
  const img = rgbPng(48, 40);
  const out = await zs(img, { candidateLabels: labels }) as ZeroShotLabelScore[];
  assert.deepEqual(out.map((x) => Object.keys(x)), labels.map(() => ['score', 'label']));
  assert.deepEqual(new Set(out.map((x) => x.label)), new Set(labels));
  assert.ok(Math.abs(out.reduce((s, x) => s + x.score, 0) - 1) < 1e-6);
  assert.ok(out.every((x, i) => i === 0 || out[i - 1]!.score >= x.score));
  // by hand: the hypotheses through the tokenizer, the image through the processor, softmax of logits_per_image
  const tok = await AutoTokenizer.fromPretrained(clip);
  const proc = await AutoImageProcessor.fromPretrained(clip);
  const model = await CLIPModel.fromPretrained(clip, { quiet: true });
  model.eval();
  const enc = tok(labels.map((l) => `This is a photo of ${l}.`), { padding: true, returnTensors: 'pt' }) as any;
  const { pixel_values } = await proc.preprocess([img], { returnTensors: 'pt' });
  const logits = tidy(() => noGrad(() => model.forward({ inputIds: enc.input_ids, attentionMask: enc.attention_mask, pixelValues: pixel_values as never }).logitsPerImage.toArray() as number[][]))[0]!;
  const e = logits.map((v) => Math.exp(v - Math.max(...logits)));
  const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0));
  for (const { label, score } of out) assert.ok(Math.abs(score - probs[labels.indexOf(label)]!) < 1e-6, label);
  // the template changes the texts, so the scores
  const other = await zs(img, { candidateLabels: labels, hypothesisTemplate: 'a {} photo' }) as ZeroShotLabelScore[];
  assert.notDeepEqual(other.map((x) => x.score).sort(), out.map((x) => x.score).sort());
  // several images: one list each; one label: score 1
  const many = await zs([img, rgbPng(30, 60, 4)], { candidateLabels: labels }) as ZeroShotLabelScore[][];
  assert.equal(many.length, 2);
  many[0]!.forEach((x, i) => { assert.equal(x.label, out[i]!.label); assert.ok(Math.abs(x.score - out[i]!.score) < 1e-6); });
  assert.deepEqual(await zs(img, { candidateLabels: ['cat'] }), [{ score: 1, label: 'cat' }]);
  // snake_case as transformers' kwargs, and as pipeline() defaults
  const def = await pipeline('zero-shot-image-classification', { model: clip, candidateLabels: ['red', 'blue'] });
  assert.equal((await def(img) as ZeroShotLabelScore[]).length, 2);
  assert.equal((await zs(img, { candidate_labels: ['red', 'green'] } as never) as ZeroShotLabelScore[]).length, 2);
  // bad input: one line each
  await assert.rejects(zs(img, { candidateLabels: [] }), /^PipelineInputError: candidateLabels is empty: pass at least one label/);
  await assert.rejects(zs(img), /needs candidateLabels/);
  await assert.rejects(zs(img, { candidateLabels: [3] as never }), /candidateLabels must be an array of strings/);
  await assert.rejects(zs([], { candidateLabels: labels }), /no image given/);
  // a hypothesis longer than CLIP's 16 positions: not truncated (as transformers), the model's one-line error; truncation on request
  const long = 'red green blue cat dog leaf bean rust spot red green blue';
  await assert.rejects(zs(img, { candidateLabels: [long, 'cat'] }), (e: Error) => /max_position_embeddings=16/.test(e.message) && !e.message.includes('\n'));
  assert.equal((await zs(img, { candidateLabels: [long, 'cat'], tokenizerKwargs: { truncation: true } }) as ZeroShotLabelScore[]).length, 2);
  await assert.rejects(pipeline('zero-shot-image-classification', { model: repos.vit!.cls }), /is a vit model, which does not fit the task 'zero-shot-image-classification'/);
  model.dispose();
  zs.dispose();
});

test('CLIP towers: feature-extraction runs the text tower, image-feature-extraction the vision tower', async () => {
  const fe = await pipeline('feature-extraction', { model: clip });
  assert.ok(fe.model instanceof CLIPTextModel);
  const v = await fe('a photo of a cat') as number[][][];
  // <|startoftext|> a photo of a cat <|endoftext|>: 7 tokens of 16
  assert.deepEqual([v.length, v[0]!.length, v[0]![0]!.length], [1, 7, 16]);
  const tok = await AutoTokenizer.fromPretrained(clip);
  const text = await CLIPTextModel.fromPretrained(clip, { quiet: true });
  const want = tidy(() => noGrad(() => text.eval().forward({ inputIds: tensor([tok('a photo of a cat').input_ids as number[]], { dtype: 'int64' }) }).lastHiddenState.toArray() as number[][][]));
  assert.ok(Math.max(...want[0]!.flat().map((x, i) => Math.abs(x - v[0]!.flat()[i]!))) < 1e-5);
  const ife = await pipeline('image-feature-extraction', { model: clip });
  assert.equal(ife.model.constructor.name, 'CLIPVisionModel');
  const pooled = await ife(rgbPng(40, 40), { pool: true }) as number[][];
  assert.deepEqual([pooled.length, pooled[0]!.length], [1, 16]);
  // the same checkpoint loaded by AutoModel is the composite model
  assert.ok(await AutoModel.fromPretrained(clip, { quiet: true }) instanceof CLIPModel);
  for (const p of [fe, ife]) p.dispose();
});

test('bad images as transformers meets them: small, grayscale, CMYK, 16-bit', async () => {
  // ViT's processor converts (hubtune's default); DeiT and ConvNeXt reject non-RGB like transformers 4.29, in one line
  const vit = await pipeline('image-classification', { model: repos.vit!.cls });
  for (const img of [gray8, gray16, tiny]) assert.equal((await vit(img) as LabelScore[]).length, 3);
  const cmyk = await sharp(Buffer.from(Array.from({ length: 3 * 40 * 30 }, (_, i) => (i * 11) & 255)), { raw: { width: 40, height: 30, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
  assert.equal((await vit(cmyk) as LabelScore[]).length, 3);
  const deit = await pipeline('image-classification', { model: repos.deit!.cls });
  await assert.rejects(deit(gray8), (e: Error) => !e.message.includes('\n') && /mode 'L' is not RGB and DeiTImageProcessor takes RGB images.*Unsupported number of image dimensions: 2/.test(e.message));
  await assert.rejects(deit(gray16), /mode 'I;16' is not RGB/);
  await assert.rejects(deit(cmyk), /mode 'CMYK' is not RGB.*Unable to infer channel dimension format/);
  // an image smaller than the crop: resized up first, so the crop fits (as transformers)
  assert.equal((await deit(tiny) as LabelScore[]).length, 3);
  // without resizing, transformers' centre crop of a smaller image gives a smaller array, which the model refuses
  const noResize = await pipeline('image-classification', { model: repos.deit!.cls });
  noResize.imageProcessor!.config.doResize = false;
  await assert.rejects(noResize(tiny), /^Error: input image size \(\d+\*\d+\) doesn't match the model \(32\*32\): resize the images with the model's image processor$/);
  noResize.dispose();
  const clipZs = await pipeline('zero-shot-image-classification', { model: clip });
  assert.equal((await clipZs(gray16, { candidateLabels: ['a', 'b'] }) as ZeroShotLabelScore[]).length, 2, 'CLIP converts to RGB');
  // a size the model was not built for, without interpolation: the model's one-line error
  const raw = await pipeline('image-classification', { model: repos.deit!.cls, imageProcessor: repos.vit!.cls });
  raw.imageProcessor!.config.size = { height: 40, width: 40 } as never;
  await assert.rejects(raw(rgbPng(40, 40)), /^Error: input image size \(40\*40\) doesn't match the model \(32\*32\): resize the images with the model's image processor$/);
  for (const p of [vit, deit, clipZs, raw]) p.dispose();
});
