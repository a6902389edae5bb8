// Parity with Python transformers 4.29.2 on the golden fixtures of ../shared (skipped where absent):
// logits, loss, hidden states, attentions, gradients, padding, 3 training steps, loading reports.
// First import: picks the fixture machine's OpenBLAS kernels before libtorch loads (see the file).
import { FIXTURE_BLAS_CORE, FIXTURE_THREADS, cpuRunsFixtureKernels } from './parity-arithmetic';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, tidy, ones, loadSafetensors, optim, disposeAll, setNumThreads } from '../torch/index';
import { native } from '../torch/native';
import { getScheduler } from '../torch/lr-scheduler';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { MODEL_CLASSES, decayParameterGroups, PreTrainedModel, type ModelOutput, type BaseModelOutput } from './index';

const MODELS_DIR = sharedPath('fixtures', 'hf-reference', 'models');
const NAMES = ['vit', 'bert', 'roberta', 'distilbert', 'roberta_mlm'];
const VERBOSE = !!process.env.HUBTUNE_PARITY_VERBOSE;

function maxAbs(t: Tensor): number { return tidy(() => t.abs().max().item()); }
function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape, 'shapes differ');
  return tidy(() => a.sub(b).abs().max().item());
}
/** max |a - b| relative to the expected tensor's scale (at least 1). */
function relDiff(got: Tensor, want: Tensor): number { return maxDiff(got, want) / Math.max(1, maxAbs(want)); }

interface Fixture { dir: string; exp: any; tensors: Map<string, Tensor> }
function fixture(name: string): Fixture {
  const dir = join(MODELS_DIR, name);
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  return { dir, exp, tensors: loadSafetensors(join(dir, 'expected.safetensors')).tensors };
}
function inputsOf(f: Fixture): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const k of f.exp.inputs_in_safetensors as string[]) out[k.slice('input.'.length)] = f.tensors.get(k)!;
  return out;
}
async function load(f: Fixture, attnImplementation: 'sdpa' | 'eager' = 'sdpa'): Promise<PreTrainedModel> {
  const C = MODEL_CLASSES[f.exp.model_class]!;
  const m = await (C as any).fromPretrained(f.dir, { quiet: true, attnImplementation }) as PreTrainedModel;
  return m.eval();
}
const fwd = (m: PreTrainedModel, b: Record<string, unknown>) => m.forward(b) as ModelOutput;

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
const TRAIN_TOL = 1e-6;
const NOISE_BOUND = 0.0075;
setNumThreads(FIXTURE_THREADS);
/** The kernel set a DYNAMIC_ARCH OpenBLAS picked ('OpenBLAS 0.3.21 ... NO_AFFINITY Cooperlake MAX_THREADS=64'). */
const BLAS_CORE = native.blasInfo().config.split(' ').find((w: string) => /^[A-Z][a-z][A-Za-z0-9]*$/.test(w) && w !== 'OpenBLAS') ?? 'unknown';
/** Whether this process computes with the fixture machine's arithmetic (bitwise parity expected). */
const REFERENCE_ARITHMETIC = BLAS_CORE === FIXTURE_BLAS_CORE;
const NOT_REFERENCE = `OpenBLAS uses its ${BLAS_CORE} kernels (config: ${native.blasInfo().config}), not ${FIXTURE_BLAS_CORE} as on the fixture machine`
  + `${cpuRunsFixtureKernels ? ' (OPENBLAS_CORETYPE is set by the environment?)' : ' (this CPU has no avx512_bf16)'}: float noise differs, `
  + `so the training steps are held to the noise bound instead of ${TRAIN_TOL} for every value`;

export const figures: Record<string, Record<string, number>> = {};
function record(name: string, key: string, v: number): void {
  (figures[name] ??= {})[key] = Math.max(figures[name]![key] ?? 0, v);
}

