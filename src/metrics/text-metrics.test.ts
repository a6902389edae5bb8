// rouge, bleu and sacrebleu against the results evaluate documents for its examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMetric } from './index';
import { tokenize13a } from './text-metrics';

test('rouge: evaluate\'s examples (aggregated and per prediction)', () => {
  const r = loadMetric('rouge');
  assert.deepEqual(r.compute({ predictions: ['hello there', 'general kenobi'], references: ['hello there', 'general kenobi'] }), { rouge1: 1, rouge2: 1, rougeL: 1, rougeLsum: 1 });
  const per = r.compute({ predictions: ['hello goodbye', 'ankh morpork'], references: ['goodbye', 'general kenobi'], useAggregator: false });
  assert.deepEqual(per, { rouge1: [0.6666666666666666, 0], rouge2: [0, 0], rougeL: [0.6666666666666666, 0], rougeLsum: [0.6666666666666666, 0] });
  const multi = r.compute({ predictions: ['the cat sat on the mat'], references: [['a dog', 'the cat sat on a mat']], rougeTypes: ['rouge1', 'rougeL'] });
  assert.ok(Math.abs((multi.rouge1 as number) - 5 / 6) < 1e-12);
  const lsum = r.compute({ predictions: ['the cat\nsat on the mat'], references: ['the cat sat\non the mat'], rougeTypes: ['rougeLsum'] });
  assert.equal(lsum.rougeLsum, 5 / 6); // rouge_score's union LCS: 'sat' is not in the backtracked LCS of 'the cat sat' with 'sat on the mat'
  assert.throws(() => r.compute({ predictions: ['a'], references: ['a', 'b'] }), /Mismatch in the number of predictions/);
});

test('bleu: evaluate\'s example', () => {
  const b = loadMetric('bleu');
  const res = b.compute({ predictions: ['hello there general kenobi', 'foo bar foobar'], references: [['hello there general kenobi', 'hello there !'], ['foo bar foobar']] });
  assert.deepEqual(res, { bleu: 1, precisions: [1, 1, 1, 1], brevity_penalty: 1, length_ratio: 1.1666666666666667, translation_length: 7, reference_length: 6 });
});

test('sacrebleu: evaluate\'s examples and 13a tokenization', () => {
  const s = loadMetric('sacrebleu');
  const a = s.compute({ predictions: ['hello there general kenobi', 'foo bar foobar'], references: [['hello there general kenobi', 'hello there !'], ['foo bar foobar', 'foo bar foobar']] });
  assert.equal(Math.round((a.score as number) * 10) / 10, 100);
  const b = s.compute({ predictions: ['hello there general kenobi', 'on our way to ankh morpork'], references: [['hello there general kenobi', 'hello there !'], ['goodbye ankh morpork', 'ankh morpork']] });
  assert.equal(Math.round((b.score as number) * 10) / 10, 39.8);
  assert.equal(tokenize13a('Hello, world. It costs $3.50 (really)!'), 'Hello , world . It costs $ 3.50 ( really ) !');
  assert.throws(() => s.compute({ predictions: ['a', 'b'], references: [['a'], ['b', 'c']] }), /same number of references/);
});
