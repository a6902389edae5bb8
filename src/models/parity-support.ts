// The machinery of the parity tests against Python's golden fixtures (../shared), shared by every
// parity test file: fixture loading, relative differences, the arithmetic check (bitwise where this
// process computes with the fixture machine's kernels), gradient and AdamW-step checks.
// Import it FIRST in a test file: parity-arithmetic must run before libtorch (and OpenBLAS) loads.
import { FIXTURE_BLAS_CORE, FIXTURE_THREADS, cpuRunsFixtureKernels } from './parity-arithmetic';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Tensor, tidy, loadSafetensors, optim, disposeAll, setNumThreads, onesLike } from '../torch/index';
import { native } from '../torch/native';
import { getScheduler } from '../torch/lr-scheduler';
import { MODEL_CLASSES, decayParameterGroups, PreTrainedModel, type ModelOutput } from './index';

export function maxAbs(t: Tensor): number { return tidy(() => t.abs().max().item()); }
export function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape, 'shapes differ');
  return tidy(() => a.sub(b).abs().max().item());
}
/** max |a - b| relative to the expected tensor's scale (at least 1). */
export function relDiff(got: Tensor, want: Tensor): number { return maxDiff(got, want) / Math.max(1, maxAbs(want)); }

/**
 * Gradients and training steps run the eager attention path, which performs transformers 4.29.2's
 * ops in its order; with the fixture machine's OpenBLAS kernels and threads (parity-arithmetic.ts)
 * every gradient equals Python's bit for bit, including the pure rounding noise of gradients that
 * are zero in exact arithmetic (the attention key bias), and so do the parameters after each step:
 * the check is then 1e-6 (relative to the tensor's scale) for every value, and bitwise gradients.
 *
 * Elsewhere (a CPU without AVX-512-BF16, another BLAS, OPENBLAS_CORETYPE set to another kernel)
 * the matrix products round differently; AdamW turns the differing noise into lr-sized updates
 * (g / (|g| + eps)), so those elements cannot match, and from step 3 on the gradients are taken at
 * parameters that already differ: how many elements end up beyond 1e-6 depends on the kernel (ViT
 * at step 3: 4% with Prescott, 6% Haswell, 11% Sandybridge). There the check is that no element
 * differs by more than the noise bound (the learning rates summed: AdamW moves an element by at
 * most about lr per step), and the test says how many exceed 1e-6.
 */
export const TRAIN_TOL = 1e-6;
export const NOISE_BOUND = 0.0075;
setNumThreads(FIXTURE_THREADS);
/** The kernel set a DYNAMIC_ARCH OpenBLAS picked ('OpenBLAS 0.3.21 ... NO_AFFINITY Cooperlake MAX_THREADS=64'). */
export const BLAS_CORE = native.blasInfo().config.split(' ').find((w: string) => /^[A-Z][a-z][A-Za-z0-9]*$/.test(w) && w !== 'OpenBLAS') ?? 'unknown';
/** Whether this process computes with the fixture machine's arithmetic (bitwise parity expected). */
export const REFERENCE_ARITHMETIC = BLAS_CORE === FIXTURE_BLAS_CORE;
export const NOT_REFERENCE = `OpenBLAS uses its ${BLAS_CORE} kernels (config: ${native.blasInfo().config}), not ${FIXTURE_BLAS_CORE} as on the fixture machine`
  + `${cpuRunsFixtureKernels ? ' (OPENBLAS_CORETYPE is set by the environment?)' : ' (this CPU has no avx512_bf16)'}: float noise differs, `
  + `so the training steps are held to the noise bound instead of ${TRAIN_TOL} for every value`;
export { FIXTURE_THREADS };

/** The largest difference seen per fixture and quantity (printed with HUBTUNE_PARITY_VERBOSE=1). */
export const figures: Record<string, Record<string, number>> = {};
export function record(name: string, key: string, v: number): void {
  (figures[name] ??= {})[key] = Math.max(figures[name]![key] ?? 0, v);
}
export function printFigures(): void {
  if (!process.env.HUBTUNE_PARITY_VERBOSE) return;
  console.log(`OpenBLAS core ${BLAS_CORE}, threads ${JSON.stringify(FIXTURE_THREADS)}: ${REFERENCE_ARITHMETIC ? 'the fixture arithmetic (strict checks)' : NOT_REFERENCE}`);
  console.log(JSON.stringify(figures, (_, v) => (typeof v === 'number' ? Number(v.toExponential(2)) : v), 1));
}

