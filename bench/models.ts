// Training speed at real size, randomly initialised (no weights needed), hubtune against Debian's
// python3-torch running the same architectures (bench/support/models_worker.py), in one run:
//   - ViT-base/16 at 224x224 (3 labels) and DistilRoBERTa-base at sequence length 128 (2 labels),
//     batch 8, one training step = forward (+ loss) [under bf16 CPU autocast for bf16] + backward +
//     clipGradNorm(1.0) + AdamW (the Trainer's decay/no-decay groups), in fp32 and bf16, on both sides.
//     Rounds interleave (hubtune fp32, PyTorch fp32, hubtune bf16, PyTorch bf16, ...) after one
//     warm-up step each, so both sides see the same machine load; medians and ratios are printed.
//     Targets: hubtune bf16 >= 2x hubtune fp32, >= 1.0x PyTorch bf16; hubtune fp32 >= 1.0x PyTorch fp32.
//   - Gradient checkpointing, ViT-base batch 32 (fp32): each run in its own process (peak RSS is a
//     process high-water mark), with and without, interleaved. Targets: peak RSS <= 50% of without,
//     step time <= 1.4x.
//   - Quality: the image demo's fine-tuning (same seed, same data) in fp32 and in bf16; test accuracy
//     of both (target: within 1.5 points).
// Prints JSON (machine load included: the 1-minute load average before each round).
//   npm run bench:models [-- --rounds N] [-- --only vit,distilroberta,checkpointing,quality] [-- --layers N]
//     [-- --checkpointing-rounds N] [-- --checkpointing-batch N] [-- --checkpointing-warmup 0|1]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randn, randint, ones, optim, tidy, disposeAll, manualSeed, memoryStats, resetPeakMemory, getNumThreads, versions, autocast, type Tensor } from '../src/torch/index';
import { AutoConfig, AutoModelForImageClassification, AutoModelForSequenceClassification, decayParameterGroups, type PreTrainedModel, type ModelOutput } from '../src/models/index';
import { sharedPath } from '../test/support/shared';
import { PyWorker, ensurePythonTorch, median, round, ratio, machine, load1 } from './support/pytorch';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const ROUNDS = Math.max(1, Number(arg('--rounds') ?? 3));
const ONLY = (arg('--only') ?? 'vit,distilroberta,checkpointing,quality').split(',');
const BATCH = 8;
const SEQ = 128;
const CKPT_BATCH = Number(arg('--checkpointing-batch') ?? 32);
const CKPT_ROUNDS = Math.max(1, Number(arg('--checkpointing-rounds') ?? ROUNDS));
const CKPT_WARMUP = Number(arg('--checkpointing-warmup') ?? 1);
/** --layers N: fewer layers (both sides alike) when the machine is too loaded for full-size runs; recorded in the JSON. */
const LAYERS = arg('--layers') ? Number(arg('--layers')) : undefined;

function readConfig(file: string, fallback: Record<string, unknown>): Record<string, unknown> {
  let c: Record<string, unknown>;
  try { c = JSON.parse(readFileSync(sharedPath('fixtures', 'real-configs', file), 'utf8')); } catch { c = fallback; }
  return LAYERS ? { ...c, num_hidden_layers: Math.min(LAYERS, c.num_hidden_layers as number) } : c;
}
const VIT = readConfig('vit-base-patch16-224-in21k.config.json', {
  model_type: 'vit', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0,
  image_size: 224, patch_size: 16, num_channels: 3, layer_norm_eps: 1e-12, initializer_range: 0.02, qkv_bias: true,
});
const DISTILROBERTA = readConfig('distilroberta-base.config.json', {
  model_type: 'roberta', vocab_size: 50265, hidden_size: 768, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 514,
  pad_token_id: 1, type_vocab_size: 1, layer_norm_eps: 1e-5, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, initializer_range: 0.02,
});

type Precision = 'fp32' | 'bf16';

