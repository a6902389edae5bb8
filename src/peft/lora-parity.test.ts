// LoRA adapters saved by real PEFT 0.4 (../shared/fixtures/hf-reference-2/lora): they load, give
// PEFT's logits (adapter on, off, merged), LoRA-only gradients and AdamW steps, and save back in
// PEFT's format (the same keys and tensors, the same adapter_config.json).
import {
  record, printFigures, loadFixture, inputsOf, forwardOf, checkGradients, checkTrainingSteps, expectClose, relDiff, type Fixture,
} from '../models/parity-support';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { disposeAll, loadSafetensors, tidy } from '../torch/index';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { MODEL_CLASSES, decayParameterGroups, type PreTrainedModel } from '../models/index';
import { PeftModel } from './index';

const LORA = sharedPath('fixtures', 'hf-reference-2', 'lora');
const CASES = { llama: join(sharedPath('fixtures', 'hf-reference-2', 'models'), 'llama'), bert_cls: sharedPath('fixtures', 'hf-reference', 'models', 'bert') };

async function base(f: Fixture, impl: 'sdpa' | 'eager' = 'sdpa'): Promise<PreTrainedModel> {
  const C = MODEL_CLASSES[f.exp.base_model.class]!;
  const m = await (C as any).fromPretrained(CASES[f.name as keyof typeof CASES], { quiet: true, attnImplementation: impl }) as PreTrainedModel;
  return m.eval();
}
/** PEFT 0.4 names a parameter with the adapter: lora_A.default.weight, modules_to_save.default.weight. */
const peftName = (n: string) => n;

for (const name of ['llama', 'bert_cls'] as const) {
  describe(`PEFT adapter: ${name}`, needsShared, () => {
    test('loads onto the base model: logits with the adapter, without it, and merged', async () => {
      const f = loadFixture(join(LORA, name), name);
      const pm = await PeftModel.fromPretrained(await base(f), f.dir);
      const inputs = inputsOf(f);
      const out = forwardOf(pm as never, inputs);
      expectClose(name, 'lora_logits', out.logits, f.tensors.get('logits'), 1e-5, 'logits with the adapter');
      const dl = Math.abs(out.loss!.item() - f.exp.loss);
      record(name, 'lora_loss', dl);
      assert.ok(dl <= 1e-5 * Math.max(1, f.exp.loss), `loss ${out.loss!.item()} vs ${f.exp.loss}`);
      const off = pm.disableAdapter(() => forwardOf(pm as never, inputs));
      const wantOff = f.tensors.get('logits_adapter_disabled') ?? loadSafetensors(join(CASES.llama, 'expected.safetensors')).tensors.get('logits');
      expectClose(name, 'lora_logits_disabled', off.logits, wantOff, 1e-5, 'logits with the adapter disabled');
      assert.ok(Math.abs(off.loss!.item() - f.exp.loss_adapter_disabled) <= 1e-5 * Math.max(1, f.exp.loss_adapter_disabled));
      // the adapter is back on after disableAdapter
      const again = forwardOf(pm as never, inputs);
      assert.ok(again.logits.equal(out.logits));
      assert.equal(pm.getNbTrainableParameters()[0], 0, 'loaded for inference: nothing trains');
      const merged = pm.mergeAndUnload();
      const mergedOut = forwardOf(merged, inputs);
      expectClose(name, 'lora_logits_merged', mergedOut.logits, f.tensors.get('logits_merged'), 1e-5, 'logits of the merged model');
      const want = loadSafetensors(join(f.dir, 'merged.safetensors')).tensors;
      const sd = merged.stateDict();
      for (const [k, t] of want) {
        const got = sd.get(k);
        if (!got) { assert.ok(/rotary_emb\.inv_freq$|position_ids$/.test(k), `merged model lacks ${k}`); continue; }
        const d = relDiff(got, t);
        record(name, 'merged_weights', d);
        assert.ok(d <= 1e-6, `merged ${k} differs by ${d}`);
      }
      assert.ok(![...sd.keys()].some((k) => k.includes('lora_') || k.includes('modules_to_save') || k.includes('original_module')), 'no adapter modules left after merge');
      disposeAll([out, off, again, mergedOut, [...want.values()]]);
      merged.dispose();
    });

    test('trains: LoRA-only gradients and 3 AdamW steps as PEFT + the Trainer groups', async (t) => {
      const f = loadFixture(join(LORA, name), name);
      const pm = await PeftModel.fromPretrained(await base(f, 'eager'), f.dir, { isTrainable: true });
      const trainable = pm.namedParameters().filter(([, p]) => p.requiresGrad);
      // PEFT 0.4 also left the unused original classifier trainable (it never gets a gradient); PEFT >= 0.5 freezes it, as hubtune does
      const wantTrainable = (f.exp.trainable_params as string[]).filter((n) => !n.includes('.original_module.'));
      assert.deepEqual(trainable.map(([n]) => n), wantTrainable);
      const out = forwardOf(pm as never, inputsOf(f));
      out.loss!.backward();
      const n = checkGradients(t, f, trainable, { expectedName: peftName });
      assert.equal(n, wantTrainable.length);
      disposeAll(out);
      pm.zeroGrad();
      const groups = decayParameterGroups(pm, f.exp.optimizer.param_groups[0].weight_decay);
      const strip = (l: string[]) => l.filter((x) => !x.includes('.original_module.'));
      assert.deepEqual(groups.decay.map((x) => x[0]), strip(f.exp.optimizer.param_groups[0].params));
      assert.deepEqual(groups.noDecay.map((x) => x[0]), strip(f.exp.optimizer.param_groups[1].params));
      const byName = new Map(pm.namedParameters());
      checkTrainingSteps(t, f, pm as never, { groups: groups.groups, paramFor: (k) => byName.get(k) });
      pm.model.dispose();
    });

    test('saves back in PEFT\'s format: the same keys, tensors and adapter_config.json', async () => {
      const f = loadFixture(join(LORA, name), name);
      const pm = await PeftModel.fromPretrained(await base(f), f.dir);
      const dir = mkdtempSync(join(tmpdir(), `hubtune-lora-${name}-`));
      try {
        pm.savePretrained(dir);
        const got = loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
        const want = loadSafetensors(join(f.dir, 'adapter_model.safetensors')).tensors;
        assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
        for (const [k, t] of want) assert.ok(got.get(k)!.equal(t), `${k} differs`);
        assert.deepEqual(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')), JSON.parse(readFileSync(join(f.dir, 'adapter_config.json'), 'utf8')));
        disposeAll([[...got.values()], [...want.values()]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      pm.model.dispose();
      void tidy;
    });
  });
}

if (hasShared) test('parity figures (LoRA)', () => printFigures());
