// Mixed-precision parity with Python on ../shared/fixtures/hf-reference-2/mixed_precision (skipped
// where absent): the first set's tiny ViT and BERT under torch.autocast("cpu", torch.bfloat16)
// (logits, loss, BERT's hidden states, every fp32 master-weight gradient) and cast entirely to
// bfloat16 (logits, loss), within the README's bf16 tolerance (1e-2 relative: oneDNN's bf16 kernels
// differ between CPUs), on both attention paths.
import { relDiff, record, printFigures, loadFixture, inputsOf, loadFixtureModel, forwardOf as fwd, type Fixture } from './parity-support';
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Tensor, autocast, disposeAll, tidy } from '../torch/index';
import { needsShared, sharedPath } from '../../test/support/shared';
import { MODEL_CLASSES, type PreTrainedModel } from './index';

const BF16_TOL = 1e-2;
const SOURCE = sharedPath('fixtures', 'hf-reference', 'models');
const MIXED = sharedPath('fixtures', 'hf-reference-2', 'mixed_precision');

/** The mixed-precision expectations, with the source model's inputs (ViT's pixel_values live only there). */
function fixtures(name: 'vit' | 'bert'): { src: Fixture; mp: Fixture; inputs: Record<string, Tensor> } {
  const src = loadFixture(join(SOURCE, name), name);
  const mp = loadFixture(join(MIXED, name), `${name}_mixed_precision`);
  return { src, mp, inputs: { ...inputsOf(src), ...inputsOf(mp) } };
}
const lossClose = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));

for (const name of ['vit', 'bert'] as const) {
  describe(`mixed-precision parity: ${name}`, needsShared, () => {
    for (const impl of ['sdpa', 'eager'] as const) {
      test(`bf16 autocast (${impl} attention): logits, loss, hidden states and every fp32 gradient`, async () => {
        const { src, mp, inputs } = fixtures(name);
        const m = await loadFixtureModel(src, impl);
        const wantHidden = [...mp.tensors.keys()].filter((k) => k.startsWith('autocast.hidden_states.')).length;
        const out = autocast('cpu', { dtype: 'bfloat16' }, () => fwd(m, { ...inputs, outputHiddenStates: wantHidden > 0 }));
        assert.equal(out.logits.dtype, mp.exp.autocast.dtypes.logits.replace('torch.', ''));
        assert.equal(out.loss!.dtype, 'float32');
        const d = relDiff(tidy(() => out.logits.float()), mp.tensors.get('autocast.logits')!);
        record(mp.name, `autocast_logits_${impl}`, d);
        assert.ok(d <= BF16_TOL, `autocast logits differ by ${d}`);
        const dl = lossClose(out.loss!.item(), mp.exp.autocast.loss);
        record(mp.name, `autocast_loss_${impl}`, dl);
        assert.ok(dl <= BF16_TOL, `autocast loss ${out.loss!.item()} vs ${mp.exp.autocast.loss}`);
        for (let i = 0; i < wantHidden; i++) {
          const h = out.hiddenStates![i]!;
          assert.equal(h.dtype, mp.exp.autocast.dtypes.hidden_states[i].replace('torch.', ''), `hidden_states.${i} dtype`);
          const dh = relDiff(h, mp.tensors.get(`autocast.hidden_states.${i}`)!);
          record(mp.name, `autocast_hidden_states_${impl}`, dh);
          assert.ok(dh <= BF16_TOL, `autocast hidden_states.${i} differs by ${dh}`);
        }
        out.loss!.backward();
        let checked = 0;
        for (const [pname, p] of m.namedParameters()) {
          const want = mp.tensors.get(`autocast.grad.${pname}`);
          assert.ok(want, `the fixture has no autocast.grad.${pname}`);
          assert.ok(p.grad, `${pname} got no gradient`);
          assert.equal(p.dtype, 'float32', 'master weights stay float32');
          assert.equal(p.grad.dtype, 'float32', `${pname}: gradient in float32`);
          const dg = relDiff(p.grad, want);
          record(mp.name, `autocast_grads_${impl}`, dg);
          assert.ok(dg <= BF16_TOL, `autocast gradient of ${pname} differs by ${dg}`);
          checked++;
        }
        assert.equal(checked, [...mp.tensors.keys()].filter((k) => k.startsWith('autocast.grad.')).length, 'every stored gradient checked');
        disposeAll(out);
        m.dispose();
      });
    }

    test('model cast to bfloat16 (fromPretrained dtype and .to): logits and loss', async () => {
      const { src, mp, inputs } = fixtures(name);
      const C = MODEL_CLASSES[src.exp.model_class] as unknown as { fromPretrained(d: string, o: object): Promise<PreTrainedModel> };
      const loaded = (await C.fromPretrained(src.dir, { quiet: true, dtype: 'bfloat16' })).eval();
      const cast = (await loadFixtureModel(src)).to('bfloat16');
      const bf: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(inputs)) bf[k] = v.dtype === 'float32' ? v.to('bfloat16') : v;
      for (const [how, m] of [['dtype', loaded], ['to', cast]] as const) {
        for (const [pname, p] of m.namedParameters()) assert.equal(p.dtype, 'bfloat16', `${pname} (${how})`);
        const out = fwd(m, bf);
        assert.equal(out.logits.dtype, mp.exp.bf16_model.logits_dtype.replace('torch.', ''));
        const d = relDiff(tidy(() => out.logits.float()), mp.tensors.get('bf16_model.logits')!);
        record(mp.name, `bf16_model_logits_${how}`, d);
        assert.ok(d <= BF16_TOL, `bf16 model logits (${how}) differ by ${d}`);
        const dl = lossClose(out.loss!.item(), mp.exp.bf16_model.loss);
        record(mp.name, `bf16_model_loss_${how}`, dl);
        assert.ok(dl <= BF16_TOL, `bf16 model loss (${how}) ${out.loss!.item()} vs ${mp.exp.bf16_model.loss}`);
        disposeAll(out);
        m.dispose();
      }
    });
  });
}
after(printFigures);
