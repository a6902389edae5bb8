// Dynamic int8 quantization: one layer against its float twin, the demo models' accuracy against
// float32 (within 1 point), save/load of an int8 model, pipeline({quantize: 'int8'}), bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, randn, tensor, noGrad, tidy, nn, quantizeDynamic, DynamicQuantizedLinear, isQuantized, quantizedEngine, type Tensor } from './index';
import { readSafetensorsFile } from './safetensors';
import { native as N } from './native';
import { AutoModelForImageClassification, AutoModelForMaskedLM, ViTForImageClassification } from '../models/index';
import { AutoTokenizer } from '../preprocessing/auto-tokenizer';
import { DataCollatorForLanguageModeling } from '../preprocessing/collators';
import { generateShapesPretrainData } from '../demo/data';
import { generateCorpus } from '../demo/text-data';
import { imagesToTensor } from '../demo/pretrain-vit';
import { pipeline } from '../pipelines/index';

const ASSETS = join(import.meta.dirname, '../../assets');
const relErr = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item() / b.abs().max().item());

test('DynamicQuantizedLinear: int8 per-channel weights, output within 2% of the float layer, N-D inputs', () => {
  manualSeed(0);
  assert.match(quantizedEngine(), /^(onednn|qnnpack|fbgemm)$/);
  const lin = new nn.Linear(64, 48);
  lin.eval();
  const q = DynamicQuantizedLinear.fromFloat(lin);
  assert.equal(q.weight.dtype, 'int8');
  assert.deepEqual(q.weight.shape, [48, 64]);
  assert.deepEqual(q.weightScale.shape, [48]);
  assert.equal(String(q), 'DynamicQuantizedLinear(in_features=64, out_features=48, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)');
  // symmetric per-channel: every row reaches ±127 at its largest weight
  const w = q.weight.toArray() as number[][];
  assert.ok(w.every((r) => Math.max(...r.map(Math.abs)) === 127));
  noGrad(() => {
    assert.ok(relErr(q.dequantizedWeight(), lin.weight) < 0.01);
    const x = randn([2, 5, 64]);
    const y = q.forward(x);
    assert.deepEqual(y.shape, [2, 5, 48]);
    assert.equal(y.dtype, 'float32');
    const e = relErr(y, lin.forward(x));
    assert.ok(e < 0.02 && e > 0, `relative error ${e}`);
  });
  assert.throws(() => q.forward(randn([3, 10])), /int8 linear: input has 10 features, the layer takes 64/);
  if (N.qlinearGemm() !== 'aten') {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      // one bad value among finite ones, early and as the very last value
      for (const at of [5, 3 * 64 - 1]) {
        const values = Array.from({ length: 3 * 64 }, (_, i) => (i === at ? bad : Math.sin(i)));
        assert.throws(() => noGrad(() => q.forward(tensor(values).reshape([3, 64]))), /int8 linear: the input holds NaN or infinity/);
      }
    }
  }
});

/** nearbyint: to the nearest integer, halves to even. */
const roundHalfEven = (t: number) => (Math.abs(t % 1) === 0.5 ? 2 * Math.round(t / 2) : Math.round(t));

/** PyTorch's ChooseQuantizationParams for uint8 (0..255, no reduced range): the grid a dynamic int8 layer quantizes its input to. */
function uint8Params(lo: number, hi: number): { scale: number; zeroPoint: number } {
  const f = Math.fround;
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  let scale = (hi - lo) / 255;
  if (f(scale) === 0 || !Number.isFinite(1 / f(scale))) scale = 0.1;
  scale = f(scale);
  const fromMin = 0 - lo / scale, fromMax = 255 - hi / scale;
  const z = Math.abs(0) - Math.abs(lo / scale) < Math.abs(255) - Math.abs(hi / scale) ? fromMin : fromMax;
  const zeroPoint = z < 0 ? 0 : z > 255 ? 255 : roundHalfEven(z);
  return { scale, zeroPoint };
}

