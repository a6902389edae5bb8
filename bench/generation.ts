// Text generation and LoRA fine-tuning speed of a SmolLM2-135M-shaped Llama (its real config, random
// weights), hubtune against Debian's python3-torch running the same architecture
// (bench/support/generation_worker.py) in the same run, rounds interleaved (hubtune, PyTorch, ...):
//   - greedy generation at batch 1 (a 32-token prompt, 32 new tokens, no eos), fp32 and bf16 weights,
//     with and without the KV cache: new tokens per second;
//   - LoRA (r 8, alpha 16, q_proj/v_proj, PEFT's defaults for Llama) fine-tuning step at sequence 256,
//     batch 4, fp32 (forward + causal-LM loss + backward + clip 1.0 + AdamW on the adapters): step time,
//     and the peak RSS of each side (LoRA runs first in a fresh process on both sides).
// Target: hubtune >= 1.0x PyTorch on each. Prints JSON (machine load included).
//   npm run bench:generation [-- --rounds N] [-- --only lora,generate] [-- --layers N]
import { performance } from 'node:perf_hooks';
import { randint, optim, tidy, manualSeed, getNumThreads, versions, tensor, type Tensor } from '../src/torch/index';
import { AutoConfig, AutoModelForCausalLM, type ModelOutput } from '../src/models/index';
import { getPeftModel } from '../src/peft/index';
import { PyWorker, ensurePythonTorch, median, round, ratio, machine, load1 } from './support/pytorch';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const ROUNDS = Math.max(1, Number(arg('--rounds') ?? 3));
const ONLY = (arg('--only') ?? 'lora,generate').split(',');
const PROMPT = 32;
const NEW_TOKENS = 32;
const LORA = { r: 8, alpha: 16, batch: 4, seq: 256 };
/** --layers N: fewer decoder layers (both sides alike) when the machine is too loaded for full-size runs; recorded in the JSON. */
const LAYERS = arg('--layers') ? Number(arg('--layers')) : undefined;

/** HuggingFaceTB/SmolLM2-135M config.json. */
const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 0, eos_token_id: 0, hidden_act: 'silu',
  hidden_size: 576, initializer_range: 0.041666666666666664, intermediate_size: 1536, max_position_embeddings: 8192, model_type: 'llama',
  num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3, pretraining_tp: 1, rms_norm_eps: 1e-5, rope_scaling: null,
  rope_theta: 100000, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 49152,
  ...(LAYERS ? { num_hidden_layers: Math.min(LAYERS, 30) } : {}),
};

type GenModel = ReturnType<typeof AutoModelForCausalLM.fromConfig> & { generate(o: Record<string, unknown>): Promise<Tensor> };
const newModel = () => AutoModelForCausalLM.fromConfig(AutoConfig.fromDict(SMOLLM2_135M)) as GenModel;

async function lora(py: PyWorker | null): Promise<Record<string, unknown>> {
  manualSeed(0);
  const peft = getPeftModel(newModel(), { r: LORA.r, loraAlpha: LORA.alpha, loraDropout: 0, taskType: 'CAUSAL_LM' });
  const trainable = peft.parameters().filter((p) => p.requiresGrad);
  const opt = new optim.AdamW([{ params: trainable, weightDecay: 0 }], { lr: 2e-4 });
  const ids = randint(0, SMOLLM2_135M.vocab_size, [LORA.batch, LORA.seq]);
  peft.train();
  const step = () => {
    const t0 = performance.now();
    tidy(() => { (peft.forward({ input_ids: ids, labels: ids }) as ModelOutput).loss!.backward(); });
    optim.clipGradNorm(trainable, 1.0);
    opt.step();
    opt.zeroGrad();
    return (performance.now() - t0) / 1000;
  };
  if (py) await py.call({ op: 'lora_setup', key: 'lora', config: SMOLLM2_135M, r: LORA.r, alpha: LORA.alpha, batch: LORA.batch, seq: LORA.seq });
  const pyStep = async () => (await py!.call<{ stepS: number[] }>({ op: 'lora_train', key: 'lora', n: 1 })).stepS[0]!;
  step();
  if (py) await pyStep();
  const times: Record<string, number[]> = { hubtune: [], pytorch: [] };
  const loads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    loads.push(load1());
    process.stderr.write(`bench/generation: LoRA round ${r + 1}/${ROUNDS} (load ${loads[r]})\n`);
    times.hubtune!.push(step());
    if (py) times.pytorch!.push(await pyStep());
  }
  const hubRss = Math.round(process.resourceUsage().maxRSS / 1024);
  const pyInfo = py ? await py.call<{ peakRssMB: number }>({ op: 'free', key: 'lora' }) : null;
  const med = { hubtune: round(median(times.hubtune!)), ...(py ? { pytorch: round(median(times.pytorch!)) } : {}) };
  const out = {
    setting: `LoRA r ${LORA.r}, alpha ${LORA.alpha}, q_proj/v_proj, batch ${LORA.batch}, seq ${LORA.seq}, fp32`,
    trainableParams: trainable.reduce((n, p) => n + p.numel, 0),
    stepS: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x))])), medianStepS: med, loadavg1PerRound: loads,
    peakRssMB: { hubtune: hubRss, ...(pyInfo ? { pytorch: pyInfo.peakRssMB } : {}) },
    ratios: py ? {
      'step time: hubtune vs PyTorch (PyTorch s / hubtune s, target >= 1.0)': ratio(med.pytorch!, med.hubtune),
      'peak RSS: hubtune vs PyTorch (PyTorch MB / hubtune MB, target >= 1.0)': ratio(pyInfo!.peakRssMB, hubRss),
    } : {},
  };
  for (const s of opt.state.values()) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
  ids.dispose();
  peft.dispose();
  return out;
}

