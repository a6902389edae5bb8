import { test } from 'node:test';
import assert from 'node:assert/strict';

test('src/index.ts re-exports every module\'s public API', async () => {
  const h = await import('../../src/index');
  for (const name of ['pipeline', 'listTasks', 'Tensor', 'tidy', 'noGrad', 'manualSeed', 'nn', 'optim', 'loadSafetensors', 'hfHubDownload',
    'snapshotDownload', 'loadDataset', 'Dataset', 'AutoTokenizer', 'AutoImageProcessor', 'DataCollatorWithPadding', 'AutoModelForImageClassification',
    'AutoModelForSequenceClassification', 'Trainer', 'TrainingArguments', 'loadMetric', 'combine', 'createModelCard', 'decodeImage']) {
    assert.ok(name in h, name);
  }
  assert.equal(typeof h.pipelines.pipeline, 'function');
  assert.equal(typeof h.datasets.decodeImage, 'function');
  assert.deepEqual(h.listTasks(), h.pipelines.listTasks());
});
