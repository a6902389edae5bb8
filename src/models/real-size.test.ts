// Real-size architectures from ../shared/fixtures/real-configs: exact parameter counts of
// transformers 4.29.2 (each model is ~350 MB: built once, then disposed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsShared, sharedPath } from '../../test/support/shared';
import { AutoModelForImageClassification, AutoModelForSequenceClassification, AutoConfig, modelSummary } from './index';

const read = (f: string) => JSON.parse(readFileSync(sharedPath('fixtures', 'real-configs', f), 'utf8'));

test('ViTForImageClassification from vit-base-patch16-224-in21k with 3 labels has 85,800,963 parameters', needsShared, () => {
  const config = AutoConfig.fromDict(read('vit-base-patch16-224-in21k.config.json')).update({ numLabels: 3 });
  const m = AutoModelForImageClassification.fromConfig(config);
  assert.equal(m.numParameters(), 85_800_963);
  m.freezeBackbone();
  assert.equal(modelSummary(m, { print: false }).trainable, 768 * 3 + 3);
  m.dispose();
});

test('RobertaForSequenceClassification from distilroberta-base with 2 labels has 82,119,938 parameters', needsShared, () => {
  const config = AutoConfig.fromDict(read('distilroberta-base.config.json')).update({ numLabels: 2 });
  const m = AutoModelForSequenceClassification.fromConfig(config);
  assert.equal(m.numParameters(), 82_119_938);
  m.dispose();
});
