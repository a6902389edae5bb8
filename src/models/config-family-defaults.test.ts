// config.json keeps the common fields whose value differs from the family's own default: a Llama
// with tied embeddings (SmolLM2's layout; LlamaConfig's default is untied) reloads tied, not with a
// freshly initialised lm_head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../torch/index';
import { LlamaForCausalLM } from './llama';

const CFG = { vocab_size: 40, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 };

test('a tied Llama writes tie_word_embeddings and reloads with lm_head = embed_tokens; an untied one leaves it out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-llama-tie-'));
  try {
    manualSeed(1);
    const tied = LlamaForCausalLM.fromConfig({ ...CFG, tie_word_embeddings: true }) as LlamaForCausalLM;
    tied.savePretrained(join(dir, 'tied'));
    const json = JSON.parse(readFileSync(join(dir, 'tied', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json.tie_word_embeddings, true);
    for (const k of ['bos_token_id', 'eos_token_id']) assert.ok(!(k in json), `${k} at LlamaConfig's default is left out`);
    const back = await LlamaForCausalLM.fromPretrained(join(dir, 'tied')) as LlamaForCausalLM;
    assert.equal(back.config.tieWordEmbeddings, true);
    assert.deepEqual(back.lmHead.weight.toArray(), tied.model.embedTokens.weight.toArray());

    const untied = LlamaForCausalLM.fromConfig({ ...CFG, bos_token_id: null }) as LlamaForCausalLM;
    untied.savePretrained(join(dir, 'untied'));
    const uj = JSON.parse(readFileSync(join(dir, 'untied', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(!('tie_word_embeddings' in uj));
    assert.equal(uj.bos_token_id, null);
    assert.equal((await LlamaForCausalLM.fromPretrained(join(dir, 'untied')) as LlamaForCausalLM).config.bosTokenId, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
