// Pretrains the demo's small ViT on the synthetic shapes task (src/demo/shapes.ts), so that the
// beans-like demo can show transfer learning offline. Deterministic for a seed (one thread).
// The result is an HF-format folder: config.json, model.safetensors, preprocessor_config.json,
// README.md. `scripts/pretrain-vit.ts` runs it and writes assets/vit-tiny-shapes/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, tensor, tidy, noGrad, optim, Generator, randperm, setNumThreads, type Tensor } from '../torch/index';
import { ViTConfig, ViTForImageClassification } from '../models/index';
import { ViTImageProcessor } from '../preprocessing/image-processing';
import { generateShapesPretrainData, SHAPE_LABELS, type ImageArrays } from './data';

export interface PretrainViTParams {
  outDir: string;
  seed?: number;
  imageSize?: number;
  patchSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  intermediateSize?: number;
  numClasses?: number;
  /** Shapes images for training (default 16000) and for the held-out check (default 1000). */
  trainCount?: number;
  evalCount?: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  /** Continue from this folder's weights (a previous run) instead of a random init. */
  initFrom?: string;
  /** Stop after this many steps of the `steps`-long schedule (default: run it all). */
  stopAt?: number;
  /** Save the model to outDir every this many steps (default: only at the end). */
  saveEvery?: number;
  log?: (line: string) => void;
}

/** HWC uint8 images -> normalized CHW float32 [N, 3, H, W] (ViTImageProcessor's rescale + normalize 0.5/0.5). */
export function imagesToTensor(a: ImageArrays, start = 0, end = a.labels.length): Tensor {
  const s = a.size, n = end - start, per = s * s * 3;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const src = (start + i) * per;
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let c = 0; c < 3; c++) {
      out[i * per + c * s * s + y * s + x] = a.pixels[src + (y * s + x) * 3 + c] / 127.5 - 1;
    }
  }
  return tensor(out, { shape: [n, 3, s, s] });
}

/** Bilinear resize (align_corners=False) of a [g, g, d] grid of vectors to [n, n, d]. */
function resizeGrid(src: Float32Array, g: number, n: number, d: number): Float32Array {
  const out = new Float32Array(n * n * d);
  const coord = (i: number) => Math.min(Math.max((i + 0.5) * g / n - 0.5, 0), g - 1);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const fy = coord(y), fx = coord(x), y0 = Math.floor(fy), x0 = Math.floor(fx);
    const y1 = Math.min(y0 + 1, g - 1), x1 = Math.min(x0 + 1, g - 1), wy = fy - y0, wx = fx - x0;
    for (let k = 0; k < d; k++) {
      const v = (1 - wy) * ((1 - wx) * src[(y0 * g + x0) * d + k] + wx * src[(y0 * g + x1) * d + k])
        + wy * ((1 - wx) * src[(y1 * g + x0) * d + k] + wx * src[(y1 * g + x1) * d + k]);
      out[(y * n + x) * d + k] = v;
    }
  }
  return out;
}

/**
 * Loads a previous run's weights; when it was trained at another image size, the position embeddings
 * are resized bilinearly (transformers' interpolate_pos_encoding) and the rest is reused.
 */
async function initFromCheckpoint(dir: string, size: number, log: (l: string) => void): Promise<ViTForImageClassification> {
  const prev = await ViTForImageClassification.fromPretrained(dir, { quiet: true }) as ViTForImageClassification;
  const c = prev.config as ViTConfig;
  if (c.imageSize === size) return prev;
  const json = { ...(c.toDict() as Record<string, unknown>), image_size: size };
  const model = ViTForImageClassification.fromConfig(json) as ViTForImageClassification;
  const sd = new Map(prev.stateDict());
  const key = 'vit.embeddings.position_embeddings';
  const pe = sd.get(key)!;
  const d = c.hiddenSize, g = c.imageSize / c.patchSize, n = size / c.patchSize;
  const data = pe.toTypedArray() as Float32Array;
  const grid = resizeGrid(data.subarray(d), g, n, d);
  const out = new Float32Array((1 + n * n) * d);
  out.set(data.subarray(0, d), 0);
  out.set(grid, d);
  sd.set(key, tensor(out, { shape: [1, 1 + n * n, d] }));
  model.loadStateDict(sd);
  log(`continuing from ${dir} (${c.imageSize}px -> ${size}px: position embeddings resized ${g}x${g} -> ${n}x${n})`);
  return model;
}