const int8Gemm = N.qlinearGemm() !== 'aten';
test('DynamicQuantizedLinear is exactly the product of the quantized input and weights: zero point, scales, bias, batches', { skip: !int8Gemm && 'oneDNN\'s int8 GEMM is not in this libtorch (or HUBTUNE_INT8_GEMM=aten): libtorch\'s own kernel quantizes the input its own way' }, () => {
  manualSeed(4);
  for (const [rows, k, n, shift, bias] of [[7, 64, 48, 0, true], [197, 96, 40, 0.7, true], [3, 33, 5, -2.5, false], [1, 16, 8, 3, true]] as const) {
    const lin = new nn.Linear(k, n, { bias });
    lin.eval();
    const q = DynamicQuantizedLinear.fromFloat(lin);
    noGrad(() => tidy(() => {
      const x = randn([rows, k]).add(shift);
      const { scale, zeroPoint } = uint8Params(x.min().item() as number, x.max().item() as number);
      // quantize as libtorch does (x · 1/scale in float32, rounded half to even), then exact float64 arithmetic
      const xs = Float32Array.from(x.toTypedArray() as Float32Array);
      const inv = Math.fround(1 / scale);
      const qx = Array.from(xs, (v) => {
        return Math.min(255, Math.max(0, roundHalfEven(Math.fround(v * inv)) + zeroPoint)) - zeroPoint;
      });
      const wq = q.weight.toArray() as number[][];
      const ws = q.weightScale.toArray() as number[];
      const b = bias ? (lin.bias!.toArray() as number[]) : null;
      const y = q.forward(x).toArray() as number[][];
      let worst = 0, big = 0;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let c = 0; c < k; c++) acc += qx[i * k + c]! * wq[j]![c]!;
          const ref = acc * scale * ws[j]! + (b ? b[j]! : 0);
          worst = Math.max(worst, Math.abs(y[i]![j]! - ref));
          big = Math.max(big, Math.abs(ref));
        }
      }
      assert.ok(worst <= 4e-6 * Math.max(1, big), `${rows}x${k} by ${n}, shift ${shift}: max difference ${worst} from the exact int8 product (largest ${big})`);
    }));
  }
});

