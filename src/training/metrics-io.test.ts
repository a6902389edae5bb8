import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logMetrics, metricsFormat, saveMetrics, secs2timedelta } from './metrics-io';

// Expected output produced by transformers' metrics_format/log_metrics/save_metrics code in CPython 3.11.
const train = { train_runtime: 3725.4567, train_samples_per_second: 12.345, train_steps_per_second: 1.543, total_flos: 1.2345678e15, train_loss: 0.123456789, epoch: 3.0, train_samples: 1034 };
const evalM = { eval_loss: 0.0612345, eval_accuracy: 0.9849624060150376, eval_runtime: 2.1, eval_samples_per_second: 63.333, eval_steps_per_second: 7.917, epoch: 4.0 };

test('secs2timedelta matches _secs2timedelta', () => {
  assert.deepEqual([0.5, 59.999, 3600, 86400 * 2 + 5.25, 90061.5].map(secs2timedelta),
    ['0:00:00.50', '0:00:59.99', '1:00:00.00', '2 days, 0:00:05.25', '1 day, 1:01:01.50']);
});

test('metricsFormat: runtimes, GF, rounding', () => {
  const f = metricsFormat(train);
  assert.equal(f.train_runtime, '1:02:05.45');
  assert.equal(f.total_flos, '1149780GF');
  assert.equal(f.train_loss, 0.1235);
  assert.equal(f.train_samples, 1034);
});

test('logMetrics prints exactly like transformers', () => {
  const printed: string[] = [];
  const lines = logMetrics('train', train, { print: (l) => printed.push(l) });
  assert.deepEqual(lines, printed);
  assert.equal(lines.join('\n'), [
    '***** train metrics *****',
    '  epoch                    =        3.0',
    '  total_flos               =  1149780GF',
    '  train_loss               =     0.1235',
    '  train_runtime            = 1:02:05.45',
    '  train_samples            =       1034',
    '  train_samples_per_second =     12.345',
    '  train_steps_per_second   =      1.543',
  ].join('\n'));
  assert.equal(logMetrics('eval', evalM, { print: false }).join('\n'), [
    '***** eval metrics *****',
    '  epoch                   =        4.0',
    '  eval_accuracy           =      0.985',
    '  eval_loss               =     0.0612',
    '  eval_runtime            = 0:00:02.10',
    '  eval_samples_per_second =     63.333',
    '  eval_steps_per_second   =      7.917',
  ].join('\n'));
});

test('saveMetrics writes {split}_results.json and merges all_results.json like json.dump(indent=4, sort_keys=True)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-metrics-'));
  try {
    saveMetrics(dir, 'train', train);
    saveMetrics(dir, 'eval', evalM);
    assert.equal(readFileSync(join(dir, 'train_results.json'), 'utf8'),
      '{\n    "epoch": 3.0,\n    "total_flos": 1234567800000000.0,\n    "train_loss": 0.123456789,\n    "train_runtime": 3725.4567,\n    "train_samples": 1034,\n    "train_samples_per_second": 12.345,\n    "train_steps_per_second": 1.543\n}');
    assert.equal(readFileSync(join(dir, 'all_results.json'), 'utf8'),
      '{\n    "epoch": 4.0,\n    "eval_accuracy": 0.9849624060150376,\n    "eval_loss": 0.0612345,\n    "eval_runtime": 2.1,\n    "eval_samples_per_second": 63.333,\n    "eval_steps_per_second": 7.917,\n    "total_flos": 1234567800000000.0,\n    "train_loss": 0.123456789,\n    "train_runtime": 3725.4567,\n    "train_samples": 1034,\n    "train_samples_per_second": 12.345,\n    "train_steps_per_second": 1.543\n}');
    saveMetrics(dir, 'test', { test_loss: 0.5 }, { combined: false });
    assert.ok(!readFileSync(join(dir, 'all_results.json'), 'utf8').includes('test_loss'));
    writeFileSync(join(dir, 'all_results.json'), '{broken');
    assert.throws(() => saveMetrics(dir, 'eval', evalM), /all_results\.json.*fix or delete the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