export interface Fixture { name: string; dir: string; exp: any; tensors: Map<string, Tensor> }
/** A fixture folder: expected.json and expected.safetensors. */
export function loadFixture(dir: string, name = dir.split('/').pop()!): Fixture {
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  return { name, dir, exp, tensors: loadSafetensors(join(dir, 'expected.safetensors')).tensors };
}
/** The model inputs stored as `input.<arg>` (the targets too: labels, start_positions, ...). */
export function inputsOf(f: Fixture): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const keys: string[] = f.exp.inputs_in_safetensors ?? [...f.tensors.keys()].filter((k) => k.startsWith('input.'));
  for (const k of keys) out[k.slice('input.'.length)] = f.tensors.get(k)!;
  return out;
}
/** The fixture's model class (expected.json model_class) loaded from its folder, in eval mode. */
export async function loadFixtureModel(f: Fixture, attnImplementation: 'sdpa' | 'eager' = 'sdpa', dir = f.dir): Promise<PreTrainedModel> {
  const C = MODEL_CLASSES[f.exp.model_class];
  assert.ok(C, `hubtune has no class ${f.exp.model_class}`);
  const m = await (C as any).fromPretrained(dir, { quiet: true, attnImplementation }) as PreTrainedModel;
  return m.eval();
}
export const forwardOf = (m: PreTrainedModel, b: Record<string, unknown>) => m.forward(b) as ModelOutput;

/** Checks `actual` against `expected` (relative to its scale) and records the figure. */
export function expectClose(name: string, key: string, got: Tensor, want: Tensor | undefined, tol: number, what = key): number {
  assert.ok(want, `the fixture has no ${what}`);
  const d = relDiff(got, want);
  record(name, key, d);
  assert.ok(d <= tol, `${what} differs by ${d} (tolerance ${tol})`);
  return d;
}

/**
 * Every parameter's gradient against `grad.<name>` (1e-4 relative; bitwise with the fixture
 * arithmetic unless `bitwise` is false). Returns how many parameters were checked.
 */
export function checkGradients(t: TestContext, f: Fixture, named: [string, Tensor][], o: { bitwise?: boolean; tol?: number; expectedName?: (n: string) => string } = {}): number {
  let checked = 0;
  let nonIdentical = 0;
  for (const [pname, p] of named) {
    const key = `grad.${o.expectedName ? o.expectedName(pname) : pname}`;
    const want = f.tensors.get(key);
    assert.ok(want, `no expected gradient ${key}`);
    const g = p.grad;
    assert.ok(g, `${pname} got no gradient`);
    const d = relDiff(g, want);
    record(f.name, 'grads', d);
    assert.ok(d <= (o.tol ?? 1e-4), `gradient of ${pname} differs by ${d}`);
    const ne = tidy(() => g.ne(want).sum().item());
    nonIdentical += ne;
    if (REFERENCE_ARITHMETIC && o.bitwise !== false) assert.equal(ne, 0, `gradient of ${pname}: ${ne} of ${g.numel} values differ from Python's bits (max ${d})`);
    g.dispose();
    checked++;
  }
  record(f.name, 'grads_non_identical_values', nonIdentical);
  if (!REFERENCE_ARITHMETIC) t.diagnostic(`${NOT_REFERENCE}; ${nonIdentical} gradient values differ from Python's bits`);
  return checked;
}

export interface StepCheckOptions {
  /** The parameter groups (default: the Trainer's decay/no-decay groups, checked against the fixture's). */
  groups?: { params: Tensor[]; weightDecay: number }[];
  /** Name of a parameter in `step<i>.<name>` keys -> the model's tensor. */
  paramFor?: (key: string) => Tensor | undefined;
  /** Inputs of every step (default: the fixture inputs with the targets). */
  inputs?: Record<string, unknown>;
  /** The `<main>_after_<N>_steps` key (default logits_after_3_steps) and the inputs of that forward. */
  afterKey?: string;
  /** Several such keys (e.g. start_logits_after_3_steps and end_logits_after_3_steps); outputs found by outputTensor. */
  afterKeys?: string[];
  afterInputs?: Record<string, unknown>;
  /** Compare the loss with Python's bits (default true with the fixture arithmetic). */
  bitwiseLoss?: boolean;
}

/**
 * N AdamW steps as the fixtures ran them (the Trainer's groups, clip 1.0, linear schedule with one
 * warmup step): the loss and gradient norm before each update, every `step<i>.*` tensor after it,
 * and the main output after the last step.
 */
