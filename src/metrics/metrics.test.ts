import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadMetric, listMetrics, combine, precisionRecallFscoreSupport, MetricError, type Average } from './index';
import { needsShared, sharedPath } from '../../test/support/shared';

function close(actual: unknown, expected: number, msg = '', rel = 1e-12): void {
  assert.equal(typeof actual, 'number', `${msg}: got ${JSON.stringify(actual)}`);
  const a = actual as number;
  assert.ok(a === expected || Math.abs(a - expected) <= rel * Math.abs(expected), `${msg}: got ${a}, expected ${expected}`);
}

const quiet = { onWarning: () => {} };

function collect(): { warnings: string[]; onWarning: (m: string) => void } {
  const warnings: string[] = [];
  return { warnings, onWarning: (m: string) => warnings.push(m) };
}

describe('metrics: evaluate docstring examples', () => {
  test('f1', () => {
    const f1 = loadMetric('f1');
    assert.deepEqual(f1.compute({ references: [0, 1, 0, 1, 0], predictions: [0, 0, 1, 1, 0] }), { f1: 0.5 });
    close(f1.compute({ references: [0, 1, 0, 1, 0], predictions: [0, 0, 1, 1, 0], posLabel: 0 }).f1, 2 / 3, 'pos_label 0');
    const w = f1.compute({ references: [0, 1, 0, 1, 0], predictions: [0, 0, 1, 1, 0], sampleWeight: [0.9, 0.5, 3.9, 1.2, 0.3] }).f1 as number;
    assert.equal(Math.round(w * 100) / 100, 0.35);
    const predictions = [0, 2, 1, 0, 0, 1];
    const references = [0, 1, 2, 0, 1, 2];
    close(f1.compute({ predictions, references, average: 'macro' }).f1, 0.26666666666666666, 'macro');
    close(f1.compute({ predictions, references, average: 'micro' }).f1, 0.3333333333333333, 'micro');
    close(f1.compute({ predictions, references, average: 'weighted' }).f1, 0.26666666666666666, 'weighted');
    assert.deepEqual(f1.compute({ predictions, references, average: null }), { f1: [0.8, 0, 0] });
  });
  test('precision and recall', () => {
    const p = loadMetric('precision');
    assert.deepEqual(p.compute({ references: [0, 1, 0, 1, 0], predictions: [0, 0, 1, 1, 0], sampleWeight: [0.9, 0.5, 3.9, 1.2, 0.3] }), { precision: 0.23529411764705882 });
    const predictions = [0, 2, 1, 0, 0, 1];
    const references = [0, 1, 2, 0, 1, 2];
    assert.deepEqual(p.compute({ predictions, references, average: 'macro' }), { precision: 0.2222222222222222 });
    assert.deepEqual(p.compute({ predictions, references, average: 'micro' }), { precision: 0.3333333333333333 });
    assert.deepEqual(p.compute({ predictions, references, average: 'weighted' }), { precision: 0.2222222222222222 });
    const per = p.compute({ predictions, references, average: null }).precision as number[];
    assert.deepEqual(per.map((x) => Math.round(x * 100) / 100), [0.67, 0, 0]);
    const r = loadMetric('recall');
    assert.deepEqual(r.compute({ references: [0, 0, 1, 1, 1], predictions: [0, 1, 0, 1, 1] }), { recall: 0.6666666666666666 });
    assert.deepEqual(r.compute({ references: [0, 1, 2, 0, 1, 2], predictions: [0, 2, 1, 0, 0, 1], average: null, labels: [1, 0] }), { recall: [0, 1] });
  });
  test('accuracy and matthews_correlation', () => {
    assert.deepEqual(loadMetric('accuracy').compute({ references: [0, 1, 2, 0, 1, 2], predictions: [0, 1, 1, 2, 1, 0] }), { accuracy: 0.5 });
    assert.deepEqual(loadMetric('accuracy').compute({ references: [0, 1, 2, 0, 1, 2], predictions: [0, 1, 1, 2, 1, 0], normalize: false }), { accuracy: 3 });
    assert.deepEqual(loadMetric('accuracy').compute({ references: [0, 1, 2, 0, 1, 2], predictions: [0, 1, 1, 2, 1, 0], sampleWeight: [0.5, 2, 0.7, 0.5, 9, 0.4] }), { accuracy: 0.8778625954198473 });
    const mcc = loadMetric('matthews_correlation');
    close(mcc.compute({ references: [1, 3, 2, 0, 3, 2], predictions: [1, 2, 2, 0, 3, 3] }).matthews_correlation, 0.5384615384615384, 'mcc');
    close(mcc.compute({ references: [1, 3, 2, 0, 3, 2], predictions: [1, 2, 2, 0, 3, 3], sampleWeight: [0.5, 3, 1, 1, 1, 2] }).matthews_correlation, 0.09782608695652174, 'mcc weighted');
  });
});

