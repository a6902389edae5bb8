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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
      assert.deepEqual(m.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
      out.pastKeyValues!.dispose();
      out.logits.dispose();
      m.dispose();
      void tensor;
    });
  });
}

for (const name of ['t5', 'bart']) {
  describe(`parity: ${name}`, needsShared, () => {
    test('logits, loss, encoder and decoder hidden states and attentions, cross-attentions', async () => {
      const f = fixture(name);
      for (const impl of ['eager', 'sdpa'] as const) {
        const m = await loadFixtureModel(f, impl);
        const withWeights = impl === 'eager';
        const out = m.forward({ ...inputsOf(f), outputHiddenStates: withWeights, outputAttentions: withWeights }) as unknown as Record<string, any>;
        expectClose(name, `logits_${impl}`, out.logits, f.tensors.get('logits'), 1e-5);
        const dl = Math.abs(out.loss.item() - f.exp.loss) / Math.max(1, Math.abs(f.exp.loss));
        record(name, 'loss', dl);
        assert.ok(dl <= 1e-5, `loss ${out.loss.item()} vs ${f.exp.loss}`);
        expectClose(name, 'encoder_last_hidden_state', out.encoderLastHiddenState, f.tensors.get('encoder_last_hidden_state'), 1e-5);
        if (withWeights) {
          const lists: [string, Tensor[]][] = [['decoder_hidden_states', out.decoderHiddenStates], ['decoder_attentions', out.decoderAttentions], ['cross_attentions', out.crossAttentions],
            ['encoder_hidden_states', out.encoderHiddenStates], ['encoder_attentions', out.encoderAttentions]];
          for (const [key, list] of lists) {
            const want = Object.keys(f.exp.output_keys).filter((k) => k.startsWith(`${key}.`)).length;
            assert.equal(list?.length, want, `${key}: ${list?.length} tensors, want ${want}`);
            list.forEach((t, i) => expectClose(name, key, t, f.tensors.get(`${key}.${i}`), 1e-5, `${key}.${i}`));
          }
        }
        disposeAll(out);
        m.dispose();
      }
    });

    test('gradients after loss.backward() (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await loadFixtureModel(f, 'eager');
      const out = forwardOf(m, inputsOf(f));
      out.loss!.backward();
      const n = checkGradients(t, f, m.namedParameters());
      assert.equal(n, f.exp.optimizer.param_groups.reduce((a: number, g: any) => a + g.params.length, 0));
      disposeAll(out);
      m.dispose();
    });

    test('3 training steps: AdamW with the Trainer groups, linear warmup, clip 1.0 (eager attention)', async (t) => {
      const f = fixture(name);
      const m = await loadFixtureModel(f, 'eager');
      checkTrainingSteps(t, f, m);
      m.dispose();
    });

    test('greedy generation: the same ids, and the same scores with and without the cache', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f) as GenModel;
      const g = f.exp.generation;
      const input = { inputIds: f.tensors.get('input.input_ids')!, attentionMask: f.tensors.get('input.attention_mask')! };
      for (const useCache of [true, false]) {
        const out = await m.generate({ ...input, maxNewTokens: 12, outputScores: true, returnDictInGenerate: true, useCache });
        assert.deepEqual(out.sequences.toArray(), g.sequences, `greedy ids (useCache ${useCache})`);
        const scores = tidy(() => stack(out.scores!, 0));
        const want = f.tensors.get(`gen.greedy.scores.use_cache_${useCache}`)!;
        // -inf (ForcedEOS) where Python has -inf
        const finite = tidy(() => want.isfinite());
        assert.ok(tidy(() => scores.isfinite().eq(finite).all().item()), 'the -inf scores are where Python has them');
        const d = tidy(() => scores.sub(want).maskedFill(finite.logicalNot(), 0).abs().max().item() / Math.max(1, want.maskedFill(finite.logicalNot(), 0).abs().max().item()));
        record(name, `greedy_scores_cache_${useCache}`, d);
        assert.ok(d <= 1e-5, `scores differ by ${d}`);
        disposeAll([out, scores, finite]);
      }
      m.dispose();
    });

    test('loading reports no missing or unexpected keys; save and reload keep the outputs and generation_config.json', async () => {
      const f = fixture(name);
      const m = await loadFixtureModel(f);
      assert.deepEqual(m.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
      const dir = mkdtempSync(join(tmpdir(), `hubtune-${name}-`));
      try {
        const { files } = m.savePretrained(dir);
        assert.ok(files.includes('generation_config.json'));
        assert.deepEqual(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')), JSON.parse(readFileSync(join(f.dir, 'generation_config.json'), 'utf8')));
        const again = await loadFixtureModel(f, 'sdpa', dir);
        assert.deepEqual(again.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
        const a = forwardOf(m, inputsOf(f)).logits;
        const b = forwardOf(again, inputsOf(f)).logits;
        assert.ok(a.equal(b), 'the reloaded model gives the same logits');
        disposeAll([a, b]);
        again.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      m.dispose();
    });
  });
}

if (hasShared) test('parity figures (generation)', () => printFigures());