export function checkTrainingSteps(t: TestContext, f: Fixture, m: PreTrainedModel, o: StepCheckOptions = {}): void {
  const opt0 = f.exp.optimizer;
  let groups = o.groups;
  if (!groups) {
    const dg = decayParameterGroups(m, opt0.param_groups[0].weight_decay);
    assert.deepEqual(dg.decay.map((x) => x[0]), opt0.param_groups[0].params);
    assert.deepEqual(dg.noDecay.map((x) => x[0]), opt0.param_groups[1].params);
    groups = dg.groups;
  }
  const nSteps: number = opt0.steps.length;
  const opt = new optim.AdamW(groups, { lr: opt0.lr, betas: opt0.betas, eps: opt0.eps });
  const sched = getScheduler({ name: 'linear', numWarmupSteps: 1, numTrainingSteps: nSteps, baseLr: opt0.lr });
  const inputs = o.inputs ?? inputsOf(f);
  const byName = new Map(m.namedParameters());
  const paramFor = o.paramFor ?? ((k: string) => byName.get(k));
  // the Trainer clips model.parameters() in model order (the order of the summed norms shows in the last bit)
  const trainable = m.parameters().filter((p) => p.requiresGrad);
  for (let step = 1; step <= nSteps; step++) {
    const rec = opt0.steps[step - 1];
    const lr = sched.lrAt(step - 1);
    assert.ok(Math.abs(lr - rec.lr_used) < 1e-12, `lr ${lr} vs ${rec.lr_used}`);
    const out = forwardOf(m, inputs);
    const loss = out.loss!.item();
    const dl = Math.abs(loss - rec.loss_before_update);
    record(f.name, 'train_loss', dl);
    // elsewhere step 3 starts from parameters that already differ by up to the noise bound
    const tol = REFERENCE_ARITHMETIC || step < 3 ? 1e-5 : 1e-4;
    assert.ok(dl <= tol * Math.max(1, rec.loss_before_update), `step ${step} loss ${loss} vs ${rec.loss_before_update}`);
    if (REFERENCE_ARITHMETIC && o.bitwiseLoss !== false) assert.equal(loss, Math.fround(rec.loss_before_update), `step ${step}: the loss differs from Python's bits`);
    out.loss!.backward();
    const norm = optim.clipGradNorm(trainable, 1.0);
    if (REFERENCE_ARITHMETIC && o.bitwiseLoss !== false) assert.equal(norm, Math.fround(rec.grad_norm_before_clip), `step ${step}: the gradient norm differs from Python's bits`);
    assert.ok(Math.abs(norm - rec.grad_norm_before_clip) <= tol * 10 * rec.grad_norm_before_clip, `step ${step} grad norm ${norm} vs ${rec.grad_norm_before_clip}`);
    for (const g of opt.paramGroups) g.lr = lr;
    opt.step();
    opt.zeroGrad();
    disposeAll(out);
    let elements = 0;
    let off = 0;
    for (const [k, want] of f.tensors) {
      if (!k.startsWith(`step${step}.`)) continue;
      const p = paramFor(k.slice(`step${step}.`.length));
      assert.ok(p, `no parameter for ${k}`);
      const scale = Math.max(1, maxAbs(want));
      const d = maxDiff(p, want) / scale;
      record(f.name, `params_step${step}_max`, d);
      elements += p.numel;
      off += tidy(() => p.sub(want).abs().gt(TRAIN_TOL * scale).sum().item());
      if (REFERENCE_ARITHMETIC) assert.ok(d <= TRAIN_TOL, `${k} differs by ${d} (relative) after step ${step}`);
      else assert.ok(d <= NOISE_BOUND, `${k} differs by ${d}`);
    }
    assert.ok(elements > 0, `the fixture has no step${step}.* tensors`);
    record(f.name, `params_step${step}_fraction_over_1e-6`, off / elements);
    if (REFERENCE_ARITHMETIC) assert.equal(off, 0, `step ${step}: ${off} of ${elements} parameter elements differ by more than ${TRAIN_TOL}`);
    else if (off) t.diagnostic(`step ${step}: ${off} of ${elements} parameter elements differ by more than ${TRAIN_TOL} (float noise turned into updates)`);
  }
  const afterKeys = o.afterKeys ?? [o.afterKey ?? `logits_after_${nSteps}_steps`];
  const afterOut = forwardOf(m, o.afterInputs ?? inputsOf(f)) as unknown as Record<string, unknown>;
  for (const afterKey of afterKeys) {
    const want = f.tensors.get(afterKey);
    assert.ok(want, `the fixture has no ${afterKey}`);
    const after = outputTensor(afterOut, afterKey.replace(/_after_\d+_steps$/, ''));
    assert.ok(after, `the model output has no ${afterKey.replace(/_after_\d+_steps$/, '')}`);
    const d = relDiff(after, want);
    record(f.name, afterKey, d);
    if (REFERENCE_ARITHMETIC) assert.ok(d <= 1e-5, `${afterKey} differs by ${d}`);
    else t.diagnostic(`${NOT_REFERENCE}; ${afterKey} differs by ${d}`);
  }
  disposeAll(afterOut);
}