for (const name of NAMES) {
  describe(`parity: ${name}`, needsShared, () => {
    test('logits, loss, hidden states, attentions (eval mode)', async () => {
      const f = fixture(name);
      const m = await load(f);
      const labels = f.tensors.get('input.labels')!;
      const out = fwd(m, { ...inputsOf(f), labels, outputHiddenStates: true, outputAttentions: f.exp.attentions_keys.length > 0 });
      const d = relDiff(out.logits, f.tensors.get('logits')!);
      record(name, 'logits', d);
      assert.ok(d <= 1e-5, `logits differ by ${d}`);
      const dl = Math.abs(out.loss!.item() - f.exp.loss) / Math.max(1, Math.abs(f.exp.loss));
      record(name, 'loss', dl);
      assert.ok(dl <= 1e-5, `loss ${out.loss!.item()} vs ${f.exp.loss}`);
      assert.equal(out.hiddenStates!.length, f.exp.hidden_states_keys.length);
      f.exp.hidden_states_keys.forEach((k: string, i: number) => {
        const dh = relDiff(out.hiddenStates![i]!, f.tensors.get(k)!);
        record(name, 'hidden_states', dh);
        assert.ok(dh <= 1e-5, `${k} differs by ${dh}`);
      });
      if (f.exp.attentions_keys.length) {
        f.exp.attentions_keys.forEach((k: string, i: number) => {
          const da = relDiff(out.attentions![i]!, f.tensors.get(k)!);
          record(name, 'attentions', da);
          assert.ok(da <= 1e-5, `${k} differs by ${da}`);
        });
      }
      // the fused attention path (no probabilities) gives the same logits
      const fused = fwd(m, { ...inputsOf(f) });
      const df = relDiff(fused.logits, f.tensors.get('logits')!);
      record(name, 'logits_fused', df);
      assert.ok(df <= 1e-5, `fused-attention logits differ by ${df}`);
      disposeAll([out, fused]);
      m.dispose();
    });

    test('gradients after loss.backward() (eager attention: bit for bit with the fixture arithmetic)', async (t) => {
      const f = fixture(name);
      const m = await load(f, 'eager');
      const out = fwd(m, { ...inputsOf(f), labels: f.tensors.get('input.labels')! });
      out.loss!.backward();
      let checked = 0;
      let nonIdentical = 0;
      for (const [pname, p] of m.namedParameters()) {
        const want = f.tensors.get(`grad.${pname}`);
        assert.ok(want, `no expected gradient for ${pname}`);
        const g = p.grad;
        assert.ok(g, `${pname} got no gradient`);
        const d = relDiff(g, want);
        record(name, 'grads', d);
        assert.ok(d <= 1e-4, `gradient of ${pname} differs by ${d}`);
        const ne = tidy(() => g.ne(want).sum().item());
        nonIdentical += ne;
        if (REFERENCE_ARITHMETIC) assert.equal(ne, 0, `gradient of ${pname}: ${ne} of ${g.numel} values differ from Python's bits (max ${d})`);
        g.dispose();
        checked++;
      }
      record(name, 'grads_non_identical_values', nonIdentical);
      if (!REFERENCE_ARITHMETIC) t.diagnostic(`${NOT_REFERENCE}; ${nonIdentical} gradient values differ from Python's bits`);
      assert.equal(checked, f.exp.optimizer.param_groups.reduce((n: number, g: any) => n + g.params.length, 0));
      disposeAll(out);
      m.dispose();
    });

    if (name !== 'vit') {
      test('padding: unpadded rows equal the padded batch; an all-ones mask gives the recorded wrong logits', async () => {
        const f = fixture(name);
        const m = await load(f);
        const inputs = inputsOf(f);
        const padded = fwd(m, inputs).logits;
        for (const c of f.exp.attention_mask_checks.per_sequence_unpadded) {
          const single = tidy(() => {
            const b: Record<string, Tensor> = {};
            for (const [k, v] of Object.entries(inputs)) b[k] = v.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length);
            return fwd(m, b).logits;
          });
          const want = f.tensors.get(`logits_single.${c.index}`)!;
          const d = relDiff(single, want);
          record(name, 'logits_single', d);
          assert.ok(d <= 1e-5, `sequence ${c.index} alone differs from Python by ${d}`);
          const row = tidy(() => (padded.ndim === 3 ? padded.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length) : padded.narrow(0, c.index, 1)));
          const dr = maxDiff(single, row);
          record(name, 'unpadded_vs_padded_row', dr);
          assert.ok(dr <= 1e-5 * Math.max(1, maxAbs(row)), `sequence ${c.index}: unpadded vs padded row differ by ${dr}`);
          disposeAll([single, row]);
        }
        const wrong = tidy(() => fwd(m, { ...inputs, attention_mask: ones(inputs.attention_mask!.shape, { dtype: 'int64' }) }).logits);
        const d = relDiff(wrong, f.tensors.get(f.exp.attention_mask_checks.logits_all_ones_mask_key)!);
        record(name, 'logits_all_ones_mask', d);
        assert.ok(d <= 1e-5, `all-ones-mask logits differ by ${d}`);
        const gap = maxDiff(wrong, padded);
        assert.ok(Math.abs(gap - f.exp.attention_mask_checks.max_abs_diff_all_ones_mask_vs_correct) < 1e-4, `all-ones vs correct gap ${gap}`);
        disposeAll([padded, wrong]);
        m.dispose();
      });
    }

    test('3 training steps: AdamW with the Trainer groups, linear warmup, clip 1.0 (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await load(f, 'eager');
      const o = f.exp.optimizer;
      const { decay, noDecay, groups } = decayParameterGroups(m, o.param_groups[0].weight_decay);
      assert.deepEqual(decay.map((x) => x[0]), o.param_groups[0].params);
      assert.deepEqual(noDecay.map((x) => x[0]), o.param_groups[1].params);
      const opt = new optim.AdamW(groups, { lr: o.lr, betas: o.betas, eps: o.eps });
      const sched = getScheduler({ name: 'linear', numWarmupSteps: 1, numTrainingSteps: 3, baseLr: o.lr });
      const inputs = { ...inputsOf(f), labels: f.tensors.get('input.labels')! };
      const byName = new Map(m.namedParameters());
      for (let step = 1; step <= 3; step++) {
        const rec = o.steps[step - 1];
        const lr = sched.lrAt(step - 1);
        assert.ok(Math.abs(lr - rec.lr_used) < 1e-12, `lr ${lr} vs ${rec.lr_used}`);
        const out = fwd(m, inputs);
        const dl = Math.abs(out.loss!.item() - rec.loss_before_update);
        record(name, 'train_loss', dl);
        // elsewhere step 3 starts from parameters that already differ by up to the noise bound
        const tol = REFERENCE_ARITHMETIC || step < 3 ? 1e-5 : 1e-4;
        assert.ok(dl <= tol * Math.max(1, rec.loss_before_update), `step ${step} loss ${out.loss!.item()} vs ${rec.loss_before_update}`);
        if (REFERENCE_ARITHMETIC) assert.equal(out.loss!.item(), Math.fround(rec.loss_before_update), `step ${step}: the loss differs from Python's bits`);
        out.loss!.backward();
        const norm = optim.clipGradNorm(m.parameters(), 1.0);
        if (REFERENCE_ARITHMETIC) assert.equal(norm, Math.fround(rec.grad_norm_before_clip), `step ${step}: the gradient norm differs from Python's bits`);
        assert.ok(Math.abs(norm - rec.grad_norm_before_clip) <= tol * 10 * rec.grad_norm_before_clip, `step ${step} grad norm ${norm} vs ${rec.grad_norm_before_clip}`);
        for (const g of opt.paramGroups) g.lr = lr;
        opt.step();
        opt.zeroGrad();
        disposeAll(out);
        let elements = 0;
        let off = 0;
        for (const [k, want] of f.tensors) {
          if (!k.startsWith(`step${step}.`)) continue;
          const p = byName.get(k.slice(`step${step}.`.length));
          assert.ok(p, `no parameter for ${k}`);
          const scale = Math.max(1, maxAbs(want));
          const d = maxDiff(p, want) / scale;
          record(name, `params_step${step}_max`, d);
          elements += p.numel;
          off += tidy(() => p.sub(want).abs().gt(TRAIN_TOL * scale).sum().item());
          if (REFERENCE_ARITHMETIC) assert.ok(d <= TRAIN_TOL, `${k} differs by ${d} (relative) after step ${step}`);
          else assert.ok(d <= NOISE_BOUND, `${k} differs by ${d}`);
        }
        record(name, `params_step${step}_fraction_over_1e-6`, off / elements);
        if (REFERENCE_ARITHMETIC) assert.equal(off, 0, `step ${step}: ${off} of ${elements} parameter elements differ by more than ${TRAIN_TOL}`);
        else if (off) t.diagnostic(`step ${step}: ${off} of ${elements} parameter elements differ by more than ${TRAIN_TOL} (float noise turned into updates)`);
      }
      const after = tidy(() => fwd(m, { ...inputsOf(f) }).logits);
      const want = f.tensors.get('logits_after_3_steps')!;
      const d = relDiff(after, want);
      record(name, 'logits_after_3_steps', d);
      if (REFERENCE_ARITHMETIC) assert.ok(d <= 1e-5, `logits after 3 steps differ by ${d}`);
      else t.diagnostic(`${NOT_REFERENCE}; logits after 3 steps differ by ${d}`);
      after.dispose();
      m.dispose();
    });

    test('loading the backbone-only checkpoint into the head class reports the same keys', async () => {
      const f = fixture(name);
      const cases = Object.entries(f.exp.loading as Record<string, any>);
      for (const [caseName, c] of cases) {
        const src = caseName === 'base_into_head_class' ? join(f.dir, 'base') : join(MODELS_DIR, 'roberta_mlm');
        const C = MODEL_CLASSES[c.loaded_class]!;
        const kwargs = c.from_pretrained_kwargs ?? {};
        const warnings: string[] = [];
        const orig = console.warn;
        console.warn = (msg: string) => { warnings.push(String(msg)); };
        let res: any;
        try {
          res = await (C as any).fromPretrained(src, { numLabels: kwargs.num_labels, id2label: kwargs.id2label, label2id: kwargs.label2id, outputLoadingInfo: true });
        } finally { console.warn = orig; }
        const { model, loadingInfo } = res as { model: PreTrainedModel; loadingInfo: any };
        assert.deepEqual(loadingInfo.missingKeys, [...c.missing_keys].sort(), `${caseName}: missing keys`);
        assert.deepEqual(loadingInfo.unexpectedKeys, [...c.unexpected_keys].sort(), `${caseName}: unexpected keys`);
        assert.deepEqual(loadingInfo.mismatchedKeys, []);
        assert.equal(warnings.length, c.log_messages.length, `${caseName}: warnings ${JSON.stringify(warnings)}`);
        // same texts once the (unordered) Python set repr is sorted
        const norm = (s: string) => s.replace(/<[a-z_]+>|\/\S+/g, '<ckpt>').replace(/\[([^\]]*)\]/, (_, l: string) => `[${l.split(', ').sort().join(', ')}]`);
        c.log_messages.forEach((lm: any, i: number) => assert.equal(norm(warnings[i]!), norm(lm.message)));
        if (kwargs.num_labels) assert.equal(model.config.numLabels, kwargs.num_labels);
        if (c.backbone_tensors_identical_to_base) {
          const base = loadSafetensors(join(src, 'model.safetensors')).tensors;
          const prefix = (C as any).baseModelPrefix as string;
          const sd = model.stateDict();
          let same = 0;
          for (const [k, t] of base) { const p = sd.get(`${prefix}.${k}`); if (p && p.equal(t)) same++; }
          // Python also counted the integer position_ids buffer, which hubtune does not keep
          assert.equal(same, c.backbone_tensors_identical_to_base - Object.keys(f.exp.base.excluded_non_float_buffers ?? {}).length);
          disposeAll([...base.values()]);
        }
        model.dispose();
      }
    });

    test('the backbone class reproduces base/expected.safetensors', async () => {
      const f = fixture(name);
      const C = MODEL_CLASSES[f.exp.base_class]!;
      const m = (await (C as any).fromPretrained(join(f.dir, 'base'), { quiet: true }) as PreTrainedModel).eval();
      const want = loadSafetensors(join(f.dir, 'base', 'expected.safetensors')).tensors;
      const out = m.forward(inputsOf(f)) as BaseModelOutput;
      const d = relDiff(out.lastHiddenState, want.get('last_hidden_state')!);
      record(name, 'base_last_hidden_state', d);
      assert.ok(d <= 1e-5, `last_hidden_state differs by ${d}`);
      if (want.has('pooler_output')) {
        const dp = relDiff(out.poolerOutput!, want.get('pooler_output')!);
        record(name, 'base_pooler_output', dp);
        assert.ok(dp <= 1e-5, `pooler_output differs by ${dp}`);
      }
      disposeAll([out, [...want.values()]]);
      m.dispose();
    });
  });
}

if (hasShared) {
  test('parity figures', () => {
    if (VERBOSE) console.log(`OpenBLAS core ${BLAS_CORE}, threads ${JSON.stringify(FIXTURE_THREADS)}: ${REFERENCE_ARITHMETIC ? 'the fixture arithmetic (strict checks)' : NOT_REFERENCE}`);
    if (VERBOSE) console.log(JSON.stringify(figures, (_, v) => (typeof v === 'number' ? Number(v.toExponential(2)) : v), 1));
  });
}
