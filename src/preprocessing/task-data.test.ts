// NER label alignment, QA features over strided windows and span post-processing, the token and
// multiple-choice collators, on a tiny WordPiece vocabulary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';
import {
  DataCollatorForTokenClassification, DataCollatorForMultipleChoice, tokenizeAndAlignLabels, prepareQaTrainFeatures,
  prepareQaValidationFeatures, postprocessQaPredictions,
} from './collators';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'who', 'what', 'where', 'is', 'a', 'dog', 'in', 'paris', 'lives', 'new', 'york', '.', '?', ','];
let dir: string;
let tok: PreTrainedTokenizer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubtune-taskdata-'));
  writeFileSync(join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, '##s', '##es'].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true }));
  tok = await AutoTokenizer.fromPretrained(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('tokenizeAndAlignLabels: the first sub-token carries the word label; labelAllTokens turns B- into I-; mismatched rows are errors', () => {
  const names = ['O', 'B-LOC', 'I-LOC'];
  const enc = tokenizeAndAlignLabels(tok, [['the', 'cats', 'in', 'New', 'York']], [[0, 0, 0, 1, 2]]);
  // [CLS] the cat ##s in new york [SEP]
  assert.deepEqual(enc.labels, [[-100, 0, 0, -100, 0, 1, 2, -100]]);
  const all = tokenizeAndAlignLabels(tok, [['Paris', 'cats']], [[1, 1]], { labelAllTokens: true, labelNames: names });
  assert.deepEqual(all.labels, [[-100, 1, 1, 2, -100]]);
  assert.throws(() => tokenizeAndAlignLabels(tok, [['a'], ['the', 'cat']], [[0], [0]]), (e: Error) => /row 1: ner_tags has 1 labels but tokens has 2 words/.test(e.message));
});

test('DataCollatorForTokenClassification pads labels with -100; DataCollatorForMultipleChoice regroups choices', () => {
  const c = new DataCollatorForTokenClassification({ tokenizer: tok });
  const b = c([{ input_ids: [2, 5, 3], labels: [-100, 1, -100] }, { input_ids: [2, 5, 6, 7, 3], labels: [-100, 0, 0, 1, -100] }]);
  assert.deepEqual(b.input_ids!.shape, [2, 5]);
  assert.deepEqual(b.labels!.toArray(), [[-100, 1, -100, -100, -100], [-100, 0, 0, 1, -100]]);
  const mc = new DataCollatorForMultipleChoice({ tokenizer: tok });
  const m = mc([
    { input_ids: [[2, 5, 3], [2, 6, 7, 3]], attention_mask: [[1, 1, 1], [1, 1, 1, 1]], label: 1 },
    { input_ids: [[2, 8, 3], [2, 9, 3]], attention_mask: [[1, 1, 1], [1, 1, 1]], label: 0 },
  ]);
  assert.deepEqual(m.input_ids!.shape, [2, 2, 4]);
  assert.deepEqual(m.labels!.toArray(), [1, 0]);
  assert.throws(() => mc([{ input_ids: [[2, 3]], label: 0 }, { input_ids: [[2, 3], [2, 3]], label: 0 }]), /feature 1 has 2 choices but feature 0 has 1/);
});

test('QA train features: strided windows, answer token positions, [CLS] where the window misses the answer; bad answers named', () => {
  const context = 'the cat sat on the mat . a dog sat in paris . the cat lives in new york .';
  const start = context.indexOf('paris');
  const ex = { question: ['where is the dog ?'], context: [context], answers: [{ text: ['paris'], answer_start: [start] }] };
  const f = prepareQaTrainFeatures(tok, ex, { maxLength: 16, docStride: 4 });
  const ids = f.input_ids as number[][];
  assert.ok(ids.length > 1, 'the context is split into windows');
  const found = ids.map((row, i) => [row, f.start_positions![i] as number, f.end_positions![i] as number] as const).filter(([, s]) => s !== 0);
  assert.ok(found.length >= 1);
  for (const [row, s, e] of found) assert.deepEqual(tok.convertIdsToTokens(row.slice(s, e + 1)), ['paris']);
  assert.throws(() => prepareQaTrainFeatures(tok, { ...ex, answers: [{ text: ['london'], answer_start: [start] }] }), /row 0: answers.text\[0\] "london" is not in the context/);
  assert.throws(() => prepareQaTrainFeatures(tok, { question: ['where is the dog ? '.repeat(6)], context: [context], answers: ex.answers }, { maxLength: 16, docStride: 4 }),
    /row 0: the question leaves no room for the context in a window of maxLength 16: shorten the question or raise maxLength/);
});

test('QA post-processing: the best span over the windows, back to the context text; SQuAD v2 null answers', () => {
  const context = 'the cat sat on the mat . a dog sat in paris .';
  const ex = { id: ['q1'], question: ['where is the dog ?'], context: [context] };
  const f = prepareQaValidationFeatures(tok, ex, { maxLength: 14, docStride: 3 });
  const offsets = f.offset_mapping as ([number, number] | null)[][];
  const n = offsets.length;
  // logits peaking on the token of 'paris' in the window that has it
  const start: number[][] = [], end: number[][] = [];
  offsets.forEach((offs) => {
    const k = offs.findIndex((o) => o && context.slice(o[0], o[1]) === 'paris');
    const row = offs.map(() => 0);
    if (k >= 0) row[k] = 5;
    start.push([...row]);
    end.push([...row]);
  });
  const r = postprocessQaPredictions({ id: ex.id, context: ex.context }, { example_id: f.example_id as string[], offset_mapping: offsets }, [start, end]);
  assert.equal(r.predictions.q1, 'paris');
  assert.ok(n >= 1);
  const total = r.nbest.q1!.reduce((s, x) => s + x.probability, 0);
  assert.ok(Math.abs(total - 1) < 1e-9);
  // v2: a strong null score ([CLS]) wins
  const nullStart = start.map((row) => row.map((v, i) => (i === 0 ? 20 : v)));
  const v2 = postprocessQaPredictions({ id: ex.id, context: ex.context }, { example_id: f.example_id as string[], offset_mapping: offsets }, [nullStart, nullStart], { version2WithNegative: true });
  assert.equal(v2.predictions.q1, '');
  assert.ok(v2.scoresDiff.q1! > 0);
});
