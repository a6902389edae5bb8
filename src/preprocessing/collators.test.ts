import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../torch';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';
import { DataCollatorWithPadding, DataCollatorForLanguageModeling, defaultDataCollator } from './collators';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '!', 'the', 'cat', 'sat', 'on', 'mat'];
let tok: PreTrainedTokenizer;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-coll-'));
  writeFileSync(join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', model_max_length: 32 }));
  tok = await AutoTokenizer.fromPretrained(dir);
});

describe('DataCollatorWithPadding', () => {
  test('pads to the longest, renames label to labels, returns tensors', () => {
    const features = [tok('hello world'), tok('the cat sat on the mat')].map((f, i) => ({ ...f, label: i }));
    const collate = new DataCollatorWithPadding({ tokenizer: tok });
    const batch = collate(features);
    assert.deepEqual(Object.keys(batch).sort(), ['attention_mask', 'input_ids', 'labels', 'token_type_ids']);
    assert.deepEqual(batch.input_ids.shape, [2, 8]);
    assert.equal(batch.input_ids.dtype, 'int64');
    assert.deepEqual(batch.input_ids.toArray(), [[2, 5, 6, 3, 0, 0, 0, 0], [2, 8, 9, 10, 11, 8, 12, 3]]);
    assert.deepEqual(batch.attention_mask.toArray(), [[1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]);
    assert.deepEqual(batch.labels.toArray(), [0, 1]);
    assert.equal(batch.labels.dtype, 'int64');
    assert.deepEqual(collate.call(features).input_ids.shape, [2, 8]);
  });

  test('padToMultipleOf, float labels, label_ids', () => {
    const collate = new DataCollatorWithPadding({ tokenizer: tok, padToMultipleOf: 16 });
    const batch = collate([{ input_ids: [2, 5, 3], label: 0.5 }, { input_ids: [2, 3], label: 2 }]);
    assert.deepEqual(batch.input_ids.shape, [2, 16]);
    assert.equal(batch.labels.dtype, 'float32');
    const b2 = new DataCollatorWithPadding({ tokenizer: tok })([{ input_ids: [2, 3], label_ids: 1 }, { input_ids: [2, 5, 3], label_ids: 0 }]);
    assert.deepEqual(b2.labels.toArray(), [1, 0]);
  });

  test('string columns give an error that names them', () => {
    const collate = new DataCollatorWithPadding({ tokenizer: tok });
    assert.throws(() => collate([{ input_ids: [2, 3], sentence: 'hi' }, { input_ids: [2, 3], sentence: 'yo' }]), /column sentence/);
  });
});

describe('defaultDataCollator', () => {
  test('stacks pixel_values as float32 and labels as int64', () => {
    const a = new Float32Array(2 * 2 * 3).fill(0.5), b = new Float32Array(12).fill(-1);
    const batch = defaultDataCollator([{ pixel_values: { data: a, shape: [3, 2, 2] }, label: 1 }, { pixel_values: { data: b, shape: [3, 2, 2] }, label: 0 }]);
    assert.deepEqual(batch.pixel_values.shape, [2, 3, 2, 2]);
    assert.equal(batch.pixel_values.dtype, 'float32');
    assert.deepEqual(batch.labels.toArray(), [1, 0]);
    assert.equal(batch.labels.dtype, 'int64');
  });

  test('Float32Array, nested arrays and tensors', () => {
    assert.deepEqual(defaultDataCollator([{ pixel_values: new Float32Array([1, 2]) }, { pixel_values: new Float32Array([3, 4]) }]).pixel_values.shape, [2, 2]);
    const nested = defaultDataCollator([{ pixel_values: [[1, 2], [3, 4]], label: 0.25 }, { pixel_values: [[5, 6], [7, 8]], label: 1 }]);
    assert.deepEqual(nested.pixel_values.shape, [2, 2, 2]);
    assert.equal(nested.pixel_values.dtype, 'float32');
    assert.equal(nested.labels.dtype, 'float32');
    const t = defaultDataCollator([{ pixel_values: tensor(new Float32Array(6), { shape: [3, 2] }), label: 1, name: 'x' }, { pixel_values: tensor(new Float32Array(6), { shape: [3, 2] }), label: 2, name: 'y' }]);
    assert.deepEqual(t.pixel_values.shape, [2, 3, 2]);
    assert.equal(t.name, undefined);
    assert.throws(() => defaultDataCollator([{ pixel_values: [1, 2] }, { pixel_values: [1, 2, 3] }]), /example 1/);
  });
});

describe('DataCollatorForLanguageModeling', () => {
  const texts = Array.from({ length: 16 }, () => 'the cat sat on the mat hello world the cat sat on the mat');

  test('masks ~15% of non-special tokens, 80/10/10, seeded, -100 elsewhere', () => {
    const features = texts.map((t) => tok(t, { returnSpecialTokensMask: true }));
    const collate = new DataCollatorForLanguageModeling({ tokenizer: tok, seed: 42 });
    let masked = 0, total = 0, asMask = 0, special = 0;
    for (let round = 0; round < 20; round++) {
      const batch = collate(features);
      const ids = batch.input_ids.toArray() as number[][];
      const labels = batch.labels.toArray() as number[][];
      assert.equal(batch.special_tokens_mask, undefined);
      for (let b = 0; b < ids.length; b++) {
        for (let i = 0; i < ids[b].length; i++) {
          const orig = features[b].input_ids[i];
          if (i === 0 || i === ids[b].length - 1) {
            special++;
            assert.equal(labels[b][i], -100);
            assert.equal(ids[b][i], orig);
            continue;
          }
          total++;
          if (labels[b][i] !== -100) {
            masked++;
            assert.equal(labels[b][i], orig);
            if (ids[b][i] === tok.maskTokenId) asMask++;
          } else assert.equal(ids[b][i], orig);
        }
      }
    }
    const rate = masked / total, maskShare = asMask / masked;
    assert.ok(rate > 0.12 && rate < 0.18, `mask rate ${rate}`);
    assert.ok(maskShare > 0.72 && maskShare < 0.88, `[MASK] share ${maskShare}`);
    const again = new DataCollatorForLanguageModeling({ tokenizer: tok, seed: 42 })(features);
    const first = new DataCollatorForLanguageModeling({ tokenizer: tok, seed: 42 })(features);
    assert.deepEqual(again.input_ids.toArray(), first.input_ids.toArray());
  });

  test('pads, never masks padding, and mlm: false gives causal labels', () => {
    const feats = [{ input_ids: [2, 8, 9, 3] }, { input_ids: [2, 5, 3] }];
    const mlm = new DataCollatorForLanguageModeling({ tokenizer: tok, seed: 1, mlmProbability: 1 })(feats);
    assert.deepEqual(mlm.labels.toArray(), [[-100, 8, 9, -100], [-100, 5, -100, -100]]);
    const clm = new DataCollatorForLanguageModeling({ tokenizer: tok, mlm: false })([[2, 8, 9, 3], [2, 5, 3]]);
    assert.deepEqual(clm.labels.toArray(), [[2, 8, 9, 3], [2, 5, 3, -100]]);
    assert.deepEqual(clm.input_ids.toArray(), [[2, 8, 9, 3], [2, 5, 3, 0]]);
  });
});