/** A hubtune model with its optimizer, stepping like the Trainer (autocast around the forward only). */
class HubtuneTrainee {
  readonly opt: optim.AdamW;
  readonly params: Tensor[];
  constructor(readonly model: PreTrainedModel, readonly batch: Record<string, Tensor>) {
    this.opt = new optim.AdamW(decayParameterGroups(model, 0.01).groups, { lr: 5e-5 });
    this.params = model.parameters();
    model.train();
  }
  /** Minor page faults of the last step (fresh memory from the kernel, zero-filled). */
  lastPageFaults = 0;
  /** CPU seconds of the last step, every thread of the process (BLAS threads included). */
  lastCpuS = 0;
  step(precision: Precision): number {
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    tidy(() => {
      const fwd = () => (this.model.forward(this.batch) as ModelOutput).loss!;
      const loss = precision === 'bf16' ? autocast('cpu', { dtype: 'bfloat16' }, fwd) : fwd();
      loss.backward();
    });
    optim.clipGradNorm(this.params, 1.0);
    this.opt.step();
    this.opt.zeroGrad();
    const dt = (performance.now() - t0) / 1000;
    this.lastPageFaults = process.resourceUsage().minorPageFault - f0;
    const c = process.cpuUsage(c0);
    this.lastCpuS = (c.user + c.system) / 1e6;
    return dt;
  }
  dispose(): void {
    for (const s of this.opt.state.values()) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    disposeAll(this.batch);
    this.model.dispose();
  }
}

function makeTrainee(kind: 'vit' | 'roberta', batch: number): HubtuneTrainee {
  if (kind === 'vit') {
    const model = AutoModelForImageClassification.fromConfig(AutoConfig.fromDict(VIT).update({ numLabels: 3 }));
    return new HubtuneTrainee(model, { pixel_values: randn([batch, 3, 224, 224]), labels: randint(0, 3, [batch]) });
  }
  const model = AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict(DISTILROBERTA).update({ numLabels: 2 }));
  return new HubtuneTrainee(model, {
    input_ids: randint(3, DISTILROBERTA.vocab_size as number, [batch, SEQ]), attention_mask: ones([batch, SEQ], { dtype: 'int64' }), labels: randint(0, 2, [batch]),
  });
}

