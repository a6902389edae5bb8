// Parity of the generative families (GPT-2, Llama, T5, BART) with transformers 4.29.2 on the
// fixtures of ../shared/fixtures/hf-reference-2/models: forward outputs, gradients, 3 AdamW steps,
// logits with and without the KV cache, greedy and beam-search ids and scores.
import {
  relDiff, maxDiff, maxAbs, record, printFigures, loadFixture, inputsOf, loadFixtureModel, forwardOf,
  checkGradients, checkTrainingSteps, expectClose, type Fixture,
} from './parity-support';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Tensor, tidy, disposeAll, stack, tensor } from '../torch/index';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import type { PreTrainedModel } from './index';
import type { GenerateDictOutput, GenerateFunction } from '../generation/index';

const DIR = sharedPath('fixtures', 'hf-reference-2', 'models');
const fixture = (name: string): Fixture => loadFixture(join(DIR, name), name);
type GenModel = PreTrainedModel & { generate: GenerateFunction };

for (const name of ['gpt2', 'llama']) {
  describe(`parity: ${name}`, needsShared, () => {
    test('logits, loss, hidden states, attentions (eager and fused attention)', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f);
      const out = forwardOf(m, { ...inputsOf(f), outputHiddenStates: true, outputAttentions: true });
      expectClose(name, 'logits', out.logits, f.tensors.get('logits'), 1e-5);
      const dl = Math.abs(out.loss!.item() - f.exp.loss) / Math.max(1, Math.abs(f.exp.loss));
      record(name, 'loss', dl);
      assert.ok(dl <= 1e-5, `loss ${out.loss!.item()} vs ${f.exp.loss}`);
      out.hiddenStates!.forEach((h, i) => expectClose(name, 'hidden_states', h, f.tensors.get(`hidden_states.${i}`), 1e-5, `hidden_states.${i}`));
      assert.equal(out.hiddenStates!.length, Object.keys(f.exp.output_keys).filter((k) => k.startsWith('hidden_states.')).length);
      out.attentions!.forEach((a, i) => expectClose(name, 'attentions', a, f.tensors.get(`attentions.${i}`), 1e-5, `attentions.${i}`));
      const fused = forwardOf(m, inputsOf(f));
      expectClose(name, 'logits_fused', fused.logits, f.tensors.get('logits'), 1e-5, 'fused-attention logits');
      disposeAll([out, fused]);
      m.dispose();
    });

    test('padding: each sequence alone equals its row of the padded batch', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f);
      const inputs = inputsOf(f);
      const padded = forwardOf(m, inputs).logits;
      for (const c of f.exp.attention_mask_checks.per_sequence_unpadded) {
        const single = tidy(() => forwardOf(m, {
          input_ids: inputs.input_ids!.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length),
          attention_mask: inputs.attention_mask!.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length),
        }).logits);
        expectClose(name, 'logits_single', single, f.tensors.get(`logits_single.${c.index}`), 1e-5, `sequence ${c.index} alone`);
        const row = tidy(() => padded.narrow(0, c.index, 1).narrow(1, 0, c.unpadded_length));
        assert.ok(maxDiff(single, row) <= 1e-5 * Math.max(1, maxAbs(row)), `sequence ${c.index}: unpadded vs padded row`);
        disposeAll([single, row]);
      }
      padded.dispose();
      m.dispose();
    });

    test('gradients after loss.backward() (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await loadFixtureModel(f, 'eager');
      const out = forwardOf(m, inputsOf(f));
      out.loss!.backward();
      const n = checkGradients(t, f, m.namedParameters());
      assert.equal(n, Object.keys(f.exp.state_dict_keys).filter((k) => !/(masked_bias|inv_freq)$/.test(k) && !(name === 'gpt2' && k === 'lm_head.weight')).length);
      disposeAll(out);
      m.dispose();
    });

    test('3 training steps: AdamW with the Trainer groups, linear warmup, clip 1.0 (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await loadFixtureModel(f, 'eager');
      checkTrainingSteps(t, f, m);
      m.dispose();
    });

    test('greedy generation: the same ids, and the same scores with and without the KV cache', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f) as GenModel;
      const g = f.exp.generation;
      const input = { inputIds: f.tensors.get('gen.input_ids')!, attentionMask: f.tensors.get('gen.attention_mask')! };
      for (const useCache of [true, false]) {
        const out = await m.generate({ ...input, maxNewTokens: g.max_new_tokens, doSample: false, numBeams: 1, outputScores: true, returnDictInGenerate: true, padTokenId: 556, eosTokenId: 556, useCache });
        assert.deepEqual(out.sequences.toArray(), g.greedy.sequences, `greedy ids (useCache ${useCache})`);
        const scores = tidy(() => stack(out.scores!, 0));
        expectClose(name, `greedy_scores_cache_${useCache}`, scores, f.tensors.get(`gen.greedy.scores.use_cache_${useCache}`), 1e-5, `greedy scores (useCache ${useCache})`);
        disposeAll([out, scores]);
      }
      m.dispose();
    });

    test('beam search (num_beams 3): the same ids, sequence scores and beam indices', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f) as GenModel;
      const g = f.exp.generation;
      const input = { inputIds: f.tensors.get('gen.input_ids')!, attentionMask: f.tensors.get('gen.attention_mask')! };
      for (const useCache of [true, false]) {
        const out: GenerateDictOutput = await m.generate({ ...input, maxNewTokens: g.max_new_tokens, numBeams: 3, outputScores: true, returnDictInGenerate: true, padTokenId: 556, eosTokenId: 556, useCache });
        assert.deepEqual(out.sequences.toArray(), g.beam.sequences, `beam ids (useCache ${useCache})`);
        const d = relDiff(out.sequencesScores!, f.tensors.get('gen.beam.sequences_scores')!);
        record(name, 'beam_sequences_scores', d);
        assert.ok(d <= 1e-5, `sequences_scores differ by ${d}`);
        assert.deepEqual(out.beamIndices!.toArray(), g.beam.beam_indices);
        disposeAll(out);
      }
      m.dispose();
    });

    test('the KV cache has transformers\' shapes', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f);
      const out = m.forward({ inputIds: f.tensors.get('gen.input_ids')!, attentionMask: f.tensors.get('gen.attention_mask')!, useCache: true }) as { logits: Tensor; pastKeyValues?: { toLegacy(): [Tensor, Tensor][]; dispose(): void } };
      assert.deepEqual(out.pastKeyValues!.toLegacy().map(([k, v]) => [k.shape, v.shape]), f.exp.generation.past_key_values_shapes);
      out.pastKeyValues!.dispose();
      out.logits.dispose();
      m.dispose();
      void tensor;
    });
  });
}

if (hasShared) test('parity figures (generation)', () => printFigures());
