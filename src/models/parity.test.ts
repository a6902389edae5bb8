// Parity with Python transformers 4.29.2 on the golden fixtures of ../shared (skipped where absent):
// logits, loss, hidden states, attentions, gradients, padding, 3 training steps, loading reports.
// First import: picks the fixture machine's OpenBLAS kernels before libtorch loads (parity-arithmetic).
import {
  relDiff, maxDiff, maxAbs, record, printFigures, loadFixture, inputsOf, loadFixtureModel, forwardOf as fwd,
  checkGradients, checkTrainingSteps, type Fixture,
} from './parity-support';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Tensor, tidy, ones, loadSafetensors, disposeAll } from '../torch/index';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { MODEL_CLASSES, PreTrainedModel, type BaseModelOutput } from './index';

const MODELS_DIR = sharedPath('fixtures', 'hf-reference', 'models');
const NAMES = ['vit', 'bert', 'roberta', 'distilbert', 'roberta_mlm'];

const fixture = (name: string): Fixture => loadFixture(join(MODELS_DIR, name), name);
const load = (f: Fixture, attnImplementation: 'sdpa' | 'eager' = 'sdpa') => loadFixtureModel(f, attnImplementation);

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
      const checked = checkGradients(t, f, m.namedParameters());
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
      checkTrainingSteps(t, f, m, { inputs: { ...inputsOf(f), labels: f.tensors.get('input.labels')! } });
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
  test('parity figures', () => printFigures());
}