/** Interleaved training rounds of one architecture, hubtune and PyTorch, fp32 and bf16. */
async function trainingSpeed(name: string, kind: 'vit' | 'roberta', config: Record<string, unknown>, numLabels: number, py: PyWorker | null): Promise<Record<string, unknown>> {
  const h = makeTrainee(kind, BATCH);
  if (py) await py.call({ op: 'setup', key: name, kind, config, batch: BATCH, seq: SEQ, num_labels: numLabels });
  const times: Record<string, number[]> = { hubtuneFp32: [], pytorchFp32: [], hubtuneBf16: [], pytorchBf16: [] };
  const faults: Record<string, number[]> = { hubtuneFp32: [], pytorchFp32: [], hubtuneBf16: [], pytorchBf16: [] };
  const cpu: Record<string, number[]> = { hubtuneFp32: [], pytorchFp32: [], hubtuneBf16: [], pytorchBf16: [] };
  const loads: number[] = [];
  const pyStep = async (precision: Precision) => {
    const r = await py!.call<{ stepS: number[]; pageFaults: number[]; cpuS: number[] }>({ op: 'train', key: name, precision, n: 1 });
    faults[precision === 'fp32' ? 'pytorchFp32' : 'pytorchBf16']!.push(r.pageFaults[0]!);
    cpu[precision === 'fp32' ? 'pytorchFp32' : 'pytorchBf16']!.push(r.cpuS[0]!);
    return r.stepS[0]!;
  };
  const hubStep = (precision: Precision) => {
    const s = h.step(precision);
    faults[precision === 'fp32' ? 'hubtuneFp32' : 'hubtuneBf16']!.push(h.lastPageFaults);
    cpu[precision === 'fp32' ? 'hubtuneFp32' : 'hubtuneBf16']!.push(h.lastCpuS);
    return s;
  };
  // warm-up: one step of each
  for (const p of ['fp32', 'bf16'] as const) { h.step(p); if (py) await pyStep(p); }
  for (const v of [...Object.values(faults), ...Object.values(cpu)]) v.length = 0;
  resetPeakMemory();
  for (let r = 0; r < ROUNDS; r++) {
    loads.push(load1());
    process.stderr.write(`bench/models: ${name} round ${r + 1}/${ROUNDS} (load ${loads[r]})\n`);
    times.hubtuneFp32!.push(hubStep('fp32'));
    if (py) times.pytorchFp32!.push(await pyStep('fp32'));
    times.hubtuneBf16!.push(hubStep('bf16'));
    if (py) times.pytorchBf16!.push(await pyStep('bf16'));
  }
  const med = Object.fromEntries(Object.entries(times).filter(([, v]) => v.length).map(([k, v]) => [k, round(median(v))]));
  const out: Record<string, unknown> = {
    stepS: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x))])),
    medianStepS: med,
    samplesPerS: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, round(BATCH / v, 2)])),
    loadavg1PerRound: loads,
    medianCpuSPerStep: Object.fromEntries(Object.entries(cpu).filter(([, v]) => v.length).map(([k, v]) => [k, round(median(v))])),
    medianMinorPageFaultsPerStep: Object.fromEntries(Object.entries(faults).filter(([, v]) => v.length).map(([k, v]) => [k, median(v)])),
    hubtunePeakTensorMB: Math.round(memoryStats().peakAllocatedBytes / 2 ** 20),
    params: h.model.numParameters(),
    ratios: {
      'hubtune bf16 vs hubtune fp32 (target >= 2)': ratio(med.hubtuneFp32!, med.hubtuneBf16!),
      ...(py ? {
        'hubtune bf16 vs PyTorch bf16 autocast (target >= 1.0)': ratio(med.pytorchBf16!, med.hubtuneBf16!),
        'hubtune fp32 vs PyTorch fp32 (target >= 1.0)': ratio(med.pytorchFp32!, med.hubtuneFp32!),
        'PyTorch bf16 vs PyTorch fp32': ratio(med.pytorchFp32!, med.pytorchBf16!),
      } : {}),
    },
  };
  h.dispose();
  if (py) { await py.call({ op: 'free', key: name }); }
  return out;
}

// ---- gradient checkpointing: one child process per measurement -----------------------------------
function checkpointingChild(on: boolean): void {
  manualSeed(0);
  const h = makeTrainee('vit', CKPT_BATCH);
  if (on) h.model.gradientCheckpointingEnable();
  const warm = CKPT_WARMUP > 0 ? h.step('fp32') : null;
  const step = h.step('fp32');
  console.log(JSON.stringify({ checkpointing: on, warmupS: warm === null ? null : round(warm), stepS: round(step), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), peakTensorMB: Math.round(memoryStats().peakAllocatedBytes / 2 ** 20) }));
}

function checkpointing(): Record<string, unknown> {
  const runs: Record<string, { stepS: number; peakRssMB: number; peakTensorMB: number }[]> = { without: [], with: [] };
  const loads: number[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < CKPT_ROUNDS; r++) {
    loads.push(load1());
    for (const on of [false, true]) {
      process.stderr.write(`bench/models: checkpointing ${on ? 'on' : 'off'} round ${r + 1}/${CKPT_ROUNDS} (load ${load1()})\n`);
      const res = spawnSync(process.execPath, ['--import', 'tsx', self, '--checkpointing-child', on ? 'on' : 'off', ...process.argv.slice(2)], { encoding: 'utf8', maxBuffer: 1 << 20, env: process.env });
      if (res.status !== 0) return { error: `child failed: ${(res.stderr || '').trim().split('\n').slice(-2).join(' | ')}` };
      runs[on ? 'with' : 'without']!.push(JSON.parse(res.stdout.trim().split('\n').pop()!));
    }
  }
  const m = (k: 'with' | 'without', f: 'stepS' | 'peakRssMB' | 'peakTensorMB') => median(runs[k]!.map((x) => x[f]));
  return {
    model: `ViTForImageClassification (vit-base-patch16-224-in21k, ${VIT.num_hidden_layers} layers), batch ${CKPT_BATCH}, fp32, ${CKPT_WARMUP > 0 ? 'one warm-up + ' : 'no warm-up, '}one timed step per process`,
    runs, loadavg1PerRound: loads,
    median: { withoutStepS: round(m('without', 'stepS')), withStepS: round(m('with', 'stepS')), withoutPeakRssMB: m('without', 'peakRssMB'), withPeakRssMB: m('with', 'peakRssMB'),
      withoutPeakTensorMB: m('without', 'peakTensorMB'), withPeakTensorMB: m('with', 'peakTensorMB') },
    ratios: {
      'peak RSS with / without (target <= 0.5)': ratio(m('with', 'peakRssMB'), m('without', 'peakRssMB')),
      'step time with / without (target <= 1.4)': ratio(m('with', 'stepS'), m('without', 'stepS')),
      'peak tensor memory with / without': ratio(m('with', 'peakTensorMB'), m('without', 'peakTensorMB')),
    },
  };
}

