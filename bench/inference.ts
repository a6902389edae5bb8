// Inference speed of hubtune in every precision: ViT-base/16 and DistilRoBERTa-base (random weights,
// the real shapes), batch 1 and 8, the forward pass alone and the whole pipeline (JPEG decode +
// preprocessing, or tokenization, included). Sides: fp32 with the machine's OPENBLAS_CORETYPE, fp32
// with OPENBLAS_CORETYPE unset (in a second process: OpenBLAS reads it once, at load), bf16
// (pipeline dtype) and int8 (quantize: 'int8'). Rounds are interleaved across sides; the JSON has
// the median ms per call of each and the ratios. Also images/s of the image pipeline with 1 and 2
// preprocessing workers. transformers.js and PyTorch are not measured here (see "notMeasured").
//   node --import tsx bench/inference.ts [--rounds 7] [--models vit,roberta] [--batches 1,8]
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { median, round, ratio, machine } from './support/pytorch';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : dflt; };

const VIT = { model_type: 'vit', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, image_size: 224, patch_size: 16, num_channels: 3, num_labels: 10 };
const DISTILROBERTA = { model_type: 'roberta', vocab_size: 50265, hidden_size: 768, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, num_labels: 2 };
const SEQ = 128;

type Variant = 'fp32' | 'bf16' | 'int8';
interface Req { model: 'vit' | 'roberta'; variant: Variant; batch: number; mode: 'forward' | 'pipeline' }

