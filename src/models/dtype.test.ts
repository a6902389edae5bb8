// Model dtypes: fromPretrained(dir, { dtype }) with 'auto' (the checkpoint's torch_dtype) and
// transformers' older name torchDtype; savePretrained writes the weights in the model's dtype and
// sets torch_dtype; a bf16 checkpoint goes into a float32 model and back without loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, randint, tidy, noGrad } from '../torch/index';
import { readSafetensorsFile } from '../torch/safetensors';
import { AutoConfig, AutoModelForSequenceClassification, BertForSequenceClassification, type ModelOutput } from './index';

const tmp = () => mkdtempSync(join(tmpdir(), 'hubtune-dtype-'));
const CFG = { model_type: 'bert', vocab_size: 50, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32, num_labels: 2 };

function saved(): string {
  manualSeed(0);
  const dir = tmp();
  BertForSequenceClassification.fromConfig(AutoConfig.fromDict(CFG)).savePretrained(dir);
  return dir;
}
const dtypesOf = (m: { parameters(): { dtype: string }[] }) => [...new Set(m.parameters().map((p) => p.dtype))];
const fileDtypes = (dir: string) => [...new Set([...readSafetensorsFile(join(dir, 'model.safetensors')).tensors.values()].map((t) => t.dtype))];
const torchDtype = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype;

test('fromPretrained dtype: bf16 weights; savePretrained writes BF16 and torch_dtype; dtype auto reads it back', async () => {
  const src = saved();
  assert.equal(torchDtype(src), 'float32');
  const m = await BertForSequenceClassification.fromPretrained(src, { dtype: 'bfloat16', quiet: true });
  assert.deepEqual(dtypesOf(m), ['bfloat16']);
  const ids = randint(0, 50, [2, 6]);
  const out = m.forward({ inputIds: ids }) as ModelOutput;
  assert.equal(out.logits.dtype, 'bfloat16');
  const dir = tmp();
  m.savePretrained(dir);
  assert.equal(torchDtype(dir), 'bfloat16');
  assert.deepEqual(fileDtypes(dir), ['BF16']);
  const auto = await AutoModelForSequenceClassification.fromPretrained(dir, { dtype: 'auto', quiet: true });
  assert.deepEqual(dtypesOf(auto), ['bfloat16']);
  const older = await BertForSequenceClassification.fromPretrained(dir, { torchDtype: 'auto', quiet: true });
  assert.deepEqual(dtypesOf(older), ['bfloat16']);
  // a bf16 checkpoint into a float32 model (transformers' default) and back: exact both ways
  const wide = await BertForSequenceClassification.fromPretrained(dir, { quiet: true });
  assert.deepEqual(dtypesOf(wide), ['float32']);
  const back = tmp();
  wide.savePretrained(back);
  assert.equal(torchDtype(back), 'float32');
  const again = await BertForSequenceClassification.fromPretrained(back, { dtype: 'bfloat16', quiet: true });
  for (const [n, p] of again.namedParameters()) assert.ok(p.equal(auto.namedParameters().find(([k]) => k === n)![1]), `${n} changed on the way`);
  tidy(() => assert.ok(noGrad(() => (again.forward({ inputIds: ids }) as ModelOutput).logits.equal(out.logits))));
});

test("dtype 'auto' without torch_dtype uses the checkpoint's first floating tensor; float16 weights; bad dtypes", async () => {
  const src = saved();
  const half = await BertForSequenceClassification.fromPretrained(src, { dtype: 'torch.float16', quiet: true });
  assert.deepEqual(dtypesOf(half), ['float16']);
  const dir = tmp();
  half.savePretrained(dir);
  assert.deepEqual(fileDtypes(dir), ['F16']);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  delete cfg.torch_dtype;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  assert.deepEqual(dtypesOf(await BertForSequenceClassification.fromPretrained(dir, { dtype: 'auto', quiet: true })), ['float16']);
  await assert.rejects(BertForSequenceClassification.fromPretrained(src, { dtype: 'bfloat16', torchDtype: 'float16', quiet: true }), /dtype 'bfloat16' and torchDtype 'float16' disagree/);
  await assert.rejects(BertForSequenceClassification.fromPretrained(src, { dtype: 'int64', quiet: true }), /not a floating-point dtype/);
  await assert.rejects(BertForSequenceClassification.fromPretrained(src, { dtype: 'bf17', quiet: true }), /unknown dtype 'bf17'/);
});
