// Config plausibility before any model is built: ranges, types, the parameter-bytes estimate
// against the limit, and JSON caps, each a one-line ConfigError naming config.json and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoConfig, AutoModelForSequenceClassification } from './auto';
import { ConfigError } from './config';
import { estimateParameters, setModelMemoryLimit } from './config-limits';
import { tinyRobertaConfig } from '../../test/support/tiny-models';

function withConfig(json: unknown | string, fn: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-limits-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return fn(dir, file).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function refused(p: Promise<unknown> | (() => unknown), file: string, field: RegExp): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (e: Error) => {
    assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
    assert.ok(e.message.includes(file), `no file in: ${e.message}`);
    assert.match(e.message, field);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('absurd counts and sizes are refused by range before anything is built', async () => {
  const base = tinyRobertaConfig(64);
  for (const [field, value] of [['num_hidden_layers', 1_000_000_000], ['hidden_size', 2 ** 40], ['vocab_size', -3], ['intermediate_size', 1.5],
    ['num_attention_heads', '2'], ['max_position_embeddings', null === null ? 'x' : 0]] as const) {
    await withConfig({ ...base, [field]: value }, async (dir, file) => {
      await refused(AutoConfig.fromPretrained(dir), file, new RegExp(field));
      await refused(AutoModelForSequenceClassification.fromPretrained(dir), file, new RegExp(field));
    });
  }
  await withConfig({ ...base, num_labels: 1e9 }, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /num_labels/));
  await withConfig({ ...base, id2label: 'abc' }, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /id2label/));
  await withConfig({ ...base, architectures: 'RobertaModel' }, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /architectures/));
  await withConfig({ ...base, eos_token_id: 'x' }, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /eos_token_id/));
  await withConfig({ ...base, layer_norm_eps: 1e400 }, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /not valid JSON|layer_norm_eps/));
});

test('the parameter estimate is refused against the limit (option, setter, env) and a plausible model builds', async () => {
  const base = tinyRobertaConfig(64);
  const est = estimateParameters({ ...base });
  assert.ok(est > 2_000 && est < 40_000, `tiny estimate ${est}`);
  // about 4e11 parameters: passes every range, cannot fit anywhere
  const huge = { ...base, vocab_size: 1_000_000, hidden_size: 65_536, num_attention_heads: 1, intermediate_size: 65_536, num_hidden_layers: 24 };
  await withConfig(huge, async (dir, file) => {
    const config = await AutoConfig.fromPretrained(dir); // the config alone loads: it is only its model that cannot fit
    assert.equal((config as any).hiddenSize, 65_536);
    await refused(AutoModelForSequenceClassification.fromPretrained(dir), file, /parameters .*HUBTUNE_MAX_MODEL_BYTES/);
    await refused(() => AutoModelForSequenceClassification.fromConfig(config), '', /parameters/);
  });
  await withConfig(base, async (dir) => {
    const config = await AutoConfig.fromPretrained(dir);
    await refused(() => (AutoModelForSequenceClassification.classFor('roberta') as any).fromConfig(config, { maxModelBytes: 1000 }), '', /maxModelBytes/);
    const prev = setModelMemoryLimit(1000);
    try {
      await refused(() => AutoModelForSequenceClassification.fromConfig(config), '', /setModelMemoryLimit/);
    } finally { setModelMemoryLimit(prev); }
    const prevEnv = process.env.HUBTUNE_MAX_MODEL_BYTES;
    process.env.HUBTUNE_MAX_MODEL_BYTES = '1000';
    try {
      await refused(() => AutoModelForSequenceClassification.fromConfig(config), '', /parameters/);
      process.env.HUBTUNE_MAX_MODEL_BYTES = '0'; // no limit
      AutoModelForSequenceClassification.fromConfig(config).dispose();
    } finally {
      if (prevEnv === undefined) delete process.env.HUBTUNE_MAX_MODEL_BYTES; else process.env.HUBTUNE_MAX_MODEL_BYTES = prevEnv;
    }
    const m = AutoModelForSequenceClassification.fromConfig(config);
    assert.equal(m.numParameters() > 0, true);
    m.dispose();
  });
});

test('config.json JSON caps: deep nesting, huge containers, non-objects, garbage', async () => {
  const base = tinyRobertaConfig(64);
  const deep = JSON.stringify(base).replace(/}$/, `,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  await withConfig(deep, (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /nests deeper than 200/));
  await withConfig('[1,2]', (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /JSON object/));
  await withConfig('{"model_type": "roberta",', (dir, file) => refused(AutoConfig.fromPretrained(dir), file, /not valid JSON/));
  // a nesting that passes the cap still loads (and is kept as an extra field)
  await withConfig({ ...base, x: [[[[1]]]] }, async (dir) => {
    const c = await AutoConfig.fromPretrained(dir);
    assert.deepEqual(c.extraFields.x, [[[[1]]]]);
  });
});

test('the JSON shape scan counts entries per container and skips strings', async () => {
  const { checkJsonShape } = await import('../util/safe-json');
  assert.throws(() => checkJsonShape('[1,2,3,4]', 'x.json', ConfigError, { maxEntries: 3 }), (e: Error) => e instanceof ConfigError && /x\.json: .*more than 3 entries/.test(e.message));
  checkJsonShape('[[1,2],[3],{"a":1,"b":2}]', 'x.json', ConfigError, { maxEntries: 3 });
  checkJsonShape(JSON.stringify({ s: '[[[[[[,,,,,\\"[[[[' }), 'x.json', ConfigError, { maxDepth: 2, maxEntries: 2 });
  assert.throws(() => checkJsonShape('[[[1]]]', 'x.json', ConfigError, { maxDepth: 2 }), /nests deeper than 2/);
});