async function generation(py: PyWorker | null): Promise<Record<string, unknown>> {
  const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 7919 + 13) % SMOLLM2_135M.vocab_size);
  const out: Record<string, unknown> = { setting: `greedy, batch 1, ${PROMPT}-token prompt, ${NEW_TOKENS} new tokens, no eos` };
  for (const dtype of ['float32', 'bfloat16'] as const) {
    manualSeed(0);
    const model = newModel().eval();
    if (dtype !== 'float32') model.to(dtype);
    if (py) await py.call({ op: 'setup', key: dtype, config: SMOLLM2_135M, dtype });
    const hub = async (useCache: boolean) => {
      const ids = tensor([prompt], { dtype: 'int64' });
      const t0 = performance.now();
      const seq = await model.generate({ inputIds: ids, maxNewTokens: NEW_TOKENS, doSample: false, useCache, eosTokenId: null, padTokenId: 0 });
      const s = (performance.now() - t0) / 1000;
      const n = seq.shape[1]! - PROMPT;
      seq.dispose(); ids.dispose();
      return n / s;
    };
    const pyRun = async (useCache: boolean) => {
      const r = await py!.call<{ seconds: number; newTokens: number }>({ op: 'generate', key: dtype, prompt, max_new_tokens: NEW_TOKENS, use_cache: useCache });
      return r.newTokens / r.seconds;
    };
    for (const useCache of [true, false]) {
      const name = `${dtype === 'float32' ? 'fp32' : 'bf16'}, ${useCache ? 'with' : 'without'} KV cache`;
      await hub(useCache);
      if (py) await pyRun(useCache);
      const tps: Record<string, number[]> = { hubtune: [], pytorch: [] };
      const loads: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        loads.push(load1());
        process.stderr.write(`bench/generation: ${name} round ${r + 1}/${ROUNDS} (load ${loads[r]})\n`);
        tps.hubtune!.push(await hub(useCache));
        if (py) tps.pytorch!.push(await pyRun(useCache));
      }
      const med = { hubtune: round(median(tps.hubtune!), 2), ...(py ? { pytorch: round(median(tps.pytorch!), 2) } : {}) };
      out[name] = {
        tokensPerS: Object.fromEntries(Object.entries(tps).map(([k, v]) => [k, v.map((x) => round(x, 2))])), medianTokensPerS: med, loadavg1PerRound: loads,
        ...(py ? { 'ratio hubtune vs PyTorch (tokens/s, target >= 1.0)': ratio(med.hubtune, med.pytorch!) } : {}),
      };
    }
    model.dispose();
    if (py) await py.call({ op: 'free', key: dtype });
  }
  return out;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const results: Record<string, unknown> = {
    bench: 'generation', model: `LlamaForCausalLM, HuggingFaceTB/SmolLM2-135M config${LAYERS ? ` with ${SMOLLM2_135M.num_hidden_layers} of its 30 layers (--layers)` : ''}, random weights`, rounds: ROUNDS, machine: machine(),
    hubtune: { torch: versions().torch, threads: getNumThreads() }, openblasCoretype: process.env.OPENBLAS_CORETYPE ?? null,
  };
  const pt = ensurePythonTorch();
  if (!pt.ok) results.pytorch = `skipped: ${pt.why}`;
  // LoRA first, in fresh processes on both sides: the peak RSS is a process high-water mark
  if (ONLY.includes('lora')) {
    const py = pt.ok ? new PyWorker('generation_worker.py') : null;
    try { results.lora = await lora(py); } finally { py?.close(); }
  }
  if (ONLY.includes('generate')) {
    const py = pt.ok ? new PyWorker('generation_worker.py') : null;
    try {
      results.generation = await generation(py);
      if (py) { const i = await py.call({ op: 'free', key: '' }); results.pytorch = { torch: i.torch, threads: i.threads }; }
    } finally { py?.close(); }
  }
  results.machine = { ...(results.machine as object), loadavgAtEnd: load1() };
  results.seconds = round((performance.now() - t0) / 1000, 1);
  console.log(JSON.stringify(results, null, 2));
}
await main();
