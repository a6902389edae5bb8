// generate() behaviour on a tiny random GPT-2 / Llama: seeded sampling, processors, stop strings,
// streamers, cache parity, and the errors transformers gives for bad settings.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, tensor, disposeAll, tidy } from '../torch/index';
import { GPT2LMHeadModel, LlamaForCausalLM, T5ForConditionalGeneration } from '../models/index';
import { TextStreamer, TextIteratorStreamer, GenerationConfig, NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor, TopPLogitsWarper, TopKLogitsWarper } from './index';

function tinyGpt2(): GPT2LMHeadModel {
  manualSeed(0);
  return GPT2LMHeadModel.fromConfig({ vocab_size: 50, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, bos_token_id: 0, eos_token_id: 1 }).eval();
}
const fakeTokenizer = { decode: (ids: number[]) => ids.map((i) => `t${i} `).join('') };

describe('generate()', () => {
  test('greedy: the same ids with and without the cache; maxNewTokens and snake_case inputs', async () => {
    const m = tinyGpt2();
    const ids = tensor([[2, 3, 4, 5]]);
    const a = await m.generate({ inputIds: ids, maxNewTokens: 6, eosTokenId: null });
    const b = await m.generate({ input_ids: ids, max_new_tokens: 6, use_cache: false, eos_token_id: null } as Record<string, unknown>);
    assert.deepEqual(a.shape, [1, 10]);
    assert.deepEqual(a.toArray(), b.toArray());
    disposeAll([a, b, ids]);
  });

  test('sampling is reproducible with a seed and differs between seeds; topK 1 is greedy', async () => {
    const m = tinyGpt2();
    const ids = tensor([[2, 3]]);
    const s1 = await m.generate({ inputIds: ids, doSample: true, maxNewTokens: 8, seed: 7, eosTokenId: null, temperature: 1.5 });
    const s2 = await m.generate({ inputIds: ids, doSample: true, maxNewTokens: 8, seed: 7, eosTokenId: null, temperature: 1.5 });
    const s3 = await m.generate({ inputIds: ids, doSample: true, maxNewTokens: 8, seed: 8, eosTokenId: null, temperature: 1.5 });
    assert.deepEqual(s1.toArray(), s2.toArray());
    assert.notDeepEqual(s1.toArray(), s3.toArray());
    const greedy = await m.generate({ inputIds: ids, maxNewTokens: 8, eosTokenId: null });
    const top1 = await m.generate({ inputIds: ids, doSample: true, topK: 1, maxNewTokens: 8, seed: 1, eosTokenId: null });
    assert.deepEqual(top1.toArray(), greedy.toArray());
    const several = await m.generate({ inputIds: ids, doSample: true, numReturnSequences: 3, maxNewTokens: 4, seed: 3, eosTokenId: null });
    assert.deepEqual(several.shape, [3, 6]);
    disposeAll([s1, s2, s3, greedy, top1, several, ids]);
  });

  test('no_repeat_ngram_size and repetition_penalty as transformers computes them', () => {
    const ids = tensor([[1, 2, 3, 1, 2]]);
    const scores = tensor([[0.5, -0.5, 2, 4, 1]], { dtype: 'float32' });
    const banned = tidy(() => new NoRepeatNGramLogitsProcessor(3).process(ids, scores).toArray());
    assert.deepEqual(banned, [[0.5, -0.5, 2, -Infinity, 1]]);
    const pen = tidy(() => new RepetitionPenaltyLogitsProcessor(2).process(ids, scores).toArray());
    assert.deepEqual(pen, [[0.5, -1, 1, 2, 1]]);
    const topk = tidy(() => new TopKLogitsWarper(2).process(ids, scores).toArray());
    assert.deepEqual(topk, [[-Infinity, -Infinity, 2, 4, -Infinity]]);
    const topp = tidy(() => new TopPLogitsWarper(0.5).process(ids, scores).toArray() as number[][]);
    assert.equal(topp[0]!.filter((x) => x > -Infinity).length, 1, 'top_p 0.5 keeps the one token holding most of the mass');
    disposeAll([ids, scores]);
  });

  test('eos ends a row, later tokens are pad; stop strings end generation', async () => {
    const m = tinyGpt2();
    const ids = tensor([[2, 3]]);
    const free = (await m.generate({ inputIds: ids, maxNewTokens: 5, eosTokenId: null })).toArray()[0] as number[];
    const eos = free[3]!;
    const out = (await m.generate({ inputIds: ids, maxNewTokens: 5, eosTokenId: eos, padTokenId: 49 })).toArray()[0] as number[];
    assert.deepEqual(out, free.slice(0, free.indexOf(eos, 2) + 1), 'stops at the first generated eos');
    const stop = `t${free[3]}`;
    const s = (await m.generate({ inputIds: ids, maxNewTokens: 5, eosTokenId: null, stopStrings: stop, tokenizer: fakeTokenizer })).toArray()[0] as number[];
    assert.deepEqual(s, free.slice(0, free.indexOf(free[3]!, 2) + 1));
    await assert.rejects(m.generate({ inputIds: ids, stopStrings: 'x' }), /stop strings.*tokenizer/);
    ids.dispose();
  });

  test('streamers: TextStreamer prints words, TextIteratorStreamer yields the same text', async () => {
    const m = tinyGpt2();
    const ids = tensor([[2, 3]]);
    let printed = '';
    await m.generate({ inputIds: ids, maxNewTokens: 5, eosTokenId: null, streamer: new TextStreamer(fakeTokenizer, { skipPrompt: true, write: (t) => { printed += t; } }) });
    const it = new TextIteratorStreamer(fakeTokenizer, { skipPrompt: true });
    const done = m.generate({ inputIds: ids, maxNewTokens: 5, eosTokenId: null, streamer: it });
    const pieces: string[] = [];
    for await (const p of it) pieces.push(p);
    const out = await done;
    const want = (out.toArray()[0] as number[]).slice(2).map((i) => `t${i} `).join('');
    assert.equal(printed, `${want}\n`);
    assert.equal(pieces.join(''), want);
    assert.ok(pieces.length > 1, 'text arrives in several deltas');
    disposeAll([ids, out]);
  });

  test('bad settings are one-line errors', async () => {
    const m = tinyGpt2();
    const ids = tensor([[2, 3]]);
    await assert.rejects(m.generate({ inputIds: ids, maxNewTokens: 0 }), /`max_new_tokens` must be greater than 0/);
    await assert.rejects(m.generate({ inputIds: tensor([Array.from({ length: 40 }, () => 2)]) }), /longer than the model's context of 32 tokens/);
    await assert.rejects(m.generate({ inputIds: ids, numBeams: 2, streamer: new TextStreamer(fakeTokenizer) }), /`streamer` cannot be used with beam search/);
    await assert.rejects(m.generate({ inputIds: ids, foo: 1 } as never), /model_kwargs.*'foo'/);
    await assert.rejects(m.generate({ inputIds: ids, temperature: 0, doSample: true }), /temperature/);
    ids.dispose();
  });

  test('Llama and T5 generate too; generation_config round-trips', async () => {
    manualSeed(1);
    const l = LlamaForCausalLM.fromConfig({ vocab_size: 40, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }).eval();
    const ids = tensor([[5, 6, 7]]);
    const a = await l.generate({ inputIds: ids, maxNewTokens: 4, eosTokenId: null, numBeams: 2 });
    const b = await l.generate({ inputIds: ids, maxNewTokens: 4, eosTokenId: null, numBeams: 2, useCache: false });
    assert.deepEqual(a.toArray(), b.toArray());
    const t5 = T5ForConditionalGeneration.fromConfig({ vocab_size: 30, d_model: 16, d_kv: 4, d_ff: 24, num_layers: 1, num_heads: 2, feed_forward_proj: 'gated-gelu', decoder_start_token_id: 0 }).eval();
    const s = await t5.generate({ inputIds: ids, maxNewTokens: 3 });
    assert.equal(s.shape[1]! <= 4, true);
    const g = new GenerationConfig({ maxNewTokens: 5, do_sample: true });
    assert.deepEqual(new GenerationConfig(g.toDict()).toDict(), g.toDict());
    assert.equal(JSON.parse(g.toJsonString()).max_new_tokens, 5);
    disposeAll([ids, a, b, s]);
  });
});