describe('metrics: zero division (sklearn semantics)', () => {
  test('default warns and gives 0; zeroDivision 1 gives 1; 0 is silent', () => {
    const c = collect();
    const p = loadMetric('precision', null, c);
    assert.deepEqual(p.compute({ references: [1, 0, 1], predictions: [0, 0, 0] }), { precision: 0 });
    assert.deepEqual(c.warnings, ['Precision is ill-defined and being set to 0.0 due to no predicted samples. Use `zero_division` parameter to control this behavior.']);
    assert.deepEqual(p.compute({ references: [1, 0, 1], predictions: [0, 0, 0], zeroDivision: 1 }), { precision: 1 });
    assert.deepEqual(p.compute({ references: [1, 0, 1], predictions: [0, 0, 0], zero_division: 0 }), { precision: 0 });
    assert.equal(c.warnings.length, 1);
    // per-label wording
    p.compute({ references: [0, 1, 2], predictions: [0, 0, 1], average: 'macro' });
    assert.equal(c.warnings[1], 'Precision is ill-defined and being set to 0.0 in labels with no predicted samples. Use `zero_division` parameter to control this behavior.');
    assert.throws(() => p.compute({ references: [1], predictions: [1], zeroDivision: 2 as 1 }), /Got zero_division=2\. Must be one of \["warn", 0, 1\]/);
  });
  test('recall and f1 with no positives at all', () => {
    const c = collect();
    assert.deepEqual(loadMetric('recall', null, c).compute({ references: [0, 0], predictions: [0, 0] }), { recall: 0 });
    assert.match(c.warnings[0], /^Recall is ill-defined and being set to 0\.0 due to no true samples\./);
    const f1 = loadMetric('f1', null, c);
    assert.deepEqual(f1.compute({ references: [0, 0], predictions: [0, 0] }), { f1: 0 });
    assert.match(c.warnings[1], /^F-score is ill-defined and being set to 0\.0 due to no true nor predicted samples\./);
    assert.deepEqual(f1.compute({ references: [0, 0], predictions: [0, 0], zeroDivision: 1 }), { f1: 1 });
    // precision defined (no predictions -> 1), recall 0 -> F 0
    assert.deepEqual(f1.compute({ references: [1, 0], predictions: [0, 0], zeroDivision: 1 }), { f1: 0 });
  });
  test('weighted average when no label has support', () => {
    const r = precisionRecallFscoreSupport([0, 0], [0, 1], { labels: [2], average: 'weighted', onWarning: () => {} });
    assert.deepEqual(r, { precision: 0, recall: 0, fScore: 0, support: null });
    const r1 = precisionRecallFscoreSupport([0, 0], [0, 0], { labels: [2], average: 'weighted', zeroDivision: 1, onWarning: () => {} });
    assert.deepEqual(r1, { precision: 1, recall: 1, fScore: 1, support: null });
  });
});

