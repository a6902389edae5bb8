// SentencePiece tokenizers against ../shared/fixtures/hf-reference-2/tokenizers/cases.json
// (sentencepiece_cases: Python transformers 4.29's slow XLMRobertaTokenizer and T5Tokenizer,
// sentencepiece 0.1.97), loaded from their .model files; plus the model reader's errors.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsShared, sharedPath, hasShared } from '../../test/support/shared';
import { AutoTokenizer, type PreTrainedTokenizer } from './tokenization';
import { SentencePieceModel, parseModelProto } from './tokenizers/sentencepiece';

const DIR = sharedPath('fixtures', 'hf-reference-2', 'tokenizers');
const fixture = hasShared ? JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) : { sentencepiece_cases: [], tokenizers: {} };

for (const name of ['xlmr', 't5'] as const) {
  describe(`${name} (slow SentencePiece tokenizer from its .model file)`, needsShared, () => {
    let tok: PreTrainedTokenizer;
    before(async () => { tok = await AutoTokenizer.fromPretrained(join(DIR, name)); });

    test('vocabulary size and special ids', () => {
      const info = fixture.tokenizers[name];
      assert.equal(tok.length, info.len);
      assert.equal(tok.vocabSize, info.vocab_size);
      for (const [t, id] of Object.entries(info.special_ids)) assert.equal(tok.convertTokensToIds(t), id, t);
    });

    for (const c of fixture.sentencepiece_cases.filter((x: any) => x.tokenizer === name)) {
      test(c.id, () => {
        const exp = c.output;
        const out: Record<string, any> = c.kind === 'single' ? tok(c.text, c.kwargs ?? {})
          : c.kind === 'pair' ? tok(c.text, c.text_pair, c.kwargs ?? {}) : tok(c.texts, c.texts_pair ?? null, c.kwargs ?? {});
        assert.deepEqual(out.input_ids, exp.input_ids);
        assert.deepEqual(out.attention_mask, exp.attention_mask);
        if (c.kind === 'batch') {
          assert.deepEqual(tok.batchDecode(out.input_ids, { skipSpecialTokens: true }), exp.batch_decode_skip_special);
          return;
        }
        assert.deepEqual(tok.convertIdsToTokens(out.input_ids), exp.tokens);
        if (exp.tokenize) assert.deepEqual(tok.tokenize(c.text), exp.tokenize);
        assert.equal(tok.decode(out.input_ids), exp.decode);
        if ('decode_skip_special' in exp) assert.equal(tok.decode(out.input_ids, { skipSpecialTokens: true }), exp.decode_skip_special);
      });
    }

    test('savePretrained writes the .model file and configs (no tokenizer.json), and the copy encodes the same', async () => {
      const dir = mkdtempSync(join(tmpdir(), `hubtune-spm-${name}-`));
      try {
        tok.savePretrained(dir);
        const files = readdirSync(dir).sort();
        assert.ok(!files.includes('tokenizer.json'), files.join(', '));
        assert.ok(files.includes(name === 'xlmr' ? 'sentencepiece.bpe.model' : 'spiece.model'), files.join(', '));
        const again = await AutoTokenizer.fromPretrained(dir);
        const text = 'Café naïve 😀 — the <mask> sat on the mat.';
        assert.deepEqual(again(text).input_ids, tok(text).input_ids);
        assert.equal(again.length, tok.length);
      } finally { rmSync(dir, { recursive: true, force: true }); }
    });
  });
}

describe('SentencePiece model files', () => {
  test('a file that is not a ModelProto, or a BPE model, is refused with a one-line error naming it', () => {
    assert.throws(() => parseModelProto(Uint8Array.from([0x0a, 0xff, 0xff]), 'broken.model'), /broken\.model is not a SentencePiece model/);
    assert.throws(() => parseModelProto(new Uint8Array(0), 'empty.model'), /empty\.model has no pieces/);
    // pieces <unk> (UNKNOWN) and "a"; trainer_spec model_type = BPE (2)
    const piece = (s: string, type: number) => [0x0a, s.length + 7, 0x0a, s.length, ...Buffer.from(s), 0x15, 0, 0, 0, 0, 0x18, type];
    const bpe = Uint8Array.from([...piece('<unk>', 2), ...piece('a', 1), 0x12, 2, 0x18, 2]);
    assert.throws(() => SentencePieceModel.fromBuffer(bpe, 'bpe.model'), /bpe\.model is a SentencePiece BPE model: hubtune reads Unigram models/);
  });

  test('a SentencePiece tokenizer folder without its .model file gets a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubtune-spm-none-'));
    try {
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'XLMRobertaTokenizer' }));
      await assert.rejects(AutoTokenizer.fromPretrained(dir), /XLMRobertaTokenizer needs tokenizer\.json or sentencepiece\.bpe\.model/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
