// Every task head of every text family: Auto classes pick them, shapes and losses, save/load both
// ways, bad inputs. Tiny random models (the fixture parity is in parity-set2.test.ts).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, tensor, disposeAll, type Tensor } from '../torch/index';
import {
  AutoConfig, AutoModelForTokenClassification, AutoModelForQuestionAnswering, AutoModelForMultipleChoice, AutoModelForMaskedLM,
  AutoModelForSequenceClassification, AutoModel, ElectraForPreTraining, type PreTrainedModel,
} from './index';

const SMALL = { hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 24, vocab_size: 50, max_position_embeddings: 40 };
const CONFIGS: Record<string, Record<string, unknown>> = {
  bert: { model_type: 'bert', ...SMALL },
  roberta: { model_type: 'roberta', ...SMALL },
  'xlm-roberta': { model_type: 'xlm-roberta', ...SMALL },
  camembert: { model_type: 'camembert', ...SMALL },
  distilbert: { model_type: 'distilbert', dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 24, vocab_size: 50, max_position_embeddings: 40 },
  albert: { model_type: 'albert', ...SMALL, embedding_size: 8, num_hidden_layers: 3, num_hidden_groups: 1, inner_group_num: 2 },
  electra: { model_type: 'electra', ...SMALL, embedding_size: 8 },
  'deberta-v2': {
    model_type: 'deberta-v2', ...SMALL, relative_attention: true, pos_att_type: 'p2c|c2p', position_buckets: 8, share_att_key: false,
    norm_rel_ebd: 'layer_norm', conv_kernel_size: 3, type_vocab_size: 2, position_biased_input: true,
  },
};
const ids = () => tensor([[2, 5, 6, 7, 3, 0], [2, 8, 9, 3, 0, 0]], { dtype: 'int64' });
const mask = () => tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], { dtype: 'int64' });

function roundTrip(m: PreTrainedModel, load: (dir: string) => Promise<PreTrainedModel>, inputs: Record<string, unknown>, key: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-heads-'));
  m.eval();
  const before = (m.forward(inputs) as any)[key] as Tensor;
  m.savePretrained(dir);
  return load(dir).then((again) => {
    const after = (again.forward(inputs) as any)[key] as Tensor;
    assert.ok(before.allclose(after, 0, 0), `${m.constructor.name}: ${key} changed after save/load`);
    disposeAll([before, after]);
    again.dispose();
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

for (const [type, json] of Object.entries(CONFIGS)) {
  describe(`${type} heads`, () => {
    test('token classification: logits [B, L, numLabels], loss ignores -100, save/load', async () => {
      manualSeed(0);
      const cfg = AutoConfig.fromDict({ ...json, num_labels: 5 });
      const m = AutoModelForTokenClassification.fromConfig(cfg);
      assert.match(m.constructor.name, /ForTokenClassification$/);
      const labels = tensor([[-100, 1, 2, 3, -100, -100], [-100, 4, 0, -100, -100, -100]], { dtype: 'int64' });
      const out = m.forward({ inputIds: ids(), attentionMask: mask(), labels });
      assert.deepEqual(out.logits.shape, [2, 6, 5]);
      assert.ok(Number.isFinite(out.loss!.item()));
      assert.throws(() => m.forward({ inputIds: ids(), labels: tensor([[1, 2]], { dtype: 'int64' }) }), /one label per token/);
      await roundTrip(m, (d) => AutoModelForTokenClassification.fromPretrained(d, { quiet: true }), { inputIds: ids(), attentionMask: mask() }, 'logits');
      m.dispose();
    });

    test('question answering: start/end logits [B, L]; positions past the end are ignored', async () => {
      manualSeed(1);
      const m = AutoModelForQuestionAnswering.fromConfig(AutoConfig.fromDict(json));
      const out = m.forward({ inputIds: ids(), attentionMask: mask(), startPositions: tensor([1, 2], { dtype: 'int64' }), endPositions: tensor([3, 99], { dtype: 'int64' }) });
      assert.deepEqual(out.startLogits.shape, [2, 6]);
      assert.deepEqual(out.endLogits.shape, [2, 6]);
      assert.ok(Number.isFinite(out.loss!.item()));
      assert.throws(() => m.forward({ inputIds: ids(), startPositions: tensor([1, 2], { dtype: 'int64' }) }), /both startPositions and endPositions/);
      await roundTrip(m, (d) => AutoModelForQuestionAnswering.fromPretrained(d, { quiet: true }), { inputIds: ids(), attentionMask: mask() }, 'startLogits');
      m.dispose();
    });

    test('multiple choice: inputs [B, C, L] -> logits [B, C]; 2-D inputs refused', async () => {
      manualSeed(2);
      const m = AutoModelForMultipleChoice.fromConfig(AutoConfig.fromDict(json));
      const three = tensor([[[2, 5, 6, 3], [2, 7, 3, 0], [2, 8, 9, 3]], [[2, 5, 3, 0], [2, 6, 7, 3], [2, 9, 3, 0]]], { dtype: 'int64' });
      const threeMask = tensor([[[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]], [[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 0]]], { dtype: 'int64' });
      const out = m.forward({ inputIds: three, attentionMask: threeMask, labels: tensor([2, 0], { dtype: 'int64' }) });
      assert.deepEqual(out.logits.shape, [2, 3]);
      assert.ok(Number.isFinite(out.loss!.item()));
      assert.throws(() => m.forward({ inputIds: ids() }), /\[batch, choices, sequence\]/);
      await roundTrip(m, (d) => AutoModelForMultipleChoice.fromPretrained(d, { quiet: true }), { inputIds: three, attentionMask: threeMask }, 'logits');
      m.dispose();
    });

    test('masked LM and sequence classification load by model_type; the backbone gives [B, L, H]', () => {
      manualSeed(3);
      const cfg = AutoConfig.fromDict(json);
      for (const M of [AutoModelForMaskedLM, AutoModelForSequenceClassification]) {
        const m = M.fromConfig(cfg);
        const out = m.forward({ inputIds: ids(), attentionMask: mask() });
        assert.equal(out.logits.shape[0], 2);
        m.dispose();
      }
      const base = AutoModel.fromConfig(cfg);
      const h = base.forward({ inputIds: ids(), attentionMask: mask() }) as any;
      assert.deepEqual(h.lastHiddenState.shape, [2, 6, 16]);
      base.dispose();
    });
  });
}

test('ELECTRA discriminator: one logit per token, BCE over the attended tokens', () => {
  manualSeed(4);
  const m = ElectraForPreTraining.fromConfig(AutoConfig.fromDict(CONFIGS.electra!));
  const out = m.forward({ inputIds: ids(), attentionMask: mask(), labels: tensor([[0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0]], { dtype: 'int64' }) });
  assert.deepEqual(out.logits.shape, [2, 6]);
  assert.ok(out.loss!.item() > 0);
  m.dispose();
});

test('a label list that does not match num_labels is a one-line error naming the fields', () => {
  assert.throws(() => AutoConfig.fromDict({ ...CONFIGS.bert, num_labels: 3, id2label: { 0: 'O', 1: 'B-PER' } }), /num_labels is 3 but id2label has 2 entries/);
  assert.throws(() => AutoConfig.fromDict({ ...CONFIGS.albert, num_hidden_layers: 3, num_hidden_groups: 2 }), /num_hidden_layers \(3\) is not a multiple of num_hidden_groups \(2\)/);
  assert.throws(() => AutoConfig.fromDict({ ...CONFIGS['deberta-v2'], pos_att_type: ['c2p', 'x'] }), /pos_att_type entry 'x'/);
});
