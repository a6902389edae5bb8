// transformers' logits_to_keep on the causal LMs: the LM head reads only the kept positions, and
// generate() passes 1, as transformers' generate() does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, tensor, tidy, noGrad, type Tensor } from '../torch/index';
import { GPT2LMHeadModel, LlamaForCausalLM } from './index';

const rows = (t: Tensor): number[][][] => t.toArray() as number[][][];
function assertClose(a: number[][][], b: number[][][], what: string): void {
  assert.deepEqual([a.length, a[0]!.length, a[0]![0]!.length], [b.length, b[0]!.length, b[0]![0]!.length], `${what}: shape`);
  a.flat(2).forEach((x, i) => assert.ok(Math.abs(x - b.flat(2)[i]!) <= 1e-5, `${what}[${i}]: ${x} against ${b.flat(2)[i]}`));
}

const models = () => {
  manualSeed(4);
  return [
    LlamaForCausalLM.fromConfig({ vocab_size: 40, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }).eval(),
    GPT2LMHeadModel.fromConfig({ vocab_size: 50, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2 }).eval(),
  ];
};

test('logitsToKeep: the last n positions, chosen positions, or all (0); snake_case too', () => {
  for (const m of models()) noGrad(() => tidy(() => {
    const ids = tensor([[3, 4, 5, 6, 7], [8, 9, 10, 11, 12]], { dtype: 'int64' });
    const all = rows(m.forward({ inputIds: ids }).logits);
    const lastOf = (n: number) => all.map((seq) => seq.slice(seq.length - n));
    assertClose(rows(m.forward({ inputIds: ids, logitsToKeep: 1 }).logits), lastOf(1), `${m.constructor.name} keep 1`);
    assertClose(rows(m.forward({ input_ids: ids, logits_to_keep: 2 }).logits), lastOf(2), `${m.constructor.name} keep 2`);
    assertClose(rows(m.forward({ inputIds: ids, logitsToKeep: 9 }).logits), all, `${m.constructor.name} keep more than the length`);
    assertClose(rows(m.forward({ inputIds: ids, logitsToKeep: 0 }).logits), all, `${m.constructor.name} keep 0`);
    assertClose(rows(m.forward({ inputIds: ids, logitsToKeep: tensor([0, 3], { dtype: 'int64' }) }).logits), all.map((seq) => [seq[0]!, seq[3]!]), `${m.constructor.name} positions 0 and 3`);
  }));
});

test('logitsToKeep: a bad value, or together with labels, is a one-line error', () => {
  const [m] = models();
  const ids = tensor([[3, 4, 5]], { dtype: 'int64' });
  assert.throws(() => m!.forward({ inputIds: ids, logitsToKeep: -1 }), /^TypeError: LlamaForCausalLM\.forward: logitsToKeep must be a whole number >= 0, got -1$/);
  assert.throws(() => m!.forward({ inputIds: ids, logitsToKeep: 1.5 }), /logitsToKeep must be a whole number >= 0, got 1\.5/);
  assert.throws(() => m!.forward({ inputIds: ids, logitsToKeep: tensor([[0]], { dtype: 'int64' }) }), /logitsToKeep must be a whole number >= 0 \(0 keeps every position\) or a 1-d tensor of positions/);
  assert.throws(() => m!.forward({ inputIds: ids, labels: ids, logitsToKeep: 1 }), /the loss needs every position's logits: pass labels or logitsToKeep, not both/);
});

test('generate() asks for the last position\'s logits only, and generates what full logits give', async () => {
  for (const m of models()) {
    const seen: number[] = [];
    const forward = m.forward.bind(m);
    const prompt = [[3, 4, 5, 6]];
    const opts = { inputIds: prompt, maxNewTokens: 5, doSample: false, eosTokenId: null, padTokenId: 0 } as const;
    for (const useCache of [true, false]) {
      // what full logits give: the argmax of the last position, step by step
      const ids = [...prompt[0]!];
      for (let i = 0; i < 5; i++) {
        const last = noGrad(() => tidy(() => rows(forward({ inputIds: tensor([ids], { dtype: 'int64' }) }).logits)[0]!.at(-1)!));
        ids.push(last.indexOf(Math.max(...last)));
      }
      (m as { forward: typeof forward }).forward = (batch) => { const out = forward(batch); seen.push(out.logits.shape[1]!); return out; };
      const out = await m.generate({ ...opts, useCache });
      (m as { forward: typeof forward }).forward = forward;
      assert.deepEqual(out.toArray(), [ids], `${m.constructor.name} useCache ${useCache}`);
      out.dispose();
    }
    assert.ok(seen.length === 10 && seen.every((l) => l === 1), `${m.constructor.name}: logits positions per step ${seen}`);
  }
});