export async function pretrainViT(p: PretrainViTParams): Promise<{ evalAccuracy: number; seconds: number }> {
  const log = p.log ?? ((l: string) => console.log(l));
  const seed = p.seed ?? 1234, size = p.imageSize ?? 32, k = p.numClasses ?? SHAPE_LABELS.length;
  const steps = p.steps ?? 2000, bs = p.batchSize ?? 64, lr = p.learningRate ?? 1e-3;
  setNumThreads({ intraOp: 1 });
  const t0 = performance.now();
  log(`rendering ${p.trainCount ?? 16000} + ${p.evalCount ?? 1000} shapes images (${size}px) ...`);
  const train = generateShapesPretrainData({ seed, count: p.trainCount ?? 16000, size, numClasses: k, split: 'train' });
  const held = generateShapesPretrainData({ seed, count: p.evalCount ?? 1000, size, numClasses: k, split: 'validation' });
  const X = imagesToTensor(train);
  const Y = tensor(train.labels, { dtype: 'int64' });
  const Xe = imagesToTensor(held);

  manualSeed(seed);
  const id2label = Object.fromEntries(train.labelNames.map((n, i) => [i, n]));
  const label2id = Object.fromEntries(train.labelNames.map((n, i) => [n, i]));
  const hidden = p.hiddenSize ?? 96;
  const config = new ViTConfig({
    image_size: size, patch_size: p.patchSize ?? 8, hidden_size: hidden, num_hidden_layers: p.numLayers ?? 4,
    num_attention_heads: p.numHeads ?? 4, intermediate_size: p.intermediateSize ?? hidden * 2, id2label, label2id,
    encoder_stride: p.patchSize ?? 8, architectures: ['ViTForImageClassification'],
  });
  const model = p.initFrom ? await initFromCheckpoint(p.initFrom, size, log) : ViTForImageClassification.fromConfig(config);
  model.config.nameOrPath = ''; // a base checkpoint: no build-machine path in the saved config.json
  if (p.initFrom) log(`continuing from ${p.initFrom}`);
  const processor = new ViTImageProcessor({ size: { height: size, width: size }, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5] });
  mkdirSync(p.outDir, { recursive: true });
  await processor.savePretrained(p.outDir);
  const decay = model.namedParameters().filter(([n]) => !/bias|layernorm|LayerNorm|norm/i.test(n)).map(([, t]) => t);
  const noDecay = model.namedParameters().filter(([n]) => /bias|layernorm|LayerNorm|norm/i.test(n)).map(([, t]) => t);
  const opt = new optim.AdamW([{ params: decay, weightDecay: p.weightDecay ?? 0.05 }, { params: noDecay, weightDecay: 0 }], { lr });
  const gen = new Generator(seed);
  const n = train.labels.length;
  const warm = Math.round(steps * 0.05);
  let order: number[] = [];
  let lossSum = 0, lossN = 0;
  model.train();
  const last = Math.min(steps, p.stopAt ?? steps);
  for (let step = 1; step <= last; step++) {
    if (order.length < bs) { const perm = randperm(n, { generator: gen }); order = order.concat(perm.tolist1d()); perm.dispose(); }
    const idx = order.splice(0, bs);
    const cur = step <= warm ? lr * step / warm : lr * 0.5 * (1 + Math.cos(Math.PI * (step - warm) / (steps - warm)));
    for (const g of opt.paramGroups) g.lr = cur;
    const loss = tidy(() => {
      const it = tensor(idx, { dtype: 'int64' });
      let xb = X.indexSelect(0, it);
      // random horizontal flip of half the batch (shapes are flip-invariant)
      if (step % 2 === 0) xb = xb.flip([3]);
      const out = model.forward({ pixelValues: xb, labels: Y.indexSelect(0, it) });
      out.loss!.backward();
      optim.clipGradNorm(model.parameters(), 1.0);
      opt.step();
      opt.zeroGrad();
      return out.loss!.item();
    });
    lossSum += loss; lossN++;
    if (p.saveEvery && step % p.saveEvery === 0 && step < steps) { mkdirSync(p.outDir, { recursive: true }); model.savePretrained(p.outDir); }
    if (step % 100 === 0 || step === last) {
      log(`step ${step}/${steps}  loss ${(lossSum / lossN).toFixed(4)}  lr ${cur.toExponential(2)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      lossSum = 0; lossN = 0;
    }
  }
  model.eval();
  let correct = 0;
  noGrad(() => {
    for (let i = 0; i < held.labels.length; i += 250) {
      tidy(() => {
        const xb = Xe.narrow(0, i, Math.min(250, held.labels.length - i));
        const pred = model.forward({ pixelValues: xb }).logits.argmax(-1).tolist1d();
        pred.forEach((c, j) => { if (c === held.labels[i + j]) correct++; });
      });
    }
  });
  const evalAccuracy = correct / held.labels.length;
  log(`held-out shapes accuracy: ${(evalAccuracy * 100).toFixed(1)}%`);

  mkdirSync(p.outDir, { recursive: true });
  model.savePretrained(p.outDir);
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(p.outDir, 'README.md'), [
    '---', 'library_name: hubtune', 'license: apache-2.0', 'tags:', '- image-classification', '- vit', '- synthetic', '---', '',
    '# vit-tiny-shapes', '',
    `A tiny ViT (${size}x${size} images, patch ${config.patchSize}, hidden ${hidden}, ${config.numHiddenLayers} layers, ${config.numAttentionHeads} heads)`,
    `pretrained by hubtune on a synthetic task: classify ${k} textured geometric shapes (${train.labelNames.join(', ')}).`,
    'It is the starting point of `hubtune demo` (transfer learning to beans-like leaf images).', '',
    `Pretraining: ${n} images, ${steps} steps of batch ${bs}, AdamW lr ${lr} (5% warmup, cosine), weight decay ${p.weightDecay ?? 0.05}, seed ${seed}.`,
    `Held-out accuracy on the shapes task: ${(evalAccuracy * 100).toFixed(1)}%.`, '',
    'Reproduce: `node --import tsx scripts/pretrain-vit.ts`', '',
  ].join('\n'));
  X.dispose(); Y.dispose(); Xe.dispose();
  return { evalAccuracy, seconds };
}
