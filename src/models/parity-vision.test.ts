// Parity of the vision families (DeiT, BEiT, Swin, ConvNeXt, ResNet, CLIP) with Python transformers
// 4.29.2 on ../shared/fixtures/hf-reference-2 (skipped where absent): every stored output (logits,
// hidden states, attentions, Swin's reshaped states, CLIP's towers and embeddings), the loss, every
// gradient, and 3 AdamW steps; the pixel values of each model's own image processor are checked
// in src/preprocessing/image-processors.test.ts.
// First import: picks the fixture machine's OpenBLAS kernels before libtorch loads (parity-arithmetic).
import {
  relDiff, record, printFigures, loadFixture, inputsOf, loadFixtureModel, checkGradients, checkTrainingSteps, type Fixture,
} from './parity-support';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Tensor, disposeAll } from '../torch/index';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import type { PreTrainedModel } from './index';

const MODELS_DIR = sharedPath('fixtures', 'hf-reference-2', 'models');
const NAMES = ['deit', 'deit_distilled', 'beit', 'swin', 'convnext', 'resnet', 'clip'];
const fixture = (name: string): Fixture => loadFixture(join(MODELS_DIR, name), name);

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** An output field by the fixture's key: `hidden_states.2`, `text_model_output.pooler_output`, ... */
function fieldOf(out: unknown, key: string): Tensor | undefined {
  let v: any = out;
  for (const p of key.split('.')) v = /^\d+$/.test(p) ? v?.[Number(p)] : v?.[camel(p)];
  return v instanceof Tensor ? v : undefined;
}
/** The inputs of the fixture's forward call: stored tensors, CLIP's return_loss, the output flags. */
function callInputs(f: Fixture, o: { states?: boolean } = {}): Record<string, unknown> {
  const x: Record<string, unknown> = { ...inputsOf(f) };
  if (f.exp.targets?.return_loss) x.returnLoss = true;
  if (o.states) {
    x.outputHiddenStates = true;
    if (String(f.exp.forward_call).includes('output_attentions')) x.outputAttentions = true;
  }
  return x;
}
/** The main output: logits, or CLIP's logits_per_image. */
const mainOf = (out: any): Tensor => out.logits ?? out.logitsPerImage;

for (const name of NAMES) {
  describe(`parity: ${name}`, needsShared, () => {
    test('every stored output and the loss (eval mode), fused and eager attention', async () => {
      const f = fixture(name);
      for (const impl of ['sdpa', 'eager'] as const) {
        const m = await loadFixtureModel(f, impl);
        const out = m.forward(callInputs(f, { states: true }));
        const keys = Object.keys(f.exp.output_keys);
        assert.ok(keys.length > 0);
        for (const key of keys) {
          const got = fieldOf(out, key);
          assert.ok(got, `${name}: no output ${key}`);
          assert.deepEqual(got.shape, f.exp.output_keys[key], `${key} shape`);
          const d = relDiff(got, f.tensors.get(key)!);
          record(name, `${key.replace(/\.\d+$/, '')}${impl === 'eager' ? '' : '_fused'}`, d);
          assert.ok(d <= 1e-5, `${key} (${impl}) differs by ${d}`);
        }
        if (f.exp.loss !== null) {
          const loss = (out as { loss?: Tensor }).loss;
          assert.ok(loss, 'no loss');
          const dl = Math.abs(loss.item() - f.exp.loss) / Math.max(1, Math.abs(f.exp.loss));
          record(name, 'loss', dl);
          assert.ok(dl <= 1e-5, `loss ${loss.item()} vs ${f.exp.loss}`);
        } else {
          assert.equal((out as { loss?: Tensor }).loss, undefined);
        }
        // without the output flags: the main output alone, same values
        const plain = m.forward(callInputs(f));
        const dp = relDiff(mainOf(plain), f.tensors.get(name === 'clip' ? 'logits_per_image' : 'logits')!);
        assert.ok(dp <= 1e-5, `plain forward differs by ${dp}`);
        disposeAll([out, plain]);
        m.dispose();
      }
    });

    if (f0(name).exp.gradients) {
      test('every gradient after loss.backward() (eager attention: bit for bit with the fixture arithmetic)', async (t) => {
        const f = fixture(name);
        const m = await loadFixtureModel(f, 'eager');
        const out = m.forward(callInputs(f)) as { loss?: Tensor };
        out.loss!.backward();
        const checked = checkGradients(t, f, m.namedParameters());
        assert.equal(checked, f.exp.optimizer.param_groups.reduce((n: number, g: any) => n + g.params.length, 0));
        assert.deepEqual(f.exp.gradients.params_without_grad, []);
        disposeAll(out);
        m.dispose();
      });

      test('3 training steps: AdamW with the Trainer groups, linear warmup, clip 1.0 (eager attention)', async (t) => {
        const f = fixture(name);
        const m = await loadFixtureModel(f, 'eager');
        if (name === 'clip') {
          // CLIP's main output is logits_per_image: seen through `logits` by the step checker
          const view = new Proxy(m, { get: (target, p, r) => (p === 'forward' ? (b: any) => { const o: any = target.forward(b); return { ...o, logits: o.logitsPerImage }; } : Reflect.get(target, p, r)) });
          checkTrainingSteps(t, f, view as PreTrainedModel, { inputs: callInputs(f), afterKey: 'logits_per_image_after_3_steps' });
        } else {
          checkTrainingSteps(t, f, m, { inputs: callInputs(f) });
        }
        m.dispose();
      });
    }
  });
}

/** expected.json alone (which tests a fixture has); null where ../shared is absent. */
function f0(name: string): { exp: any } {
  if (!hasShared) return { exp: { gradients: true } };
  return fixture(name);
}

if (hasShared) test('parity figures (vision)', () => printFigures());