// ---- worker: one process per OPENBLAS_CORETYPE setting ----------------------------------------
async function worker(): Promise<void> {
  const { manualSeed, tensor, randn, noGrad, tidy, setNumThreads, quantizeDynamic } = await import('../src/torch/index');
  const { ViTForImageClassification, RobertaForSequenceClassification } = await import('../src/models/index');
  const { pipeline } = await import('../src/pipelines/index');
  const { ViTImageProcessor } = await import('../src/preprocessing/image-processing');
  const { AutoTokenizer } = await import('../src/preprocessing/auto-tokenizer');
  const { generateCorpus } = await import('../src/demo/text-data');
  const sharp = (await import('sharp')).default;
  void setNumThreads;
  const models = new Map<string, any>();
  const pipes = new Map<string, any>();
  const modelFor = (m: Req['model'], v: Variant) => {
    const key = `${m}/${v}`;
    if (!models.has(key)) {
      manualSeed(0);
      const model = m === 'vit' ? ViTForImageClassification.fromConfig(VIT) : RobertaForSequenceClassification.fromConfig(DISTILROBERTA);
      model.eval();
      if (v === 'bf16') model.to('bfloat16');
      if (v === 'int8') quantizeDynamic(model);
      models.set(key, model);
    }
    return models.get(key);
  };
  const tok = await AutoTokenizer.fromPretrained(join(here, '../assets/roberta-tiny-mlm'));
  const corpus = generateCorpus({ seed: 1, numSentences: 400 });
  const texts = Array.from({ length: 8 }, (_, i) => corpus.slice(i * 40, i * 40 + 40).join(' ')); // > 128 tokens, truncated
  const jpegs: Buffer[] = [];
  for (let i = 0; i < 8; i++) {
    const px = Buffer.alloc(500 * 500 * 3);
    for (let k = 0; k < px.length; k++) px[k] = (Math.sin(k / (97 + i)) * 100 + 128 + ((k * 7919) % 31)) & 255;
    jpegs.push(await sharp(px, { raw: { width: 500, height: 500, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  const processor = new ViTImageProcessor();
  const run = async (r: Req): Promise<number> => {
    const model = modelFor(r.model, r.variant);
    if (r.mode === 'forward') {
      return tidy(() => noGrad(() => {
        const t0 = performance.now();
        if (r.model === 'vit') {
          const px = randn([r.batch, 3, 224, 224]);
          const x = r.variant === 'bf16' ? px.to('bfloat16') : px;
          model.forward({ pixelValues: x }).logits.float().toArray();
        } else {
          const ids = tensor(Array.from({ length: r.batch }, (_, b) => Array.from({ length: SEQ }, (_, j) => 3 + ((b * 131 + j * 17) % 900))), { dtype: 'int64' });
          model.forward({ inputIds: ids }).logits.float().toArray();
        }
        return performance.now() - t0;
      }));
    }
    const key = `${r.model}/${r.variant}/${r.batch}`;
    if (!pipes.has(key)) {
      const opts = { model, batchSize: r.batch, ...(r.model === 'vit' ? { imageProcessor: processor } : { tokenizer: tok, maxLength: SEQ }) };
      pipes.set(key, await pipeline(r.model === 'vit' ? 'image-classification' : 'text-classification', opts as never));
    }
    const pipe = pipes.get(key);
    const inputs = r.model === 'vit' ? jpegs.slice(0, r.batch) : texts.slice(0, r.batch);
    const t0 = performance.now();
    await pipe(inputs);
    return performance.now() - t0;
  };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const r = JSON.parse(line) as Req & { op?: string };
    try {
      if (r.op === 'warm') { await run(r); process.stdout.write(`${JSON.stringify({ ok: true })}\n`); continue; }
      process.stdout.write(`${JSON.stringify({ ms: await run(r) })}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: String((e as Error).message).split('\n')[0] })}\n`);
    }
  }
}

class Child {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting: ((l: string) => void)[] = [];
  constructor(env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => this.waiting.shift()?.(l));
  }
  async ask(r: Record<string, unknown>): Promise<{ ms?: number; error?: string }> {
    const l = await new Promise<string>((res) => { this.waiting.push(res); this.proc.stdin.write(`${JSON.stringify(r)}\n`); });
    return JSON.parse(l);
  }
  close(): void { this.proc.stdin.end(); }
}

async function imagesPerSecond(workers: number, n = 96): Promise<number> {
  const { ImagePreprocessPool, ViTImageProcessor } = await import('../src/preprocessing/image-processing');
  const sharp = (await import('sharp')).default;
  const jpegs: Buffer[] = [];
  for (let i = 0; i < 8; i++) {
    const px = Buffer.alloc(500 * 500 * 3);
    for (let k = 0; k < px.length; k++) px[k] = (Math.sin(k / (97 + i)) * 100 + 128 + ((k * 7919) % 31)) & 255;
    jpegs.push(await sharp(px, { raw: { width: 500, height: 500, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  const pool = new ImagePreprocessPool({ processor: new ViTImageProcessor(), workers });
  await pool.runBatch(jpegs);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => pool.run(jpegs[i % 8]!, { index: i })));
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  return round(n / s, 1);
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '7'));
  const modelsAsked = arg('models', 'vit,roberta').split(',') as Req['model'][];
  const batches = arg('batches', '1,8').split(',').map(Number);
  const coretype = process.env.OPENBLAS_CORETYPE;
  const unsetEnv = { ...process.env };
  delete unsetEnv.OPENBLAS_CORETYPE;
  const sides: { name: string; child: Child; variant: Variant }[] = [];
  const main = new Child(process.env);
  const unset = new Child(unsetEnv);
  sides.push({ name: `fp32 (OPENBLAS_CORETYPE=${coretype ?? 'unset'})`, child: main, variant: 'fp32' });
  sides.push({ name: 'fp32 (OPENBLAS_CORETYPE unset)', child: unset, variant: 'fp32' });
  sides.push({ name: 'bf16', child: main, variant: 'bf16' });
  sides.push({ name: 'int8', child: main, variant: 'int8' });
  const cases: Omit<Req, 'variant'>[] = [];
  for (const model of modelsAsked) for (const batch of batches) for (const mode of ['forward', 'pipeline'] as const) cases.push({ model, batch, mode });
  const times = new Map<string, number[]>();
  const errors: Record<string, string> = {};
  // warm every (side, case) once
  for (const c of cases) for (const s of sides) {
    const r = await s.child.ask({ op: 'warm', ...c, variant: s.variant });
    if (r.error) errors[`${s.name} ${c.model} b${c.batch} ${c.mode}`] = r.error;
  }
  for (let k = 0; k < rounds; k++) {
    for (const c of cases) {
      // interleaved: every side once per round, in a rotating order
      const order = sides.map((_, i) => sides[(i + k) % sides.length]!);
      for (const s of order) {
        const key = `${c.model}|${c.batch}|${c.mode}|${s.name}`;
        const r = await s.child.ask({ ...c, variant: s.variant });
        if (r.ms !== undefined) (times.get(key) ?? times.set(key, []).get(key)!).push(r.ms);
      }
    }
  }
  main.close();
  unset.close();
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const med = Object.fromEntries(sides.map((s) => [s.name, round(median(times.get(`${c.model}|${c.batch}|${c.mode}|${s.name}`) ?? []), 1)]));
    const [f32, f32u, bf16, int8] = sides.map((s) => med[s.name] as number);
    results.push({
      model: c.model === 'vit' ? 'ViT-base/16 (224)' : `DistilRoBERTa-base (seq ${SEQ})`, batch: c.batch, mode: c.mode, medianMs: med,
      ratios: {
        // speed ratios (> 1: the first is faster)
        fp32MachineVsFp32Unset: ratio(f32u!, f32!),
        bf16VsFp32: ratio(f32!, bf16!),
        int8VsFp32: ratio(f32!, int8!),
      },
    });
  }
  const images = { workers1: await imagesPerSecond(1), workers2: await imagesPerSecond(2) };
  console.log(JSON.stringify({
    bench: 'inference', rounds, machine: machine(), openblasCoretype: coretype ?? null, loadavgAtEnd: loadavg().map((x) => round(x, 2)),
    results, imagePipelineImagesPerSecond: images, errors,
    notMeasured: ['transformers.js (ONNX Runtime) fp32/q8 and PyTorch bf16 autocast: not installed in this bench yet'],
  }, null, 2));
}

if (process.argv.includes('--worker')) await worker();
else await main();
