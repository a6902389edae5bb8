// Fixture tests: every case of ../shared/fixtures/hf-reference/tokenizers/cases.json (outputs of
// Python transformers 4.29's slow tokenizers), once from tokenizer.json and once from the
// vocabulary files.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';

const DIR = sharedPath('fixtures', 'hf-reference', 'tokenizers');
const fixture = hasShared ? JSON.parse(readFileSync(sharedPath('fixtures', 'hf-reference', 'tokenizers', 'cases.json'), 'utf8')) : { cases: [], tokenizers: {} };
const KEYS = ['input_ids', 'token_type_ids', 'attention_mask'];

for (const useFast of [true, false]) {
  for (const name of ['roberta', 'bert'] as const) {
    describe(`${name} fixture cases from ${useFast ? 'tokenizer.json' : 'vocabulary files'}`, needsShared, () => {
      let tok: PreTrainedTokenizer;
      before(async () => {
        tok = await AutoTokenizer.fromPretrained(`${DIR}/${name}`, { useFast });
      });

      test('vocabulary and special tokens', () => {
        const info = fixture.tokenizers[name];
        assert.equal(tok.vocabSize, info.vocab_size);
        assert.equal(tok.length, info.len);
        assert.equal(tok.modelMaxLength, info.model_max_length);
        assert.deepEqual(tok.modelInputNames, info.model_input_names);
        for (const [t, id] of Object.entries(info.special_ids)) assert.equal(tok.convertTokensToIds(t), id, t);
      });

      for (const c of fixture.cases) {
        test(c.id, () => {
          const exp = c[name];
          let out: Record<string, any>;
          if (c.kind === 'single') out = tok(c.text, c.kwargs);
          else if (c.kind === 'pair') out = tok(c.text, c.text_pair, c.kwargs);
          else out = tok(c.texts, c.texts_pair ?? null, c.kwargs);
          for (const k of KEYS) assert.deepEqual(out[k], exp[k], `${k} of ${JSON.stringify(c.text ?? c.texts)}`);
          if (c.kind === 'batch') {
            assert.deepEqual(out.input_ids.map((ids: number[]) => tok.convertIdsToTokens(ids)), exp.tokens);
            assert.deepEqual(tok.batchDecode(out.input_ids, { skipSpecialTokens: true }), exp.batch_decode_skip_special);
            return;
          }
          assert.deepEqual(tok.convertIdsToTokens(out.input_ids), exp.tokens);
          if (exp.tokenize) assert.deepEqual(tok.tokenize(c.text), exp.tokenize);
          assert.equal(tok.decode(out.input_ids), exp.decode);
          assert.equal(tok.decode(out.input_ids, { skipSpecialTokens: true }), exp.decode_skip_special);
          if ('decode_no_cleanup' in exp) assert.equal(tok.decode(out.input_ids, { cleanUpTokenizationSpaces: false }), exp.decode_no_cleanup);
          if ('decode_skip_special_no_cleanup' in exp) {
            assert.equal(tok.decode(out.input_ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }), exp.decode_skip_special_no_cleanup);
          }
        });
      }
    });
  }
}
