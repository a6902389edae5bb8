// Inference speed of hubtune in every precision: ViT-base/16 and DistilRoBERTa-base (random weights,
// the real shapes), batch 1 and 8, the forward pass alone and the whole pipeline (JPEG decode +
// preprocessing, or tokenization, included). Sides: fp32 with the machine's OPENBLAS_CORETYPE, fp32
// with OPENBLAS_CORETYPE unset (in a second process: OpenBLAS reads it once, at load), bf16
// (pipeline dtype) and int8 (quantize: 'int8'). Rounds are interleaved across sides (each timed call right after an untimed one on the same side); the JSON has
// the median ms per call of each and the ratios. Also images/s of the image pipeline with 1 and 2
// preprocessing workers.
// Against them, on the very weights hubtune saved: transformers.js (ONNX Runtime; fp32 and q8 files
// exported by bench/support/inference_worker.py with python3-torch and python3-onnx, installed for the
// bench only under bench/.deps) and PyTorch (Debian's python3-torch: fp32 and bf16 autocast, forward
// only, since Python's preprocessing is not what is compared).
//   node --import tsx bench/inference.ts [--rounds 7] [--models vit,roberta] [--batches 1,8] [--no-others]
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg, tmpdir } from 'node:os';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { median, round, ratio, machine, ensurePythonTorch, PyWorker, PYTHON } from './support/pytorch';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : dflt; };

const VIT = { model_type: 'vit', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, image_size: 224, patch_size: 16, num_channels: 3, num_labels: 10 };
const DISTILROBERTA = { model_type: 'roberta', vocab_size: 50265, hidden_size: 768, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, num_labels: 2 };
const SEQ = 128;

type Variant = 'fp32' | 'bf16' | 'int8';
interface Req { model: 'vit' | 'roberta'; variant: Variant; batch: number; mode: 'forward' | 'pipeline' }

// ---- worker: one process per OPENBLAS_CORETYPE setting ----------------------------------------
async function worker(): Promise<void> {
  const { manualSeed, tensor, randn, noGrad, tidy, setNumThreads, quantizeDynamic, useThreadsFor } = await import('../src/torch/index');
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
    // the thread split a process running only this precision gets (pipelines and the Trainer pick it)
    useThreadsFor(r.variant === 'fp32' ? 'float32' : 'low-precision');
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
  // The weights, processor, tokenizer, images and texts every other side runs on.
  const save = async (dir: string) => {
    for (const m of ['vit', 'roberta'] as const) await modelFor(m, 'fp32').savePretrained(join(dir, m));
    await processor.savePretrained(join(dir, 'vit'));
    const tokDir = join(here, '../assets/roberta-tiny-mlm');
    for (const f of ['tokenizer.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json']) copyFileSync(join(tokDir, f), join(dir, 'roberta', f));
    const tc = JSON.parse(readFileSync(join(tokDir, 'tokenizer_config.json'), 'utf8'));
    writeFileSync(join(dir, 'roberta', 'tokenizer_config.json'), JSON.stringify({ ...tc, model_max_length: SEQ }));
    mkdirSync(join(dir, 'images'), { recursive: true });
    const images = jpegs.map((j, i) => { const p = join(dir, 'images', `${i}.jpg`); writeFileSync(p, j); return p; });
    return { images, texts };
  };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const r = JSON.parse(line) as Req & { op?: string };
    try {
      if (r.op === 'warm') { await run(r); process.stdout.write(`${JSON.stringify({ ok: true })}\n`); continue; }
      if (r.op === 'save') { process.stdout.write(`${JSON.stringify(await save((r as unknown as { dir: string }).dir))}\n`); continue; }
      process.stdout.write(`${JSON.stringify({ ms: await run(r) })}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: String((e as Error).message).split('\n')[0] })}\n`);
    }
  }
}

class Child {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting: ((l: string) => void)[] = [];
  constructor(env: NodeJS.ProcessEnv, args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker']) {
    this.proc = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.on('exit', (code, sig) => { for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `worker exited (${code ?? sig})` })); });
    createInterface({ input: this.proc.stdout }).on('line', (l) => this.waiting.shift()?.(l));
  }
  async ask(r: Record<string, unknown>): Promise<{ ms?: number; error?: string }> {
    const l = await new Promise<string>((res) => { this.waiting.push(res); this.proc.stdin.write(`${JSON.stringify(r)}\n`); });
    return JSON.parse(l);
  }
  close(): void { this.proc.stdin.end(); }
}