describe('metrics: bad input', () => {
  test('length mismatch, unknown metric / average / option, posLabel, non-integer ids', () => {
    assert.throws(() => loadMetric('accuracy').compute({ predictions: [0, 1], references: [0] }), /accuracy: Mismatch in the number of predictions \(2\) and references \(1\)/);
    assert.throws(() => loadMetric('bertscore'), /unknown metric 'bertscore': available metrics are accuracy, bleu, f1, glue, matthews_correlation, precision, recall, rouge, sacrebleu/);
    assert.throws(() => loadMetric('f1').compute({ predictions: [0, 1], references: [0, 1], average: 'mean' as Average }), /average has to be one of \(None, 'micro', 'macro', 'weighted', 'samples'\) or 'binary', got 'mean'/);
    assert.throws(() => loadMetric('accuracy').compute({ predictions: [0, 1], references: [0, 1], average: 'macro' }), /accuracy: unknown option 'average'; it takes normalize, sampleWeight/);
    assert.throws(() => loadMetric('f1').compute({ predictions: [0, 1, 2], references: [0, 1, 2], posLabel: 5, average: 'binary' }), /Target is multiclass but average='binary'\. Please choose another average setting, one of \[None, 'micro', 'macro', 'weighted'\]\./);
    assert.throws(() => loadMetric('f1').compute({ predictions: [0, 2], references: [2, 0] }), (e: unknown) => e instanceof MetricError && e.message === 'pos_label=1 is not a valid label. It should be one of [0, 2]');
    assert.throws(() => loadMetric('precision').compute({ predictions: [0.5, 1], references: [0, 1] }), /precision: predictions\[0\] = 0\.5 is not an integer class id/);
    assert.throws(() => loadMetric('recall').compute({ predictions: [0, 1], references: [0, 1], sampleWeight: [1] }), /Found input variables with inconsistent numbers of samples: \[2, 1\]/);
    assert.throws(() => loadMetric('accuracy').compute(), /nothing to score/);
    assert.throws(() => loadMetric('accuracy').compute({ predictions: [1], references: [1], sampleWeight: [0] }), /Weights sum to zero/);
    assert.throws(() => loadMetric('glue'), /needs a configuration name: one of sst2, mnli/);
    assert.throws(() => loadMetric('glue', 'squad'), /has no configuration 'squad'/);
    assert.throws(() => loadMetric('f1', 'multilabel'), /multilabel inputs are not supported yet/);
  });
  test('pos_label ignored warning for non-binary averages', () => {
    const c = collect();
    loadMetric('f1', null, c).compute({ predictions: [0, 1], references: [0, 1], posLabel: 0, average: 'macro' });
    assert.deepEqual(c.warnings, ["Note that pos_label (set to 0) is ignored when average != 'binary' (got 'macro'). You may use labels=[pos_label] to specify a single positive class."]);
  });
});

describe('metrics: accumulation, combine, glue, listMetrics', () => {
  test('addBatch/add accumulate and compute clears', () => {
    const acc = loadMetric('accuracy');
    acc.addBatch({ predictions: new Int32Array([0, 1]), references: [0, 0] });
    acc.add({ prediction: 1n, reference: 1n });
    acc.addBatch({ predictions: new BigInt64Array([1n]), references: [true] });
    assert.deepEqual(acc.compute(), { accuracy: 0.75 });
    assert.throws(() => acc.compute(), /nothing to score/);
    acc.addBatch({ predictions: [0], references: [0] });
    assert.deepEqual(acc.compute({ predictions: [1], references: [0] }), { accuracy: 0.5 });
  });
  test('combine merges and prefixes duplicates; options go to the metrics that take them', () => {
    const clf = combine(['accuracy', 'f1', 'precision', 'recall'], quiet);
    assert.deepEqual(clf.compute({ predictions: [0, 1], references: [1, 1] }), { accuracy: 0.5, f1: 0.6666666666666666, precision: 1, recall: 0.5 });
    const m = clf.compute({ predictions: [0, 2, 1, 0, 0, 1], references: [0, 1, 2, 0, 1, 2], average: 'micro' });
    close(m.f1, 1 / 3, 'combined micro f1');
    assert.throws(() => clf.compute({ predictions: [0], references: [0], beta: 2 } as never), /no metric takes option 'beta'/);
    const two = combine(['f1', 'f1']);
    assert.deepEqual(two.compute({ predictions: [0, 1], references: [1, 1] }), { f1_0_f1: 0.6666666666666666, f1_1_f1: 0.6666666666666666 });
    const named = combine({ acc: 'accuracy', 'glue-mrpc': loadMetric('glue', 'mrpc') });
    assert.deepEqual(named.compute({ predictions: [0, 1], references: [1, 1] }), { acc_accuracy: 0.5, 'glue-mrpc_accuracy': 0.5, f1: 0.6666666666666666 });
    assert.deepEqual(combine(['accuracy'], { forcePrefix: true }).compute({ predictions: [1], references: [1] }), { accuracy_accuracy: 1 });
    clf.addBatch({ predictions: [1, 1], references: [1, 0] });
    assert.deepEqual(clf.compute(), { accuracy: 0.5, f1: 0.6666666666666666, precision: 0.5, recall: 1 });
  });
  test('glue configs', () => {
    assert.deepEqual(loadMetric('glue', 'sst2').compute({ predictions: [0, 1], references: [0, 1] }), { accuracy: 1 });
    assert.deepEqual(loadMetric('glue', 'mrpc').compute({ predictions: [0, 1], references: [0, 1] }), { accuracy: 1, f1: 1 });
    assert.deepEqual(loadMetric('glue', 'cola').compute({ predictions: [0, 1], references: [0, 1] }), { matthews_correlation: 1 });
    const s = loadMetric('glue', 'stsb').compute({ predictions: [1, 2, 3, 4, 5], references: [5, 6, 7, 8, 7] });
    close(s.pearson, 6 / Math.sqrt(52), 'pearson');
    close(s.spearmanr, 8 / Math.sqrt(95), 'spearmanr');
    assert.throws(() => loadMetric('glue', 'stsb').compute({ predictions: [1, 2], references: [1, 2], average: 'macro' }), /glue\/stsb: unknown option 'average'; it takes only predictions and references/);
  });
  test('listMetrics', () => {
    assert.deepEqual(listMetrics(), ['accuracy', 'bleu', 'f1', 'glue', 'matthews_correlation', 'precision', 'recall', 'rouge', 'sacrebleu', 'seqeval', 'squad', 'squad_v2']);
  });
});