// ---- quality: the image demo's fine-tuning in fp32 and bf16 ---------------------------------------
async function quality(): Promise<Record<string, unknown>> {
  const { runImageDemo } = await import('../src/demo/run-image');
  const out: Record<string, unknown> = {};
  for (const p of ['fp32', 'bf16'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `hubtune-bench-quality-${p}-`));
    process.stderr.write(`bench/models: image demo fine-tuning in ${p} (load ${load1()})\n`);
    try {
      const r = await runImageDemo({ outputDir: dir, bf16: p === 'bf16', scratch: false, log: () => {} });
      out[p] = { testAccuracy: round(r.fineTuned.accuracy * 100, 2), trainSeconds: round(r.fineTuned.trainSeconds, 1) };
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
  const a = (out.fp32 as any).testAccuracy as number, b = (out.bf16 as any).testAccuracy as number;
  out['accuracy points bf16 - fp32 (target |x| <= 1.5)'] = round(b - a, 2);
  out['train time fp32 / bf16'] = ratio((out.fp32 as any).trainSeconds, (out.bf16 as any).trainSeconds);
  return out;
}

async function main(): Promise<void> {
  manualSeed(0);
  const t0 = performance.now();
  const results: Record<string, unknown> = {
    bench: 'models', rounds: ROUNDS, batch: BATCH, ...(LAYERS ? { layers: `--layers ${LAYERS}: ViT ${VIT.num_hidden_layers} and DistilRoBERTa ${DISTILROBERTA.num_hidden_layers} layers on both sides (full size: 12 and 6)` } : {}), machine: machine(), hubtune: { torch: versions().torch, threads: getNumThreads() },
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? null,
  };
  const wantPy = ONLY.includes('vit') || ONLY.includes('distilroberta');
  const pt = wantPy ? ensurePythonTorch() : null;
  const py = pt?.ok ? new PyWorker('models_worker.py') : null;
  if (pt && !pt.ok) results.pytorch = `skipped: ${pt.why}`;
  try {
    if (ONLY.includes('vit')) {
      results.vit = { model: 'ViTForImageClassification (vit-base-patch16-224-in21k, 3 labels), 224x224', ...(await trainingSpeed('vit', 'vit', VIT, 3, py)) };
    }
    if (ONLY.includes('distilroberta')) {
      results.distilroberta = { model: 'RobertaForSequenceClassification (distilroberta-base, 2 labels), seq 128', ...(await trainingSpeed('distilroberta', 'roberta', DISTILROBERTA, 2, py)) };
    }
    if (py) {
      const info = await py.call({ op: 'free', key: '' });
      results.pytorch = { torch: info.torch, threads: info.threads };
    }
  } finally { py?.close(); }
  if (ONLY.includes('checkpointing')) results.gradientCheckpointing = checkpointing();
  if (ONLY.includes('quality')) results.quality = await quality();
  results.machine = { ...(results.machine as object), loadavgAtEnd: load1() };
  results.seconds = round((performance.now() - t0) / 1000, 1);
  console.log(JSON.stringify(results, null, 2));
}

const child = process.argv.indexOf('--checkpointing-child');
if (child >= 0) checkpointingChild(process.argv[child + 1] === 'on');
else await main();