const TJS_VERSION = '4.3.2';

/** @huggingface/transformers for the bench only (bench/.deps, not a dependency of hubtune); its node_modules path. */
function ensureTransformersJs(): { ok: true; dir: string } | { ok: false; why: string } {
  const prefix = join(here, '.deps', `transformersjs-${TJS_VERSION}`);
  const dir = join(prefix, 'node_modules');
  if (!existsSync(join(dir, '@huggingface/transformers/package.json'))) {
    process.stderr.write(`bench: installing @huggingface/transformers@${TJS_VERSION} into ${prefix} (once)\n`);
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private": true}');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `@huggingface/transformers@${TJS_VERSION}`], {
      cwd: prefix, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeout: 600_000,
    });
    if (r.status !== 0) return { ok: false, why: `npm install @huggingface/transformers failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  }
  return { ok: true, dir };
}

/** python3-onnx for the export (transformers.js runs ONNX files). */
function ensurePythonOnnx(): boolean {
  const probe = () => spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
  if (probe()) return true;
  if (process.env.BENCH_NO_INSTALL || process.getuid?.() !== 0) return false;
  process.stderr.write('bench: python3-onnx is missing: apt-get install -y python3-onnx (once)\n');
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-onnx'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
  return probe();
}

interface Side { name: string; variant: string; modes: Req['mode'][]; ask(c: Omit<Req, 'variant'>, warm: boolean): Promise<{ ms?: number; error?: string }> }

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '7'));
  const atStart = machine();
  const modelsAsked = arg('models', 'vit,roberta').split(',') as Req['model'][];
  const batches = arg('batches', '1,8').split(',').map(Number);
  const coretype = process.env.OPENBLAS_CORETYPE;
  const unsetEnv = { ...process.env };
  delete unsetEnv.OPENBLAS_CORETYPE;
  const main = new Child(process.env);
  const unset = new Child(unsetEnv);
  const hub = (name: string, child: Child, variant: Variant): Side => ({
    name, variant, modes: ['forward', 'pipeline'], ask: (c, warm) => child.ask({ ...(warm ? { op: 'warm' } : {}), ...c, variant }),
  });
  const sides: Side[] = [
    hub(`fp32 (OPENBLAS_CORETYPE=${coretype ?? 'unset'})`, main, 'fp32'),
    hub('fp32 (OPENBLAS_CORETYPE unset)', unset, 'fp32'),
    hub('bf16', main, 'bf16'),
    hub('int8', main, 'int8'),
  ];
  const notMeasured: string[] = [];
  const closers: (() => void)[] = [() => main.close(), () => unset.close()];
  const work = mkdtempSync(join(tmpdir(), 'hubtune-bench-inference-'));
  const versions: Record<string, string> = {};
  if (!process.argv.includes('--no-others')) {
    const saved = await main.ask({ op: 'save', dir: work }) as { images?: string[]; texts?: string[]; error?: string };
    const torch = ensurePythonTorch();
    if (!torch.ok) notMeasured.push(`PyTorch and transformers.js: ${torch.why}`);
    else {
      versions.torch = torch.torch;
      const py = new PyWorker('inference_worker.py');
      closers.push(() => py.close());
      for (const m of modelsAsked) await py.call({ op: 'setup', key: m, dir: join(work, m) });
      for (const [precision, name] of [['fp32', 'PyTorch fp32'], ['bf16', 'PyTorch bf16 autocast']] as const) {
        sides.push({
          name, variant: precision, modes: ['forward'],
          ask: async (c) => { try { return await py.call<{ ms: number }>({ op: 'forward', key: c.model, precision, batch: c.batch, seq: SEQ }); } catch (e) { return { error: (e as Error).message }; } },
        });
      }
      const tjs = ensureTransformersJs();
      if (!tjs.ok) notMeasured.push(`transformers.js: ${tjs.why}`);
      else if (!ensurePythonOnnx()) notMeasured.push('transformers.js: python3-onnx is missing (apt-get install python3-onnx) for the ONNX export');
      else {
        for (const m of modelsAsked) await py.call({ op: 'export', dir: join(work, m) });
        versions.transformersJs = TJS_VERSION;
        const child = new Child(process.env, [join(here, 'support/transformersjs_worker.mjs'), tjs.dir]);
        closers.push(() => child.close());
        for (const variant of ['fp32', 'q8'] as const) {
          sides.push({
            name: `transformers.js ${variant}`, variant, modes: ['forward', 'pipeline'],
            ask: (c, warm) => child.ask({ ...(warm ? { op: 'warm' } : {}), ...c, variant, dir: join(work, c.model), seq: SEQ, images: saved.images, texts: saved.texts }),
          });
        }
      }
    }
  }
  const cases: Omit<Req, 'variant'>[] = [];
  for (const model of modelsAsked) for (const batch of batches) for (const mode of ['forward', 'pipeline'] as const) cases.push({ model, batch, mode });
  const times = new Map<string, number[]>();
  const errors: Record<string, string> = {};
  // warm every (side, case) once
  for (const c of cases) for (const s of sides) {
    if (!s.modes.includes(c.mode)) continue;
    const r = await s.ask(c, true);
    if (r.error) errors[`${s.name} ${c.model} b${c.batch} ${c.mode}`] = r.error;
  }
  for (let k = 0; k < rounds; k++) {
    for (const c of cases) {
      // interleaved: every side once per round, in a rotating order
      const order = sides.map((_, i) => sides[(i + k) % sides.length]!);
      for (const s of order) {
        if (!s.modes.includes(c.mode)) continue;
        const key = `${c.model}|${c.batch}|${c.mode}|${s.name}`;
        // an untimed call right before the timed one, on every side: a call that wakes a process
        // from idle runs 1.3-1.6x slower on these VMs (caches, clocks), whatever the library
        await s.ask(c, true);
        const r = await s.ask(c, false);
        if (r.ms !== undefined) (times.get(key) ?? times.set(key, []).get(key)!).push(r.ms);
      }
    }
  }
  for (const close of closers) close();
  rmSync(work, { recursive: true, force: true });
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const med: Record<string, number> = {};
    for (const s of sides) {
      const xs = times.get(`${c.model}|${c.batch}|${c.mode}|${s.name}`);
      if (xs?.length) med[s.name] = round(median(xs), 1);
    }
    const [f32, f32u, bf16, int8] = sides.slice(0, 4).map((s) => med[s.name]!);
    const vs = (other: string, mine: number) => (med[other] === undefined ? undefined : ratio(med[other]!, mine));
    results.push({
      model: c.model === 'vit' ? 'ViT-base/16 (224)' : `DistilRoBERTa-base (seq ${SEQ})`, batch: c.batch, mode: c.mode, medianMs: med,
      ratios: {
        // speed ratios (> 1: hubtune's side is faster)
        fp32MachineVsFp32Unset: ratio(f32u!, f32!),
        bf16VsFp32: ratio(f32!, bf16!),
        int8VsFp32: ratio(f32!, int8!),
        fp32VsTransformersJsFp32: vs('transformers.js fp32', f32!),
        int8VsTransformersJsQ8: vs('transformers.js q8', int8!),
        bf16VsPyTorchBf16Autocast: vs('PyTorch bf16 autocast', bf16!),
        fp32VsPyTorchFp32: vs('PyTorch fp32', f32!),
      },
    });
  }
  const { imagePoolThroughput } = await import('./support/image-pool-throughput');
  const images = await imagePoolThroughput({ workers: [1, 2] });
  console.log(JSON.stringify({
    bench: 'inference', rounds, machine: atStart, openblasCoretype: coretype ?? null, loadavgAtEnd: loadavg().map((x) => round(x, 2)), versions,
    weights: 'random weights of the real shapes, saved once by hubtune; every side loads that same model.safetensors (ONNX files exported from it)',
    results, imagePipeline: { task: '500x500 JPEG -> 224x224 ViT pixel_values, warmed-up pools, median of interleaved rounds', target: 400, meetsTarget: images.some((r) => r.workers === 2 && r.imagesPerSecond >= 400), pools: images }, errors, notMeasured,
  }, null, 2));
}

if (process.argv.includes('--worker')) await worker();
else await main();