test('demo ViT (vit-tiny-shapes): int8 accuracy within 1 point of float32; save and load give the same outputs', async () => {
  const data = generateShapesPretrainData({ seed: 99, count: 400, size: 64, split: 'validation' });
  const px = imagesToTensor(data);
  const model = await AutoModelForImageClassification.fromPretrained(join(ASSETS, 'vit-tiny-shapes'), { quiet: true });
  const predict = (m: { forward(i: object): { logits: Tensor } }) => tidy(() => noGrad(() => m.forward({ pixelValues: px }).logits.argmax(-1).toArray() as number[]));
  const correct = (p: number[]) => p.filter((x, i) => x === data.labels[i]).length;
  const fp32 = predict(model);
  quantizeDynamic(model);
  assert.ok(isQuantized(model));
  const int8 = predict(model);
  const [c32, c8] = [correct(fp32), correct(int8)];
  // within 1 point: at most 4 of 400 images
  assert.ok(Math.abs(c32 - c8) <= 4, `accuracy float32 ${c32 / 400} vs int8 ${c8 / 400}`);
  assert.ok(c32 > 0.3 * 400, `the demo model classifies shapes (${c32 / 400})`);
  assert.ok(fp32.filter((x, i) => x === int8[i]).length >= 390, 'int8 agrees with float32 on nearly every image');

  const dir = mkdtempSync(join(tmpdir(), 'hubtune-q8-'));
  try {
    model.savePretrained(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.quantization_config.quant_method, 'hubtune_dynamic');
    assert.equal(cfg.quantization_config.modules.length, 4 * 6 + 1); // q, k, v, out, two MLP per layer, classifier
    const st = readSafetensorsFile(join(dir, 'model.safetensors')).tensors;
    assert.equal(st.get('vit.encoder.layer.0.attention.attention.query.weight')!.dtype, 'I8');
    assert.equal(st.get('vit.encoder.layer.0.attention.attention.query.weight_scale')!.dtype, 'F32');
    const back = await AutoModelForImageClassification.fromPretrained(dir, { quiet: true, outputLoadingInfo: true });
    assert.deepEqual(back.loadingInfo.missingKeys, []);
    assert.deepEqual(back.loadingInfo.unexpectedKeys, []);
    assert.ok(back.model.getSubmodule('vit.encoder.layer.0.attention.attention.query') instanceof DynamicQuantizedLinear);
    tidy(() => noGrad(() => assert.ok(back.model.forward({ pixelValues: px }).logits.equal(model.forward({ pixelValues: px }).logits), 'same logits after a reload')));
    await assert.rejects(AutoModelForImageClassification.fromPretrained(dir, { quiet: true, dtype: 'bfloat16' }), /is an int8-quantized model \(float32 activations\): leave dtype out/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo RoBERTa (roberta-tiny-mlm): int8 masked-token accuracy within 1 point of float32; the tied decoder stays float', async () => {
  const dir = join(ASSETS, 'roberta-tiny-mlm');
  const tok = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForMaskedLM.fromPretrained(dir, { quiet: true });
  const enc = tok(generateCorpus({ seed: 5, numSentences: 400 }), { truncation: true, maxLength: 64 });
  const collator = new DataCollatorForLanguageModeling({ tokenizer: tok, mlmProbability: 0.15, seed: 3 });
  const batches = Array.from({ length: 4 }, (_, b) => collator((enc.input_ids as number[][]).slice(b * 100, b * 100 + 100).map((ids) => ({ input_ids: ids }))));
  const accuracy = () => {
    let ok = 0, n = 0;
    noGrad(() => tidy(() => {
      for (const batch of batches) {
        const pred = model.forward({ inputIds: batch.input_ids, attentionMask: batch.attention_mask }).logits.argmax(-1).toTypedArray() as BigInt64Array;
        const lab = batch.labels.toTypedArray() as BigInt64Array;
        for (let k = 0; k < lab.length; k++) if (lab[k] !== -100n) { n++; if (lab[k] === pred[k]) ok++; }
      }
    }));
    return [ok, n];
  };
  const [ok32, n] = accuracy();
  quantizeDynamic(model);
  const [ok8] = accuracy();
  assert.ok(ok32 > 0.3 * n, `the demo model predicts masked tokens (${ok32 / n})`);
  assert.ok(Math.abs(ok32 - ok8) <= 0.01 * n, `masked-token accuracy float32 ${ok32 / n} vs int8 ${ok8 / n} (${n} masked tokens)`);
  assert.ok(!(model.getSubmodule('lm_head.decoder') instanceof DynamicQuantizedLinear), 'tied to the word embeddings: stays float');
  assert.ok(model.getSubmodule('lm_head.dense') instanceof DynamicQuantizedLinear);
  for (const b of batches) for (const t of Object.values(b)) (t as Tensor).dispose();
});

test("pipeline({quantize: 'int8'}) and bad input: training mode, no Linear layers, twice, dtype, unknown scheme", async () => {
  const vit = join(ASSETS, 'vit-tiny-shapes');
  const q = await pipeline('image-classification', { model: vit, quantize: 'int8', topK: 1 });
  assert.ok(isQuantized(q.model as never));
  const f = await pipeline('image-classification', { model: vit, topK: 1 });
  const img = { data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 256), width: 64, height: 64, mode: 'RGB' as const, channels: 3 };
  const [a, b] = [await q(img as never), await f(img as never)] as { label: string; score: number }[][];
  assert.equal(a[0].label, b[0].label);
  assert.ok(Math.abs(a[0].score - b[0].score) < 0.05);
  await assert.rejects(pipeline('image-classification', { model: vit, quantize: 'int8', dtype: 'bfloat16' }), /quantize 'int8' runs float32 activations: leave dtype out/);
  await assert.rejects(pipeline('image-classification', { model: vit, quantize: 'int4' as never }), /quantize must be 'int8' \(got 'int4'\)/);

  const training = ViTForImageClassification.fromConfig({ model_type: 'vit', hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, image_size: 16, patch_size: 8 });
  assert.throws(() => quantizeDynamic(training), /quantizeDynamic: ViTForImageClassification is in training mode: call model\.eval\(\) first/);
  training.eval();
  quantizeDynamic(training);
  assert.throws(() => quantizeDynamic(training), /is already quantized to int8/);
  const norm = new nn.LayerNorm(8);
  norm.eval();
  assert.throws(() => quantizeDynamic(norm), /quantizeDynamic: LayerNorm has no Linear layers to quantize/);
  const half = new nn.Sequential(new nn.Linear(4, 4)).to('bfloat16');
  half.eval();
  assert.throws(() => quantizeDynamic(half), /is in bfloat16: quantize a float32 model/);
});