const camelOf = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/**
 * An output tensor by a fixture key: `logits`, `start_logits`, `hidden_states.2` (the third of
 * hiddenStates), `vision_model_output.pooler_output` (nested); snake_case fields map to camelCase.
 */
export function outputTensor(out: Record<string, unknown>, key: string): Tensor | undefined {
  let cur: unknown = out;
  for (const part of key.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = /^\d+$/.test(part) ? (cur as unknown[])[Number(part)] : (cur as Record<string, unknown>)[camelOf(part)];
  }
  return cur instanceof Tensor ? cur : undefined;
}

/** The inputs without the targets (expected.json:targets). */
export function nonTargetInputs(f: Fixture): Record<string, Tensor> {
  const targets = new Set(Object.keys(f.exp.targets ?? { labels: 1 }));
  return Object.fromEntries(Object.entries(inputsOf(f)).filter(([k]) => !targets.has(k)));
}

/** Every tensor of expected.json:output_keys and the loss, from one eval-mode forward with the targets. */
export function checkOutputs(f: Fixture, m: PreTrainedModel, tol = 1e-5): void {
  const keys = Object.keys(f.exp.output_keys as Record<string, number[]>);
  const out = m.forward({
    ...inputsOf(f),
    outputHiddenStates: keys.some((k) => k.startsWith('hidden_states')) || undefined,
    outputAttentions: keys.some((k) => k.startsWith('attentions')) || undefined,
  }) as unknown as Record<string, unknown>;
  try {
    for (const k of keys) {
      const got = outputTensor(out, k);
      assert.ok(got, `the output has no ${k}`);
      expectClose(f.name, k.replace(/\.\d+$/, ''), got, f.tensors.get(k), tol, k);
    }
    if (typeof f.exp.loss === 'number') {
      const loss = (out.loss as Tensor).item();
      const dl = Math.abs(loss - f.exp.loss) / Math.max(1, Math.abs(f.exp.loss));
      record(f.name, 'loss', dl);
      assert.ok(dl <= tol, `loss ${loss} vs ${f.exp.loss}`);
    }
  } finally {
    disposeAll(out);
  }
}

/**
 * expected.json:attention_mask_checks: each sequence alone, unpadded, matches Python's
 * `<main>_single.<i>` and row i of the padded batch; an all-ones mask gives Python's recorded (wrong)
 * outputs. `main` is the output compared (logits, start_logits, ...).
 */
export function checkPadding(f: Fixture, m: PreTrainedModel, main: string, inputs: Record<string, Tensor> = nonTargetInputs(f)): void {
  const checks = f.exp.attention_mask_checks;
  const run = (b: Record<string, unknown>) => tidy(() => outputTensor(m.forward(b) as unknown as Record<string, unknown>, main)!);
  const padded = run(inputs);
  for (const c of checks.per_sequence_unpadded) {
    const single = run(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length)])));
    expectClose(f.name, `${main}_single`, single, f.tensors.get(`${main}_single.${c.index}`), 1e-5, `sequence ${c.index} alone`);
    // per-token outputs ([B, L] spans, [B, L, C] tags) are cut to the sequence; per-sequence ones are not
    const perToken = padded.ndim === 3 || (padded.ndim === 2 && single.shape[1] === c.unpadded_length && main !== 'logits');
    const row = tidy(() => (perToken ? padded.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length) : padded.narrow(0, c.index, 1)));
    const dr = maxDiff(single, row);
    record(f.name, 'unpadded_vs_padded_row', dr);
    assert.ok(dr <= 1e-5 * Math.max(1, maxAbs(row)), `sequence ${c.index}: unpadded vs padded row differ by ${dr}`);
    disposeAll([single, row]);
  }
  const ones = onesLike(inputs.attention_mask!);
  const wrong = run({ ...inputs, attention_mask: ones });
  const key = checks.all_ones_mask_key ?? checks.logits_all_ones_mask_key;
  expectClose(f.name, key, wrong, f.tensors.get(key), 1e-5);
  const gap = maxDiff(wrong, padded);
  assert.ok(Math.abs(gap - checks.max_abs_diff_all_ones_mask_vs_correct) < 1e-4, `all-ones vs correct gap ${gap}`);
  disposeAll([padded, wrong, ones]);
}
