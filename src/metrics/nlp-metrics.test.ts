// seqeval, squad and squad_v2 against values computed by hand from evaluate's published formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMetric, seqeval, getEntities, normalizeAnswer } from './index';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('seqeval (default mode): the README example of evaluate', () => {
  const predictions = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const references = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const r = loadMetric('seqeval').compute({ predictions, references });
  // MISC: predicted [2,5], true [3,5] -> tp 0; PER: tp 1 of 1
  assert.deepEqual(Object.keys(r), ['MISC', 'PER', 'overall_precision', 'overall_recall', 'overall_f1', 'overall_accuracy']);
  assert.deepEqual(r.MISC, { precision: 0, recall: 0, f1: 0, number: 1 });
  assert.deepEqual(r.PER, { precision: 1, recall: 1, f1: 1, number: 1 });
  close(r.overall_precision as number, 0.5);
  close(r.overall_recall as number, 0.5);
  close(r.overall_f1 as number, 0.5);
  close(r.overall_accuracy as number, 0.8);
});

test('seqeval: lenient chunks (I- starts an entity), strict IOB2 drops them; IOBES, IOE2, IOB1', () => {
  assert.deepEqual(getEntities([['I-PER', 'I-PER', 'O', 'B-LOC', 'I-ORG']]), [['PER', 0, 1], ['LOC', 3, 3], ['ORG', 4, 4]]);
  const refs = [['B-PER', 'I-PER', 'O', 'B-LOC']];
  const preds = [['I-PER', 'I-PER', 'O', 'B-LOC']];
  close(seqeval(preds, refs).overall_f1 as number, 1);
  // strict IOB2: the prediction's I-PER start is no entity: tp 1 (LOC), predicted 1, true 2 -> p 1, r 0.5, f1 2/3
  const strict = seqeval(preds, refs, { mode: 'strict', scheme: 'IOB2' });
  close(strict.overall_precision as number, 1);
  close(strict.overall_recall as number, 0.5);
  close(strict.overall_f1 as number, 2 / 3);
  assert.deepEqual(strict.PER, { precision: 0, recall: 0, f1: 0, number: 1 });
  // IOBES: S- singletons, B- ... E- spans
  const b = seqeval([['S-PER', 'O', 'B-LOC', 'E-LOC']], [['S-PER', 'O', 'B-LOC', 'E-LOC']], { mode: 'strict', scheme: 'IOBES' });
  close(b.overall_f1 as number, 1);
  const e = seqeval([['I-PER', 'E-PER', 'E-LOC']], [['I-PER', 'E-PER', 'O']], { mode: 'strict', scheme: 'IOE2' });
  close(e.overall_precision as number, 1 / 2);
  close(e.overall_recall as number, 1);
  // IOB1: B- only between two same-type entities
  const i1 = seqeval([['I-PER', 'B-PER', 'O']], [['I-PER', 'B-PER', 'O']], { mode: 'strict', scheme: 'IOB1' });
  assert.equal((i1.PER as any).number, 2);
  assert.throws(() => seqeval([['X-PER']], [['B-PER']], { mode: 'strict' }), /no I\/O\/B\/E\/S\/U\/L prefix/);
  assert.throws(() => seqeval([['O']], [['O', 'O']]), /row 0: predictions has 1 tags but references 2/);
});

test('squad: exact match and F1 over normalised answers (v1.1 script)', () => {
  assert.equal(normalizeAnswer('The  Quick, brown fox!'), 'quick brown fox');
  const m = loadMetric('squad');
  const r = m.compute({
    predictions: [{ id: 'q1', prediction_text: 'the brown fox' }, { id: 'q2', prediction_text: 'red car' }],
    references: [{ id: 'q1', answers: { text: ['Brown fox', 'fox'], answer_start: [0, 6] } }, { id: 'q2', answers: { text: ['a red sports car'], answer_start: [0] } }],
  });
  // q1: exact (brown fox == brown fox) 1, f1 1; q2: pred [red, car], gold [red, sports, car]: p 1, r 2/3, f1 0.8
  close(r.exact_match, 50);
  close(r.f1, 90);
});

test('squad_v2: unanswerable questions, the threshold, HasAns/NoAns and best thresholds (v2.0 script)', () => {
  const r = loadMetric('squad_v2').compute({
    predictions: [
      { id: 'a', prediction_text: 'brown fox', no_answer_probability: 0.1 },
      { id: 'b', prediction_text: '', no_answer_probability: 0.9 },
      { id: 'c', prediction_text: 'something', no_answer_probability: 0.3 },
    ],
    references: [
      { id: 'a', answers: { text: ['the brown fox'], answer_start: [0] } },
      { id: 'b', answers: { text: [], answer_start: [] } },
      { id: 'c', answers: { text: [], answer_start: [] } },
    ],
  });
  // raw exact: a 1, b 1 (empty vs empty), c 0; f1 the same
  close(r.exact, 200 / 3);
  close(r.f1, 200 / 3);
  assert.equal(r.total, 3);
  close(r.HasAns_exact, 100);
  assert.equal(r.HasAns_total, 1);
  close(r.NoAns_exact, 50);
  assert.equal(r.NoAns_total, 2);
  // best threshold: start at 2 (no-answer count); sorted by na prob a(0.1)+1=3, c(0.3) pred non-empty -1=2, b(0.9) 0 -> best 3 at 0.1
  close(r.best_exact, 100);
  close(r.best_exact_thresh, 0.1);
  close(r.best_f1, 100);
  assert.deepEqual(Object.keys(r), ['exact', 'f1', 'total', 'HasAns_exact', 'HasAns_f1', 'HasAns_total', 'NoAns_exact', 'NoAns_f1', 'NoAns_total', 'best_exact', 'best_exact_thresh', 'best_f1', 'best_f1_thresh']);
  assert.throws(() => loadMetric('squad_v2').compute({ predictions: [{ id: 'a', prediction_text: 'x' }], references: [{ id: 'a', answers: { text: ['x'] } }] }), /predictions\[0\] needs no_answer_probability/);
});