interface MetricCase {
  id: string;
  predictions: number[];
  references: number[];
  logits?: number[][];
  expected: Record<string, number>;
}

describe('metrics vs scikit-learn 1.2.1 (metrics/cases.json)', needsShared, () => {
  test('every case and every expected value within 1e-12', () => {
    const doc = JSON.parse(readFileSync(sharedPath('fixtures/hf-reference/metrics/cases.json'), 'utf8')) as { cases: MetricCase[] };
    assert.ok(doc.cases.length >= 8);
    let checked = 0;
    for (const c of doc.cases) {
      if (c.logits) {
        const argmax = c.logits.map((row) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0));
        assert.deepEqual(argmax, c.predictions, `${c.id}: argmax (ties -> first index)`);
      }
      const io = { predictions: c.predictions, references: c.references };
      for (const [key, want] of Object.entries(c.expected)) {
        let got: unknown;
        if (key === 'accuracy' || key === 'matthews_correlation') {
          got = loadMetric(key).compute(io)[key];
        } else {
          const [metric, average] = key.split('_') as [string, string];
          got = loadMetric(metric, null, quiet).compute({ ...io, average: average as Average })[metric];
        }
        close(got, want, `${c.id} ${key}`);
        checked++;
      }
      const isBinary = new Set([...c.predictions, ...c.references]).size <= 2;
      if (isBinary) {
        const g = loadMetric('glue', 'mrpc', quiet).compute(io);
        close(g.accuracy, c.expected.accuracy, `${c.id} glue/mrpc accuracy`);
        close(g.f1, c.expected.f1_binary, `${c.id} glue/mrpc f1`);
      }
      close(loadMetric('glue', 'cola').compute(io).matthews_correlation, c.expected.matthews_correlation, `${c.id} glue/cola`);
    }
    assert.ok(checked >= 50, `checked ${checked} values`);
  });

  test('the zero-division cases warn like sklearn', () => {
    const doc = JSON.parse(readFileSync(sharedPath('fixtures/hf-reference/metrics/cases.json'), 'utf8')) as { cases: MetricCase[] };
    const c = doc.cases.find((x) => x.id === 'binary_all_negative_predictions')!;
    const w = collect();
    const out = combine(['precision', 'recall', 'f1'], w).compute({ predictions: c.predictions, references: c.references });
    assert.deepEqual(out, { precision: 0, recall: 0, f1: 0 });
    assert.deepEqual(w.warnings, ['Precision is ill-defined and being set to 0.0 due to no predicted samples. Use `zero_division` parameter to control this behavior.']);
    const m = doc.cases.find((x) => x.id === 'multiclass_missing_class_in_predictions')!;
    const w2 = collect();
    loadMetric('precision', null, w2).compute({ predictions: m.predictions, references: m.references, average: 'macro' });
    assert.match(w2.warnings[0], /in labels with no predicted samples/);
  });
});
