// Parity with Python transformers 4.29.2 on the second set of golden fixtures
// (../shared/fixtures/hf-reference-2/models, skipped where absent): every output of expected.json's
// output_keys and the loss, every gradient, padding, 3 AdamW steps, and savePretrained's keys.
// The machinery is in parity-support.ts (it must be imported first).
import {
  loadFixture, loadFixtureModel as loadModel, checkOutputs, checkGradients, checkPadding, checkTrainingSteps, printFigures, expectClose,
  inputsOf, outputTensor, nonTargetInputs, type Fixture,
} from './parity-support';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, disposeAll, type Tensor } from '../torch/index';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { AutoConfig, MODEL_CLASSES } from './index';

const MODELS_DIR = sharedPath('fixtures', 'hf-reference-2', 'models');
/** One line per fixture folder (other families add theirs). */
const NAMES = [
  'xlmr_mlm',
  'xlmr_cls',
  'albert_cls',
  'electra_cls',
  'deberta_v2_cls',
  'bert_token_cls',
  'roberta_token_cls',
  'bert_qa',
  'bert_mc',
];
const fixture = (name: string): Fixture => loadFixture(join(MODELS_DIR, name));
/** The output the padding checks compare: `<main>_single.<i>` in the key pattern. */
const mainOutput = (f: Fixture): string => String(f.exp.attention_mask_checks?.key_pattern ?? 'logits_single').split('_single')[0]!;

for (const name of NAMES) {
  describe(`parity: ${name}`, needsShared, () => {
    test('outputs, loss, hidden states, attentions (eval mode); the fused attention path agrees', async () => {
      const f = fixture(name);
      const m = await loadModel(f);
      checkOutputs(f, m);
      const main = mainOutput(f);
      const fused = m.forward(nonTargetInputs(f)) as unknown as Record<string, unknown>;
      expectClose(name, `${main}_fused`, outputTensor(fused, main)!, f.tensors.get(main), 1e-5, `fused-attention ${main}`);
      disposeAll(fused);
      m.dispose();
    });

    test('gradients after loss.backward() (eager attention: bit for bit with the fixture arithmetic)', async (t) => {
      const f = fixture(name);
      const m = await loadModel(f, 'eager');
      const out = m.forward(inputsOf(f)) as unknown as { loss: Tensor };
      out.loss.backward();
      const without = new Set<string>(f.exp.gradients?.params_without_grad ?? []);
      const named = m.namedParameters().filter(([n]) => !without.has(n));
      assert.equal(checkGradients(t, f, named), f.exp.optimizer.param_groups.reduce((n: number, g: any) => n + g.params.length, 0));
      disposeAll(out);
      m.dispose();
    });

    test('padding: unpadded rows equal the padded batch; an all-ones mask gives the recorded wrong outputs', async () => {
      const f = fixture(name);
      const m = await loadModel(f);
      checkPadding(f, m, mainOutput(f));
      m.dispose();
    });

    test('3 training steps: AdamW with the Trainer groups, linear warmup, clip 1.0 (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await loadModel(f, 'eager');
      checkTrainingSteps(t, f, m, { afterKeys: f.exp.optimizer.outputs_after_steps_keys });
      m.dispose();
    });

    test('AutoConfig reads config.json; savePretrained writes the checkpoint keys back; the copy reloads', async () => {
      const f = fixture(name);
      const config = await AutoConfig.fromPretrained(f.dir);
      assert.equal(MODEL_CLASSES[f.exp.model_class]!.configClass, config.constructor);
      const m = await loadModel(f);
      const dir = mkdtempSync(join(tmpdir(), `hubtune-parity-${name}-`));
      try {
        m.savePretrained(dir);
        const saved = loadSafetensors(join(dir, 'model.safetensors')).tensors;
        const original = loadSafetensors(join(f.dir, 'model.safetensors')).tensors;
        const tiedAliases = new Set((f.exp.tied_state_dict_keys as string[][]).flatMap((pair) => pair.slice(1)));
        const got = [...saved.keys()].sort();
        for (const k of got) assert.ok(original.has(k), `savePretrained wrote ${k}, which the Python checkpoint does not have`);
        for (const k of original.keys()) if (!tiedAliases.has(k)) assert.ok(saved.has(k), `savePretrained did not write ${k}`);
        for (const k of got) assert.ok(saved.get(k)!.equal(original.get(k)!), `${k} changed on the round trip`);
        const again = await (MODEL_CLASSES[f.exp.model_class] as any).fromPretrained(dir, { quiet: true, outputLoadingInfo: true });
        assert.deepEqual(again.loadingInfo.missingKeys, []);
        assert.deepEqual(again.loadingInfo.unexpectedKeys, []);
        again.model.dispose();
        disposeAll([[...saved.values()], [...original.values()]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        m.dispose();
      }
    });
  });
}

if (hasShared) test('parity figures (set 2)', () => printFigures());
